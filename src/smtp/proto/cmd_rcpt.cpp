// RCPT TO: RFC 5321 §4.1.1.3 (Forward-path, "<Postmaster>" without a domain), §4.1.2
// (Rcpt-parameters), DSN NOTIFY and ORCPT (RFC 3461 §4.1-4.2), SMTPUTF8 (RFC 6531 §3.4).
#include "base/strings.hpp"
#include "smtp/proto/limits.hpp"
#include "smtp/proto/parsers.hpp"

namespace tegami::smtp::proto::detail {

ParseResult parse_rcpt(std::string_view args, const ParseOptions& opt) {
  auto rest = after_prefix(args, "TO:");
  if (!rest) return syntax(501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]");
  Command c = make_command(Verb::kRcpt);
  size_t used = 0;
  if (istarts_with(*rest, "<postmaster>")) {
    // RFC 5321 §4.1.1.3: "<Postmaster>" names the postmaster of this server.
    c.path.mailbox.local = "postmaster";
    used = 12;
  } else {
    PathError pe = parse_path(*rest, /*allow_null=*/false, /*allow_utf8=*/true, c.path, used);
    if (pe != PathError::kNone) {
      return syntax(501, "5.1.3",
                    std::string("Bad recipient address syntax: ") + path_error_text(pe));
    }
  }
  std::string_view params = rest->substr(used);
  if (!params.empty() && params.front() != ' ')
    return syntax(501, "5.1.3", "Bad recipient address syntax: text after the closing >");
  std::vector<Param> ps;
  std::string_view bad;
  if (!split_params(params, ps, bad))
    return syntax(501, "5.5.4", "Malformed RCPT parameter: " + sanitize_echo(bad, 64));
  bool seen_orcpt = false;
  for (const auto& p : ps) {
    std::string key = ascii_upper(p.key);
    if (key == "NOTIFY") {
      if (c.rcpt.notify != 0) return syntax(501, "5.5.4", "Duplicate RCPT parameter: NOTIFY");
      if (!p.has_value) return syntax(501, "5.5.4", "NOTIFY= needs a value");
      for (auto item : split(p.value, ',')) {
        uint8_t bit = 0;
        if (iequals(item, "NEVER"))
          bit = RcptParams::kNever;
        else if (iequals(item, "SUCCESS"))
          bit = RcptParams::kSuccess;
        else if (iequals(item, "FAILURE"))
          bit = RcptParams::kFailure;
        else if (iequals(item, "DELAY"))
          bit = RcptParams::kDelay;
        else
          return syntax(501, "5.5.4", "NOTIFY= takes NEVER or SUCCESS,FAILURE,DELAY");
        c.rcpt.notify |= bit;
      }
      if ((c.rcpt.notify & RcptParams::kNever) && c.rcpt.notify != RcptParams::kNever)
        return syntax(501, "5.5.4", "NOTIFY=NEVER cannot be combined with other values");
    } else if (key == "ORCPT") {
      if (seen_orcpt) return syntax(501, "5.5.4", "Duplicate RCPT parameter: ORCPT");
      seen_orcpt = true;
      size_t semi = p.value.find(';');
      if (!p.has_value || semi == std::string_view::npos || semi == 0 || p.value.size() > kMaxOrcpt)
        return syntax(501, "5.5.4", "ORCPT= must be addr-type;address");
      auto addr = xtext_decode(p.value.substr(semi + 1));
      if (!addr || addr->empty()) return syntax(501, "5.5.4", "ORCPT= address is not valid xtext");
      c.rcpt.orcpt_type = ascii_lower(p.value.substr(0, semi));
      c.rcpt.orcpt = std::move(*addr);
    } else {
      return syntax(555, "5.5.4", "RCPT parameter not recognized: " + sanitize_echo(key, 32));
    }
  }
  if (c.path.mailbox.utf8 && !opt.rcpt_utf8)
    return syntax(553, "5.6.7", "Non-ASCII recipient address needs SMTPUTF8 on MAIL FROM");
  return c;
}

}  // namespace tegami::smtp::proto::detail
