// The queue runner against real SMTP over loopback: a second store served by Tegami's own SMTP
// server (the destination), a FakeResolver for routes, and destinations that are down or stall.
#include "queue/runner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "auth/authenticator.hpp"
#include "base/clock.hpp"
#include "dns/fake_resolver.hpp"
#include "imap/server/faulty_store.hpp"
#include "index/message_index.hpp"
#include "net/server.hpp"
#include "smtp/client/fake_server.hpp"
#include "smtp/server/server.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace tegami::queue {
namespace {

namespace asio = boost::asio;

template <class T>
T must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

std::string temp_dir() {
  std::string base = std::filesystem::temp_directory_path().string() + "/tegami-queue-XXXXXX";
  if (!::mkdtemp(base.data())) std::abort();
  return base;
}

const char* kMessage =
    "From: alice@a.test\r\nTo: bob@ok.test\r\nSubject: queued\r\nMessage-ID: <q1@a.test>\r\n"
    "\r\nHello over the queue.\r\n";

// mx.stall.test: accepts on 127.0.0.3 and never says a word, holding every connection open until
// it goes (so the runner's greeting timeout is what ends each attempt).
class Staller {
 public:
  explicit Staller(uint16_t port) : acceptor_(io_, {asio::ip::make_address("127.0.0.3"), port}) {
    accept_next();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Staller() {
    io_.stop();
    thread_.join();
  }
  int connected() const { return connected_.load(); }

 private:
  void accept_next() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      held_.push_back(std::move(s));
      ++connected_;
      accept_next();
    });
  }

  asio::io_context io_;  // first: the sockets go before it
  asio::ip::tcp::acceptor acceptor_;
  std::vector<asio::ip::tcp::socket> held_;
  std::atomic<int> connected_{0};
  std::thread thread_;
};

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    // The sender's side.
    a_ = must(store::open_sqlite_store(dir_ + "/a"));
    must(a_->add_domain("a.test"));
    alice_ = must(a_->add_account("alice@a.test", "$argon2id$x", 0));
    // The destination: ok.test served by our SMTP server on 127.0.0.1 and a free port.
    b_ = must(store::open_sqlite_store(dir_ + "/b"));
    must(b_->add_domain("ok.test"));
    bob_ = must(b_->add_account("bob@ok.test", "$argon2id$x", 0));
    auth_ = std::make_unique<auth::Authenticator>(*b_, auth::Policy{});
    ctx_.store = b_.get();
    ctx_.auth = auth_.get();
    ctx_.hub = &hub_;
    ctx_.mode = smtp::server::Mode::kMx;
    ctx_.hostname = "mx.ok.test";
    server_ = std::make_unique<net::Server>(nullptr, 1);
    const smtp::server::Context* ctx = &ctx_;
    net::ListenerSpec spec;
    spec.name = "smtp";
    spec.address = "127.0.0.1";
    spec.tls = net::TlsMode::kNone;
    spec.handler = [ctx](std::unique_ptr<net::Stream> s) {
      return smtp::server::serve(std::move(s), *ctx);
    };
    port_ = must(server_->listen(std::move(spec)));
    server_thread_ = std::thread([this] { server_->run(); });

    dns_.add_mx("ok.test", 10, "mx.ok.test");
    dns_.add_a("mx.ok.test", "127.0.0.1");
    dns_.add_mx("down.test", 10, "mx.down.test");
    dns_.add_a("mx.down.test", "127.0.0.2");  // nothing listens there: refused
    dns_.add_mx("stall.test", 10, "mx.stall.test");
    dns_.add_a("mx.stall.test", "127.0.0.3");
    dns_.add_mx("nullmx.test", 0, ".");
    dns_.add_mx("nomx.test", 10, "mx.nomx.test");  // MX host without an address
    dns_.set_failure("tempfail.test", dns::RrType::kMx, Errc::kTemporary);

    opts_.hostname = "mail.a.test";
    opts_.port = port_;
    opts_.retry_first = 1;
    opts_.retry_max = 2;
    opts_.command_timeout = std::chrono::seconds(2);
    opts_.final_timeout = std::chrono::seconds(2);
    opts_.connect_timeout = std::chrono::seconds(2);
    opts_.idle_poll = std::chrono::milliseconds(200);
    opts_.mta_sts = false;
  }

  void TearDown() override {
    stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server_->halt();
    server_thread_.join();
    server_.reset();
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start() { start(*a_); }
  // A runner on `st` (a FaultyStore over a_ in some tests): stop() it before `st` goes.
  void start(store::Store& st) {
    runner_ = std::make_unique<Runner>(io_, st, nullptr, dns_, opts_);
    runner_->start();
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    if (runner_) runner_->stop();
    if (io_thread_.joinable()) {
      work_.reset();
      io_.stop();
      io_thread_.join();
    }
    runner_.reset();
  }

  // Queues kMessage from alice to `rcpts`, expiring after `lifetime` seconds.
  store::Id enqueue(std::vector<std::string> rcpts, int64_t lifetime = 3600,
                    std::string notify = "", std::string from = "alice@a.test") {
    return submit(std::move(rcpts), kMessage, lifetime, std::move(notify), std::move(from)).id;
  }
  // Queues `raw`; returns the queue entry as the store's submit hands it over.
  store::QueuedMessage submit(std::vector<std::string> rcpts, const std::string& raw,
                              int64_t lifetime = 3600, std::string notify = "",
                              std::string from = "alice@a.test") {
    store::Submission s;
    s.account_id = alice_.id;
    store::QueuedMessage q;
    q.env_from = from;
    q.expires = system_clock().now_unix() + lifetime;
    for (auto& r : rcpts) {
      store::QueueRecipient x;
      x.address = r;
      x.domain = r.substr(r.find('@') + 1);
      x.notify = notify;
      q.rcpts.push_back(x);
    }
    s.outbound = q;
    s.recipients = static_cast<int64_t>(rcpts.size());
    return *must(a_->submit(raw, index::build(raw), s, system_clock().now_unix())).queued;
  }

  std::vector<std::string> inbox(store::Store& st, const store::Account& acct) {
    auto mb = must(st.get_mailbox(acct.id, "INBOX"));
    std::vector<std::string> out;
    for (const auto& m : must(st.list_messages(mb.id)))
      out.push_back(must(st.read_blob(m.blob_id)));
    return out;
  }

  // Waits until `pred` holds (polling), at most `secs`.
  template <class P>
  bool eventually(P pred, double secs = 10) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(int(secs * 1000));
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  }

  // Routes one.test to mx.one.test (127.0.0.5), its only MX, and nothing else anywhere.
  void only_mx_one_test() {
    dns_.clear();
    dns_.add_mx("one.test", 10, "mx.one.test");
    dns_.add_a("mx.one.test", "127.0.0.5");
  }

  // mx.one.test, the only MX of one.test: a server that takes a single connection and counts
  // the messages it accepts.
  std::function<void(smtp::client::testing::Peer&)> one_connection_mx(std::atomic<int>* messages) {
    only_mx_one_test();
    return [messages](smtp::client::testing::Peer& p) {
      p.send("220 mx.one.test ESMTP\r\n");
      for (;;) {
        std::string l = p.line();
        if (p.closed()) return;
        if (l.rfind("EHLO", 0) == 0) {
          p.send("250 mx.one.test\r\n");
        } else if (l == "DATA") {
          p.send("354 go\r\n");
          p.data();
          ++*messages;
          p.send("250 ok\r\n");
        } else if (l == "QUIT") {
          p.send("221 bye\r\n");
          return;
        } else {
          p.send("250 ok\r\n");
        }
      }
    };
  }

  std::string dir_;
  std::unique_ptr<store::Store> a_, b_;
  store::Account alice_, bob_;
  std::unique_ptr<auth::Authenticator> auth_;
  store::ChangeHub hub_;
  smtp::server::Context ctx_;
  std::unique_ptr<net::Server> server_;
  std::thread server_thread_;
  uint16_t port_ = 0;
  dns::FakeResolver dns_;
  RunnerOptions opts_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
  std::unique_ptr<Runner> runner_;
};

TEST(RetryDelay, Grows) {
  EXPECT_EQ(retry_delay(1, 300, 14400), 300);
  EXPECT_EQ(retry_delay(2, 300, 14400), 600);
  EXPECT_EQ(retry_delay(5, 300, 14400), 4800);
  EXPECT_EQ(retry_delay(7, 300, 14400), 14400);
  EXPECT_EQ(retry_delay(60, 300, 14400), 14400);
}

TEST_F(RunnerTest, DeliversOverOneConnectionAndEmptiesTheQueue) {
  for (int i = 0; i < 3; ++i) enqueue({"bob@ok.test", "BOB+tag@ok.test"});
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); })) << "queue not empty";
  auto got = inbox(*b_, bob_);
  ASSERT_EQ(got.size(), 3u);  // one copy per message: both addresses are bob
  EXPECT_NE(got[0].find("Hello over the queue."), std::string::npos);
  EXPECT_NE(got[0].find("Received: from mail.a.test"), std::string::npos) << got[0];
  EXPECT_TRUE(inbox(*a_, alice_).empty());  // no bounce
}

// A message just queued is sent at once (queued()), without waiting for the next
// look at the whole queue; wake() (tegami queue retry) still looks at everything.
TEST_F(RunnerTest, QueuedMessagesGoAtOnceWithoutAScan) {
  opts_.idle_poll = std::chrono::seconds(60);
  start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first scan found nothing
  for (int i = 0; i < 3; ++i) runner_->queued(submit({"bob@ok.test"}, kMessage), nullptr);
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }, 5));
  EXPECT_EQ(inbox(*b_, bob_).size(), 3u);
  // Queued without telling the runner: found only by a full look.
  enqueue({"bob@ok.test"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(must(a_->queue_list()).size(), 1u) << "no scan before the poll interval";
  runner_->wake();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }, 5));
  EXPECT_EQ(inbox(*b_, bob_).size(), 4u);
}

// A submission hands the runner the queue entry and the bytes: they go out as handed over, and
// the outcome is recorded; a message too large to hold in memory is read from the store.
TEST_F(RunnerTest, HandedOverMessagesGoAsGiven) {
  opts_.idle_poll = std::chrono::seconds(60);
  start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first scan found nothing
  std::string small = kMessage;
  std::string large = std::string("From: alice@a.test\r\nSubject: large\r\n\r\n") +
                      std::string(300 * 1024, 'x') + "\r\n";
  for (int i = 0; i < 3; ++i) {
    store::QueuedMessage m = submit({"bob@ok.test"}, small);
    runner_->queued(m, std::make_shared<const std::string>(small));
  }
  store::QueuedMessage big = submit({"bob@ok.test"}, large);
  runner_->queued(big, std::make_shared<const std::string>(large));
  store::QueuedMessage bare = submit({"bob@ok.test"}, small);
  runner_->queued(bare, nullptr);
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }, 5));
  auto got = inbox(*b_, bob_);
  ASSERT_EQ(got.size(), 5u);
  int smalls = 0, larges = 0;
  for (const auto& m : got) {
    if (m.find("Hello over the queue.") != std::string::npos) ++smalls;
    if (m.find(std::string(300 * 1024, 'x')) != std::string::npos) ++larges;
  }
  EXPECT_EQ(smalls, 4);
  EXPECT_EQ(larges, 1);
  EXPECT_TRUE(inbox(*a_, alice_).empty());  // no bounce
}

// Handed-over bytes go back to the budget once each message is sent: one message after another,
// none is read back from the store (the count once wrapped around after the first message,
// and every later one was read back).
TEST_F(RunnerTest, HandedOverBytesAreHeldMessageAfterMessage) {
  imap::server::testing::FaultyStore counted(*a_);
  opts_.idle_poll = std::chrono::seconds(60);
  start(counted);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first scan found nothing
  for (size_t i = 1; i <= 4; ++i) {
    store::QueuedMessage m = submit({"bob@ok.test"}, kMessage);
    runner_->queued(m, std::make_shared<const std::string>(kMessage));
    ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }, 5)) << i;
    EXPECT_EQ(inbox(*b_, bob_).size(), i);
  }
  EXPECT_EQ(counted.calls("read_blob"), 0);
  stop();  // before `counted` goes
}

// New messages arriving more often than a retry's delay do not keep pushing the retry back.
TEST_F(RunnerTest, RetriesAreNotStarvedByAStreamOfNewMessages) {
  opts_.idle_poll = std::chrono::seconds(60);  // the retry's due time sets the next full look
  store::Id down = enqueue({"x@down.test"}, 3600);
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_get(down)).rcpts[0].attempts >= 1; }, 5));
  // retry_first = 1 s: the second attempt is due a second later, while a new message is
  // queued every 250 ms.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  bool retried = false;
  while (std::chrono::steady_clock::now() < until && !retried) {
    runner_->queued(submit({"bob@ok.test"}, kMessage), nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    retried = must(a_->queue_get(down)).rcpts[0].attempts >= 2;
  }
  EXPECT_TRUE(retried) << "the retry waited behind the new messages";
}

// The store refuses to record a delivery: the runner keeps the outcome and records it later,
// and the message is not sent a second time meanwhile.
TEST_F(RunnerTest, AnOutcomeTheStoreRefusedIsRecordedLaterNotResent) {
  imap::server::testing::FaultyStore faulty(*a_);
  faulty.fail("queue_update");
  start(faulty);
  store::Id id = submit({"bob@ok.test"}, kMessage).id;
  runner_->queued(must(a_->queue_get(id)), nullptr);
  ASSERT_TRUE(eventually([&] { return faulty.calls("queue_update") >= 2; }, 5));
  // Several scans (idle_poll 200 ms) have passed: delivered once, still queued in the store.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(inbox(*b_, bob_).size(), 1u) << "sent again while its outcome was not recorded";
  EXPECT_EQ(must(a_->queue_list()).size(), 1u);
  faulty.fail("");
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }, 5));
  EXPECT_EQ(inbox(*b_, bob_).size(), 1u);
  stop();  // before `faulty` goes
}

// A message deleted (`tegami queue delete`) while it is being delivered: its outcome finds
// nothing to update and is dropped. It was kept as unrecorded and written again at every full
// look (every 200 ms here), forever.
TEST_F(RunnerTest, AnOutcomeForAMessageDeletedMeanwhileIsDropped) {
  Staller staller(port_);
  imap::server::testing::FaultyStore faulty(*a_);
  start(faulty);
  store::Id id = enqueue({"x@stall.test"});
  store::Id other = enqueue({"bob@ok.test"});
  runner_->wake();
  ASSERT_TRUE(eventually([&] { return staller.connected() > 0; }, 5));  // awaiting a greeting
  ASSERT_TRUE(a_->queue_delete(id).ok());
  // The greeting times out after 2 s: one outcome for the deleted message, one for `other`.
  ASSERT_TRUE(eventually([&] { return faulty.calls("queue_update") >= 2; }, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(faulty.calls("queue_update"), 2) << "the outcome of a deleted message written again";
  EXPECT_FALSE(a_->queue_get(other).ok());  // delivered
  // The runner goes before `faulty` and the staller do.
  stop();
}

// Composing a bounce throws: the outcome is still recorded, without it, and the message leaves
// the queue. It stayed in flight, unrecorded, until the next restart.
TEST_F(RunnerTest, AnOutcomeWhoseNoticeThrowsIsRecordedAnyway) {
  imap::server::testing::FaultyStore faulty(*a_);
  faulty.throw_instead = true;
  faulty.fail("get_mailbox");  // add_notices looks up the sender's INBOX
  start(faulty);
  store::Id id = enqueue({"nobody@ok.test"});  // 550 5.1.1 from our MX: a bounce is due
  runner_->wake();
  ASSERT_TRUE(eventually([&] { return !a_->queue_get(id).ok(); }, 5)) << "still in flight";
  EXPECT_EQ(faulty.calls("queue_update"), 1);
  stop();  // before `faulty` goes
}

// The sender's account is deleted after its bounce was composed and before the outcome is
// written: the outcome is recorded without the bounce (logged as queue_notice_dropped) and the
// message leaves the queue. The store refused the whole update, and the runner wrote the same
// outcome again at every full look until a restart.
TEST_F(RunnerTest, ABounceWhoseMailboxIsGoneIsDroppedAndTheOutcomeRecorded) {
  imap::server::testing::FaultyStore faulty(*a_);
  std::atomic<bool> deleted{false};
  const std::string db_path = dir_ + "/a/tegami.db";
  const store::Id account = alice_.id;
  // No Store method deletes an account yet: behind the store's back, with its foreign keys.
  faulty.before_call = [&deleted, db_path, account](const std::string& method) {
    if (method != "queue_update" || deleted.exchange(true)) return;
    sqlite3* db = nullptr;
    if (sqlite3_open(db_path.c_str(), &db) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      const std::string sql =
          "PRAGMA foreign_keys = ON; DELETE FROM accounts WHERE id = " + std::to_string(account);
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        ADD_FAILURE() << "cannot delete the account: " << sqlite3_errmsg(db);
    }
    sqlite3_close(db);
  };
  start(faulty);
  store::Id id = enqueue({"nobody@ok.test"});  // 550 5.1.1 from our MX: a bounce is due
  ::testing::internal::CaptureStderr();
  runner_->wake();
  const bool gone = eventually([&] { return !a_->queue_get(id).ok(); }, 5);
  // Several full looks (idle_poll 200 ms): the outcome is not written again.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const int updates = faulty.calls("queue_update");
  stop();  // before `faulty` goes
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(gone) << "the outcome was not recorded";
  EXPECT_EQ(updates, 1);
  EXPECT_NE(log.find("queue_notice_dropped"), std::string::npos) << log;
  EXPECT_NE(log.find("notice=failure"), std::string::npos) << log;
  EXPECT_EQ(log.find("queue_update_failed"), std::string::npos) << log;
}

TEST_F(RunnerTest, NotifySuccessToAServerWithoutDsnGetsARelayedReport) {
  // Our MX does not offer DSN, so the queue reports "relayed" itself (RFC 3461 §6.2).
  enqueue({"bob@ok.test"}, 3600, "SUCCESS,FAILURE");
  enqueue({"bob@ok.test"}, 3600, "FAILURE");
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }));
  EXPECT_EQ(inbox(*b_, bob_).size(), 2u);
  auto reports = inbox(*a_, alice_);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("Action: relayed"), std::string::npos) << reports[0];
  EXPECT_NE(reports[0].find("Status: 2.0.0"), std::string::npos) << reports[0];
}

TEST_F(RunnerTest, PermanentFailuresBounceOnceAndOthersStillGo) {
  enqueue({"nobody@ok.test", "bob@ok.test"});
  enqueue({"x@nullmx.test"});
  enqueue({"x@nxdomain.test"});
  enqueue({"never@ok.test"}, 3600, "NEVER");
  enqueue({"null@ok.test"}, 3600, "", "");  // a bounce is never bounced
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }));
  EXPECT_EQ(inbox(*b_, bob_).size(), 1u);
  auto bounces = inbox(*a_, alice_);
  ASSERT_EQ(bounces.size(), 3u);
  std::string all = bounces[0] + bounces[1] + bounces[2];
  EXPECT_NE(all.find("Final-Recipient: rfc822; nobody@ok.test"), std::string::npos);
  EXPECT_NE(all.find("Status: 5.1.1"), std::string::npos);
  EXPECT_NE(all.find("Remote-MTA: dns; mx.ok.test"), std::string::npos);
  EXPECT_NE(all.find("Status: 5.1.10"), std::string::npos);
  EXPECT_NE(all.find("Status: 5.1.2"), std::string::npos);
  EXPECT_EQ(all.find("never@ok.test"), std::string::npos);
  EXPECT_EQ(all.find("Final-Recipient: rfc822; bob@ok.test"), std::string::npos);
}

// A multi-line refusal reaches the bounce whole (only its first line did).
TEST_F(RunnerTest, ABounceQuotesEveryLineOfTheReply) {
  only_mx_one_test();
  smtp::client::testing::FakeServer mx(
      [](smtp::client::testing::Peer& p) {
        p.send("220 mx.one.test ESMTP\r\n");
        p.line();  // EHLO
        p.send("250 mx.one.test\r\n");
        p.line();  // MAIL
        p.send("250 ok\r\n");
        p.line();  // RCPT
        p.send(
            "550-5.7.1 LINE-ONE refused\r\n550-5.7.1 LINE-TWO see the policy\r\n"
            "550 5.7.1 LINE-THREE at https://mx.one.test/why\r\n");
        if (p.line() == "RSET") p.send("250 ok\r\n");
        if (p.line() == "QUIT") p.send("221 bye\r\n");
      },
      "127.0.0.5", port_);
  store::Id id = enqueue({"x@one.test"});
  start();
  ASSERT_TRUE(eventually([&] { return !a_->queue_get(id).ok(); }));
  auto bounces = inbox(*a_, alice_);
  ASSERT_EQ(bounces.size(), 1u);
  for (const char* part : {"LINE-ONE", "LINE-TWO", "LINE-THREE"})
    EXPECT_NE(bounces[0].find(part), std::string::npos) << part << " missing:\n" << bounces[0];
}

TEST_F(RunnerTest, TemporaryFailuresRetryWithGrowingDelaysThenExpireWithOneDelayNotice) {
  opts_.delay_notice_after = 0;
  // Read before the message is queued: read after, it may be a second later than the time the
  // queue counts the 5 s from (the test then failed when the two fell in different seconds).
  int64_t queued = system_clock().now_unix();
  store::Id id = enqueue({"x@down.test"}, 5);
  start();
  // Attempts at about 0, 1, 3 s (delays 1, 2, 2...).
  ASSERT_TRUE(eventually([&] {
    auto q = a_->queue_get(id);
    return q.ok() && q->rcpts[0].attempts >= 2;
  }));
  auto q = must(a_->queue_get(id));
  EXPECT_TRUE(q.delay_notified);
  EXPECT_NE(q.rcpts[0].last_reply.find("127.0.0.2"), std::string::npos) << q.rcpts[0].last_reply;
  EXPECT_GT(q.rcpts[0].next_attempt, q.rcpts[0].last_attempt);
  ASSERT_TRUE(eventually([&] { return !a_->queue_get(id).ok(); }, 15)) << "never expired";
  EXPECT_GE(system_clock().now_unix(), queued + 5);
  auto notices = inbox(*a_, alice_);
  ASSERT_EQ(notices.size(), 2u);  // one delay notice, then the failure
  EXPECT_NE(notices[0].find("Action: delayed"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("Will-Retry-Until:"), std::string::npos);
  EXPECT_NE(notices[1].find("Action: failed"), std::string::npos);
  EXPECT_NE(notices[1].find("Status: 4.4.7"), std::string::npos) << notices[1];
}

// One message to two destinations that are both down: two jobs, each deferred, each from a
// snapshot without the delay mark; one delay notice between them (there were two).
TEST_F(RunnerTest, OneDelayNoticePerMessageWhateverItsDestinations) {
  opts_.delay_notice_after = 0;
  dns_.add_mx("down2.test", 10, "mx.down2.test");
  dns_.add_a("mx.down2.test", "127.0.0.2");
  store::Id id = enqueue({"x@down.test", "y@down2.test"});
  start();
  ASSERT_TRUE(eventually([&] {
    auto q = must(a_->queue_get(id));
    return q.rcpts[0].attempts >= 1 && q.rcpts[1].attempts >= 1;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a late second notice
  auto notices = inbox(*a_, alice_);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("Action: delayed"), std::string::npos) << notices[0];
  // It names both recipients, the other job's too.
  EXPECT_NE(notices[0].find("x@down.test"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("y@down2.test"), std::string::npos) << notices[0];
  EXPECT_TRUE(must(a_->queue_get(id)).delay_notified);
}

TEST_F(RunnerTest, DnsTroubleAndAddresslessMxAreTemporary) {
  store::Id t = enqueue({"x@tempfail.test"});
  store::Id n = enqueue({"x@nomx.test"});
  start();
  ASSERT_TRUE(eventually([&] {
    return must(a_->queue_get(t)).rcpts[0].attempts >= 1 &&
           must(a_->queue_get(n)).rcpts[0].attempts >= 1;
  }));
  EXPECT_NE(must(a_->queue_get(t)).rcpts[0].last_reply.find("DNS"), std::string::npos);
  EXPECT_NE(must(a_->queue_get(n)).rcpts[0].last_reply.find("no address"), std::string::npos);
  EXPECT_TRUE(inbox(*a_, alice_).empty());
}

TEST_F(RunnerTest, AStallingServerDoesNotHoldUpOtherDestinations) {
  Staller staller(port_);
  store::Id stalled = enqueue({"x@stall.test"});
  auto t0 = std::chrono::steady_clock::now();
  enqueue({"bob@ok.test"});
  start();
  ASSERT_TRUE(eventually([&] { return inbox(*b_, bob_).size() == 1; }, 5));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // The stalled one times out (2 s) and stays queued for a retry.
  ASSERT_TRUE(eventually([&] { return must(a_->queue_get(stalled)).rcpts[0].attempts >= 1; }));
  auto q = must(a_->queue_get(stalled));
  EXPECT_EQ(q.rcpts[0].state, store::RcptState::kPending);
  EXPECT_FALSE(q.rcpts[0].last_reply.empty());
}

// A backlog to one slow destination larger than a look's page does not hold up a message to
// another: the page (small here, 500 by default) was filled by the backlog's jobs already in
// flight at every look, so ok.test waited until stall.test had drained.
TEST_F(RunnerTest, ABacklogToOneDestinationDoesNotHoldUpOthers) {
  Staller staller(port_);
  opts_.due_page = 5;
  opts_.idle_poll = std::chrono::seconds(60);  // no timer look helps: only the first look
  opts_.command_timeout = std::chrono::seconds(4);
  for (int i = 0; i < 12; ++i) enqueue({"x" + std::to_string(i) + "@stall.test"});
  enqueue({"bob@ok.test"});
  auto t0 = std::chrono::steady_clock::now();
  start();
  ASSERT_TRUE(eventually([&] { return inbox(*b_, bob_).size() == 1; }, 5));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  stop();  // before the staller goes
}

// A backlog of many destinations, several pages long (as after a restart): one burst of looks
// gives every destination its job, each look going on where the last full page ended and the
// burst wrapping around to the start at the end.
TEST_F(RunnerTest, ABurstOfLooksReachesEveryDestinationOfABacklog) {
  Staller staller(port_);
  opts_.due_page = 5;
  opts_.idle_poll = std::chrono::seconds(60);  // no timer look helps: only the first burst
  // Far beyond the test (about 0.3 s): no stalled job ends, and so adds a look, on a slow machine.
  opts_.command_timeout = std::chrono::seconds(10);
  for (int i = 0; i < 12; ++i) {
    const std::string d = "s" + std::to_string(i) + ".stall.test";
    dns_.add_mx(d, 10, "mx.stall.test");
    enqueue({"x@" + d});
  }
  enqueue({"bob@ok.test"});
  imap::server::testing::FaultyStore counted(*a_);
  start(counted);
  ASSERT_TRUE(eventually([&] { return inbox(*b_, bob_).size() == 1; }, 3));
  EXPECT_TRUE(eventually([&] { return staller.connected() >= 12; }, 3)) << staller.connected();
  // Pages of 5, 5 and 3 messages, then the wrap finds nothing new.
  EXPECT_EQ(counted.calls("queue_due"), 4);
  stop();  // before the staller and `counted` go
}

// ok.test's first MX misbehaves; the message must reach the second one, once.
void first_mx_misbehaves(dns::FakeResolver& dns) {
  dns.clear();
  dns.add_mx("ok.test", 10, "bad.ok.test");
  dns.add_a("bad.ok.test", "127.0.0.4");
  dns.add_mx("ok.test", 20, "mx.ok.test");
  dns.add_a("mx.ok.test", "127.0.0.1");
}

TEST_F(RunnerTest, ADropInTheMiddleOfDataGoesToTheNextMxAndLosesNothing) {
  first_mx_misbehaves(dns_);
  smtp::client::testing::FakeServer bad(
      [](smtp::client::testing::Peer& p) {
        p.send("220 bad.ok.test ESMTP\r\n");
        p.line();  // EHLO
        p.send("250 bad.ok.test\r\n");
        for (int i = 0; i < 2; ++i) {  // MAIL, RCPT
          p.line();
          p.send("250 ok\r\n");
        }
        p.line();  // DATA
        p.send("354 go\r\n");
        p.read_some_bytes(10);  // then hang up mid-content
      },
      "127.0.0.4", port_);
  enqueue({"bob@ok.test"});
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }));
  auto lines = bad.join();
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[3], "DATA");
  EXPECT_EQ(inbox(*b_, bob_).size(), 1u);
  EXPECT_TRUE(inbox(*a_, alice_).empty());
}

TEST_F(RunnerTest, AnEndlessReplyGoesToTheNextMx) {
  first_mx_misbehaves(dns_);
  smtp::client::testing::FakeServer bad(
      [](smtp::client::testing::Peer& p) {
        // A greeting that never ends (bounded here: the client hangs up first).
        for (int i = 0; i < 100000; ++i)
          if (!p.send("220-and more and more and more and more and more\r\n")) break;
      },
      "127.0.0.4", port_);
  enqueue({"bob@ok.test"});
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }));
  bad.join();
  EXPECT_EQ(inbox(*b_, bob_).size(), 1u);
}

// A pipelining server that answers DATA with 250 never got the content: the recipient stays
// queued for a retry, neither recorded as delivered nor bounced.
TEST_F(RunnerTest, A250ToDataIsNotADelivery) {
  only_mx_one_test();
  smtp::client::testing::FakeServer mx(
      [](smtp::client::testing::Peer& p) {
        p.send("220 mx.one.test ESMTP\r\n");
        p.line();  // EHLO
        p.send("250-mx.one.test\r\n250 PIPELINING\r\n");
        for (int i = 0; i < 3; ++i) p.line();  // MAIL, RCPT, DATA
        p.send("250 ok\r\n250 ok\r\n250 ok\r\n");
        p.wait_close();
      },
      "127.0.0.5", port_);
  store::Id id = enqueue({"x@one.test"});
  start();
  ASSERT_TRUE(eventually([&] {
    auto q = a_->queue_get(id);
    return !q.ok() || q->rcpts[0].attempts >= 1;
  }));
  auto q = a_->queue_get(id);
  ASSERT_TRUE(q.ok()) << "the message left the queue although its content was never sent";
  EXPECT_EQ(q->rcpts[0].state, store::RcptState::kPending);
  EXPECT_TRUE(inbox(*a_, alice_).empty());
  EXPECT_THAT(mx.join(), ::testing::Not(::testing::Contains(::testing::StartsWith("<data"))));
}

TEST_F(RunnerTest, OneConnectionCarriesBatchAfterBatch) {
  // The only MX accepts one connection: more than one batch (50 messages) must share it.
  std::atomic<int> messages{0};
  smtp::client::testing::FakeServer one(one_connection_mx(&messages), "127.0.0.5", port_);
  for (int i = 0; i < 60; ++i) enqueue({"x@one.test"});
  opts_.max_per_domain = 1;
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }, 20));
  one.join();
  EXPECT_EQ(messages.load(), 60);
  EXPECT_TRUE(inbox(*a_, alice_).empty());
}

// Messages that come one at a time to the same destination share a connection: the worker keeps
// it open, idle, for `linger` (the MX here accepts only one connection).
TEST_F(RunnerTest, AnIdleConnectionWaitsForTheNextMessage) {
  std::atomic<int> messages{0};
  smtp::client::testing::FakeServer one(one_connection_mx(&messages), "127.0.0.5", port_);
  opts_.linger = std::chrono::seconds(3);
  opts_.idle_poll = std::chrono::seconds(60);
  start();
  for (int i = 1; i <= 3; ++i) {
    runner_->queued(submit({"x@one.test"}, kMessage), nullptr);
    ASSERT_TRUE(eventually([&] { return messages.load() == i; }, 5)) << "message " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }, 5));
  one.join();  // the worker quits after the linger
  EXPECT_EQ(messages.load(), 3);
}

TEST_F(RunnerTest, SurvivesRestartWithTheQueueOnDisk) {
  enqueue({"bob@ok.test"});
  // Close and reopen the sender's store before any runner saw the message.
  a_.reset();
  a_ = must(store::open_sqlite_store(dir_ + "/a"));
  start();
  ASSERT_TRUE(eventually([&] { return must(a_->queue_list()).empty(); }));
  EXPECT_EQ(inbox(*b_, bob_).size(), 1u);
}

}  // namespace
}  // namespace tegami::queue
