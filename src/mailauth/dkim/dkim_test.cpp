// Signing and verification (RFC 6376 §5-§6, RFC 8463): round trips for both algorithms and
// both canonicalizations, tampering, the RFC 8463 Appendix A example, key records, DNS failures.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "base/strings.hpp"
#include "dns/fake_resolver.hpp"
#include "mailauth/dkim/canon.hpp"
#include "mailauth/dkim/hash.hpp"
#include "mailauth/dkim/keys.hpp"
#include "mailauth/dkim/keystore.hpp"
#include "mailauth/dkim/sign.hpp"
#include "mailauth/dkim/verify.hpp"

namespace tegami::mailauth::dkim {
namespace {

constexpr int64_t kNow = 1700000000;

const std::string kMessage =
    "From: Alice Example <alice@example.com>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: Lunch on Friday?\r\n"
    "Date: Fri, 17 Nov 2023 10:00:00 +0900\r\n"
    "Message-ID: <lunch-1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "X-Unsigned: anything\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "\r\n"
    "shall we have lunch  on Friday?\r\n"
    "\r\n"
    "Alice\r\n";

// Keys are expensive to generate: one of each for the whole test program.
const PrivateKey& rsa_key() {
  static PrivateKey k = std::move(PrivateKey::generate(KeyType::kRsa).value());
  return k;
}
const PrivateKey& ed_key() {
  static PrivateKey k = std::move(PrivateKey::generate(KeyType::kEd25519).value());
  return k;
}

SigningKey signing_key(const PrivateKey& k, std::string selector = "") {
  if (selector.empty()) selector = k.type() == KeyType::kRsa ? "rsa1" : "ed1";
  return SigningKey{"example.com", selector, std::move(PrivateKey::from_pem(k.to_pem()).value())};
}

void publish(dns::FakeResolver& dns, const PrivateKey& k, std::string selector = "") {
  if (selector.empty()) selector = k.type() == KeyType::kRsa ? "rsa1" : "ed1";
  dns.add_txt(selector + "._domainkey.example.com", k.dns_record());
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  size_t p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

VerifyOptions at_now() {
  VerifyOptions o;
  o.now = kNow + 60;
  return o;
}

SignOptions sign_opts(Canon h, Canon b) {
  SignOptions o;
  o.header_canon = h;
  o.body_canon = b;
  o.now = kNow;
  return o;
}

struct Combo {
  KeyType type;
  Canon header, body;
};

class RoundTrip : public ::testing::TestWithParam<Combo> {
 protected:
  const PrivateKey& key() const { return GetParam().type == KeyType::kRsa ? rsa_key() : ed_key(); }
  std::string signed_message(const std::string& msg = kMessage) {
    auto field = sign(msg, signing_key(key()), sign_opts(GetParam().header, GetParam().body));
    EXPECT_TRUE(field.ok()) << field.error().message;
    return *field + msg;
  }
  std::vector<SignatureResult> check(const std::string& msg) {
    dns::FakeResolver dns;
    publish(dns, key());
    return verify(msg, dns, at_now());
  }
};

TEST_P(RoundTrip, SignedMessageVerifies) {
  auto r = check(signed_message());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
  EXPECT_EQ(r[0].domain, "example.com");
  EXPECT_EQ(r[0].identity, "@example.com");
  EXPECT_EQ(r[0].header_b.size(), 8u);
}

TEST_P(RoundTrip, ModifiedBodyFails) {
  auto r = check(replace(signed_message(), "shall we", "should we"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kFail);
  EXPECT_EQ(r[0].reason, Reason::kBodyHashMismatch);
}

TEST_P(RoundTrip, ModifiedHeaderFails) {
  auto r = check(replace(signed_message(), "Subject: Lunch", "Subject: Dinner"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kFail);
  EXPECT_EQ(r[0].reason, Reason::kSignatureMismatch);
}

TEST_P(RoundTrip, AddedFromFailsBecauseFromIsOversigned) {
  std::string m = signed_message();
  m = replace(m, "X-Unsigned:", "From: mallory@evil.example\r\nX-Unsigned:");
  auto r = check(m);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kFail);
}

TEST_P(RoundTrip, UnsignedHeaderMayChange) {
  auto r = check(replace(signed_message(), "X-Unsigned: anything", "X-Unsigned: other"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
}

TEST_P(RoundTrip, WhitespaceChanges) {
  std::string m = signed_message();
  m = replace(m, "Subject: Lunch on Friday?", "subject:   Lunch  on\r\n\tFriday?  ");
  m = replace(m, "lunch  on Friday?\r\n", "lunch on  Friday? \t\r\n");
  m += "\r\n\r\n";  // trailing empty lines never count
  auto r = check(m);
  ASSERT_EQ(r.size(), 1u);
  bool relaxed = GetParam().header == Canon::kRelaxed && GetParam().body == Canon::kRelaxed;
  if (relaxed) {
    EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
  } else {
    EXPECT_EQ(r[0].verdict, Verdict::kFail);
  }
}

TEST_P(RoundTrip, TrailingEmptyLinesOnlyStillPass) {
  auto r = check(signed_message() + "\r\n\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
}

TEST_P(RoundTrip, BareLfLineEndingsVerifyLikeCrlf) {
  std::string m = signed_message();
  std::string lf;
  for (size_t i = 0; i < m.size(); ++i)
    if (!(m[i] == '\r' && i + 1 < m.size() && m[i + 1] == '\n')) lf.push_back(m[i]);
  auto r = check(lf);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
}

TEST_P(RoundTrip, EmptyBody) {
  std::string msg = "From: a@example.com\r\nSubject: empty\r\n\r\n";
  auto r = check(signed_message(msg));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
}

INSTANTIATE_TEST_SUITE_P(
    AllCombos, RoundTrip,
    ::testing::Values(Combo{KeyType::kRsa, Canon::kRelaxed, Canon::kRelaxed},
                      Combo{KeyType::kRsa, Canon::kSimple, Canon::kSimple},
                      Combo{KeyType::kRsa, Canon::kRelaxed, Canon::kSimple},
                      Combo{KeyType::kEd25519, Canon::kRelaxed, Canon::kRelaxed},
                      Combo{KeyType::kEd25519, Canon::kSimple, Canon::kSimple},
                      Combo{KeyType::kEd25519, Canon::kSimple, Canon::kRelaxed}),
    [](const auto& info) {
      return std::string(key_type_name(info.param.type)) + "_" + canon_name(info.param.header) +
             "_" + canon_name(info.param.body);
    });

TEST(Sign, FieldShape) {
  SignOptions o = sign_opts(Canon::kRelaxed, Canon::kRelaxed);
  o.identity = "alice@example.com";
  o.expire_after = 3600;
  auto field = sign(kMessage, signing_key(rsa_key()), o);
  ASSERT_TRUE(field.ok());
  const std::string& f = *field;
  EXPECT_TRUE(f.starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")) << f;
  EXPECT_TRUE(f.ends_with("\r\n"));
  EXPECT_NE(f.find("t=1700000000;"), std::string::npos);
  EXPECT_NE(f.find("x=1700003600;"), std::string::npos);
  EXPECT_NE(f.find("i=alice@example.com;"), std::string::npos);
  // Present fields once each, From twice (oversigned); no Cc, no X-Unsigned.
  std::string unfolded = f;
  for (size_t p; (p = unfolded.find("\r\n ")) != std::string::npos;) unfolded.erase(p, 3);
  EXPECT_NE(unfolded.find("h=from:from:to:subject:date:message-id:mime-version:content-type;"),
            std::string::npos)
      << f;
  EXPECT_EQ(f.find("x-unsigned"), std::string::npos);
  EXPECT_EQ(f.find(":cc:"), std::string::npos);
  // Folded: no line longer than 78 characters, continuation lines start with a space.
  size_t start = 0;
  while (start < f.size()) {
    size_t end = f.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 78u) << f.substr(start, end - start);
    if (start > 0) {
      EXPECT_EQ(f[start], ' ');
    }
    start = end + 2;
  }
  auto sig = parse_signature(split_message(f + "\r\n").fields.at(0).value);
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->signature.size(), 256u);
}

TEST(Sign, RefusesMessagesWithoutFrom) {
  auto r = sign("Subject: x\r\n\r\nbody\r\n", signing_key(ed_key()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kInvalidData);
}

TEST(Sign, RefusesIdentityOutsideDomain) {
  SignOptions o;
  o.identity = "alice@example.org";
  EXPECT_FALSE(sign(kMessage, signing_key(ed_key()), o).ok());
}

TEST(Sign, RefusesOptionsThatWouldBreakTheField) {
  SignOptions o;
  o.identity = "a;b@example.com";
  EXPECT_FALSE(sign(kMessage, signing_key(ed_key()), o).ok());
  o.identity = "";
  o.headers = {"From", "Sub ject"};
  EXPECT_FALSE(sign(kMessage, signing_key(ed_key()), o).ok());
  o.headers = {"From", "a:b"};
  EXPECT_FALSE(sign(kMessage, signing_key(ed_key()), o).ok());
  EXPECT_FALSE(sign(kMessage, SigningKey{"example.com", "bad selector",
                                         PrivateKey::from_pem(ed_key().to_pem()).value()})
                   .ok());
}

TEST(Sign, SeveralKeysAtOnce) {
  std::vector<SigningKey> keys;
  keys.push_back(signing_key(rsa_key()));
  keys.push_back(signing_key(ed_key()));
  auto fields = sign(kMessage, keys, sign_opts(Canon::kRelaxed, Canon::kRelaxed));
  ASSERT_TRUE(fields.ok());
  dns::FakeResolver dns;
  publish(dns, rsa_key());
  publish(dns, ed_key());
  auto r = verify(*fields + kMessage, dns, at_now());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
  EXPECT_EQ(r[0].algorithm, "rsa-sha256");
  EXPECT_EQ(r[1].verdict, Verdict::kPass) << r[1].detail;
  EXPECT_EQ(r[1].algorithm, "ed25519-sha256");
  EXPECT_EQ(r[1].field_index, 1u);
}

// RFC 8463 Appendix A: keys (A.1, A.2) and the signed message (A.3).
const std::string kRfc8463Message =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    " date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

void publish_rfc8463(dns::FakeResolver& dns) {
  dns.add_txt("brisbane._domainkey.football.example.com",
              "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  // The TXT's character-strings joined, as the resolver hands them over.
  dns.add_txt("test._domainkey.football.example.com",
              "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
              "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
              "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
              "Ip3G+2kryOTIKT+l/K4w3QIDAQAB");
}

TEST(Rfc8463, BothExampleSignaturesPass) {
  dns::FakeResolver dns;
  publish_rfc8463(dns);
  auto r = verify(kRfc8463Message, dns, at_now());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
  EXPECT_EQ(r[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(r[0].selector, "brisbane");
  EXPECT_EQ(r[0].header_b, "/gCrinpc");
  EXPECT_EQ(r[1].verdict, Verdict::kPass) << r[1].detail;
  EXPECT_EQ(r[1].algorithm, "rsa-sha256");
  EXPECT_EQ(auth_results_clause(r[0]),
            "dkim=pass header.d=football.example.com header.i=@football.example.com "
            "header.s=brisbane header.a=ed25519-sha256 header.b=\"/gCrinpc\"");
  EXPECT_EQ(auth_results_clause(r[1]),
            "dkim=pass header.d=football.example.com header.i=@football.example.com "
            "header.s=test header.a=rsa-sha256 header.b=F45dVWDf");
}

TEST(Rfc8463, TamperedExampleFails) {
  dns::FakeResolver dns;
  publish_rfc8463(dns);
  auto r = verify(replace(kRfc8463Message, "dinner", "lunch"), dns, at_now());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].reason, Reason::kSignatureMismatch);
  EXPECT_EQ(r[1].reason, Reason::kSignatureMismatch);
}

// Ed25519 is deterministic: signing the example's header hash with the A.1 private key must
// give the published b= exactly.
TEST(Rfc8463, SigningReproducesThePublishedSignature) {
  auto seed = base64_decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
  ASSERT_TRUE(seed);
  auto key = PrivateKey::from_ed25519_seed(*seed);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->dns_record(),
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  SplitMessage m = split_message(kRfc8463Message);
  auto sig = parse_signature(m.fields[0].value);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(body_hash(m.body, Canon::kRelaxed).digest, sig->body_hash);
  HeaderIndex index(m.fields);
  std::string data;
  index.append_signed(data, sig->headers, Canon::kRelaxed);
  const RawField& f = m.fields[0];
  size_t off = f.value.data() - f.raw.data();
  std::string self(f.raw.substr(0, off + sig->b_raw_begin));
  self += f.raw.substr(off + sig->b_raw_end);
  canon_header(data, self, Canon::kRelaxed, false);
  auto b = key->sign_digest(sha256(data));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(base64_encode(*b), sig->signature_b64);
}

// Verification failures other than tampering.
class Failures : public ::testing::Test {
 protected:
  std::string signed_msg(SignOptions o = sign_opts(Canon::kRelaxed, Canon::kRelaxed)) {
    return sign(kMessage, signing_key(ed_key()), o).value() + kMessage;
  }
  SignatureResult one(const std::string& msg, VerifyOptions o = at_now()) {
    auto r = verify(msg, dns_, o);
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? SignatureResult{} : r[0];
  }
  dns::FakeResolver dns_;
};

TEST_F(Failures, UnsignedMessageGivesNoResults) { EXPECT_TRUE(verify(kMessage, dns_).empty()); }

TEST_F(Failures, MissingKeyIsPermerror) {
  auto r = one(signed_msg());
  EXPECT_EQ(r.verdict, Verdict::kPermError);
  EXPECT_EQ(r.reason, Reason::kNoKey);
}

TEST_F(Failures, DnsTemporaryFailureIsTemperror) {
  dns_.set_failure("ed1._domainkey.example.com", dns::RrType::kTxt, Errc::kTemporary);
  auto r = one(signed_msg());
  EXPECT_EQ(r.verdict, Verdict::kTempError);
  EXPECT_EQ(r.reason, Reason::kDnsTemporary);
  EXPECT_TRUE(auth_results_clause(r).starts_with("dkim=temperror reason=\"DNS lookup of "))
      << auth_results_clause(r);
}

TEST_F(Failures, ExpiredSignatureFails) {
  SignOptions o = sign_opts(Canon::kRelaxed, Canon::kRelaxed);
  o.expire_after = 30;  // at_now() is 60 s later
  publish(dns_, ed_key());
  auto r = one(signed_msg(o));
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason, Reason::kExpired);
  VerifyOptions early;
  early.now = kNow + 10;
  EXPECT_EQ(one(signed_msg(o), early).verdict, Verdict::kPass);
}

TEST_F(Failures, RevokedKeyFails) {
  dns_.add_txt("ed1._domainkey.example.com", "v=DKIM1; k=ed25519; p=");
  auto r = one(signed_msg());
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason, Reason::kRevokedKey);
}

TEST_F(Failures, KeyTypeMismatchIsPermerror) {
  dns_.add_txt("ed1._domainkey.example.com", rsa_key().dns_record());
  auto r = one(signed_msg());
  EXPECT_EQ(r.verdict, Verdict::kPermError);
  EXPECT_EQ(r.reason, Reason::kBadKey);
}

TEST_F(Failures, MalformedKeyRecordIsPermerror) {
  dns_.add_txt("ed1._domainkey.example.com", "v=DKIM1; k=ed25519; p=AAAA");
  EXPECT_EQ(one(signed_msg()).verdict, Verdict::kPermError);
  dns::FakeResolver other;
  other.add_txt("ed1._domainkey.example.com", "not a key record");
  auto r = verify(signed_msg(), other, at_now());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kPermError);
  EXPECT_EQ(r[0].reason, Reason::kBadKey);
}

TEST_F(Failures, TestingKeyTurnsFailIntoNeutral) {
  std::string rec = ed_key().dns_record() + "; t=y";
  dns_.add_txt("ed1._domainkey.example.com", rec);
  auto r = one(replace(signed_msg(), "shall we", "should we"));
  EXPECT_EQ(r.verdict, Verdict::kNeutral);
  EXPECT_TRUE(r.testing);
  EXPECT_EQ(r.reason, Reason::kBodyHashMismatch);
}

TEST_F(Failures, StrictKeyRejectsSubdomainIdentity) {
  dns_.add_txt("ed1._domainkey.example.com", ed_key().dns_record() + "; t=s");
  SignOptions o = sign_opts(Canon::kRelaxed, Canon::kRelaxed);
  o.identity = "alice@mail.example.com";
  EXPECT_EQ(one(signed_msg(o)).verdict, Verdict::kPermError);
  o.identity = "alice@example.com";
  EXPECT_EQ(one(signed_msg(o)).verdict, Verdict::kPass);
}

TEST_F(Failures, MalformedSignatureTagsArePermerror) {
  publish(dns_, ed_key());
  std::string good = signed_msg();
  struct Case {
    std::string_view from, to;
    Reason reason;
  };
  for (const Case& c :
       {Case{"v=1;", "v=2;", Reason::kSyntax},
        Case{"a=ed25519-sha256;", "a=rsa-sha1;", Reason::kUnsupported},
        Case{"a=ed25519-sha256;", "a=;", Reason::kUnsupported},
        Case{"d=example.com;", "d=example.com; d=example.org;", Reason::kSyntax},
        Case{"h=from:from:", "h=to:", Reason::kSyntax},
        Case{"v=1;", "v=1; i=x@example.org;", Reason::kSyntax},
        Case{"c=relaxed/relaxed;", "c=relaxed/fancy;", Reason::kUnsupported},
        Case{"bh=", "bh=!", Reason::kSyntax}, Case{"s=ed1;", "s=ed1; s=ed1;", Reason::kSyntax},
        Case{"v=1;", "v=1; ;", Reason::kSyntax}}) {
    auto r = one(replace(good, c.from, c.to));
    EXPECT_EQ(r.verdict, Verdict::kPermError) << c.to;
    EXPECT_EQ(r.reason, c.reason) << c.to << ": " << r.detail;
  }
}

TEST_F(Failures, MissingRequiredTagsArePermerror) {
  std::string msg =
      "DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; h=from; bh=AAAA; b=AAAA\r\n" +
      kMessage;
  auto r = one(msg);
  EXPECT_EQ(r.verdict, Verdict::kPermError);
  EXPECT_EQ(r.reason, Reason::kSyntax);
  EXPECT_EQ(dns_.query_count(), 0u);
}

TEST_F(Failures, OnlyTheFirstSignaturesAreExamined) {
  publish(dns_, ed_key());
  std::string field =
      sign(kMessage, signing_key(ed_key()), sign_opts(Canon::kRelaxed, Canon::kRelaxed)).value();
  std::string msg;
  for (int i = 0; i < 25; ++i) msg += field;
  msg += kMessage;
  VerifyOptions o = at_now();
  auto r = verify(msg, dns_, o);
  ASSERT_EQ(r.size(), 10u);
  for (const auto& s : r) EXPECT_EQ(s.verdict, Verdict::kPass);
  EXPECT_EQ(dns_.query_count(), 1u);  // the key is looked up once
}

TEST_F(Failures, HeaderSectionOverTheLimitIsPermerror) {
  publish(dns_, ed_key());
  std::string msg = signed_msg();
  VerifyOptions o = at_now();
  o.max_header_bytes = 1000;
  std::string filler;
  for (int i = 0; i < 50; ++i) filler += "X-Filler: " + std::string(60, 'x') + "\r\n";
  auto r = one(replace(msg, "X-Unsigned:", filler + "X-Unsigned:"), o);
  EXPECT_EQ(r.verdict, Verdict::kPermError);
  EXPECT_EQ(r.reason, Reason::kHeaderTooLarge);
}

TEST_F(Failures, BodyLengthLongerThanBodyFails) {
  // A hand-made signature with l= (the signer never writes l=): hash the first 8 bytes.
  publish(dns_, ed_key());
  std::string msg = "From: a@example.com\r\n\r\nshort\r\n";
  std::string bh = base64_encode(body_hash("short\r\n", Canon::kRelaxed, 8).digest);
  std::string field =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com;"
      " s=ed1; l=8; h=from; bh=" +
      bh + "; b=";
  std::string data;
  canon_header(data, "From: a@example.com", Canon::kRelaxed);
  canon_header(data, field, Canon::kRelaxed, false);
  field += base64_encode(ed_key().sign_digest(sha256(data)).value()) + "\r\n";
  auto r = one(field + msg);
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_EQ(r.reason, Reason::kBodyTooShort);
}

TEST_F(Failures, BodyLengthAllowsAppendedText) {
  publish(dns_, ed_key());
  std::string msg = "From: a@example.com\r\n\r\nsigned part\r\n";
  std::string bh = base64_encode(body_hash("signed part\r\n", Canon::kSimple).digest);
  std::string field =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; d=example.com;"
      " s=ed1; l=13; h=from; bh=" +
      bh + "; b=";
  std::string data;
  canon_header(data, "From: a@example.com", Canon::kSimple);
  canon_header(data, field, Canon::kSimple, false);
  field += base64_encode(ed_key().sign_digest(sha256(data)).value()) + "\r\n";
  auto r = one(field + msg + "appended by a list\r\n");
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.detail;
}

// Keys.
TEST(Keys, PemRoundTripAndFile) {
  for (const PrivateKey* k : {&rsa_key(), &ed_key()}) {
    std::string pem = k->to_pem();
    EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----")) << pem;
    auto back = PrivateKey::from_pem(pem);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->type(), k->type());
    EXPECT_EQ(back->dns_record(), k->dns_record());
    char tmpl[] = "/tmp/dkim_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string path = std::string(tmpl) + "/key.pem";
    ASSERT_TRUE(k->save(path).ok());
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto loaded = PrivateKey::load(path);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->dns_record(), k->dns_record());
    std::remove(path.c_str());
    rmdir(tmpl);
  }
  EXPECT_FALSE(PrivateKey::from_pem("garbage").ok());
  EXPECT_EQ(PrivateKey::load("/nonexistent/key.pem").code(), Errc::kNotFound);
}

TEST(Keys, RecordsAndZoneFile) {
  EXPECT_EQ(rsa_key().bits(), 2048);
  std::string rsa = rsa_key().dns_record();
  EXPECT_TRUE(rsa.starts_with("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"));
  EXPECT_GT(rsa.size(), 255u);
  std::string ed = ed_key().dns_record();
  EXPECT_TRUE(ed.starts_with("v=DKIM1; k=ed25519; p="));
  EXPECT_EQ(ed.size(), std::string("v=DKIM1; k=ed25519; p=").size() + 44);
  auto parts = split_txt_strings(rsa);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 255u);
  EXPECT_EQ(parts[0] + parts[1], rsa);
  std::string zone = zone_file_record("rsa1", "example.com", rsa);
  EXPECT_TRUE(zone.starts_with("rsa1._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; p="));
  EXPECT_TRUE(zone.ends_with("\" )"));
  EXPECT_NE(zone.find("\"\n  \""), std::string::npos);
  EXPECT_EQ(zone_file_record("s", "example.com", "a\"b"),
            "s._domainkey.example.com. IN TXT ( \"a\\\"b\" )");
  // The published record parses back into a usable key.
  auto rec = parse_key_record(rsa);
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(PublicKey::from_record(*rec).ok());
}

TEST(Keys, WeakAndBadPublicKeysAreRefused) {
  KeyRecord ed;
  ed.type = KeyType::kEd25519;
  ed.public_key = std::string(31, 'x');
  EXPECT_EQ(PublicKey::from_record(ed).code(), Errc::kPerm);
  KeyRecord rsa;
  rsa.public_key = "not DER";
  EXPECT_EQ(PublicKey::from_record(rsa).code(), Errc::kPerm);
  // A 512-bit RSA key (RFC 8301 §3.2: below 1024 bits is refused).
  EVP_PKEY* weak = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{512});
  ASSERT_NE(weak, nullptr);
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(weak, &der);
  ASSERT_GT(len, 0);
  KeyRecord small;
  small.public_key.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  EVP_PKEY_free(weak);
  auto r = PublicKey::from_record(small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("1024"), std::string::npos);
  EXPECT_FALSE(PrivateKey::generate(KeyType::kRsa, 1024).ok());
}

// An independent check of the RSA primitive with the openssl command line, when present.
TEST(Keys, OpensslCliVerifiesOurRsaSignature) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  char tmpl[] = "/tmp/dkim_cli_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_TRUE(rsa_key().save(dir + "/key.pem").ok());
  std::string data = "DKIM header data\r\n";
  auto sig = rsa_key().sign_digest(sha256(data));
  ASSERT_TRUE(sig.ok());
  auto write = [](const std::string& path, const std::string& s) {
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(s.data(), 1, s.size(), f);
    std::fclose(f);
  };
  write(dir + "/data", data);
  write(dir + "/sig", *sig);
  std::string cmd = "cd " + dir +
                    " && openssl pkey -in key.pem -pubout -out pub.pem 2>/dev/null"
                    " && openssl dgst -sha256 -verify pub.pem -signature sig data >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace tegami::mailauth::dkim

namespace tegami::mailauth::dkim {
namespace {

// Large and hostile inputs stay linear: many fields, a long h=, a big body of whitespace runs.
TEST(Limits, LargeInputsAreHandledInOnePass) {
  std::string msg = "From: a@example.com\r\nSubject: big\r\n";
  for (int i = 0; i < 5000; ++i) msg += "Received: from x" + std::to_string(i) + "\r\n";
  msg += "\r\n";
  std::string line(998, ' ');
  line[0] = 'x';
  for (int i = 0; i < 8000; ++i) msg += line + "\r\n";  // ~8 MB
  SignOptions o = sign_opts(Canon::kRelaxed, Canon::kRelaxed);
  o.headers = {"From", "Received"};  // 5000 instances: h= is capped
  auto field = sign(msg, signing_key(ed_key()), o);
  ASSERT_TRUE(field.ok()) << field.error().message;
  dns::FakeResolver dns;
  publish(dns, ed_key());
  VerifyOptions v = at_now();
  v.max_header_bytes = 1 << 20;
  auto r = verify(*field + msg, dns, v);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, Verdict::kPass) << r[0].detail;
  auto sig = parse_signature(split_message(*field + "\r\n").fields.at(0).value);
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->headers.size(), kMaxSignedHeaders - 1);
}

}  // namespace
}  // namespace tegami::mailauth::dkim

namespace tegami::mailauth::dkim {
namespace {

TEST(KeyStore, CreatesLoadsAndListsKeys) {
  char tmpl[] = "/tmp/dkim_store_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto ed = load_or_create_key(dir, "Example.COM", "ed2026", KeyType::kEd25519);
  ASSERT_TRUE(ed.ok()) << ed.error().message;
  EXPECT_EQ(ed->domain, "example.com");
  auto again = load_or_create_key(dir, "example.com", "ed2026", KeyType::kEd25519);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->key.dns_record(), ed->key.dns_record());  // loaded, not regenerated
  EXPECT_EQ(load_or_create_key(dir, "example.com", "ed2026", KeyType::kRsa).code(), Errc::kExists);
  ASSERT_TRUE(load_or_create_key(dir, "example.com", "rsa2026", KeyType::kRsa).ok());
  struct stat st {};
  ASSERT_EQ(stat((dir + "/example.com/rsa2026.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir + "/example.com").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto all = load_domain_keys(dir, "example.com");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].selector, "ed2026");
  EXPECT_EQ((*all)[1].key.type(), KeyType::kRsa);
  EXPECT_EQ(load_key(dir, "example.com", "none").code(), Errc::kNotFound);
  EXPECT_EQ(key_file_path(dir, "../etc", "x").code(), Errc::kInvalidData);
  EXPECT_EQ(key_file_path(dir, "example.com", "a/b").code(), Errc::kInvalidData);
  EXPECT_TRUE(load_domain_keys(dir, "other.example")->empty());
  std::system(("rm -rf " + dir).c_str());
}

// Signing reads the keys from the cache: parsed once, loaded again when the folder changes.
TEST(KeyStore, CachedKeysFollowTheFolder) {
  char tmpl[] = "/tmp/dkim_cache_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto none = cached_domain_keys(dir, "example.com");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)->empty());
  ASSERT_TRUE(ensure_domain_keys(dir, "example.com").ok());
  auto two = cached_domain_keys(dir, "Example.com");
  ASSERT_TRUE(two.ok());
  ASSERT_EQ((*two)->size(), 2u);
  EXPECT_EQ(cached_domain_keys(dir, "example.com")->get(), two->get()) << "not parsed again";
  // A new key (written to a temporary name and renamed) changes the folder: loaded again.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // past the mtime granularity
  ASSERT_TRUE(load_or_create_key(dir, "example.com", "rsa2027", KeyType::kRsa).ok());
  auto three = cached_domain_keys(dir, "example.com");
  ASSERT_TRUE(three.ok());
  EXPECT_EQ((*three)->size(), 3u);
  EXPECT_EQ((*two)->size(), 2u) << "a list handed out stays as it was";
  std::system(("rm -rf " + dir).c_str());
  EXPECT_TRUE((*cached_domain_keys(dir, "example.com"))->empty());
  EXPECT_EQ(cached_domain_keys(dir, "../etc").code(), Errc::kInvalidData);
}

}  // namespace
}  // namespace tegami::mailauth::dkim
