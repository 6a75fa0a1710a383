// RFC 5321 §4.1.2 (Path, Mailbox, Dot-string, Quoted-string, Domain), §4.1.3 (address
// literals), §4.5.3.1 (size limits), Appendix C (source routes), RFC 6531 §3.3 (UTF-8).
#include "smtp/proto/path.hpp"

#include <cstdint>

#include "base/strings.hpp"
#include "smtp/proto/limits.hpp"

namespace tegami::smtp::proto {
namespace {

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 5322 atext (RFC 5321 uses it for Atom), plus UTF8-non-ascii (RFC 6531 §3.3).
bool is_atext(unsigned char c) {
  if (is_alpha(c) || is_digit(c) || c >= 0x80) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

bool has_non_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

bool is_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = ch;
  }
  return true;
}

bool is_ipv4(std::string_view s) {
  auto parts = split(s, '.');
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    if (p.empty() || p.size() > 3) return false;
    for (char c : p)
      if (!is_digit(static_cast<unsigned char>(c))) return false;
    if (std::stoi(std::string(p)) > 255) return false;
  }
  return true;
}

// RFC 5321 §4.1.3 IPv6-addr (full, compressed, and with a trailing IPv4 part).
bool is_ipv6(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  size_t dc = s.find("::");
  if (dc != std::string_view::npos && s.find("::", dc + 1) != std::string_view::npos) return false;
  auto count_groups = [](std::string_view part, bool allow_v4_tail, int& groups) {
    groups = 0;
    if (part.empty()) return true;
    auto gs = split(part, ':');
    for (size_t i = 0; i < gs.size(); ++i) {
      auto g = gs[i];
      if (allow_v4_tail && i + 1 == gs.size() && g.find('.') != std::string_view::npos) {
        if (!is_ipv4(g)) return false;
        groups += 2;
        continue;
      }
      if (g.empty() || g.size() > 4) return false;
      for (char c : g)
        if (!is_hex(static_cast<unsigned char>(c))) return false;
      ++groups;
    }
    return true;
  };
  int a = 0, b = 0;
  if (dc == std::string_view::npos) {
    return count_groups(s, true, a) && a == 8;
  }
  if (!count_groups(s.substr(0, dc), false, a)) return false;
  if (!count_groups(s.substr(dc + 2), true, b)) return false;
  return a + b <= 7;
}

bool is_label(std::string_view l, bool allow_utf8) {
  if (l.empty() || l.size() > 63) return false;
  auto ok_end = [&](unsigned char c) {
    return is_alpha(c) || is_digit(c) || (allow_utf8 && c >= 0x80);
  };
  if (!ok_end(static_cast<unsigned char>(l.front())) ||
      !ok_end(static_cast<unsigned char>(l.back())))
    return false;
  for (char ch : l) {
    auto c = static_cast<unsigned char>(ch);
    if (!ok_end(c) && c != '-') return false;
  }
  return true;
}

}  // namespace

bool is_valid_domain(std::string_view s, bool allow_utf8) {
  if (s.empty() || s.size() > kMaxDomain) return false;
  for (auto l : split(s, '.'))
    if (!is_label(l, allow_utf8)) return false;
  if (has_non_ascii(s) && !is_valid_utf8(s)) return false;
  return true;
}

bool is_valid_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  std::string_view in = s.substr(1, s.size() - 2);
  if (is_ipv4(in)) return true;
  if (istarts_with(in, "IPv6:")) return is_ipv6(in.substr(5));
  // General-address-literal = Standardized-tag ":" 1*dcontent
  size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= in.size()) return false;
  std::string_view tag = in.substr(0, colon);
  if (!is_label(tag, false)) return false;
  for (char ch : in.substr(colon + 1)) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 33 && c <= 90) || (c >= 94 && c <= 126))) return false;
  }
  return true;
}

const char* path_error_text(PathError e) {
  switch (e) {
    case PathError::kNone:
      return "ok";
    case PathError::kNoBrackets:
      return "the address must be enclosed in <>";
    case PathError::kBadRoute:
      return "malformed source route";
    case PathError::kBadLocalPart:
      return "bad local part (before the @)";
    case PathError::kBadDomain:
      return "bad domain (after the @)";
    case PathError::kNoAt:
      return "the address has no @domain";
    case PathError::kTooLong:
      return "the address is too long";
    case PathError::kUtf8NotAllowed:
      return "non-ASCII address without SMTPUTF8";
    case PathError::kBadUtf8:
      return "invalid UTF-8 in the address";
    case PathError::kNullNotAllowed:
      return "an empty address <> is not allowed here";
  }
  return "bad address";
}

bool Mailbox::relay_hack() const {
  if (local.find('%') != std::string::npos) return true;
  if (local.find('!') != std::string::npos) return true;
  if (quoted && local.find('@') != std::string::npos) return true;
  return false;
}

std::string Mailbox::str() const {
  std::string out;
  if (is_dot_string(local)) {
    out = local;
  } else {
    out += '"';
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '@';
  out += domain;
  return out;
}

namespace {

// Parses Mailbox from s[i..]; stops at the first byte that cannot continue it (for a path,
// '>'). Sets i past the mailbox.
PathError parse_mailbox_at(std::string_view s, size_t& i, bool allow_utf8, Mailbox& out) {
  out = Mailbox{};
  size_t n = s.size();
  if (i >= n) return PathError::kBadLocalPart;
  if (s[i] == '"') {
    out.quoted = true;
    ++i;
    bool closed = false;
    while (i < n) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        closed = true;
        ++i;
        break;
      }
      if (c == '\\') {
        if (i + 1 >= n) return PathError::kBadLocalPart;
        auto q = static_cast<unsigned char>(s[i + 1]);
        if (q < 32 || q > 126) return PathError::kBadLocalPart;
        out.local += static_cast<char>(q);
        i += 2;
        continue;
      }
      // qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF8-non-ascii.
      if (!((c >= 32 && c <= 126) || c >= 0x80)) return PathError::kBadLocalPart;
      out.local += static_cast<char>(c);
      ++i;
    }
    if (!closed) return PathError::kBadLocalPart;
  } else {
    size_t start = i;
    while (i < n && (is_atext(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    out.local = std::string(s.substr(start, i - start));
    if (!is_dot_string(out.local)) return PathError::kBadLocalPart;
  }
  if (out.local.size() > kMaxLocalPart) return PathError::kTooLong;
  if (i >= n || s[i] != '@')
    return (i >= n || s[i] == '>') ? PathError::kNoAt : PathError::kBadLocalPart;
  ++i;
  size_t dstart = i;
  if (i < n && s[i] == '[') {
    size_t close = s.find(']', i);
    if (close == std::string_view::npos) return PathError::kBadDomain;
    out.domain = std::string(s.substr(dstart, close + 1 - dstart));
    i = close + 1;
    out.address_literal = true;
    if (!is_valid_address_literal(out.domain)) return PathError::kBadDomain;
  } else {
    while (i < n) {
      auto c = static_cast<unsigned char>(s[i]);
      if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c >= 0x80)) break;
      ++i;
    }
    out.domain = std::string(s.substr(dstart, i - dstart));
    if (out.domain.size() > kMaxDomain) return PathError::kTooLong;
    if (!is_valid_domain(out.domain, true)) {
      if (has_non_ascii(out.domain) && !is_valid_utf8(out.domain)) return PathError::kBadUtf8;
      return PathError::kBadDomain;
    }
  }
  out.utf8 = has_non_ascii(out.local) || has_non_ascii(out.domain);
  if (out.utf8) {
    if (!is_valid_utf8(out.local) || !is_valid_utf8(out.domain)) return PathError::kBadUtf8;
    if (!allow_utf8) return PathError::kUtf8NotAllowed;
  }
  return PathError::kNone;
}

}  // namespace

PathError parse_mailbox(std::string_view s, bool allow_utf8, Mailbox& out) {
  size_t i = 0;
  PathError e = parse_mailbox_at(s, i, allow_utf8, out);
  if (e != PathError::kNone) return e;
  if (i != s.size()) return PathError::kBadDomain;
  return PathError::kNone;
}

PathError parse_path(std::string_view s, bool allow_null, bool allow_utf8, Path& out,
                     std::size_t& consumed) {
  out = Path{};
  consumed = 0;
  if (s.empty() || s[0] != '<') return PathError::kNoBrackets;
  size_t i = 1, n = s.size();
  if (i < n && s[i] == '>') {
    if (!allow_null) return PathError::kNullNotAllowed;
    out.null = true;
    consumed = 2;
    return PathError::kNone;
  }
  // A-d-l = At-domain *( "," At-domain ) ":"  (parsed, then ignored: RFC 5321 Appendix C).
  if (i < n && s[i] == '@') {
    for (;;) {
      if (i >= n || s[i] != '@') return PathError::kBadRoute;
      ++i;
      size_t start = i;
      while (i < n && s[i] != ',' && s[i] != ':' && s[i] != '>') ++i;
      if (!is_valid_domain(s.substr(start, i - start), allow_utf8)) return PathError::kBadRoute;
      if (i >= n) return PathError::kBadRoute;
      if (s[i] == ',') {
        ++i;
        continue;
      }
      if (s[i] == ':') {
        ++i;
        break;
      }
      return PathError::kBadRoute;
    }
    out.source_route = true;
  }
  PathError e = parse_mailbox_at(s, i, allow_utf8, out.mailbox);
  if (e != PathError::kNone) return e;
  if (i >= n || s[i] != '>') {
    // "<user@dom ain>" or trailing garbage: name the part that is wrong.
    return i >= n ? PathError::kNoBrackets : PathError::kBadDomain;
  }
  ++i;
  // RFC 5321 §4.5.3.1.3: 256 octets including the brackets (the route does not count).
  if (out.mailbox.local.size() + out.mailbox.domain.size() + 3 > kMaxPath)
    return PathError::kTooLong;
  consumed = i;
  return PathError::kNone;
}

}  // namespace tegami::smtp::proto
