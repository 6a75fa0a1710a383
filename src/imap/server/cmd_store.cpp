// STORE and UID STORE. RFC 9051 §6.4.6 (FLAGS, +FLAGS, -FLAGS, .SILENT; the FETCH responses
// report the new flags), §6.4.9 (UID STORE responses carry UID), §7.5.1 (no EXPUNGE during
// STORE). Read-only mailboxes refuse (RFC 9051 §6.3.3).
#include "imap/server/error_map.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_store(proto::Command& c) {
  const auto& a = c.as<proto::StoreArgs>();
  if (a.unchanged_since) co_return "BAD CONDSTORE is not supported";
  if (view_->read_only()) co_return "NO [READ-ONLY] The mailbox is read-only";
  auto flags = parse_flags(a.flags);
  if (!flags) co_return "BAD Invalid flag";
  std::vector<size_t> sel;
  if (!view_->resolve(a.set, c.uid, &sel)) co_return "BAD Invalid message sequence set";
  std::vector<uint32_t> uids;
  for (size_t i : sel) {
    if (!view_->is_expunged(view_->at(i).uid)) uids.push_back(view_->at(i).uid);
  }
  if (!uids.empty()) {
    store::FlagOp op = a.op == proto::StoreArgs::Op::kReplace ? store::FlagOp::kSet
                       : a.op == proto::StoreArgs::Op::kAdd   ? store::FlagOp::kAdd
                                                              : store::FlagOp::kRemove;
    store::Id id = view_->id();
    auto fn = [&] {
      return ctx_.store->store_flags(id, uids, op, flags->bits, flags->keywords, 0, nullptr);
    };
    auto r = co_await blocking(fn);
    if (!r) co_return no_response(r.error(), "STORE");
    for (const auto& u : *r) view_->set_flags(u.uid, u.flags, u.keywords);
    if (!r->empty()) publish(id);
  }
  if (!a.silent) {
    for (uint32_t uid : uids) {
      uint32_t seq = view_->seq_of(uid);
      if (seq == 0) continue;
      const auto& m = view_->at(seq - 1);
      std::string line = "* " + std::to_string(seq) + " FETCH (";
      if (c.uid) line += "UID " + std::to_string(uid) + " ";
      line += "FLAGS " + format_flags(m.flags, m.keywords, !rev2_ && view_->is_recent(uid));
      send(line + ")\r\n");
    }
  }
  co_return "OK STORE completed";
}

}  // namespace tegami::imap::server
