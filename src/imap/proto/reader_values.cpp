// Token reader, composite values: RFC 9051 §9 sequence-set (and RFC 5182 "$"), flag-list,
// date / date-time, and generic parenthesized values (RFC 4466 §2.1 tagged-ext-val).
#include "base/strings.hpp"
#include "imap/proto/reader.hpp"
#include "imap/proto/response.hpp"

namespace tegami::imap::proto::detail {
std::optional<SequenceSet> parse_sequence_set_text(std::string_view s, size_t max_items) {
  SequenceSet set;
  if (s == "$") {
    set.saved = true;
    return set;
  }
  if (s.empty()) {
    return std::nullopt;
  }
  auto parse_num = [](std::string_view t, uint32_t& v) {
    if (t == "*") {
      v = kStar;
      return true;
    }
    if (t.empty() || t.size() > 10) {
      return false;
    }
    uint64_t x = 0;
    for (char c : t) {
      if (c < '0' || c > '9') {
        return false;
      }
      x = x * 10 + static_cast<uint64_t>(c - '0');
    }
    if (x == 0 || x > 0xffffffffULL) {
      return false;
    }
    v = static_cast<uint32_t>(x);
    return true;
  };
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string_view part =
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    SeqRange r;
    size_t colon = part.find(':');
    if (colon == std::string_view::npos) {
      if (!parse_num(part, r.first)) {
        return std::nullopt;
      }
      r.last = r.first;
    } else {
      if (!parse_num(part.substr(0, colon), r.first) ||
          !parse_num(part.substr(colon + 1), r.last)) {
        return std::nullopt;
      }
    }
    if (set.ranges.size() >= max_items) {
      return std::nullopt;
    }
    set.ranges.push_back(r);
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return set;
}

bool Reader::sequence_set(SequenceSet& out) {
  size_t start = pos_, lim = limit();
  while (pos_ < lim) {
    char c = cur()[pos_];
    if ((c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$') {
      ++pos_;
    } else {
      break;
    }
  }
  std::string_view text = cur().substr(start, pos_ - start);
  if (text.empty()) {
    if (peek() == kEnd) {
      return fail("missing sequence set");
    }
    return fail("invalid sequence set '" + printable(cur().substr(start), 20) + "'");
  }
  if (pos_ < lim && cur()[pos_] != ' ' && cur()[pos_] != ')') {
    return fail("invalid sequence set '" + printable(cur().substr(start), 20) + "'");
  }
  size_t ranges = 1;
  for (char c : text) {
    ranges += c == ',';
  }
  if (ranges > limits_.max_items) {
    return fail("too many ranges in the sequence set");
  }
  auto set = parse_sequence_set_text(text, limits_.max_items);
  if (!set) {
    return fail("invalid sequence set '" + printable(text, 20) + "'");
  }
  items_ += set->ranges.size();
  if (items_ > limits_.max_items) {
    return fail("too many items in the command");
  }
  out = std::move(*set);
  return true;
}

bool Reader::flag(std::string& out) {
  if (eat('\\')) {
    if (eat('*')) {
      out = "\\*";
      return true;
    }
    std::string a;
    if (!atom(a)) {
      return fail("invalid flag");
    }
    out = "\\" + a;
    return true;
  }
  return atom(out);
}

bool Reader::flag_list(std::vector<std::string>& out, bool allow_star) {
  if (!expect('(')) {
    return false;
  }
  out.clear();
  if (eat(')')) {
    return true;
  }
  for (;;) {
    std::string f;
    if (!flag(f)) {
      return false;
    }
    if (f == "\\*" && !allow_star) {
      return fail("\\* is not a valid flag here");
    }
    if (!count_item()) {
      return false;
    }
    out.push_back(std::move(f));
    if (eat(')')) {
      return true;
    }
    if (!sp()) {
      return false;
    }
  }
}

bool Reader::date(Date& out) {
  bool q = eat('"');
  size_t start = pos_, lim = limit();
  while (pos_ < lim && cur()[pos_] != ' ' && cur()[pos_] != ')' && cur()[pos_] != '"') {
    ++pos_;
  }
  std::string_view text = cur().substr(start, pos_ - start);
  if (q && !eat('"')) {
    return fail("unterminated quoted date");
  }
  auto d = parse_date(text);
  if (!d) {
    return fail("invalid date '" + printable(text, 20) + "' (expected e.g. 1-Feb-1994)");
  }
  out = *d;
  return true;
}

bool Reader::date_time(DateTime& out) {
  if (peek() != '"') {
    return fail("expected a quoted date-time");
  }
  std::string s;
  if (!quoted(s)) {
    return false;
  }
  auto dt = parse_date_time(s);
  if (!dt) {
    return fail("invalid date-time '" + printable(s) + "'");
  }
  out = *dt;
  return true;
}

bool Reader::value(Value& out, int depth) {
  int c = peek();
  if (c == '(') {
    if (!enter(depth + 1)) {
      return false;
    }
    eat('(');
    out.type = Value::Type::kList;
    if (eat(')')) {
      return true;
    }
    for (;;) {
      Value v;
      if (!value(v, depth + 1) || !count_item()) {
        return false;
      }
      out.items.push_back(std::move(v));
      if (eat(')')) {
        return true;
      }
      if (!sp()) {
        return false;
      }
    }
  }
  if (c == '"' || c == kLiteral) {
    out.type = Value::Type::kString;
    return string(out.text);
  }
  if (eat_word("NIL")) {
    out.type = Value::Type::kNil;
    return true;
  }
  // Atoms here may contain the sequence-set characters "*" and "]" (e.g. QRESYNC "1:*").
  size_t start = pos_, lim = limit();
  while (pos_ < lim) {
    unsigned char ch = static_cast<unsigned char>(cur()[pos_]);
    if (!is_astring_char(ch) && ch != '*' && ch != '\\') {
      break;
    }
    ++pos_;
  }
  if (pos_ == start) {
    if (c == kEnd) {
      return fail("missing arguments");
    }
    return fail("unexpected '" + printable(cur().substr(pos_), 10) + "'");
  }
  out.type = Value::Type::kAtom;
  out.text.assign(cur().substr(start, pos_ - start));
  return true;
}

bool Reader::count_item() {
  if (++items_ > limits_.max_items) {
    return fail("too many items in the command");
  }
  return true;
}

bool Reader::enter(int depth) {
  if (depth > limits_.max_depth) {
    return fail("too deeply nested parentheses");
  }
  return true;
}

}  // namespace tegami::imap::proto::detail
