// Mailbox commands: SELECT/EXAMINE (RFC 9051 §6.3.2-§6.3.3, RFC 7162 §3.1.8 CONDSTORE and §3.2.5
// QRESYNC parameters), CREATE (§6.3.4, RFC 6154 §3 USE), DELETE (§6.3.5), RENAME (§6.3.6),
// SUBSCRIBE/UNSUBSCRIBE (§6.3.7-§6.3.8), GETQUOTAROOT (RFC 9208 §4.3) mailbox argument.
#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"

namespace tegami::imap::proto::detail {

namespace {

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

}  // namespace tegami::imap::proto::detail
