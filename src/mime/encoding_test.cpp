#include "mime/encoding.hpp"

#include <gtest/gtest.h>

namespace tegami::mime {
namespace {

TEST(Base64, TolerantDecoding) {
  EXPECT_EQ(decode_base64("SGVsbG8="), "Hello");
  EXPECT_EQ(decode_base64("SGVs\r\nbG8=\r\n"), "Hello");
  EXPECT_EQ(decode_base64("SG VsbG8"), "Hello");        // whitespace, missing padding
  EXPECT_EQ(decode_base64("S*G!V$s%b^G8=="), "Hello");  // garbage skipped
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("===="), "");
}

TEST(QuotedPrintable, Decoding) {
  EXPECT_EQ(decode_quoted_printable("caf=C3=A9"), "café");
  EXPECT_EQ(decode_quoted_printable("caf=c3=a9"), "café");
  EXPECT_EQ(decode_quoted_printable("soft=\r\nbreak\r\n"), "softbreak\r\n");
  EXPECT_EQ(decode_quoted_printable("soft=\nbreak"), "softbreak");
  EXPECT_EQ(decode_quoted_printable("trailing   \r\nx"), "trailing\r\nx");
  EXPECT_EQ(decode_quoted_printable("soft=  \r\nx"), "softx");
  EXPECT_EQ(decode_quoted_printable("bad=ZZ and =4"), "bad=ZZ and =4");
  EXPECT_EQ(decode_quoted_printable("a=3D=\r\n"), "a=");
  EXPECT_EQ(decode_quoted_printable("="), "");
}

TEST(Transfer, ByName) {
  EXPECT_EQ(decode_transfer("SGk=", "BASE64"), "Hi");
  EXPECT_EQ(decode_transfer("H=69", " Quoted-Printable "), "Hi");
  EXPECT_EQ(decode_transfer("H=69", "8bit"), "H=69");
  EXPECT_EQ(decode_transfer("H=69", "x-uuencode"), "H=69");
}

TEST(Rfc2047, EncodedWords) {
  EXPECT_EQ(decode_rfc2047("=?ISO-2022-JP?B?GyRCMnE1RCRON28kSyREJCQkRhsoQg==?="),
            "会議の件について");
  EXPECT_EQ(decode_rfc2047("=?utf-8?q?caf=C3=A9_au_lait?="), "café au lait");
  EXPECT_EQ(decode_rfc2047("Re: =?UTF-8?B?5pel5pys6Kqe?= test"), "Re: 日本語 test");
  // RFC 2047 §8 examples.
  EXPECT_EQ(decode_rfc2047("(=?ISO-8859-1?Q?a?=)"), "(a)");
  EXPECT_EQ(decode_rfc2047("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
  EXPECT_EQ(decode_rfc2047("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_rfc2047("(=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_rfc2047("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
  EXPECT_EQ(decode_rfc2047("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a b)");
  // A UTF-8 character split across two adjacent words is joined before conversion.
  EXPECT_EQ(decode_rfc2047("=?UTF-8?B?5pel5pys6A==?= =?UTF-8?B?qp4=?="), "日本語");
  // ISO-2022-JP split across words (each word returns to ASCII per RFC 1468, but some
  // mailers do not).
  EXPECT_EQ(decode_rfc2047("=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= =?ISO-2022-JP?B?GyRCQkBPOhsoQg==?="),
            "山田太郎");
  // RFC 2231 §5 language suffix.
  EXPECT_EQ(decode_rfc2047("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
  // Malformed words stay as they are.
  EXPECT_EQ(decode_rfc2047("=?utf-8?x?abc?="), "=?utf-8?x?abc?=");
  EXPECT_EQ(decode_rfc2047("=?utf-8?q?no end"), "=?utf-8?q?no end");
  EXPECT_EQ(decode_rfc2047("=??q?a?="), "=??q?a?=");
  EXPECT_EQ(decode_rfc2047("a =?= b"), "a =?= b");
  // Unknown charset: bytes read as UTF-8.
  EXPECT_EQ(decode_rfc2047("=?x-nope?q?ok?="), "ok");
  // Encoded words glued to text (common in the wild) are decoded.
  EXPECT_EQ(decode_rfc2047("x=?utf-8?q?y?=z"), "xyz");
}

TEST(Rfc2047, RawEightBit) {
  EXPECT_EQ(decode_rfc2047("日本語 subject"), "日本語 subject");
  EXPECT_EQ(decode_rfc2047("\x93\xfa\x96{\x8c\xea", "shift_jis"), "日本語");
  EXPECT_EQ(decode_rfc2047("caf\xe9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(decode_rfc2047("\x1b$B$3$s$K$A$O\x1b(B"), "こんにちは");  // raw ISO-2022-JP
}

TEST(Rfc2047, TruncatedAtEveryByte) {
  std::string s =
      "Re: =?ISO-2022-JP?B?GyRCMnE1RCRON28kSyREJCQkRhsoQg==?= =?utf-8?q?caf=C3=A9?= \x93\xfa";
  for (size_t n = 0; n <= s.size(); ++n) {
    std::string out = decode_rfc2047(s.substr(0, n), "shift_jis");
    std::string qp = decode_quoted_printable(s.substr(0, n));
    EXPECT_LE(qp.size(), n);
  }
}

TEST(Rfc2047, LinearOnAdversarialInput) {
  std::string s;
  for (int i = 0; i < 200000; ++i) {
    s += "=?x?q?";
  }
  EXPECT_EQ(decode_rfc2047(s), s);
  std::string t;
  for (int i = 0; i < 100000; ++i) {
    t += "=?utf-8?q?a?= ";
  }
  EXPECT_EQ(decode_rfc2047(t), std::string(100000, 'a') + " ");
}

TEST(Rfc2231, Values) {
  EXPECT_EQ(decode_rfc2231("us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"),
            "This is ***fun***");
  EXPECT_EQ(decode_rfc2231("UTF-8''%E6%97%A5%E6%9C%AC.txt"), "日本.txt");
  EXPECT_EQ(decode_rfc2231("iso-2022-jp''%1B%24B%24%33%24s%1B%28B"), "こん");
  EXPECT_EQ(decode_rfc2231("no quotes%2"), "no quotes%2");
}

}  // namespace
}  // namespace tegami::mime
