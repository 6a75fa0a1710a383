// CONTEXT=SEARCH and CONTEXT=SORT. RFC 5267 §4.1 (SEARCH results in mailbox order), §4.2
// (CONTEXT: a hint, nothing more here), §4.3 (UPDATE: ESEARCH ADDTO/REMOVEFROM as the result
// changes, until the mailbox is closed or CANCELUPDATE; BAD for a tag already used by an
// updating context), §4.3.1 (NOUPDATE: at most SearchContexts::kMax contexts), §4.3.2-§4.3.4
// (positions: 0 for SEARCH, the place in the sort order for SORT; REMOVEFROM before the
// EXPUNGE, ADDTO after the EXISTS), §4.3.5 (CANCELUPDATE), §4.4 (PARTIAL); RFC 5465 §7 (ADDTO
// after the MessageNew FETCH).
#include <algorithm>
#include <ctime>

#include "imap/proto/response.hpp"
#include "imap/server/search_eval.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

std::string ordered_set(const std::vector<uint32_t>& ids) {
  std::string out;
  size_t i = 0;
  while (i < ids.size()) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ids[i]);
    if (j > i) out += ':' + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

std::string partial_item(const std::pair<uint32_t, uint32_t>& range,
                         const std::vector<uint32_t>& ids) {
  std::string r = "PARTIAL (" + std::to_string(range.first) + ":" + std::to_string(range.second);
  if (range.first > ids.size()) return r + " NIL)";
  size_t end = std::min<size_t>(range.second, ids.size());
  std::vector<uint32_t> part(ids.begin() + (range.first - 1), ids.begin() + end);
  return r + " " + ordered_set(part) + ")";
}

std::optional<std::string> Session::context_refusal(const std::string& tag,
                                                    const proto::SearchReturn& ret) {
  if (!ret.update) return std::nullopt;
  if (contexts_ && contexts_->find(tag)) {
    return std::string("BAD Tag reuse: an updating context has this tag");  // §4.3
  }
  return std::nullopt;
}

void Session::context_start(const proto::Command& c, const proto::SearchKey& key,
                            const std::vector<proto::SortCriterion>* criteria,
                            std::vector<uint32_t> uids, std::vector<SortRecord> records) {
  if (!contexts_) contexts_ = std::make_unique<SearchContexts>();
  size_t size = criteria ? records.size() : uids.size();
  if (contexts_->list.size() >= SearchContexts::kMax || size > SearchContexts::kMaxResult) {
    send("* NO [NOUPDATE " + proto::quote_string(c.tag) + "] Too many updating contexts\r\n");
    return;
  }
  SearchContext ctx;
  ctx.tag = c.tag;
  ctx.uid = c.uid;
  ctx.sort = criteria != nullptr;
  ctx.key = key;
  ctx.needs_index = search_needs_index(key);
  if (criteria) {
    ctx.criteria = *criteria;
    ctx.needs_index = ctx.needs_index || sort_needs_index(*criteria);
    ctx.records = std::move(records);
  } else {
    ctx.uids = std::move(uids);
  }
  contexts_->list.push_back(std::move(ctx));
}

asio::awaitable<Session::Reply> Session::cmd_cancelupdate(proto::Command& c) {
  const auto& a = c.as<proto::CancelUpdateArgs>();
  for (const auto& tag : a.tags) {
    if (!contexts_ || !contexts_->find(tag)) {
      co_return "BAD No updating context has the tag " + proto::quote_string(tag);
    }
  }
  for (const auto& tag : a.tags) {
    std::erase_if(contexts_->list, [&](const SearchContext& x) { return x.tag == tag; });
  }
  co_return "OK CANCELUPDATE completed";
}

namespace {

std::string esearch_head(const SearchContext& ctx) {
  return "* ESEARCH (TAG " + proto::quote_string(ctx.tag) + ")" + (ctx.uid ? " UID" : "");
}

}  // namespace

asio::awaitable<std::string> Session::contexts_before(const store::Changes& changes,
                                                      std::vector<ContextAdds>* adds) {
  adds->assign(contexts_->list.size(), ContextAdds{});
  // The changed messages (new ones and flag changes) against every context, on the pool.
  struct Eval {
    size_t ctx = 0;
    uint32_t uid = 0;
    bool match = false;
    SortRecord rec;
  };
  std::vector<Eval> evals;
  const MailboxView& view = *view_;
  const std::vector<SearchContext>& list = contexts_->list;
  bool needs_index =
      std::any_of(list.begin(), list.end(), [](const SearchContext& x) { return x.needs_index; });
  SearchScope scope;
  scope.message_count = static_cast<uint32_t>(view.size());
  scope.max_uid = view.max_uid();
  for (const auto& m : changes.changed) {
    if (m.uid > scope.max_uid) {
      ++scope.message_count;
      scope.max_uid = m.uid;
    }
  }
  scope.now = static_cast<int64_t>(std::time(nullptr));
  scope.saved = &view.saved_result();
  scope.account = account_.id;
  auto eval = [&]() -> Status {
    uint32_t next_seq = static_cast<uint32_t>(view.size());
    uint32_t top = view.max_uid();
    for (const auto& m : changes.changed) {
      if (std::binary_search(changes.expunged.begin(), changes.expunged.end(), m.uid)) continue;
      SearchMessage sm;
      sm.meta = &m;
      uint32_t seq = view.seq_of(m.uid);
      if (seq == 0 && m.uid <= top) continue;  // not in this view
      sm.seq = seq != 0 ? seq : ++next_seq;
      sm.recent = seq == 0 || view.is_recent(m.uid);
      std::optional<index::MessageIndex> idx;
      if (needs_index) {
        auto r = ctx_.store->read_index(m.blob_id);
        if (!r) {
          if (r.code() == Errc::kNotFound) continue;  // expunged meanwhile
          return r.error();
        }
        idx = std::move(*r);
        sm.idx = &*idx;
      }
      for (size_t i = 0; i < list.size(); ++i) {
        Eval e;
        e.ctx = i;
        e.uid = m.uid;
        e.match = search_matches(list[i].key, sm, scope);
        if (e.match && list[i].sort) {
          e.rec = sort_record(list[i].criteria, sm.seq, m, idx ? &*idx : nullptr);
        }
        evals.push_back(std::move(e));
      }
    }
    return {};
  };
  Status st = co_await blocking(eval);
  if (!st) {
    // Cannot tell what changed: the contexts can no longer be kept right (§4.3.1).
    for (const auto& x : contexts_->list) {
      send("* NO [NOUPDATE " + proto::quote_string(x.tag) + "] Updates stopped\r\n");
    }
    contexts_.reset();
    co_return std::string();
  }
  std::string out;
  for (size_t i = 0; i < contexts_->list.size(); ++i) {
    SearchContext& ctx = contexts_->list[i];
    auto in_ctx = [&](uint32_t uid) {
      if (!ctx.sort) return std::binary_search(ctx.uids.begin(), ctx.uids.end(), uid);
      return std::any_of(ctx.records.begin(), ctx.records.end(),
                         [&](const SortRecord& r) { return r.uid == uid; });
    };
    std::vector<uint32_t> gone;  // UIDs leaving the result
    for (uint32_t uid : changes.expunged) {
      if (view_->seq_of(uid) != 0 && in_ctx(uid)) gone.push_back(uid);
    }
    for (auto& e : evals) {
      if (e.ctx != i) continue;
      bool had = in_ctx(e.uid);
      if (had && !e.match) gone.push_back(e.uid);
      if (!had && e.match) {
        (*adds)[i].uids.push_back(e.uid);
        if (ctx.sort) (*adds)[i].records.push_back(std::move(e.rec));
      }
    }
    if (gone.empty()) continue;
    std::sort(gone.begin(), gone.end());
    gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
    // Numbers as the client knows them now, before any EXPUNGE (§4.3.4).
    auto id = [&](uint32_t uid) { return ctx.uid ? uid : view_->seq_of(uid); };
    std::string pairs;
    if (!ctx.sort) {
      std::vector<uint32_t> ids;
      for (uint32_t uid : gone) ids.push_back(id(uid));
      pairs = "0 " + proto::sequence_set_string(ids);
      std::erase_if(ctx.uids,
                    [&](uint32_t u) { return std::binary_search(gone.begin(), gone.end(), u); });
    } else {
      // From the last position to the first, so that each position is still right.
      for (size_t p = ctx.records.size(); p-- > 0;) {
        if (!std::binary_search(gone.begin(), gone.end(), ctx.records[p].uid)) continue;
        if (!pairs.empty()) pairs += ' ';
        pairs += std::to_string(p + 1) + " " + std::to_string(id(ctx.records[p].uid));
        ctx.records.erase(ctx.records.begin() + static_cast<std::ptrdiff_t>(p));
      }
    }
    out += esearch_head(ctx) + " REMOVEFROM (" + pairs + ")\r\n";
  }
  co_return out;
}

std::string Session::contexts_after(std::vector<ContextAdds>& adds) {
  std::string out;
  if (!contexts_ || !view_) return out;
  for (size_t i = 0; i < contexts_->list.size() && i < adds.size(); ++i) {
    SearchContext& ctx = contexts_->list[i];
    ContextAdds& add = adds[i];
    if (add.uids.empty()) continue;
    // Numbers after the EXISTS (§4.3.3).
    auto id = [&](uint32_t uid) { return ctx.uid ? uid : view_->seq_of(uid); };
    std::string pairs;
    if (!ctx.sort) {
      std::vector<uint32_t> ids;
      for (uint32_t uid : add.uids) {
        if (view_->seq_of(uid) == 0) continue;
        ids.push_back(id(uid));
        ctx.uids.insert(std::lower_bound(ctx.uids.begin(), ctx.uids.end(), uid), uid);
      }
      if (ids.empty()) continue;
      std::sort(ids.begin(), ids.end());
      pairs = "0 " + proto::sequence_set_string(ids);
    } else {
      for (auto& rec : add.records) {
        if (view_->seq_of(rec.uid) == 0) continue;
        auto at = std::upper_bound(ctx.records.begin(), ctx.records.end(), rec,
                                   [&](const SortRecord& a, const SortRecord& b) {
                                     return sort_less(a, b, ctx.criteria);
                                   });
        size_t pos = static_cast<size_t>(at - ctx.records.begin());
        if (!pairs.empty()) pairs += ' ';
        pairs += std::to_string(pos + 1) + " " + std::to_string(id(rec.uid));
        ctx.records.insert(at, std::move(rec));
      }
      if (pairs.empty()) continue;
    }
    out += esearch_head(ctx) + " ADDTO (" + pairs + ")\r\n";
  }
  return out;
}

}  // namespace tegami::imap::server
