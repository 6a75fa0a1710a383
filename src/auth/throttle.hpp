// Per-address throttling of failed sign-ins (PRODUCT.md §2): failures of one remote address
// are counted, the count decays over time, a few failures slow the answers down, many block the
// address for a while. Only the failing address is affected: an account is never locked by
// someone else's failures. Thread-safe; memory is bounded.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tegami::auth {

class IpThrottle {
 public:
  IpThrottle(int slow_after, int block_after, int block_seconds, int decay_seconds);

  // Milliseconds left of a block of this address, 0 when it may try.
  int64_t blocked_for_ms(std::string_view ip, int64_t now_ms);
  // Counts a failure; returns the pause (ms) before the failure should be answered. Starts a
  // block when the count reaches block_after.
  int failure(std::string_view ip, int64_t now_ms);
  // A successful sign-in forgets the failures of this address (only of this one).
  void success(std::string_view ip, int64_t now_ms);
  // Current (decayed) failure count, for tests and the admin page.
  double failures(std::string_view ip, int64_t now_ms);

  // The key addresses are counted under: IPv4 as is, IPv6 by its /64 prefix (one customer
  // usually gets a whole /64), IPv4-mapped IPv6 as IPv4.
  static std::string key_for(std::string_view ip);

  static constexpr int kMaxDelayMs = 10000;

 private:
  struct Entry {
    double count = 0;
    int64_t last_ms = 0;
    int64_t blocked_until_ms = 0;
  };
  void decay(Entry& e, int64_t now_ms) const;
  void prune(int64_t now_ms);

  int slow_after_, block_after_;
  int64_t block_ms_, decay_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace tegami::auth
