// Where mail for a domain goes, and how it must be protected (blocking DNS and HTTPS; call on
// the worker pool):
// - RFC 5321 §5.1: the MX records by preference; no MX -> the domain itself (implicit MX);
//   NXDOMAIN -> permanent failure; RFC 7505 null MX ("0 .") -> permanent failure.
// - RFC 7672 DANE: when the MX answer and the host's address answer are DNSSEC-validated and the
//   host publishes TLSA records at _<port>._tcp.<host>, STARTTLS with those records is required.
//   A domain without MX is its own host: DANE applies to it when the denial of its MX records
//   was validated (§2.2.1). A host that is an alias with a validated CNAME chain has its TLSA
//   records looked up at the end of the chain first, then (after a denial) at the name as given
//   (§2.2.2). A TLSA lookup that fails other than by a denial of existence (bogus, SERVFAIL,
//   timeout) skips the host (RFC 7672 §2.2).
// - RFC 8461 MTA-STS: when the domain's policy is "enforce", only MX hosts matching the policy
//   are used, with PKIX certificate checks. DANE takes precedence (RFC 8461 §2).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "smtp/client/client.hpp"
#include "smtp/client/mta_sts.hpp"

namespace tegami::queue {

struct RouteHost {
  std::string name;              // MX host name (as given, before CNAME expansion)
  std::vector<std::string> ips;  // IPv4 first, then IPv6
  smtp::client::TlsOptions tls;  // policy for this host
};

struct Route {
  std::vector<RouteHost> hosts;  // in preference order; empty on failure
  bool permanent = false;        // the failure is final (no such domain, null MX)
  std::string error;             // plain words, for logs and bounces
  std::string status;            // RFC 3463 code for the failure
};

struct RouteOptions {
  uint16_t port = 25;
  bool dane = true;
  bool mta_sts = true;
  std::string ca_file;  // PKIX trust anchors (MTA-STS)
  smtp::client::StsOptions sts;
};

Route find_route(dns::Resolver& dns, smtp::client::StsCache& sts, const std::string& domain,
                 const RouteOptions& opts, int64_t now);

}  // namespace tegami::queue
