#include "mime/header.hpp"

#include <gtest/gtest.h>

namespace tegami::mime {
namespace {

TEST(Header, FieldsAndUnfolding) {
  std::string h =
      "From: a@example.com\r\n"
      "Subject: folded\r\n"
      " over\r\n"
      "\tlines\r\n"
      "junk line without colon\r\n"
      "X-Empty:\r\n"
      "Received : obsolete space before colon\r\n"
      "\r\n"
      "Body: not a header\r\n";
  auto f = parse_header_fields(h);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].name, "From");
  EXPECT_EQ(f[0].value, " a@example.com");
  EXPECT_EQ(f[1].value, " folded\r\n over\r\n\tlines");
  EXPECT_EQ(unfold(f[1].value), "folded over\tlines");
  EXPECT_EQ(f[2].name, "X-Empty");
  EXPECT_EQ(f[2].value, "");
  EXPECT_EQ(f[3].name, "Received");
  EXPECT_EQ(*find_field(f, "SUBJECT"), f[1].value);
  EXPECT_FALSE(find_field(f, "Body"));
}

TEST(Header, BareLfAndNoFinalNewline) {
  auto f = parse_header_fields("A: 1\n b\nC: 2");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(unfold(f[0].value), "1 b");
  EXPECT_EQ(f[1].value, " 2");
}

TEST(Header, DecodeValue) {
  EXPECT_EQ(decode_header_value(" =?ISO-2022-JP?B?GyRCMnE1RCRON28kSyREJCQkRhsoQg==?=\r\n"),
            "会議の件について");
  EXPECT_EQ(decode_header_value(" =?utf-8?q?a?=\r\n =?utf-8?q?b?="), "ab");
}

TEST(Header, StripComments) {
  EXPECT_EQ(strip_comments("text/plain (a (nested) comment) ; x=\"(kept)\""),
            "text/plain   ; x=\"(kept)\"");
  EXPECT_EQ(strip_comments("a (unterminated"), "a  ");
  EXPECT_EQ(strip_comments("a \"unterminated (x)"), "a \"unterminated (x)");
}

TEST(Header, ContentType) {
  auto ct = parse_content_type(" Text/HTML; Charset=\"UTF-8\"; format=flowed (c)");
  EXPECT_EQ(ct.type, "Text");
  EXPECT_EQ(ct.subtype, "HTML");
  ASSERT_EQ(ct.params.size(), 2u);
  EXPECT_EQ(ct.params[0].name, "Charset");
  EXPECT_EQ(ct.params[0].value, "UTF-8");
  EXPECT_EQ(ct.params[1].value, "flowed");
  EXPECT_EQ(*find_param(ct.params, "charset"), "UTF-8");
  EXPECT_EQ(parse_content_type("garbage").type, "");
  EXPECT_EQ(parse_content_type("text/").type, "");
  auto mp = parse_content_type("multipart/mixed;\r\n\tboundary=\"=_a b \\\"c\\\"\"");
  EXPECT_EQ(*find_param(mp.params, "boundary"), "=_a b \"c\"");
}

TEST(Header, ParamsTolerance) {
  auto p = parse_params(" name=report 2024.pdf ; ;novalue; x=\"unterminated");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].value, "report 2024.pdf");
  EXPECT_EQ(p[1].value, "unterminated");
  // Outlook-style encoded word inside a quoted filename.
  auto q = parse_params("filename=\"=?UTF-8?B?5pel5pys6Kqe?=.txt\"");
  EXPECT_EQ(*find_param(q, "filename"), "日本語.txt");
}

TEST(Header, Rfc2231Continuations) {
  // RFC 2231 §3 and §4.1 examples.
  auto a = parse_params(
      " URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].name, "URL");
  EXPECT_FALSE(a[0].extended);
  EXPECT_EQ(a[0].value, "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
  auto b = parse_params(" title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].extended);
  EXPECT_EQ(*find_param(b, "title"), "This is ***fun***");
  auto c = parse_params(
      " title*0*=us-ascii'en'This%20is%20even%20more%20;"
      " title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].extended);
  EXPECT_EQ(c[0].value,
            "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!");
  EXPECT_EQ(*find_param(c, "title"), "This is even more ***fun*** isn't it!");
  // Out of order segments, a Japanese filename, and a plain fallback beside it.
  auto d = parse_params(
      " filename*1*=%E8%AA%9E.txt; filename*0*=UTF-8''%E6%97%A5%E6%9C%AC; filename=\"x.txt\"");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(*find_param(d, "FILENAME"), "日本語.txt");
  // Gaps stop the merge; absurd indexes are ignored.
  auto e = parse_params(" n*0=a; n*2=c; n*99999999999=z");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "a");
}

TEST(Header, DispositionAndLanguage) {
  auto d = parse_disposition(" attachment;\r\n filename=\"a.pdf\"; size=123");
  EXPECT_EQ(d.type, "attachment");
  ASSERT_EQ(d.params.size(), 2u);
  EXPECT_EQ(parse_disposition(" ; filename=x").type, "");
  auto l = parse_language_list(" en, ja (Japanese) ,, de-CH");
  EXPECT_EQ(l, (std::vector<std::string>{"en", "ja", "de-CH"}));
}

}  // namespace
}  // namespace tegami::mime
