// Commands valid in several states: CAPABILITY, NOOP, LOGOUT (RFC 9051 §6.1), ID (RFC 2971),
// ENABLE (RFC 5161, RFC 9051 §6.3.1; RFC 7162 §3.2.3 QRESYNC), NAMESPACE (RFC 9051 §6.3.10),
// CHECK (RFC 3501 §6.4.1), COMPRESS (RFC 4978).
#include "imap/proto/response.hpp"
#include "imap/server/compress_stream.hpp"
#include "imap/server/session.hpp"

#include <ctime>

#include "base/strings.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_capability(proto::Command&) {
  send("* CAPABILITY " + capabilities() + "\r\n");
  co_return "OK CAPABILITY completed";
}

asio::awaitable<Session::Reply> Session::cmd_noop(proto::Command&) {
  // The updates themselves are sent by the session loop after every command (RFC 9051 §6.1.2).
  co_return "OK NOOP completed";
}

asio::awaitable<Session::Reply> Session::cmd_check(proto::Command&) {
  co_return "OK CHECK completed";
}

asio::awaitable<Session::Reply> Session::cmd_logout(proto::Command& c) {
  send("* BYE Tegami logging out\r\n");
  send(c.tag + " OK LOGOUT completed\r\n");
  state_ = State::kLogout;
  co_return "";
}

asio::awaitable<Session::Reply> Session::cmd_id(proto::Command& c) {
  const auto& a = c.as<proto::IdArgs>();
  for (const auto& [k, v] : a.fields) {
    if (iequals(k, "name") && v) {
      // Kept for the sign-in history; bounded and printable only.
      std::string name;
      for (char ch : v->substr(0, 64)) {
        if (ch >= 0x20 && ch < 0x7f) name += ch;
      }
      client_name_ = name;
    }
  }
  if (state_ != State::kNotAuth && app_password_id_ != 0 && !client_name_.empty()) {
    // ID after sign-in: the owner's app-password list still learns which client this is.
    store::Id ap = app_password_id_;
    std::string ip = conn_.stream().remote_ip();
    auto note = [&] {
      return ctx_.store->note_app_password_use(ap, static_cast<int64_t>(std::time(nullptr)), ip,
                                               client_name_);
    };
    (void)co_await blocking(note);
  }
  send("* ID (\"name\" \"Tegami\" \"vendor\" \"Tegami\")\r\n");
  co_return "OK ID completed";
}

asio::awaitable<Session::Reply> Session::cmd_enable(proto::Command& c) {
  const auto& a = c.as<proto::EnableArgs>();
  std::string enabled;
  for (const auto& cap : a.capabilities) {
    if (cap == "IMAP4REV2") {
      if (!rev2_) {
        rev2_ = true;
        enabled += " IMAP4rev2";
      }
    }
    if (cap == "CONDSTORE" && !condstore_) {
      condstore_ = true;
      enabled += " CONDSTORE";
    }
    if (cap == "QRESYNC" && !qresync_) {  // RFC 7162 §3.2.3; implies CONDSTORE
      qresync_ = true;
      condstore_ = true;
      enabled += " QRESYNC";
    }
    if (cap == "UTF8=ACCEPT" && !utf8_) {  // RFC 6855 §3
      utf8_ = true;
      enabled += " UTF8=ACCEPT";
    }
  }
  send("* ENABLED" + enabled + "\r\n");
  co_return "OK ENABLE completed";
}

// RFC 4978 §3-4: COMPRESS DEFLATE. The tagged OK goes out uncompressed; everything after it,
// both ways, is raw deflate. Input the client pipelined after the command would be
// uncompressed bytes read ahead by Conn, so such a command is refused.
asio::awaitable<Session::Reply> Session::cmd_compress(proto::Command& c) {
  const auto& a = c.as<proto::CompressArgs>();
  if (a.mechanism != "DEFLATE") co_return "BAD Unsupported compression mechanism";
  if (compress_->active()) co_return "NO [COMPRESSIONACTIVE] DEFLATE is already active";
  if (conn_.has_buffered_input()) co_return "BAD Nothing may follow COMPRESS before its reply";
  send(c.tag + " OK DEFLATE active\r\n");
  bool flushed = co_await conn_.flush();
  if (!flushed || !compress_->start()) {
    state_ = State::kLogout;  // the client now expects compressed data: nothing sane remains
  }
  co_return "";  // the tagged reply is already sent
}

asio::awaitable<Session::Reply> Session::cmd_namespace(proto::Command&) {
  send("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
  co_return "OK NAMESPACE completed";
}

}  // namespace tegami::imap::server
