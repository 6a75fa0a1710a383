// Selected-mailbox state. RFC 9051 §2.3.1.2 (sequence numbers), §7.4.1 (EXPUNGE: numbers of
// later messages drop by one; responses in descending order keep them valid), §7.5.1 (no
// EXPUNGE while answering FETCH, STORE, SEARCH), RFC 3501 §2.3.2 (\Recent, session-local here),
// RFC 7162 §3.2.10 (VANISHED instead of EXPUNGE once QRESYNC is enabled).
#include "imap/server/mailbox_view.hpp"

#include <algorithm>

#include "imap/proto/response.hpp"
#include "imap/server/flags.hpp"

namespace tegami::imap::server {

namespace {

bool same_keywords(std::vector<std::string> a, std::vector<std::string> b) {
  if (a.size() != b.size()) return false;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

}  // namespace

MailboxView::MailboxView() : snap_(make_snapshot(0, 0, 1, {})) {}

MailboxView::MailboxView(const store::Mailbox& mb, std::vector<store::MessageMeta> msgs,
                         bool read_only)
    : MailboxView(mb, make_snapshot(mb.id, mb.highest_modseq, mb.uid_next, std::move(msgs)),
                  read_only) {}

MailboxView::MailboxView(const store::Mailbox& mb, SnapshotPtr snap, bool read_only)
    : mailbox_(mb),
      snap_(std::move(snap)),
      keywords_(),
      read_only_(read_only),
      modseq_(std::max(mb.highest_modseq, snap_->modseq)),
      uid_next_(std::max(mb.uid_next, snap_->uid_next)) {
  for (auto& k : snap_->keywords()) keywords_.insert(std::move(k));
  if (!snap_->empty()) uid_next_ = std::max(uid_next_, snap_->max_uid() + 1);
}

MailboxSnapshot& MailboxView::own() {
  if (!mine_) {
    mine_ = std::make_shared<MailboxSnapshot>(*snap_);  // the chunk list; chunks stay shared
    snap_ = mine_;
  }
  return *mine_;
}

std::string MailboxView::flags_responses() const {
  std::string kw;
  for (const auto& k : keywords_) kw += " " + k;
  std::string out = std::string("* FLAGS (") + kSystemFlags + kw + ")\r\n";
  if (read_only_) {
    out += "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n";
  } else {
    out += std::string("* OK [PERMANENTFLAGS (") + kSystemFlags + kw + " \\*)] Flags permitted\r\n";
  }
  return out;
}

bool MailboxView::note_keywords(const std::vector<std::string>& keywords) {
  bool added = false;
  for (const auto& k : keywords) added = keywords_.insert(k).second || added;
  return added;
}

uint32_t MailboxView::seq_of(uint32_t uid) const {
  size_t i = snap_->find(uid);
  return i == snap_->size() ? 0 : static_cast<uint32_t>(i) + 1;
}

bool MailboxView::resolve(const proto::SequenceSet& set, bool uid, std::vector<size_t>* out) const {
  out->clear();
  if (set.saved) {
    for (uint32_t u : saved_) {
      if (uint32_t seq = seq_of(u)) out->push_back(seq - 1);
    }
    return true;
  }
  const size_t n = snap_->size();
  if (!uid) {
    for (auto [lo, hi] : set.resolve(static_cast<uint32_t>(n))) {
      if (lo == 0 || hi > n) return false;
      for (uint32_t s = lo; s <= hi; ++s) out->push_back(s - 1);
    }
  } else {
    if (n == 0) return true;
    for (auto [lo, hi] : set.resolve(max_uid())) {
      for (size_t i = snap_->lower_bound(lo); i < n && uid_at(i) <= hi; ++i) out->push_back(i);
    }
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return true;
}

void MailboxView::set_flags(uint32_t uid, uint32_t flags, const std::vector<std::string>& kw,
                            uint64_t modseq) {
  uint32_t seq = seq_of(uid);
  if (seq == 0) return;
  const auto& cur = at(seq - 1);
  if (cur.flags == flags && cur.keywords == kw && cur.modseq >= modseq) return;
  auto [c, k] = own().locate(seq - 1);
  own().own_chunk(c).set(k, flags, kw, modseq);
}

store::Changes MailboxView::changes_to(const MailboxSnapshot& next) const {
  store::Changes c;
  c.highest_modseq = next.modseq;
  c.uid_next = next.uid_next;
  // Chunks both hold are the same messages: only the others are compared. Both chunk lists
  // ascend by uid and a shared chunk covers the same uids in both, so one walk finds them.
  const auto& a = snap_->chunks();
  const auto& b = next.chunks();
  using Ref = std::pair<const MailboxSnapshot::Chunk*, size_t>;
  std::vector<Ref> mine, theirs;  // messages outside shared chunks, ascending uid
  size_t i = 0, k = 0;
  while (i < a.size() || k < b.size()) {
    if (i < a.size() && k < b.size() && a[i] == b[k]) {
      ++i;
      ++k;
    } else if (k == b.size() || (i < a.size() && a[i]->front_uid() <= b[k]->front_uid())) {
      for (size_t n = 0; n < a[i]->size(); ++n) mine.emplace_back(a[i].get(), n);
      ++i;
    } else {
      for (size_t n = 0; n < b[k]->size(); ++n) theirs.emplace_back(b[k].get(), n);
      ++k;
    }
  }
  auto entry = [](const Ref& r) -> const MailboxSnapshot::Entry& {
    return r.first->entry(r.second);
  };
  size_t j = 0;
  for (const auto& m : mine) {  // a uid is in one chunk of each snapshot
    uint32_t uid = entry(m).uid;
    while (j < theirs.size() && entry(theirs[j]).uid < uid) ++j;
    if (j == theirs.size() || entry(theirs[j]).uid != uid) c.expunged.push_back(uid);
  }
  uint32_t top = max_uid();
  for (const auto& m : theirs) {
    if (entry(m).modseq > modseq_ || entry(m).uid > top)
      c.changed.push_back(m.first->meta(m.second));
  }
  return c;
}

void MailboxView::apply(const store::Changes& c, bool allow_expunge, bool rev2, std::string* out,
                        bool condstore, bool vanished, bool report_flags, const SnapshotPtr& next) {
  if (expunged_.empty()) expunge_floor_ = modseq_;
  for (uint32_t uid : c.expunged) {
    if (seq_of(uid) != 0) expunged_.insert(uid);
  }
  uint32_t top = max_uid();
  size_t added = 0;
  bool new_keywords = false;
  std::string fetches;
  std::vector<std::pair<size_t, const store::MessageMeta*>> updates;  // without `next`
  std::vector<const store::MessageMeta*> appended;                    // without `next`
  for (const auto& m : c.changed) {
    if (m.uid > top) {
      if (std::binary_search(c.expunged.begin(), c.expunged.end(), m.uid)) continue;
      if (!next) appended.push_back(&m);
      new_keywords = note_keywords(m.keywords) || new_keywords;
      top = m.uid;
      recent_.insert(m.uid);
      ++added;
      continue;
    }
    uint32_t seq = seq_of(m.uid);
    if (seq == 0 || expunged_.count(m.uid)) continue;
    const auto& cur = at(seq - 1);
    bool differ = cur.flags != m.flags || !same_keywords(cur.keywords, m.keywords);
    if (!next) updates.emplace_back(seq - 1, &m);
    new_keywords = note_keywords(m.keywords) || new_keywords;
    if (differ && report_flags) {
      fetches += "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " +
                 format_flags(m.flags, m.keywords, !rev2 && is_recent(m.uid));
      if (condstore) fetches += " MODSEQ (" + std::to_string(m.modseq) + ")";
      fetches += ")\r\n";
    }
  }
  if (!next && (!updates.empty() || !appended.empty())) {
    std::vector<store::MessageMeta> upserts;  // ascending uid: updates, then the new ones
    for (auto [i, m] : updates) upserts.push_back(*m);
    for (const auto* m : appended) upserts.push_back(*m);
    mine_ = edit_snapshot(*snap_, upserts, {});
    snap_ = mine_;
  }
  if (new_keywords) *out += flags_responses();
  *out += fetches;
  if (c.highest_modseq > modseq_) modseq_ = c.highest_modseq;
  if (c.uid_next > uid_next_) uid_next_ = c.uid_next;
  if (top + 1 > uid_next_) uid_next_ = top + 1;
  if (allow_expunge && next) {
    announce_expunges(out, vanished);
    for (uint32_t uid : expunged_) recent_.erase(uid);
    expunged_.clear();  // `next` has none of them
  } else if (allow_expunge) {
    flush_expunges(out, vanished);
  }
  if (next) {
    if (expunged_.empty()) {
      snap_ = next;  // the same messages as `next`: share it
      mine_.reset();
    } else {
      // Held-back expunges keep their numbers: `next` plus the held messages, privately
      // (sharing every chunk of `next` that none of them falls into).
      std::vector<store::MessageMeta> held;
      for (uint32_t uid : expunged_) held.push_back(at(seq_of(uid) - 1));
      mine_ = edit_snapshot(*next, held, {});
      snap_ = mine_;
    }
  }
  if (added) {
    *out += "* " + std::to_string(size()) + " EXISTS\r\n";
    if (!rev2) *out += "* " + std::to_string(recent_.size()) + " RECENT\r\n";
  }
}

void MailboxView::flush_expunges(std::string* out, bool vanished) {
  if (expunged_.empty()) return;
  announce_expunges(out, vanished);
  // A new chunk list: only the chunks that held them are copied.
  mine_ = edit_snapshot(*snap_, {}, std::vector<uint32_t>(expunged_.begin(), expunged_.end()));
  snap_ = mine_;
  for (uint32_t uid : expunged_) recent_.erase(uid);
  expunged_.clear();
}

void MailboxView::announce_expunges(std::string* out, bool vanished) const {
  if (expunged_.empty()) return;
  if (out && vanished) {  // RFC 7162 §3.2.10: UIDs, ascending (std::set order)
    *out += "* VANISHED " +
            proto::sequence_set_string(std::vector<uint32_t>(expunged_.begin(), expunged_.end())) +
            "\r\n";
  } else if (out) {
    // Descending sequence numbers, so that each one is still valid when the client applies it.
    // (Every held uid is in the view: apply() keeps only those.)
    for (auto it = expunged_.rbegin(); it != expunged_.rend(); ++it) {
      if (uint32_t seq = seq_of(*it)) *out += "* " + std::to_string(seq) + " EXPUNGE\r\n";
    }
  }
}

}  // namespace tegami::imap::server
