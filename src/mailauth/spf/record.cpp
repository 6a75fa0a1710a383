// SPF record parsing; see record.hpp for the RFC 7208 sections.
#include "mailauth/spf/record.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "base/strings.hpp"

namespace tegami::spf {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

bool is_delimiter(char c) { return std::strchr(".-+,/_=", c) != nullptr && c != '\0'; }

// One token of a macro-string: `expand` is true for any macro-expand (%{..}, %%, %_, %-).
// Returns the number of bytes consumed, 0 on a syntax error.
size_t macro_token(std::string_view s, size_t i, bool explanation, bool& expand) {
  char c = s[i];
  if (c != '%') {
    expand = false;
    auto u = static_cast<unsigned char>(c);
    if (c == ' ' && explanation) return 1;  // explain-string = *( macro-string / SP )
    return (u >= 0x21 && u <= 0x7e) ? 1 : 0;
  }
  expand = true;
  if (i + 1 >= s.size()) return 0;
  char n = s[i + 1];
  if (n == '%' || n == '_' || n == '-') return 2;
  if (n != '{') return 0;
  size_t j = i + 2;
  if (j >= s.size()) return 0;
  char letter = static_cast<char>(ascii_lower(std::string_view(&s[j], 1))[0]);
  bool ok = std::strchr("slodiphv", letter) != nullptr ||
            (explanation && std::strchr("crt", letter) != nullptr);
  if (!ok || letter == '\0') return 0;
  ++j;
  size_t digits_start = j;
  while (j < s.size() && is_digit(s[j])) ++j;
  if (j > digits_start) {
    if (j - digits_start > 3) return 0;
    auto n_parts = parse_u64(s.substr(digits_start, j - digits_start));
    if (!n_parts || *n_parts == 0) return 0;  // §7.1: the DIGIT transformer is nonzero
  }
  if (j < s.size() && (s[j] == 'r' || s[j] == 'R')) ++j;
  while (j < s.size() && is_delimiter(s[j])) ++j;
  if (j >= s.size() || s[j] != '}') return 0;
  return j + 1 - i;
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool valid_toplabel(std::string_view l) {
  if (l.empty() || !is_alnum(l.front()) || !is_alnum(l.back())) return false;
  bool non_digit = false;
  for (char c : l) {
    if (!is_alnum(c) && c != '-') return false;
    if (!is_digit(c)) non_digit = true;
  }
  return non_digit;
}

// "0" / %x31-39 *DIGIT, at most `max`.
std::optional<int> parse_cidr_length(std::string_view d, int max) {
  if (d.empty() || d.size() > 3 || (d.size() > 1 && d[0] == '0')) return std::nullopt;
  for (char c : d)
    if (!is_digit(c)) return std::nullopt;
  int v = std::stoi(std::string(d));
  if (v > max) return std::nullopt;
  return v;
}

// Takes a trailing "/digits" (when `double_slash`, "//digits") off `s`. Returns false on a
// malformed length; `found` tells whether there was one.
bool take_cidr(std::string_view& s, bool double_slash, int max, int& out) {
  size_t i = s.size();
  while (i > 0 && is_digit(s[i - 1])) --i;
  if (i == s.size() || i == 0 || s[i - 1] != '/') return true;
  bool is_double = i >= 2 && s[i - 2] == '/';
  if (is_double != double_slash) return true;
  auto v = parse_cidr_length(s.substr(i), max);
  if (!v) return false;
  out = *v;
  s = s.substr(0, i - (double_slash ? 2 : 1));
  return true;
}

Error syntax(std::string_view term, const char* why) {
  return make_error(Errc::kInvalidData,
                    "SPF record: term \"" + std::string(term.substr(0, 100)) + "\" " + why);
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  std::string t(text);
  IpAddress ip;
  if (inet_pton(AF_INET, t.c_str(), ip.bytes.data()) == 1) return ip;
  uint8_t b[16];
  if (inet_pton(AF_INET6, t.c_str(), b) != 1) return std::nullopt;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0) {
    std::memcpy(ip.bytes.data(), b + 12, 4);
    return ip;
  }
  ip.v6 = true;
  std::memcpy(ip.bytes.data(), b, 16);
  return ip;
}

std::string ip_to_string(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf);
  return buf;
}

bool ip_in_network(const IpAddress& a, const IpAddress& net, int prefix) {
  if (a.v6 != net.v6) return false;
  int bits = a.v6 ? 128 : 32;
  if (prefix < 0 || prefix > bits) return false;
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), net.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[static_cast<size_t>(full)] & mask) ==
         (net.bytes[static_cast<size_t>(full)] & mask);
}

bool is_spf_record(std::string_view txt) {
  return istarts_with(txt, "v=spf1") && (txt.size() == 6 || txt[6] == ' ');
}

bool valid_macro_string(std::string_view s, bool explanation) {
  bool expand = false;
  for (size_t i = 0; i < s.size();) {
    size_t n = macro_token(s, i, explanation, expand);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool valid_domain_spec(std::string_view s) {
  if (s.empty()) return false;
  bool expand = false;
  size_t literal_start = 0;
  for (size_t i = 0; i < s.size();) {
    size_t n = macro_token(s, i, false, expand);
    if (n == 0) return false;
    i += n;
    if (expand) literal_start = i;
  }
  if (literal_start == s.size()) return true;  // ends in a macro-expand
  std::string_view tail = s.substr(literal_start);
  if (tail.back() == '.') tail.remove_suffix(1);
  size_t dot = tail.rfind('.');
  if (dot == std::string_view::npos) return false;
  return valid_toplabel(tail.substr(dot + 1));
}

Result<Record> parse_record(std::string_view txt) {
  if (txt.size() > kMaxRecordSize)
    return make_error(Errc::kInvalidData, "SPF record: longer than 4096 characters");
  if (!is_spf_record(txt))
    return make_error(Errc::kInvalidData, "SPF record: does not start with v=spf1");
  Record rec;
  for (std::string_view term : split(txt.substr(6), ' ')) {
    if (term.empty()) continue;
    // modifier: name "=" macro-string, name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    size_t n = 0;
    if (is_alpha(term[0])) {
      n = 1;
      while (n < term.size() &&
             (is_alnum(term[n]) || term[n] == '-' || term[n] == '_' || term[n] == '.'))
        ++n;
    }
    if (n > 0 && n < term.size() && term[n] == '=') {
      std::string name = ascii_lower(term.substr(0, n));
      std::string_view value = term.substr(n + 1);
      if (name == "redirect" || name == "exp") {
        auto& slot = name == "redirect" ? rec.redirect : rec.exp;
        if (slot) return syntax(term, "repeats a modifier that may appear once");
        if (!valid_domain_spec(value)) return syntax(term, "has a malformed domain");
        slot = std::string(value);
      } else if (!valid_macro_string(value)) {
        return syntax(term, "has a malformed value");
      }
      continue;
    }
    Mechanism m;
    m.text = std::string(term);
    std::string_view rest = term;
    if (rest[0] != '\0' && std::strchr("+-~?", rest[0]) != nullptr) {
      m.qualifier = static_cast<Qualifier>(rest[0]);
      rest.remove_prefix(1);
    }
    size_t k = 0;
    while (k < rest.size() && is_alnum(rest[k])) ++k;
    std::string name = ascii_lower(rest.substr(0, k));
    rest.remove_prefix(k);
    if (name == "all") {
      m.kind = MechanismKind::kAll;
      if (!rest.empty()) return syntax(term, "has text after \"all\"");
    } else if (name == "include" || name == "exists") {
      m.kind = name == "include" ? MechanismKind::kInclude : MechanismKind::kExists;
      if (rest.empty() || rest[0] != ':' || !valid_domain_spec(rest.substr(1)))
        return syntax(term, "needs a domain");
      m.domain_spec = std::string(rest.substr(1));
    } else if (name == "a" || name == "mx") {
      m.kind = name == "a" ? MechanismKind::kA : MechanismKind::kMx;
      if (!take_cidr(rest, true, 128, m.cidr6) || !take_cidr(rest, false, 32, m.cidr4))
        return syntax(term, "has a malformed prefix length");
      if (!rest.empty()) {
        if (rest[0] != ':' || !valid_domain_spec(rest.substr(1)))
          return syntax(term, "has a malformed domain");
        m.domain_spec = std::string(rest.substr(1));
      }
    } else if (name == "ptr") {
      m.kind = MechanismKind::kPtr;
      if (!rest.empty()) {
        if (rest[0] != ':' || !valid_domain_spec(rest.substr(1)))
          return syntax(term, "has a malformed domain");
        m.domain_spec = std::string(rest.substr(1));
      }
    } else if (name == "ip4" || name == "ip6") {
      bool v6 = name == "ip6";
      m.kind = v6 ? MechanismKind::kIp6 : MechanismKind::kIp4;
      if (rest.empty() || rest[0] != ':') return syntax(term, "needs an address");
      rest.remove_prefix(1);
      int& len = v6 ? m.cidr6 : m.cidr4;
      if (!take_cidr(rest, false, v6 ? 128 : 32, len))
        return syntax(term, "has a malformed prefix length");
      std::string addr(rest);
      int family = v6 ? AF_INET6 : AF_INET;
      if (addr.empty() || addr.size() > 45 ||
          inet_pton(family, addr.c_str(), m.ip.bytes.data()) != 1)
        return syntax(term, "has a malformed address");
      // An IPv4-mapped network stays IPv6: IPv4 clients are matched by ip4 and a only (§5).
      m.ip.v6 = v6;
    } else {
      return syntax(term, "is not an SPF mechanism");
    }
    rec.mechanisms.push_back(std::move(m));
  }
  return rec;
}

}  // namespace tegami::spf
