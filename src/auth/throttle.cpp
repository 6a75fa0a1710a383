#include "auth/throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace tegami::auth {
namespace {
constexpr size_t kPruneAbove = 50000;
}

IpThrottle::IpThrottle(int slow_after, int block_after, int block_seconds, int decay_seconds)
    : slow_after_(std::max(slow_after, 0)),
      block_after_(std::max(block_after, 1)),
      block_ms_(int64_t{std::max(block_seconds, 0)} * 1000),
      decay_ms_(int64_t{std::max(decay_seconds, 1)} * 1000) {}

std::string IpThrottle::key_for(std::string_view ip) {
  std::string s(ip.substr(0, 64));
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a6.s6_addr, kMapped, 12) == 0) {
      char buf[INET_ADDRSTRLEN];
      if (inet_ntop(AF_INET, a6.s6_addr + 12, buf, sizeof buf)) return buf;
    }
    std::memset(a6.s6_addr + 8, 0, 8);
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &a6, buf, sizeof buf)) return std::string(buf) + "/64";
  }
  return s;
}

void IpThrottle::decay(Entry& e, int64_t now_ms) const {
  if (now_ms > e.last_ms) {
    e.count = std::max(0.0, e.count - static_cast<double>(now_ms - e.last_ms) / decay_ms_);
    e.last_ms = now_ms;
  }
}

void IpThrottle::prune(int64_t now_ms) {
  if (entries_.size() <= kPruneAbove) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    decay(it->second, now_ms);
    if (it->second.count < 1 && it->second.blocked_until_ms <= now_ms)
      it = entries_.erase(it);
    else
      ++it;
  }
  // Still too many (a wide attack): keep only the blocked ones.
  if (entries_.size() > 2 * kPruneAbove) {
    for (auto it = entries_.begin(); it != entries_.end();)
      it = it->second.blocked_until_ms > now_ms ? std::next(it) : entries_.erase(it);
  }
}

int64_t IpThrottle::blocked_for_ms(std::string_view ip, int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key_for(ip));
  if (it == entries_.end()) return 0;
  return std::max<int64_t>(0, it->second.blocked_until_ms - now_ms);
}

int IpThrottle::failure(std::string_view ip, int64_t now_ms) {
  std::lock_guard lk(mu_);
  prune(now_ms);
  Entry& e = entries_[key_for(ip)];
  decay(e, now_ms);
  e.last_ms = now_ms;
  e.count += 1;
  if (e.count >= block_after_)
    e.blocked_until_ms = std::max(e.blocked_until_ms, now_ms + block_ms_);
  if (e.count <= slow_after_) return 0;
  // 500 ms for the first failure past slow_after, doubling, at most kMaxDelayMs.
  int over = static_cast<int>(e.count - slow_after_);
  int64_t delay = int64_t{500} << std::min(std::max(over - 1, 0), 10);
  return static_cast<int>(std::min<int64_t>(delay, kMaxDelayMs));
}

void IpThrottle::success(std::string_view ip, int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key_for(ip));
  if (it == entries_.end()) return;
  if (it->second.blocked_until_ms > now_ms) return;  // a block always runs its course
  entries_.erase(it);
}

double IpThrottle::failures(std::string_view ip, int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key_for(ip));
  if (it == entries_.end()) return 0;
  decay(it->second, now_ms);
  return it->second.count;
}

}  // namespace tegami::auth
