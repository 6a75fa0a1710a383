#include "smtp/proto/command.hpp"

#include <gtest/gtest.h>

namespace tegami::smtp::proto {
namespace {

Command ok(std::string_view line, ParseOptions opt = {}) {
  auto r = parse_command(line, opt);
  if (auto* e = std::get_if<SyntaxError>(&r)) {
    ADD_FAILURE() << line << " -> " << e->reply.wire();
    return Command{};
  }
  return std::get<Command>(r);
}

Reply err(std::string_view line, ParseOptions opt = {}) {
  auto r = parse_command(line, opt);
  if (auto* e = std::get_if<SyntaxError>(&r)) return e->reply;
  ADD_FAILURE() << line << " parsed";
  return Reply{};
}

TEST(Command, VerbsAreCaseInsensitive) {
  EXPECT_EQ(ok("ehlo client.example").verb, Verb::kEhlo);
  EXPECT_EQ(ok("EhLo client.example").arg, "client.example");
  EXPECT_EQ(ok("HELO x").verb, Verb::kHelo);
  EXPECT_EQ(ok("data").verb, Verb::kData);
  EXPECT_EQ(ok("RSET").verb, Verb::kRset);
  EXPECT_EQ(ok("QUIT").verb, Verb::kQuit);
  EXPECT_EQ(ok("NOOP").verb, Verb::kNoop);
  EXPECT_EQ(ok("NOOP anything at all").arg, "anything at all");
  EXPECT_EQ(ok("HELP").verb, Verb::kHelp);
  EXPECT_EQ(ok("HELP MAIL").arg, "MAIL");
  EXPECT_EQ(ok("VRFY postmaster").arg, "postmaster");
  EXPECT_EQ(ok("EXPN list").verb, Verb::kExpn);
  EXPECT_EQ(ok("starttls").verb, Verb::kStartTls);
  EXPECT_EQ(ok("QUIT   ").verb, Verb::kQuit);  // trailing spaces tolerated
}

TEST(Command, Errors) {
  EXPECT_EQ(err("FOO bar").code, 500);
  EXPECT_EQ(err("FOO bar").enhanced, "5.5.1");
  EXPECT_EQ(err("").code, 500);
  EXPECT_EQ(err("EHLO").code, 501);
  EXPECT_EQ(err("HELO").code, 501);
  EXPECT_EQ(err("DATA x").code, 501);
  EXPECT_EQ(err("RSET x").code, 501);
  EXPECT_EQ(err("QUIT now").code, 501);
  EXPECT_EQ(err("STARTTLS x").code, 501);
  EXPECT_EQ(err("VRFY").code, 501);
  EXPECT_EQ(err("EXPN").code, 501);
  EXPECT_EQ(err(std::string_view("NOOP\0x", 6)).enhanced, "5.5.2");
  EXPECT_EQ(err("NOOP \x01").code, 500);
  EXPECT_EQ(err("MAILFROM:<a@b>").code, 500);
  // Unknown verbs are echoed safely.
  EXPECT_EQ(err("GET\x7f").code, 500);
  EXPECT_EQ(err("G\xff\xfe").wire().find('\xff'), std::string::npos);
}

TEST(Mail, Basic) {
  Command c = ok("MAIL FROM:<a@b.example>");
  EXPECT_EQ(c.verb, Verb::kMail);
  EXPECT_EQ(c.path.mailbox.str(), "a@b.example");
  EXPECT_TRUE(ok("MAIL FROM:<>").path.null);
  EXPECT_EQ(ok("mail from: <a@b.example>").path.mailbox.local, "a");  // space tolerated
  EXPECT_EQ(err("MAIL FROM:a@b.example").enhanced, "5.1.7");
  EXPECT_EQ(err("MAIL TO:<a@b.example>").code, 501);
  EXPECT_EQ(err("MAIL").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example>x").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@@b.example>").code, 501);
}

TEST(Mail, Params) {
  Command c =
      ok("MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME RET=hdrs ENVID=QQ+2B1 "
         "REQUIRETLS AUTH=<>");
  ASSERT_TRUE(c.mail.size);
  EXPECT_EQ(*c.mail.size, 12345u);
  EXPECT_EQ(c.mail.body, Body::k8BitMime);
  EXPECT_EQ(c.mail.ret, "HDRS");
  EXPECT_EQ(c.mail.envid, "QQ+1");
  EXPECT_TRUE(c.mail.requiretls);
  EXPECT_EQ(c.mail.auth, "<>");
  EXPECT_EQ(ok("MAIL FROM:<a@b.example> body=binarymime").mail.body, Body::kBinaryMime);
  EXPECT_EQ(ok("MAIL FROM:<a@b.example> BODY=7BIT").mail.body, Body::k7Bit);
  EXPECT_EQ(ok("MAIL FROM:<a@b.example>  SIZE=1  ").mail.size.value_or(0), 1u);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE=").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE=abc").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE=99999999999999999999999").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE=1 SIZE=2").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> BODY=9BIT").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> RET=ALL").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> ENVID=a+zz").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> ENVID=" + std::string(101, 'x')).code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SMTPUTF8=yes").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> REQUIRETLS=1").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> X-FOO=1").code, 555);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> -bad").code, 501);
  EXPECT_EQ(err("MAIL FROM:<a@b.example> A=b=c").code, 501);
}

TEST(Mail, Utf8NeedsParam) {
  EXPECT_EQ(err("MAIL FROM:<ユーザー@例え.jp>").code, 553);
  EXPECT_EQ(err("MAIL FROM:<ユーザー@例え.jp>").enhanced, "5.6.7");
  Command c = ok("MAIL FROM:<ユーザー@例え.jp> SMTPUTF8");
  EXPECT_TRUE(c.mail.smtputf8);
  EXPECT_TRUE(c.path.mailbox.utf8);
}

TEST(Rcpt, Basic) {
  Command c = ok("RCPT TO:<user@us.example>");
  EXPECT_EQ(c.verb, Verb::kRcpt);
  EXPECT_EQ(c.path.mailbox.str(), "user@us.example");
  EXPECT_EQ(ok("RCPT TO:<Postmaster>").path.mailbox.local, "postmaster");
  EXPECT_EQ(ok("RCPT TO:<Postmaster>").path.mailbox.domain, "");
  EXPECT_EQ(err("RCPT TO:<>").enhanced, "5.1.3");
  EXPECT_EQ(err("RCPT TO:user@us.example").enhanced, "5.1.3");
  EXPECT_EQ(err("RCPT FROM:<a@b>").code, 501);
  EXPECT_EQ(err("RCPT TO:<ü@x.example>").code, 553);
  ParseOptions utf8;
  utf8.rcpt_utf8 = true;
  EXPECT_TRUE(ok("RCPT TO:<ü@x.example>", utf8).path.mailbox.utf8);
  Command r = ok("RCPT TO:<@relay.example:user@us.example>");
  EXPECT_TRUE(r.path.source_route);
  EXPECT_EQ(r.path.mailbox.str(), "user@us.example");
}

TEST(Rcpt, DsnParams) {
  Command c = ok("RCPT TO:<u@x.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u+40x.example");
  EXPECT_EQ(c.rcpt.notify, RcptParams::kSuccess | RcptParams::kFailure);
  EXPECT_EQ(c.rcpt.orcpt_type, "rfc822");
  EXPECT_EQ(c.rcpt.orcpt, "u@x.example");
  EXPECT_EQ(ok("RCPT TO:<u@x.example> NOTIFY=never").rcpt.notify, RcptParams::kNever);
  EXPECT_EQ(err("RCPT TO:<u@x.example> NOTIFY=NEVER,DELAY").code, 501);
  EXPECT_EQ(err("RCPT TO:<u@x.example> NOTIFY=SOMETIMES").code, 501);
  EXPECT_EQ(err("RCPT TO:<u@x.example> NOTIFY").code, 501);
  EXPECT_EQ(err("RCPT TO:<u@x.example> ORCPT=nosemicolon").code, 501);
  EXPECT_EQ(err("RCPT TO:<u@x.example> ORCPT=rfc822;").code, 501);
  EXPECT_EQ(err("RCPT TO:<u@x.example> SIZE=1").code, 555);
}

TEST(Bdat, Sizes) {
  Command c = ok("BDAT 1000");
  EXPECT_EQ(c.chunk_size, 1000u);
  EXPECT_FALSE(c.last);
  c = ok("BDAT 0 LAST");
  EXPECT_EQ(c.chunk_size, 0u);
  EXPECT_TRUE(c.last);
  EXPECT_TRUE(ok("bdat 5 last").last);
  EXPECT_EQ(err("BDAT").code, 501);
  EXPECT_EQ(err("BDAT -1").code, 501);
  EXPECT_EQ(err("BDAT 12x").code, 501);
  EXPECT_EQ(err("BDAT 1 FIRST").code, 501);
  EXPECT_EQ(err("BDAT 99999999999999999999999").code, 501);
}

TEST(Auth, Mechanisms) {
  Command c = ok("AUTH plain");
  EXPECT_EQ(c.arg, "PLAIN");
  EXPECT_FALSE(c.has_initial);
  c = ok("AUTH PLAIN AHVzZXIAcGFzcw==");
  EXPECT_TRUE(c.has_initial);
  EXPECT_EQ(c.initial, "AHVzZXIAcGFzcw==");
  EXPECT_EQ(ok("AUTH PLAIN =").initial, "=");
  EXPECT_EQ(ok("AUTH LOGIN").arg, "LOGIN");
  EXPECT_EQ(err("AUTH").code, 501);
  EXPECT_EQ(err("AUTH " + std::string(21, 'A')).code, 501);
  EXPECT_EQ(err("AUTH PL@IN").code, 501);
  EXPECT_EQ(err("AUTH PLAIN a b").code, 501);
  EXPECT_EQ(err("AUTH PLAIN !!!").code, 501);
}

TEST(Xtext, RoundTrip) {
  EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(xtext_decode("a+2Bb+3Dc+20d").value(), "a+b=c d");
  EXPECT_FALSE(xtext_decode("a+2"));
  EXPECT_FALSE(xtext_decode("a+"));
  EXPECT_FALSE(xtext_decode("a=b"));
}

TEST(Reply, Wire) {
  EXPECT_EQ(make_reply(250, "2.1.0", "OK").wire(), "250 2.1.0 OK\r\n");
  EXPECT_EQ(make_reply(220, "", "host ESMTP").wire(), "220 host ESMTP\r\n");
  EXPECT_EQ(make_reply(250, "", "host\nPIPELINING\nSIZE 10").wire(),
            "250-host\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
  EXPECT_EQ(make_reply(550, "5.1.1", "a\nb").wire(), "550-5.1.1 a\r\n550 5.1.1 b\r\n");
  Reply r;
  r.code = 500;
  r.enhanced = "5.5.2";
  r.lines = {"bad\rline"};
  EXPECT_EQ(r.wire(), "500 5.5.2 bad line\r\n");
  EXPECT_EQ(sanitize_echo("a\r\nb\x01\xff"), "a??b??");
  EXPECT_EQ(sanitize_echo("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace tegami::smtp::proto
