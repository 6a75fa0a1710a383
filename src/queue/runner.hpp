// The outbound queue runner (issue 4): takes due messages from the store's durable queue,
// finds each destination's servers (MX, then A/AAAA; RFC 5321 §5.1, null MX RFC 7505), picks
// the TLS policy (DANE RFC 7672 when the MX and TLSA answers are DNSSEC-validated, else
// MTA-STS RFC 8461 when the domain publishes an enforced policy, else opportunistic STARTTLS),
// delivers over one connection per destination for many messages, and records each
// recipient's outcome with the bounce or delay notice it causes in the same transaction.
// Temporary failures are retried with growing delays until the message expires (5 days by
// default); a delay notice goes out after 4 hours.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dns/resolver.hpp"
#include "smtp/client/mta_sts.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::queue {

struct RunnerOptions {
  std::string hostname;       // EHLO name and Reporting-MTA
  uint16_t port = 25;         // destination port; tests set another ([queue] port)
  int max_connections = 20;   // in total
  int max_per_domain = 3;     // to one destination domain
  int64_t retry_first = 300;  // first retry delay (seconds); doubles up to retry_max
  int64_t retry_max = 4 * 3600;
  int64_t delay_notice_after = 4 * 3600;
  int64_t message_size = 20 * 1024 * 1024;  // named in bounce advice
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds final_timeout{600};
  std::string ca_file;  // trust anchors for MTA-STS (PKIX) checks; empty = the system's
  smtp::client::StsOptions sts;
  bool mta_sts = true;
  bool dane = true;
  std::chrono::milliseconds idle_poll{30000};  // how often to look when nothing is due
  // Due messages read from the store per look; a full page is followed by another look at
  // once. A destination with this many jobs waiting for a connection gets no more meanwhile.
  size_t due_page = 500;
  // How long a worker keeps its connection open, idle, for more messages to the same
  // destination (like Postfix's connection cache, 2 s); 0 = quit at once.
  std::chrono::milliseconds linger{2000};
  // Where each delivery worker runs (the server's network threads, round robin); unset: `io`.
  std::function<boost::asio::io_context&()> worker_io;
};

class Runner {
 public:
  Runner(boost::asio::io_context& io, store::Store& store, store::ChangeHub* hub,
         dns::Resolver& dns, RunnerOptions opts);
  ~Runner();
  void start();  // spawns the loop on `io`
  void wake();   // thread-safe: look at every due message now (a retry, or after a restart)
  // Thread-safe: a message just queued, as the store's submit returned it, and its bytes (may
  // be null): nothing is read back from the store before sending.
  void queued(store::QueuedMessage m, std::shared_ptr<const std::string> content);
  void stop();  // the loop ends; connections in flight finish their message

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The retry delay after `attempts` failed attempts (1 = the first failure).
int64_t retry_delay(int attempts, int64_t first, int64_t max);

}  // namespace tegami::queue
