// Authentication-Results header field (RFC 8601 §2.2 syntax, §2.3 property values, §2.7 result
// names, §5 removal of forged fields is the caller's job). Values are sanitised: CR, LF and
// other control characters never reach the header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailauth/dmarc/dmarc.hpp"
#include "mailauth/spf/spf.hpp"

namespace tegami::dmarc {

class AuthResultsBuilder {
 public:
  explicit AuthResultsBuilder(std::string_view authserv_id);

  // spf=<result> smtp.mailfrom=<mail_from>, or smtp.helo=<helo> when mail_from is empty.
  AuthResultsBuilder& spf(spf::Verdict result, std::string_view mail_from, std::string_view helo);
  // dkim=<result> header.d=<d> header.s=<s> [header.b=<b>]; call once per signature, or with
  // none when the message has no signature.
  AuthResultsBuilder& dkim(const DkimSignatureResult& sig);
  AuthResultsBuilder& dkim_none();
  // A method clause formatted elsewhere (e.g. mailauth/dkim's auth_results_clause), added as is
  // apart from control characters, which are dropped. Empty clauses are ignored.
  AuthResultsBuilder& clause(std::string_view text);
  // dmarc=<result> (p=<policy> dis=<disposition>) header.from=<from_domain>
  AuthResultsBuilder& dmarc(const Evaluation& ev, std::string_view from_domain);

  // "authserv-id; spf=pass smtp.mailfrom=a@example.com; dkim=pass header.d=... ; dmarc=..."
  // or "authserv-id; none" when nothing was added.
  std::string value() const;
  // The whole field with CRLF: "Authentication-Results: " + value, folded before each
  // result when `fold` is true (one result per line), unfolded otherwise.
  std::string header(bool fold = true) const;

 private:
  std::string id_;
  std::vector<std::string> results_;
};

// A pvalue for RFC 8601: the text as is when it is a token, or a dot-atom local part (or none)
// "@" a domain name (letters, digits, hyphens; no empty label); otherwise a quoted-string.
// Control characters are dropped.
std::string ar_value(std::string_view s);

}  // namespace tegami::dmarc
