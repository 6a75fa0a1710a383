// RFC 9051 §4.3 strings: quoted or literal.
#include "index/imap_string.hpp"

namespace tegami::index {

void append_string(std::string& out, std::string_view s) {
  bool literal = false;
  // 8-bit text goes in a literal: IMAP4rev1 quoted strings are 7-bit, and this text is
  // computed once for every session, with or without UTF8=ACCEPT (Dovecot does the same).
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0' || static_cast<unsigned char>(c) >= 0x80) {
      literal = true;
      break;
    }
  }
  if (literal) {
    out += '{';
    append_number(out, s.size());
    out += "}\r\n";
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
}

void append_nstring(std::string& out, std::string_view s, bool nil) {
  if (nil) {
    out += "NIL";
  } else {
    append_string(out, s);
  }
}

void append_number(std::string& out, uint64_t n) { out += std::to_string(n); }

}  // namespace tegami::index
