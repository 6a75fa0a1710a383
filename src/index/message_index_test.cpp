#include "index/message_index.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "base/strings.hpp"
#include "mime/charset.hpp"
#include "mime/structure.hpp"

namespace tegami::index {
namespace {

std::string lines(int n, size_t width, size_t last_width) {
  std::string s;
  for (int i = 0; i < n - 1; ++i) {
    s += std::string(width, 'x') + "\r\n";
  }
  s += std::string(last_width, 'y');
  return s;
}

// RFC 3501 §7.4.2 / RFC 9051 §7.5.2 FETCH example, rebuilt as a message.
TEST(MessageIndex, RfcEnvelopeAndBodyExample) {
  std::string m =
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
      "From: Terry Gray <gray@cac.washington.edu>\r\n"
      "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
      "To: imap@cac.washington.edu\r\n"
      "cc: minutes@CNRI.Reston.VA.US,\r\n"
      "    John Klensin <KLENSIN@MIT.EDU>\r\n"
      "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
      "Content-Transfer-Encoding: 7BIT\r\n"
      "\r\n" +
      lines(92, 31, 23) + "\r\n";
  auto idx = build(m);
  EXPECT_EQ(
      idx.envelope,
      R"x(("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" )x"
      R"x((("Terry Gray" NIL "gray" "cac.washington.edu")) )x"
      R"x((("Terry Gray" NIL "gray" "cac.washington.edu")) )x"
      R"x((("Terry Gray" NIL "gray" "cac.washington.edu")) )x"
      R"x(((NIL NIL "imap" "cac.washington.edu")) )x"
      R"x(((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) )x"
      R"x(NIL NIL "<B27397-0100000@cac.washington.edu>"))x");
  EXPECT_EQ(idx.body, R"x(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))x");
  EXPECT_EQ(idx.body_structure,
            R"x(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL))x");
  EXPECT_EQ(idx.sent_date, 837595405);
  EXPECT_EQ(idx.subject, "IMAP4rev1 WG mtg summary and minutes");
  EXPECT_EQ(idx.from, "gray@cac.washington.edu");
  EXPECT_EQ(idx.message_id, "B27397-0100000@cac.washington.edu");
  EXPECT_NE(
      idx.search_headers.find("cc: minutes@CNRI.Reston.VA.US,    John Klensin <KLENSIN@MIT.EDU>\n"),
      std::string::npos);
}

// RFC 3501 §7.4.2 / RFC 9051 §7.5.2 BODYSTRUCTURE example (multipart/mixed, two parts).
TEST(MessageIndex, RfcMultipartExample) {
  std::string m =
      "From: a@b\r\n"
      "Content-Type: MULTIPART/MIXED; BOUNDARY=\"sep\"\r\n"
      "\r\n"
      "--sep\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
      "Content-Transfer-Encoding: 7BIT\r\n"
      "\r\n" +
      lines(23, 48, 50) +
      "\r\n\r\n--sep\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n"
      "Content-ID: <960723163407.20117h@cac.washington.edu>\r\n"
      "Content-Description: Compiler diff\r\n"
      "Content-Transfer-Encoding: BASE64\r\n"
      "\r\n" +
      lines(73, 60, 88) + "\r\n\r\n--sep--\r\n";
  auto idx = build(m);
  EXPECT_EQ(idx.body,
            R"x((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23))x"
            R"x(("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") )x"
            R"x("<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) )x"
            R"x("MIXED"))x");
  EXPECT_EQ(idx.body_structure,
            R"x((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23 NIL NIL NIL NIL))x"
            R"x(("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") )x"
            R"x("<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73 )x"
            R"x(NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "sep") NIL NIL NIL))x");
  // Sender and Reply-To default to From; absent To/Cc/Bcc are NIL.
  EXPECT_EQ(idx.envelope,
            R"x((NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL )x"
            R"x(NIL NIL))x");
}

const char kNested[] =
    "From: Ann <ann@example.com>\r\n"
    "Subject: nested\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 au lait\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>caf\xc3\xa9</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: carol@example.net\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/mixed; boundary=x\r\n"
    "\r\n"
    "--x\r\n"
    "\r\n"
    "inner text\r\n"
    "--x\r\n"
    "Content-Type: image/png\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*=UTF-8''%E6%B7%BB%E4%BB%98.png\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--x--\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
    "Content-Language: en, ja\r\n"
    "Content-Location: http://example.com/a.bin\r\n"
    "Content-MD5: MD5SUM\r\n"
    "\r\n"
    "AAAA\r\n"
    "--outer--\r\n";

TEST(MessageIndex, NestedBodyStructure) {
  auto idx = build(kNested);
  EXPECT_EQ(
      idx.body_structure,
      R"x(((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 0 NIL NIL NIL NIL))x"
      R"x(("text" "html" ("charset" "utf-8") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "alternative" )x"
      R"x(("boundary" "inner") NIL NIL NIL))x"
      R"x(("message" "rfc822" NIL NIL NIL "7bit" 267 )x"
      R"x((NIL "inner" ((NIL NIL "carol" "example.net")) ((NIL NIL "carol" "example.net")) )x"
      R"x(((NIL NIL "carol" "example.net")) NIL NIL NIL NIL NIL) )x"
      R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 0 NIL NIL NIL NIL))x"
      R"x(("image" "png" NIL NIL NIL "base64" 12 NIL )x"
      R"x(("attachment" ("filename*" "UTF-8''%E6%B7%BB%E4%BB%98.png")) NIL NIL) "mixed" )x"
      R"x(("boundary" "x") NIL NIL NIL) 14 NIL NIL NIL NIL))x"
      R"x(("application" "octet-stream" NIL NIL NIL "7bit" 4 "MD5SUM" ("attachment" )x"
      R"x(("filename" "a.bin")) ("en" "ja") "http://example.com/a.bin") "mixed" )x"
      R"x(("boundary" "outer") NIL NIL NIL))x");
}

TEST(MessageIndex, NestedParts) {
  std::string_view m = kNested;
  auto idx = build(m);
  auto parts = decode_parts(idx.parts);
  std::vector<std::string> sections;
  for (const auto& p : parts) {
    sections.push_back(p.section);
  }
  EXPECT_EQ(sections, (std::vector<std::string>{"", "1", "1.1", "1.2", "2", "2.1", "2.2", "3"}));
  auto text = [&](std::string_view s, SectionText what) {
    auto r = section_range(parts, s, what);
    return r ? std::string(m.substr(r->begin, r->end - r->begin)) : std::string("<none>");
  };
  EXPECT_EQ(text("1.1", SectionText::kAll), "caf=C3=A9 au lait");
  EXPECT_EQ(text("1.1", SectionText::kMime),
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  EXPECT_EQ(text("1.1", SectionText::kHeader), "<none>");
  EXPECT_EQ(text("2", SectionText::kHeader),
            "From: carol@example.net\r\nSubject: inner\r\n"
            "Content-Type: multipart/mixed; boundary=x\r\n\r\n");
  EXPECT_EQ(text("2", SectionText::kText).substr(0, 16), "--x\r\n\r\ninner tex");
  EXPECT_EQ(text("2", SectionText::kAll).substr(0, 24), "From: carol@example.net\r");
  EXPECT_EQ(text("2", SectionText::kMime), "Content-Type: message/rfc822\r\n\r\n");
  EXPECT_EQ(text("2.1", SectionText::kAll), "inner text");
  EXPECT_EQ(text("2.2", SectionText::kAll), "iVBORw0KGgo=");
  EXPECT_EQ(text("", SectionText::kAll), std::string(m));
  EXPECT_EQ(text("", SectionText::kHeader).substr(0, 6), "From: ");
  EXPECT_EQ(text("", SectionText::kText).substr(0, 10), "preamble\r\n");
  EXPECT_EQ(text("", SectionText::kMime), "<none>");
  EXPECT_EQ(text("4", SectionText::kAll), "<none>");
  EXPECT_EQ(text("2.3", SectionText::kAll), "<none>");
  auto p22 = find_part(parts, "2.2");
  ASSERT_TRUE(p22);
  EXPECT_EQ(p22->content_type, "image/png");
  EXPECT_EQ(p22->transfer_encoding, "base64");
  auto p11 = find_part(parts, "1.1");
  EXPECT_EQ(p11->charset, "utf-8");
  EXPECT_TRUE(find_part(parts, "2")->is_message);
  EXPECT_FALSE(find_part(parts, "1")->is_message);
  EXPECT_EQ(idx.search_body,
            "café au lait\n<p>café</p>\nFrom: carol@example.net\nSubject: inner\n"
            "Content-Type: multipart/mixed; boundary=x\ninner text");
}

TEST(MessageIndex, NonMultipartAndTopLevelMessage) {
  std::string m = "Subject: x\r\n\r\nbody\r\n";
  auto parts = decode_parts(build(m).parts);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].section, "1");
  auto r = section_range(parts, "1", SectionText::kAll);
  EXPECT_EQ(m.substr(r->begin, r->end - r->begin), "body\r\n");
  auto mime = section_range(parts, "1", SectionText::kMime);
  EXPECT_EQ(m.substr(mime->begin, mime->end - mime->begin), "Subject: x\r\n\r\n");

  std::string fwd = "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n";
  auto idx = build(fwd);
  auto fp = decode_parts(idx.parts);
  std::vector<std::string> sections;
  for (const auto& p : fp) {
    sections.push_back(p.section);
  }
  EXPECT_EQ(sections, (std::vector<std::string>{"", "1", "1.1"}));
  auto h = section_range(fp, "1", SectionText::kHeader);
  EXPECT_EQ(fwd.substr(h->begin, h->end - h->begin), "Subject: inner\r\n\r\n");
  auto b = section_range(fp, "1.1", SectionText::kAll);
  EXPECT_EQ(fwd.substr(b->begin, b->end - b->begin), "inner body\r\n");
  EXPECT_EQ(idx.body_structure,
            R"x(("message" "rfc822" NIL NIL NIL "7bit" 30 (NIL "inner" NIL NIL NIL NIL NIL NIL )x"
            R"x(NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1 NIL NIL NIL )x"
            R"x(NIL) 3 NIL NIL NIL NIL))x");
}

TEST(MessageIndex, JapaneseMail) {
  std::string m =
      "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <yamada@example.jp>\r\n"
      "To: \"Suzuki\" <suzuki@example.jp>\r\n"
      "Subject: =?ISO-2022-JP?B?GyRCMnE1RCRON28kSyREJCQkRhsoQg==?=\r\n"
      "Date: Mon, 3 Jan 2022 10:00:00 +0900\r\n"
      "Message-ID: <20220103.abc@example.jp>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=Shift_JIS\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "\x82\xa8\x90\xa2\x98"
      "b\x82\xc9\x82\xc8\x82\xc1\x82\xc4\x82\xa8\x82\xe8\x82\xdc\x82\xb7"
      "\x81"
      "B\r\n\x96\xbe\x93\xfa\x82\xcc\x89\xef\x8b"
      "c\x82\xcd"
      "10\x8e\x9e\x82\xa9\x82\xe7"
      "\x82\xc5\x82\xb7\x81"
      "B\r\n";
  auto idx = build(m);
  EXPECT_EQ(idx.subject, "会議の件について");
  EXPECT_EQ(idx.search_body, "お世話になっております。\r\n明日の会議は10時からです。\r\n");
  EXPECT_EQ(idx.from, "yamada@example.jp");
  EXPECT_EQ(idx.sent_date, 1641171600);
  EXPECT_EQ(idx.message_id, "20220103.abc@example.jp");
  EXPECT_NE(idx.search_headers.find("From: 山田 太郎 <yamada@example.jp>\n"), std::string::npos);
  EXPECT_NE(idx.search_headers.find("Subject: 会議の件について\n"), std::string::npos);
  // ENVELOPE keeps the raw encoded words.
  EXPECT_EQ(
      idx.envelope,
      R"x(("Mon, 3 Jan 2022 10:00:00 +0900" "=?ISO-2022-JP?B?GyRCMnE1RCRON28kSyREJCQkRhsoQg==?=" )x"
      R"x((("=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=" NIL "yamada" "example.jp")) )x"
      R"x((("=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=" NIL "yamada" "example.jp")) )x"
      R"x((("=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=" NIL "yamada" "example.jp")) )x"
      R"x((("Suzuki" NIL "suzuki" "example.jp")) NIL NIL NIL "<20220103.abc@example.jp>"))x");
  EXPECT_EQ(idx.body, R"x(("text" "plain" ("charset" "Shift_JIS") NIL NIL "8bit" 54 2))x");
  for (size_t n = 0; n <= m.size(); ++n) {
    auto t = build(std::string_view(m).substr(0, n));
    ASSERT_TRUE(is_valid_utf8(t.subject)) << n;
    ASSERT_TRUE(is_valid_utf8(t.search_body)) << n;
    ASSERT_TRUE(is_valid_utf8(t.search_headers)) << n;
  }
}

TEST(MessageIndex, Iso2022JpBody) {
  // The classic Japanese mail: ISO-2022-JP, 7bit, in a multipart with a Shift_JIS attachment.
  std::string m =
      "Subject: =?ISO-2022-JP?B?GyRCMnE1RCRON28kSyREJCQkRhsoQg==?=\r\n"
      "Content-Type: multipart/mixed; boundary=\"j\"\r\n\r\n"
      "--j\r\nContent-Type: text/plain; charset=\"ISO-2022-JP\"\r\n"
      "Content-Transfer-Encoding: 7bit\r\n\r\n"
      "\x1b$B$3$s$K$A$O\x1b(B\r\n"
      "--j\r\nContent-Type: text/plain; charset=cp932\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=.txt\"\r\n\r\n"
      "k/qWe4zqDQo=\r\n--j--\r\n";
  auto idx = build(m);
  EXPECT_EQ(idx.subject, "会議の件について");
  EXPECT_EQ(idx.search_body, "こんにちは\n日本語\r\n");
  auto st = mime::scan(m);
  EXPECT_EQ(st.parts[2].filename(), "山田.txt");
  EXPECT_TRUE(mime::fold_contains(mime::fold_case(idx.search_body), "日本語"));
}

TEST(MessageIndex, EightBitHeadersAndStrings) {
  std::string m =
      "Subject: \x93\xfa\x96{\x8c\xea \"q\" \\\r\n"
      "From: \xe5\xb1\xb1\xe7\x94\xb0 <y@example.jp>\r\n"
      "Content-Type: text/plain; charset=shift_jis\r\n"
      "\r\nx";
  auto idx = build(m);
  EXPECT_EQ(idx.subject, "日本語 \"q\" \\");  // raw Shift_JIS read with the body's charset
  // 8-bit strings are sent as literals (the subject is not even UTF-8).
  EXPECT_EQ(idx.envelope.substr(0, 24), "(NIL {12}\r\n\x93\xfa\x96{\x8c\xea \"q\" \\ ");
  EXPECT_NE(idx.envelope.find("(({6}\r\n\xe5\xb1\xb1\xe7\x94\xb0 NIL \"y\" \"example.jp\"))"),
            std::string::npos);
  auto q = build("Subject: a \"b\" \\c\r\n\r\n");
  EXPECT_EQ(q.envelope.substr(0, 22), R"x((NIL "a \"b\" \\c" NIL)x");
}

TEST(MessageIndex, DefaultsMatchDovecot) {
  // text/* without a charset states us-ascii; a base64 message/rfc822 keeps the msg shape.
  auto a = build("Content-Type: text/html; format=flowed\r\n\r\nx\r\n");
  EXPECT_EQ(a.body,
            R"x(("text" "html" ("format" "flowed" "charset" "us-ascii") NIL NIL "7bit" 3 1))x");
  auto b = build(
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "U3ViamVjdDogeA==\r\n--b--\r\n");
  EXPECT_EQ(
      b.body,
      R"x((("message" "rfc822" NIL NIL NIL "base64" 16 (NIL NIL NIL NIL NIL NIL NIL NIL NIL )x"
      R"x(NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) 0) "mixed"))x");
}

TEST(MessageIndex, DecodedValuesStayOnOneLine) {
  auto idx = build("Subject: =?utf-8?q?a=0D=0Ab=00c?=\r\nX-A: =?utf-8?q?1=0A2?=\r\n\r\n");
  EXPECT_EQ(idx.subject, "a  b c");
  EXPECT_EQ(idx.search_headers, "Subject: a  b c\nX-A: 1 2\n");
}

TEST(MessageIndex, GroupsInEnvelope) {
  auto idx = build("From: a@b\r\nTo: Team: x@y, \"Z\" <z@y>;, Undisclosed:;\r\n\r\n");
  EXPECT_NE(
      idx.envelope.find(R"x(((NIL NIL "Team" NIL)(NIL NIL "x" "y")("Z" NIL "z" "y"))x"
                        R"x((NIL NIL NIL NIL)(NIL NIL "Undisclosed" NIL)(NIL NIL NIL NIL)))x"),
      std::string::npos)
      << idx.envelope;
}

TEST(MessageIndex, FilterHeaderFields) {
  std::string h = "From: a@b\r\nSubject: x\r\n y\r\nTo: c@d\r\n\r\n";
  EXPECT_EQ(filter_header_fields(h, {"subject", "TO"}, false),
            "Subject: x\r\n y\r\nTo: c@d\r\n\r\n");
  EXPECT_EQ(filter_header_fields(h, {"subject"}, true), "From: a@b\r\nTo: c@d\r\n\r\n");
  EXPECT_EQ(filter_header_fields("A: 1\nB: 2", {"b"}, false), "B: 2\r\n\r\n");
  EXPECT_EQ(filter_header_fields("", {"b"}, false), "\r\n");
}

TEST(MessageIndex, PartsRoundTripAndGarbage) {
  auto parts = decode_parts(build(kNested).parts);
  EXPECT_EQ(parts.size(), 8u);
  EXPECT_TRUE(decode_parts("").empty());
  EXPECT_TRUE(decode_parts("garbage\n1\t2").empty());
  EXPECT_EQ(decode_parts("P1\n1\t0\t1\t2\t0\t0\t0\ttext/plain\t\t\nbad line\n").size(), 1u);
}

TEST(MessageIndex, TruncatedAtEveryByte) {
  std::string_view m = kNested;
  for (size_t n = 0; n <= m.size(); ++n) {
    auto idx = build(m.substr(0, n));
    auto parts = decode_parts(idx.parts);
    ASSERT_FALSE(parts.empty());
    for (const auto& p : parts) {
      ASSERT_LE(p.body_end, n);
      ASSERT_LE(p.body_start, p.body_end);
    }
  }
}

TEST(MessageIndex, LargeMessageIsLinear) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n";
  for (int i = 0; i < 40000; ++i) {
    m += "some text line with --b-ish content ------- " + std::to_string(i) + "\r\n";
  }
  m += "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  for (int i = 0; i < 100000; ++i) {
    m += std::string(76, 'A') + "\r\n";
  }
  m += "--b--\r\n";
  auto t0 = std::chrono::steady_clock::now();
  auto idx = build(m);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(ms, 3000);
  EXPECT_NE(idx.body_structure.find("\"base64\" 7799998 NIL"), std::string::npos)
      << idx.body_structure;
  EXPECT_EQ(idx.search_body.size(), m.find("\r\n--b\r\nContent-Type: app") - m.find("some text"));
}

TEST(MessageIndex, NestingBombIsFast) {
  std::string m;
  for (int i = 0; i < 1000; ++i) {
    m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
         std::to_string(i) + "\r\n";
  }
  for (int i = 0; i < 1000; ++i) {
    m += "Content-Type: message/rfc822\r\n\r\n";
  }
  auto t0 = std::chrono::steady_clock::now();
  auto idx = build(m);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(ms, 1000);
  EXPECT_FALSE(idx.body_structure.empty());
}

}  // namespace
}  // namespace tegami::index
