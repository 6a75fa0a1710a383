#include "mime/address.hpp"

#include <gtest/gtest.h>

namespace tegami::mime {
namespace {

using Kind = Address::Kind;

TEST(Address, Basic) {
  auto a = parse_address_list(
      "\"Doe, John\" <john.doe@example.com>, jane@example.org (Jane Roe),\r\n"
      " =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>, <bare@x.y>, Mary Smith <mary@x.test>");
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].display_name, "Doe, John");
  EXPECT_EQ(a[0].raw_name, "Doe, John");
  EXPECT_EQ(a[0].local, "john.doe");
  EXPECT_EQ(a[0].domain, "example.com");
  EXPECT_EQ(a[1].display_name, "Jane Roe");
  EXPECT_EQ(a[1].addr_spec(), "jane@example.org");
  EXPECT_EQ(a[2].display_name, "山田");
  EXPECT_EQ(a[2].raw_name, "=?UTF-8?B?5bGx55Sw?=");
  EXPECT_EQ(a[3].display_name, "");
  EXPECT_EQ(a[3].addr_spec(), "bare@x.y");
  EXPECT_EQ(a[4].raw_name, "Mary Smith");
}

TEST(Address, Groups) {
  // RFC 5322 Appendix A.1.3.
  auto a = parse_address_list(
      "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, "
      "Undisclosed recipients:;");
  ASSERT_EQ(a.size(), 7u);
  EXPECT_EQ(a[0].kind, Kind::kGroupStart);
  EXPECT_EQ(a[0].raw_name, "A Group");
  EXPECT_EQ(a[1].addr_spec(), "c@a.test");
  EXPECT_EQ(a[2].addr_spec(), "joe@where.test");
  EXPECT_EQ(a[3].raw_name, "John");
  EXPECT_EQ(a[4].kind, Kind::kGroupEnd);
  EXPECT_EQ(a[5].kind, Kind::kGroupStart);
  EXPECT_EQ(a[5].raw_name, "Undisclosed recipients");
  EXPECT_EQ(a[6].kind, Kind::kGroupEnd);
  EXPECT_EQ(parse_mailboxes("g: a@b;").size(), 1u);
  // Unterminated group.
  auto u = parse_address_list("g: a@b");
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[2].kind, Kind::kGroupEnd);
}

TEST(Address, ObsoleteForms) {
  // RFC 5322 Appendix A.6.1-A.6.3.
  auto a = parse_address_list(
      "Joe Q. Public <john.q.public@example.com>, Mary Smith <@node.test:mary@example.net>, "
      ", jdoe@test   . example, Who? <one@y.test>,\r\n <boss@nil.test>, \"Giant; \\\"Big\\\" "
      "Box\" <sysservices@example.net>, Pete(A nice \\) chap) <pete(his account)@silly.test(his "
      "host)>, john . q . public @ example . com");
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a[0].raw_name, "Joe Q. Public");
  EXPECT_EQ(a[1].route, "@node.test");
  EXPECT_EQ(a[1].addr_spec(), "mary@example.net");
  EXPECT_EQ(a[2].addr_spec(), "jdoe@test.example");
  EXPECT_EQ(a[3].raw_name, "Who?");
  EXPECT_EQ(a[4].addr_spec(), "boss@nil.test");
  EXPECT_EQ(a[5].raw_name, "Giant; \"Big\" Box");
  EXPECT_EQ(a[6].raw_name, "Pete");
  EXPECT_EQ(a[6].addr_spec(), "pete@silly.test");
  EXPECT_EQ(a[7].addr_spec(), "john.q.public@example.com");
}

TEST(Address, Junk) {
  auto a = parse_address_list("<a@b>> , <<c@d>, \"unterminated <e@f>");
  ASSERT_GE(a.size(), 2u);
  EXPECT_EQ(a[0].addr_spec(), "a@b");
  EXPECT_EQ(a[1].addr_spec(), "c@d");
  EXPECT_EQ(parse_address_list("undisclosed-recipients").at(0).local, "undisclosed-recipients");
  EXPECT_TRUE(parse_address_list("").empty());
  EXPECT_TRUE(parse_address_list(" ,, ;").empty());
  EXPECT_EQ(parse_address_list("a@[192.0.2.1]")[0].domain, "[192.0.2.1]");
  EXPECT_EQ(parse_address_list("\"\xe5\xb1\xb1\" <\xe5\xb1\xb1@example.jp>")[0].local,
            "\xe5\xb1\xb1");
  std::string many;
  for (int i = 0; i < 20000; ++i) {
    many += "a@b,";
  }
  EXPECT_EQ(parse_address_list(many).size(), 10000u);
  std::string routes;
  for (int i = 0; i < 50000; ++i) {
    routes += "<@a,";
  }
  EXPECT_EQ(parse_address_list(routes).size(), 10000u);
  std::string routes2 = "<";
  for (int i = 0; i < 50000; ++i) {
    routes2 += "@a,";
  }
  parse_address_list(routes2);
  std::string parens(100000, '(');
  EXPECT_TRUE(parse_address_list(parens).empty());
  for (size_t n = 0; n < 120; ++n) {
    parse_address_list(std::string_view("\"a\\\" (b) <c@d>, e:f@g;").substr(0, n % 23));
  }
}

}  // namespace
}  // namespace tegami::mime
