// Body sections. RFC 9051 §6.4.5 (BODY[section]: HEADER, HEADER.FIELDS[.NOT], TEXT, MIME, part
// numbers; the part 1 of a non-multipart message is its body), RFC 3516 §4.2 (BINARY),
// RFC 2045 §6.7-6.8 (quoted-printable, base64).
#include "imap/server/fetch_body.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace tegami::imap::server {

namespace {

std::string section_name(const std::vector<uint32_t>& part) {
  std::string s;
  for (uint32_t n : part) {
    if (!s.empty()) s += '.';
    s += std::to_string(n);
  }
  return s;
}

index::PartRange whole_message(std::string_view raw, const std::vector<index::PartRange>& parts) {
  if (auto p = index::find_part(parts, "")) return *p;
  index::PartRange r;
  r.header_start = 0;
  r.body_start = header_end(raw);
  r.body_end = raw.size();
  return r;
}

// The part a section number names, with the RFC 9051 rule that part 1 of a non-multipart
// message (or of a non-multipart message/rfc822 body) is that message's body.
std::optional<index::PartRange> locate(std::string_view raw,
                                       const std::vector<index::PartRange>& parts,
                                       const std::vector<uint32_t>& part) {
  if (part.empty()) return whole_message(raw, parts);
  if (auto p = index::find_part(parts, section_name(part))) return *p;
  if (part.back() != 1) return std::nullopt;
  std::vector<uint32_t> parent_no(part.begin(), part.end() - 1);
  index::PartRange msg;  // the message whose body part 1 would be
  if (parent_no.empty()) {
    msg = whole_message(raw, parts);
  } else {
    auto parent = index::find_part(parts, section_name(parent_no));
    if (!parent || !parent->is_message) return std::nullopt;
    msg.header_start = parent->body_start;
    std::string_view inner = raw.substr(std::min<size_t>(parent->body_start, raw.size()),
                                        parent->body_end - parent->body_start);
    msg.body_start = parent->body_start + header_end(inner);
    msg.body_end = parent->body_end;
  }
  if (istarts_with(msg.content_type, "multipart/")) return std::nullopt;
  index::PartRange r = msg;
  r.section = section_name(part);
  return r;
}

std::string_view slice(std::string_view raw, uint64_t b, uint64_t e) {
  b = std::min<uint64_t>(b, raw.size());
  e = std::min<uint64_t>(std::max(e, b), raw.size());
  return raw.substr(b, e - b);
}

}  // namespace

size_t header_end(std::string_view msg) {
  if (msg.starts_with("\r\n")) return 2;
  if (msg.starts_with("\n")) return 1;
  size_t pos = 0;
  while (pos < msg.size()) {
    size_t nl = msg.find('\n', pos);
    if (nl == std::string_view::npos) return msg.size();
    size_t next = nl + 1;
    if (next < msg.size() && msg[next] == '\n') return next + 1;
    if (next + 1 < msg.size() && msg[next] == '\r' && msg[next + 1] == '\n') return next + 2;
    pos = next;
  }
  return msg.size();
}

std::string filter_header_fields(std::string_view header, const std::vector<std::string>& fields,
                                 bool exclude) {
  std::string out;
  size_t pos = 0;
  while (pos < header.size()) {
    // One field: its first line and the continuation lines that start with SP or HTAB.
    size_t end = pos;
    do {
      size_t nl = header.find('\n', end);
      end = nl == std::string_view::npos ? header.size() : nl + 1;
    } while (end < header.size() && (header[end] == ' ' || header[end] == '\t'));
    std::string_view field = header.substr(pos, end - pos);
    pos = end;
    if (field == "\r\n" || field == "\n") break;  // the blank line
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(field.substr(0, colon));
    bool listed = std::any_of(fields.begin(), fields.end(),
                              [&](const std::string& f) { return iequals(f, name); });
    if (listed != exclude) out += field;
  }
  out += "\r\n";
  return out;
}

std::optional<std::string> extract_section(std::string_view raw,
                                           const std::vector<index::PartRange>& parts,
                                           const proto::Section& section) {
  using T = proto::Section::Text;
  auto p = locate(raw, parts, section.part);
  if (!p) return std::nullopt;
  if (section.part.empty() || section.text == T::kNone || section.text == T::kMime) {
    if (section.text == T::kNone) {
      if (section.part.empty()) return std::string(raw);
      return std::string(slice(raw, p->body_start, p->body_end));
    }
    if (section.text == T::kMime) return std::string(slice(raw, p->header_start, p->body_start));
  }
  // HEADER, HEADER.FIELDS[.NOT], TEXT: of the whole message, or of a message/rfc822 part.
  uint64_t msg_start = 0, msg_end = raw.size();
  if (!section.part.empty()) {
    if (!p->is_message) return std::string();
    msg_start = p->body_start;
    msg_end = p->body_end;
  }
  std::string_view msg = slice(raw, msg_start, msg_end);
  size_t hend = section.part.empty()
                    ? static_cast<size_t>(std::min<uint64_t>(p->body_start, raw.size()))
                    : header_end(msg);
  std::string_view header = msg.substr(0, hend);
  switch (section.text) {
    case T::kHeader:
      return std::string(header);
    case T::kHeaderFields:
      return filter_header_fields(header, section.fields, false);
    case T::kHeaderFieldsNot:
      return filter_header_fields(header, section.fields, true);
    case T::kText:
      return std::string(msg.substr(hend));
    default:
      return std::string(msg);
  }
}

std::string apply_partial(std::string s, const std::optional<proto::Partial>& p) {
  if (!p) return s;
  if (p->origin >= s.size()) return std::string();
  return s.substr(p->origin, p->size);
}

std::string decode_quoted_printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '=') {
      out += c;
      continue;
    }
    if (i + 2 < s.size() + 0 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
      continue;
    }
    // Soft line break: "=" followed by optional whitespace and the line end.
    size_t j = i + 1;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (j < s.size() && s[j] == '\r') ++j;
    if (j < s.size() && s[j] == '\n') {
      i = j;
      continue;
    }
    if (j >= s.size()) break;
    out += c;  // a stray "=": keep it
  }
  return out;
}

std::string decode_base64_lenient(std::string_view s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::optional<std::string> extract_binary(std::string_view raw,
                                          const std::vector<index::PartRange>& parts,
                                          const std::vector<uint32_t>& part, bool* unknown_cte) {
  *unknown_cte = false;
  auto p = locate(raw, parts, part);
  if (!p) return std::nullopt;
  if (part.empty()) return std::string(raw);
  std::string_view body = slice(raw, p->body_start, p->body_end);
  const std::string& cte = p->transfer_encoding;
  if (cte.empty() || cte == "7bit" || cte == "8bit" || cte == "binary") return std::string(body);
  if (cte == "base64") return decode_base64_lenient(body);
  if (cte == "quoted-printable") return decode_quoted_printable(body);
  *unknown_cte = true;
  return std::nullopt;
}

}  // namespace tegami::imap::server
