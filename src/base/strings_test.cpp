#include "base/strings.hpp"

#include <gtest/gtest.h>

namespace tegami {

TEST(Strings, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("\xe6\x89\x8b\xe7\xb4\x99"));  // 手紙
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                 // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));             // surrogate
  EXPECT_FALSE(is_valid_utf8("\xe6\x89"));                 // truncated
}

// The run ends at the first byte >= 0x80 wherever it falls: in a 64-byte block, at a block's
// edge, in the tail after the last whole block, or nowhere.
TEST(Strings, AsciiPrefixStopsAtTheFirstHighByte) {
  for (std::size_t len : {0, 1, 63, 64, 65, 128, 200}) {
    std::string s(len, 'a');
    EXPECT_EQ(ascii_prefix(s), len);
    EXPECT_TRUE(is_ascii(s));
    for (std::size_t at = 0; at < len; at += (at < 70 ? 1 : 13)) {
      std::string t = s;
      t[at] = static_cast<char>(0x80 + at % 0x80);
      t += "\xff";
      EXPECT_EQ(ascii_prefix(t), at) << len << " " << at;
      EXPECT_FALSE(is_ascii(t));
    }
  }
  EXPECT_EQ(ascii_prefix(std::string_view("ab\0c\x7f", 5)), 5u) << "NUL and DEL are ASCII";
}

TEST(Strings, AppendUtf8EncodesEveryLength) {
  std::string s;
  for (uint32_t cp : {0x41u, 0xE9u, 0x624Bu, 0x1F600u}) append_utf8(s, cp);
  EXPECT_EQ(s, "A\xc3\xa9\xe6\x89\x8b\xf0\x9f\x98\x80");
  EXPECT_TRUE(is_valid_utf8(s));
}

TEST(Strings, Base64RoundTripAndRejectsGarbage) {
  EXPECT_EQ(base64_encode(std::string_view("\0user\0pass", 10)), "AHVzZXIAcGFzcw==");
  EXPECT_EQ(*base64_decode("AHVzZXIAcGFzcw=="), std::string("\0user\0pass", 10));
  EXPECT_FALSE(base64_decode("!!!").has_value());
}

TEST(Strings, ParseU64RejectsOverflow) {
  EXPECT_EQ(parse_u64("42"), 42u);
  EXPECT_FALSE(parse_u64("99999999999999999999999").has_value());
  EXPECT_FALSE(parse_u64("1a").has_value());
  EXPECT_FALSE(parse_u64("").has_value());
}

}  // namespace tegami
