// Large mailboxes (issue 3): a mailbox of 100,000 messages selects, fetches all flags, searches
// text and expunges within generous time and memory bounds, and each command goes to the
// store a bounded number of times (no per-message store call, no message bodies read).
// bench/large_mailbox.sh measures the same with 1,000,000 messages.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "imap/server/faulty_store.hpp"
#include "imap/server/test_support.hpp"
#include "index/message_index.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TEGAMI_LARGE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEGAMI_LARGE_SANITIZED 1
#endif
#endif

namespace tegami::imap::server {
namespace {

#ifdef TEGAMI_LARGE_SANITIZED
constexpr uint32_t kMessages = 10000;  // sanitizers are ~10x slower and use shadow memory
#else
constexpr uint32_t kMessages = 100000;
#endif

using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string l;
  std::string prefix = std::string(field) + ":";
  while (std::getline(in, l)) {
    if (l.rfind(prefix, 0) == 0) return std::atol(l.c_str() + prefix.size());
  }
  return 0;
}

// Resets VmHWM to the current RSS; returns the RSS (KiB).
long reset_peak() {
  std::ofstream("/proc/self/clear_refs") << "5";
  return status_kib("VmRSS");
}

// Message i: distinct subject and body; every 1,000th has "Needle" in its body.
std::string make_message(uint32_t i) {
  static const char* words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
                                "hotel", "india", "juliet",  "kilo",  "lima", "mike"};
  std::string m = "From: sender" + std::to_string(i % 97) +
                  "@example.org\r\nTo: demo@tegami.test\r\nSubject: report " + std::to_string(i) +
                  "\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + std::to_string(i) +
                  "@large>\r\n\r\n";
  for (uint32_t k = 0; k < 24; ++k) {
    m += words[(i * 7 + k * 3) % 13];
    m += (k % 8 == 7) ? "\r\n" : " ";
  }
  if (i % 1000 == 500) m += "the Needle is here\r\n";
  return m;
}

size_t count(const std::string& s, std::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + needle.size()))
    ++n;
  return n;
}

TEST(LargeMailbox, SelectFetchFlagsSearchExpunge) {
  testing::World w;
  auto inbox = w.store->get_mailbox(w.account.id, "INBOX");
  ASSERT_TRUE(inbox.ok());
  auto t0 = Steady::now();
  constexpr uint32_t kBatch = 5000;
  for (uint32_t from = 0; from < kMessages; from += kBatch) {
    std::vector<std::string> raws;
    std::vector<store::NewMessage> batch;
    for (uint32_t i = from; i < from + kBatch && i < kMessages; ++i)
      raws.push_back(make_message(i));
    for (const auto& r : raws) {
      store::NewMessage m;
      m.raw = r;
      m.idx = index::build(r);
      m.target = store::DeliveryTarget{w.account.id, inbox->id, store::kSeen, {}, false};
      m.internal_date = 1795000000;
      batch.push_back(std::move(m));
    }
    ASSERT_TRUE(w.store->deliver_many(batch).ok());
  }
  std::printf("fill: %u messages in %.2f s\n", kMessages, seconds_since(t0));

  testing::FaultyStore counting(*w.store);
  w.ctx.store = &counting;
  const std::string n = std::to_string(kMessages);
  // Generous: these take well under a second each on a 2-core machine (release or -O2).
  const double kSeconds = 20;
  // The view costs about 100 bytes per message; loading every message's index or body would
  // cost several times this.
  const long kPeakKib = 64 * 1024;

  // SELECT and FETCH of every message's flags.
  long rss = reset_peak();
  t0 = Steady::now();
  std::string out =
      w.run(w.login_line() + "s SELECT INBOX\r\nf UID FETCH 1:* (FLAGS)\r\n" + "z LOGOUT\r\n");
  double secs = seconds_since(t0);
  long peak = status_kib("VmHWM") - rss;
  std::printf("SELECT + UID FETCH 1:* (FLAGS): %.2f s, peak +%ld KiB\n", secs, peak);
  EXPECT_NE(out.find("* " + n + " EXISTS\r\n"), std::string::npos);
  EXPECT_NE(out.find("f OK"), std::string::npos);
  EXPECT_EQ(count(out, " FETCH (UID "), kMessages);
  EXPECT_NE(out.find("* " + n + " FETCH (UID " + n + " FLAGS (\\Seen))\r\n"), std::string::npos);
  EXPECT_LT(secs, kSeconds);
  EXPECT_EQ(counting.calls("list_messages"), 1);
  EXPECT_EQ(counting.calls("get_messages"), 0);
  EXPECT_EQ(counting.calls("read_index"), 0);
  EXPECT_EQ(counting.calls("read_blob"), 0);
#ifndef TEGAMI_LARGE_SANITIZED
  EXPECT_LT(peak, kPeakKib);
#endif

  // SEARCH TEXT: the search fields in chunks, never message by message.
  counting.reset_calls();
  rss = reset_peak();
  t0 = Steady::now();
  out = w.run(w.login_line() +
              "s EXAMINE INBOX\r\nt UID SEARCH TEXT needle\r\nu SEARCH BODY nowhere\r\n" +
              "z LOGOUT\r\n");
  secs = seconds_since(t0);
  peak = status_kib("VmHWM") - rss;
  std::printf("SELECT + 2 x SEARCH: %.2f s, peak +%ld KiB\n", secs, peak);
  std::string hits;
  for (uint32_t i = 500; i < kMessages; i += 1000) hits += " " + std::to_string(i + 1);
  EXPECT_NE(out.find("* SEARCH" + hits + "\r\nt OK"), std::string::npos);
  EXPECT_NE(out.find("* SEARCH\r\nu OK"), std::string::npos);
  EXPECT_LT(secs, kSeconds);
  EXPECT_EQ(counting.calls("read_index"), 0);
  EXPECT_EQ(counting.calls("read_blob"), 0);
  EXPECT_LE(counting.calls("read_search_fields"), 2 * static_cast<int>(kMessages / 1000 + 1));
#ifndef TEGAMI_LARGE_SANITIZED
  EXPECT_LT(peak, kPeakKib);
#endif

  // STORE \Deleted on 1,000 messages spread over the mailbox, then EXPUNGE.
  std::string set;
  for (uint32_t i = 1; i <= kMessages; i += kMessages / 1000) set += std::to_string(i) + ",";
  set.pop_back();
  counting.reset_calls();
  rss = reset_peak();
  t0 = Steady::now();
  out = w.run(w.login_line() + "s SELECT INBOX\r\nd UID STORE " + set +
              " +FLAGS.SILENT (\\Deleted)\r\ne EXPUNGE\r\nz LOGOUT\r\n");
  secs = seconds_since(t0);
  peak = status_kib("VmHWM") - rss;
  std::printf("SELECT + STORE 1000 + EXPUNGE: %.2f s, peak +%ld KiB\n", secs, peak);
  EXPECT_NE(out.find("d OK"), std::string::npos);
  EXPECT_NE(out.find("e OK"), std::string::npos);
  EXPECT_EQ(count(out, " EXPUNGE\r\n"), 1000u);
  // Descending: the first EXPUNGE is the last message marked.
  size_t last = (kMessages / 1000) * 999 + 1;
  EXPECT_NE(out.find("* " + std::to_string(last) + " EXPUNGE\r\n* "), std::string::npos);
  EXPECT_LT(secs, kSeconds);
  // The snapshot of the first SELECT is still current: this SELECT reads no message, and the
  // STORE and EXPUNGE bring it up to date with changes_since reads only.
  EXPECT_EQ(counting.calls("list_messages"), 0);
  EXPECT_EQ(counting.calls("expunge"), 1);
#ifndef TEGAMI_LARGE_SANITIZED
  EXPECT_LT(peak, kPeakKib);
#endif
  auto after = w.store->get_mailbox(w.account.id, "INBOX");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->messages, kMessages - 1000);
}

}  // namespace
}  // namespace tegami::imap::server
