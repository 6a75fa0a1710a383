// An outgoing TCP connection with deadlines and a client-side TLS upgrade (STARTTLS, RFC 3207)
// that checks the server's certificate by PKIX + host name (RFC 6125, as MTA-STS asks, RFC 8461
// §4.2) or by DANE TLSA records (RFC 7672 §3, through OpenSSL's DANE support), or not at all
// (opportunistic). TLS 1.2 is the minimum; SNI is sent whenever a host name is known.
//
// Not thread-safe: use it from coroutines on the executor it was created with, which must be a
// strand or a one-thread io_context (the deadline timer's handler cancels the socket).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "dns/resolver.hpp"

namespace tegami::smtp::client {

namespace asio = boost::asio;

struct ClientTlsParams {
  enum class Verify { kNone, kPkix, kDane };
  Verify verify = Verify::kNone;
  std::string server_name;             // SNI and the name checked (kPkix, DANE-TA); may be ""
  std::vector<std::string> alt_names;  // kDane: further names a DANE-TA(2) certificate may carry
  std::string ca_file;                 // kPkix: trust anchors; "" = the system's store
  std::vector<dns::TlsaRecord> tlsa;   // kDane
};

struct TlsOutcome {
  bool ok = false;
  bool verified = false;    // the certificate passed the PKIX or DANE check
  bool cert_error = false;  // !ok because the certificate was refused (not the handshake as such)
  std::string error;        // why not ok, in plain words
};

class ClientStream {
 public:
  ~ClientStream();
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // TCP connection to ip:port (an address literal) within `timeout`. kTemporary on failure.
  static asio::awaitable<Result<std::unique_ptr<ClientStream>>> connect(
      asio::any_io_executor ex, const std::string& ip, uint16_t port,
      std::chrono::milliseconds timeout);

  // Reads and writes below stop at the deadline set last (timed_out() then says so).
  void set_deadline(std::chrono::milliseconds from_now);
  // Up to buf.size() bytes; 0 at end of stream, on error or at the deadline. Never throws.
  asio::awaitable<std::size_t> read_some(std::span<char> buf);
  // Everything or false (peer gone, deadline). Never throws.
  asio::awaitable<bool> write_all(std::string_view data);
  // Client handshake within the current deadline. On failure the stream is closed.
  asio::awaitable<TlsOutcome> start_tls(const ClientTlsParams& params);

  bool timed_out() const;
  bool tls_active() const;
  std::string tls_version() const;  // "TLSv1.3", "" without TLS
  const std::string& remote_ip() const { return ip_; }
  void close();

  struct Core;  // socket, TLS state and deadline timer (shared with the timer's handler)

 private:
  ClientStream(std::shared_ptr<Core> core, std::string ip);
  std::shared_ptr<Core> core_;
  std::string ip_;
};

}  // namespace tegami::smtp::client
