// NOTIFY (RFC 5465) state of one session. The pure part (which events a mailbox gets, from the
// event groups) is here; the session part (hub subscriptions, STATUS/LIST responses, the
// selected mailbox's updates between commands and during IDLE) is in cmd_notify.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "imap/proto/command.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::imap::server {

// The events a mailbox other than the selected one gets (union over the matching groups).
struct NotifyWanted {
  bool message = false;       // MessageNew + MessageExpunge: STATUS
  bool flags = false;         // FlagChange: STATUS with HIGHESTMODSEQ
  bool name = false;          // MailboxName: LIST
  bool subscription = false;  // SubscriptionChange: LIST
  bool status() const { return message || flags; }
};

// NOTIFY SET as the session uses it: mailbox names decoded to UTF-8.
struct NotifySpec {
  enum class Selected { kNone, kImmediate, kDelayed };
  Selected selected = Selected::kNone;          // SELECTED / SELECTED-DELAYED with message events
  bool selected_flags = false;                  // FlagChange for the selected mailbox
  std::vector<proto::FetchAtt> selected_fetch;  // MessageNew (fetch-att ...) for it
  std::vector<proto::NotifyEventGroup> others;  // the other groups (names in UTF-8)
};

// True when `name` is one of the mailboxes a group's specifier names (RFC 5465 §6.2-§6.6).
// INBOXES is INBOX: mail is only ever delivered there.
bool notify_filter_matches(const proto::NotifyEventGroup& g, const std::string& name,
                           bool subscribed);
NotifyWanted notify_wanted(const NotifySpec& spec, const std::string& name, bool subscribed);

// Filled by hub callbacks on the session's executor, emptied by the session.
struct NotifyQueue {
  static constexpr size_t kMaxEvents = 1000;  // more pending: NOTIFICATIONOVERFLOW (§5.8)
  std::set<store::Id> changed;  // watched mailboxes with new, expunged or changed messages
  std::vector<store::MailboxEvent> events;
  bool overflow = false;
  bool pending() const { return !changed.empty() || !events.empty() || overflow; }
};

struct NotifyState {
  NotifyState(store::ChangeHub* h) : hub(h), origin(store::ChangeHub::new_origin()) {}
  ~NotifyState();
  NotifyState(const NotifyState&) = delete;
  NotifyState& operator=(const NotifyState&) = delete;

  struct Watched {
    store::ChangeHub::Token token = 0;
    store::Mailbox last;  // the counts last reported (or seen)
    NotifyWanted wanted;
  };
  store::ChangeHub* hub = nullptr;
  uint64_t origin = 0;  // MailboxEvent::origin of this session's own mailbox commands
  NotifySpec spec;
  store::ChangeHub::Token events_token = 0;
  std::map<store::Id, Watched> watched;  // mailboxes with STATUS events, not the selected one
  std::set<store::Id> own_changes;       // changed by this session: no STATUS (§5)
  bool rewatch = false;                  // the selection or the mailboxes changed
};

}  // namespace tegami::imap::server
