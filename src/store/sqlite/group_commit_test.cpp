// Group commit: concurrent writers share transactions; every acknowledged write is durable
// (present after reopening, and after the writing process is killed, with the body log then
// holding exactly what rows name); a failing operation rolls back only itself.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "store/sqlite/test_util.hpp"
#include "store/sqlite/writer.hpp"

namespace tegami::store::testing {
namespace {

using GroupCommitTest = StoreTest;

TEST_F(GroupCommitTest, ConcurrentDeliveriesAreBatchedAndDurable) {
  constexpr int kThreads = 12;
  constexpr int kPerThread = 40;
  Account a = account("busy@example.org");
  Account b = account("other@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  Mailbox other = mailbox(b.id, "INBOX");
  auto s0 = *sqlite_stats(*store_);

  std::mutex mu;
  std::set<uint32_t> acked;  // uids acknowledged in INBOX of a
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string raw = sample_message("t" + std::to_string(t) + "-" + std::to_string(i),
                                         (i % 7 == 0) ? sqlite::kInlineMax + 1024 : 500);
        DeliveryTarget ta{a.id, inbox.id, 0, {}, true};
        DeliveryTarget tb{b.id, other.id, kSeen, {"$T"}, true};
        auto r = store_->deliver(raw, sample_index("x"), {ta, tb}, 1700000000 + i);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        {
          std::lock_guard lk(mu);
          EXPECT_TRUE(acked.insert((*r)[0].uid).second) << "uid handed out twice";
        }
        // Interleave flag changes on what we just delivered.
        auto f = store_->store_flags(inbox.id, {(*r)[0].uid}, FlagOp::kAdd, kSeen, {}, 0, nullptr);
        if (!f.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(acked.size(), static_cast<size_t>(kThreads * kPerThread));

  auto s1 = *sqlite_stats(*store_);
  uint64_t ops = s1.operations - s0.operations;
  uint64_t commits = s1.commits - s0.commits;
  EXPECT_EQ(ops, static_cast<uint64_t>(kThreads * kPerThread * 2));
  EXPECT_LT(commits, ops) << "group commit shared transactions";
  std::printf("group commit: %llu operations in %llu commits (largest batch %llu)\n",
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(commits),
              static_cast<unsigned long long>(s1.largest_batch));

  reopen();
  auto l = store_->list_messages(inbox.id);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), acked.size());
  std::set<uint64_t> modseqs;
  for (const auto& m : *l) {
    EXPECT_TRUE(acked.count(m.uid)) << m.uid;
    EXPECT_EQ(m.flags, static_cast<uint32_t>(kSeen));
    modseqs.insert(m.modseq);
  }
  EXPECT_EQ(modseqs.size(), l->size()) << "every change got its own modseq";
  Mailbox mb = mailbox(a.id, "INBOX");
  EXPECT_EQ(mb.messages, acked.size());
  EXPECT_EQ(mb.unseen, 0u);
  EXPECT_EQ(mb.uid_next, acked.size() + 1) << "no gaps: every allocated uid committed";
  EXPECT_EQ(store_->list_messages(other.id)->size(), acked.size());
  int64_t total = 0;
  for (const auto& m : *l) total += m.size;
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, total);
  EXPECT_EQ(store_->get_account(b.id)->used_bytes, total);
}

TEST_F(GroupCommitTest, FailingOperationsRollBackOnlyThemselves) {
  std::string raw = sample_message("q", 2000);
  Account tiny = account("tiny@example.org", static_cast<int64_t>(raw.size()) * 10);
  Account roomy = account("roomy@example.org", 0);
  Mailbox t_inbox = mailbox(tiny.id, "INBOX");
  Mailbox r_inbox = mailbox(roomy.id, "INBOX");
  std::atomic<int> tiny_ok{0}, tiny_over{0}, roomy_ok{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        bool to_tiny = (t + i) % 2 == 0;
        DeliveryTarget d{
            to_tiny ? tiny.id : roomy.id, to_tiny ? t_inbox.id : r_inbox.id, 0, {}, true};
        auto r = store_->deliver(raw, sample_index("q"), {d}, 1);
        if (r.ok()) {
          ++(to_tiny ? tiny_ok : roomy_ok);
        } else if (r.code() == Errc::kOverQuota) {
          ++tiny_over;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(tiny_ok.load(), 10);
  EXPECT_EQ(tiny_over.load(), 90);
  EXPECT_EQ(roomy_ok.load(), 100);
  reopen();
  EXPECT_EQ(store_->list_messages(t_inbox.id)->size(), 10u);
  EXPECT_EQ(store_->list_messages(r_inbox.id)->size(), 100u);
  EXPECT_EQ(store_->get_account(tiny.id)->used_bytes, static_cast<int64_t>(raw.size()) * 10);
  EXPECT_EQ(mailbox(tiny.id, "INBOX").uid_next, 11u);
}

// post_delivery: the caller does not wait; each `done` runs once, after the commit, with the
// result deliver() would have given. Mailbox 0 is the INBOX; a failure is the failing one's.
TEST_F(GroupCommitTest, PostedDeliveriesCompleteOnceWithTheirResults) {
  std::string raw = sample_message("p", 2000);
  const int64_t size = static_cast<int64_t>(raw.size());
  Account tiny = account("tiny@example.org", size * 3);
  Account roomy = account("roomy@example.org", 0);
  Mailbox t_inbox = mailbox(tiny.id, "INBOX");
  Mailbox r_inbox = mailbox(roomy.id, "INBOX");
  constexpr int kPosts = 60;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<Result<std::vector<Delivered>>>> results(kPosts);
  int finished = 0;
  int calls = 0;
  for (int i = 0; i < kPosts; ++i) {
    auto d = std::make_shared<OwnedDelivery>();
    d->raw = raw;
    d->idx = sample_index("p");
    DeliveryTarget t;
    t.account_id = i % 2 == 0 ? tiny.id : roomy.id;  // mailbox_id 0: the INBOX
    d->targets = {t};
    d->internal_date = 1;
    store_->post_delivery(d, [&, i](Result<std::vector<Delivered>> r) {
      std::lock_guard lk(mu);
      ++calls;
      if (!results[i]) ++finished;
      results[i].emplace(std::move(r));
      cv.notify_all();
    });
  }
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(30), [&] { return finished == kPosts; }));
  }
  int tiny_ok = 0, tiny_over = 0;
  std::set<uint32_t> roomy_uids;
  for (int i = 0; i < kPosts; ++i) {
    const auto& r = *results[i];
    if (i % 2 == 1) {
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_EQ(r->size(), 1u);
      EXPECT_EQ((*r)[0].mailbox_id, r_inbox.id);
      roomy_uids.insert((*r)[0].uid);
    } else if (r.ok()) {
      ++tiny_ok;
      EXPECT_EQ((*r)[0].mailbox_id, t_inbox.id);
    } else {
      EXPECT_EQ(r.code(), Errc::kOverQuota);
      ++tiny_over;
    }
  }
  EXPECT_EQ(calls, kPosts);
  EXPECT_EQ(tiny_ok, 3);
  EXPECT_EQ(tiny_over, kPosts / 2 - 3);
  EXPECT_EQ(roomy_uids.size(), static_cast<size_t>(kPosts / 2));

  // Content over the limit, and no target: refused at once, nothing stored.
  auto big = std::make_shared<OwnedDelivery>();
  big->raw = sample_message("big", Store::kPostedDeliveryMax + 1);
  big->idx = sample_index("big");
  big->targets = {target(roomy, 0)};
  std::optional<Errc> big_code, empty_code;
  store_->post_delivery(big, [&](Result<std::vector<Delivered>> r) { big_code = r.code(); });
  auto empty = std::make_shared<OwnedDelivery>(*big);
  empty->raw = raw;
  empty->targets.clear();
  store_->post_delivery(empty, [&](Result<std::vector<Delivered>> r) { empty_code = r.code(); });
  EXPECT_EQ(big_code, Errc::kInvalidData);
  EXPECT_EQ(empty_code, Errc::kInvalidData);

  reopen();
  EXPECT_EQ(store_->list_messages(t_inbox.id)->size(), 3u);
  EXPECT_EQ(store_->list_messages(r_inbox.id)->size(), static_cast<size_t>(kPosts / 2));
  EXPECT_EQ(store_->get_account(tiny.id)->used_bytes, size * 3);
}

// A store closed with posted deliveries still queued completes each of them first.
TEST_F(GroupCommitTest, ClosingTheStoreCompletesPostedDeliveries) {
  Account a = account("late@example.org");
  std::atomic<int> ok{0}, calls{0};
  for (int i = 0; i < 20; ++i) {
    auto d = std::make_shared<OwnedDelivery>();
    d->raw = sample_message("late " + std::to_string(i));
    d->idx = sample_index("late");
    d->targets = {target(a, 0)};
    store_->post_delivery(d, [&](Result<std::vector<Delivered>> r) {
      ++calls;
      if (r.ok()) ++ok;
    });
  }
  reopen();
  EXPECT_EQ(calls.load(), 20);
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(store_->list_messages(mailbox(a.id, "INBOX").id)->size(), 20u);
}

// Sync::kWithNext commits without an fsync of its own (synchronous = NORMAL); the next kNow
// operation gets FULL again, and its fsync covers the earlier commit. Both are visible at
// once and after reopening.
TEST(WriterSync, DeferredCommitsAreVisibleAndTheNextDurableOneIsFull) {
  std::string dir = make_temp_dir();
  auto d = sqlite::Db::open(dir + "/w.db", false);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE((*d)->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t "
                         "(k INTEGER PRIMARY KEY) STRICT")
                  .ok());
  sqlite::BlobFiles files(dir + "/blobs");
  sqlite::BlobLog log(dir + "/blobs/log");
  auto writer = std::make_unique<sqlite::Writer>(std::move(*d), &files, &log);
  auto insert_and_read_mode = [](int k, int64_t* mode) {
    return [k, mode](sqlite::WriteCtx& ctx) -> Status {
      TG_TRY(ctx.db.run("INSERT INTO t VALUES (?)", k));
      TG_ASSIGN(sqlite::Stmt s, ctx.db.prepare("PRAGMA synchronous"));
      TG_ASSIGN(bool row, s.step());
      if (row) *mode = s.i64(0);
      return {};
    };
  };
  int64_t mode = -1;
  ASSERT_TRUE(writer->submit(insert_and_read_mode(1, &mode), sqlite::Writer::Sync::kWithNext).ok());
  EXPECT_EQ(mode, 1) << "NORMAL";
  ASSERT_TRUE(writer->submit(insert_and_read_mode(2, &mode)).ok());
  EXPECT_EQ(mode, 2) << "FULL";
  ASSERT_TRUE(writer->submit(insert_and_read_mode(3, &mode), sqlite::Writer::Sync::kWithNext).ok());
  EXPECT_EQ(mode, 1);
  // Idle past kLazySyncMs: the writer syncs the WAL by itself and goes on.
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * sqlite::Writer::kLazySyncMs));
  ASSERT_TRUE(writer->submit(insert_and_read_mode(4, &mode)).ok());
  EXPECT_EQ(mode, 2);
  // A stream of deferred commits with no quiet between them still gets a FULL one (an fsync)
  // once the first unsynced one has waited kLazySyncMs.
  int rows = 4;
  int full_ones = 0;
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(10 * sqlite::Writer::kLazySyncMs);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(
        writer->submit(insert_and_read_mode(++rows, &mode), sqlite::Writer::Sync::kWithNext).ok());
    if (mode == 2) ++full_ones;
  }
  EXPECT_GE(full_ones, 2);
  EXPECT_LT(full_ones, rows / 2) << "most stay without an fsync of their own";
  writer.reset();
  auto again = sqlite::Db::open(dir + "/w.db", true);
  ASSERT_TRUE(again.ok());
  {
    auto s = (*again)->prepare("SELECT COUNT(*) FROM t");
    ASSERT_TRUE(s.ok() && *s->step());
    EXPECT_EQ(s->i64(0), rows);
  }
  again->reset();
  std::filesystem::remove_all(dir);
}

// A writer on a new WAL database with one table, t (k INTEGER); the folder goes with it.
struct TableWriter {
  std::string dir = make_temp_dir();
  sqlite::BlobFiles files{dir + "/blobs"};
  sqlite::BlobLog log{dir + "/blobs/log"};
  std::unique_ptr<sqlite::Writer> writer;
  Status open() {
    TG_ASSIGN(std::unique_ptr<sqlite::Db> d, sqlite::Db::open(dir + "/w.db", false));
    TG_TRY(d->exec("PRAGMA journal_mode = WAL; CREATE TABLE t (k INTEGER) STRICT"));
    writer = std::make_unique<sqlite::Writer>(std::move(d), &files, &log);
    return {};
  }
  ~TableWriter() {
    writer.reset();
    std::filesystem::remove_all(dir);
  }
};

// Whether an operation submitted now would share its commit's fsync (the body log pays only
// then): not while the writer waits for work or commits only kWithNext operations with nothing
// queued; yes while it commits a batch that syncs, or while operations wait for the next batch.
TEST(WriterSync, SharingMeansAnotherOperationsFsync) {
  TableWriter w;
  ASSERT_TRUE(w.open().ok());
  std::unique_ptr<sqlite::Writer>& writer = w.writer;
  EXPECT_FALSE(writer->sharing()) << "waiting for work";
  // An operation that holds the writer inside its batch until released.
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false;
  auto held = [&](sqlite::WriteCtx& ctx) -> Status {
    std::unique_lock lk(mu);
    inside = true;
    cv.notify_all();
    cv.wait(lk, [&] { return release; });
    inside = false;
    return ctx.db.run("INSERT INTO t VALUES (1)");
  };
  auto hold = [&](sqlite::Writer::Sync sync) {
    release = false;
    std::thread t([&, sync] { EXPECT_TRUE(writer->submit(held, sync).ok()); });
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return inside; });
    }
    return t;
  };
  auto let_go = [&](std::thread& t) {
    {
      std::lock_guard lk(mu);
      release = true;
    }
    cv.notify_all();
    t.join();
  };
  std::thread t = hold(sqlite::Writer::Sync::kWithNext);
  EXPECT_FALSE(writer->sharing()) << "a batch without an fsync, nothing queued";
  std::atomic<bool> done{false};
  writer->post([](sqlite::WriteCtx& ctx) { return ctx.db.run("INSERT INTO t VALUES (2)"); },
               [&](Status st) {
                 EXPECT_TRUE(st.ok());
                 done = true;
               });
  EXPECT_TRUE(writer->sharing()) << "an operation waits for the next batch";
  let_go(t);
  while (!done) std::this_thread::yield();
  t = hold(sqlite::Writer::Sync::kNow);
  EXPECT_TRUE(writer->sharing()) << "a batch that syncs";
  let_go(t);
}

// expect(): a writer waiting for work wakes ahead of the operation and stays up for it (or for
// kExpectUs); a busy writer is left alone. Operations before, within and after the window are
// committed, the lazy sync still happens, and closing the writer does not wait on the window.
TEST(WriterExpect, AWaitingWriterWakesAheadOfTheOperation) {
  TableWriter w;
  ASSERT_TRUE(w.open().ok());
  std::unique_ptr<sqlite::Writer>& writer = w.writer;
  auto insert = [](int k) {
    return [k](sqlite::WriteCtx& ctx) { return ctx.db.run("INSERT INTO t VALUES (?)", k); };
  };
  auto eventually = [](const std::function<bool()>& f) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!f() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return f();
  };
  ASSERT_TRUE(writer->submit(insert(1)).ok());
  // Idle: woken ahead, and the operation that follows is committed.
  ASSERT_TRUE(eventually([&] {
    writer->expect();
    return writer->woken_ahead() >= 1;
  }));
  ASSERT_TRUE(writer->submit(insert(2)).ok());
  // Expected but nothing came: after the window it waits again and takes the next one.
  const uint64_t ahead = writer->woken_ahead();
  writer->expect();
  std::this_thread::sleep_for(std::chrono::microseconds(3 * sqlite::Writer::kExpectUs));
  ASSERT_TRUE(writer->submit(insert(3)).ok());
  // A deferred commit, then a wake-up ahead: the writer still syncs it within kLazySyncMs and
  // then waits (a later expect() wakes it again).
  ASSERT_TRUE(writer->submit(insert(4), sqlite::Writer::Sync::kWithNext).ok());
  writer->expect();
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * sqlite::Writer::kLazySyncMs));
  EXPECT_TRUE(eventually([&] {
    writer->expect();
    return writer->woken_ahead() > ahead + 1;
  }));
  // Busy: an operation holds the writer inside its batch; expect() does not count.
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false;
  std::thread t([&] {
    EXPECT_TRUE(writer
                    ->submit([&](sqlite::WriteCtx& ctx) -> Status {
                      std::unique_lock lk(mu);
                      inside = true;
                      cv.notify_all();
                      cv.wait(lk, [&] { return release; });
                      return ctx.db.run("INSERT INTO t VALUES (5)");
                    })
                    .ok());
  });
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return inside; });
  }
  const uint64_t before = writer->woken_ahead();
  writer->expect();
  EXPECT_EQ(writer->woken_ahead(), before);
  {
    std::lock_guard lk(mu);
    release = true;
  }
  cv.notify_all();
  t.join();
  // Closing right after a wake-up ahead.
  writer->expect();
  const auto closing = std::chrono::steady_clock::now();
  writer.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - closing, std::chrono::seconds(1));
  auto again = sqlite::Db::open(w.dir + "/w.db", true);
  ASSERT_TRUE(again.ok());
  auto count = (*again)->prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok() && *count->step());
  EXPECT_EQ(count->i64(0), 5);
}

// Acknowledged means committed: a process killed with SIGKILL while delivering loses nothing it
// acknowledged. (Power loss additionally relies on synchronous=FULL; see README.md.)
TEST_F(GroupCommitTest, AcknowledgedWritesSurviveKill) {
  Account a = account("kill@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  store_.reset();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto s = open_sqlite_store(dir_);
    if (!s.ok()) ::_exit(2);
    // The 70,000-byte bodies go to the body log whatever the writer is doing.
    static_cast<sqlite::SqliteStore&>(**s).set_log_always(true);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          DeliveryTarget d{a.id, inbox.id, 0, {}, true};
          auto r = (*s)->deliver(sample_message(std::to_string(t) + "/" + std::to_string(i),
                                                (i % 5 == 0) ? 70000 : 300),
                                 sample_index("k"), {d}, 1);
          if (!r.ok()) ::_exit(3);
          uint32_t uid = (*r)[0].uid;
          if (::write(fds[1], &uid, sizeof uid) != sizeof uid) ::_exit(4);
        }
      });
    }
    for (auto& th : threads) th.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::set<uint32_t> acked;
  uint32_t uid = 0;
  while (acked.size() < 150 && ::read(fds[0], &uid, sizeof uid) == sizeof uid) acked.insert(uid);
  ::kill(pid, SIGKILL);
  while (::read(fds[0], &uid, sizeof uid) == sizeof uid) acked.insert(uid);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_GE(acked.size(), 150u);

  open();
  auto l = store_->list_messages(inbox.id);
  ASSERT_TRUE(l.ok());
  std::set<uint32_t> present;
  for (const auto& m : *l) {
    present.insert(m.uid);
    auto body = store_->read_blob(m.blob_id);
    ASSERT_TRUE(body.ok()) << "uid " << m.uid << ": " << body.error().message;
    EXPECT_EQ(static_cast<int64_t>(body->size()), m.size);
  }
  for (uint32_t u : acked) EXPECT_TRUE(present.count(u)) << "acknowledged uid " << u << " lost";
  // The start after the kill gave back what the log held for deliveries that never committed:
  // the segments take exactly the records that rows name.
  int64_t named = 0, logged = 0;
  for (const auto& m : *l) {
    if (m.size > static_cast<int64_t>(sqlite::kLogMin)) {
      ++logged;
      named += sqlite::BlobLog::footprint(m.size);
    }
  }
  EXPECT_GT(logged, 0);
  EXPECT_EQ(log_allocated(dir_ + "/blobs/log"), named);
}

}  // namespace
}  // namespace tegami::store::testing
