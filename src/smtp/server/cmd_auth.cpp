// AUTH: RFC 4954 §4 (exchange, "*" cancels, 334 continuations, initial response, "=" for an
// empty one), §6 (235, 535 5.7.8, 454 4.7.0, 530 5.7.0, 538), RFC 4616 (PLAIN), the LOGIN
// mechanism as used by Outlook (draft-murchison-sasl-login), RFC 3207 §4 / PRODUCT.md §1
// (never before TLS, except loopback in development mode), RFC 6409 (submission only).
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth/authenticator.hpp"
#include "base/strings.hpp"
#include "log/log.hpp"
#include "net/offload.hpp"
#include "smtp/proto/limits.hpp"
#include "smtp/server/session.hpp"

namespace tegami::smtp::server {

namespace {

void wipe(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

std::optional<std::string> decode(std::string_view text) {
  if (text == "=") return std::string();
  return base64_decode(text);
}

}  // namespace

// Sends a 334 challenge and reads the response line: 0 = disconnected, 1 = too long, 2 = ok.
asio::awaitable<int> Session::ask_sasl(std::string& line, std::string_view challenge) {
  reply(334, "", challenge);
  net::Conn::Line got = co_await io_.read_line(line, proto::kMaxCommandLine);
  if (got == net::Conn::Line::kClosed) co_return 0;
  if (got == net::Conn::Line::kTooLong) co_return 1;
  co_return 2;
}

asio::awaitable<void> Session::on_auth(const proto::Command& c) {
  if (ctx_.mode != Mode::kSubmission || ctx_.auth == nullptr) {
    reply(502, "5.5.1",
          "AUTH is not available on this port (mail from other servers only); mail apps send "
          "on port 587 (STARTTLS) or 465 (SSL/TLS)");
    co_return;
  }
  if (helo_.empty()) {
    reply(503, "5.5.1", "Send EHLO first");
    co_return;
  }
  if (user_) {
    reply(503, "5.5.1", "Already authenticated");
    co_return;
  }
  if (tx_) {
    reply(503, "5.5.1", "AUTH is not allowed during a mail transaction");
    co_return;
  }
  if (!auth_allowed()) {
    reply(530, "5.7.0",
          "Must issue a STARTTLS command first: in your mail app set the outgoing server's "
          "security to STARTTLS (port 587) or SSL/TLS (port 465)");
    co_return;
  }
  if (c.arg != "PLAIN" && c.arg != "LOGIN") {
    reply(504, "5.5.4", "Unrecognized authentication mechanism; use PLAIN or LOGIN");
    co_return;
  }

  std::string line;

  std::string user, pass, authz;
  bool bad = false, cancelled = false;
  if (c.arg == "PLAIN") {
    std::string resp;
    if (c.has_initial) {
      resp = c.initial;
    } else {
      int got = co_await ask_sasl(line, "");
      if (got == 0) {
        close_ = true;
        co_return;
      }
      if (got == 1) bad = true;
      resp = line;
    }
    if (resp == "*") cancelled = true;
    if (!bad && !cancelled) {
      auto dec = decode(resp);
      wipe(resp);
      if (!dec) {
        bad = true;
      } else {
        // authzid NUL authcid NUL passwd (RFC 4616 §2)
        std::size_t a = dec->find('\0');
        std::size_t b = a == std::string::npos ? a : dec->find('\0', a + 1);
        if (b == std::string::npos) {
          bad = true;
        } else {
          authz = dec->substr(0, a);
          user = dec->substr(a + 1, b - a - 1);
          pass = dec->substr(b + 1);
        }
        wipe(*dec);
      }
    }
  } else {  // LOGIN
    std::optional<std::string> u;
    if (c.has_initial) {
      u = decode(c.initial);
    } else {
      int got = co_await ask_sasl(line, "VXNlcm5hbWU6");  // "Username:"
      if (got == 0) {
        close_ = true;
        co_return;
      }
      if (got == 1) bad = true;
      if (line == "*") cancelled = true;
      if (!bad && !cancelled) u = decode(line);
    }
    if (!bad && !cancelled && !u) bad = true;
    if (!bad && !cancelled) {
      user = *u;
      int got = co_await ask_sasl(line, "UGFzc3dvcmQ6");  // "Password:"
      if (got == 0) {
        close_ = true;
        co_return;
      }
      if (got == 1) bad = true;
      if (line == "*") cancelled = true;
      if (!bad && !cancelled) {
        auto p = decode(line);
        if (!p)
          bad = true;
        else
          pass = std::move(*p);
      }
      wipe(line);
    }
  }
  if (cancelled) {
    reply(501, "5.0.0", "Authentication cancelled");
    co_return;
  }
  if (bad) {
    reply(501, "5.5.2", "Cannot decode the authentication response (base64 expected)");
    co_return;
  }

  net::Stream& s = io_.stream();
  auth::LoginContext lc;
  lc.protocol = "smtp";
  lc.remote_ip = s.remote_ip();
  lc.tls = s.tls_active();
  lc.tls_version = s.tls_version();
  lc.client_name = helo_;
  lc.authzid = authz;
  auth::Authenticator* a = ctx_.auth;
  auth::LoginResult r;
  if (!user.empty()) {
    auto fn = [a, &user, &pass, &lc]() { return a->login(user, pass, lc); };
    r = co_await net::offload(std::move(fn));
  }
  wipe(pass);
  switch (r.status) {
    case auth::LoginStatus::kOk:
      user_ = r.account;
      sender_check_.reset();  // what another account could send as is no guide for this one
      remote_domains_.clear();
      log::info("smtp_auth_ok", {{"conn", conn_id_}, {"user", r.account.address}});
      reply(235, "2.7.0", "Authentication successful");
      co_return;
    case auth::LoginStatus::kThrottled:
      reply(454, "4.7.0",
            "Too many failed sign-ins from your address; please wait a few minutes and try again");
      co_return;
    case auth::LoginStatus::kFailed:
      break;
  }
  if (r.delay_ms > 0) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    timer.expires_after(std::chrono::milliseconds(r.delay_ms));
    co_await timer.async_wait(asio::use_awaitable);
  }
  reply(535, "5.7.8", auth::kLoginFailedText);
}

}  // namespace tegami::smtp::server
