// SPF tests: record syntax, macros (RFC 7208 §7.4 examples), check_host over FakeResolver with
// the zone of RFC 7208 Appendix A, lookup limits, loops, IPv6.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "dns/fake_resolver.hpp"
#include "dns/local_server.hpp"
#include "mailauth/spf/macro.hpp"
#include "mailauth/spf/record.hpp"
#include "mailauth/spf/spf.hpp"

namespace tegami::spf {
namespace {

// ---- record syntax ----

TEST(Record, ParsesMechanismsAndModifiers) {
  auto r = parse_record(
      "v=spf1 +a -mx:example.org/30 ~ip4:192.0.2.0/24 ?ip6:2001:db8::/32 include:_spf.example.com "
      "exists:%{ir}.bl.example.org ptr a:mail.example.com/24//64 all redirect=_spf.example.com "
      "exp=explain.%{d} foo-bar=%{l}");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->mechanisms.size(), 9u);
  EXPECT_EQ(r->mechanisms[0].kind, MechanismKind::kA);
  EXPECT_EQ(r->mechanisms[0].qualifier, Qualifier::kPass);
  EXPECT_EQ(r->mechanisms[1].kind, MechanismKind::kMx);
  EXPECT_EQ(r->mechanisms[1].qualifier, Qualifier::kFail);
  EXPECT_EQ(r->mechanisms[1].domain_spec, "example.org");
  EXPECT_EQ(r->mechanisms[1].cidr4, 30);
  EXPECT_EQ(r->mechanisms[2].qualifier, Qualifier::kSoftFail);
  EXPECT_EQ(r->mechanisms[2].cidr4, 24);
  EXPECT_EQ(r->mechanisms[3].qualifier, Qualifier::kNeutral);
  EXPECT_EQ(r->mechanisms[3].cidr6, 32);
  EXPECT_TRUE(r->mechanisms[3].ip.v6);
  EXPECT_EQ(r->mechanisms[4].domain_spec, "_spf.example.com");
  EXPECT_EQ(r->mechanisms[5].kind, MechanismKind::kExists);
  EXPECT_EQ(r->mechanisms[6].kind, MechanismKind::kPtr);
  EXPECT_EQ(r->mechanisms[7].cidr4, 24);
  EXPECT_EQ(r->mechanisms[7].cidr6, 64);
  EXPECT_EQ(r->mechanisms[7].domain_spec, "mail.example.com");
  EXPECT_EQ(r->mechanisms[8].kind, MechanismKind::kAll);
  EXPECT_EQ(r->redirect, "_spf.example.com");
  EXPECT_EQ(r->exp, "explain.%{d}");
}

TEST(Record, CaseAndSpacing) {
  EXPECT_TRUE(is_spf_record("V=SPF1 -all"));
  EXPECT_TRUE(is_spf_record("v=spf1"));
  EXPECT_FALSE(is_spf_record("v=spf10 -all"));
  EXPECT_FALSE(is_spf_record("v=spf2.0/pra -all"));
  auto r = parse_record("v=spf1   MX   -ALL  ");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->mechanisms.size(), 2u);
  EXPECT_EQ(r->mechanisms[1].qualifier, Qualifier::kFail);
  auto dual = parse_record("v=spf1 a//64 mx/24");
  ASSERT_TRUE(dual);
  EXPECT_EQ(dual->mechanisms[0].cidr6, 64);
  EXPECT_EQ(dual->mechanisms[0].cidr4, 32);
  EXPECT_EQ(dual->mechanisms[1].cidr4, 24);
}

TEST(Record, SyntaxErrors) {
  for (const char* bad : {
           "v=spf1 foo",                                    // unknown mechanism
           "v=spf1 -all:x",                                 // text after all
           "v=spf1 include",                                // include needs a domain
           "v=spf1 include:",                               //
           "v=spf1 a:foo",                                  // domain-end needs "." toplabel
           "v=spf1 a:example.123",                          // numeric toplabel
           "v=spf1 ip4:192.0.2.0/33",                       // CIDR range
           "v=spf1 ip4:192.0.2.0/024",                      // leading zero
           "v=spf1 ip4:192.0.2",                            // short address
           "v=spf1 ip4:2001:db8::1",                        // wrong family
           "v=spf1 ip6:2001:db8::/129",                     //
           "v=spf1 ip6:192.0.2.1",                          //
           "v=spf1 a/33",                                   //
           "v=spf1 a//129",                                 //
           "v=spf1 a//64/24",                               // ip4 length after ip6 length
           "v=spf1 redirect=a.example redirect=b.example",  // twice
           "v=spf1 exp=a.example exp=b.example",            //
           "v=spf1 exists:%{x}.example.com",                // unknown macro letter
           "v=spf1 exists:%{c}.example.com",                // explanation-only letter
           "v=spf1 exists:%{d0}.example.com",               // zero transformer
           "v=spf1 exists:%{d",                             // unterminated
           "v=spf1 exists:%d.example.com",                  // bad escape
           "v=spf1 foo=%{",                                 // bad unknown-modifier value
           "v=spf1 -all\t",                                 // tab is not a separator
           "v=spf1 ~",                                      // qualifier alone
           "v=spf1 include:example.com/24",                 // include takes no CIDR
           "v=spf1 ptr:example.com/24",                     //
           "v=spf1 mx:",                                    //
           "v=spf1 redirect:example.com",                   // modifier written as mechanism
           "v=spf1 a:museum.",                              // single label
           "v=spf1 a:example.com:8080",                     //
           "v=spf1 ip4:1.2.3.4//32",                        //
           "v=spf1 exp=",                                   //
       }) {
    EXPECT_FALSE(parse_record(bad)) << bad;
  }
}

TEST(Record, DomainSpecs) {
  EXPECT_TRUE(valid_domain_spec("example.com"));
  EXPECT_TRUE(valid_domain_spec("example.com."));
  EXPECT_TRUE(valid_domain_spec("%{d}"));
  EXPECT_TRUE(valid_domain_spec("%{ir}.%{v}._spf.%{d2}"));
  EXPECT_TRUE(valid_domain_spec("x.xn--p1ai"));
  EXPECT_TRUE(valid_domain_spec("a.1-2"));
  EXPECT_FALSE(valid_domain_spec("%{d}com"));
  EXPECT_FALSE(valid_domain_spec("example.-com"));
  EXPECT_FALSE(valid_domain_spec(""));
}

TEST(Record, IpHelpers) {
  auto mapped = parse_ip("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(mapped->v6);
  EXPECT_EQ(ip_to_string(*mapped), "192.0.2.1");
  auto net = parse_ip("192.0.2.128");
  auto in = parse_ip("192.0.2.131");
  EXPECT_TRUE(ip_in_network(*in, *net, 30));
  EXPECT_FALSE(ip_in_network(*in, *net, 31));
  EXPECT_TRUE(ip_in_network(*in, *net, 0));
  auto v6 = parse_ip("2001:db8::1");
  EXPECT_FALSE(ip_in_network(*v6, *net, 0));  // families never match
  EXPECT_FALSE(parse_ip("example.com"));
}

// ---- macros (RFC 7208 §7.4) ----

MacroContext example_context(const char* ip) {
  MacroContext c;
  c.sender = "strong-bad@email.example.com";
  c.local_part = "strong-bad";
  c.sender_domain = "email.example.com";
  c.domain = "email.example.com";
  c.ip = *parse_ip(ip);
  c.helo = "mx.example.org";
  c.validated_name = [] { return std::string("mx.example.org"); };
  return c;
}

std::string expand(const char* spec, const char* ip = "192.0.2.3") {
  auto r = expand_macros(spec, example_context(ip));
  return r ? *r : "<error: " + r.error().message + ">";
}

TEST(Macro, Rfc7208Examples) {
  EXPECT_EQ(expand("%{s}"), "strong-bad@email.example.com");
  EXPECT_EQ(expand("%{o}"), "email.example.com");
  EXPECT_EQ(expand("%{d}"), "email.example.com");
  EXPECT_EQ(expand("%{d4}"), "email.example.com");
  EXPECT_EQ(expand("%{d3}"), "email.example.com");
  EXPECT_EQ(expand("%{d2}"), "example.com");
  EXPECT_EQ(expand("%{d1}"), "com");
  EXPECT_EQ(expand("%{dr}"), "com.example.email");
  EXPECT_EQ(expand("%{d2r}"), "example.email");
  EXPECT_EQ(expand("%{l}"), "strong-bad");
  EXPECT_EQ(expand("%{l-}"), "strong.bad");
  EXPECT_EQ(expand("%{lr}"), "strong-bad");
  EXPECT_EQ(expand("%{lr-}"), "bad.strong");
  EXPECT_EQ(expand("%{l1r-}"), "strong");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"),
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"),
            "3.2.0.192.in-addr.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{d2}.trusted-domains.example.net"), "example.com.trusted-domains.example.net");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(Macro, EscapesAndOthers) {
  EXPECT_EQ(expand("%%%_%-"), "% %20");
  EXPECT_EQ(expand("%{S}"), "strong-bad%40email.example.com");
  EXPECT_EQ(expand("%{h}"), "mx.example.org");
  EXPECT_EQ(expand("%{p}"), "mx.example.org");
  EXPECT_EQ(expand("%{i}"), "192.0.2.3");
  EXPECT_EQ(expand("%{d9}"), "email.example.com");
  EXPECT_FALSE(expand_macros("%{c}", example_context("192.0.2.3")));
  auto c = expand_macros("%{c} %{r}", example_context("192.0.2.3"), true);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, "192.0.2.3 unknown");
}

TEST(Macro, LongDomainsLoseLeftLabels) {
  MacroContext c = example_context("192.0.2.3");
  c.local_part = std::string(60, 'x') + "." + std::string(60, 'y') + "." + std::string(60, 'z') +
                 "." + std::string(60, 'w');
  auto d = expand_domain("%{l}.example.com", c);
  ASSERT_TRUE(d);
  EXPECT_LE(d->size(), 253u);
  EXPECT_EQ(d->substr(0, 3), "yyy");
}

// ---- check_host over the zone of RFC 7208 Appendix A ----

// The zone of RFC 7208 Appendix A (www.example.com's CNAME resolved).
std::unique_ptr<dns::FakeResolver> appendix_a_zone() {
  auto z = std::make_unique<dns::FakeResolver>();
  z->add_mx("example.com", 10, "mail-a.example.com");
  z->add_mx("example.com", 20, "mail-b.example.com");
  z->add_a("example.com", "192.0.2.10");
  z->add_a("example.com", "192.0.2.11");
  z->add_a("amy.example.com", "192.0.2.65");
  z->add_a("bob.example.com", "192.0.2.66");
  z->add_a("mail-a.example.com", "192.0.2.129");
  z->add_a("mail-b.example.com", "192.0.2.130");
  z->add_a("www.example.com", "192.0.2.10");
  z->add_a("www.example.com", "192.0.2.11");
  z->add_mx("example.org", 10, "mail-c.example.org");
  z->add_a("mail-c.example.org", "192.0.2.140");
  z->add_ptr("192.0.2.10", "example.com");
  z->add_ptr("192.0.2.11", "example.com");
  z->add_ptr("192.0.2.65", "amy.example.com");
  z->add_ptr("192.0.2.66", "bob.example.com");
  z->add_ptr("192.0.2.129", "mail-a.example.com");
  z->add_ptr("192.0.2.130", "mail-b.example.com");
  z->add_ptr("192.0.2.140", "mail-c.example.org");
  z->add_ptr("10.0.0.4", "bob.example.com");
  return z;
}

class Rfc7208Zone : public ::testing::Test {
 protected:
  // Evaluates `record` as example.com's policy for a client at `ip`.
  Verdict eval(const std::string& record, const char* ip) {
    auto r = appendix_a_zone();
    r->add_txt("example.com", record);
    return check_host(*r, ip, "example.com", "user@example.com", "helo.example.com").verdict;
  }
};

TEST_F(Rfc7208Zone, SimpleExamples) {
  EXPECT_EQ(eval("v=spf1 +all", "198.51.100.1"), Verdict::kPass);

  EXPECT_EQ(eval("v=spf1 a -all", "192.0.2.10"), Verdict::kPass);
  EXPECT_EQ(eval("v=spf1 a -all", "192.0.2.11"), Verdict::kPass);
  EXPECT_EQ(eval("v=spf1 a -all", "192.0.2.12"), Verdict::kFail);

  EXPECT_EQ(eval("v=spf1 a:example.org -all", "192.0.2.140"), Verdict::kFail);

  EXPECT_EQ(eval("v=spf1 mx -all", "192.0.2.129"), Verdict::kPass);
  EXPECT_EQ(eval("v=spf1 mx -all", "192.0.2.130"), Verdict::kPass);
  EXPECT_EQ(eval("v=spf1 mx -all", "192.0.2.10"), Verdict::kFail);

  EXPECT_EQ(eval("v=spf1 mx:example.org -all", "192.0.2.140"), Verdict::kPass);
  EXPECT_EQ(eval("v=spf1 mx:example.org -all", "192.0.2.129"), Verdict::kFail);

  for (const char* ip : {"192.0.2.129", "192.0.2.130", "192.0.2.140"})
    EXPECT_EQ(eval("v=spf1 mx mx:example.org -all", ip), Verdict::kPass) << ip;

  for (const char* ip : {"192.0.2.128", "192.0.2.131", "192.0.2.141", "192.0.2.143"})
    EXPECT_EQ(eval("v=spf1 mx/30 mx:example.org/30 -all", ip), Verdict::kPass) << ip;
  EXPECT_EQ(eval("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.132"), Verdict::kFail);

  EXPECT_EQ(eval("v=spf1 ptr -all", "192.0.2.65"), Verdict::kPass);
  EXPECT_EQ(eval("v=spf1 ptr -all", "192.0.2.140"), Verdict::kFail);
  EXPECT_EQ(eval("v=spf1 ptr -all", "10.0.0.4"), Verdict::kFail);

  EXPECT_EQ(eval("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.65"), Verdict::kFail);
  EXPECT_EQ(eval("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.129"), Verdict::kPass);
}

TEST_F(Rfc7208Zone, MultipleDomains) {
  // A.2: la.example.com includes example.com and example.net.
  auto zone = appendix_a_zone();
  dns::FakeResolver& r = *zone;
  r.add_txt("la.example.com", "v=spf1 include:example.com include:example.net -all");
  r.add_txt("example.com", "v=spf1 mx -all");
  r.add_txt("example.net", "v=spf1 ip4:198.51.100.0/24 ~all");
  auto check = [&](const char* ip) {
    return check_host(r, ip, "la.example.com", "a@la.example.com", "h.example").verdict;
  };
  EXPECT_EQ(check("192.0.2.129"), Verdict::kPass);
  EXPECT_EQ(check("198.51.100.7"), Verdict::kPass);
  EXPECT_EQ(check("203.0.113.1"), Verdict::kFail);  // the includes' fail/softfail do not match
}

TEST_F(Rfc7208Zone, DnsblStyle) {
  // A.3: users allowed by DNS entries under _spf.example.com.
  auto zone = appendix_a_zone();
  dns::FakeResolver& r = *zone;
  r.add_txt("example.com",
            "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all");
  r.add_txt("mobile-users._spf.example.com", "v=spf1 exists:%{l1r+}.%{d}");
  r.add_txt("remote-users._spf.example.com", "v=spf1 exists:%{ir}.%{l1r+}.%{d}");
  r.add_a("mary.mobile-users._spf.example.com", "127.0.0.2");
  r.add_a("fred.mobile-users._spf.example.com", "127.0.0.2");
  r.add_a("15.15.168.192.joel.remote-users._spf.example.com", "127.0.0.2");
  r.add_a("16.15.168.192.joel.remote-users._spf.example.com", "127.0.0.2");
  auto check = [&](const char* ip, const char* sender) {
    return check_host(r, ip, "example.com", sender, "h.example").verdict;
  };
  EXPECT_EQ(check("203.0.113.9", "mary@example.com"), Verdict::kPass);
  EXPECT_EQ(check("203.0.113.9", "fred+spam@example.com"), Verdict::kPass);  // %{l1r+}
  EXPECT_EQ(check("192.168.15.15", "joel@example.com"), Verdict::kPass);
  EXPECT_EQ(check("192.168.15.17", "joel@example.com"), Verdict::kFail);
  EXPECT_EQ(check("203.0.113.9", "bob@example.com"), Verdict::kFail);
}

TEST_F(Rfc7208Zone, MultipleRequirements) {
  // A.4: the client must be in 192.0.2.0/24 and have a validated name in example.com.
  auto zone = appendix_a_zone();
  dns::FakeResolver& r = *zone;
  r.add_txt("example.com", "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all");
  r.add_txt("ip4._spf.example.com", "v=spf1 -ip4:192.0.2.0/24 +all");
  r.add_txt("ptr._spf.example.com", "v=spf1 -ptr:example.com +all");
  auto check = [&](const char* ip) {
    return check_host(r, ip, "example.com", "a@example.com", "h.example").verdict;
  };
  EXPECT_EQ(check("192.0.2.65"), Verdict::kPass);
  EXPECT_EQ(check("192.0.2.140"), Verdict::kFail);  // name in example.org
  EXPECT_EQ(check("10.0.0.4"), Verdict::kFail);     // outside the network
}

// ---- results, errors and limits ----

Outcome run(dns::FakeResolver& r, const char* ip = "192.0.2.1",
            const char* domain = "example.com") {
  return check_host(r, ip, domain, std::string("user@") + domain, "helo.example.com");
}

TEST(Check, Qualifiers) {
  for (auto [record, want] : std::vector<std::pair<const char*, Verdict>>{
           {"v=spf1 -all", Verdict::kFail},
           {"v=spf1 ~all", Verdict::kSoftFail},
           {"v=spf1 ?all", Verdict::kNeutral},
           {"v=spf1 all", Verdict::kPass},
           {"v=spf1", Verdict::kNeutral},
           {"v=spf1 ip4:10.0.0.0/8", Verdict::kNeutral},
       }) {
    dns::FakeResolver r;
    r.add_txt("example.com", record);
    EXPECT_EQ(run(r).verdict, want) << record;
  }
}

TEST(Check, NoneAndRecordSelection) {
  dns::FakeResolver r;
  EXPECT_EQ(run(r).verdict, Verdict::kNone);  // NXDOMAIN
  r.add_txt("example.com", "google-site-verification=abc");
  EXPECT_EQ(run(r).verdict, Verdict::kNone);  // no v=spf1 record
  r.add_txt("example.com", "v=spf1 -all");
  auto one = run(r);
  EXPECT_EQ(one.verdict, Verdict::kFail);
  EXPECT_EQ(one.mechanism, "-all");
  r.add_txt("example.com", "v=spf1 +all");
  EXPECT_EQ(run(r).verdict, Verdict::kPermError);                       // two records
  EXPECT_EQ(run(r, "192.0.2.1", "localhost").verdict, Verdict::kNone);  // single label
  EXPECT_EQ(run(r, "192.0.2.1", "a..b").verdict, Verdict::kNone);
  EXPECT_EQ(run(r, "not-an-ip").verdict, Verdict::kPermError);
  // An address literal as HELO is not a domain (RFC 7208 §2.3).
  EXPECT_EQ(check_helo(r, "192.0.2.1", "[192.0.2.1]").verdict, Verdict::kNone);
  EXPECT_EQ(check_helo(r, "192.0.2.1", "192.0.2.1").verdict, Verdict::kNone);
}

TEST(Check, SyntaxErrorIsPermError) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 ip4:192.0.2.1 bogus -all");
  EXPECT_EQ(run(r).verdict, Verdict::kPermError);
}

TEST(Check, TempErrors) {
  dns::FakeResolver r;
  r.set_failure("example.com", dns::RrType::kTxt, Errc::kTemporary);
  EXPECT_EQ(run(r).verdict, Verdict::kTempError);
  r.clear();
  r.add_txt("example.com", "v=spf1 a:down.example.net -all");
  r.set_failure("down.example.net", dns::RrType::kA, Errc::kTemporary);
  EXPECT_EQ(run(r).verdict, Verdict::kTempError);
  r.clear();
  r.add_txt("example.com", "v=spf1 include:down.example.net -all");
  r.set_failure("down.example.net", dns::RrType::kTxt, Errc::kTemporary);
  EXPECT_EQ(run(r).verdict, Verdict::kTempError);
}

TEST(Check, IncludeOfDomainWithoutRecordIsPermError) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 include:nothing.example.net -all");
  EXPECT_EQ(run(r).verdict, Verdict::kPermError);
}

TEST(Check, Redirect) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 redirect=_spf.example.net");
  r.add_txt("_spf.example.net", "v=spf1 ip4:192.0.2.0/24 -all");
  EXPECT_EQ(run(r).verdict, Verdict::kPass);
  EXPECT_EQ(run(r, "198.51.100.1").verdict, Verdict::kFail);
  r.clear();
  r.add_txt("example.com", "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net");
  EXPECT_EQ(run(r).verdict, Verdict::kPass);  // mechanisms first; redirect never fetched
  EXPECT_EQ(r.query_count(), 1u);
  EXPECT_EQ(run(r, "198.51.100.1").verdict, Verdict::kPermError);  // target has no record
  r.clear();
  r.add_txt("example.com", "v=spf1 -all redirect=_spf.example.net");
  EXPECT_EQ(run(r).verdict, Verdict::kFail);  // "all" wins over redirect
  r.clear();
  // %{d} in the redirect target is the redirecting domain; inside the target it is the target.
  r.add_txt("example.com", "v=spf1 redirect=_spf.%{d}");
  r.add_txt("_spf.example.com", "v=spf1 a:%{d} -all");
  r.add_a("_spf.example.com", "192.0.2.1");
  EXPECT_EQ(run(r).verdict, Verdict::kPass);
}

TEST(Check, TenLookupLimit) {
  dns::FakeResolver r;
  std::string rec = "v=spf1";
  for (int i = 0; i < 10; ++i) {
    std::string d = "i" + std::to_string(i) + ".example.com";
    rec += " include:" + d;
    r.add_txt(d, "v=spf1 ip4:10.0.0." + std::to_string(i) + " -all");
  }
  r.add_txt("example.com", rec + " -all");
  auto ten = run(r, "10.0.0.9");
  EXPECT_EQ(ten.verdict, Verdict::kPass);
  EXPECT_EQ(ten.dns_lookups, 10);
  EXPECT_EQ(run(r, "10.0.0.100").verdict, Verdict::kFail);

  r.clear();
  r.add_txt("example.com", rec + " a -all");  // the 11th lookup
  for (int i = 0; i < 10; ++i) r.add_txt("i" + std::to_string(i) + ".example.com", "v=spf1 -all");
  r.add_a("example.com", "10.0.0.100");
  auto eleven = run(r, "10.0.0.100");
  EXPECT_EQ(eleven.verdict, Verdict::kPermError);
  EXPECT_NE(eleven.reason.find("10 DNS lookups"), std::string::npos) << eleven.reason;
  // ip4/all cost nothing: a match before the limit still passes.
  r.clear();
  r.add_txt("example.com", "v=spf1 ip4:10.0.0.100 " + rec.substr(7) + " a -all");
  EXPECT_EQ(run(r, "10.0.0.100").verdict, Verdict::kPass);
}

TEST(Check, LimitsCountNestedLookups) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 include:a.example.com include:b.example.com -all");
  r.add_txt("a.example.com", "v=spf1 a a a a a -all");    // 1 + 5
  r.add_txt("b.example.com", "v=spf1 mx mx mx mx ?all");  // 1 + 4 = 11 in total
  for (const char* n : {"a.example.com", "b.example.com"}) r.add_a(n, "198.51.100.1");
  r.add_mx("b.example.com", 10, "a.example.com");
  EXPECT_EQ(run(r).verdict, Verdict::kPermError);
}

TEST(Check, VoidLookupLimit) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 a:n1.example.com a:n2.example.com ip4:192.0.2.1 -all");
  EXPECT_EQ(run(r).verdict, Verdict::kPass);  // two void lookups are allowed
  r.clear();
  r.add_txt("example.com",
            "v=spf1 a:n1.example.com mx:n2.example.com exists:n3.example.com ip4:192.0.2.1 -all");
  auto o = run(r);
  EXPECT_EQ(o.verdict, Verdict::kPermError);
  EXPECT_EQ(o.void_lookups, 3);
}

// "mx" on a name that exists without MX records ("nodata", which the resolver answers as no
// records, validated or not) is a void lookup like NXDOMAIN (RFC 7208 §4.6.4).
TEST(Check, MxNodataIsVoid) {
  dns::FakeResolver r;
  r.add_txt("example.com",
            "v=spf1 mx:n1.example.com mx:n2.example.com mx:n3.example.com ip4:192.0.2.1 -all");
  r.add_a("n1.example.com", "198.51.100.1");
  r.add_txt("n2.example.com", "x");
  r.set_secure("n3.example.com", dns::RrType::kMx);  // a validated denial
  auto o = run(r);
  EXPECT_EQ(o.verdict, Verdict::kPermError) << o.reason;
  EXPECT_EQ(o.void_lookups, 3);
  r.add_mx("n3.example.com", 10, "n1.example.com");
  auto two = run(r);
  EXPECT_EQ(two.verdict, Verdict::kPass) << two.reason;
  EXPECT_EQ(two.void_lookups, 2);
}

TEST(Check, MxLimit) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 mx -all");
  for (int i = 0; i < 11; ++i) {
    std::string host = "mx" + std::to_string(i) + ".example.com";
    r.add_mx("example.com", static_cast<uint16_t>(i), host);
    r.add_a(host, "198.51.100." + std::to_string(i));
  }
  EXPECT_EQ(run(r, "198.51.100.0").verdict, Verdict::kPermError);
}

TEST(Check, IncludeLoopsEndInPermError) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 include:loop.example.net -all");
  r.add_txt("loop.example.net", "v=spf1 include:example.com -all");
  EXPECT_EQ(run(r).verdict, Verdict::kPermError);
  r.clear();
  r.add_txt("example.com", "v=spf1 redirect=example.com");
  auto self = run(r);
  EXPECT_EQ(self.verdict, Verdict::kPermError);
  EXPECT_LE(self.dns_lookups, 11);
}

TEST(Check, Ipv6) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 ip6:2001:db8:1::/48 a mx -all");
  r.add_aaaa("example.com", "2001:db8:2::25");
  r.add_a("example.com", "192.0.2.25");
  r.add_mx("example.com", 10, "mx.example.com");
  r.add_aaaa("mx.example.com", "2001:db8:3::25");
  EXPECT_EQ(run(r, "2001:db8:1:ffff::1").verdict, Verdict::kPass);
  EXPECT_EQ(run(r, "2001:db8:2::25").verdict, Verdict::kPass);  // a -> AAAA
  EXPECT_EQ(run(r, "2001:db8:3::25").verdict, Verdict::kPass);  // mx -> AAAA
  EXPECT_EQ(run(r, "2001:db8:4::25").verdict, Verdict::kFail);
  EXPECT_EQ(run(r, "::ffff:192.0.2.25").verdict, Verdict::kPass);  // mapped IPv4 uses A
  r.clear();
  r.add_txt("example.com", "v=spf1 ip6:::ffff:192.0.2.0/120 -all");
  EXPECT_EQ(run(r, "::ffff:192.0.2.25").verdict, Verdict::kFail);  // ip6 never matches IPv4
  EXPECT_EQ(run(r, "192.0.2.25").verdict, Verdict::kFail);
  r.clear();
  r.add_txt("example.com", "v=spf1 a//64 ip4:192.0.2.0/24 -all");
  r.add_aaaa("example.com", "2001:db8:2::25");
  EXPECT_EQ(run(r, "2001:db8:2::ffff").verdict, Verdict::kPass);
  EXPECT_EQ(run(r, "2001:db8:2:1::1").verdict, Verdict::kFail);
  EXPECT_EQ(run(r, "192.0.2.200").verdict, Verdict::kPass);
}

TEST(Check, ExistsUsesAEvenForIpv6) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 exists:%{ir}.%{v}.allow.example.com -all");
  r.add_a("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.allow.example.com",
          "127.0.0.2");
  EXPECT_EQ(run(r, "2001:db8::1").verdict, Verdict::kPass);
  EXPECT_EQ(run(r, "2001:db8::2").verdict, Verdict::kFail);
}

TEST(Check, MailFromAndHelo) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  r.add_txt("mx.example.org", "v=spf1 a -all");
  r.add_a("mx.example.org", "198.51.100.5");
  EXPECT_EQ(check_mail_from(r, "192.0.2.1", "mx.example.org", "a@example.com").verdict,
            Verdict::kPass);
  auto bounce = check_mail_from(r, "198.51.100.5", "mx.example.org", "");
  EXPECT_EQ(bounce.verdict, Verdict::kPass);
  EXPECT_EQ(bounce.domain, "mx.example.org");
  EXPECT_EQ(check_helo(r, "192.0.2.1", "mx.example.org").verdict, Verdict::kFail);
  EXPECT_STREQ(verdict_name(Verdict::kSoftFail), "softfail");
  EXPECT_STREQ(verdict_name(Verdict::kPermError), "permerror");
}

TEST(Check, SenderWithoutLocalPartIsPostmaster) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 exists:%{l}.users.example.com -all");
  r.add_a("postmaster.users.example.com", "127.0.0.2");
  EXPECT_EQ(check_host(r, "192.0.2.1", "example.com", "example.com", "h.example").verdict,
            Verdict::kPass);
  EXPECT_EQ(check_host(r, "192.0.2.1", "example.com", "@example.com", "h.example").verdict,
            Verdict::kPass);
}

TEST(Check, TimeLimitIsTempError) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 ip4:192.0.2.1 a -all");
  Limits none;
  none.time_limit = std::chrono::milliseconds(-1);
  auto o = check_host(r, "192.0.2.1", "example.com", "a@example.com", "h", none);
  EXPECT_EQ(o.verdict, Verdict::kTempError);
  EXPECT_EQ(r.query_count(), 0u);
}

// The client 192.0.2.1 has ten PTR names, none of which validates (their A records point
// elsewhere): finding that out costs one PTR and ten A queries.
void add_unvalidated_ptr_names(dns::FakeResolver& r) {
  for (int i = 0; i < 10; ++i) {
    std::string host = "h" + std::to_string(i) + ".example.net";
    r.add_ptr("192.0.2.1", host);
    r.add_a(host, "198.51.100.1");
  }
}

size_t queries_of(const dns::FakeResolver& r, dns::RrType type, std::string_view suffix = "") {
  size_t n = 0;
  for (const auto& q : r.queries())
    if (q.type == type && q.name.size() >= suffix.size() &&
        q.name.compare(q.name.size() - suffix.size(), suffix.size(), suffix) == 0)
      ++n;
  return n;
}

// §4.6.4: %{p} is looked up once per check_host (memoized across terms, includes and the "ptr"
// mechanism) and its PTR query counts toward the 10 lookups.
TEST(Check, ValidatedNameIsLookedUpOnceAndCounted) {
  dns::FakeResolver r;
  add_unvalidated_ptr_names(r);
  r.add_txt("example.com",
            "v=spf1 exists:%{p}.a.example.com exists:%{p}.%{p}.%{p}.b.example.com "
            "include:inc.example.com ptr -all");
  r.add_txt("inc.example.com", "v=spf1 a:%{p}.%{p}.c.example.com -all");
  r.add_a("unknown.a.example.com", "127.0.0.2");  // not a void lookup
  r.add_a("unknown.unknown.unknown.b.example.com", "127.0.0.2");
  r.add_a("unknown.unknown.c.example.com", "127.0.0.3");
  // exists:%{p}.a matches: the first %{p} alone.
  auto first = run(r);
  EXPECT_EQ(first.verdict, Verdict::kPass) << first.reason;
  EXPECT_EQ(first.dns_lookups, 2);  // exists + %{p}

  r.clear_queries();
  r.add_txt("other.example.com",
            "v=spf1 exists:%{p}.%{p}.x.example.com exists:%{p}.y.example.com "
            "include:inc.example.com ptr -all");
  // unknown.unknown.x and unknown.y have no address: two void lookups, allowed.
  auto all = run(r, "192.0.2.1", "other.example.com");
  EXPECT_EQ(all.verdict, Verdict::kFail) << all.reason;
  EXPECT_EQ(all.dns_lookups, 6);  // exists, exists, include, a, ptr + one for %{p}
  EXPECT_EQ(queries_of(r, dns::RrType::kPtr), 1u);
  EXPECT_EQ(queries_of(r, dns::RrType::kA, ".example.net"), 10u);

  // 9 terms + %{p} is the limit; one term more is permerror.
  std::string nine = "v=spf1";
  for (int i = 0; i < 8; ++i) nine += " a:n" + std::to_string(i) + ".example.com";
  for (int i = 0; i < 9; ++i) r.add_a("n" + std::to_string(i) + ".example.com", "198.51.100.9");
  r.add_a("unknown.x.example.com", "127.0.0.2");
  r.add_txt("ten.example.com", nine + " exists:%{p}.x.example.com -all");
  auto ten = run(r, "192.0.2.1", "ten.example.com");
  EXPECT_EQ(ten.verdict, Verdict::kPass) << ten.reason;
  EXPECT_EQ(ten.dns_lookups, 10);
  r.add_txt("eleven.example.com", nine + " a:n8.example.com exists:%{p}.x.example.com -all");
  auto eleven = run(r, "192.0.2.1", "eleven.example.com");
  EXPECT_EQ(eleven.verdict, Verdict::kPermError);
  EXPECT_NE(eleven.reason.find("10 DNS lookups"), std::string::npos) << eleven.reason;
}

// A FakeResolver whose PTR answers take `delay`, to spend the time budget inside %{p} and "ptr".
class SlowPtr final : public dns::Resolver {
 public:
  SlowPtr(dns::FakeResolver& r, std::chrono::milliseconds delay) : r_(r), delay_(delay) {}
  Result<dns::Answer<std::string>> txt(std::string_view n) override { return r_.txt(n); }
  Result<dns::Answer<dns::MxRecord>> mx(std::string_view n) override { return r_.mx(n); }
  Result<dns::Answer<std::string>> a(std::string_view n) override { return r_.a(n); }
  Result<dns::Answer<std::string>> aaaa(std::string_view n) override { return r_.aaaa(n); }
  Result<dns::Answer<dns::TlsaRecord>> tlsa(std::string_view n) override { return r_.tlsa(n); }
  Result<dns::Answer<std::string>> ptr(std::string_view ip) override {
    std::this_thread::sleep_for(delay_);
    return r_.ptr(ip);
  }

 private:
  dns::FakeResolver& r_;
  std::chrono::milliseconds delay_;
};

TEST(Check, TimeBudgetIsCheckedBetweenPtrValidations) {
  Limits limits;
  limits.time_limit = std::chrono::milliseconds(20);
  for (const char* record : {"v=spf1 exists:%{p}.example.com -all", "v=spf1 ptr -all"}) {
    dns::FakeResolver r;
    add_unvalidated_ptr_names(r);
    r.add_txt("example.com", record);
    SlowPtr slow(r, std::chrono::milliseconds(50));
    auto o = check_host(slow, "192.0.2.1", "example.com", "a@example.com", "h", limits);
    EXPECT_EQ(o.verdict, Verdict::kTempError) << record << ": " << o.reason;
    EXPECT_EQ(queries_of(r, dns::RrType::kA), 0u) << record;
  }
}

TEST(Check, NullMxIsSkipped) {
  dns::FakeResolver r;
  r.add_txt("example.com", "v=spf1 mx -all");
  r.add_mx("example.com", 0, ".");
  EXPECT_EQ(run(r).verdict, Verdict::kFail);
}

// ---- end to end: the libunbound resolver against a real DNS server on loopback ----

TEST(RealDns, CheckHostThroughUnbound) {
  if (!dns::LocalDnsServer::available()) GTEST_SKIP() << "unbound is not installed";
  dns::LocalZoneData z;
  z.static_zones = {"example.test."};
  z.local_data = {
      // One record in three strings: joined without spaces (RFC 7208 §3.3).
      "example.test. IN TXT \"v=spf1 mx include:_spf.\" \"example.test ip6:2001:db8:5::/48\" "
      "\" -all\"",
      "example.test. IN TXT \"google-site-verification=xyz\"",
      "example.test. IN MX 10 mx.example.test.",
      "mx.example.test. IN A 192.0.2.25",
      "_spf.example.test. IN TXT \"v=spf1 a:relay.example.test ~all\"",
      "relay.example.test. IN A 198.51.100.7",
      "two.example.test. IN TXT \"v=spf1 -all\"",
      "two.example.test. IN TXT \"v=spf1 +all\"",
  };
  auto server = dns::LocalDnsServer::start(z);
  ASSERT_TRUE(server) << server.error().message;
  dns::ResolverOptions opts;
  opts.forwarder = (*server)->forwarder();
  auto resolver = dns::make_unbound_resolver(opts);
  ASSERT_TRUE(resolver) << resolver.error().message;
  dns::Resolver& r = **resolver;
  auto from = [&](const char* ip, const char* sender) {
    return check_mail_from(r, ip, "client.example.net", sender).verdict;
  };
  EXPECT_EQ(from("192.0.2.25", "a@example.test"), Verdict::kPass);    // mx
  EXPECT_EQ(from("198.51.100.7", "a@example.test"), Verdict::kPass);  // include -> a
  EXPECT_EQ(from("2001:db8:5::1", "a@example.test"), Verdict::kPass);
  EXPECT_EQ(from("203.0.113.1", "a@example.test"), Verdict::kFail);
  EXPECT_EQ(from("203.0.113.1", "a@nothing.example.test"), Verdict::kNone);
  EXPECT_EQ(from("203.0.113.1", "a@two.example.test"), Verdict::kPermError);
}

}  // namespace
}  // namespace tegami::spf
