// Token reader: RFC 9051 §4 (atom, number, string, NIL, lists), §9 (formal syntax), RFC 3516
// (literal8), RFC 5182 (sequence-set "$"), RFC 9051 §9 date / date-time.
#include "imap/proto/reader.hpp"

#include "base/strings.hpp"
#include "imap/proto/mailbox.hpp"
#include "imap/proto/response.hpp"

namespace tegami::imap::proto::detail {

bool is_atom_char(unsigned char c) {
  if (c <= 0x1f || c >= 0x7f) {
    return false;  // CTL and 8-bit
  }
  switch (c) {
    case '(':
    case ')':
    case '{':
    case ' ':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

bool is_astring_char(unsigned char c) { return is_atom_char(c) || c == ']'; }
bool is_list_char(unsigned char c) { return is_astring_char(c) || c == '%' || c == '*'; }
bool is_tag_char(unsigned char c) { return is_astring_char(c) && c != '+'; }

std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s.size() > max) {
    out += "...";
  }
  return out;
}

Reader::Reader(const std::vector<std::string>& lines, const std::vector<size_t>& marker,
               std::vector<LiteralData>& literals, const Limits& limits)
    : lines_(lines), marker_(marker), literals_(literals), limits_(limits) {}

size_t Reader::limit() const { return li_ + 1 < lines_.size() ? marker_[li_] : cur().size(); }

int Reader::peek() const {
  if (pos_ < limit()) {
    return static_cast<unsigned char>(cur()[pos_]);
  }
  return li_ + 1 < lines_.size() ? kLiteral : kEnd;
}

bool Reader::fail(std::string msg) {
  if (error_.empty()) {
    error_ = std::move(msg);
  }
  return false;
}

bool Reader::eat(char c) {
  if (peek() == static_cast<unsigned char>(c)) {
    ++pos_;
    if (c == '(') {
      ++open_;
    }
    if (c == ')' && open_ > 0) {
      --open_;
    }
    return true;
  }
  return false;
}

bool Reader::eat_word(std::string_view w) {
  size_t lim = limit();
  if (lim - pos_ < w.size() || !iequals(cur().substr(pos_, w.size()), w)) {
    return false;
  }
  size_t after = pos_ + w.size();
  if (after < lim) {
    char c = cur()[after];
    if (c != ' ' && c != ')' && c != '(') {
      return false;
    }
  } else if (after == lim && li_ + 1 < lines_.size()) {
    return false;  // a literal directly after the word
  }
  pos_ = after;
  return true;
}

bool Reader::sp() {
  if (eat(' ')) {
    return true;
  }
  int c = peek();
  if (c == kEnd) {
    return fail(open_ > 0 ? "missing ')'" : "missing arguments");
  }
  return fail("expected a space before '" + printable(cur().substr(pos_, 10), 10) + "'");
}

bool Reader::expect(char c) {
  if (eat(c)) {
    return true;
  }
  int p = peek();
  if (p == kEnd) {
    return fail(std::string("expected '") + c + "' but the command ended");
  }
  if (p == kLiteral) {
    return fail(std::string("expected '") + c + "' but found a literal");
  }
  return fail(std::string("expected '") + c + "' at '" + printable(cur().substr(pos_), 10) + "'");
}

bool Reader::end() {
  while (peek() == ' ') {
    ++pos_;
  }
  if (peek() == kEnd) {
    return true;
  }
  if (peek() == kLiteral) {
    return fail("unexpected literal at end of command");
  }
  return fail("unexpected characters at end of command: '" + printable(cur().substr(pos_)) + "'");
}

bool Reader::rest_blank() const {
  if (li_ + 1 < lines_.size()) {
    return false;
  }
  return cur().find_first_not_of(' ', pos_) == std::string_view::npos;
}

bool Reader::atom(std::string& out) {
  size_t start = pos_, lim = limit();
  while (pos_ < lim && is_atom_char(static_cast<unsigned char>(cur()[pos_]))) {
    ++pos_;
  }
  if (pos_ == start) {
    int c = peek();
    if (c == kEnd) {
      return fail("missing arguments");
    }
    if (c == kLiteral) {
      return fail("a literal is not allowed here");
    }
    if (c >= 0x80) {
      return fail("8-bit characters are not allowed in an atom");
    }
    return fail("expected an atom at '" + printable(cur().substr(pos_), 10) + "'");
  }
  if (pos_ < lim && static_cast<unsigned char>(cur()[pos_]) >= 0x80) {
    return fail("8-bit characters are not allowed in an atom");
  }
  out.assign(cur().substr(start, pos_ - start));
  return true;
}

bool Reader::atom_upper(std::string& out) {
  if (!atom(out)) {
    return false;
  }
  out = ascii_upper(out);
  return true;
}

bool Reader::quoted(std::string& out) {
  // RFC 9051 quoted: DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR includes UTF-8 (RFC 9051 §9).
  ++pos_;  // opening quote
  out.clear();
  size_t lim = limit();
  bool eight_bit = false;
  while (pos_ < lim) {
    char c = cur()[pos_++];
    if (c == '"') {
      if (eight_bit && !is_valid_utf8(out)) {
        return fail("8-bit characters in a quoted string must be UTF-8 (use a literal)");
      }
      return true;
    }
    if (c == '\\') {
      if (pos_ >= lim) {
        break;
      }
      char e = cur()[pos_++];
      if (e != '"' && e != '\\') {
        return fail("invalid escape in a quoted string");
      }
      out += e;
      continue;
    }
    if (c == '\0' || c == '\r' || c == '\n') {
      return fail("invalid character in a quoted string");
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      eight_bit = true;
    }
    out += c;
  }
  return fail("unterminated quoted string");
}

bool Reader::take_literal(LiteralData& out) {
  if (lit_ >= literals_.size()) {
    return fail("missing literal data");
  }
  out = std::move(literals_[lit_++]);
  ++li_;
  pos_ = 0;
  return true;
}

bool Reader::literal_any(LiteralData& out) {
  if (peek() != kLiteral) {
    return fail("expected a literal");
  }
  return take_literal(out);
}

bool Reader::string(std::string& out) {
  int c = peek();
  if (c == '"') {
    return quoted(out);
  }
  if (c == kLiteral) {
    LiteralData d;
    if (!take_literal(d)) {
      return false;
    }
    if (d.binary) {
      return fail("literal8 is only allowed for APPEND message data");
    }
    if (d.data.find('\0') != std::string::npos) {
      return fail("NUL is not allowed in a literal string");
    }
    out = std::move(d.data);
    return true;
  }
  if (c == kEnd) {
    return fail("missing arguments");
  }
  return fail("expected a string at '" + printable(cur().substr(pos_), 10) + "'");
}

bool Reader::astring(std::string& out) {
  int c = peek();
  if (c == '"' || c == kLiteral) {
    return string(out);
  }
  size_t start = pos_, lim = limit();
  while (pos_ < lim && is_astring_char(static_cast<unsigned char>(cur()[pos_]))) {
    ++pos_;
  }
  if (pos_ < lim && static_cast<unsigned char>(cur()[pos_]) >= 0x80) {
    return fail("8-bit characters are not allowed in an atom (use a quoted string)");
  }
  if (pos_ == start) {
    if (c == kEnd) {
      return fail("missing arguments");
    }
    return fail("expected a string at '" + printable(cur().substr(pos_), 10) + "'");
  }
  out.assign(cur().substr(start, pos_ - start));
  return true;
}

bool Reader::nstring(std::optional<std::string>& out) {
  if (eat_word("NIL")) {
    out.reset();
    return true;
  }
  std::string s;
  if (!string(s)) {
    return false;
  }
  out = std::move(s);
  return true;
}

bool Reader::list_mailbox(std::string& out) {
  int c = peek();
  if (c == '"' || c == kLiteral) {
    return string(out);
  }
  size_t start = pos_, lim = limit();
  while (pos_ < lim && is_list_char(static_cast<unsigned char>(cur()[pos_]))) {
    ++pos_;
  }
  if (pos_ < lim && static_cast<unsigned char>(cur()[pos_]) >= 0x80) {
    return fail("8-bit characters are not allowed in an atom (use a quoted string)");
  }
  if (pos_ == start) {
    return fail("expected a mailbox pattern");
  }
  out.assign(cur().substr(start, pos_ - start));
  return true;
}

bool Reader::mailbox(std::string& out) {
  if (!astring(out)) {
    return false;
  }
  if (out.find('\0') != std::string::npos) {
    return fail("NUL in a mailbox name");
  }
  out = normalize_inbox(out);
  return true;
}

bool Reader::number64(uint64_t& out) {
  size_t start = pos_, lim = limit();
  uint64_t v = 0;
  while (pos_ < lim && cur()[pos_] >= '0' && cur()[pos_] <= '9') {
    v = v * 10 + static_cast<uint64_t>(cur()[pos_] - '0');
    if (v > 0x7fffffffffffffffULL) {
      return fail("number too large");
    }
    ++pos_;
  }
  if (pos_ == start) {
    if (peek() == kEnd) {
      return fail("missing arguments");
    }
    return fail("expected a number at '" + printable(cur().substr(pos_), 10) + "'");
  }
  out = v;
  return true;
}

bool Reader::nz_number64(uint64_t& out) {
  if (!number64(out)) {
    return false;
  }
  if (out == 0) {
    return fail("0 is not a valid number here");
  }
  return true;
}

bool Reader::number(uint32_t& out) {
  uint64_t v;
  if (!number64(v)) {
    return false;
  }
  if (v > 0xffffffffULL) {
    return fail("number too large (over 4294967295)");
  }
  out = static_cast<uint32_t>(v);
  return true;
}

bool Reader::nz_number(uint32_t& out) {
  if (!number(out)) {
    return false;
  }
  if (out == 0) {
    return fail("0 is not a valid number here");
  }
  return true;
}

bool Reader::raw_until_delim(std::string& out) {
  size_t start = pos_, lim = limit();
  while (pos_ < lim) {
    char c = cur()[pos_];
    if (c == ' ' || c == '(' || c == ')' || c == '[') {
      break;
    }
    ++pos_;
  }
  out.assign(cur().substr(start, pos_ - start));
  return !out.empty() || fail("missing arguments");
}

void Reader::take_until(std::string_view stops, std::string& out) {
  size_t start = pos_, lim = limit();
  while (pos_ < lim && stops.find(cur()[pos_]) == std::string_view::npos) {
    ++pos_;
  }
  out.assign(cur().substr(start, pos_ - start));
}

bool Reader::looking_at(std::string_view s) const {
  size_t lim = limit();
  return lim - pos_ >= s.size() && iequals(cur().substr(pos_, s.size()), s);
}

bool Reader::one_or_list(std::vector<std::string>& out, bool (Reader::*item)(std::string&),
                         bool* was_list) {
  bool list = eat('(');
  if (was_list != nullptr) {
    *was_list = list;
  }
  for (;;) {
    std::string v;
    if (!(this->*item)(v) || !count_item()) {
      return false;
    }
    out.push_back(std::move(v));
    if (!list || eat(')')) {
      return true;
    }
    if (!sp()) {
      return false;
    }
  }
}

}  // namespace tegami::imap::proto::detail
