// In-process publication of mailbox changes (new mail, flags, expunges) to every session that
// has the mailbox selected or is in IDLE (DESIGN.md §3). Subscribers get only "mailbox X
// changed"; they then ask the store for Changes since their last modseq, so nothing is lost
// when notifications coalesce. The callback runs on the publisher's thread: it must only
// schedule work (post to the session's executor), never block.
//
// Account-level mailbox events (created, deleted, renamed, subscription changed) are published
// by the IMAP commands that cause them, for IMAP NOTIFY (RFC 5465 MailboxName and
// SubscriptionChange) and for sessions that watch a set of mailboxes by name.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/store.hpp"

namespace tegami::store {

struct MailboxEvent {
  enum class Kind { kCreated, kDeleted, kRenamed, kSubscribed, kUnsubscribed };
  Kind kind = Kind::kCreated;
  Id mailbox = 0;
  std::string name;      // the name after the event (for kDeleted: the name it had)
  std::string old_name;  // kRenamed: the name before (children are renamed with it)
  uint64_t origin = 0;   // who caused it (e.g. a session's id), 0 = unknown
};

class ChangeHub {
 public:
  using Callback = std::function<void(Id mailbox)>;
  using EventCallback = std::function<void(const MailboxEvent&)>;
  using Token = uint64_t;

  Token subscribe(Id mailbox, Callback cb);
  void unsubscribe(Token t);  // any kind of subscription; unknown tokens are ignored
  void publish(Id mailbox);

  // Account-wide listeners (e.g. "end every session that uses app password N").
  Token subscribe_account(Id account, std::function<void(Id app_password)> cb);
  void publish_revocation(Id account, Id app_password);  // 0 = all app passwords

  // Mailbox events of one account (see MailboxEvent).
  Token subscribe_mailbox_events(Id account, EventCallback cb);
  void publish_mailbox_event(Id account, const MailboxEvent& ev);

  // A process-wide unique, non-zero id for MailboxEvent::origin.
  static uint64_t new_origin();

 private:
  enum class Kind { kMailbox, kAccount, kEvents };
  std::mutex mu_;
  Token next_ = 1;
  std::multimap<Id, std::pair<Token, Callback>> subs_;
  std::multimap<Id, std::pair<Token, std::function<void(Id)>>> account_subs_;
  std::multimap<Id, std::pair<Token, EventCallback>> event_subs_;
  std::unordered_map<Token, std::pair<Kind, Id>> where_;  // token -> its map and key
};

}  // namespace tegami::store
