// In-memory Stream for session transcript tests: serves a fixed client input (optionally one
// byte at a time), records everything the server writes, then reports end of stream.
#pragma once

#include <string>

#include "net/stream.hpp"

namespace tegami::net {

class MemoryStream final : public Stream {
 public:
  // `output` must outlive the stream; the session owns the stream.
  MemoryStream(std::string input, std::string* output, std::size_t chunk = 4096,
               bool loopback = true, bool tls = true)
      : input_(std::move(input)), output_(output), chunk_(chunk), loopback_(loopback), tls_(tls) {}

  asio::awaitable<std::size_t> read_some(std::span<char> buf) override;
  asio::awaitable<bool> write_all(std::string_view data) override;
  asio::awaitable<bool> start_tls() override;
  bool can_start_tls() const override { return !tls_; }
  bool tls_active() const override { return tls_; }
  std::string tls_version() const override { return tls_ ? "TLSv1.3" : ""; }
  void set_read_timeout(std::chrono::seconds) override {}
  bool timed_out() const override { return false; }
  const std::string& remote_ip() const override { return ip_; }
  bool is_loopback() const override { return loopback_; }
  void close() override { closed_ = true; }

 private:
  std::string input_;
  std::size_t pos_ = 0;
  std::string* output_;
  std::size_t chunk_;
  bool loopback_;
  bool tls_;
  bool closed_ = false;
  std::string ip_ = "127.0.0.1";
};

}  // namespace tegami::net
