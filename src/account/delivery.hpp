// Local delivery to the INBOX of one or more accounts: one shared body, one transaction
// (store::Store::deliver), then the change hub is told so that IDLE sessions see the mail.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "index/message_index.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::account {

// Delivers `raw` to the INBOX of each account in `account_ids` (repeated ids are delivered
// once: a message to demo@ and demo+x@ lands once). Nothing is stored when any account is over
// its quota: kOverQuota naming the address, and *over_quota_account (when given) gets its id.
// An empty list delivers nothing. `hub` may be null.
Result<std::vector<store::Delivered>> deliver_to_inboxes(store::Store& store, store::ChangeHub* hub,
                                                         std::string_view raw,
                                                         const index::MessageIndex& idx,
                                                         const std::vector<store::Id>& account_ids,
                                                         int64_t internal_date,
                                                         store::Id* over_quota_account = nullptr);

// The same, into each account's mailbox with `special_use` (e.g. "\\Junk"); an account without
// such a mailbox gets the message in its INBOX. An empty `special_use` means INBOX.
Result<std::vector<store::Delivered>> deliver_to_special(
    store::Store& store, store::ChangeHub* hub, std::string_view raw,
    const index::MessageIndex& idx, const std::vector<store::Id>& account_ids,
    int64_t internal_date, std::string_view special_use, store::Id* over_quota_account = nullptr);

// The parts of deliver_to_inboxes, for a caller that posts its delivery
// (store::Store::post_delivery) instead of waiting for it:
// one INBOX target per distinct account (repeated ids are delivered once);
std::vector<store::DeliveryTarget> inbox_targets(const std::vector<store::Id>& account_ids);
// tells the hub about each mailbox that got a message (`hub` may be null);
void publish(store::ChangeHub* hub, const std::vector<store::Delivered>& delivered);
// after kOverQuota from the store: the error naming the first target account without room for
// `size` more bytes (and its id in *over_quota_account), or `from_store` when all have room now.
Error over_quota_error(store::Store& store, const std::vector<store::DeliveryTarget>& targets,
                       int64_t size, const Error& from_store, store::Id* over_quota_account);

// The size a message takes in the store (CRLF line ends), as counted against quotas.
int64_t stored_size(std::string_view raw);

// Whether `size` more bytes fit in the account's quota (RCPT-time check, before DATA): kOk,
// kOverQuota with a sentence naming the address, or a store error.
Status check_quota(store::Store& store, store::Id account_id, int64_t size);

}  // namespace tegami::account
