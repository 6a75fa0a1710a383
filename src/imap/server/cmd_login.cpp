// Signing in. RFC 9051 §6.2.1 (STARTTLS), §6.2.2 (AUTHENTICATE), §6.2.3 (LOGIN), §7.1
// (LOGINDISABLED, PRIVACYREQUIRED via RFC 5530), RFC 4616 (PLAIN), RFC 4959 (SASL-IR),
// PRODUCT.md §1-3 (no sign-in before TLS, app passwords, throttling, revocation), RFC 8437
// (UNAUTHENTICATE).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/strings.hpp"
#include "imap/server/session.hpp"
#include "log/log.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_starttls(proto::Command& c) {
  if (conn_.stream().tls_active()) co_return "BAD TLS is already active";
  if (!conn_.stream().can_start_tls()) co_return "NO [UNAVAILABLE] TLS is not available";
  send(c.tag + " OK Begin TLS negotiation now\r\n");
  // (g++ 12: no co_await inside || / && operands; each on its own statement.)
  bool ok = co_await conn_.flush();
  if (ok) ok = co_await conn_.start_tls();
  if (!ok) {
    log::info("imap_starttls_failed", {{"remote", conn_.stream().remote_ip()}});
    state_ = State::kLogout;
    co_return "";
  }
  parser_.reset();
  co_return "";
}

asio::awaitable<Session::Reply> Session::cmd_login(proto::Command& c) {
  if (!login_allowed()) co_return privacy_required_text();
  const auto& a = c.as<proto::LoginArgs>();
  co_return co_await finish_login(a.user, a.password);
}

asio::awaitable<Session::Reply> Session::cmd_authenticate(proto::Command& c) {
  const auto& a = c.as<proto::AuthenticateArgs>();
  if (a.mechanism != "PLAIN") co_return "NO [CANNOT] Unsupported authentication mechanism";
  if (!login_allowed()) co_return privacy_required_text();
  std::string response;
  if (a.initial_response) {
    response = *a.initial_response;
  } else {
    send("+ \r\n");
    co_await conn_.flush();
    auto lr = co_await conn_.read_line(response, kMaxLine);
    if (lr == net::Conn::Line::kClosed) {
      state_ = State::kLogout;
      co_return "";
    }
    if (lr == net::Conn::Line::kTooLong) co_return "BAD [TOOBIG] Authentication response too long";
  }
  if (response == "*") co_return "BAD Authentication cancelled";
  std::string decoded;
  if (response != "=") {
    auto d = base64_decode(trim(response));
    if (!d) co_return "BAD Invalid base64 in the authentication response";
    decoded = std::move(*d);
  }
  // authzid NUL authcid NUL passwd (RFC 4616 §2).
  size_t n1 = decoded.find('\0');
  size_t n2 = n1 == std::string::npos ? n1 : decoded.find('\0', n1 + 1);
  if (n2 == std::string::npos) co_return "BAD Malformed PLAIN response";
  std::string authzid = decoded.substr(0, n1);
  std::string user = decoded.substr(n1 + 1, n2 - n1 - 1);
  std::string pass = decoded.substr(n2 + 1);
  co_return co_await finish_login(user, pass, authzid);
}

asio::awaitable<Session::Reply> Session::finish_login(std::string_view user,
                                                      std::string_view password,
                                                      std::string_view authzid) {
  auth::LoginContext lctx;
  lctx.authzid = authzid;  // any form of the user's own name; another account is refused
  lctx.protocol = "imap";
  lctx.remote_ip = conn_.stream().remote_ip();
  lctx.tls = conn_.stream().tls_active();
  lctx.tls_version = conn_.stream().tls_version();
  lctx.client_name = client_name_;
  auto fn = [&] { return ctx_.auth->login(user, password, lctx); };
  auth::LoginResult r = co_await blocking(fn);
  if (r.status == auth::LoginStatus::kThrottled) {
    co_return "NO [UNAVAILABLE] Too many failed sign-ins from your address; try again later";
  }
  if (r.status != auth::LoginStatus::kOk) {
    if (r.delay_ms > 0) {
      asio::steady_timer t(signals_->ex, std::chrono::milliseconds(r.delay_ms));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (r.other_authzid)
      co_return "NO [AUTHORIZATIONFAILED] Signing in as another user is not supported";
    co_return "NO [AUTHENTICATIONFAILED] " + std::string(auth::kLoginFailedText);
  }
  account_ = r.account;
  app_password_id_ = r.app_password_id;
  signals_->app_password_id = r.app_password_id;
  state_ = State::kAuth;
  conn_.stream().set_read_timeout(ctx_.idle_timeout);
  if (ctx_.hub) {
    std::weak_ptr<Signals> weak = signals_;
    account_token_ = ctx_.hub->subscribe_account(account_.id, [weak](store::Id ap) {
      auto sig = weak.lock();
      if (!sig) return;
      asio::post(sig->ex, [sig, ap] {
        if (sig->app_password_id != 0 && (ap == 0 || ap == sig->app_password_id)) {
          sig->revoked = true;
          sig->timer.cancel();
        }
      });
    });
  }
  log::info("imap_login", {{"account", account_.address}, {"remote", conn_.stream().remote_ip()}});
  co_return "OK [CAPABILITY " + capabilities() + "] Signed in";
}

// RFC 8437 §3: back to the not authenticated state. The selected mailbox is closed without
// expunging, everything ENABLEd is forgotten, and the account's notifications stop; TLS stays.
asio::awaitable<Session::Reply> Session::cmd_unauthenticate(proto::Command&) {
  if (state_ == State::kSelected) leave_mailbox();
  notify_stop();  // NOTIFY (RFC 5465) belongs to the account's session
  if (account_token_ && ctx_.hub) ctx_.hub->unsubscribe(account_token_);
  account_token_ = 0;
  log::info("imap_unauthenticate", {{"account", account_.address}});
  account_ = store::Account{};
  app_password_id_ = 0;
  signals_->app_password_id = 0;
  rev2_ = false;
  utf8_ = false;
  condstore_ = false;
  qresync_ = false;
  state_ = State::kNotAuth;
  conn_.stream().set_read_timeout(ctx_.login_timeout);
  co_return "OK [CAPABILITY " + capabilities() + "] Signed out; sign in again";
}

}  // namespace tegami::imap::server
