// RFC 5322 §2.2 header fields, RFC 2045 §5.1 parameters, RFC 2231 §3-§4, RFC 2183.
#include "mime/header.hpp"

#include <algorithm>

#include "base/strings.hpp"
#include "mime/encoding.hpp"

namespace tegami::mime {
namespace {

constexpr size_t kMaxParams = 100;
constexpr unsigned kMaxContinuation = 999;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool is_token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u == 127) {
    return false;
  }
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

std::string_view trim_wsp(std::string_view s) {
  while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct RawParam {
  std::string name;  // full name as written, e.g. "filename*1*"
  std::string value;
};

}  // namespace

std::vector<HeaderField> parse_header_fields(std::string_view h) {
  std::vector<HeaderField> out;
  size_t pos = 0;
  const char* base = h.data();
  size_t value_start = 0;
  bool in_field = false;
  while (pos < h.size()) {
    size_t nl = h.find('\n', pos);
    size_t next = nl == std::string_view::npos ? h.size() : nl + 1;
    size_t end = nl == std::string_view::npos ? h.size() : nl;
    if (end > pos && h[end - 1] == '\r') {
      --end;
    }
    std::string_view line = h.substr(pos, end - pos);
    if (line.empty()) {
      break;
    }
    if (is_wsp(line[0])) {
      if (in_field) {
        out.back().value = std::string_view(base + value_start, end - value_start);
      }
    } else {
      size_t i = 0;
      while (i < line.size() && line[i] != ':' && static_cast<unsigned char>(line[i]) > 32 &&
             static_cast<unsigned char>(line[i]) < 127) {
        ++i;
      }
      size_t name_end = i;
      while (i < line.size() && is_wsp(line[i])) {
        ++i;
      }
      if (name_end > 0 && i < line.size() && line[i] == ':') {
        value_start = pos + i + 1;
        out.push_back({line.substr(0, name_end), h.substr(value_start, end - value_start)});
        in_field = true;
      } else {
        in_field = false;
      }
    }
    pos = next;
  }
  return out;
}

std::optional<std::string_view> find_field(const std::vector<HeaderField>& fields,
                                           std::string_view name) {
  for (const auto& f : fields) {
    if (iequals(f.name, name)) {
      return f.value;
    }
  }
  return std::nullopt;
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') {
      out += c;
    }
  }
  return std::string(trim_wsp(out));
}

std::string decode_header_value(std::string_view raw, std::string_view fallback_charset) {
  return decode_rfc2047(unfold(raw), fallback_charset);
}

std::string strip_comments(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (depth == 0 && quoted) {
      out += c;
      if (c == '\\' && i + 1 < s.size()) {
        out += s[++i];
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '\\' && depth > 0) {
      ++i;
    } else if (c == '(') {
      if (depth == 0) {
        out += ' ';
      }
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      if (c == '"') {
        quoted = true;
      }
      out += c;
    }
  }
  return out;
}

std::vector<Param> parse_params(std::string_view s) {
  std::vector<RawParam> raw;
  size_t i = 0;
  while (i < s.size() && raw.size() < kMaxParams * 4) {
    while (i < s.size() && (is_wsp(s[i]) || s[i] == ';' || s[i] == '\r' || s[i] == '\n')) {
      ++i;
    }
    if (i >= s.size()) {
      break;
    }
    size_t name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';') {
      ++i;
    }
    std::string_view name = trim_wsp(s.substr(name_start, i - name_start));
    if (i >= s.size() || s[i] != '=') {
      continue;  // no value: skip
    }
    ++i;
    while (i < s.size() && is_wsp(s[i])) {
      ++i;
    }
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) {
          ++i;
        }
        value += s[i++];
      }
      if (i < s.size()) {
        ++i;  // closing quote
      }
      while (i < s.size() && s[i] != ';') {
        ++i;  // junk after the quoted string
      }
    } else {
      size_t v_start = i;
      while (i < s.size() && s[i] != ';') {
        ++i;
      }
      value = std::string(trim_wsp(s.substr(v_start, i - v_start)));
    }
    bool name_ok = !name.empty();
    for (char c : name) {
      if (!is_token_char(c) && c != '*') {
        name_ok = false;
      }
    }
    if (name_ok) {
      raw.push_back({std::string(name), std::move(value)});
    }
  }

  // RFC 2231 §3-§4: merge "name*0", "name*1*", ... and mark "name*" values extended.
  struct Segment {
    unsigned index;
    bool encoded;
    std::string value;
  };
  struct Group {
    std::string name;
    std::string plain;  // value of the plain "name=" form
    bool has_plain = false;
    std::string single_ext;  // "name*=" form
    bool has_single_ext = false;
    std::vector<Segment> segments;
  };
  std::vector<Group> groups;
  for (auto& rp : raw) {
    std::string_view n = rp.name;
    std::string_view base = n;
    int kind = 0;  // 0 plain, 1 single extended, 2 continuation
    unsigned index = 0;
    bool encoded = false;
    size_t star = n.find('*');
    if (star != std::string_view::npos) {
      base = n.substr(0, star);
      std::string_view rest = n.substr(star + 1);
      if (rest.empty()) {
        kind = 1;
      } else {
        if (rest.back() == '*') {
          encoded = true;
          rest.remove_suffix(1);
        }
        auto idx = parse_u64(rest);
        if (!idx || *idx > kMaxContinuation) {
          continue;
        }
        index = static_cast<unsigned>(*idx);
        kind = 2;
      }
    }
    if (base.empty()) {
      continue;
    }
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return iequals(g.name, base); });
    if (it == groups.end()) {
      if (groups.size() >= kMaxParams) {
        continue;
      }
      groups.push_back({std::string(base), {}, false, {}, false, {}});
      it = groups.end() - 1;
    }
    if (kind == 0 && !it->has_plain) {
      it->plain = std::move(rp.value), it->has_plain = true;
    } else if (kind == 1 && !it->has_single_ext) {
      it->single_ext = std::move(rp.value), it->has_single_ext = true;
    } else if (kind == 2) {
      it->segments.push_back({index, encoded, std::move(rp.value)});
    }
  }
  std::vector<Param> out;
  for (auto& g : groups) {
    if (g.has_plain) {
      out.push_back({g.name, g.plain, false});
    }
    if (g.has_single_ext) {
      out.push_back({g.name, g.single_ext, true});
    } else if (!g.segments.empty()) {
      std::stable_sort(g.segments.begin(), g.segments.end(),
                       [](const Segment& a, const Segment& b) { return a.index < b.index; });
      bool any_encoded = false;
      for (const auto& sg : g.segments) {
        any_encoded |= sg.encoded;
      }
      std::string merged;
      if (any_encoded && !(g.segments[0].index == 0 && g.segments[0].encoded)) {
        merged = "''";
      }
      unsigned expect = 0;
      for (const auto& sg : g.segments) {
        if (sg.index != expect) {
          break;  // duplicate or gap: stop (RFC 2231 §3)
        }
        ++expect;
        if (!any_encoded || sg.encoded) {
          merged += sg.value;
          continue;
        }
        for (char c : sg.value) {  // plain segment inside an extended value: percent-encode
          auto u = static_cast<unsigned char>(c);
          if (u <= 32 || u >= 127 || c == '%' || c == '\'' || c == '*') {
            static const char kHex[] = "0123456789ABCDEF";
            merged += '%';
            merged += kHex[u >> 4];
            merged += kHex[u & 15];
          } else {
            merged += c;
          }
        }
      }
      if (any_encoded || !g.has_plain) {
        out.push_back({g.name, std::move(merged), any_encoded});
      }
    }
  }
  return out;
}

std::optional<std::string> find_param(const std::vector<Param>& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.extended && iequals(p.name, name)) {
      return decode_rfc2231(p.value);
    }
  }
  for (const auto& p : params) {
    if (!p.extended && iequals(p.name, name)) {
      return decode_rfc2047(p.value);
    }
  }
  return std::nullopt;
}

ContentType parse_content_type(std::string_view raw) {
  ContentType ct;
  std::string s = strip_comments(unfold(raw));
  std::string_view v = s;
  size_t semi = v.find(';');
  std::string_view media = trim_wsp(v.substr(0, semi));
  size_t slash = media.find('/');
  if (slash != std::string_view::npos) {
    std::string_view t = trim_wsp(media.substr(0, slash));
    std::string_view st = trim_wsp(media.substr(slash + 1));
    bool ok = !t.empty() && !st.empty();
    for (char c : t) {
      ok &= is_token_char(c);
    }
    for (char c : st) {
      ok &= is_token_char(c);
    }
    if (ok) {
      ct.type = std::string(t);
      ct.subtype = std::string(st);
    }
  }
  if (semi != std::string_view::npos) {
    ct.params = parse_params(v.substr(semi + 1));
  }
  return ct;
}

Disposition parse_disposition(std::string_view raw) {
  Disposition d;
  std::string s = strip_comments(unfold(raw));
  std::string_view v = s;
  size_t semi = v.find(';');
  std::string_view t = trim_wsp(v.substr(0, semi));
  bool ok = !t.empty();
  for (char c : t) {
    ok &= is_token_char(c);
  }
  if (ok) {
    d.type = std::string(t);
  }
  if (semi != std::string_view::npos) {
    d.params = parse_params(v.substr(semi + 1));
  }
  return d;
}

std::vector<std::string> parse_language_list(std::string_view raw) {
  std::vector<std::string> out;
  std::string s = strip_comments(unfold(raw));
  for (auto part : split(s, ',')) {
    std::string tag;
    for (char c : part) {
      if (is_token_char(c)) {
        tag += c;
      }
    }
    if (!tag.empty() && out.size() < kMaxParams) {
      out.push_back(std::move(tag));
    }
  }
  return out;
}

}  // namespace tegami::mime
