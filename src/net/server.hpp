// Listeners and the network thread pool (DESIGN.md §3): one io_context run by one thread per
// core, one coroutine per connection on its own strand, TLS mode detection, connection limits
// and graceful drain on SIGTERM/SIGINT.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "net/stream.hpp"

namespace boost::asio {
class io_context;
}

namespace tegami::net {

class TlsContext;

enum class TlsMode {
  kNone,              // plain TCP only (tests)
  kStartTls,          // plain first, STARTTLS upgrades; a TLS ClientHello is taken as implicit TLS
  kStartTlsNoDetect,  // plain first, STARTTLS upgrades, greeting at once (MX: servers never
                      // start with TLS there, and the detection wait would delay every one)
  kImplicit,          // TLS from the first byte; plain text gets `wrong_mode_reply` and is closed
};

struct ListenerSpec {
  std::string name;     // "imap", "imaps", "smtp", "submission", "submissions", for logs
  std::string address;  // "127.0.0.1", "::", "0.0.0.0"
  uint16_t port = 0;    // 0 = any free port (tests)
  TlsMode tls = TlsMode::kStartTls;
  // Sent in plain text to a client that speaks plain text (or waits for a greeting) on an
  // implicit-TLS port: it names the right setting instead of leaving the client hanging.
  std::string wrong_mode_reply;
  std::function<asio::awaitable<void>(std::unique_ptr<Stream>)> handler;
};

struct ServerLimits {
  int max_connections = 20000;
  int max_connections_per_ip = 200;
  int tls_sniff_ms = 250;       // how long a STARTTLS port waits for a ClientHello
  int implicit_wait_ms = 3000;  // how long an implicit-TLS port waits for the first byte
  int handshake_timeout_s = 30;
  int drain_seconds = 10;  // on SIGTERM: how long live sessions get to finish
};

class Server {
 public:
  Server(std::shared_ptr<TlsContext> tls, int threads, ServerLimits limits = {});
  ~Server();

  // Binds and starts accepting; returns the bound port.
  Result<uint16_t> listen(ListenerSpec spec);
  // Runs the network threads until stop() or SIGTERM/SIGINT.
  void run();
  void stop();
  // Stops the network threads at once, without a drain (tests).
  void halt();
  // The first network thread's io_context (acceptors, signals) and, round robin, any thread's.
  asio::io_context& io();
  asio::io_context& next_io();
  // True once a drain has started: sessions should say goodbye at their next command.
  static bool draining();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tegami::net
