// SEARCH and UID SEARCH. RFC 9051 §6.4.4 (search keys, CHARSET, [BADCHARSET]), §7.3.4
// (ESEARCH response for IMAP4rev2), RFC 3501 §6.4.4 / §7.2.5 ("* SEARCH" for IMAP4rev1
// clients), RFC 4731 (RETURN MIN MAX ALL COUNT, MODSEQ with MIN/MAX), RFC 5182 (SAVE),
// RFC 5032 (OLDER, YOUNGER), RFC 8474 §6 (EMAILID), RFC 8514 §5 (SAVED*), RFC 5267 §4
// (UPDATE, CONTEXT, PARTIAL: cmd_context.cpp).
#include <algorithm>
#include <ctime>

#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/search_eval.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_search(proto::Command& c) {
  const auto& a = c.as<proto::SearchArgs>();
  // RFC 6855 §3 (and its erratum 4029): after ENABLE UTF8=ACCEPT every string is UTF-8, so a
  // CHARSET naming anything else conflicts. CHARSET UTF-8 itself is harmless and accepted.
  if (utf8_ && a.charset && *a.charset != "UTF-8") {
    co_return "BAD Only CHARSET UTF-8 may be given after ENABLE UTF8=ACCEPT";
  }
  if (a.charset && *a.charset != "UTF-8" && *a.charset != "US-ASCII") {
    co_return "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset";
  }
  if (auto refused = context_refusal(c.tag, a.ret)) co_return *refused;
  proto::SearchKey key = fold_search_key(a.key);
  // A MODSEQ key enables CONDSTORE and adds the highest mod-sequence of the result
  // (RFC 7162 §3.1.5).
  auto uses_modseq = [](const proto::SearchKey& k, auto& self) -> bool {
    if (k.type == proto::SearchKey::Type::kModSeq) return true;
    for (const auto& ch : k.children) {
      if (self(ch, self)) return true;
    }
    return false;
  };
  bool modseq_key = uses_modseq(key, uses_modseq);
  if (modseq_key) condstore_ = true;
  uint64_t max_modseq = 0;
  bool needs_index = search_needs_index(key);
  SearchScope scope;
  scope.message_count = static_cast<uint32_t>(view_->size());
  scope.max_uid = view_->max_uid();
  scope.now = static_cast<int64_t>(std::time(nullptr));
  scope.saved = &view_->saved_result();
  scope.account = account_.id;
  const MailboxView& view = *view_;
  std::vector<uint32_t> hits;      // sequence numbers or UIDs, ascending
  std::vector<uint32_t> hit_uids;  // for RETURN (SAVE)
  std::vector<uint64_t> hit_modseqs;
  bool uid = c.uid;
  auto eval = [&]() -> Status {
    // Text keys read the search fields of a chunk of messages in one store call (a large
    // mailbox would otherwise cost a store transaction per message).
    constexpr size_t kChunk = 2048;
    std::vector<store::Id> blobs;
    std::vector<std::optional<index::MessageIndex>> idxs;
    for (size_t begin = 0; begin < view.size(); begin += kChunk) {
      size_t end = std::min(view.size(), begin + kChunk);
      if (needs_index) {
        blobs.clear();
        view.for_each(begin, end, [&](size_t, const MailboxSnapshot::Chunk& ch, size_t k) {
          blobs.push_back(ch.entry(k).blob_id);
        });
        auto r = ctx_.store->read_search_fields(blobs);
        if (!r) return r.error();
        idxs = std::move(*r);
      }
      view.for_each(begin, end, [&](size_t i, const MailboxSnapshot::Chunk& ch, size_t k) {
        uint32_t u = ch.entry(k).uid;
        if (view.is_expunged(u)) return;
        if (needs_index && !idxs[i - begin]) return;  // expunged meanwhile
        const store::MessageMeta meta = ch.meta(k);
        SearchMessage m;
        m.meta = &meta;
        m.seq = static_cast<uint32_t>(i + 1);
        m.recent = view.is_recent(u);
        if (needs_index) m.idx = &*idxs[i - begin];
        if (search_matches(key, m, scope)) {
          hits.push_back(uid ? meta.uid : m.seq);
          hit_uids.push_back(meta.uid);
          max_modseq = std::max(max_modseq, meta.modseq);
          hit_modseqs.push_back(meta.modseq);
        }
      });
    }
    return {};
  };
  Status st = co_await blocking(eval);
  if (!st) {
    // RFC 5182 §2.1: a failed SEARCH ... RETURN (SAVE) leaves "$" empty.
    if (a.ret.save) view_->save_result({});
    co_return no_response(st.error(), "SEARCH");
  }

  if (!rev2_ && !a.ret.given) {  // IMAP4rev1 clients: RFC 3501 §7.2.5
    std::string line = "* SEARCH";
    for (uint32_t n : hits) line += " " + std::to_string(n);
    if (modseq_key && !hits.empty()) line += " (MODSEQ " + std::to_string(max_modseq) + ")";
    send(line + "\r\n");
    co_return "OK SEARCH completed";
  }
  proto::SearchReturn ret = a.ret;
  if (ret.update) context_start(c, key, nullptr, hit_uids, {});
  if (ret.save) {
    // RFC 5182 §2.4: with only MIN and/or MAX (besides SAVE), only those are saved.
    std::vector<uint32_t> saved;
    if ((ret.min || ret.max) && !ret.all && !ret.count) {
      if (ret.min && !hit_uids.empty()) saved.push_back(hit_uids.front());
      if (ret.max && !hit_uids.empty() && (saved.empty() || saved.back() != hit_uids.back())) {
        saved.push_back(hit_uids.back());
      }
    } else {
      saved = hit_uids;
    }
    view_->save_result(std::move(saved));
    // SAVE alone: no ESEARCH response (RFC 5182 §2.1).
    if (!ret.min && !ret.max && !ret.count && !ret.all && !ret.partial) {
      co_return "OK SEARCH completed";
    }
  }
  if (!ret.given) ret.all = true;
  if (!ret.min && !ret.max && !ret.count && !ret.all && !ret.partial) ret.all = true;
  std::string line = "* ESEARCH (TAG " + proto::quote_string(c.tag) + ")";
  if (uid) line += " UID";
  if (!hits.empty()) {
    if (ret.min) line += " MIN " + std::to_string(hits.front());
    if (ret.max) line += " MAX " + std::to_string(hits.back());
  }
  if (ret.count) line += " COUNT " + std::to_string(hits.size());
  if (ret.all && !hits.empty()) line += " ALL " + proto::sequence_set_string(hits);
  if (ret.partial) line += " " + partial_item(*ret.partial, hits);
  if (modseq_key && !hits.empty()) {
    // RFC 4731 §3.2 / RFC 7162 §3.1.5: with only MIN and/or MAX, the highest mod-sequence of
    // the messages returned; otherwise of all found messages.
    if ((ret.min || ret.max) && !ret.all && !ret.count) {
      max_modseq = 0;
      if (ret.min) max_modseq = hit_modseqs.front();
      if (ret.max) max_modseq = std::max(max_modseq, hit_modseqs.back());
    }
    line += " MODSEQ " + std::to_string(max_modseq);
  }
  send(line + "\r\n");
  co_return "OK SEARCH completed";
}

}  // namespace tegami::imap::server
