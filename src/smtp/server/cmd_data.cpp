// DATA: RFC 5321 §4.1.1.4 (354, content, CRLF "." CRLF; the reply is for the whole message),
// §4.5.2 (dot transparency, in proto::DataDecoder), §4.4 (a Received: line is prepended),
// §6.1 (a 250 is a promise: we reply only after the delivery transaction is on stable storage),
// RFC 1870 §6.3 (552 when the content exceeds the limit, after reading it to the end),
// RFC 3030 §3 (BODY=BINARYMIME cannot use DATA).
#include <algorithm>

#include "account/delivery.hpp"
#include "account/sending.hpp"
#include "base/clock.hpp"
#include "base/strings.hpp"
#include "index/message_index.hpp"
#include "log/log.hpp"
#include "mailauth/dkim/keystore.hpp"
#include "net/offload.hpp"
#include "queue/dsn.hpp"
#include "smtp/server/error_map.hpp"
#include "smtp/server/mailauth.hpp"
#include "smtp/server/received.hpp"
#include "smtp/server/session.hpp"

namespace tegami::smtp::server {

namespace {

using Delivered = std::vector<store::Delivered>;

// Prepares a message and hands it to the store (`hand_on(done)`, which passes `done` on); if
// that throws, nothing was handed over and `done` gets kInternal, so the session still resumes.
template <class Done, class F>
void hand_on_or_fail(const Done& done, const char* what, F&& hand_on) {
  try {
    hand_on(done);
  } catch (const std::exception& e) {
    done(make_error(Errc::kInternal, std::string(what) + " failed: " + e.what()));
  }
}

// A message for INBOXes (up to store::Store::kPostedDeliveryMax) indexed here and handed to the
// store's writer without waiting for it; the session resumes when the group commit has it (or
// it failed). Indexing takes tens of microseconds (22 us for 100 KB of text), less than the hop
// to a worker thread and back that it once took above 64 KiB (docs/performance.md, 2026-11-24).
asio::awaitable<Result<Delivered>> post_to_inboxes(store::Store* st, store::ChangeHub* hub,
                                                   std::shared_ptr<store::OwnedDelivery> d) {
  auto start = [st, d](store::DeliveryDone done) {
    hand_on_or_fail(done, "delivery", [st, d](const store::DeliveryDone& done) {
      d->idx = index::build(d->raw);
      st->post_delivery(d, done);
    });
  };
  Result<Delivered> r = co_await net::await_callback<Result<Delivered>>(std::move(start));
  if (!r && r.code() == Errc::kOverQuota) {
    // Which account is full: a read, so on the worker pool (rare).
    Error from_store = r.error();
    auto name = [st, d, from_store]() {
      return account::over_quota_error(*st, d->targets, account::stored_size(d->raw), from_store,
                                       nullptr);
    };
    Error named = co_await net::offload(std::move(name));
    co_return named;
  }
  if (r) account::publish(hub, *r);
  co_return r;
}

}  // namespace

asio::awaitable<void> Session::deliver(std::string content) {
  Transaction t = std::move(*tx_);
  tx_.reset();
  // RFC 5322 §3.6: one From field. A mail app shows one of several, while the sender policy
  // (submission) or DMARC (MX) could judge another, so such a message is refused on both ports
  // before anything is stored. A message without From is left alone.
  int from_fields = 0;
  std::vector<std::string> from = from_addresses(content, &from_fields);
  if (from_fields > 1) {
    reply(550, "5.7.1", "The message has several From: fields; a message has one author field");
    co_return;
  }
  if (ctx_.mode == Mode::kSubmission) {
    // The From field too must name the account's addresses.
    for (const auto& a : from) {
      if (!sender_allowed(t.sendable, a)) {
        reply(550, "5.7.1", not_your_address_text("From:", a, t.sendable));
        co_return;
      }
    }
  }
  if (ctx_.mode == Mode::kSubmission) {
    // RFC 8601 §5 here too: a local user must not hand another one a verdict in our name.
    std::string id = ctx_.authserv_id.empty() ? ctx_.hostname : ctx_.authserv_id;
    int removed = 0;
    std::string stripped = strip_auth_results(content, id, &removed);
    if (removed > 0) content = std::move(stripped);
  }
  std::string id = hex_encode(random_bytes(6));
  net::Stream& s = io_.stream();
  ReceivedInfo ri;
  ri.helo = helo_;
  ri.remote_ip = s.remote_ip();
  ri.by = ctx_.hostname;
  ri.esmtp = esmtp_;
  ri.tls = s.tls_active();
  ri.tls_version = s.tls_version();
  ri.authenticated = user_.has_value();
  ri.smtputf8 = t.params.smtputf8;
  ri.id = id;
  if (t.rcpts.size() == 1) ri.for_rcpt = t.rcpts[0].address;
  ri.time = system_clock().now_unix();
  // MX: SPF, DKIM and DMARC (RFC 8601 §5: our own authserv-id is removed from what arrived).
  std::string auth_header;
  bool junk = false;
  AuthCheckOutcome ao;
  if (ctx_.resolver && ctx_.mode == Mode::kMx) {
    AuthCheckInput in;
    in.ip = s.remote_ip();
    in.helo = helo_;
    in.mail_from = t.from.null ? std::string() : t.from.mailbox.str();
    in.authserv_id = ctx_.authserv_id.empty() ? ctx_.hostname : ctx_.authserv_id;
    in.from = &from;  // parsed once, above
    dns::Resolver* resolver = ctx_.resolver;
    auto check = [resolver, &content, &in]() {
      AuthCheckOutcome o = check_message(*resolver, content, in);
      int removed = 0;
      std::string stripped = strip_auth_results(content, in.authserv_id, &removed);
      if (removed > 0) content = std::move(stripped);
      return o;
    };
    AuthCheckOutcome checked = co_await net::offload(std::move(check));
    ao = std::move(checked);
    auth_header = ao.header;
    junk = ao.junk && ctx_.dmarc_junk;
  }
  if (ctx_.mode == Mode::kSubmission) {
    std::string received = format_received(ri);
    std::string signing_domain = from_domain(from);  // no temporaries in co_await (g++ 12)
    co_await submit(t, std::move(received), std::move(content), std::move(signing_domain), id,
                    ri.time);
    co_return;
  }
  std::string raw = auth_header + format_received(ri) + content;
  content.clear();
  content.shrink_to_fit();
  std::vector<store::Id> ids;
  for (const auto& r : t.rcpts) ids.push_back(r.account_id);
  store::Store* st = ctx_.store;
  store::ChangeHub* hub = ctx_.hub;
  int64_t now = ri.time;
  const size_t size = raw.size();
  std::optional<Result<Delivered>> delivered;
  if (!junk && size <= store::Store::kPostedDeliveryMax) {
    auto d = std::make_shared<store::OwnedDelivery>();
    d->raw = std::move(raw);
    d->targets = account::inbox_targets(ids);
    d->internal_date = now;
    d->unique = true;  // it begins with our Received field and its new random id
    Result<Delivered> posted = co_await post_to_inboxes(st, hub, std::move(d));
    delivered.emplace(std::move(posted));
  } else {
    // Parsing a large message is CPU work: it runs on the worker pool with the delivery.
    std::string_view target = junk ? "\\Junk" : "";
    auto fn = [st, hub, &raw, &ids, now, target]() {
      index::MessageIndex idx = index::build(raw);
      return account::deliver_to_special(*st, hub, raw, idx, ids, now, target);
    };
    Result<Delivered> waited = co_await net::offload(std::move(fn));
    delivered.emplace(std::move(waited));
  }
  Result<Delivered>& r = *delivered;
  if (!r) {
    log::warn(
        "smtp_delivery_failed",
        {{"id", id}, {"conn", conn_id_}, {"code", errc_name(r.code())}, {"remote", s.remote_ip()}});
    reply(reply_for(r.error(), "deliver"));
    co_return;
  }
  ++delivered_;
  log::info("smtp_delivered", {{"id", id},
                               {"conn", conn_id_},
                               {"user", user_ ? user_->address : std::string()},
                               {"remote", s.remote_ip()},
                               {"helo", helo_},
                               {"from", t.from.null ? "<>" : t.from.mailbox.str()},
                               {"rcpts", std::to_string(t.rcpts.size())},
                               {"size", std::to_string(size)},
                               {"spf", ao.spf},
                               {"dkim", ao.dkim},
                               {"dmarc", ao.dmarc},
                               {"folder", junk ? "Junk" : "INBOX"}});
  reply(250, "2.0.0", "OK " + id + " delivered");
}

namespace {

std::string notify_text(uint8_t n) {
  using P = proto::RcptParams;
  if (n & P::kNever) return "NEVER";
  std::string out;
  for (auto [bit, name] : {std::pair{P::kSuccess, "SUCCESS"}, std::pair{P::kFailure, "FAILURE"},
                           std::pair{P::kDelay, "DELAY"}}) {
    if (!(n & bit)) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out;
}

}  // namespace

// A submission refused by the sending policy: 451 4.7.0 naming when the window frees up,
// 550 5.5.3 for more recipients than a whole window allows, or 550 5.7.1 while sending is
// suspended. Any other error, a kTooBig of the storage itself too, gets reply_for()'s reply.
void Session::reply_send_refused(const Error& e, bool suspended_now, const char* what,
                                 bool too_many_rcpts) {
  if (e.code == Errc::kLimit) {
    std::string text;
    int64_t when = account::limit_reset_time(e.message, &text);
    std::string msg = "Sending limit reached: " + text + ".";
    // Rounded up to the minute shown: at that minute the window has freed.
    if (when > 0) msg += " You can send again after " + format_utc((when + 59) / 60 * 60) + ".";
    if (suspended_now) {
      msg += " Sending is now suspended for this account; see the mail in your inbox.";
    }
    reply(451, "4.7.0", msg);
  } else if (e.code == Errc::kTooBig && too_many_rcpts) {  // no waiting makes room for it
    reply(550, "5.5.3", "Too many recipients: " + e.message);
  } else if (e.code == Errc::kPerm) {
    reply(550, "5.7.1",
          "Sending is suspended for this account (" + e.message +
              "). Receiving still works; ask your administrator to lift it");
  } else {
    reply(reply_for(e, what));
  }
}

// Submission (RFC 6409): local copies, the queue entry and the count toward the sender's daily
// limits in one transaction; 451 4.7.0 naming when the window frees up when a limit is reached.
asio::awaitable<void> Session::submit(const Transaction& t, std::string received,
                                      std::string content, std::string signing_domain,
                                      const std::string& id, int64_t now) {
  account::SendRequest req;
  req.account_id = user_->id;
  req.plan = user_->plan;
  req.env_from = t.from.null ? std::string() : t.from.mailbox.str();
  req.envid = t.params.envid;
  req.ret = t.params.ret;
  req.smtputf8 = t.params.smtputf8;
  req.requiretls = t.params.requiretls;
  req.now = now;
  for (const auto& r : t.rcpts) {
    if (r.account_id != 0) {
      req.local.push_back(r.account_id);
      continue;
    }
    std::string orcpt;
    if (!r.params.orcpt_type.empty()) orcpt = r.params.orcpt_type + ";" + r.params.orcpt;
    req.remote.push_back({r.address, notify_text(r.params.notify), orcpt});
  }
  if (!req.remote.empty() && t.params.body == proto::Body::kBinaryMime) {
    reply(554, "5.6.1",
          "BODY=BINARYMIME messages can only go to recipients on this server; send it without "
          "BINARYMIME");
    co_return;
  }
  req.eight_bit =
      t.params.body == proto::Body::k8BitMime || !is_ascii(received) || !is_ascii(content);
  store::Store* st = ctx_.store;
  store::ChangeHub* hub = ctx_.hub;
  const account::SendPolicy& policy = ctx_.send_policy;
  auto owned = std::make_shared<store::OwnedSubmission>();  // its raw is shared with the queue
  // Signed with the From domain's DKIM keys, if it has any (`tegami domain add` makes them).
  const std::string& key_dir = ctx_.dkim_key_dir;
  std::string domain = key_dir.empty() ? std::string() : std::move(signing_domain);
  const bool sign = !domain.empty() && mailauth::dkim::has_domain_keys(key_dir, domain);
  // Signing is CPU work for the worker pool, which hands the submission to the store's writer
  // and goes on. A message that needs no signature and no file of its own in the store is
  // indexed (when a mailbox here gets a copy) and handed on from here, sparing the hop to a
  // worker (50 us of the 1 ms a relayed 100 KB message takes). The session resumes from the
  // writer's callback once the commit is durable.
  const size_t size = received.size() + content.size();
  const bool here = !sign && size <= store::Store::kPostedDeliveryMax;
  auto start = [st, owned, &received, &content, &key_dir, &domain, sign, here, &req,
                &policy](store::SubmitDone done) {
    auto hand_on = [st, owned, &received, &content, &key_dir, &domain, sign, &req,
                    &policy](const store::SubmitDone& done) {
      std::string signature;
      if (sign) {
        // A domain with keys that cannot sign still sends (unsigned, as before it had keys),
        // but never silently: DMARC at the receiving end may file the message as spam.
        auto keys = mailauth::dkim::cached_domain_keys(key_dir, domain);
        if (!keys) {
          log::warn("dkim_keys_unusable", {{"domain", domain}, {"error", keys.error().message}});
        } else if (!(*keys)->empty()) {
          auto sig = mailauth::dkim::sign(content, **keys);
          if (sig)
            signature = std::move(*sig);
          else
            log::warn("dkim_sign_failed", {{"domain", domain}, {"error", sig.error().message}});
        }
      }
      owned->raw = received + signature + content;
      content.clear();
      content.shrink_to_fit();
      // Only a copy in a mailbox needs the IMAP index; the queue keeps the raw message.
      if (!req.local.empty()) owned->idx = index::build(owned->raw);
      owned->sub = account::submission_for(req, policy);
      owned->internal_date = req.now;
      owned->unique = true;  // it begins with our Received field and its new random id
      st->post_submit(owned, done);
    };
    if (here) return hand_on_or_fail(done, "submission", hand_on);
    asio::post(net::worker_pool(),
               [hand_on, done = std::move(done)] { hand_on_or_fail(done, "submission", hand_on); });
  };
  Result<store::SubmitResult> r =
      co_await net::await_callback<Result<store::SubmitResult>>(std::move(start));
  net::Stream& s = io_.stream();
  if (!r) {
    // A daily limit counts toward suspension, a full mailbox is named: store calls (rare).
    Error from_store = r.error();
    bool suspended_now = false;
    auto explain = [st, hub, owned, &policy, from_store, &suspended_now]() {
      return account::submission_refused(*st, hub, owned->sub, owned->raw, from_store, policy,
                                         &suspended_now);
    };
    Error refused = co_await net::offload(std::move(explain));
    log::warn("smtp_submission_refused", {{"id", id},
                                          {"conn", conn_id_},
                                          {"user", user_->address},
                                          {"code", errc_name(refused.code)},
                                          {"suspended_now", suspended_now ? "yes" : "no"},
                                          {"remote", s.remote_ip()}});
    reply_send_refused(refused, suspended_now, "deliver",
                       account::more_recipients_than_a_window(owned->sub));
    co_return;
  }
  account::publish(hub, r->delivered);
  owned->idx = index::MessageIndex{};  // stored; the queue keeps only the raw message
  std::shared_ptr<const std::string> raw(owned, &owned->raw);
  const store::Id queue_id = r->queue_id();
  if (r->queued && ctx_.on_queued) ctx_.on_queued(std::move(*r->queued), raw);
  co_await report_local_success(t, *raw, now);
  ++delivered_;
  log::info("smtp_submitted", {{"id", id},
                               {"conn", conn_id_},
                               {"user", user_->address},
                               {"remote", s.remote_ip()},
                               {"from", req.env_from.empty() ? "<>" : req.env_from},
                               {"local", std::to_string(req.local.size())},
                               {"queued", std::to_string(req.remote.size())},
                               {"queue_id", std::to_string(queue_id)},
                               {"size", std::to_string(raw->size())}});
  reply(250, "2.0.0", "OK " + id + (req.remote.empty() ? " delivered" : " queued for delivery"));
  const store::Submission& sub = owned->sub;
  if (account::needs_limit_warning(sub, *r)) {
    // The owner's warning mail at 80 % of a daily limit (at most once per window), after the
    // reply: the message is durable, the client need not wait for another commit.
    co_await io_.flush();
    const std::string& hostname = ctx_.send_policy.hostname;
    auto warn = [st, hub, &sub, &r, &hostname, now]() {
      return account::warn_near_limit(*st, hub, sub.account_id, *sub.limits, *r->usage, hostname,
                                      now);
    };
    Status warned = co_await net::offload(std::move(warn));
    if (!warned)
      log::warn("send_warning_failed", {{"conn", conn_id_}, {"error", warned.error().message}});
  }
}

// DSN NOTIFY=SUCCESS for recipients on this server (RFC 3461 §6.2: the final delivery reports
// "delivered"): one report in the sender's INBOX. Remote recipients are reported by the queue.
asio::awaitable<void> Session::report_local_success(const Transaction& t, const std::string& raw,
                                                    int64_t now) {
  if (t.from.null) co_return;
  std::vector<queue::DsnRecipient> done;
  for (const auto& r : t.rcpts) {
    if (r.account_id == 0 || !(r.params.notify & proto::RcptParams::kSuccess)) continue;
    queue::DsnRecipient d;
    d.final_recipient = r.address;
    if (!r.params.orcpt_type.empty())
      d.original_recipient = r.params.orcpt_type + ";" + r.params.orcpt;
    d.action = "delivered";
    d.status = "2.0.0";
    d.last_attempt = now;
    done.push_back(std::move(d));
  }
  if (done.empty()) co_return;
  queue::DsnInput in;
  in.kind = queue::DsnKind::kSuccess;
  in.reporting_mta = ctx_.hostname;
  in.from = "MAILER-DAEMON@" + ctx_.hostname;
  in.to = t.from.mailbox.str();
  in.envid = t.params.envid;
  in.arrival = now;
  in.now = now;
  in.rcpts = std::move(done);
  in.original = raw;
  in.headers_only = t.params.ret != "FULL";
  in.message_size = static_cast<int64_t>(ctx_.max_message_size);
  store::Store* st = ctx_.store;
  store::ChangeHub* hub = ctx_.hub;
  store::Id sender = user_->id;
  auto fn = [st, hub, &in, sender, now]() {
    std::string report = queue::compose_dsn(in);
    return account::deliver_to_inboxes(*st, hub, report, index::build(report), {sender}, now);
  };
  auto r = co_await net::offload(std::move(fn));
  if (!r)
    log::warn("smtp_success_report_failed", {{"conn", conn_id_}, {"error", r.error().message}});
}

// Feeds raw bytes to the decoder (never lines: a bare LF must not end a line here, RFC 5321
// §4.1.1.4 and the smuggling class CVE-2023-51764) until it has seen CRLF "." CRLF; what
// follows the terminator stays buffered for the next command.
asio::awaitable<bool> Session::read_content(proto::DataDecoder& d) {
  for (;;) {
    std::string_view in = io_.buffered();
    if (!in.empty()) {
      io_.consume(d.feed(in));
      if (d.done()) co_return true;
    }
    bool more = co_await io_.read_more();
    if (!more) co_return false;
  }
}

asio::awaitable<void> Session::on_data(const proto::Command&) {
  if (!tx_) {
    reply(503, "5.5.1", "Need MAIL and RCPT before DATA");
    co_return;
  }
  if (tx_->rcpts.empty()) {
    reply(554, "5.5.1", "No valid recipients");
    co_return;
  }
  if (tx_->bdat) {
    reply(503, "5.5.1", "DATA cannot follow BDAT in the same message");
    co_return;
  }
  if (tx_->params.body == proto::Body::kBinaryMime) {
    reply(503, "5.5.1", "BODY=BINARYMIME needs BDAT, not DATA");
    co_return;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  ctx_.store->expect_write();
  proto::DataDecoder d(ctx_.max_message_size);
  bool ok = co_await read_content(d);
  if (!ok) {
    // Disconnected or timed out inside the content: nothing was accepted.
    reset_transaction();
    if (io_.stream().timed_out())
      reply(421, "4.4.2", ctx_.hostname + " Timeout while receiving the message; closing");
    close_ = true;
    co_return;
  }
  if (d.too_big()) {
    reset_transaction();
    reply(552, "5.3.4", too_big_text(ctx_.max_message_size));
    co_return;
  }
  co_await deliver(d.take());
}

}  // namespace tegami::smtp::server
