// DMARC evaluation (RFC 7489 §3.1 identifier alignment, §3.2 organizational domain, §6.6.2
// determining the result, §6.6.3 policy discovery, §6.6.4 message sampling with pct).
// Blocking (DNS through dns::Resolver): run on the worker pool.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"
#include "mailauth/dmarc/record.hpp"
#include "mailauth/spf/spf.hpp"

namespace tegami::dmarc {

// One DKIM signature's verification result, as the DKIM verifier reports it. Defined here so
// DMARC does not depend on the verifier's types.
enum class DkimResult { kNone, kPass, kFail, kNeutral, kPolicy, kTempError, kPermError };
const char* dkim_result_name(DkimResult r);  // RFC 8601 §2.7.1 names

struct DkimSignatureResult {
  std::string domain;    // d=
  std::string selector;  // s=
  DkimResult result = DkimResult::kNone;
  std::string b;  // optional: the first characters of b= (for header.b in Authentication-Results)
};

struct Input {
  std::string from_domain;  // one RFC5322.From domain (see evaluate_authors for several)
  spf::Verdict spf = spf::Verdict::kNone;
  std::string spf_domain;  // the domain SPF checked (MAIL FROM domain, or HELO for "<>")
  std::vector<DkimSignatureResult> dkim;
};

enum class Verdict { kNone, kPass, kFail, kTempError, kPermError };
const char* verdict_name(Verdict v);  // "none", "pass", "fail", "temperror", "permerror"

struct Evaluation {
  Verdict verdict = Verdict::kNone;
  bool spf_aligned = false;         // SPF passed for an aligned domain
  bool dkim_aligned = false;        // a DKIM signature passed for an aligned d=
  std::string aligned_dkim_domain;  // the d= that gave dkim_aligned
  std::optional<Record> record;
  std::string policy_domain;      // where the record was found (from domain or org domain)
  bool subdomain_policy = false;  // the record came from the org domain and sp (or p) applied
  Policy policy = Policy::kNone;  // the published policy that applies (p or sp)
  // What to do with the message: kNone when the verdict is not fail; otherwise `policy`,
  // lowered one step when pct sampling left the message out (§6.6.4).
  Policy disposition = Policy::kNone;
  bool sampled_out = false;
  std::string reason;  // one sentence for logs
};

// The organizational domain (§3.2) from the public suffix list (libpsl): the registrable domain,
// or `domain` itself when it is a public suffix or unknown. Lower case.
std::string organizational_domain(std::string_view domain);

// True when `a` and `b` are aligned in `mode` (§3.1.1, §3.1.2): strict = equal, relaxed = same
// organizational domain. Case-insensitive, trailing dots ignored.
bool aligned(std::string_view a, std::string_view b, Alignment mode);

// Returns an integer in [0, 100) for pct sampling.
using PctRandom = std::function<int()>;
int default_pct_random();

Evaluation evaluate(dns::Resolver& resolver, const Input& in,
                    const PctRandom& random = default_pct_random);

// §6.6.1: a From field with several addresses can name several author domains; each one is
// evaluated and the strictest result applies. Strictness, most strict first: fail with
// disposition reject, quarantine, none; temperror; permerror; none; pass. A fail is a definite
// "not this author" and its disposition is what the message gets; temperror and permerror say
// an author could not be judged; a pass speaks only for its own domain, so the message counts as
// a pass only when every author domain passed. Returns a larger number for a stricter result.
int strictness(const Evaluation& ev);

// More distinct author domains than this are not looked up (each costs up to two DNS queries,
// and the From field is the sender's to fill): the result is permerror with too_many_authors.
inline constexpr size_t kMaxAuthorDomains = 10;

struct AuthorsEvaluation {
  std::string from_domain;  // the author domain whose evaluation decided ("" when none)
  Evaluation evaluation;
  bool too_many_authors = false;
};

// evaluate() for each distinct domain of `from_domains` (in.from_domain is ignored); the
// strictest result, the first one among equals. No domain (no From field or no address in it)
// is evaluated as an empty From domain: permerror.
AuthorsEvaluation evaluate_authors(dns::Resolver& resolver, const Input& in,
                                   const std::vector<std::string>& from_domains,
                                   const PctRandom& random = default_pct_random);

}  // namespace tegami::dmarc
