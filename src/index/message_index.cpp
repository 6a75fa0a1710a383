// MessageIndex::build and the part table (RFC 9051 §6.4.5 section numbering, §7.5.2 FETCH
// items). See README.md for how a session turns a section into a byte range.
#include "index/message_index.hpp"

#include "base/strings.hpp"
#include "index/body_structure.hpp"
#include "mime/address.hpp"
#include "mime/charset.hpp"
#include "mime/date.hpp"
#include "mime/encoding.hpp"
#include "mime/header.hpp"
#include "mime/structure.hpp"

namespace tegami::index {
namespace {

using mime::Part;

constexpr std::string_view kPartsVersion = "P1\n";

std::string clean_field(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 255)) {
    if (static_cast<unsigned char>(c) > 32 && c != 127) {
      out += c;
    }
  }
  return out;
}

class Numberer {
 public:
  Numberer(const mime::Structure& st, std::vector<PartRange>& out) : st_(st), out_(out) {}

  // The parts of a message whose top entity is `entity`: a multipart's body parts are
  // prefix.1, prefix.2, ...; any other body is prefix.1 (RFC 9051 §6.4.5).
  void message(uint32_t entity, const std::string& prefix) {
    const Part& e = st_.parts[entity];
    if (e.kind == Part::Kind::kMultipart) {
      for (size_t i = 0; i < e.children.size(); ++i) {
        part(e.children[i], join(prefix, i + 1));
      }
    } else {
      part(entity, join(prefix, 1));
    }
  }

  void part(uint32_t idx, const std::string& section) {
    const Part& p = st_.parts[idx];
    out_.push_back(range(p, section));
    if (p.kind == Part::Kind::kMultipart) {
      for (size_t i = 0; i < p.children.size(); ++i) {
        part(p.children[i], join(section, i + 1));
      }
    } else if (p.kind == Part::Kind::kMessage && !p.children.empty()) {
      message(p.children[0], section);
    }
  }

  PartRange range(const Part& p, const std::string& section) const {
    PartRange r;
    r.section = section;
    r.header_start = p.header_start;
    r.body_start = p.body_start;
    r.body_end = p.body_end;
    r.content_type = clean_field(ascii_lower(p.type + "/" + p.subtype));
    r.transfer_encoding = clean_field(ascii_lower(p.encoding));
    r.charset = clean_field(p.charset());
    if (p.kind == Part::Kind::kMessage && !p.children.empty()) {
      r.is_message = true;
      r.message_header_start = p.body_start;
      r.message_body_start = st_.parts[p.children[0]].body_start;
    }
    return r;
  }

 private:
  static std::string join(const std::string& prefix, size_t n) {
    return prefix.empty() ? std::to_string(n) : prefix + "." + std::to_string(n);
  }
  const mime::Structure& st_;
  std::vector<PartRange>& out_;
};

std::vector<PartRange> number_parts(const mime::Structure& st, size_t raw_size) {
  std::vector<PartRange> out;
  Numberer n(st, out);
  PartRange whole = n.range(st.parts[0], "");
  whole.header_start = 0;
  whole.body_end = raw_size;
  whole.is_message = true;
  whole.message_header_start = 0;
  whole.message_body_start = whole.body_start;
  out.push_back(whole);
  n.message(0, "");
  return out;
}

std::string encode_parts(const std::vector<PartRange>& parts) {
  std::string out(kPartsVersion);
  for (const auto& r : parts) {
    out += r.section;
    for (uint64_t v :
         {r.header_start, r.body_start, r.body_end, static_cast<uint64_t>(r.is_message ? 1 : 0),
          r.message_header_start, r.message_body_start}) {
      out += '\t';
      out += std::to_string(v);
    }
    out += '\t';
    out += r.content_type;
    out += '\t';
    out += r.transfer_encoding;
    out += '\t';
    out += r.charset;
    out += '\n';
  }
  return out;
}

// A decoded header value may hold CR, LF or NUL from an encoded word ("=?utf-8?q?a=0Ab?=");
// "Name: value\n" lines must stay one line each.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n' || c == '\0') {
      c = ' ';
    }
  }
  return s;
}

std::string message_id_value(std::string_view raw) {
  std::string v = mime::unfold(raw);
  size_t lt = v.find('<');
  if (lt != std::string::npos) {
    size_t gt = v.find('>', lt);
    if (gt != std::string::npos) {
      return v.substr(lt + 1, gt - lt - 1);
    }
  }
  return std::string(trim(v));
}

}  // namespace

MessageIndex build(std::string_view raw) {
  MessageIndex m;
  mime::Structure st = mime::scan(raw);
  const Part& root = st.parts[0];
  std::string_view header = raw.substr(0, root.body_start);
  std::string fallback = root.charset();

  m.envelope = envelope(header);
  m.body_structure = body_structure(raw, st, true);
  m.body = body_structure(raw, st, false);
  m.parts = encode_parts(number_parts(st, raw.size()));

  auto fields = mime::parse_header_fields(header);
  for (const auto& f : fields) {
    m.search_headers.append(f.name);
    m.search_headers += ": ";
    m.search_headers += one_line(mime::decode_header_value(f.value, fallback));
    m.search_headers += '\n';
  }
  if (auto d = mime::find_field(fields, "Date")) {
    m.sent_date = mime::parse_date(*d).value_or(0);
  }
  if (auto s = mime::find_field(fields, "Subject")) {
    m.subject = one_line(mime::decode_header_value(*s, fallback));
  }
  if (auto f = mime::find_field(fields, "From")) {
    auto list = mime::parse_mailboxes(*f);
    if (!list.empty()) {
      m.from = ascii_lower(list[0].addr_spec());
    }
  }
  if (auto id = mime::find_field(fields, "Message-ID")) {
    m.message_id = message_id_value(*id);
  }

  // Pre-order, so text comes out in message order. The header of an attached message is part
  // of the outer message's body (RFC 9051 §6.4.4 BODY), so it is included, decoded.
  for (const auto& p : st.parts) {
    if (p.kind == Part::Kind::kMessage && !p.children.empty()) {
      const Part& inner = st.parts[p.children[0]];
      std::string_view h = raw.substr(inner.header_start, inner.body_start - inner.header_start);
      std::string inner_fallback = inner.charset();
      for (const auto& f : mime::parse_header_fields(h)) {
        if (!m.search_body.empty() && m.search_body.back() != '\n') {
          m.search_body += '\n';
        }
        m.search_body.append(f.name);
        m.search_body += ": ";
        m.search_body += one_line(mime::decode_header_value(f.value, inner_fallback));
      }
      continue;
    }
    if (p.kind != Part::Kind::kLeaf || !iequals(p.type, "text")) {
      continue;
    }
    if (!m.search_body.empty()) {
      m.search_body += '\n';
    }
    m.search_body += mime::decoded_text(raw, p);
  }
  return m;
}

std::vector<PartRange> decode_parts(std::string_view s) {
  std::vector<PartRange> out;
  if (s.substr(0, kPartsVersion.size()) != kPartsVersion) {
    return out;
  }
  s.remove_prefix(kPartsVersion.size());
  for (auto line : split(s, '\n')) {
    if (line.empty()) {
      continue;
    }
    auto f = split(line, '\t');
    if (f.size() != 10) {
      continue;
    }
    PartRange r;
    r.section = std::string(f[0]);
    uint64_t* nums[] = {&r.header_start, &r.body_start,           &r.body_end,
                        nullptr,         &r.message_header_start, &r.message_body_start};
    bool ok = true;
    for (size_t i = 0; i < 6; ++i) {
      auto v = parse_u64(f[i + 1]);
      if (!v) {
        ok = false;
        break;
      }
      if (nums[i]) {
        *nums[i] = *v;
      } else {
        r.is_message = *v != 0;
      }
    }
    if (!ok) {
      continue;
    }
    r.content_type = std::string(f[7]);
    r.transfer_encoding = std::string(f[8]);
    r.charset = std::string(f[9]);
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<PartRange> find_part(const std::vector<PartRange>& parts, std::string_view section) {
  for (const auto& p : parts) {
    if (p.section == section) {
      return p;
    }
  }
  return std::nullopt;
}

std::optional<ByteRange> section_range(const std::vector<PartRange>& parts,
                                       std::string_view section, SectionText what) {
  auto p = find_part(parts, section);
  if (!p) {
    return std::nullopt;
  }
  switch (what) {
    case SectionText::kAll:
      return ByteRange{section.empty() ? 0 : p->body_start, p->body_end};
    case SectionText::kHeader:
      if (!p->is_message) {
        return std::nullopt;
      }
      return ByteRange{p->message_header_start, p->message_body_start};
    case SectionText::kText:
      if (!p->is_message) {
        return std::nullopt;
      }
      return ByteRange{p->message_body_start, p->body_end};
    case SectionText::kMime:
      if (section.empty()) {
        return std::nullopt;
      }
      return ByteRange{p->header_start, p->body_start};
  }
  return std::nullopt;
}

std::string filter_header_fields(std::string_view header, const std::vector<std::string>& names,
                                 bool exclude) {
  std::string out;
  size_t pos = 0;
  bool keep = false;
  while (pos < header.size()) {
    size_t nl = header.find('\n', pos);
    size_t next = nl == std::string_view::npos ? header.size() : nl + 1;
    std::string_view line = header.substr(pos, next - pos);
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
      content.remove_suffix(1);
    }
    if (content.empty()) {
      break;
    }
    if (content[0] == ' ' || content[0] == '\t') {
      if (keep) {
        out += line;
      }
    } else {
      size_t colon = content.find(':');
      std::string_view name =
          colon == std::string_view::npos ? std::string_view() : trim(content.substr(0, colon));
      bool listed = false;
      for (const auto& n : names) {
        if (iequals(n, name)) {
          listed = true;
        }
      }
      keep = colon != std::string_view::npos && listed != exclude;
      if (keep) {
        out += line;
      }
    }
    if (keep && line.back() != '\n') {
      out += "\r\n";
    }
    pos = next;
  }
  out += "\r\n";
  return out;
}

}  // namespace tegami::index
