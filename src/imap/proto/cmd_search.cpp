// SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4), RETURN options (RFC 4731 ESEARCH, RFC 5182
// SEARCHRES), MODSEQ key (RFC 7162 §3.1.5), OLDER/YOUNGER (RFC 5032), EMAILID/THREADID
// (RFC 8474 §6), SAVED* keys (RFC 8514 §4), SORT and THREAD (RFC 5256 §3, RFC 5267 ESORT,
// RFC 5957 DISPLAYFROM/DISPLAYTO), multimailbox ESEARCH (RFC 7377 §2).
#include <algorithm>
#include <cctype>

#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"

namespace tegami::imap::proto::detail {

namespace {

using T = SearchKey::Type;

struct KeyInfo {
  const char* name;
  T type;
  enum Arg { kNone, kString, kAtom, kHeader, kDate, kNumber, kNzNumber } arg;
};

constexpr KeyInfo kKeys[] = {
    {"ALL", T::kAll, KeyInfo::kNone},
    {"ANSWERED", T::kAnswered, KeyInfo::kNone},
    {"DELETED", T::kDeleted, KeyInfo::kNone},
    {"DRAFT", T::kDraft, KeyInfo::kNone},
    {"FLAGGED", T::kFlagged, KeyInfo::kNone},
    {"NEW", T::kNew, KeyInfo::kNone},
    {"OLD", T::kOld, KeyInfo::kNone},
    {"RECENT", T::kRecent, KeyInfo::kNone},
    {"SEEN", T::kSeen, KeyInfo::kNone},
    {"UNANSWERED", T::kUnanswered, KeyInfo::kNone},
    {"UNDELETED", T::kUndeleted, KeyInfo::kNone},
    {"UNDRAFT", T::kUndraft, KeyInfo::kNone},
    {"UNFLAGGED", T::kUnflagged, KeyInfo::kNone},
    {"UNSEEN", T::kUnseen, KeyInfo::kNone},
    {"SAVEDATESUPPORTED", T::kSaveDateSupported, KeyInfo::kNone},
    {"KEYWORD", T::kKeyword, KeyInfo::kAtom},
    {"UNKEYWORD", T::kUnkeyword, KeyInfo::kAtom},
    {"EMAILID", T::kEmailId, KeyInfo::kAtom},
    {"THREADID", T::kThreadId, KeyInfo::kAtom},
    {"BCC", T::kBcc, KeyInfo::kString},
    {"BODY", T::kBody, KeyInfo::kString},
    {"CC", T::kCc, KeyInfo::kString},
    {"FROM", T::kFrom, KeyInfo::kString},
    {"SUBJECT", T::kSubject, KeyInfo::kString},
    {"TEXT", T::kText, KeyInfo::kString},
    {"TO", T::kTo, KeyInfo::kString},
    {"HEADER", T::kHeader, KeyInfo::kHeader},
    {"BEFORE", T::kBefore, KeyInfo::kDate},
    {"ON", T::kOn, KeyInfo::kDate},
    {"SINCE", T::kSince, KeyInfo::kDate},
    {"SENTBEFORE", T::kSentBefore, KeyInfo::kDate},
    {"SENTON", T::kSentOn, KeyInfo::kDate},
    {"SENTSINCE", T::kSentSince, KeyInfo::kDate},
    {"SAVEDBEFORE", T::kSavedBefore, KeyInfo::kDate},
    {"SAVEDON", T::kSavedOn, KeyInfo::kDate},
    {"SAVEDSINCE", T::kSavedSince, KeyInfo::kDate},
    {"LARGER", T::kLarger, KeyInfo::kNumber},
    {"SMALLER", T::kSmaller, KeyInfo::kNumber},
    {"OLDER", T::kOlder, KeyInfo::kNzNumber},
    {"YOUNGER", T::kYounger, KeyInfo::kNzNumber},
};

bool search_key(Reader& r, SearchKey& k, int depth);

bool key_list(Reader& r, std::vector<SearchKey>& out, int depth) {
  for (;;) {
    SearchKey k;
    if (!search_key(r, k, depth)) {
      return false;
    }
    out.push_back(std::move(k));
    if (r.eat(')')) {
      return true;
    }
    if (!r.sp()) {
      return false;
    }
  }
}

bool search_key(Reader& r, SearchKey& k, int depth) {
  if (!r.enter(depth) || !r.count_item()) {
    return false;
  }
  int c = r.peek();
  if (c == '(') {
    r.eat('(');
    k.type = T::kAnd;
    return key_list(r, k.children, depth + 1);
  }
  if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
    k.type = T::kSequence;
    return r.sequence_set(k.set);
  }
  if (c == Reader::kEnd) {
    return r.fail("missing search key");
  }
  std::string name;
  if (!r.atom_upper(name)) {
    return false;
  }
  if (name == "NOT") {
    k.type = T::kNot;
    k.children.resize(1);
    return r.sp() && search_key(r, k.children[0], depth + 1);
  }
  if (name == "OR") {
    k.type = T::kOr;
    k.children.resize(2);
    return r.sp() && search_key(r, k.children[0], depth + 1) && r.sp() &&
           search_key(r, k.children[1], depth + 1);
  }
  if (name == "UID") {
    k.type = T::kUid;
    return r.sp() && r.sequence_set(k.set);
  }
  if (name == "MODSEQ") {  // MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer
    k.type = T::kModSeq;
    if (!r.sp()) {
      return false;
    }
    if (r.peek() == '"' || r.peek() == Reader::kLiteral) {
      if (!r.string(k.text) || !r.sp() || !r.atom(k.text2)) {
        return false;
      }
      std::string t = ascii_lower(k.text2);
      if (t != "priv" && t != "shared" && t != "all") {
        return r.fail("invalid MODSEQ entry type " + printable(k.text2));
      }
      k.text2 = t;
      if (!r.sp()) {
        return false;
      }
    }
    return r.number64(k.number);
  }
  for (const KeyInfo& info : kKeys) {
    if (name != info.name) {
      continue;
    }
    k.type = info.type;
    switch (info.arg) {
      case KeyInfo::kNone:
        return true;
      case KeyInfo::kString:
        return r.sp() && r.astring(k.text);
      case KeyInfo::kAtom:
        return r.sp() && r.atom(k.text);
      case KeyInfo::kHeader:
        return r.sp() && r.astring(k.text) && r.sp() && r.astring(k.text2);
      case KeyInfo::kDate:
        return r.sp() && r.date(k.date);
      case KeyInfo::kNumber:
        return r.sp() && r.number64(k.number);
      case KeyInfo::kNzNumber:
        return r.sp() && r.nz_number64(k.number);
    }
  }
  return r.fail("unknown search key " + printable(name));
}

bool keys_to_end(Reader& r, SearchKey& top) {
  top.type = T::kAnd;
  for (;;) {
    SearchKey k;
    if (!search_key(r, k, 1)) {
      return false;
    }
    top.children.push_back(std::move(k));
    if (!r.eat(' ') || r.rest_blank()) {
      break;
    }
  }
  return r.end();
}

}  // namespace

bool parse_search_return(Reader& r, SearchReturn& ret) {
  ret.given = true;
  if (!r.expect('(')) {
    return false;
  }
  if (r.eat(')')) {
    ret.all = true;
    return true;
  }
  for (;;) {
    std::string opt;
    if (!r.atom_upper(opt) || !r.count_item()) {
      return false;
    }
    if (opt == "MIN") {
      ret.min = true;
    } else if (opt == "MAX") {
      ret.max = true;
    } else if (opt == "ALL") {
      ret.all = true;
    } else if (opt == "COUNT") {
      ret.count = true;
    } else if (opt == "SAVE") {
      ret.save = true;
    } else if (opt == "UPDATE") {  // RFC 5267 §4.3
      ret.update = true;
    } else if (opt == "CONTEXT") {  // RFC 5267 §4.2
      ret.context = true;
    } else if (opt == "PARTIAL") {  // RFC 5267 §4.4: partial-range = nz-number ":" nz-number
      uint32_t lo = 0, hi = 0;
      if (ret.partial) {
        return r.fail("PARTIAL given twice");
      }
      if (!r.sp() || !r.nz_number(lo) || !r.expect(':') || !r.nz_number(hi)) {
        return false;
      }
      ret.partial = std::make_pair(std::min(lo, hi), std::max(lo, hi));
    } else {
      return r.fail("unknown RETURN option " + printable(opt));
    }
    if (r.eat(')')) {
      if (ret.partial && ret.all) {  // RFC 5267 §4.4: one PARTIAL or one ALL
        return r.fail("PARTIAL and ALL cannot be combined");
      }
      return true;
    }
    if (!r.sp()) {
      return false;
    }
  }
}

bool parse_search_program(Reader& r, SearchArgs& args, bool charset_required) {
  if (charset_required) {
    std::string cs;
    if (!r.astring(cs) || !r.sp()) {
      return false;
    }
    args.charset = ascii_upper(cs);
  } else if (r.eat_word("CHARSET")) {
    std::string cs;
    if (!r.sp() || !r.astring(cs) || !r.sp()) {
      return false;
    }
    args.charset = ascii_upper(cs);
  }
  return keys_to_end(r, args.key);
}

bool parse_search(Reader& r, Command& cmd) {
  SearchArgs a;
  if (!r.sp()) {
    return false;
  }
  if (r.eat_word("RETURN")) {
    if (!r.sp() || !parse_search_return(r, a.ret) || !r.sp()) {
      return false;
    }
  }
  if (!parse_search_program(r, a, false)) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_sort(Reader& r, Command& cmd) {
  SortArgs a;
  if (!r.sp()) {
    return false;
  }
  if (r.eat_word("RETURN")) {
    if (!r.sp() || !parse_search_return(r, a.ret) || !r.sp()) {
      return false;
    }
  }
  if (!r.expect('(')) {
    return false;
  }
  for (;;) {
    SortCriterion c;
    std::string name;
    if (!r.atom_upper(name) || !r.count_item()) {
      return false;
    }
    if (name == "REVERSE") {
      c.reverse = true;
      if (!r.sp() || !r.atom_upper(name)) {
        return false;
      }
    }
    using K = SortCriterion::Key;
    static constexpr std::pair<const char*, K> kSortKeys[] = {{"ARRIVAL", K::kArrival},
                                                              {"CC", K::kCc},
                                                              {"DATE", K::kDate},
                                                              {"FROM", K::kFrom},
                                                              {"SIZE", K::kSize},
                                                              {"SUBJECT", K::kSubject},
                                                              {"TO", K::kTo},
                                                              {"DISPLAYFROM", K::kDisplayFrom},
                                                              {"DISPLAYTO", K::kDisplayTo}};
    bool found = false;
    for (const auto& [n, key] : kSortKeys) {
      if (name == n) {
        c.key = key;
        found = true;
      }
    }
    if (!found) {
      return r.fail("unknown sort key " + printable(name));
    }
    a.criteria.push_back(c);
    if (r.eat(')')) {
      break;
    }
    if (!r.sp()) {
      return false;
    }
  }
  SearchArgs s;
  if (!r.sp() || !parse_search_program(r, s, true)) {
    return false;
  }
  a.charset = *s.charset;
  a.key = std::move(s.key);
  cmd.args = std::move(a);
  return true;
}

bool parse_thread(Reader& r, Command& cmd) {
  ThreadArgs a;
  SearchArgs s;
  if (!r.sp() || !r.atom_upper(a.algorithm) || !r.sp() || !parse_search_program(r, s, true)) {
    return false;
  }
  a.charset = *s.charset;
  a.key = std::move(s.key);
  cmd.args = std::move(a);
  return true;
}

bool parse_cancelupdate(Reader& r, Command& cmd) {
  CancelUpdateArgs a;
  do {
    std::string tag;
    if (!r.sp() || !r.string(tag) || !r.count_item()) {
      return false;
    }
    a.tags.push_back(std::move(tag));
  } while (!r.at_end() && !r.rest_blank());
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_esearch(Reader& r, Command& cmd) {
  EsearchArgs a;
  if (!r.sp()) {
    return false;
  }
  if (r.eat_word("IN")) {
    if (!r.sp() || !r.expect('(')) {
      return false;
    }
    for (;;) {
      EsearchArgs::Source src;
      if (!r.atom_upper(src.filter) || !r.count_item()) {
        return false;
      }
      if (src.filter == "SUBTREE" || src.filter == "SUBTREE-ONE" || src.filter == "MAILBOXES") {
        if (!r.sp()) {
          return false;
        }
        if (!r.one_or_list(src.mailboxes, &Reader::mailbox)) {
          return false;
        }
      } else if (src.filter != "SELECTED" && src.filter != "SELECTED-DELAYED" &&
                 src.filter != "INBOXES" && src.filter != "PERSONAL" &&
                 src.filter != "SUBSCRIBED") {
        return r.fail("unknown ESEARCH source " + printable(src.filter));
      }
      a.sources.push_back(std::move(src));
      if (r.eat(')')) {
        break;
      }
      if (!r.sp()) {
        return false;
      }
    }
    if (!r.sp()) {
      return false;
    }
  }
  if (r.eat_word("RETURN")) {
    if (!r.sp() || !parse_search_return(r, a.search.ret) || !r.sp()) {
      return false;
    }
  }
  if (!parse_search_program(r, a.search, false)) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace tegami::imap::proto::detail
