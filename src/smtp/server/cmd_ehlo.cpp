// EHLO and HELO: RFC 5321 §4.1.1.1 (and §4.1.4: EHLO resets the transaction). Advertised
// extensions: PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
// ENHANCEDSTATUSCODES (RFC 2034), CHUNKING and BINARYMIME (RFC 3030), STARTTLS (RFC 3207),
// REQUIRETLS (RFC 8689, only under TLS), AUTH (RFC 4954, submission only), LIMITS (RFC 9422),
// DSN (RFC 3461, submission only).
#include "smtp/server/session.hpp"

namespace tegami::smtp::server {

asio::awaitable<void> Session::on_ehlo(const proto::Command& c) {
  reset_transaction();
  helo_ = c.arg;
  esmtp_ = c.verb == proto::Verb::kEhlo;
  std::string name = proto::sanitize_echo(c.arg, 64);
  if (!esmtp_) {
    reply(250, "", ctx_.hostname + " Hello " + name);
    co_return;
  }
  net::Stream& s = io_.stream();
  std::string text = ctx_.hostname + " Hello " + name;
  text += "\nPIPELINING";
  text += "\nSIZE " + std::to_string(ctx_.max_message_size);
  text += "\n8BITMIME";
  text += "\nSMTPUTF8";
  text += "\nENHANCEDSTATUSCODES";
  text += "\nCHUNKING";
  text += "\nBINARYMIME";
  if (s.can_start_tls()) text += "\nSTARTTLS";
  if (s.tls_active()) text += "\nREQUIRETLS";
  // DSN (RFC 3461) where we originate delivery reports: submission (the queue reports to the
  // sender). On port 25 we would owe NOTIFY=SUCCESS reports to other servers' users.
  if (ctx_.mode == Mode::kSubmission) text += "\nDSN";
  if (auth_allowed() && !user_) text += "\nAUTH PLAIN LOGIN";
  text += "\nLIMITS RCPTMAX=" + std::to_string(ctx_.max_recipients);
  reply(250, "", text);
  co_return;
}

}  // namespace tegami::smtp::server
