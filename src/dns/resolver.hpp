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
  bool secure = false;  // validated by DNSSEC (for an alias: every link of the CNAME chain too)
  // The name the records belong to when the name asked is an alias (the end of its CNAME chain,
  // lower case, no trailing dot); empty when it is not an alias. RFC 7672 §2.2.2 needs it for
  // A/AAAA answers: with a secure chain, the TLSA records are looked up at this name first.
  std::string canonical_name;
};

// Errors: kNotFound for NXDOMAIN or no records of the type ("nodata"; except mx(), below),
// kTemporary for SERVFAIL, timeouts and network trouble, kInvalidData for a malformed name, kPerm
// for a bogus (failed DNSSEC validation) answer.
// Record types, for FakeResolver::set_failure and query logs.
enum class RrType { kA, kAaaa, kMx, kTxt, kTlsa, kPtr };
const char* rr_type_name(RrType t);

class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual Result<Answer<std::string>> txt(std::string_view name) = 0;  // each TXT's strings joined
  // Sorted by preference. Unlike the other lookups, "nodata" (the name exists without MX records)
  // is an answer: no records, `secure` telling whether that denial was DNSSEC-validated (RFC 7672
  // §2.2.1 needs it for a domain without MX). NXDOMAIN is still kNotFound. An RFC 7505 null MX is
  // one record with an empty host.
  virtual Result<Answer<MxRecord>> mx(std::string_view name) = 0;
  virtual Result<Answer<std::string>> a(std::string_view name) = 0;  // dotted quads
  virtual Result<Answer<std::string>> aaaa(std::string_view name) = 0;
  virtual Result<Answer<TlsaRecord>> tlsa(std::string_view name) = 0;
  // Reverse lookup of an IPv4 or IPv6 address in text form (SPF "ptr", %{p}): host names, lower
  // case, no trailing dot. kInvalidData when `ip` is not an address. The default answers
  // kNotFound, so resolvers written before this method existed keep compiling.
  virtual Result<Answer<std::string>> ptr(std::string_view ip);
};

// Checks a domain name given to a lookup: 1..253 octets without a trailing dot (one trailing dot
// is accepted and ignored), labels of 1..63 octets, no control characters, spaces or backslashes.
// Returns the name in lower case without the trailing dot.
Result<std::string> normalize_name(std::string_view name);

// The reverse-lookup name of an address ("4.3.2.1.in-addr.arpa", nibbles + ".ip6.arpa"), or
// kInvalidData.
Result<std::string> reverse_name(std::string_view ip);

struct ResolverOptions {
  // "ip@port" of a forwarder (tests point this at a DNS server on loopback); empty = the
  // system's /etc/resolv.conf.
  std::string forwarder;
  // DNSSEC trust anchor file (e.g. /usr/share/dns/root.key); empty = no validation.
  std::string trust_anchor_file;
  // Upper bound on one lookup (kTemporary when exceeded). libunbound alone gives up on a silent
  // server only after about 17 s.
  int timeout_ms = 10000;
  // libunbound answers the special-use zones "test.", "invalid.", "onion." and the AS112 reverse
  // zones itself (NXDOMAIN). With a forwarder set, "test." is sent to the forwarder instead, so
  // that test DNS servers on loopback can serve names like "mx.example.test".
};

Result<std::unique_ptr<Resolver>> make_unbound_resolver(const ResolverOptions& opts);

}  // namespace tegami::dns
