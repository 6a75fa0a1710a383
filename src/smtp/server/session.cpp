// The SMTP server session: RFC 5321 §3.1 (greeting), §4.1.4 (order of commands), §4.2 (replies),
// §4.5.3.2 (timeouts), RFC 2920 (pipelining), RFC 2034 (enhanced status codes in replies).
#include "smtp/server/session.hpp"

#include <exception>

#include "base/clock.hpp"
#include "base/strings.hpp"
#include "log/log.hpp"
#include "net/server.hpp"
#include "smtp/proto/limits.hpp"

namespace tegami::smtp::server {

Session::Session(std::unique_ptr<net::Stream> s, const Context& ctx)
    : io_(std::move(s)), ctx_(ctx), conn_id_(hex_encode(random_bytes(4))) {
  io_.set_flush_before_read(true);
}

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  reply(proto::make_reply(code, enhanced, text));
}

void Session::reply(const proto::Reply& r) {
  if (r.code >= 500) ++errors_;
  io_.send(r.wire());
}

bool Session::auth_allowed() const {
  if (ctx_.mode != Mode::kSubmission || ctx_.auth == nullptr) return false;
  const net::Stream& s = io_.stream();
  return s.tls_active() || (ctx_.allow_auth_without_tls && s.is_loopback());
}

namespace {

// A web browser or HTTP client talking to the SMTP port (cross-protocol requests): no reason to
// keep the connection.
bool looks_like_http(std::string_view line) {
  for (std::string_view m : {"GET ", "POST ", "HEAD ", "PUT ", "CONNECT ", "OPTIONS "})
    if (line.substr(0, m.size()) == m) return true;
  return false;
}

}  // namespace

asio::awaitable<void> Session::dispatch(const proto::Command& c) {
  using proto::Verb;
  switch (c.verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
      co_await on_ehlo(c);
      break;
    case Verb::kMail:
      co_await on_mail(c);
      break;
    case Verb::kRcpt:
      co_await on_rcpt(c);
      break;
    case Verb::kData:
      co_await on_data(c);
      break;
    case Verb::kBdat:
      co_await on_bdat(c);
      break;
    case Verb::kStartTls:
      co_await on_starttls(c);
      break;
    case Verb::kAuth:
      co_await on_auth(c);
      break;
    default:
      on_simple(c);
      break;
  }
}

asio::awaitable<void> Session::run() {
  net::Stream& stream = io_.stream();
  stream.set_read_timeout(ctx_.timeout);
  const char* mode = ctx_.mode == Mode::kMx ? "mx" : "submission";
  log::debug("smtp_connect", {{"conn", conn_id_}, {"mode", mode}, {"remote", stream.remote_ip()}});
  reply(220, "", ctx_.hostname + " ESMTP Tegami");
  std::string line;
  while (!close_) {
    net::Conn::Line got = co_await io_.read_line(line, proto::kMaxCommandLine);
    if (got == net::Conn::Line::kClosed) {
      if (stream.timed_out()) {
        reply(421, "4.4.2",
              ctx_.hostname + " Timeout: no command for too long; closing connection");
      }
      break;
    }
    if (net::Server::draining()) {
      reply(421, "4.3.2", ctx_.hostname + " Service shutting down; please try again later");
      break;
    }
    if (got == net::Conn::Line::kTooLong) {
      reply(500, "5.5.2", "Line too long (at most 2048 bytes per command)");
    } else if (looks_like_http(line)) {
      reply(421, "4.7.0", ctx_.hostname + " This is an SMTP server, not a web server; closing");
      break;
    } else {
      proto::ParseOptions opt;
      opt.rcpt_utf8 = tx_ && tx_->params.smtputf8;
      auto parsed = proto::parse_command(line, opt);
      if (auto* err = std::get_if<proto::SyntaxError>(&parsed)) {
        if (iequals(line.substr(0, line.find(' ')), "BDAT")) {
          // We cannot know how many bytes of chunk data follow: the stream cannot be resynced.
          reply(421, "4.5.0", "Malformed BDAT command (syntax: BDAT <size> [LAST]); closing");
          break;
        }
        reply(err->reply);
      } else {
        const auto& cmd = std::get<proto::Command>(parsed);
        bool failed = false;
        std::string what;
        try {
          co_await dispatch(cmd);
        } catch (const std::exception& e) {
          failed = true;
          what = e.what();
        } catch (...) {
          failed = true;
          what = "unknown exception";
        }
        if (failed) {
          std::string id = log::new_error_id();
          log::error("smtp_command_failed", {{"id", id},
                                             {"conn", conn_id_},
                                             {"command", proto::verb_name(cmd.verb)},
                                             {"error", what}});
          reset_transaction();
          reply(451, "4.3.0", "Internal error, id " + id + "; please try again later");
        }
      }
    }
    if (errors_ >= kMaxErrors && !close_) {
      reply(421, "4.7.0", ctx_.hostname + " Too many errors; closing connection");
      break;
    }
  }
  co_await io_.flush();
  stream.close();
  log::debug("smtp_disconnect", {{"conn", conn_id_},
                                 {"mode", mode},
                                 {"remote", stream.remote_ip()},
                                 {"delivered", std::to_string(delivered_)},
                                 {"errors", std::to_string(errors_)}});
}

asio::awaitable<void> serve(std::unique_ptr<net::Stream> stream, const Context& ctx) {
  try {
    Session s(std::move(stream), ctx);
    co_await s.run();
  } catch (const std::exception& e) {
    log::error("smtp_session_failed", {{"error", e.what()}});
  } catch (...) {
    log::error("smtp_session_failed", {{"error", "unknown exception"}});
  }
}

}  // namespace tegami::smtp::server
