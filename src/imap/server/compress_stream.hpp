// COMPRESS=DEFLATE (RFC 4978): a net::Stream around the connection's stream that passes bytes
// through until start(), then inflates what it reads and deflates what it writes (raw deflate,
// RFC 1951, no zlib header). Every write ends with Z_SYNC_FLUSH, so each Conn::flush() reaches
// the client whole (RFC 4978 §4). Internal to imap/server.
#pragma once

#include <memory>
#include <string>

#include "net/stream.hpp"

namespace tegami::imap::server {

class CompressStream final : public net::Stream {
 public:
  explicit CompressStream(std::unique_ptr<net::Stream> inner);
  ~CompressStream() override;

  // Switches compression on for both directions; false if zlib could not be set up.
  bool start();
  bool active() const { return z_ != nullptr; }

  net::asio::awaitable<std::size_t> read_some(std::span<char> buf) override;
  net::asio::awaitable<bool> wait_readable() override;
  net::asio::awaitable<bool> write_all(std::string_view data) override;
  net::asio::awaitable<bool> start_tls() override;
  bool can_start_tls() const override { return inner_->can_start_tls(); }
  bool tls_active() const override { return inner_->tls_active(); }
  std::string tls_version() const override { return inner_->tls_version(); }
  void set_read_timeout(std::chrono::seconds t) override { inner_->set_read_timeout(t); }
  bool timed_out() const override { return inner_->timed_out(); }
  const std::string& remote_ip() const override { return inner_->remote_ip(); }
  bool is_loopback() const override { return inner_->is_loopback(); }
  void close() override { inner_->close(); }

 private:
  struct Zlib;
  std::unique_ptr<net::Stream> inner_;
  std::unique_ptr<Zlib> z_;
  bool broken_ = false;  // a corrupt compressed stream from the client: reads end
};

}  // namespace tegami::imap::server
