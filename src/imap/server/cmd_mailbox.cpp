// Mailbox management. RFC 9051 §6.3.4 (CREATE, superior names created as needed; a trailing
// separator is dropped), §6.3.5 (DELETE; INBOX cannot be deleted), §6.3.6 (RENAME, including
// INBOX), §6.3.7-6.3.8 (SUBSCRIBE, UNSUBSCRIBE), RFC 5530 (ALREADYEXISTS, NONEXISTENT, CANNOT).
// Each change is published as a mailbox event for NOTIFY (RFC 5465 §5.4, §5.5).
#include "base/strings.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

namespace {

// A usable mailbox name: no empty levels, no control characters, bounded.
bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 512 || n.front() == '/' || n.back() == '/') return false;
  if (n.find("//") != std::string::npos) return false;
  for (unsigned char c : n) {
    if (c < 0x20 || c == 0x7f || c == '*' || c == '%') return false;
  }
  return true;
}

}  // namespace

asio::awaitable<Session::Reply> Session::cmd_create(proto::Command& c) {
  const auto& a = c.as<proto::CreateArgs>();
  auto name = from_wire(a.mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  std::string n = *name;
  while (!n.empty() && n.back() == '/') n.pop_back();
  if (iequals(n, "INBOX")) co_return "NO [ALREADYEXISTS] INBOX always exists";
  if (!valid_name(n)) co_return "NO [CANNOT] Invalid mailbox name";
  for (const auto& p : a.params) {  // RFC 4466 §2.2: unknown parameters are an error
    if (p.name != "USE") co_return "BAD Unknown CREATE parameter";
  }
  // RFC 6154 §3 (CREATE-SPECIAL-USE): a mailbox holds at most one special use here.
  std::string special;
  if (a.special_use.size() > 1) {
    co_return "NO [USEATTR] Only one special-use attribute per mailbox is supported";
  }
  for (const auto& u : a.special_use) {
    for (const char* known : {"\\Drafts", "\\Sent", "\\Junk", "\\Trash", "\\Archive"}) {
      if (iequals(u, known)) special = known;
    }
    if (special.empty()) co_return "NO [USEATTR] Unsupported special-use attribute";
  }
  store::Id account = account_.id;
  // Superior names first; existing ones are fine.
  for (size_t pos = n.find('/'); pos != std::string::npos; pos = n.find('/', pos + 1)) {
    std::string parent = n.substr(0, pos);
    auto mk = [&] { return ctx_.store->create_mailbox(account, parent, ""); };
    auto r = co_await blocking(mk);
    if (!r && r.code() != Errc::kExists) co_return no_response(r.error(), "CREATE");
    if (r) notify_mailbox_event({store::MailboxEvent::Kind::kCreated, r->id, parent, "", 0});
  }
  auto mk = [&] { return ctx_.store->create_mailbox(account, n, special); };
  auto r = co_await blocking(mk);
  if (!r) {
    if (r.code() == Errc::kExists) co_return "NO [ALREADYEXISTS] Mailbox already exists";
    co_return no_response(r.error(), "CREATE");
  }
  notify_mailbox_event({store::MailboxEvent::Kind::kCreated, r->id, n, "", 0});
  co_return "OK [MAILBOXID (" + mailbox_object_id(r->id) + ")] CREATE completed";  // RFC 8474
}

asio::awaitable<Session::Reply> Session::cmd_delete(proto::Command& c) {
  auto name = from_wire(c.as<proto::MailboxArgs>().mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  if (*name == "INBOX") co_return "NO [CANNOT] INBOX cannot be deleted";
  store::Id account = account_.id;
  auto get = [&] { return ctx_.store->get_mailbox(account, *name); };
  auto mb = co_await blocking(get);
  if (!mb) {
    if (mb.code() == Errc::kNotFound) co_return "NO [NONEXISTENT] No such mailbox";
    co_return no_response(mb.error(), "DELETE");
  }
  store::Id id = mb->id;
  auto del = [&] { return ctx_.store->delete_mailbox(id); };
  auto r = co_await blocking(del);
  if (!r) co_return no_response(r.error(), "DELETE");
  publish(id);
  notify_mailbox_event({store::MailboxEvent::Kind::kDeleted, id, *name, "", 0});
  if (view_ && view_->id() == id) {
    leave_mailbox();
    state_ = State::kAuth;
    send("* OK [CLOSED] The selected mailbox was deleted\r\n");
  }
  co_return "OK DELETE completed";
}

asio::awaitable<Session::Reply> Session::cmd_rename(proto::Command& c) {
  const auto& a = c.as<proto::RenameArgs>();
  auto from = from_wire(a.from);
  auto to = from_wire(a.to);
  if (!from || !to) co_return "NO [CANNOT] Invalid mailbox name";
  std::string t = *to;
  while (!t.empty() && t.back() == '/') t.pop_back();
  if (!valid_name(t) || iequals(t, "INBOX")) co_return "NO [CANNOT] Invalid target name";
  if (istarts_with(t, *from + "/")) co_return "NO [CANNOT] Cannot move a mailbox into itself";
  store::Id account = account_.id;
  for (size_t pos = t.find('/'); pos != std::string::npos; pos = t.find('/', pos + 1)) {
    std::string parent = t.substr(0, pos);
    auto mk = [&] { return ctx_.store->create_mailbox(account, parent, ""); };
    auto r = co_await blocking(mk);
    if (!r && r.code() != Errc::kExists) co_return no_response(r.error(), "RENAME");
    if (r) notify_mailbox_event({store::MailboxEvent::Kind::kCreated, r->id, parent, "", 0});
  }
  std::string f = *from;
  auto ren = [&] { return ctx_.store->rename_mailbox(account, f, t); };
  auto r = co_await blocking(ren);
  if (!r) {
    if (r.code() == Errc::kNotFound) co_return "NO [NONEXISTENT] No such mailbox";
    if (r.code() == Errc::kExists) co_return "NO [ALREADYEXISTS] Target mailbox already exists";
    co_return no_response(r.error(), "RENAME");
  }
  if (f == "INBOX" && view_) publish(view_->id());
  // RFC 5465 §5.4 (MailboxName): renaming INBOX leaves INBOX and makes a new mailbox.
  auto get = [&] { return ctx_.store->get_mailbox(account, t); };
  auto renamed = co_await blocking(get);
  if (renamed && f == "INBOX") {
    notify_mailbox_event({store::MailboxEvent::Kind::kCreated, renamed->id, t, "", 0});
    auto inbox_get = [&] { return ctx_.store->get_mailbox(account, "INBOX"); };
    auto inbox = co_await blocking(inbox_get);
    if (inbox && !(view_ && view_->id() == inbox->id)) publish(inbox->id);  // now empty
  } else if (renamed) {
    notify_mailbox_event({store::MailboxEvent::Kind::kRenamed, renamed->id, t, f, 0});
  }
  co_return "OK RENAME completed";
}

asio::awaitable<Session::Reply> Session::cmd_subscribe(proto::Command& c) {
  bool on = c.type == proto::CommandType::kSubscribe;
  auto name = from_wire(c.as<proto::MailboxArgs>().mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  store::Id account = account_.id;
  auto get = [&] { return ctx_.store->get_mailbox(account, *name); };
  auto mb = co_await blocking(get);
  if (!mb) {
    if (mb.code() == Errc::kNotFound) co_return "NO [NONEXISTENT] No such mailbox";
    co_return no_response(mb.error(), on ? "SUBSCRIBE" : "UNSUBSCRIBE");
  }
  store::Id id = mb->id;
  auto set = [&] { return ctx_.store->set_subscribed(id, on); };
  auto r = co_await blocking(set);
  if (!r) co_return no_response(r.error(), on ? "SUBSCRIBE" : "UNSUBSCRIBE");
  notify_mailbox_event(
      {on ? store::MailboxEvent::Kind::kSubscribed : store::MailboxEvent::Kind::kUnsubscribed, id,
       mb->name, "", 0});
  co_return on ? "OK SUBSCRIBE completed" : "OK UNSUBSCRIBE completed";
}

}  // namespace tegami::imap::server
