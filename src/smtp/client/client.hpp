// The outbound SMTP client (RFC 5321 client side; DESIGN.md §2 smtp/client): one connection to
// one remote host, carrying one or more messages (RFC 5321 §3.3 transactions back to back).
// TLS: STARTTLS when offered (RFC 3207); the certificate is checked when the caller's policy
// says so (MTA-STS RFC 8461 -> PKIX + host name; DANE RFC 7672 -> TLSA records through
// OpenSSL's DANE support). Extensions: PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME
// (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461), REQUIRETLS (RFC 8689), ENHANCEDSTATUSCODES.
//
// The queue (src/queue) owns retries and routing; this module only speaks to one host and
// reports exactly what happened, per recipient.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "dns/resolver.hpp"
#include "smtp/client/types.hpp"

namespace tegami::smtp::client {

namespace asio = boost::asio;

enum class TlsPolicy {
  kOpportunistic,  // STARTTLS when offered, certificate not checked; plain text otherwise
  kPkix,           // MTA-STS "enforce": STARTTLS required, chain + host name (verify_name) checked
  kDane,           // DANE: STARTTLS required, certificate must match one of `tlsa` (RFC 7672);
                   // only DANE-TA(2) and DANE-EE(3) records count, and when none is usable
                   // TLS is still required but not verified (RFC 7672 §2.2)
};

struct TlsOptions {
  TlsPolicy policy = TlsPolicy::kOpportunistic;
  std::string verify_name;  // the MX host name (SNI is always sent when a name)
  // kDane: further names a DANE-TA(2) certificate may carry instead of verify_name (which is
  // the TLSA base domain and the SNI): the other name of a secure CNAME chain, the host name as
  // given or its expansion (RFC 7672 §3.2.2). Not sent; ignored by the other policies.
  std::vector<std::string> verify_alt_names;
  std::vector<dns::TlsaRecord> tlsa;  // kDane: the DNSSEC-validated TLSA records of the host
  std::string ca_file;                // kPkix trust anchors; empty = the system's store
  bool require_tls = false;           // no STARTTLS offered -> fail (REQUIRETLS, RFC 8689)
  // kOpportunistic only: stay in plain text even when STARTTLS is offered. For the retry after
  // a failed opportunistic handshake (connect() then failed with kTlsHandshakeFailed).
  bool skip_starttls = false;
};

// connect() errors whose message starts with this are TLS handshakes that failed after the
// server accepted STARTTLS (not certificate checks): under kOpportunistic the queue may try the
// host again with skip_starttls (RFC 7435 §3: fall back to plain text rather than not deliver).
inline constexpr std::string_view kTlsHandshakeFailed = "TLS handshake failed";

struct Options {
  std::string ehlo_name;  // our host name
  TlsOptions tls;
  std::chrono::seconds connect_timeout{30};
  // RFC 5321 §4.5.3.2 timeouts: greeting 5 min, MAIL 5, RCPT 5, DATA init 2, data block 3,
  // final "." 10 min. One setting for the command replies and one for the final reply keeps
  // tests short; defaults are the RFC's.
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds final_timeout{600};
  std::size_t max_reply_bytes = 64 * 1024;  // a reply longer than this is a protocol failure
  std::size_t max_reply_lines = 200;        // a reply with more lines is a protocol failure
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Sends one message (CRLF line ends; dots are stuffed here). Never throws.
  virtual asio::awaitable<SendResult> send(const Envelope& env, const std::string& content) = 0;
  virtual asio::awaitable<void> quit() = 0;  // QUIT and close; safe to call twice

  // What was negotiated, for logs and Received-style records.
  virtual const std::string& host() const = 0;  // verify name or IP we connected to
  virtual const std::string& ip() const = 0;
  virtual bool tls() const = 0;
  virtual bool tls_verified() const = 0;  // PKIX or DANE check passed
  virtual std::string tls_version() const = 0;
  virtual uint64_t max_size() const = 0;  // SIZE from EHLO, 0 = not announced
  virtual bool dsn() const = 0;  // DSN offered: the server reports delivery itself (RFC 3461)
};

// Threads: the socket and its timers use `ex`; call connect() and every Connection method from
// coroutines that run on `ex`, and pass a strand (or a one-thread io_context) as `ex`.
//
// Connects to ip:port, reads the greeting, EHLO (HELO fallback), STARTTLS per policy, EHLO
// again. Errors carry the reason in plain words plus the reply when the server gave one:
//   kTemporary: connection refused/timeout, 4xx greeting, TLS required but failed or not
//               offered (policy), DANE/PKIX mismatch (RFC 7672 §2.2: treat as temporary);
//   kPerm: 5xx greeting or 5xx to EHLO and HELO.
// `reply` (when not null) receives the server's reply for the error, if any.
asio::awaitable<Result<std::unique_ptr<Connection>>> connect(asio::any_io_executor ex,
                                                             const std::string& ip, uint16_t port,
                                                             const Options& opts,
                                                             Reply* reply = nullptr);

}  // namespace tegami::smtp::client
