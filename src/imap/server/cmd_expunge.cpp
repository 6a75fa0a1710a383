// EXPUNGE and UID EXPUNGE. RFC 9051 §6.4.3 (EXPUNGE), §7.5.1 (EXPUNGE responses, descending
// order keeps sequence numbers valid), RFC 4315 §2.1 (UID EXPUNGE: only the given UIDs),
// RFC 7162 §3.2 (VANISHED and [HIGHESTMODSEQ] once QRESYNC is enabled).
#include "imap/server/error_map.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_expunge(proto::Command& c) {
  if (view_->read_only()) co_return "NO [READ-ONLY] The mailbox is read-only";
  const auto& a = c.as<proto::ExpungeArgs>();
  co_await sync(true);  // current \Deleted flags
  std::vector<uint32_t> uids;
  auto take = [&](const store::MessageMeta& m) {
    if ((m.flags & store::kDeleted) && !view_->is_expunged(m.uid)) uids.push_back(m.uid);
  };
  if (c.uid && a.set) {
    std::vector<size_t> idx;
    if (!view_->resolve(*a.set, true, &idx)) co_return "BAD Invalid UID set";
    for (size_t i : idx) take(view_->at(i));
  } else {
    for (size_t i = 0; i < view_->size(); ++i) take(view_->at(i));
  }
  if (!uids.empty()) {
    store::Id id = view_->id();
    auto fn = [&] { return ctx_.store->expunge(id, uids); };
    auto r = co_await blocking(fn);
    if (!r) co_return no_response(r.error(), "EXPUNGE");
    publish(id);
    co_await sync(true);
  }
  // RFC 7162 §3.2 (as KIMAP and others read it): with QRESYNC the tagged OK carries the
  // mailbox's mod-sequence after the expunge.
  if (qresync_)
    co_return "OK [HIGHESTMODSEQ " + std::to_string(view_->modseq()) + "] EXPUNGE completed";
  co_return "OK EXPUNGE completed";
}

}  // namespace tegami::imap::server
