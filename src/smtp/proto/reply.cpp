// SMTP reply formatting: RFC 5321 §4.2 (reply lines, multi-line replies), RFC 2034 §3 (enhanced
// status codes on every line), RFC 3463 (the codes themselves).
#include "smtp/proto/reply.hpp"

namespace tegami::smtp::proto {

std::string Reply::wire() const {
  std::string out;
  std::string code_str = std::to_string(code);
  std::vector<std::string> ls = lines;
  if (ls.empty()) ls.emplace_back();
  for (size_t i = 0; i < ls.size(); ++i) {
    out += code_str;
    out += (i + 1 == ls.size()) ? ' ' : '-';
    if (!enhanced.empty()) {
      out += enhanced;
      if (!ls[i].empty()) out += ' ';
    }
    // Never let a CR or LF inside a line break the framing.
    for (char c : ls[i]) out += (c == '\r' || c == '\n') ? ' ' : c;
    out += "\r\n";
  }
  return out;
}

Reply make_reply(int code, std::string_view enhanced, std::string_view text) {
  Reply r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  size_t start = 0;
  for (;;) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      r.lines.emplace_back(text.substr(start));
      break;
    }
    r.lines.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return r;
}

std::string sanitize_echo(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  for (char ch : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c >= 0x7F) ? '?' : ch;
  }
  return out;
}

}  // namespace tegami::smtp::proto
