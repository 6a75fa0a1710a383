// NOTIFY (RFC 5465 §3.1 command, §5 event composition rules, §6 mailbox specifiers, §8 formal
// syntax):
//   notify           = "NOTIFY" SP (notify-set / notify-none)
//   notify-set       = "SET" [SP "STATUS"] SP event-group *(SP event-group)
//   event-group      = "(" filter-mailboxes SP events ")"
//   filter-mailboxes = "SELECTED" / "SELECTED-DELAYED" / "INBOXES" / "PERSONAL" / "SUBSCRIBED" /
//                      ("SUBTREE" / "MAILBOXES") SP one-or-more-mailbox
//   events           = "(" event *(SP event) ")" / "NONE"
//   event            = "MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"] / atom
// All names case-insensitive (§8).
#include <algorithm>

#include "base/strings.hpp"
#include "imap/proto/parsers.hpp"

namespace tegami::imap::proto::detail {

namespace {

using E = NotifyEvent;
using F = NotifyEventGroup::Filter;

struct EventName {
  const char* upper;
  E event;
};

constexpr EventName kEvents[] = {
    {"MESSAGENEW", E::kMessageNew},
    {"MESSAGEEXPUNGE", E::kMessageExpunge},
    {"FLAGCHANGE", E::kFlagChange},
    {"ANNOTATIONCHANGE", E::kAnnotationChange},
    {"MAILBOXNAME", E::kMailboxName},
    {"SUBSCRIPTIONCHANGE", E::kSubscriptionChange},
    {"MAILBOXMETADATACHANGE", E::kMailboxMetadataChange},
    {"SERVERMETADATACHANGE", E::kServerMetadataChange},
};

bool has(const NotifyEventGroup& g, E e) {
  return std::find(g.events.begin(), g.events.end(), e) != g.events.end();
}

bool message_event(E e) {
  return e == E::kMessageNew || e == E::kMessageExpunge || e == E::kFlagChange ||
         e == E::kAnnotationChange;
}

bool fetch_atts(Reader& r, std::vector<FetchAtt>& out) {
  if (!r.expect('(')) {
    return false;
  }
  for (;;) {
    FetchAtt a;
    if (!parse_fetch_att(r, a) || !r.count_item()) {
      return false;
    }
    out.push_back(std::move(a));
    if (r.eat(')')) {
      return true;
    }
    if (!r.sp()) {
      return false;
    }
  }
}

bool event_group(Reader& r, NotifyEventGroup& g) {
  std::string filter;
  if (!r.expect('(') || !r.atom_upper(filter) || !r.count_item()) {
    return false;
  }
  if (filter == "SELECTED") {
    g.filter = F::kSelected;
  } else if (filter == "SELECTED-DELAYED") {
    g.filter = F::kSelectedDelayed;
  } else if (filter == "INBOXES") {
    g.filter = F::kInboxes;
  } else if (filter == "PERSONAL") {
    g.filter = F::kPersonal;
  } else if (filter == "SUBSCRIBED") {
    g.filter = F::kSubscribed;
  } else if (filter == "SUBTREE" || filter == "MAILBOXES") {
    g.filter = filter == "SUBTREE" ? F::kSubtree : F::kMailboxes;
    if (!r.sp() || !r.one_or_list(g.mailboxes, &Reader::mailbox)) {
      return false;
    }
  } else {
    return r.fail("unknown mailbox specifier " + printable(filter));
  }
  if (!r.sp()) {
    return false;
  }
  if (r.eat_word("NONE")) {
    return r.expect(')');
  }
  if (!r.expect('(')) {
    return false;
  }
  for (;;) {
    std::string raw;
    if (!r.atom(raw) || !r.count_item()) {
      return false;
    }
    std::string name = ascii_upper(raw);
    E e = E::kOther;
    for (const auto& n : kEvents) {
      if (name == n.upper) {
        e = n.event;
      }
    }
    if (e == E::kOther) {
      g.other_events.push_back(raw);
    } else if (has(g, e)) {
      return r.fail("event " + printable(raw) + " given twice");
    }
    g.events.push_back(e);
    if (e == E::kMessageNew && r.looking_at(" (")) {
      if (!r.sp() || !fetch_atts(r, g.fetch_atts)) {
        return false;
      }
    }
    if (r.eat(')')) {
      break;
    }
    if (!r.sp()) {
      return false;
    }
  }
  if (!r.expect(')')) {
    return false;
  }
  // §5: FlagChange/AnnotationChange need MessageNew and MessageExpunge; those two go together.
  bool fresh = has(g, E::kMessageNew), gone = has(g, E::kMessageExpunge);
  if ((has(g, E::kFlagChange) || has(g, E::kAnnotationChange)) && !(fresh && gone)) {
    return r.fail("FlagChange and AnnotationChange need MessageNew and MessageExpunge");
  }
  if (fresh != gone) {
    return r.fail("MessageNew and MessageExpunge must be given together");
  }
  // §6.1: only message events with SELECTED / SELECTED-DELAYED.
  if (g.filter == F::kSelected || g.filter == F::kSelectedDelayed) {
    for (E ev : g.events) {
      if (ev != E::kOther && !message_event(ev)) {
        return r.fail("only message events may be given for the selected mailbox");
      }
    }
  }
  return true;
}

}  // namespace

bool parse_notify(Reader& r, Command& cmd) {
  NotifyArgs a;
  if (!r.sp()) {
    return false;
  }
  if (r.eat_word("NONE")) {
    if (!r.end()) {
      return false;
    }
    cmd.args = std::move(a);
    return true;
  }
  if (!r.eat_word("SET")) {
    return r.fail("expected SET or NONE");
  }
  a.set = true;
  if (!r.sp()) {
    return false;
  }
  if (r.eat_word("STATUS")) {
    a.status = true;
    if (!r.sp()) {
      return false;
    }
  }
  bool selected = false;
  for (;;) {
    NotifyEventGroup g;
    if (!event_group(r, g)) {
      return false;
    }
    if (g.filter == F::kSelected || g.filter == F::kSelectedDelayed) {
      if (selected) {  // §6.1: one of SELECTED and SELECTED-DELAYED, once
        return r.fail("only one SELECTED or SELECTED-DELAYED event group is allowed");
      }
      selected = true;
    }
    a.groups.push_back(std::move(g));
    if (r.at_end() || r.rest_blank()) {
      break;
    }
    if (!r.sp()) {
      return false;
    }
  }
  if (!r.end()) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace tegami::imap::proto::detail
