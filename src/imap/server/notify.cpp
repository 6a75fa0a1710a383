// RFC 5465 §6 (mailbox specifiers) and §5 (which events a group asks for).
#include "imap/server/notify.hpp"

#include <algorithm>

namespace tegami::imap::server {

namespace {

using F = proto::NotifyEventGroup::Filter;
using E = proto::NotifyEvent;

bool has(const proto::NotifyEventGroup& g, E e) {
  return std::find(g.events.begin(), g.events.end(), e) != g.events.end();
}

}  // namespace

bool notify_filter_matches(const proto::NotifyEventGroup& g, const std::string& name,
                           bool subscribed) {
  switch (g.filter) {
    case F::kSelected:
    case F::kSelectedDelayed:
      return false;
    case F::kInboxes:
      return name == "INBOX";
    case F::kPersonal:
      return true;
    case F::kSubscribed:
      return subscribed;
    case F::kSubtree:
      return std::any_of(g.mailboxes.begin(), g.mailboxes.end(), [&](const std::string& m) {
        return name == m ||
               (name.size() > m.size() && name.starts_with(m) && name[m.size()] == '/');
      });
    case F::kMailboxes:
      return std::find(g.mailboxes.begin(), g.mailboxes.end(), name) != g.mailboxes.end();
  }
  return false;
}

NotifyWanted notify_wanted(const NotifySpec& spec, const std::string& name, bool subscribed) {
  NotifyWanted w;
  for (const auto& g : spec.others) {
    if (!notify_filter_matches(g, name, subscribed)) continue;
    w.message = w.message || has(g, E::kMessageNew);
    w.flags = w.flags || has(g, E::kFlagChange);
    w.name = w.name || has(g, E::kMailboxName);
    w.subscription = w.subscription || has(g, E::kSubscriptionChange);
  }
  return w;
}

NotifyState::~NotifyState() {
  if (!hub) return;
  if (events_token) hub->unsubscribe(events_token);
  for (const auto& [id, w] : watched) hub->unsubscribe(w.token);
}

}  // namespace tegami::imap::server
