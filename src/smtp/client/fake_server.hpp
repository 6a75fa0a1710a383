// Test helper (included by *_test.cpp only): a scripted SMTP server on 127.0.0.1 that serves one
// connection from a thread with blocking sockets, and records what the client sent. The script
// decides what to answer, when to stall and when to hang up.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tegami::smtp::client::testing {

class Peer {
 public:
  explicit Peer(boost::asio::ip::tcp::socket s) : sock_(std::move(s)) {
    // A safety net: a test that goes wrong fails instead of hanging.
    timeval tv{10, 0};
    setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  bool send(const std::string& s) {
    boost::system::error_code ec;
    if (tls_)
      boost::asio::write(*tls_, boost::asio::buffer(s), ec);
    else
      boost::asio::write(sock_, boost::asio::buffer(s), ec);
    return !ec;
  }
  // Server side of a TLS handshake; later reads and writes go through TLS. Anything the client
  // sent before is dropped.
  bool start_tls(boost::asio::ssl::context& ctx) {
    buf_.clear();
    tls_.emplace(sock_, ctx);
    boost::system::error_code ec;
    tls_->handshake(boost::asio::ssl::stream_base::server, ec);
    return !ec;
  }
  // The next line from the client without CRLF; "" and closed() once the client is gone.
  std::string line() {
    for (;;) {
      std::size_t nl = buf_.find("\r\n");
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 2);
        record(l);
        return l;
      }
      if (!fill()) return "";
    }
  }
  // The DATA content up to and including the final ".\r\n", as sent (dot-stuffed).
  std::string data() {
    for (;;) {
      std::size_t n = 0;
      if (buf_.rfind(".\r\n", 0) == 0) {
        n = 3;  // empty content
      } else if (std::size_t end = buf_.find("\r\n.\r\n"); end != std::string::npos) {
        n = end + 5;
      }
      if (n > 0) {
        std::string d = buf_.substr(0, n);
        buf_.erase(0, n);
        record("<data " + std::to_string(d.size()) + " bytes>");
        return d;
      }
      if (!fill()) return "";
    }
  }
  // Reads until the client closes (what a stalled server does).
  void wait_close() {
    while (fill()) buf_.clear();
  }
  // Reads about n bytes, then returns (to hang up in the middle of something).
  void read_some_bytes(std::size_t n) {
    while (buf_.size() < n && fill()) {
    }
  }
  void close() {
    boost::system::error_code ec;
    sock_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    sock_.close(ec);
  }
  bool closed() const { return closed_; }
  boost::asio::ip::tcp::socket& socket() { return sock_; }
  std::vector<std::string> received() {
    std::lock_guard lk(mu_);
    return got_;
  }

 private:
  bool fill() {
    char b[16384];
    boost::system::error_code ec;
    std::size_t n = tls_ ? tls_->read_some(boost::asio::buffer(b), ec)
                         : sock_.read_some(boost::asio::buffer(b), ec);
    if (ec || n == 0) {
      closed_ = true;
      return false;
    }
    buf_.append(b, n);
    return true;
  }
  void record(std::string l) {
    std::lock_guard lk(mu_);
    got_.push_back(std::move(l));
  }

  boost::asio::ip::tcp::socket sock_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::string buf_;
  std::mutex mu_;
  std::vector<std::string> got_;
  bool closed_ = false;
};

class FakeServer {
 public:
  using Script = std::function<void(Peer&)>;

  // Serves one connection on `address`:`port` (0 = any free port).
  explicit FakeServer(Script script, const std::string& address = "127.0.0.1", uint16_t port = 0)
      : acceptor_(io_,
                  boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(address), port)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, script = std::move(script)] {
      boost::asio::ip::tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec) return;
      Peer p(std::move(sock));
      script(p);
      p.close();
      std::lock_guard lk(mu_);
      received_ = p.received();
    });
  }
  ~FakeServer() { join(); }

  uint16_t port() const { return port_; }
  // Waits for the script to end; returns the client's lines ("<data N bytes>" for content).
  std::vector<std::string> join() {
    if (thread_.joinable()) {
      ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes accept() if nobody came
      thread_.join();
    }
    std::lock_guard lk(mu_);
    return received_;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> received_;
};

}  // namespace tegami::smtp::client::testing
