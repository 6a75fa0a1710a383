// The session over real loopback TCP through net::Server: the pre-login timeout ends with
// "* BYE", and an IDLE over a socket ends at once when the app password is revoked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <boost/asio/io_context.hpp>

#include <thread>

#include "imap/server/test_support.hpp"
#include "net/server.hpp"

namespace tegami::imap::server {
namespace {

using asio::ip::tcp;

class ImapTcp : public ::testing::Test {
 protected:
  void SetUp() override {
    w_.ctx.allow_login_without_tls = true;
    w_.ctx.login_timeout = std::chrono::seconds(1);
    server_ = std::make_unique<net::Server>(nullptr, 2);  // two network threads, as in production
    const Context* ctx = &w_.ctx;
    net::ListenerSpec spec;
    spec.name = "imap";
    spec.address = "127.0.0.1";
    spec.port = 0;
    spec.tls = net::TlsMode::kNone;
    spec.handler = [ctx](std::unique_ptr<net::Stream> s) { return serve(std::move(s), *ctx); };
    auto port = server_->listen(std::move(spec));
    ASSERT_TRUE(port.ok());
    port_ = *port;
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    // Let the server finish the sessions it ended (their coroutines are still unwinding):
    // destroying net::Server with live sessions aborts in its connection bookkeeping.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Not stop(): that starts a process-wide drain (net::Server::draining()) which would make
    // every later session in this test binary say BYE.
    server_->halt();
    thread_.join();
  }

  tcp::socket connect() {
    tcp::socket s(io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }
  std::string read_line(tcp::socket& s, asio::streambuf& buf) {
    boost::system::error_code ec;
    asio::read_until(s, buf, "\r\n", ec);
    if (ec) return "<" + ec.message() + ">";
    std::istream is(&buf);
    std::string line;
    std::getline(is, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  void write(tcp::socket& s, const std::string& data) { asio::write(s, asio::buffer(data)); }

  testing::World w_;
  asio::io_context io_;
  std::unique_ptr<net::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(ImapTcp, RevocationEndsIdleThenLoginTimeout) {
  auto s = connect();
  asio::streambuf buf;
  read_line(s, buf);
  write(s, w_.login_line("a") + "b SELECT INBOX\r\nc IDLE\r\n");
  std::string line;
  while ((line = read_line(s, buf)) != "+ idling") {
    ASSERT_FALSE(line.starts_with("<")) << line;
  }
  // Another client appends: the idling one hears of it at once (hub -> its strand).
  auto s3 = connect();
  asio::streambuf buf3;
  read_line(s3, buf3);
  std::string m = "Subject: hi\r\n\r\nhello\r\n";
  write(s3,
        w_.login_line("x") + "y APPEND INBOX {" + std::to_string(m.size()) + "+}\r\n" + m + "\r\n");
  while (!(line = read_line(s3, buf3)).starts_with("y ")) {
    ASSERT_FALSE(line.starts_with("<")) << line;
  }
  EXPECT_THAT(line, ::testing::StartsWith("y OK [APPENDUID"));
  EXPECT_EQ(read_line(s, buf), "* 1 EXISTS");
  EXPECT_EQ(read_line(s, buf), "* 1 RECENT");
  ASSERT_TRUE(w_.store->revoke_app_password(w_.account.id, w_.app_password_id, "test"));
  w_.hub.publish_revocation(w_.account.id, w_.app_password_id);
  EXPECT_THAT(read_line(s, buf), ::testing::StartsWith("* BYE [UNAVAILABLE]"));
  EXPECT_THAT(read_line(s, buf), ::testing::StartsWith("<"));  // closed by the server
  // The other session (same app password, waiting for a command) ends too.
  EXPECT_THAT(read_line(s3, buf3), ::testing::StartsWith("* BYE [UNAVAILABLE]"));

  // A client that never signs in is logged out after ctx.login_timeout.
  auto s2 = connect();
  asio::streambuf buf2;
  EXPECT_THAT(read_line(s2, buf2), ::testing::StartsWith("* OK [CAPABILITY"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_line(s2, buf2), "* BYE Autologout; idle for too long");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace tegami::imap::server
