#include "net/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "log/log.hpp"
#include "net/tls.hpp"

namespace tegami::net {

namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::atomic<bool> g_draining{false};

// A TCP connection, optionally wrapped in TLS, with read/write deadlines.
class SocketStream final : public Stream {
 public:
  SocketStream(tcp::socket sock, std::shared_ptr<TlsContext> tls, int handshake_timeout_s)
      : sock_(std::move(sock)),
        read_timer_(sock_.get_executor()),
        write_timer_(sock_.get_executor()),
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
  }
  ~SocketStream() override { close(); }

  asio::awaitable<std::size_t> read_some(std::span<char> buf) override {
    if (closed_) co_return 0;
    error_code ec;
    arm(read_timer_, read_timeout_);
    std::size_t n;
    if (tls_)
      n = co_await tls_->async_read_some(asio::buffer(buf.data(), buf.size()),
                                         asio::redirect_error(asio::use_awaitable, ec));
    else
      n = co_await sock_.async_read_some(asio::buffer(buf.data(), buf.size()),
                                         asio::redirect_error(asio::use_awaitable, ec));
    read_timer_.cancel();
    if (ec && n == 0) co_return 0;
    co_return n;
  }

  asio::awaitable<bool> write_all(std::string_view data) override {
    if (closed_) co_return false;
    error_code ec;
    arm(write_timer_, std::chrono::seconds(std::max<int64_t>(read_timeout_.count(), 120)));
    if (tls_)
      co_await asio::async_write(*tls_, asio::buffer(data.data(), data.size()),
                                 asio::redirect_error(asio::use_awaitable, ec));
    else
      co_await asio::async_write(sock_, asio::buffer(data.data(), data.size()),
                                 asio::redirect_error(asio::use_awaitable, ec));
    write_timer_.cancel();
    co_return !ec;
  }

  asio::awaitable<bool> start_tls() override {
    if (tls_ || !tls_ctx_) co_return false;
    tls_.emplace(sock_, tls_ctx_->native());
    error_code ec;
    arm(read_timer_, std::chrono::seconds(handshake_timeout_));
    co_await tls_->async_handshake(ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
    read_timer_.cancel();
    if (ec) {
      log::info("tls_handshake_failed", {{"remote", ip_}, {"error", ec.message()}});
      closed_ = true;
      co_return false;
    }
    co_return true;
  }

  bool can_start_tls() const override { return tls_ctx_ && !tls_; }
  bool tls_active() const override { return tls_.has_value(); }
  std::string tls_version() const override {
    if (!tls_) return "";
    return SSL_get_version(const_cast<ssl::stream<tcp::socket&>&>(*tls_).native_handle());
  }
  void set_read_timeout(std::chrono::seconds t) override { read_timeout_ = t; }
  bool timed_out() const override { return timed_out_; }
  const std::string& remote_ip() const override { return ip_; }
  bool is_loopback() const override { return loopback_; }
  void close() override {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    read_timer_.cancel();
    write_timer_.cancel();
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
  }

 private:
  // A read and a write may be in flight at once (IDLE pushes while a read waits), so each has
  // its own deadline; either expiring cancels the socket's operations.
  void arm(asio::steady_timer& timer, std::chrono::seconds t) {
    timer.expires_after(t);
    timer.async_wait([this](error_code ec) {
      if (ec) return;  // cancelled: the operation finished in time
      timed_out_ = true;
      error_code ignore;
      sock_.cancel(ignore);
    });
  }

  tcp::socket sock_;
  asio::steady_timer read_timer_;
  asio::steady_timer write_timer_;
  std::shared_ptr<TlsContext> tls_ctx_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
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

struct Server::Impl {
  std::shared_ptr<Counters> counters = std::make_shared<Counters>();
  asio::io_context io;
  std::shared_ptr<TlsContext> tls;
  int threads;
  ServerLimits limits;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  asio::signal_set signals{io, SIGINT, SIGTERM};

  Impl(std::shared_ptr<TlsContext> t, int n, ServerLimits l)
      : tls(std::move(t)), threads(n), limits(l) {}

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
      tcp::socket sock = co_await acc.async_accept(asio::make_strand(io),
                                                   asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acc.is_open()) co_return;
        // EMFILE and friends: back off briefly instead of spinning.
        asio::steady_timer t(io, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      auto ex = sock.get_executor();
      asio::co_spawn(ex, handle(std::move(sock), spec), asio::detached);
    }
  }
};

Server::Server(std::shared_ptr<TlsContext> tls, int threads, ServerLimits limits)
    : impl_(std::make_unique<Impl>(std::move(tls), threads, limits)) {}
Server::~Server() = default;

asio::io_context& Server::io() { return impl_->io; }
bool Server::draining() { return g_draining.load(); }

Result<uint16_t> Server::listen(ListenerSpec spec) {
  error_code ec;
  auto addr = asio::ip::make_address(spec.address, ec);
  if (ec) return make_error(Errc::kInvalidData, "bad listen address '" + spec.address + "'");
  auto acc = std::make_unique<tcp::acceptor>(impl_->io);
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
  asio::co_spawn(impl_->io, impl_->accept_loop(*acc, s), asio::detached);
  impl_->acceptors.push_back(std::move(acc));
  return port;
}

void Server::stop() {
  asio::post(impl_->io, [this] {
    g_draining = true;
    for (auto& a : impl_->acceptors) {
      error_code ec;
      a->close(ec);
    }
    auto t = std::make_shared<asio::steady_timer>(impl_->io);
    t->expires_after(std::chrono::seconds(impl_->limits.drain_seconds));
    t->async_wait([this, t](error_code) { impl_->io.stop(); });
    // Stop earlier when every session has ended.
    auto poll = std::make_shared<std::function<void()>>();
    auto timer = std::make_shared<asio::steady_timer>(impl_->io);
    *poll = [this, timer, poll] {
      if (impl_->counters->connections.load() == 0) {
        impl_->io.stop();
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
  impl_->signals.async_wait([this](error_code ec, int sig) {
    if (ec) return;
    log::info("shutdown", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
  std::vector<std::thread> ts;
  for (int i = 1; i < impl_->threads; ++i) ts.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : ts) t.join();
}

}  // namespace tegami::net
