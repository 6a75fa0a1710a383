// Selecting. RFC 9051 §6.3.2 (SELECT), §6.3.3 (EXAMINE), §6.4.1 (CLOSE), §7.1 ([CLOSED],
// [READ-ONLY], [READ-WRITE], [PERMANENTFLAGS], [UIDVALIDITY], [UIDNEXT]); RFC 3501 §6.3.1
// (IMAP4rev1 clients also get RECENT and [UNSEEN n]); RFC 3691 (UNSELECT); RFC 7162 §3.1.8
// (CONDSTORE parameter), §3.2.5 (QRESYNC parameter: VANISHED (EARLIER) and changed flags).
#include <algorithm>
#include <set>

#include "base/strings.hpp"
#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_select(proto::Command& c) {
  const auto& a = c.as<proto::SelectArgs>();
  bool examine = c.type == proto::CommandType::kExamine;
  for (const auto& p : a.params) {  // RFC 4466 §2.2: unknown parameters are an error
    if (p.name != "CONDSTORE" && p.name != "QRESYNC") co_return "BAD Unknown SELECT parameter";
  }
  // RFC 7162 §3.2.5: the QRESYNC parameter needs ENABLE QRESYNC first.
  if (a.qresync && !qresync_) co_return "BAD QRESYNC is not enabled";
  if (state_ == State::kSelected) {
    leave_mailbox();
    state_ = State::kAuth;
    send("* OK [CLOSED] Previous mailbox closed\r\n");
  }
  if (a.condstore) condstore_ = true;  // RFC 7162 §3.1.8
  auto name = from_wire(a.mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  store::Id account = account_.id;
  // The shared snapshot: when it and the mailbox row are current, nothing is read; else one
  // trip to the worker pool reads the row and the changes since the snapshot (the whole
  // mailbox only when no session of this process has it).
  MailboxCache& cache = *ctx_.mailbox_cache;
  std::optional<MailboxCache::Selected> sel = cache.lookup(account, *name);
  if (!sel) {
    store::Store* st = ctx_.store;
    store::ChangeHub* hub = ctx_.hub;
    auto get = [&] { return cache.select(*st, hub, account, *name); };
    auto r = co_await blocking(get);
    if (!r) {
      if (r.code() == Errc::kNotFound) co_return "NO [NONEXISTENT] No such mailbox";
      co_return no_response(r.error(), "SELECT");
    }
    sel = std::move(*r);
  }
  const store::Mailbox* mb = &sel->mailbox;
  store::Id id = mb->id;
  view_.emplace(*mb, std::move(sel->snap), examine);
  watch_mailbox(id);  // after the load: the cache saw changes published since (sync())
  state_ = State::kSelected;

  uint32_t first_unseen = 0;
  for (size_t i = 0; i < view_->size() && !first_unseen; ++i) {
    if (!(view_->at(i).flags & store::kSeen)) first_unseen = static_cast<uint32_t>(i + 1);
  }
  std::string flags = view_->flags_responses();
  size_t split = flags.find("\r\n") + 2;  // FLAGS first, PERMANENTFLAGS after UNSEEN
  send(flags.substr(0, split));
  send("* " + std::to_string(view_->size()) + " EXISTS\r\n");
  if (!rev2_) {
    send("* 0 RECENT\r\n");
    if (first_unseen) {
      send("* OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen\r\n");
    }
  }
  send(flags.substr(split));
  send("* OK [UIDVALIDITY " + std::to_string(view_->uid_validity()) + "] UIDs valid\r\n");
  send("* OK [UIDNEXT " + std::to_string(view_->uid_next()) + "] Predicted next UID\r\n");
  // RFC 7162 §3.1.2.1: every SELECT/EXAMINE of a CONDSTORE server reports HIGHESTMODSEQ.
  send("* OK [HIGHESTMODSEQ " + std::to_string(view_->modseq()) + "] Highest\r\n");
  // RFC 8474 §4.1.
  send("* OK [MAILBOXID (" + mailbox_object_id(mb->id) + ")] Mailbox id\r\n");
  if (rev2_) {
    std::string attrs;
    if (!mb->special_use.empty()) attrs = mb->special_use;
    send("* LIST (" + attrs + ") \"/\" " + wire_name(mb->name) + "\r\n");
  }
  if (a.qresync && a.qresync->uidvalidity == view_->uid_validity()) {
    Status st = co_await qresync_select(*a.qresync);
    if (!st) {
      leave_mailbox();
      state_ = State::kAuth;
      co_return no_response(st.error(), "SELECT");
    }
  }
  co_return examine ? "OK [READ-ONLY] EXAMINE completed" : "OK [READ-WRITE] SELECT completed";
}

// RFC 7162 §3.2.5.1: after the usual SELECT responses, VANISHED (EARLIER) for the known UIDs
// expunged since the client's mod-sequence, then FETCH (UID FLAGS MODSEQ) for every message
// changed since. The store keeps every expunged UID with its mod-sequence, so the
// sequence-match data (§3.2.5.2) is not needed and is ignored. With another UIDVALIDITY the
// parameter is ignored (the client resynchronises in full).
asio::awaitable<Status> Session::qresync_select(const proto::QresyncParams& q) {
  store::Id id = view_->id();
  uint64_t since = q.modseq;
  auto fn = [&] { return ctx_.store->changes_since(id, since); };
  auto changes = co_await blocking(fn);
  if (!changes) co_return changes.error();
  std::vector<uint32_t> vanished;
  for (uint32_t uid : changes->expunged) {
    if (view_->seq_of(uid) != 0) continue;  // expunged after the load: the next sync says so
    if (q.known_uids && !q.known_uids->contains(uid, UINT32_MAX)) continue;
    vanished.push_back(uid);
  }
  std::string out;
  if (!vanished.empty())
    out += "* VANISHED (EARLIER) " + proto::sequence_set_string(vanished) + "\r\n";
  for (size_t i = 0; i < view_->size(); ++i) {
    const auto& m = view_->at(i);
    if (m.modseq <= since) continue;
    out += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " +
           format_flags(m.flags, m.keywords, false) + " MODSEQ (" + std::to_string(m.modseq) +
           "))\r\n";
  }
  send(out);
  co_return Status{};
}

asio::awaitable<Session::Reply> Session::cmd_close(proto::Command&) {
  co_await sync(false);  // current flags; no EXPUNGE responses for CLOSE
  uint64_t modseq = view_->modseq();
  if (!view_->read_only()) {
    // Expunge \Deleted messages silently (RFC 9051 §6.4.1).
    std::vector<uint32_t> uids;
    for (size_t i = 0; i < view_->size(); ++i) {
      const auto& m = view_->at(i);
      if (m.flags & store::kDeleted) uids.push_back(m.uid);
    }
    if (!uids.empty()) {
      store::Id id = view_->id();
      auto fn = [&] { return ctx_.store->expunge(id, uids); };
      auto r = co_await blocking(fn);
      if (!r) co_return no_response(r.error(), "CLOSE");
      publish(id);
      if (qresync_) {
        auto get = [&] { return ctx_.store->get_mailbox_by_id(id); };
        auto mb = co_await blocking(get);
        if (mb) modseq = std::max(modseq, mb->highest_modseq);
      }
    }
  }
  leave_mailbox();
  state_ = State::kAuth;
  // RFC 7162 §3.2: with QRESYNC the client learns the mod-sequence after the silent expunge.
  if (qresync_) co_return "OK [HIGHESTMODSEQ " + std::to_string(modseq) + "] CLOSE completed";
  co_return "OK CLOSE completed";
}

asio::awaitable<Session::Reply> Session::cmd_unselect(proto::Command&) {
  leave_mailbox();
  state_ = State::kAuth;
  co_return "OK UNSELECT completed";
}

}  // namespace tegami::imap::server
