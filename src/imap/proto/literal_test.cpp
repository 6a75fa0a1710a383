// Tests: the sans-I/O literal protocol (RFC 9051 §4.3, §7.5), LITERAL+/LITERAL- (RFC 7888),
// literal8 (RFC 3516), APPEND and MULTIAPPEND (RFC 9051 §6.3.12, RFC 3502), limits.
#include <gtest/gtest.h>

#include <functional>

#include "imap/proto/command.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

using testing::ok;
using testing::run_one;
using testing::run_wire;

TEST(Literal, SyncFlow) {
  CommandParser p;
  auto r = p.feed_line("A003 LOGIN {11}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  auto need = std::get<NeedLiteral>(r);
  EXPECT_EQ(need.size, 11u);
  EXPECT_TRUE(need.synchronizing);
  EXPECT_FALSE(need.binary);
  EXPECT_FALSE(need.append_message);
  EXPECT_TRUE(p.in_command());
  p.feed_literal("FRED FOOBAR");
  r = p.feed_line(" {7}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  p.feed_literal("fat man");
  r = p.feed_line("");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  const auto& c = std::get<Command>(r);
  EXPECT_EQ(c.tag, "A003");
  EXPECT_EQ(c.as<LoginArgs>().user, "FRED FOOBAR");
  EXPECT_EQ(c.as<LoginArgs>().password, "fat man");
  EXPECT_FALSE(p.in_command());
  // The parser is ready for the next command.
  EXPECT_TRUE(std::holds_alternative<Command>(p.feed_line("A004 NOOP")));
}

TEST(Literal, NonSyncAndZeroLength) {
  Limits lim;
  lim.literal_plus = true;
  CommandParser p(lim);
  auto r = p.feed_line("a LOGIN {0+}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_FALSE(std::get<NeedLiteral>(r).synchronizing);
  EXPECT_EQ(std::get<NeedLiteral>(r).size, 0u);
  p.feed_literal("");
  r = p.feed_line(" x");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  EXPECT_EQ(std::get<Command>(r).as<LoginArgs>().user, "");
}

TEST(Literal, ContentIsOpaque) {
  // CRLF, quotes, parens, braces inside literals do not confuse the parser.
  auto c = ok("a LOGIN {10}\r\n\"(\r\n{3}\r\n) {1}\r\n\"\r\n");
  EXPECT_EQ(c.as<LoginArgs>().user, "\"(\r\n{3}\r\n)");
  EXPECT_EQ(c.as<LoginArgs>().password, "\"");
  // A brace inside a quoted string is not a literal announcement.
  c = ok("a LOGIN \"x {5}\" y");
  EXPECT_EQ(c.as<LoginArgs>().user, "x {5}");
  c = ok("a LOGIN y \"x \\\" {5}\"");
  EXPECT_EQ(c.as<LoginArgs>().password, "x \" {5}");
  // NUL in a string literal is refused.
  auto r = run_one(std::string("a LOGIN {3}\r\na\0b x\r\n", 20));
  EXPECT_TRUE(std::holds_alternative<ParseError>(r));
}

TEST(Literal, BadAnnouncements) {
  for (const char* line : {"a LOGIN {abc}", "a LOGIN {}", "a LOGIN {+}", "a LOGIN x {5}}",
                           "a LOGIN \"x {5}", "a LOGIN {-1}"}) {
    CommandParser p;
    auto r = p.feed_line(line);
    EXPECT_TRUE(std::holds_alternative<ParseError>(r)) << line;
    EXPECT_FALSE(p.in_command());
  }
  CommandParser p;
  auto r = p.feed_line("a LOGIN {99999999999999999999999}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).tag, "a");
}

TEST(Literal, Limits) {
  Limits lim;
  lim.max_literal = 100;
  CommandParser p(lim);
  auto r = p.feed_line("a LOGIN {101}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  auto e = std::get<ParseError>(r);
  EXPECT_EQ(e.kind, ParseError::Kind::kBad);
  EXPECT_EQ(e.tag, "a");
  EXPECT_FALSE(e.close_connection);  // synchronizing: the client waits for "+"
  EXPECT_NE(e.text.find("literal too large"), std::string::npos);
  EXPECT_FALSE(p.in_command());
  // LITERAL-: non-synchronizing literals over 4096 bytes are refused and input is lost.
  Limits lm;
  CommandParser q(lm);
  r = q.feed_line("a LOGIN {4097+}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  e = std::get<ParseError>(r);
  EXPECT_EQ(e.kind, ParseError::Kind::kTooBig);
  EXPECT_TRUE(e.close_connection);
  EXPECT_TRUE(std::holds_alternative<NeedLiteral>(q.feed_line("a LOGIN {4096+}")));
  // Total command size.
  Limits small;
  small.max_command_size = 1000;
  CommandParser s(small);
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(s.feed_line("a LOGIN {600}")));
  s.feed_literal(std::string(600, 'x'));
  r = s.feed_line(" {600}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_NE(std::get<ParseError>(r).text.find("too long"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<ParseError>(
      parse_command_line("a NOOP " + std::string(2000, 'x'), small)));
  // literal8 outside APPEND.
  CommandParser b;
  r = b.feed_line("a LOGIN ~{3}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_NE(std::get<ParseError>(r).text.find("literal8"), std::string::npos);
}

TEST(Literal, RefusedBeforeReading) {
  CommandParser p;
  auto r = p.feed_line("* LOGIN {5}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_TRUE(std::get<ParseError>(r).tag.empty());
  r = p.feed_line("a FROB {5}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).text, "Unknown command FROB");
  EXPECT_EQ(std::get<ParseError>(r).tag, "a");
  r = p.feed_line("a NOOP {5}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  r = p.feed_line("a UID LOGIN {5}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  r = p.feed_line("a UID FETCH 1 BODY[HEADER.FIELDS ({4}");
  EXPECT_TRUE(std::holds_alternative<NeedLiteral>(r));
  p.feed_literal("From");
  r = p.feed_line(")]");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  EXPECT_EQ(std::get<Command>(r).as<FetchArgs>().atts[0].section.fields[0], "From");
}

TEST(Literal, LineInsteadOfLiteral) {
  CommandParser p;
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(p.feed_line("a LOGIN {3}")));
  auto r = p.feed_line("abc x");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_TRUE(std::get<ParseError>(r).close_connection);
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(p.feed_line("b LOGIN {3}")));
  p.reset();
  EXPECT_FALSE(p.in_command());
  EXPECT_TRUE(std::holds_alternative<Command>(p.feed_line("c NOOP")));
}

TEST(Append, Single) {
  const std::string msg = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred\r\n\r\nHi\r\n";
  CommandParser p;
  auto r = p.feed_line("A003 APPEND saved-messages (\\Seen) {" + std::to_string(msg.size()) + "}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_TRUE(std::get<NeedLiteral>(r).append_message);
  p.feed_literal(std::string(msg));
  r = p.feed_line("");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  const auto& a = std::get<Command>(r).as<AppendArgs>();
  EXPECT_EQ(a.mailbox, "saved-messages");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, (std::vector<std::string>{"\\Seen"}));
  EXPECT_FALSE(a.messages[0].internal_date);
  EXPECT_EQ(a.messages[0].data, msg);
}

TEST(Append, FlagsDateAndShapes) {
  // Thunderbird: flags and internal date; Outlook: empty flag list.
  auto c =
      ok("A1 APPEND \"Sent\" (\\Seen $Forwarded) \" 7-Feb-1994 21:52:25 -0800\" {5}\r\nhello\r\n");
  const auto& m = c.as<AppendArgs>().messages[0];
  EXPECT_EQ(m.flags.size(), 2u);
  ASSERT_TRUE(m.internal_date);
  EXPECT_EQ(m.internal_date->day, 7);
  EXPECT_EQ(m.internal_date->tz_minutes, -480);
  c = ok("A2 APPEND Drafts () {2}\r\nhi\r\n");
  EXPECT_TRUE(c.as<AppendArgs>().messages[0].flags.empty());
  c = ok("A3 APPEND inbox \"17-Jul-1996 02:44:25 -0700\" {2}\r\nhi\r\n");
  EXPECT_EQ(c.as<AppendArgs>().mailbox, "INBOX");
  c = ok("A4 APPEND INBOX {2}\r\nhi\r\n");
  EXPECT_EQ(c.as<AppendArgs>().messages[0].data, "hi");
  // Mailbox name as a literal, then the message.
  CommandParser p;
  auto r = p.feed_line("A5 APPEND {9}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_FALSE(std::get<NeedLiteral>(r).append_message);
  p.feed_literal("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  r = p.feed_line(" (\\Draft) {2}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_TRUE(std::get<NeedLiteral>(r).append_message);
  p.feed_literal("hi");
  r = p.feed_line("");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  EXPECT_EQ(std::get<Command>(r).as<AppendArgs>().mailbox, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
}

TEST(Append, MultiAppendAndBinary) {
  Limits lim;
  lim.literal_plus = true;
  std::string wire =
      "A APPEND Archive (\\Seen) {3+}\r\none (\\Flagged) \"1-Jan-2024 00:00:00 +0000\" "
      "~{4+}\r\nt";
  wire += '\0';
  wire += "wo {5}\r\nthree\r\n";
  auto r = run_one(wire, lim);
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  const auto& a = std::get<Command>(r).as<AppendArgs>();
  ASSERT_EQ(a.messages.size(), 3u);
  EXPECT_EQ(a.messages[0].data, "one");
  EXPECT_EQ(a.messages[1].data, std::string("t\0wo", 4));
  EXPECT_TRUE(a.messages[1].binary);
  EXPECT_TRUE(a.messages[1].internal_date);
  EXPECT_EQ(a.messages[2].data, "three");
  EXPECT_TRUE(a.messages[2].flags.empty());
  // RFC 6855 UTF8 (literal8).
  auto c = ok("A APPEND INBOX UTF8 (~{2}\r\nhi)\r\n");
  EXPECT_TRUE(c.as<AppendArgs>().messages[0].binary);
}

TEST(Append, TooBig) {
  Limits lim;
  lim.max_append_literal = 1000;
  lim.max_literal = 10;
  CommandParser p(lim);
  auto r = p.feed_line("A APPEND INBOX {1001}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  auto e = std::get<ParseError>(r);
  EXPECT_EQ(e.kind, ParseError::Kind::kTooBig);
  EXPECT_EQ(e.tag, "A");
  EXPECT_EQ(e.command, "APPEND");
  EXPECT_FALSE(e.close_connection);
  // Within the append limit although larger than max_literal.
  EXPECT_TRUE(std::holds_alternative<NeedLiteral>(p.feed_line("B APPEND INBOX {1000}")));
  p.reset();
  lim.literal_plus = true;
  p.set_limits(lim);
  lim.max_discard_literal = 5000;
  p.set_limits(lim);
  // A refused non-synchronizing literal beyond what we are willing to read and drop: close.
  r = p.feed_line("C APPEND INBOX {5001+}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_TRUE(std::get<ParseError>(r).close_connection);
  // Within it: the literal is read and dropped, and the error comes at the end of the command.
  r = p.feed_line("C APPEND INBOX {1001+}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_TRUE(std::get<NeedLiteral>(r).discard);
  EXPECT_FALSE(std::get<NeedLiteral>(r).synchronizing);
  p.feed_literal({});
  r = p.feed_line("");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).kind, ParseError::Kind::kTooBig);
  EXPECT_EQ(std::get<ParseError>(r).tag, "C");
  EXPECT_FALSE(std::get<ParseError>(r).close_connection);
  EXPECT_FALSE(p.in_command());
  EXPECT_TRUE(std::holds_alternative<Command>(p.feed_line("C2 NOOP")));
  // Too many messages.
  lim.max_append_messages = 2;
  CommandParser q(lim);
  auto rs = run_wire(q, "D APPEND X {1+}\r\na {1+}\r\nb {1+}\r\nc\r\n");
  bool saw_error = false;
  for (auto& x : rs) {
    if (auto* pe = std::get_if<ParseError>(&x)) {
      saw_error |= pe->text.find("too many messages") != std::string::npos;
    }
  }
  EXPECT_TRUE(saw_error);
}

// MULTIAPPEND (RFC 3502): a refused message in the middle fails the whole command; the
// rest of its non-synchronizing literals are read and dropped, a synchronizing one gets the
// answer instead of "+".
TEST(Append, RefusedMessageInTheMiddle) {
  Limits lim;
  lim.literal_plus = true;
  lim.max_append_literal = 10;
  lim.max_discard_literal = 100;
  CommandParser p(lim);
  auto r = p.feed_line("A APPEND INBOX {3+}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_FALSE(std::get<NeedLiteral>(r).discard);
  p.feed_literal("one");
  r = p.feed_line(" (\\Seen) {50+}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_TRUE(std::get<NeedLiteral>(r).discard);
  EXPECT_EQ(std::get<NeedLiteral>(r).size, 50u);
  p.feed_literal({});
  r = p.feed_line(" {3+}");  // a later message: dropped too
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  EXPECT_TRUE(std::get<NeedLiteral>(r).discard);
  p.feed_literal({});
  r = p.feed_line("");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  auto e = std::get<ParseError>(r);
  EXPECT_EQ(e.kind, ParseError::Kind::kTooBig);
  EXPECT_FALSE(e.close_connection);
  EXPECT_TRUE(std::holds_alternative<Command>(p.feed_line("B NOOP")));

  // Then a synchronizing literal: the answer comes now (the client waits for "+").
  r = p.feed_line("C APPEND INBOX {50+}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  p.feed_literal({});
  r = p.feed_line(" {3}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_FALSE(std::get<ParseError>(r).close_connection);
  EXPECT_EQ(std::get<ParseError>(r).tag, "C");
  // A synchronizing refused literal first: answered at once, nothing to drop.
  r = p.feed_line("D APPEND INBOX {2}");
  ASSERT_TRUE(std::holds_alternative<NeedLiteral>(r));
  p.feed_literal("hi");
  r = p.feed_line(" {11}");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).kind, ParseError::Kind::kTooBig);
  EXPECT_FALSE(std::get<ParseError>(r).close_connection);
  EXPECT_TRUE(std::holds_alternative<Command>(p.feed_line("E NOOP")));
}

TEST(Append, TotalOfAllMessagesIsLimited) {
  Limits lim;
  lim.literal_plus = true;
  lim.max_append_literal = 10;
  lim.max_append_total = 25;
  CommandParser p(lim);
  auto rs = run_wire(p,
                     "A APPEND X {10+}\r\n0123456789 {10+}\r\n0123456789 {10+}\r\n0123456789\r\n"
                     "B APPEND X {10+}\r\n0123456789 {10+}\r\n0123456789\r\n");
  ASSERT_FALSE(rs.empty());
  int errors = 0, commands = 0;
  for (auto& x : rs) {
    if (auto* pe = std::get_if<ParseError>(&x)) {
      ++errors;
      EXPECT_EQ(pe->tag, "A");
      EXPECT_EQ(pe->kind, ParseError::Kind::kTooBig);
      EXPECT_FALSE(pe->close_connection);
    }
    if (auto* c = std::get_if<Command>(&x)) {
      ++commands;
      EXPECT_EQ(c->tag, "B");
      EXPECT_EQ(c->as<AppendArgs>().messages.size(), 2u);
    }
  }
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(commands, 1);
}

TEST(Append, Malformed) {
  EXPECT_TRUE(std::holds_alternative<ParseError>(run_one("A APPEND INBOX\r\n")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(run_one("A APPEND INBOX (\\Seen)\r\n")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(run_one("A APPEND INBOX hello\r\n")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(
      run_one("A APPEND INBOX \"32-Jan-2024 00:00:00 +0000\" {1}\r\nx\r\n")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(run_one("A APPEND INBOX (\\Seen {1}\r\nx\r\n")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(run_one("A APPEND INBOX {1}\r\nx junk\r\n")));
  EXPECT_TRUE(std::holds_alternative<ParseError>(run_one("A APPEND INBOX UTF8 ({1}\r\nx)\r\n")));
}

// Every string argument rendered as quoted, synchronizing or non-synchronizing literal must
// parse to the same command.
TEST(Literal, EveryBoundary) {
  struct Case {
    std::vector<std::string> parts;  // even index: raw text; odd index: a string value
    std::function<void(const Command&)> check;
  };
  std::vector<Case> cases = {
      {{"a LOGIN ", "joe@example.com", " ", "p a\"s\\s"},
       [](const Command& c) {
         EXPECT_EQ(c.as<LoginArgs>().user, "joe@example.com");
         EXPECT_EQ(c.as<LoginArgs>().password, "p a\"s\\s");
       }},
      {{"a UID SEARCH CHARSET ", "UTF-8", " OR SUBJECT ", "x y", " (FROM ", "bob", " HEADER ",
        "X-Spam", " ", "yes", ") UNSEEN"},
       [](const Command& c) {
         const auto& k = c.as<SearchArgs>().key;
         ASSERT_EQ(k.children.size(), 2u);
         EXPECT_EQ(k.children[0].children[0].text, "x y");
         EXPECT_EQ(k.children[0].children[1].children[1].text2, "yes");
       }},
      {{"a LIST ", "", " (", "Work/*", " ", "%", ") RETURN (CHILDREN)"},
       [](const Command& c) {
         EXPECT_EQ(c.as<ListArgs>().patterns, (std::vector<std::string>{"Work/*", "%"}));
       }},
      {{"a RENAME ", "a b", " ", "inbox"},
       [](const Command& c) { EXPECT_EQ(c.as<RenameArgs>().to, "INBOX"); }},
      {{"a ID (", "name", " ", "mbsync", " ", "os", " NIL)"},
       [](const Command& c) { EXPECT_EQ(c.as<IdArgs>().fields.size(), 2u); }},
      {{"a UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (", "From", " ", "To", ")])"},
       [](const Command& c) {
         EXPECT_EQ(c.as<FetchArgs>().atts[0].section.fields,
                   (std::vector<std::string>{"From", "To"}));
       }},
  };
  Limits lim;
  lim.literal_plus = true;
  for (const auto& cs : cases) {
    size_t nstr = cs.parts.size() / 2;
    size_t combos = 1;
    for (size_t i = 0; i < nstr; ++i) {
      combos *= 3;
    }
    for (size_t combo = 0; combo < combos; ++combo) {
      std::string wire;
      size_t k = combo;
      for (size_t i = 0; i < cs.parts.size(); ++i) {
        if (i % 2 == 0) {
          wire += cs.parts[i];
          continue;
        }
        const std::string& v = cs.parts[i];
        int form = static_cast<int>(k % 3);
        k /= 3;
        if (form == 0) {
          wire += '"';
          for (char ch : v) {
            if (ch == '"' || ch == '\\') {
              wire += '\\';
            }
            wire += ch;
          }
          wire += '"';
        } else {
          wire += "{" + std::to_string(v.size()) + (form == 2 ? "+" : "") + "}\r\n" + v;
        }
      }
      wire += "\r\n";
      auto r = run_one(wire, lim);
      if (auto* e = std::get_if<ParseError>(&r)) {
        ADD_FAILURE() << "combo " << combo << ": " << e->text << "\n" << wire;
        continue;
      }
      ASSERT_TRUE(std::holds_alternative<Command>(r));
      cs.check(std::get<Command>(r));
    }
  }
}

}  // namespace
}  // namespace tegami::imap::proto
