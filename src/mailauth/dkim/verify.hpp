// DKIM verification (RFC 6376 §6: verifier actions) of rsa-sha256 and ed25519-sha256
// (RFC 8463) signatures, with the key fetched from DNS (§3.6.2, q=dns/txt) through
// dns::Resolver. Results use the Authentication-Results names of RFC 8601 §2.7.1. Blocking (the
// resolver blocks): run it on the worker pool.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"
#include "mailauth/dkim/tags.hpp"

namespace tegami::mailauth::dkim {

enum class Verdict { kPass, kFail, kNeutral, kTempError, kPermError };
const char* verdict_name(Verdict v);  // "pass", "fail", "neutral", "temperror", "permerror"

enum class Reason {
  kNone,
  kBodyHashMismatch,   // fail
  kSignatureMismatch,  // fail
  kExpired,            // fail: x= is in the past
  kRevokedKey,         // fail: the key record has an empty p=
  kBodyTooShort,       // fail: l= is longer than the body
  kSyntax,             // permerror: malformed DKIM-Signature
  kUnsupported,        // permerror: algorithm, canonicalization or query method not supported
  kNoKey,              // permerror: no key record (NXDOMAIN, nodata)
  kBadKey,             // permerror: malformed or unusable key record, key type mismatch
  kHeaderTooLarge,     // permerror: header section over the limit
  kDnsTemporary,       // temperror
};
const char* reason_name(Reason r);  // short token, e.g. "body hash mismatch"

struct SignatureResult {
  Verdict verdict = Verdict::kPermError;
  Reason reason = Reason::kNone;
  std::string detail;      // one sentence for logs and Authentication-Results comments
  std::string domain;      // d= (lower case; empty when unparsable)
  std::string selector;    // s=
  std::string identity;    // i= (or "@" + d=)
  std::string algorithm;   // a= as understood, e.g. "ed25519-sha256"
  std::string header_b;    // first 8 characters of b= (RFC 6008 header.b)
  bool testing = false;    // the key record says t=y
  size_t field_index = 0;  // 0 = the topmost DKIM-Signature field
};

struct VerifyOptions {
  size_t max_signatures = 10;            // DKIM-Signature fields examined, from the top
  size_t max_header_bytes = 256 * 1024;  // larger header sections: permerror
  int64_t now = -1;                      // unix seconds for x=; < 0: the system clock
};

// Verifies every DKIM-Signature field (up to max_signatures; later ones are not reported).
// An empty vector means the message is unsigned ("none"). A failure under a key in testing mode
// (t=y) is reported as neutral. Key lookups are cached within one call.
std::vector<SignatureResult> verify(std::string_view message, dns::Resolver& resolver,
                                    const VerifyOptions& opts = {});

// One Authentication-Results method clause (RFC 8601 §2.7.1, header.b from RFC 6008), e.g.
//   dkim=pass header.d=example.com header.i=@example.com header.s=sel header.a=rsa-sha256
//   header.b="abc/+DEF"
// with reason="..." for results other than pass, values quoted where they are not tokens.
std::string auth_results_clause(const SignatureResult& r);

}  // namespace tegami::mailauth::dkim
