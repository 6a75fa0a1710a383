// Shared mailbox snapshots (see mailbox_cache.hpp). RFC 7162 §3.1: a mailbox's state at one
// HIGHESTMODSEQ is the same for every reader, so one snapshot serves every session.
#include "imap/server/mailbox_cache.hpp"

#include <algorithm>

namespace tegami::imap::server {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

const std::vector<std::string>& MailboxSnapshot::Chunk::keywords(size_t k) const {
  static const std::vector<std::string> kNone;
  uint32_t set = entries_[k].keyword_set();
  return set == 0 ? kNone : sets_[set - 1];
}

store::MessageMeta MailboxSnapshot::Chunk::meta(size_t k) const {
  const Entry& e = entries_[k];
  store::MessageMeta m;
  m.uid = e.uid;
  m.modseq = e.modseq;
  m.flags = e.flags();
  m.keywords = keywords(k);
  m.internal_date = e.internal_date;
  m.size = e.size;
  m.blob_id = e.blob_id;
  m.save_date = e.save_date;
  return m;
}

uint32_t MailboxSnapshot::Chunk::intern(const std::vector<std::string>& keywords) {
  if (keywords.empty()) return 0;
  for (size_t i = 0; i < sets_.size(); ++i) {
    if (sets_[i] == keywords) return static_cast<uint32_t>(i) + 1;
  }
  if (sets_.size() >= 255) {
    // Only sets still in use survive (at most one per message, kChunk in all).
    std::vector<std::vector<std::string>> live;
    std::vector<uint32_t> renumber(sets_.size() + 1, 0);
    for (auto& e : entries_) {
      uint32_t set = e.keyword_set();
      if (set != 0 && renumber[set] == 0) {
        live.push_back(std::move(sets_[set - 1]));
        renumber[set] = static_cast<uint32_t>(live.size());
      }
      e.bits = e.flags() | (renumber[set] << 24);
    }
    sets_ = std::move(live);
  }
  sets_.push_back(keywords);
  return static_cast<uint32_t>(sets_.size());
}

void MailboxSnapshot::Chunk::push(const store::MessageMeta& m) {
  Entry e;
  e.uid = m.uid;
  e.bits = (m.flags & 0xFFFFFF) | (intern(m.keywords) << 24);  // store flags use 5 bits
  e.modseq = m.modseq;
  e.internal_date = m.internal_date;
  e.size = m.size;
  e.blob_id = m.blob_id;
  e.save_date = m.save_date;
  entries_.push_back(e);
}

void MailboxSnapshot::Chunk::set(size_t k, uint32_t flags, const std::vector<std::string>& keywords,
                                 uint64_t modseq) {
  uint32_t set = intern(keywords);
  Entry& e = entries_[k];
  e.bits = (flags & 0xFFFFFF) | (set << 24);
  if (modseq > e.modseq) e.modseq = modseq;
}

store::MessageMeta MailboxSnapshot::at(size_t i) const {
  auto [c, k] = locate(i);
  return chunks_[c]->meta(k);
}

uint32_t MailboxSnapshot::uid_at(size_t i) const {
  auto [c, k] = locate(i);
  return chunks_[c]->entry(k).uid;
}

std::pair<size_t, size_t> MailboxSnapshot::locate(size_t i) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), i);
  size_t c = static_cast<size_t>(it - starts_.begin()) - 1;
  return {c, i - starts_[c]};
}

size_t MailboxSnapshot::lower_bound(uint32_t uid) const {
  auto it = std::lower_bound(chunks_.begin(), chunks_.end(), uid,
                             [](const auto& ch, uint32_t u) { return ch->back_uid() < u; });
  if (it == chunks_.end()) return count_;
  const Chunk& ch = **it;
  size_t lo = 0, hi = ch.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ch.entry(mid).uid < uid) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return starts_[static_cast<size_t>(it - chunks_.begin())] + lo;
}

size_t MailboxSnapshot::find(uint32_t uid) const {
  size_t i = lower_bound(uid);
  return i < count_ && uid_at(i) == uid ? i : count_;
}

std::vector<std::string> MailboxSnapshot::keywords() const {
  std::vector<std::string> out;
  for (const auto& [k, n] : keyword_use_) out.push_back(k);
  return out;
}

MailboxSnapshot::Chunk& MailboxSnapshot::own_chunk(size_t c) {
  // Every chunk is created as a non-const Chunk, so editing one that no other snapshot holds
  // is allowed.
  if (chunks_[c].use_count() != 1) chunks_[c] = std::make_shared<Chunk>(*chunks_[c]);
  return const_cast<Chunk&>(*chunks_[c]);
}

void MailboxSnapshot::push_chunk(std::shared_ptr<const Chunk> c) {
  starts_.push_back(count_);
  count_ += c->size();
  chunks_.push_back(std::move(c));
}

void MailboxSnapshot::push_messages(const std::vector<store::MessageMeta>& msgs, bool tail) {
  if (msgs.empty()) return;
  // A chunk left small by expunges joins the previous one.
  if (!chunks_.empty() && msgs.size() < kChunk / 4 &&
      chunks_.back()->size() + msgs.size() <= kChunk) {
    auto joined = std::make_shared<Chunk>(*chunks_.back());
    for (const auto& m : msgs) joined->push(m);
    count_ += msgs.size();
    chunks_.back() = std::move(joined);
    return;
  }
  // At the end of the mailbox full chunks and the rest (messages arriving one by one fill the
  // last chunk, so an append copies at most one chunk); elsewhere even pieces, so that inserts
  // in the middle (held-back expunges) leave no tiny chunks.
  size_t n = msgs.size();
  size_t pieces = (n + kChunk - 1) / kChunk;
  for (size_t p = 0, from = 0; p < pieces; ++p) {
    size_t to = tail ? std::min(n, from + kChunk) : n * (p + 1) / pieces;
    auto ch = std::make_shared<Chunk>();
    for (size_t i = from; i < to; ++i) ch->push(msgs[i]);
    push_chunk(std::move(ch));
    from = to;
  }
}

std::shared_ptr<MailboxSnapshot> make_snapshot(store::Id mailbox, uint64_t modseq,
                                               uint32_t uid_next,
                                               std::vector<store::MessageMeta> messages) {
  auto s = std::make_shared<MailboxSnapshot>();
  s->mailbox = mailbox;
  auto by_uid = [](const auto& a, const auto& b) { return a.uid < b.uid; };
  if (!std::is_sorted(messages.begin(), messages.end(), by_uid)) {  // the store sorts them
    std::sort(messages.begin(), messages.end(), by_uid);
  }
  s->modseq = modseq;
  s->uid_next = uid_next;
  for (const auto& m : messages) {
    s->modseq = std::max(s->modseq, m.modseq);
    for (const auto& k : m.keywords) ++s->keyword_use_[k];
  }
  s->push_messages(messages, true);
  if (!s->empty()) s->uid_next = std::max(s->uid_next, s->max_uid() + 1);
  return s;
}

std::shared_ptr<MailboxSnapshot> edit_snapshot(const MailboxSnapshot& base,
                                               const std::vector<store::MessageMeta>& upserts,
                                               const std::vector<uint32_t>& erases) {
  using Chunk = MailboxSnapshot::Chunk;
  auto s = std::make_shared<MailboxSnapshot>();
  s->mailbox = base.mailbox;
  s->modseq = base.modseq;
  s->uid_next = base.uid_next;
  s->keyword_use_ = base.keyword_use_;
  s->chunks_.reserve(base.chunks_.size() + 1);
  s->starts_.reserve(base.chunks_.size() + 1);
  auto count_keywords = [&](const std::vector<std::string>& keywords, int d) {
    for (const auto& k : keywords) {
      auto& n = s->keyword_use_[k];
      n = static_cast<uint32_t>(static_cast<int64_t>(n) + d);
      if (n == 0) s->keyword_use_.erase(k);
    }
  };
  size_t u = 0, e = 0;
  auto erased = [&](uint32_t uid, size_t e_end) {
    while (e < e_end && erases[e] < uid) ++e;
    return e < e_end && erases[e] == uid;
  };
  // Merges one chunk's messages with the edits that fall into it.
  auto merge = [&](const Chunk* in, size_t u_end, size_t e_end, bool tail) {
    std::vector<store::MessageMeta> out;
    size_t n = in ? in->size() : 0;
    out.reserve(n + (u_end - u));
    size_t i = 0;
    while (i < n || u < u_end) {
      if (u == u_end || (i < n && in->entry(i).uid < upserts[u].uid)) {
        size_t k = i++;
        if (erased(in->entry(k).uid, e_end)) {
          count_keywords(in->keywords(k), -1);
          continue;
        }
        out.push_back(in->meta(k));
        continue;
      }
      const auto& m = upserts[u++];
      if (i < n && in->entry(i).uid == m.uid) count_keywords(in->keywords(i++), -1);
      if (erased(m.uid, e_end)) continue;
      count_keywords(m.keywords, +1);
      s->modseq = std::max(s->modseq, m.modseq);
      out.push_back(m);
    }
    e = e_end;
    s->push_messages(out, tail);
  };
  const auto& chunks = base.chunks_;
  for (size_t k = 0; k < chunks.size(); ++k) {
    bool last = k + 1 == chunks.size();
    uint32_t hi = last ? 0 : chunks[k + 1]->front_uid();
    size_t u_end = u, e_end = e;
    while (u_end < upserts.size() && (last || upserts[u_end].uid < hi)) ++u_end;
    while (e_end < erases.size() && (last || erases[e_end] < hi)) ++e_end;
    if (u_end == u && e_end == e) {  // untouched: shared
      s->push_chunk(chunks[k]);
      continue;
    }
    merge(chunks[k].get(), u_end, e_end, last);
  }
  if (chunks.empty()) merge(nullptr, upserts.size(), erases.size(), true);
  if (!s->empty()) s->uid_next = std::max(s->uid_next, s->max_uid() + 1);
  return s;
}

SnapshotPtr advance_snapshot(const MailboxSnapshot& base, const store::Changes& c) {
  auto s = edit_snapshot(base, c.changed, c.expunged);
  s->modseq = std::max(s->modseq, c.highest_modseq);
  s->uid_next = std::max(s->uid_next, c.uid_next);
  return s;
}

MailboxCache::MailboxCache(std::chrono::milliseconds max_age, std::chrono::seconds keep_unused)
    : max_age_(max_age), keep_unused_(keep_unused) {}

MailboxCache::~MailboxCache() {
  for (auto& [id, e] : entries_) {
    if (e->hub && e->token) e->hub->unsubscribe(e->token);
  }
  for (auto& [id, a] : accounts_) {
    if (a->hub && a->token) a->hub->unsubscribe(a->token);
  }
}

std::shared_ptr<MailboxCache::AccountEntry> MailboxCache::account_entry(store::ChangeHub* hub,
                                                                        store::Id account) {
  std::lock_guard lk(mu_);
  auto& a = accounts_[account];
  if (!a) {
    a = std::make_shared<AccountEntry>();
    a->hub = hub;
    a->created = Clock::now();
    if (hub) {
      std::weak_ptr<AccountEntry> weak = a;
      a->token = hub->subscribe_mailbox_events(account, [weak](const store::MailboxEvent&) {
        if (auto p = weak.lock()) p->gen.fetch_add(1, std::memory_order_acq_rel);
      });
    }
  }
  return a;
}

std::optional<MailboxCache::Selected> MailboxCache::lookup(store::Id account,
                                                           const std::string& name) {
  std::shared_ptr<AccountEntry> a;
  {
    std::lock_guard lk(mu_);
    auto it = accounts_.find(account);
    if (it == accounts_.end()) return std::nullopt;
    a = it->second;
  }
  if (!a->token) return std::nullopt;
  uint64_t g = a->gen.load(std::memory_order_acquire);
  Selected out;
  {
    std::lock_guard lk(a->mu);
    auto it = a->rows.find(name);
    if (it == a->rows.end() || it->second.gen != g) return std::nullopt;
    if (Clock::now() - it->second.validated >= max_age_) return std::nullopt;
    out.mailbox = it->second.mailbox;
  }
  out.snap = current(out.mailbox.id);
  if (!out.snap) return std::nullopt;
  return out;
}

Result<MailboxCache::Selected> MailboxCache::select(store::Store& store, store::ChangeHub* hub,
                                                    store::Id account, const std::string& name) {
  auto a = account_entry(hub, account);
  uint64_t g = a->gen.load(std::memory_order_acquire);
  auto mb = store.get_mailbox(account, name);
  if (!mb) {
    std::lock_guard lk(a->mu);
    a->rows.erase(name);
    return mb.error();
  }
  auto snap = fresh(store, hub, mb->id, mb->highest_modseq);
  if (!snap) return snap.error();
  {
    std::lock_guard lk(a->mu);
    a->rows[name] = Row{*mb, g, Clock::now()};
  }
  return Selected{std::move(*mb), std::move(*snap)};
}

std::shared_ptr<MailboxCache::Entry> MailboxCache::find(store::Id mailbox) const {
  std::lock_guard lk(mu_);
  auto it = entries_.find(mailbox);
  return it == entries_.end() ? nullptr : it->second;
}

std::shared_ptr<MailboxCache::Entry> MailboxCache::entry(store::ChangeHub* hub, store::Id mailbox) {
  std::lock_guard lk(mu_);
  auto& e = entries_[mailbox];
  if (!e) {
    e = std::make_shared<Entry>();
    e->hub = hub;
    if (hub) {
      std::weak_ptr<Entry> weak = e;
      e->token = hub->subscribe(mailbox, [weak](store::Id) {
        if (auto p = weak.lock()) p->gen.fetch_add(1, std::memory_order_acq_rel);
      });
    }
  }
  return e;
}

void MailboxCache::changed(store::Id mailbox) {
  if (auto e = find(mailbox)) e->gen.fetch_add(1, std::memory_order_acq_rel);
}

SnapshotPtr MailboxCache::current(store::Id mailbox) {
  auto e = find(mailbox);
  if (!e || !e->token) return nullptr;
  uint64_t g = e->gen.load(std::memory_order_acquire);
  std::lock_guard lk(e->mu);
  if (!e->snap || e->snap_gen != g) return nullptr;
  if (Clock::now() - e->validated >= max_age_) return nullptr;
  return e->snap;
}

SnapshotPtr MailboxCache::install(Entry& e, SnapshotPtr next, uint64_t g) {
  std::lock_guard lk(e.mu);
  auto now = Clock::now();
  e.used = now;
  if (!e.snap || next->modseq > e.snap->modseq) {
    e.snap = std::move(next);
    e.snap_gen = g;
    e.validated = now;
  } else if (next->modseq == e.snap->modseq && g >= e.snap_gen) {
    // The same state (one mod-sequence, one content): keep the pointer that sessions share.
    e.snap_gen = g;
    e.validated = now;
  }
  // Otherwise the entry's is newer than what this read saw: it has every change this read has.
  return e.snap;
}

Result<SnapshotPtr> MailboxCache::fresh(store::Store& store, store::ChangeHub* hub,
                                        store::Id mailbox, uint64_t min_modseq) {
  auto e = entry(hub, mailbox);
  auto usable = [&](uint64_t g) -> SnapshotPtr {
    std::lock_guard lk(e->mu);
    if (!e->snap || e->snap_gen < g || e->snap->modseq < min_modseq) return nullptr;
    if (Clock::now() - e->validated >= max_age_) return nullptr;
    e->used = Clock::now();
    return e->snap;
  };
  uint64_t g = e->gen.load(std::memory_order_acquire);
  if (e->token) {
    if (auto s = usable(g)) return s;
  }
  std::lock_guard refresh(e->refresh_mu);
  // Another reader may have refreshed it after `g` while this one waited.
  if (e->token) {
    if (auto s = usable(g)) return s;
  }
  g = e->gen.load(std::memory_order_acquire);  // the read below sees everything published so far
  SnapshotPtr base;
  {
    std::lock_guard lk(e->mu);
    base = e->snap;
  }
  SnapshotPtr next;
  if (base) {
    refreshes_.fetch_add(1, std::memory_order_relaxed);
    auto c = store.changes_since(mailbox, base->modseq);
    if (!c) {
      if (c.code() == Errc::kNotFound) drop(mailbox);
      return c.error();
    }
    if (c->changed.empty() && c->expunged.empty() && c->highest_modseq <= base->modseq) {
      next = base;
    } else {
      next = advance_snapshot(*base, *c);
    }
  } else {
    loads_.fetch_add(1, std::memory_order_relaxed);
    auto mb = store.get_mailbox_by_id(mailbox);  // before the messages: a lower bound
    if (!mb) {
      if (mb.code() == Errc::kNotFound) drop(mailbox);
      return mb.error();
    }
    auto msgs = store.list_messages(mailbox);
    if (!msgs) {
      if (msgs.code() == Errc::kNotFound) drop(mailbox);
      return msgs.error();
    }
    next = make_snapshot(mailbox, mb->highest_modseq, mb->uid_next, std::move(*msgs));
  }
  SnapshotPtr out = install(*e, std::move(next), g);
  sweep();
  return out;
}

void MailboxCache::drop(store::Id mailbox) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(mailbox);
    if (it == entries_.end()) return;
    e = std::move(it->second);
    entries_.erase(it);
  }
  if (e->hub && e->token) e->hub->unsubscribe(e->token);
}

void MailboxCache::sweep() {
  // Snapshots no session holds any more are kept for a while (a client that selects again),
  // then dropped with their hub subscription.
  std::vector<std::shared_ptr<Entry>> gone;
  std::vector<std::shared_ptr<AccountEntry>> gone_accounts;
  {
    std::lock_guard lk(mu_);
    auto now = Clock::now();
    if (now - last_sweep_ < std::chrono::seconds(1)) return;
    last_sweep_ = now;
    for (auto it = entries_.begin(); it != entries_.end();) {
      bool unused = false;
      {
        std::lock_guard elk(it->second->mu);
        unused = (!it->second->snap || it->second->snap.use_count() == 1) &&
                 now - it->second->used > keep_unused_;
      }
      if (unused) {
        gone.push_back(std::move(it->second));
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = accounts_.begin(); it != accounts_.end();) {
      bool unused = true;
      {
        std::lock_guard alk(it->second->mu);
        std::erase_if(it->second->rows,
                      [&](const auto& r) { return now - r.second.validated > keep_unused_; });
        unused = it->second->rows.empty() && now - it->second->created > keep_unused_;
      }
      if (unused) {
        gone_accounts.push_back(std::move(it->second));
        it = accounts_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& e : gone) {
    if (e->hub && e->token) e->hub->unsubscribe(e->token);
  }
  for (auto& a : gone_accounts) {
    if (a->hub && a->token) a->hub->unsubscribe(a->token);
  }
}

MailboxCache::Stats MailboxCache::stats() const { return Stats{loads_.load(), refreshes_.load()}; }

size_t MailboxCache::entries() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

}  // namespace tegami::imap::server
