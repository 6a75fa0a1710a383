// NOTIFY (RFC 5465) with two live sessions: A changes things, B gets the events without
// asking: EXISTS + the MessageNew FETCH, FETCH FLAGS and EXPUNGE for the selected mailbox,
// STATUS for other mailboxes, LIST for MailboxName and SubscriptionChange; nothing for B's own
// changes; SELECTED-DELAYED, IDLE without SELECTED, NOTIFY NONE and NOTIFICATIONOVERFLOW.
// CONTEXT=SEARCH/SORT (RFC 5267 §4) updates caused by another session: between commands (no
// EXPUNGE then), during IDLE, and after the MessageNew FETCH with NOTIFY (RFC 5465 §7).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "imap/server/test_support.hpp"

namespace tegami::imap::server {
namespace {

using testing::PipeStream;
using testing::Reader;
using testing::World;
using Shared = PipeStream::Shared;
using ::testing::HasSubstr;
using ::testing::Not;

std::string msg(const std::string& subject) {
  return "From: x@example.org\r\nSubject: " + subject + "\r\n\r\nbody\r\n";
}

std::string append_cmd(const std::string& tag, const std::string& mailbox, const std::string& m) {
  return tag + " APPEND " + mailbox + " {" + std::to_string(m.size()) + "+}\r\n" + m + "\r\n";
}

TEST(ImapNotify, EventsArriveBetweenCommands) {
  World w;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(b.s), w.ctx), asio::detached);
  std::string quiet, own;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1"));
    testing::feed(*b.s, w.login_line("b1") + "b2 SELECT INBOX\r\n" +
                            "b3 NOTIFY SET (SELECTED (MessageNew (UID FLAGS BODY[HEADER.FIELDS "
                            "(SUBJECT)]) MessageExpunge FlagChange)) (PERSONAL (MessageNew "
                            "MessageExpunge MailboxName SubscriptionChange))\r\n");
    co_await a.wait_for("a1 OK");
    co_await b.wait_for("b3 OK NOTIFY completed\r\n");
    // Selected mailbox: EXISTS, then the MessageNew FETCH; BODY[] does not set \Seen.
    testing::feed(*a.s, append_cmd("a2", "INBOX", msg("one")));
    co_await a.wait_for("a2 OK");
    co_await b.wait_for(
        "* 1 EXISTS\r\n* 1 RECENT\r\n* 1 FETCH (UID 1 FLAGS (\\Recent) "
        "BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: one\r\n\r\n)\r\n");
    testing::feed(*a.s, "a3 SELECT INBOX\r\na4 STORE 1 +FLAGS (\\Flagged)\r\n");
    co_await a.wait_for("a4 OK");
    co_await b.wait_for("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n");
    // MailboxName, then STATUS for a message in another mailbox.
    testing::feed(*a.s, "a5 CREATE Lists/Work\r\n");
    co_await a.wait_for("a5 OK");
    co_await b.wait_for(" \\Subscribed) \"/\" Lists\r\n");  // \HasChildren once Lists/Work exists
    co_await b.wait_for("* LIST (\\HasNoChildren \\Subscribed) \"/\" Lists/Work\r\n");
    testing::feed(*a.s, append_cmd("a6", "Lists/Work", msg("two")));
    co_await a.wait_for("a6 OK");
    co_await b.wait_for("* STATUS Lists/Work (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ");
    co_await b.wait_for(" UNSEEN 1)\r\n");
    // Rename (children included, with OLDNAME), subscription change, delete.
    testing::feed(*a.s, "a7 RENAME Lists Mail\r\n");
    co_await a.wait_for("a7 OK");
    co_await b.wait_for(
        "* LIST (\\HasChildren \\Subscribed) \"/\" Mail (\"OLDNAME\" (Lists))\r\n"
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" Mail/Work (\"OLDNAME\" (Lists/Work))\r\n");
    testing::feed(*a.s, "a8 UNSUBSCRIBE Mail/Work\r\n");
    co_await a.wait_for("a8 OK");
    co_await b.wait_for("* LIST (\\HasNoChildren) \"/\" Mail/Work\r\n");
    // The renamed mailbox is still watched.
    testing::feed(*a.s, append_cmd("a9", "Mail/Work", msg("three")));
    co_await a.wait_for("a9 OK");
    co_await b.wait_for("* STATUS Mail/Work (MESSAGES 2 UIDNEXT 3 ");
    testing::feed(*a.s, "a10 DELETE Mail/Work\r\n");
    co_await a.wait_for("a10 OK");
    co_await b.wait_for("* LIST (\\NonExistent) \"/\" Mail/Work\r\n");
    // Expunge in the selected mailbox: pushed at once.
    testing::feed(*a.s, "a11 STORE 1 +FLAGS.SILENT (\\Deleted)\r\na12 EXPUNGE\r\n");
    co_await a.wait_for("a12 OK");
    co_await b.wait_for(
        "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Deleted \\Recent))\r\n* 1 EXPUNGE\r\n");
    // B's own changes: no LIST, no STATUS (RFC 5465 §5).
    testing::feed(*b.s,
                  "b4 CREATE Mine\r\n" + append_cmd("b5", "Mine", msg("four")) + "b6 NOOP\r\n");
    co_await b.wait_for("b6 OK");
    own = co_await b.settle();
    own += b.s->output.substr(b.s->output.rfind("b3 OK"));
    // NOTIFY NONE: nothing more.
    testing::feed(*b.s, "b7 NOTIFY NONE\r\n");
    co_await b.wait_for("b7 OK NOTIFY completed\r\n");
    testing::feed(*a.s, append_cmd("a13", "INBOX", msg("five")) + "a14 CREATE Other\r\n");
    co_await a.wait_for("a14 OK");
    quiet = co_await b.settle();
    testing::feed(*b.s, "b8 NOOP\r\n");
    co_await b.wait_for("* 1 EXISTS\r\n* 1 RECENT\r\nb8 OK");  // the usual update
    testing::finish(a, b);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_THAT(own, Not(HasSubstr("Mine")));
  EXPECT_EQ(quiet, "");
  EXPECT_THAT(b.s->output, Not(HasSubstr("FLAGS (\\Seen")));
}

TEST(ImapNotify, SelectedDelayedAndIdle) {
  World w;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(b.s), w.ctx), asio::detached);
  std::string held, idle_quiet;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + "a2 CREATE Other\r\n" +
                            append_cmd("a3", "INBOX", msg("one")) +
                            append_cmd("a4", "INBOX", msg("two")) + "a5 SELECT INBOX\r\n");
    co_await a.wait_for("a5 OK");
    testing::feed(*b.s, w.login_line("b1") + "b2 ENABLE CONDSTORE\r\nb3 SELECT INBOX\r\n" +
                            "b4 NOTIFY SET STATUS (SELECTED-DELAYED (MessageNew MessageExpunge)) "
                            "(MAILBOXES Other (MessageNew MessageExpunge FlagChange))\r\n");
    // NOTIFY SET STATUS: STATUS for Other before the tagged OK (§3.1).
    co_await b.wait_for("* STATUS Other (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ");
    co_await b.wait_for(" UNSEEN 0 HIGHESTMODSEQ ");
    co_await b.wait_for("b4 OK NOTIFY completed\r\n");
    // SELECTED-DELAYED: the expunge waits for a command that allows it; a new message not.
    testing::feed(*a.s, "a6 STORE 1 +FLAGS.SILENT (\\Deleted)\r\na7 EXPUNGE\r\n" +
                            append_cmd("a8", "INBOX", msg("three")));
    co_await a.wait_for("a8 OK");
    co_await b.wait_for("* 3 EXISTS\r\n");
    held = co_await b.settle();
    testing::feed(*b.s, "b5 NOOP\r\n");
    co_await b.wait_for("* 1 EXPUNGE\r\n");
    co_await b.wait_for("b5 OK");
    // FlagChange in another mailbox: STATUS with HIGHESTMODSEQ.
    testing::feed(*a.s, append_cmd("a9", "Other", msg("four")));
    co_await b.wait_for("* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ");
    testing::feed(*a.s, "a10 SELECT Other\r\na11 STORE 1 +FLAGS (\\Seen)\r\n");
    co_await a.wait_for("a11 OK");
    co_await b.wait_for("* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ");
    co_await b.wait_for(" UNSEEN 0 HIGHESTMODSEQ ");
    // During IDLE expunges of SELECTED-DELAYED are sent (§4, §6.1.2).
    testing::feed(*b.s, "b6 IDLE\r\n");
    co_await b.wait_for("+ idling\r\n");
    testing::feed(*a.s,
                  "a12 SELECT INBOX\r\na13 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"
                  "a14 EXPUNGE\r\n");
    co_await a.wait_for("a14 OK");
    co_await b.wait_for("* 1 EXPUNGE\r\n");
    testing::feed(*b.s, "DONE\r\n");
    co_await b.wait_for("b6 OK IDLE terminated\r\n");
    // Without SELECTED, IDLE sends only the other events; the selected mailbox's wait.
    testing::feed(*b.s, "b7 NOTIFY SET (PERSONAL (MessageNew MessageExpunge))\r\nb8 IDLE\r\n");
    co_await b.wait_for("+ idling\r\n");
    testing::feed(*a.s, append_cmd("a15", "INBOX", msg("five")));
    co_await a.wait_for("a15 OK");
    idle_quiet = co_await b.settle();
    testing::feed(*a.s, append_cmd("a16", "Other", msg("six")));
    co_await b.wait_for("* STATUS Other (MESSAGES 2 UIDNEXT 3 ");
    testing::feed(*b.s, "DONE\r\n");
    co_await b.wait_for("* 2 EXISTS\r\n");
    co_await b.wait_for("b8 OK IDLE terminated\r\n");
    testing::finish(a, b);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_THAT(held, Not(HasSubstr("EXPUNGE")));
  EXPECT_EQ(idle_quiet, "");
}

TEST(ImapNotify, NotificationOverflow) {
  World w;
  w.ctx.notify_max_mailboxes = 2;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(b.s), w.ctx), asio::detached);
  std::string after;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + "a2 CREATE One\r\na3 CREATE Two\r\n");
    co_await a.wait_for("a3 OK");
    // Three mailboxes (INBOX One Two) over a limit of two: refused.
    testing::feed(*b.s, w.login_line("b1") +
                            "b2 NOTIFY SET (PERSONAL (MessageNew MessageExpunge))\r\n"
                            "b3 NOTIFY SET (SUBTREE One (MessageNew MessageExpunge))\r\n");
    co_await b.wait_for("b2 NO [NOTIFICATIONOVERFLOW]");
    co_await b.wait_for("b3 OK");
    testing::feed(*a.s, "a4 CREATE One/a\r\n" + append_cmd("a5", "One/a", msg("x")));
    co_await b.wait_for("* STATUS One/a (MESSAGES 1 ");
    // A third mailbox under One: more than two to watch, so notifications stop (§5.8).
    testing::feed(*a.s, "a6 CREATE One/b\r\n");
    co_await b.wait_for("* OK [NOTIFICATIONOVERFLOW] Too many notifications; NOTIFY is off\r\n");
    testing::feed(*a.s, append_cmd("a7", "One/a", msg("y")));
    co_await a.wait_for("a7 OK");
    after = co_await b.settle();
    testing::finish(a, b);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_EQ(after, "");
}

TEST(ImapContext, UpdatesCausedByAnotherSession) {
  World w;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(b.s), w.ctx), asio::detached);
  std::string between;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + append_cmd("a2", "INBOX", msg("b")) +
                            append_cmd("a3", "INBOX", msg("d")) + "a4 SELECT INBOX\r\n");
    co_await a.wait_for("a4 OK");
    testing::feed(*b.s, w.login_line("b1") + "b2 SELECT INBOX\r\n" +
                            "b3 UID SEARCH RETURN (UPDATE) UNFLAGGED\r\n" +
                            "b4 SORT RETURN (UPDATE) (SUBJECT) UTF-8 UNFLAGGED\r\n");
    co_await b.wait_for("* ESEARCH (TAG \"b3\") UID ALL 1:2\r\n");
    co_await b.wait_for("* ESEARCH (TAG \"b4\") ALL 1:2\r\nb4 OK");
    // Between commands: EXISTS then ADDTO; REMOVEFROM for a flag change; no EXPUNGE.
    testing::feed(*a.s, append_cmd("a5", "INBOX", msg("c")));
    co_await b.wait_for(
        "* 3 EXISTS\r\n* 1 RECENT\r\n* ESEARCH (TAG \"b3\") UID ADDTO (0 3)\r\n"
        "* ESEARCH (TAG \"b4\") ADDTO (2 3)\r\n");
    testing::feed(*a.s, "a6 STORE 1 +FLAGS (\\Flagged)\r\n");
    co_await b.wait_for(
        "* ESEARCH (TAG \"b3\") UID REMOVEFROM (0 1)\r\n* ESEARCH (TAG \"b4\") REMOVEFROM (1 1)\r\n"
        "* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n");
    testing::feed(*a.s, "a7 STORE 2 +FLAGS.SILENT (\\Deleted)\r\na8 EXPUNGE\r\n");
    co_await a.wait_for("a8 OK");
    co_await b.wait_for("* 2 FETCH (UID 2 FLAGS (\\Deleted))\r\n");
    co_await b.wait_for(
        "* ESEARCH (TAG \"b3\") UID REMOVEFROM (0 2)\r\n* ESEARCH (TAG \"b4\") REMOVEFROM (2 "
        "2)\r\n");
    between = co_await b.settle();
    testing::feed(*b.s, "b5 NOOP\r\n");
    co_await b.wait_for("* 2 EXPUNGE\r\nb5 OK");
    // During IDLE; with NOTIFY the ADDTO follows the MessageNew FETCH.
    testing::feed(*b.s,
                  "b6 NOTIFY SET (SELECTED (MessageNew (UID) MessageExpunge))\r\nb7 IDLE\r\n");
    co_await b.wait_for("+ idling\r\n");
    testing::feed(*a.s, append_cmd("a9", "INBOX", msg("a")));
    co_await b.wait_for(
        "* 3 EXISTS\r\n* 2 RECENT\r\n* 3 FETCH (UID 4)\r\n* ESEARCH (TAG \"b3\") UID ADDTO (0 "
        "4)\r\n"
        "* ESEARCH (TAG \"b4\") ADDTO (1 3)\r\n");
    testing::feed(*b.s, "DONE\r\nb8 CANCELUPDATE \"b3\" \"b4\"\r\n");
    co_await b.wait_for("b8 OK CANCELUPDATE completed\r\n");
    testing::finish(a, b);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_THAT(between, Not(HasSubstr("EXPUNGE")));
}

}  // namespace
}  // namespace tegami::imap::server
