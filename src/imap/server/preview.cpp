// PREVIEW text (RFC 8970 §3.1: plain text, at most 256 characters, UTF-8; derived from the
// message's first human-readable text; RFC 2045 §6 transfer encodings and RFC 2046 §4.1.2
// charsets decoded).
#include "imap/server/preview.hpp"

#include <cctype>
#include <cstdint>

#include "base/strings.hpp"
#include "mime/charset.hpp"
#include "mime/encoding.hpp"

namespace tegami::imap::server {

namespace {

bool inside_attached_message(const index::PartRange& p,
                             const std::vector<index::PartRange>& parts) {
  for (const auto& m : parts) {
    if (!m.is_message || m.section.empty()) continue;
    if (p.section.size() > m.section.size() && p.section.starts_with(m.section) &&
        p.section[m.section.size()] == '.') {
      return true;
    }
  }
  return false;
}

const index::PartRange* find_part_ptr(const std::vector<index::PartRange>& parts,
                                      std::string_view section) {
  for (const auto& p : parts) {
    if (p.section == section) return &p;
  }
  return nullptr;
}

std::string parent_section(std::string_view s) {
  size_t dot = s.rfind('.');
  return dot == std::string_view::npos ? std::string() : std::string(s.substr(0, dot));
}

const index::PartRange* preview_part(const std::vector<index::PartRange>& parts) {
  const index::PartRange* plain = nullptr;
  const index::PartRange* html = nullptr;
  for (const auto& p : parts) {
    if (p.section.empty() || p.is_message || inside_attached_message(p, parts)) continue;
    if (!plain && p.content_type == "text/plain") plain = &p;
    if (!html && p.content_type == "text/html") html = &p;
  }
  if (html && plain) {
    // Both in one multipart/alternative: the plain one. Otherwise the one that comes first.
    std::string parent = parent_section(html->section);
    const index::PartRange* alt = find_part_ptr(parts, parent);
    bool same_alternative =
        parent == parent_section(plain->section) &&
        (parent.empty() || (alt && alt->content_type == "multipart/alternative"));
    if (same_alternative) return plain;
    return html < plain ? html : plain;  // parts are in message order
  }
  return plain ? plain : html;
}

bool is_block_tag(std::string_view name) {
  static constexpr std::string_view kInline[] = {
      "a",   "b",   "i",    "u", "span",   "font", "em", "strong", "small", "big",
      "sub", "sup", "code", "s", "strike", "abbr", "q",  "mark",   "tt"};
  for (auto n : kInline) {
    if (iequals(name, n)) return false;
  }
  return true;
}

void append_entity(std::string_view ent, std::string& out) {
  if (ent.empty()) return;
  if (ent[0] == '#') {
    uint32_t cp = 0;
    bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
    size_t i = hex ? 2 : 1;
    if (i >= ent.size()) return;
    for (; i < ent.size(); ++i) {
      char c = ent[i];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      if (cp > 0x10FFFF) return;
    }
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    append_utf8(out, cp);
    return;
  }
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"},
      {"lt", "<"},
      {"gt", ">"},
      {"quot", "\""},
      {"apos", "'"},
      {"nbsp", "\xC2\xA0"},
      {"copy", "\xC2\xA9"},
      {"reg", "\xC2\xAE"},
      {"hellip", "\xE2\x80\xA6"},
      {"mdash", "\xE2\x80\x94"},
      {"ndash", "\xE2\x80\x93"}};
  for (const auto& [name, text] : kNamed) {
    if (ent == name) {
      out += text;
      return;
    }
  }
  out += '&';
  out += ent;
  out += ';';
}

}  // namespace

std::string html_to_text(std::string_view h) {
  std::string out;
  size_t i = 0;
  while (i < h.size()) {
    char c = h[i];
    if (c == '&') {
      size_t semi = h.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 10) {
        append_entity(h.substr(i + 1, semi - i - 1), out);
        i = semi + 1;
      } else {
        out += c;
        ++i;
      }
      continue;
    }
    if (c != '<') {
      out += c;
      ++i;
      continue;
    }
    if (h.substr(i, 4) == "<!--") {
      size_t e = h.find("-->", i + 4);
      i = e == std::string_view::npos ? h.size() : e + 3;
      out += ' ';
      continue;
    }
    size_t gt = h.find('>', i + 1);
    if (gt == std::string_view::npos) break;  // an unterminated tag: the rest is markup
    std::string_view tag = h.substr(i + 1, gt - i - 1);
    size_t n = 0;
    if (!tag.empty() && tag[0] == '/') n = 1;
    size_t name_start = n;
    while (n < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[n])) != 0)) ++n;
    std::string_view name = tag.substr(name_start, n - name_start);
    i = gt + 1;
    bool closing = !tag.empty() && tag[0] == '/';
    if (!closing && (iequals(name, "script") || iequals(name, "style") || iequals(name, "head") ||
                     iequals(name, "title"))) {
      // Skip to the matching end tag.
      std::string end = "</" + ascii_lower(name);
      size_t e = i;
      for (;;) {
        e = h.find("</", e);
        if (e == std::string_view::npos) break;
        if (istarts_with(h.substr(e), end)) break;
        e += 2;
      }
      if (e == std::string_view::npos) {
        i = h.size();
      } else {
        size_t close = h.find('>', e);
        i = close == std::string_view::npos ? h.size() : close + 1;
      }
      out += ' ';
      continue;
    }
    if (is_block_tag(name)) out += ' ';
  }
  return out;
}

std::string collapse_preview_text(std::string_view s, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  bool pending_space = false;
  size_t i = 0;
  while (i < s.size() && chars < max_chars) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + len > s.size()) break;
    std::string_view ch = s.substr(i, len);
    i += len;
    bool space =
        (len == 1 && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')) ||
        ch == "\xC2\xA0" || ch == "\xE2\x80\xAF" || ch == "\xE3\x80\x80";
    if (space) {
      pending_space = !out.empty();
      continue;
    }
    if (len == 1 && (c < 0x20 || c == 0x7F)) continue;
    if (len == 2 && c == 0xC2 && static_cast<unsigned char>(ch[1]) < 0xA0) continue;  // C1
    if (ch == "\xEF\xBB\xBF" || ch == "\xE2\x80\x8B") continue;  // BOM, zero-width space
    if (pending_space) {
      out += ' ';
      ++chars;
      pending_space = false;
      if (chars >= max_chars) break;
    }
    out.append(ch);
    ++chars;
  }
  return out;
}

std::string make_preview(std::string_view raw, const std::vector<index::PartRange>& parts) {
  const index::PartRange* p = preview_part(parts);
  if (!p || p->body_start > p->body_end || p->body_end > raw.size()) return "";
  // Enough of the part for 256 characters after decoding, with room for markup.
  std::string_view body = raw.substr(p->body_start, p->body_end - p->body_start);
  bool html = p->content_type == "text/html";
  size_t cap = html ? 256 * 1024 : 16 * 1024;
  if (body.size() > cap) {
    size_t cut = body.rfind('\n', cap);  // whole lines, so base64/QP decode cleanly
    body = body.substr(0, cut == std::string_view::npos ? cap : cut + 1);
  }
  std::string text = mime::to_utf8(mime::decode_transfer(body, p->transfer_encoding), p->charset);
  if (html) text = mime::sanitize_utf8(html_to_text(text));
  return collapse_preview_text(text);
}

}  // namespace tegami::imap::server
