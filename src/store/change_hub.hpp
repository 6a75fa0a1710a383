// In-process publication of mailbox changes (new mail, flags, expunges) to every session that
// has the mailbox selected or is in IDLE (DESIGN.md §3). Subscribers get only "mailbox X
// changed"; they then ask the store for Changes since their last modseq, so nothing is lost
// when notifications coalesce. The callback runs on the publisher's thread: it must only
// schedule work (post to the session's executor), never block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "store/store.hpp"

namespace tegami::store {

class ChangeHub {
 public:
  using Callback = std::function<void(Id mailbox)>;
  using Token = uint64_t;

  Token subscribe(Id mailbox, Callback cb);
  void unsubscribe(Token t);
  void publish(Id mailbox);

  // Account-wide listeners (e.g. "end every session that uses app password N").
  Token subscribe_account(Id account, std::function<void(Id app_password)> cb);
  void publish_revocation(Id account, Id app_password);  // 0 = all app passwords

 private:
  std::mutex mu_;
  Token next_ = 1;
  std::multimap<Id, std::pair<Token, Callback>> subs_;
  std::multimap<Id, std::pair<Token, std::function<void(Id)>>> account_subs_;
};

}  // namespace tegami::store
