// Submission, sending limits and the outbound queue of the SQLite store.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <future>

#include "store/sqlite/blob_files.hpp"
#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

class QueueTest : public StoreTest {
 protected:
  QueuedMessage outbound(std::vector<std::string> rcpts) {
    QueuedMessage q;
    q.env_from = "alice@example.org";
    q.envid = "env1";
    q.ret = "HDRS";
    q.expires = 2000000000;
    for (auto& r : rcpts) {
      QueueRecipient x;
      x.address = r;
      x.domain = r.substr(r.find('@') + 1);
      x.notify = "FAILURE,DELAY";
      q.rcpts.push_back(x);
    }
    return q;
  }
  Result<SubmitResult> send(const Account& a, std::vector<std::string> remote, int64_t now,
                            std::optional<SendLimits> limits = std::nullopt,
                            std::vector<DeliveryTarget> local = {}) {
    Submission s;
    s.account_id = a.id;
    s.local = std::move(local);
    if (!remote.empty()) s.outbound = outbound(remote);
    s.recipients = static_cast<int64_t>(remote.size() + s.local.size());
    s.limits = limits;
    s.now = now;
    return store_->submit(sample_message("out"), sample_index("out"), s, now);
  }
};

TEST_F(QueueTest, SubmitQueuesAndDeliversLocallyInOneStep) {
  Account a = account("alice@example.org");
  Account b = account("bob@example.org");
  DeliveryTarget t = target(b, mailbox(b.id, "INBOX").id);
  auto r = send(a, {"x@remote.example", "Y@Other.example"}, 1000, std::nullopt, {t});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->delivered.size(), 1u);
  ASSERT_GT(r->queue_id(), 0);
  auto q = store_->queue_get(r->queue_id());
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->account_id, a.id);
  EXPECT_EQ(q->env_from, "alice@example.org");
  EXPECT_EQ(q->envid, "env1");
  ASSERT_EQ(q->rcpts.size(), 2u);
  EXPECT_EQ(q->rcpts[1].domain, "other.example");
  EXPECT_EQ(q->rcpts[0].state, RcptState::kPending);
  // The local copy and the queue share one blob.
  auto msgs = store_->list_messages(t.mailbox_id);
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ(msgs->at(0).blob_id, q->blob_id);
  auto raw = store_->read_blob(q->blob_id);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, sample_message("out"));
  // Survives a restart.
  reopen();
  auto all = store_->queue_list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).rcpts.size(), 2u);
}

// post_submit: the transaction of submit(), its result or refusal handed to the callback.
TEST_F(QueueTest, APostedSubmissionReportsThroughItsCallback) {
  Account a = account("alice@example.org");
  Account b = account("bob@example.org", 1000);
  auto post = [&](std::string raw, Submission s) {
    auto owned = std::make_shared<OwnedSubmission>();
    owned->raw = std::move(raw);
    owned->idx = sample_index("posted");
    owned->sub = std::move(s);
    owned->internal_date = 1000;
    std::promise<Result<SubmitResult>> p;
    std::future<Result<SubmitResult>> f = p.get_future();
    store_->post_submit(owned, [&p](Result<SubmitResult> r) { p.set_value(std::move(r)); });
    return f.get();
  };
  Submission s;
  s.account_id = a.id;
  s.outbound = outbound({"x@remote.example"});
  s.recipients = 1;
  s.now = 1000;
  s.limits = SendLimits{1, 10, 86400};
  // Larger than kInlineMax: the calling thread writes the body's file first.
  const std::string big = sample_message("big", sqlite::kInlineMax + 1000);
  auto r = post(big, s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->queued.has_value());
  auto q = store_->queue_get(r->queue_id());
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->rcpts.at(0).address, "x@remote.example");
  auto stored = store_->read_blob(q->blob_id);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(*stored, big);
  // The second message is over the daily limit of one: refused, nothing queued.
  r = post(sample_message("second"), s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kLimit);
  // A local copy over bob's quota refuses the whole submission.
  s.limits.reset();
  s.local = {target(b, mailbox(b.id, "INBOX").id)};
  s.recipients = 2;
  r = post(sample_message("local", 2000), s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kOverQuota);
  // No recipient at all.
  r = post(sample_message("nobody"), Submission{.account_id = a.id});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kInvalidData);
  auto all = store_->queue_list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  auto inbox = store_->list_messages(mailbox(b.id, "INBOX").id);
  ASSERT_TRUE(inbox.ok());
  EXPECT_TRUE(inbox->empty());
}

TEST_F(QueueTest, DueUpdateAndRemoval) {
  Account a = account("alice@example.org");
  auto r = send(a, {"x@remote.example", "y@remote.example"}, 1000);
  ASSERT_TRUE(r.ok());
  auto due = store_->queue_due(2000000000, 10, {});
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->messages.size(), 1u);
  EXPECT_EQ(due->ended.queue_id, 0) << "the walk reached the end";
  const auto& q = due->messages.at(0);
  // First recipient delivered, second deferred by an hour.
  int64_t later = q.rcpts[1].next_attempt + 3600;
  std::vector<RcptUpdate> u = {
      {q.rcpts[0].id, RcptState::kDelivered, 0, "250 2.0.0 ok", "mx.remote.example", 5},
      {q.rcpts[1].id, RcptState::kPending, later, "451 4.3.0 busy", "mx.remote.example", 5}};
  ASSERT_TRUE(store_->queue_update(q.id, u, false, {}).ok());
  auto next = store_->queue_next_due();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, later);
  auto none = store_->queue_due(later - 1, 10, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->messages.empty());
  auto got = store_->queue_get(q.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rcpts[0].state, RcptState::kDelivered);
  EXPECT_EQ(got->rcpts[1].attempts, 1);
  EXPECT_EQ(got->rcpts[1].last_reply, "451 4.3.0 busy");
  // A delivered recipient cannot be changed again.
  ASSERT_TRUE(
      store_->queue_update(q.id, {{q.rcpts[0].id, RcptState::kFailed, 0, "x", "", 6}}, false, {})
          .ok());
  EXPECT_EQ(store_->queue_get(q.id)->rcpts[0].state, RcptState::kDelivered);
  // retry makes it due now.
  ASSERT_TRUE(store_->queue_retry(q.id, 1234).ok());
  EXPECT_EQ(*store_->queue_next_due(), 1234);
  // The last failure bounces: the notice lands in the sender's INBOX, the entry goes away and so
  // does the blob (no message references it).
  Notice n;
  n.raw = sample_message("bounce");
  n.idx = sample_index("bounce");
  n.target = target(a, mailbox(a.id, "INBOX").id);
  n.target.enforce_quota = false;
  ASSERT_TRUE(store_
                  ->queue_update(q.id,
                                 {{q.rcpts[1].id, RcptState::kFailed, 0, "550 5.1.1 no", "mx", 7}},
                                 false, {n})
                  .ok());
  EXPECT_EQ(store_->queue_get(q.id).code(), Errc::kNotFound);
  EXPECT_EQ(*store_->queue_next_due(), 0);
  EXPECT_EQ(mailbox(a.id, "INBOX").messages, 1u);
  EXPECT_EQ(store_->read_blob(q.blob_id).code(), Errc::kNotFound);
}

// queue_due leaves out what the caller holds (a (message, domain) job, or a whole domain)
// before counting toward the limit: 500 messages in flight to one slow destination once took
// every place, and the messages behind them waited until that destination drained.
TEST_F(QueueTest, DueLeavesOutWhatTheCallerHolds) {
  Account a = account("alice@example.org");
  Id m1 = send(a, {"x@slow.example"}, 1000)->queue_id();
  Id m2 = send(a, {"y@slow.example", "y@other.example"}, 1000)->queue_id();
  Id m3 = send(a, {"z@third.example"}, 1000)->queue_id();
  ASSERT_TRUE(store_->queue_retry(m3, 100).ok());  // due first
  ASSERT_TRUE(store_->queue_retry(m1, 200).ok());
  ASSERT_TRUE(store_->queue_retry(m2, 300).ok());
  auto ids = [&](size_t limit, const QueueSkip& skip) {
    std::vector<Id> out;
    auto due = store_->queue_due(1000, limit, skip);
    EXPECT_TRUE(due.ok());
    if (due.ok())
      for (const auto& q : due->messages) out.push_back(q.id);
    return out;
  };
  EXPECT_EQ(ids(10, {}), (std::vector<Id>{m3, m1, m2}));
  EXPECT_EQ(ids(2, {}), (std::vector<Id>{m3, m1}));
  QueueSkip held;
  held.jobs = {{m3, "third.example"}, {m1, "slow.example"}, {m2, "slow.example"}};
  EXPECT_EQ(ids(1, held), (std::vector<Id>{m2}));  // for its other.example recipient
  QueueSkip busy;
  busy.domains = {"slow.example"};
  EXPECT_EQ(ids(10, busy), (std::vector<Id>{m3, m2}));
  busy.domains.insert("other.example");
  EXPECT_EQ(ids(10, busy), (std::vector<Id>{m3}));
  // A message comes with all its recipients, the skipped ones too.
  auto due = store_->queue_due(1000, 10, held);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->messages.size(), 1u);
  EXPECT_EQ(due->messages.at(0).rcpts.size(), 2u);
  EXPECT_TRUE(store_->queue_due(99, 10, {})->messages.empty());
}

// A page may begin where the previous full one ended (QueueDuePage::ended, QueueSkip::after),
// so that a burst of looks walks the due recipients once instead of stepping over everything
// the earlier looks took at each look; nothing behind the place is missed.
TEST_F(QueueTest, DuePagesGoOnWhereTheLastOneEnded) {
  Account a = account("alice@example.org");
  // m1: b.example due at 100, a.example at 300; m2 at 200; m3 (two domains) at 300; m4 at 400.
  Id m1 = send(a, {"x@a.example", "x@b.example"}, 1000)->queue_id();
  Id m2 = send(a, {"y@c.example"}, 1000)->queue_id();
  Id m3 = send(a, {"z@d.example", "z@e.example"}, 1000)->queue_id();
  Id m4 = send(a, {"w@f.example"}, 1000)->queue_id();
  ASSERT_TRUE(store_->queue_retry(m1, 300).ok());
  ASSERT_TRUE(store_->queue_retry(m2, 200).ok());
  ASSERT_TRUE(store_->queue_retry(m3, 300).ok());
  ASSERT_TRUE(store_->queue_retry(m4, 400).ok());
  auto q1 = *store_->queue_get(m1);
  ASSERT_TRUE(store_
                  ->queue_update(m1, {{q1.rcpts[1].id, RcptState::kPending, 100, "451", "mx", 0}},
                                 false, {})
                  .ok());
  auto page = [&](const QueueSkip& skip, std::vector<Id>* ids) {
    auto due = store_->queue_due(1000, 2, skip);
    EXPECT_TRUE(due.ok());
    ids->clear();
    if (!due.ok()) return QueueDuePlace{};
    for (const auto& q : due->messages) ids->push_back(q.id);
    return due->ended;
  };
  std::vector<Id> ids;
  QueueSkip skip;
  skip.after = page(skip, &ids);
  EXPECT_EQ(ids, (std::vector<Id>{m1, m2}));  // m1 at its b.example recipient (100)
  // The page ended at m2's only recipient.
  EXPECT_EQ(skip.after.queue_id, m2);
  EXPECT_EQ(skip.after.next_attempt, 200);
  EXPECT_EQ(skip.after.domain, "c.example");
  // The next page goes on from there: m1 again for its a.example recipient at 300 (the caller
  // holds both of m1's jobs after the first page, and says so), then m3 and m4; m3 came in at
  // its first recipient, and its second one (same time, later domain) was stepped over.
  skip.jobs = {{m1, "a.example"}, {m1, "b.example"}, {m2, "c.example"}};
  skip.after = page(skip, &ids);
  EXPECT_EQ(ids, (std::vector<Id>{m3, m4}));
  EXPECT_EQ(skip.after.queue_id, m4);
  EXPECT_EQ(skip.after.domain, "f.example");
  skip.jobs.insert({{m3, "d.example"}, {m3, "e.example"}, {m4, "f.example"}});
  EXPECT_EQ(page(skip, &ids).queue_id, 0);
  EXPECT_TRUE(ids.empty()) << "the end: the caller wraps around to the start";
  // From the start, with what the caller holds, nothing is left either; once m2's job ends
  // (its recipient still due), the start finds it behind the old place.
  skip.after = {};
  page(skip, &ids);
  EXPECT_TRUE(ids.empty());
  skip.jobs.erase({m2, "c.example"});
  EXPECT_EQ(page(skip, &ids).queue_id, 0) << "a page that is not full reached the end";
  EXPECT_EQ(ids, (std::vector<Id>{m2}));
  // A place is where the walk stopped, not a message's earliest recipient: from m2's place,
  // with nothing held, m1 comes in at its a.example recipient (300), the first after it.
  QueueSkip from_m2;
  from_m2.after = QueueDuePlace{200, m2, "c.example"};
  auto due = store_->queue_due(1000, 1, from_m2);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->messages.size(), 1u);
  EXPECT_EQ(due->messages[0].id, m1);
  EXPECT_EQ(due->ended.next_attempt, 300);
  EXPECT_EQ(due->ended.domain, "a.example");
}

// Each destination domain of a message is its own job, and every job works from the same
// snapshot without the delay mark: only the first queue_update that marks the message puts
// its delay notice in. A later one gives its notice's prepared content back (a file here).
TEST_F(QueueTest, ADelayNoticeGoesInOncePerMessage) {
  Account a = account("alice@example.org");
  auto r = send(a, {"x@one.example", "y@two.example"}, 1000);
  ASSERT_TRUE(r.ok());
  auto q = *store_->queue_get(r->queue_id());
  auto notice = [&](const std::string& raw) {
    Notice n;
    n.raw = raw;
    n.idx = sample_index("delay");
    n.target = target(a, mailbox(a.id, "INBOX").id);
    n.target.enforce_quota = false;
    n.delay = true;
    return n;
  };
  auto deferred = [&](size_t k) {
    return std::vector<RcptUpdate>{
        {q.rcpts[k].id, RcptState::kPending, 5000, "451 4.3.0 busy", "mx", 1001}};
  };
  ASSERT_TRUE(store_->queue_update(q.id, deferred(0), true, {notice(sample_message("d1"))}).ok());
  EXPECT_TRUE(store_->queue_get(q.id)->delay_notified);
  EXPECT_EQ(mailbox(a.id, "INBOX").messages, 1u);
  const std::string big = sample_message("d2", 300 * 1024);  // over kInlineMax: a file
  ASSERT_TRUE(store_->queue_update(q.id, deferred(1), true, {notice(big)}).ok());
  EXPECT_EQ(mailbox(a.id, "INBOX").messages, 1u) << "a second delay notice for one message";
  const std::string h = sqlite::sha256_hex(big);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/blobs/" + h.substr(0, 2) + "/" + h));
  // Other notices of that call still go in.
  Notice bounce = notice(sample_message("bounce"));
  bounce.delay = false;
  ASSERT_TRUE(store_
                  ->queue_update(q.id, {{q.rcpts[1].id, RcptState::kFailed, 0, "550", "mx", 1002}},
                                 true, {notice(sample_message("d3")), bounce})
                  .ok());
  EXPECT_EQ(mailbox(a.id, "INBOX").messages, 2u);
}

// A bounce composed for the sender's INBOX whose mailbox or account is gone by the time the
// outcome is written (the account deleted meanwhile): the outcome is recorded without it and
// the notice is named in the answer. It rolled the update back, and the runner wrote the same
// outcome again at every look until a restart.
TEST_F(QueueTest, ANoticeWhoseMailboxIsGoneIsDroppedAndTheOutcomeRecorded) {
  Account a = account("alice@example.org");
  auto r = send(a, {"x@remote.example", "y@remote.example"}, 1000);
  ASSERT_TRUE(r.ok());
  auto q = *store_->queue_get(r->queue_id());
  auto notice = [&](Id mailbox, const std::string& raw) {
    Notice n;
    n.raw = raw;
    n.idx = sample_index("bounce");
    n.target = target(a, mailbox);
    n.target.enforce_quota = false;
    return n;
  };
  // The first notice's mailbox does not exist; the second's does and gets it. A file-sized
  // content is given back.
  const std::string big = sample_message("gone", 300 * 1024);
  auto up = store_->queue_update(q.id, {{q.rcpts[0].id, RcptState::kFailed, 0, "550", "", 7}},
                                 false, {notice(999999, big), notice(0, sample_message("b1"))});
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_EQ(up->dropped.size(), 1u);
  EXPECT_EQ(up->dropped[0].index, 0u);
  EXPECT_FALSE(up->dropped[0].reason.empty());
  EXPECT_EQ(store_->queue_get(q.id)->rcpts[0].state, RcptState::kFailed);
  EXPECT_EQ(mailbox(a.id, "INBOX").messages, 1u);
  const std::string h = sqlite::sha256_hex(big);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/blobs/" + h.substr(0, 2) + "/" + h));

  // The account itself is deleted after the notices were composed for its INBOX (there is no
  // Store method for that yet: behind the store's back, with its foreign keys).
  Notice bounce = notice(mailbox(a.id, "INBOX").id, sample_message("b2"));
  Notice delay = notice(mailbox(a.id, "INBOX").id, sample_message("d1"));
  delay.delay = true;
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  const std::string del =
      "PRAGMA foreign_keys = ON; DELETE FROM accounts WHERE id = " + std::to_string(a.id);
  ASSERT_EQ(sqlite3_exec(db, del.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  open();
  // A delay notice with no mailbox does not mark the message: a later job may have one.
  up = store_->queue_update(
      q.id, {{q.rcpts[1].id, RcptState::kPending, 5000, "451 4.3.0 busy", "mx", 8}}, true, {delay});
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_EQ(up->dropped.size(), 1u);
  auto got = store_->queue_get(q.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->account_id, 0);  // the queue entry outlives its account
  EXPECT_FALSE(got->delay_notified);
  EXPECT_EQ(got->rcpts[1].attempts, 1);
  // The last recipient fails: recorded, the entry leaves the queue, the bounce has nowhere to go.
  up = store_->queue_update(q.id, {{q.rcpts[1].id, RcptState::kFailed, 0, "550", "", 9}}, false,
                            {bounce});
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_EQ(up->dropped.size(), 1u);
  EXPECT_EQ(store_->queue_get(q.id).code(), Errc::kNotFound);
}

// Any other failure of a notice (here a mailbox that has used up its UIDs; disk full would be
// another) rolls the whole update back, so that neither the outcome nor the notice is lost:
// the runner keeps the outcome and writes it again later.
TEST_F(QueueTest, ANoticeThatFailsOtherwiseRollsBackTheUpdate) {
  Account a = account("alice@example.org");
  auto r = send(a, {"x@remote.example"}, 1000);
  ASSERT_TRUE(r.ok());
  auto q = *store_->queue_get(r->queue_id());
  const Id inbox = mailbox(a.id, "INBOX").id;
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  const std::string sql =
      "UPDATE mailboxes SET uid_next = 4294967295 WHERE id = " + std::to_string(inbox);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  open();
  Notice n;
  n.raw = sample_message("bounce");
  n.idx = sample_index("bounce");
  n.target = target(a, inbox);
  n.target.enforce_quota = false;
  auto st = store_->queue_update(q.id, {{q.rcpts[0].id, RcptState::kFailed, 0, "550", "", 7}},
                                 false, {n});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Errc::kLimit);
  EXPECT_NE(st.code(), Errc::kNotFound);  // the message is there: the runner keeps the outcome
  EXPECT_EQ(store_->queue_get(q.id)->rcpts[0].state, RcptState::kPending);
  EXPECT_EQ(mailbox(a.id, "INBOX").messages, 0u);
}

// An update that fails gives back the prepared contents of its notices, also of those it did
// not reach: the file of a bounce for a message deleted meanwhile (kNotFound), and that of a
// notice after one that failed. They stayed on disk, named by no row, until a restart.
TEST_F(QueueTest, AFailedUpdateGivesItsNoticesContentsBack) {
  Account a = account("alice@example.org");
  const Id inbox = mailbox(a.id, "INBOX").id;
  auto notice = [&](Id box, const std::string& raw) {
    Notice n;
    n.raw = raw;
    n.idx = sample_index("bounce");
    n.target = target(a, box);
    n.target.enforce_quota = false;
    return n;
  };
  auto file_of = [&](const std::string& raw) {
    const std::string h = sqlite::sha256_hex(raw);
    return dir_ + "/blobs/" + h.substr(0, 2) + "/" + h;
  };
  // Deleted while its bounce was being composed.
  auto r = send(a, {"x@remote.example"}, 1000);
  ASSERT_TRUE(r.ok());
  auto q = *store_->queue_get(r->queue_id());
  ASSERT_TRUE(store_->queue_delete(q.id).ok());
  const std::string big1 = sample_message("deleted", 300 * 1024);
  auto up = store_->queue_update(q.id, {{q.rcpts[0].id, RcptState::kFailed, 0, "550", "", 7}},
                                 false, {notice(inbox, big1)});
  EXPECT_EQ(up.code(), Errc::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(file_of(big1)));

  // The first notice fails (its mailbox has used up its UIDs); the second is never reached.
  r = send(a, {"y@remote.example"}, 1000);
  ASSERT_TRUE(r.ok());
  q = *store_->queue_get(r->queue_id());
  auto created = store_->create_mailbox(a.id, "Other", "");
  ASSERT_TRUE(created.ok()) << created.error().message;
  const Id other = created->id;
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  const std::string sql =
      "UPDATE mailboxes SET uid_next = 4294967295 WHERE id = " + std::to_string(inbox);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  open();
  const std::string big2 = sample_message("unreached", 300 * 1024);
  up = store_->queue_update(q.id, {{q.rcpts[0].id, RcptState::kFailed, 0, "550", "", 7}}, false,
                            {notice(inbox, sample_message("b1")), notice(other, big2)});
  EXPECT_EQ(up.code(), Errc::kLimit);
  EXPECT_FALSE(std::filesystem::exists(file_of(big2)));
}

// A submission the sending limits refuse gives its prepared content back: an account over its
// limit left a file (or body-log record) behind at each try until a restart.
TEST_F(QueueTest, ARefusedSubmissionGivesItsContentBack) {
  Account a = account("alice@example.org");
  const std::string big = sample_message("refused", 300 * 1024);
  const std::string h = sqlite::sha256_hex(big);
  const std::string file = dir_ + "/blobs/" + h.substr(0, 2) + "/" + h;
  Submission s;
  s.account_id = a.id;
  s.outbound = outbound({"x@remote.example", "y@remote.example"});
  s.recipients = 2;
  s.limits = SendLimits{100, 1, 86400};  // more recipients than a whole day allows
  s.now = 1000;
  auto r = store_->submit(big, sample_index("refused"), s, 1000);
  EXPECT_EQ(r.code(), Errc::kTooBig);
  EXPECT_FALSE(std::filesystem::exists(file));
  s.limits = SendLimits{0, 0, 86400};
  ASSERT_TRUE(store_->set_send_suspended(a.id, true, "test", 1000).ok());
  r = store_->submit(big, sample_index("refused"), s, 1000);
  EXPECT_EQ(r.code(), Errc::kPerm);
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(QueueTest, DeleteAndMissing) {
  Account a = account("alice@example.org");
  auto r = send(a, {"x@remote.example"}, 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(store_->queue_delete(r->queue_id()).ok());
  EXPECT_EQ(store_->queue_delete(r->queue_id()).code(), Errc::kNotFound);
  EXPECT_EQ(store_->queue_retry(r->queue_id(), 1).code(), Errc::kNotFound);
  // An outcome for a message deleted while it was being delivered: kNotFound, which the runner
  // takes as "nothing to record".
  EXPECT_EQ(store_
                ->queue_update(r->queue_id(),
                               {{1, RcptState::kDelivered, 0, "250 ok", "mx.remote.example", 2}},
                               false, {})
                .code(),
            Errc::kNotFound);
  EXPECT_TRUE(store_->queue_list()->empty());
  Submission empty;
  empty.account_id = a.id;
  EXPECT_EQ(store_->submit("x", sample_index("x"), empty, 1).code(), Errc::kInvalidData);
}

// A message only queued is stored raw (no IMAP index, nothing to search); when the same content
// later lands in a mailbox (the client saves it in Sent), the shared blob gets its index.
TEST_F(QueueTest, QueueOnlySubmissionStoresTheRawMessageAlone) {
  Account a = account("alice@example.org");
  std::string big = sample_message("big", sqlite::kInlineMax + 1024);  // a file blob
  std::string mid = sample_message("mid", sqlite::kLogMin + 1024);     // in the body log
  log_always();
  for (const std::string& raw : {sample_message("out"), mid, big}) {
    Submission s;
    s.account_id = a.id;
    s.outbound = outbound({"x@remote.example"});
    s.recipients = 1;
    auto r = store_->submit(raw, sample_index("out"), s, 1000);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto q = store_->queue_get(r->queue_id());
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(*store_->read_blob(q->blob_id), raw);
    auto none = store_->read_index(q->blob_id);
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->envelope, "");
    EXPECT_EQ(none->search_body, "");
    Id sent = mailbox(a.id, "Sent Messages").id;
    auto d = store_->deliver(raw, sample_index("out"), {target(a, sent)}, 1000);
    ASSERT_TRUE(d.ok());
    auto msgs = store_->list_messages(sent);
    ASSERT_EQ(msgs->back().blob_id, q->blob_id) << "the content is stored once";
    auto idx = store_->read_index(q->blob_id);
    ASSERT_TRUE(idx.ok());
    EXPECT_EQ(idx->envelope, sample_index("out").envelope);
    EXPECT_EQ(idx->search_body, sample_index("out").search_body);
    // Delivered: the queue lets go, the Sent copy keeps the content.
    ASSERT_TRUE(store_->queue_delete(r->queue_id()).ok());
    EXPECT_EQ(*store_->read_blob(q->blob_id), raw);
  }
}

// Queue ids are never given out twice, even once the queue has been empty.
TEST_F(QueueTest, QueueIdsAreNotReused) {
  Account a = account("alice@example.org");
  Id first = send(a, {"x@r.example"}, 1000)->queue_id();
  ASSERT_TRUE(store_->queue_delete(first).ok());
  reopen();
  Id second = send(a, {"x@r.example"}, 1001)->queue_id();
  EXPECT_GT(second, first);
  EXPECT_EQ(store_->queue_get(second)->id, second);
}

TEST_F(QueueTest, RollingLimitsSurviveRestartAndNameTheResetTime) {
  Account a = account("alice@example.org");
  SendLimits l{3, 5, 100};
  ASSERT_TRUE(send(a, {"a@r.example", "b@r.example"}, 1000, l).ok());
  ASSERT_TRUE(send(a, {"c@r.example"}, 1010, l).ok());
  reopen();
  // 3 + 3 recipients > 5: refused; the first submission leaves the window at 1100.
  auto over = send(a, {"d@r.example", "e@r.example", "f@r.example"}, 1020, l);
  ASSERT_EQ(over.code(), Errc::kLimit);
  EXPECT_NE(over.error().message.find("5 recipients"), std::string::npos);
  EXPECT_NE(over.error().message.find("t=1100"), std::string::npos) << over.error().message;
  ASSERT_TRUE(send(a, {"d@r.example"}, 1020, l).ok());  // 3 messages now
  auto msgs = send(a, {"g@r.example"}, 1030, l);
  ASSERT_EQ(msgs.code(), Errc::kLimit);
  EXPECT_NE(msgs.error().message.find("3 messages"), std::string::npos);
  EXPECT_NE(msgs.error().message.find("t=1100"), std::string::npos) << msgs.error().message;
  // Nothing was stored for refused submissions.
  EXPECT_EQ(store_->queue_list()->size(), 3u);
  auto u = store_->send_usage(a.id, 1030, 100);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->messages, 3);
  EXPECT_EQ(u->recipients, 4);
  EXPECT_EQ(u->oldest, 1000);
  // After the window the first one no longer counts.
  ASSERT_TRUE(send(a, {"g@r.example"}, 1101, l).ok());
  // Refusals are counted for suspension; a suspended account cannot send at all.
  EXPECT_EQ(*store_->note_send_refusal(a.id, 1102, 100), 1);
  EXPECT_EQ(*store_->note_send_refusal(a.id, 1103, 100), 2);
  ASSERT_TRUE(*store_->set_send_suspended(a.id, true, "too many refused", 1));
  EXPECT_TRUE(store_->get_account(a.id)->send_suspended);
  // A second suspension (another session at the same moment) changes nothing: it says so.
  EXPECT_FALSE(*store_->set_send_suspended(a.id, true, "again", 1));
  EXPECT_EQ(store_->get_account(a.id)->send_suspended_reason, "too many refused");
  auto sus = send(a, {"h@r.example"}, 5000, l);
  ASSERT_EQ(sus.code(), Errc::kPerm);
  EXPECT_NE(sus.error().message.find("too many refused"), std::string::npos);
  ASSERT_TRUE(*store_->set_send_suspended(a.id, false, "", 2));
  EXPECT_FALSE(*store_->set_send_suspended(a.id, false, "", 2));
  EXPECT_TRUE(send(a, {"h@r.example"}, 5000, l).ok());
  EXPECT_EQ(store_->set_send_suspended(424242, true, "x", 3).code(), Errc::kNotFound);
}

// The counters are running totals: a window that starts after pruned rows, a clock that steps
// back, and rows written before the totals existed (schema 3) all count the same as a sum.
TEST_F(QueueTest, RollingCountersAreExactOverManyRowsAndOldData) {
  Account a = account("alice@example.org");
  Account b = account("bob@example.org");
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(send(a, {"x@r.example", "y@r.example"}, 1000 + i).ok());
  ASSERT_TRUE(send(b, {"x@r.example"}, 1100).ok());
  ASSERT_EQ(*store_->note_send_refusal(a.id, 1250, 1000), 1);
  auto u = store_->send_usage(a.id, 1299, 100);  // rows 1200..1299
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->messages, 100);
  EXPECT_EQ(u->recipients, 200);
  EXPECT_EQ(u->refusals, 1);
  EXPECT_EQ(u->oldest, 1200);
  EXPECT_EQ(store_->send_usage(b.id, 1299, 100)->messages, 0);
  EXPECT_EQ(store_->send_usage(b.id, 1299, 1000)->messages, 1);
  // A clock stepping back counts the row at the newest time seen.
  ASSERT_TRUE(send(a, {"z@r.example"}, 900).ok());
  EXPECT_EQ(store_->send_usage(a.id, 1299, 100)->messages, 101);
  // Rows older than a week are pruned at the next submission; what is left still adds up.
  ASSERT_TRUE(send(a, {"z@r.example"}, 1250 + 7 * 86400).ok());
  u = store_->send_usage(a.id, 1250 + 7 * 86400, 8 * 86400);
  EXPECT_EQ(u->messages, 52);  // 1250..1299, the one at "900" (kept as 1299) and this one
  EXPECT_EQ(u->refusals, 1);

  // Schema 3 had no totals (nor blobs.indexed, nor search_body_at of 5, nor the body log
  // columns of 6, nor accounts.send_allowed_since of 7): take them away, go back to version 3,
  // and migrate again.
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  for (const char* sql :
       {"ALTER TABLE send_log DROP COLUMN sum_messages",
        "ALTER TABLE send_log DROP COLUMN sum_recipients",
        "ALTER TABLE send_log DROP COLUMN sum_refusals", "ALTER TABLE blobs DROP COLUMN indexed",
        "ALTER TABLE blobs DROP COLUMN search_body_at", "DROP INDEX blobs_logged",
        "ALTER TABLE blobs DROP COLUMN log_segment", "ALTER TABLE blobs DROP COLUMN log_at",
        "DROP TABLE sequences", "ALTER TABLE accounts DROP COLUMN send_allowed_since",
        "ALTER TABLE accounts DROP COLUMN plan", "ALTER TABLE accounts DROP COLUMN send_warned_at",
        "PRAGMA user_version = 3"}) {
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  }
  sqlite3_close(db);
  open();
  u = store_->send_usage(a.id, 1250 + 7 * 86400, 8 * 86400);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->messages, 52);
  EXPECT_EQ(u->recipients, 2 * 50 + 2);
  EXPECT_EQ(u->refusals, 1);
  EXPECT_EQ(store_->send_usage(b.id, 1299, 1000)->messages, 1);
  ASSERT_TRUE(send(a, {"z@r.example"}, 1251 + 7 * 86400).ok());
  EXPECT_EQ(store_->send_usage(a.id, 1251 + 7 * 86400, 100)->messages, 2);
}

}  // namespace
}  // namespace tegami::store::testing
