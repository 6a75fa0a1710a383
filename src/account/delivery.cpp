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

namespace {
Result<store::Mailbox> target_mailbox(store::Store& store, store::Id account,
                                      std::string_view special_use) {
  if (!special_use.empty()) {
    auto boxes = store.list_mailboxes(account);
    if (!boxes) return boxes.error();
    for (auto& m : *boxes)
      if (m.special_use == special_use) return std::move(m);
  }
  return store.get_mailbox(account, "INBOX");
}
}  // namespace

Result<std::vector<store::Delivered>> deliver_to_special(
    store::Store& store, store::ChangeHub* hub, std::string_view raw,
    const index::MessageIndex& idx, const std::vector<store::Id>& account_ids,
    int64_t internal_date, std::string_view special_use, store::Id* over_quota_account) {
  std::vector<store::Id> ids;
  for (store::Id id : account_ids)
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  if (ids.empty()) return std::vector<store::Delivered>{};

  const int64_t size = stored_size(raw);
  std::vector<store::DeliveryTarget> targets;
  for (store::Id id : ids) {
    // Checked here to name the account; the store checks again inside its transaction.
    if (auto q = check_quota(store, id, size); !q) {
      if (q.code() == Errc::kOverQuota && over_quota_account) *over_quota_account = id;
      return q.error();
    }
    auto inbox = target_mailbox(store, id, special_use);
    if (!inbox) return inbox.error();
    store::DeliveryTarget t;
    t.account_id = id;
    t.mailbox_id = inbox->id;
    // Mail filed as junk carries the $Junk keyword too (RFC 5788 registry), for mail apps
    // that look at keywords rather than folders.
    if (special_use == "\\Junk" && inbox->special_use == "\\Junk") t.keywords = {"$Junk"};
    targets.push_back(std::move(t));
  }
  auto r = store.deliver(raw, idx, targets, internal_date);
  if (!r) {
    if (r.code() == Errc::kOverQuota) {
      // Filled up between the check and the transaction: find out who, for the reply.
      for (store::Id id : ids) {
        if (auto q = check_quota(store, id, size); !q && q.code() == Errc::kOverQuota) {
          if (over_quota_account) *over_quota_account = id;
          return q.error();
        }
      }
    }
    return r.error();
  }
  if (hub) {
    std::vector<store::Id> published;
    for (const auto& d : *r) {
      if (std::find(published.begin(), published.end(), d.mailbox_id) != published.end()) continue;
      published.push_back(d.mailbox_id);
      hub->publish(d.mailbox_id);
    }
  }
  return r;
}

}  // namespace tegami::account
