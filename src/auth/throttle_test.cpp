#include "auth/throttle.hpp"

#include <gtest/gtest.h>

namespace tegami::auth {
namespace {

TEST(IpThrottle, SlowsThenBlocksOnlyThatAddress) {
  IpThrottle t(/*slow_after=*/3, /*block_after=*/6, /*block_seconds=*/600, /*decay_seconds=*/60);
  const int64_t now = 1'000'000;
  EXPECT_EQ(t.failure("203.0.113.4", now), 0);
  EXPECT_EQ(t.failure("203.0.113.4", now), 0);
  EXPECT_EQ(t.failure("203.0.113.4", now), 0);
  int d4 = t.failure("203.0.113.4", now);
  int d5 = t.failure("203.0.113.4", now);
  EXPECT_GT(d4, 0);
  EXPECT_GT(d5, d4);
  EXPECT_EQ(t.blocked_for_ms("203.0.113.4", now), 0);
  t.failure("203.0.113.4", now);  // sixth
  EXPECT_EQ(t.blocked_for_ms("203.0.113.4", now), 600'000);
  EXPECT_EQ(t.blocked_for_ms("203.0.113.5", now), 0);
  // A success elsewhere changes nothing; a success during the block does not lift it.
  t.success("203.0.113.5", now);
  t.success("203.0.113.4", now);
  EXPECT_GT(t.blocked_for_ms("203.0.113.4", now + 1000), 0);
  EXPECT_EQ(t.blocked_for_ms("203.0.113.4", now + 600'000), 0);
}

TEST(IpThrottle, FailuresDecay) {
  IpThrottle t(2, 10, 60, 60);
  int64_t now = 0;
  for (int i = 0; i < 4; ++i) t.failure("198.51.100.1", now);
  EXPECT_DOUBLE_EQ(t.failures("198.51.100.1", now), 4);
  now += 120'000;  // two decay periods
  EXPECT_DOUBLE_EQ(t.failures("198.51.100.1", now), 2);
  now += 3600'000;
  EXPECT_DOUBLE_EQ(t.failures("198.51.100.1", now), 0);
  EXPECT_EQ(t.failure("198.51.100.1", now), 0);
}

TEST(IpThrottle, SuccessForgetsThatAddressOnly) {
  IpThrottle t(2, 10, 60, 60);
  for (int i = 0; i < 5; ++i) {
    t.failure("198.51.100.1", 0);
    t.failure("198.51.100.2", 0);
  }
  t.success("198.51.100.1", 0);
  EXPECT_EQ(t.failures("198.51.100.1", 0), 0);
  EXPECT_EQ(t.failures("198.51.100.2", 0), 5);
}

TEST(IpThrottle, DelayIsCapped) {
  IpThrottle t(0, 1000, 60, 60);
  int d = 0;
  for (int i = 0; i < 100; ++i) d = t.failure("192.0.2.1", 0);
  EXPECT_EQ(d, IpThrottle::kMaxDelayMs);
}

TEST(IpThrottle, Keys) {
  EXPECT_EQ(IpThrottle::key_for("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(IpThrottle::key_for("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(IpThrottle::key_for("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(IpThrottle::key_for("2001:db8:1:2::99"), IpThrottle::key_for("2001:db8:1:2:ffff::1"));
  EXPECT_EQ(IpThrottle::key_for(""), "");
}

}  // namespace
}  // namespace tegami::auth
