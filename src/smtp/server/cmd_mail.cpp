// MAIL FROM: RFC 5321 §4.1.1.2 and §4.1.4 (order: after EHLO/HELO, not inside a transaction),
// SIZE (RFC 1870 §6.1: 552 when over the fixed limit), REQUIRETLS (RFC 8689 §4.1, only under
// TLS), submission policy (RFC 6409 §4.3: authentication first; PRODUCT.md §11: a 530 that
// names the mail-app setting).
#include "smtp/server/session.hpp"

#include "base/strings.hpp"

namespace tegami::smtp::server {

namespace {

std::string human_size(uint64_t n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) return std::to_string(n / (1024 * 1024)) + " MB";
  return std::to_string(n) + " bytes";
}

}  // namespace

std::string too_big_text(uint64_t limit) {
  std::string size = human_size(limit);
  if (size.find("MB") != std::string::npos) size += " (" + std::to_string(limit) + " bytes)";
  return "Message too big: the limit is " + size +
         ", headers and attachments together. Send large files with Mail Drop";
}

asio::awaitable<void> Session::on_mail(const proto::Command& c) {
  if (helo_.empty()) {
    reply(503, "5.5.1", "Send EHLO or HELO first");
    co_return;
  }
  if (tx_) {
    reply(503, "5.5.1", "Nested MAIL command: finish or RSET the current message first");
    co_return;
  }
  if (ctx_.mode == Mode::kSubmission && !user_) {
    reply(530, "5.7.0",
          "Authentication required: turn on \"outgoing server requires authentication\" in "
          "your mail app");
    co_return;
  }
  if (c.mail.size && *c.mail.size > ctx_.max_message_size) {
    reply(552, "5.3.4", too_big_text(ctx_.max_message_size));
    co_return;
  }
  if (c.mail.requiretls && !io_.stream().tls_active()) {
    reply(530, "5.7.10", "REQUIRETLS needs a TLS session: issue STARTTLS first");
    co_return;
  }
  Transaction t;
  t.from = c.path;
  t.params = c.mail;
  tx_ = std::move(t);
  reply(250, "2.1.0", "Sender OK");
  co_return;
}

}  // namespace tegami::smtp::server
