// COPY, MOVE and their UID forms. RFC 9051 §6.4.7 (COPY, [TRYCREATE]), RFC 4315 §3
// ([COPYUID uidvalidity source-uids dest-uids]), RFC 6851 §3.3 (MOVE: COPYUID in an untagged
// OK, then EXPUNGE responses, then the tagged OK). Copies into Trash always work, even over
// quota (PRODUCT.md §7).
#include <algorithm>

#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_copy(proto::Command& c) {
  const auto& a = c.as<proto::CopyArgs>();
  bool move = c.type == proto::CommandType::kMove;
  const char* verb = move ? "MOVE" : "COPY";
  if (move && view_->read_only()) co_return "NO [READ-ONLY] The mailbox is read-only";
  std::vector<size_t> sel;
  if (!view_->resolve(a.set, c.uid, &sel)) co_return "BAD Invalid message sequence set";
  auto name = from_wire(a.mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  store::Id account = account_.id;
  auto get = [&] { return ctx_.store->get_mailbox(account, *name); };
  auto dest = co_await blocking(get);
  if (!dest) {
    if (dest.code() == Errc::kNotFound) co_return "NO [TRYCREATE] No such mailbox";
    co_return no_response(dest.error(), verb);
  }
  std::vector<uint32_t> uids;
  for (size_t i : sel) {
    if (!view_->is_expunged(view_->at(i).uid)) uids.push_back(view_->at(i).uid);
  }
  if (uids.empty()) co_return std::string("OK ") + verb + " completed";
  if (move && dest->id == view_->id()) co_return "NO [CANNOT] Source and target are the same";
  store::Id from = view_->id(), to = dest->id;
  bool enforce = dest->special_use != "\\Trash";
  auto fn = [&] {
    return move ? ctx_.store->move_messages(from, uids, to)
                : ctx_.store->copy_messages(from, uids, to, enforce);
  };
  auto r = co_await blocking(fn);
  if (!r) {
    if (r.code() == Errc::kOverQuota) {
      co_return "NO [OVERQUOTA] Your mail storage is full; delete messages or empty the trash";
    }
    co_return no_response(r.error(), verb);
  }
  publish(to);
  std::string code;
  if (!r->uids.empty()) {
    auto pairs = r->uids;
    std::sort(pairs.begin(), pairs.end());
    // Runs where both sides go up by one become "a:b", keeping the pairs in step.
    std::string src, dst;
    for (size_t i = 0; i < pairs.size();) {
      size_t j = i;
      while (j + 1 < pairs.size() && pairs[j + 1].first == pairs[j].first + 1 &&
             pairs[j + 1].second == pairs[j].second + 1)
        ++j;
      auto range = [&](uint32_t a, uint32_t b) {
        return a == b ? std::to_string(a) : std::to_string(a) + ":" + std::to_string(b);
      };
      src += (src.empty() ? "" : ",") + range(pairs[i].first, pairs[j].first);
      dst += (dst.empty() ? "" : ",") + range(pairs[i].second, pairs[j].second);
      i = j + 1;
    }
    code = "[COPYUID " + std::to_string(r->uid_validity) + " " + src + " " + dst + "] ";
  }
  if (!move) co_return "OK " + code + "COPY completed";
  publish(from);
  if (!code.empty()) send("* OK " + code + "Moved\r\n");
  co_await sync(true);
  co_return "OK MOVE completed";
}

}  // namespace tegami::imap::server
