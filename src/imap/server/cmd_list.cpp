// LIST and LSUB. RFC 9051 §6.3.9 (LIST: reference + pattern, "*" and "%", \NonExistent,
// \Noselect, \HasChildren/\HasNoChildren, \Subscribed, RETURN (SUBSCRIBED CHILDREN SPECIAL-USE
// STATUS)), RFC 3501 §6.3.8-6.3.9 (LIST, LSUB for IMAP4rev1 clients), RFC 5258 (LIST-EXTENDED
// selection options), RFC 5819 (LIST-STATUS), RFC 6154 (SPECIAL-USE), RFC 3348 (CHILDREN).
#include <algorithm>
#include <map>

#include "base/strings.hpp"
#include "imap/proto/mailbox.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

namespace {

// Wildcard match: '*' matches anything, '%' anything but the separator '/'.
bool wildcard_match(std::string_view pat, std::string_view name) {
  if (pat.size() > 1024) return false;  // bounded work per name
  // dp[j]: pat[0..i) matches name[0..j)
  std::vector<char> dp(name.size() + 1, 0), next(name.size() + 1, 0);
  dp[0] = 1;
  for (char p : pat) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*') {
      bool any = false;
      for (size_t j = 0; j <= name.size(); ++j) {
        any = any || dp[j];
        next[j] = any;
      }
    } else if (p == '%') {
      for (size_t j = 0; j <= name.size(); ++j) {
        if (!dp[j]) continue;
        next[j] = 1;
        for (size_t k = j; k < name.size() && name[k] != '/'; ++k) next[k + 1] = 1;
      }
    } else {
      for (size_t j = 0; j < name.size(); ++j) {
        if (dp[j] && name[j] == p) next[j + 1] = 1;
      }
    }
    dp.swap(next);
  }
  return dp[name.size()];
}

// INBOX is case-insensitive, also as the first level of a pattern.
std::string normalize_pattern(std::string p) {
  if (p.size() >= 5 && iequals(std::string_view(p).substr(0, 5), "INBOX") &&
      (p.size() == 5 || p[5] == '/')) {
    for (size_t i = 0; i < 5; ++i) p[i] = static_cast<char>(std::toupper(p[i]));
  }
  return p;
}

struct Entry {
  const store::Mailbox* mb = nullptr;  // null: implied parent that does not exist
  bool children = false;
  bool selected_child = false;  // a descendant satisfies the LIST selection options
};

}  // namespace

asio::awaitable<Session::Reply> Session::cmd_list(proto::Command& c) {
  const auto& a = c.as<proto::ListArgs>();
  bool lsub = c.type == proto::CommandType::kLsub;
  const char* verb = lsub ? "LSUB" : "LIST";
  bool sel_subscribed = false, sel_special = false, sel_recursive = false;
  for (const auto& s : a.selection) {
    if (s == "SUBSCRIBED") sel_subscribed = true;
    if (s == "SPECIAL-USE") sel_special = true;
    if (s == "RECURSIVEMATCH") sel_recursive = true;
  }
  // RFC 5258 §3.1: RECURSIVEMATCH alone (or with REMOTE only) is an error.
  if (sel_recursive && !sel_subscribed && !sel_special) {
    co_return "BAD RECURSIVEMATCH needs another selection option";
  }
  if (lsub) sel_subscribed = true;
  bool show_subscribed = !lsub && (a.ret_subscribed || sel_subscribed);
  bool extended = a.extended || rev2_;

  // The empty pattern asks for the hierarchy separator (RFC 9051 §6.3.9).
  if (a.patterns.size() == 1 && a.patterns[0].empty()) {
    send(std::string("* ") + verb + " (\\Noselect) \"/\" \"\"\r\n");
    co_return std::string("OK ") + verb + " completed";
  }
  store::Id account = account_.id;
  auto fn = [&] { return ctx_.store->list_mailboxes(account); };
  auto boxes = co_await blocking(fn);
  if (!boxes) co_return no_response(boxes.error(), verb);

  // Does a mailbox satisfy the selection options (RFC 5258 §3.1)?
  auto selected = [&](const store::Mailbox* mb) {
    if (!sel_subscribed && !sel_special) return true;
    if (!mb) return false;
    if (sel_subscribed && !mb->subscribed) return false;
    if (sel_special && mb->special_use.empty()) return false;
    return true;
  };
  std::map<std::string, Entry> all;  // by name; INBOX sorted first below
  for (const auto& mb : *boxes) all[mb.name].mb = &mb;
  for (const auto& mb : *boxes) {
    bool sel = selected(&mb);
    for (size_t pos = mb.name.find('/'); pos != std::string::npos;
         pos = mb.name.find('/', pos + 1)) {
      Entry& parent = all[mb.name.substr(0, pos)];
      parent.children = true;
      if (sel) parent.selected_child = true;
    }
  }
  std::vector<std::string> patterns;
  for (const auto& p : a.patterns) {
    auto decoded = from_wire(a.reference + p);
    patterns.push_back(normalize_pattern(decoded ? *decoded : a.reference + p));
  }
  std::vector<std::string> names;
  if (all.count("INBOX")) names.push_back("INBOX");
  for (const auto& [n, e] : all) {
    if (n != "INBOX") names.push_back(n);
  }
  for (const auto& n : names) {
    const Entry& e = all[n];
    bool match = false;
    for (const auto& p : patterns) {
      if (!wildcard_match(p, n)) continue;
      // Implied parents are listed only for a trailing '%' (RFC 3501 §6.3.8) or when they
      // lead to a mailbox that satisfies the selection (RFC 5258 §3.5 RECURSIVEMATCH).
      if (!e.mb && (p.empty() || p.back() != '%') && !(sel_recursive && e.selected_child)) {
        continue;
      }
      match = true;
    }
    if (!match) continue;
    // RFC 5258 §3.5 / RFC 9051 §6.3.9.4: with RECURSIVEMATCH a mailbox is also listed (with
    // CHILDINFO) when a descendant satisfies the selection options.
    bool childinfo = sel_recursive && e.selected_child;
    if (!selected(e.mb) && !childinfo) continue;
    std::vector<std::string> attrs;
    if (!e.mb) attrs.push_back(extended ? "\\NonExistent" : "\\Noselect");
    if (!lsub) attrs.push_back(e.children ? "\\HasChildren" : "\\HasNoChildren");
    if (show_subscribed && e.mb && e.mb->subscribed) attrs.push_back("\\Subscribed");
    if (e.mb && !e.mb->special_use.empty() && !lsub) attrs.push_back(e.mb->special_use);
    std::string line = std::string("* ") + verb + " (";
    for (size_t i = 0; i < attrs.size(); ++i) line += (i ? " " : "") + attrs[i];
    line += ") \"/\" " + wire_name(n);
    if (childinfo) {
      line += " (\"CHILDINFO\" (";
      if (sel_subscribed) line += "\"SUBSCRIBED\"";
      if (sel_special) line += std::string(sel_subscribed ? " " : "") + "\"SPECIAL-USE\"";
      line += "))";
    }
    send(line + "\r\n");
    // RFC 5819 §2: STATUS only for selectable mailboxes.
    if (a.ret_status && e.mb) {
      std::string st = co_await status_items(*e.mb, a.status_items);
      send("* STATUS " + wire_name(n) + " " + st + "\r\n");
    }
  }
  co_return std::string("OK ") + verb + " completed";
}

asio::awaitable<std::string> Session::status_items(const store::Mailbox& mb,
                                                   const std::vector<proto::StatusItem>& items) {
  using S = proto::StatusItem;
  uint32_t deleted = 0;
  if (std::find(items.begin(), items.end(), S::kDeleted) != items.end()) {
    store::Id id = mb.id;
    auto fn = [&] { return ctx_.store->count_deleted(id); };
    auto n = co_await blocking(fn);
    if (n) deleted = *n;
  }
  std::string out = "(";
  for (S item : items) {
    std::string value;
    switch (item) {
      case S::kMessages:
        value = std::to_string(mb.messages);
        break;
      case S::kUidNext:
        value = std::to_string(mb.uid_next);
        break;
      case S::kUidValidity:
        value = std::to_string(mb.uid_validity);
        break;
      case S::kUnseen:
        value = std::to_string(mb.unseen);
        break;
      case S::kDeleted:
        value = std::to_string(deleted);
        break;
      case S::kSize:
        value = std::to_string(mb.size);
        break;
      case S::kRecent:
        value = view_ && view_->id() == mb.id ? std::to_string(view_->recent_count()) : "0";
        break;
      case S::kHighestModSeq:
        value = std::to_string(mb.highest_modseq);
        break;
      case S::kAppendLimit:
        value = std::to_string(ctx_.append_limit);
        break;
      case S::kMailboxId:  // RFC 8474 §4.2
        value = "(" + mailbox_object_id(mb.id) + ")";
        break;
    }
    if (out.size() > 1) out += ' ';
    out += std::string(proto::status_item_name(item)) + " " + value;
  }
  out += ")";
  co_return out;
}

asio::awaitable<Session::Reply> Session::cmd_status(proto::Command& c) {
  const auto& a = c.as<proto::StatusArgs>();
  auto name = from_wire(a.mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  store::Id account = account_.id;
  auto get = [&] { return ctx_.store->get_mailbox(account, *name); };
  auto mb = co_await blocking(get);
  if (!mb) {
    if (mb.code() == Errc::kNotFound) co_return "NO [NONEXISTENT] No such mailbox";
    co_return no_response(mb.error(), "STATUS");
  }
  std::string st = co_await status_items(*mb, a.items);
  send("* STATUS " + wire_name(mb->name) + " " + st + "\r\n");
  co_return "OK STATUS completed";
}

}  // namespace tegami::imap::server
