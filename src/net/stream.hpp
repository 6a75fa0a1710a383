// A byte stream to one client (plain TCP, TLS, or in-memory for transcript tests) and Conn,
// the buffered line/literal reader that sessions use on top of it. Sessions never see sockets.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tegami::net {

namespace asio = boost::asio;

class Stream {
 public:
  virtual ~Stream() = default;
  // Reads up to buf.size() bytes; 0 at end of stream, on error or when the read timeout
  // expires (timed_out() then says so). Never throws.
  virtual asio::awaitable<std::size_t> read_some(std::span<char> buf) = 0;
  // Waits until input has arrived (or the end of the stream, or an error) without holding a
  // buffer, so that an idle connection costs no read buffer; read_some() then seldom waits (only
  // for the rest of an incomplete TLS record). False when the read timeout expired or the stream
  // is closed. The default does not wait (streams without a socket).
  virtual asio::awaitable<bool> wait_readable() { co_return true; }
  // Writes everything; false when the peer is gone. Never throws.
  virtual asio::awaitable<bool> write_all(std::string_view data) = 0;
  // Server-side TLS handshake on this connection (STARTTLS). False on failure; the session
  // must then close.
  virtual asio::awaitable<bool> start_tls() = 0;
  virtual bool can_start_tls() const = 0;  // a certificate is configured and TLS not yet on
  virtual bool tls_active() const = 0;
  virtual std::string tls_version() const = 0;  // "TLSv1.3", "" without TLS
  virtual void set_read_timeout(std::chrono::seconds t) = 0;
  virtual bool timed_out() const = 0;
  virtual const std::string& remote_ip() const = 0;
  virtual bool is_loopback() const = 0;
  virtual void close() = 0;
};

// Buffered reading of lines and exact byte counts, and buffered writing.
class Conn {
 public:
  explicit Conn(std::unique_ptr<Stream> s);
  ~Conn();

  enum class Line { kOk, kTooLong, kClosed };
  // Reads one line, without its CRLF (a bare LF also ends a line). A line longer than `max`
  // is consumed up to its end (never stored) and kTooLong is returned.
  asio::awaitable<Line> read_line(std::string& line, std::size_t max);
  // Appends exactly n bytes to out; false if the stream ends first.
  asio::awaitable<bool> read_exact(std::string& out, std::size_t n);
  // Discards exactly n bytes (an oversized literal the server refuses); false on end.
  asio::awaitable<bool> skip(std::size_t n);

  // Raw access for content that must not be split into lines (SMTP DATA: only CRLF "." CRLF
  // ends it, so bare LFs must stay visible): what is buffered, consuming it, and reading more.
  std::string_view buffered() const { return std::string_view(in_).substr(pos_); }
  void consume(std::size_t n) { pos_ += std::min(n, in_.size() - pos_); }
  asio::awaitable<bool> read_more() { return fill(); }

  // When on, buffered output is written before every wait for input, so the replies to a
  // pipelined group leave in one write (RFC 2920 §3) without explicit flushes.
  void set_flush_before_read(bool on) { flush_before_read_ = on; }

  void send(std::string_view data) { out_.append(data); }
  std::size_t pending_output() const { return out_.size(); }
  asio::awaitable<bool> flush();  // writes what send() buffered

  // STARTTLS: writes pending output (the 220 / OK), drops anything the client pipelined after
  // the command (RFC 3207 §4.2 / CVE-2011-0411 defence), then does the handshake.
  asio::awaitable<bool> start_tls();

  Stream& stream() { return *stream_; }
  const Stream& stream() const { return *stream_; }
  bool has_buffered_input() const { return pos_ < in_.size(); }

 private:
  asio::awaitable<bool> fill();
  std::unique_ptr<Stream> stream_;
  std::string in_;
  std::size_t pos_ = 0;
  std::string out_;
  bool flush_before_read_ = false;
};

}  // namespace tegami::net
