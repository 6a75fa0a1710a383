// The SMTP client session: RFC 5321 §3.1-3.3 (greeting, EHLO with HELO fallback, mail
// transactions back to back, RSET, QUIT), §4.2 (replies), §4.5.2 (transparency), §4.5.3.2
// (timeouts); RFC 3207 (STARTTLS: the knowledge from before TLS is discarded and EHLO sent
// again); RFC 2920 (PIPELINING: MAIL, RCPTs and DATA as one group, DATA last); RFC 1870 (SIZE,
// checked here before anything is sent), RFC 6152, RFC 6531 §3.4, RFC 3461, RFC 8689 §4.2.1
// (REQUIRETLS only over a verified connection to a server that offers it).
#include "smtp/client/client.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <span>

#include "smtp/client/client_stream.hpp"
#include "smtp/client/protocol.hpp"

namespace tegami::smtp::client {

namespace {

using std::chrono::seconds;

// Pipelined groups stay below this many bytes: a client that writes without reading while the
// server writes without reading could deadlock on full TCP windows (RFC 2920 §3.1).
constexpr std::size_t kGroupBytes = 8 * 1024;
constexpr std::size_t kDataChunk = 64 * 1024;

// kOutOfStep: the server had sent bytes that no reply read so far accounts for when we were
// about to write; it answered something we never sent (a second greeting line, a reply too
// many), so each later reply would be taken as the answer to the wrong command.
enum class Fail { kNone, kTimeout, kClosed, kProtocol, kOutOfStep };

struct ReadResult {
  Reply reply;
  Fail fail = Fail::kNone;
  std::string error;  // kProtocol: what was wrong
  bool ok() const { return fail == Fail::kNone; }
};

// The local reply for a reply that never came. 4xx: the queue tries again later.
Reply io_reply(const ReadResult& r, std::string_view what) {
  std::string w(what);
  switch (r.fail) {
    case Fail::kTimeout:
      return local_reply(451, "4.4.2", "timeout waiting for the reply to " + w);
    case Fail::kProtocol:
      return local_reply(451, "4.5.0", "protocol error in the reply to " + w + ": " + r.error);
    case Fail::kOutOfStep:
      return local_reply(451, "4.5.0",
                         "protocol error: the server sent a reply before " + w + " (out of step)");
    default:
      return local_reply(451, "4.4.2", "connection lost while waiting for the reply to " + w);
  }
}

// RFC 5321 §4.2.5: a 4xx or 5xx says the command failed; any other code that is not the
// command's success reply answers some other command.
bool refusal(const Reply& r) { return r.code >= 400 && r.code < 600; }

// A reply that is neither the command's success (`expected`) nor a refusal: the server is out
// of step with us (a reply too many earlier on), so no reply on this connection can be trusted.
ReadResult unexpected(const Reply& r, std::string_view expected) {
  ReadResult out;
  out.fail = Fail::kProtocol;
  out.error = "unexpected " + r.str() + " (expected " + std::string(expected) + ")";
  return out;
}

class SmtpConnection final : public Connection {
 public:
  SmtpConnection(std::unique_ptr<ClientStream> s, const Options& o, std::string host)
      : s_(std::move(s)), opts_(o), host_(std::move(host)), ip_(s_->remote_ip()) {}
  ~SmtpConnection() override { s_->close(); }

  asio::awaitable<SendResult> send(const Envelope& env, const std::string& content) override;
  asio::awaitable<void> quit() override;

  const std::string& host() const override { return host_; }
  const std::string& ip() const override { return ip_; }
  bool tls() const override { return tls_; }
  bool tls_verified() const override { return tls_verified_; }
  std::string tls_version() const override { return tls_version_; }
  uint64_t max_size() const override { return ext_.size_limit; }
  bool dsn() const override { return ext_.dsn; }

  // Greeting, EHLO, STARTTLS, EHLO (connect()).
  asio::awaitable<Status> open(Reply* reply);

 private:
  asio::awaitable<ReadResult> read_reply(seconds timeout);
  // kOutOfStep (nothing written) when unread bytes are waiting: see Fail.
  asio::awaitable<Fail> write(std::string_view data, seconds timeout);
  asio::awaitable<ReadResult> command(std::string_view line, seconds timeout);
  asio::awaitable<Status> ehlo(Reply* reply);
  // A failed open(): a polite QUIT when the server is still talking, then close.
  asio::awaitable<Error> refuse(Errc code, std::string_view msg, const Reply& r, Reply* out);
  asio::awaitable<void> rset();
  void lost(SendResult& res, const Reply& why);
  Error io_error(const ReadResult& r, std::string_view what);

  std::unique_ptr<ClientStream> s_;
  Options opts_;
  std::string host_, ip_;
  Extensions ext_;
  std::string in_;
  std::size_t pos_ = 0;
  bool usable_ = true;
  bool quit_done_ = false;
  bool tls_ = false;
  bool tls_verified_ = false;
  std::string tls_version_;
};

asio::awaitable<ReadResult> SmtpConnection::read_reply(seconds timeout) {
  ReadResult out;
  s_->set_deadline(timeout);  // one deadline for the whole reply: no slow drip keeps us here
  ReplyReader reader(opts_.max_reply_bytes, opts_.max_reply_lines);
  for (;;) {
    for (;;) {
      std::size_t nl = in_.find('\n', pos_);
      if (nl == std::string::npos) break;
      std::size_t end = nl;
      if (end > pos_ && in_[end - 1] == '\r') --end;
      std::string_view line(in_.data() + pos_, end - pos_);
      pos_ = nl + 1;
      auto st = reader.add(line);
      if (st == ReplyReader::State::kDone) {
        out.reply = reader.take();
        co_return out;
      }
      if (st == ReplyReader::State::kError) {
        out.fail = Fail::kProtocol;
        out.error = reader.error();
        co_return out;
      }
    }
    if (reader.bytes() + (in_.size() - pos_) > opts_.max_reply_bytes) {
      out.fail = Fail::kProtocol;
      out.error = "reply longer than " + std::to_string(opts_.max_reply_bytes) + " bytes";
      co_return out;
    }
    if (pos_ == in_.size()) {
      in_.clear();
      pos_ = 0;
    } else if (pos_ > 4096) {
      in_.erase(0, pos_);
      pos_ = 0;
    }
    char buf[4096];
    std::span<char> space(buf, sizeof buf);
    std::size_t got = co_await s_->read_some(space);
    if (got == 0) {
      out.fail = s_->timed_out() ? Fail::kTimeout : Fail::kClosed;
      co_return out;
    }
    in_.append(buf, got);
  }
}

asio::awaitable<Fail> SmtpConnection::write(std::string_view data, seconds timeout) {
  // Every write comes after the replies to everything written before it were read, so bytes
  // left in `in_` were sent before the server saw this command. Only what has been read can be
  // checked; a stray reply that arrives later shows as a code the command cannot get (see
  // unexpected()).
  if (pos_ < in_.size()) co_return Fail::kOutOfStep;
  s_->set_deadline(timeout);
  bool ok = co_await s_->write_all(data);
  if (ok) co_return Fail::kNone;
  co_return s_->timed_out() ? Fail::kTimeout : Fail::kClosed;
}

asio::awaitable<ReadResult> SmtpConnection::command(std::string_view line, seconds timeout) {
  Fail w = co_await write(line, timeout);
  if (w != Fail::kNone) {
    ReadResult r;
    r.fail = w;
    co_return r;
  }
  ReadResult r = co_await read_reply(timeout);
  co_return r;
}

Error SmtpConnection::io_error(const ReadResult& r, std::string_view what) {
  usable_ = false;
  s_->close();
  return make_error(Errc::kTemporary, host_ + " [" + ip_ + "]: " + io_reply(r, what).text);
}

asio::awaitable<Error> SmtpConnection::refuse(Errc code, std::string_view msg, const Reply& r,
                                              Reply* out) {
  if (out && r.code != 0) *out = r;
  if (r.code != 421) {  // 421: the server is closing anyway
    seconds t = std::min(opts_.command_timeout, seconds(10));
    ReadResult ignored = co_await command("QUIT\r\n", t);
    (void)ignored;
  }
  usable_ = false;
  quit_done_ = true;
  s_->close();
  std::string text = host_ + " [" + ip_ + "]: " + std::string(msg);
  if (r.code != 0) text += ": " + r.str();
  co_return make_error(code, text);
}

asio::awaitable<Status> SmtpConnection::ehlo(Reply* reply) {
  std::string name = opts_.ehlo_name.empty() ? "localhost" : opts_.ehlo_name;
  std::string ehlo_line = "EHLO " + name + "\r\n";
  ReadResult r = co_await command(ehlo_line, opts_.command_timeout);
  if (!r.ok()) co_return io_error(r, "EHLO");
  // RFC 5321 §4.3.2: 250 is EHLO's only success. A 220 here is a second greeting line taken
  // for this reply, and every later reply would answer the command before it.
  if (r.reply.code == 250) {
    ext_ = parse_ehlo(r.reply);
    co_return Status{};
  }
  if (!refusal(r.reply)) co_return io_error(unexpected(r.reply, "250"), "EHLO");
  if (r.reply.code < 500) {
    Error e = co_await refuse(Errc::kTemporary, "EHLO refused", r.reply, reply);
    co_return e;
  }
  // RFC 5321 §3.2: a server that does not know EHLO answers 5xx; HELO is the fallback.
  std::string helo_line = "HELO " + name + "\r\n";
  ReadResult h = co_await command(helo_line, opts_.command_timeout);
  if (!h.ok()) co_return io_error(h, "HELO");
  if (h.reply.code == 250) {
    ext_ = Extensions{};
    co_return Status{};
  }
  if (!refusal(h.reply)) co_return io_error(unexpected(h.reply, "250"), "HELO");
  Errc code = h.reply.permanent() ? Errc::kPerm : Errc::kTemporary;
  Error e = co_await refuse(code, "EHLO and HELO refused", h.reply, reply);
  co_return e;
}

asio::awaitable<Status> SmtpConnection::open(Reply* reply) {
  ReadResult g = co_await read_reply(opts_.command_timeout);
  if (!g.ok()) co_return io_error(g, "the greeting");
  if (g.reply.code != 220) {
    // RFC 5321 §4.3.2: 220 is the greeting's only success; 554 (or a 4xx) refuses.
    if (!refusal(g.reply)) co_return io_error(unexpected(g.reply, "220"), "the greeting");
    Errc code = g.reply.permanent() ? Errc::kPerm : Errc::kTemporary;
    Error e = co_await refuse(code, "greeting refused", g.reply, reply);
    co_return e;
  }
  Status st = co_await ehlo(reply);
  if (!st) co_return st;

  const TlsOptions& t = opts_.tls;
  bool must_tls = t.policy != TlsPolicy::kOpportunistic || t.require_tls;
  bool try_tls = ext_.starttls && (must_tls || !t.skip_starttls);
  if (!try_tls) {
    if (must_tls) {
      Reply none;  // no temporaries in co_await operands (docs/development.md)
      Error e =
          co_await refuse(Errc::kTemporary, "TLS required but STARTTLS not offered", none, reply);
      co_return e;
    }
    co_return Status{};
  }
  ReadResult r = co_await command("STARTTLS\r\n", opts_.command_timeout);
  if (!r.ok()) co_return io_error(r, "STARTTLS");
  if (r.reply.code != 220) {
    if (!refusal(r.reply)) co_return io_error(unexpected(r.reply, "220"), "STARTTLS");
    if (must_tls || r.reply.code == 421) {
      Error e = co_await refuse(Errc::kTemporary, "STARTTLS refused", r.reply, reply);
      co_return e;
    }
    co_return Status{};  // opportunistic: plain text it is (RFC 3207 §4.1)
  }
  // RFC 3207 §4.2: nothing the server sent before the handshake may be used after it.
  in_.clear();
  pos_ = 0;
  ClientTlsParams p;
  p.server_name = t.verify_name;
  p.alt_names = t.verify_alt_names;
  p.ca_file = t.ca_file;
  p.tlsa = t.tlsa;
  p.verify = t.policy == TlsPolicy::kPkix   ? ClientTlsParams::Verify::kPkix
             : t.policy == TlsPolicy::kDane ? ClientTlsParams::Verify::kDane
                                            : ClientTlsParams::Verify::kNone;
  s_->set_deadline(opts_.command_timeout);
  TlsOutcome o = co_await s_->start_tls(p);
  if (!o.ok) {
    usable_ = false;
    quit_done_ = true;
    co_return make_error(Errc::kTemporary, o.error + " (" + host_ + " [" + ip_ + "])");
  }
  tls_ = true;
  tls_verified_ = o.verified;
  tls_version_ = s_->tls_version();
  ext_ = Extensions{};
  Status again = co_await ehlo(reply);
  co_return again;
}

void SmtpConnection::lost(SendResult& res, const Reply& why) {
  for (auto& r : res.rcpts)
    if (r.code == 0) r = why;
  usable_ = false;
  s_->close();
}

asio::awaitable<void> SmtpConnection::rset() {
  if (!usable_) co_return;
  ReadResult r = co_await command("RSET\r\n", opts_.command_timeout);
  if (!r.ok() || !r.reply.ok()) {
    usable_ = false;
    s_->close();
  }
}

asio::awaitable<SendResult> SmtpConnection::send(const Envelope& env, const std::string& content) {
  SendResult res;
  res.rcpts.resize(env.rcpts.size());
  auto all = [&](const Reply& r) {
    for (auto& x : res.rcpts)
      if (x.code == 0) x = r;
  };
  if (env.rcpts.empty()) {
    res.connection_usable = usable_;
    co_return res;
  }
  if (!usable_) {
    all(local_reply(451, "4.4.2", "the connection to " + host_ + " is no longer usable"));
    res.connection_usable = false;
    co_return res;
  }
  // Checks that need nothing from the server beyond its EHLO.
  if (!safe_path(env.from)) {
    all(local_reply(501, "5.1.7", "the sender address cannot be sent over SMTP"));
    co_return res;
  }
  if (env.smtputf8 && !ext_.smtputf8) {
    // RFC 6531 §3.4: no downgrade; the message cannot go to this server.
    all(local_reply(553, "5.6.7",
                    host_ + " does not support SMTPUTF8, which this message needs (UTF-8 "
                            "addresses or headers)"));
    co_return res;
  }
  if (env.requiretls && !(tls_verified_ && ext_.requiretls)) {
    // RFC 8689 §4.2.1: REQUIRETLS only over TLS with a verified certificate, to a server that
    // offers it; otherwise the message is not delivered (5.7.30, RFC 8689 §6).
    std::string why = !tls_            ? "the connection is not encrypted"
                      : !tls_verified_ ? "the server certificate was not verified"
                                       : "the server does not offer REQUIRETLS";
    all(local_reply(550, "5.7.30", "REQUIRETLS support required: " + why + " (" + host_ + ")"));
    co_return res;
  }
  uint64_t size = 0;
  std::string data = data_block(content, &size);
  if (ext_.size_limit > 0 && size > ext_.size_limit) {
    all(local_reply(552, "5.3.4",
                    "message size " + std::to_string(size) + " exceeds the limit of " +
                        std::to_string(ext_.size_limit) + " bytes of " + host_));
    co_return res;
  }
  // 8-bit content to a server without 8BITMIME is sent as it is (see README.md).

  std::vector<std::size_t> sent;  // indices into env.rcpts, in the order of the RCPTs
  std::vector<std::string> cmds;
  cmds.push_back(mail_command(env, ext_, size, env.requiretls));
  for (std::size_t i = 0; i < env.rcpts.size(); ++i) {
    if (!safe_path(env.rcpts[i].address) || env.rcpts[i].address.empty()) {
      res.rcpts[i] = local_reply(501, "5.1.3", "the recipient address cannot be sent over SMTP");
      continue;
    }
    sent.push_back(i);
    cmds.push_back(rcpt_command(env.rcpts[i], ext_));
  }
  if (sent.empty()) co_return res;
  const std::size_t data_idx = cmds.size();
  cmds.push_back("DATA\r\n");
  auto what = [&](std::size_t k) -> const char* {
    return k == 0 ? "MAIL FROM" : k == data_idx ? "DATA" : "RCPT TO";
  };
  // The server is out of step: the replies of this transaction may answer other commands (a
  // refused RCPT may be some other reply), so every recipient we sent gets `why`, and the
  // connection is closed, not reset.
  auto desync = [&](const Reply& why) {
    for (std::size_t i : sent) res.rcpts[i] = why;
    usable_ = false;
    s_->close();
    res.connection_usable = false;
  };

  std::vector<Reply> replies;
  std::vector<std::size_t> accepted;
  std::size_t next = 0;
  while (next < cmds.size()) {
    if (next > 0 && !replies[0].ok()) break;          // MAIL refused: no more commands
    if (next == data_idx && accepted.empty()) break;  // no recipient: no DATA
    std::size_t end = next + 1;
    if (ext_.pipelining) {
      std::size_t bytes = cmds[next].size();
      while (end < cmds.size() && bytes + cmds[end].size() <= kGroupBytes)
        bytes += cmds[end++].size();
    }
    std::string group;
    for (std::size_t k = next; k < end; ++k) group += cmds[k];
    ReadResult w;
    w.fail = co_await write(group, opts_.command_timeout);
    if (w.fail == Fail::kOutOfStep) {
      desync(io_reply(w, what(next)));
      co_return res;
    }
    if (!w.ok()) {
      lost(res, io_reply(w, what(next)));
      res.connection_usable = false;
      co_return res;
    }
    for (std::size_t k = next; k < end; ++k) {
      ReadResult r = co_await read_reply(opts_.command_timeout);
      if (!r.ok()) {
        lost(res, io_reply(r, what(k)));
        res.connection_usable = false;
        co_return res;
      }
      if (r.reply.code == 421) {  // the server is closing the connection
        lost(res, r.reply);
        res.connection_usable = false;
        co_return res;
      }
      if (k > 0 && k < data_idx) {
        std::size_t i = sent[k - 1];
        if (!replies[0].ok())
          res.rcpts[i] = replies[0];  // after a refused MAIL, the RCPT replies say nothing
        else if (r.reply.ok())
          accepted.push_back(i);
        else
          res.rcpts[i] = r.reply;
      }
      replies.push_back(std::move(r.reply));
    }
    next = end;
  }

  bool data_sent = replies.size() > data_idx;
  if (data_sent && replies[data_idx].code != 354 && !refusal(replies[data_idx])) {
    // RFC 5321 §4.3.2: DATA succeeds only with 354. Taking a 250 here (the reply to a RCPT,
    // one behind) as the recipients' final answer would call a message delivered whose
    // content was never sent.
    desync(io_reply(unexpected(replies[data_idx], "354"), "DATA"));
    co_return res;
  }
  bool go = data_sent && replies[0].ok() && !accepted.empty() && replies[data_idx].code == 354;
  if (!go) {
    if (!replies[0].ok()) {
      for (std::size_t i : sent) res.rcpts[i] = replies[0];  // (lockstep: no RCPT was sent)
    } else if (data_sent) {
      for (std::size_t i : accepted) res.rcpts[i] = replies[data_idx];
    }
    if (data_sent && replies[data_idx].code == 354) {
      // DATA accepted although nothing can be delivered (RFC 2920 §3.1): end it empty.
      ReadResult r = co_await command(".\r\n", opts_.final_timeout);
      if (!r.ok()) {
        usable_ = false;
        s_->close();
      }
    }
    co_await rset();
    res.connection_usable = usable_;
    co_return res;
  }

  // The content, in chunks, each with its own deadline (RFC 5321 §4.5.3.2.5: 3 min per block).
  for (std::size_t off = 0; off < data.size(); off += kDataChunk) {
    std::string_view chunk = std::string_view(data).substr(off, kDataChunk);
    ReadResult w;
    w.fail = co_await write(chunk, opts_.command_timeout);
    if (w.fail == Fail::kOutOfStep) {  // more than the 354 came
      desync(io_reply(w, "the message content"));
      co_return res;
    }
    if (!w.ok()) {
      lost(res,
           local_reply(451, "4.4.2",
                       w.fail == Fail::kTimeout ? "timeout while sending the message"
                                                : "connection lost while sending the message"));
      res.connection_usable = false;
      co_return res;
    }
  }
  ReadResult fin = co_await read_reply(opts_.final_timeout);
  if (!fin.ok()) {
    lost(res, io_reply(fin, "the end of the message"));
    res.connection_usable = false;
    co_return res;
  }
  for (std::size_t i : accepted) res.rcpts[i] = fin.reply;
  if (fin.reply.code == 421) {
    usable_ = false;
    s_->close();
  } else if (!fin.reply.ok()) {
    co_await rset();
  }
  res.connection_usable = usable_;
  co_return res;
}

asio::awaitable<void> SmtpConnection::quit() {
  if (quit_done_) co_return;
  quit_done_ = true;
  if (usable_) {
    seconds t = std::min(opts_.command_timeout, seconds(10));
    ReadResult r = co_await command("QUIT\r\n", t);
    (void)r;
  }
  usable_ = false;
  s_->close();
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<Connection>>> connect(asio::any_io_executor ex,
                                                             const std::string& ip, uint16_t port,
                                                             const Options& opts, Reply* reply) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(opts.connect_timeout);
  Result<std::unique_ptr<ClientStream>> s = co_await ClientStream::connect(ex, ip, port, ms);
  std::string host = opts.tls.verify_name.empty() ? ip : opts.tls.verify_name;
  // Every connect() error names the host and address, as the SMTP-level ones do.
  if (!s) co_return make_error(s.code(), host + " [" + ip + "]: " + s.error().message);
  auto conn = std::make_unique<SmtpConnection>(std::move(*s), opts, host);
  Status st = co_await conn->open(reply);
  if (!st) co_return st.error();
  co_return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace tegami::smtp::client
