// check_host() of RFC 7208: §4.3 initial processing, §4.4 record lookup, §4.5 selection, §4.6
// evaluation and §4.6.4 lookup limits, §5.1-§5.7 mechanisms, §6.1 redirect, §7 macros.
#include "mailauth/spf/spf.hpp"

#include <algorithm>
#include <optional>

#include "base/strings.hpp"
#include "mailauth/spf/macro.hpp"

namespace tegami::spf {
namespace {

enum class Lookup { kOk, kVoid, kTemp, kInvalid };

struct Step {
  enum Kind { kMatch, kNoMatch, kStop } kind = kNoMatch;
  Verdict verdict = Verdict::kNone;  // for kStop
  std::string reason;                // for kStop
};

Step stop(Verdict v, std::string reason) { return Step{Step::kStop, v, std::move(reason)}; }
Step matched() { return Step{Step::kMatch, Verdict::kNone, {}}; }
Step no_match() { return Step{}; }

Verdict from_qualifier(Qualifier q) {
  switch (q) {
    case Qualifier::kPass:
      return Verdict::kPass;
    case Qualifier::kFail:
      return Verdict::kFail;
    case Qualifier::kSoftFail:
      return Verdict::kSoftFail;
    case Qualifier::kNeutral:
      return Verdict::kNeutral;
  }
  return Verdict::kNeutral;
}

bool in_domain(std::string_view name, std::string_view domain) {
  if (iequals(name, domain)) return true;
  return name.size() > domain.size() && name[name.size() - domain.size() - 1] == '.' &&
         iequals(name.substr(name.size() - domain.size()), domain);
}

struct Result3 {
  Verdict verdict;
  std::string mechanism;
  std::string reason;
};

class Evaluator {
 public:
  Evaluator(dns::Resolver& resolver, const Limits& limits, IpAddress ip, std::string sender,
            std::string local, std::string sender_domain, std::string helo)
      : resolver_(resolver), limits_(limits) {
    ctx_.ip = ip;
    ctx_.sender = std::move(sender);
    ctx_.local_part = std::move(local);
    ctx_.sender_domain = std::move(sender_domain);
    ctx_.helo = std::move(helo);
  }

  Result3 check(std::string_view raw_domain, int depth) {
    if (depth > limits_.max_depth)
      return {Verdict::kPermError, "", "include/redirect nesting is too deep"};
    if (out_of_time()) return {Verdict::kTempError, "", time_up().reason};
    auto domain = dns::normalize_name(raw_domain);
    if (!domain || domain->find('.') == std::string::npos ||
        domain->find('[') != std::string::npos || parse_ip(*domain))
      return {Verdict::kNone, "", "\"" + std::string(raw_domain) + "\" is not a domain name"};
    auto txt = resolver_.txt(*domain);
    if (!txt) {
      if (txt.code() == Errc::kNotFound || txt.code() == Errc::kInvalidData)
        return {Verdict::kNone, "", *domain + " has no SPF record"};
      return {Verdict::kTempError, "", "DNS error looking up the SPF record of " + *domain};
    }
    const std::string* spf = nullptr;
    for (const auto& t : txt->records) {
      if (!is_spf_record(t)) continue;
      if (spf) return {Verdict::kPermError, "", *domain + " publishes more than one SPF record"};
      spf = &t;
    }
    if (!spf) return {Verdict::kNone, "", *domain + " has no SPF record"};
    auto rec = parse_record(*spf);
    if (!rec) return {Verdict::kPermError, "", rec.error().message + " (" + *domain + ")"};

    MacroContext ctx = ctx_;
    ctx.domain = *domain;
    ctx.validated_name = [this, d = *domain] { return p_macro(d); };
    for (const auto& m : rec->mechanisms) {
      Step s = evaluate(m, ctx, depth);
      if (s.kind == Step::kStop) return {s.verdict, m.text, s.reason};
      if (s.kind == Step::kMatch) {
        Verdict v = from_qualifier(m.qualifier);
        return {
            v, m.text,
            ip_to_string(ctx_.ip) + " matched \"" + m.text + "\" in the SPF record of " + *domain};
      }
    }
    if (rec->redirect) {
      if (!count_lookup())
        return {Verdict::kPermError, "redirect", "more than 10 DNS lookups (RFC 7208 4.6.4)"};
      auto target = expand_domain(*rec->redirect, ctx);
      if (!target) {
        Step s = expansion_failed(target.error());
        return {s.verdict, "redirect", s.reason};
      }
      Result3 r = check(*target, depth + 1);
      if (r.verdict == Verdict::kNone)
        return {Verdict::kPermError, "redirect=" + *target,
                "redirect target " + *target + " has no SPF record"};
      return r;
    }
    return {Verdict::kNeutral, "default", "no mechanism matched in the SPF record of " + *domain};
  }

  int dns_lookups() const { return lookups_; }
  int void_lookups() const { return voids_; }

 private:
  bool count_lookup() { return ++lookups_ <= limits_.dns_lookups; }
  bool out_of_time() const {
    return std::chrono::steady_clock::now() - start_ > limits_.time_limit;
  }
  Step time_up() const {
    return stop(Verdict::kTempError, "SPF evaluation took longer than " +
                                         std::to_string(limits_.time_limit.count()) + " ms");
  }
  bool count_void() { return ++voids_ <= limits_.void_lookups; }

  Lookup addresses(const std::string& name, bool v6, std::vector<IpAddress>& out) {
    auto r = v6 ? resolver_.aaaa(name) : resolver_.a(name);
    if (!r) {
      if (r.code() == Errc::kNotFound) return Lookup::kVoid;
      if (r.code() == Errc::kInvalidData) return Lookup::kInvalid;
      return Lookup::kTemp;
    }
    for (const auto& text : r->records) {
      auto ip = parse_ip(text);
      if (ip) out.push_back(*ip);
    }
    return Lookup::kOk;
  }

  bool any_in(const std::vector<IpAddress>& addrs, const Mechanism& m) {
    int prefix = ctx_.ip.v6 ? m.cidr6 : m.cidr4;
    return std::any_of(addrs.begin(), addrs.end(),
                       [&](const IpAddress& a) { return ip_in_network(ctx_.ip, a, prefix); });
  }

  // §5.5: the first of the client's PTR names whose forward lookup holds the client address,
  // those inside `domain` first; "" when none does (DNS errors drop names silently, as the RFC
  // says). nullopt when the time budget ran out before a query. The PTR answer and each name's
  // validation are looked up once per check_host and shared by every "ptr" term and %{p}.
  std::optional<std::string> validated_name(std::string_view domain) {
    if (!ptr_looked_up_) {
      if (out_of_time()) return std::nullopt;
      ptr_looked_up_ = true;
      auto ptr = resolver_.ptr(ip_to_string(ctx_.ip));
      if (ptr) {
        for (const auto& n : ptr->records) {
          if (ptr_names_.size() >= static_cast<size_t>(limits_.ptr_names)) break;
          ptr_names_.push_back({n, std::nullopt});
        }
      }
    }
    for (bool inside : {true, false}) {
      for (auto& p : ptr_names_) {
        if (in_domain(p.name, domain) != inside) continue;
        if (!p.valid) {
          if (out_of_time()) return std::nullopt;
          p.valid = holds_client(p.name);
        }
        if (*p.valid) return p.name;
      }
    }
    return std::string();
  }

  bool holds_client(const std::string& name) {
    std::vector<IpAddress> addrs;
    if (addresses(name, ctx_.ip.v6, addrs) != Lookup::kOk) return false;
    return std::any_of(addrs.begin(), addrs.end(), [&](const IpAddress& a) {
      return ip_in_network(ctx_.ip, a, ctx_.ip.v6 ? 128 : 32);
    });
  }

  // %{p} (§7.3): its PTR query counts toward the lookup limit (§4.6.4), once per check_host
  // since the answer is reused. Errors end the expansion: kLimit, or kTemporary when the time
  // budget is spent.
  Result<std::string> p_macro(const std::string& domain) {
    if (!p_counted_) {
      p_counted_ = true;
      if (!count_lookup()) return make_error(Errc::kLimit, lookup_limit().reason);
    }
    auto name = validated_name(domain);
    if (!name) return make_error(Errc::kTemporary, time_up().reason);
    return name->empty() ? std::string("unknown") : std::move(*name);
  }

  // A domain-spec that could not be expanded: temperror when %{p} ran out of time, otherwise
  // permerror (syntax, lookup limit).
  static Step expansion_failed(const Error& e) {
    return stop(e.code == Errc::kTemporary ? Verdict::kTempError : Verdict::kPermError, e.message);
  }

  Step lookup_limit() {
    return stop(Verdict::kPermError, "more than 10 DNS lookups (RFC 7208 4.6.4)");
  }
  Step void_limit() {
    return stop(Verdict::kPermError, "more than 2 lookups found nothing (RFC 7208 4.6.4)");
  }

  // Expands the mechanism's domain-spec, or the current domain.
  Result<std::string> target(const Mechanism& m, const MacroContext& ctx) {
    if (m.domain_spec.empty()) return ctx.domain;
    return expand_domain(m.domain_spec, ctx);
  }

  Step evaluate(const Mechanism& m, const MacroContext& ctx, int depth) {
    bool queries = m.kind != MechanismKind::kAll && m.kind != MechanismKind::kIp4 &&
                   m.kind != MechanismKind::kIp6;
    if (queries && out_of_time()) return time_up();
    switch (m.kind) {
      case MechanismKind::kAll:
        return matched();
      case MechanismKind::kIp4:
      case MechanismKind::kIp6: {
        int prefix = m.kind == MechanismKind::kIp4 ? m.cidr4 : m.cidr6;
        return ip_in_network(ctx_.ip, m.ip, prefix) ? matched() : no_match();
      }
      case MechanismKind::kInclude: {
        if (!count_lookup()) return lookup_limit();
        auto t = target(m, ctx);
        if (!t) return expansion_failed(t.error());
        Result3 r = check(*t, depth + 1);
        switch (r.verdict) {
          case Verdict::kPass:
            return matched();
          case Verdict::kFail:
          case Verdict::kSoftFail:
          case Verdict::kNeutral:
            return no_match();
          case Verdict::kTempError:
            return stop(Verdict::kTempError, r.reason);
          case Verdict::kNone:
            return stop(Verdict::kPermError, "included domain " + *t + " has no SPF record");
          case Verdict::kPermError:
            return stop(Verdict::kPermError, r.reason);
        }
        return no_match();
      }
      case MechanismKind::kA: {
        if (!count_lookup()) return lookup_limit();
        auto t = target(m, ctx);
        if (!t) return expansion_failed(t.error());
        std::vector<IpAddress> addrs;
        switch (addresses(*t, ctx_.ip.v6, addrs)) {
          case Lookup::kOk:
            return any_in(addrs, m) ? matched() : no_match();
          case Lookup::kVoid:
            return count_void() ? no_match() : void_limit();
          case Lookup::kInvalid:
            return no_match();
          case Lookup::kTemp:
            return stop(Verdict::kTempError, "DNS error looking up " + *t);
        }
        return no_match();
      }
      case MechanismKind::kMx: {
        if (!count_lookup()) return lookup_limit();
        auto t = target(m, ctx);
        if (!t) return expansion_failed(t.error());
        auto mx = resolver_.mx(*t);
        if (!mx) {
          if (mx.code() == Errc::kNotFound) return count_void() ? no_match() : void_limit();
          if (mx.code() == Errc::kInvalidData) return no_match();
          return stop(Verdict::kTempError, "DNS error looking up the MX of " + *t);
        }
        // No MX records ("nodata") is a void lookup like NXDOMAIN (RFC 7208 §4.6.4).
        if (mx->records.empty()) return count_void() ? no_match() : void_limit();
        if (mx->records.size() > static_cast<size_t>(limits_.mx_addresses))
          return stop(Verdict::kPermError, *t + " has more than 10 MX records (RFC 7208 4.6.4)");
        for (const auto& rec : mx->records) {
          if (rec.host.empty()) continue;  // null MX (RFC 7505)
          if (out_of_time()) return time_up();
          std::vector<IpAddress> addrs;
          Lookup l = addresses(rec.host, ctx_.ip.v6, addrs);
          if (l == Lookup::kTemp)
            return stop(Verdict::kTempError, "DNS error looking up " + rec.host);
          if (l == Lookup::kOk && any_in(addrs, m)) return matched();
        }
        return no_match();
      }
      case MechanismKind::kPtr: {
        if (!count_lookup()) return lookup_limit();
        auto t = target(m, ctx);
        if (!t) return expansion_failed(t.error());
        auto name = validated_name(*t);
        if (!name) return time_up();
        return in_domain(*name, *t) ? matched() : no_match();
      }
      case MechanismKind::kExists: {
        if (!count_lookup()) return lookup_limit();
        auto t = target(m, ctx);
        if (!t) return expansion_failed(t.error());
        std::vector<IpAddress> addrs;
        switch (addresses(*t, false, addrs)) {  // always A (§5.7)
          case Lookup::kOk:
            return matched();
          case Lookup::kVoid:
            return count_void() ? no_match() : void_limit();
          case Lookup::kInvalid:
            return no_match();
          case Lookup::kTemp:
            return stop(Verdict::kTempError, "DNS error looking up " + *t);
        }
        return no_match();
      }
    }
    return no_match();
  }

  dns::Resolver& resolver_;
  const Limits& limits_;
  MacroContext ctx_;
  int lookups_ = 0;
  int voids_ = 0;
  struct PtrName {
    std::string name;
    std::optional<bool> valid;  // the forward lookup holds the client address; unset: not asked
  };
  bool ptr_looked_up_ = false;
  std::vector<PtrName> ptr_names_;  // at most limits_.ptr_names (§4.6.4: the rest are ignored)
  bool p_counted_ = false;          // %{p} has counted its lookup
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kNone:
      return "none";
    case Verdict::kNeutral:
      return "neutral";
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kSoftFail:
      return "softfail";
    case Verdict::kTempError:
      return "temperror";
    case Verdict::kPermError:
      return "permerror";
  }
  return "none";
}

Outcome check_host(dns::Resolver& resolver, std::string_view ip, std::string_view domain,
                   std::string_view sender, std::string_view helo, const Limits& limits) {
  Outcome out;
  out.domain = ascii_lower(domain);
  if (!out.domain.empty() && out.domain.back() == '.') out.domain.pop_back();
  auto addr = parse_ip(ip);
  if (!addr) {
    out.verdict = Verdict::kPermError;
    out.reason = "the client address \"" + std::string(ip) + "\" is not an IP address";
    return out;
  }
  std::string local, sender_domain;
  size_t at = sender.rfind('@');
  if (at == std::string_view::npos) {
    sender_domain = std::string(sender);
  } else {
    local = std::string(sender.substr(0, at));
    sender_domain = std::string(sender.substr(at + 1));
  }
  if (local.empty()) local = "postmaster";
  if (sender_domain.empty()) sender_domain = out.domain;
  Evaluator ev(resolver, limits, *addr, local + "@" + sender_domain, local, sender_domain,
               std::string(helo));
  auto r = ev.check(domain, 0);
  out.verdict = r.verdict;
  out.mechanism = std::move(r.mechanism);
  out.reason = std::move(r.reason);
  out.dns_lookups = ev.dns_lookups();
  out.void_lookups = ev.void_lookups();
  return out;
}

Outcome check_mail_from(dns::Resolver& resolver, std::string_view ip, std::string_view helo,
                        std::string_view mail_from, const Limits& limits) {
  if (mail_from.empty()) return check_helo(resolver, ip, helo, limits);
  size_t at = mail_from.rfind('@');
  std::string_view domain = at == std::string_view::npos ? mail_from : mail_from.substr(at + 1);
  return check_host(resolver, ip, domain, mail_from, helo, limits);
}

Outcome check_helo(dns::Resolver& resolver, std::string_view ip, std::string_view helo,
                   const Limits& limits) {
  return check_host(resolver, ip, helo, "postmaster@" + std::string(helo), helo, limits);
}

}  // namespace tegami::spf
