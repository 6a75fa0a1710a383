// Domain-name checks and reverse names (RFC 1035 §2.3.4 size limits, RFC 3596 §2.5 ip6.arpa,
// RFC 1035 §3.5 in-addr.arpa).
#include <arpa/inet.h>

#include <cstdio>

#include "base/strings.hpp"
#include "dns/resolver.hpp"

namespace tegami::dns {

const char* rr_type_name(RrType t) {
  switch (t) {
    case RrType::kA:
      return "A";
    case RrType::kAaaa:
      return "AAAA";
    case RrType::kMx:
      return "MX";
    case RrType::kTxt:
      return "TXT";
    case RrType::kTlsa:
      return "TLSA";
    case RrType::kPtr:
      return "PTR";
  }
  return "?";
}

Result<Answer<std::string>> Resolver::ptr(std::string_view ip) {
  return make_error(Errc::kNotFound, "reverse lookups are not supported by this resolver");
}

Result<std::string> normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253)
    return make_error(Errc::kInvalidData, "a domain name must have 1 to 253 characters");
  size_t label = 0;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '\\')
      return make_error(Errc::kInvalidData, "a domain name contains a space or control character");
    if (c == '.') {
      if (label == 0) return make_error(Errc::kInvalidData, "a domain name has an empty label");
      label = 0;
    } else if (++label > 63) {
      return make_error(Errc::kInvalidData, "a domain name label is longer than 63 characters");
    }
  }
  return ascii_lower(name);
}

Result<std::string> reverse_name(std::string_view ip) {
  std::string text(ip);
  unsigned char b[16];
  if (inet_pton(AF_INET, text.c_str(), b) == 1) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
    return std::string(buf);
  }
  if (inet_pton(AF_INET6, text.c_str(), b) == 1) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += kHex[b[i] & 0xf];
      out += '.';
      out += kHex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return make_error(Errc::kInvalidData, "not an IP address: " + text);
}

}  // namespace tegami::dns
