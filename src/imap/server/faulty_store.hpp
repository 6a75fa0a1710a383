// A store::Store decorator for tests: forwards to a real store, and can make one method fail
// with an Errc or throw, to check error mapping and the per-command exception guard. It also
// counts the calls of each method (calls()), to check how often a command goes to the store.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "store/store.hpp"

namespace tegami::imap::server::testing {

class FaultyStore final : public store::Store {
 public:
  explicit FaultyStore(store::Store& inner) : inner_(inner) {}

  std::string fail_method;  // the method to fail, "" for none
  Errc fail_code = Errc::kInternal;
  bool throw_instead = false;
  // Called with the method's name before each counted call is forwarded (set it before the
  // store is shared): a test changes the store under its caller, e.g. deletes something the
  // caller has just read.
  std::function<void(const std::string& method)> before_call;

  using Domain = store::Domain;
  using Account = store::Account;
  using AppPassword = store::AppPassword;
  using Event = store::Event;
  using Mailbox = store::Mailbox;
  using MessageMeta = store::MessageMeta;
  using DeliveryTarget = store::DeliveryTarget;
  using Delivered = store::Delivered;
  using FlagOp = store::FlagOp;
  using FlagUpdate = store::FlagUpdate;
  using CopyResult = store::CopyResult;
  using Changes = store::Changes;
  using Id = store::Id;

  Result<Domain> add_domain(std::string_view name) override {
    if (auto e = fault("add_domain")) return *e;
    return inner_.add_domain(name);
  }
  Result<Domain> add_alias_domain(std::string_view primary, std::string_view alias) override {
    if (auto e = fault("add_alias_domain")) return *e;
    return inner_.add_alias_domain(primary, alias);
  }
  Result<Domain> find_domain(std::string_view name) override {
    if (auto e = fault("find_domain")) return *e;
    return inner_.find_domain(name);
  }
  Result<std::vector<Domain>> list_domains() override {
    if (auto e = fault("list_domains")) return *e;
    return inner_.list_domains();
  }
  Result<Account> add_account(std::string_view address, std::string_view password_hash,
                              int64_t quota_bytes) override {
    if (auto e = fault("add_account")) return *e;
    return inner_.add_account(address, password_hash, quota_bytes);
  }
  Result<Account> get_account(Id id) override {
    if (auto e = fault("get_account")) return *e;
    return inner_.get_account(id);
  }
  Result<Account> find_account_by_address(std::string_view address) override {
    if (auto e = fault("find_account_by_address")) return *e;
    return inner_.find_account_by_address(address);
  }
  Result<std::vector<Account>> list_accounts() override {
    if (auto e = fault("list_accounts")) return *e;
    return inner_.list_accounts();
  }
  Status set_password(Id account, std::string_view password_hash) override {
    if (auto e = fault("set_password")) return *e;
    return inner_.set_password(account, password_hash);
  }
  Status set_two_factor(Id account, bool on) override {
    if (auto e = fault("set_two_factor")) return *e;
    return inner_.set_two_factor(account, on);
  }
  Status set_plan(Id account, std::string_view plan, int64_t quota_bytes) override {
    if (auto e = fault("set_plan")) return *e;
    return inner_.set_plan(account, plan, quota_bytes);
  }
  Status set_quota(Id account, int64_t quota_bytes) override {
    if (auto e = fault("set_quota")) return *e;
    return inner_.set_quota(account, quota_bytes);
  }
  Status add_alias(Id account, std::string_view address) override {
    if (auto e = fault("add_alias")) return *e;
    return inner_.add_alias(account, address);
  }
  Status remove_alias(Id account, std::string_view address) override {
    if (auto e = fault("remove_alias")) return *e;
    return inner_.remove_alias(account, address);
  }
  Result<std::vector<std::string>> list_aliases(Id account) override {
    if (auto e = fault("list_aliases")) return *e;
    return inner_.list_aliases(account);
  }
  Result<AppPassword> add_app_password(Id account, std::string_view label,
                                       std::string_view hash) override {
    if (auto e = fault("add_app_password")) return *e;
    return inner_.add_app_password(account, label, hash);
  }
  Result<std::vector<AppPassword>> list_app_passwords(Id account, bool include_revoked) override {
    if (auto e = fault("list_app_passwords")) return *e;
    return inner_.list_app_passwords(account, include_revoked);
  }
  Status revoke_app_password(Id account, Id app_password, std::string_view reason) override {
    if (auto e = fault("revoke_app_password")) return *e;
    return inner_.revoke_app_password(account, app_password, reason);
  }
  Status revoke_all_app_passwords(Id account, std::string_view reason) override {
    if (auto e = fault("revoke_all_app_passwords")) return *e;
    return inner_.revoke_all_app_passwords(account, reason);
  }
  Result<std::vector<AppPassword>> app_passwords_revoked_since(int64_t since) override {
    if (auto e = fault("app_passwords_revoked_since")) return *e;
    return inner_.app_passwords_revoked_since(since);
  }
  Status note_app_password_use(Id app_password, int64_t time, std::string_view ip,
                               std::string_view client) override {
    if (auto e = fault("note_app_password_use")) return *e;
    return inner_.note_app_password_use(app_password, time, ip, client);
  }
  Status add_event(const Event& e) override {
    if (auto e = fault("add_event")) return *e;
    return inner_.add_event(e);
  }
  Result<std::vector<Event>> list_events(Id account, size_t limit) override {
    if (auto e = fault("list_events")) return *e;
    return inner_.list_events(account, limit);
  }
  Result<std::vector<Mailbox>> list_mailboxes(Id account) override {
    if (auto e = fault("list_mailboxes")) return *e;
    return inner_.list_mailboxes(account);
  }
  Result<Mailbox> get_mailbox(Id account, std::string_view name) override {
    if (auto e = fault("get_mailbox")) return *e;
    return inner_.get_mailbox(account, name);
  }
  Result<Mailbox> get_mailbox_by_id(Id mailbox) override {
    if (auto e = fault("get_mailbox_by_id")) return *e;
    return inner_.get_mailbox_by_id(mailbox);
  }
  Result<Mailbox> create_mailbox(Id account, std::string_view name,
                                 std::string_view special_use) override {
    if (auto e = fault("create_mailbox")) return *e;
    return inner_.create_mailbox(account, name, special_use);
  }
  Status delete_mailbox(Id mailbox) override {
    if (auto e = fault("delete_mailbox")) return *e;
    return inner_.delete_mailbox(mailbox);
  }
  Status rename_mailbox(Id account, std::string_view from, std::string_view to) override {
    if (auto e = fault("rename_mailbox")) return *e;
    return inner_.rename_mailbox(account, from, to);
  }
  Status set_subscribed(Id mailbox, bool on) override {
    if (auto e = fault("set_subscribed")) return *e;
    return inner_.set_subscribed(mailbox, on);
  }
  Result<std::vector<Delivered>> deliver(std::string_view raw, const index::MessageIndex& idx,
                                         const std::vector<DeliveryTarget>& targets,
                                         int64_t internal_date) override {
    if (auto e = fault("deliver")) return *e;
    return inner_.deliver(raw, idx, targets, internal_date);
  }
  void post_delivery(std::shared_ptr<const store::OwnedDelivery> d,
                     store::DeliveryDone done) override {
    if (auto e = fault("post_delivery")) {
      done(*e);
      return;
    }
    inner_.post_delivery(std::move(d), std::move(done));
  }
  Result<std::vector<Delivered>> deliver_many(
      const std::vector<store::NewMessage>& messages) override {
    if (auto e = fault("deliver_many")) return *e;
    return inner_.deliver_many(messages);
  }
  Result<std::vector<MessageMeta>> list_messages(Id mailbox) override {
    if (auto e = fault("list_messages")) return *e;
    return inner_.list_messages(mailbox);
  }
  Result<std::vector<MessageMeta>> get_messages(Id mailbox,
                                                const std::vector<uint32_t>& uids) override {
    if (auto e = fault("get_messages")) return *e;
    return inner_.get_messages(mailbox, uids);
  }
  Result<Changes> changes_since(Id mailbox, uint64_t modseq) override {
    if (auto e = fault("changes_since")) return *e;
    return inner_.changes_since(mailbox, modseq);
  }
  Result<uint32_t> count_deleted(Id mailbox) override {
    if (auto e = fault("count_deleted")) return *e;
    return inner_.count_deleted(mailbox);
  }
  Result<std::string> read_blob(Id blob) override {
    if (auto e = fault("read_blob")) return *e;
    return inner_.read_blob(blob);
  }
  Result<index::MessageIndex> read_index(Id blob) override {
    if (auto e = fault("read_index")) return *e;
    return inner_.read_index(blob);
  }
  Result<std::vector<std::optional<index::MessageIndex>>> read_search_fields(
      const std::vector<Id>& blobs) override {
    if (auto e = fault("read_search_fields")) return *e;
    if (fail_method == "read_index") return store::Store::read_search_fields(blobs);  // per blob
    return inner_.read_search_fields(blobs);
  }
  Result<std::vector<FlagUpdate>> store_flags(Id mailbox, const std::vector<uint32_t>& uids,
                                              FlagOp op, uint32_t flags,
                                              const std::vector<std::string>& keywords,
                                              uint64_t unchanged_since,
                                              std::vector<uint32_t>* failed) override {
    if (auto e = fault("store_flags")) return *e;
    return inner_.store_flags(mailbox, uids, op, flags, keywords, unchanged_since, failed);
  }
  Result<CopyResult> copy_messages(Id from, const std::vector<uint32_t>& uids, Id to,
                                   bool enforce_quota) override {
    if (auto e = fault("copy_messages")) return *e;
    return inner_.copy_messages(from, uids, to, enforce_quota);
  }
  Result<CopyResult> move_messages(Id from, const std::vector<uint32_t>& uids, Id to) override {
    if (auto e = fault("move_messages")) return *e;
    return inner_.move_messages(from, uids, to);
  }
  Result<std::vector<uint32_t>> expunge(Id mailbox, const std::vector<uint32_t>& uids) override {
    if (auto e = fault("expunge")) return *e;
    return inner_.expunge(mailbox, uids);
  }
  Result<store::SubmitResult> submit(std::string_view raw, const index::MessageIndex& idx,
                                     const store::Submission& s, int64_t date) override {
    if (auto e = fault("submit")) return *e;
    return inner_.submit(raw, idx, s, date);
  }
  void post_submit(std::shared_ptr<const store::OwnedSubmission> s,
                   store::SubmitDone done) override {
    if (auto e = fault("post_submit")) {
      done(*e);
      return;
    }
    inner_.post_submit(std::move(s), std::move(done));
  }
  void expect_write() override {
    (void)fault("expect_write");  // counted; a hint has no failure to inject
    inner_.expect_write();
  }
  Result<store::SendUsage> send_usage(Id account, int64_t now, int64_t window) override {
    if (auto e = fault("send_usage")) return *e;
    return inner_.send_usage(account, now, window);
  }
  Result<bool> note_send_warning(Id account, int64_t now, int64_t window) override {
    return inner_.note_send_warning(account, now, window);
  }
  Result<int64_t> note_send_refusal(Id account, int64_t now, int64_t window) override {
    return inner_.note_send_refusal(account, now, window);
  }
  Result<bool> set_send_suspended(Id account, bool on, std::string_view reason,
                                  int64_t now) override {
    return inner_.set_send_suspended(account, on, reason, now);
  }
  Result<store::QueueDuePage> queue_due(int64_t now, size_t limit,
                                        const store::QueueSkip& skip) override {
    if (auto e = fault("queue_due")) return *e;
    return inner_.queue_due(now, limit, skip);
  }
  Result<std::vector<store::QueuedMessage>> queue_list() override { return inner_.queue_list(); }
  Result<store::QueuedMessage> queue_get(Id id) override { return inner_.queue_get(id); }
  Result<int64_t> queue_next_due() override { return inner_.queue_next_due(); }
  Result<store::QueueUpdated> queue_update(Id id, const std::vector<store::RcptUpdate>& u,
                                           bool delay_notified,
                                           const std::vector<store::Notice>& notices) override {
    if (auto e = fault("queue_update")) return *e;
    return inner_.queue_update(id, u, delay_notified, notices);
  }
  void post_queue_update(Id id, std::vector<store::RcptUpdate> u, bool delay_notified,
                         std::function<void(Status)> done) override {
    if (auto e = fault("queue_update")) return done(*e);
    inner_.post_queue_update(id, std::move(u), delay_notified, std::move(done));
  }
  Status queue_retry(Id id, int64_t now) override { return inner_.queue_retry(id, now); }
  Status read_together(const std::function<Status()>& fn) override {
    return inner_.read_together(fn);
  }
  Status queue_delete(Id id) override { return inner_.queue_delete(id); }

 public:
  // Sets fail_method while other threads may be calling the store.
  void fail(const std::string& method) {
    std::lock_guard lk(mu_);
    fail_method = method;
  }
  // Calls of `method` so far.
  int calls(const std::string& method) {
    std::lock_guard lk(mu_);
    auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }
  void reset_calls() {
    std::lock_guard lk(mu_);
    calls_.clear();
  }

 private:
  std::optional<Error> fault(const char* method) {
    if (before_call) before_call(method);
    {
      std::lock_guard lk(mu_);
      ++calls_[method];
      if (fail_method != method) return std::nullopt;
    }
    if (throw_instead) throw std::runtime_error(std::string("injected failure in ") + method);
    return make_error(fail_code, std::string("injected failure in ") + method);
  }
  store::Store& inner_;
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

}  // namespace tegami::imap::server::testing
