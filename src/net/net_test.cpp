#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <filesystem>
#include <thread>

#include "net/memory_stream.hpp"
#include "net/offload.hpp"
#include "net/server.hpp"
#include "net/tls.hpp"

namespace tegami::net {
namespace {

using asio::ip::tcp;

asio::awaitable<void> hello_echo(std::unique_ptr<Stream> s) {
  Conn c(std::move(s));
  c.send(c.stream().tls_active() ? "HELLO TLS\r\n" : "HELLO PLAIN\r\n");
  co_await c.flush();
  std::string line;
  for (;;) {
    auto got = co_await c.read_line(line, 100);
    if (got != Conn::Line::kOk) break;
    if (line == "STARTTLS") {
      c.send("GO\r\n");
      co_await c.flush();
      bool ok = co_await c.start_tls();
      if (!ok) co_return;
      continue;
    }
    c.send("ECHO " + line + "\r\n");
    co_await c.flush();
  }
}

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tegami-net-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(ensure_self_signed(dir_ / "c.pem", dir_ / "k.pem", "localhost").ok());
    auto tls = TlsContext::load({dir_ / "c.pem", dir_ / "k.pem"});
    ASSERT_TRUE(tls.ok());
    ServerLimits limits;
    limits.implicit_wait_ms = 300;
    server_ = std::make_unique<Server>(*tls, 2, limits);
    auto p1 = server_->listen({"starttls", "127.0.0.1", 0, TlsMode::kStartTls, "", hello_echo});
    auto p2 = server_->listen(
        {"implicit", "127.0.0.1", 0, TlsMode::kImplicit, "WRONG MODE: use TLS\r\n", hello_echo});
    auto p3 = server_->listen({"mx", "127.0.0.1", 0, TlsMode::kStartTlsNoDetect, "", hello_echo});
    ASSERT_TRUE(p1.ok() && p2.ok() && p3.ok());
    starttls_port_ = *p1;
    implicit_port_ = *p2;
    mx_port_ = *p3;
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  std::string read_line(tcp::socket& s) {
    asio::read_until(s, buf_, "\r\n");
    std::istream is(&buf_);
    std::string line;
    std::getline(is, line);
    return line;
  }
  template <class S>
  std::string read_line_tls(S& s) {
    asio::read_until(s, buf_, "\r\n");
    std::istream is(&buf_);
    std::string line;
    std::getline(is, line);
    return line;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t starttls_port_ = 0, implicit_port_ = 0, mx_port_ = 0;
  asio::io_context client_io_;
  asio::streambuf buf_;
};

TEST_F(NetTest, PlainClientOnStartTlsPortGetsGreetingAndCanUpgrade) {
  tcp::socket s(client_io_);
  s.connect({asio::ip::make_address("127.0.0.1"), starttls_port_});
  EXPECT_EQ(read_line(s), "HELLO PLAIN\r");
  asio::write(s, asio::buffer(std::string("ping\r\nSTARTTLS\r\n")));
  EXPECT_EQ(read_line(s), "ECHO ping\r");
  EXPECT_EQ(read_line(s), "GO\r");
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket&> t(s, ctx);
  t.handshake(asio::ssl::stream_base::client);
  asio::write(t, asio::buffer(std::string("secret\r\n")));
  EXPECT_EQ(read_line_tls(t), "ECHO secret\r");
}

TEST_F(NetTest, MxPortGreetsAtOnceAndStillUpgrades) {
  tcp::socket s(client_io_);
  auto t0 = std::chrono::steady_clock::now();
  s.connect({asio::ip::make_address("127.0.0.1"), mx_port_});
  EXPECT_EQ(read_line(s), "HELLO PLAIN\r");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
  asio::write(s, asio::buffer(std::string("STARTTLS\r\n")));
  EXPECT_EQ(read_line(s), "GO\r");
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket&> t(s, ctx);
  t.handshake(asio::ssl::stream_base::client);
  asio::write(t, asio::buffer(std::string("x\r\n")));
  EXPECT_EQ(read_line_tls(t), "ECHO x\r");
}

TEST_F(NetTest, TlsClientOnStartTlsPortIsTreatedAsImplicitTls) {
  tcp::socket s(client_io_);
  s.connect({asio::ip::make_address("127.0.0.1"), starttls_port_});
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket&> t(s, ctx);
  t.handshake(asio::ssl::stream_base::client);
  EXPECT_EQ(read_line_tls(t), "HELLO TLS\r");
}

TEST_F(NetTest, PlainClientOnImplicitPortGetsAnExplanation) {
  tcp::socket s(client_io_);
  s.connect({asio::ip::make_address("127.0.0.1"), implicit_port_});
  EXPECT_EQ(read_line(s), "WRONG MODE: use TLS\r");  // a client that waits for a greeting
  tcp::socket s2(client_io_);
  s2.connect({asio::ip::make_address("127.0.0.1"), implicit_port_});
  asio::write(s2, asio::buffer(std::string("a1 CAPABILITY\r\n")));  // one that talks first
  EXPECT_EQ(read_line(s2), "WRONG MODE: use TLS\r");
}

TEST_F(NetTest, TlsClientOnImplicitPort) {
  tcp::socket s(client_io_);
  s.connect({asio::ip::make_address("127.0.0.1"), implicit_port_});
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket&> t(s, ctx);
  t.handshake(asio::ssl::stream_base::client);
  EXPECT_EQ(read_line_tls(t), "HELLO TLS\r");
}

asio::awaitable<void> read_lines(std::unique_ptr<Stream> s, std::vector<std::string>* out) {
  Conn c(std::move(s));
  std::string line;
  for (;;) {
    auto st = co_await c.read_line(line, 10);
    if (st == Conn::Line::kClosed) co_return;
    out->push_back(st == Conn::Line::kTooLong ? "<too long>" : line);
  }
}

TEST(Conn, LinesSplitAnywhereAndOverlongLinesAreDiscarded) {
  std::string input = "short\r\n" + std::string(100000, 'x') + "\r\nbare lf\nafter\r\n";
  for (size_t chunk : {1, 3, 4096}) {
    std::string output;
    std::vector<std::string> lines;
    asio::io_context io;
    asio::co_spawn(io, read_lines(std::make_unique<MemoryStream>(input, &output, chunk), &lines),
                   asio::detached);
    io.run();
    EXPECT_EQ(lines, (std::vector<std::string>{"short", "<too long>", "bare lf", "after"}));
  }
}

asio::awaitable<void> offload_twice(int* result, bool* threw, std::thread::id* worker) {
  *result = co_await offload([worker] {
    *worker = std::this_thread::get_id();
    return 41 + 1;
  });
  try {
    co_await offload([]() -> int { throw std::runtime_error("boom"); });
  } catch (const std::runtime_error&) {
    *threw = true;
  }
}

TEST(Offload, RunsOnTheWorkerPoolAndPropagatesExceptions) {
  asio::io_context io;
  int result = 0;
  bool threw = false;
  std::thread::id worker;
  asio::co_spawn(io, offload_twice(&result, &threw, &worker), asio::detached);
  io.run();
  EXPECT_EQ(result, 42);
  EXPECT_TRUE(threw);
  EXPECT_NE(worker, std::this_thread::get_id());
}

}  // namespace
}  // namespace tegami::net
