// LIST (RFC 9051 §6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 §5), LSUB
// (RFC 3501 §6.3.9), STATUS (RFC 9051 §6.3.11, RFC 7162, RFC 7889 APPENDLIMIT, RFC 8474 MAILBOXID).
#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"

namespace tegami::imap::proto {

const char* status_item_name(StatusItem item) {
  switch (item) {
    case StatusItem::kMessages:
      return "MESSAGES";
    case StatusItem::kUidNext:
      return "UIDNEXT";
    case StatusItem::kUidValidity:
      return "UIDVALIDITY";
    case StatusItem::kUnseen:
      return "UNSEEN";
    case StatusItem::kDeleted:
      return "DELETED";
    case StatusItem::kSize:
      return "SIZE";
    case StatusItem::kRecent:
      return "RECENT";
    case StatusItem::kHighestModSeq:
      return "HIGHESTMODSEQ";
    case StatusItem::kAppendLimit:
      return "APPENDLIMIT";
    case StatusItem::kMailboxId:
      return "MAILBOXID";
  }
  return "?";
}

namespace detail {

namespace {

bool status_items(Reader& r, std::vector<StatusItem>& out) {
  static constexpr StatusItem kAll[] = {StatusItem::kMessages,    StatusItem::kUidNext,
                                        StatusItem::kUidValidity, StatusItem::kUnseen,
                                        StatusItem::kDeleted,     StatusItem::kSize,
                                        StatusItem::kRecent,      StatusItem::kHighestModSeq,
                                        StatusItem::kAppendLimit, StatusItem::kMailboxId};
  if (!r.expect('(')) {
    return false;
  }
  for (;;) {
    std::string name;
    if (!r.atom_upper(name) || !r.count_item()) {
      return false;
    }
    bool found = false;
    for (StatusItem it : kAll) {
      if (name == status_item_name(it)) {
        out.push_back(it);
        found = true;
      }
    }
    if (!found) {
      return r.fail("unknown status item " + printable(name));
    }
    if (r.eat(')')) {
      return true;
    }
    if (!r.sp()) {
      return false;
    }
  }
}

}  // namespace

bool parse_list(Reader& r, Command& cmd) {
  ListArgs a;
  if (!r.sp()) {
    return false;
  }
  if (r.eat('(')) {  // list-select-opts (RFC 5258 §3)
    a.extended = true;
    if (!r.eat(')')) {
      for (;;) {
        std::string opt;
        if (!r.atom_upper(opt) || !r.count_item()) {
          return false;
        }
        if (opt != "SUBSCRIBED" && opt != "REMOTE" && opt != "RECURSIVEMATCH" &&
            opt != "SPECIAL-USE") {
          return r.fail("unknown LIST selection option " + printable(opt));
        }
        a.selection.push_back(std::move(opt));
        if (r.eat(')')) {
          break;
        }
        if (!r.sp()) {
          return false;
        }
      }
    }
    if (!r.sp()) {
      return false;
    }
  }
  if (!r.astring(a.reference) || !r.sp()) {
    return false;
  }
  bool several = false;  // LIST-EXTENDED: "(" pattern *(SP pattern) ")"
  if (!r.one_or_list(a.patterns, &Reader::list_mailbox, &several)) {
    return false;
  }
  a.extended = a.extended || several;
  if (r.eat(' ') && !r.rest_blank()) {
    if (!r.eat_word("RETURN")) {
      return r.fail("expected RETURN");
    }
    a.extended = true;
    if (!r.sp() || !r.expect('(')) {
      return false;
    }
    if (!r.eat(')')) {
      for (;;) {
        std::string opt;
        if (!r.atom_upper(opt) || !r.count_item()) {
          return false;
        }
        if (opt == "SUBSCRIBED") {
          a.ret_subscribed = true;
        } else if (opt == "CHILDREN") {
          a.ret_children = true;
        } else if (opt == "SPECIAL-USE") {
          a.ret_special_use = true;
        } else if (opt == "STATUS") {
          a.ret_status = true;
          if (!r.sp() || !status_items(r, a.status_items)) {
            return false;
          }
        } else {
          return r.fail("unknown LIST return option " + printable(opt));
        }
        if (r.eat(')')) {
          break;
        }
        if (!r.sp()) {
          return false;
        }
      }
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_lsub(Reader& r, Command& cmd) {
  ListArgs a;
  std::string pat;
  if (!r.sp() || !r.astring(a.reference) || !r.sp() || !r.list_mailbox(pat) || !r.end()) {
    return false;
  }
  a.patterns.push_back(std::move(pat));
  cmd.args = std::move(a);
  return true;
}

bool parse_status(Reader& r, Command& cmd) {
  StatusArgs a;
  if (!r.sp() || !r.mailbox(a.mailbox) || !r.sp() || !status_items(r, a.items) || !r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace detail
}  // namespace tegami::imap::proto
