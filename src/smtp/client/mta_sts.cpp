// MTA-STS parsing (RFC 8461 §3.1 TXT record, §3.2 policy file) and MX matching (§4.1). Pure
// functions: no network (the fetch and the cache are in mta_sts_fetch.cpp).
#include "smtp/client/mta_sts.hpp"

#include "base/strings.hpp"

namespace tegami::smtp::client {

namespace {

constexpr int64_t kMaxAge = 31557600;  // §3.2: one year

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_wsp(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

// sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
bool ext_name(std::string_view s) {
  if (s.empty() || s.size() > 32 || !is_alnum(s[0])) return false;
  for (char c : s)
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

// sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible characters except ";" and "=".
bool ext_value(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7E || c == ';' || c == '=') return false;
  return true;
}

// A host name as in an mx pattern (after an optional "*."): LDH labels of 1..63, at least two
// labels, 253 bytes at most. Returns it lower-cased without a trailing dot, or "" when invalid.
std::string domain_pattern(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return "";
  auto labels = split(s, '.');
  if (labels.size() < 2) return "";
  for (std::string_view l : labels) {
    if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return "";
    for (char c : l)
      if (!is_alnum(c) && c != '-') return "";
  }
  return ascii_lower(s);
}

}  // namespace

Result<std::string> parse_sts_txt(std::string_view txt) {
  constexpr std::string_view kVersion = "v=STSv1";
  if (txt.substr(0, kVersion.size()) != kVersion) return make_error(Errc::kNotFound, "not STS");
  std::string_view rest = txt.substr(kVersion.size());
  if (!rest.empty() && !is_wsp(rest[0]) && rest[0] != ';')
    return make_error(Errc::kNotFound, "not an STSv1 record");
  auto fields = split(rest, ';');
  if (!trim_wsp(fields[0]).empty())
    return make_error(Errc::kInvalidData, "MTA-STS record: text after the version");
  std::string id;
  for (std::size_t i = 1; i < fields.size(); ++i) {
    std::string_view f = trim_wsp(fields[i]);
    if (f.empty()) {
      if (i + 1 == fields.size()) break;  // a trailing ";" is allowed
      return make_error(Errc::kInvalidData, "MTA-STS record: empty field");
    }
    std::size_t eq = f.find('=');
    if (eq == std::string_view::npos)
      return make_error(Errc::kInvalidData, "MTA-STS record: field without '='");
    std::string_view name = f.substr(0, eq), value = f.substr(eq + 1);
    if (name == "id") {
      if (!id.empty()) return make_error(Errc::kInvalidData, "MTA-STS record: id given twice");
      if (value.empty() || value.size() > 32)
        return make_error(Errc::kInvalidData, "MTA-STS record: id must be 1 to 32 characters");
      for (char c : value)
        if (!is_alnum(c))
          return make_error(Errc::kInvalidData, "MTA-STS record: id must be letters and digits");
      id = std::string(value);
    } else if (!ext_name(name) || !ext_value(value)) {
      return make_error(Errc::kInvalidData, "MTA-STS record: malformed field");
    }
  }
  if (id.empty()) return make_error(Errc::kInvalidData, "MTA-STS record without an id");
  return id;
}

Result<StsPolicy> parse_sts_policy(std::string_view text) {
  StsPolicy p;
  bool have_version = false, have_mode = false, have_age = false;
  for (std::string_view line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim_wsp(line).empty()) continue;  // blank lines (often at the end): tolerated
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return make_error(Errc::kInvalidData, "MTA-STS policy: line without ':'");
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim_wsp(line.substr(colon + 1));
    if (!ext_name(key)) return make_error(Errc::kInvalidData, "MTA-STS policy: malformed key");
    // The first of a repeated field (other than mx) counts.
    if (key == "version") {
      if (have_version) continue;
      if (value != "STSv1")
        return make_error(Errc::kInvalidData, "MTA-STS policy: version is not STSv1");
      have_version = true;
    } else if (key == "mode") {
      if (have_mode) continue;
      if (value == "enforce")
        p.mode = StsPolicy::Mode::kEnforce;
      else if (value == "testing")
        p.mode = StsPolicy::Mode::kTesting;
      else if (value == "none")
        p.mode = StsPolicy::Mode::kNone;
      else
        return make_error(Errc::kInvalidData, "MTA-STS policy: unknown mode");
      have_mode = true;
    } else if (key == "max_age") {
      if (have_age) continue;
      if (value.empty() || value.size() > 10)
        return make_error(Errc::kInvalidData, "MTA-STS policy: max_age must be 1 to 10 digits");
      for (char c : value)
        if (!is_digit(c))
          return make_error(Errc::kInvalidData, "MTA-STS policy: max_age must be digits");
      // Above the maximum of one year: capped rather than refused, so that a typo does not turn
      // protection off.
      p.max_age = std::min<int64_t>(std::stoll(std::string(value)), kMaxAge);
      have_age = true;
    } else if (key == "mx") {
      bool wildcard = value.substr(0, 2) == "*.";
      std::string host = domain_pattern(wildcard ? value.substr(2) : value);
      if (host.empty())
        return make_error(Errc::kInvalidData,
                          "MTA-STS policy: malformed mx pattern '" + std::string(value) + "'");
      p.mx.push_back(wildcard ? "*." + host : host);
    }
    // Other keys: extensions, ignored (§3.2).
  }
  if (!have_version) return make_error(Errc::kInvalidData, "MTA-STS policy without a version");
  if (!have_mode) return make_error(Errc::kInvalidData, "MTA-STS policy without a mode");
  if (!have_age) return make_error(Errc::kInvalidData, "MTA-STS policy without max_age");
  if (p.mx.empty() && p.mode != StsPolicy::Mode::kNone)
    return make_error(Errc::kInvalidData, "MTA-STS policy without mx patterns");
  return p;
}

bool sts_mx_matches(const StsPolicy& p, std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string h = ascii_lower(host);
  if (h.empty()) return false;
  for (const std::string& pat : p.mx) {
    if (pat.substr(0, 2) == "*.") {
      // §4.1: the wildcard stands for exactly one label, the leftmost.
      std::string_view suffix = std::string_view(pat).substr(1);  // ".example.com"
      if (h.size() <= suffix.size() ||
          h.compare(h.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) != 0)
        continue;
      std::string_view label = std::string_view(h).substr(0, h.size() - suffix.size());
      if (!label.empty() && label.find('.') == std::string_view::npos) return true;
    } else if (h == pat) {
      return true;
    }
  }
  return false;
}

}  // namespace tegami::smtp::client
