#include "base/clock.hpp"

#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

namespace tegami {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t now_unix() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t now_unix_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

void ensure_sodium() {
  static const bool ok = [] {
    if (sodium_init() < 0) std::abort();
    return true;
  }();
  (void)ok;
}

}  // namespace

Clock& system_clock() {
  static SystemClock c;
  return c;
}

std::string random_bytes(size_t n) {
  ensure_sodium();
  std::string s(n, '\0');
  randombytes_buf(s.data(), n);
  return s;
}

uint32_t random_uniform(uint32_t upper_bound) {
  ensure_sodium();
  return randombytes_uniform(upper_bound);
}

std::string format_utc(int64_t t, bool seconds) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, seconds ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace tegami
