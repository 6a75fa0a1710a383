// RFC 6376 §3.4.1-§3.4.4 (simple and relaxed canonicalization), §3.4.5 examples in the tests;
// RFC 5322 §2.2 header fields and folding.
#include "mailauth/dkim/canon.hpp"

namespace tegami::mailauth::dkim {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// The line starting at `pos`: its content (without CR LF) and the offset after its line break.
struct Line {
  std::string_view text;
  size_t next;
};

Line line_at(std::string_view s, size_t pos) {
  size_t lf = s.find('\n', pos);
  if (lf == std::string_view::npos) return {s.substr(pos), s.size()};
  size_t end = lf;
  if (end > pos && s[end - 1] == '\r') --end;
  return {s.substr(pos, end - pos), lf + 1};
}

}  // namespace

SplitMessage split_message(std::string_view message, size_t max_header_bytes) {
  SplitMessage out;
  size_t pos = 0;
  const size_t n = message.size();
  bool have_field = false;
  size_t field_begin = 0, field_end = 0;
  auto flush = [&] {
    if (!have_field) return;
    std::string_view raw = message.substr(field_begin, field_end - field_begin);
    size_t colon = raw.find(':');
    std::string_view name = raw.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    out.fields.push_back(RawField{raw, name, raw.substr(colon + 1)});
    have_field = false;
  };
  while (pos < n) {
    if (pos > max_header_bytes) {
      out.header_too_large = true;
      have_field = false;
      // Skip to the end of the header section without recording anything.
      while (pos < n) {
        Line l = line_at(message, pos);
        pos = l.next;
        if (l.text.empty()) break;
      }
      out.body = message.substr(pos);
      return out;
    }
    Line l = line_at(message, pos);
    if (l.text.empty()) {  // end of the header section
      flush();
      out.body = message.substr(l.next);
      return out;
    }
    if (is_wsp(l.text.front())) {
      if (have_field) field_end = pos + l.text.size();  // continuation
    } else {
      flush();
      size_t colon = l.text.find(':');
      bool ok = colon != std::string_view::npos && colon > 0;
      for (size_t i = 0; ok && i < colon; ++i) {
        unsigned char c = l.text[i];
        if (c < 0x21 || c > 0x7e) ok = is_wsp(static_cast<char>(c)) && i > 0;
      }
      if (ok) {
        have_field = true;
        field_begin = pos;
        field_end = pos + l.text.size();
      }
    }
    pos = l.next;
  }
  flush();
  return out;
}

void canon_header(std::string& out, std::string_view raw, Canon c, bool crlf) {
  if (c == Canon::kSimple) {
    // As is, except that bare LF line breaks of a stored message become CRLF.
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out.push_back('\r');
      out.push_back(raw[i]);
    }
    if (crlf) out.append("\r\n");
    return;
  }
  // Relaxed (§3.4.2): lower-case name, unfold, WSP runs -> one SP, no WSP at the end of the
  // value or around the colon.
  size_t colon = raw.find(':');
  std::string_view name = raw.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  for (char ch : name) out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch);
  out.push_back(':');
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : raw.substr(colon + 1);
  bool pending_space = false, started = false;
  for (char ch : value) {
    if (ch == '\r' || ch == '\n') continue;  // unfold
    if (is_wsp(ch)) {
      pending_space = started;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    started = true;
    out.push_back(ch);
  }
  if (crlf) out.append("\r\n");
}

void canon_body(std::string_view body, Canon c, const std::function<void(std::string_view)>& sink) {
  static constexpr std::string_view kCrlf = "\r\n";
  size_t pending_empty = 0;  // empty lines held back: dropped if nothing follows them
  bool emitted = false;
  std::string buf;  // one relaxed line
  size_t pos = 0;
  const size_t n = body.size();
  while (pos < n) {
    Line l = line_at(body, pos);
    pos = l.next;
    std::string_view text = l.text;
    if (c == Canon::kRelaxed) {
      buf.clear();
      bool pending_space = false;
      for (char ch : text) {
        if (is_wsp(ch)) {
          pending_space = true;
          continue;
        }
        if (pending_space) buf.push_back(' ');
        pending_space = false;
        buf.push_back(ch);
      }
      text = buf;  // trailing WSP dropped (pending_space never flushed)
    }
    if (text.empty()) {
      ++pending_empty;
      continue;
    }
    for (; pending_empty > 0; --pending_empty) sink(kCrlf);
    sink(text);
    sink(kCrlf);
    emitted = true;
  }
  if (!emitted && c == Canon::kSimple) sink(kCrlf);
}

std::string canon_body_string(std::string_view body, Canon c) {
  std::string out;
  canon_body(body, c, [&](std::string_view piece) { out.append(piece); });
  return out;
}

}  // namespace tegami::mailauth::dkim
