#include "mime/date.hpp"

#include <gtest/gtest.h>

namespace tegami::mime {
namespace {

TEST(Date, Rfc5322) {
  // 1997-11-21 09:55:06 -0600 = 15:55:06 UTC (RFC 5322 Appendix A.1.1).
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 09:55:06 -0600"), 880127706);
  EXPECT_EQ(parse_date(" 21 Nov 1997 15:55:06 +0000\r\n"), 880127706);
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 15:55:06 GMT"), 880127706);
  EXPECT_EQ(parse_date("Sat, 22 Nov 1997 00:55:06 +0900 (JST)"), 880127706);
  EXPECT_EQ(parse_date("Thu, 1 Jan 1970 00:00:00 +0000"), 0);
  EXPECT_EQ(parse_date("Mon, 3 Jan 2022 10:00 +0900"), 1641171600);
}

TEST(Date, Obsolete) {
  EXPECT_EQ(parse_date("21 Nov 97 09:55:06 CST"), 880127706);  // CST = -0600
  EXPECT_EQ(parse_date("Fri, 21 Nov 097 15:55:06 UT"), 880127706);
  EXPECT_EQ(parse_date("Fri , 21 Nov 1997 15 : 55 : 06 Z"), std::nullopt);  // spaced time
  EXPECT_EQ(parse_date("21 Nov 1997 15:55:06"), 880127706);                 // no zone
  EXPECT_EQ(parse_date("Fri Nov 21 15:55:06 1997"), 880127706);             // asctime
  EXPECT_EQ(parse_date("3 Jan 22 10:00:00 +0000"), 1641204000);
  EXPECT_EQ(parse_date("Wed, 31 Dec 1969 23:59:59 +0000"), -1);
}

TEST(Date, Invalid) {
  EXPECT_EQ(parse_date(""), std::nullopt);
  EXPECT_EQ(parse_date("yesterday"), std::nullopt);
  EXPECT_EQ(parse_date("21 Foo 1997 10:00:00"), std::nullopt);
  EXPECT_EQ(parse_date("99 Nov 1997 10:00:00"), std::nullopt);
  EXPECT_EQ(parse_date("21 Nov 1997 25:00:00"), std::nullopt);
  std::string s = "Fri, 21 Nov 1997 09:55:06 -0600";
  for (size_t n = 0; n <= s.size(); ++n) {
    parse_date(s.substr(0, n));
  }
}

}  // namespace
}  // namespace tegami::mime
