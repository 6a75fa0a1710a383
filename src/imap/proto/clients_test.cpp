// Tests: command lines in the shapes real clients send (Thunderbird, Apple Mail, iOS, Outlook,
// K-9, mbsync, imaplib, neomutt, Evolution, Roundcube). RFC 9051 §6 and extensions.
#include <gtest/gtest.h>

#include "imap/proto/command.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

const char* const kLines[] = {
    // Thunderbird
    "1 capability",
    "2 authenticate PLAIN",
    "3 ID (\"name\" \"Thunderbird\" \"version\" \"115.6.0\")",
    "4 enable CONDSTORE",
    "5 list (SUBSCRIBED) \"\" \"*\" RETURN (SPECIAL-USE)",
    "6 select \"INBOX\" (CONDSTORE)",
    "7 getquotaroot \"INBOX\"",
    "8 UID fetch 1:* (FLAGS) (CHANGEDSINCE 1234)",
    "9 UID fetch 33:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject "
    "Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type "
    "Reply-To)])",
    "10 UID fetch 34 (UID RFC822.SIZE BODY.PEEK[]<0.10240>)",
    "11 IDLE",
    "12 uid store 34 +Flags (\\Seen)",
    "13 UID MOVE 34 \"Trash\"",
    "14 list \"\" \"INBOX\"",
    "15 STATUS \"Sent\" (UIDNEXT MESSAGES UNSEEN RECENT)",
    // Apple Mail / iOS
    "1.1 ID (\"name\" \"Mac OS X Mail\" \"version\" \"16.0 (3774.300.61.1.2)\" \"os\" \"Mac OS "
    "X\" "
    "\"os-version\" \"14.2.1 (23C71)\" \"vendor\" \"Apple Inc.\")",
    "2.2 ENABLE QRESYNC",
    "3.3 LIST \"\" \"\"",
    "4.4 SELECT INBOX (QRESYNC (1700000000 4242 1:300))",
    "5.5 UID FETCH 1:* (FLAGS UID) (CHANGEDSINCE 4242 VANISHED)",
    "6.6 UID SEARCH 1:* NOT DELETED",
    "7.7 UID FETCH 300 (BODYSTRUCTURE BODY.PEEK[HEADER] PREVIEW)",
    "8.8 UID SEARCH RETURN (ALL) UID 1:* SINCE 1-Jan-2024",
    "9.9 NAMESPACE",
    // Outlook
    "A1 LOGIN \"user@example.com\" \"p w\"",
    "A2 LIST \"\" \"*\"",
    "A3 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM "
    "SUBJECT CONTENT-TYPE X-MS-TNEF-Correlator CONTENT-CLASS IMPORTANCE PRIORITY X-PRIORITY "
    "THREAD-TOPIC REPLY-TO)])",
    "A4 UID STORE 5 +FLAGS.SILENT (\\Deleted)",
    "A5 UID EXPUNGE 5",
    "A6 XLIST \"\" \"*\"",  // answered BAD: listed to document it
    // K-9 Mail
    "5 UID SEARCH 1:* NOT DELETED",
    "6 UID FETCH 1:50 (UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (date subject from "
    "content-type to cc reply-to message-id references in-reply-to X-K9mail-Identity "
    "Chat-Version)] FLAGS)",
    "7 UID FETCH 50 (UID BODY.PEEK[TEXT]<0.4096>)",
    "8 UID FETCH 50 (UID BODY.PEEK[1.1]<0.2048> BODY.PEEK[1.1.MIME])",
    // mbsync
    "4 UID FETCH 1:4294967295 (UID FLAGS)",
    "5 UID FETCH 42 (BODY.PEEK[HEADER.FIELDS (X-TUID)])",
    "6 UID STORE 42 -FLAGS.SILENT (\\Flagged)",
    "7 CREATE \"Archive/2024\"",
    // imaplib
    "KMHB1 LOGIN user pass",
    "KMHB2 SELECT INBOX",
    "KMHB3 SEARCH ALL",
    "KMHB4 FETCH 1 (RFC822)",
    "KMHB5 STORE 1 +FLAGS \\Deleted",
    "KMHB6 EXPUNGE",
    "KMHB7 UID SEARCH CHARSET UTF-8 SUBJECT \"caf\xC3\xA9\"",
    // neomutt / Evolution / Roundcube
    "a0003 LSUB \"\" \"*\"",
    "a0004 FETCH 1:* (UID FLAGS)",
    "a0005 LIST \"\" \"*\" RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)",
    "A0006 UID SORT (DATE) US-ASCII ALL",
    "A0007 UID THREAD REFS UTF-8 ALL UNDELETED",
    "A0008 UID SEARCH RETURN (COUNT) ALL UNDELETED",
    "A0009 UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM "
    "TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY)])",
    "A0010 GETQUOTAROOT INBOX",
    "A0011 LIST \"\" \"*\"   ",
};

TEST(Clients, RealTraffic) {
  for (const char* line : kLines) {
    auto r = parse_command_line(line);
    bool xlist = std::string_view(line).find("XLIST") != std::string_view::npos;
    if (xlist) {
      EXPECT_TRUE(std::holds_alternative<ParseError>(r));
      continue;
    }
    if (auto* e = std::get_if<ParseError>(&r)) {
      ADD_FAILURE() << line << "\n -> " << e->text;
    }
  }
}

// Every prefix and every single-byte corruption of real traffic gives a command or a clear error
// with the tag when one was read (the line-based analogue of feeding one byte at a time).
TEST(Clients, PrefixesAndCorruptions) {
  const char kNoise[] = {'\0', '\r', '(', ')', '"', '{', '*', ' ', '\\', '\x80', '\xff', '}', '~'};
  for (const char* l : kLines) {
    std::string line(l);
    for (size_t n = 0; n <= line.size(); ++n) {
      auto r = parse_command_line(std::string_view(line).substr(0, n));
      if (auto* e = std::get_if<ParseError>(&r)) {
        EXPECT_FALSE(e->text.empty());
      }
    }
    for (size_t i = 0; i < line.size(); ++i) {
      for (char c : kNoise) {
        std::string m = line;
        m[i] = c;
        auto r = parse_command_line(m);
        if (auto* e = std::get_if<ParseError>(&r)) {
          EXPECT_FALSE(e->text.empty());
          for (char t : e->text) {
            EXPECT_TRUE(t >= 0x20 && t < 0x7f) << m;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace tegami::imap::proto
