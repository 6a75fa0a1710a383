// Mailbox names: modified UTF-7 (RFC 3501 §5.1.3, RFC 9051 §5.1.3), INBOX (RFC 9051 §5.1),
// UTF-8 names with UTF8=ACCEPT (RFC 6855 §3).
#include "imap/proto/mailbox.hpp"

#include <cstdint>
#include <vector>

#include "base/strings.hpp"

namespace tegami::imap::proto {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == ',') {
    return 63;
  }
  return -1;
}

// Next code point of valid UTF-8, or -1.
int32_t next_cp(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len;
  int32_t cp;
  if (c < 0x80) {
    ++i;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return -1;
  }
  if (i + len > s.size()) {
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) {
      return -1;
    }
    cp = (cp << 6) | (d & 0x3F);
  }
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return -1;
  }
  i += len;
  return cp;
}

void flush_b64(std::string& out, std::vector<uint16_t>& units) {
  if (units.empty()) {
    return;
  }
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kB64[(bits >> nbits) & 0x3F];
    }
  }
  if (nbits > 0) {
    out += kB64[(bits << (6 - nbits)) & 0x3F];
  }
  out += '-';
  units.clear();
}

}  // namespace

std::optional<std::string> mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> units;
  size_t i = 0;
  while (i < utf8.size()) {
    int32_t cp = next_cp(utf8, i);
    if (cp < 0) {
      return std::nullopt;
    }
    if (cp >= 0x20 && cp <= 0x7E) {
      flush_b64(out, units);
      if (cp == '&') {
        out += "&-";
      } else {
        out += static_cast<char>(cp);
      }
      continue;
    }
    if (cp >= 0x10000) {
      uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
      units.push_back(static_cast<uint16_t>(0xD800 | (v >> 10)));
      units.push_back(static_cast<uint16_t>(0xDC00 | (v & 0x3FF)));
    } else {
      units.push_back(static_cast<uint16_t>(cp));
    }
  }
  flush_b64(out, units);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view in) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < 0x20 || c > 0x7E) {
      return std::nullopt;
    }
    if (c != '&') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    ++i;
    if (i < in.size() && in[i] == '-') {
      out += '&';
      ++i;
      continue;
    }
    uint32_t bits = 0;
    int nbits = 0;
    uint32_t high = 0;  // pending high surrogate
    size_t count = 0;
    for (;;) {
      if (i >= in.size()) {
        return std::nullopt;  // missing "-"
      }
      char ch = in[i++];
      if (ch == '-') {
        break;
      }
      int v = b64_value(ch);
      if (v < 0) {
        return std::nullopt;
      }
      ++count;
      bits = ((bits << 6) | static_cast<uint32_t>(v)) & 0xFFFFFF;
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        uint32_t u = (bits >> nbits) & 0xFFFF;
        if (high) {
          if (u < 0xDC00 || u > 0xDFFF) {
            return std::nullopt;
          }
          append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00));
          high = 0;
        } else if (u >= 0xD800 && u <= 0xDBFF) {
          high = u;
        } else if ((u >= 0xDC00 && u <= 0xDFFF) || (u >= 0x20 && u <= 0x7E)) {
          return std::nullopt;  // a lone low surrogate, or printable ASCII (must not be encoded)
        } else {
          append_utf8(out, u);
        }
      }
    }
    if (count == 0 || high) {
      return std::nullopt;
    }
    if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) {
      return std::nullopt;  // bad padding
    }
  }
  return out;
}

std::string normalize_inbox(std::string_view name) {
  if (iequals(name, "INBOX")) {
    return "INBOX";
  }
  return std::string(name);
}

bool mailbox_chars_ok(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    auto next = [&](size_t k) {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    if (c == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) return false;  // U+0080-U+009F
    if (c == 0xE2 && next(1) == 0x80 && (next(2) == 0xA8 || next(2) == 0xA9)) {
      return false;  // U+2028, U+2029
    }
  }
  return true;
}

std::optional<std::string> mailbox_from_wire(std::string_view name, bool utf8_accept) {
  if (name.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  if (utf8_accept) {
    if (!is_valid_utf8(name) || !mailbox_chars_ok(name)) {
      return std::nullopt;
    }
    return normalize_inbox(name);
  }
  auto d = mutf7_decode(name);
  if (!d) {
    return std::nullopt;
  }
  return normalize_inbox(*d);
}

std::string mailbox_to_wire(std::string_view utf8_name, bool utf8_accept) {
  if (utf8_accept) {
    return std::string(utf8_name);
  }
  auto e = mutf7_encode(utf8_name);
  return e ? *e : std::string(utf8_name);
}

}  // namespace tegami::imap::proto
