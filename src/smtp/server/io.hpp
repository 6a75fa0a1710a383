// The session's byte I/O over a net::Stream: command lines, DATA content through the
// smuggling-safe proto::DataDecoder, exact BDAT chunks, and buffered replies.
//
// Why not net::Conn: Conn::read_line strips CRLF and a bare LF alike, so DATA read line by
// line cannot tell CRLF "." CRLF from LF "." LF, and accepting the latter as end of data is the
// SMTP smuggling hole (CVE-2023-51764). DATA needs the raw bytes; keeping one buffer for both
// commands and content keeps pipelined input in order.
//
// Replies are buffered and written just before the session would wait for more input, so the
// replies to a pipelined group (RFC 2920 §3) leave in one write.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/stream.hpp"
#include "smtp/proto/data_decoder.hpp"

namespace tegami::smtp::server {

namespace asio = boost::asio;

class Io {
 public:
  explicit Io(std::unique_ptr<net::Stream> s) : stream_(std::move(s)) {}

  enum class Line { kOk, kTooLong, kClosed };
  // One line without its CRLF (a bare LF also ends a command line). A line longer than `max`
  // is consumed to its end without being stored (bounded memory) and kTooLong is returned.
  asio::awaitable<Line> read_line(std::string& line, std::size_t max);
  // Feeds content to `d` until it has seen the terminator; false when the stream ends first.
  asio::awaitable<bool> read_data(proto::DataDecoder& d);
  // Reads exactly n bytes, appending them to *out, or discarding them when out is null.
  asio::awaitable<bool> read_chunk(uint64_t n, std::string* out);

  void send(std::string_view data) { out_.append(data); }
  asio::awaitable<bool> flush();

  // STARTTLS (RFC 3207 §4.2): flushes the 220, drops anything pipelined after the command
  // (CVE-2011-0411), then does the handshake.
  asio::awaitable<bool> start_tls();

  net::Stream& stream() { return *stream_; }
  const net::Stream& stream() const { return *stream_; }
  bool has_buffered_input() const { return pos_ < in_.size(); }

 private:
  asio::awaitable<bool> fill();
  std::unique_ptr<net::Stream> stream_;
  std::string in_;
  std::size_t pos_ = 0;
  std::string out_;
};

}  // namespace tegami::smtp::server
