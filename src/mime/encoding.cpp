// RFC 2045 §6.7-6.8 transfer decodings, RFC 2047 encoded words, RFC 2231 §4 values.
#include "mime/encoding.hpp"

#include "base/strings.hpp"
#include "mime/charset.hpp"

namespace tegami::mime {
namespace {

int b64_value(unsigned char c) {
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
  if (c == '/') {
    return 63;
  }
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 2047 §4.2 Q decoding: like quoted-printable, plus '_' for space.
std::string decode_q(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=' && i + 2 < t.size() && hex_value(t[i + 1]) >= 0 &&
               hex_value(t[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(t[i + 1]) * 16 + hex_value(t[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

struct EncodedWord {
  std::string_view charset;
  std::string bytes;
  size_t end = 0;  // one past "?="
};

// Parses "=?charset?enc?text?=" at `p` (which points at "=?"). The text may not contain '?'
// or whitespace: every scan stops at the third '?', which keeps the whole pass linear.
bool parse_encoded_word(std::string_view s, size_t p, EncodedWord& w) {
  size_t i = p + 2;
  size_t cs_start = i;
  while (i < s.size() && s[i] != '?' && !is_wsp(s[i]) && i - cs_start < 80) {
    ++i;
  }
  if (i >= s.size() || s[i] != '?' || i == cs_start) {
    return false;
  }
  std::string_view charset = s.substr(cs_start, i - cs_start);
  ++i;
  if (i + 1 >= s.size() || s[i + 1] != '?') {
    return false;
  }
  char enc = s[i];
  if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') {
    return false;
  }
  i += 2;
  size_t text_start = i;
  while (i < s.size() && s[i] != '?' && !is_wsp(s[i])) {
    ++i;
  }
  if (i + 1 >= s.size() || s[i] != '?' || s[i + 1] != '=') {
    return false;
  }
  std::string_view text = s.substr(text_start, i - text_start);
  if (auto star = charset.find('*'); star != std::string_view::npos) {  // RFC 2231 §5 language
    charset = charset.substr(0, star);
  }
  w.charset = charset;
  w.bytes = (enc == 'B' || enc == 'b') ? decode_base64(text) : decode_q(text);
  w.end = i + 2;
  return true;
}

bool has_iso2022_escape(std::string_view s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] == '\x1b' && (s[i + 1] == '$' || s[i + 1] == '(')) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    int v = b64_value(static_cast<unsigned char>(ch));
    if (v < 0) {
      continue;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  size_t i = 0, n = t.size();
  while (i < n) {
    // One line at a time so trailing whitespace can be dropped (RFC 2045 §6.7 rule 3).
    size_t eol = t.find('\n', i);
    size_t line_end = eol == std::string_view::npos ? n : eol;
    size_t content_end = line_end;
    if (content_end > i && t[content_end - 1] == '\r') {
      --content_end;
    }
    size_t trimmed = content_end;
    while (trimmed > i && (t[trimmed - 1] == ' ' || t[trimmed - 1] == '\t')) {
      --trimmed;
    }
    bool soft = trimmed > i && t[trimmed - 1] == '=';  // "=" as last char: soft line break
    size_t stop = soft ? trimmed - 1 : trimmed;
    for (size_t k = i; k < stop; ++k) {
      char c = t[k];
      if (c == '=' && k + 2 < stop && hex_value(t[k + 1]) >= 0 && hex_value(t[k + 2]) >= 0) {
        out += static_cast<char>(hex_value(t[k + 1]) * 16 + hex_value(t[k + 2]));
        k += 2;
      } else {
        out += c;
      }
    }
    if (eol == std::string_view::npos) {
      if (!soft) {
        out.append(t.substr(trimmed, content_end - trimmed));
      }
      break;
    }
    if (!soft) {
      out.append(t.substr(content_end, line_end + 1 - content_end));  // keep CRLF / LF
    }
    i = line_end + 1;
  }
  return out;
}

std::string decode_transfer(std::string_view body, std::string_view encoding) {
  std::string_view e = trim(encoding);
  if (iequals(e, "base64")) {
    return decode_base64(body);
  }
  if (iequals(e, "quoted-printable")) {
    return decode_quoted_printable(body);
  }
  return std::string(body);
}

std::string raw_header_to_utf8(std::string_view text, std::string_view fallback_charset) {
  bool ascii = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\x1b') {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    return std::string(text);
  }
  if (has_iso2022_escape(text)) {
    return to_utf8(text, "iso-2022-jp");
  }
  if (is_valid_utf8(text) || fallback_charset.empty()) {
    return sanitize_utf8(text);
  }
  return to_utf8(text, fallback_charset);
}

std::string decode_rfc2047(std::string_view s, std::string_view fallback_charset) {
  std::string out;
  out.reserve(s.size());
  std::string pending;  // decoded bytes of adjacent encoded words in one charset
  std::string_view pending_charset;
  bool have_pending = false;
  auto flush = [&] {
    if (have_pending) {
      out += to_utf8(pending, pending_charset);
    }
    pending.clear();
    have_pending = false;
  };
  size_t literal_start = 0, search = 0;
  for (;;) {
    size_t p = s.find("=?", search);
    if (p == std::string_view::npos) {
      break;
    }
    EncodedWord w;
    if (!parse_encoded_word(s, p, w)) {
      search = p + 2;
      continue;
    }
    std::string_view literal = s.substr(literal_start, p - literal_start);
    bool only_space = true;
    for (char c : literal) {
      if (!is_wsp(c)) {
        only_space = false;
      }
    }
    if (!(have_pending && only_space)) {
      flush();
      out += raw_header_to_utf8(literal, fallback_charset);
    }
    if (have_pending && !iequals(pending_charset, w.charset)) {
      flush();
    }
    pending += w.bytes;
    pending_charset = w.charset;
    have_pending = true;
    literal_start = search = w.end;
  }
  flush();
  out += raw_header_to_utf8(s.substr(literal_start), fallback_charset);
  return out;
}

std::string decode_rfc2231(std::string_view value) {
  std::string_view charset;
  size_t q1 = value.find('\'');
  if (q1 != std::string_view::npos) {
    size_t q2 = value.find('\'', q1 + 1);
    if (q2 != std::string_view::npos) {
      charset = value.substr(0, q1);
      value = value.substr(q2 + 1);
    }
  }
  std::string bytes;
  bytes.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size() && hex_value(value[i + 1]) >= 0 &&
        hex_value(value[i + 2]) >= 0) {
      bytes += static_cast<char>(hex_value(value[i + 1]) * 16 + hex_value(value[i + 2]));
      i += 2;
    } else {
      bytes += value[i];
    }
  }
  return to_utf8(bytes, charset);
}

}  // namespace tegami::mime
