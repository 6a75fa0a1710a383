// Message commands: FETCH (RFC 9051 §6.4.5, RFC 3516 §4.1-§4.3 BINARY, RFC 7162 §3.1.4
// CHANGEDSINCE and §3.2.6 VANISHED, RFC 8474 §5 EMAILID/THREADID, RFC 8514 §3 SAVEDATE,
// RFC 8970 §3 PREVIEW), STORE (§6.4.6, RFC 7162 §3.1.3 UNCHANGEDSINCE), COPY (§6.4.7),
// MOVE (RFC 6851 §3, §6.4.8), EXPUNGE / UID EXPUNGE (§6.4.3, RFC 4315 §2.1), UID (§6.4.9).
#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"
#include "imap/proto/response.hpp"

namespace tegami::imap::proto {

namespace {

std::string section_text(const FetchAtt& a) {
  std::string s;
  for (size_t i = 0; i < a.section.part.size(); ++i) {
    if (i) {
      s += '.';
    }
    s += std::to_string(a.section.part[i]);
  }
  const char* t = nullptr;
  switch (a.section.text) {
    case Section::Text::kNone:
      break;
    case Section::Text::kHeader:
      t = "HEADER";
      break;
    case Section::Text::kHeaderFields:
      t = "HEADER.FIELDS";
      break;
    case Section::Text::kHeaderFieldsNot:
      t = "HEADER.FIELDS.NOT";
      break;
    case Section::Text::kText:
      t = "TEXT";
      break;
    case Section::Text::kMime:
      t = "MIME";
      break;
  }
  if (t) {
    if (!s.empty()) {
      s += '.';
    }
    s += t;
  }
  if (a.section.text == Section::Text::kHeaderFields ||
      a.section.text == Section::Text::kHeaderFieldsNot) {
    s += " (";
    for (size_t i = 0; i < a.section.fields.size(); ++i) {
      if (i) {
        s += ' ';
      }
      s += astring(a.section.fields[i]);
    }
    s += ')';
  }
  return s;
}

}  // namespace

std::string fetch_att_response_name(const FetchAtt& a) {
  using T = FetchAtt::Type;
  switch (a.type) {
    case T::kEnvelope:
      return "ENVELOPE";
    case T::kFlags:
      return "FLAGS";
    case T::kInternalDate:
      return "INTERNALDATE";
    case T::kRfc822:
      return "RFC822";
    case T::kRfc822Header:
      return "RFC822.HEADER";
    case T::kRfc822Size:
      return "RFC822.SIZE";
    case T::kRfc822Text:
      return "RFC822.TEXT";
    case T::kBody:
      return "BODY";
    case T::kBodyStructure:
      return "BODYSTRUCTURE";
    case T::kUid:
      return "UID";
    case T::kModSeq:
      return "MODSEQ";
    case T::kSaveDate:
      return "SAVEDATE";
    case T::kEmailId:
      return "EMAILID";
    case T::kThreadId:
      return "THREADID";
    case T::kPreview:
      return "PREVIEW";
    case T::kBodySection:
    case T::kBinary:
    case T::kBinarySize: {
      std::string s = a.type == T::kBodySection ? "BODY["
                      : a.type == T::kBinary    ? "BINARY["
                                                : "BINARY.SIZE[";
      s += section_text(a);
      s += ']';
      if (a.partial && a.type != T::kBinarySize) {
        s += "<" + std::to_string(a.partial->origin) + ">";
      }
      return s;
    }
  }
  return "?";
}

namespace detail {

namespace {

using A = FetchAtt::Type;

bool section(Reader& r, FetchAtt& a, bool binary) {
  // section = "[" [section-spec] "]"; section-binary = "[" [section-part] "]"
  std::string spec;
  r.take_until("] ", spec);
  size_t i = 0;
  while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
    size_t j = i;
    while (j < spec.size() && spec[j] >= '0' && spec[j] <= '9') {
      ++j;
    }
    auto n = parse_u64(std::string_view(spec).substr(i, j - i));
    if (!n || *n == 0 || *n > 0xffffffffULL) {
      return r.fail("invalid section part '" + printable(spec) + "'");
    }
    if (!r.count_item()) {
      return false;
    }
    a.section.part.push_back(static_cast<uint32_t>(*n));
    i = j;
    if (i < spec.size()) {
      if (spec[i] != '.') {
        return r.fail("invalid section '" + printable(spec) + "'");
      }
      ++i;
      if (i == spec.size()) {
        return r.fail("invalid section '" + printable(spec) + "'");
      }
    }
  }
  std::string text = ascii_upper(std::string_view(spec).substr(i));
  if (binary && !text.empty()) {
    return r.fail("invalid BINARY section '" + printable(spec) + "'");
  }
  using X = Section::Text;
  if (text.empty()) {
    a.section.text = X::kNone;
  } else if (text == "HEADER") {
    a.section.text = X::kHeader;
  } else if (text == "HEADER.FIELDS") {
    a.section.text = X::kHeaderFields;
  } else if (text == "HEADER.FIELDS.NOT") {
    a.section.text = X::kHeaderFieldsNot;
  } else if (text == "TEXT") {
    a.section.text = X::kText;
  } else if (text == "MIME" && !a.section.part.empty()) {
    a.section.text = X::kMime;
  } else {
    return r.fail("invalid section '" + printable(spec) + "'");
  }
  if (a.section.text == X::kHeaderFields || a.section.text == X::kHeaderFieldsNot) {
    if (!r.sp() || !r.expect('(')) {
      return false;
    }
    for (;;) {
      std::string f;
      if (!r.astring(f) || !r.count_item()) {
        return false;
      }
      a.section.fields.push_back(std::move(f));
      if (r.eat(')')) {
        break;
      }
      if (!r.sp()) {
        return false;
      }
    }
  }
  if (!r.expect(']')) {
    return false;
  }
  return true;
}

bool partial(Reader& r, FetchAtt& a) {
  if (!r.eat('<')) {
    return true;
  }
  uint64_t origin = 0, size = 0;
  if (!r.number64(origin) || !r.expect('.') || !r.nz_number64(size) || !r.expect('>')) {
    return false;
  }
  if (origin > 0xffffffffULL || size > 0xffffffffULL) {
    return r.fail("partial range too large");
  }
  a.partial = Partial{static_cast<uint32_t>(origin), static_cast<uint32_t>(size)};
  return true;
}

bool fetch_att(Reader& r, FetchAtt& a) {
  std::string raw;
  if (!r.raw_until_delim(raw)) {
    return false;
  }
  std::string name = ascii_upper(raw);
  static constexpr std::pair<const char*, A> kSimple[] = {{"ENVELOPE", A::kEnvelope},
                                                          {"FLAGS", A::kFlags},
                                                          {"INTERNALDATE", A::kInternalDate},
                                                          {"RFC822", A::kRfc822},
                                                          {"RFC822.HEADER", A::kRfc822Header},
                                                          {"RFC822.SIZE", A::kRfc822Size},
                                                          {"RFC822.TEXT", A::kRfc822Text},
                                                          {"BODYSTRUCTURE", A::kBodyStructure},
                                                          {"UID", A::kUid},
                                                          {"MODSEQ", A::kModSeq},
                                                          {"SAVEDATE", A::kSaveDate},
                                                          {"EMAILID", A::kEmailId},
                                                          {"THREADID", A::kThreadId}};
  for (const auto& [n, t] : kSimple) {
    if (name == n) {
      a.type = t;
      return true;
    }
  }
  if (name == "PREVIEW") {
    a.type = A::kPreview;
    if (r.looking_at(" (LAZY)")) {
      r.sp();
      r.expect('(');
      std::string lazy;
      r.atom(lazy);
      r.expect(')');
      a.preview_lazy = true;
    }
    return true;
  }
  if (name == "BODY" && r.peek() != '[') {
    a.type = A::kBody;
    return true;
  }
  if (name == "BODY" || name == "BODY.PEEK") {
    a.type = A::kBodySection;
    a.peek = name == "BODY.PEEK";
    return r.expect('[') && section(r, a, false) && partial(r, a);
  }
  if (name == "BINARY" || name == "BINARY.PEEK") {
    a.type = A::kBinary;
    a.peek = name == "BINARY.PEEK";
    return r.expect('[') && section(r, a, true) && partial(r, a);
  }
  if (name == "BINARY.SIZE") {
    a.type = A::kBinarySize;
    return r.expect('[') && section(r, a, true);
  }
  return r.fail("unknown fetch attribute '" + printable(raw) + "'");
}

void add(std::vector<FetchAtt>& v, A t) {
  FetchAtt a;
  a.type = t;
  v.push_back(std::move(a));
}

}  // namespace

bool parse_fetch_att(Reader& r, FetchAtt& a) { return fetch_att(r, a); }

bool parse_fetch(Reader& r, Command& cmd) {
  FetchArgs a;
  if (!r.sp() || !r.sequence_set(a.set) || !r.sp()) {
    return false;
  }
  if (r.eat('(')) {
    if (r.peek() == ')') {
      return r.fail("empty fetch attribute list");
    }
    for (;;) {
      FetchAtt att;
      if (!fetch_att(r, att) || !r.count_item()) {
        return false;
      }
      a.atts.push_back(std::move(att));
      if (r.eat(')')) {
        break;
      }
      if (!r.sp()) {
        return false;
      }
    }
  } else if (r.eat_word("ALL")) {
    for (A t : {A::kFlags, A::kInternalDate, A::kRfc822Size, A::kEnvelope}) {
      add(a.atts, t);
    }
  } else if (r.eat_word("FAST")) {
    for (A t : {A::kFlags, A::kInternalDate, A::kRfc822Size}) {
      add(a.atts, t);
    }
  } else if (r.eat_word("FULL")) {
    for (A t : {A::kFlags, A::kInternalDate, A::kRfc822Size, A::kEnvelope, A::kBody}) {
      add(a.atts, t);
    }
  } else {
    FetchAtt att;
    if (!fetch_att(r, att)) {
      return false;
    }
    a.atts.push_back(std::move(att));
  }
  if (r.eat(' ') && !r.rest_blank()) {  // fetch-modifiers (RFC 4466 §2.4, RFC 7162)
    if (!r.expect('(')) {
      return false;
    }
    for (;;) {
      std::string mod;
      if (!r.atom_upper(mod) || !r.count_item()) {
        return false;
      }
      if (mod == "CHANGEDSINCE") {
        uint64_t v = 0;
        if (!r.sp() || !r.number64(v)) {
          return false;
        }
        a.changed_since = v;
      } else if (mod == "VANISHED") {
        a.vanished = true;
      } else {
        return r.fail("unknown FETCH modifier " + printable(mod));
      }
      if (r.eat(')')) {
        break;
      }
      if (!r.sp()) {
        return false;
      }
    }
    if (a.vanished && !cmd.uid) {
      return r.fail("VANISHED is only allowed with UID FETCH");
    }
    if (a.vanished && !a.changed_since) {
      return r.fail("VANISHED requires CHANGEDSINCE");
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace detail
}  // namespace tegami::imap::proto
