// Test helper (included by *_test.cpp only): a tiny HTTPS server on 127.0.0.1 for MTA-STS
// policy fetches (smtp/client and queue tests).
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace tegami::smtp::client::testing {

// A tiny HTTPS server on 127.0.0.1 for the policy fetch: one thread, one connection at a time,
// the same canned response to every request (or none at all when `silent`).
class HttpsServer {
 public:
  HttpsServer(const std::string& chain, const std::string& key)
      : ctx_(boost::asio::ssl::context::tls_server),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    ctx_.use_certificate_chain_file(chain);
    ctx_.use_private_key_file(key, boost::asio::ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { loop(); });
  }
  ~HttpsServer() {
    stop_ = true;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
  }
  void respond(std::string status, std::string content_type, std::string body,
               std::string extra_headers = "") {
    std::lock_guard lk(mu_);
    response_ = "HTTP/1.1 " + status + "\r\n";
    if (!content_type.empty()) response_ += "Content-Type: " + content_type + "\r\n";
    response_ += extra_headers + "Content-Length: " + std::to_string(body.size()) +
                 "\r\nConnection: close\r\n\r\n" + body;
  }
  void set_silent(bool s) { silent_ = s; }
  int requests() const { return requests_; }
  std::string last_request() {
    std::lock_guard lk(mu_);
    return last_request_;
  }
  std::string connect_to() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void loop() {
    using boost::asio::ip::tcp;
    while (!stop_) {
      tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      timeval tv{5, 0};
      setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (silent_) {  // hold the connection until the client gives up
        char b[256];
        while (!ec) sock.read_some(boost::asio::buffer(b), ec);
        continue;
      }
      boost::asio::ssl::stream<tcp::socket&> tls(sock, ctx_);
      tls.handshake(boost::asio::ssl::stream_base::server, ec);
      if (ec) continue;  // e.g. the client refused our certificate
      std::string req;
      char b[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        std::size_t n = tls.read_some(boost::asio::buffer(b), ec);
        if (ec) break;
        req.append(b, n);
      }
      if (ec) continue;
      std::string resp;
      {
        std::lock_guard lk(mu_);
        last_request_ = req;
        resp = response_;
      }
      ++requests_;
      boost::asio::write(tls, boost::asio::buffer(resp), ec);
      tls.shutdown(ec);
    }
  }

  boost::asio::io_context io_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::string response_;
  std::string last_request_;
};

}  // namespace tegami::smtp::client::testing
