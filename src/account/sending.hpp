// Sending from an account (issue 4, PRODUCT.md §6): one submission stored in one transaction
// (copies for local recipients, the queue entry for the others, one count toward the rolling
// 24-hour limits), and what happens when an account keeps hitting the limits: after
// `suspend_after` refused submissions in a window, sending is suspended and the owner gets a
// mail saying why and what to do. `tegami account unsuspend` lifts it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "index/message_index.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::account {

// One plan's sending limits (PRODUCT.md §6: configurable per plan).
struct PlanLimits {
  std::string name;
  store::SendLimits limits;
  int64_t recipients_per_message = 0;  // 0 = no limit of the plan's own
};

struct SendPolicy {
  store::SendLimits limits;            // the default plan's, and an account's whose plan is unknown
  std::vector<PlanLimits> plans;       // the others (and the default again, by name)
  int64_t recipients_per_message = 0;  // the default plan's, 0 = none of its own
  int64_t suspend_after = 20;          // refused submissions in one window; 0 = never suspend
  int64_t retry_for = 5 * 86400;       // how long the queue keeps trying (expires)
  std::string hostname;                // for the owner notice's From and Message-ID

  // The limits of an account on `plan` (store::Account::plan; "" = the default plan).
  const store::SendLimits& limits_for(std::string_view plan) const;
  // Its recipients per message, 0 when the plan sets none.
  int64_t recipients_per_message_for(std::string_view plan) const;
};

struct OutboundRcpt {
  std::string address;
  std::string notify;  // DSN NOTIFY as given ("" = default)
  std::string orcpt;   // DSN ORCPT "type;address" as given, "" when none
};

struct SendRequest {
  store::Id account_id = 0;
  std::string plan;              // the account's plan: its limits apply
  std::vector<store::Id> local;  // accounts that receive a copy in their INBOX (deduplicated)
  std::vector<OutboundRcpt> remote;
  std::string env_from;  // reverse path
  std::string envid;     // DSN ENVID
  std::string ret;       // DSN RET
  bool smtputf8 = false;
  bool eight_bit = false;
  bool requiretls = false;
  int64_t now = 0;
};

// Errors: kLimit when a limit is reached (message ends in " t=<unix>": when the window frees
// up; see limit_reset_time), kPerm when sending is suspended (the message says why), kOverQuota
// for a full local mailbox, store errors. `*suspended_now` is set when this refusal suspended
// the account. `idx` is read only when req.local is not empty (see store::Store::submit).
Result<store::SubmitResult> send(store::Store& store, store::ChangeHub* hub, std::string_view raw,
                                 const index::MessageIndex& idx, const SendRequest& req,
                                 const SendPolicy& policy, bool* suspended_now = nullptr);

// send() in parts, for a caller that hands the submission to Store::post_submit: the store's
// submission for a request, and what a refusal from the store becomes (a daily-limit refusal
// counts toward suspension and may suspend the account, setting *suspended_now; kOverQuota names
// the full mailbox). submission_refused makes store calls: not on a network thread.
store::Submission submission_for(const SendRequest& req, const SendPolicy& policy);
// Whether `sub` has more recipients than its limits allow in a whole window: the store refuses
// it with kTooBig before anything else (no waiting makes room for it). The store's own
// kTooBig (a value too large for the database) is a different failure: this tells them apart.
bool more_recipients_than_a_window(const store::Submission& sub);
Error submission_refused(store::Store& store, store::ChangeHub* hub, const store::Submission& sub,
                         std::string_view raw, const Error& e, const SendPolicy& policy,
                         bool* suspended_now);

// Before the content arrives (MAIL FROM): kPerm when sending is suspended, kLimit (message
// ending in " t=<unix>") when the account has already sent its messages for the window; such a
// refusal counts toward suspension like one after the content. send() stays the authority
// (recipient limits, races between sessions). *messages_left: how many more messages the window
// allowed at the check (INT64_MAX without a limit). *plan: the account's plan as stored now
// (an administrator may have changed it since the session signed in), whenever the account was
// read.
Status check_can_send(store::Store& store, store::ChangeHub* hub, store::Id account,
                      const SendPolicy& policy, int64_t now, bool* suspended_now = nullptr,
                      int64_t* messages_left = nullptr, std::string* plan = nullptr);

// PRODUCT.md §6: the owner is warned by mail when a submission takes the account to 80 % of a
// daily limit (messages or recipients). True for the submission that crossed the level: its
// `usage` (store::SubmitResult::usage, this one included) is there, the one before was below.
bool reaches_warning_level(const store::SendLimits& limits, const store::SendUsage& usage,
                           int64_t recipients);
// The same for a stored submission: whether `r` (its result) calls for the warning.
bool needs_limit_warning(const store::Submission& sub, const store::SubmitResult& r);
// The warning, in the owner's INBOX (Japanese and English; not held to the quota), recorded so
// that the window sends no other; an error when it could not be delivered. Store calls: not on
// a network thread.
Status warn_near_limit(store::Store& store, store::ChangeHub* hub, store::Id account,
                       const store::SendLimits& limits, const store::SendUsage& usage,
                       const std::string& hostname, int64_t now);

// The reset time carried in a kLimit message (0 when none) and the message without it.
int64_t limit_reset_time(std::string_view message, std::string* text = nullptr);

// The lower-case domain of an address ("" when it has none).
std::string address_domain(std::string_view address);

}  // namespace tegami::account
