// The IMAP session loop. RFC 9051 §2.2 (client commands, tags, continuation requests), §3
// (states), §5.2 (mailbox size and message status updates), §5.5 (pipelining), §7.1.5 (BYE),
// RFC 7888 (LITERAL+), RFC 9051 §5.4 (autologout timer).
#include "imap/server/session.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/strings.hpp"
#include "imap/proto/mailbox.hpp"
#include "imap/proto/response.hpp"
#include "imap/server/compress_stream.hpp"
#include "log/log.hpp"
#include "net/server.hpp"

namespace tegami::imap::server {

using proto::CommandType;

Session::Session(std::unique_ptr<net::Stream> stream, const Context& ctx)
    : conn_(std::make_unique<CompressStream>(std::move(stream))), ctx_(ctx) {
  compress_ = static_cast<CompressStream*>(&conn_.stream());
  proto::Limits limits;
  limits.literal_plus = true;
  limits.max_append_literal = ctx.append_limit;
  // MULTIAPPEND (RFC 3502): up to max_append_messages per command, max_append_total bytes.
  limits.max_append_total = std::max<uint64_t>(limits.max_append_total, ctx.append_limit);
  limits.max_discard_literal = std::max<uint64_t>(limits.max_discard_literal, 2 * ctx.append_limit);
  parser_ = proto::CommandParser(limits);
}

Session::~Session() {
  if (ctx_.hub) {
    if (mailbox_token_) ctx_.hub->unsubscribe(mailbox_token_);
    if (account_token_) ctx_.hub->unsubscribe(account_token_);
  }
}

bool Session::login_allowed() const {
  if (conn_.stream().tls_active()) return true;
  return ctx_.allow_login_without_tls && conn_.stream().is_loopback();
}

std::string Session::privacy_required_text() const {
  return "NO [PRIVACYREQUIRED] Sign-in needs an encrypted connection: use STARTTLS on port 143 "
         "or SSL/TLS on port 993";
}

std::string Session::capabilities() const {
  std::string c =
      "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE "
      "SPECIAL-USE CREATE-SPECIAL-USE CHILDREN LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES "
      "WITHIN STATUS=SIZE SAVEDATE OBJECTID UNAUTHENTICATE QUOTA QUOTA=RES-STORAGE CONDSTORE "
      "QRESYNC COMPRESS=DEFLATE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES ESORT "
      "PREVIEW MULTIAPPEND UTF8=ACCEPT NOTIFY CONTEXT=SEARCH CONTEXT=SORT APPENDLIMIT=" +
      std::to_string(ctx_.append_limit);
  if (state_ == State::kNotAuth) {
    const auto& s = conn_.stream();
    if (!s.tls_active() && s.can_start_tls()) c += " STARTTLS";
    c += login_allowed() ? " AUTH=PLAIN" : " LOGINDISABLED";
  }
  return c;
}

std::string Session::wire_name(const std::string& utf8) const {
  const bool u = utf8_names();
  std::string w = proto::mailbox_to_wire(utf8, u);
  bool ascii = std::all_of(w.begin(), w.end(), [](char ch) { return (ch & 0x80) == 0; });
  return ascii || !u ? proto::astring(w) : proto::quote_string_utf8(w);
}

std::optional<std::string> Session::from_wire(const std::string& name) const {
  const bool u = utf8_names();
  auto r = proto::mailbox_from_wire(name, u);
  // Leniency for IMAP4rev1 clients that send raw UTF-8 instead of modified UTF-7: a valid
  // UTF-8 name with 8-bit characters cannot be meant as modified UTF-7 anyway.
  if (!r && !u && is_valid_utf8(name) && proto::mailbox_chars_ok(name) &&
      std::any_of(name.begin(), name.end(), [](char ch) { return (ch & 0x80) != 0; })) {
    return proto::normalize_inbox(name);
  }
  return r;
}

void Session::publish(store::Id mailbox) {
  // RFC 5465 §5: no STATUS notification for a change this session made itself.
  if (notify_ && notify_->watched.count(mailbox)) notify_->own_changes.insert(mailbox);
  if (ctx_.hub) ctx_.hub->publish(mailbox);
}

void Session::watch_mailbox(store::Id mailbox) {
  if (notify_) notify_->rewatch = true;  // the selected mailbox gets no STATUS notifications
  if (mailbox_token_ && ctx_.hub) ctx_.hub->unsubscribe(mailbox_token_);
  mailbox_token_ = 0;
  if (!ctx_.hub) return;
  std::weak_ptr<Signals> weak = signals_;
  // Weak: a hub callback must not keep the cache alive (its destructor unsubscribes).
  std::weak_ptr<MailboxCache> weak_cache = ctx_.mailbox_cache;
  mailbox_token_ = ctx_.hub->subscribe(mailbox, [weak, weak_cache](store::Id m) {
    auto sig = weak.lock();
    if (!sig) return;
    // Before the wake-up: the session's sync must not take the cache's snapshot as current.
    if (auto cache = weak_cache.lock()) cache->changed(m);
    asio::post(sig->ex, [sig] {
      sig->changed = true;
      sig->timer.cancel();
    });
  });
}

void Session::leave_mailbox() {
  if (notify_) notify_->rewatch = true;
  if (mailbox_token_ && ctx_.hub) ctx_.hub->unsubscribe(mailbox_token_);
  mailbox_token_ = 0;
  view_.reset();
  contexts_.reset();  // RFC 5267 §4.3: updates end with the selection
  signals_->changed = false;
}

asio::awaitable<void> Session::reader_task() {
  auto sig = signals_;
  net::Conn::Line r = net::Conn::Line::kClosed;
  try {
    r = co_await conn_.read_line(reader_line_, kMaxLine);
  } catch (...) {
    r = net::Conn::Line::kClosed;
  }
  reader_result_ = r;
  sig->reader_done = true;
  sig->timer.cancel();
}

asio::awaitable<Session::LineEvent> Session::wait_line(std::string& line, bool wake_on_change) {
  if (signals_->revoked) co_return LineEvent::kRevoked;  // before taking another command
  if (!reader_active_) {
    reader_active_ = true;
    signals_->reader_done = false;
    asio::co_spawn(signals_->ex, reader_task(), asio::detached);
  }
  for (;;) {
    if (signals_->reader_done) {
      reader_active_ = false;
      signals_->reader_done = false;
      line.swap(reader_line_);
      switch (reader_result_) {
        case net::Conn::Line::kOk:
          co_return LineEvent::kLine;
        case net::Conn::Line::kTooLong:
          co_return LineEvent::kTooLong;
        case net::Conn::Line::kClosed:
          co_return LineEvent::kClosed;
      }
    }
    if (signals_->revoked) co_return LineEvent::kRevoked;
    if (wake_on_change && signals_->pending()) co_return LineEvent::kChanged;
    signals_->timer.expires_after(std::chrono::hours(24));
    co_await signals_->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> Session::shutdown() {
  conn_.stream().close();
  // The background reader references this session: wait until it has noticed the close.
  while (reader_active_ && !signals_->reader_done) {
    signals_->timer.expires_after(std::chrono::seconds(1));
    co_await signals_->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  reader_active_ = false;
}

asio::awaitable<void> Session::sync(bool allow_expunge, bool notify_fetch) {
  if (state_ != State::kSelected || !view_) co_return;
  signals_->changed = false;
  store::Id id = view_->id();
  // The shared snapshot, when the hub says nothing changed since it was read: no store read.
  MailboxCache& cache = *ctx_.mailbox_cache;
  SnapshotPtr next = cache.current(id);
  if (!next) {
    store::Store* st = ctx_.store;
    store::ChangeHub* hub = ctx_.hub;
    auto fn = [&] { return cache.fresh(*st, hub, id); };
    auto fresh = co_await blocking(fn);
    if (!fresh) {
      if (fresh.code() == Errc::kNotFound) {
        // Another session deleted the selected mailbox: nothing sensible remains to show.
        // (The view stays: a command in progress may still look at it; the loop then ends.)
        send("* BYE [NONEXISTENT] The selected mailbox was deleted\r\n");
        state_ = State::kLogout;
        co_return;
      }
      log::warn("imap_sync_failed", {{"error", fresh.error().message}});
      co_return;
    }
    next = std::move(*fresh);
  }
  if (!view_ || view_->shares(next) || next->modseq < view_->modseq()) co_return;
  store::Changes changes = view_->changes_to(*next);
  std::string out;
  std::vector<ContextAdds> adds;
  if (contexts_ && !contexts_->list.empty()) {
    std::string removed = co_await contexts_before(changes, &adds);
    out = std::move(removed);
  }
  uint32_t top = view_->max_uid();
  // RFC 5465 §5.1: without FlagChange for the selected mailbox, flag changes are not announced.
  bool flags = !notify_ || notify_->spec.selected_flags ||
               notify_->spec.selected == NotifySpec::Selected::kNone;
  view_->apply(changes, allow_expunge, rev2_, &out, condstore_, qresync_, flags, next);
  // RFC 7162 §3.2: while expunges are held back, a client that saw larger MODSEQs must not
  // take them as its resync point; tell it a mod-sequence below the pending expunges.
  if (qresync_ && !allow_expunge && view_->held_expunge_floor() != 0) {
    out += "* OK [HIGHESTMODSEQ " + std::to_string(view_->held_expunge_floor()) +
           "] Expunges pending\r\n";
  }
  send(out);
  if (notify_fetch && notify_ && view_->max_uid() > top) co_await notify_new_messages(top);
  if (!adds.empty()) send(contexts_after(adds));
}

asio::awaitable<void> Session::run() {
  auto ex = co_await asio::this_coro::executor;
  signals_ = std::make_shared<Signals>(ex);
  conn_.stream().set_read_timeout(ctx_.login_timeout);
  send("* OK [CAPABILITY " + capabilities() + "] Tegami ready\r\n");
  co_await conn_.flush();

  std::string line;
  while (state_ != State::kLogout) {
    // With NOTIFY (RFC 5465) events are sent while no command is in progress.
    // So are RFC 5267 context updates (never EXPUNGE without NOTIFY: RFC 9051 §7.5.1).
    bool push = notify_ != nullptr || (contexts_ && !contexts_->list.empty());
    LineEvent ev = co_await wait_line(line, push);
    if (net::Server::draining()) {
      send("* BYE [UNAVAILABLE] Server shutting down; please reconnect\r\n");
      break;
    }
    if (ev == LineEvent::kChanged) {
      if (notify_) {
        co_await notify_deliver(false);
      } else {
        co_await sync(false);
      }
      bool flushed = co_await conn_.flush();
      if (!flushed) break;
      continue;
    }
    if (ev == LineEvent::kRevoked) {
      send("* BYE [UNAVAILABLE] The app password of this session was revoked\r\n");
      break;
    }
    if (ev == LineEvent::kClosed) {
      if (conn_.stream().timed_out()) send("* BYE Autologout; idle for too long\r\n");
      break;
    }
    if (ev == LineEvent::kTooLong) {
      parser_.reset();
      send("* BAD [TOOBIG] Command line too long\r\n");
      co_await conn_.flush();
      continue;
    }
    bool closed = false, restart = false;
    proto::ParseResult r = parser_.feed_line(line);
    while (auto* need = std::get_if<proto::NeedLiteral>(&r)) {
      if (need->synchronizing) {
        send("+ Ready for literal data\r\n");
        co_await conn_.flush();
      }
      std::string data;
      const auto size = static_cast<size_t>(need->size);
      bool got = false;
      if (need->discard) {
        got = co_await conn_.skip(size);  // a refused literal of a command that failed
      } else {
        got = co_await conn_.read_exact(data, size);
      }
      if (!got) {
        closed = true;
        break;
      }
      parser_.feed_literal(std::move(data));
      auto lr = co_await conn_.read_line(line, kMaxLine);
      if (lr == net::Conn::Line::kClosed) {
        closed = true;
        break;
      }
      if (lr == net::Conn::Line::kTooLong) {
        parser_.reset();
        send("* BAD [TOOBIG] Command line too long\r\n");
        restart = true;
        break;
      }
      r = parser_.feed_line(line);
    }
    if (closed) {
      if (conn_.stream().timed_out()) send("* BYE Autologout; idle for too long\r\n");
      break;
    }
    if (restart) {
      co_await conn_.flush();
      continue;
    }
    if (auto* err = std::get_if<proto::ParseError>(&r)) {
      std::string tag = err->tag.empty() ? "*" : err->tag;
      if (err->kind == proto::ParseError::Kind::kTooBig && !err->close_connection) {
        send(tag + " NO [TOOBIG] " + err->text + "\r\n");
      } else if (err->kind == proto::ParseError::Kind::kTooBig) {
        send(tag + " BAD [TOOBIG] " + err->text + "\r\n");
      } else {
        send(tag + " BAD " + err->text + "\r\n");
      }
      if (err->close_connection) {
        send("* BYE Too much unparsable input\r\n");
        break;
      }
      co_await conn_.flush();
      continue;
    }
    co_await execute(std::get<proto::Command>(r));
    bool flushed = co_await conn_.flush();
    if (!flushed) break;
  }
  co_await conn_.flush();
  co_await shutdown();
}

asio::awaitable<void> Session::execute(proto::Command& cmd) {
  std::string reply;
  std::string failure;
  try {
    reply = co_await dispatch(cmd);
    if (state_ == State::kSelected) {
      bool no_expunge =
          !cmd.uid && (cmd.type == CommandType::kFetch || cmd.type == CommandType::kStore ||
                       cmd.type == CommandType::kSearch || cmd.type == CommandType::kSort ||
                       cmd.type == CommandType::kThread);
      // RFC 5465 §5.2: no MessageNew FETCH for the client's own APPEND, COPY or MOVE.
      bool own_add = cmd.type == CommandType::kAppend || cmd.type == CommandType::kCopy ||
                     cmd.type == CommandType::kMove;
      co_await sync(!no_expunge, !own_add);
    }
    if (notify_ && notify_->rewatch) co_await notify_rewatch(nullptr);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    std::string id = log::new_error_id();
    log::error("imap_command_failed",
               {{"id", id}, {"command", proto::command_name(cmd.type)}, {"error", failure}});
    reply = "NO [SERVERBUG] internal error, id " + id;
  }
  if (reply.empty()) co_return;  // the command wrote its own ending (LOGOUT)
  send(cmd.tag + " " + reply + "\r\n");
}

asio::awaitable<Session::Reply> Session::dispatch(proto::Command& c) {
  using T = CommandType;
  // Commands valid in any state.
  switch (c.type) {
    case T::kCapability:
      co_return co_await cmd_capability(c);
    case T::kNoop:
      co_return co_await cmd_noop(c);
    case T::kLogout:
      co_return co_await cmd_logout(c);
    case T::kId:
      co_return co_await cmd_id(c);
    default:
      break;
  }
  if (state_ == State::kNotAuth) {
    switch (c.type) {
      case T::kStartTls:
        co_return co_await cmd_starttls(c);
      case T::kLogin:
        co_return co_await cmd_login(c);
      case T::kAuthenticate:
        co_return co_await cmd_authenticate(c);
      default:
        co_return "BAD Sign in first";
    }
  }
  switch (c.type) {
    case T::kStartTls:
    case T::kLogin:
    case T::kAuthenticate:
      co_return "BAD Already signed in";
    case T::kEnable:
      co_return co_await cmd_enable(c);
    case T::kUnauthenticate:
      co_return co_await cmd_unauthenticate(c);
    case T::kCompress:
      co_return co_await cmd_compress(c);
    case T::kNotify:
      co_return co_await cmd_notify(c);
    case T::kSelect:
    case T::kExamine:
      co_return co_await cmd_select(c);
    case T::kCreate:
      co_return co_await cmd_create(c);
    case T::kDelete:
      co_return co_await cmd_delete(c);
    case T::kRename:
      co_return co_await cmd_rename(c);
    case T::kSubscribe:
    case T::kUnsubscribe:
      co_return co_await cmd_subscribe(c);
    case T::kList:
    case T::kLsub:
      co_return co_await cmd_list(c);
    case T::kNamespace:
      co_return co_await cmd_namespace(c);
    case T::kStatus:
      co_return co_await cmd_status(c);
    case T::kAppend:
      co_return co_await cmd_append(c);
    case T::kIdle:
      co_return co_await cmd_idle(c);
    case T::kGetQuota:
    case T::kGetQuotaRoot:
    case T::kSetQuota:
      co_return co_await cmd_quota(c);
    default:
      break;
  }
  bool message_command = c.type == T::kCheck || c.type == T::kClose || c.type == T::kUnselect ||
                         c.type == T::kExpunge || c.type == T::kSearch || c.type == T::kFetch ||
                         c.type == T::kStore || c.type == T::kCopy || c.type == T::kMove ||
                         c.type == T::kSort || c.type == T::kThread || c.type == T::kCancelUpdate;
  if (!message_command) co_return "BAD Command not supported";
  if (state_ != State::kSelected) co_return "BAD No mailbox selected";
  switch (c.type) {
    case T::kCheck:
      co_return co_await cmd_check(c);
    case T::kClose:
      co_return co_await cmd_close(c);
    case T::kUnselect:
      co_return co_await cmd_unselect(c);
    case T::kExpunge:
      co_return co_await cmd_expunge(c);
    case T::kSearch:
      co_return co_await cmd_search(c);
    case T::kSort:
      co_return co_await cmd_sort(c);
    case T::kThread:
      co_return co_await cmd_thread(c);
    case T::kCancelUpdate:
      co_return co_await cmd_cancelupdate(c);
    case T::kFetch:
      co_return co_await cmd_fetch(c);
    case T::kStore:
      co_return co_await cmd_store(c);
    default:
      co_return co_await cmd_copy(c);
  }
}

asio::awaitable<void> serve(std::unique_ptr<net::Stream> stream, const Context& ctx) {
  try {
    auto session = std::make_unique<Session>(std::move(stream), ctx);
    co_await session->run();
  } catch (const std::exception& e) {
    log::error("imap_session_failed", {{"error", e.what()}});
  } catch (...) {
    log::error("imap_session_failed", {{"error", "unknown exception"}});
  }
}

}  // namespace tegami::imap::server
