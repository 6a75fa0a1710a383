// STORE and UID STORE. RFC 9051 §6.4.6 (FLAGS, +FLAGS, -FLAGS, .SILENT; the FETCH responses
// report the new flags), §6.4.9 (UID STORE responses carry UID), §7.5.1 (no EXPUNGE during
// STORE). Read-only mailboxes refuse (RFC 9051 §6.3.3).
#include <algorithm>

#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_store(proto::Command& c) {
  const auto& a = c.as<proto::StoreArgs>();
  if (view_->read_only()) co_return "NO [READ-ONLY] The mailbox is read-only";
  auto flags = parse_flags(a.flags);
  if (!flags) co_return "BAD Invalid flag";
  std::vector<size_t> sel;
  if (!view_->resolve(a.set, c.uid, &sel)) co_return "BAD Invalid message sequence set";
  if (a.unchanged_since) condstore_ = true;  // RFC 7162 §3.1.3
  std::vector<uint32_t> uids;
  std::vector<uint32_t> failed;  // UNCHANGEDSINCE test failed
  std::vector<uint32_t> updated;
  for (size_t i : sel) {
    if (!view_->is_expunged(view_->at(i).uid)) uids.push_back(view_->at(i).uid);
  }
  if (!uids.empty()) {
    store::FlagOp op = a.op == proto::StoreArgs::Op::kReplace ? store::FlagOp::kSet
                       : a.op == proto::StoreArgs::Op::kAdd   ? store::FlagOp::kAdd
                                                              : store::FlagOp::kRemove;
    store::Id id = view_->id();
    auto fn = [&] {
      return ctx_.store->store_flags(id, uids, op, flags->bits, flags->keywords,
                                     a.unchanged_since.value_or(0), &failed);
    };
    auto r = co_await blocking(fn);
    if (!r) co_return no_response(r.error(), "STORE");
    bool new_keywords = false;
    for (const auto& u : *r) {
      new_keywords = view_->note_keywords(u.keywords) || new_keywords;
      view_->set_flags(u.uid, u.flags, u.keywords, u.modseq);
      updated.push_back(u.uid);
    }
    if (new_keywords) send(view_->flags_responses());
    std::sort(failed.begin(), failed.end());
    std::sort(updated.begin(), updated.end());
    if (!r->empty()) publish(id);
  }
  // FETCH responses: FLAGS unless .SILENT; with CONDSTORE also MODSEQ, which .SILENT still
  // reports for the messages that changed (RFC 7162 §3.1.3). Failed ones get none.
  for (uint32_t uid : uids) {
    if (std::binary_search(failed.begin(), failed.end(), uid)) continue;
    bool changed = std::binary_search(updated.begin(), updated.end(), uid);
    if (a.silent && !(condstore_ && changed)) continue;
    uint32_t seq = view_->seq_of(uid);
    if (seq == 0) continue;
    const auto& m = view_->at(seq - 1);
    std::string line = "* " + std::to_string(seq) + " FETCH (";
    if (c.uid) line += "UID " + std::to_string(uid) + " ";
    if (!a.silent) {
      line += "FLAGS " + format_flags(m.flags, m.keywords, !rev2_ && view_->is_recent(uid));
      if (condstore_) line += " ";
    }
    if (condstore_) line += "MODSEQ (" + std::to_string(m.modseq) + ")";
    send(line + ")\r\n");
  }
  if (!failed.empty()) {
    std::vector<uint32_t> numbers;
    for (uint32_t uid : failed) {
      uint32_t n = c.uid ? uid : view_->seq_of(uid);
      if (n) numbers.push_back(n);
    }
    std::sort(numbers.begin(), numbers.end());
    co_return "OK [MODIFIED " + proto::sequence_set_string(numbers) + "] Conditional STORE failed";
  }
  co_return "OK STORE completed";
}

}  // namespace tegami::imap::server
