// SPF evaluation: check_host() (RFC 7208 §4 the function, §4.6.4 DNS lookup limits, §5
// mechanisms, §6.1 redirect, §2.6 results). Blocking (DNS through dns::Resolver): run on the
// worker pool.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "dns/resolver.hpp"
#include "mailauth/spf/record.hpp"

namespace tegami::spf {

enum class Verdict { kNone, kNeutral, kPass, kFail, kSoftFail, kTempError, kPermError };
const char* verdict_name(Verdict v);  // "none", "neutral", "pass", ... as in RFC 8601

// §4.6.4 limits; the defaults are the RFC's.
struct Limits {
  int dns_lookups = 10;   // include, a, mx, ptr, exists, redirect
  int void_lookups = 2;   // lookups answering NXDOMAIN or no records
  int mx_addresses = 10;  // MX names per "mx" mechanism (more -> permerror)
  int ptr_names = 10;     // PTR names looked at per "ptr" (more are ignored)
  int max_depth = 20;     // include/redirect nesting (the lookup limit stops loops first)
  // Overall time budget (§4.6.4 allows one of at least 20 s): checked before each DNS query;
  // when spent, the result is temperror.
  std::chrono::milliseconds time_limit{20000};
};

struct Outcome {
  Verdict verdict = Verdict::kNone;
  std::string domain;     // the domain whose policy was checked (MAIL FROM or HELO domain)
  std::string mechanism;  // the term that matched (e.g. "-all", "include:x"), or "default"
  std::string reason;     // one sentence for logs and Authentication-Results comments
  int dns_lookups = 0;
  int void_lookups = 0;
};

// check_host(<ip>, <domain>, <sender>) of §4. `ip` is IPv4 or IPv6 text (IPv4-mapped IPv6 counts
// as IPv4); `sender` is "local@domain" (an empty local part becomes "postmaster"); `helo` feeds
// %{h}. A malformed `ip` is permerror.
Outcome check_host(dns::Resolver& resolver, std::string_view ip, std::string_view domain,
                   std::string_view sender, std::string_view helo, const Limits& limits = {});

// The MAIL FROM identity (§2.4): domain of `mail_from`, or for the null reverse-path ("")
// postmaster@<helo> (§2.4).
Outcome check_mail_from(dns::Resolver& resolver, std::string_view ip, std::string_view helo,
                        std::string_view mail_from, const Limits& limits = {});

// The HELO identity (§2.3): check_host(ip, helo, "postmaster@" + helo).
Outcome check_helo(dns::Resolver& resolver, std::string_view ip, std::string_view helo,
                   const Limits& limits = {});

}  // namespace tegami::spf
