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

MailboxView::MailboxView(const store::Mailbox& mb, std::vector<store::MessageMeta> msgs,
                         bool read_only)
    : mailbox_(mb),
      msgs_(std::move(msgs)),
      read_only_(read_only),
      modseq_(mb.highest_modseq),
      uid_next_(mb.uid_next) {
  std::sort(msgs_.begin(), msgs_.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
  for (const auto& m : msgs_) {
    modseq_ = std::max(modseq_, m.modseq);
    keywords_.insert(m.keywords.begin(), m.keywords.end());
  }
  if (!msgs_.empty()) uid_next_ = std::max(uid_next_, msgs_.back().uid + 1);
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
  auto it = std::lower_bound(msgs_.begin(), msgs_.end(), uid,
                             [](const store::MessageMeta& m, uint32_t u) { return m.uid < u; });
  if (it == msgs_.end() || it->uid != uid) return 0;
  return static_cast<uint32_t>(it - msgs_.begin()) + 1;
}

bool MailboxView::resolve(const proto::SequenceSet& set, bool uid, std::vector<size_t>* out) const {
  out->clear();
  if (set.saved) {
    for (uint32_t u : saved_) {
      if (uint32_t seq = seq_of(u)) out->push_back(seq - 1);
    }
    return true;
  }
  if (!uid) {
    uint32_t n = static_cast<uint32_t>(msgs_.size());
    for (auto [lo, hi] : set.resolve(n)) {
      if (lo == 0 || hi > n) return false;
      for (uint32_t s = lo; s <= hi; ++s) out->push_back(s - 1);
    }
  } else {
    if (msgs_.empty()) return true;
    for (auto [lo, hi] : set.resolve(max_uid())) {
      auto cmp = [](const store::MessageMeta& m, uint32_t u) { return m.uid < u; };
      auto it = std::lower_bound(msgs_.begin(), msgs_.end(), lo, cmp);
      for (; it != msgs_.end() && it->uid <= hi; ++it) {
        out->push_back(static_cast<size_t>(it - msgs_.begin()));
      }
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
  msgs_[seq - 1].flags = flags;
  msgs_[seq - 1].keywords = kw;
  if (modseq > msgs_[seq - 1].modseq) msgs_[seq - 1].modseq = modseq;
}

void MailboxView::apply(const store::Changes& c, bool allow_expunge, bool rev2, std::string* out,
                        bool condstore, bool vanished, bool report_flags) {
  if (expunged_.empty()) expunge_floor_ = modseq_;
  for (uint32_t uid : c.expunged) {
    if (seq_of(uid) != 0) expunged_.insert(uid);
  }
  uint32_t top = max_uid();
  bool added = false;
  bool new_keywords = false;
  std::string fetches;
  for (const auto& m : c.changed) {
    if (m.uid > top) {
      if (std::binary_search(c.expunged.begin(), c.expunged.end(), m.uid)) continue;
      msgs_.push_back(m);
      new_keywords = note_keywords(m.keywords) || new_keywords;
      top = m.uid;
      recent_.insert(m.uid);
      added = true;
      continue;
    }
    uint32_t seq = seq_of(m.uid);
    if (seq == 0 || expunged_.count(m.uid)) continue;
    auto& cur = msgs_[seq - 1];
    bool differ = cur.flags != m.flags || !same_keywords(cur.keywords, m.keywords);
    cur = m;
    new_keywords = note_keywords(m.keywords) || new_keywords;
    if (differ && report_flags) {
      fetches += "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " +
                 format_flags(m.flags, m.keywords, !rev2 && is_recent(m.uid));
      if (condstore) fetches += " MODSEQ (" + std::to_string(m.modseq) + ")";
      fetches += ")\r\n";
    }
  }
  if (new_keywords) *out += flags_responses();
  *out += fetches;
  if (c.highest_modseq > modseq_) modseq_ = c.highest_modseq;
  if (c.uid_next > uid_next_) uid_next_ = c.uid_next;
  if (top + 1 > uid_next_) uid_next_ = top + 1;
  if (allow_expunge) flush_expunges(out, vanished);
  if (added) {
    *out += "* " + std::to_string(msgs_.size()) + " EXISTS\r\n";
    if (!rev2) *out += "* " + std::to_string(recent_.size()) + " RECENT\r\n";
  }
}

void MailboxView::flush_expunges(std::string* out, bool vanished) {
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
  // In place: a copy of a large mailbox's view would double the session's memory.
  std::erase_if(msgs_, [&](const store::MessageMeta& m) {
    if (!expunged_.count(m.uid)) return false;
    recent_.erase(m.uid);
    return true;
  });
  expunged_.clear();
}

}  // namespace tegami::imap::server
