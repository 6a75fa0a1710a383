// The SQLite implementation of store::Store (private to store/sqlite; see README.md).
#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/blob_files.hpp"
#include "store/sqlite/blob_log.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/writer.hpp"
#include "store/store.hpp"

namespace tegami::store::sqlite {

// A message body made ready for insert_blob: its hash, and its file written or its log record
// appended when large.
struct PreparedBlob {
  std::string hash;
  bool in_file = false;
  LogSpan log;                  // set: the body is in the body log (blobs.in_file = 2)
  int64_t search_body_at = -1;  // blobs.search_body_at for the index given to prepare_blob
  Status status;                // the file write's (or log append's) outcome
};

// Read-only connections, handed out one per concurrent reader and returned after use.
class ReadPool {
 public:
  explicit ReadPool(std::string path) : path_(std::move(path)) {}
  class Lease {
   public:
    Lease(ReadPool* pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (db_) pool_->release(std::move(db_));
    }
    Db& db() { return *db_; }

   private:
    ReadPool* pool_;
    std::unique_ptr<Db> db_;
  };
  Result<Lease> acquire();
  void clear();

 private:
  void release(std::unique_ptr<Db> db);
  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Db>> free_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string data_dir, int lock_fd);
  ~SqliteStore() override;
  // Migrations, orphan cleanup (only when `alone`: no other process has the folder open), the
  // writer thread.
  Status start(bool alone);
  SqliteStats stats() const;
  // Bodies over kLogMin go to the body log even when their commit would sync nothing else (for
  // tests of the log).
  void set_log_always(bool on) { log_always_ = on; }

  Result<Domain> add_domain(std::string_view name) override;
  Result<Domain> add_alias_domain(std::string_view primary, std::string_view alias) override;
  Result<Domain> find_domain(std::string_view name) override;
  Result<std::vector<Domain>> list_domains() override;

  Result<Account> add_account(std::string_view address, std::string_view password_hash,
                              int64_t quota_bytes) override;
  Result<Account> get_account(Id id) override;
  Result<Account> find_account_by_address(std::string_view address) override;
  Result<std::vector<Account>> list_accounts() override;
  Status set_password(Id account, std::string_view password_hash) override;
  Status set_two_factor(Id account, bool on) override;
  Status set_quota(Id account, int64_t quota_bytes) override;
  Status set_plan(Id account, std::string_view plan, int64_t quota_bytes) override;
  Status add_alias(Id account, std::string_view address) override;
  Status remove_alias(Id account, std::string_view address) override;
  Result<std::vector<std::string>> list_aliases(Id account) override;

  Result<AppPassword> add_app_password(Id account, std::string_view label,
                                       std::string_view hash) override;
  Result<std::vector<AppPassword>> list_app_passwords(Id account, bool include_revoked) override;
  Status revoke_app_password(Id account, Id app_password, std::string_view reason) override;
  Status revoke_all_app_passwords(Id account, std::string_view reason) override;
  Result<std::vector<AppPassword>> app_passwords_revoked_since(int64_t since) override;
  Status note_app_password_use(Id app_password, int64_t time, std::string_view ip,
                               std::string_view client) override;

  Status add_event(const Event& e) override;
  Result<std::vector<Event>> list_events(Id account, size_t limit) override;

  Result<std::vector<Mailbox>> list_mailboxes(Id account) override;
  Result<Mailbox> get_mailbox(Id account, std::string_view name) override;
  Result<Mailbox> get_mailbox_by_id(Id mailbox) override;
  Result<Mailbox> create_mailbox(Id account, std::string_view name,
                                 std::string_view special_use) override;
  Status delete_mailbox(Id mailbox) override;
  Status rename_mailbox(Id account, std::string_view from, std::string_view to) override;
  Status set_subscribed(Id mailbox, bool on) override;

  Result<std::vector<Delivered>> deliver(std::string_view raw, const index::MessageIndex& idx,
                                         const std::vector<DeliveryTarget>& targets,
                                         int64_t internal_date) override;
  void post_delivery(std::shared_ptr<const OwnedDelivery> d, DeliveryDone done) override;
  Result<std::vector<Delivered>> deliver_many(const std::vector<NewMessage>& messages) override;
  Result<std::vector<MessageMeta>> list_messages(Id mailbox) override;
  Result<std::vector<MessageMeta>> get_messages(Id mailbox,
                                                const std::vector<uint32_t>& uids) override;
  Result<Changes> changes_since(Id mailbox, uint64_t modseq) override;
  Result<uint32_t> count_deleted(Id mailbox) override;
  Result<std::string> read_blob(Id blob) override;
  Result<index::MessageIndex> read_index(Id blob) override;
  Result<std::vector<std::optional<index::MessageIndex>>> read_search_fields(
      const std::vector<Id>& blobs) override;
  Result<std::vector<FlagUpdate>> store_flags(Id mailbox, const std::vector<uint32_t>& uids,
                                              FlagOp op, uint32_t flags,
                                              const std::vector<std::string>& keywords,
                                              uint64_t unchanged_since,
                                              std::vector<uint32_t>* failed) override;
  Result<CopyResult> copy_messages(Id from, const std::vector<uint32_t>& uids, Id to,
                                   bool enforce_quota) override;
  Result<CopyResult> move_messages(Id from, const std::vector<uint32_t>& uids, Id to) override;
  Result<std::vector<uint32_t>> expunge(Id mailbox, const std::vector<uint32_t>& uids) override;

  Result<SubmitResult> submit(std::string_view raw, const index::MessageIndex& idx,
                              const Submission& s, int64_t internal_date) override;
  void post_submit(std::shared_ptr<const OwnedSubmission> s, SubmitDone done) override;
  void expect_write() override { writer_->expect(); }
  Result<SendUsage> send_usage(Id account, int64_t now, int64_t window) override;
  Result<int64_t> note_send_refusal(Id account, int64_t now, int64_t window) override;
  Result<bool> note_send_warning(Id account, int64_t now, int64_t window) override;
  Result<bool> set_send_suspended(Id account, bool on, std::string_view reason,
                                  int64_t now) override;
  Result<QueueDuePage> queue_due(int64_t now, size_t limit, const QueueSkip& skip) override;
  Result<std::vector<QueuedMessage>> queue_list() override;
  Result<QueuedMessage> queue_get(Id id) override;
  Result<int64_t> queue_next_due() override;
  Result<QueueUpdated> queue_update(Id id, const std::vector<RcptUpdate>& updates,
                                    bool delay_notified,
                                    const std::vector<Notice>& notices) override;
  void post_queue_update(Id id, std::vector<RcptUpdate> updates, bool delay_notified,
                         std::function<void(Status)> done) override;
  Status queue_retry(Id id, int64_t now) override;
  Status queue_delete(Id id) override;
  Status read_together(const std::function<Status()>& fn) override;

 private:
  // The read transaction read_together opened on this thread (its store and connection).
  struct Together {
    const SqliteStore* store = nullptr;
    Db* db = nullptr;
  };
  static thread_local Together together_;

  // A read transaction's place among the log's ReadEpochs (made before its first read).
  class Reading {
   public:
    explicit Reading(BlobLog& log) : epochs_(log.epochs()), epoch_(epochs_.begin()) {}
    ~Reading() { epochs_.end(epoch_); }
    Reading(const Reading&) = delete;
    Reading& operator=(const Reading&) = delete;

   private:
    BlobLog::ReadEpochs& epochs_;
    uint64_t epoch_;
  };
  // A blob's content, wherever it is (blob_data, the body log, a file).
  Result<std::string> content(Db& db, Id blob);
  // The search text from the two columns of kSearchBody (messages.cpp) starting at `col` of
  // blob `blob`: stored, or the content's tail from the byte search_body_at names.
  Result<std::string> search_text(Db& db, const Stmt& s, int col, Id blob);
  // Names `raw` by its SHA-256, or at random when it is `unique` (OwnedDelivery::unique), and
  // writes its file or log record when it goes to one; with `idx`, also finds whether its
  // search text can refer to the content.
  PreparedBlob prepare_blob(std::string_view raw, const index::MessageIndex* idx,
                            bool unique = false);
  // Runs `fn(db)` on a pooled read-only connection inside one read transaction.
  template <class T, class F>
  Result<T> read(F&& fn) noexcept {
    try {
      if (together_.store == this) return fn(*together_.db);
      auto lease = pool_.acquire();
      if (!lease.ok()) return lease.error();
      Reading reading(log_);
      ReadTxn txn(lease->db());
      if (!txn.status().ok()) return txn.status().error();
      return fn(lease->db());
    } catch (const std::exception& e) {
      return make_error(Errc::kInternal, std::string("store read failed: ") + e.what());
    }
  }
  // Runs `fn(ctx)` -> Result<T> through group commit; the value is returned once durable.
  // (Exceptions thrown by `fn` are caught by the writer; these catch allocation failures.)
  template <class T, class F>
  Result<T> write(F&& fn) noexcept {
    try {
      std::optional<T> out;
      Status st = writer_->submit([&](WriteCtx& ctx) -> Status {
        Result<T> r = fn(ctx);
        if (!r.ok()) return r.error();
        out = std::move(*r);
        return {};
      });
      if (!st.ok()) return st.error();
      return std::move(*out);
    } catch (const std::exception& e) {
      return make_error(Errc::kInternal, std::string("store write failed: ") + e.what());
    }
  }
  // write() for a caller that must not wait: `fn(ctx)` -> Result<T> goes to the group commit
  // and `done` gets its value (or the error) on the writer thread once durable.
  template <class T, class F, class Done>
  void post_write(F fn, Done done) {
    auto out = std::make_shared<std::optional<T>>();
    writer_->post(
        [fn = std::move(fn), out](WriteCtx& ctx) -> Status {
          Result<T> r = fn(ctx);
          if (!r.ok()) return r.error();
          out->emplace(std::move(*r));
          return {};
        },
        [out, done = std::move(done)](Status st) {
          if (!st.ok()) return done(st.error());
          done(std::move(**out));
        });
  }
  Status write_status(const std::function<Status(WriteCtx&)>& fn,
                      Writer::Sync sync = Writer::Sync::kNow) noexcept {
    try {
      return writer_->submit(fn, sync);
    } catch (const std::exception& e) {
      return make_error(Errc::kInternal, std::string("store write failed: ") + e.what());
    }
  }

  std::string data_dir_;
  int lock_fd_;
  BlobFiles files_;
  BlobLog log_;
  bool log_always_ = false;
  ReadPool pool_;
  std::unique_ptr<Writer> writer_;
};

// ---- shared helpers (ops.cpp) used by the Store methods on the write connection

std::string lower_ascii(std::string_view s);
// "INBOX" in any case -> "INBOX"; "inbox/x" -> "INBOX/x"; otherwise unchanged.
std::string normalize_mailbox_name(std::string_view name);
// kInvalidData for an empty name, a leading/trailing/double '/', or control characters.
Status check_mailbox_name(std::string_view name);
std::string join_keywords(const std::vector<std::string>& kw);
std::vector<std::string> split_keywords(std::string_view s);

Result<Account> load_account(Db& db, Id id);
Result<Mailbox> load_mailbox(Db& db, Id id);
Result<Mailbox> load_mailbox_by_name(Db& db, Id account, std::string_view name);
// INBOX first, then by name.
Result<std::vector<Mailbox>> load_mailboxes(Db& db, Id account);
// Creates a mailbox (fresh UIDVALIDITY from the account's counter); kExists when present.
Result<Mailbox> insert_mailbox(WriteCtx& ctx, Id account, std::string_view name,
                               std::string_view special_use);
// Creates every missing superior of `name` ("a/b/c" -> "a", "a/b").
Status create_parents(WriteCtx& ctx, Id account, std::string_view name);
// Allocates the next modseq of a mailbox.
Result<uint64_t> next_modseq(WriteCtx& ctx, Id mailbox);
// Deletes blobs no message references; schedules their files for unlinking and their log
// records for punching after commit.
Status collect_garbage(WriteCtx& ctx);
// Copies present `uids` of `from` to `to` with new uids (ascending source order).
Result<CopyResult> copy_in_txn(WriteCtx& ctx, Id from, const std::vector<uint32_t>& uids, Id to,
                               bool enforce_quota);
// Finds or inserts the blob of `raw` (prepared by SqliteStore::prepare_blob); returns its id.
// Without `idx` (a message only queued for other servers, never shown over IMAP) the raw
// message alone is stored; a later insert of the same content with an index fills it in.
Result<Id> insert_blob(WriteCtx& ctx, const PreparedBlob& b, std::string_view raw,
                       const index::MessageIndex* idx);
// The mailbox a delivery target names (its account's INBOX for mailbox_id 0); kNotFound when
// that mailbox, or its account, does not exist or the mailbox is another account's.
Result<Id> target_mailbox(Db& db, const DeliveryTarget& t);
// Adds one message row per target (checking ownership and quotas).
Result<std::vector<Delivered>> insert_messages(WriteCtx& ctx, Id blob_id, int64_t size,
                                               const std::vector<DeliveryTarget>& targets,
                                               int64_t internal_date);
Result<std::vector<uint32_t>> expunge_in_txn(WriteCtx& ctx, Id mailbox,
                                             const std::vector<uint32_t>& uids);

}  // namespace tegami::store::sqlite
