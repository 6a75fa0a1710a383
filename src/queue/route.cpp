#include "queue/route.hpp"

#include "log/log.hpp"

namespace tegami::queue {
namespace {

namespace client = smtp::client;

Route failure(bool permanent, std::string error, std::string status) {
  Route r;
  r.permanent = permanent;
  r.error = std::move(error);
  r.status = std::move(status);
  return r;
}

struct Addresses {
  std::vector<std::string> ips;
  bool secure = true;  // every answer that had records was validated
  // A lookup failed other than by a denial of existence: trouble (kTemporary) or a bogus
  // answer (kPerm), which proves nothing about the host either (RFC 7672 §2.1.1: not used).
  bool temporary = false;
  // The end of the host's CNAME chain when it is an alias; empty when it is not, or when the
  // A and AAAA answers name different ends (then only the name as given is used).
  std::string canonical;
};

Addresses addresses(dns::Resolver& dns, const std::string& host) {
  Addresses out;
  auto a = dns.a(host);
  auto aaaa = dns.aaaa(host);
  bool first = true, agree = true;
  for (auto* r : {&a, &aaaa}) {
    if (r->ok()) {
      out.ips.insert(out.ips.end(), (*r)->records.begin(), (*r)->records.end());
      out.secure = out.secure && (*r)->secure;
      if (first) out.canonical = (*r)->canonical_name;
      agree = agree && out.canonical == (*r)->canonical_name;
      first = false;
    } else if (r->code() == Errc::kTemporary || r->code() == Errc::kPerm) {
      out.temporary = true;
    }
  }
  if (out.ips.empty()) out.secure = false;
  if (!agree) out.canonical.clear();
  return out;
}

}  // namespace

Route find_route(dns::Resolver& dns, client::StsCache& sts, const std::string& domain,
                 const RouteOptions& opts, int64_t now) {
  struct Target {
    std::string host;
    bool mx_secure;  // the MX answer (or its denial) that named this host was validated
  };
  std::vector<Target> targets;
  auto mx = dns.mx(domain);
  const bool has_mx = mx.ok() && !mx->records.empty();
  if (has_mx) {
    const auto& recs = mx->records;
    if (recs.size() == 1 && (recs[0].host.empty() || recs[0].host == ".")) {
      return failure(true, domain + " does not accept mail (null MX, RFC 7505)", "5.1.10");
    }
    for (const auto& r : recs) {
      if (r.host.empty() || r.host == ".") continue;
      targets.push_back({r.host, mx->secure});
    }
  } else if (mx.ok()) {
    // No MX ("nodata"): the domain itself, if it has an address (RFC 5321 §5.1). When that
    // denial was validated, the domain is a host like a validated MX host: DANE with its TLSA
    // records at _<port>._tcp.<domain> when its addresses are validated too (RFC 7672 §2.2.1,
    // §2.2.2). An insecure denial may be forged, so the domain then goes without DANE.
    targets.push_back({domain, mx->secure});
  } else if (mx.code() == Errc::kNotFound) {
    return failure(true, "the domain " + domain + " does not exist", "5.1.2");
  } else if (mx.code() == Errc::kPerm) {
    // A bogus MX answer or denial: nothing from it is used (RFC 7672 §2.2.1).
    return failure(false, "the DNS answer for " + domain + " failed DNSSEC validation", "4.4.3");
  } else {
    return failure(false, "DNS lookup of " + domain + " failed: " + mx.error().message, "4.4.3");
  }

  client::StsPolicy policy;
  if (opts.mta_sts) {
    client::StsOptions so = opts.sts;
    if (so.ca_file.empty()) so.ca_file = opts.ca_file;
    policy = sts.policy_for(domain, dns, so, now);
  }
  const bool enforce = policy.mode == client::StsPolicy::Mode::kEnforce;

  Route route;
  std::string skipped, skipped_status;
  bool temporary = false;
  for (const auto& t : targets) {
    Addresses ad = addresses(dns, t.host);
    if (ad.ips.empty()) {
      temporary = temporary || ad.temporary;
      continue;
    }
    RouteHost h;
    h.name = t.host;
    h.ips = std::move(ad.ips);
    h.tls.verify_name = t.host;
    bool dane_done = false, tlsa_failed = false;
    if (opts.dane && t.mx_secure && ad.secure) {
      // Candidate TLSA base domains (RFC 7672 §2.2.2): for an alias, the end of its CNAME chain
      // first, then the name as given. `ad.secure` says the whole chain was validated (a
      // validating resolver marks an answer secure only then); with an insecure link the
      // addresses are insecure too and DANE does not apply at all.
      std::vector<std::string> bases;
      if (!ad.canonical.empty()) bases.push_back(ad.canonical);
      bases.push_back(t.host);
      for (const auto& base : bases) {
        auto tlsa = dns.tlsa("_" + std::to_string(opts.port) + "._tcp." + base);
        if (tlsa.ok() && tlsa->secure && !tlsa->records.empty()) {
          h.tls.policy = client::TlsPolicy::kDane;
          h.tls.tlsa = tlsa->records;
          // SNI and the primary reference identifier are the TLSA base domain; a DANE-TA(2)
          // certificate may name the other name of the chain instead (§3.2.2).
          h.tls.verify_name = base;
          for (const auto& other : bases) {
            if (other != base) h.tls.verify_alt_names.push_back(other);
          }
          dane_done = true;
          break;
        }
        if (!tlsa.ok() && tlsa.code() != Errc::kNotFound) {
          // RFC 7672 §2.2: with a DNSSEC-validated MX and address, only a denial of existence
          // (kNotFound) lets the host go without DANE (or on to the next candidate). A bogus
          // answer, SERVFAIL or a timeout may be an attacker who drops the TLSA query and then
          // strips STARTTLS: the host is not used.
          std::string where = base == t.host ? t.host : t.host + " (an alias of " + base + ")";
          if (tlsa.code() == Errc::kPerm) {
            skipped = where + ": its TLSA records failed DNSSEC validation";
            skipped_status = "4.7.5";
          } else {
            skipped = where + ": the DNS lookup of its TLSA records failed (" +
                      tlsa.error().message +
                      "), and a host with DNSSEC-signed records is not used without them (DANE)";
            skipped_status = "4.4.3";
          }
          tlsa_failed = true;
          break;
        }
        // A denial of existence, or records that are not validated: the next candidate.
      }
    }
    if (tlsa_failed) continue;
    if (!dane_done && enforce) {
      if (!client::sts_mx_matches(policy, t.host)) {
        skipped = t.host + " is not listed in the MTA-STS policy of " + domain;
        skipped_status = "4.7.5";
        continue;
      }
      h.tls.policy = client::TlsPolicy::kPkix;
      h.tls.ca_file = opts.ca_file;
    }
    route.hosts.push_back(std::move(h));
  }
  if (route.hosts.empty()) {
    if (!skipped.empty()) return failure(false, skipped, skipped_status);
    if (temporary) {
      return failure(false, "DNS lookup of the mail servers of " + domain + " failed", "4.4.3");
    }
    if (has_mx) {
      return failure(false, "the mail servers of " + domain + " have no address", "4.4.4");
    }
    return failure(true, "the domain " + domain + " has no mail server (no MX, no address)",
                   "5.1.2");
  }
  return route;
}

}  // namespace tegami::queue
