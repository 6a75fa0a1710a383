#include "store/change_hub.hpp"

#include <atomic>
#include <vector>

namespace tegami::store {

namespace {

template <class M>
void erase_token(M& m, Id key, ChangeHub::Token t) {
  auto [b, e] = m.equal_range(key);
  for (auto it = b; it != e; ++it) {
    if (it->second.first == t) {
      m.erase(it);
      return;
    }
  }
}

template <class M>
auto callbacks(M& m, Id key) {
  std::vector<typename M::mapped_type::second_type> cbs;
  auto [b, e] = m.equal_range(key);
  for (auto it = b; it != e; ++it) cbs.push_back(it->second.second);
  return cbs;
}

}  // namespace

ChangeHub::Token ChangeHub::subscribe(Id mailbox, Callback cb) {
  std::lock_guard lk(mu_);
  Token t = next_++;
  subs_.emplace(mailbox, std::make_pair(t, std::move(cb)));
  where_.emplace(t, std::make_pair(Kind::kMailbox, mailbox));
  return t;
}

ChangeHub::Token ChangeHub::subscribe_account(Id account, std::function<void(Id)> cb) {
  std::lock_guard lk(mu_);
  Token t = next_++;
  account_subs_.emplace(account, std::make_pair(t, std::move(cb)));
  where_.emplace(t, std::make_pair(Kind::kAccount, account));
  return t;
}

ChangeHub::Token ChangeHub::subscribe_mailbox_events(Id account, EventCallback cb) {
  std::lock_guard lk(mu_);
  Token t = next_++;
  event_subs_.emplace(account, std::make_pair(t, std::move(cb)));
  where_.emplace(t, std::make_pair(Kind::kEvents, account));
  return t;
}

void ChangeHub::unsubscribe(Token t) {
  std::lock_guard lk(mu_);
  auto w = where_.find(t);
  if (w == where_.end()) return;
  auto [kind, key] = w->second;
  where_.erase(w);
  switch (kind) {
    case Kind::kMailbox:
      erase_token(subs_, key, t);
      break;
    case Kind::kAccount:
      erase_token(account_subs_, key, t);
      break;
    case Kind::kEvents:
      erase_token(event_subs_, key, t);
      break;
  }
}

void ChangeHub::publish(Id mailbox) {
  std::vector<Callback> cbs;
  {
    std::lock_guard lk(mu_);
    cbs = callbacks(subs_, mailbox);
  }
  for (auto& cb : cbs) cb(mailbox);
}

void ChangeHub::publish_revocation(Id account, Id app_password) {
  std::vector<std::function<void(Id)>> cbs;
  {
    std::lock_guard lk(mu_);
    cbs = callbacks(account_subs_, account);
  }
  for (auto& cb : cbs) cb(app_password);
}

void ChangeHub::publish_mailbox_event(Id account, const MailboxEvent& ev) {
  std::vector<EventCallback> cbs;
  {
    std::lock_guard lk(mu_);
    cbs = callbacks(event_subs_, account);
  }
  for (auto& cb : cbs) cb(ev);
}

uint64_t ChangeHub::new_origin() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace tegami::store
