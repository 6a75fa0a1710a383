// MAIL FROM: RFC 5321 §4.1.1.2 and §4.1.4 (order: after EHLO/HELO, not inside a transaction),
// SIZE (RFC 1870 §6.1: 552 when over the fixed limit), REQUIRETLS (RFC 8689 §4.1, only under
// TLS), submission policy (RFC 6409 §4.3: authentication first; PRODUCT.md §11: a 530 that
// names the mail-app setting).
#include "smtp/server/session.hpp"

#include "account/directory.hpp"
#include "account/sending.hpp"
#include "base/clock.hpp"
#include "base/strings.hpp"
#include "net/offload.hpp"
#include "smtp/server/error_map.hpp"

namespace tegami::smtp::server {

namespace {

// How long a MAIL's check of the sender and its limits serves the next MAILs of the session.
constexpr int64_t kSenderCheckSeconds = 30;

std::string human_size(uint64_t n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) return std::to_string(n / (1024 * 1024)) + " MB";
  return std::to_string(n) + " bytes";
}

std::string sender_key(std::string_view address) {
  std::string a = ascii_lower(address);
  size_t at = a.rfind('@');
  if (at == std::string::npos) return a;
  size_t plus = a.find('+');
  if (plus != std::string::npos && plus < at) a.erase(plus, at - plus);
  return a;
}

}  // namespace

bool sender_allowed(const std::vector<std::string>& allowed, std::string_view address) {
  std::string k = sender_key(address);
  for (const auto& a : allowed)
    if (sender_key(a) == k) return true;
  return false;
}

std::string not_your_address_text(std::string_view what, std::string_view address,
                                  const std::vector<std::string>& allowed) {
  std::string text = std::string(what) + " <" + std::string(address) +
                     "> is not one of your addresses; this account can send as ";
  size_t shown = 0;
  for (const auto& a : allowed) {
    if (shown == 10) {
      text += ", ... (" + std::to_string(allowed.size() - shown) + " more)";
      break;
    }
    if (shown) text += ", ";
    text += a;
    ++shown;
  }
  if (allowed.empty()) text += "no address";
  return text;
}

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
  if (ctx_.mode == Mode::kSubmission) {
    // The envelope sender must be one of the account's addresses (<> claims none); then an
    // account suspended or at the day's limit hears so before it uploads the content. One trip
    // to the worker pool for both, and none for the next MAILs of the session within
    // kSenderCheckSeconds while the window had room for them.
    const int64_t now = system_clock().now_unix();
    if (!sender_check_ || sender_check_->messages_left <= 0 || now >= sender_check_->until) {
      sender_check_.reset();
      struct Checked {
        Result<std::vector<std::string>> allowed = std::vector<std::string>{};
        bool sender_ok = true;
        Status can;
        bool suspended_now = false;
        int64_t messages_left = 0;
        std::string plan;  // as stored now
      };
      store::Store* st = ctx_.store;
      store::ChangeHub* hub = ctx_.hub;
      const account::SendPolicy* policy = &ctx_.send_policy;
      const store::Account* acct = &*user_;
      const proto::Path* path = &c.path;
      auto fn = [st, hub, acct, policy, path, now]() {
        Checked k;
        k.plan = acct->plan;  // unless check_can_send reads the account again
        k.allowed = account::sendable_addresses(*st, *acct);
        if (!k.allowed) return k;
        k.sender_ok = path->null || sender_allowed(*k.allowed, path->mailbox.str());
        if (k.sender_ok) {
          k.can = account::check_can_send(*st, hub, acct->id, *policy, now, &k.suspended_now,
                                          &k.messages_left, &k.plan);
        }
        return k;
      };
      Checked k = co_await net::offload(std::move(fn));
      // The limits of this message (RCPT, the submission) are those of the plan the account
      // is on now, not at sign-in: a session may outlive an administrator's change.
      user_->plan = std::move(k.plan);
      if (!k.allowed) {
        reply(reply_for(k.allowed.error(), "mail"));
        co_return;
      }
      if (!k.sender_ok) {
        reply(550, "5.7.1", not_your_address_text("Sender", c.path.mailbox.str(), *k.allowed));
        co_return;
      }
      if (!k.can) {
        reply_send_refused(k.can.error(), k.suspended_now, "mail", /*too_many_rcpts=*/false);
        co_return;
      }
      sender_check_ =
          SenderCheck{std::move(*k.allowed), k.messages_left, now + kSenderCheckSeconds};
    } else if (!c.path.null && !sender_allowed(sender_check_->allowed, c.path.mailbox.str())) {
      reply(550, "5.7.1",
            not_your_address_text("Sender", c.path.mailbox.str(), sender_check_->allowed));
      co_return;
    }
    --sender_check_->messages_left;
    t.sendable = sender_check_->allowed;
  }
  t.from = c.path;
  t.params = c.mail;
  tx_ = std::move(t);
  reply(250, "2.1.0", "Sender OK");
  co_return;
}

}  // namespace tegami::smtp::server
