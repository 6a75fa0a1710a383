// Tests: tags, simple and session commands, UID dispatch, malformed input (RFC 9051 §2.2.1,
// §6.1-§6.2, RFC 4959, RFC 5161, RFC 2971, RFC 4978, RFC 9208, RFC 8437).
#include <gtest/gtest.h>

#include "imap/proto/command.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

using testing::bad;
using testing::ok;

TEST(Command, SimpleCommands) {
  struct {
    const char* line;
    CommandType type;
  } cases[] = {
      {"a001 CAPABILITY", CommandType::kCapability},
      {"A1 noop", CommandType::kNoop},
      {"3 LOGOUT", CommandType::kLogout},
      {"a STARTTLS", CommandType::kStartTls},
      {"x NAMESPACE", CommandType::kNamespace},
      {"A5 IDLE", CommandType::kIdle},
      {"A6 CHECK", CommandType::kCheck},
      {"A7 CLOSE", CommandType::kClose},
      {"A8 UNSELECT", CommandType::kUnselect},
      {"A9 UNAUTHENTICATE", CommandType::kUnauthenticate},
      {"A10 EXPUNGE", CommandType::kExpunge},
  };
  for (const auto& c : cases) {
    Command cmd = ok(c.line);
    EXPECT_EQ(cmd.type, c.type) << c.line;
    EXPECT_FALSE(cmd.uid);
  }
  EXPECT_EQ(ok("a001 CAPABILITY").tag, "a001");
  EXPECT_EQ(ok("tag.with.dots-and_} NOOP").tag, "tag.with.dots-and_}");
  EXPECT_STREQ(command_name(CommandType::kGetQuotaRoot), "GETQUOTAROOT");
}

TEST(Command, TrailingSpaceTolerated) {
  EXPECT_EQ(ok("A1 NOOP ").type, CommandType::kNoop);
  EXPECT_EQ(ok("A1 LOGIN a b  ").as<LoginArgs>().password, "b");
}

TEST(Command, Login) {
  auto c = ok("a002 LOGIN alice@example.com \"p@ss w\\\"o\\\\rd\"");
  ASSERT_EQ(c.type, CommandType::kLogin);
  EXPECT_EQ(c.as<LoginArgs>().user, "alice@example.com");
  EXPECT_EQ(c.as<LoginArgs>().password, "p@ss w\"o\\rd");
  // imaplib quotes everything; mbsync uses literals for odd passwords.
  c = ok("GHCD1 LOGIN \"bob\" {9}\r\nsecret \"}\r\n");
  EXPECT_EQ(c.as<LoginArgs>().password, "secret \"}");
  c = ok("a LOGIN {5+}\r\nalice {4+}\r\npass\r\n", Limits{.literal_plus = true});
  EXPECT_EQ(c.as<LoginArgs>().user, "alice");
  EXPECT_EQ(c.as<LoginArgs>().password, "pass");
  // UTF-8 quoted passwords (RFC 9051).
  c = ok("a LOGIN \"\xE5\xA4\xAA\xE9\x83\x8E\" \"\xE3\x83\x91\xE3\x82\xB9\"");
  EXPECT_EQ(c.as<LoginArgs>().user, "\xE5\xA4\xAA\xE9\x83\x8E");
  EXPECT_NE(bad("a LOGIN alice").text.find("missing"), std::string::npos);
  bad("a LOGIN \"alice\" \"unterminated");
  bad("a LOGIN \"\xff\xfe\" x");  // 8-bit non-UTF-8 in quoted
}

TEST(Command, Authenticate) {
  auto c = ok("A01 AUTHENTICATE PLAIN");
  EXPECT_EQ(c.as<AuthenticateArgs>().mechanism, "PLAIN");
  EXPECT_FALSE(c.as<AuthenticateArgs>().initial_response);
  c = ok("A01 authenticate plain AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(c.as<AuthenticateArgs>().mechanism, "PLAIN");
  EXPECT_EQ(*c.as<AuthenticateArgs>().initial_response, "AGFsaWNlAHNlY3JldA==");
  c = ok("A2 AUTHENTICATE XOAUTH2 =");
  EXPECT_EQ(*c.as<AuthenticateArgs>().initial_response, "=");
  bad("A2 AUTHENTICATE PLAIN ab$c");
  bad("A2 AUTHENTICATE");
}

TEST(Command, Enable) {
  auto c = ok("t ENABLE QRESYNC condstore UTF8=ACCEPT");
  EXPECT_EQ(c.as<EnableArgs>().capabilities,
            (std::vector<std::string>{"QRESYNC", "CONDSTORE", "UTF8=ACCEPT"}));
  bad("t ENABLE");
}

TEST(Command, Id) {
  // Thunderbird and Apple Mail shapes.
  auto c = ok("5 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")");
  const auto& id = c.as<IdArgs>();
  ASSERT_EQ(id.fields.size(), 2u);
  EXPECT_EQ(id.fields[0].first, "name");
  EXPECT_EQ(*id.fields[1].second, "115.3.1");
  c =
      ok("1 ID (\"name\" \"iPhone Mail\" \"version\" \"20G75\" \"os\" \"iOS\" \"os-version\" "
         "\"16.6 (20G75)\")");
  EXPECT_EQ(c.as<IdArgs>().fields.size(), 4u);
  c = ok("2 ID NIL");
  EXPECT_TRUE(c.as<IdArgs>().nil);
  c = ok("2 ID (\"vendor\" NIL)");
  EXPECT_FALSE(c.as<IdArgs>().fields[0].second);
  bad("2 ID (\"name\")");
  bad("2 ID (\"name\" \"x\"");
}

TEST(Command, Compress) {
  EXPECT_EQ(ok("c COMPRESS deflate").as<CompressArgs>().mechanism, "DEFLATE");
}

TEST(Command, Quota) {
  EXPECT_EQ(ok("G GETQUOTAROOT INBOX").as<MailboxArgs>().mailbox, "INBOX");
  EXPECT_EQ(ok("G GETQUOTAROOT inbox").as<MailboxArgs>().mailbox, "INBOX");
  EXPECT_EQ(ok("G GETQUOTA \"\"").as<QuotaRootArgs>().root, "");
  auto c = ok("S SETQUOTA \"\" (STORAGE 512 message 1000)");
  const auto& s = c.as<SetQuotaArgs>();
  ASSERT_EQ(s.limits.size(), 2u);
  EXPECT_EQ(s.limits[0], (std::pair<std::string, uint64_t>{"STORAGE", 512}));
  EXPECT_EQ(s.limits[1].first, "MESSAGE");
  EXPECT_EQ(ok("S SETQUOTA x ()").as<SetQuotaArgs>().limits.size(), 0u);
  bad("S SETQUOTA x (STORAGE)");
}

TEST(Command, IdleDone) {
  EXPECT_TRUE(is_idle_done("DONE"));
  EXPECT_TRUE(is_idle_done("done"));
  EXPECT_FALSE(is_idle_done("DONE "));
  EXPECT_FALSE(is_idle_done("A1 DONE"));
}

TEST(Command, UidDispatch) {
  EXPECT_TRUE(ok("A UID FETCH 1 FLAGS").uid);
  EXPECT_TRUE(ok("A uid search all").uid);
  EXPECT_EQ(ok("A UID MOVE 1:3 Trash").type, CommandType::kMove);
  auto c = ok("A UID EXPUNGE 3000:3002");
  EXPECT_TRUE(c.as<ExpungeArgs>().set.has_value());
  EXPECT_FALSE(ok("A EXPUNGE").as<ExpungeArgs>().set.has_value());
  EXPECT_NE(bad("A UID LOGIN a b").text.find("UID LOGIN"), std::string::npos);
  bad("A UID");
  bad("A UID EXPUNGE");
}

TEST(Command, Malformed) {
  auto e = bad("");
  EXPECT_TRUE(e.tag.empty());
  EXPECT_EQ(e.kind, ParseError::Kind::kBad);
  e = bad("*");
  EXPECT_TRUE(e.tag.empty());
  e = bad("* NOOP");
  EXPECT_TRUE(e.tag.empty());
  e = bad("+ NOOP");
  EXPECT_TRUE(e.tag.empty());
  e = bad("A1");
  EXPECT_EQ(e.tag, "A1");
  EXPECT_EQ(e.text, "Missing command");
  e = bad("A1 FROBNICATE x");
  EXPECT_EQ(e.tag, "A1");
  EXPECT_EQ(e.text, "Unknown command FROBNICATE");
  e = bad("A1 NOOP extra");
  EXPECT_NE(e.text.find("unexpected characters"), std::string::npos);
  EXPECT_EQ(e.command, "NOOP");
  e = bad("A1 SELECT \xe6\x97\xa5\xe6\x9c\xac");  // 8-bit atom
  EXPECT_NE(e.text.find("8-bit"), std::string::npos);
  EXPECT_EQ(e.text.find('\xe6'), std::string::npos);  // never echoed raw
  e = bad("A\xff NOOP");
  EXPECT_TRUE(e.tag.empty());
  bad("A1  NOOP");  // two spaces
  bad("A1 NO\x01OP");
  bad(" A1 NOOP");
  bad("A1 (NOOP)");
}

TEST(Command, GetAccessor) {
  Command c = ok("a LOGIN x y");
  ASSERT_NE(c.get<LoginArgs>(), nullptr);
  EXPECT_EQ(c.get<LoginArgs>()->user, "x");
  EXPECT_EQ(c.get<FetchArgs>(), nullptr);
  const Command& cc = c;
  EXPECT_NE(cc.get<LoginArgs>(), nullptr);
}

TEST(Command, ParserIsReusableAndMovable) {
  CommandParser p;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::holds_alternative<ParseError>(p.feed_line("a BOGUS")));
    EXPECT_TRUE(std::holds_alternative<Command>(p.feed_line("b NOOP")));
  }
  CommandParser q = std::move(p);
  EXPECT_TRUE(std::holds_alternative<Command>(q.feed_line("c NOOP")));
  Limits lim;
  lim.max_items = 1;
  q.set_limits(lim);
  EXPECT_EQ(q.limits().max_items, 1u);
  EXPECT_TRUE(std::holds_alternative<ParseError>(q.feed_line("d FETCH 1,2 FLAGS")));
}

TEST(Command, ParseCommandLine) {
  auto r = parse_command_line("a NOOP");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  r = parse_command_line("a LOGIN {3}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).tag, "a");
}

}  // namespace
}  // namespace tegami::imap::proto
