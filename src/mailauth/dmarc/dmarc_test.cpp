// DMARC tests: record parsing, organizational domains, alignment, policy discovery, pct and sp,
// and the Authentication-Results builder, over FakeResolver.
#include <gtest/gtest.h>

#include "dns/fake_resolver.hpp"
#include "dns/local_server.hpp"
#include "mailauth/dmarc/auth_results.hpp"
#include "mailauth/dmarc/dmarc.hpp"
#include "mailauth/dmarc/record.hpp"

namespace tegami::dmarc {
namespace {

// ---- records ----

TEST(Record, ParsesTags) {
  auto r = parse_record(
      "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=s; pct=25; "
      "rua=mailto:agg@example.com,mailto:agg@example.net!10m; ruf=mailto:f@example.com; fo=1; "
      "rf=afrf; ri=3600; future=tag");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->p, Policy::kQuarantine);
  EXPECT_EQ(r->sp, Policy::kReject);
  EXPECT_EQ(r->adkim, Alignment::kStrict);
  EXPECT_EQ(r->aspf, Alignment::kStrict);
  EXPECT_EQ(r->pct, 25);
  EXPECT_EQ(r->rua,
            (std::vector<std::string>{"mailto:agg@example.com", "mailto:agg@example.net!10m"}));
  EXPECT_EQ(r->ruf, std::vector<std::string>{"mailto:f@example.com"});
  EXPECT_EQ(r->fo, "1");
  EXPECT_EQ(r->ri, 3600u);
  EXPECT_FALSE(r->p_defaulted);
}

TEST(Record, DefaultsAndSpacing) {
  auto r = parse_record("v = DMARC1 ;p = reject;");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->p, Policy::kReject);
  EXPECT_FALSE(r->sp);
  EXPECT_EQ(r->adkim, Alignment::kRelaxed);
  EXPECT_EQ(r->aspf, Alignment::kRelaxed);
  EXPECT_EQ(r->pct, 100);
  EXPECT_EQ(r->ri, 86400u);
  // Invalid optional values fall back to defaults (§6.3).
  auto bad = parse_record("v=DMARC1; p=none; adkim=x; pct=150; ri=abc");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->adkim, Alignment::kRelaxed);
  EXPECT_EQ(bad->pct, 100);
  EXPECT_EQ(bad->ri, 86400u);
}

TEST(Record, Invalid) {
  EXPECT_FALSE(parse_record("p=reject; v=DMARC1"));  // v must come first
  EXPECT_FALSE(parse_record("v=dmarc1; p=reject"));  // exact value
  EXPECT_FALSE(parse_record("v=DMARC1"));            // no p, no rua
  EXPECT_FALSE(parse_record("v=DMARC1; p=bogus"));
  EXPECT_FALSE(parse_record("v=DMARC1; p=reject; sp=bogus"));
  EXPECT_FALSE(parse_record("v=spf1 -all"));
  EXPECT_FALSE(is_dmarc_record("v=DMARC10; p=none"));
  // §6.6.3 step 6: no valid p but a valid rua -> p=none.
  auto r = parse_record("v=DMARC1; p=bogus; rua=mailto:d@example.com");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->p, Policy::kNone);
  EXPECT_TRUE(r->p_defaulted);
}

// ---- organizational domain and alignment ----

TEST(Alignment, OrganizationalDomain) {
  EXPECT_EQ(organizational_domain("mail.Example.COM."), "example.com");
  EXPECT_EQ(organizational_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(organizational_domain("example.com"), "example.com");
  EXPECT_EQ(organizational_domain("co.uk"), "co.uk");  // a public suffix stays itself
}

TEST(Alignment, RelaxedAndStrict) {
  EXPECT_TRUE(aligned("example.com", "EXAMPLE.com.", Alignment::kStrict));
  EXPECT_FALSE(aligned("mail.example.com", "example.com", Alignment::kStrict));
  EXPECT_TRUE(aligned("mail.example.com", "example.com", Alignment::kRelaxed));
  EXPECT_TRUE(aligned("a.example.com", "b.example.com", Alignment::kRelaxed));
  EXPECT_FALSE(aligned("example.net", "example.com", Alignment::kRelaxed));
  EXPECT_FALSE(aligned("example.co.uk", "other.co.uk", Alignment::kRelaxed));
  EXPECT_FALSE(aligned("", "example.com", Alignment::kRelaxed));
}

// ---- evaluation ----

Input input(const char* from, spf::Verdict spf_result, const char* spf_domain,
            std::vector<DkimSignatureResult> dkim = {}) {
  Input in;
  in.from_domain = from;
  in.spf = spf_result;
  in.spf_domain = spf_domain;
  in.dkim = std::move(dkim);
  return in;
}

int always(int v) { return v; }

TEST(Evaluate, NoPolicyIsNone) {
  dns::FakeResolver r;
  auto ev = evaluate(r, input("example.com", spf::Verdict::kPass, "example.com"));
  EXPECT_EQ(ev.verdict, Verdict::kNone);
  EXPECT_EQ(ev.disposition, Policy::kNone);
  EXPECT_FALSE(ev.record);
}

TEST(Evaluate, SpfAlignedPass) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  auto ev = evaluate(r, input("example.com", spf::Verdict::kPass, "bounces.example.com"));
  EXPECT_EQ(ev.verdict, Verdict::kPass);
  EXPECT_TRUE(ev.spf_aligned);
  EXPECT_FALSE(ev.dkim_aligned);
  EXPECT_EQ(ev.disposition, Policy::kNone);
  EXPECT_EQ(ev.policy, Policy::kReject);
  EXPECT_EQ(ev.policy_domain, "example.com");
}

TEST(Evaluate, StrictSpfAlignmentFails) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; aspf=s");
  auto ev = evaluate(r, input("example.com", spf::Verdict::kPass, "bounces.example.com"));
  EXPECT_EQ(ev.verdict, Verdict::kFail);
  EXPECT_EQ(ev.disposition, Policy::kReject);
}

TEST(Evaluate, DkimAlignment) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine; adkim=s");
  // Unaligned pass and aligned fail do not count; an aligned pass does.
  auto in = input("example.com", spf::Verdict::kFail, "example.com",
                  {{"esp.example.net", "s1", DkimResult::kPass, ""},
                   {"example.com", "s2", DkimResult::kFail, ""},
                   {"mail.example.com", "s3", DkimResult::kPass, ""}});
  auto ev = evaluate(r, in);
  EXPECT_EQ(ev.verdict, Verdict::kFail);  // strict: mail.example.com != example.com
  EXPECT_EQ(ev.disposition, Policy::kQuarantine);
  in.dkim.push_back({"Example.COM", "s4", DkimResult::kPass, ""});
  ev = evaluate(r, in);
  EXPECT_EQ(ev.verdict, Verdict::kPass);
  EXPECT_TRUE(ev.dkim_aligned);
  EXPECT_EQ(ev.aligned_dkim_domain, "example.com");
}

TEST(Evaluate, SpfPassForOtherDomainDoesNotAlign) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  auto ev = evaluate(r, input("example.com", spf::Verdict::kPass, "example.net",
                              {{"example.net", "s", DkimResult::kPass, ""}}));
  EXPECT_EQ(ev.verdict, Verdict::kFail);
  EXPECT_EQ(ev.disposition, Policy::kReject);
  // SPF softfail for the right domain is not a pass either.
  ev = evaluate(r, input("example.com", spf::Verdict::kSoftFail, "example.com"));
  EXPECT_EQ(ev.verdict, Verdict::kFail);
}

TEST(Evaluate, OrganizationalDomainFallbackAndSp) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
  auto ev = evaluate(r, input("news.example.com", spf::Verdict::kFail, "news.example.com"));
  EXPECT_EQ(ev.verdict, Verdict::kFail);
  EXPECT_EQ(ev.policy_domain, "example.com");
  EXPECT_TRUE(ev.subdomain_policy);
  EXPECT_EQ(ev.policy, Policy::kQuarantine);
  EXPECT_EQ(ev.disposition, Policy::kQuarantine);
  auto q = r.queries();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].name, "_dmarc.news.example.com");
  EXPECT_EQ(q[1].name, "_dmarc.example.com");
  // Without sp the subdomain gets p.
  dns::FakeResolver r2;
  r2.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  ev = evaluate(r2, input("news.example.com", spf::Verdict::kFail, "news.example.com"));
  EXPECT_EQ(ev.policy, Policy::kReject);
  // A record at the From domain itself wins and sp does not apply to it.
  r.add_txt("_dmarc.news.example.com", "v=DMARC1; p=none; sp=reject");
  ev = evaluate(r, input("news.example.com", spf::Verdict::kFail, "news.example.com"));
  EXPECT_EQ(ev.policy_domain, "news.example.com");
  EXPECT_FALSE(ev.subdomain_policy);
  EXPECT_EQ(ev.policy, Policy::kNone);
  EXPECT_EQ(ev.disposition, Policy::kNone);
}

TEST(Evaluate, Pct) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=20");
  auto in = input("example.com", spf::Verdict::kFail, "example.com");
  auto picked = evaluate(r, in, [] { return always(19); });
  EXPECT_EQ(picked.disposition, Policy::kReject);
  EXPECT_FALSE(picked.sampled_out);
  auto spared = evaluate(r, in, [] { return always(20); });
  EXPECT_EQ(spared.verdict, Verdict::kFail);
  EXPECT_EQ(spared.disposition, Policy::kQuarantine);  // reject lowered to quarantine
  EXPECT_TRUE(spared.sampled_out);

  dns::FakeResolver q;
  q.add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine; pct=0");
  auto none = evaluate(q, in, [] { return always(0); });
  EXPECT_EQ(none.disposition, Policy::kNone);  // quarantine lowered to none

  // The default random source stays in range and pct=100 never lowers.
  for (int i = 0; i < 200; ++i) {
    int v = default_pct_random();
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 100);
  }
  dns::FakeResolver full;
  full.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  EXPECT_EQ(evaluate(full, in, [] { return always(99); }).disposition, Policy::kReject);
}

TEST(Evaluate, RecordSelection) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "some other text");
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  auto in = input("example.com", spf::Verdict::kFail, "example.com");
  EXPECT_EQ(evaluate(r, in).verdict, Verdict::kFail);  // non-DMARC TXT ignored
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=none");
  EXPECT_EQ(evaluate(r, in).verdict, Verdict::kNone);  // two records: no policy
  dns::FakeResolver invalid;
  invalid.add_txt("_dmarc.example.com", "v=DMARC1; p=maybe");
  EXPECT_EQ(evaluate(invalid, in).verdict, Verdict::kNone);
}

TEST(Evaluate, UnusableRecordAtFromDomainStopsDiscovery) {
  // §6.6.3: only an empty set sends discovery on to the organizational domain; several records
  // or an invalid one end it with no DMARC processing.
  auto in = input("news.example.com", spf::Verdict::kFail, "news.example.com");
  dns::FakeResolver two;
  two.add_txt("_dmarc.news.example.com", "v=DMARC1; p=none");
  two.add_txt("_dmarc.news.example.com", "v=DMARC1; p=reject");
  two.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  EXPECT_EQ(evaluate(two, in).verdict, Verdict::kNone);
  EXPECT_EQ(two.query_count(), 1u);
  dns::FakeResolver invalid;
  invalid.add_txt("_dmarc.news.example.com", "v=DMARC1; p=maybe");
  invalid.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  EXPECT_EQ(evaluate(invalid, in).verdict, Verdict::kNone);
  dns::FakeResolver other;
  other.add_txt("_dmarc.news.example.com", "unrelated text");
  other.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  EXPECT_EQ(evaluate(other, in).verdict, Verdict::kFail);  // no v=DMARC1 record: go on
}

TEST(Evaluate, Errors) {
  dns::FakeResolver r;
  r.set_failure("_dmarc.example.com", dns::RrType::kTxt, Errc::kTemporary);
  auto in = input("example.com", spf::Verdict::kPass, "example.com");
  EXPECT_EQ(evaluate(r, in).verdict, Verdict::kTempError);
  EXPECT_EQ(evaluate(r, input("", spf::Verdict::kPass, "")).verdict, Verdict::kPermError);
  EXPECT_EQ(evaluate(r, input("localhost", spf::Verdict::kPass, "")).verdict, Verdict::kPermError);
  // Org-domain lookup failing temporarily is temperror too.
  dns::FakeResolver s;
  s.set_failure("_dmarc.example.com", dns::RrType::kTxt, Errc::kTemporary);
  EXPECT_EQ(evaluate(s, input("a.example.com", spf::Verdict::kPass, "a.example.com")).verdict,
            Verdict::kTempError);
}

// §6.6.2 needs a pass to be known; a DNS failure for an identifier that would align leaves it
// unknown: temperror (RFC 8601 §2.7.7) with no disposition, never fail.
TEST(Evaluate, TemporaryErrorOfAnAlignedIdentifierIsTempError) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  auto spf = evaluate(r, input("example.com", spf::Verdict::kTempError, "bounces.example.com"));
  EXPECT_EQ(spf.verdict, Verdict::kTempError);
  EXPECT_EQ(spf.disposition, Policy::kNone);
  EXPECT_EQ(spf.policy, Policy::kReject);

  DkimSignatureResult temp{"mail.example.com", "s1", DkimResult::kTempError, ""};
  auto dkim = evaluate(r, input("example.com", spf::Verdict::kFail, "example.com", {temp}));
  EXPECT_EQ(dkim.verdict, Verdict::kTempError);
  EXPECT_EQ(dkim.disposition, Policy::kNone);

  // An aligned pass still passes; a temperror for a domain that would not align changes nothing.
  DkimSignatureResult pass{"example.com", "s2", DkimResult::kPass, ""};
  EXPECT_EQ(
      evaluate(r, input("example.com", spf::Verdict::kTempError, "example.com", {pass})).verdict,
      Verdict::kPass);
  DkimSignatureResult other{"example.net", "s1", DkimResult::kTempError, ""};
  auto unaligned =
      evaluate(r, input("example.com", spf::Verdict::kTempError, "example.net", {other}));
  EXPECT_EQ(unaligned.verdict, Verdict::kFail);
  EXPECT_EQ(unaligned.disposition, Policy::kReject);

  // Strict alignment: a subdomain's temperror would not align either.
  dns::FakeResolver s;
  s.add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine; adkim=s; aspf=s");
  auto strict =
      evaluate(s, input("example.com", spf::Verdict::kTempError, "bounces.example.com", {temp}));
  EXPECT_EQ(strict.verdict, Verdict::kFail);
  EXPECT_EQ(strict.disposition, Policy::kQuarantine);
}

// §6.6.1: every author domain is evaluated; the strictest result decides (fail by disposition,
// then temperror, permerror, none, pass), the first one among equals.
TEST(EvaluateAuthors, StrictestAuthorDecides) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.pass.example", "v=DMARC1; p=reject");
  r.add_txt("_dmarc.none.example", "v=DMARC1; p=none");
  r.add_txt("_dmarc.quarantine.example", "v=DMARC1; p=quarantine");
  r.add_txt("_dmarc.reject.example", "v=DMARC1; p=reject");
  r.set_failure("_dmarc.temp.example", dns::RrType::kTxt, Errc::kTemporary);
  DkimSignatureResult sig{"pass.example", "s1", DkimResult::kPass, ""};
  const Input in = input("ignored.example", spf::Verdict::kNone, "", {sig});
  auto run = [&](const std::vector<std::string>& domains) {
    return evaluate_authors(r, in, domains);
  };

  auto reject = run({"pass.example", "Reject.Example.", "quarantine.example"});
  EXPECT_EQ(reject.from_domain, "reject.example");
  EXPECT_EQ(reject.evaluation.verdict, Verdict::kFail);
  EXPECT_EQ(reject.evaluation.disposition, Policy::kReject);
  auto quarantine = run({"none.example", "temp.example", "quarantine.example", "pass.example"});
  EXPECT_EQ(quarantine.from_domain, "quarantine.example");
  EXPECT_EQ(quarantine.evaluation.disposition, Policy::kQuarantine);
  auto fail = run({"pass.example", "temp.example", "none.example"});
  EXPECT_EQ(fail.from_domain, "none.example");
  EXPECT_EQ(fail.evaluation.verdict, Verdict::kFail);
  EXPECT_EQ(fail.evaluation.disposition, Policy::kNone);
  auto temp = run({"pass.example", "localhost", "temp.example", "nopolicy.example"});
  EXPECT_EQ(temp.from_domain, "temp.example");
  EXPECT_EQ(temp.evaluation.verdict, Verdict::kTempError);
  auto perm = run({"nopolicy.example", "localhost", "pass.example"});
  EXPECT_EQ(perm.from_domain, "localhost");
  EXPECT_EQ(perm.evaluation.verdict, Verdict::kPermError);
  auto none = run({"pass.example", "nopolicy.example"});
  EXPECT_EQ(none.from_domain, "nopolicy.example");
  EXPECT_EQ(none.evaluation.verdict, Verdict::kNone);
  auto pass = run({"pass.example", "PASS.example."});
  EXPECT_EQ(pass.from_domain, "pass.example");
  EXPECT_EQ(pass.evaluation.verdict, Verdict::kPass);
  auto nobody = run({});
  EXPECT_EQ(nobody.from_domain, "");
  EXPECT_EQ(nobody.evaluation.verdict, Verdict::kPermError);
  EXPECT_FALSE(nobody.too_many_authors);
}

TEST(EvaluateAuthors, TooManyAuthorDomainsAreNotLookedUp) {
  dns::FakeResolver r;
  std::vector<std::string> domains;
  for (int i = 0; i < 10; ++i) domains.push_back("a" + std::to_string(i) + ".example");
  domains.push_back("A0.example");  // the same domain again
  auto ten = evaluate_authors(r, input("", spf::Verdict::kNone, ""), domains);
  EXPECT_FALSE(ten.too_many_authors);
  EXPECT_EQ(ten.evaluation.verdict, Verdict::kNone);
  EXPECT_EQ(r.query_count(), 10u);
  r.clear_queries();
  domains.push_back("a10.example");
  auto eleven = evaluate_authors(r, input("", spf::Verdict::kNone, ""), domains);
  EXPECT_TRUE(eleven.too_many_authors);
  EXPECT_EQ(eleven.evaluation.verdict, Verdict::kPermError);
  EXPECT_EQ(eleven.from_domain, "");
  EXPECT_EQ(r.query_count(), 0u);
}

// ---- Authentication-Results ----

TEST(AuthResults, FullHeader) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  DkimSignatureResult sig{"example.com", "sel1", DkimResult::kPass, "abcdefghijkl"};
  auto ev = evaluate(r, input("example.com", spf::Verdict::kPass, "example.com", {sig}));
  AuthResultsBuilder b("mx.tegami.example");
  b.spf(spf::Verdict::kPass, "user@example.com", "client.example.com")
      .dkim(sig)
      .dmarc(ev, "example.com");
  EXPECT_EQ(b.value(),
            "mx.tegami.example; spf=pass smtp.mailfrom=user@example.com; dkim=pass "
            "header.d=example.com header.s=sel1 header.b=abcdefgh; dmarc=pass (p=reject "
            "dis=none) header.from=example.com");
  EXPECT_EQ(b.header(),
            "Authentication-Results: mx.tegami.example;\r\n"
            "\tspf=pass smtp.mailfrom=user@example.com;\r\n"
            "\tdkim=pass header.d=example.com header.s=sel1 header.b=abcdefgh;\r\n"
            "\tdmarc=pass (p=reject dis=none) header.from=example.com\r\n");
}

TEST(AuthResults, NullSenderNoneAndQuoting) {
  AuthResultsBuilder b("mx.tegami.example");
  EXPECT_EQ(b.value(), "mx.tegami.example; none");
  b.spf(spf::Verdict::kNone, "", "client.example.org").dkim_none();
  Evaluation none;
  b.dmarc(none, "example.org");
  EXPECT_EQ(b.value(),
            "mx.tegami.example; spf=none smtp.helo=client.example.org; dkim=none; dmarc=none "
            "header.from=example.org");
  AuthResultsBuilder q("mx.tegami.example");
  q.spf(spf::Verdict::kFail, "\"odd user\"@example.com", "h");
  EXPECT_EQ(q.value(),
            "mx.tegami.example; spf=fail smtp.mailfrom=\"\\\"odd user\\\"@example.com\"");
  // Header injection: CR/LF never reach the field.
  AuthResultsBuilder inj("mx\r\nX-Evil: 1");
  inj.spf(spf::Verdict::kPass, "a@example.com\r\nX-Evil: 2", "h");
  EXPECT_EQ(inj.header(false).find("\r\nX-Evil"), std::string::npos);
  EXPECT_EQ(ar_value("user.name+tag@example.com"), "user.name+tag@example.com");
  EXPECT_EQ(ar_value("example.com"), "example.com");
}

// RFC 8601 §2.2 pvalue: local-part@domain goes unquoted only when it is a dot-atom and a domain
// name; anything else (a HELO such as "x@y=z", empty atoms) is a quoted-string.
TEST(AuthResults, OnlyDotAtomAtDomainNameIsUnquoted) {
  EXPECT_EQ(ar_value("x@y=z"), "\"x@y=z\"");
  EXPECT_EQ(ar_value("a@b!c.example"), "\"a@b!c.example\"");
  EXPECT_EQ(ar_value("a..b@example.com"), "\"a..b@example.com\"");
  EXPECT_EQ(ar_value("a@example..com"), "\"a@example..com\"");
  EXPECT_EQ(ar_value("a@.example.com"), "\"a@.example.com\"");
  EXPECT_EQ(ar_value("a@"), "\"a@\"");
  EXPECT_EQ(ar_value("o'brien+x@mail-1.Example.com"), "o'brien+x@mail-1.Example.com");
  EXPECT_EQ(ar_value("@example.com"), "@example.com");
  AuthResultsBuilder b("mx");
  b.spf(spf::Verdict::kNone, "", "x@y=z");
  EXPECT_EQ(b.value(), "mx; spf=none smtp.helo=\"x@y=z\"");
}

TEST(AuthResults, PreformattedClause) {
  AuthResultsBuilder b("mx");
  b.clause("dkim=fail reason=\"body hash mismatch\" header.d=example.com\r\n;")
      .clause("")
      .clause(" ; ");
  EXPECT_EQ(b.value(), "mx; dkim=fail reason=\"body hash mismatch\" header.d=example.com");
}

TEST(AuthResults, DmarcFailWithDisposition) {
  dns::FakeResolver r;
  r.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
  auto ev = evaluate(r, input("example.com", spf::Verdict::kFail, "example.com"),
                     [] { return always(70); });
  AuthResultsBuilder b("mx");
  b.dmarc(ev, "example.com");
  EXPECT_EQ(b.value(), "mx; dmarc=fail (p=reject dis=quarantine) header.from=example.com");
}

// ---- end to end: SPF and DMARC through libunbound against a real DNS server on loopback ----

TEST(RealDns, EvaluateThroughUnbound) {
  if (!dns::LocalDnsServer::available()) GTEST_SKIP() << "unbound is not installed";
  dns::LocalZoneData z;
  z.static_zones = {"example.test."};
  z.local_data = {
      "example.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
      "_dmarc.example.test. IN TXT \"v=DMARC1; p=reject; sp=quarantine; \" "
      "\"rua=mailto:d@example.test\"",
  };
  auto server = dns::LocalDnsServer::start(z);
  ASSERT_TRUE(server) << server.error().message;
  dns::ResolverOptions opts;
  opts.forwarder = (*server)->forwarder();
  auto resolver = dns::make_unbound_resolver(opts);
  ASSERT_TRUE(resolver) << resolver.error().message;
  dns::Resolver& r = **resolver;

  auto spf_ok = spf::check_mail_from(r, "192.0.2.9", "c.example.net", "a@example.test");
  ASSERT_EQ(spf_ok.verdict, spf::Verdict::kPass);
  Input in;
  in.from_domain = "example.test";
  in.spf = spf_ok.verdict;
  in.spf_domain = spf_ok.domain;
  auto pass = evaluate(r, in);
  EXPECT_EQ(pass.verdict, Verdict::kPass);
  ASSERT_TRUE(pass.record);
  EXPECT_EQ(pass.record->rua, std::vector<std::string>{"mailto:d@example.test"});

  auto spf_bad = spf::check_mail_from(r, "203.0.113.1", "c.example.net", "a@example.test");
  in.spf = spf_bad.verdict;
  in.from_domain = "news.example.test";  // no _dmarc.news: the org domain's sp applies
  auto fail = evaluate(r, in);
  EXPECT_EQ(fail.verdict, Verdict::kFail);
  EXPECT_EQ(fail.policy_domain, "example.test");
  EXPECT_EQ(fail.disposition, Policy::kQuarantine);

  AuthResultsBuilder b("mx.example.test");
  b.spf(spf_bad.verdict, "a@example.test", "c.example.net").dkim_none().dmarc(fail, in.from_domain);
  EXPECT_EQ(b.value(),
            "mx.example.test; spf=fail smtp.mailfrom=a@example.test; dkim=none; dmarc=fail "
            "(p=quarantine dis=quarantine) header.from=news.example.test");
}

}  // namespace
}  // namespace tegami::dmarc
