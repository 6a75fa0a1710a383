// STARTTLS: RFC 3207 §4 (220 then handshake), §4.2 (forget everything learned before TLS: the
// EHLO name, the transaction, any authentication; discard pipelined input, CVE-2011-0411).
#include "smtp/server/session.hpp"

namespace tegami::smtp::server {

asio::awaitable<void> Session::on_starttls(const proto::Command&) {
  net::Stream& s = io_.stream();
  if (s.tls_active()) {
    reply(503, "5.5.1", "TLS is already active");
    co_return;
  }
  if (!s.can_start_tls()) {
    reply(454, "4.7.0", "TLS not available: no certificate is configured");
    co_return;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  bool ok = co_await io_.start_tls();
  if (!ok) {
    close_ = true;  // the handshake failed: nothing sensible can be said in plain text
    co_return;
  }
  helo_.clear();
  esmtp_ = false;
  user_.reset();
  sender_check_.reset();  // the addresses the signed-in account may send as
  remote_domains_.clear();
  reset_transaction();
}

}  // namespace tegami::smtp::server
