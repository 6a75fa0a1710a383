// The selected mailbox as one session sees it (RFC 9051 §2.3.1.2, §5.2, §7.5.1): the sequence
// number -> UID map, cached flags, the session-local \Recent set and expunges that are known but
// not yet announced. Pure (no I/O): the session feeds it store::Changes and sends what it
// writes. Sequence numbers change only in apply()/flush_expunges() with allow_expunge.
//
// The messages are a MailboxSnapshot: the one the process-wide MailboxCache shares between all
// sessions of the mailbox while this view agrees with it, a private copy only while it differs
// (expunges held back, flags this session just set), shared again at the next apply() with the
// cache's snapshot that allows it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/server/mailbox_cache.hpp"
#include "store/store.hpp"

namespace tegami::imap::server {

class MailboxView {
 public:
  MailboxView();
  // Not copyable: a private copy's chunks are edited in place.
  MailboxView(const MailboxView&) = delete;
  MailboxView& operator=(const MailboxView&) = delete;
  MailboxView(MailboxView&&) = default;
  MailboxView& operator=(MailboxView&&) = default;
  MailboxView(const store::Mailbox& mb, std::vector<store::MessageMeta> msgs, bool read_only);
  // Shows `snap` (shared, not copied).
  MailboxView(const store::Mailbox& mb, SnapshotPtr snap, bool read_only);

  store::Id id() const { return mailbox_.id; }
  const store::Mailbox& mailbox() const { return mailbox_; }
  uint32_t uid_validity() const { return mailbox_.uid_validity; }
  bool read_only() const { return read_only_; }
  uint64_t modseq() const { return modseq_; }
  uint32_t uid_next() const { return uid_next_; }

  size_t size() const { return snap_->size(); }
  // The message at 0-based position `index` (built from the compact snapshot entry).
  store::MessageMeta at(size_t index) const { return snap_->at(index); }
  uint32_t uid_at(size_t index) const { return snap_->uid_at(index); }
  // f(i, chunk, k) for positions begin..end-1 (see MailboxSnapshot::for_each).
  template <class F>
  void for_each(size_t begin, size_t end, F&& f) const {
    snap_->for_each(begin, end, f);
  }
  uint32_t max_uid() const { return snap_->max_uid(); }
  // True while the view shows exactly `snap` (the same object, no private copy).
  bool shares(const SnapshotPtr& snap) const { return !mine_ && snap_ == snap; }
  const SnapshotPtr& snapshot() const { return snap_; }
  // 1-based sequence number of a uid, 0 when not in the view.
  uint32_t seq_of(uint32_t uid) const;
  bool is_recent(uint32_t uid) const { return recent_.count(uid) > 0; }
  size_t recent_count() const { return recent_.size(); }
  // Expunged in the store, still numbered here until the next allowed EXPUNGE point.
  bool is_expunged(uint32_t uid) const { return expunged_.count(uid) > 0; }

  // Indexes (0-based, ascending, unique) of the messages a set names. For sequence numbers,
  // false when a number is beyond the mailbox (RFC 9051 §9 "seq-number"); UIDs not present
  // are ignored (RFC 9051 §6.4.9). "$" names the saved search result.
  bool resolve(const proto::SequenceSet& set, bool uid, std::vector<size_t>* out) const;

  // The FLAGS and PERMANENTFLAGS responses for the keywords in use (SELECT, and again whenever
  // a new keyword appears: RFC 9051 §7.3.5).
  std::string flags_responses() const;
  // Adds keywords to the announced set; true when one was new.
  bool note_keywords(const std::vector<std::string>& keywords);

  // SEARCHRES (RFC 5182): the UIDs of the last SEARCH ... RETURN (SAVE), used by "$".
  void save_result(std::vector<uint32_t> uids) { saved_ = std::move(uids); }
  const std::vector<uint32_t>& saved_result() const { return saved_; }

  // Records flags this session itself set (its STORE answer reports them), so the next
  // apply() does not report them again.
  void set_flags(uint32_t uid, uint32_t flags, const std::vector<std::string>& keywords,
                 uint64_t modseq);

  // Brings the view up to date with changes from the store and appends the untagged
  // responses: FETCH (UID FLAGS) for flag changes by others, EXPUNGE (descending, only when
  // allow_expunge), EXISTS (and RECENT for IMAP4rev1) for new messages. With `condstore`
  // (RFC 7162 §3.1.4.1) the FETCH responses carry MODSEQ. With `vanished` (QRESYNC enabled,
  // RFC 7162 §3.2.10) expunges are announced as one "* VANISHED uid-set" instead of EXPUNGE.
  // Without `report_flags` (NOTIFY without FlagChange, RFC 5465 §5.1) flag changes are taken
  // in silently.
  //
  // With `next`, the snapshot `c` leads to (`c` from changes_to(*next)), the view takes `next`
  // (shared) instead of editing its own copy; while expunges are held back it keeps a private
  // merge of `next` and the held messages.
  void apply(const store::Changes& c, bool allow_expunge, bool rev2, std::string* out,
             bool condstore = false, bool vanished = false, bool report_flags = true,
             const SnapshotPtr& next = nullptr);
  // What the store would report as changed since modseq() for a mailbox now in state `next`:
  // messages of `next` with a larger MODSEQ (or new), and the UIDs here that `next` lacks.
  store::Changes changes_to(const MailboxSnapshot& next) const;
  // Announces and removes the expunged messages held back so far.
  void flush_expunges(std::string* out, bool vanished = false);
  // While expunges are held back: a mod-sequence below all of theirs (the view's modseq before
  // the first of them arrived), for "* OK [HIGHESTMODSEQ n]" (RFC 7162 §3.2). 0 when none.
  uint64_t held_expunge_floor() const { return expunged_.empty() ? 0 : expunge_floor_; }
  // Removes held-back expunges without announcing them (CLOSE).
  void drop_expunged() { flush_expunges(nullptr); }

 private:
  MailboxSnapshot& own();  // the private copy (made on first use)
  void announce_expunges(std::string* out, bool vanished) const;

  store::Mailbox mailbox_;
  SnapshotPtr snap_;                       // messages by sequence number - 1, ascending uid
  std::shared_ptr<MailboxSnapshot> mine_;  // == snap_ while the view has a private copy
  std::set<uint32_t> recent_;
  std::set<uint32_t> expunged_;
  std::vector<uint32_t> saved_;     // ascending
  std::set<std::string> keywords_;  // announced in FLAGS
  bool read_only_ = false;
  uint64_t modseq_ = 0;
  uint64_t expunge_floor_ = 0;
  uint32_t uid_next_ = 1;
};

}  // namespace tegami::imap::server
