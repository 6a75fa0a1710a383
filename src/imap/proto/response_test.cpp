// Tests: response helpers (RFC 9051 §4.3, §4.5, §9 flag-list, sequence-set, date-time).
#include <gtest/gtest.h>

#include "imap/proto/response.hpp"

namespace tegami::imap::proto {
namespace {

TEST(Response, Strings) {
  EXPECT_EQ(quote_string("hello"), "\"hello\"");
  EXPECT_EQ(quote_string(""), "\"\"");
  EXPECT_EQ(quote_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote_string("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(quote_string(std::string("a\0b", 3)), std::string("{3}\r\na\0b", 8));
  EXPECT_EQ(quote_string("\xE6\x97\xA5"), "{3}\r\n\xE6\x97\xA5");
  EXPECT_EQ(quote_string_utf8("\xE6\x97\xA5"), "\"\xE6\x97\xA5\"");
  EXPECT_EQ(quote_string_utf8("\xff"), "{1}\r\n\xff");
  EXPECT_EQ(quote_string(std::string(2000, 'a')).substr(0, 8), "{2000}\r\n");
  EXPECT_EQ(nstring(std::nullopt), "NIL");
  EXPECT_EQ(nstring(std::string("x")), "\"x\"");
  EXPECT_EQ(nstring_utf8(std::string("\xC3\xA9")), "\"\xC3\xA9\"");
  EXPECT_EQ(astring("INBOX"), "INBOX");
  EXPECT_EQ(astring("Sent Items"), "\"Sent Items\"");
  EXPECT_EQ(astring("nil"), "\"nil\"");
  EXPECT_EQ(astring(""), "\"\"");
  EXPECT_EQ(astring("a*b"), "\"a*b\"");
  EXPECT_EQ(literal("abc"), "{3}\r\nabc");
}

TEST(Response, FlagList) {
  EXPECT_EQ(flag_list({}), "()");
  EXPECT_EQ(flag_list({"\\Seen", "\\Answered", "$Forwarded"}), "(\\Seen \\Answered $Forwarded)");
}

TEST(Response, SequenceSet) {
  std::vector<uint32_t> v = {1, 2, 3, 7, 9, 10, 11, 12, 20};
  EXPECT_EQ(sequence_set_string(v), "1:3,7,9:12,20");
  std::vector<uint32_t> d = {5, 5, 6, 6, 8};
  EXPECT_EQ(sequence_set_string(d), "5:6,8");
  EXPECT_EQ(sequence_set_string(std::span<const uint32_t>{}), "");
  std::vector<uint32_t> big = {4294967294u, 4294967295u};
  EXPECT_EQ(sequence_set_string(big), "4294967294:4294967295");
  SequenceSet s;
  s.ranges = {{1, kStar}, {5, 5}};
  EXPECT_EQ(sequence_set_string(s), "1:*,5");
  s.saved = true;
  EXPECT_EQ(sequence_set_string(s), "$");
}

TEST(Response, DateTime) {
  auto dt = parse_date_time("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->year, 1996);
  EXPECT_EQ(dt->month, 7);
  EXPECT_EQ(dt->tz_minutes, -420);
  EXPECT_EQ(format_date_time(*dt), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(dt->to_unix(), 837596665);
  EXPECT_EQ(format_date_time_quoted(*dt), "\"17-Jul-1996 02:44:25 -0700\"");
  auto d2 = parse_date_time("\" 7-Feb-1994 21:52:25 +0100\"");
  ASSERT_TRUE(d2);
  EXPECT_EQ(format_date_time(*d2), " 7-Feb-1994 21:52:25 +0100");
  EXPECT_TRUE(parse_date_time("07-Feb-1994 21:52:25 +0100"));
  EXPECT_TRUE(parse_date_time("7-feb-1994 21:52:25 +0100"));
  for (const char* b :
       {"", "17-Jul-1996", "17-Jul-1996 02:44:25", "17-Jul-1996 24:00:00 +0000",
        "17-Jul-1996 02:44:25 0700", "17-Jux-1996 02:44:25 -0700", "31-Apr-1996 02:44:25 -0700",
        "17-Jul-96 02:44:25 -0700", "17-Jul-1996 2:44:25 -0700", "17-Jul-1996 02:44:25 -07000"}) {
    EXPECT_FALSE(parse_date_time(b)) << b;
  }
  auto u = date_time_from_unix(837596665, -420);
  EXPECT_EQ(format_date_time(u), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(format_date_time(date_time_from_unix(0)), " 1-Jan-1970 00:00:00 +0000");
  EXPECT_EQ(format_date_time(date_time_from_unix(951782400, 330)), "29-Feb-2000 05:30:00 +0530");
  EXPECT_EQ(date_time_from_unix(-1).year, 1969);
}

TEST(Response, Date) {
  auto d = parse_date("1-Feb-1994");
  ASSERT_TRUE(d);
  EXPECT_EQ(format_date(*d), "1-Feb-1994");
  EXPECT_TRUE(parse_date("\"01-feb-1994\""));
  EXPECT_FALSE(parse_date("1-Feb-94"));
  EXPECT_FALSE(parse_date("0-Feb-1994"));
  EXPECT_FALSE(parse_date("123-Feb-1994"));
}

}  // namespace
}  // namespace tegami::imap::proto
