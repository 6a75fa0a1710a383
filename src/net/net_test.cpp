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

#include <malloc.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
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
    if (line.rfind("BIG ", 0) == 0) {  // a reply larger than the socket buffers
      c.send(std::string(std::stoul(line.substr(4)), 'x') + "\r\n");
    } else {
      c.send("ECHO " + line + "\r\n");
    }
    co_await c.flush();
  }
}

// Echoes lines under a read timeout of one second; says TIMEOUT when it expires.
asio::awaitable<void> echo_with_timeout(std::unique_ptr<Stream> s) {
  Conn c(std::move(s));
  c.stream().set_read_timeout(std::chrono::seconds(1));
  c.send("HELLO\r\n");
  co_await c.flush();
  std::string line;
  for (;;) {
    auto got = co_await c.read_line(line, 100);
    if (got != Conn::Line::kOk) break;
    c.send("ECHO " + line + "\r\n");
    co_await c.flush();
  }
  if (c.stream().timed_out()) {
    c.send("TIMEOUT\r\n");
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
    auto p4 = server_->listen(
        {"timeout", "127.0.0.1", 0, TlsMode::kStartTlsNoDetect, "", echo_with_timeout});
    ASSERT_TRUE(p1.ok() && p2.ok() && p3.ok() && p4.ok());
    timeout_port_ = *p4;
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
  uint16_t starttls_port_ = 0, implicit_port_ = 0, mx_port_ = 0, timeout_port_ = 0;
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

// Many TLS records in one client write (OpenSSL reads them ahead: wait_readable must not wait
// for the socket while it holds them), and a reply that has to wait for the socket to drain.
TEST_F(NetTest, PipelinedTlsRecordsAndLargeReplies) {
  tcp::socket s(client_io_);
  s.connect({asio::ip::make_address("127.0.0.1"), implicit_port_});
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket&> t(s, ctx);
  t.handshake(asio::ssl::stream_base::client);
  EXPECT_EQ(read_line_tls(t), "HELLO TLS\r");
  for (int i = 0; i < 300; ++i) {
    std::string one = "line " + std::to_string(i) + "\r\n";
    asio::write(t, asio::buffer(one));  // one record each, sent back to back
  }
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(read_line_tls(t), "ECHO line " + std::to_string(i) + "\r");
  }
  asio::write(t, asio::buffer(std::string("BIG 3000000\r\nafter\r\n")));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the server block
  std::string big = read_line_tls(t);
  EXPECT_EQ(big.size(), 3000001u);
  EXPECT_EQ(big.find_first_not_of('x'), 3000000u);
  EXPECT_EQ(read_line_tls(t), "ECHO after\r");
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

// Says which network thread holds the connection, then waits for one line.
asio::awaitable<void> say_thread(std::unique_ptr<Stream> s) {
  Conn c(std::move(s));
  c.send("T " + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + "\r\n");
  co_await c.flush();
  std::string line;
  (void)co_await c.read_line(line, 100);
}

// A lone client's connections stay on the accepting thread; concurrent ones are spread evenly.
TEST_F(NetTest, ConnectionsGoToTheThreadWithFewest) {
  Server server(nullptr, 2, ServerLimits{});
  auto port = server.listen({"t", "127.0.0.1", 0, TlsMode::kNone, "", say_thread});
  ASSERT_TRUE(port.ok());
  std::thread runner([&] { server.run(); });
  auto open = [&](tcp::socket& s) {
    s.connect({asio::ip::make_address("127.0.0.1"), *port});
    return read_line(s);
  };
  std::set<std::string> one_by_one;
  for (int i = 0; i < 5; ++i) {
    tcp::socket s(client_io_);
    one_by_one.insert(open(s));
    asio::write(s, asio::buffer(std::string("BYE\r\n")));
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);                        // the server's close
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // and its count going down
  }
  EXPECT_EQ(one_by_one.size(), 1u);
  std::vector<tcp::socket> held;
  std::map<std::string, int> per_thread;
  for (int i = 0; i < 6; ++i) {
    held.emplace_back(client_io_);
    ++per_thread[open(held.back())];
  }
  ASSERT_EQ(per_thread.size(), 2u);
  for (const auto& [thread, n] : per_thread) EXPECT_EQ(n, 3) << thread;
  held.clear();
  server.stop();
  runner.join();
}

// The read timeout counts from the start of each wait, not of the connection: a client that
// sends a line every 0.6 s keeps a 1 s timeout from expiring for 2.4 s, and once it is quiet
// the connection ends after about a second.
TEST_F(NetTest, TheReadTimeoutCountsFromEachWait) {
  tcp::socket s(client_io_);
  s.connect({asio::ip::make_address("127.0.0.1"), timeout_port_});
  EXPECT_EQ(read_line(s), "HELLO\r");
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    asio::write(s, asio::buffer("L" + std::to_string(i) + "\r\n"));
    EXPECT_EQ(read_line(s), "ECHO L" + std::to_string(i) + "\r");
  }
  const auto quiet = std::chrono::steady_clock::now();
  EXPECT_EQ(read_line(s), "TIMEOUT\r");
  const auto waited = std::chrono::steady_clock::now() - quiet;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LE(waited, std::chrono::milliseconds(3000));
  boost::system::error_code ec;
  asio::read_until(s, buf_, "\r\n", ec);
  EXPECT_EQ(ec, asio::error::eof);  // and the server closed the connection
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
  // Never destroyed: after run() returns, the worker that posted the last completion can still
  // be inside its wake-up of the io_context (asio signals after unlocking).
  static auto* io = new asio::io_context;
  int result = 0;
  bool threw = false;
  std::thread::id worker;
  asio::co_spawn(*io, offload_twice(&result, &threw, &worker), asio::detached);
  io->run();
  EXPECT_EQ(result, 42);
  EXPECT_TRUE(threw);
  EXPECT_NE(worker, std::this_thread::get_id());
}

// Memory per idle TLS connection (issue 3: at most 64 KiB per idle connection, 10,000 of them).
// The server runs on this process's main thread only, so that every allocation it makes is in
// glibc's main arena, which mallinfo2() reports exactly; the clients run in a child process.
// TEGAMI_IDLE_CONNECTIONS=10000 runs the same check at the scale.

struct IdleProbe {
  Server* server = nullptr;
  int warm = 0;   // connections made before the baseline is taken
  int total = 0;  // warm + measured
  int idle = 0;
  std::size_t base = 0, after = 0;
};

std::size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// A minimal idle session: greets, answers IDLE, then waits for input like IMAP IDLE does.
asio::awaitable<void> idle_session(std::unique_ptr<Stream> s, IdleProbe* probe) {
  Conn c(std::move(s));
  c.send("HELLO\r\n");
  bool ok = co_await c.flush();
  std::string line;
  while (ok) {
    auto got = co_await c.read_line(line, 100);
    if (got != Conn::Line::kOk) break;
    if (line != "IDLE") continue;
    c.send("+ idling\r\n");
    ok = co_await c.flush();
    int n = ++probe->idle;
    if (n != probe->warm && n != probe->total) continue;
    // Measure once this session is back in its wait.
    asio::post(probe->server->io(), [probe, n] {
      if (n == probe->warm) {
        probe->base = heap_in_use();
      } else {
        probe->after = heap_in_use();
        probe->server->stop();
      }
    });
  }
}

// The child process: `total` TLS clients, one after another, each greeted and put in IDLE; all
// stay open until the parent kills this process. Exit status 0 when all got there.
int run_idle_clients(uint16_t port, int total) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  std::vector<SSL*> conns;
  auto read_line = [](SSL* ssl) {
    std::string line;
    char ch = 0;
    std::size_t n = 0;
    while (SSL_read_ex(ssl, &ch, 1, &n) == 1 && ch != '\n') line += ch;
    return line;
  };
  for (int i = 0; i < total; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 2;
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) return 3;
    if (read_line(ssl) != "HELLO\r") return 4;
    std::size_t n = 0;
    if (SSL_write_ex(ssl, "IDLE\r\n", 6, &n) != 1) return 5;
    if (read_line(ssl) != "+ idling\r") return 6;
    conns.push_back(ssl);
  }
  ::sleep(600);
  return 0;
}

// Heap bytes per idle TLS connection with `measured` of them open; -1 when they could not all
// be made (the failure is reported).
double idle_heap_per_connection(int measured) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(measured) + 200) {
    ADD_FAILURE() << "too few file descriptors for " << measured << " connections";
    return -1;
  }
  auto dir = std::filesystem::temp_directory_path() /
             ("tegami-idle-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
  std::filesystem::create_directories(dir);
  bool made = ensure_self_signed(dir / "c.pem", dir / "k.pem", "localhost").ok();
  auto tls = TlsContext::load({dir / "c.pem", dir / "k.pem"});
  if (!made || !tls.ok()) {
    ADD_FAILURE() << "no TLS context";
    return -1;
  }
  ServerLimits limits;
  limits.max_connections_per_ip = measured + 100;
  limits.drain_seconds = 1;
  Server server(*tls, 1, limits);  // run() below: the main thread only
  IdleProbe probe;
  probe.server = &server;
  probe.warm = 20;
  probe.total = probe.warm + measured;
  auto handler = [&probe](std::unique_ptr<Stream> s) { return idle_session(std::move(s), &probe); };
  auto port = server.listen({"imaps", "127.0.0.1", 0, TlsMode::kImplicit, "", handler});
  if (!port.ok()) {
    ADD_FAILURE() << "cannot listen";
    return -1;
  }
  pid_t child = ::fork();
  if (child == 0) ::_exit(run_idle_clients(*port, probe.total));
  // Give up when the child fails, or after a minute.
  int child_status = -1;
  asio::steady_timer poll(server.io());
  auto started = std::chrono::steady_clock::now();
  std::function<void()> check = [&] {
    poll.expires_after(std::chrono::milliseconds(100));
    poll.async_wait([&](boost::system::error_code ec) {
      if (ec || probe.after != 0) return;
      if (::waitpid(child, &child_status, WNOHANG) == child ||
          std::chrono::steady_clock::now() - started > std::chrono::seconds(60)) {
        server.stop();
        return;
      }
      check();
    });
  };
  if (child > 0) {
    check();
    server.run();
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  std::filesystem::remove_all(dir);
  if (probe.after == 0) {
    ADD_FAILURE() << probe.idle << " of " << probe.total << " connections reached IDLE (child "
                  << child << ", status " << child_status << ")";
    return -1;
  }
  double per_conn = (static_cast<double>(probe.after) - static_cast<double>(probe.base)) / measured;
  std::printf("idle TLS connections: %d, heap per connection: %.0f bytes\n", measured, per_conn);
  return per_conn;
}

// mallinfo2() does not see a sanitizer's allocator: the memory checks run in normal builds only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// What net holds per idle TLS connection: the SSL object (about 12 KiB in OpenSSL 3.0), the
// socket, timers and coroutine frames; no read or record buffers. (Through Asio's ssl::stream it
// was 68 KiB more: its own 2 x 17 KiB buffers and a 2 x 17 KiB BIO pair.)
TEST(IdleMemory, IdleTlsConnectionsHoldNoBuffers) {
  if (kSanitized) GTEST_SKIP() << "heap figures need the normal allocator";
  double per_conn = idle_heap_per_connection(500);
  ASSERT_GT(per_conn, 0);
  EXPECT_LT(per_conn, 24 * 1024);
}

// Issue 3's scale: 10,000 concurrent idle TLS connections (about 20 s here).
// TEGAMI_IDLE_CONNECTIONS overrides the count.
TEST(IdleMemory, TenThousandIdleTlsConnections) {
  if (kSanitized) GTEST_SKIP() << "heap figures need the normal allocator";
  int n = 10000;
  if (const char* e = std::getenv("TEGAMI_IDLE_CONNECTIONS")) n = std::atoi(e);
  double per_conn = idle_heap_per_connection(n);
  ASSERT_GT(per_conn, 0);
  EXPECT_LT(per_conn, 24 * 1024);
}

}  // namespace
}  // namespace tegami::net
