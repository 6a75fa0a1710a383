// Tag lists, DKIM-Signature and key record parsing (RFC 6376 §3.2, §3.5, §3.6.1) and
// canonicalization (§3.4, with the examples of §3.4.5).
#include <gtest/gtest.h>

#include "mailauth/dkim/canon.hpp"
#include "mailauth/dkim/hash.hpp"
#include "mailauth/dkim/tags.hpp"

namespace tegami::mailauth::dkim {
namespace {

constexpr std::string_view kBh = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";

std::string sig_with(std::string_view extra) {
  return std::string("v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=") + std::string(kBh) +
         "; b=AAAA" + std::string(extra);
}

TEST(TagList, ParsesWithFoldingWhitespaceAndTrailingSemicolon) {
  auto tags = parse_tag_list(" a = 1 ;\r\n\tb=x y\r\n z ; c=;");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  ASSERT_EQ(tags->size(), 3u);
  EXPECT_EQ((*tags)[0].name, "a");
  EXPECT_EQ((*tags)[0].value, "1");
  EXPECT_EQ((*tags)[1].value, "x y\r\n z");
  EXPECT_EQ((*tags)[2].value, "");
}

TEST(TagList, RawSpanCoversSurroundingWhitespace) {
  std::string_view text = "a=1; b= QUJD\r\n REVG ;c=2";
  auto tags = parse_tag_list(text);
  ASSERT_TRUE(tags.ok());
  const Tag& b = (*tags)[1];
  EXPECT_EQ(text.substr(b.raw_begin, b.raw_end - b.raw_begin), " QUJD\r\n REVG ");
}

TEST(TagList, RejectsMalformedLists) {
  for (std::string_view bad : {"", " ; ", "a=1;;b=2", "=1", "1a=2", "a", "a=1; b", "a=1; a=2",
                               "a=\x01", "a-b=1", "a=1;b=2;;"}) {
    EXPECT_FALSE(parse_tag_list(bad).ok()) << bad;
  }
}

TEST(TagList, LimitsTheNumberOfTags) {
  std::string many;
  for (int i = 0; i < 100; ++i) many += "t" + std::to_string(i) + "=1;";
  EXPECT_FALSE(parse_tag_list(many).ok());
}

TEST(Signature, ParsesTheRfc8463Field) {
  auto sig = parse_signature(
      " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n d=football.example.com; "
      "i=@football.example.com;\r\n q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n "
      "subject : date : message-id : from : subject : date;\r\n "
      "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n "
      "b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n "
      "Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->algorithm, Algorithm::kEd25519Sha256);
  EXPECT_EQ(sig->header_canon, Canon::kRelaxed);
  EXPECT_EQ(sig->body_canon, Canon::kRelaxed);
  EXPECT_EQ(sig->domain, "football.example.com");
  EXPECT_EQ(sig->selector, "brisbane");
  EXPECT_EQ(sig->identity, "@football.example.com");
  EXPECT_EQ(sig->timestamp, 1528637909);
  EXPECT_EQ(sig->signature.size(), 64u);
  EXPECT_EQ(sig->headers.size(), 8u);
  EXPECT_EQ(sig->headers[4], "message-id");
}

TEST(Signature, Defaults) {
  auto sig = parse_signature(sig_with(""));
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->header_canon, Canon::kSimple);
  EXPECT_EQ(sig->body_canon, Canon::kSimple);
  EXPECT_EQ(sig->identity, "@example.com");
  EXPECT_FALSE(sig->body_length);
  auto relaxed_only = parse_signature(sig_with("; c=relaxed"));
  ASSERT_TRUE(relaxed_only.ok());
  EXPECT_EQ(relaxed_only->header_canon, Canon::kRelaxed);
  EXPECT_EQ(relaxed_only->body_canon, Canon::kSimple);
}

TEST(Signature, AcceptsSubdomainIdentityAndLength) {
  auto sig = parse_signature(sig_with("; i=joe@mail.Example.com; l=10; x=20; t=10"));
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->identity_domain, "mail.example.com");
  EXPECT_EQ(sig->body_length, 10u);
  EXPECT_EQ(sig->expiration, 20);
}

TEST(Signature, RejectsMalformedFields) {
  struct Case {
    std::string text;
    Errc code;
  };
  std::string bh = std::string(kBh);
  std::vector<Case> cases = {
      {"v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" + bh + "; b=AAAA",
       Errc::kInvalidData},
      {"a=rsa-sha256; d=example.com; s=sel; h=from; bh=" + bh + "; b=AAAA", Errc::kInvalidData},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=" + bh + "; b=AAAA",
       Errc::kInvalidData},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" + bh + "; b=", Errc::kInvalidData},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" + bh + "; b=A$AA",
       Errc::kInvalidData},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA", Errc::kInvalidData},
      {"v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; bh=" + bh + "; b=AAAA",
       Errc::kInvalidData},
      {"v=1; a=rsa-sha1; d=example.com; s=sel; h=from; bh=" + bh + "; b=AAAA", Errc::kPerm},
      {"v=1; a=hmac-md5; d=example.com; s=sel; h=from; bh=" + bh + "; b=AAAA", Errc::kPerm},
      {sig_with("; c=fancy/simple"), Errc::kPerm},
      {sig_with("; q=http"), Errc::kPerm},
      {sig_with("; i=joe@example.org"), Errc::kInvalidData},
      {sig_with("; i=joe@badexample.com"), Errc::kInvalidData},
      {sig_with("; i=nobody"), Errc::kInvalidData},
      {sig_with("; l=-1"), Errc::kInvalidData},
      {sig_with("; t=abc"), Errc::kInvalidData},
      {sig_with("; t=1234567890123"), Errc::kInvalidData},
      {sig_with("; t=100; x=99"), Errc::kInvalidData},
      {sig_with("; d=other.com"), Errc::kInvalidData},  // duplicate d=
      {"v=1; a=rsa-sha256; d=exa mple.com; s=sel; h=from; bh=" + bh + "; b=AAAA",
       Errc::kInvalidData},
      {"v=1; a=rsa-sha256; d=example..com; s=sel; h=from; bh=" + bh + "; b=AAAA",
       Errc::kInvalidData},
      {"v=1; a=rsa-sha256; d=example.com; s=; h=from; bh=" + bh + "; b=AAAA", Errc::kInvalidData},
  };
  for (const Case& c : cases) {
    auto r = parse_signature(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.code(), c.code) << c.text << ": " << r.error().message;
  }
}

TEST(Signature, RejectsOversizedFields) {
  EXPECT_FALSE(parse_signature(sig_with("; z=" + std::string(kMaxSignatureFieldBytes, 'a'))).ok());
}

TEST(KeyRecord, ParsesRecords) {
  auto k = parse_key_record("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->type, KeyType::kEd25519);
  EXPECT_EQ(k->public_key.size(), 32u);
  auto plain = parse_key_record("p=AAAA; t=y:s; s=email; h=sha1:sha256; n=notes here");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->type, KeyType::kRsa);
  EXPECT_TRUE(plain->testing);
  EXPECT_TRUE(plain->strict);
  auto revoked = parse_key_record("v=DKIM1; p=");
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(revoked->public_key.empty());
}

TEST(KeyRecord, RejectsBadRecords) {
  EXPECT_EQ(parse_key_record("v=DKIM1; k=rsa").code(), Errc::kInvalidData);  // no p=
  EXPECT_EQ(parse_key_record("v=DKIM2; p=AAAA").code(), Errc::kInvalidData);
  EXPECT_EQ(parse_key_record("p=AAAA; v=DKIM1").code(), Errc::kInvalidData);  // v= not first
  EXPECT_EQ(parse_key_record("k=dsa; p=AAAA").code(), Errc::kPerm);
  EXPECT_EQ(parse_key_record("h=sha1; p=AAAA").code(), Errc::kPerm);
  EXPECT_EQ(parse_key_record("s=web; p=AAAA").code(), Errc::kPerm);
  EXPECT_EQ(parse_key_record("p=A!AA").code(), Errc::kInvalidData);
  EXPECT_EQ(parse_key_record("spf1 -all").code(), Errc::kInvalidData);
}

// RFC 6376 §3.4.5.
constexpr std::string_view kExample = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

TEST(Canon, Rfc6376Section345Relaxed) {
  SplitMessage m = split_message(kExample);
  ASSERT_EQ(m.fields.size(), 2u);
  std::string h;
  for (const auto& f : m.fields) canon_header(h, f.raw, Canon::kRelaxed);
  EXPECT_EQ(h, "a:X\r\nb:Y Z\r\n");
  EXPECT_EQ(canon_body_string(m.body, Canon::kRelaxed), " C\r\nD E\r\n");
}

TEST(Canon, Rfc6376Section345Simple) {
  SplitMessage m = split_message(kExample);
  std::string h;
  for (const auto& f : m.fields) canon_header(h, f.raw, Canon::kSimple);
  EXPECT_EQ(h, "A: X\r\nB : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(canon_body_string(m.body, Canon::kSimple), " C \r\nD \t E\r\n");
}

TEST(Canon, EmptyBodies) {
  EXPECT_EQ(canon_body_string("", Canon::kSimple), "\r\n");
  EXPECT_EQ(canon_body_string("\r\n\r\n", Canon::kSimple), "\r\n");
  EXPECT_EQ(canon_body_string("", Canon::kRelaxed), "");
  EXPECT_EQ(canon_body_string(" \r\n\t\r\n", Canon::kRelaxed), "");
  // The well-known hashes of the empty canonical bodies.
  EXPECT_EQ(body_hash("", Canon::kSimple).digest.size(), 32u);
}

TEST(Canon, MissingFinalLineBreakAndBareLf) {
  EXPECT_EQ(canon_body_string("abc", Canon::kSimple), "abc\r\n");
  EXPECT_EQ(canon_body_string("a  b \nc\n\n", Canon::kRelaxed), "a b\r\nc\r\n");
  EXPECT_EQ(canon_body_string("a  b \nc\n\n", Canon::kSimple), "a  b \r\nc\r\n");
  std::string h;
  canon_header(h, "Subject: a\n b", Canon::kSimple);
  EXPECT_EQ(h, "Subject: a\r\n b\r\n");
}

TEST(Canon, SplitMessageSkipsJunkAndFindsBody) {
  SplitMessage m = split_message("From nobody\nX: 1\n\tmore\nbad line\n\n body\n");
  ASSERT_EQ(m.fields.size(), 1u);
  EXPECT_EQ(m.fields[0].name, "X");
  EXPECT_EQ(m.fields[0].raw, "X: 1\n\tmore");
  EXPECT_EQ(m.body, " body\n");
  SplitMessage no_body = split_message("A: 1\r\nB: 2");
  EXPECT_EQ(no_body.fields.size(), 2u);
  EXPECT_EQ(no_body.body, "");
}

TEST(Canon, SplitMessageStopsAtTheLimit) {
  std::string big;
  for (int i = 0; i < 1000; ++i) big += "X-Filler: " + std::string(100, 'x') + "\r\n";
  big += "\r\nbody\r\n";
  SplitMessage m = split_message(big, 10000);
  EXPECT_TRUE(m.header_too_large);
  EXPECT_LT(m.fields.size(), 100u);
  EXPECT_EQ(m.body, "body\r\n");
}

TEST(BodyHash, LengthLimitCutsTheCanonicalBody) {
  BodyHash full = body_hash("abc\r\ndef\r\n", Canon::kSimple);
  BodyHash cut = body_hash("abc\r\ndef\r\n", Canon::kSimple, 5);
  BodyHash first = body_hash("abc\r\n", Canon::kSimple);
  EXPECT_EQ(full.canonical_size, 10u);
  EXPECT_EQ(cut.digest, first.digest);
  EXPECT_NE(full.digest, cut.digest);
}

}  // namespace
}  // namespace tegami::mailauth::dkim
