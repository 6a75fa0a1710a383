// DMARC evaluation; see dmarc.hpp for the RFC 7489 sections.
#include "mailauth/dmarc/dmarc.hpp"

#include <libpsl.h>

#include <algorithm>
#include <random>

#include "base/strings.hpp"

namespace tegami::dmarc {
namespace {

std::string clean(std::string_view d) {
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  return ascii_lower(d);
}

const psl_ctx_t* psl() {
  static const psl_ctx_t* ctx = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);  // newer of built-in and the system file
    return latest ? latest : psl_builtin();
  }();
  return ctx;
}

// kEmpty: no v=DMARC1 record (look at the organizational domain next); kUnusable: several
// records, or an invalid one (§6.6.3 steps 5 and 6: no DMARC processing at all).
enum class Fetch { kFound, kEmpty, kUnusable, kTemp };

// §6.6.3: the TXT records at _dmarc.<domain> that start with v=DMARC1; exactly one is usable.
Fetch fetch(dns::Resolver& r, const std::string& domain, Record& out, std::string& why) {
  auto txt = r.txt("_dmarc." + domain);
  if (!txt) {
    if (txt.code() == Errc::kNotFound || txt.code() == Errc::kInvalidData) return Fetch::kEmpty;
    why = "DNS error looking up _dmarc." + domain;
    return Fetch::kTemp;
  }
  const std::string* found = nullptr;
  int count = 0;
  for (const auto& t : txt->records) {
    if (!is_dmarc_record(t)) continue;
    ++count;
    found = &t;
  }
  if (count == 0) return Fetch::kEmpty;
  if (count > 1) {
    why = "_dmarc." + domain + " has more than one DMARC record";
    return Fetch::kUnusable;
  }
  auto rec = parse_record(*found);
  if (!rec) {
    why = rec.error().message + " (_dmarc." + domain + ")";
    return Fetch::kUnusable;
  }
  out = std::move(*rec);
  return Fetch::kFound;
}

Policy lower(Policy p) { return p == Policy::kReject ? Policy::kQuarantine : Policy::kNone; }

}  // namespace

const char* dkim_result_name(DkimResult r) {
  switch (r) {
    case DkimResult::kNone:
      return "none";
    case DkimResult::kPass:
      return "pass";
    case DkimResult::kFail:
      return "fail";
    case DkimResult::kNeutral:
      return "neutral";
    case DkimResult::kPolicy:
      return "policy";
    case DkimResult::kTempError:
      return "temperror";
    case DkimResult::kPermError:
      return "permerror";
  }
  return "none";
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kNone:
      return "none";
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kTempError:
      return "temperror";
    case Verdict::kPermError:
      return "permerror";
  }
  return "none";
}

std::string organizational_domain(std::string_view domain) {
  std::string d = clean(domain);
  if (d.empty()) return d;
  const char* reg = psl() ? psl_registrable_domain(psl(), d.c_str()) : nullptr;
  return reg ? std::string(reg) : d;
}

bool aligned(std::string_view a, std::string_view b, Alignment mode) {
  std::string x = clean(a), y = clean(b);
  if (x.empty() || y.empty()) return false;
  if (x == y) return true;
  if (mode == Alignment::kStrict) return false;
  return organizational_domain(x) == organizational_domain(y);
}

int default_pct_random() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return std::uniform_int_distribution<int>(0, 99)(gen);
}

Evaluation evaluate(dns::Resolver& resolver, const Input& in, const PctRandom& random) {
  Evaluation ev;
  auto from = dns::normalize_name(in.from_domain);
  if (!from || from->find('.') == std::string::npos) {
    ev.verdict = Verdict::kPermError;
    ev.reason = "the From header has no usable domain (\"" + in.from_domain + "\")";
    return ev;
  }
  // §6.6.3: the From domain, then the organizational domain.
  Record rec;
  std::string why;
  Fetch f = fetch(resolver, *from, rec, why);
  ev.policy_domain = *from;
  std::string org = organizational_domain(*from);
  if (f == Fetch::kEmpty && org != *from) {
    f = fetch(resolver, org, rec, why);
    ev.policy_domain = org;
    ev.subdomain_policy = true;
  }
  if (f == Fetch::kTemp) {
    ev.verdict = Verdict::kTempError;
    ev.reason = why;
    return ev;
  }
  if (f == Fetch::kEmpty || f == Fetch::kUnusable) {
    ev.verdict = Verdict::kNone;
    ev.subdomain_policy = false;
    ev.policy_domain.clear();
    ev.reason = why.empty() ? *from + " publishes no DMARC policy" : why;
    return ev;
  }
  ev.record = rec;
  ev.policy = ev.subdomain_policy && rec.sp ? *rec.sp : rec.p;

  const bool spf_aligns = aligned(in.spf_domain, *from, rec.aspf);
  ev.spf_aligned = in.spf == spf::Verdict::kPass && spf_aligns;
  bool temp = in.spf == spf::Verdict::kTempError && spf_aligns;
  for (const auto& sig : in.dkim) {
    if (!aligned(sig.domain, *from, rec.adkim)) continue;
    if (sig.result == DkimResult::kTempError) temp = true;
    if (sig.result != DkimResult::kPass) continue;
    ev.dkim_aligned = true;
    ev.aligned_dkim_domain = clean(sig.domain);
    break;
  }
  if (ev.spf_aligned || ev.dkim_aligned) {
    ev.verdict = Verdict::kPass;
    ev.reason = std::string("aligned ") + (ev.dkim_aligned ? "DKIM" : "SPF") + " pass for " + *from;
    return ev;
  }
  if (temp) {
    // The identifier that would align might have passed with working DNS: the result is not
    // known, so it is temperror (RFC 8601 §2.7.7) and the policy is not applied.
    ev.verdict = Verdict::kTempError;
    ev.reason = "no aligned SPF or DKIM pass for " + *from +
                ", and a DNS error where one could have come from";
    return ev;
  }
  ev.verdict = Verdict::kFail;
  ev.disposition = ev.policy;
  if (rec.pct < 100 && ev.policy != Policy::kNone) {
    int roll = random ? random() : 0;
    if (roll >= rec.pct) {
      ev.sampled_out = true;
      ev.disposition = lower(ev.policy);
    }
  }
  ev.reason = "no aligned SPF or DKIM pass for " + *from + "; policy " + policy_name(ev.policy) +
              " from _dmarc." + ev.policy_domain;
  return ev;
}

int strictness(const Evaluation& ev) {
  switch (ev.verdict) {
    case Verdict::kPass:
      return 0;
    case Verdict::kNone:
      return 1;
    case Verdict::kPermError:
      return 2;
    case Verdict::kTempError:
      return 3;
    case Verdict::kFail:
      return ev.disposition == Policy::kReject ? 6 : ev.disposition == Policy::kQuarantine ? 5 : 4;
  }
  return 0;
}

AuthorsEvaluation evaluate_authors(dns::Resolver& resolver, const Input& in,
                                   const std::vector<std::string>& from_domains,
                                   const PctRandom& random) {
  AuthorsEvaluation out;
  std::vector<std::string> domains;
  for (const auto& d : from_domains) {
    std::string c = clean(d);
    if (std::find(domains.begin(), domains.end(), c) != domains.end()) continue;
    if (domains.size() == kMaxAuthorDomains) {
      out.too_many_authors = true;
      out.evaluation.verdict = Verdict::kPermError;
      out.evaluation.reason =
          "the From field names more than " + std::to_string(kMaxAuthorDomains) + " author domains";
      return out;
    }
    domains.push_back(std::move(c));
  }
  if (domains.empty()) domains.emplace_back();
  Input one = in;
  bool first = true;
  for (const auto& d : domains) {
    one.from_domain = d;
    Evaluation ev = evaluate(resolver, one, random);
    if (first || strictness(ev) > strictness(out.evaluation)) {
      out.from_domain = d;
      out.evaluation = std::move(ev);
      first = false;
    }
  }
  return out;
}

}  // namespace tegami::dmarc
