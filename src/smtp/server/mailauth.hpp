// Authentication of incoming mail on the MX port: SPF (RFC 7208) for MAIL FROM, DKIM
// verification (RFC 6376), DMARC (RFC 7489) on the From domain, and the Authentication-Results
// header field (RFC 8601 §2; §5: fields carrying our authserv-id that arrive with the message are
// removed). Blocking (DNS): run on the worker pool.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace tegami::smtp::server {

struct AuthCheckInput {
  std::string ip;         // the client's address
  std::string helo;       // the EHLO/HELO name
  std::string mail_from;  // the reverse-path, "" for <>
  std::string authserv_id;
  // The From addresses (from_addresses()) when the caller has them already; nullptr: parsed
  // from the message here.
  const std::vector<std::string>* from = nullptr;
};

struct AuthCheckOutcome {
  std::string header;       // "Authentication-Results: ...\r\n"
  bool junk = false;        // DMARC disposition quarantine or reject, or too many author domains
  std::string spf;          // verdict names, for the log
  std::string dkim;         // e.g. "pass", "none", "fail,pass"
  std::string dmarc;        // verdict name
  std::string policy;       // disposition name ("none", "quarantine", "reject")
  std::string from_domain;  // the From domain whose DMARC result applies
};

// Runs SPF, DKIM and DMARC on `message` (the content as received, without our trace fields);
// DMARC for each domain of the From field, the strictest result applying
// (dmarc::evaluate_authors). DNS trouble never fails the call: it shows up as temperror results.
AuthCheckOutcome check_message(dns::Resolver& resolver, std::string_view message,
                               const AuthCheckInput& in);

// Header lines end at CRLF, LF or a bare CR in the functions below, so that no reading of a
// bare CR hides a field from them (mailauth.cpp, header_fields).

// `message` without the Authentication-Results fields of its header section whose authserv-id
// is `authserv_id` (case-insensitive). *removed (when given) counts them.
std::string strip_auth_results(std::string_view message, std::string_view authserv_id,
                               int* removed = nullptr);

// The addr-specs of the From field ("a@example.com"), in order; empty when the header section
// has no From field or several. *fields (when given) is the number of From fields.
std::vector<std::string> from_addresses(std::string_view message, int* fields = nullptr);

// The domain of the first RFC 5322 From address (lower case), or "" when the header section
// has no From field, several From fields, or no domain in it. For signing: DMARC looks at every
// address.
std::string from_domain(std::string_view message);
// The same for addresses from_addresses() returned (the first one's domain, "" for none).
std::string from_domain(const std::vector<std::string>& from);

}  // namespace tegami::smtp::server
