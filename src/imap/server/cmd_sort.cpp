// SORT, UID SORT, THREAD, UID THREAD. RFC 5256 §3 (SORT and THREAD commands, charset: US-ASCII
// and UTF-8, [BADCHARSET]), §4 (SORT and THREAD responses), RFC 5957 (DISPLAYFROM, DISPLAYTO),
// RFC 5267 §3 (ESORT: SORT RETURN (MIN MAX ALL COUNT) answered with ESEARCH, MIN/MAX being the
// first and last message in sort order and ALL in sort order), RFC 5182 §2.4 (SAVE with SORT,
// "$" in SORT and THREAD criteria), RFC 7162 §3.1.5 (MODSEQ criterion: the SORT response and
// ESEARCH carry the highest mod-sequence), RFC 5267 §4 (UPDATE, CONTEXT, PARTIAL in sort order:
// cmd_context.cpp).
#include <algorithm>
#include <ctime>

#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/search_eval.hpp"
#include "imap/server/session.hpp"
#include "imap/server/sort_keys.hpp"
#include "imap/server/thread.hpp"

namespace tegami::imap::server {

namespace {

bool uses_modseq(const proto::SearchKey& k) {
  if (k.type == proto::SearchKey::Type::kModSeq) return true;
  return std::any_of(k.children.begin(), k.children.end(),
                     [](const proto::SearchKey& c) { return uses_modseq(c); });
}

bool charset_supported(const std::string& cs) { return cs == "UTF-8" || cs == "US-ASCII"; }

}  // namespace

asio::awaitable<Session::Reply> Session::cmd_sort(proto::Command& c) {
  const auto& a = c.as<proto::SortArgs>();
  if (utf8_ && a.charset != "UTF-8") {  // RFC 6855 erratum 4029
    co_return "BAD The charset must be UTF-8 after ENABLE UTF8=ACCEPT";
  }
  if (!charset_supported(a.charset)) {
    co_return "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset";
  }
  if (auto refused = context_refusal(c.tag, a.ret)) co_return *refused;
  proto::SearchKey key = fold_search_key(a.key);
  bool modseq_key = uses_modseq(key);
  if (modseq_key) condstore_ = true;
  bool search_index = search_needs_index(key);
  bool sort_index = sort_needs_index(a.criteria);
  SearchScope scope;
  scope.message_count = static_cast<uint32_t>(view_->size());
  scope.max_uid = view_->max_uid();
  scope.now = static_cast<int64_t>(std::time(nullptr));
  scope.saved = &view_->saved_result();
  scope.account = account_.id;
  const MailboxView& view = *view_;
  const auto& criteria = a.criteria;
  std::vector<SortRecord> records;
  uint64_t max_modseq = 0;
  auto eval = [&]() -> Status {
    for (size_t i = 0; i < view.size(); ++i) {
      const auto& meta = view.at(i);
      if (view.is_expunged(meta.uid)) continue;
      SearchMessage m;
      m.meta = &meta;
      m.seq = static_cast<uint32_t>(i + 1);
      m.recent = view.is_recent(meta.uid);
      std::optional<index::MessageIndex> idx;
      auto load = [&]() -> Status {
        if (idx) return {};
        auto r = ctx_.store->read_index(meta.blob_id);
        if (!r) return r.error();
        idx = std::move(*r);
        return {};
      };
      if (search_index) {
        Status st = load();
        if (!st) {
          if (st.code() == Errc::kNotFound) continue;  // expunged meanwhile
          return st;
        }
        m.idx = &*idx;
      }
      if (!search_matches(key, m, scope)) continue;
      if (sort_index) {
        Status st = load();
        if (!st) {
          if (st.code() == Errc::kNotFound) continue;
          return st;
        }
      }
      records.push_back(sort_record(criteria, m.seq, meta, idx ? &*idx : nullptr));
      max_modseq = std::max(max_modseq, meta.modseq);
    }
    sort_records(records, criteria);
    return {};
  };
  Status st = co_await blocking(eval);
  if (!st) {
    if (a.ret.save) view_->save_result({});  // RFC 5182 §2.1
    co_return no_response(st.error(), "SORT");
  }
  std::vector<uint32_t> ids;  // in sort order
  ids.reserve(records.size());
  for (const auto& r : records) ids.push_back(c.uid ? r.uid : r.seq);

  if (!a.ret.given) {  // RFC 5256 §4 SORT response
    std::string line = "* SORT";
    for (uint32_t n : ids) line += " " + std::to_string(n);
    if (modseq_key && !ids.empty()) line += " (MODSEQ " + std::to_string(max_modseq) + ")";
    send(line + "\r\n");
    co_return "OK SORT completed";
  }
  proto::SearchReturn ret = a.ret;
  if (ret.update) context_start(c, key, &a.criteria, {}, records);  // ALL in sort order: §3
  bool only_min_max = (ret.min || ret.max) && !ret.all && !ret.count;
  if (ret.save) {
    // RFC 5182 §2.4: with only MIN and/or MAX, only those messages are saved.
    std::vector<uint32_t> saved;
    if (only_min_max) {
      if (!records.empty()) {
        if (ret.min) saved.push_back(records.front().uid);
        if (ret.max) saved.push_back(records.back().uid);
      }
    } else {
      for (const auto& r : records) saved.push_back(r.uid);
    }
    std::sort(saved.begin(), saved.end());
    saved.erase(std::unique(saved.begin(), saved.end()), saved.end());
    view_->save_result(std::move(saved));
    if (!ret.min && !ret.max && !ret.count && !ret.all && !ret.partial) {
      co_return "OK SORT completed";
    }
  }
  if (!ret.min && !ret.max && !ret.count && !ret.all && !ret.partial) ret.all = true;
  std::string line = "* ESEARCH (TAG " + proto::quote_string(c.tag) + ")";
  if (c.uid) line += " UID";
  if (!ids.empty()) {
    if (ret.min) line += " MIN " + std::to_string(ids.front());
    if (ret.max) line += " MAX " + std::to_string(ids.back());
  }
  if (ret.count) line += " COUNT " + std::to_string(ids.size());
  if (ret.all && !ids.empty()) line += " ALL " + ordered_set(ids);
  if (ret.partial) line += " " + partial_item(*ret.partial, ids);
  if (modseq_key && !ids.empty()) {
    // RFC 4731 §3.2: with only MIN and/or MAX, the mod-sequence of the messages returned.
    if (only_min_max) {
      max_modseq = 0;
      for (size_t k = 0; k < records.size(); ++k) {
        bool returned = (ret.min && k == 0) || (ret.max && k + 1 == records.size());
        if (!returned) continue;
        max_modseq = std::max(max_modseq, view_->at(records[k].seq - 1).modseq);
      }
    }
    line += " MODSEQ " + std::to_string(max_modseq);
  }
  send(line + "\r\n");
  co_return "OK SORT completed";
}

asio::awaitable<Session::Reply> Session::cmd_thread(proto::Command& c) {
  const auto& a = c.as<proto::ThreadArgs>();
  bool references = a.algorithm == "REFERENCES";
  if (!references && a.algorithm != "ORDEREDSUBJECT") {
    co_return "BAD Unknown threading algorithm";
  }
  if (utf8_ && a.charset != "UTF-8") {  // RFC 6855 erratum 4029
    co_return "BAD The charset must be UTF-8 after ENABLE UTF8=ACCEPT";
  }
  if (!charset_supported(a.charset)) {
    co_return "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset";
  }
  proto::SearchKey key = fold_search_key(a.key);
  if (uses_modseq(key)) condstore_ = true;
  bool search_index = search_needs_index(key);
  SearchScope scope;
  scope.message_count = static_cast<uint32_t>(view_->size());
  scope.max_uid = view_->max_uid();
  scope.now = static_cast<int64_t>(std::time(nullptr));
  scope.saved = &view_->saved_result();
  scope.account = account_.id;
  const MailboxView& view = *view_;
  bool uid = c.uid;
  std::string threads;
  auto eval = [&]() -> Status {
    std::vector<ThreadRecord> records;
    for (size_t i = 0; i < view.size(); ++i) {
      const auto& meta = view.at(i);
      if (view.is_expunged(meta.uid)) continue;
      SearchMessage m;
      m.meta = &meta;
      m.seq = static_cast<uint32_t>(i + 1);
      m.recent = view.is_recent(meta.uid);
      // Flag-only criteria are checked before the index is read.
      if (!search_index && !search_matches(key, m, scope)) continue;
      auto r = ctx_.store->read_index(meta.blob_id);
      if (!r) {
        if (r.code() == Errc::kNotFound) continue;  // expunged meanwhile
        return r.error();
      }
      m.idx = &*r;
      if (search_index && !search_matches(key, m, scope)) continue;
      records.push_back(thread_record(uid ? meta.uid : m.seq, m.seq, meta, *r));
    }
    threads = references ? thread_references(records) : thread_orderedsubject(records);
    return {};
  };
  Status st = co_await blocking(eval);
  if (!st) co_return no_response(st.error(), "THREAD");
  send(threads.empty() ? std::string("* THREAD\r\n") : "* THREAD " + threads + "\r\n");
  co_return "OK THREAD completed";
}

}  // namespace tegami::imap::server
