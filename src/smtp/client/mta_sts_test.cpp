// MTA-STS: TXT and policy parsing with bad inputs, MX pattern matching, the HTTPS fetch against
// a small TLS responder on 127.0.0.1 (test CA, CURLOPT_CONNECT_TO), and the cache (§5.1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "dns/fake_resolver.hpp"
#include "smtp/client/https_test_server.hpp"
#include "smtp/client/mta_sts.hpp"
#include "smtp/client/test_certs.hpp"

namespace tegami::smtp::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Mode = StsPolicy::Mode;

TEST(StsTxt, Valid) {
  auto a = parse_sts_txt("v=STSv1; id=20160831085700Z;");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(*a, "20160831085700Z");
  EXPECT_EQ(*parse_sts_txt("v=STSv1;id=abc"), "abc");
  EXPECT_EQ(*parse_sts_txt("v=STSv1 ;\tid=abc ; ext.x-1=some:value"), "abc");
  EXPECT_EQ(*parse_sts_txt("v=STSv1; id=" + std::string(32, '9')), std::string(32, '9'));
}

TEST(StsTxt, NotStsOrInvalid) {
  for (const char* other :
       {"v=spf1 -all", " v=STSv1; id=1", "v=STSv10; id=1", "V=STSv1; id=1", "", "v=STS"}) {
    auto r = parse_sts_txt(other);
    EXPECT_FALSE(r.ok()) << other;
    if (!r.ok()) {
      EXPECT_EQ(r.code(), Errc::kNotFound) << other;
    }
  }
  for (std::string bad :
       std::vector<std::string>{"v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv1; id=a-b",
                                "v=STSv1; id=" + std::string(33, 'a'), "v=STSv1; id=1; id=2",
                                "v=STSv1; ext=a=b", "v=STSv1; id=1; =x", "v=STSv1; id=1;; x=y",
                                "v=STSv1 x; id=1", "v=STSv1; id=1; _x=y", "v=STSv1; id"}) {
    auto r = parse_sts_txt(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.code(), Errc::kInvalidData) << bad;
    }
  }
}

TEST(StsPolicyParse, Valid) {
  auto p = parse_sts_policy(
      "version: STSv1\r\nmode: enforce\r\nmx: mail.Example.com\r\nmx: *.example.net\r\n"
      "mx: backupmx.example.com.\r\nmax_age: 604800\r\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->mode, Mode::kEnforce);
  EXPECT_EQ(p->max_age, 604800);
  EXPECT_THAT(p->mx, ElementsAre("mail.example.com", "*.example.net", "backupmx.example.com"));

  // LF line ends, any order, spaces, unknown fields, no final line end, blank lines.
  auto q = parse_sts_policy(
      "mode:testing\nmax_age:\t86400  \nfuture_field: whatever\n\n"
      "mx: mx1.example.org\nversion: STSv1");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->mode, Mode::kTesting);
  EXPECT_EQ(q->max_age, 86400);
  EXPECT_THAT(q->mx, ElementsAre("mx1.example.org"));

  // mode none needs no mx; max_age over a year is capped.
  auto n = parse_sts_policy("version: STSv1\nmode: none\nmax_age: 9999999999\n");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->mode, Mode::kNone);
  EXPECT_EQ(n->max_age, 31557600);
  EXPECT_TRUE(n->mx.empty());

  // A repeated field other than mx: the first counts.
  auto r = parse_sts_policy(
      "version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 10\nmax_age: 20\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mode, Mode::kEnforce);
  EXPECT_EQ(r->max_age, 10);
}

TEST(StsPolicyParse, Invalid) {
  const std::string base = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n";
  ASSERT_TRUE(parse_sts_policy(base).ok());
  for (std::string bad : {
           std::string("mode: enforce\nmx: mail.example.com\nmax_age: 86400\n"),  // no version
           std::string("version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 1\n"),
           std::string("version: STSv1\nmx: mail.example.com\nmax_age: 86400\n"),  // no mode
           std::string("version: STSv1\nmode: enforce\nmx: mail.example.com\n"),   // no max_age
           std::string("version: STSv1\nmode: enforce\nmax_age: 86400\n"),         // no mx
           std::string("version: STSv1\nmode: testing\nmax_age: 86400\n"),         // no mx
           std::string("version: STSv1\nmode: Enforce\nmx: a.example.com\nmax_age: 1\n"),
           std::string("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: -1\n"),
           std::string("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 12345678901\n"),
           std::string("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1d\n"),
           std::string("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age:\n"),
           base + "mx: *.*.example.com\n",
           base + "mx: mail.*.example.com\n",
           base + "mx: *example.com\n",
           base + "mx: com\n",
           base + "mx: bad_name.example.com\n",
           base + "mx: -a.example.com\n",
           base + "mx: a..example.com\n",
           base + "mx:\n",
           base + "this line has no colon\n",
           base + " version: STSv1\n",
           std::string("<html><body>Not found</body></html>"),
       }) {
    auto p = parse_sts_policy(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_EQ(p.code(), Errc::kInvalidData) << bad;
    }
  }
}

TEST(StsMxMatch, ExactAndOneLabelWildcard) {
  auto p = parse_sts_policy(
      "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 1\n");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(sts_mx_matches(*p, "mail.example.com"));
  EXPECT_TRUE(sts_mx_matches(*p, "MAIL.Example.COM."));
  EXPECT_FALSE(sts_mx_matches(*p, "mail2.example.com"));
  EXPECT_FALSE(sts_mx_matches(*p, "example.com"));
  EXPECT_FALSE(sts_mx_matches(*p, "xmail.example.com"));
  EXPECT_TRUE(sts_mx_matches(*p, "mx1.example.net"));
  EXPECT_TRUE(sts_mx_matches(*p, "MX1.EXAMPLE.NET."));
  EXPECT_FALSE(sts_mx_matches(*p, "example.net"));  // the wildcard needs a label
  EXPECT_FALSE(sts_mx_matches(*p, ".example.net"));
  EXPECT_FALSE(sts_mx_matches(*p, "a.b.example.net"));  // ... exactly one
  EXPECT_FALSE(sts_mx_matches(*p, "mx1.fooexample.net"));
  EXPECT_FALSE(sts_mx_matches(*p, ""));
  EXPECT_FALSE(sts_mx_matches(StsPolicy{}, "mail.example.com"));
}

const char* kPolicy =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";

class StsFetch : public ::testing::Test {
 protected:
  StsFetch() : pki_(dir_, {"mta-sts.example.test"}), https_(pki_.chain_file, pki_.key_file) {
    opts_.ca_file = pki_.ca_file;
    opts_.connect_to = https_.connect_to();
    opts_.timeout_s = 5;
  }
  testing::TempDir dir_;
  testing::TestPki pki_;
  testing::HttpsServer https_;
  StsOptions opts_;
};

TEST_F(StsFetch, Ok) {
  https_.respond("200 OK", "text/plain; charset=utf-8", kPolicy);
  auto p = fetch_sts_policy("Example.Test", opts_);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->mode, Mode::kEnforce);
  EXPECT_THAT(p->mx, ElementsAre("mx.example.test"));
  EXPECT_EQ(p->max_age, 86400);
  std::string req = https_.last_request();
  EXPECT_THAT(req, ::testing::StartsWith("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"));
  EXPECT_THAT(req, HasSubstr("Host: mta-sts.example.test\r\n"));
}

TEST_F(StsFetch, BadAnswers) {
  https_.respond("404 Not Found", "text/plain", "no");
  auto a = fetch_sts_policy("example.test", opts_);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.code(), Errc::kInvalidData);
  EXPECT_THAT(a.error().message, HasSubstr("HTTP status 404"));

  https_.respond("503 Service Unavailable", "text/plain", "later");
  auto b = fetch_sts_policy("example.test", opts_);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.code(), Errc::kTemporary);

  // §3.3: redirects are not followed.
  https_.respond("301 Moved Permanently", "text/plain", kPolicy,
                 "Location: https://mta-sts.example.test/other.txt\r\n");
  int before = https_.requests();
  auto c = fetch_sts_policy("example.test", opts_);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("HTTP status 301"));
  EXPECT_EQ(https_.requests(), before + 1);

  https_.respond("200 OK", "text/html", kPolicy);
  auto d = fetch_sts_policy("example.test", opts_);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error().message, HasSubstr("not text/plain"));

  https_.respond("200 OK", "", kPolicy);
  EXPECT_FALSE(fetch_sts_policy("example.test", opts_).ok());

  https_.respond("200 OK", "text/plain", std::string(kPolicy) + std::string(5000, '#'));
  StsOptions small = opts_;
  small.max_bytes = 1024;
  auto e = fetch_sts_policy("example.test", small);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), Errc::kInvalidData);
  EXPECT_THAT(e.error().message, HasSubstr("larger than 1024 bytes"));

  https_.respond("200 OK", "text/plain", "version: STSv1\nmode: sometimes\n");
  auto f = fetch_sts_policy("example.test", opts_);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.code(), Errc::kInvalidData);
  EXPECT_THAT(f.error().message, HasSubstr("unknown mode"));
}

TEST_F(StsFetch, CertificateMustMatchAndChainToTheAnchors) {
  https_.respond("200 OK", "text/plain", kPolicy);
  // The certificate is for mta-sts.example.test, not mta-sts.other.test.
  auto a = fetch_sts_policy("other.test", opts_);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.code(), Errc::kTemporary);
  // Trust anchors that did not sign it.
  testing::TestPki other(dir_, {"mta-sts.example.test"}, "other");
  StsOptions wrong = opts_;
  wrong.ca_file = other.ca_file;
  EXPECT_FALSE(fetch_sts_policy("example.test", wrong).ok());
  EXPECT_EQ(https_.requests(), 0);
}

TEST_F(StsFetch, Timeout) {
  https_.set_silent(true);
  StsOptions quick = opts_;
  quick.timeout_s = 1;
  auto start = std::chrono::steady_clock::now();
  auto r = fetch_sts_policy("example.test", quick);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kTemporary);
}

TEST_F(StsFetch, CacheFollowsTheTxtRecord) {
  dns::FakeResolver dns;
  StsCache cache;
  const std::string txt_name = "_mta-sts.example.test";
  int64_t now = 1700000000;

  // No record, nothing cached: no policy, no fetch.
  EXPECT_EQ(cache.policy_for("example.test", dns, opts_, now).mode, Mode::kNone);
  EXPECT_EQ(https_.requests(), 0);

  https_.respond("200 OK", "text/plain", kPolicy);
  dns.add_txt(txt_name, "v=STSv1; id=one");
  dns.add_txt(txt_name, "some other TXT record");
  StsPolicy p = cache.policy_for("example.test", dns, opts_, now);
  EXPECT_EQ(p.mode, Mode::kEnforce);
  EXPECT_EQ(p.id, "one");
  EXPECT_EQ(p.fetched, now);
  EXPECT_EQ(https_.requests(), 1);

  // Same id: the cached policy, no fetch.
  EXPECT_EQ(cache.policy_for("EXAMPLE.test.", dns, opts_, now + 10).id, "one");
  EXPECT_EQ(https_.requests(), 1);

  // New id: fetched again.
  https_.respond("200 OK", "text/plain",
                 "version: STSv1\nmode: testing\nmx: *.example.test\nmax_age: 1000\n");
  dns.clear();
  dns.add_txt(txt_name, "v=STSv1; id=two");
  p = cache.policy_for("example.test", dns, opts_, now + 20);
  EXPECT_EQ(p.mode, Mode::kTesting);
  EXPECT_EQ(p.id, "two");
  EXPECT_EQ(https_.requests(), 2);

  // The record disappears (or DNS fails): the cached policy is still used until it expires.
  dns.clear();
  EXPECT_EQ(cache.policy_for("example.test", dns, opts_, now + 500).id, "two");
  dns.set_failure(txt_name, dns::RrType::kTxt, Errc::kTemporary);
  EXPECT_EQ(cache.policy_for("example.test", dns, opts_, now + 500).id, "two");
  // Two STS records: no valid record; the cache again.
  dns.clear();
  dns.add_txt(txt_name, "v=STSv1; id=three");
  dns.add_txt(txt_name, "v=STSv1; id=four");
  EXPECT_EQ(cache.policy_for("example.test", dns, opts_, now + 500).id, "two");
  EXPECT_EQ(https_.requests(), 2);

  // A new id whose fetch fails: the cached policy until it expires.
  dns.clear();
  dns.add_txt(txt_name, "v=STSv1; id=five");
  https_.respond("500 Internal Server Error", "text/plain", "oops");
  EXPECT_EQ(cache.policy_for("example.test", dns, opts_, now + 600).id, "two");
  EXPECT_EQ(https_.requests(), 3);
  // Expired (fetched at now + 20, max_age 1000) and still no policy to fetch: none.
  StsPolicy gone = cache.policy_for("example.test", dns, opts_, now + 1020);
  EXPECT_EQ(gone.mode, Mode::kNone);
  EXPECT_TRUE(gone.mx.empty());
  // Without a record, nothing expired comes back.
  dns.clear();
  EXPECT_EQ(cache.policy_for("example.test", dns, opts_, now + 1030).mode, Mode::kNone);
}

}  // namespace
}  // namespace tegami::smtp::client
