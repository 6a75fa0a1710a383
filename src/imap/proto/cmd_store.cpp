// STORE (RFC 9051 §6.4.6, RFC 7162 §3.1.3 UNCHANGEDSINCE), COPY (§6.4.7), MOVE (RFC 6851 §3,
// RFC 9051 §6.4.8), EXPUNGE / UID EXPUNGE (§6.4.3, RFC 4315 §2.1).
#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"

namespace tegami::imap::proto::detail {

bool parse_store(Reader& r, Command& cmd) {
  StoreArgs a;
  if (!r.sp() || !r.sequence_set(a.set) || !r.sp()) {
    return false;
  }
  if (r.eat('(')) {  // store-modifiers
    for (;;) {
      std::string mod;
      if (!r.atom_upper(mod) || !r.count_item()) {
        return false;
      }
      if (mod != "UNCHANGEDSINCE") {
        return r.fail("unknown STORE modifier " + printable(mod));
      }
      uint64_t v = 0;
      if (!r.sp() || !r.number64(v)) {
        return false;
      }
      a.unchanged_since = v;
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
  std::string item;
  if (!r.raw_until_delim(item)) {
    return false;
  }
  std::string_view it = item;
  std::string up = ascii_upper(item);
  std::string_view u = up;
  if (!u.empty() && (u[0] == '+' || u[0] == '-')) {
    a.op = u[0] == '+' ? StoreArgs::Op::kAdd : StoreArgs::Op::kRemove;
    u.remove_prefix(1);
  }
  if (u == "FLAGS.SILENT") {
    a.silent = true;
  } else if (u != "FLAGS") {
    return r.fail("invalid STORE data item '" + printable(it) + "'");
  }
  if (!r.sp()) {
    return false;
  }
  if (r.peek() == '(') {
    if (!r.flag_list(a.flags)) {
      return false;
    }
  } else {
    for (;;) {
      std::string f;
      if (!r.flag(f) || !r.count_item()) {
        return false;
      }
      if (f == "\\*") {
        return r.fail("\\* is not a valid flag here");
      }
      a.flags.push_back(std::move(f));
      if (!r.eat(' ') || r.rest_blank()) {
        break;
      }
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_copy(Reader& r, Command& cmd) {
  CopyArgs a;
  if (!r.sp() || !r.sequence_set(a.set) || !r.sp() || !r.mailbox(a.mailbox) || !r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_expunge(Reader& r, Command& cmd) {
  ExpungeArgs a;
  if (cmd.uid) {
    SequenceSet s;
    if (!r.sp() || !r.sequence_set(s)) {
      return false;
    }
    a.set = std::move(s);
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace tegami::imap::proto::detail
