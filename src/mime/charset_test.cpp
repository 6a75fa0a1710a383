#include "mime/charset.hpp"

#include <gtest/gtest.h>

namespace tegami::mime {
namespace {

TEST(Charset, JapaneseCharsets) {
  EXPECT_EQ(to_utf8("\x1b$B2q5D$N7o$K$D$$$F\x1b(B", "ISO-2022-JP"), "会議の件について");
  EXPECT_EQ(to_utf8("\x1b$B$3$s$K$A$O\x1b(B", "iso-2022-jp"), "こんにちは");
  EXPECT_EQ(to_utf8("\xc6\xfc\xcb\xdc\xb8\xec", "EUC-JP"), "日本語");
  for (const char* label : {"Shift_JIS", "sjis", "x-sjis", "cp932", "windows-31j", "SHIFT-JIS"}) {
    EXPECT_EQ(to_utf8("\x93\xfa\x96{\x8c\xea", label), "日本語") << label;
  }
  // NEC/IBM extensions of cp932 (circled digits, half-width kana) decode under every label.
  EXPECT_EQ(to_utf8("\x87@\xb1", "Shift_JIS"), "①ｱ");
}

TEST(Charset, WesternAndFallbacks) {
  EXPECT_EQ(to_utf8("caf\xe9", "ISO-8859-1"), "café");
  EXPECT_EQ(to_utf8("\x93x\x94", "iso-8859-1"), "“x”");  // read as windows-1252
  EXPECT_EQ(to_utf8("\x93x\x94", "windows-1252"), "“x”");
  EXPECT_EQ(to_utf8("plain", "no-such-charset"), "plain");
  EXPECT_EQ(to_utf8("caf\xc3\xa9", "x-unknown-thing"), "café");
  EXPECT_EQ(to_utf8("a\xff"
                    "b",
                    "utf-8"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(to_utf8("a\xff"
                    "b",
                    "bogus"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(to_utf8("\"utf-8\"", ""), "\"utf-8\"");
  EXPECT_EQ(to_utf8("abc", "us-ascii"), "abc");
  EXPECT_EQ(to_utf8("caf\xc3\xa9", "us-ascii"), "café");         // 8-bit labelled ASCII: try UTF-8
  EXPECT_EQ(to_utf8("x", "ISO_2022,locale=ja,version=4"), "x");  // ICU options are not labels
  EXPECT_TRUE(charset_supported("ISO-2022-JP"));
  EXPECT_TRUE(charset_supported("euc-kr"));
  EXPECT_FALSE(charset_supported("no-such-charset"));
}

TEST(Charset, InvalidBytesAreSubstituted) {
  // A truncated double-byte character and an invalid lead byte in Shift_JIS.
  std::string out = to_utf8("\x93\xfa\x96", "shift_jis");
  EXPECT_EQ(out.substr(0, 3), "日");
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
  // A broken ISO-2022-JP escape sequence never throws and yields valid UTF-8.
  std::string broken = to_utf8("\x1b$B\xff\xfe\x1b", "iso-2022-jp");
  EXPECT_EQ(sanitize_utf8(broken), broken);
}

TEST(Charset, SanitizeUtf8) {
  EXPECT_EQ(sanitize_utf8("日本"), "日本");
  EXPECT_EQ(sanitize_utf8("\xe6\x97"), "\xEF\xBF\xBD");              // truncated: one U+FFFD
  EXPECT_EQ(sanitize_utf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(sanitize_utf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(sanitize_utf8("\xf0\x9f\x98\x80"), "😀");
}

TEST(Charset, FoldCase) {
  EXPECT_EQ(fold_case("Hello WORLD"), "hello world");
  EXPECT_EQ(fold_case("Straße"), "strasse");
  EXPECT_EQ(fold_case("Ｔｅｓｔ"), "test");  // full-width (NFKC)
  EXPECT_EQ(fold_case("ｱｲｳ"), "アイウ");     // half-width kana
  EXPECT_EQ(fold_case("ΣΑΣ"), "σασ");
  EXPECT_TRUE(fold_contains(fold_case("Re: Meeting ＡＧＥＮＤＡ"), "agenda"));
  EXPECT_TRUE(fold_contains(fold_case("会議の件"), "会議"));
  EXPECT_FALSE(fold_contains(fold_case("abc"), "abd"));
  EXPECT_TRUE(fold_contains("", ""));
  EXPECT_EQ(fold_case("a\xff"), "a\xEF\xBF\xBD");
}

}  // namespace
}  // namespace tegami::mime
