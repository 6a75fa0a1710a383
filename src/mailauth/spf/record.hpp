// SPF record syntax (RFC 7208 §4.5 record selection, §4.6 record parsing, §5 mechanisms, §6
// modifiers, §7.1 macro syntax, §12 ABNF). Pure: no DNS, no I/O; fuzzed by spf_record_fuzz.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tegami::spf {

enum class Qualifier : char { kPass = '+', kFail = '-', kSoftFail = '~', kNeutral = '?' };

enum class MechanismKind { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };

// An IP address: IPv4 in the first 4 bytes with v6 = false. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) are IPv4 (RFC 7208 §5).
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};
std::optional<IpAddress> parse_ip(std::string_view text);
std::string ip_to_string(const IpAddress& ip);
// True when the first `prefix` bits of `a` and `b` are equal and both are of the same family.
bool ip_in_network(const IpAddress& a, const IpAddress& net, int prefix);

struct Mechanism {
  Qualifier qualifier = Qualifier::kPass;
  MechanismKind kind = MechanismKind::kAll;
  std::string domain_spec;  // unexpanded; empty = the current domain (a, mx, ptr)
  int cidr4 = 32;           // a, mx, ip4
  int cidr6 = 128;          // a, mx, ip6
  IpAddress ip;             // ip4, ip6
  std::string text;         // the term as written, for reports
};

struct Record {
  std::vector<Mechanism> mechanisms;
  std::optional<std::string> redirect;  // domain-spec, unexpanded
  std::optional<std::string> exp;       // domain-spec, unexpanded (the text is not fetched)
};

// "v=spf1" (any case) followed by a space or the end (§4.5).
bool is_spf_record(std::string_view txt);

// Parses one SPF record. Syntax errors (unknown mechanism, bad CIDR, bad macro, duplicate
// redirect/exp) are kInvalidData with a sentence that names the term: check_host turns them into
// permerror. Unknown modifiers are accepted and ignored (§6). Hard limit: records longer than
// kMaxRecordSize are refused.
constexpr size_t kMaxRecordSize = 4096;
Result<Record> parse_record(std::string_view txt);

// Macro-string syntax (§7.1): "%{" letter *DIGIT ["r"] *delimiter "}", "%%", "%_", "%-" and
// visible ASCII. Letters s l o d i p h v; c r t only when `explanation` is true.
bool valid_macro_string(std::string_view s, bool explanation = false);
// A domain-spec: a macro-string that ends in a macro-expand or in "." toplabel ["."] (§7.1).
bool valid_domain_spec(std::string_view s);

}  // namespace tegami::spf
