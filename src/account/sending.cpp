#include "account/sending.hpp"

#include "account/delivery.hpp"
#include "base/strings.hpp"
#include "index/message_index.hpp"
#include "mime/compose.hpp"

namespace tegami::account {
namespace {

std::string suspension_reason(const store::Account& a, const SendPolicy& p) {
  const store::SendLimits& l = p.limits_for(a.plan);
  return "the daily sending limits (" + std::to_string(l.messages) + " messages and " +
         std::to_string(l.recipients) + " recipients per " + std::to_string(l.window / 3600) +
         " hours) were reached " + std::to_string(p.suspend_after) +
         " times; this is how spam from a stolen password usually looks";
}

// The owner's notice: what happened, why, and what to do (PRODUCT.md §11: explain, in
// Japanese and English).
std::string suspension_notice(const store::Account& a, const SendPolicy& p, int64_t now) {
  const store::SendLimits& l = p.limits_for(a.plan);
  std::string body =
      "お使いのアカウント " + a.address +
      " からのメール送信を一時的に停止しました。\n\n"
      "理由: 24 時間あたりの送信上限（メール " +
      std::to_string(l.messages) + " 通、宛先 " + std::to_string(l.recipients) +
      " 件）に繰り返し達したためです。パスワードが盗まれて迷惑メールの送信に使われている場合に"
      "よく見られる状態です。\n\n"
      "受信や閲覧はこれまでどおり使えます。\n\n"
      "対処: 心当たりがない場合は、すぐにパスワードを変更し、使っていない App 用パスワードを"
      "取り消してください。その後、管理者に送信停止の解除を依頼してください"
      "（管理者のコマンド: tegami account unsuspend " +
      a.address +
      "）。\n\n"
      "----\n\n"
      "Sending from your account " +
      a.address +
      " has been suspended.\n\n"
      "Why: " +
      suspension_reason(a, p) +
      ".\n\n"
      "You can still receive and read mail.\n\n"
      "What to do: if you did not send these messages, change your password now and revoke the "
      "app-specific passwords you do not use. Then ask your administrator to lift the "
      "suspension (administrator's command: tegami account unsuspend " +
      a.address + ").\n";
  return mime::compose_notice("postmaster@" + p.hostname, a.address,
                              "送信を停止しました / Sending from your account is suspended", body,
                              now, p.hostname);
}

// Into the owner's INBOX whatever its quota says (like a bounce): a full mailbox must not
// swallow what explains the account's state.
Status notify_owner(store::Store& store, store::ChangeHub* hub, store::Id account,
                    const std::string& raw, int64_t now) {
  store::DeliveryTarget inbox;
  inbox.account_id = account;
  inbox.enforce_quota = false;
  auto r = store.deliver(raw, index::build(raw), {inbox}, now);
  if (!r) return r.error();
  publish(hub, *r);
  return {};
}

// Suspends sending, then tells the owner (the history, and a notice: notify_owner). False, and
// nothing told, when another session suspended the account first.
Result<bool> suspend(store::Store& store, store::ChangeHub* hub, const store::Account& a,
                     const SendPolicy& p, int64_t now) {
  const std::string reason = suspension_reason(a, p);
  auto changed = store.set_send_suspended(a.id, true, reason, now);
  if (!changed || !*changed) return changed;
  store::Event e;
  e.account_id = a.id;
  e.time = now;
  e.kind = "send_suspended";
  e.detail = "Sending suspended: " + reason + ".";
  (void)store.add_event(e);
  (void)notify_owner(store, hub, a.id, suspension_notice(a, p, now), now);  // the history has it
  return true;
}

// Counts a refusal by a daily limit; suspends the account after `suspend_after` of them.
void note_refusal(store::Store& store, store::ChangeHub* hub, store::Id account,
                  const SendPolicy& policy, int64_t now, bool* suspended_now) {
  if (policy.suspend_after <= 0) return;
  // The window is the same for every plan.
  auto refusals = store.note_send_refusal(account, now, policy.limits.window);
  if (!refusals || *refusals < policy.suspend_after) return;
  auto a = store.get_account(account);
  if (!a || a->send_suspended) return;
  auto suspended = suspend(store, hub, *a, policy, now);
  if (suspended_now && suspended && *suspended) *suspended_now = true;
}

}  // namespace

bool needs_limit_warning(const store::Submission& sub, const store::SubmitResult& r) {
  return sub.limits && r.usage && reaches_warning_level(*sub.limits, *r.usage, sub.recipients);
}

bool reaches_warning_level(const store::SendLimits& l, const store::SendUsage& u,
                           int64_t recipients) {
  // Below 80 % before, at or above it now (5 * used >= 4 * limit).
  auto crossed = [](int64_t limit, int64_t before, int64_t after) {
    return limit > 0 && before * 5 < limit * 4 && after * 5 >= limit * 4;
  };
  return crossed(l.messages, u.messages - 1, u.messages) ||
         crossed(l.recipients, u.recipients - recipients, u.recipients);
}

Status warn_near_limit(store::Store& store, store::ChangeHub* hub, store::Id account,
                       const store::SendLimits& l, const store::SendUsage& u,
                       const std::string& hostname, int64_t now) {
  // Once per window: usage that drops below the level as old sends leave the window and rises
  // again is not news.
  auto first = store.note_send_warning(account, now, l.window);
  if (!first || !*first) return first ? Status{} : Status(first.error());
  auto a = store.get_account(account);
  if (!a) return a.error();
  const std::string hours = std::to_string(l.window / 3600);
  // "8 / 10" ("8 of 10"), or the count alone for a limit of 0 (none).
  auto of = [](int64_t used, int64_t limit, const char* sep) {
    return limit > 0 ? std::to_string(used) + sep + std::to_string(limit) : std::to_string(used);
  };
  std::string body =
      "お使いのアカウント " + a->address + " の送信量が、" + hours +
      " 時間あたりの上限の 80% に達しました。\n\nこれまでの " + hours + " 時間: メール " +
      of(u.messages, l.messages, " / ") + " 通、宛先 " + of(u.recipients, l.recipients, " / ") +
      " 件\n\n上限に達すると、古い送信が " + hours +
      " 時間の枠から外れるまで送信できません。心当たりがない場合は、パスワードを変更"
      "し、使っていない App 用パスワードを取り消してください。\n\n----\n\n"
      "Your account " +
      a->address + " has used 80% of what it may send per " + hours + " hours.\n\nIn the last " +
      hours + " hours: " + of(u.messages, l.messages, " of ") + " messages, " +
      of(u.recipients, l.recipients, " of ") +
      " recipients.\n\nAt the limit, sending stops until earlier messages leave "
      "the " +
      hours +
      "-hour window. If you did not send these messages, change your password and "
      "revoke the app-specific passwords you do not use.\n";
  return notify_owner(
      store, hub, account,
      mime::compose_notice("postmaster@" + hostname, a->address,
                           "送信量が上限の 80% に達しました / You have used 80% of your "
                           "sending limit",
                           body, now, hostname),
      now);
}

const store::SendLimits& SendPolicy::limits_for(std::string_view plan) const {
  for (const auto& p : plans)
    if (p.name == plan) return p.limits;
  return limits;
}

int64_t SendPolicy::recipients_per_message_for(std::string_view plan) const {
  for (const auto& p : plans)
    if (p.name == plan) return p.recipients_per_message;
  return recipients_per_message;
}

Status check_can_send(store::Store& store, store::ChangeHub* hub, store::Id account,
                      const SendPolicy& policy, int64_t now, bool* suspended_now,
                      int64_t* messages_left, std::string* plan) {
  if (suspended_now) *suspended_now = false;
  if (messages_left) *messages_left = 0;
  auto a = store.get_account(account);
  if (!a) return a.error();
  if (plan) *plan = a->plan;
  if (a->send_suspended) {
    return make_error(Errc::kPerm,
                      "sending is suspended for " + a->address + ": " + a->send_suspended_reason);
  }
  const store::SendLimits& l = policy.limits_for(a->plan);
  if (l.messages <= 0) {
    if (messages_left) *messages_left = INT64_MAX;
    return {};
  }
  auto u = store.send_usage(account, now, l.window);
  if (!u) return u.error();
  if (u->messages < l.messages) {
    if (messages_left) *messages_left = l.messages - u->messages;
    return {};
  }
  note_refusal(store, hub, account, policy, now, suspended_now);
  return make_error(Errc::kLimit, "daily sending limit reached (" + std::to_string(l.messages) +
                                      " messages per " + std::to_string(l.window / 3600) +
                                      " hours) t=" + std::to_string(u->oldest + l.window));
}

std::string address_domain(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : ascii_lower(address.substr(at + 1));
}

int64_t limit_reset_time(std::string_view message, std::string* text) {
  auto pos = message.rfind(" t=");
  if (pos == std::string_view::npos) {
    if (text) *text = std::string(message);
    return 0;
  }
  if (text) *text = std::string(message.substr(0, pos));
  auto v = parse_u64(message.substr(pos + 3));
  return v ? static_cast<int64_t>(*v) : 0;
}

store::Submission submission_for(const SendRequest& req, const SendPolicy& policy) {
  store::Submission sub;
  sub.account_id = req.account_id;
  sub.now = req.now;
  sub.limits = policy.limits_for(req.plan);
  // INBOXes found and quotas checked inside the store's transaction, as for a delivery.
  sub.local = inbox_targets(req.local);
  if (!req.remote.empty()) {
    store::QueuedMessage q;
    q.env_from = req.env_from;
    q.envid = req.envid;
    q.ret = req.ret;
    q.smtputf8 = req.smtputf8;
    q.eight_bit = req.eight_bit;
    q.requiretls = req.requiretls;
    q.expires = req.now + policy.retry_for;
    for (const auto& r : req.remote) {
      store::QueueRecipient x;
      x.address = r.address;
      x.domain = address_domain(r.address);
      x.notify = r.notify;
      x.orcpt = r.orcpt;
      x.next_attempt = req.now;
      q.rcpts.push_back(std::move(x));
    }
    sub.outbound = std::move(q);
  }
  sub.recipients = static_cast<int64_t>(req.local.size() + req.remote.size());
  return sub;
}

bool more_recipients_than_a_window(const store::Submission& sub) {
  return sub.limits && sub.limits->recipients > 0 && sub.recipients > sub.limits->recipients;
}

Error submission_refused(store::Store& store, store::ChangeHub* hub, const store::Submission& sub,
                         std::string_view raw, const Error& e, const SendPolicy& policy,
                         bool* suspended_now) {
  if (suspended_now) *suspended_now = false;
  if (e.code == Errc::kLimit) {
    note_refusal(store, hub, sub.account_id, policy, sub.now, suspended_now);
  }
  if (e.code == Errc::kOverQuota) {
    return over_quota_error(store, sub.local, stored_size(raw), e, nullptr);
  }
  return e;
}

Result<store::SubmitResult> send(store::Store& store, store::ChangeHub* hub, std::string_view raw,
                                 const index::MessageIndex& idx, const SendRequest& req,
                                 const SendPolicy& policy, bool* suspended_now) {
  if (suspended_now) *suspended_now = false;
  store::Submission sub = submission_for(req, policy);
  auto r = store.submit(raw, idx, sub, req.now);
  if (!r) return submission_refused(store, hub, sub, raw, r.error(), policy, suspended_now);
  publish(hub, r->delivered);
  if (needs_limit_warning(sub, *r))
    (void)warn_near_limit(store, hub, sub.account_id, *sub.limits, *r->usage, policy.hostname,
                          req.now);
  return r;
}

}  // namespace tegami::account
