// NOTIFY. RFC 5465 §3.1 (NOTIFY SET [STATUS] / NOTIFY NONE, STATUS before the tagged OK,
// NO [BADEVENT] for unsupported events, NO [NOTIFICATIONOVERFLOW] when too expensive), §4
// (IDLE sends the same events), §5 (none for the client's own changes), §5.1-§5.3 (selected
// mailbox: EXISTS and the MessageNew FETCH, EXPUNGE/VANISHED, FETCH FLAGS; other mailboxes:
// STATUS), §5.4 (MailboxName: LIST, \NonExistent, OLDNAME), §5.5 (SubscriptionChange: LIST with
// \Subscribed), §5.8 (untagged OK [NOTIFICATIONOVERFLOW], then as NOTIFY NONE), §6
// (SELECTED, SELECTED-DELAYED: expunges wait for a command that allows them or IDLE).
//
// Message changes come from the hub per mailbox (one subscription per watched mailbox), mailbox
// events from the account's mailbox-event subscription; both are queued in signals_->notify
// and sent by notify_deliver() while no command runs (session loop) or during IDLE.
#include <boost/asio/post.hpp>

#include <algorithm>

#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

namespace {

using E = proto::NotifyEvent;
using F = proto::NotifyEventGroup::Filter;
using Kind = store::MailboxEvent::Kind;

constexpr const char* kBadEvent =
    "NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] "
    "Unsupported event";

bool supported(E e) {
  return e == E::kMessageNew || e == E::kMessageExpunge || e == E::kFlagChange ||
         e == E::kMailboxName || e == E::kSubscriptionChange;
}

const store::Mailbox* find_by_id(const std::vector<store::Mailbox>& list, store::Id id) {
  for (const auto& m : list) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool has_children(const std::vector<store::Mailbox>& list, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const store::Mailbox& m) {
    return m.name.size() > name.size() + 1 && m.name.starts_with(name) &&
           m.name[name.size()] == '/';
  });
}

}  // namespace

asio::awaitable<Session::Reply> Session::cmd_notify(proto::Command& c) {
  const auto& a = c.as<proto::NotifyArgs>();
  if (!a.set) {
    notify_stop();
    co_return "OK NOTIFY completed";
  }
  for (const auto& g : a.groups) {
    for (E e : g.events) {
      if (!supported(e)) co_return kBadEvent;  // §3.1: NO, not BAD
    }
  }
  if (!ctx_.hub) co_return "NO [UNAVAILABLE] Notifications are not available";
  NotifySpec spec;
  for (const auto& g : a.groups) {
    if (g.filter == F::kSelected || g.filter == F::kSelectedDelayed) {
      if (g.events.empty()) continue;  // SELECTED NONE
      spec.selected = g.filter == F::kSelected ? NotifySpec::Selected::kImmediate
                                               : NotifySpec::Selected::kDelayed;
      spec.selected_flags =
          std::find(g.events.begin(), g.events.end(), E::kFlagChange) != g.events.end();
      spec.selected_fetch = g.fetch_atts;
      // Notifications never set \Seen (§5.2 asks clients not to; we make sure).
      for (auto& att : spec.selected_fetch) att.peek = true;
      continue;
    }
    proto::NotifyEventGroup other = g;
    other.mailboxes.clear();
    for (const auto& m : g.mailboxes) {  // names that cannot be mailboxes are ignored (§6)
      if (auto n = from_wire(m)) other.mailboxes.push_back(*n);
    }
    spec.others.push_back(std::move(other));
  }
  notify_stop();
  notify_ = std::make_unique<NotifyState>(ctx_.hub);
  notify_->spec = std::move(spec);
  signals_->notify = std::make_unique<NotifyQueue>();
  std::weak_ptr<Signals> weak = signals_;
  auto on_event = [weak](const store::MailboxEvent& e) {
    auto sig = weak.lock();
    if (!sig) return;
    asio::post(sig->ex, [sig, e] {
      if (!sig->notify) return;
      if (sig->notify->events.size() >= NotifyQueue::kMaxEvents) {
        sig->notify->overflow = true;
      } else {
        sig->notify->events.push_back(e);
      }
      sig->timer.cancel();
    });
  };
  notify_->events_token = ctx_.hub->subscribe_mailbox_events(account_.id, on_event);
  co_await notify_rewatch(nullptr);
  if (!notify_ || signals_->notify->overflow) {
    notify_stop();
    co_return "NO [NOTIFICATIONOVERFLOW] Too many mailboxes to watch";
  }
  if (a.status) {  // §3.1: STATUS for every other mailbox with message events, before the OK
    std::vector<store::Id> ids;
    for (const auto& [id, w] : notify_->watched) ids.push_back(id);
    for (store::Id id : ids) {
      auto it = notify_->watched.find(id);
      if (it == notify_->watched.end()) continue;
      store::Mailbox mb = it->second.last;
      bool flags = it->second.wanted.flags;
      std::vector<proto::StatusItem> items = {
          proto::StatusItem::kMessages, proto::StatusItem::kUidNext,
          proto::StatusItem::kUidValidity, proto::StatusItem::kUnseen};
      if (condstore_ || flags) items.push_back(proto::StatusItem::kHighestModSeq);
      std::string st = co_await status_items(mb, items);
      send("* STATUS " + wire_name(mb.name) + " " + st + "\r\n");
    }
  }
  co_return "OK NOTIFY completed";
}

void Session::notify_stop() {
  notify_.reset();  // unsubscribes
  if (signals_) signals_->notify.reset();
}

void Session::notify_mailbox_event(store::MailboxEvent ev) {
  if (!ctx_.hub) return;
  ev.origin = notify_ ? notify_->origin : 0;
  ctx_.hub->publish_mailbox_event(account_.id, ev);
}

asio::awaitable<void> Session::notify_rewatch(const std::vector<store::Mailbox>* list,
                                              const std::set<store::Id>* created) {
  if (!notify_ || !signals_->notify) co_return;
  notify_->rewatch = false;
  std::vector<store::Mailbox> fetched;
  if (!list) {
    store::Id account = account_.id;
    auto fn = [&] { return ctx_.store->list_mailboxes(account); };
    auto r = co_await blocking(fn);
    if (!r || !notify_) co_return;
    fetched = std::move(*r);
    list = &fetched;
  }
  store::Id selected = state_ == State::kSelected && view_ ? view_->id() : 0;
  std::map<store::Id, NotifyState::Watched> next;
  std::weak_ptr<Signals> weak = signals_;
  for (const auto& mb : *list) {
    if (mb.id == selected) continue;  // SELECTED rules apply to it (§6.1)
    NotifyWanted wanted = notify_wanted(notify_->spec, mb.name, mb.subscribed);
    if (!wanted.status()) continue;
    if (next.size() >= ctx_.notify_max_mailboxes) {
      signals_->notify->overflow = true;  // §5.8
      signals_->timer.cancel();
      break;
    }
    auto it = notify_->watched.find(mb.id);
    if (it != notify_->watched.end()) {  // keep the subscription and what was last reported
      NotifyState::Watched w = it->second;
      w.wanted = wanted;
      next.emplace(mb.id, w);
      notify_->watched.erase(it);
      continue;
    }
    NotifyState::Watched w;
    w.last = mb;
    w.wanted = wanted;
    bool just_created = created && created->count(mb.id) > 0;
    if (just_created) {
      // Messages may have been appended before the subscription below (or even before the
      // list was read): compare with the empty mailbox, and look once subscribed.
      w.last.messages = 0;
      w.last.unseen = 0;
      w.last.uid_next = 1;
      signals_->notify->changed.insert(mb.id);
      signals_->timer.cancel();
    }
    auto on_change = [weak](store::Id m) {
      auto sig = weak.lock();
      if (!sig) return;
      asio::post(sig->ex, [sig, m] {
        if (!sig->notify) return;
        sig->notify->changed.insert(m);
        sig->timer.cancel();
      });
    };
    w.token = ctx_.hub->subscribe(mb.id, on_change);
    next.emplace(mb.id, w);
  }
  for (const auto& [id, w] : notify_->watched) ctx_.hub->unsubscribe(w.token);
  notify_->watched = std::move(next);
  std::erase_if(notify_->own_changes, [&](store::Id id) { return !notify_->watched.count(id); });
}

asio::awaitable<void> Session::notify_new_messages(uint32_t after_uid) {
  if (!notify_ || notify_->spec.selected == NotifySpec::Selected::kNone ||
      notify_->spec.selected_fetch.empty() || !view_) {
    co_return;
  }
  // §5.2: EXISTS (sent by sync) followed by a FETCH of what MessageNew asked for.
  proto::FetchArgs fa;
  fa.set.ranges.push_back(proto::SeqRange{after_uid + 1, proto::kStar});
  fa.atts = notify_->spec.selected_fetch;
  proto::Command fc;
  fc.tag = "*";
  fc.type = proto::CommandType::kFetch;
  fc.uid = true;
  fc.args = std::move(fa);
  Reply r = co_await cmd_fetch(fc);
  (void)r;  // a failure leaves the client with the EXISTS only
}

asio::awaitable<void> Session::notify_deliver(bool idle) {
  if (!notify_ || !signals_->notify) co_return;
  NotifyQueue& q = *signals_->notify;
  if (q.overflow) {  // §5.8
    send("* OK [NOTIFICATIONOVERFLOW] Too many notifications; NOTIFY is off\r\n");
    notify_stop();
    if (idle) co_await sync(true);
    co_return;
  }
  // The selected mailbox (§6.1): SELECTED at once, SELECTED-DELAYED without expunges until a
  // command allows them (IDLE does), none without either (the replies to commands still
  // carry the updates RFC 9051 requires).
  if (state_ == State::kSelected && view_) {
    if (notify_->spec.selected == NotifySpec::Selected::kNone) {
      signals_->changed = false;
    } else if (signals_->changed) {
      bool expunge = idle || notify_->spec.selected == NotifySpec::Selected::kImmediate;
      co_await sync(expunge, true);
      if (state_ == State::kLogout || !notify_ || !signals_->notify) co_return;
    }
  }
  std::vector<store::MailboxEvent> events;
  events.swap(signals_->notify->events);
  std::set<store::Id> changed;
  changed.swap(signals_->notify->changed);

  if (!events.empty()) {
    store::Id account = account_.id;
    auto fn = [&] { return ctx_.store->list_mailboxes(account); };
    auto listed = co_await blocking(fn);
    if (!listed || !notify_) co_return;
    const auto& list = *listed;
    std::string out;
    auto line = [&](std::string attrs, const std::string& name, const std::string* old) {
      out += "* LIST (" + attrs + ") \"/\" " + wire_name(name);
      if (old) out += " (\"OLDNAME\" (" + wire_name(*old) + "))";
      out += "\r\n";
    };
    auto attrs_of = [&](const store::Mailbox* mb, const std::string& name) {
      if (!mb) return std::string("\\NonExistent");
      std::string s = has_children(list, name) ? "\\HasChildren" : "\\HasNoChildren";
      if (mb->subscribed) s += " \\Subscribed";
      return s;
    };
    for (const auto& e : events) {
      if (e.origin != 0 && e.origin == notify_->origin) continue;  // §5: our own
      const NotifySpec& spec = notify_->spec;
      switch (e.kind) {
        case Kind::kCreated: {
          const store::Mailbox* mb = find_by_id(list, e.mailbox);
          if (notify_wanted(spec, e.name, mb && mb->subscribed).name) {
            line(attrs_of(mb, e.name), e.name, nullptr);
          }
          break;
        }
        case Kind::kDeleted:
          if (notify_wanted(spec, e.name, true).name) line("\\NonExistent", e.name, nullptr);
          break;
        case Kind::kRenamed: {
          const store::Mailbox* mb = find_by_id(list, e.mailbox);
          bool sub = mb && mb->subscribed;
          if (!notify_wanted(spec, e.name, sub).name && !notify_wanted(spec, e.old_name, sub).name)
            break;
          line(attrs_of(mb, e.name), e.name, &e.old_name);
          // §5.4: each renamed mailbox, the children too.
          for (const auto& child : list) {
            if (child.name.size() <= e.name.size() + 1 || !child.name.starts_with(e.name) ||
                child.name[e.name.size()] != '/') {
              continue;
            }
            std::string old = e.old_name + child.name.substr(e.name.size());
            line(attrs_of(&child, child.name), child.name, &old);
          }
          break;
        }
        case Kind::kSubscribed:
        case Kind::kUnsubscribed: {
          if (!notify_wanted(spec, e.name, true).subscription) break;
          const store::Mailbox* mb = find_by_id(list, e.mailbox);
          std::string s = mb ? (has_children(list, e.name) ? "\\HasChildren" : "\\HasNoChildren")
                             : "\\NonExistent";
          if (e.kind == Kind::kSubscribed) s += " \\Subscribed";
          line(s, e.name, nullptr);
          break;
        }
      }
    }
    send(out);
    std::set<store::Id> created;
    for (const auto& e : events)  // by others: our own changes are not announced (§5)
      if (e.kind == Kind::kCreated && (e.origin == 0 || e.origin != notify_->origin))
        created.insert(e.mailbox);
    co_await notify_rewatch(&list, &created);
    if (!notify_ || !signals_->notify) co_return;
  }

  // Other mailboxes (§5.1-§5.3): one STATUS each with what changed since the last one.
  for (store::Id id : changed) {
    if (!notify_ || !notify_->watched.count(id)) continue;
    bool own = notify_->own_changes.erase(id) > 0;
    auto fn = [&] { return ctx_.store->get_mailbox_by_id(id); };
    auto mb = co_await blocking(fn);
    if (!mb || !notify_) continue;  // deleted meanwhile: the mailbox event tells
    auto it = notify_->watched.find(id);
    if (it == notify_->watched.end()) continue;
    NotifyState::Watched& w = it->second;
    bool messages = mb->messages != w.last.messages || mb->uid_next != w.last.uid_next ||
                    mb->uid_validity != w.last.uid_validity;
    bool flags = mb->highest_modseq != w.last.highest_modseq || mb->unseen != w.last.unseen;
    w.last = *mb;
    if (own || !((w.wanted.message && messages) || (w.wanted.flags && flags))) continue;
    std::vector<proto::StatusItem> items = {
        proto::StatusItem::kMessages, proto::StatusItem::kUidNext, proto::StatusItem::kUidValidity,
        proto::StatusItem::kUnseen};
    if (condstore_ || w.wanted.flags) items.push_back(proto::StatusItem::kHighestModSeq);
    store::Mailbox status = *mb;
    std::string st = co_await status_items(status, items);
    send("* STATUS " + wire_name(status.name) + " " + st + "\r\n");
  }
}

}  // namespace tegami::imap::server
