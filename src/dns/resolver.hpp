// DNS lookups for mail (MX, A/AAAA, TXT, TLSA) with the DNSSEC status DANE needs
// (DESIGN.md §2 dns/). Methods block: call them on the worker pool (net::offload).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tegami::dns {

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // lower case, no trailing dot
};

struct TlsaRecord {
  uint8_t usage = 0, selector = 0, matching_type = 0;
  std::string data;  // raw bytes
};

template <class T>
struct Answer {
  std::vector<T> records;
  bool secure = false;  // validated by DNSSEC
};

// Errors: kNotFound for NXDOMAIN or no records of the type ("nodata"), kTemporary for SERVFAIL,
// timeouts and network trouble, kInvalidData for a malformed name, kPerm for a bogus (failed
// DNSSEC validation) answer.
class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual Result<Answer<std::string>> txt(std::string_view name) = 0;  // each TXT's strings joined
  virtual Result<Answer<MxRecord>> mx(std::string_view name) = 0;      // sorted by preference
  virtual Result<Answer<std::string>> a(std::string_view name) = 0;    // dotted quads
  virtual Result<Answer<std::string>> aaaa(std::string_view name) = 0;
  virtual Result<Answer<TlsaRecord>> tlsa(std::string_view name) = 0;
};

struct ResolverOptions {
  // "ip@port" of a forwarder (tests point this at a DNS server on loopback); empty = the
  // system's /etc/resolv.conf.
  std::string forwarder;
  // DNSSEC trust anchor file (e.g. /usr/share/dns/root.key); empty = no validation.
  std::string trust_anchor_file;
};

Result<std::unique_ptr<Resolver>> make_unbound_resolver(const ResolverOptions& opts);

}  // namespace tegami::dns
