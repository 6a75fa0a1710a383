// Byte I/O for the SMTP session: RFC 5321 §2.3.8 (lines), §4.5.3.1.4 (command line length),
// RFC 2920 §3 (pipelined replies), RFC 3030 §2 (exact BDAT chunks), RFC 3207 §4.2 (discard
// pipelined input at STARTTLS).
#include "smtp/server/io.hpp"

#include <array>

namespace tegami::smtp::server {

asio::awaitable<bool> Io::flush() {
  if (out_.empty()) co_return true;
  std::string data;
  data.swap(out_);
  co_return co_await stream_->write_all(data);
}

asio::awaitable<bool> Io::fill() {
  if (pos_ >= in_.size()) {
    in_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    in_.erase(0, pos_);
    pos_ = 0;
  }
  // About to wait for the client: send what we owe it first.
  bool flushed = co_await flush();
  if (!flushed) co_return false;
  std::array<char, 16 * 1024> buf;
  std::size_t n = co_await stream_->read_some(std::span<char>(buf.data(), buf.size()));
  if (n == 0) co_return false;
  in_.append(buf.data(), n);
  co_return true;
}

asio::awaitable<Io::Line> Io::read_line(std::string& line, std::size_t max) {
  line.clear();
  bool too_long = false;
  std::size_t scan = pos_;
  for (;;) {
    std::size_t nl = in_.find('\n', scan);
    if (nl != std::string::npos) {
      if (!too_long) {
        std::size_t end = nl;
        if (end > pos_ && in_[end - 1] == '\r') --end;
        if (end - pos_ > max) {
          too_long = true;
        } else {
          line.assign(in_, pos_, end - pos_);
        }
      }
      pos_ = nl + 1;
      co_return too_long ? Line::kTooLong : Line::kOk;
    }
    if (in_.size() - pos_ > max + 1) {
      // Over the limit and no end of line yet: drop it and keep discarding to the LF.
      too_long = true;
      pos_ = in_.size();
    }
    // fill() may move the unread bytes to the front: rescan only what is new.
    std::size_t scanned = in_.size() - pos_;
    bool more = co_await fill();
    if (!more) co_return Line::kClosed;
    scan = pos_ + scanned;
  }
}

asio::awaitable<bool> Io::read_data(proto::DataDecoder& d) {
  bool ok = true;
  while (ok) {
    if (pos_ < in_.size()) {
      std::size_t used = d.feed(std::string_view(in_).substr(pos_));
      pos_ += used;
      if (d.done()) break;
    }
    ok = co_await fill();
  }
  co_return ok;
}

asio::awaitable<bool> Io::read_chunk(uint64_t n, std::string* out) {
  while (n > 0) {
    if (pos_ >= in_.size()) {
      bool more = co_await fill();
      if (!more) co_return false;
    }
    std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(n, in_.size() - pos_));
    if (out != nullptr) out->append(in_, pos_, take);
    pos_ += take;
    n -= take;
  }
  co_return true;
}

asio::awaitable<bool> Io::start_tls() {
  bool flushed = co_await flush();
  if (!flushed) co_return false;
  in_.clear();
  pos_ = 0;
  co_return co_await stream_->start_tls();
}

}  // namespace tegami::smtp::server
