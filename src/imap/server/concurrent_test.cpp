// Two live sessions on one io_context over PipeStreams (input fed over time): each sees the
// other's changes in order, EXPUNGE is held back during FETCH, IDLE gets pushes and ends on
// app-password revocation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "imap/server/test_support.hpp"

namespace tegami::imap::server {
namespace {

using testing::PipeStream;
using testing::Reader;
using testing::World;
using Shared = PipeStream::Shared;

std::string msg(const std::string& subject) {
  return "From: x@example.org\r\nSubject: " + subject + "\r\n\r\nbody\r\n";
}

std::string append_cmd(const std::string& tag, const std::string& m) {
  return tag + " APPEND INBOX {" + std::to_string(m.size()) + "+}\r\n" + m + "\r\n";
}

TEST(ImapConcurrent, TwoSessionsSeeEachOtherAndIdleEndsOnRevocation) {
  World w;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(b.s), w.ctx), asio::detached);
  std::string between;  // B's output during A's FETCH-time expunge
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + "a2 SELECT INBOX\r\n");
    testing::feed(*b.s, w.login_line("b1") + "b2 SELECT INBOX\r\n");
    co_await a.wait_for("a2 OK");
    co_await b.wait_for("b2 OK");
    // A appends: A sees it at once, B at its next command.
    testing::feed(*a.s, append_cmd("a3", msg("one")));
    co_await a.wait_for("* 1 EXISTS\r\n* 1 RECENT\r\na3 OK [APPENDUID");
    testing::feed(*b.s, "b3 NOOP\r\n");
    co_await b.wait_for("* 1 EXISTS\r\n* 1 RECENT\r\nb3 OK NOOP");
    // B idles; A's flag change, new message and expunge are pushed to B.
    testing::feed(*b.s, "b4 IDLE\r\n");
    co_await b.wait_for("+ idling\r\n");
    testing::feed(*a.s, "a4 STORE 1 +FLAGS (\\Flagged)\r\n");
    co_await a.wait_for("a4 OK");
    co_await b.wait_for("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n");
    testing::feed(*a.s, append_cmd("a5", msg("two")));
    co_await a.wait_for("a5 OK");
    co_await b.wait_for("* 2 EXISTS\r\n* 2 RECENT\r\n");
    testing::feed(*a.s, "a6 STORE 1 +FLAGS.SILENT (\\Deleted)\r\na7 EXPUNGE\r\n");
    co_await a.wait_for("* 1 EXPUNGE\r\na7 OK");
    co_await b.wait_for(
        "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Deleted \\Recent))\r\n"
        "* 1 EXPUNGE\r\n");
    testing::feed(*b.s, "DONE\r\n");
    co_await b.wait_for("b4 OK IDLE terminated\r\n");
    // An expunge by A is held back while B answers FETCH, and announced at B's NOOP.
    testing::feed(*a.s, append_cmd("a8", msg("three")));
    co_await a.wait_for("a8 OK");
    testing::feed(*a.s, "a9 UID STORE 2 +FLAGS.SILENT (\\Deleted)\r\na10 UID EXPUNGE 2\r\n");
    co_await a.wait_for("a10 OK");
    testing::feed(*b.s, "b5 FETCH 1:* (UID)\r\n");
    co_await b.wait_for("b5 OK");
    between = b.s->output.substr(b.s->output.rfind("b4 OK"));
    testing::feed(*b.s, "b6 NOOP\r\n");
    co_await b.wait_for("* 1 EXPUNGE\r\nb6 OK");
    testing::feed(*b.s, "b7 FETCH 1:* (UID)\r\n");
    co_await b.wait_for("* 1 FETCH (UID 3)\r\nb7 OK");
    // Revoking the app password ends both sessions, the idling one included.
    testing::feed(*b.s, "b8 IDLE\r\n");
    co_await b.wait_for("+ idling\r\n");
    EXPECT_TRUE(w.store->revoke_app_password(w.account.id, w.app_password_id, "test"));
    w.hub.publish_revocation(w.account.id, w.app_password_id);
    co_await b.wait_for("* BYE [UNAVAILABLE]");
    co_await a.wait_for("* BYE [UNAVAILABLE]");
    testing::finish(a, b);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_THAT(between, ::testing::HasSubstr("* 1 FETCH (UID 2)\r\n* 2 EXISTS\r\n"));
  EXPECT_THAT(between, ::testing::Not(::testing::HasSubstr("EXPUNGE")));
  EXPECT_TRUE(b.s->closed);
  EXPECT_TRUE(a.s->closed);
}

// QRESYNC (RFC 7162 §3.2.10, §3.2): once enabled, expunges by another session arrive as
// VANISHED (pushed during IDLE too); while one is held back during FETCH, the session says a
// HIGHESTMODSEQ below it.
TEST(ImapConcurrent, QresyncVanishedAndHeldBackExpunges) {
  World w;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(b.s), w.ctx), asio::detached);
  std::string between;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + "a2 SELECT INBOX\r\n");
    testing::feed(*b.s, w.login_line("b1") + "b2 ENABLE QRESYNC\r\nb3 SELECT INBOX\r\n");
    co_await a.wait_for("a2 OK");
    co_await b.wait_for("* ENABLED QRESYNC\r\nb2 OK");
    co_await b.wait_for("b3 OK");
    testing::feed(*a.s, append_cmd("a3", msg("one")) + append_cmd("a4", msg("two")) +
                            append_cmd("a5", msg("three")));
    co_await a.wait_for("a5 OK");
    testing::feed(*b.s, "b4 NOOP\r\n");
    co_await b.wait_for("* 3 EXISTS\r\n");
    co_await b.wait_for("b4 OK");
    testing::feed(*b.s, "b5 IDLE\r\n");
    co_await b.wait_for("+ idling\r\n");
    testing::feed(*a.s, "a6 STORE 1 +FLAGS.SILENT (\\Deleted)\r\na7 EXPUNGE\r\n");
    co_await a.wait_for("* 1 EXPUNGE\r\na7 OK");
    co_await b.wait_for(
        "* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent) MODSEQ (5))\r\n"
        "* VANISHED 1\r\n");
    testing::feed(*b.s, "DONE\r\n");
    co_await b.wait_for("b5 OK IDLE terminated\r\n");
    testing::feed(*a.s, "a8 UID STORE 2 +FLAGS.SILENT (\\Deleted)\r\na9 UID EXPUNGE 2\r\n");
    co_await a.wait_for("a9 OK");
    testing::feed(*b.s, "b6 FETCH 1:* (UID)\r\n");
    co_await b.wait_for("b6 OK");
    between = b.s->output.substr(b.s->output.rfind("b5 OK"));
    testing::feed(*b.s, "b7 NOOP\r\n");
    co_await b.wait_for("* VANISHED 2\r\nb7 OK");
    testing::feed(*b.s, "b8 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)\r\n");
    co_await b.wait_for(
        "* VANISHED (EARLIER) 1:2\r\n* 1 FETCH (UID 3 FLAGS (\\Recent) MODSEQ (4))"
        "\r\nb8 OK");
    testing::finish(a, b);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_THAT(between, ::testing::HasSubstr("* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\n"));
  EXPECT_THAT(between, ::testing::HasSubstr("* OK [HIGHESTMODSEQ 6] Expunges pending\r\nb6 OK"));
  EXPECT_THAT(between, ::testing::Not(::testing::HasSubstr("VANISHED")));
}

// MULTIAPPEND (RFC 3502): an idling session sees all the new messages at once; a failed
// MULTIAPPEND shows it nothing.
TEST(ImapConcurrent, IdleSeesEveryMessageOfAMultiAppend) {
  World w;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(b.s), w.ctx), asio::detached);
  std::string after_failure;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1"));
    testing::feed(*b.s, w.login_line("b1") + "b2 SELECT INBOX\r\nb3 IDLE\r\n");
    co_await a.wait_for("a1 OK");
    co_await b.wait_for("+ idling\r\n");
    std::string m1 = msg("one"), m2 = msg("two"), m3 = msg("three");
    testing::feed(*a.s, "a2 APPEND INBOX {" + std::to_string(m1.size()) + "+}\r\n" + m1 +
                            " (\\Seen) {" + std::to_string(m2.size()) + "+}\r\n" + m2 + " {" +
                            std::to_string(m3.size()) + "+}\r\n" + m3 + "\r\n");
    co_await a.wait_for("a2 OK [APPENDUID ");
    co_await a.wait_for(" 1:3] APPEND completed\r\n");
    co_await b.wait_for("* 3 EXISTS\r\n* 3 RECENT\r\n");
    // A bad flag on the second message: nothing stored, nothing announced.
    testing::feed(*a.s, "a3 APPEND INBOX {" + std::to_string(m1.size()) + "+}\r\n" + m1 +
                            " (\\Nope) {" + std::to_string(m2.size()) + "+}\r\n" + m2 +
                            "\r\na4 NOOP\r\n");
    co_await a.wait_for("a3 BAD");
    co_await a.wait_for("a4 OK");
    after_failure = co_await b.settle();
    testing::feed(*b.s, "DONE\r\nb4 FETCH 1:* (UID FLAGS)\r\n");
    co_await b.wait_for("b3 OK IDLE terminated\r\n");
    co_await b.wait_for("* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))\r\n");
    co_await b.wait_for("b4 OK");
    testing::finish(a, b);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_EQ(after_failure, "");
}

}  // namespace
}  // namespace tegami::imap::server
