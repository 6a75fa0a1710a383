// Scale checks (not run by default: --gtest_also_run_disabled_tests). TEGAMI_SCALE_MESSAGES sets
// the mailbox size (default 200000). Prints timings; asserts only correctness.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

using ScaleTest = StoreTest;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

TEST_F(ScaleTest, DISABLED_BigMailbox) {
  const char* env = std::getenv("TEGAMI_SCALE_MESSAGES");
  const int n = env ? std::atoi(env) : 200000;
  Account a = account("scale@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  constexpr int kThreads = 32;
  std::atomic<int> next{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        DeliveryTarget d{a.id, inbox.id, (i % 3) ? kSeen : 0u, {}, true};
        auto r = store_->deliver(sample_message("m" + std::to_string(i), 2000), sample_index("s"),
                                 {d}, 1700000000 + i);
        ASSERT_TRUE(r.ok()) << r.error().message;
      }
    });
  }
  for (auto& th : threads) th.join();
  double deliver_ms = ms_since(t0);
  auto st = *sqlite_stats(*store_);
  std::printf("deliver: %d messages in %.0f ms (%.0f/s), %llu commits\n", n, deliver_ms,
              n * 1000.0 / deliver_ms, static_cast<unsigned long long>(st.commits));

  t0 = Clock::now();
  Mailbox m = mailbox(a.id, "INBOX");
  std::printf("get_mailbox (counts): %.2f ms\n", ms_since(t0));
  EXPECT_EQ(m.messages, static_cast<uint32_t>(n));

  t0 = Clock::now();
  auto l = store_->list_messages(inbox.id);
  std::printf("list_messages: %.0f ms\n", ms_since(t0));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->size(), static_cast<size_t>(n));

  t0 = Clock::now();
  auto c = store_->changes_since(inbox.id, m.highest_modseq - 10);
  std::printf("changes_since (last 10): %.2f ms\n", ms_since(t0));
  EXPECT_EQ(c->changed.size(), 10u);

  t0 = Clock::now();
  auto f = store_->store_flags(inbox.id, {1, 2, 3}, FlagOp::kAdd, kFlagged, {}, 0, nullptr);
  std::printf("store_flags (3): %.2f ms\n", ms_since(t0));
  EXPECT_TRUE(f.ok());
}

}  // namespace
}  // namespace tegami::store::testing
