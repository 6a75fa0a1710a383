// Transcript tests of the IMAP session over in-memory streams with a real SQLite store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/authenticator.hpp"
#include "base/strings.hpp"
#include "imap/server/faulty_store.hpp"
#include "imap/server/test_support.hpp"

namespace tegami::imap::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::World;

std::string lit(const std::string& s) { return "{" + std::to_string(s.size()) + "}\r\n" + s; }

const std::string kMultipart =
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@tegami.test>\r\n"
    "Subject: Hello =?UTF-8?B?5pel5pys?=\r\n"
    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello body text\r\n"
    "--b1\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGI+aGk8L2I+\r\n"
    "--b1--\r\n";

std::string simple_message(const std::string& subject, const std::string& body,
                           const std::string& from = "carol@example.net",
                           const std::string& date = "Tue, 2 Jan 2024 10:00:00 +0000") {
  return "From: " + from + "\r\nTo: demo@tegami.test\r\nSubject: " + subject + "\r\nDate: " + date +
         "\r\n\r\n" + body + "\r\n";
}

std::string append(const std::string& tag, const std::string& msg, const std::string& flags = "",
                   const std::string& mailbox = "INBOX") {
  return tag + " APPEND " + mailbox + (flags.empty() ? "" : " (" + flags + ")") + " " + lit(msg) +
         "\r\n";
}

TEST(ImapSession, GreetingAndCapabilitiesOverTls) {
  World w;
  std::string out = w.run("a CAPABILITY\r\nb LOGOUT\r\n");
  EXPECT_TRUE(out.starts_with(
      "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE "
      "IDLE NAMESPACE UNSELECT UIDPLUS MOVE SPECIAL-USE CREATE-SPECIAL-USE CHILDREN LIST-EXTENDED "
      "LIST-STATUS ESEARCH SEARCHRES WITHIN STATUS=SIZE SAVEDATE OBJECTID UNAUTHENTICATE QUOTA "
      "QUOTA=RES-STORAGE "
      "CONDSTORE QRESYNC COMPRESS=DEFLATE SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT "
      "THREAD=REFERENCES ESORT PREVIEW MULTIAPPEND UTF8=ACCEPT NOTIFY CONTEXT=SEARCH CONTEXT=SORT "
      "APPENDLIMIT=20971520 AUTH=PLAIN] "
      "Tegami ready\r\n"))
      << out;
  EXPECT_THAT(out, HasSubstr("a OK CAPABILITY completed\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("STARTTLS")));
  EXPECT_THAT(out, HasSubstr("* BYE"));
  EXPECT_THAT(out, HasSubstr("b OK LOGOUT completed\r\n"));
}

TEST(ImapSession, PlaintextNonLoopbackRequiresTls) {
  World w;
  std::string out = w.run("a CAPABILITY\r\n" + w.login_line("b") +
                              "c AUTHENTICATE PLAIN AGRlbW8AeA==\r\nd STARTTLS\r\n" +
                              "e CAPABILITY\r\n" + w.login_line("f") + "g LOGOUT\r\n",
                          /*loopback=*/false, /*tls=*/false, /*chunk=*/1);
  EXPECT_THAT(out, HasSubstr("STARTTLS LOGINDISABLED] Tegami ready"));
  EXPECT_THAT(out, HasSubstr("b NO [PRIVACYREQUIRED] "));
  EXPECT_THAT(out, HasSubstr("port 993"));
  EXPECT_THAT(out, HasSubstr("c NO [PRIVACYREQUIRED] "));
  EXPECT_THAT(out, HasSubstr("d OK Begin TLS negotiation now\r\n"));
  size_t after = out.find("d OK Begin TLS");
  std::string rest = out.substr(after);
  EXPECT_THAT(rest, HasSubstr("APPENDLIMIT=20971520 AUTH=PLAIN\r\ne OK"));
  EXPECT_THAT(rest, HasSubstr("f OK [CAPABILITY"));
}

TEST(ImapSession, DevModeAllowsPlainLoginOnLoopbackOnly) {
  World w;
  w.ctx.allow_login_without_tls = true;
  std::string out = w.run(w.login_line("a"), /*loopback=*/true, /*tls=*/false);
  EXPECT_THAT(out, HasSubstr("a OK [CAPABILITY"));
  out = w.run(w.login_line("a"), /*loopback=*/false, /*tls=*/false);
  EXPECT_THAT(out, HasSubstr("a NO [PRIVACYREQUIRED]"));
}

TEST(ImapSession, LoginForms) {
  World w;
  std::string pw = w.app_password;
  std::string nohyphen;
  for (char c : pw) {
    if (c != '-') nohyphen += c;
  }
  std::string plain = base64_encode(std::string("\0demo@tegami.test\0", 18) + pw);
  std::string out = w.run("a LOGIN demo " + pw + "\r\nb LOGOUT\r\n");
  EXPECT_THAT(out, HasSubstr("a OK [CAPABILITY IMAP4rev1"));
  out = w.run("a LOGIN \"DEMO@Tegami.Test\" " + nohyphen + "\r\n");
  EXPECT_THAT(out, HasSubstr("a OK [CAPABILITY"));
  out = w.run("a LOGIN demo {" + std::to_string(pw.size()) + "+}\r\n" + pw + "\r\n");
  EXPECT_THAT(out, HasSubstr("a OK [CAPABILITY"));
  out = w.run("a AUTHENTICATE PLAIN " + plain + "\r\n");
  EXPECT_THAT(out, HasSubstr("a OK [CAPABILITY"));
  out = w.run("a AUTHENTICATE PLAIN\r\n" + plain + "\r\nb NOOP\r\n");
  EXPECT_THAT(out, HasSubstr("+ \r\na OK [CAPABILITY"));
  out = w.run("a AUTHENTICATE PLAIN\r\n*\r\nb NOOP\r\n");
  EXPECT_THAT(out, HasSubstr("a BAD Authentication cancelled\r\n"));
  EXPECT_THAT(out, HasSubstr("b OK NOOP"));
  out = w.run("a LOGIN demo wrong-password\r\nb SELECT INBOX\r\n");
  EXPECT_THAT(out, HasSubstr("a NO [AUTHENTICATIONFAILED] " + std::string(auth::kLoginFailedText)));
  EXPECT_THAT(out, HasSubstr("b BAD Sign in first"));
  // The account password is refused (two-factor sign-in is on).
  out = w.run("a LOGIN demo \"account password\"\r\n");
  EXPECT_THAT(out, HasSubstr("a NO [AUTHENTICATIONFAILED]"));
  out = w.run("a AUTHENTICATE CRAM-MD5\r\n");
  EXPECT_THAT(out, HasSubstr("a NO [CANNOT]"));
  // RFC 4616 authzid: another form of the same name is the user; someone else is not.
  out = w.run("a AUTHENTICATE PLAIN " +
              base64_encode(std::string("DEMO\0demo@tegami.test\0", 22) + pw) + "\r\n");
  EXPECT_THAT(out, HasSubstr("a OK [CAPABILITY"));
  out = w.run("a AUTHENTICATE PLAIN " +
              base64_encode(std::string("someone@tegami.test\0demo@tegami.test\0", 37) + pw) +
              "\r\n");
  EXPECT_THAT(out, HasSubstr("a NO [AUTHORIZATIONFAILED]"));
}

TEST(ImapSession, SelectListStatusNamespace) {
  World w;
  std::string out = w.run(w.login_line() + append("b", simple_message("one", "x")) +
                          "c SELECT inbox\r\nd LIST \"\" *\r\ne STATUS INBOX (MESSAGES UIDNEXT "
                          "UNSEEN SIZE DELETED)\r\nf NAMESPACE\r\ng LIST \"\" \"\"\r\n"
                          "h EXAMINE \"Sent Messages\"\r\ni STORE 1 +FLAGS (\\Seen)\r\n");
  EXPECT_THAT(out, HasSubstr("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                             "* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 1]"));
  EXPECT_THAT(out, HasSubstr("* OK [UIDNEXT 2]"));
  EXPECT_THAT(out, HasSubstr("c OK [READ-WRITE] SELECT completed"));
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"));
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Messages\"\r\n"));
  EXPECT_THAT(out, HasSubstr("\\Junk) \"/\" Junk\r\n"));
  EXPECT_THAT(out, HasSubstr("\\Trash) \"/\" \"Deleted Messages\"\r\n"));
  EXPECT_THAT(out, HasSubstr("\\Archive) \"/\" Archive\r\n"));
  EXPECT_THAT(out, HasSubstr("\\Drafts) \"/\" Drafts\r\n"));
  EXPECT_THAT(out, HasSubstr("* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UNSEEN 1 SIZE "));
  EXPECT_THAT(out, HasSubstr("DELETED 0)\r\n"));
  EXPECT_THAT(out, HasSubstr("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"));
  EXPECT_THAT(out, HasSubstr("* LIST (\\Noselect) \"/\" \"\"\r\n"));
  EXPECT_THAT(out, HasSubstr("* OK [CLOSED]"));
  EXPECT_THAT(out, HasSubstr("h OK [READ-ONLY] EXAMINE completed"));
  EXPECT_THAT(out, HasSubstr("i NO [READ-ONLY]"));
}

TEST(ImapSession, MailboxManagementAndModifiedUtf7) {
  World w;
  std::string out =
      w.run(w.login_line() +
            "b CREATE \"Projects/2024\"\r\nc CREATE &ZeVnLIqe-\r\nd LIST \"\" *\r\n"
            "e LIST \"\" %\r\nf RENAME Projects Work\r\ng LIST \"\" Work/*\r\n"
            "h CREATE Work\r\ni DELETE INBOX\r\nj DELETE Nope\r\nk SUBSCRIBE Work\r\n"
            "l LSUB \"\" W*\r\nm ENABLE IMAP4rev2\r\nn LIST \"\" * RETURN (SUBSCRIBED)\r\n"
            "o DELETE Work/2024\r\np SELECT Nope\r\n");
  // An IMAP4rev1 client sending raw UTF-8 is understood; the reply uses modified UTF-7.
  std::string out2 = w.run(w.login_line() + "b CREATE \"Café\"\r\nc LIST \"\" Caf*\r\n");
  EXPECT_THAT(out2, HasSubstr("b OK [MAILBOXID (M"));
  EXPECT_THAT(out2, HasSubstr("* LIST (\\HasNoChildren) \"/\" Caf&AOk-\r\n"));
  EXPECT_THAT(out, HasSubstr("b OK [MAILBOXID (M"));
  EXPECT_THAT(out, HasSubstr("c OK [MAILBOXID (M"));
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasChildren) \"/\" Projects\r\n"));
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasNoChildren) \"/\" Projects/2024\r\n"));
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasNoChildren) \"/\" &ZeVnLIqe-\r\n"));
  size_t e = out.find("d OK");
  EXPECT_THAT(out.substr(e, out.find("e OK") - e), Not(HasSubstr("Projects/2024")));
  EXPECT_THAT(out, HasSubstr("f OK RENAME"));
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasNoChildren) \"/\" Work/2024\r\ng OK"));
  EXPECT_THAT(out, HasSubstr("h NO [ALREADYEXISTS]"));
  EXPECT_THAT(out, HasSubstr("i NO [CANNOT]"));
  EXPECT_THAT(out, HasSubstr("j NO [NONEXISTENT]"));
  EXPECT_THAT(out, HasSubstr("* LSUB () \"/\" Work\r\n"));
  EXPECT_THAT(out, HasSubstr("* ENABLED IMAP4rev2\r\n"));
  // IMAP4rev2: UTF-8 names, \Subscribed on request.
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasNoChildren \\Subscribed) \"/\" \"日本語\"\r\n"));
  EXPECT_THAT(out, HasSubstr("o OK DELETE"));
  EXPECT_THAT(out, HasSubstr("p NO [NONEXISTENT]"));
}

TEST(ImapSession, AppendAndFetchEveryItem) {
  World w;
  std::string script =
      w.login_line() + "b APPEND INBOX (\\Flagged $Work) \" 5-Jan-2024 08:09:10 +0100\" " +
      lit(kMultipart) + "\r\n" +
      "c SELECT INBOX\r\n"
      "d FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)\r\n"
      "e FETCH 1 (ENVELOPE)\r\n"
      "f FETCH 1 (BODY BODYSTRUCTURE)\r\n"
      "g FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2])\r\n"
      "h FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject FROM)] BODY.PEEK[HEADER.FIELDS.NOT (To From "
      "Subject Date Message-ID MIME-Version)])\r\n"
      "i FETCH 1 (BODY.PEEK[]<0.10> BINARY.PEEK[2] BINARY.SIZE[2])\r\n"
      "j FETCH 1 (RFC822.HEADER)\r\n"
      "k FETCH 1 FLAGS\r\n"
      "l FETCH 1 (BODY[TEXT])\r\n"
      "m UID FETCH 1 (RFC822)\r\n"
      "n FETCH 1 (BODY.PEEK[HEADER])\r\n"
      "o FETCH 1 (BODY.PEEK[3] BODY.PEEK[1]<100.5>)\r\n";
  std::string out = w.run(script);
  size_t body_start = kMultipart.find("\r\n\r\n") + 4;
  std::string header = kMultipart.substr(0, body_start);
  std::string text = kMultipart.substr(body_start);
  EXPECT_THAT(out, HasSubstr("b OK [APPENDUID "));
  EXPECT_THAT(out, HasSubstr(" 1] APPEND completed"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (FLAGS (\\Flagged $Work) UID 1 INTERNALDATE \" 5-Jan-2024 "
                             "07:09:10 +0000\" RFC822.SIZE " +
                             std::to_string(kMultipart.size()) + ")\r\nd OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (ENVELOPE (\"Mon, 1 Jan 2024 10:00:00 +0000\" "));
  EXPECT_THAT(out, HasSubstr("\"<m1@example.org>\"))\r\ne OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY (("));
  EXPECT_THAT(out, HasSubstr("BODYSTRUCTURE ((\"text\" \"plain\""));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY[1] {15}\r\nHello body text BODY[1.MIME] {43}\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n\r\n BODY[2] {12}\r\n"
                             "PGI+aGk8L2I+)\r\ng OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY[HEADER.FIELDS (Subject FROM)] {72}\r\n"
                             "From: Alice <alice@example.org>\r\n"
                             "Subject: Hello =?UTF-8?B?5pel5pys?=\r\n\r\n"
                             " BODY[HEADER.FIELDS.NOT (To From Subject Date Message-ID "
                             "MIME-Version)] {48}\r\n"
                             "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n)\r\nh OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY[]<0> {10}\r\nFrom: Alic BINARY[2] {9}\r\n<b>hi</b> "
                             "BINARY.SIZE[2] 9)\r\ni OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (RFC822.HEADER " + lit(header) + ")\r\nj OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (FLAGS (\\Flagged $Work))\r\nk OK"));
  // BODY[TEXT] without PEEK sets \Seen and reports FLAGS.
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY[TEXT] " + lit(text) +
                             " FLAGS (\\Seen \\Flagged $Work))\r\nl OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (UID 1 RFC822 " + lit(kMultipart) + ")\r\nm OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY[HEADER] " + lit(header) + ")\r\nn OK"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY[3] NIL BODY[1]<100> {0}\r\n)\r\no OK"));
}

TEST(ImapSession, AppendLimitsAndErrors) {
  World w;
  w.ctx.append_limit = 1000;
  std::string big(2000, 'x');
  std::string out = w.run(w.login_line() + "b APPEND INBOX {2000}\r\n" + "c APPEND Nope " +
                          lit(simple_message("s", "b")) + "\r\n" + "d APPEND INBOX (\\Bogus) " +
                          lit(simple_message("s", "b")) + "\r\n" + "e NOOP\r\n");
  EXPECT_THAT(out, HasSubstr("APPENDLIMIT=1000"));
  EXPECT_THAT(out, HasSubstr("b NO [TOOBIG]"));
  EXPECT_THAT(out, Not(HasSubstr("+ Ready for literal data\r\nb")));
  EXPECT_THAT(out, HasSubstr("c NO [TRYCREATE]"));
  EXPECT_THAT(out, HasSubstr("d BAD"));
  EXPECT_THAT(out, HasSubstr("e OK NOOP"));
}

std::string lit_plus(const std::string& s) { return "{" + std::to_string(s.size()) + "+}\r\n" + s; }

// MULTIAPPEND (RFC 3502): several messages in one command, each with its flags and date,
// synchronizing and non-synchronizing literals mixed; one APPENDUID with a uid-set.
// A FETCH of more messages than one batch (256 messages or 1 MB): each batch is read while the
// one before it is sent; every message comes once, in order, with its own bytes. BODY[] and
// RFC822 need no index; a section does.
TEST(ImapSession, FetchOfManyBodiesInBatches) {
  World w;
  constexpr int kCount = 700;
  std::vector<std::string> raws;
  for (int i = 0; i < kCount; ++i)
    raws.push_back(simple_message("n" + std::to_string(i),
                                  "body " + std::to_string(i) + " " + std::string(i * 7, 'z')));
  w.deliver_to_inbox(raws);
  std::string out =
      w.run(w.login_line() +
            "b EXAMINE INBOX\r\nc FETCH 1:* (UID BODY.PEEK[])\r\n"
            "d FETCH 1:* (RFC822)\r\ne FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n");
  EXPECT_THAT(out, HasSubstr("c OK FETCH completed"));
  EXPECT_THAT(out, HasSubstr("d OK FETCH completed"));
  EXPECT_THAT(out, HasSubstr("e OK FETCH completed"));
  size_t at = out.find("c OK");
  size_t pos = 0;
  for (int i = 0; i < kCount; ++i) {
    std::string want = "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(i + 1) +
                       " BODY[] {" + std::to_string(raws[i].size()) + "}\r\n" + raws[i] + ")\r\n";
    size_t p = out.find(want, pos);
    ASSERT_NE(p, std::string::npos) << "message " << i + 1;
    ASSERT_LT(p, at);
    pos = p + want.size();
  }
  for (int i = 0; i < kCount; ++i) {
    std::string want = "* " + std::to_string(i + 1) + " FETCH (RFC822 {" +
                       std::to_string(raws[i].size()) + "}\r\n" + raws[i] + ")\r\n";
    size_t p = out.find(want, pos);
    ASSERT_NE(p, std::string::npos) << "message " << i + 1;
    pos = p + want.size();
  }
  std::string subject = "Subject: n" + std::to_string(kCount - 1) + "\r\n\r\n";
  EXPECT_THAT(out,
              HasSubstr("* " + std::to_string(kCount) + " FETCH (BODY[HEADER.FIELDS (SUBJECT)] {" +
                        std::to_string(subject.size()) + "}\r\n" + subject + ")"));
}

TEST(ImapSession, MultiAppendStoresEveryMessage) {
  World w;
  std::string m1 = simple_message("one", "first"), m2 = simple_message("two", "second"),
              m3 = simple_message("three", "third");
  std::string out = w.run(
      w.login_line() + "b SELECT INBOX\r\n" + append("c", m1) +
      "d APPEND INBOX (\\Seen) \" 1-Feb-2024 10:00:00 +0000\" " + lit(m1) + " (\\Flagged $Work) " +
      lit_plus(m2) + " \"2-Feb-2024 10:00:00 +0100\" " + lit(m3) + "\r\n" +
      "e FETCH 2:4 (UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n"
      "f STATUS INBOX (MESSAGES UIDNEXT)\r\n");
  EXPECT_THAT(out, HasSubstr("c OK [APPENDUID "));
  EXPECT_THAT(out, HasSubstr("* 4 EXISTS\r\n* 4 RECENT\r\nd OK [APPENDUID "));
  EXPECT_THAT(out, HasSubstr(" 2:4] APPEND completed\r\n"));
  EXPECT_THAT(out,
              HasSubstr("* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) INTERNALDATE \" 1-Feb-2024 "
                        "10:00:00 +0000\" BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: one"));
  EXPECT_THAT(out, HasSubstr("* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent $Work) INTERNALDATE"));
  EXPECT_THAT(out, HasSubstr("Subject: two"));
  EXPECT_THAT(out, HasSubstr("* 4 FETCH (UID 4 FLAGS (\\Recent) INTERNALDATE \" 2-Feb-2024 "
                             "09:00:00 +0000\""));
  EXPECT_THAT(out, HasSubstr("Subject: three"));
  EXPECT_THAT(out, HasSubstr("* STATUS INBOX (MESSAGES 4 UIDNEXT 5)"));
}

// All or nothing: a bad message anywhere fails the command, stores nothing, and the rest of
// the command's literals are consumed so that the next command works.
TEST(ImapSession, MultiAppendFailsAsAWhole) {
  World w;
  w.ctx.append_limit = 1000;
  ASSERT_TRUE(w.store->set_quota(w.account.id, 2500));
  std::string ok_msg = simple_message("ok", std::string(700, 'o'));
  std::string big(1500, 'x');
  std::string out =
      w.run(w.login_line() +
            // Too big in the middle, non-synchronizing: read and dropped, then NO [TOOBIG].
            "b APPEND INBOX " + lit_plus(ok_msg) + " " + lit_plus(big) + " " + lit_plus(ok_msg) +
            "\r\n"
            // Too big in the middle, synchronizing: answered instead of "+"; the client stops.
            "c APPEND INBOX " +
            lit_plus(ok_msg) + " {1500}\r\n" +
            // A bad flag on the last message.
            "d APPEND INBOX " + lit_plus(ok_msg) + " (\\Bogus) " + lit_plus(ok_msg) + "\r\n" +
            // A bad date in the middle (a syntax error: BAD).
            "e APPEND INBOX " + lit_plus(ok_msg) + " \"32-Feb-2024 10:00:00 +0000\" " +
            lit_plus(ok_msg) + " " + lit_plus(ok_msg) + "\r\n" +
            // An empty message.
            "f APPEND INBOX " + lit_plus(ok_msg) + " {0+}\r\n\r\n" +
            // Each fits the quota, all four together do not.
            "g APPEND INBOX " + lit_plus(ok_msg) + " " + lit_plus(ok_msg) + " " + lit_plus(ok_msg) +
            " " + lit_plus(ok_msg) + "\r\n" +
            // Missing mailbox.
            "h APPEND Nope " + lit_plus(ok_msg) + " " + lit_plus(ok_msg) + "\r\n" +
            "i STATUS INBOX (MESSAGES UIDNEXT SIZE)\r\n" +
            // Three fit.
            "j APPEND INBOX " + lit_plus(ok_msg) + " " + lit_plus(ok_msg) + " " + lit_plus(ok_msg) +
            "\r\n" + "k STATUS INBOX (MESSAGES UIDNEXT)\r\n");
  EXPECT_THAT(out, HasSubstr("b NO [TOOBIG]"));
  EXPECT_THAT(out, HasSubstr("c NO [TOOBIG]"));
  EXPECT_THAT(out, Not(HasSubstr("+ Ready")));
  EXPECT_THAT(out, HasSubstr("d BAD Invalid flag"));
  EXPECT_THAT(out, HasSubstr("e BAD"));
  EXPECT_THAT(out, HasSubstr("f NO [CANNOT] Message 2 is empty"));
  EXPECT_THAT(out, HasSubstr("g NO [OVERQUOTA]"));
  EXPECT_THAT(out, HasSubstr("h NO [TRYCREATE]"));
  EXPECT_THAT(out, HasSubstr("* STATUS INBOX (MESSAGES 0 UIDNEXT 1 SIZE 0)\r\ni OK"));
  EXPECT_THAT(out, HasSubstr("j OK [APPENDUID "));
  EXPECT_THAT(out, HasSubstr(" 1:3] APPEND completed"));
  EXPECT_THAT(out, HasSubstr("* STATUS INBOX (MESSAGES 3 UIDNEXT 4)\r\nk OK"));
  EXPECT_THAT(out, Not(HasSubstr("BYE")));
}

// A store failure during a MULTIAPPEND is answered NO and stores nothing.
TEST(ImapSession, MultiAppendStoreFailure) {
  World w;
  testing::FaultyStore faulty(*w.store);
  faulty.fail_method = "deliver_many";
  w.ctx.store = &faulty;
  std::string m = simple_message("s", "b");
  std::string out = w.run(w.login_line() + "b APPEND INBOX " + lit_plus(m) + " " + lit_plus(m) +
                          "\r\nc STATUS INBOX (MESSAGES)\r\n");
  EXPECT_THAT(out, HasSubstr("b NO "));
  EXPECT_THAT(out, HasSubstr("* STATUS INBOX (MESSAGES 0)\r\nc OK"));
}

// UTF8=ACCEPT (RFC 6855) next to IMAP4rev2 (RFC 9051): both give UTF-8 mailbox names; only
// UTF8=ACCEPT restricts CHARSET (erratum 4029). A message with 8-bit headers reaches a session
// that enabled neither unchanged, its ENVELOPE strings as literals (valid IMAP4rev1).
TEST(ImapSession, Utf8AcceptAndRev2) {
  World w;
  const std::string name = "\xE6\x97\xA5\xE6\x9C\xAC";     // 日本
  const std::string subject = "\xE3\x81\x93\xE3\x82\x93";  // こん
  std::string m = "From: a@example.org\r\nSubject: " + subject + "\r\n\r\nbody\r\n";
  std::string out =
      w.run(w.login_line() + "b ENABLE IMAP4rev2\r\nc CREATE \"" + name + "\"\r\n" + "d APPEND \"" +
            name + "\" UTF8 (~{" + std::to_string(m.size()) + "+}\r\n" + m + ")\r\n" +
            "e SELECT \"" + name + "\"\r\nf SEARCH CHARSET US-ASCII ALL\r\n" +
            "g ENABLE UTF8=ACCEPT\r\nh SEARCH CHARSET US-ASCII ALL\r\ni THREAD REFERENCES US-ASCII "
            "ALL\r\nj ENABLE UTF8=ACCEPT\r\nk UNAUTHENTICATE\r\n" +
            w.login_line("l") + "m LIST \"\" \"&ZeVnLA-\"\r\nn EXAMINE &ZeVnLA-\r\n" +
            "o FETCH 1 (ENVELOPE)\r\np APPEND INBOX UTF8 (~{" + std::to_string(m.size()) +
            "+}\r\n" + m + ")\r\nq CREATE \"x\x01y\"\r\n");
  EXPECT_THAT(out, HasSubstr("d OK [APPENDUID"));  // UTF8 data in IMAP4rev2 mode
  EXPECT_THAT(out, HasSubstr("* ESEARCH (TAG \"f\") ALL 1\r\nf OK"));
  EXPECT_THAT(out, HasSubstr("* ENABLED UTF8=ACCEPT\r\ng OK"));
  EXPECT_THAT(out, HasSubstr("h BAD"));
  EXPECT_THAT(out, HasSubstr("i BAD"));
  EXPECT_THAT(out, HasSubstr("* ENABLED\r\nj OK"));  // already on: not listed again
  EXPECT_THAT(out, HasSubstr("* LIST (\\HasNoChildren) \"/\" &ZeVnLA-\r\nm OK"));
  EXPECT_THAT(out, HasSubstr("n OK [READ-ONLY]"));
  EXPECT_THAT(out, HasSubstr("{6}\r\n" + subject + " "));  // ENVELOPE subject as a literal
  EXPECT_THAT(out, HasSubstr("p BAD UTF8 append data needs ENABLE UTF8=ACCEPT"));
  EXPECT_THAT(out, HasSubstr("q NO [CANNOT]"));
}

TEST(ImapSession, AppendOverQuotaAndQuotaCommands) {
  World w;
  ASSERT_TRUE(w.store->set_quota(w.account.id, 10 * 1024));
  std::string out = w.run(w.login_line() + append("b", simple_message("s", std::string(500, 'y'))) +
                          append("c", simple_message("s", std::string(20000, 'y'))) +
                          "d GETQUOTAROOT INBOX\r\ne GETQUOTA \"\"\r\nf GETQUOTA x\r\n"
                          "g SETQUOTA \"\" (STORAGE 1)\r\nh GETQUOTAROOT Nope\r\n");
  EXPECT_THAT(out, HasSubstr("b OK [APPENDUID"));
  EXPECT_THAT(out, HasSubstr("c NO [OVERQUOTA]"));
  EXPECT_THAT(out, HasSubstr("* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" (STORAGE 1 10)\r\nd OK"));
  EXPECT_THAT(out, HasSubstr("* QUOTA \"\" (STORAGE 1 10)\r\ne OK"));
  EXPECT_THAT(out, HasSubstr("f NO [NONEXISTENT]"));
  EXPECT_THAT(out, HasSubstr("g NO [NOPERM]"));
  EXPECT_THAT(out, HasSubstr("h NO [NONEXISTENT]"));
}

TEST(ImapSession, SearchKeys) {
  World w;
  std::string script =
      w.login_line() + "b APPEND INBOX (\\Seen) \"01-Mar-2024 12:00:00 +0000\" " +
      lit(simple_message("Invoice March", "Please pay the amount", "billing@shop.example",
                         "Fri, 1 Mar 2024 09:00:00 +0000")) +
      "\r\n" + "c APPEND INBOX (\\Flagged $Important) \"10-Mar-2024 12:00:00 +0000\" " +
      lit(simple_message("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Köln", "STRASSE und Straße",
                         "friend@example.de", "Sun, 10 Mar 2024 09:00:00 +0000")) +
      "\r\n" + "d APPEND INBOX \"20-Mar-2024 12:00:00 +0000\" " +
      lit(simple_message("Meeting", std::string(3000, 'z'), "boss@corp.example",
                         "Wed, 20 Mar 2024 09:00:00 +0000")) +
      "\r\n" +
      "e SELECT INBOX\r\n"
      "s1 SEARCH SEEN\r\n"
      "s2 SEARCH UNSEEN\r\n"
      "s3 SEARCH FLAGGED KEYWORD $important\r\n"
      "s4 SEARCH FROM BILLING\r\n"
      "s5 SEARCH SUBJECT \"grüsse\"\r\n"
      "s6 SEARCH BODY \"straße\"\r\n"
      "s7 SEARCH LARGER 2000\r\n"
      "s8 SEARCH SMALLER 2000\r\n"
      "s9 SEARCH SINCE 10-Mar-2024\r\n"
      "s10 SEARCH BEFORE 10-Mar-2024\r\n"
      "s11 SEARCH ON 10-Mar-2024\r\n"
      "s12 SEARCH SENTBEFORE 2-Mar-2024\r\n"
      "s13 SEARCH OR FROM boss SUBJECT invoice\r\n"
      "s14 SEARCH NOT (FROM boss)\r\n"
      "s15 UID SEARCH UID 2:*\r\n"
      "s16 SEARCH 2:3 UNFLAGGED\r\n"
      "s17 SEARCH CHARSET UTF-8 TEXT \"köln\"\r\n"
      "s18 SEARCH CHARSET KOI8-R TEXT x\r\n"
      "s19 SEARCH HEADER Date \"10 Mar\"\r\n"
      "s20 SEARCH TEXT pay\r\n"
      "s21 SEARCH OR (NEW) (OLD)\r\n"
      "s22 SEARCH RETURN (MIN MAX COUNT) ALL\r\n"
      "s23 SEARCH (SEEN\r\n"
      "s24 ENABLE IMAP4rev2\r\n"
      "s25 UID SEARCH SUBJECT meeting\r\n"
      "s26 SEARCH TO demo@TEGAMI.test\r\n"
      "s27 SEARCH RETURN (SAVE) FLAGGED\r\n"
      "s28 FETCH $ (UID)\r\n"
      "s29 UID SEARCH OR UID $ SEEN\r\n"
      "s30 SEARCH RETURN (SAVE MAX) ALL\r\n"
      "s31 UID FETCH $ (UID)\r\n";
  std::string out = w.run(script);
  EXPECT_THAT(out, HasSubstr("* SEARCH 1\r\ns1 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2 3\r\ns2 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2\r\ns3 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1\r\ns4 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2\r\ns5 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2\r\ns6 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 3\r\ns7 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1 2\r\ns8 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2 3\r\ns9 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1\r\ns10 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2\r\ns11 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1\r\ns12 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1 3\r\ns13 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1 2\r\ns14 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2 3\r\ns15 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 3\r\ns16 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2\r\ns17 OK"));
  EXPECT_THAT(out, HasSubstr("s18 NO [BADCHARSET (UTF-8 US-ASCII)]"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 2\r\ns19 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1\r\ns20 OK"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1 2 3\r\ns21 OK"));
  EXPECT_THAT(out, HasSubstr("* ESEARCH (TAG \"s22\") MIN 1 MAX 3 COUNT 3\r\ns22 OK"));
  EXPECT_THAT(out, HasSubstr("s23 BAD"));
  EXPECT_THAT(out, HasSubstr("* ESEARCH (TAG \"s25\") UID ALL 3\r\ns25 OK"));
  EXPECT_THAT(out, HasSubstr("* ESEARCH (TAG \"s26\") ALL 1:3\r\ns26 OK"));
  EXPECT_THAT(out, HasSubstr("\r\ns27 OK"));
  EXPECT_THAT(out, Not(HasSubstr("(TAG \"s27\")")));
  EXPECT_THAT(out, HasSubstr("s27 OK SEARCH completed\r\n* 2 FETCH (UID 2)\r\ns28 OK"));
  EXPECT_THAT(out, HasSubstr("* ESEARCH (TAG \"s29\") UID ALL 1:2\r\ns29 OK"));
  EXPECT_THAT(out, HasSubstr("* ESEARCH (TAG \"s30\") MAX 3\r\ns30 OK"));
  EXPECT_THAT(out, HasSubstr("* 3 FETCH (UID 3)\r\ns31 OK"));
}

TEST(ImapSession, StoreCopyMoveExpungeRenumbering) {
  World w;
  std::string script = w.login_line();
  for (int i = 1; i <= 5; ++i) {
    script += append("p" + std::to_string(i), simple_message("m" + std::to_string(i), "b"));
  }
  script +=
      "c SELECT INBOX\r\n"
      "d STORE 2,4 +FLAGS (\\Deleted)\r\n"
      "e STORE 1 FLAGS.SILENT (\\Answered)\r\n"
      "f UID STORE 5 -FLAGS (\\Seen)\r\n"
      "g COPY 1:2 Archive\r\n"
      "h EXPUNGE\r\n"
      "i FETCH 1:* (UID FLAGS)\r\n"
      "j MOVE 2 Junk\r\n"
      "k UID MOVE 5 \"Deleted Messages\"\r\n"
      "l FETCH 1:* UID\r\n"
      "m COPY 1 Nope\r\n"
      "n STATUS Archive (MESSAGES UIDNEXT)\r\n"
      "o FETCH 9 UID\r\n"
      "p STORE 1 +FLAGS (\\Deleted)\r\n"
      "q CLOSE\r\n"
      "r STATUS INBOX (MESSAGES)\r\n";
  std::string out = w.run(script);
  EXPECT_THAT(out,
              HasSubstr("* 2 FETCH (FLAGS (\\Deleted))\r\n* 4 FETCH (FLAGS (\\Deleted))\r\nd OK"));
  EXPECT_THAT(out, HasSubstr("\r\ne OK STORE completed"));
  EXPECT_THAT(out, Not(HasSubstr("* 1 FETCH (FLAGS (\\Answered))")));
  EXPECT_THAT(out, HasSubstr("* 5 FETCH (UID 5 FLAGS ())\r\nf OK"));
  EXPECT_THAT(out, HasSubstr("g OK [COPYUID "));
  EXPECT_THAT(out, HasSubstr(" 1:2 1:2] COPY completed"));
  EXPECT_THAT(out, HasSubstr("* 4 EXPUNGE\r\n* 2 EXPUNGE\r\nh OK EXPUNGE completed"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (UID 1 FLAGS (\\Answered))\r\n* 2 FETCH (UID 3 FLAGS ())"
                             "\r\n* 3 FETCH (UID 5 FLAGS ())\r\ni OK"));
  EXPECT_THAT(out, HasSubstr("* OK [COPYUID "));
  EXPECT_THAT(out, HasSubstr(" 3 1] Moved\r\n* 2 EXPUNGE\r\nj OK MOVE completed"));
  EXPECT_THAT(out, HasSubstr(" 5 1] Moved\r\n* 2 EXPUNGE\r\nk OK MOVE completed"));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (UID 1)\r\nl OK"));
  EXPECT_THAT(out, HasSubstr("m NO [TRYCREATE]"));
  EXPECT_THAT(out, HasSubstr("* STATUS Archive (MESSAGES 2 UIDNEXT 3)"));
  EXPECT_THAT(out, HasSubstr("o BAD"));
  EXPECT_THAT(out, HasSubstr("q OK CLOSE completed"));
  size_t q = out.find("p OK");
  EXPECT_THAT(out.substr(q), Not(HasSubstr("EXPUNGE\r\n")));
  EXPECT_THAT(out, HasSubstr("* STATUS INBOX (MESSAGES 0)"));
}

TEST(ImapSession, Condstore) {
  World w;
  std::string script = w.login_line();
  for (int i = 1; i <= 3; ++i) {
    script += append("p" + std::to_string(i), simple_message("m" + std::to_string(i), "b"));
  }
  script +=
      "c SELECT INBOX (CONDSTORE)\r\n"
      "d FETCH 1:* (MODSEQ)\r\n"
      "e STORE 2 +FLAGS (\\Seen)\r\n"
      "f FETCH 1:* (FLAGS) (CHANGEDSINCE 3)\r\n"
      "g STORE 1,2 (UNCHANGEDSINCE 3) +FLAGS.SILENT (\\Flagged)\r\n"
      "h SEARCH MODSEQ 4\r\n"
      "i STATUS INBOX (HIGHESTMODSEQ)\r\n"
      "j UID STORE 3 -FLAGS (\\Seen)\r\n";
  std::string out = w.run(script);
  EXPECT_THAT(out, HasSubstr(" CONDSTORE "));
  EXPECT_THAT(out, HasSubstr("* OK [HIGHESTMODSEQ "));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (MODSEQ ("));
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (MODSEQ (2))\r\n* 2 FETCH (MODSEQ (3))\r\n"
                             "* 3 FETCH (MODSEQ (4))\r\nd OK"));
  EXPECT_THAT(out, HasSubstr("* 2 FETCH (FLAGS (\\Seen) MODSEQ (5))\r\ne OK"));
  EXPECT_THAT(out, HasSubstr("* 2 FETCH (FLAGS (\\Seen) MODSEQ (5))\r\n"
                             "* 3 FETCH (FLAGS () MODSEQ (4))\r\nf OK"));
  // Message 2 changed after modseq 3: the conditional STORE fails for it, not for 1, and
  // .SILENT still reports the new MODSEQ of 1.
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (MODSEQ (6))\r\ng OK [MODIFIED 2] Conditional STORE "
                             "failed"));
  EXPECT_THAT(out, HasSubstr("* SEARCH 1 2 3 (MODSEQ 6)\r\nh OK"));
  EXPECT_THAT(out, HasSubstr("* STATUS INBOX (HIGHESTMODSEQ 6)"));
  EXPECT_THAT(out, HasSubstr("* 3 FETCH (UID 3 FLAGS () MODSEQ (4))\r\nj OK"));
}

TEST(ImapSession, NewKeywordIsAnnouncedInFlags) {
  World w;
  std::string out =
      w.run(w.login_line() + append("b", simple_message("s", "x"), "$Old") +
            "c SELECT INBOX\r\nd STORE 1 +FLAGS ($New)\r\ne STORE 1 +FLAGS ($Old)\r\n");
  EXPECT_THAT(out, HasSubstr("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Old)\r\n"));
  EXPECT_THAT(out,
              HasSubstr("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $New $Old)\r\n"
                        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $New "
                        "$Old \\*)] Flags permitted\r\n* 1 FETCH (FLAGS ($Old $New))\r\nd OK"));
  size_t e = out.find("d OK");
  EXPECT_THAT(out.substr(e), ::testing::Not(HasSubstr("* FLAGS")));
}

TEST(ImapSession, BadInput) {
  World w;
  std::string longline = "x NOOP " + std::string(70000, 'a') + "\r\n";
  std::string out = w.run("garbage\r\n\r\n" + longline + "a NOOP\r\n" + w.login_line("b") +
                          "c SELECT INBOX\r\nd SEARCH (SEEN\r\ne FETCH 1:* (FLAGS\r\n"
                          "f FETCH 1 BODY[\r\ng NOSUCHCOMMAND\r\nh FETCH 1 FLAGS\r\n"
                          "i APPEND INBOX {999999999999}\r\nj LIST \"\" {100000}\r\n"
                          "k NOOP\r\n");
  EXPECT_THAT(out, HasSubstr("* BAD [TOOBIG] Command line too long\r\n"));
  EXPECT_THAT(out, HasSubstr("a OK NOOP"));
  EXPECT_THAT(out, HasSubstr("b OK"));
  EXPECT_THAT(out, HasSubstr("d BAD"));
  EXPECT_THAT(out, HasSubstr("e BAD"));
  EXPECT_THAT(out, HasSubstr("f BAD"));
  EXPECT_THAT(out, HasSubstr("g BAD"));
  EXPECT_THAT(out, HasSubstr("h BAD"));  // no message 1
  EXPECT_THAT(out, HasSubstr("i NO [TOOBIG]"));
  EXPECT_THAT(out, HasSubstr("j BAD"));
  EXPECT_THAT(out, HasSubstr("k OK NOOP"));
}

TEST(ImapSession, OneByteAtATime) {
  World w;
  std::string out = w.run(w.login_line() + append("b", simple_message("s", "hello")) +
                              "c SELECT INBOX\r\nd FETCH 1 BODY.PEEK[TEXT]\r\ne LOGOUT\r\n",
                          true, true, 1);
  EXPECT_THAT(out, HasSubstr("* 1 FETCH (BODY[TEXT] {7}\r\nhello\r\n)\r\nd OK"));
  EXPECT_THAT(out, HasSubstr("e OK LOGOUT"));
}

TEST(ImapSession, Rev2Select) {
  World w;
  std::string out = w.run(w.login_line() + append("b", simple_message("s", "hello")) +
                          "c ENABLE IMAP4rev2\r\nd SELECT INBOX\r\ne FETCH 1 FLAGS\r\n"
                          "f ID (\"name\" \"Thunderbird\")\r\ng STATUS INBOX (MESSAGES)\r\n");
  EXPECT_THAT(out, HasSubstr("* ENABLED IMAP4rev2"));
  size_t d = out.find("c OK");
  std::string sel = out.substr(d, out.find("d OK") - d);
  EXPECT_THAT(sel, Not(HasSubstr("RECENT")));
  EXPECT_THAT(sel, Not(HasSubstr("[UNSEEN")));
  EXPECT_THAT(sel, HasSubstr("* LIST () \"/\" INBOX\r\n"));
  EXPECT_THAT(out, HasSubstr("* ID (\"name\" \"Tegami\""));
}

// QRESYNC (RFC 7162 §3.2): ENABLE first; VANISHED instead of EXPUNGE; SELECT with the QRESYNC
// parameter reports what vanished and changed since the client's mod-sequence.
TEST(ImapSession, Qresync) {
  World w;
  std::string script = w.login_line();
  for (int i = 1; i <= 4; ++i) {  // UIDs 1-4 with mod-sequences 2-5
    script += append("p" + std::to_string(i), simple_message("m" + std::to_string(i), "b"));
  }
  script +=
      "b SELECT INBOX (QRESYNC (1 1))\r\n"
      "c SELECT INBOX\r\n"
      "d UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n"
      "e ENABLE QRESYNC\r\n"
      "f STORE 2 +FLAGS.SILENT (\\Deleted)\r\n"   // modseq 6
      "g EXPUNGE\r\n"                             // modseq 7
      "h UID STORE 3 +FLAGS.SILENT (\\Seen)\r\n"  // modseq 8
      "i UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)\r\n"
      "j FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)\r\n";
  std::string out = w.run(script);
  EXPECT_THAT(out, HasSubstr("b BAD QRESYNC is not enabled\r\n"));
  EXPECT_THAT(out, HasSubstr("d BAD QRESYNC is not enabled\r\n"));
  EXPECT_THAT(out, HasSubstr("* ENABLED QRESYNC\r\ne OK"));
  EXPECT_THAT(out, HasSubstr("* VANISHED 2\r\ng OK [HIGHESTMODSEQ 7] EXPUNGE completed\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("EXPUNGE\r\n")));
  EXPECT_THAT(out, HasSubstr("* VANISHED (EARLIER) 2\r\n* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ "
                             "(8))\r\ni OK"));
  EXPECT_THAT(out, HasSubstr("j BAD"));
  size_t p = out.find("[UIDVALIDITY ");
  ASSERT_NE(p, std::string::npos);
  std::string uv = out.substr(p + 13, out.find(']', p) - p - 13);
  std::string other_uv = uv == "7" ? "8" : "7";

  // A later session resynchronises.
  std::string out2 =
      w.run(w.login_line() + "b ENABLE QRESYNC\r\n" + "c SELECT INBOX (QRESYNC (" + uv +
            " 5 1:4))\r\n" + "d EXAMINE INBOX (QRESYNC (" + uv + " 5 3:4))\r\n" +
            "e SELECT INBOX (QRESYNC (" + uv + " 8))\r\n" + "f SELECT INBOX (QRESYNC (" + other_uv +
            " 2))\r\n" + "g SELECT INBOX (QRESYNC (" + uv + " 1 1:9 (1:3 1:3)))\r\n" +
            "h STORE 1 +FLAGS.SILENT (\\Deleted)\r\ni CLOSE\r\n");
  EXPECT_THAT(out2, HasSubstr("* OK [HIGHESTMODSEQ 8] Highest\r\n"));
  EXPECT_THAT(out2, HasSubstr("] Mailbox id\r\n* VANISHED (EARLIER) 2\r\n"
                              "* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (8))\r\nc OK [READ-WRITE]"));
  EXPECT_THAT(out2, HasSubstr("] Mailbox id\r\n* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (8))\r\n"
                              "d OK [READ-ONLY]"));
  EXPECT_THAT(out2, HasSubstr("] Mailbox id\r\ne OK [READ-WRITE]"));
  EXPECT_THAT(out2, HasSubstr("] Mailbox id\r\nf OK [READ-WRITE]"));
  EXPECT_THAT(out2, HasSubstr("] Mailbox id\r\n* VANISHED (EARLIER) 2\r\n"
                              "* 1 FETCH (UID 1 FLAGS () MODSEQ (2))\r\n"
                              "* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (8))\r\n"
                              "* 3 FETCH (UID 4 FLAGS () MODSEQ (5))\r\ng OK [READ-WRITE]"));
  // CLOSE expunges silently (modseq 9 for the flag, 10 for the expunge) and says the result.
  EXPECT_THAT(out2, HasSubstr("i OK [HIGHESTMODSEQ 10] CLOSE completed\r\n"));
  EXPECT_THAT(out2, Not(HasSubstr("VANISHED 1\r\n")));
}

}  // namespace
}  // namespace tegami::imap::server
