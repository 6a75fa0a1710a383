#include "smtp/proto/path.hpp"

#include <gtest/gtest.h>

namespace tegami::smtp::proto {
namespace {

PathError parse(std::string_view s, Path& p, bool allow_null = false, bool utf8 = false) {
  size_t used = 0;
  return parse_path(s, allow_null, utf8, p, used);
}

TEST(Path, Simple) {
  Path p;
  size_t used = 0;
  ASSERT_EQ(parse_path("<user@example.com> SIZE=1", false, false, p, used), PathError::kNone);
  EXPECT_EQ(used, 18u);
  EXPECT_EQ(p.mailbox.local, "user");
  EXPECT_EQ(p.mailbox.domain, "example.com");
  EXPECT_EQ(p.mailbox.str(), "user@example.com");
  EXPECT_FALSE(p.null);
  EXPECT_FALSE(p.mailbox.relay_hack());
}

TEST(Path, NullReversePath) {
  Path p;
  EXPECT_EQ(parse("<>", p, true), PathError::kNone);
  EXPECT_TRUE(p.null);
  EXPECT_EQ(parse("<>", p, false), PathError::kNullNotAllowed);
}

TEST(Path, DotStringRules) {
  Path p;
  EXPECT_EQ(parse("<a.b.c@x.y>", p), PathError::kNone);
  EXPECT_EQ(parse("<first+tag@x.y>", p), PathError::kNone);
  EXPECT_EQ(parse("<o'brien@x.y>", p), PathError::kNone);
  EXPECT_EQ(parse("<.a@x.y>", p), PathError::kBadLocalPart);
  EXPECT_EQ(parse("<a.@x.y>", p), PathError::kBadLocalPart);
  EXPECT_EQ(parse("<a..b@x.y>", p), PathError::kBadLocalPart);
  EXPECT_EQ(parse("<a b@x.y>", p), PathError::kBadLocalPart);
  EXPECT_EQ(parse("<a(b)@x.y>", p), PathError::kBadLocalPart);
  EXPECT_EQ(parse("<@x.y>", p), PathError::kBadRoute);
  EXPECT_EQ(parse("<user>", p), PathError::kNoAt);
  EXPECT_EQ(parse("<user@>", p), PathError::kBadDomain);
}

TEST(Path, QuotedLocalPart) {
  Path p;
  ASSERT_EQ(parse("<\"john smith\"@x.y>", p), PathError::kNone);
  EXPECT_TRUE(p.mailbox.quoted);
  EXPECT_EQ(p.mailbox.local, "john smith");
  EXPECT_EQ(p.mailbox.str(), "\"john smith\"@x.y");
  ASSERT_EQ(parse("<\"a\\\"b\"@x.y>", p), PathError::kNone);
  EXPECT_EQ(p.mailbox.local, "a\"b");
  EXPECT_EQ(p.mailbox.str(), "\"a\\\"b\"@x.y");
  ASSERT_EQ(parse("<\"abc\"@x.y>", p), PathError::kNone);
  EXPECT_EQ(p.mailbox.str(), "abc@x.y");
  EXPECT_EQ(parse("<\"unterminated@x.y>", p), PathError::kBadLocalPart);
  EXPECT_EQ(parse(std::string_view("<\"a\0b\"@x.y>", 11), p), PathError::kBadLocalPart);
  ASSERT_EQ(parse("<\"a>b\"@x.y>", p), PathError::kNone);
  EXPECT_EQ(p.mailbox.local, "a>b");
}

TEST(Path, Domains) {
  Path p;
  EXPECT_EQ(parse("<a@localhost>", p), PathError::kNone);
  EXPECT_EQ(parse("<a@-x.y>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@x-.y>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@x..y>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@x.y.>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@x_y.z>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@dom ain>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@" + std::string(64, 'l') + ".com>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@" + std::string(63, 'l') + ".com>", p), PathError::kNone);
}

TEST(Path, AddressLiterals) {
  Path p;
  ASSERT_EQ(parse("<a@[192.0.2.1]>", p), PathError::kNone);
  EXPECT_TRUE(p.mailbox.address_literal);
  EXPECT_EQ(p.mailbox.domain, "[192.0.2.1]");
  EXPECT_EQ(parse("<a@[192.0.2.256]>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@[192.0.2]>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@[IPv6:2001:db8::1]>", p), PathError::kNone);
  EXPECT_EQ(parse("<a@[IPv6:::1]>", p), PathError::kNone);
  EXPECT_EQ(parse("<a@[IPv6:1:2:3:4:5:6:7:8]>", p), PathError::kNone);
  EXPECT_EQ(parse("<a@[IPv6:1:2:3:4:5:6:7:8:9]>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@[IPv6:::ffff:192.0.2.1]>", p), PathError::kNone);
  EXPECT_EQ(parse("<a@[IPv6:1::2::3]>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@[IPv6:12345::]>", p), PathError::kBadDomain);
  EXPECT_EQ(parse("<a@[x-tag:hello]>", p), PathError::kNone);
  EXPECT_EQ(parse("<a@[192.0.2.1>", p), PathError::kBadDomain);
}

TEST(Path, SourceRouteParsedAndIgnored) {
  Path p;
  ASSERT_EQ(parse("<@a.example,@b.example:user@c.example>", p), PathError::kNone);
  EXPECT_TRUE(p.source_route);
  EXPECT_EQ(p.mailbox.str(), "user@c.example");
  EXPECT_EQ(parse("<@a.example:user@c.example>", p), PathError::kNone);
  EXPECT_EQ(parse("<@a.example,user@c.example>", p), PathError::kBadRoute);
  EXPECT_EQ(parse("<@:user@c.example>", p), PathError::kBadRoute);
  EXPECT_EQ(parse("<@a.example", p), PathError::kBadRoute);
}

TEST(Path, RelayHackForms) {
  Path p;
  ASSERT_EQ(parse("<user%other.example@us.example>", p), PathError::kNone);
  EXPECT_TRUE(p.mailbox.relay_hack());
  ASSERT_EQ(parse("<other.example!user@us.example>", p), PathError::kNone);
  EXPECT_TRUE(p.mailbox.relay_hack());
  ASSERT_EQ(parse("<\"user@other.example\"@us.example>", p), PathError::kNone);
  EXPECT_TRUE(p.mailbox.relay_hack());
  ASSERT_EQ(parse("<\"user%other\"@us.example>", p), PathError::kNone);
  EXPECT_TRUE(p.mailbox.relay_hack());
  ASSERT_EQ(parse("<user+tag@us.example>", p), PathError::kNone);
  EXPECT_FALSE(p.mailbox.relay_hack());
  // user@other@us: the second @ ends the domain: syntax error, not a relay.
  EXPECT_NE(parse("<user@other.example@us.example>", p), PathError::kNone);
}

TEST(Path, Utf8) {
  Path p;
  EXPECT_EQ(parse("<用户@例子.广告>", p, false, false), PathError::kUtf8NotAllowed);
  ASSERT_EQ(parse("<用户@例子.广告>", p, false, true), PathError::kNone);
  EXPECT_TRUE(p.mailbox.utf8);
  EXPECT_EQ(parse("<\xff\xfe@x.y>", p, false, true), PathError::kBadUtf8);
  EXPECT_EQ(parse("<a@\xc3(.y>", p, false, true), PathError::kBadUtf8);
  EXPECT_EQ(parse("<\"日本\"@x.y>", p, false, true), PathError::kNone);
}

TEST(Path, Lengths) {
  Path p;
  EXPECT_EQ(parse("<" + std::string(64, 'a') + "@x.y>", p), PathError::kNone);
  EXPECT_EQ(parse("<" + std::string(65, 'a') + "@x.y>", p), PathError::kTooLong);
  std::string dom;
  for (int i = 0; i < 4; ++i) dom += std::string(60, 'd') + ".";
  dom += "com";
  EXPECT_EQ(parse("<" + std::string(10, 'a') + "@" + dom + ">", p), PathError::kTooLong);
}

TEST(Path, NoBrackets) {
  Path p;
  EXPECT_EQ(parse("user@x.y", p), PathError::kNoBrackets);
  EXPECT_EQ(parse("<user@x.y", p), PathError::kNoBrackets);
  EXPECT_EQ(parse("", p), PathError::kNoBrackets);
}

TEST(Mailbox, Bare) {
  Mailbox m;
  EXPECT_EQ(parse_mailbox("a@b.c", false, m), PathError::kNone);
  EXPECT_EQ(parse_mailbox("a@b.c>", false, m), PathError::kBadDomain);
}

}  // namespace
}  // namespace tegami::smtp::proto
