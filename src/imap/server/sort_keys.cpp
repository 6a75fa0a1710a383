// SORT and THREAD keys. RFC 5256 §2.1 (base subject extraction), §2.2 (sent date), §3 (SORT
// criteria ARRIVAL CC DATE FROM SIZE SUBJECT TO, the implicit sequence-number criterion;
// REFERENCES message ids), RFC 5957 §2 (DISPLAYFROM, DISPLAYTO), RFC 5051 (i;unicode-casemap).
#include "imap/server/sort_keys.hpp"

#include <algorithm>

#include "base/strings.hpp"
#include "imap/server/text_fold.hpp"
#include "mime/encoding.hpp"

namespace tegami::imap::server {

namespace {

// ---------------------------------------------------------------------------------------------
// Base subject (RFC 5256 §2.1 and the ABNF of §5).

bool ci_prefix(std::string_view s, size_t pos, std::string_view p) {
  return s.size() - pos >= p.size() && iequals(s.substr(pos, p.size()), p);
}

// subj-blob = "[" *BLOBCHAR "]" *WSP at pos; returns the end, or npos.
size_t match_blob(std::string_view s, size_t pos) {
  if (pos >= s.size() || s[pos] != '[') return std::string_view::npos;
  size_t i = pos + 1;
  while (i < s.size() && s[i] != '[' && s[i] != ']') ++i;
  if (i >= s.size() || s[i] != ']') return std::string_view::npos;
  ++i;
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" at pos; returns the end, or npos.
size_t match_refwd(std::string_view s, size_t pos) {
  size_t i;
  if (ci_prefix(s, pos, "re")) {
    i = pos + 2;
  } else if (ci_prefix(s, pos, "fw")) {
    i = pos + 2;
    if (i < s.size() && (s[i] == 'd' || s[i] == 'D')) ++i;
  } else {
    return std::string_view::npos;
  }
  while (i < s.size() && s[i] == ' ') ++i;
  size_t b = match_blob(s, i);
  if (b != std::string_view::npos) i = b;
  if (i >= s.size() || s[i] != ':') return std::string_view::npos;
  return i + 1;
}

// subj-leader = (*subj-blob subj-refwd) / WSP at pos; returns the end, or npos. *refwd is set
// when a subj-refwd was matched.
size_t match_leader(std::string_view s, size_t pos, bool* refwd) {
  if (pos < s.size() && s[pos] == ' ') return pos + 1;
  // Blobs start with '[' and a subj-refwd with 'r' or 'f', so taking blobs greedily never
  // prevents a match.
  size_t i = pos;
  for (;;) {
    size_t b = match_blob(s, i);
    if (b == std::string_view::npos) break;
    i = b;
  }
  size_t e = match_refwd(s, i);
  if (e == std::string_view::npos) return std::string_view::npos;
  *refwd = true;
  return e;
}

// ---------------------------------------------------------------------------------------------
// A small reader for the ENVELOPE string: NIL, quoted strings, literals and lists.

struct EnvValue {
  bool nil = false;
  bool list = false;
  std::string text;
  std::vector<EnvValue> items;
};

class EnvReader {
 public:
  explicit EnvReader(std::string_view s) : s_(s) {}

  bool value(EnvValue& out, int depth) {
    if (depth > 8) return false;
    skip_spaces();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '(') {
      ++i_;
      out.list = true;
      for (;;) {
        skip_spaces();
        if (i_ >= s_.size()) return false;
        if (s_[i_] == ')') {
          ++i_;
          return true;
        }
        EnvValue v;
        if (!value(v, depth + 1)) return false;
        out.items.push_back(std::move(v));
      }
    }
    if (c == '"') {
      ++i_;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        out.text += s_[i_++];
      }
      if (i_ >= s_.size()) return false;
      ++i_;
      return true;
    }
    if (c == '{') {
      size_t close = s_.find('}', i_);
      if (close == std::string_view::npos) return false;
      auto n = parse_u64(s_.substr(i_ + 1, close - i_ - 1));
      if (!n || close + 3 > s_.size() || s_.substr(close + 1, 2) != "\r\n") return false;
      size_t start = close + 3;
      if (*n > s_.size() - start) return false;
      out.text.assign(s_.substr(start, *n));
      i_ = start + *n;
      return true;
    }
    if (ci_prefix(s_, i_, "NIL")) {
      i_ += 3;
      out.nil = true;
      return true;
    }
    return false;
  }

 private:
  void skip_spaces() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  std::string_view s_;
  size_t i_ = 0;
};

std::vector<EnvelopeAddress> addresses_of(const EnvValue& v) {
  std::vector<EnvelopeAddress> out;
  if (!v.list) return out;
  for (const auto& a : v.items) {
    if (!a.list || a.items.size() != 4) continue;
    // (NIL NIL "group" NIL) starts a group and (NIL NIL NIL NIL) ends it: no host.
    if (a.items[3].nil) continue;
    out.push_back({a.items[0].text, a.items[2].text, a.items[3].text});
  }
  return out;
}

// RFC 5957 §2: the display name of the first address, RFC 2047-decoded; when it is absent or
// empty, the address as mailbox@host.
std::string display_of(const std::vector<EnvelopeAddress>& list) {
  if (list.empty()) return "";
  const auto& a = list.front();
  std::string name(trim(mime::decode_rfc2047(a.name)));
  if (!name.empty()) return name;
  return a.host.empty() ? a.mailbox : a.mailbox + "@" + a.host;
}

std::string first_mailbox(const std::vector<EnvelopeAddress>& list) {
  return list.empty() ? std::string() : list.front().mailbox;
}

using Key = proto::SortCriterion::Key;

template <class T>
int cmp3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_key(const SortRecord& a, const SortRecord& b, Key k) {
  switch (k) {
    case Key::kArrival:
      return cmp3(a.arrival, b.arrival);
    case Key::kDate:
      return cmp3(a.sent, b.sent);
    case Key::kSize:
      return cmp3(a.size, b.size);
    case Key::kSubject:
      return a.subject.compare(b.subject);
    case Key::kFrom:
      return a.from.compare(b.from);
    case Key::kTo:
      return a.to.compare(b.to);
    case Key::kCc:
      return a.cc.compare(b.cc);
    case Key::kDisplayFrom:
      return a.display_from.compare(b.display_from);
    case Key::kDisplayTo:
      return a.display_to.compare(b.display_to);
  }
  return 0;
}

}  // namespace

std::string base_subject(std::string_view subject, bool* reply_or_forward) {
  bool rf = false;
  // (1) The subject is already decoded; tabs and line breaks (continuations) become spaces and
  // runs of spaces one space.
  std::string s;
  s.reserve(subject.size());
  for (char c : subject) {
    if (c == '\t' || c == '\r' || c == '\n') c = ' ';
    if (c == ' ' && !s.empty() && s.back() == ' ') continue;
    s += c;
  }
  for (;;) {
    // (2) Remove subj-trailer ("(fwd)" / WSP) at the end, as often as possible.
    for (;;) {
      if (!s.empty() && s.back() == ' ') {
        s.pop_back();
      } else if (s.size() >= 5 && iequals(std::string_view(s).substr(s.size() - 5), "(fwd)")) {
        s.resize(s.size() - 5);
        rf = true;
      } else {
        break;
      }
    }
    // (3)-(5) Remove subj-leaders, then a subj-blob that leaves a non-empty subj-base, until
    // neither matches.
    size_t pos = 0;
    for (;;) {
      bool changed = false;
      for (;;) {  // (3)
        size_t e = match_leader(s, pos, &rf);
        if (e == std::string_view::npos) break;
        pos = e;
        changed = true;
      }
      size_t b = match_blob(s, pos);  // (4)
      if (b != std::string_view::npos && b < s.size()) {
        // After step (2) the text ends in a non-space character, so anything left after the
        // blob and its spaces is a non-empty subj-base.
        pos = b;
        changed = true;
      }
      if (!changed) break;  // (5)
    }
    s.erase(0, pos);
    // (6) "[fwd:" ... "]": unwrap and start again from step (2).
    if (s.size() >= 6 && ci_prefix(s, 0, "[fwd:") && s.back() == ']') {
      s = s.substr(5, s.size() - 6);
      rf = true;
      continue;
    }
    break;
  }
  if (reply_or_forward) *reply_or_forward = rf;
  return s;  // (7)
}

std::vector<std::string> parse_msg_ids(std::string_view v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (c == '(') {  // comment, nested, with quoted-pairs
      int depth = 0;
      for (; i < v.size(); ++i) {
        if (v[i] == '\\') {
          ++i;
        } else if (v[i] == '(') {
          ++depth;
        } else if (v[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
      }
      continue;
    }
    if (c == '"') {  // a quoted phrase outside an id (obsolete In-Reply-To phrases)
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    std::string id;
    bool in_quotes = false;
    size_t j = i + 1;
    for (; j < v.size(); ++j) {
      char d = v[j];
      if (in_quotes) {
        if (d == '\\' && j + 1 < v.size()) {
          id += v[++j];
        } else if (d == '"') {
          in_quotes = false;
        } else {
          id += d;
        }
        continue;
      }
      if (d == '"') {
        in_quotes = true;
      } else if (d == '>' || d == '<') {
        break;
      } else if (d != ' ' && d != '\t' && d != '\r' && d != '\n') {
        id += d;
      }
    }
    if (j < v.size() && v[j] == '>') {
      if (!id.empty()) out.push_back(std::move(id));
      i = j + 1;
    } else {
      i = j;  // unterminated, or a '<' inside: start again there
    }
  }
  return out;
}

std::optional<std::string_view> header_value(std::string_view headers, std::string_view name) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t nl = headers.find('\n', pos);
    if (nl == std::string_view::npos) nl = headers.size();
    std::string_view line = headers.substr(pos, nl - pos);
    pos = nl + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(trim(line.substr(0, colon)), name)) return trim(line.substr(colon + 1));
  }
  return std::nullopt;
}

std::optional<EnvelopeAddresses> parse_envelope_addresses(std::string_view envelope) {
  EnvReader r(envelope);
  EnvValue v;
  if (!r.value(v, 0) || !v.list || v.items.size() < 7) return std::nullopt;
  // (date subject from sender reply-to to cc bcc in-reply-to message-id)
  EnvelopeAddresses out;
  out.from = addresses_of(v.items[2]);
  out.to = addresses_of(v.items[5]);
  out.cc = addresses_of(v.items[6]);
  return out;
}

bool sort_needs_index(const std::vector<proto::SortCriterion>& criteria) {
  return std::any_of(criteria.begin(), criteria.end(), [](const proto::SortCriterion& c) {
    return c.key != Key::kArrival && c.key != Key::kSize;
  });
}

SortRecord sort_record(const std::vector<proto::SortCriterion>& criteria, uint32_t seq,
                       const store::MessageMeta& meta, const index::MessageIndex* idx) {
  SortRecord r;
  r.seq = seq;
  r.uid = meta.uid;
  r.arrival = meta.internal_date;
  r.size = meta.size;
  r.sent = idx && idx->sent_date != 0 ? idx->sent_date : meta.internal_date;
  if (!idx) return r;
  std::optional<EnvelopeAddresses> env;
  auto addresses = [&]() -> const EnvelopeAddresses& {
    if (!env) env = parse_envelope_addresses(idx->envelope).value_or(EnvelopeAddresses{});
    return *env;
  };
  for (const auto& c : criteria) {
    switch (c.key) {
      case Key::kSubject:
        r.subject = unicode_casemap(base_subject(idx->subject));
        break;
      case Key::kFrom:
        r.from = unicode_casemap(first_mailbox(addresses().from));
        break;
      case Key::kTo:
        r.to = unicode_casemap(first_mailbox(addresses().to));
        break;
      case Key::kCc:
        r.cc = unicode_casemap(first_mailbox(addresses().cc));
        break;
      case Key::kDisplayFrom:
        r.display_from = unicode_casemap(display_of(addresses().from));
        break;
      case Key::kDisplayTo:
        r.display_to = unicode_casemap(display_of(addresses().to));
        break;
      default:
        break;
    }
  }
  return r;
}

bool sort_less(const SortRecord& a, const SortRecord& b,
               const std::vector<proto::SortCriterion>& criteria) {
  for (const auto& c : criteria) {
    int d = compare_key(a, b, c.key);
    if (d != 0) return c.reverse ? d > 0 : d < 0;
  }
  return a.uid < b.uid;  // the same order as sequence numbers
}

void sort_records(std::vector<SortRecord>& records,
                  const std::vector<proto::SortCriterion>& criteria) {
  std::sort(records.begin(), records.end(),
            [&](const SortRecord& a, const SortRecord& b) { return sort_less(a, b, criteria); });
}

ThreadRecord thread_record(uint32_t id, uint32_t seq, const store::MessageMeta& meta,
                           const index::MessageIndex& idx) {
  ThreadRecord r;
  r.id = id;
  r.seq = seq;
  r.sent = idx.sent_date != 0 ? idx.sent_date : meta.internal_date;
  bool reply = false;
  r.subject = unicode_casemap(base_subject(idx.subject, &reply));
  r.reply = reply;
  if (!idx.message_id.empty()) {
    auto ids = parse_msg_ids("<" + idx.message_id + ">");
    if (!ids.empty()) r.message_id = std::move(ids.front());
  }
  if (auto refs = header_value(idx.search_headers, "References")) {
    r.references = parse_msg_ids(*refs);
  }
  if (r.references.empty()) {
    if (auto irt = header_value(idx.search_headers, "In-Reply-To")) {
      auto ids = parse_msg_ids(*irt);
      if (!ids.empty()) r.references.push_back(std::move(ids.front()));
    }
  }
  return r;
}

}  // namespace tegami::imap::server
