// SEARCH keys. RFC 9051 §6.4.4 (search keys; dates disregard time and timezone; string
// matching is case-insensitive substring), RFC 3501 §6.4.4 (NEW, OLD, RECENT), RFC 5032 (OLDER,
// YOUNGER), RFC 8514 (SAVEDBEFORE/ON/SINCE), RFC 7162 §3.1.5 (MODSEQ).
#include "imap/server/search_eval.hpp"

#include <algorithm>
#include <cstring>

#include "base/strings.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/text_fold.hpp"

namespace tegami::imap::server {

namespace {

using K = proto::SearchKey::Type;

int64_t day_of(int64_t unix_seconds) {
  int64_t d = unix_seconds / 86400;
  if (unix_seconds < 0 && unix_seconds % 86400 != 0) --d;
  return d;
}

int64_t day_of(const proto::Date& d) {
  return days_from_civil(d.year, static_cast<unsigned>(d.month), static_cast<unsigned>(d.day));
}

const std::string& headers_of(const SearchMessage& m) {
  if (!m.headers_folded) m.headers_folded = m.idx ? fold_case(m.idx->search_headers) : "";
  return *m.headers_folded;
}

bool is_ascii(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (w & 0x8080808080808080ULL) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  }
  return true;
}

unsigned char ascii_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

// Substring search of a folded needle in ASCII text, ignoring ASCII case (which is what
// folding does to ASCII text), without making a folded copy (Boyer-Moore-Horspool).
bool ascii_contains_folded(std::string_view hay, std::string_view needle) {
  const size_t n = needle.size();
  if (n == 0) return true;
  if (hay.size() < n) return false;
  uint8_t skip[256];
  const uint8_t most = static_cast<uint8_t>(std::min<size_t>(n, 255));
  std::memset(skip, most, sizeof skip);
  for (size_t i = n > 256 ? n - 256 : 0; i + 1 < n; ++i) {
    auto c = static_cast<unsigned char>(needle[i]);
    uint8_t d = static_cast<uint8_t>(std::min<size_t>(n - 1 - i, most));
    skip[c] = d;
    if (c >= 'a' && c <= 'z') skip[c - ('a' - 'A')] = d;
  }
  const auto last = static_cast<unsigned char>(needle[n - 1]);
  for (size_t pos = 0; pos + n <= hay.size();) {
    auto h = static_cast<unsigned char>(hay[pos + n - 1]);
    if (ascii_lower(h) == last) {
      size_t k = 0;
      while (k + 1 < n && ascii_lower(static_cast<unsigned char>(hay[pos + k])) ==
                              static_cast<unsigned char>(needle[k]))
        ++k;
      if (k + 1 >= n) return true;
    }
    pos += skip[h];
  }
  return false;
}

// Whether the folded form of `text` contains the folded needle. ASCII text (most mail) is
// searched in place; other text is folded once and kept in `folded`.
bool folded_contains(const std::string& text, std::optional<std::string>& folded,
                     std::string_view needle) {
  if (!folded) {
    if (is_ascii(text)) return ascii_contains_folded(text, needle);
    folded = fold_case(text);
  }
  return folded->find(needle) != std::string::npos;
}

// A field in the folded "name: value\n" lines whose value contains the needle. An empty needle
// matches any message that has the field (RFC 9051 §6.4.4 HEADER).
bool header_contains(const std::string& headers, std::string_view name_folded,
                     std::string_view needle) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t nl = headers.find('\n', pos);
    if (nl == std::string::npos) nl = headers.size();
    std::string_view line(headers.data() + pos, nl - pos);
    pos = nl + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (trim(line.substr(0, colon)) != name_folded) continue;
    if (line.substr(colon + 1).find(needle) != std::string_view::npos) return true;
  }
  return false;
}

bool has_keyword(const store::MessageMeta& m, const std::string& k) {
  return std::any_of(m.keywords.begin(), m.keywords.end(),
                     [&](const std::string& x) { return iequals(x, k); });
}

}  // namespace

int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool search_needs_index(const proto::SearchKey& key) {
  switch (key.type) {
    case K::kBcc:
    case K::kBody:
    case K::kCc:
    case K::kFrom:
    case K::kSubject:
    case K::kText:
    case K::kTo:
    case K::kHeader:
    case K::kSentBefore:
    case K::kSentOn:
    case K::kSentSince:
      return true;
    default:
      break;
  }
  for (const auto& c : key.children) {
    if (search_needs_index(c)) return true;
  }
  return false;
}

proto::SearchKey fold_search_key(proto::SearchKey key) {
  switch (key.type) {
    case K::kBcc:
    case K::kBody:
    case K::kCc:
    case K::kFrom:
    case K::kSubject:
    case K::kText:
    case K::kTo:
      key.text = fold_case(key.text);
      break;
    case K::kHeader:
      key.text = fold_case(key.text);
      key.text2 = fold_case(key.text2);
      break;
    default:
      break;
  }
  for (auto& c : key.children) c = fold_search_key(std::move(c));
  return key;
}

bool search_matches(const proto::SearchKey& k, const SearchMessage& m, const SearchScope& scope) {
  const store::MessageMeta& meta = *m.meta;
  switch (k.type) {
    case K::kAnd:
      for (const auto& c : k.children) {
        if (!search_matches(c, m, scope)) return false;
      }
      return true;
    case K::kOr:
      for (const auto& c : k.children) {
        if (search_matches(c, m, scope)) return true;
      }
      return false;
    case K::kNot:
      return k.children.empty() || !search_matches(k.children[0], m, scope);
    case K::kAll:
      return true;
    case K::kAnswered:
      return meta.flags & store::kAnswered;
    case K::kDeleted:
      return meta.flags & store::kDeleted;
    case K::kDraft:
      return meta.flags & store::kDraft;
    case K::kFlagged:
      return meta.flags & store::kFlagged;
    case K::kSeen:
      return meta.flags & store::kSeen;
    case K::kUnanswered:
      return !(meta.flags & store::kAnswered);
    case K::kUndeleted:
      return !(meta.flags & store::kDeleted);
    case K::kUndraft:
      return !(meta.flags & store::kDraft);
    case K::kUnflagged:
      return !(meta.flags & store::kFlagged);
    case K::kUnseen:
      return !(meta.flags & store::kSeen);
    case K::kNew:
      return m.recent && !(meta.flags & store::kSeen);
    case K::kOld:
      return !m.recent;
    case K::kRecent:
      return m.recent;
    case K::kKeyword:
      return has_keyword(meta, k.text);
    case K::kUnkeyword:
      return !has_keyword(meta, k.text);
    case K::kBcc:
      return header_contains(headers_of(m), "bcc", k.text);
    case K::kCc:
      return header_contains(headers_of(m), "cc", k.text);
    case K::kFrom:
      return header_contains(headers_of(m), "from", k.text);
    case K::kTo:
      return header_contains(headers_of(m), "to", k.text);
    case K::kSubject:
      return header_contains(headers_of(m), "subject", k.text);
    case K::kHeader:
      return header_contains(headers_of(m), trim(k.text), k.text2);
    case K::kBody:
      if (!m.idx) return k.text.empty();
      return folded_contains(m.idx->search_body, m.body_folded, k.text);
    case K::kText:
      if (!m.idx) return k.text.empty();
      return folded_contains(m.idx->search_headers, m.headers_folded, k.text) ||
             folded_contains(m.idx->search_body, m.body_folded, k.text);
    case K::kBefore:
      return day_of(meta.internal_date) < day_of(k.date);
    case K::kOn:
      return day_of(meta.internal_date) == day_of(k.date);
    case K::kSince:
      return day_of(meta.internal_date) >= day_of(k.date);
    case K::kSentBefore:
    case K::kSentOn:
    case K::kSentSince: {
      // Messages without a usable Date: header fall back to their internal date.
      int64_t t = m.idx && m.idx->sent_date != 0 ? m.idx->sent_date : meta.internal_date;
      int64_t a = day_of(t), b = day_of(k.date);
      if (k.type == K::kSentBefore) return a < b;
      if (k.type == K::kSentOn) return a == b;
      return a >= b;
    }
    case K::kSavedBefore:
      return day_of(meta.save_date) < day_of(k.date);
    case K::kSavedOn:
      return day_of(meta.save_date) == day_of(k.date);
    case K::kSavedSince:
      return day_of(meta.save_date) >= day_of(k.date);
    case K::kSaveDateSupported:
      return true;
    case K::kLarger:
      return static_cast<uint64_t>(meta.size) > k.number;
    case K::kSmaller:
      return static_cast<uint64_t>(meta.size) < k.number;
    case K::kOlder:
      return scope.now - meta.internal_date >= static_cast<int64_t>(k.number);
    case K::kYounger:
      return scope.now - meta.internal_date <= static_cast<int64_t>(k.number);
    case K::kModSeq:
      return meta.modseq >= k.number;
    case K::kUid:
    case K::kSequence:
      if (k.set.saved) {
        return scope.saved &&
               std::binary_search(scope.saved->begin(), scope.saved->end(), meta.uid);
      }
      if (k.type == K::kUid) return k.set.contains(meta.uid, scope.max_uid);
      return k.set.contains(m.seq, scope.message_count);
    case K::kEmailId:  // RFC 8474 §6
      return k.text == email_object_id(scope.account, meta.blob_id);
    case K::kThreadId:  // no thread ids (FETCH THREADID is NIL)
      return false;
  }
  return false;
}

}  // namespace tegami::imap::server
