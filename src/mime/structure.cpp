// One-pass MIME structure scanner (RFC 2045, RFC 2046 §5.1 and §5.2.1, RFC 5322 §2.1).
//
// The scanner keeps the chain of open parts (root .. current) in `open_`. Each line that starts
// with "--" is compared with the boundaries of the open multiparts, innermost first; a match
// ends every part above that multipart (so missing close delimiters are tolerated) and either
// starts its next body part or closes it. Work per line is bounded by the depth limit, so the
// whole scan is linear in the input; nothing recurses.
#include "mime/structure.hpp"

#include <algorithm>
#include <cstring>

#include "base/strings.hpp"
#include "mime/charset.hpp"
#include "mime/encoding.hpp"

namespace tegami::mime {
namespace {

constexpr size_t kMaxBoundary = 200;  // RFC 2046 allows 70; be generous

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool identity_encoding(std::string_view e) {
  return e.empty() || iequals(e, "7bit") || iequals(e, "8bit") || iequals(e, "binary");
}

std::string first_token(std::string_view raw) {
  std::string s = strip_comments(unfold(raw));
  std::string_view v = trim(s);
  size_t i = 0;
  while (i < v.size() && !is_wsp(v[i]) && v[i] != ';') {
    ++i;
  }
  return std::string(v.substr(0, i));
}

class Scanner {
 public:
  Scanner(std::string_view raw, const ScanLimits& limits) : raw_(raw), lim_(limits) {}

  Structure run() {
    start_part(Part::kNone);
    while (!stop_ && pos_ < raw_.size()) {
      Line l = line_at(pos_);
      if (l.content_end - l.begin >= 2 && raw_[l.begin] == '-' && raw_[l.begin + 1] == '-') {
        bool close = false;
        int k = match_boundary(content(l), close);
        if (k >= 0) {
          size_t end = l.begin;
          uint64_t end_nl = nl_;
          if (end > 0 && raw_[end - 1] == '\n') {
            --end;
            --end_nl;
            if (end > 0 && raw_[end - 1] == '\r') {
              --end;
            }
          }
          // Innermost first; a part never ends before an inner part's body start (an inner
          // header whose empty line is directly followed by the delimiter).
          for (size_t j = open_.size() - 1; j > static_cast<size_t>(k); --j) {
            uint32_t idx = open_[j].part;
            if (end < st_.parts[idx].body_start) {
              end = st_.parts[idx].body_start;
              end_nl = start_nl_[idx];
            }
            finish(idx, end, end_nl);
          }
          open_.resize(static_cast<size_t>(k) + 1);
          advance(l);
          if (close) {
            open_[k].closed = true;
          } else {
            start_part(open_[k].part);
          }
          continue;
        }
      }
      advance(l);
    }
    uint64_t total_nl = nl_;
    if (pos_ < raw_.size()) {
      total_nl += static_cast<uint64_t>(std::count(raw_.begin() + pos_, raw_.end(), '\n'));
    }
    for (size_t j = open_.size(); j-- > 0;) {
      finish(open_[j].part, raw_.size(), total_nl);
    }
    return std::move(st_);
  }

 private:
  struct Line {
    size_t begin, content_end, next;
    bool has_nl;
  };
  struct Open {
    uint32_t part;
    std::string boundary;  // empty: not a multipart with a usable boundary
    bool closed = false;   // close delimiter seen: the rest is epilogue
  };

  Line line_at(size_t pos) const {
    const void* p = std::memchr(raw_.data() + pos, '\n', raw_.size() - pos);
    if (!p) {
      return {pos, raw_.size(), raw_.size(), false};
    }
    size_t nl = static_cast<size_t>(static_cast<const char*>(p) - raw_.data());
    size_t ce = nl;
    if (ce > pos && raw_[ce - 1] == '\r') {
      --ce;
    }
    return {pos, ce, nl + 1, true};
  }
  std::string_view content(const Line& l) const {
    return raw_.substr(l.begin, l.content_end - l.begin);
  }
  void advance(const Line& l) {
    pos_ = l.next;
    if (l.has_nl) {
      ++nl_;
    }
  }

  // Index into open_ of the multipart whose delimiter `line` is, or -1.
  int match_boundary(std::string_view line, bool& close) const {
    if (line.size() < 2 || line[0] != '-' || line[1] != '-') {
      return -1;
    }
    std::string_view rest = line.substr(2);
    for (size_t j = open_.size(); j-- > 0;) {
      const Open& o = open_[j];
      if (o.boundary.empty() || o.closed) {
        continue;
      }
      if (rest.size() < o.boundary.size() ||
          std::memcmp(rest.data(), o.boundary.data(), o.boundary.size()) != 0) {
        continue;
      }
      std::string_view tail = rest.substr(o.boundary.size());
      bool is_close = tail.size() >= 2 && tail[0] == '-' && tail[1] == '-';
      if (is_close) {
        tail.remove_prefix(2);
      }
      bool blank = true;
      for (char c : tail) {
        blank &= is_wsp(c) || c == '\r';
      }
      if (!blank) {
        continue;
      }
      close = is_close;
      return static_cast<int>(j);
    }
    return -1;
  }

  void finish(uint32_t idx, size_t end, uint64_t end_nl) {
    Part& p = st_.parts[idx];
    if (end <= p.body_start) {
      p.body_end = p.body_start;
      p.body_lines = 0;
      return;
    }
    p.body_end = end;
    p.body_lines = end_nl - start_nl_[idx];
  }

  // Creates a part whose header starts at pos_, scans its header and pushes it on open_.
  // A message/rfc822 part continues with its encapsulated message at once (a loop, no recursion).
  void start_part(uint32_t parent) {
    for (;;) {
      if (st_.parts.size() >= lim_.max_parts) {
        st_.limits_hit = true;
        stop_ = true;
        return;
      }
      auto idx = static_cast<uint32_t>(st_.parts.size());
      st_.parts.emplace_back();
      start_nl_.push_back(0);
      Part& p = st_.parts.back();
      p.parent = parent;
      p.depth = parent == Part::kNone ? 0 : st_.parts[parent].depth + 1;
      p.header_start = pos_;
      if (parent != Part::kNone) {
        st_.parts[parent].children.push_back(idx);
      }
      std::string boundary = parse_header(idx);
      open_.push_back({idx, std::move(boundary), false});
      if (st_.parts[idx].kind != Part::Kind::kMessage) {
        return;
      }
      parent = idx;
    }
  }

  // Scans the header at pos_, leaves pos_ at the body start, fills the part's Content-* fields
  // and kind. Returns the multipart boundary ("" when not descending).
  std::string parse_header(uint32_t idx) {
    enum Field {
      kType,
      kEncoding,
      kId,
      kDescription,
      kMd5,
      kDisposition,
      kLanguage,
      kLocation,
      kFieldCount
    };
    static constexpr std::string_view kNames[kFieldCount] = {
        "type", "transfer-encoding", "id",       "description",
        "md5",  "disposition",       "language", "location"};
    std::string_view values[kFieldCount];
    bool seen[kFieldCount] = {};
    std::string_view cur_name;
    size_t value_start = 0, value_end = 0;
    bool in_field = false;
    auto commit = [&] {
      if (!in_field || !istarts_with(cur_name, "content-")) {
        return;
      }
      std::string_view n = cur_name.substr(8);
      for (int f = 0; f < kFieldCount; ++f) {
        if (!seen[f] && iequals(n, kNames[f])) {
          seen[f] = true;
          size_t len = std::min<size_t>(value_end - value_start, lim_.max_field_bytes);
          values[f] = raw_.substr(value_start, len);
        }
      }
    };
    for (;;) {
      if (pos_ >= raw_.size()) {
        commit();
        break;
      }
      Line l = line_at(pos_);
      std::string_view c = content(l);
      if (c.empty()) {
        commit();
        advance(l);
        break;
      }
      bool close;
      if (c.size() >= 2 && c[0] == '-' && c[1] == '-' && match_boundary(c, close) >= 0) {
        commit();  // header cut short by a delimiter: empty body
        break;
      }
      if (is_wsp(c[0])) {
        if (in_field) {
          value_end = l.content_end;
        }
        advance(l);
        continue;
      }
      size_t i = 0;
      while (i < c.size() && c[i] != ':' && static_cast<unsigned char>(c[i]) > 32 &&
             static_cast<unsigned char>(c[i]) < 127) {
        ++i;
      }
      size_t name_end = i;
      while (i < c.size() && is_wsp(c[i])) {
        ++i;
      }
      if (name_end == 0 || i >= c.size() || c[i] != ':') {
        commit();  // not a header line: the blank line is missing, the body starts here
        break;
      }
      commit();
      cur_name = c.substr(0, name_end);
      value_start = l.begin + i + 1;
      value_end = l.content_end;
      in_field = true;
      advance(l);
    }
    Part& p = st_.parts[idx];
    p.body_start = pos_;
    start_nl_[idx] = nl_;

    bool in_digest = false;
    if (p.parent != Part::kNone) {
      const Part& parent = st_.parts[p.parent];
      in_digest = parent.kind == Part::Kind::kMultipart && iequals(parent.subtype, "digest");
    }
    if (seen[kType]) {
      ContentType ct = parse_content_type(values[kType]);
      if (!ct.type.empty()) {
        p.type = std::move(ct.type);
        p.subtype = std::move(ct.subtype);
        p.params = std::move(ct.params);
        p.has_content_type = true;
      }
    }
    if (!p.has_content_type && in_digest) {
      p.type = "message", p.subtype = "rfc822";
    }
    if (seen[kEncoding]) {
      p.encoding = first_token(values[kEncoding]);
    }
    if (seen[kId]) {
      p.id = unfold(values[kId]);
    }
    if (seen[kDescription]) {
      p.description = unfold(values[kDescription]);
    }
    if (seen[kMd5]) {
      p.md5 = unfold(values[kMd5]);
    }
    if (seen[kDisposition]) {
      Disposition d = parse_disposition(values[kDisposition]);
      p.disposition = std::move(d.type);
      p.disposition_params = std::move(d.params);
    }
    if (seen[kLanguage]) {
      p.languages = parse_language_list(values[kLanguage]);
    }
    if (seen[kLocation]) {
      for (char ch : unfold(values[kLocation])) {
        if (!is_wsp(ch)) {
          p.location += ch;
        }
      }
    }

    bool may_descend = p.depth + 1 < lim_.max_depth;
    if (iequals(p.type, "multipart")) {
      p.kind = Part::Kind::kMultipart;
      std::string boundary;
      for (const auto& prm : p.params) {
        if (!prm.extended && iequals(prm.name, "boundary")) {
          boundary = prm.value;
          break;
        }
      }
      if (boundary.empty()) {
        if (auto b = find_param(p.params, "boundary")) {
          boundary = *b;
        }
      }
      // RFC 2046 §5.1.1: a boundary does not end in a space; delimiter lines may carry
      // trailing whitespace, which matching allows.
      while (!boundary.empty() && is_wsp(boundary.back())) {
        boundary.pop_back();
      }
      if (!may_descend || boundary.empty() || boundary.size() > kMaxBoundary) {
        p.opaque = true;
        return {};
      }
      return boundary;
    }
    if (iequals(p.type, "message") &&
        (iequals(p.subtype, "rfc822") || iequals(p.subtype, "global"))) {
      if (may_descend && identity_encoding(p.encoding)) {
        p.kind = Part::Kind::kMessage;
      } else {
        p.opaque = true;
      }
    }
    return {};
  }

  std::string_view raw_;
  ScanLimits lim_;
  size_t pos_ = 0;
  uint64_t nl_ = 0;  // '\n' bytes before pos_
  std::vector<Open> open_;
  std::vector<uint64_t> start_nl_;  // per part: '\n' bytes before body_start
  Structure st_;
  bool stop_ = false;
};

}  // namespace

bool Part::is_type(std::string_view t, std::string_view st) const {
  return iequals(type, t) && iequals(subtype, st);
}

std::string Part::charset() const {
  for (const auto& p : params) {
    if (!p.extended && iequals(p.name, "charset")) {
      return ascii_lower(trim(p.value));
    }
  }
  for (const auto& p : params) {
    if (p.extended && iequals(p.name, "charset")) {
      return ascii_lower(decode_rfc2231(p.value));
    }
  }
  return {};
}

std::string Part::filename() const {
  if (auto f = find_param(disposition_params, "filename")) {
    return *f;
  }
  if (auto n = find_param(params, "name")) {
    return *n;
  }
  return {};
}

Structure scan(std::string_view raw, const ScanLimits& limits) {
  return Scanner(raw, limits).run();
}

std::string decoded_body(std::string_view raw, const Part& part) {
  if (part.body_end > raw.size() || part.body_start > part.body_end) {
    return {};
  }
  return decode_transfer(raw.substr(part.body_start, part.body_size()), part.encoding);
}

std::string decoded_text(std::string_view raw, const Part& part) {
  return to_utf8(decoded_body(raw, part), part.charset());
}

}  // namespace tegami::mime
