#include <boost/asio/awaitable.hpp>

#include "net/stream.hpp"

namespace tegami::net {

Conn::Conn(std::unique_ptr<Stream> s) : stream_(std::move(s)) {}
Conn::~Conn() = default;

namespace {

// Read size: one TLS record's worth. The buffer exists only while input is being read.
constexpr std::size_t kReadChunk = 16 * 1024;
// Output buffers up to this size are kept between flushes; larger ones are released, so that an
// idle connection does not keep the buffer of its largest response.
constexpr std::size_t kKeepOutput = 4 * 1024;

}  // namespace

asio::awaitable<bool> Conn::fill() {
  if (pos_ > 0 && pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  } else if (pos_ > 16 * 1024) {
    in_.erase(0, pos_);
    pos_ = 0;
  }
  if (flush_before_read_) {
    bool ok = co_await flush();
    if (!ok) co_return false;
  }
  // Nothing buffered: release the buffer before waiting, so that an idle connection (IMAP
  // IDLE, a slow client) holds none. The wait itself holds no buffer either.
  if (in_.empty()) std::string().swap(in_);
  bool ready = co_await stream_->wait_readable();
  if (!ready) co_return false;
  std::size_t old = in_.size();
  in_.resize(old + kReadChunk);
  std::size_t n = co_await stream_->read_some(std::span<char>(in_.data() + old, kReadChunk));
  in_.resize(old + n);
  if (in_.empty()) std::string().swap(in_);  // the end: closing sessions keep no buffer either
  co_return n > 0;
}

asio::awaitable<Conn::Line> Conn::read_line(std::string& line, std::size_t max) {
  line.clear();
  bool too_long = false;
  for (;;) {
    std::size_t nl = in_.find('\n', pos_);
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
      // Over the limit without an end of line: drop what we have and keep discarding.
      too_long = true;
      pos_ = in_.size();
    }
    bool more = co_await fill();
    if (!more) co_return Line::kClosed;
  }
}

asio::awaitable<bool> Conn::read_exact(std::string& out, std::size_t n) {
  while (n > 0) {
    if (pos_ == in_.size()) {
      bool more = co_await fill();
      if (!more) co_return false;
    }
    std::size_t take = std::min(n, in_.size() - pos_);
    out.append(in_, pos_, take);
    pos_ += take;
    n -= take;
  }
  co_return true;
}

asio::awaitable<bool> Conn::skip(std::size_t n) {
  while (n > 0) {
    if (pos_ == in_.size()) {
      bool more = co_await fill();
      if (!more) co_return false;
    }
    std::size_t take = std::min(n, in_.size() - pos_);
    pos_ += take;
    n -= take;
  }
  co_return true;
}

asio::awaitable<bool> Conn::flush() {
  if (out_.empty()) co_return true;
  std::string data;
  data.swap(out_);
  bool ok = co_await stream_->write_all(data);
  if (data.capacity() <= kKeepOutput) {  // keep a modest buffer, release large ones
    data.clear();
    out_.swap(data);
  }
  co_return ok;
}

asio::awaitable<bool> Conn::start_tls() {
  bool ok = co_await flush();
  if (!ok) co_return false;
  in_.clear();
  pos_ = 0;
  co_return co_await stream_->start_tls();
}

}  // namespace tegami::net
