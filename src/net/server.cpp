#include "net/server.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "log/log.hpp"
#include "net/tls.hpp"

namespace tegami::net {

using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::atomic<bool> g_draining{false};

// OpenSSL reads and writes the socket itself through this BIO (no intermediate buffers: Asio's
// ssl::stream keeps 2 x 17 KiB of its own plus a 2 x 17 KiB BIO pair per connection, alive
// while the connection idles). send() with MSG_NOSIGNAL: a peer gone mid-write must not raise
// SIGPIPE. The socket is non-blocking; "would block" becomes a BIO retry, which SSL_get_error
// reports as SSL_ERROR_WANT_READ / SSL_ERROR_WANT_WRITE.
int socket_bio_fd(BIO* b) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

int socket_bio_read(BIO* b, char* buf, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::recv(socket_bio_fd(b), buf, static_cast<std::size_t>(len), 0);
  if (n < 0 && would_block(errno)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

int socket_bio_write(BIO* b, const char* buf, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::send(socket_bio_fd(b), buf, static_cast<std::size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && would_block(errno)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

long socket_bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int socket_bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tegami socket");
    BIO_meth_set_read(bm, socket_bio_read);
    BIO_meth_set_write(bm, socket_bio_write);
    BIO_meth_set_ctrl(bm, socket_bio_ctrl);
    BIO_meth_set_create(bm, socket_bio_create);
    return bm;
  }();
  return m;
}

// A TCP connection, optionally wrapped in TLS, with read/write deadlines. Every operation first
// tries the non-blocking socket (or SSL object) and waits for readiness only when it would
// block, so a waiting connection holds no buffer: OpenSSL's record buffers are released between
// records (SSL_MODE_RELEASE_BUFFERS) and Conn waits with wait_readable() before it allocates.
class SocketStream final : public Stream {
 public:
  SocketStream(tcp::socket sock, std::shared_ptr<TlsContext> tls, int handshake_timeout_s)
      : sock_(std::move(sock)),
        timer_(sock_.get_executor()),
        tls_ctx_(std::move(tls)),
        handshake_timeout_(handshake_timeout_s) {
    error_code ec;
    auto ep = sock_.remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
      ip_ = addr.to_string();
      loopback_ = addr.is_loopback();
    }
    sock_.set_option(tcp::no_delay(true), ec);
    sock_.non_blocking(true, ec);
  }
  ~SocketStream() override {
    close();
    if (ssl_) SSL_free(ssl_);
  }

  asio::awaitable<std::size_t> read_some(std::span<char> buf) override {
    for (;;) {
      if (closed_ || buf.empty()) co_return 0;
      std::size_t n = 0;
      Want want = try_read(buf, &n);
      if (want == Want::kNone) co_return n;
      if (want == Want::kFail) co_return 0;
      bool ok = co_await wait(want, read_deadline_, read_timeout_);
      if (!ok) co_return 0;
    }
  }

  asio::awaitable<bool> wait_readable() override {
    if (closed_) co_return false;
    // Input OpenSSL already holds (decrypted, or read ahead from the socket) does not make the
    // socket readable again.
    if (ssl_ && SSL_has_pending(ssl_)) co_return true;
    error_code ec;
    if (sock_.available(ec) > 0 || ec) co_return true;
    bool ok = co_await wait(Want::kRead, read_deadline_, read_timeout_);
    co_return ok;
  }

  asio::awaitable<bool> write_all(std::string_view data) override {
    const auto timeout = std::chrono::seconds(std::max<int64_t>(read_timeout_.count(), 120));
    while (!data.empty()) {
      if (closed_) co_return false;
      std::size_t n = 0;
      Want want = try_write(data, &n);
      if (want == Want::kFail) co_return false;
      if (want == Want::kNone) {
        data.remove_prefix(n);
        continue;
      }
      bool ok = co_await wait(want, write_deadline_, timeout);
      if (!ok) co_return false;
    }
    co_return true;
  }

  asio::awaitable<bool> start_tls() override {
    if (ssl_ || !tls_ctx_ || closed_) co_return false;
    ssl_ = SSL_new(tls_ctx_->native().native_handle());
    BIO* bio = ssl_ ? BIO_new(socket_bio_method()) : nullptr;
    if (!bio) {
      log::warn("tls_setup_failed", {{"remote", ip_}});
      closed_ = true;
      co_return false;
    }
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(sock_.native_handle())));
    SSL_set_bio(ssl_, bio, bio);
    // Partial writes: write_all() advances by what each SSL_write_ex took. Read-ahead: one recv
    // takes what the socket has instead of a header and a body per record. No renegotiation
    // (TLS 1.2): a write must never have to wait for the peer's handshake data.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                           SSL_MODE_RELEASE_BUFFERS);
    SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
    SSL_set_read_ahead(ssl_, 1);
    SSL_set_accept_state(ssl_);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(handshake_timeout_);
    std::string error;
    for (;;) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl_);
      if (r == 1) break;
      Want want = want_of(SSL_get_error(ssl_, r));
      if (want == Want::kFail) {
        error = ssl_error_text();
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::seconds>(
          deadline - std::chrono::steady_clock::now());
      bool ok = false;
      if (left.count() > 0) ok = co_await wait(want, read_deadline_, left);
      if (!ok) {
        error = "timeout or connection closed";
        break;
      }
    }
    if (!error.empty()) {
      log::info("tls_handshake_failed", {{"remote", ip_}, {"error", error}});
      closed_ = true;
      co_return false;
    }
    co_return true;
  }

  bool can_start_tls() const override { return tls_ctx_ && !ssl_; }
  bool tls_active() const override { return ssl_ != nullptr; }
  std::string tls_version() const override { return ssl_ ? SSL_get_version(ssl_) : ""; }
  void set_read_timeout(std::chrono::seconds t) override { read_timeout_ = t; }
  bool timed_out() const override { return timed_out_; }
  const std::string& remote_ip() const override { return ip_; }
  bool is_loopback() const override { return loopback_; }
  void close() override {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    timer_.cancel();
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
  }

 private:
  using Clock = std::chrono::steady_clock;
  enum class Want { kNone, kRead, kWrite, kFail };

  static Want want_of(int ssl_error) {
    if (ssl_error == SSL_ERROR_WANT_READ) return Want::kRead;
    if (ssl_error == SSL_ERROR_WANT_WRITE) return Want::kWrite;
    return Want::kFail;
  }

  static std::string ssl_error_text() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "connection closed";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
  }

  // One non-blocking read: kNone with *n > 0, kRead/kWrite when it would block, kFail at the
  // end of the stream or on an error.
  Want try_read(std::span<char> buf, std::size_t* n) {
    if (ssl_) {
      ERR_clear_error();
      if (SSL_read_ex(ssl_, buf.data(), buf.size(), n) == 1) return Want::kNone;
      return want_of(SSL_get_error(ssl_, 0));
    }
    error_code ec;
    *n = sock_.read_some(asio::buffer(buf.data(), buf.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return Want::kRead;
    return ec || *n == 0 ? Want::kFail : Want::kNone;
  }

  Want try_write(std::string_view data, std::size_t* n) {
    if (ssl_) {
      ERR_clear_error();
      if (SSL_write_ex(ssl_, data.data(), data.size(), n) == 1) return Want::kNone;
      return want_of(SSL_get_error(ssl_, 0));
    }
    error_code ec;
    *n = sock_.write_some(asio::buffer(data.data(), data.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return Want::kWrite;
    return ec ? Want::kFail : Want::kNone;
  }

  // Waits until the socket is readable or writable, under a deadline; false on timeout, close
  // or error.
  asio::awaitable<bool> wait(Want want, Clock::time_point& deadline, std::chrono::seconds t) {
    deadline = Clock::now() + t;
    if (deadline < armed_for_) arm(deadline);
    error_code ec;
    auto type = want == Want::kWrite ? tcp::socket::wait_write : tcp::socket::wait_read;
    co_await sock_.async_wait(type, asio::redirect_error(asio::use_awaitable, ec));
    deadline = Clock::time_point::max();
    co_return !ec && !closed_ && !timed_out_;
  }

  // A read and a write may be in flight at once (IDLE pushes while a read waits), each with
  // its deadline; one timer serves both, armed for the earliest. It is not moved when a wait
  // ends or a later deadline comes (a timer armed and cancelled around every wait cost a
  // timerfd_settime call and a handler each): when it fires, a deadline that has passed
  // cancels the socket's operations, and otherwise it is armed again for the next one.
  void arm(Clock::time_point at) {
    armed_for_ = at;
    timer_.expires_at(at);  // a wait pending on it ends with operation_aborted
    timer_.async_wait([this](error_code ec) {
      if (ec) return;  // moved to an earlier deadline, or closed: `this` may be gone
      armed_for_ = Clock::time_point::max();
      const auto now = Clock::now();
      if (read_deadline_ <= now || write_deadline_ <= now) {
        timed_out_ = true;
        error_code ignore;
        sock_.cancel(ignore);
        return;
      }
      const auto next = std::min(read_deadline_, write_deadline_);
      if (next != Clock::time_point::max()) arm(next);
    });
  }

  tcp::socket sock_;
  asio::steady_timer timer_;
  Clock::time_point armed_for_ = Clock::time_point::max();       // max: the timer is not armed
  Clock::time_point read_deadline_ = Clock::time_point::max();   // max: no read waits
  Clock::time_point write_deadline_ = Clock::time_point::max();  // max: no write waits
  std::shared_ptr<TlsContext> tls_ctx_;
  SSL* ssl_ = nullptr;
  std::chrono::seconds read_timeout_{300};
  int handshake_timeout_;
  bool timed_out_ = false;
  bool closed_ = false;
  bool loopback_ = false;
  std::string ip_;
};

// Waits until the socket has a byte to read or `ms` passes. Returns the first byte, or -1 when
// nothing arrived in time (or the peer left).
asio::awaitable<int> peek_first_byte(tcp::socket& sock, int ms) {
  asio::steady_timer timer(sock.get_executor());
  timer.expires_after(std::chrono::milliseconds(ms));
  bool timed_out = false;
  timer.async_wait([&](error_code ec) {
    if (!ec) {
      timed_out = true;
      error_code ignore;
      sock.cancel(ignore);
    }
  });
  error_code ec;
  co_await sock.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (ec || timed_out) co_return -1;
  unsigned char c = 0;
  std::size_t n = sock.receive(asio::buffer(&c, 1), tcp::socket::message_peek, ec);
  if (ec || n == 0) co_return -2;
  co_return c;
}

}  // namespace

// Connection counts. Shared with every connection's coroutine frame, so that frames destroyed
// late (with the io_context, after a stop) still find them alive.
struct Counters {
  std::atomic<int> connections{0};
  std::mutex mu;
  std::map<std::string, int> per_ip;

  bool admit(const std::string& ip, const ServerLimits& limits) {
    std::lock_guard lk(mu);
    if (connections.load() >= limits.max_connections) return false;
    int& c = per_ip[ip];
    if (c >= limits.max_connections_per_ip) return false;
    ++c;
    ++connections;
    return true;
  }
  void release(const std::string& ip) {
    std::lock_guard lk(mu);
    if (--per_ip[ip] <= 0) per_ip.erase(ip);
    --connections;
  }
};

// One io_context per network thread, each run by that thread alone: a connection lives on one
// thread from accept to close, so its handlers never hop between threads (with one io_context
// shared by every thread, each reply and each store completion could wake the other thread: 15%
// of the CPU at one SMTP session went to those switches). An accepted connection goes to the
// thread with the fewest connections, the accepting one (ios[0]) when it has no more than the
// others: a lone client's connections then never wake a second thread.
struct Server::Impl {
  std::shared_ptr<Counters> counters = std::make_shared<Counters>();
  std::vector<std::unique_ptr<asio::io_context>> ios;  // ios[0]: acceptors, signals, stop
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep;
  // Connections on each io_context; shared with the connections' frames like `counters`.
  std::shared_ptr<std::atomic<int>[]> held;
  std::atomic<unsigned> next{0};
  std::shared_ptr<TlsContext> tls;
  ServerLimits limits;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::optional<asio::signal_set> signals;

  Impl(std::shared_ptr<TlsContext> t, int n, ServerLimits l) : tls(std::move(t)), limits(l) {
    for (int i = 0; i < std::max(1, n); ++i) {
      ios.push_back(std::make_unique<asio::io_context>(1));
      keep.push_back(asio::make_work_guard(*ios.back()));
    }
    held = std::shared_ptr<std::atomic<int>[]>(new std::atomic<int>[ios.size()]());
    signals.emplace(*ios[0], SIGINT, SIGTERM);
  }

  size_t least_held() const {
    size_t best = 0;
    for (size_t i = 1; i < ios.size(); ++i)
      if (held[i].load(std::memory_order_relaxed) < held[best].load(std::memory_order_relaxed))
        best = i;
    return best;
  }

  asio::io_context& pick() {
    return *ios[next.fetch_add(1, std::memory_order_relaxed) % ios.size()];
  }
  void halt() {
    for (auto& io : ios) io->stop();
  }

  asio::awaitable<void> handle(tcp::socket sock, std::shared_ptr<ListenerSpec> spec) {
    error_code ec;
    auto ep = sock.remote_endpoint(ec);
    std::string ip = ec ? "?" : ep.address().to_string();
    std::shared_ptr<Counters> counters = this->counters;
    if (!counters->admit(ip, limits)) {
      log::warn("connection_refused",
                {{"listener", spec->name}, {"remote", ip}, {"reason", "too many connections"}});
      sock.close(ec);
      co_return;
    }
    struct Release {
      std::shared_ptr<Counters> counters;
      std::string ip;
      ~Release() { counters->release(ip); }
    } release{counters, ip};

    bool implicit = false;
    if (spec->tls == TlsMode::kImplicit) {
      int first = co_await peek_first_byte(sock, limits.implicit_wait_ms);
      if (first != 0x16) {
        // Plain text (or silence: a client waiting for a greeting) on a TLS port.
        if (first != -2 && !spec->wrong_mode_reply.empty())
          co_await asio::async_write(sock, asio::buffer(spec->wrong_mode_reply),
                                     asio::redirect_error(asio::use_awaitable, ec));
        log::info("wrong_tls_mode", {{"listener", spec->name},
                                     {"remote", ip},
                                     {"detail", "plain text on an implicit-TLS port"}});
        sock.shutdown(tcp::socket::shutdown_both, ec);
        co_return;
      }
      implicit = true;
    } else if (spec->tls == TlsMode::kStartTls && tls) {
      int first = co_await peek_first_byte(sock, limits.tls_sniff_ms);
      if (first == -2) co_return;
      if (first == 0x16) {
        implicit = true;
        log::info("wrong_tls_mode", {{"listener", spec->name},
                                     {"remote", ip},
                                     {"detail", "TLS on a STARTTLS port, accepted as implicit"}});
      }
    }
    auto stream = std::make_unique<SocketStream>(
        std::move(sock), spec->tls == TlsMode::kNone ? nullptr : tls, limits.handshake_timeout_s);
    if (implicit) {
      bool ok = co_await stream->start_tls();
      if (!ok) co_return;
    }
    try {
      co_await spec->handler(std::move(stream));
    } catch (const std::exception& e) {
      log::error("session_crashed", {{"listener", spec->name}, {"remote", ip}, {"what", e.what()}});
    }
  }

  asio::awaitable<void> accept_loop(tcp::acceptor& acc, std::shared_ptr<ListenerSpec> spec) {
    for (;;) {
      error_code ec;
      tcp::socket accepted =
          co_await acc.async_accept(*ios[0], asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acc.is_open()) co_return;
        // EMFILE and friends: back off briefly instead of spinning.
        asio::steady_timer t(*ios[0], std::chrono::milliseconds(100));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      const size_t k = least_held();
      tcp::socket sock = std::move(accepted);
      if (k != 0 && !move_to(*ios[k], sock)) continue;  // dropped; the client may try again
      held[k].fetch_add(1, std::memory_order_relaxed);
      auto ex = sock.get_executor();
      asio::co_spawn(ex, held_while(held, k, handle(std::move(sock), spec)), asio::detached);
    }
  }

  // Puts the accepted connection's socket on another thread's io_context; false (and the
  // connection closed) when that fails.
  static bool move_to(asio::io_context& io, tcp::socket& s) {
    error_code ec;
    tcp::socket moved(io);
    const auto protocol = s.local_endpoint(ec).protocol();
    if (!ec) {
      auto fd = s.release(ec);
      if (!ec) moved.assign(protocol, fd, ec);
      if (ec) ::close(fd);
    }
    if (ec) {
      s.close(ec);
      return false;
    }
    s = std::move(moved);
    return true;
  }

  static asio::awaitable<void> held_while(std::shared_ptr<std::atomic<int>[]> held, size_t k,
                                          asio::awaitable<void> session) {
    struct Release {
      std::shared_ptr<std::atomic<int>[]> held;
      size_t k;
      ~Release() { held[k].fetch_sub(1, std::memory_order_relaxed); }
    } release{std::move(held), k};
    co_await std::move(session);
  }
};

Server::Server(std::shared_ptr<TlsContext> tls, int threads, ServerLimits limits)
    : impl_(std::make_unique<Impl>(std::move(tls), threads, limits)) {}
Server::~Server() = default;

asio::io_context& Server::io() { return *impl_->ios[0]; }
asio::io_context& Server::next_io() { return impl_->pick(); }
void Server::halt() { impl_->halt(); }
bool Server::draining() { return g_draining.load(); }

Result<uint16_t> Server::listen(ListenerSpec spec) {
  error_code ec;
  auto addr = asio::ip::make_address(spec.address, ec);
  if (ec) return make_error(Errc::kInvalidData, "bad listen address '" + spec.address + "'");
  auto acc = std::make_unique<tcp::acceptor>(*impl_->ios[0]);
  tcp::endpoint ep(addr, spec.port);
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && addr.is_v6()) acc->set_option(asio::ip::v6_only(false), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(Errc::kInUse, "cannot listen on " + spec.address + " port " +
                                        std::to_string(spec.port) + " (" + spec.name +
                                        "): " + ec.message());
  uint16_t port = acc->local_endpoint().port();
  auto s = std::make_shared<ListenerSpec>(std::move(spec));
  asio::co_spawn(*impl_->ios[0], impl_->accept_loop(*acc, s), asio::detached);
  impl_->acceptors.push_back(std::move(acc));
  return port;
}

void Server::stop() {
  asio::post(*impl_->ios[0], [this] {
    g_draining = true;
    for (auto& a : impl_->acceptors) {
      error_code ec;
      a->close(ec);
    }
    auto t = std::make_shared<asio::steady_timer>(*impl_->ios[0]);
    t->expires_after(std::chrono::seconds(impl_->limits.drain_seconds));
    t->async_wait([this, t](error_code) { impl_->halt(); });
    // Stop earlier when every session has ended.
    auto poll = std::make_shared<std::function<void()>>();
    auto timer = std::make_shared<asio::steady_timer>(*impl_->ios[0]);
    *poll = [this, timer, poll] {
      if (impl_->counters->connections.load() == 0) {
        impl_->halt();
        return;
      }
      timer->expires_after(std::chrono::milliseconds(100));
      timer->async_wait([poll](error_code ec) {
        if (!ec) (*poll)();
      });
    };
    (*poll)();
  });
}

void Server::run() {
  g_draining = false;  // a new run (tests start several servers in one process)
  impl_->signals->async_wait([this](error_code ec, int sig) {
    if (ec) return;
    log::info("shutdown", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
  std::vector<std::thread> ts;
  for (size_t i = 1; i < impl_->ios.size(); ++i)
    ts.emplace_back([this, i] { impl_->ios[i]->run(); });
  impl_->ios[0]->run();
  impl_->halt();
  for (auto& t : ts) t.join();
}

}  // namespace tegami::net
