// DATA: RFC 5321 §4.1.1.4 (354, content, CRLF "." CRLF; the reply is for the whole message),
// §4.5.2 (dot transparency, in proto::DataDecoder), §4.4 (a Received: line is prepended),
// §6.1 (a 250 is a promise: we reply only after the delivery transaction is on stable storage),
// RFC 1870 §6.3 (552 when the content exceeds the limit, after reading it to the end),
// RFC 3030 §3 (BODY=BINARYMIME cannot use DATA).
#include "account/delivery.hpp"
#include "base/clock.hpp"
#include "base/strings.hpp"
#include "index/message_index.hpp"
#include "log/log.hpp"
#include "mailauth/dkim/keystore.hpp"
#include "net/offload.hpp"
#include "smtp/server/error_map.hpp"
#include "smtp/server/mailauth.hpp"
#include "smtp/server/received.hpp"
#include "smtp/server/session.hpp"

namespace tegami::smtp::server {

asio::awaitable<void> Session::deliver(std::string content) {
  Transaction t = std::move(*tx_);
  tx_.reset();
  if (ctx_.mode == Mode::kSubmission) {
    // The From field too must name the account's addresses (a missing From is left alone).
    int from_fields = 0;
    std::vector<std::string> from = from_addresses(content, &from_fields);
    if (from_fields > 1) {
      reply(550, "5.7.1", "The message has several From: fields; a message has one author field");
      co_return;
    }
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
  // Submission: sign with the From domain's DKIM keys when it has some (tegami dns-records
  // creates them). The outbound queue will sign the same way.
  std::string signature;
  if (ctx_.mode == Mode::kSubmission && !ctx_.dkim_key_dir.empty()) {
    std::string domain = from_domain(content);
    std::string dir = ctx_.dkim_key_dir;
    auto sign = [&content, domain, dir]() -> std::string {
      if (domain.empty()) return {};
      auto keys = mailauth::dkim::load_domain_keys(dir, domain);
      if (!keys || keys->empty()) return {};
      auto sig = mailauth::dkim::sign(content, *keys);
      return sig ? *sig : std::string();
    };
    std::string signed_with = co_await net::offload(std::move(sign));
    signature = std::move(signed_with);
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
  std::string raw = auth_header + format_received(ri) + signature + content;
  content.clear();
  content.shrink_to_fit();

  std::vector<store::Id> ids;
  for (const auto& r : t.rcpts) ids.push_back(r.account_id);
  store::Store* st = ctx_.store;
  store::ChangeHub* hub = ctx_.hub;
  int64_t now = ri.time;
  // Parsing a large message is CPU work: it runs on the worker pool with the delivery.
  std::string_view target = junk ? "\\Junk" : "";
  auto fn = [st, hub, &raw, &ids, now, target]() {
    index::MessageIndex idx = index::build(raw);
    return account::deliver_to_special(*st, hub, raw, idx, ids, now, target);
  };
  auto r = co_await net::offload(std::move(fn));
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
                               {"size", std::to_string(raw.size())},
                               {"spf", ao.spf},
                               {"dkim", ao.dkim},
                               {"dmarc", ao.dmarc},
                               {"folder", junk ? "Junk" : "INBOX"}});
  reply(250, "2.0.0", "OK " + id + " delivered");
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
