#include <gtest/gtest.h>

#include "smtp/client/protocol.hpp"

namespace tegami::smtp::client {
namespace {

using State = ReplyReader::State;

TEST(ReplyReader, OneLineMultiLineAndEnhancedCodes) {
  ReplyReader r(4096, 10);
  EXPECT_EQ(r.add("250 2.1.5 Recipient OK"), State::kDone);
  Reply a = r.take();
  EXPECT_EQ(a.code, 250);
  EXPECT_EQ(a.enhanced, "2.1.5");
  EXPECT_EQ(a.text, "Recipient OK");
  EXPECT_FALSE(a.local);
  EXPECT_EQ(a.str(), "250 2.1.5 Recipient OK");

  EXPECT_EQ(r.add("550-5.1.1 The email account that you tried to reach"), State::kMore);
  EXPECT_EQ(r.add("550-5.1.1 does not exist."), State::kMore);
  EXPECT_EQ(r.add("550 5.1.1 Please try again"), State::kDone);
  Reply b = r.take();
  EXPECT_EQ(b.code, 550);
  EXPECT_TRUE(b.permanent());
  EXPECT_EQ(b.enhanced, "5.1.1");
  EXPECT_EQ(b.text, "The email account that you tried to reach\ndoes not exist.\nPlease try again");
  EXPECT_EQ(b.str(), "550 5.1.1 The email account that you tried to reach");
  EXPECT_EQ(b.full(),
            "550 5.1.1 The email account that you tried to reach\ndoes not exist.\nPlease try "
            "again");

  // A bare code, and a code with an empty text.
  EXPECT_EQ(r.add("354"), State::kDone);
  Reply c = r.take();
  EXPECT_EQ(c.code, 354);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.str(), "354");
  EXPECT_EQ(c.full(), "354");
  EXPECT_EQ(r.add("250 "), State::kDone);
  EXPECT_EQ(r.take().text, "");

  // A class that does not match the code is text, not an enhanced code.
  EXPECT_EQ(r.add("451 5.1.1 odd"), State::kDone);
  Reply d = r.take();
  EXPECT_EQ(d.enhanced, "");
  EXPECT_EQ(d.text, "5.1.1 odd");
  EXPECT_EQ(r.add("250 2.0.0"), State::kDone);
  Reply e = r.take();
  EXPECT_EQ(e.enhanced, "2.0.0");
  EXPECT_EQ(e.text, "");
}

TEST(ReplyReader, MalformedLines) {
  for (const char* bad : {"", "25", "25x ok", "2500 x", "600 x", "199 x", "250_x", "abc"}) {
    ReplyReader r(4096, 10);
    EXPECT_EQ(r.add(bad), State::kError) << bad;
    EXPECT_EQ(r.error(), "malformed reply line");
  }
  ReplyReader r(4096, 10);
  EXPECT_EQ(r.add("250-a"), State::kMore);
  EXPECT_EQ(r.add("251 b"), State::kError);
}

TEST(ReplyReader, Limits) {
  ReplyReader lines(1 << 20, 3);
  EXPECT_EQ(lines.add("250-a"), State::kMore);
  EXPECT_EQ(lines.add("250-b"), State::kMore);
  EXPECT_EQ(lines.add("250-c"), State::kMore);
  EXPECT_EQ(lines.add("250 d"), State::kError);
  EXPECT_NE(lines.error().find("more than 3 lines"), std::string::npos);

  ReplyReader bytes(100, 100);
  EXPECT_EQ(bytes.add("250-" + std::string(60, 'x')), State::kMore);
  EXPECT_EQ(bytes.add("250 " + std::string(60, 'x')), State::kError);
  EXPECT_NE(bytes.error().find("longer than 100"), std::string::npos);
}

TEST(EnhancedPrefix, Forms) {
  EXPECT_EQ(enhanced_prefix("2.0.0 ok", 2), "2.0.0");
  EXPECT_EQ(enhanced_prefix("5.7.30 x", 5), "5.7.30");
  EXPECT_EQ(enhanced_prefix("4.123.456", 4), "4.123.456");
  EXPECT_EQ(enhanced_prefix("4.1234.4 x", 4), "");
  EXPECT_EQ(enhanced_prefix("2.0.0x", 2), "");
  EXPECT_EQ(enhanced_prefix("2.0. x", 2), "");
  EXPECT_EQ(enhanced_prefix("2..0 x", 2), "");
  EXPECT_EQ(enhanced_prefix("mx.example.com", 2), "");
  EXPECT_EQ(enhanced_prefix("2.0.0 ok", 5), "");
}

TEST(ParseEhlo, Keywords) {
  ReplyReader r(4096, 50);
  for (const char* l : {"250-mx.example.com Hello", "250-PIPELINING", "250-size 35882577",
                        "250-8BITMIME", "250-SMTPUTF8", "250-DSN", "250-STARTTLS",
                        "250-ENHANCEDSTATUSCODES", "250-AUTH=LOGIN PLAIN", "250-CHUNKING"})
    ASSERT_EQ(r.add(l), State::kMore) << l;
  ASSERT_EQ(r.add("250 REQUIRETLS"), State::kDone);
  Extensions x = parse_ehlo(r.take());
  EXPECT_TRUE(x.pipelining);
  EXPECT_TRUE(x.size);
  EXPECT_EQ(x.size_limit, 35882577u);
  EXPECT_TRUE(x.eight_bit_mime && x.smtputf8 && x.dsn && x.starttls && x.requiretls);
  EXPECT_TRUE(x.enhanced_status_codes && x.chunking);
  EXPECT_EQ(x.keywords.size(), 10u);
  EXPECT_EQ(x.keywords[1], "SIZE 35882577");

  // The first line is the server's name even when it looks like a keyword; SIZE without a
  // number is "no fixed limit".
  ReplyReader r2(4096, 50);
  ASSERT_EQ(r2.add("250-PIPELINING"), State::kMore);
  ASSERT_EQ(r2.add("250 SIZE"), State::kDone);
  Extensions y = parse_ehlo(r2.take());
  EXPECT_FALSE(y.pipelining);
  EXPECT_TRUE(y.size);
  EXPECT_EQ(y.size_limit, 0u);
  EXPECT_FALSE(parse_ehlo(Reply{250, "", "only.a.name"}).starttls);
}

TEST(Commands, MailAndRcptParameters) {
  Envelope env;
  env.from = "a@example.org";
  env.eight_bit = true;
  env.smtputf8 = true;
  env.ret = "hdrs";
  env.envid = "q+1=2 x";
  Extensions none;
  EXPECT_EQ(mail_command(env, none, 123, false), "MAIL FROM:<a@example.org>\r\n");
  Extensions all;
  all.size = all.eight_bit_mime = all.smtputf8 = all.dsn = all.requiretls = true;
  EXPECT_EQ(mail_command(env, all, 123, true),
            "MAIL FROM:<a@example.org> SIZE=123 BODY=8BITMIME SMTPUTF8 RET=HDRS "
            "ENVID=q+2B1+3D2+20x REQUIRETLS\r\n");
  env.from = "";
  env.ret = "bogus";
  env.envid = "";
  EXPECT_EQ(mail_command(env, all, 5, false), "MAIL FROM:<> SIZE=5 BODY=8BITMIME SMTPUTF8\r\n");

  Recipient r{"b@example.net", "success,failure", "rfc822;b@example.net"};
  EXPECT_EQ(rcpt_command(r, none), "RCPT TO:<b@example.net>\r\n");
  EXPECT_EQ(rcpt_command(r, all),
            "RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net\r\n");
  // Nothing a caller passes can end the command line early.
  Recipient evil{"c@example.net", "NEVER\r\nRSET", "rfc822;c@x\r\nDATA"};
  EXPECT_EQ(rcpt_command(evil, all),
            "RCPT TO:<c@example.net> NOTIFY=NEVER+0D+0ARSET ORCPT=rfc822;c@x+0D+0ADATA\r\n");
}

TEST(Commands, SafePath) {
  EXPECT_TRUE(safe_path(""));
  EXPECT_TRUE(safe_path("user@example.com"));
  EXPECT_TRUE(safe_path("\"a b\"@example.com"));
  EXPECT_TRUE(safe_path("ユーザー@例え.jp"));
  EXPECT_FALSE(safe_path("a@b>\r\nRSET"));
  EXPECT_FALSE(safe_path("a@b\nc"));
  EXPECT_FALSE(safe_path(std::string("a\0b", 3)));
  EXPECT_FALSE(safe_path("a<b@c"));
  EXPECT_FALSE(safe_path(std::string(600, 'a')));
}

TEST(DataBlock, StuffingLineEndsAndSize) {
  uint64_t size = 0;
  EXPECT_EQ(data_block("Subject: x\r\n\r\nbody\r\n", &size), "Subject: x\r\n\r\nbody\r\n.\r\n");
  EXPECT_EQ(size, 20u);
  EXPECT_EQ(data_block(".a\n..b\nc\r\n.", &size), "..a\r\n...b\r\nc\r\n..\r\n.\r\n");
  EXPECT_EQ(size, std::string(".a\r\n..b\r\nc\r\n.\r\n").size());
  EXPECT_EQ(data_block("no final newline", &size), "no final newline\r\n.\r\n");
  EXPECT_EQ(size, 18u);
  EXPECT_EQ(data_block("", &size), ".\r\n");
  EXPECT_EQ(size, 0u);
  // A lone CR is a line end too; "\r\n.\r\n" inside the content cannot end DATA early.
  EXPECT_EQ(data_block("a\rb\r\n.\r\nc\r\n", &size), "a\r\nb\r\n..\r\nc\r\n.\r\n");
}

TEST(LocalReply, Marked) {
  Reply r = local_reply(451, "4.4.2", "timeout waiting for the reply to DATA");
  EXPECT_TRUE(r.local);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.permanent());
  EXPECT_EQ(r.str(), "451 4.4.2 timeout waiting for the reply to DATA");
}

}  // namespace
}  // namespace tegami::smtp::client
