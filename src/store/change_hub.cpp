#include "store/change_hub.hpp"

#include <vector>

namespace tegami::store {

ChangeHub::Token ChangeHub::subscribe(Id mailbox, Callback cb) {
  std::lock_guard lk(mu_);
  Token t = next_++;
  subs_.emplace(mailbox, std::make_pair(t, std::move(cb)));
  return t;
}

ChangeHub::Token ChangeHub::subscribe_account(Id account, std::function<void(Id)> cb) {
  std::lock_guard lk(mu_);
  Token t = next_++;
  account_subs_.emplace(account, std::make_pair(t, std::move(cb)));
  return t;
}

void ChangeHub::unsubscribe(Token t) {
  std::lock_guard lk(mu_);
  for (auto* m : {&subs_, &account_subs_}) {
    for (auto it = m->begin(); it != m->end(); ++it) {
      if (it->second.first == t) {
        m->erase(it);
        return;
      }
    }
  }
}

void ChangeHub::publish(Id mailbox) {
  std::vector<Callback> cbs;
  {
    std::lock_guard lk(mu_);
    auto [b, e] = subs_.equal_range(mailbox);
    for (auto it = b; it != e; ++it) cbs.push_back(it->second.second);
  }
  for (auto& cb : cbs) cb(mailbox);
}

void ChangeHub::publish_revocation(Id account, Id app_password) {
  std::vector<std::function<void(Id)>> cbs;
  {
    std::lock_guard lk(mu_);
    auto [b, e] = account_subs_.equal_range(account);
    for (auto it = b; it != e; ++it) cbs.push_back(it->second.second);
  }
  for (auto& cb : cbs) cb(app_password);
}

}  // namespace tegami::store
