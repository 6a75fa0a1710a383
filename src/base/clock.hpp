// Clock and randomness behind interfaces, so tests can fake time (limits, TOTP, expiry).
#pragma once

#include <cstdint>
#include <string>

namespace tegami {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_unix() const = 0;     // seconds
  virtual int64_t now_unix_ms() const = 0;  // milliseconds
};

// The real wall clock.
Clock& system_clock();

// "2026-11-22 23:05 UTC" (with `seconds`: "2026-11-22 23:05:09 UTC"), for people and logs.
std::string format_utc(int64_t unix_seconds, bool seconds = false);

// Cryptographically secure random bytes (libsodium).
std::string random_bytes(size_t n);
uint32_t random_uniform(uint32_t upper_bound);  // [0, upper_bound)

}  // namespace tegami
