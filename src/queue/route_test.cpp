// find_route: MX order, implicit and null MX, DNS failures, DANE from DNSSEC-validated answers,
// and MTA-STS "enforce" (policy fetched over HTTPS from a local server with a test CA).
#include "queue/route.hpp"

#include <gtest/gtest.h>

#include "dns/fake_resolver.hpp"
#include "dns/local_server.hpp"
#include "smtp/client/https_test_server.hpp"
#include "smtp/client/test_certs.hpp"

namespace tegami::queue {
namespace {

namespace client = smtp::client;

std::vector<std::string> names(const Route& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hosts) out.push_back(h.name);
  return out;
}

class RouteTest : public ::testing::Test {
 protected:
  RouteTest() { opts_.mta_sts = false; }
  Route route(const std::string& domain) { return find_route(dns_, sts_, domain, opts_, 1000); }
  dns::FakeResolver dns_;
  client::StsCache sts_;
  RouteOptions opts_;
};

TEST_F(RouteTest, MxInPreferenceOrderWithAddresses) {
  dns_.add_mx("d.test", 20, "b.d.test");
  dns_.add_mx("d.test", 10, "a.d.test");
  dns_.add_mx("d.test", 30, "noaddr.d.test");
  dns_.add_a("a.d.test", "127.0.0.1");
  dns_.add_a("b.d.test", "127.0.0.2");
  dns_.add_aaaa("b.d.test", "::1");
  Route r = route("d.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"a.d.test", "b.d.test"}));
  EXPECT_EQ(r.hosts[1].ips, (std::vector<std::string>{"127.0.0.2", "::1"}));
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  EXPECT_EQ(r.hosts[0].tls.verify_name, "a.d.test");
}

TEST_F(RouteTest, ImplicitNullAndMissing) {
  dns_.add_a("plain.test", "127.0.0.9");  // no MX: the domain itself
  Route r = route("plain.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"plain.test"}));

  dns_.add_mx("null.test", 0, ".");
  r = route("null.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_TRUE(r.permanent);
  EXPECT_EQ(r.status, "5.1.10");

  r = route("nxdomain.test");
  EXPECT_TRUE(r.permanent);
  EXPECT_EQ(r.status, "5.1.2");

  dns_.set_failure("flaky.test", dns::RrType::kMx, Errc::kTemporary);
  r = route("flaky.test");
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.3");

  dns_.add_mx("addrless.test", 10, "mx.addrless.test");
  r = route("addrless.test");
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.4");

  dns_.add_mx("tempaddr.test", 10, "mx.tempaddr.test");
  dns_.set_failure("mx.tempaddr.test", dns::RrType::kA, Errc::kTemporary);
  r = route("tempaddr.test");
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.3");
}

TEST_F(RouteTest, DaneOnlyWithValidatedAnswers) {
  dns_.add_mx("dane.test", 10, "mx.dane.test");
  dns_.add_a("mx.dane.test", "127.0.0.1");
  dns::TlsaRecord rec{3, 1, 1, std::string(32, 'x')};
  dns_.add_tlsa("_25._tcp.mx.dane.test", rec);
  // Not validated: TLSA is not even looked at.
  EXPECT_EQ(route("dane.test").hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  dns_.set_secure("dane.test", dns::RrType::kMx);
  dns_.set_secure("mx.dane.test", dns::RrType::kA);
  EXPECT_EQ(route("dane.test").hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  dns_.set_secure("_25._tcp.mx.dane.test", dns::RrType::kTlsa);
  Route r = route("dane.test");
  ASSERT_EQ(r.hosts.size(), 1u);
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kDane);
  ASSERT_EQ(r.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(r.hosts[0].tls.tlsa[0].usage, 3);
  // The port of the TLSA name follows the destination port.
  opts_.port = 2525;
  EXPECT_EQ(route("dane.test").hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  opts_.port = 25;
  // A bogus TLSA answer: the host cannot be used.
  dns_.set_failure("_25._tcp.mx.dane.test", dns::RrType::kTlsa, Errc::kPerm);
  r = route("dane.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_FALSE(r.permanent);
  EXPECT_NE(r.error.find("DNSSEC"), std::string::npos) << r.error;
  EXPECT_EQ(r.status, "4.7.5");
}

// RFC 7672 §2.2: a host whose MX and address answers are validated but whose TLSA lookup fails
// (SERVFAIL, timeout) is not used: it once fell back to opportunistic TLS, which an attacker
// who drops the TLSA query and strips STARTTLS turns into plain text.
TEST_F(RouteTest, DaneHostWhoseTlsaLookupFailsIsNotUsed) {
  dns_.add_mx("dane.test", 10, "mx.dane.test");
  dns_.add_mx("dane.test", 20, "mx2.dane.test");
  dns_.add_a("mx.dane.test", "127.0.0.1");
  dns_.add_a("mx2.dane.test", "127.0.0.2");
  dns_.set_secure("dane.test", dns::RrType::kMx);
  dns_.set_secure("mx.dane.test", dns::RrType::kA);
  dns_.set_secure("mx2.dane.test", dns::RrType::kA);
  dns_.add_tlsa("_25._tcp.mx.dane.test", dns::TlsaRecord{3, 1, 1, std::string(32, 'x')});
  dns_.set_secure("_25._tcp.mx.dane.test", dns::RrType::kTlsa);
  dns_.set_failure("_25._tcp.mx.dane.test", dns::RrType::kTlsa, Errc::kTemporary);
  // mx2 has no TLSA records (a denial of existence): usable without DANE.
  Route r = route("dane.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"mx2.dane.test"}));
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);

  dns_.set_failure("_25._tcp.mx2.dane.test", dns::RrType::kTlsa, Errc::kTemporary);
  r = route("dane.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.3");
  EXPECT_NE(r.error.find("TLSA records failed"), std::string::npos) << r.error;

  // Without DNSSEC on the MX answer DANE does not apply: the TLSA lookup is not even made.
  dns_.set_secure("dane.test", dns::RrType::kMx, false);
  EXPECT_EQ(names(route("dane.test")), (std::vector<std::string>{"mx.dane.test", "mx2.dane.test"}));
}

size_t tlsa_queries(const dns::FakeResolver& r) {
  size_t n = 0;
  for (const auto& q : r.queries()) n += q.type == dns::RrType::kTlsa;
  return n;
}

// RFC 7672 §2.2.1: a domain without MX records is its own host. With a validated denial of its
// MX records and validated addresses, its TLSA records (_25._tcp.<domain>) apply as for an MX
// host; an insecure denial may be forged, so then DANE is not used.
TEST_F(RouteTest, DaneForDomainWithoutMx) {
  dns_.add_a("nomx.test", "127.0.0.1");
  dns_.set_secure("nomx.test", dns::RrType::kA);
  dns_.add_tlsa("_25._tcp.nomx.test", dns::TlsaRecord{3, 1, 1, std::string(32, 'x')});
  dns_.set_secure("_25._tcp.nomx.test", dns::RrType::kTlsa);

  // Insecure "no MX": opportunistic, the TLSA records are not even looked up.
  Route r = route("nomx.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"nomx.test"}));
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  EXPECT_EQ(tlsa_queries(dns_), 0u);

  // Validated "no MX": DANE, the certificate checked against the domain's name.
  dns_.set_secure("nomx.test", dns::RrType::kMx);
  auto mx = dns_.mx("nomx.test");
  ASSERT_TRUE(mx) << mx.error().message;
  EXPECT_TRUE(mx->records.empty());
  EXPECT_TRUE(mx->secure);
  dns_.clear_queries();
  r = route("nomx.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"nomx.test"})) << r.error;
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kDane);
  EXPECT_EQ(r.hosts[0].tls.verify_name, "nomx.test");
  ASSERT_EQ(r.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(r.hosts[0].tls.tlsa[0].usage, 3);
  ASSERT_EQ(tlsa_queries(dns_), 1u);
  bool asked = false;
  for (const auto& q : dns_.queries()) asked = asked || q.name == "_25._tcp.nomx.test";
  EXPECT_TRUE(asked);

  // Addresses not validated: no DANE.
  dns_.set_secure("nomx.test", dns::RrType::kA, false);
  EXPECT_EQ(route("nomx.test").hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  dns_.set_secure("nomx.test", dns::RrType::kA);

  // TLSA lookup failed: the domain is not used, the attempt deferred.
  dns_.set_failure("_25._tcp.nomx.test", dns::RrType::kTlsa, Errc::kTemporary);
  r = route("nomx.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.3");
  dns_.set_failure("_25._tcp.nomx.test", dns::RrType::kTlsa, Errc::kPerm);
  r = route("nomx.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.7.5");

  // No TLSA records (a denial of existence): usable without DANE.
  dns_.set_failure("_25._tcp.nomx.test", dns::RrType::kTlsa, Errc::kNotFound);
  r = route("nomx.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"nomx.test"}));
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);

  // A bogus MX denial: nothing is used, deferred.
  dns_.set_failure("nomx.test", dns::RrType::kMx, Errc::kPerm);
  r = route("nomx.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.3");

  // A bogus address answer for the domain proves nothing: deferred, not bounced.
  dns_.set_secure("bogusaddr.test", dns::RrType::kMx);
  dns_.set_failure("bogusaddr.test", dns::RrType::kA, Errc::kPerm);
  r = route("bogusaddr.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.3");

  // A validated "no MX" for a name without addresses: nowhere to deliver.
  dns_.set_secure("noaddr.test", dns::RrType::kMx);
  r = route("noaddr.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_TRUE(r.permanent);
  EXPECT_EQ(r.status, "5.1.2");
}

bool asked_tlsa(const dns::FakeResolver& r, const std::string& name) {
  for (const auto& q : r.queries()) {
    if (q.type == dns::RrType::kTlsa && q.name == name) return true;
  }
  return false;
}

// RFC 7672 §2.2.2: an MX host that is an alias with a validated CNAME chain has its TLSA records
// looked up at the end of the chain first (the TLSA base domain, SNI and primary name for the
// certificate), then after a denial at the name as given; the certificate may carry either.
class RouteCnameTest : public RouteTest {
 protected:
  RouteCnameTest() {
    dns_.add_mx("cname.test", 10, "mx.cname.test");
    dns_.set_secure("cname.test", dns::RrType::kMx);
    dns_.add_cname("mx.cname.test", "mx.provider.test", /*secure=*/true);
    dns_.add_a("mx.provider.test", "127.0.0.1");
    dns_.set_secure("mx.provider.test", dns::RrType::kA);
  }
  void tlsa(const std::string& host, uint8_t usage) {
    dns_.add_tlsa("_25._tcp." + host, dns::TlsaRecord{usage, 1, 1, std::string(32, 'x')});
    dns_.set_secure("_25._tcp." + host, dns::RrType::kTlsa);
  }
};

TEST_F(RouteCnameTest, SecureAliasUsesTheTlsaRecordsOfItsTarget) {
  tlsa("mx.provider.test", 3);
  tlsa("mx.cname.test", 2);  // not reached: the expanded name comes first
  Route r = route("cname.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"mx.cname.test"})) << r.error;
  EXPECT_EQ(r.hosts[0].ips, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kDane);
  ASSERT_EQ(r.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(r.hosts[0].tls.tlsa[0].usage, 3);
  EXPECT_EQ(r.hosts[0].tls.verify_name, "mx.provider.test");
  EXPECT_EQ(r.hosts[0].tls.verify_alt_names, std::vector<std::string>{"mx.cname.test"});
  EXPECT_EQ(tlsa_queries(dns_), 1u);
  EXPECT_TRUE(asked_tlsa(dns_, "_25._tcp.mx.provider.test"));
}

TEST_F(RouteCnameTest, TlsaOnlyAtTheNameAsGiven) {
  tlsa("mx.cname.test", 2);
  Route r = route("cname.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"mx.cname.test"})) << r.error;
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kDane);
  ASSERT_EQ(r.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(r.hosts[0].tls.tlsa[0].usage, 2);
  EXPECT_EQ(r.hosts[0].tls.verify_name, "mx.cname.test");
  EXPECT_EQ(r.hosts[0].tls.verify_alt_names, std::vector<std::string>{"mx.provider.test"});
  auto q = dns_.queries();
  ASSERT_EQ(tlsa_queries(dns_), 2u);
  std::vector<std::string> order;
  for (const auto& x : q) {
    if (x.type == dns::RrType::kTlsa) order.push_back(x.name);
  }
  EXPECT_EQ(order,
            (std::vector<std::string>{"_25._tcp.mx.provider.test", "_25._tcp.mx.cname.test"}));

  // Records at the expanded name that are not validated count as none there: the next name.
  dns_.add_tlsa("_25._tcp.mx.provider.test", dns::TlsaRecord{3, 1, 1, std::string(32, 'y')});
  r = route("cname.test");
  ASSERT_EQ(r.hosts.size(), 1u) << r.error;
  EXPECT_EQ(r.hosts[0].tls.verify_name, "mx.cname.test");
  ASSERT_EQ(r.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(r.hosts[0].tls.tlsa[0].usage, 2);

  // Neither name has validated TLSA records: no DANE, the host name as given for SNI.
  dns_.clear_queries();
  dns_.set_failure("_25._tcp.mx.cname.test", dns::RrType::kTlsa, Errc::kNotFound);
  r = route("cname.test");
  ASSERT_EQ(r.hosts.size(), 1u) << r.error;
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  EXPECT_EQ(r.hosts[0].tls.verify_name, "mx.cname.test");
  EXPECT_TRUE(r.hosts[0].tls.verify_alt_names.empty());
  EXPECT_EQ(tlsa_queries(dns_), 2u);
}

// A failed TLSA lookup at either name skips the host, as for a host that is not an alias.
TEST_F(RouteCnameTest, FailedTlsaLookupAtEitherNameSkipsTheHost) {
  tlsa("mx.cname.test", 3);
  dns_.set_failure("_25._tcp.mx.provider.test", dns::RrType::kTlsa, Errc::kTemporary);
  Route r = route("cname.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_FALSE(r.permanent);
  EXPECT_EQ(r.status, "4.4.3");
  EXPECT_NE(r.error.find("mx.cname.test (an alias of mx.provider.test)"), std::string::npos)
      << r.error;
  EXPECT_FALSE(asked_tlsa(dns_, "_25._tcp.mx.cname.test"));

  dns_.set_failure("_25._tcp.mx.provider.test", dns::RrType::kTlsa, Errc::kNotFound);
  dns_.set_failure("_25._tcp.mx.cname.test", dns::RrType::kTlsa, Errc::kPerm);
  r = route("cname.test");
  EXPECT_TRUE(r.hosts.empty());
  EXPECT_EQ(r.status, "4.7.5") << r.error;
}

// A chain with an insecure link: the addresses are not validated either (a validating
// resolver reports the chain's weakest status), so neither name is used for DANE.
TEST_F(RouteCnameTest, InsecureChainIsNotExpanded) {
  tlsa("mx.provider.test", 3);
  tlsa("mx.cname.test", 3);
  dns_.add_cname("mx.cname.test", "mx.provider.test", /*secure=*/false);
  Route r = route("cname.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"mx.cname.test"})) << r.error;
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  EXPECT_EQ(r.hosts[0].tls.verify_name, "mx.cname.test");
  EXPECT_TRUE(r.hosts[0].tls.verify_alt_names.empty());
  EXPECT_EQ(tlsa_queries(dns_), 0u);

  // A secure alias of a target whose addresses are not validated: the same.
  dns_.add_cname("mx.cname.test", "mx.provider.test", /*secure=*/true);
  dns_.set_secure("mx.provider.test", dns::RrType::kA, false);
  r = route("cname.test");
  ASSERT_EQ(r.hosts.size(), 1u) << r.error;
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  EXPECT_EQ(tlsa_queries(dns_), 0u);
}

// A domain without MX that is itself an alias (RFC 7672 §2.2.2, non-MX destination).
TEST_F(RouteCnameTest, DomainWithoutMxThatIsAnAlias) {
  dns_.add_cname("www.cname.test", "mx.provider.test", /*secure=*/true);
  dns_.set_secure("mx.provider.test", dns::RrType::kMx);  // its validated "no MX"
  tlsa("mx.provider.test", 3);
  Route r = route("www.cname.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"www.cname.test"})) << r.error;
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kDane);
  EXPECT_EQ(r.hosts[0].tls.verify_name, "mx.provider.test");
  EXPECT_EQ(r.hosts[0].tls.verify_alt_names, std::vector<std::string>{"www.cname.test"});
}

// The same rules with the libunbound resolver validating a zone signed with ldns-signzone
// (served by unbound on loopback): DANE for an MX host, for MX hosts that are aliases (TLSA at
// the end of the chain, or at the name as given; none for a chain into an unsigned zone) and for
// a domain without MX, none for an unsigned zone, and a TLSA RRset changed after signing (bogus)
// skips the host. Skipped when unbound or ldnsutils is missing.
TEST(RouteDnssec, DaneFromASignedZone) {
  if (!dns::LocalDnsServer::signing_available())
    GTEST_SKIP() << "unbound or ldnsutils (ldns-keygen, ldns-signzone) is not installed";
  const std::string tlsa = " 300 IN TLSA 3 1 1 " + std::string(64, 'a');
  dns::SignedZone z;
  z.name = "signed.test";
  z.records = {
      "signed.test. 300 IN MX 10 mx.signed.test.",
      "mx.signed.test. 300 IN A 127.0.0.1",
      "_25._tcp.mx.signed.test." + tlsa,
      "nomx.signed.test. 300 IN A 127.0.0.2",
      "_25._tcp.nomx.signed.test." + tlsa,
      "badtlsa.signed.test. 300 IN A 127.0.0.3",
      "_25._tcp.badtlsa.signed.test." + tlsa,
      // An MX host that is an alias of mx (TLSA at the end of the chain).
      "alias.signed.test. 300 IN MX 10 mxalias.signed.test.",
      "mxalias.signed.test. 300 IN CNAME mx.signed.test.",
      // An alias whose target has no TLSA records: those of the name as given.
      "fallback.signed.test. 300 IN MX 10 fbalias.signed.test.",
      "fbalias.signed.test. 300 IN CNAME fbtarget.signed.test.",
      "fbtarget.signed.test. 300 IN A 127.0.0.5",
      "_25._tcp.fbalias.signed.test. 300 IN TLSA 2 0 1 " + std::string(64, 'c'),
      // An alias of a name in an unsigned zone: the chain is not secure.
      "insecure.signed.test. 300 IN MX 10 out.signed.test.",
      "out.signed.test. 300 IN CNAME host.plain.test.",
      "_25._tcp.out.signed.test." + tlsa,
  };
  // A record added to a signed RRset: its signature no longer matches. (A new name would not
  // do: the NSEC record cached from the MX denial of badtlsa proves that it does not exist.)
  z.added_after_signing = {"_25._tcp.badtlsa.signed.test. 300 IN TLSA 3 1 1 " +
                           std::string(64, 'b')};
  dns::LocalZoneData data;
  data.signed_zones = {z};
  data.static_zones = {"plain.test."};
  data.local_data = {"nomx.plain.test. IN A 127.0.0.4",
                     "_25._tcp.nomx.plain.test. IN TLSA 3 1 1 " + std::string(64, 'a'),
                     "host.plain.test. IN A 127.0.0.6",
                     "_25._tcp.host.plain.test. IN TLSA 3 1 1 " + std::string(64, 'a')};
  auto server = dns::LocalDnsServer::start(data);
  ASSERT_TRUE(server) << server.error().message;
  dns::ResolverOptions ro;
  ro.forwarder = (*server)->forwarder();
  ro.trust_anchor_file = (*server)->trust_anchor_file();
  auto resolver = dns::make_unbound_resolver(ro);
  ASSERT_TRUE(resolver) << resolver.error().message;
  client::StsCache sts;
  RouteOptions opts;
  opts.mta_sts = false;
  auto route = [&](const std::string& d) { return find_route(**resolver, sts, d, opts, 1000); };

  Route mx = route("signed.test");
  ASSERT_EQ(names(mx), (std::vector<std::string>{"mx.signed.test"})) << mx.error;
  EXPECT_EQ(mx.hosts[0].tls.policy, client::TlsPolicy::kDane);
  EXPECT_EQ(mx.hosts[0].tls.verify_name, "mx.signed.test");
  ASSERT_EQ(mx.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(mx.hosts[0].tls.tlsa[0].data, std::string(32, '\xaa'));

  // RFC 7672 §2.2.2 with real CNAMEs: the end of a validated chain is the TLSA base domain.
  Route alias = route("alias.signed.test");
  ASSERT_EQ(names(alias), (std::vector<std::string>{"mxalias.signed.test"})) << alias.error;
  EXPECT_EQ(alias.hosts[0].ips, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(alias.hosts[0].tls.policy, client::TlsPolicy::kDane);
  EXPECT_EQ(alias.hosts[0].tls.verify_name, "mx.signed.test");
  EXPECT_EQ(alias.hosts[0].tls.verify_alt_names, std::vector<std::string>{"mxalias.signed.test"});
  ASSERT_EQ(alias.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(alias.hosts[0].tls.tlsa[0].data, std::string(32, '\xaa'));

  Route fallback = route("fallback.signed.test");
  ASSERT_EQ(names(fallback), (std::vector<std::string>{"fbalias.signed.test"})) << fallback.error;
  EXPECT_EQ(fallback.hosts[0].tls.policy, client::TlsPolicy::kDane);
  EXPECT_EQ(fallback.hosts[0].tls.verify_name, "fbalias.signed.test");
  EXPECT_EQ(fallback.hosts[0].tls.verify_alt_names,
            std::vector<std::string>{"fbtarget.signed.test"});
  ASSERT_EQ(fallback.hosts[0].tls.tlsa.size(), 1u);
  EXPECT_EQ(fallback.hosts[0].tls.tlsa[0].usage, 2);

  Route insecure = route("insecure.signed.test");
  ASSERT_EQ(names(insecure), (std::vector<std::string>{"out.signed.test"})) << insecure.error;
  EXPECT_EQ(insecure.hosts[0].ips, std::vector<std::string>{"127.0.0.6"});
  EXPECT_EQ(insecure.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
  EXPECT_EQ(insecure.hosts[0].tls.verify_name, "out.signed.test");

  Route nomx = route("nomx.signed.test");
  ASSERT_EQ(names(nomx), (std::vector<std::string>{"nomx.signed.test"})) << nomx.error;
  EXPECT_EQ(nomx.hosts[0].tls.policy, client::TlsPolicy::kDane);
  EXPECT_EQ(nomx.hosts[0].tls.verify_name, "nomx.signed.test");
  EXPECT_EQ(nomx.hosts[0].ips, std::vector<std::string>{"127.0.0.2"});

  Route plain = route("nomx.plain.test");  // not signed: an insecure denial
  ASSERT_EQ(names(plain), (std::vector<std::string>{"nomx.plain.test"})) << plain.error;
  EXPECT_EQ(plain.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);

  Route bad = route("badtlsa.signed.test");
  EXPECT_TRUE(bad.hosts.empty());
  EXPECT_FALSE(bad.permanent);
  EXPECT_EQ(bad.status, "4.7.5") << bad.error;

  Route none = route("nope.signed.test");
  EXPECT_TRUE(none.permanent);
  EXPECT_EQ(none.status, "5.1.2");
}

TEST_F(RouteTest, MtaStsEnforceKeepsListedHostsWithCertificateChecks) {
  client::testing::TempDir dir;
  client::testing::TestPki pki(dir, {"mta-sts.sts.test"});
  client::testing::HttpsServer https(pki.chain_file, pki.key_file);
  https.respond("200 OK", "text/plain",
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.sts.test\r\nmax_age: 86400\r\n");
  dns_.add_txt("_mta-sts.sts.test", "v=STSv1; id=20261122");
  dns_.add_mx("sts.test", 10, "mx1.sts.test");
  dns_.add_mx("sts.test", 20, "mx2.sts.test");
  dns_.add_a("mx1.sts.test", "127.0.0.1");
  dns_.add_a("mx2.sts.test", "127.0.0.2");
  opts_.mta_sts = true;
  opts_.ca_file = pki.ca_file;
  opts_.sts.connect_to = https.connect_to();
  opts_.sts.timeout_s = 5;
  Route r = route("sts.test");
  ASSERT_EQ(names(r), (std::vector<std::string>{"mx1.sts.test"})) << r.error;
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kPkix);
  EXPECT_EQ(r.hosts[0].tls.ca_file, pki.ca_file);
  // A "testing" policy changes nothing for delivery.
  https.respond("200 OK", "text/plain",
                "version: STSv1\r\nmode: testing\r\nmx: mx1.sts.test\r\nmax_age: 86400\r\n");
  dns_.clear();
  dns_.add_txt("_mta-sts.sts.test", "v=STSv1; id=2");
  dns_.add_mx("sts.test", 10, "mx1.sts.test");
  dns_.add_mx("sts.test", 20, "mx2.sts.test");
  dns_.add_a("mx1.sts.test", "127.0.0.1");
  dns_.add_a("mx2.sts.test", "127.0.0.2");
  r = route("sts.test");
  ASSERT_EQ(r.hosts.size(), 2u);
  EXPECT_EQ(r.hosts[0].tls.policy, client::TlsPolicy::kOpportunistic);
}

}  // namespace
}  // namespace tegami::queue
