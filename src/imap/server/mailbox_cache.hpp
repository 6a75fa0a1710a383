// Mailbox snapshots shared by every session of the process that selects a mailbox (RFC 9051
// §5.2: each session still reports changes at the points the RFC allows; MailboxView keeps what
// is session-local). A snapshot is immutable: the UID, flags, keywords, MODSEQ, dates, size and
// content id of every message at one mod-sequence. SELECT of a mailbox whose snapshot is current
// reads no message from the store, and a session asks the store for nothing while the hub says
// nothing changed.
//
// Currency: store::ChangeHub::publish(mailbox) comes after the change is committed. Each entry
// counts publications (`gen`, bumped by the cache's own hub subscription and by every selected
// session's before it wakes up); a snapshot is current while the count is the one read before the
// store read that produced it, and for at most `max_age` (writers outside this process do not
// publish; SELECT also compares the mailbox's HIGHESTMODSEQ with the snapshot's).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::imap::server {

// An immutable picture of a mailbox's messages. The messages are kept in chunks of a few
// hundred, each shared between successive snapshots until a change touches it: a flag change in
// a mailbox of 1,000,000 messages copies one chunk and the chunk list, not every message, and
// comparing two snapshots skips the chunks they share.
class MailboxSnapshot {
 public:
  // One message in 48 bytes (a store::MessageMeta is 80, plus its keyword strings): the
  // keywords are an index into the chunk's keyword sets.
  struct Entry {
    uint32_t uid = 0;
    uint32_t bits = 0;  // store flag bits (low 24) | keyword set (high 8: 0 none, k: sets[k-1])
    uint64_t modseq = 0;
    int64_t internal_date = 0;
    int64_t size = 0;
    store::Id blob_id = 0;
    int64_t save_date = 0;
    uint32_t flags() const { return bits & 0xFFFFFF; }
    uint32_t keyword_set() const { return bits >> 24; }
  };
  // At most kChunk messages (ascending uid, never empty) and the keyword sets they use.
  class Chunk {
   public:
    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    const Entry& entry(size_t k) const { return entries_[k]; }
    uint32_t front_uid() const { return entries_.front().uid; }
    uint32_t back_uid() const { return entries_.back().uid; }
    const std::vector<std::string>& keywords(size_t k) const;
    store::MessageMeta meta(size_t k) const;
    void push(const store::MessageMeta& m);  // appends (ascending uid)
    // Message k's flags, keywords and MODSEQ (the uid stays).
    void set(size_t k, uint32_t flags, const std::vector<std::string>& keywords, uint64_t modseq);

   private:
    uint32_t intern(const std::vector<std::string>& keywords);
    std::vector<Entry> entries_;
    std::vector<std::vector<std::string>> sets_;
  };
  static constexpr size_t kChunk = 128;

  store::Id mailbox = 0;
  // Every change up to this mod-sequence is in the messages (a few later ones may be too: the
  // first load reads the mailbox row before the messages).
  uint64_t modseq = 0;
  uint32_t uid_next = 1;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The message at 0-based position i (sequence number i + 1).
  store::MessageMeta at(size_t i) const;
  uint32_t uid_at(size_t i) const;
  // The position of the first message with a uid >= `uid` (size() when none).
  size_t lower_bound(uint32_t uid) const;
  // The position of `uid`, or size() when it is not here.
  size_t find(uint32_t uid) const;
  uint32_t max_uid() const { return chunks_.empty() ? 0 : chunks_.back()->back_uid(); }
  const std::vector<std::shared_ptr<const Chunk>>& chunks() const { return chunks_; }
  // Calls f(i, chunk, k) for positions begin..end-1 (message k of `chunk`), in order, without a
  // lookup per message.
  template <class F>
  void for_each(size_t begin, size_t end, F&& f) const {
    if (begin >= end) return;
    auto [c, k] = locate(begin);
    for (size_t i = begin; i < end; ++c, k = 0) {
      const Chunk& ch = *chunks_[c];
      for (; k < ch.size() && i < end; ++k, ++i) f(i, ch, k);
    }
  }
  // Keywords in use, sorted (kept by make_snapshot and edit_snapshot; a view's private copy
  // does not keep them up to date).
  std::vector<std::string> keywords() const;

  // For MailboxView's private copy: the chunk at `c` unshared (copied unless this snapshot
  // is its only holder), to edit message fields other than the uid.
  Chunk& own_chunk(size_t c);
  // The chunk holding position i and the position inside it.
  std::pair<size_t, size_t> locate(size_t i) const;

 private:
  friend std::shared_ptr<MailboxSnapshot> edit_snapshot(const MailboxSnapshot&,
                                                        const std::vector<store::MessageMeta>&,
                                                        const std::vector<uint32_t>&);
  friend std::shared_ptr<MailboxSnapshot> make_snapshot(store::Id, uint64_t, uint32_t,
                                                        std::vector<store::MessageMeta>);
  // Appends messages (ascending uid; `tail`: at the end of the mailbox) as chunks, keeps
  // starts_ and count_.
  void push_messages(const std::vector<store::MessageMeta>& msgs, bool tail = true);
  void push_chunk(std::shared_ptr<const Chunk> c);
  std::vector<std::shared_ptr<const Chunk>> chunks_;
  std::vector<size_t> starts_;  // position of each chunk's first message
  size_t count_ = 0;
  std::map<std::string, uint32_t> keyword_use_;  // keyword -> messages that have it
};
using SnapshotPtr = std::shared_ptr<const MailboxSnapshot>;

// A snapshot of these messages (any order).
std::shared_ptr<MailboxSnapshot> make_snapshot(store::Id mailbox, uint64_t modseq,
                                               uint32_t uid_next,
                                               std::vector<store::MessageMeta> messages);
// `base` with `upserts` (ascending uid: replace the message of that uid, or add it) and
// `erases` (ascending uids to remove) applied; chunks without an edit are shared with `base`.
// modseq and uid_next are those of `base` (raised to cover the upserts).
std::shared_ptr<MailboxSnapshot> edit_snapshot(const MailboxSnapshot& base,
                                               const std::vector<store::MessageMeta>& upserts,
                                               const std::vector<uint32_t>& erases);
// `base` with store changes since base.modseq applied (changed messages replace or join it,
// expunged ones leave it).
SnapshotPtr advance_snapshot(const MailboxSnapshot& base, const store::Changes& c);

class MailboxCache {
 public:
  explicit MailboxCache(std::chrono::milliseconds max_age = std::chrono::milliseconds(1000),
                        std::chrono::seconds keep_unused = std::chrono::seconds(60));
  ~MailboxCache();
  MailboxCache(const MailboxCache&) = delete;
  MailboxCache& operator=(const MailboxCache&) = delete;

  // Non-blocking: the mailbox's snapshot when nothing was published for it since it was read
  // (or confirmed) from the store, less than max_age ago; else null. Always null without a hub.
  SnapshotPtr current(store::Id mailbox);

  // Blocking (run it on the worker pool): a snapshot with every change committed and published
  // before the call, and at least `min_modseq`. Reads only the changes since the cached
  // snapshot, or the whole mailbox the first time. kNotFound when the mailbox is gone.
  Result<SnapshotPtr> fresh(store::Store& store, store::ChangeHub* hub, store::Id mailbox,
                            uint64_t min_modseq = 0);

  // SELECT by name. lookup() is non-blocking: the mailbox row and snapshot when both are
  // current (no mailbox event of the account, e.g. RENAME or DELETE, and no change of the
  // mailbox was published since they were read, less than max_age ago); else nullopt, and
  // select() (blocking) reads the row and a fresh snapshot (see fresh()).
  struct Selected {
    store::Mailbox mailbox;
    SnapshotPtr snap;
  };
  std::optional<Selected> lookup(store::Id account, const std::string& name);
  Result<Selected> select(store::Store& store, store::ChangeHub* hub, store::Id account,
                          const std::string& name);

  // Marks the mailbox changed (any thread; a session's hub callback calls it before it wakes
  // the session, whatever order the hub runs its callbacks in).
  void changed(store::Id mailbox);

  struct Stats {
    uint64_t loads = 0;      // whole mailboxes read (list_messages)
    uint64_t refreshes = 0;  // changes_since reads
  };
  Stats stats() const;
  size_t entries() const;

 private:
  struct Entry {
    std::atomic<uint64_t> gen{0};  // publications seen
    std::mutex mu;                 // guards the fields below
    SnapshotPtr snap;
    uint64_t snap_gen = 0;  // gen read before the store read that produced / confirmed snap
    std::chrono::steady_clock::time_point validated{};
    std::chrono::steady_clock::time_point used{};
    std::mutex refresh_mu;  // one store read per mailbox at a time
    store::ChangeHub* hub = nullptr;
    store::ChangeHub::Token token = 0;
  };
  struct Row {
    store::Mailbox mailbox;
    uint64_t gen = 0;  // the account's gen read before the mailbox row was
    std::chrono::steady_clock::time_point validated{};
  };
  struct AccountEntry {
    std::atomic<uint64_t> gen{0};  // mailbox events seen
    std::mutex mu;                 // guards rows
    std::unordered_map<std::string, Row> rows;
    std::chrono::steady_clock::time_point created{};
    store::ChangeHub* hub = nullptr;
    store::ChangeHub::Token token = 0;
  };
  std::shared_ptr<AccountEntry> account_entry(store::ChangeHub* hub, store::Id account);
  std::shared_ptr<Entry> find(store::Id mailbox) const;
  std::shared_ptr<Entry> entry(store::ChangeHub* hub, store::Id mailbox);
  // The snapshot to use after reading `next` with gen `g`: the newer of it and the entry's.
  SnapshotPtr install(Entry& e, SnapshotPtr next, uint64_t g);
  void drop(store::Id mailbox);
  void sweep();

  const std::chrono::milliseconds max_age_;
  const std::chrono::seconds keep_unused_;
  mutable std::mutex mu_;
  std::unordered_map<store::Id, std::shared_ptr<Entry>> entries_;
  std::unordered_map<store::Id, std::shared_ptr<AccountEntry>> accounts_;
  std::chrono::steady_clock::time_point last_sweep_{};
  std::atomic<uint64_t> loads_{0}, refreshes_{0};
};

}  // namespace tegami::imap::server
