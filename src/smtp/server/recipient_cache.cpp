#include "smtp/server/recipient_cache.hpp"

#include "base/strings.hpp"

namespace tegami::smtp::server {

std::optional<store::Account> RecipientCache::find(const std::string& address, int64_t now_ms) {
  const std::string key = ascii_lower(address);
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (now_ms >= it->second.expires_ms) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.account;
}

void RecipientCache::put(const std::string& address, const store::Account& account,
                         int64_t now_ms) {
  std::string key = ascii_lower(address);
  std::lock_guard lk(mu_);
  if (entries_.size() >= max_) {
    // Full: drop what has expired, or everything (the next lookups go to the store again).
    for (auto it = entries_.begin(); it != entries_.end();)
      it = now_ms >= it->second.expires_ms ? entries_.erase(it) : std::next(it);
    if (entries_.size() >= max_) entries_.clear();
  }
  Entry& e = entries_[std::move(key)];
  e.account = account;
  e.account.password_hash.clear();  // not needed to deliver
  e.expires_ms = now_ms + ttl_ms_;
}

}  // namespace tegami::smtp::server
