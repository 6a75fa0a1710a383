// RCPT TO: RFC 5321 §4.1.1.3 (and §3.6.2/§7.1: never an open relay; source routes are dropped,
// Appendix C), §4.5.3.1.8 (recipient limit: 452 4.5.3 for the one too many), RFC 9422 (the
// advertised RCPTMAX), RFC 3463 (5.1.1 unknown user, 5.7.1 relaying denied, 4.2.2 mailbox full).
#include "smtp/server/session.hpp"

#include <algorithm>

#include "account/delivery.hpp"
#include "account/directory.hpp"
#include "base/clock.hpp"
#include "base/strings.hpp"
#include "net/offload.hpp"
#include "smtp/server/error_map.hpp"
#include "smtp/server/recipient_cache.hpp"

namespace tegami::smtp::server {

namespace {

// Remote recipient domains a submission session remembers (a message to many domains still
// works, later ones just ask the store each time).
constexpr size_t kRemoteDomainsKept = 32;

struct Resolved {
  Result<store::Account> account = make_error(Errc::kInternal, "not resolved");
  Status quota;
};

Resolved resolve(store::Store& st, const std::string& address, int64_t size) {
  Resolved r;
  if (address.empty()) {
    // "<Postmaster>" without a domain (RFC 5321 §4.1.1.3): the postmaster of any domain of ours.
    r.account = make_error(Errc::kNotFound, "");
    auto domains = st.list_domains();
    if (domains) {
      for (const auto& d : *domains) {
        if (d.alias_of != 0) continue;
        auto a = account::resolve_recipient(st, "postmaster@" + d.name);
        if (a) {
          r.account = std::move(a);
          break;
        }
      }
    }
  } else {
    r.account = account::resolve_recipient(st, address);
  }
  if (r.account) r.quota = account::check_quota(st, r.account->id, size);
  return r;
}

}  // namespace

asio::awaitable<void> Session::on_rcpt(const proto::Command& c) {
  if (!tx_) {
    reply(503, "5.5.1", "Need MAIL before RCPT");
    co_return;
  }
  if (tx_->bdat) {
    reply(503, "5.5.1", "RCPT is not allowed after BDAT has started");
    co_return;
  }
  // The server's limit (LIMITS RCPTMAX), or the signed-in account's plan's when lower.
  uint64_t max = ctx_.max_recipients;
  if (user_) {
    int64_t plan = ctx_.send_policy.recipients_per_message_for(user_->plan);
    if (plan > 0 && static_cast<uint64_t>(plan) < max) max = static_cast<uint64_t>(plan);
  }
  if (tx_->rcpts.size() >= max) {
    reply(452, "4.5.3",
          "Too many recipients: at most " + std::to_string(max) +
              " per message; send the rest in another message");
    co_return;
  }
  const proto::Mailbox& mb = c.path.mailbox;
  const bool submission = ctx_.mode == Mode::kSubmission;
  std::string shown = proto::sanitize_echo(mb.domain.empty() ? mb.local : mb.str(), 128);
  if (mb.relay_hack()) {
    // "user%other@us", "other!user@us", "\"user@other\"@us": classic ways to make a server
    // relay. We host no such addresses, so refusing them costs nothing.
    reply(550, "5.7.1", "<" + shown + ">: relaying denied ('%', '!' and quoted '@' are refused)");
    co_return;
  }
  if (mb.address_literal) {
    if (submission) {
      reply(550, "5.1.3",
            "<" + shown + ">: mail goes to domain names, not to IP addresses in brackets");
    } else {
      reply(554, "5.7.1", "<" + shown + ">: relaying denied");
    }
    co_return;
  }
  std::string address = mb.domain.empty() ? std::string() : mb.local + "@" + mb.domain;
  const std::string domain = ascii_lower(mb.domain);
  const bool relaying = submission && user_ && ctx_.outbound;
  auto relay = [&] {
    // Another domain's recipient: queued for delivery after DATA (RFC 6409 §4: a submission
    // server relays for its authenticated users). Written as RFC 5321 wants it on the wire: a
    // local part such as "john smith" keeps its quotes.
    tx_->rcpts.push_back(Recipient{mb.str(), 0, c.rcpt});
    reply(250, "2.1.5", "Recipient OK; will be sent on to " + proto::sanitize_echo(mb.domain, 128));
  };
  if (relaying && !domain.empty() &&
      std::find(remote_domains_.begin(), remote_domains_.end(), domain) != remote_domains_.end()) {
    relay();
    co_return;
  }
  int64_t size = static_cast<int64_t>(tx_->params.size.value_or(1));
  if (size < 1) size = 1;
  const int64_t now_ms = system_clock().now_unix_ms();
  RecipientCache* cache = address.empty() ? nullptr : ctx_.recipients;
  if (cache) {
    auto a = cache->find(address, now_ms);
    if (a && (a->quota_bytes <= 0 || a->used_bytes + size <= a->quota_bytes)) {
      tx_->rcpts.push_back(Recipient{address, a->id, c.rcpt});
      reply(250, "2.1.5", "Recipient OK");
      co_return;
    }
  }
  store::Store* st = ctx_.store;
  auto fn = [st, address, size]() { return resolve(*st, address, size); };
  Resolved r = co_await net::offload(std::move(fn));
  if (!r.account) {
    switch (r.account.code()) {
      case Errc::kNotFound:
        reply(550, "5.1.1", "<" + shown + ">: no such user here");
        co_return;
      case Errc::kPerm:
        if (relaying) {
          if (remote_domains_.size() < kRemoteDomainsKept) remote_domains_.push_back(domain);
          relay();
        } else if (submission && user_) {
          reply(550, "5.7.1",
                "<" + shown +
                    ">: this server does not send mail to other domains (development mode "
                    "without [dns] forwarder)");
        } else {
          reply(554, "5.7.1", "<" + shown + ">: relaying denied");
        }
        co_return;
      case Errc::kInvalidData:  // e.g. <""@tegami.test>: no mailbox has an empty name
        reply(501, "5.1.3", "<" + shown + ">: not a valid mailbox address");
        co_return;
      default:
        reply(reply_for(r.account.error(), "rcpt"));
        co_return;
    }
  }
  if (!r.quota) {
    if (r.quota.code() == Errc::kOverQuota) {
      reply(452, "4.2.2",
            "<" + shown + ">: the recipient's mailbox is full; please try again later");
    } else {
      reply(reply_for(r.quota.error(), "rcpt"));
    }
    co_return;
  }
  if (cache) cache->put(address, *r.account, now_ms);
  tx_->rcpts.push_back(
      Recipient{address.empty() ? r.account->address : address, r.account->id, c.rcpt});
  reply(250, "2.1.5", "Recipient OK");
}

}  // namespace tegami::smtp::server
