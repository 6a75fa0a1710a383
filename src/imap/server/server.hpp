// The IMAP session entry point (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1 clients): what app/ wires
// to the IMAP listeners. One call serves one connection until LOGOUT, timeout or disconnect.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "auth/authenticator.hpp"
#include "imap/server/mailbox_cache.hpp"
#include "net/stream.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::imap::server {

namespace asio = boost::asio;

struct Context {
  store::Store* store = nullptr;
  auth::Authenticator* auth = nullptr;
  store::ChangeHub* hub = nullptr;
  std::string hostname;
  uint64_t append_limit = 20 * 1024 * 1024;
  bool allow_login_without_tls = false;  // dev mode, and only when stream.is_loopback()
  std::chrono::seconds idle_timeout{30 * 60}, login_timeout{60};
  // NOTIFY (RFC 5465): most mailboxes one session watches for STATUS notifications; more is
  // NO [NOTIFICATIONOVERFLOW] at NOTIFY SET, an untagged OK [NOTIFICATIONOVERFLOW] later.
  size_t notify_max_mailboxes = 1000;
  // Mailbox snapshots shared by the sessions of this context (mailbox_cache.hpp); it subscribes
  // to `hub`, which must outlive it.
  std::shared_ptr<MailboxCache> mailbox_cache = std::make_shared<MailboxCache>();
};

// Serves one client connection. Never throws; returns when the connection is over.
asio::awaitable<void> serve(std::unique_ptr<net::Stream> stream, const Context& ctx);

}  // namespace tegami::imap::server
