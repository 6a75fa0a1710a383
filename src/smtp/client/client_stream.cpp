// Outgoing TCP + client TLS: RFC 3207 (STARTTLS), RFC 6125 host names (PKIX, for MTA-STS, RFC
// 8461 §4.2), RFC 7672 §3 (DANE for SMTP: only DANE-TA(2) and DANE-EE(3) are usable; DANE-EE
// ignores names and dates; an RRset with no usable record means TLS without authentication,
// §2.2), RFC 8996 / RFC 7525 (TLS 1.2 or newer).
#include "smtp/client/client_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <map>
#include <mutex>
#include <optional>

#include "smtp/client/client.hpp"

namespace tegami::smtp::client {

namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

struct ClientStream::Core {
  explicit Core(const asio::any_io_executor& ex) : sock(ex), timer(ex) {}
  tcp::socket sock;
  asio::steady_timer timer;
  std::shared_ptr<ssl::context> ctx;  // outlives `tls`
  std::optional<ssl::stream<tcp::socket&>> tls;
  Clock::time_point deadline = Clock::now() + std::chrono::minutes(5);
  uint64_t op = 0;  // which operation the running timer belongs to
  bool timed_out = false;
  bool tls_up = false;  // handshake done
  bool closed = false;
};

namespace {

using Core = ClientStream::Core;

// Starts the deadline for the next operation. The handler holds only a weak reference and the
// operation's number, so a late timer never touches a stream that is gone or a later operation.
void arm(const std::shared_ptr<Core>& c) {
  uint64_t id = ++c->op;
  c->timer.expires_at(c->deadline);
  std::weak_ptr<Core> weak = c;
  c->timer.async_wait([weak, id](error_code ec) {
    if (ec) return;
    auto core = weak.lock();
    if (!core || core->op != id) return;
    core->timed_out = true;
    error_code ignore;
    core->sock.cancel(ignore);
  });
}

void disarm(Core& c) {
  ++c.op;
  c.timer.cancel();
}

bool expired(Core& c) {
  if (Clock::now() < c.deadline) return false;
  c.timed_out = true;
  return true;
}

// One SSL_CTX per kind of check (and CA file), shared by every connection: loading a trust
// store costs milliseconds. Reloaded after an hour so that CA bundle updates are seen.
std::shared_ptr<ssl::context> client_context(const ClientTlsParams& p, std::string* err) {
  static std::mutex mu;
  static std::map<std::string, std::pair<Clock::time_point, std::shared_ptr<ssl::context>>> cache;
  std::string key = std::to_string(static_cast<int>(p.verify)) + "\n" +
                    (p.verify == ClientTlsParams::Verify::kPkix ? p.ca_file : "");
  std::lock_guard lk(mu);
  auto it = cache.find(key);
  if (it != cache.end() && Clock::now() - it->second.first < std::chrono::hours(1))
    return it->second.second;

  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  switch (p.verify) {
    case ClientTlsParams::Verify::kNone:
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientTlsParams::Verify::kPkix: {
      int ok = p.ca_file.empty() ? SSL_CTX_set_default_verify_paths(c)
                                 : SSL_CTX_load_verify_locations(c, p.ca_file.c_str(), nullptr);
      if (ok != 1) {
        ERR_clear_error();
        *err = p.ca_file.empty() ? "cannot load the system's trust store"
                                 : "cannot load the CA file " + p.ca_file;
        return nullptr;
      }
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
      break;
    }
    case ClientTlsParams::Verify::kDane:
      if (SSL_CTX_dane_enable(c) <= 0) {
        ERR_clear_error();
        *err = "OpenSSL DANE support unavailable";
        return nullptr;
      }
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
      break;
  }
  cache[key] = {Clock::now(), ctx};
  return ctx;
}

bool is_ip_literal(const std::string& s) {
  error_code ec;
  asio::ip::make_address(s, ec);
  return !ec;
}

}  // namespace

ClientStream::ClientStream(std::shared_ptr<Core> core, std::string ip)
    : core_(std::move(core)), ip_(std::move(ip)) {}

ClientStream::~ClientStream() { close(); }

asio::awaitable<Result<std::unique_ptr<ClientStream>>> ClientStream::connect(
    asio::any_io_executor ex, const std::string& ip, uint16_t port,
    std::chrono::milliseconds timeout) {
  error_code ec;
  auto addr = asio::ip::make_address(ip, ec);
  if (ec) co_return make_error(Errc::kInvalidData, "'" + ip + "' is not an IP address");
  auto core = std::make_shared<Core>(ex);
  core->deadline = Clock::now() + timeout;
  arm(core);
  tcp::endpoint to(addr, port);
  co_await core->sock.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
  disarm(*core);
  std::string where = ip + " port " + std::to_string(port);
  if (core->timed_out)
    co_return make_error(Errc::kTemporary, "connection to " + where + " timed out");
  if (ec)
    co_return make_error(Errc::kTemporary, "connection to " + where + " failed: " + ec.message());
  core->sock.set_option(tcp::no_delay(true), ec);
  co_return std::unique_ptr<ClientStream>(new ClientStream(std::move(core), ip));
}

void ClientStream::set_deadline(std::chrono::milliseconds from_now) {
  core_->deadline = Clock::now() + from_now;
}

asio::awaitable<std::size_t> ClientStream::read_some(std::span<char> buf) {
  Core& c = *core_;
  if (c.closed || expired(c)) co_return 0;
  error_code ec;
  arm(core_);
  std::size_t n = 0;
  if (c.tls) {
    std::size_t got = co_await c.tls->async_read_some(
        asio::buffer(buf.data(), buf.size()), asio::redirect_error(asio::use_awaitable, ec));
    n = got;
  } else {
    std::size_t got = co_await c.sock.async_read_some(
        asio::buffer(buf.data(), buf.size()), asio::redirect_error(asio::use_awaitable, ec));
    n = got;
  }
  disarm(c);
  if (ec && n == 0) co_return 0;
  co_return n;
}

asio::awaitable<bool> ClientStream::write_all(std::string_view data) {
  Core& c = *core_;
  if (c.closed || expired(c)) co_return false;
  error_code ec;
  arm(core_);
  if (c.tls)
    co_await asio::async_write(*c.tls, asio::buffer(data.data(), data.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  else
    co_await asio::async_write(c.sock, asio::buffer(data.data(), data.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  disarm(c);
  co_return !ec;
}

asio::awaitable<TlsOutcome> ClientStream::start_tls(const ClientTlsParams& p) {
  using Verify = ClientTlsParams::Verify;
  Core& c = *core_;
  TlsOutcome out;
  if (c.closed || c.tls) {
    out.error = "TLS cannot start on this connection";
    co_return out;
  }
  std::string err;
  c.ctx = client_context(p, &err);
  if (!c.ctx) {
    out.error = err;
    close();
    co_return out;
  }
  c.tls.emplace(c.sock, *c.ctx);
  SSL* s = c.tls->native_handle();
  const std::string& name = p.server_name;
  bool have_name = !name.empty() && !is_ip_literal(name);
  if (have_name) SSL_set_tlsext_host_name(s, name.c_str());
  // A wildcard names a host only as a whole left-most label (RFC 6125 §6.4.3): for the PKIX
  // and the DANE-TA(2) name checks alike.
  SSL_set_hostflags(s, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);

  bool dane_usable = false;
  if (p.verify == Verify::kPkix) {
    if (!have_name) {
      out.error = "no host name to check the certificate against";
      close();
      co_return out;
    }
    SSL_set1_host(s, name.c_str());
  } else if (p.verify == Verify::kDane) {
    // The TLSA base domain is the reference identifier for DANE-TA(2) (RFC 7672 §3.2.2).
    std::string base = have_name ? name : ip_;
    if (SSL_dane_enable(s, base.c_str()) <= 0) {
      ERR_clear_error();
      out.error = "cannot enable DANE on the connection";
      close();
      co_return out;
    }
    // Further reference identifiers: the other name of a secure CNAME chain (§3.2.2).
    if (have_name) {
      for (const auto& n : p.alt_names) SSL_add1_host(s, n.c_str());
    }
    SSL_dane_set_flags(s, DANE_FLAG_NO_DANE_EE_NAMECHECKS);  // RFC 7672 §3.1.1
    for (const auto& r : p.tlsa) {
      if (r.usage != 2 && r.usage != 3) continue;  // PKIX-TA/EE: unusable in SMTP (§3.1.3)
      int added =
          SSL_dane_tlsa_add(s, r.usage, r.selector, r.matching_type,
                            reinterpret_cast<const unsigned char*>(r.data.data()), r.data.size());
      if (added > 0) dane_usable = true;
      // 0: unsupported parameters; < 0: malformed (e.g. wrong digest length). Both unusable.
    }
    ERR_clear_error();
    // No usable record: TLS is still required, but cannot be authenticated (§2.2).
    if (!dane_usable) SSL_set_verify(s, SSL_VERIFY_NONE, nullptr);
  }

  error_code ec;
  if (!expired(c)) {
    arm(core_);
    co_await c.tls->async_handshake(ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
    disarm(c);
  }
  if (c.timed_out) {
    out.error = std::string(kTlsHandshakeFailed) + ": no answer in time";
    close();
    co_return out;
  }
  if (ec) {
    long vr = SSL_get_verify_result(s);
    if (vr != X509_V_OK && p.verify != Verify::kNone &&
        (p.verify != Verify::kDane || dane_usable)) {
      out.cert_error = true;
      out.error = std::string(p.verify == Verify::kDane ? "DANE" : "PKIX") +
                  " check of the server certificate failed: " + X509_verify_cert_error_string(vr);
    } else {
      out.error = std::string(kTlsHandshakeFailed) + ": " + ec.message();
    }
    ERR_clear_error();
    close();
    co_return out;
  }
  out.ok = true;
  c.tls_up = true;
  if (p.verify == Verify::kPkix)
    out.verified = SSL_get_verify_result(s) == X509_V_OK;
  else if (p.verify == Verify::kDane)
    out.verified = dane_usable && SSL_get_verify_result(s) == X509_V_OK &&
                   SSL_get0_dane_authority(s, nullptr, nullptr) >= 0;
  co_return out;
}

bool ClientStream::timed_out() const { return core_->timed_out; }
bool ClientStream::tls_active() const { return core_->tls_up; }

std::string ClientStream::tls_version() const {
  if (!core_->tls_up) return "";
  return SSL_get_version(core_->tls->native_handle());
}

void ClientStream::close() {
  Core& c = *core_;
  if (c.closed) return;
  c.closed = true;
  disarm(c);
  error_code ec;
  c.sock.shutdown(tcp::socket::shutdown_both, ec);
  c.sock.close(ec);
}

}  // namespace tegami::smtp::client
