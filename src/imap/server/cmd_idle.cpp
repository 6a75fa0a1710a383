// IDLE. RFC 2177 (IDLE, "+ idling", DONE), RFC 9051 §6.3.13; updates are pushed as they happen
// (EXISTS, EXPUNGE, FETCH FLAGS: §7.5.1 allows EXPUNGE during IDLE). The wait ends on DONE, on
// the autologout timeout, or when the session's app password is revoked (PRODUCT.md §3).
// With NOTIFY (RFC 5465 §4) the events are those NOTIFY selected (cmd_notify.cpp).
#include "imap/server/session.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_idle(proto::Command&) {
  send("+ idling\r\n");
  bool flushed = co_await conn_.flush();
  if (!flushed) {
    state_ = State::kLogout;
    co_return "";
  }
  std::string line;
  for (;;) {
    // RFC 5465 §4: with NOTIFY, IDLE sends exactly the events NOTIFY asked for.
    if (notify_) {
      co_await notify_deliver(true);
    } else {
      co_await sync(true);
    }
    if (state_ == State::kLogout) co_return "";  // the mailbox was deleted (BYE sent)
    flushed = co_await conn_.flush();
    if (!flushed) {
      state_ = State::kLogout;
      co_return "";
    }
    LineEvent ev = co_await wait_line(line, true);
    switch (ev) {
      case LineEvent::kChanged:
        continue;
      case LineEvent::kRevoked:
        send("* BYE [UNAVAILABLE] The app password of this session was revoked\r\n");
        state_ = State::kLogout;
        co_return "";
      case LineEvent::kClosed:
        if (conn_.stream().timed_out()) send("* BYE Autologout; idle for too long\r\n");
        state_ = State::kLogout;
        co_return "";
      case LineEvent::kTooLong:
        co_return "BAD Expected DONE";
      case LineEvent::kLine:
        if (proto::is_idle_done(line)) co_return "OK IDLE terminated";
        co_return "BAD Expected DONE";
    }
  }
}

}  // namespace tegami::imap::server
