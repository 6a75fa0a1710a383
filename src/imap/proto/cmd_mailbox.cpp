// Mailbox commands: SELECT/EXAMINE (RFC 9051 §6.3.2-§6.3.3, RFC 7162 §3.1.8 CONDSTORE and §3.2.5
// QRESYNC parameters), CREATE (§6.3.4, RFC 6154 §3 USE), DELETE (§6.3.5), RENAME (§6.3.6),
// SUBSCRIBE/UNSUBSCRIBE (§6.3.7-§6.3.8), LIST (§6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819
// LIST-STATUS, RFC 6154 §5), LSUB (RFC 3501 §6.3.9), STATUS (§6.3.11, RFC 7162, RFC 8438,
// RFC 7889 APPENDLIMIT, RFC 8474 MAILBOXID), APPEND (§6.3.12, RFC 3502 MULTIAPPEND, RFC 3516
// literal8, RFC 6855 §4 UTF8 append data).
#include <cctype>

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

// "(" name [SP value] *(SP name [SP value]) ")": a value follows a name when it starts with
// "(", a digit, a quote or a literal (RFC 4466 §2.1 tagged-ext-val).
bool params(Reader& r, std::vector<Parameter>& out) {
  if (!r.enter(1) || !r.expect('(')) {
    return false;
  }
  if (r.eat(')')) {
    return true;
  }
  for (;;) {
    int c = r.peek();
    if (!out.empty() && !out.back().value &&
        (c == '(' || c == '"' || c == Reader::kLiteral || (c >= '0' && c <= '9'))) {
      Value v;
      if (!r.value(v, 1)) {
        return false;
      }
      out.back().value = std::move(v);
    } else {
      Parameter p;
      if (!r.atom_upper(p.name) || !r.count_item()) {
        return false;
      }
      out.push_back(std::move(p));
    }
    if (r.eat(')')) {
      return true;
    }
    if (!r.sp()) {
      return false;
    }
  }
}

bool qresync(Reader& r, const Value& v, QresyncParams& q) {
  const size_t max = r.limits().max_items;
  if (v.type != Value::Type::kList || v.items.size() < 2 || v.items.size() > 4) {
    return r.fail("invalid QRESYNC parameters");
  }
  auto num = [](const Value& x, uint64_t& out, uint64_t maxv) {
    if (x.type != Value::Type::kAtom) {
      return false;
    }
    auto n = parse_u64(x.text);
    if (!n || *n == 0 || *n > maxv) {
      return false;
    }
    out = *n;
    return true;
  };
  uint64_t uv = 0;
  if (!num(v.items[0], uv, 0xffffffffULL)) {
    return r.fail("invalid QRESYNC uidvalidity");
  }
  q.uidvalidity = static_cast<uint32_t>(uv);
  if (!num(v.items[1], q.modseq, 0x7fffffffffffffffULL)) {
    return r.fail("invalid QRESYNC mod-sequence");
  }
  size_t i = 2;
  if (i < v.items.size() && v.items[i].type == Value::Type::kAtom) {
    auto s = parse_sequence_set_text(v.items[i].text, max);
    if (!s || s->saved) {
      return r.fail("invalid QRESYNC known-uids");
    }
    q.known_uids = std::move(*s);
    ++i;
  }
  if (i < v.items.size()) {
    const Value& m = v.items[i];
    if (m.type != Value::Type::kList || m.items.size() != 2 ||
        m.items[0].type != Value::Type::kAtom || m.items[1].type != Value::Type::kAtom) {
      return r.fail("invalid QRESYNC seq-match-data");
    }
    auto a = parse_sequence_set_text(m.items[0].text, max);
    auto b = parse_sequence_set_text(m.items[1].text, max);
    if (!a || !b || a->saved || b->saved) {
      return r.fail("invalid QRESYNC seq-match-data");
    }
    q.seq_match_seqs = std::move(*a);
    q.seq_match_uids = std::move(*b);
    ++i;
  }
  if (i != v.items.size()) {
    return r.fail("invalid QRESYNC parameters");
  }
  return true;
}

}  // namespace

bool parse_select(Reader& r, Command& cmd) {
  SelectArgs a;
  if (!r.sp() || !r.mailbox(a.mailbox)) {
    return false;
  }
  if (r.eat(' ') && !r.rest_blank()) {
    if (!params(r, a.params)) {
      return false;
    }
    for (const auto& p : a.params) {
      if (p.name == "CONDSTORE") {
        if (p.value) {
          return r.fail("CONDSTORE takes no value");
        }
        a.condstore = true;
      } else if (p.name == "QRESYNC") {
        if (!p.value) {
          return r.fail("QRESYNC needs parameters");
        }
        QresyncParams q;
        if (!qresync(r, *p.value, q)) {
          return false;
        }
        a.qresync = std::move(q);
      }
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_create(Reader& r, Command& cmd) {
  CreateArgs a;
  if (!r.sp() || !r.mailbox(a.mailbox)) {
    return false;
  }
  if (r.eat(' ') && !r.rest_blank()) {
    if (!params(r, a.params)) {
      return false;
    }
    for (const auto& p : a.params) {
      if (p.name != "USE") {
        continue;
      }
      if (!p.value || p.value->type != Value::Type::kList) {
        return r.fail("USE needs a list of special-use attributes");
      }
      for (const auto& u : p.value->items) {
        if (u.type != Value::Type::kAtom || u.text.size() < 2 || u.text[0] != '\\') {
          return r.fail("invalid special-use attribute");
        }
        a.special_use.push_back(u.text);
      }
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_mailbox_only(Reader& r, Command& cmd) {
  MailboxArgs a;
  if (!r.sp() || !r.mailbox(a.mailbox) || !r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_rename(Reader& r, Command& cmd) {
  RenameArgs a;
  if (!r.sp() || !r.mailbox(a.from) || !r.sp() || !r.mailbox(a.to) || !r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

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
  if (r.eat('(')) {  // several patterns
    a.extended = true;
    for (;;) {
      std::string pat;
      if (!r.list_mailbox(pat) || !r.count_item()) {
        return false;
      }
      a.patterns.push_back(std::move(pat));
      if (r.eat(')')) {
        break;
      }
      if (!r.sp()) {
        return false;
      }
    }
  } else {
    std::string pat;
    if (!r.list_mailbox(pat)) {
      return false;
    }
    a.patterns.push_back(std::move(pat));
  }
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

bool parse_append(Reader& r, Command& cmd) {
  AppendArgs a;
  if (!r.sp() || !r.mailbox(a.mailbox)) {
    return false;
  }
  do {
    AppendMessage m;
    if (!r.sp()) {
      return false;
    }
    if (r.peek() == '(') {
      if (!r.flag_list(m.flags) || !r.sp()) {
        return false;
      }
    }
    if (r.peek() == '"') {
      DateTime dt;
      if (!r.date_time(dt) || !r.sp()) {
        return false;
      }
      m.internal_date = dt;
    }
    LiteralData d;
    if (r.eat_word("UTF8")) {  // RFC 6855 §4: UTF8 (literal8)
      if (!r.sp() || !r.expect('(') || !r.literal_any(d) || !r.expect(')')) {
        return false;
      }
      if (!d.binary) {
        return r.fail("UTF8 append data must be a literal8 (~{n})");
      }
    } else if (r.eat_word("CATENATE")) {
      return r.fail("CATENATE is not supported");
    } else if (r.peek() == Reader::kLiteral) {
      if (!r.literal_any(d)) {
        return false;
      }
    } else {
      return r.fail(r.at_end() ? "missing message literal" : "expected a message literal");
    }
    m.data = std::move(d.data);
    m.binary = d.binary;
    a.messages.push_back(std::move(m));
  } while (!r.rest_blank());
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace detail
}  // namespace tegami::imap::proto
