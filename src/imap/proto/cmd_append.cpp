// APPEND (RFC 9051 §6.3.12), MULTIAPPEND (RFC 3502 §6), literal8 message data (RFC 3516 §4.4),
// UTF8 append data (RFC 6855 §4).
#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"

namespace tegami::imap::proto::detail {

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
    bool utf8 = false;
    if (r.eat_word("UTF8")) {
      utf8 = true;  // RFC 6855 §4: UTF8 (literal8)
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
    m.utf8 = utf8;
    a.messages.push_back(std::move(m));
  } while (!r.rest_blank());
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace tegami::imap::proto::detail
