// Session-level commands: AUTHENTICATE (RFC 9051 §6.2.2, RFC 4959 SASL-IR), LOGIN (§6.2.3),
// ENABLE (RFC 5161 §3, RFC 9051 §6.3.1), ID (RFC 2971 §3.1), COMPRESS (RFC 4978 §3),
// GETQUOTA / GETQUOTAROOT / SETQUOTA (RFC 9208 §4.2-§4.3).
#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"

namespace tegami::imap::proto::detail {

bool parse_authenticate(Reader& r, Command& cmd) {
  AuthenticateArgs a;
  if (!r.sp() || !r.atom_upper(a.mechanism)) {
    return false;
  }
  if (r.eat(' ')) {
    // initial-response = base64 / "=" (RFC 4959 §7); base64 chars are atom chars plus "+/=".
    std::string ir;
    if (!r.raw_until_delim(ir)) {
      return false;
    }
    for (char c : ir) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '+' || c == '/' || c == '=';
      if (!ok) {
        return r.fail("invalid base64 in the initial response");
      }
    }
    a.initial_response = std::move(ir);
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_login(Reader& r, Command& cmd) {
  LoginArgs a;
  if (!r.sp() || !r.astring(a.user) || !r.sp() || !r.astring(a.password) || !r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_enable(Reader& r, Command& cmd) {
  EnableArgs a;
  if (!r.sp()) {
    return false;
  }
  for (;;) {
    std::string cap;
    if (!r.atom_upper(cap) || !r.count_item()) {
      return false;
    }
    a.capabilities.push_back(std::move(cap));
    if (!r.eat(' ') || r.rest_blank()) {
      break;  // a trailing space is tolerated
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_id(Reader& r, Command& cmd) {
  IdArgs a;
  if (!r.sp()) {
    return false;
  }
  if (r.eat_word("NIL")) {
    a.nil = true;
  } else {
    if (!r.expect('(')) {
      return false;
    }
    if (!r.eat(')')) {
      for (;;) {
        std::string key;
        std::optional<std::string> val;
        if (!r.string(key) || !r.sp() || !r.nstring(val) || !r.count_item()) {
          return false;
        }
        a.fields.emplace_back(std::move(key), std::move(val));
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

bool parse_compress(Reader& r, Command& cmd) {
  CompressArgs a;
  if (!r.sp() || !r.atom_upper(a.mechanism) || !r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_getquota(Reader& r, Command& cmd) {
  QuotaRootArgs a;
  if (!r.sp() || !r.astring(a.root) || !r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

bool parse_setquota(Reader& r, Command& cmd) {
  SetQuotaArgs a;
  if (!r.sp() || !r.astring(a.root) || !r.sp() || !r.expect('(')) {
    return false;
  }
  if (!r.eat(')')) {
    for (;;) {
      std::string res;
      uint64_t limit = 0;
      if (!r.atom_upper(res) || !r.sp() || !r.number64(limit) || !r.count_item()) {
        return false;
      }
      a.limits.emplace_back(std::move(res), limit);
      if (r.eat(')')) {
        break;
      }
      if (!r.sp()) {
        return false;
      }
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace tegami::imap::proto::detail
