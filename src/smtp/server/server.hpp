// The inbound SMTP session entry point: MX policy (port 25, RFC 5321) and submission policy
// (ports 587 and 465, RFC 6409, RFC 8314). What app/ wires to the SMTP listeners. One call
// serves one connection until QUIT, timeout, too many errors or disconnect.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "account/sending.hpp"
#include "auth/authenticator.hpp"
#include "dns/resolver.hpp"
#include "net/stream.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::smtp::server {

namespace asio = boost::asio;

enum class Mode { kMx, kSubmission };

class RecipientCache;

struct Context {
  store::Store* store = nullptr;
  auth::Authenticator* auth = nullptr;
  store::ChangeHub* hub = nullptr;
  Mode mode = Mode::kMx;
  std::string hostname;  // our name in the greeting and Received
  uint64_t max_message_size = 20 * 1024 * 1024;
  uint32_t max_recipients = 500;
  bool allow_auth_without_tls = false;  // dev mode, and only when stream.is_loopback()
  std::chrono::seconds timeout{300};
  // MX only: SPF, DKIM and DMARC through this resolver (blocking; used on the worker pool) and an
  // Authentication-Results header. Null: no checks, no header (tests, `mailauth.check = false`).
  dns::Resolver* resolver = nullptr;
  std::string authserv_id;  // Authentication-Results authserv-id; empty = hostname
  bool dmarc_junk = true;   // DMARC quarantine/reject -> the recipient's Junk folder
  // Submission: DKIM keys (<dir>/<domain>/<selector>.pem); mail whose From domain has keys is
  // signed. Empty: no signing.
  std::string dkim_key_dir;
  // Submission: limits, suspension and queue lifetime for what accounts send; mail to other
  // domains is queued (store::Store::submit) and `on_queued` (when set) hands the queue entry
  // and the message's bytes to the queue runner.
  account::SendPolicy send_policy;
  std::function<void(store::QueuedMessage, std::shared_ptr<const std::string> raw)> on_queued;
  // False when this server cannot deliver to other servers (development mode without a DNS
  // forwarder): such recipients are refused at RCPT instead of waiting in the queue forever.
  bool outbound = true;
  // Found recipients kept for a moment, shared by the sessions (null: every RCPT asks the store).
  RecipientCache* recipients = nullptr;
};

// Serves one client connection. Never throws; returns when the connection is over.
asio::awaitable<void> serve(std::unique_ptr<net::Stream> stream, const Context& ctx);

}  // namespace tegami::smtp::server
