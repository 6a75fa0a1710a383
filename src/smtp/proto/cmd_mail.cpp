// MAIL FROM: RFC 5321 §4.1.1.2 (Reverse-path, "<>" allowed) and §4.1.2 (Mail-parameters), with
// SIZE (RFC 1870 §3), BODY (RFC 6152 §2, RFC 3030 §3), SMTPUTF8 (RFC 6531 §3.4), RET and
// ENVID (RFC 3461 §4.3-4.4), REQUIRETLS (RFC 8689 §4.1), AUTH= (RFC 4954 §5).
#include "base/strings.hpp"
#include "smtp/proto/limits.hpp"
#include "smtp/proto/parsers.hpp"

namespace tegami::smtp::proto::detail {

ParseResult parse_mail(std::string_view args) {
  auto rest = after_prefix(args, "FROM:");
  if (!rest) return syntax(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
  Command c = make_command(Verb::kMail);
  size_t used = 0;
  PathError pe = parse_path(*rest, /*allow_null=*/true, /*allow_utf8=*/true, c.path, used);
  if (pe != PathError::kNone) {
    return syntax(501, "5.1.7", std::string("Bad sender address syntax: ") + path_error_text(pe));
  }
  std::string_view params = rest->substr(used);
  if (!params.empty() && params.front() != ' ')
    return syntax(501, "5.1.7", "Bad sender address syntax: text after the closing >");
  std::vector<Param> ps;
  std::string_view bad;
  if (!split_params(params, ps, bad))
    return syntax(501, "5.5.4", "Malformed MAIL parameter: " + sanitize_echo(bad, 64));
  bool seen_size = false, seen_body = false, seen_ret = false, seen_envid = false,
       seen_auth = false;
  auto dup = [](std::string_view k) {
    return syntax(501, "5.5.4", "Duplicate MAIL parameter: " + sanitize_echo(k, 32));
  };
  for (const auto& p : ps) {
    std::string key = ascii_upper(p.key);
    if (key == "SIZE") {
      if (seen_size) return dup(key);
      seen_size = true;
      auto n = p.has_value ? parse_u64(p.value) : std::nullopt;
      if (!n) return syntax(501, "5.5.4", "SIZE= needs a number of bytes");
      c.mail.size = *n;
    } else if (key == "BODY") {
      if (seen_body) return dup(key);
      seen_body = true;
      if (iequals(p.value, "7BIT")) {
        c.mail.body = Body::k7Bit;
      } else if (iequals(p.value, "8BITMIME")) {
        c.mail.body = Body::k8BitMime;
      } else if (iequals(p.value, "BINARYMIME")) {
        c.mail.body = Body::kBinaryMime;
      } else {
        return syntax(501, "5.5.4", "BODY= must be 7BIT, 8BITMIME or BINARYMIME");
      }
    } else if (key == "SMTPUTF8") {
      if (c.mail.smtputf8) return dup(key);
      if (p.has_value) return syntax(501, "5.5.4", "SMTPUTF8 takes no value");
      c.mail.smtputf8 = true;
    } else if (key == "RET") {
      if (seen_ret) return dup(key);
      seen_ret = true;
      if (iequals(p.value, "FULL") || iequals(p.value, "HDRS")) {
        c.mail.ret = ascii_upper(p.value);
      } else {
        return syntax(501, "5.5.4", "RET= must be FULL or HDRS");
      }
    } else if (key == "ENVID") {
      if (seen_envid) return dup(key);
      seen_envid = true;
      auto v = p.has_value ? xtext_decode(p.value) : std::nullopt;
      if (!v || v->empty() || p.value.size() > kMaxEnvid)
        return syntax(501, "5.5.4", "ENVID= must be xtext of at most 100 characters");
      c.mail.envid = std::move(*v);
    } else if (key == "REQUIRETLS") {
      if (c.mail.requiretls) return dup(key);
      if (p.has_value) return syntax(501, "5.5.4", "REQUIRETLS takes no value");
      c.mail.requiretls = true;
    } else if (key == "AUTH") {
      if (seen_auth) return dup(key);
      seen_auth = true;
      if (!p.has_value) return syntax(501, "5.5.4", "AUTH= needs a value");
      c.mail.auth = std::string(p.value);
    } else {
      return syntax(555, "5.5.4", "MAIL parameter not recognized: " + sanitize_echo(key, 32));
    }
  }
  if (c.path.mailbox.utf8 && !c.mail.smtputf8)
    return syntax(553, "5.6.7", "Non-ASCII sender address needs the SMTPUTF8 parameter");
  return c;
}

}  // namespace tegami::smtp::proto::detail
