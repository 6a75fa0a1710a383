// Tests: RDATA decoding, names, FakeResolver, and the libunbound resolver against a real unbound
// server on loopback (skipped when /usr/sbin/unbound is missing).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "dns/fake_resolver.hpp"
#include "dns/local_server.hpp"
#include "dns/rdata.hpp"
#include "dns/resolver.hpp"

namespace tegami::dns {
namespace {

using namespace std::string_literals;

TEST(Rdata, Txt) {
  EXPECT_EQ(decode_txt("\x03"
                       "abc"
                       "\x02"
                       "de"s),
            "abcde");
  EXPECT_EQ(decode_txt(""), "");
  EXPECT_EQ(decode_txt("\x00"s), "");
  EXPECT_FALSE(
      decode_txt("\x05"
                 "abc"s));
}

TEST(Rdata, Mx) {
  auto mx = decode_mx("\x00\x0a\x03MX1\x07\x45xample\x04test\x00"s);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->host, "mx1.example.test");
  auto null_mx = decode_mx("\x00\x00\x00"s);  // RFC 7505 null MX
  ASSERT_TRUE(null_mx);
  EXPECT_EQ(null_mx->host, "");
  EXPECT_FALSE(decode_mx("\x00\x0a\xc0\x0c"s));           // compression pointer
  EXPECT_FALSE(decode_mx("\x00\x0a\x03mx1"s));            // truncated
  EXPECT_FALSE(decode_mx("\x00\x0a\x01x\x00trailing"s));  // junk after the name
}

TEST(Rdata, Addresses) {
  EXPECT_EQ(decode_a("\xc0\x00\x02\x01"s), "192.0.2.1");
  EXPECT_FALSE(decode_a("\x01\x02\x03"s));
  EXPECT_EQ(decode_aaaa("\x20\x01\x0d\xb8" + std::string(11, '\0') + "\x01"), "2001:db8::1");
  EXPECT_FALSE(decode_aaaa("\x20\x01"s));
}

TEST(Rdata, TlsaAndPtr) {
  auto t = decode_tlsa("\x03\x01\x01\xab\xcd"s);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->usage, 3);
  EXPECT_EQ(t->selector, 1);
  EXPECT_EQ(t->matching_type, 1);
  EXPECT_EQ(t->data, "\xab\xcd"s);
  EXPECT_FALSE(decode_tlsa("\x03\x01"s));
  EXPECT_EQ(decode_name_rdata("\x04host\x02nl\x00"s), "host.nl");
}

TEST(Names, Normalize) {
  EXPECT_EQ(*normalize_name("Example.TEST."), "example.test");
  EXPECT_FALSE(normalize_name(""));
  EXPECT_FALSE(normalize_name("."));
  EXPECT_FALSE(normalize_name("a..b"));
  EXPECT_FALSE(normalize_name("a b.test"));
  EXPECT_FALSE(normalize_name(std::string(64, 'a') + ".test"));
  EXPECT_TRUE(normalize_name(std::string(63, 'a') + ".test"));
  EXPECT_FALSE(normalize_name(std::string(254, 'a')));
}

TEST(Names, Reverse) {
  EXPECT_EQ(*reverse_name("192.0.2.1"), "1.2.0.192.in-addr.arpa");
  EXPECT_EQ(*reverse_name("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_FALSE(reverse_name("example.test"));
}

TEST(Fake, RecordsFailuresAndLog) {
  FakeResolver r;
  r.add_txt("Example.test.", "v=spf1 -all");
  r.add_mx("example.test", 20, "mx2.example.test.");
  r.add_mx("example.test", 10, "MX1.example.test");
  r.add_a("mx1.example.test", "192.0.2.1");
  r.add_ptr("2001:db8::1", "mx1.example.test");
  r.set_failure("broken.test", RrType::kTxt, Errc::kTemporary);
  r.set_secure("example.test", RrType::kMx);

  auto txt = r.txt("EXAMPLE.TEST");
  ASSERT_TRUE(txt);
  EXPECT_EQ(txt->records, std::vector<std::string>{"v=spf1 -all"});
  auto mx = r.mx("example.test");
  ASSERT_TRUE(mx);
  ASSERT_EQ(mx->records.size(), 2u);
  EXPECT_EQ(mx->records[0].host, "mx1.example.test");
  EXPECT_TRUE(mx->secure);
  EXPECT_FALSE(txt->secure);
  EXPECT_EQ(r.aaaa("mx1.example.test").code(), Errc::kNotFound);
  EXPECT_EQ(r.a("nope.test").code(), Errc::kNotFound);
  EXPECT_EQ(r.txt("broken.test").code(), Errc::kTemporary);
  EXPECT_EQ(r.txt("bad name").code(), Errc::kInvalidData);
  auto p = r.ptr("2001:0db8:0::0001");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->records, std::vector<std::string>{"mx1.example.test"});
  EXPECT_EQ(r.query_count(), 6u);  // the malformed name never reaches the log
  EXPECT_EQ(r.queries()[0].type, RrType::kTxt);
  EXPECT_EQ(r.queries()[0].name, "example.test");
  r.clear_queries();
  EXPECT_EQ(r.query_count(), 0u);
}

// mx() answers "nodata" as no records (secure after set_secure), NXDOMAIN as kNotFound.
TEST(Fake, MxNodataAndNxdomain) {
  FakeResolver r;
  r.add_a("host.test", "192.0.2.1");
  auto nodata = r.mx("host.test");
  ASSERT_TRUE(nodata) << nodata.error().message;
  EXPECT_TRUE(nodata->records.empty());
  EXPECT_FALSE(nodata->secure);
  r.set_secure("host.test", RrType::kMx);
  ASSERT_TRUE(r.mx("host.test"));
  EXPECT_TRUE(r.mx("host.test")->secure);
  r.set_secure("only-denial.test", RrType::kMx);  // exists, without records
  auto denial = r.mx("Only-Denial.test.");
  ASSERT_TRUE(denial) << denial.error().message;
  EXPECT_TRUE(denial->records.empty());
  EXPECT_TRUE(denial->secure);
  EXPECT_EQ(r.mx("nope.test").code(), Errc::kNotFound);
  EXPECT_EQ(r.a("only-denial.test").code(), Errc::kNotFound);  // other types: nodata as before
  r.set_failure("host.test", RrType::kMx, Errc::kPerm);
  EXPECT_EQ(r.mx("host.test").code(), Errc::kPerm);
}

// add_cname: lookups of an alias answer the target's records (or its failure or denial), with
// the end of the chain as canonical_name and `secure` only for a chain secure at every link.
TEST(Fake, Cname) {
  FakeResolver r;
  r.add_a("target.test", "192.0.2.7");
  r.set_secure("target.test", RrType::kA);
  r.add_cname("Alias.test.", "middle.test", /*secure=*/true);
  r.add_cname("middle.test", "Target.test");
  auto a = r.a("alias.test");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->records, std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(a->canonical_name, "target.test");
  EXPECT_FALSE(a->secure);  // middle.test -> target.test is not secure
  r.add_cname("middle.test", "target.test", /*secure=*/true);
  a = r.a("alias.test");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->secure);
  EXPECT_EQ(a->canonical_name, "target.test");
  r.set_secure("target.test", RrType::kA, false);
  EXPECT_FALSE(r.a("alias.test")->secure);  // the target's answer counts too

  auto direct = r.a("target.test");
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->canonical_name, "");
  EXPECT_EQ(r.aaaa("alias.test").code(), Errc::kNotFound);           // the target's nodata
  EXPECT_EQ(r.tlsa("_25._tcp.alias.test").code(), Errc::kNotFound);  // another name
  r.set_failure("target.test", RrType::kAaaa, Errc::kPerm);
  EXPECT_EQ(r.aaaa("alias.test").code(), Errc::kPerm);
  auto mx = r.mx("alias.test");  // mx() follows too: the target exists without MX
  ASSERT_TRUE(mx) << mx.error().message;
  EXPECT_TRUE(mx->records.empty());
  EXPECT_EQ(mx->canonical_name, "target.test");

  r.add_cname("dangling.test", "nowhere.test", true);
  EXPECT_EQ(r.a("dangling.test").code(), Errc::kNotFound);
  r.add_cname("loop1.test", "loop2.test", true);
  r.add_cname("loop2.test", "loop1.test", true);
  EXPECT_EQ(r.a("loop1.test").code(), Errc::kTemporary);
  EXPECT_EQ(r.queries().back().name, "loop1.test");  // logged as asked
}

// ---- libunbound against a real unbound server on loopback ----

const std::string kLongA(200, 'a');
const std::string kLongB(150, 'b');

class UnboundTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!LocalDnsServer::available()) return;
    LocalZoneData z;
    z.static_zones = {"example.test."};
    z.refused_zones = {"refused.example."};
    z.local_data = {
        "example.test. IN MX 20 mx2.example.test.",
        "example.test. IN MX 10 MX1.Example.Test.",
        "example.test. IN TXT \"v=spf1 \" \"ip4:192.0.2.0/24 -all\"",
        "example.test. IN TXT \"second record\"",
        "long.example.test. IN TXT \"" + kLongA + "\" \"" + kLongB + "\"",
        "mx1.example.test. IN A 192.0.2.1",
        "mx1.example.test. IN A 192.0.2.2",
        "mx1.example.test. IN AAAA 2001:db8::25",
        "mx2.example.test. IN A 192.0.2.3",
        "alias.example.test. IN CNAME mx2.example.test.",
        "_25._tcp.mx1.example.test. IN TLSA 3 1 1 "
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    };
    z.local_data_ptr = {"1.2.3.4 mx1.example.test", "2a00:1450::25 mx1.example.test"};
    auto s = LocalDnsServer::start(z);
    if (s) {
      server_ = std::move(*s);
    } else {
      start_error_ = s.error().message;
    }
  }

  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!LocalDnsServer::available()) GTEST_SKIP() << "unbound is not installed";
    ASSERT_TRUE(server_) << start_error_;
    dir_ = server_->dir();
    port_ = server_->port();
    ResolverOptions opts;
    opts.forwarder = server_->forwarder();
    auto r = make_unbound_resolver(opts);
    ASSERT_TRUE(r) << r.error().message;
    resolver_ = std::move(*r);
  }

  static inline std::unique_ptr<LocalDnsServer> server_;
  static inline std::string start_error_;
  std::string dir_;
  int port_ = -1;
  std::unique_ptr<Resolver> resolver_;
};

TEST_F(UnboundTest, Mx) {
  auto mx = resolver_->mx("Example.Test.");
  ASSERT_TRUE(mx) << mx.error().message;
  ASSERT_EQ(mx->records.size(), 2u);
  EXPECT_EQ(mx->records[0].preference, 10);
  EXPECT_EQ(mx->records[0].host, "mx1.example.test");
  EXPECT_EQ(mx->records[1].preference, 20);
  EXPECT_EQ(mx->records[1].host, "mx2.example.test");
  EXPECT_FALSE(mx->secure);
}

TEST_F(UnboundTest, Txt) {
  auto txt = resolver_->txt("example.test");
  ASSERT_TRUE(txt) << txt.error().message;
  std::vector<std::string> recs = txt->records;
  std::sort(recs.begin(), recs.end());
  EXPECT_EQ(recs, (std::vector<std::string>{"second record", "v=spf1 ip4:192.0.2.0/24 -all"}));
  auto long_txt = resolver_->txt("long.example.test");
  ASSERT_TRUE(long_txt) << long_txt.error().message;
  ASSERT_EQ(long_txt->records.size(), 1u);
  EXPECT_EQ(long_txt->records[0], kLongA + kLongB);
}

TEST_F(UnboundTest, AddressesAndCname) {
  auto a = resolver_->a("mx1.example.test");
  ASSERT_TRUE(a) << a.error().message;
  std::vector<std::string> ips = a->records;
  std::sort(ips.begin(), ips.end());
  EXPECT_EQ(ips, (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  auto aaaa = resolver_->aaaa("mx1.example.test");
  ASSERT_TRUE(aaaa) << aaaa.error().message;
  EXPECT_EQ(aaaa->records, std::vector<std::string>{"2001:db8::25"});
  EXPECT_EQ(a->canonical_name, "");  // not an alias
  auto alias = resolver_->a("Alias.Example.Test.");
  ASSERT_TRUE(alias) << alias.error().message;
  EXPECT_EQ(alias->records, std::vector<std::string>{"192.0.2.3"});
  EXPECT_EQ(alias->canonical_name, "mx2.example.test");  // libunbound's canonname
}

TEST_F(UnboundTest, Tlsa) {
  auto t = resolver_->tlsa("_25._tcp.mx1.example.test");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->records.size(), 1u);
  EXPECT_EQ(t->records[0].usage, 3);
  EXPECT_EQ(t->records[0].selector, 1);
  EXPECT_EQ(t->records[0].matching_type, 1);
  EXPECT_EQ(t->records[0].data.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(t->records[0].data[0]), 0x01);
}

TEST_F(UnboundTest, Ptr) {
  auto p4 = resolver_->ptr("1.2.3.4");
  ASSERT_TRUE(p4) << p4.error().message;
  EXPECT_EQ(p4->records, std::vector<std::string>{"mx1.example.test"});
  auto p6 = resolver_->ptr("2a00:1450:0::25");
  ASSERT_TRUE(p6) << p6.error().message;
  EXPECT_EQ(p6->records, std::vector<std::string>{"mx1.example.test"});
  EXPECT_EQ(resolver_->ptr("not-an-ip").code(), Errc::kInvalidData);
}

TEST_F(UnboundTest, NxdomainAndNodata) {
  auto nx = resolver_->a("nope.example.test");
  ASSERT_FALSE(nx);
  EXPECT_EQ(nx.code(), Errc::kNotFound);
  EXPECT_NE(nx.error().message.find("NXDOMAIN"), std::string::npos) << nx.error().message;
  auto nodata = resolver_->aaaa("mx2.example.test");
  ASSERT_FALSE(nodata);
  EXPECT_EQ(nodata.code(), Errc::kNotFound);
  // MX "nodata" is an answer without records (here not validated); NXDOMAIN stays kNotFound.
  auto no_mx = resolver_->mx("mx1.example.test");
  ASSERT_TRUE(no_mx) << no_mx.error().message;
  EXPECT_TRUE(no_mx->records.empty());
  EXPECT_FALSE(no_mx->secure);
  EXPECT_EQ(resolver_->mx("nope.example.test").code(), Errc::kNotFound);
  EXPECT_EQ(resolver_->tlsa("_25._tcp.mx2.example.test").code(), Errc::kNotFound);
  EXPECT_EQ(resolver_->txt("bad name.test").code(), Errc::kInvalidData);
}

TEST_F(UnboundTest, RefusedIsTemporary) {
  auto r = resolver_->a("x.refused.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), Errc::kTemporary) << r.error().message;
}

// With a trust anchor for example.test the unsigned answers of the test server fail validation:
// bogus is kPerm, never data.
TEST_F(UnboundTest, BogusAnswerIsPerm) {
  std::string ta = dir_ + "/example.test.key";
  {
    std::ofstream f(ta);
    f << "example.test. 3600 IN DNSKEY 257 3 8 "
         "AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF"
         "FVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoXbfDaUeVPQuYEhg37NZWAJQ9VnMVDxP/"
         "VHL496M/QZxkjf5/Efucp2gaDX6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpzW5hOA2"
         "hzCTMjJPJ8LbqF6dsV6DoBQzgul0sGIcGOYl7OyQdXfZ57relSQageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLK"
         "BP1dfwhYB4N7knNnulqQxA+Uk1ihz0=\n";
  }
  ResolverOptions opts;
  opts.forwarder = "127.0.0.1@" + std::to_string(port_);
  opts.trust_anchor_file = ta;
  auto r = make_unbound_resolver(opts);
  ASSERT_TRUE(r) << r.error().message;
  auto mx = (*r)->mx("example.test");
  ASSERT_FALSE(mx);
  EXPECT_EQ(mx.code(), Errc::kPerm) << mx.error().message;
}

// ---- DNSSEC: a zone signed with ldns-signzone, validated by libunbound ----

const char kTlsaHex[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// signed.test: an MX host with addresses and TLSA, an alias of it, a name without MX (nomx),
// records added after signing (tampered: a changed A RRset; unsigned: an RRset without
// signature). Skipped when unbound or ldnsutils is missing.
class SignedZoneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!LocalDnsServer::signing_available()) return;
    SignedZone z;
    z.name = "signed.test.";
    z.records = {
        "signed.test. 300 IN MX 10 mx.signed.test.",
        "mx.signed.test. 300 IN A 192.0.2.10",
        "mx.signed.test. 300 IN AAAA 2001:db8::10",
        "_25._tcp.mx.signed.test. 300 IN TLSA 3 1 1 "s + kTlsaHex,
        "nomx.signed.test. 300 IN A 192.0.2.11",
        "tampered.signed.test. 300 IN A 192.0.2.12",
        "alias.signed.test. 300 IN CNAME mx.signed.test.",
    };
    z.added_after_signing = {
        "tampered.signed.test. 300 IN A 192.0.2.66",
        "unsigned.signed.test. 300 IN A 192.0.2.67",
    };
    LocalZoneData data;
    data.signed_zones = {z};
    auto s = LocalDnsServer::start(data);
    if (s) {
      server_ = std::move(*s);
    } else {
      start_error_ = s.error().message;
    }
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!LocalDnsServer::signing_available())
      GTEST_SKIP() << "unbound or ldnsutils (ldns-keygen, ldns-signzone) is not installed";
    ASSERT_TRUE(server_) << start_error_;
    resolver_ = make(server_->trust_anchor_file());
    ASSERT_TRUE(resolver_);
  }

  static std::unique_ptr<Resolver> make(const std::string& anchor) {
    ResolverOptions opts;
    opts.forwarder = server_->forwarder();
    opts.trust_anchor_file = anchor;
    auto r = make_unbound_resolver(opts);
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : nullptr;
  }

  static inline std::unique_ptr<LocalDnsServer> server_;
  static inline std::string start_error_;
  std::unique_ptr<Resolver> resolver_;
};

TEST_F(SignedZoneTest, ValidatedAnswersAreSecure) {
  auto mx = resolver_->mx("signed.test");
  ASSERT_TRUE(mx) << mx.error().message;
  ASSERT_EQ(mx->records.size(), 1u);
  EXPECT_EQ(mx->records[0].host, "mx.signed.test");
  EXPECT_TRUE(mx->secure);
  auto a = resolver_->a("mx.signed.test");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->records, std::vector<std::string>{"192.0.2.10"});
  EXPECT_TRUE(a->secure);
  auto aaaa = resolver_->aaaa("mx.signed.test");
  ASSERT_TRUE(aaaa) << aaaa.error().message;
  EXPECT_TRUE(aaaa->secure);
  auto tlsa = resolver_->tlsa("_25._tcp.mx.signed.test");
  ASSERT_TRUE(tlsa) << tlsa.error().message;
  ASSERT_EQ(tlsa->records.size(), 1u);
  EXPECT_EQ(tlsa->records[0].usage, 3);
  EXPECT_EQ(tlsa->records[0].data.size(), 32u);
  EXPECT_TRUE(tlsa->secure);
}

// A signed CNAME to a signed name: the answer is secure and names the end of the chain.
TEST_F(SignedZoneTest, ValidatedCnameReportsCanonicalName) {
  auto a = resolver_->a("alias.signed.test");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->records, std::vector<std::string>{"192.0.2.10"});
  EXPECT_TRUE(a->secure);
  EXPECT_EQ(a->canonical_name, "mx.signed.test");
  auto aaaa = resolver_->aaaa("alias.signed.test");
  ASSERT_TRUE(aaaa) << aaaa.error().message;
  EXPECT_TRUE(aaaa->secure);
  EXPECT_EQ(aaaa->canonical_name, "mx.signed.test");
  auto direct = resolver_->a("mx.signed.test");
  ASSERT_TRUE(direct) << direct.error().message;
  EXPECT_EQ(direct->canonical_name, "");
}

// A validated NODATA (NSEC proof) for MX is an answer without records, secure; NXDOMAIN stays
// kNotFound; other types' denials stay kNotFound.
TEST_F(SignedZoneTest, SecureDenials) {
  auto nomx = resolver_->mx("nomx.signed.test");
  ASSERT_TRUE(nomx) << nomx.error().message;
  EXPECT_TRUE(nomx->records.empty());
  EXPECT_TRUE(nomx->secure);
  EXPECT_EQ(resolver_->mx("nope.signed.test").code(), Errc::kNotFound);
  EXPECT_EQ(resolver_->tlsa("_25._tcp.nomx.signed.test").code(), Errc::kNotFound);
  EXPECT_EQ(resolver_->aaaa("nomx.signed.test").code(), Errc::kNotFound);
}

// Without a trust anchor the same answers come back, not validated.
TEST_F(SignedZoneTest, WithoutAnchorNothingIsSecure) {
  auto plain = make("");
  ASSERT_TRUE(plain);
  auto mx = plain->mx("signed.test");
  ASSERT_TRUE(mx) << mx.error().message;
  EXPECT_FALSE(mx->secure);
  auto nomx = plain->mx("nomx.signed.test");
  ASSERT_TRUE(nomx) << nomx.error().message;
  EXPECT_FALSE(nomx->secure);
  auto tampered = plain->a("tampered.signed.test");
  ASSERT_TRUE(tampered) << tampered.error().message;  // not validated, so not caught
  EXPECT_FALSE(tampered->secure);
}

// A record added after signing: the changed RRset's signature fails, the new RRset has none.
// (The new name is asked first: once the resolver holds an NSEC record covering it, it answers
// NXDOMAIN from that proof without asking, RFC 8198.)
TEST_F(SignedZoneTest, ChangedAfterSigningIsBogus) {
  auto unsigned_rrset = resolver_->a("unsigned.signed.test");
  ASSERT_FALSE(unsigned_rrset);
  EXPECT_EQ(unsigned_rrset.code(), Errc::kPerm) << unsigned_rrset.error().message;
  auto changed = resolver_->a("tampered.signed.test");
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.code(), Errc::kPerm) << changed.error().message;
  // The rest of the zone still validates.
  auto a = resolver_->a("nomx.signed.test");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->secure);
}

// A DS anchor whose digest does not match the zone's key: every answer is bogus, denials too.
TEST_F(SignedZoneTest, WrongAnchorIsBogus) {
  std::ifstream in(server_->trust_anchor_file());
  std::string ds((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(ds.empty());
  size_t last = ds.find_last_of("0123456789abcdef");
  ASSERT_NE(last, std::string::npos);
  ds[last] = ds[last] == '0' ? '1' : '0';
  std::string wrong = server_->dir() + "/wrong-anchor.ds";
  std::ofstream(wrong) << ds;
  auto r = make(wrong);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mx("signed.test").code(), Errc::kPerm);
  EXPECT_EQ(r->mx("nomx.signed.test").code(), Errc::kPerm);
  EXPECT_EQ(r->tlsa("_25._tcp.mx.signed.test").code(), Errc::kPerm);
}

TEST_F(UnboundTest, ConcurrentLookupsFromManyThreads) {
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        bool good = (i + t) % 2 == 0
                        ? resolver_->a("mx1.example.test").ok()
                        : resolver_->mx("example.test").ok() &&
                              resolver_->a("nope.example.test").code() == Errc::kNotFound;
        (good ? ok : bad)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(bad.load(), 0);
}

// A server that never answers: the lookup gives up after timeout_ms with kTemporary.
TEST(UnboundTimeout, SilentServer) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  ResolverOptions opts;
  opts.forwarder = "127.0.0.1@" + std::to_string(ntohs(sa.sin_port));
  opts.timeout_ms = 300;
  auto r = make_unbound_resolver(opts);
  ASSERT_TRUE(r) << r.error().message;
  auto start = std::chrono::steady_clock::now();
  auto a = (*r)->a("slow.example.test");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(a);
  EXPECT_EQ(a.code(), Errc::kTemporary);
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  r->reset();  // destroys the resolver with the cancelled query gone
  close(fd);
}

TEST(UnboundSetup, BadForwarderIsAnError) {
  ResolverOptions opts;
  opts.forwarder = "not an address";
  EXPECT_FALSE(make_unbound_resolver(opts));
  opts.forwarder.clear();
  opts.trust_anchor_file = "/nonexistent/root.key";
  EXPECT_FALSE(make_unbound_resolver(opts));
}

// Run only as the helper process of UnboundDiesWithTheTestProcess (the environment variable
// says so): starts a server, prints its folder, and ends without the destructor, as a test
// process that crashes or is killed by a ctest timeout.
TEST(LocalServerHelper, DISABLED_StartAndDie) {
  if (std::getenv("TEGAMI_DNS_ORPHAN_HELPER") == nullptr) GTEST_SKIP();
  LocalZoneData z;
  z.static_zones = {"example.test."};
  auto s = LocalDnsServer::start(z);
  if (!s) _exit(2);
  std::string line = "DIR=" + (*s)->dir() + "\n";
  if (write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(3);
  _exit(0);
}

// The pids of the processes whose command line names `needle`.
std::vector<pid_t> processes_naming(const std::string& needle) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (cmd.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

// unbound does not outlive a test process that ends without running the destructor (a crash,
// a ctest timeout's SIGKILL): it would keep its port and run until the machine stops.
TEST(LocalServer, UnboundDiesWithTheTestProcess) {
  if (!LocalDnsServer::available()) GTEST_SKIP() << "unbound is not installed";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  // The child's environment, built before fork (only async-signal-safe calls after it).
  std::vector<std::string> env_strings = {"TEGAMI_DNS_ORPHAN_HELPER=1"};
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execle("/proc/self/exe", "dns_test", "--gtest_also_run_disabled_tests",
           "--gtest_filter=LocalServerHelper.DISABLED_StartAndDie", static_cast<char*>(nullptr),
           env.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  size_t at = out.find("DIR=");
  ASSERT_NE(at, std::string::npos) << out;
  std::string dir = out.substr(at + 4, out.find('\n', at) - at - 4);
  ASSERT_EQ(dir.rfind("/tmp/tegami-dns-", 0), 0u) << dir;
  const std::string conf = dir + "/unbound.conf";
  std::vector<pid_t> left = processes_naming(conf);
  for (int i = 0; i < 100 && !left.empty(); ++i) {  // 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    left = processes_naming(conf);
  }
  EXPECT_TRUE(left.empty()) << "unbound outlived its test process";
  for (pid_t p : left) kill(p, SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace tegami::dns
