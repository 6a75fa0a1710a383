// Tests: mailbox commands (RFC 9051 §6.3, RFC 5258, RFC 5819, RFC 6154, RFC 7162) and the
// modified UTF-7 codec (RFC 3501 §5.1.3), UTF-8 names (RFC 6855).
#include <gtest/gtest.h>

#include "imap/proto/command.hpp"
#include "imap/proto/mailbox.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

using testing::bad;
using testing::ok;

TEST(Mutf7, Encode) {
  EXPECT_EQ(*mutf7_encode("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"), "&ZeVnLIqe-");  // 日本語
  EXPECT_EQ(*mutf7_encode("Tom & Jerry"), "Tom &- Jerry");
  EXPECT_EQ(*mutf7_encode("Entw\xC3\xBC"
                          "rfe"),
            "Entw&APw-rfe");
  EXPECT_EQ(
      *mutf7_encode("~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"),
      "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(*mutf7_encode("\xF0\x9F\x93\xA7"), "&2D3c5w-");  // U+1F4E7 (surrogate pair)
  EXPECT_EQ(*mutf7_encode(""), "");
  EXPECT_FALSE(mutf7_encode("\xff"));
  EXPECT_FALSE(mutf7_encode("\xC0\x80"));  // overlong
}

TEST(Mutf7, Decode) {
  EXPECT_EQ(*mutf7_decode("&ZeVnLIqe-"), "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  EXPECT_EQ(*mutf7_decode("&-"), "&");
  EXPECT_EQ(*mutf7_decode("Entw&APw-rfe"),
            "Entw\xC3\xBC"
            "rfe");
  EXPECT_EQ(*mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  EXPECT_EQ(*mutf7_decode("&2D3c5w-"), "\xF0\x9F\x93\xA7");
  EXPECT_FALSE(mutf7_decode("&ZeVnLIqe"));     // unterminated
  EXPECT_FALSE(mutf7_decode("&AGE-"));         // encoded printable ASCII "a"
  EXPECT_FALSE(mutf7_decode("&2D0-"));         // lone high surrogate
  EXPECT_FALSE(mutf7_decode("&3gA-"));         // lone low surrogate
  EXPECT_FALSE(mutf7_decode("&Ze/-"));         // "/" is not modified base64
  EXPECT_FALSE(mutf7_decode("&AOl-"));         // non-zero padding bits
  EXPECT_FALSE(mutf7_decode("\xE6\x97\xA5"));  // raw 8-bit
  for (const char* s :
       {"INBOX", "a&-b", "\xE6\x97\xA5", "x\xF0\x9F\x93\xA7y\xC3\xA9z", "\x01\x7f", "&&&"}) {
    auto e = mutf7_encode(s);
    ASSERT_TRUE(e) << s;
    EXPECT_EQ(*mutf7_decode(*e), s);
  }
}

TEST(MailboxName, InboxAndWire) {
  EXPECT_EQ(normalize_inbox("inbox"), "INBOX");
  EXPECT_EQ(normalize_inbox("InBoX"), "INBOX");
  EXPECT_EQ(normalize_inbox("inbox/sub"), "inbox/sub");
  EXPECT_EQ(*mailbox_from_wire("&ZeVnLIqe-", false), "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  EXPECT_EQ(*mailbox_from_wire("inbox", false), "INBOX");
  EXPECT_EQ(*mailbox_from_wire("\xE6\x97\xA5", true), "\xE6\x97\xA5");
  EXPECT_EQ(*mailbox_from_wire("A&B", true), "A&B");
  EXPECT_FALSE(mailbox_from_wire("\xE6\x97\xA5", false));
  // UTF-8 names: no controls (C0, DEL, C1), no U+2028/U+2029 (RFC 9051 §5.1, RFC 6855 §3).
  EXPECT_FALSE(mailbox_from_wire("a\tb", true));
  EXPECT_FALSE(mailbox_from_wire("a\x7f", true));
  EXPECT_FALSE(mailbox_from_wire("a\xC2\x85", true));
  EXPECT_FALSE(mailbox_from_wire("a\xE2\x80\xA8", true));
  EXPECT_FALSE(mailbox_from_wire("a\xE2\x80\xA9", true));
  EXPECT_TRUE(
      mailbox_from_wire("a\xC2\xA0"
                        "b\xE2\x80\xA6",
                        true));  // NBSP, ellipsis
  EXPECT_TRUE(mailbox_chars_ok("Caf\xC3\xA9"));
  EXPECT_FALSE(mailbox_from_wire("\xff", true));
  EXPECT_EQ(mailbox_to_wire("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", false), "&ZeVnLIqe-");
  EXPECT_EQ(mailbox_to_wire("\xE6\x97\xA5", true), "\xE6\x97\xA5");
}

TEST(Select, Shapes) {
  auto c = ok("A142 SELECT INBOX");
  EXPECT_EQ(c.type, CommandType::kSelect);
  EXPECT_EQ(c.as<SelectArgs>().mailbox, "INBOX");
  c = ok("a EXAMINE \"inbox\"");
  EXPECT_EQ(c.type, CommandType::kExamine);
  EXPECT_EQ(c.as<SelectArgs>().mailbox, "INBOX");
  c = ok("a SELECT &ZeVnLIqe- (CONDSTORE)");
  EXPECT_EQ(c.as<SelectArgs>().mailbox, "&ZeVnLIqe-");
  EXPECT_TRUE(c.as<SelectArgs>().condstore);
  c = ok("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))");
  auto q = c.as<SelectArgs>().qresync;
  ASSERT_TRUE(q);
  EXPECT_EQ(q->uidvalidity, 67890007u);
  EXPECT_EQ(q->modseq, 20050715194045000u);
  ASSERT_TRUE(q->known_uids);
  EXPECT_EQ(q->known_uids->ranges.size(), 3u);
  c =
      ok("B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
         "15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))");
  q = c.as<SelectArgs>().qresync;
  ASSERT_TRUE(q && q->seq_match_seqs && q->seq_match_uids);
  EXPECT_EQ(q->seq_match_uids->ranges.size(), 13u);
  c = ok("a SELECT x (QRESYNC (1 2) CONDSTORE)");
  EXPECT_TRUE(c.as<SelectArgs>().condstore);
  EXPECT_EQ(c.as<SelectArgs>().params.size(), 2u);
  c = ok("a SELECT x (FOO 1 BAR (a (b)) BAZ)");  // unknown parameters carried generically
  EXPECT_EQ(c.as<SelectArgs>().params.size(), 3u);
  EXPECT_EQ(c.as<SelectArgs>().params[1].value->items[1].items[0].text, "b");
  bad("a SELECT");
  bad("a SELECT x (QRESYNC)");
  bad("a SELECT x (QRESYNC (0 1))");
  bad("a SELECT x (QRESYNC (1 2 0:5))");
  bad("a SELECT x (CONDSTORE");
  bad("a SELECT x y");
}

TEST(Create, Shapes) {
  auto c = ok("a CREATE \"Drafts\" (USE (\\Drafts))");
  EXPECT_EQ(c.as<CreateArgs>().mailbox, "Drafts");
  EXPECT_EQ(c.as<CreateArgs>().special_use, (std::vector<std::string>{"\\Drafts"}));
  c = ok("a CREATE Work/&ZeVnLIqe-");
  EXPECT_EQ(c.as<CreateArgs>().mailbox, "Work/&ZeVnLIqe-");
  // UTF-8 quoted (UTF8=ACCEPT clients).
  c = ok("a CREATE \"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\"");
  EXPECT_EQ(c.as<CreateArgs>().mailbox, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  c = ok("a CREATE {9}\r\n\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\r\n");
  EXPECT_EQ(c.as<CreateArgs>().mailbox, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  bad("a CREATE x (USE (Drafts))");
  bad("a CREATE");
}

TEST(MailboxCommands, Simple) {
  EXPECT_EQ(ok("a DELETE blurdybloop").as<MailboxArgs>().mailbox, "blurdybloop");
  EXPECT_EQ(ok("a SUBSCRIBE \"#news.comp.mail.mime\"").type, CommandType::kSubscribe);
  EXPECT_EQ(ok("a UNSUBSCRIBE foo").type, CommandType::kUnsubscribe);
  auto c = ok("a RENAME \"Old Name\" {8}\r\nNew Name\r\n");
  EXPECT_EQ(c.as<RenameArgs>().from, "Old Name");
  EXPECT_EQ(c.as<RenameArgs>().to, "New Name");
  bad("a RENAME onlyone");
  bad("a DELETE \"a\\xb\"");
}

TEST(List, Basic) {
  auto c = ok("A101 LIST \"\" \"\"");
  const auto& l = c.as<ListArgs>();
  EXPECT_EQ(l.reference, "");
  EXPECT_EQ(l.patterns, (std::vector<std::string>{""}));
  EXPECT_FALSE(l.extended);
  c = ok("a LIST \"\" *");
  EXPECT_EQ(c.as<ListArgs>().patterns[0], "*");
  c = ok("a LIST ~/Mail/ %");
  EXPECT_EQ(c.as<ListArgs>().reference, "~/Mail/");
  c = ok("a LIST \"\" INBOX.%");
  EXPECT_EQ(c.as<ListArgs>().patterns[0], "INBOX.%");
  c = ok("a LSUB \"#news.\" \"comp.mail.*\"");
  EXPECT_EQ(c.type, CommandType::kLsub);
  EXPECT_EQ(c.as<ListArgs>().patterns[0], "comp.mail.*");
}

TEST(List, Extended) {
  auto c =
      ok("A01 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"%\" \"Work/*\") RETURN (CHILDREN "
         "SPECIAL-USE STATUS (MESSAGES UNSEEN UIDNEXT))");
  const auto& l = c.as<ListArgs>();
  EXPECT_TRUE(l.extended);
  EXPECT_EQ(l.selection, (std::vector<std::string>{"SUBSCRIBED", "RECURSIVEMATCH"}));
  EXPECT_EQ(l.patterns, (std::vector<std::string>{"%", "Work/*"}));
  EXPECT_TRUE(l.ret_children && l.ret_special_use && l.ret_status);
  EXPECT_FALSE(l.ret_subscribed);
  EXPECT_EQ(l.status_items, (std::vector<StatusItem>{StatusItem::kMessages, StatusItem::kUnseen,
                                                     StatusItem::kUidNext}));
  c = ok("a LIST \"\" \"*\" RETURN (SUBSCRIBED)");  // Thunderbird
  EXPECT_TRUE(c.as<ListArgs>().ret_subscribed);
  c = ok("a LIST (SPECIAL-USE) \"\" \"*\"");  // iOS
  EXPECT_EQ(c.as<ListArgs>().selection[0], "SPECIAL-USE");
  c = ok("a LIST () \"\" % RETURN ()");
  EXPECT_TRUE(c.as<ListArgs>().extended);
  bad("a LIST (FOO) \"\" *");
  bad("a LIST \"\" * RETURN (FOO)");
  bad("a LIST \"\" * (x)");
  bad("a LIST \"\" (\"%\"");
  bad("a LIST \"\"");
}

TEST(Status, Shapes) {
  auto c = ok("A042 STATUS blurdybloop (UIDNEXT MESSAGES)");
  EXPECT_EQ(c.as<StatusArgs>().items,
            (std::vector<StatusItem>{StatusItem::kUidNext, StatusItem::kMessages}));
  c =
      ok("a STATUS \"INBOX\" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT "
         "HIGHESTMODSEQ APPENDLIMIT MAILBOXID)");
  EXPECT_EQ(c.as<StatusArgs>().items.size(), 10u);
  EXPECT_STREQ(status_item_name(StatusItem::kHighestModSeq), "HIGHESTMODSEQ");
  bad("a STATUS x ()");
  bad("a STATUS x (FOO)");
  bad("a STATUS x MESSAGES");
}

}  // namespace
}  // namespace tegami::imap::proto
