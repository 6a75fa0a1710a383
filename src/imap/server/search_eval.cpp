// SEARCH keys. RFC 9051 §6.4.4 (search keys; dates disregard time and timezone; string
// matching is case-insensitive substring), RFC 3501 §6.4.4 (NEW, OLD, RECENT), RFC 5032 (OLDER,
// YOUNGER), RFC 8514 (SAVEDBEFORE/ON/SINCE), RFC 7162 §3.1.5 (MODSEQ).
#include "imap/server/search_eval.hpp"

#include <algorithm>

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

const std::string& body_of(const SearchMessage& m) {
  if (!m.body_folded) m.body_folded = m.idx ? fold_case(m.idx->search_body) : "";
  return *m.body_folded;
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
      return body_of(m).find(k.text) != std::string::npos;
    case K::kText:
      return headers_of(m).find(k.text) != std::string::npos ||
             body_of(m).find(k.text) != std::string::npos;
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
