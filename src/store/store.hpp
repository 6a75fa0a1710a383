// The store interface (DESIGN.md §4): it speaks the domain, not SQL. Every backend
// (store/sqlite, later store/postgres) implements Store and passes tests/conformance.
//
// Threading: every method may block (disk I/O, fsync). Network threads never call it directly;
// sessions run store calls on the worker pool (net/offload.hpp). Methods are thread-safe.
// Durability: a write method returns only after its transaction is committed and on stable
// storage (group commit: concurrent writers share one commit and one fsync).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "index/message_index.hpp"

namespace tegami::store {

using Id = int64_t;

// ---------------------------------------------------------------- domains and accounts

struct Domain {
  Id id = 0;
  std::string name;  // lower case, IDNA A-label form
  Id alias_of = 0;   // 0 for a primary domain; else the id of the domain it mirrors
};

struct Account {
  Id id = 0;
  std::string address;        // primary address, lower case "local@domain"
  std::string password_hash;  // Argon2id string (crypto_pwhash_str)
  bool two_factor = true;     // two-factor sign-in on: mail clients need app passwords
  int64_t quota_bytes = 0;    // storage limit for mail, 0 = unlimited
  int64_t used_bytes = 0;     // all stored mail of the account (sum of message sizes)
  int64_t created = 0;        // Unix seconds
  // Sending suspended (issue 4: an account that keeps hitting the daily limits); the reason is
  // a sentence for the owner. Lifted by `tegami account unsuspend`.
  bool send_suspended = false;
  std::string send_suspended_reason;
  std::string plan;  // the plan's name in the configuration ([plans.NAME]); "" = the default
};

struct AppPassword {
  Id id = 0;
  Id account_id = 0;
  std::string label;
  std::string hash;  // Argon2id string of the password without hyphens
  int64_t created = 0;
  int64_t last_used = 0;  // 0 = never
  std::string last_ip;
  std::string last_client;     // IMAP ID name / SMTP EHLO name, when known
  int64_t revoked = 0;         // 0 = active
  std::string revoked_reason;  // "revoked by the owner", "account password changed", ...
};

// One sign-in attempt or account event, shown to the owner in the portal's history.
struct Event {
  Id id = 0;
  Id account_id = 0;
  int64_t time = 0;
  std::string kind;    // "login_ok", "login_failed", "app_password_created", ...
  std::string detail;  // plain sentence for the owner
  std::string remote;  // remote address, "" when none
};

// ---------------------------------------------------------------- mailboxes and messages

// System flags as bits; keywords are kept as strings.
enum Flag : uint32_t {
  kSeen = 1,
  kAnswered = 2,
  kFlagged = 4,
  kDeleted = 8,
  kDraft = 16,
};

struct Mailbox {
  Id id = 0;
  Id account_id = 0;
  std::string name;         // UTF-8, hierarchy separator '/', "INBOX" for the inbox
  std::string special_use;  // "\\Drafts", "\\Sent", "\\Junk", "\\Trash", "\\Archive" or ""
  bool subscribed = true;
  uint32_t uid_validity = 0;
  uint32_t uid_next = 1;
  uint64_t highest_modseq = 1;
  // Counts, filled by get_mailbox / list_mailboxes:
  uint32_t messages = 0;
  uint32_t unseen = 0;
  int64_t size = 0;  // sum of message sizes
};

struct MessageMeta {
  uint32_t uid = 0;
  uint64_t modseq = 0;
  uint32_t flags = 0;                 // Flag bits
  std::vector<std::string> keywords;  // as given, e.g. "$Junk", "$Forwarded"
  int64_t internal_date = 0;          // Unix seconds
  int64_t size = 0;                   // RFC822.SIZE (bytes, CRLF form as stored)
  Id blob_id = 0;                     // the content; bodies are shared between recipients
  int64_t save_date = 0;              // when it entered this mailbox
};

// One target of a delivery: the same bytes go to every target, stored once.
struct DeliveryTarget {
  Id account_id = 0;
  Id mailbox_id = 0;  // must belong to account_id; 0: the account's INBOX
  uint32_t flags = 0;
  std::vector<std::string> keywords;
  bool enforce_quota = true;  // false: always accept (e.g. a bounce, or moving to Trash)
};

// One message of deliver_many: its own bytes, index, target, flags and date.
struct NewMessage {
  std::string_view raw;  // must outlive the call
  index::MessageIndex idx;
  DeliveryTarget target;
  int64_t internal_date = 0;
};

struct Delivered {
  Id account_id = 0;
  Id mailbox_id = 0;
  uint32_t uid = 0;
  uint64_t modseq = 0;
};

// A delivery that owns what it stores, for Store::post_delivery.
struct OwnedDelivery {
  std::string raw;
  index::MessageIndex idx;
  std::vector<DeliveryTarget> targets;
  int64_t internal_date = 0;
  // The bytes begin with a trace header of ours carrying a new random id (the Received field
  // of an SMTP transaction), so no stored content can be the same: the store names them with a
  // random identity instead of hashing them to find a copy to share (0.5 us a KB saved).
  bool unique = false;
};
using DeliveryDone = std::function<void(Result<std::vector<Delivered>>)>;

enum class FlagOp { kSet, kAdd, kRemove };

struct FlagUpdate {
  uint32_t uid = 0;
  uint64_t modseq = 0;
  uint32_t flags = 0;
  std::vector<std::string> keywords;
};

struct CopyResult {
  uint32_t uid_validity = 0;                        // of the destination
  std::vector<std::pair<uint32_t, uint32_t>> uids;  // (source uid, destination uid)
};

// What changed in a mailbox since a modseq: for a session to bring its view up to date.
struct Changes {
  std::vector<MessageMeta> changed;  // modseq > since (new messages and flag changes), by uid
  std::vector<uint32_t> expunged;    // uids expunged with modseq > since, ascending
  uint64_t highest_modseq = 0;
  uint32_t uid_next = 0;
};

// ---------------------------------------------------------------- outbound queue

enum class RcptState { kPending = 0, kDelivered = 1, kFailed = 2 };

struct QueueRecipient {
  Id id = 0;
  std::string address;  // forward path, "user@example.com"
  std::string domain;   // lower case destination domain
  std::string notify;   // DSN NOTIFY as given by the client, "" = default (FAILURE)
  std::string orcpt;    // DSN ORCPT as given, "" when none
  RcptState state = RcptState::kPending;
  int attempts = 0;
  int64_t next_attempt = 0;  // Unix seconds (pending only)
  int64_t last_attempt = 0;
  std::string last_reply;  // "451 4.4.1 ..." from the remote, or our own reason
  std::string last_host;   // the server that gave it
};

// A message waiting for delivery to other servers. The bytes are a blob (shared with the copy
// in the sender's Sent folder when the client saves one), kept until no recipient is pending.
struct QueuedMessage {
  Id id = 0;
  Id account_id = 0;  // the sender's account (for bounces and limits); 0 once deleted
  Id blob_id = 0;
  int64_t size = 0;
  std::string env_from;  // reverse path, "" for the null sender
  std::string envid;     // DSN ENVID
  std::string ret;       // DSN RET: "", "FULL", "HDRS"
  bool smtputf8 = false;
  bool eight_bit = false;
  bool requiretls = false;
  int64_t created = 0;
  int64_t expires = 0;  // give up (bounce) after this
  bool delay_notified = false;
  std::vector<QueueRecipient> rcpts;
};

// A place in queue_due's walk: a pending recipient's (next_attempt, message, domain), the
// order in which the walk reads them. queue_id 0: the start.
struct QueueDuePlace {
  int64_t next_attempt = 0;
  Id queue_id = 0;
  std::string domain;
};

// What a queue_due caller already holds, left out of the answer so that it neither fills the
// limit nor is read again.
struct QueueSkip {
  std::set<std::pair<Id, std::string>> jobs;  // (message, destination domain)
  std::set<std::string> domains;              // every recipient of these domains
  // The walk begins after this place (where the previous page ended: see queue_due), so that a
  // burst of looks does not step over everything the earlier ones found again.
  QueueDuePlace after;
};

// A page of queue_due.
struct QueueDuePage {
  std::vector<QueuedMessage> messages;
  // Where the walk stopped when the page filled up (the row that brought the last message in);
  // pass it as QueueSkip::after to go on from there. queue_id 0: the walk reached the end.
  QueueDuePlace ended;
};

// One recipient's outcome after an attempt.
struct RcptUpdate {
  Id rcpt_id = 0;
  RcptState state = RcptState::kPending;
  int64_t next_attempt = 0;  // when still pending
  std::string reply;
  std::string host;
  int64_t attempted = 0;  // the attempt's time; 0 = no attempt (e.g. rescheduled only)
};

// A notification to put in a local mailbox in the same transaction (bounce, delay notice).
struct Notice {
  std::string raw;
  index::MessageIndex idx;
  DeliveryTarget target;
  // A delay notice: put in only by the queue_update that marks the message delay-notified.
  // The jobs of one message (one per destination domain) work from the same unmarked
  // snapshot, and each would otherwise add its own.
  bool delay = false;
};

// A notice that queue_update left out because the mailbox it was for no longer exists (its
// account was deleted while the outcome was being written): nobody is left to read it.
struct DroppedNotice {
  size_t index = 0;    // into queue_update's `notices`
  std::string reason;  // the store's words, for the caller's log
};

// What queue_update did besides recording the outcomes.
struct QueueUpdated {
  std::vector<DroppedNotice> dropped;
};

// ---------------------------------------------------------------- sending limits

struct SendLimits {
  int64_t messages = 1000;    // per window, 0 = unlimited
  int64_t recipients = 1000;  // per window, 0 = unlimited
  int64_t window = 86400;     // seconds (rolling)
};

struct SendUsage {
  int64_t messages = 0;    // accepted in the window
  int64_t recipients = 0;  // their recipients
  int64_t refusals = 0;    // submissions refused by a limit in the window
  int64_t oldest = 0;      // time of the oldest accepted one in the window, 0 = none
};

// What a submission stores in one transaction: copies for local recipients, the queue entry
// for the others, and one count toward the sender's limits.
struct Submission {
  Id account_id = 0;
  std::vector<DeliveryTarget> local;      // may be empty
  std::optional<QueuedMessage> outbound;  // rcpts and envelope; id/blob/size are filled in
  int64_t recipients = 0;                 // counted toward the limits (local + remote)
  std::optional<SendLimits> limits;       // checked inside the transaction; none = no check
  int64_t now = 0;                        // the time counted; 0 = the commit's clock
};

struct SubmitResult {
  std::vector<Delivered> delivered;
  // What was queued, as queue_get would read it after the commit (ids filled in): the queue
  // runner takes it from here instead of reading it back.
  std::optional<QueuedMessage> queued;
  Id queue_id() const { return queued ? queued->id : 0; }  // 0 when nothing was queued
  // With Submission::limits: the window's use, this submission included.
  std::optional<SendUsage> usage;
};

// A submission that owns what it stores, for Store::post_submit.
struct OwnedSubmission {
  std::string raw;
  index::MessageIndex idx;  // read only when sub.local is not empty
  Submission sub;
  int64_t internal_date = 0;
  bool unique = false;  // as OwnedDelivery::unique
};
using SubmitDone = std::function<void(Result<SubmitResult>)>;

class Store {
 public:
  virtual ~Store() = default;

  // Domains. Names are compared case-insensitively and stored lower case.
  virtual Result<Domain> add_domain(std::string_view name) = 0;
  virtual Result<Domain> add_alias_domain(std::string_view primary, std::string_view alias) = 0;
  virtual Result<Domain> find_domain(std::string_view name) = 0;
  virtual Result<std::vector<Domain>> list_domains() = 0;

  // Accounts. add_account creates INBOX, Drafts, Sent Messages, Junk, Deleted Messages, Archive
  // with their SPECIAL-USE attributes in the same transaction.
  virtual Result<Account> add_account(std::string_view address, std::string_view password_hash,
                                      int64_t quota_bytes) = 0;
  virtual Result<Account> get_account(Id id) = 0;
  // Exact address (primary or alias, any domain), case-insensitive. Does not strip "+tag"
  // and does not expand alias domains: account/ does that.
  virtual Result<Account> find_account_by_address(std::string_view address) = 0;
  virtual Result<std::vector<Account>> list_accounts() = 0;
  // Also revokes every active app password with reason "account password changed".
  virtual Status set_password(Id account, std::string_view password_hash) = 0;
  virtual Status set_two_factor(Id account, bool on) = 0;
  virtual Status set_quota(Id account, int64_t quota_bytes) = 0;
  // Puts the account on a plan (its name; "" = the configuration's default) with its quota.
  virtual Status set_plan(Id account, std::string_view plan, int64_t quota_bytes) = 0;
  virtual Status add_alias(Id account, std::string_view address) = 0;  // kExists if taken
  virtual Status remove_alias(Id account, std::string_view address) = 0;
  virtual Result<std::vector<std::string>> list_aliases(Id account) = 0;

  // App passwords (labels are unique among the active ones of an account).
  virtual Result<AppPassword> add_app_password(Id account, std::string_view label,
                                               std::string_view hash) = 0;
  virtual Result<std::vector<AppPassword>> list_app_passwords(Id account, bool include_revoked) = 0;
  virtual Status revoke_app_password(Id account, Id app_password, std::string_view reason) = 0;
  virtual Status revoke_all_app_passwords(Id account, std::string_view reason) = 0;
  // App passwords of any account revoked at or after `since` (Unix seconds), oldest first: how
  // a server learns of revocations made by another process (the CLI) to end live sessions.
  virtual Result<std::vector<AppPassword>> app_passwords_revoked_since(int64_t since) = 0;
  virtual Status note_app_password_use(Id app_password, int64_t time, std::string_view ip,
                                       std::string_view client) = 0;

  virtual Status add_event(const Event& e) = 0;
  virtual Result<std::vector<Event>> list_events(Id account, size_t limit) = 0;

  // Mailboxes. Names are UTF-8 with '/' as separator; "INBOX" is case-insensitive.
  virtual Result<std::vector<Mailbox>> list_mailboxes(Id account) = 0;
  virtual Result<Mailbox> get_mailbox(Id account, std::string_view name) = 0;
  virtual Result<Mailbox> get_mailbox_by_id(Id mailbox) = 0;
  virtual Result<Mailbox> create_mailbox(Id account, std::string_view name,
                                         std::string_view special_use) = 0;
  // Deletes the mailbox and its messages (quota is given back). kPerm for INBOX.
  virtual Status delete_mailbox(Id mailbox) = 0;
  // Renames the mailbox and its children ("a" -> "b" moves "a/x" to "b/x"). Renaming INBOX
  // moves its messages to the new mailbox and leaves INBOX empty (RFC 9051 §6.3.6).
  virtual Status rename_mailbox(Id account, std::string_view from, std::string_view to) = 0;
  virtual Status set_subscribed(Id mailbox, bool on) = 0;

  // Messages. `raw` is stored once (content-addressed; see OwnedDelivery::unique) however
  // many targets there are; quota usage of each account is updated in the same transaction.
  // kOverQuota when a target with enforce_quota would exceed its account's quota (nothing is
  // stored then).
  virtual Result<std::vector<Delivered>> deliver(std::string_view raw,
                                                 const index::MessageIndex& idx,
                                                 const std::vector<DeliveryTarget>& targets,
                                                 int64_t internal_date) = 0;
  // deliver() for a caller that must not wait for the commit: returns once the content is
  // prepared (named, maybe written unsynced: work in proportion to its size, no fsync), and
  // `done` gets the result on a store thread once the delivery is durable or has failed (it
  // must only hand the result on). For content up to kPostedDeliveryMax bytes, which is stored
  // inside the database (or its body log): nothing but the group commit syncs. Larger content:
  // kInvalidData.
  static constexpr size_t kPostedDeliveryMax = 256 * 1024;
  virtual void post_delivery(std::shared_ptr<const OwnedDelivery> d, DeliveryDone done) = 0;
  // Several messages, each with its own target, in one transaction: every message is stored or
  // none is (IMAP MULTIAPPEND, RFC 3502 §6). Quota is checked after each insert, so the set
  // counts as a whole: kOverQuota when the messages together do not fit. Messages for the same
  // mailbox get ascending UIDs in the order given; the result is in that order too.
  // kInvalidData for an empty list.
  virtual Result<std::vector<Delivered>> deliver_many(const std::vector<NewMessage>& messages) = 0;

  // All messages of a mailbox in UID order (the session's view at SELECT).
  virtual Result<std::vector<MessageMeta>> list_messages(Id mailbox) = 0;
  virtual Result<std::vector<MessageMeta>> get_messages(Id mailbox,
                                                        const std::vector<uint32_t>& uids) = 0;
  virtual Result<Changes> changes_since(Id mailbox, uint64_t modseq) = 0;
  // Messages of a mailbox flagged \Deleted (STATUS DELETED), counted without loading the
  // mailbox. This default loads it.
  virtual Result<uint32_t> count_deleted(Id mailbox) {
    auto msgs = list_messages(mailbox);
    if (!msgs.ok()) return msgs.error();
    uint32_t n = 0;
    for (const auto& m : *msgs) n += (m.flags & kDeleted) ? 1 : 0;
    return n;
  }

  virtual Result<std::string> read_blob(Id blob) = 0;  // the raw message
  virtual Result<index::MessageIndex> read_index(Id blob) = 0;
  // What SEARCH reads of many messages at once (a large mailbox is searched in chunks):
  // out[i] is the index of blobs[i] with only search_headers, search_body and sent_date filled,
  // nullopt when that blob no longer exists. The SQLite store reads a chunk in one transaction;
  // this default reads the blobs one by one.
  virtual Result<std::vector<std::optional<index::MessageIndex>>> read_search_fields(
      const std::vector<Id>& blobs) {
    std::vector<std::optional<index::MessageIndex>> out;
    out.reserve(blobs.size());
    for (Id b : blobs) {
      auto r = read_index(b);
      if (!r.ok() && r.code() != Errc::kNotFound) return r.error();
      out.push_back(r.ok() ? std::optional<index::MessageIndex>(std::move(*r)) : std::nullopt);
    }
    return out;
  }

  // Runs `fn` with every read it makes of this store on this thread inside one read
  // transaction (one snapshot; the SQLite store takes its WAL locks once instead of once per
  // read). For a bounded batch (a FETCH of many bodies): writers' checkpoints wait for it.
  // This default just runs `fn`.
  virtual Status read_together(const std::function<Status()>& fn) { return fn(); }

  // Flags: only messages still present are changed; every change gets a new modseq.
  // unchanged_since (CONDSTORE) = 0 means no condition; uids failing it are in *failed.
  virtual Result<std::vector<FlagUpdate>> store_flags(Id mailbox, const std::vector<uint32_t>& uids,
                                                      FlagOp op, uint32_t flags,
                                                      const std::vector<std::string>& keywords,
                                                      uint64_t unchanged_since,
                                                      std::vector<uint32_t>* failed) = 0;
  virtual Result<CopyResult> copy_messages(Id from, const std::vector<uint32_t>& uids, Id to,
                                           bool enforce_quota) = 0;
  // Copy then expunge from the source in one transaction.
  virtual Result<CopyResult> move_messages(Id from, const std::vector<uint32_t>& uids, Id to) = 0;
  // Removes the given uids (only those present); returns the ones removed, ascending.
  virtual Result<std::vector<uint32_t>> expunge(Id mailbox, const std::vector<uint32_t>& uids) = 0;

  // Submission (port 587/465): everything in one transaction. With limits: a suspended account
  // gets kPerm, an account over a limit gets kLimit (nothing is stored) whose message names the
  // limit; the caller then records the refusal (note_send_refusal) and replies. A submission
  // with more recipients than limits->recipients (no waiting makes room) gets kTooBig, which
  // the caller tells from a storage kTooBig by that same comparison. `idx` is read
  // only when s.local is not empty: a message only queued for other servers is stored raw.
  virtual Result<SubmitResult> submit(std::string_view raw, const index::MessageIndex& idx,
                                      const Submission& s, int64_t internal_date) = 0;
  // submit() for a caller that must not wait for the commit: returns once the content is
  // prepared (a body over the inline size is written to its file and synced here: call it from
  // a worker thread), and `done` gets the result on a store thread once the transaction is
  // durable or has failed (it must only hand the result on).
  virtual void post_submit(std::shared_ptr<const OwnedSubmission> s, SubmitDone done) = 0;
  // A delivery or submission will be handed over soon (its content is arriving): a store that
  // commits on a thread of its own may get that thread ready for it. A hint; nothing else.
  virtual void expect_write() {}
  virtual Result<SendUsage> send_usage(Id account, int64_t now, int64_t window) = 0;
  // Records a refused submission; returns the refusals in the window, this one included, that
  // came after the account's last suspension was lifted.
  virtual Result<int64_t> note_send_refusal(Id account, int64_t now, int64_t window) = 0;
  // Records that the owner is being warned of the sending limits; false when a warning was
  // already recorded within `window` before `now` (then none is sent).
  virtual Result<bool> note_send_warning(Id account, int64_t now, int64_t window) = 0;
  // Suspends sending, or lifts it: the refusals so far then no longer count toward the next
  // suspension (an account still at its limit is not suspended again at its next refusal).
  // True when this call changed the state (of two sessions suspending at once, one does).
  virtual Result<bool> set_send_suspended(Id account, bool on, std::string_view reason,
                                          int64_t now) = 0;

  // The queue. queue_due: up to `limit` messages with a pending recipient due at `now` that
  // `skip` does not name, in the order such a recipient became due (then queue order), each
  // with all its recipients. The walk reads recipients in the order (next_attempt, message,
  // domain); a message is in the page at its first such recipient. A full page says where it
  // ended, and the next page may begin after that place (QueueSkip::after) without missing
  // anything behind it: every row before it was taken or is named by `skip`.
  virtual Result<QueueDuePage> queue_due(int64_t now, size_t limit, const QueueSkip& skip) = 0;
  virtual Result<std::vector<QueuedMessage>> queue_list() = 0;
  virtual Result<QueuedMessage> queue_get(Id id) = 0;
  // Earliest next_attempt of a pending recipient; 0 when the queue is empty.
  virtual Result<int64_t> queue_next_due() = 0;
  // Applies outcomes, marks the delay notice sent when asked, and delivers `notices` (bounces;
  // a `delay` one only when this call is the one that marks it) in the same transaction; a
  // message with no pending recipient left is removed. A notice whose target mailbox or
  // account no longer exists (deleted after the notice was composed) is left out and named in
  // the answer's `dropped`; the outcomes are recorded all the same, and a delay notice left out
  // so does not mark the message (a later job may compose one for a mailbox that exists). Any
  // other failure of a notice (disk full, a mailbox out of UIDs) fails the call and nothing is
  // recorded: the caller keeps the outcome and tries again. kNotFound means, and only means,
  // that the message is not queued (deleted meanwhile; ids are never used twice). Returns once
  // committed, without waiting for that commit's own fsync: it is on disk with the next
  // durable commit or within milliseconds. A power loss before that undoes it, and the queue
  // then tries those recipients again (sent twice at worst, never lost).
  virtual Result<QueueUpdated> queue_update(Id id, const std::vector<RcptUpdate>& updates,
                                            bool delay_notified,
                                            const std::vector<Notice>& notices) = 0;
  // queue_update() without notices, for a caller that must not wait: `done` gets the Status on
  // a store thread once committed as queue_update() commits (it must only hand the result on).
  virtual void post_queue_update(Id id, std::vector<RcptUpdate> updates, bool delay_notified,
                                 std::function<void(Status)> done) = 0;
  virtual Status queue_retry(Id id, int64_t now) = 0;  // every pending recipient due now
  virtual Status queue_delete(Id id) = 0;
};

}  // namespace tegami::store
