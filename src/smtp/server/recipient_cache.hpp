// RCPT answers kept for a moment (process-wide, shared by every session): a client that sends
// message after message to the same people asks the store once per address and TTL instead of
// once per recipient. Only found accounts are kept, so a new address works at once; an address
// removed meanwhile is refused by the delivery transaction, which stays the authority (as it is
// for quota: a kept account's usage only says whether to look again).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/store.hpp"

namespace tegami::smtp::server {

class RecipientCache {
 public:
  explicit RecipientCache(std::chrono::milliseconds ttl = std::chrono::milliseconds(2000),
                          size_t max_entries = 4096)
      : ttl_ms_(ttl.count()), max_(max_entries) {}

  // The account `address` (compared case-insensitively) resolved to, if found less than the
  // TTL ago. `now_ms`: the caller's clock.
  std::optional<store::Account> find(const std::string& address, int64_t now_ms);
  void put(const std::string& address, const store::Account& account, int64_t now_ms);

 private:
  struct Entry {
    store::Account account;
    int64_t expires_ms = 0;
  };
  const int64_t ttl_ms_;
  const size_t max_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace tegami::smtp::server
