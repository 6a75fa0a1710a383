#include "account/delivery.hpp"

#include <algorithm>

namespace tegami::account {

int64_t stored_size(std::string_view raw) {
  int64_t n = static_cast<int64_t>(raw.size());
  for (size_t i = raw.find('\n'); i != std::string_view::npos; i = raw.find('\n', i + 1))
    if (i == 0 || raw[i - 1] != '\r') ++n;  // a bare LF is stored as CRLF
  return n;
}

namespace {
Error over_quota(const store::Account& a) {
  return make_error(Errc::kOverQuota,
                    "The mailbox of " + a.address + " is full (storage quota reached).");
}
}  // namespace

Status check_quota(store::Store& store, store::Id account_id, int64_t size) {
  auto a = store.get_account(account_id);
  if (!a) return a.error();
  if (a->quota_bytes > 0 && a->used_bytes + size > a->quota_bytes) return over_quota(*a);
  return {};
}

Result<std::vector<store::Delivered>> deliver_to_inboxes(store::Store& store, store::ChangeHub* hub,
                                                         std::string_view raw,
                                                         const index::MessageIndex& idx,
                                                         const std::vector<store::Id>& account_ids,
                                                         int64_t internal_date,
                                                         store::Id* over_quota_account) {
  return deliver_to_special(store, hub, raw, idx, account_ids, internal_date, "",
                            over_quota_account);
}

std::vector<store::DeliveryTarget> inbox_targets(const std::vector<store::Id>& account_ids) {
  std::vector<store::DeliveryTarget> targets;
  for (store::Id id : account_ids) {
    bool seen = false;
    for (const auto& t : targets) seen = seen || t.account_id == id;
    if (seen) continue;
    store::DeliveryTarget t;
    t.account_id = id;  // mailbox_id 0: the INBOX, found inside the delivery's transaction
    targets.push_back(std::move(t));
  }
  return targets;
}

void publish(store::ChangeHub* hub, const std::vector<store::Delivered>& delivered) {
  if (!hub) return;
  std::vector<store::Id> published;
  for (const auto& d : delivered) {
    if (std::find(published.begin(), published.end(), d.mailbox_id) != published.end()) continue;
    published.push_back(d.mailbox_id);
    hub->publish(d.mailbox_id);
  }
}

Error over_quota_error(store::Store& store, const std::vector<store::DeliveryTarget>& targets,
                       int64_t size, const Error& from_store, store::Id* over_quota_account) {
  for (const auto& t : targets) {
    if (auto q = check_quota(store, t.account_id, size); !q && q.code() == Errc::kOverQuota) {
      if (over_quota_account) *over_quota_account = t.account_id;
      return q.error();
    }
  }
  return from_store;  // room again by now: the store's own words
}

Result<std::vector<store::Delivered>> deliver_to_special(
    store::Store& store, store::ChangeHub* hub, std::string_view raw,
    const index::MessageIndex& idx, const std::vector<store::Id>& account_ids,
    int64_t internal_date, std::string_view special_use, store::Id* over_quota_account) {
  std::vector<store::DeliveryTarget> targets = inbox_targets(account_ids);
  if (targets.empty()) return std::vector<store::Delivered>{};
  if (!special_use.empty()) {
    for (auto& t : targets) {
      auto boxes = store.list_mailboxes(t.account_id);
      if (!boxes) return boxes.error();
      for (const auto& m : *boxes) {
        if (m.special_use != special_use) continue;
        t.mailbox_id = m.id;
        // Mail filed as junk carries the $Junk keyword too (RFC 5788 registry), for mail
        // apps that look at keywords rather than folders.
        if (special_use == "\\Junk") t.keywords = {"$Junk"};
        break;
      }
    }
  }
  // Quotas are checked inside the store's transaction; kOverQuota is then told by name.
  auto r = store.deliver(raw, idx, targets, internal_date);
  if (!r) {
    if (r.code() == Errc::kOverQuota) {
      return over_quota_error(store, targets, stored_size(raw), r.error(), over_quota_account);
    }
    return r.error();
  }
  publish(hub, *r);
  return r;
}

}  // namespace tegami::account
