// The shared mailbox snapshots (mailbox_cache.hpp): snapshots advance with store changes;
// sessions that select one mailbox share one snapshot, read the mailbox from the store once,
// and keep their own \Recent and held-back expunges (RFC 9051 §7.5.1); deliveries keep the
// snapshot current; a session's memory does not grow with the mailbox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "imap/server/faulty_store.hpp"
#include "imap/server/mailbox_cache.hpp"
#include "imap/server/mailbox_view.hpp"
#include "imap/server/test_support.hpp"
#include "index/message_index.hpp"

namespace tegami::imap::server {
namespace {

using testing::PipeStream;
using testing::Reader;
using testing::World;
using Shared = PipeStream::Shared;

store::MessageMeta meta(uint32_t uid, uint32_t flags, uint64_t modseq,
                        std::vector<std::string> kw = {}) {
  store::MessageMeta m;
  m.uid = uid;
  m.flags = flags;
  m.modseq = modseq;
  m.keywords = std::move(kw);
  return m;
}

// Delivers `n` messages to INBOX straight through the store (no hub publication).
store::Id fill(World& w, uint32_t n, uint32_t first = 0) {
  std::vector<std::string> raws;
  for (uint32_t i = first; i < first + n; ++i) {
    raws.push_back("From: a@example.org\r\nSubject: m" + std::to_string(i) + "\r\n\r\nbody " +
                   std::to_string(i) + "\r\n");
  }
  return w.deliver_to_inbox(raws);
}

TEST(MailboxSnapshot, AdvanceAppliesFlagsNewMessagesAndExpunges) {
  auto base = make_snapshot(7, 5, 4, {meta(3, 0, 5, {"$Junk"}), meta(1, 0, 2), meta(2, 0, 3)});
  ASSERT_EQ(base->size(), 3u);
  EXPECT_EQ(base->at(0).uid, 1u);  // sorted by uid
  EXPECT_EQ(base->keywords(), std::vector<std::string>{"$Junk"});
  store::Changes c;
  c.changed = {meta(2, store::kSeen, 7, {"$Work"}), meta(4, 0, 8)};
  c.expunged = {3};
  c.highest_modseq = 9;
  c.uid_next = 5;
  auto next = advance_snapshot(*base, c);
  ASSERT_EQ(next->size(), 3u);
  EXPECT_EQ(next->at(0).uid, 1u);
  EXPECT_EQ(next->at(1).uid, 2u);
  EXPECT_EQ(next->at(1).flags, uint32_t{store::kSeen});
  EXPECT_EQ(next->at(2).uid, 4u);
  EXPECT_EQ(next->modseq, 9u);
  EXPECT_EQ(next->uid_next, 5u);
  EXPECT_EQ(next->keywords(), std::vector<std::string>{"$Work"});  // $Junk left with uid 3
  EXPECT_EQ(base->size(), 3u);                                     // the base is unchanged
  EXPECT_EQ(base->at(1).flags, 0u);
}

// Random edits of a large snapshot agree with a plain map; untouched chunks stay shared.
TEST(MailboxSnapshot, ChunkedEditsMatchAPlainModelAndShareUntouchedChunks) {
  std::map<uint32_t, store::MessageMeta> model;
  std::vector<store::MessageMeta> all;
  for (uint32_t uid = 1; uid <= 5000; ++uid) {
    auto m = meta(uid * 2, 0, uid,
                  uid % 7 == 0 ? std::vector<std::string>{"$K" + std::to_string(uid % 3)}
                               : std::vector<std::string>{});
    model[m.uid] = m;
    all.push_back(m);
  }
  SnapshotPtr s = make_snapshot(1, 0, 1, all);
  ASSERT_GT(s->chunks().size(), 5u);
  uint64_t modseq = 10000;
  uint32_t seed = 12345;
  auto rnd = [&](uint32_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 8) % n;
  };
  for (int round = 0; round < 200; ++round) {
    std::map<uint32_t, store::MessageMeta> up;
    std::set<uint32_t> er;
    int edits = round % 10 == 0 ? 300 : 3;
    for (int k = 0; k < edits; ++k) {
      uint32_t uid = 1 + rnd(12000);
      if (rnd(3) == 0) {
        er.insert(uid);
      } else {
        auto m = meta(uid, rnd(32), ++modseq,
                      rnd(4) == 0 ? std::vector<std::string>{"$N"} : std::vector<std::string>{});
        up[uid] = m;
      }
    }
    std::vector<store::MessageMeta> ups;
    for (auto& [u, m] : up) ups.push_back(m);
    std::vector<uint32_t> ers(er.begin(), er.end());
    auto next = edit_snapshot(*s, ups, ers);
    // A view of the old snapshot finds exactly these changes, comparing only unshared chunks,
    // and the same against a rebuilt snapshot that shares nothing.
    store::Mailbox mb;
    MailboxView view(mb, s, false);
    std::vector<uint32_t> gone;
    for (uint32_t u : er) {
      if (model.count(u)) gone.push_back(u);  // an erase wins over an upsert
    }
    std::vector<uint32_t> changed;
    for (auto& [u, m] : up) {
      if (!er.count(u)) changed.push_back(u);
    }
    auto uids = [](const std::vector<store::MessageMeta>& v) {
      std::vector<uint32_t> out;
      for (const auto& m : v) out.push_back(m.uid);
      return out;
    };
    for (auto& [u, m] : up) model[u] = m;
    for (uint32_t u : er) model.erase(u);
    std::vector<store::MessageMeta> flat;
    for (auto& [u, m] : model) flat.push_back(m);
    auto rebuilt = make_snapshot(1, 0, 1, flat);
    for (const MailboxSnapshot* target : {next.get(), rebuilt.get()}) {
      store::Changes c = view.changes_to(*target);
      ASSERT_EQ(c.expunged, gone) << round;
      ASSERT_EQ(uids(c.changed), changed) << round;
    }
    ASSERT_EQ(next->size(), model.size()) << round;
    size_t i = 0;
    std::set<std::string> kws;
    for (const auto& [u, m] : model) {
      ASSERT_EQ(next->at(i).uid, u) << round;
      ASSERT_EQ(next->at(i).flags, m.flags) << round;
      ASSERT_EQ(next->find(u), i);
      kws.insert(m.keywords.begin(), m.keywords.end());
      ++i;
    }
    EXPECT_EQ(next->keywords(), std::vector<std::string>(kws.begin(), kws.end())) << round;
    EXPECT_EQ(next->find(0), next->size());
    if (edits == 3) {  // a few edits: most chunks are the base's
      size_t shared = 0;
      std::set<const MailboxSnapshot::Chunk*> old;
      for (const auto& ch : s->chunks()) old.insert(ch.get());
      for (const auto& ch : next->chunks()) shared += old.count(ch.get());
      EXPECT_GE(shared + 3 * 3, next->chunks().size()) << round;  // <= 3 new chunks per edit
    }
    // No fragmentation into tiny chunks.
    EXPECT_LE(next->chunks().size(), 8 * next->size() / MailboxSnapshot::kChunk + 8) << round;
    for (const auto& ch : next->chunks()) {
      EXPECT_FALSE(ch->empty());
      EXPECT_LE(ch->size(), MailboxSnapshot::kChunk);
    }
    s = next;
  }
}

// Keywords are interned per chunk; a chunk whose sets filled up keeps only those in use.
TEST(MailboxSnapshot, CompactEntriesAndInternedKeywords) {
  EXPECT_EQ(sizeof(MailboxSnapshot::Entry), 48u);
  std::vector<store::MessageMeta> all;
  for (uint32_t uid = 1; uid <= 200; ++uid) {
    all.push_back(meta(uid, store::kSeen, uid, {uid % 2 ? "$Odd" : "$Even", "$All"}));
  }
  auto s = make_snapshot(1, 0, 1, all);
  EXPECT_EQ(s->at(4).keywords, (std::vector<std::string>{"$Odd", "$All"}));
  EXPECT_EQ(s->at(5).keywords, (std::vector<std::string>{"$Even", "$All"}));
  EXPECT_EQ(s->keywords(), (std::vector<std::string>{"$All", "$Even", "$Odd"}));
  store::Mailbox mb;
  MailboxView v(mb, s, false);
  for (int i = 0; i < 600; ++i) {  // far more distinct sets than a chunk can number
    v.set_flags(1, store::kFlagged, {"$K" + std::to_string(i)}, 1000 + i);
  }
  EXPECT_EQ(v.at(0).keywords, std::vector<std::string>{"$K599"});
  EXPECT_EQ(v.at(0).flags, uint32_t{store::kFlagged});
  EXPECT_EQ(v.at(0).modseq, 1599u);
  for (size_t i = 1; i < v.size(); ++i) {
    ASSERT_EQ(v.at(i).keywords, all[i].keywords) << i;
    ASSERT_EQ(v.at(i).flags, uint32_t{store::kSeen}) << i;
  }
  EXPECT_EQ(s->at(0).keywords, all[0].keywords);  // the shared snapshot is unchanged
}

TEST(MailboxView, TakesTheNextSnapshotAndKeepsHeldExpungesPrivately) {
  store::Mailbox mb;
  mb.id = 7;
  auto s1 = make_snapshot(7, 3, 4, {meta(1, 0, 1), meta(2, 0, 2), meta(3, 0, 3)});
  MailboxView v(mb, s1, false);
  EXPECT_TRUE(v.shares(s1));
  // Message 2 expunged, 1 flagged, 4 new.
  auto s2 = make_snapshot(7, 6, 5, {meta(1, store::kFlagged, 5), meta(3, 0, 3), meta(4, 0, 6)});
  std::string out;
  v.apply(v.changes_to(*s2), /*allow_expunge=*/false, /*rev2=*/true, &out, false, false, true, s2);
  EXPECT_EQ(out, "* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n* 4 EXISTS\r\n");
  EXPECT_FALSE(v.shares(s2));  // uid 2 keeps its number until an expunge may be announced
  EXPECT_EQ(v.size(), 4u);
  EXPECT_EQ(v.seq_of(2), 2u);
  EXPECT_EQ(v.at(0).flags, uint32_t{store::kFlagged});
  EXPECT_EQ(s1->size(), 3u);  // the shared snapshots are never edited
  EXPECT_EQ(s2->size(), 3u);
  out.clear();
  v.apply(v.changes_to(*s2), /*allow_expunge=*/true, true, &out, false, false, true, s2);
  EXPECT_EQ(out, "* 2 EXPUNGE\r\n");
  EXPECT_TRUE(v.shares(s2));
  EXPECT_EQ(v.seq_of(4), 3u);
  // Flags this session set make a private copy until the next snapshot has them.
  v.set_flags(3, store::kSeen, {}, 7);
  EXPECT_FALSE(v.shares(s2));
  EXPECT_EQ(s2->at(1).flags, 0u);
  auto s3 = make_snapshot(7, 7, 5,
                          {meta(1, store::kFlagged, 5), meta(3, store::kSeen, 7), meta(4, 0, 6)});
  out.clear();
  v.apply(v.changes_to(*s3), true, true, &out, false, false, true, s3);
  EXPECT_EQ(out, "");  // its own change is not reported again
  EXPECT_TRUE(v.shares(s3));
}

TEST(MailboxCache, SessionsShareOneSnapshotAndHoldBackTheirOwnExpunges) {
  World w;
  store::Id inbox = fill(w, 3);
  testing::FaultyStore counting(*w.store);
  w.ctx.store = &counting;
  auto cache = std::make_shared<MailboxCache>(std::chrono::hours(1));
  w.ctx.mailbox_cache = cache;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  Reader b(std::make_shared<Shared>(io));
  Reader c(std::make_shared<Shared>(io));
  for (auto* r : {&a, &b, &c}) {
    asio::co_spawn(io, serve(std::make_unique<PipeStream>(r->s), w.ctx), asio::detached);
  }
  long shared_both = 0, while_held = 0, with_c = 0, after_noop = 0;
  int lists_after_select = 0, lists_after_c = 0;
  std::string b_fetch;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + "a2 SELECT INBOX\r\n");
    co_await a.wait_for("a2 OK");
    testing::feed(*b.s, w.login_line("b1") + "b2 SELECT INBOX\r\n");
    co_await b.wait_for("* 3 EXISTS\r\n");
    co_await b.wait_for("b2 OK");
    lists_after_select = counting.calls("list_messages");
    shared_both = cache->current(inbox).use_count();  // the cache, A, B and this copy
    // A expunges message 1 and sees it at once.
    testing::feed(*a.s, "a3 STORE 1 +FLAGS.SILENT (\\Deleted)\r\na4 EXPUNGE\r\n");
    co_await a.wait_for("* 1 EXPUNGE\r\na4 OK");
    // B learns of it during FETCH: no EXPUNGE yet, numbers unchanged (RFC 9051 §7.5.1).
    size_t from = b.s->output.size();
    testing::feed(*b.s, "b3 FETCH 1:* (UID)\r\n");
    co_await b.wait_for("b3 OK");
    b_fetch = b.s->output.substr(from);
    while_held = cache->current(inbox).use_count();  // B has a private copy now
    // A new session sees two messages, without reading the mailbox again.
    testing::feed(*c.s, w.login_line("c1") + "c2 SELECT INBOX\r\n");
    co_await c.wait_for("* 2 EXISTS\r\n");
    co_await c.wait_for("c2 OK");
    lists_after_c = counting.calls("list_messages");
    with_c = cache->current(inbox).use_count();
    // B's NOOP announces the expunge and B shares the snapshot again.
    testing::feed(*b.s, "b4 NOOP\r\n");
    co_await b.wait_for("* 1 EXPUNGE\r\nb4 OK");
    after_noop = cache->current(inbox).use_count();
    testing::feed(*b.s, "b5 FETCH 1:* (UID)\r\n");
    co_await b.wait_for("* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\nb5 OK");
    testing::finish(a, b, c);
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(b.failures, "") << b.s->output;
  EXPECT_EQ(c.failures, "") << c.s->output;
  EXPECT_EQ(lists_after_select, 1);
  EXPECT_EQ(lists_after_c, 1);
  EXPECT_EQ(cache->stats().loads, 1u);
  EXPECT_EQ(shared_both, 4);
  EXPECT_THAT(b_fetch, ::testing::HasSubstr(
                           "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\n"));
  EXPECT_THAT(b_fetch, ::testing::Not(::testing::HasSubstr("EXPUNGE")));
  EXPECT_EQ(while_held, 3);  // the cache, A and this copy
  EXPECT_EQ(with_c, 4);
  EXPECT_EQ(after_noop, 5);
}

TEST(MailboxCache, DeliveriesKeepTheSnapshotCurrent) {
  World w;
  store::Id inbox = fill(w, 5);
  testing::FaultyStore counting(*w.store);
  w.ctx.store = &counting;
  auto cache = std::make_shared<MailboxCache>(std::chrono::hours(1));
  w.ctx.mailbox_cache = cache;
  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  int changes_idle = 0, changes_noop = 0;
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + "a2 SELECT INBOX\r\na3 NOOP\r\na4 NOOP\r\n");
    co_await a.wait_for("a4 OK");
    changes_noop = counting.calls("changes_since");  // nothing changed: no store read
    testing::feed(*a.s, "a5 IDLE\r\n");
    co_await a.wait_for("+ idling\r\n");
    // Two deliveries, published as account::deliver does.
    fill(w, 2, 100);
    w.hub.publish(inbox);
    co_await a.wait_for("* 7 EXISTS\r\n");
    changes_idle = counting.calls("changes_since");
    testing::feed(*a.s, "DONE\r\n");
    co_await a.wait_for("a5 OK");
    a.s->eof = true;
    a.s->timer.cancel();
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
  EXPECT_EQ(changes_noop, 0);
  EXPECT_EQ(changes_idle, 1);
  auto snap = cache->current(inbox);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->size(), 7u);
  EXPECT_EQ(cache->stats().loads, 1u);

  // Another session selects the current snapshot without reading the messages.
  counting.reset_calls();
  std::string out = w.run(w.login_line() + "s SELECT INBOX\r\nz LOGOUT\r\n");
  EXPECT_THAT(out, ::testing::HasSubstr("* 7 EXISTS\r\n"));
  EXPECT_EQ(counting.calls("list_messages"), 0);
  EXPECT_EQ(counting.calls("changes_since"), 0);
  EXPECT_EQ(counting.calls("get_mailbox"), 0);  // the row too is current
}

// A change nobody published (a writer outside this process) is seen once the snapshot is older
// than max_age: SELECT then compares the mailbox's HIGHESTMODSEQ with the snapshot's, and a
// selected session asks the store for changes.
TEST(MailboxCache, UnpublishedChangesAreSeenAfterMaxAge) {
  World w;
  fill(w, 2);
  testing::FaultyStore counting(*w.store);
  w.ctx.store = &counting;
  auto cache = std::make_shared<MailboxCache>(std::chrono::milliseconds(50));
  w.ctx.mailbox_cache = cache;
  std::string out = w.run(w.login_line() + "s SELECT INBOX\r\nz LOGOUT\r\n");
  EXPECT_THAT(out, ::testing::HasSubstr("* 2 EXISTS\r\n"));
  fill(w, 1, 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  out = w.run(w.login_line() + "s SELECT INBOX\r\nz LOGOUT\r\n");
  EXPECT_THAT(out, ::testing::HasSubstr("* 3 EXISTS\r\n"));
  EXPECT_EQ(counting.calls("list_messages"), 1);
  EXPECT_EQ(cache->stats().loads, 1u);

  asio::io_context io;
  Reader a(std::make_shared<Shared>(io));
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(a.s), w.ctx), asio::detached);
  auto driver = [&]() -> asio::awaitable<void> {
    testing::feed(*a.s, w.login_line("a1") + "a2 SELECT INBOX\r\n");
    co_await a.wait_for("a2 OK");
    fill(w, 1, 200);
    asio::steady_timer t(io);
    t.expires_after(std::chrono::milliseconds(100));
    co_await t.async_wait(asio::use_awaitable);
    testing::feed(*a.s, "a3 NOOP\r\n");
    co_await a.wait_for("* 4 EXISTS\r\n");
    a.s->eof = true;
    a.s->timer.cancel();
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(a.failures, "") << a.s->output;
}

// RENAME and DELETE by another session reach SELECT by name at once (mailbox events).
TEST(MailboxCache, RenamedAndDeletedMailboxesAreNotSelectedFromTheCache) {
  World w;
  w.ctx.mailbox_cache = std::make_shared<MailboxCache>(std::chrono::hours(1));
  std::string out = w.run(w.login_line() + "c CREATE Work\r\ns SELECT Work\r\nz LOGOUT\r\n");
  EXPECT_THAT(out, ::testing::HasSubstr("s OK"));
  out = w.run(w.login_line() + "r RENAME Work Play\r\ns SELECT Work\r\nt SELECT Play\r\n" +
              "d DELETE Play\r\nu SELECT Play\r\nz LOGOUT\r\n");
  EXPECT_THAT(out, ::testing::HasSubstr("s NO [NONEXISTENT]"));
  EXPECT_THAT(out, ::testing::HasSubstr("t OK"));
  EXPECT_THAT(out, ::testing::HasSubstr("d OK"));
  EXPECT_THAT(out, ::testing::HasSubstr("u NO [NONEXISTENT]"));
}

// Sessions with one 3,000-message mailbox selected share its snapshot: a session costs the
// same with 3,000 messages as with none (a copy of the metadata would be ~240 KB each).
TEST(MailboxCache, SessionMemoryDoesNotGrowWithTheMailbox) {
  World w;
  fill(w, 3000);
  asio::io_context io;
  constexpr int kSessions = 40;
  std::vector<std::unique_ptr<Reader>> rs;
  auto start = [&](int n) -> asio::awaitable<void> {
    for (int i = 0; i < n; ++i) {
      rs.push_back(std::make_unique<Reader>(std::make_shared<Shared>(io)));
      auto& r = *rs.back();
      asio::co_spawn(io, serve(std::make_unique<PipeStream>(r.s), w.ctx), asio::detached);
      testing::feed(*r.s, w.login_line("a1") + "a2 SELECT INBOX\r\n");
      co_await r.wait_for("a2 OK");
      r.s->output.clear();  // the test's copy of the output is not the server's memory
      r.pos = 0;
    }
  };
  size_t before = 0, after = 0;
  auto driver = [&]() -> asio::awaitable<void> {
    co_await start(1);  // the snapshot, and the first allocations of everything
    before = mallinfo2().uordblks;
    co_await start(kSessions);
    after = mallinfo2().uordblks;
    for (auto& r : rs) r->finish();
  };
  asio::co_spawn(io, driver(), asio::detached);
  io.run();
  for (auto& r : rs) EXPECT_EQ(r->failures, "");
  double per = (static_cast<double>(after) - static_cast<double>(before)) / kSessions;
  std::printf("heap per session with a 3,000-message mailbox selected: %.0f bytes\n", per);
  EXPECT_LT(per, 32 * 1024);
}

}  // namespace
}  // namespace tegami::imap::server
