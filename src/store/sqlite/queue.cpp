// Submission, sending limits and the outbound queue of SqliteStore (issue 4): a submission's
// local copies, its queue entry and its count toward the limits commit together; queue updates
// and the bounces they cause commit together, so an accepted message is never lost or
// reported twice.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace tegami::store::sqlite {
namespace {

// Rows of send_log older than this are pruned (a week keeps a little history for support).
constexpr int64_t kSendLogKeep = 7 * 86400;

constexpr const char* kQueueCols =
    "SELECT id, COALESCE(account_id, 0), blob_id, size, env_from, envid, ret, smtputf8, "
    "eight_bit, requiretls, created, expires, delay_notified FROM queue ";

QueuedMessage queued_from(const Stmt& s) {
  QueuedMessage q;
  q.id = s.i64(0);
  q.account_id = s.i64(1);
  q.blob_id = s.i64(2);
  q.size = s.i64(3);
  q.env_from = s.text(4);
  q.envid = s.text(5);
  q.ret = s.text(6);
  q.smtputf8 = s.i64(7) != 0;
  q.eight_bit = s.i64(8) != 0;
  q.requiretls = s.i64(9) != 0;
  q.created = s.i64(10);
  q.expires = s.i64(11);
  q.delay_notified = s.i64(12) != 0;
  return q;
}

Status load_rcpts(Db& db, QueuedMessage& q) {
  TG_ASSIGN(Stmt s, db.prepare("SELECT id, address, domain, notify, orcpt, state, attempts, "
                               "next_attempt, last_attempt, last_reply, last_host FROM "
                               "queue_rcpts WHERE queue_id = ? ORDER BY id"));
  s.bind(1, q.id);
  while (true) {
    TG_ASSIGN(bool row, s.step());
    if (!row) break;
    QueueRecipient r;
    r.id = s.i64(0);
    r.address = s.text(1);
    r.domain = s.text(2);
    r.notify = s.text(3);
    r.orcpt = s.text(4);
    r.state = static_cast<RcptState>(s.i64(5));
    r.attempts = static_cast<int>(s.i64(6));
    r.next_attempt = s.i64(7);
    r.last_attempt = s.i64(8);
    r.last_reply = s.text(9);
    r.last_host = s.text(10);
    q.rcpts.push_back(std::move(r));
  }
  return {};
}

Result<QueuedMessage> load_queued(Db& db, Id id) {
  static const std::string sql = std::string(kQueueCols) + "WHERE id = ?";
  TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
  s.bind(1, id);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no queued message " + std::to_string(id));
  QueuedMessage q = queued_from(s);
  TG_TRY(load_rcpts(db, q));
  return q;
}

// kNotFound unless message `id` is queued: the queue row alone (load_queued reads every
// recipient too), for the writes that only need to know it is there.
Status check_queued(Db& db, Id id) {
  TG_ASSIGN(Stmt s, db.prepare("SELECT 1 FROM queue WHERE id = ?"));
  s.bind(1, id);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no queued message " + std::to_string(id));
  return {};
}

// send_log keeps running totals per account (sum_* include the row itself, in (time, id)
// order), so the counts of a window are the newest row's totals minus those of the last row
// before the window: two index lookups however many rows the window holds.
struct SendTotals {
  int64_t time = 0, messages = 0, recipients = 0, refusals = 0;
};

// The account's last row at or before `at` (INT64_MAX: its newest row).
Result<std::optional<SendTotals>> totals_at(Db& db, Id account, int64_t at) {
  TG_ASSIGN(Stmt s, db.prepare("SELECT time, sum_messages, sum_recipients, sum_refusals FROM "
                               "send_log WHERE account_id = ? AND time <= ? ORDER BY time DESC, "
                               "id DESC LIMIT 1"));
  s.bind(1, account).bind(2, at);
  TG_ASSIGN(bool row, s.step());
  if (!row) return std::optional<SendTotals>();
  return std::optional<SendTotals>(SendTotals{s.i64(0), s.i64(1), s.i64(2), s.i64(3)});
}

Result<SendUsage> usage_in(Db& db, Id account, int64_t now, int64_t window) {
  SendUsage u;
  TG_ASSIGN(auto last, totals_at(db, account, INT64_MAX));
  if (!last) return u;
  TG_ASSIGN(auto before, totals_at(db, account, now - window));
  SendTotals base;
  if (before) {
    base = *before;
  } else {
    // Nothing before the window (never, or pruned): start from the totals before the oldest row.
    TG_ASSIGN(Stmt s, db.prepare("SELECT sum_messages - (refused = 0), sum_recipients - "
                                 "CASE WHEN refused = 0 THEN recipients ELSE 0 END, "
                                 "sum_refusals - refused FROM send_log WHERE account_id = ? "
                                 "ORDER BY time, id LIMIT 1"));
    s.bind(1, account);
    TG_ASSIGN(bool row, s.step());
    if (row) base = SendTotals{0, s.i64(0), s.i64(1), s.i64(2)};
  }
  u.messages = last->messages - base.messages;
  u.recipients = last->recipients - base.recipients;
  u.refusals = last->refusals - base.refusals;
  if (u.messages > 0) {
    TG_ASSIGN(Stmt s, db.prepare("SELECT time FROM send_log WHERE account_id = ? AND time > ? "
                                 "AND refused = 0 ORDER BY time, id LIMIT 1"));
    s.bind(1, account).bind(2, now - window);
    TG_ASSIGN(bool row, s.step());
    if (row) u.oldest = s.i64(0);
  }
  return u;
}

// Appends a row with the account's running totals. A clock that steps back is recorded at the
// newest row's time, so (time, id) order stays the order of the totals.
Status log_send(Db& db, Id account, int64_t now, int64_t recipients, bool refused) {
  TG_ASSIGN(auto last, totals_at(db, account, INT64_MAX));
  SendTotals t = last ? *last : SendTotals{};
  t.time = std::max(now, t.time);
  if (refused) {
    t.refusals += 1;
    recipients = 0;
  } else {
    t.messages += 1;
    t.recipients += recipients;
  }
  return db.run(
      "INSERT INTO send_log (account_id, time, recipients, refused, sum_messages, "
      "sum_recipients, sum_refusals) VALUES (?, ?, ?, ?, ?, ?, ?)",
      account, t.time, recipients, refused ? 1 : 0, t.messages, t.recipients, t.refusals);
}

// When will `need` more recipients (and one more message) fit? The earliest time at which the
// accepted rows still inside the window leave room: walk them oldest first.
Result<int64_t> frees_at(Db& db, Id account, int64_t now, const SendLimits& l, int64_t need,
                         const SendUsage& u) {
  TG_ASSIGN(Stmt s, db.prepare("SELECT time, recipients FROM send_log WHERE account_id = ? AND "
                               "time > ? AND refused = 0 ORDER BY time, id"));
  s.bind(1, account).bind(2, now - l.window);
  int64_t msgs = u.messages, rcpts = u.recipients;
  while (true) {
    bool fits = (l.messages <= 0 || msgs + 1 <= l.messages) &&
                (l.recipients <= 0 || rcpts + need <= l.recipients);
    if (fits) break;
    TG_ASSIGN(bool row, s.step());
    if (!row) break;
    msgs -= 1;
    rcpts -= s.i64(1);
    // This row leaves the window one second after time + window.
    int64_t t = s.i64(0) + l.window;
    bool now_fits = (l.messages <= 0 || msgs + 1 <= l.messages) &&
                    (l.recipients <= 0 || rcpts + need <= l.recipients);
    if (now_fits) return t;
  }
  return now;
}

// Inserts the queue entry; `out` becomes the entry as stored (ids, times, lower-case domains).
Status insert_queue(WriteCtx& ctx, const QueuedMessage& q, Id account, Id blob_id, int64_t size,
                    QueuedMessage* out) {
  *out = q;
  out->account_id = account;
  out->blob_id = blob_id;
  out->size = size;
  out->created = ctx.now;
  out->delay_notified = false;
  {
    TG_ASSIGN(Stmt seq, ctx.db.prepare("UPDATE sequences SET value = value + 1 WHERE name = "
                                       "'queue' RETURNING value"));
    TG_ASSIGN(bool row, seq.step());
    if (!row) return make_error(Errc::kInternal, "database: no queue sequence");
    out->id = seq.i64(0);
  }
  TG_TRY(
      ctx.db.run("INSERT INTO queue (id, account_id, blob_id, size, env_from, envid, ret, "
                 "smtputf8, eight_bit, requiretls, created, expires) VALUES "
                 "(?,?,?,?,?,?,?,?,?,?,?,?)",
                 out->id, account, blob_id, size, q.env_from, q.envid, q.ret, q.smtputf8,
                 q.eight_bit, q.requiretls, ctx.now, q.expires));
  for (auto& r : out->rcpts) {
    r.domain = lower_ascii(r.domain);
    if (r.next_attempt <= 0) r.next_attempt = ctx.now;
    r.state = RcptState::kPending;
    r.attempts = 0;
    r.last_attempt = 0;
    r.last_reply.clear();
    r.last_host.clear();
    TG_TRY(
        ctx.db.run("INSERT INTO queue_rcpts (queue_id, address, domain, notify, orcpt, "
                   "next_attempt) VALUES (?,?,?,?,?,?)",
                   out->id, r.address, r.domain, r.notify, r.orcpt, r.next_attempt));
    r.id = ctx.db.last_insert_rowid();
  }
  return {};
}

bool queues(const Submission& sub) { return sub.outbound && !sub.outbound->rcpts.empty(); }

// Gives back a prepared content that no row will name, as insert_blob does for content already
// stored: its file is unlinked after the commit, its log record punched.
void discard_blob(WriteCtx& ctx, const PreparedBlob& b) {
  if (b.in_file) ctx.file_checks.push_back(b.hash);
  if (b.log) ctx.log_unused.push_back(b.log.place());
}

// The submission's transaction: limits, the body, local copies, the queue entry, the count.
Result<SubmitResult> submission_txn(WriteCtx& ctx, const PreparedBlob& b, std::string_view raw,
                                    const index::MessageIndex& idx, const Submission& sub,
                                    int64_t internal_date) {
  const int64_t size = static_cast<int64_t>(raw.size());
  TG_ASSIGN(Account a, load_account(ctx.db, sub.account_id));
  const int64_t now = sub.now > 0 ? sub.now : ctx.now;
  SubmitResult out;
  if (sub.limits) {
    if (a.send_suspended) {
      return make_error(Errc::kPerm,
                        "sending is suspended for " + a.address + ": " + a.send_suspended_reason);
    }
    const SendLimits& l = *sub.limits;
    if (l.recipients > 0 && sub.recipients > l.recipients) {
      // No waiting makes room for it: a permanent refusal, which is no sign of spam either.
      return make_error(Errc::kTooBig,
                        "this message has " + std::to_string(sub.recipients) +
                            " recipients, more than the " + std::to_string(l.recipients) +
                            " your account may send to per " + std::to_string(l.window / 3600) +
                            " hours; send it in several messages");
    }
    TG_ASSIGN(SendUsage u, usage_in(ctx.db, a.id, now, l.window));
    bool over_messages = l.messages > 0 && u.messages + 1 > l.messages;
    bool over_rcpts = l.recipients > 0 && u.recipients + sub.recipients > l.recipients;
    if (over_messages || over_rcpts) {
      TG_ASSIGN(int64_t when, frees_at(ctx.db, a.id, now, l, sub.recipients, u));
      // The message carries the reset time for the protocol layer to word: "t=<unix>".
      std::string what = over_messages ? std::to_string(l.messages) + " messages"
                                       : std::to_string(l.recipients) + " recipients";
      return make_error(Errc::kLimit, "daily sending limit reached (" + what + " per " +
                                          std::to_string(l.window / 3600) +
                                          " hours) t=" + std::to_string(when));
    }
    u.messages += 1;
    u.recipients += sub.recipients;
    out.usage = u;
  }
  TG_ASSIGN(Id blob_id, insert_blob(ctx, b, raw, sub.local.empty() ? nullptr : &idx));
  if (!sub.local.empty()) {
    TG_ASSIGN(auto d, insert_messages(ctx, blob_id, size, sub.local, internal_date));
    out.delivered = std::move(d);
  }
  if (queues(sub)) {
    out.queued.emplace();
    TG_TRY(insert_queue(ctx, *sub.outbound, a.id, blob_id, size, &*out.queued));
  }
  TG_TRY(log_send(ctx.db, a.id, now, sub.recipients, false));
  TG_TRY(ctx.db.run("DELETE FROM send_log WHERE account_id = ? AND time < ?", a.id,
                    now - kSendLogKeep));
  return out;
}

// submission_txn(), giving the prepared content back when it fails: a refusal by the limits
// comes before the content is inserted (insert_blob gives it back itself otherwise; once more
// is no harm).
Result<SubmitResult> write_submission(WriteCtx& ctx, const PreparedBlob& b, std::string_view raw,
                                      const index::MessageIndex& idx, const Submission& sub,
                                      int64_t internal_date) {
  Result<SubmitResult> r = submission_txn(ctx, b, raw, idx, sub, internal_date);
  if (!r) discard_blob(ctx, b);
  return r;
}

}  // namespace

Result<SubmitResult> SqliteStore::submit(std::string_view raw, const index::MessageIndex& idx,
                                         const Submission& sub, int64_t internal_date) {
  if (sub.local.empty() && !queues(sub)) {
    return make_error(Errc::kInvalidData, "a submission needs a recipient");
  }
  PreparedBlob b = prepare_blob(raw, sub.local.empty() ? nullptr : &idx);
  if (!b.status.ok()) return b.status.error();
  return write<SubmitResult>([&](WriteCtx& ctx) -> Result<SubmitResult> {
    return write_submission(ctx, b, raw, idx, sub, internal_date);
  });
}

void SqliteStore::post_submit(std::shared_ptr<const OwnedSubmission> s, SubmitDone done) {
  if (s->sub.local.empty() && !queues(s->sub)) {
    return done(make_error(Errc::kInvalidData, "a submission needs a recipient"));
  }
  PreparedBlob b = prepare_blob(s->raw, s->sub.local.empty() ? nullptr : &s->idx, s->unique);
  if (!b.status.ok()) return done(b.status.error());
  post_write<SubmitResult>(
      [s, b = std::move(b)](WriteCtx& ctx) {
        return write_submission(ctx, b, s->raw, s->idx, s->sub, s->internal_date);
      },
      std::move(done));
}

Result<SendUsage> SqliteStore::send_usage(Id account, int64_t now, int64_t window) {
  return read<SendUsage>([&](Db& db) { return usage_in(db, account, now, window); });
}

Result<int64_t> SqliteStore::note_send_refusal(Id account, int64_t now, int64_t window) {
  return write<int64_t>([&](WriteCtx& ctx) -> Result<int64_t> {
    TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT send_allowed_since FROM accounts WHERE id = ?"));
    s.bind(1, account);
    TG_ASSIGN(bool row, s.step());
    if (!row) return make_error(Errc::kNotFound, "no such account");
    const int64_t since = s.i64(0);
    TG_TRY(log_send(ctx.db, account, now, 0, true));
    // Refusals at or before the last lifting of a suspension are forgiven; this one counts even
    // in that very second (an empty window).
    if (since > 0) window = std::max<int64_t>(0, std::min(window, now - since));
    TG_ASSIGN(SendUsage u, usage_in(ctx.db, account, now, window));
    return std::max<int64_t>(u.refusals, 1);
  });
}

Result<bool> SqliteStore::note_send_warning(Id account, int64_t now, int64_t window) {
  return write<bool>([&](WriteCtx& ctx) -> Result<bool> {
    TG_TRY(load_account(ctx.db, account));
    TG_TRY(ctx.db.run("UPDATE accounts SET send_warned_at = ? WHERE id = ? AND send_warned_at <= ?",
                      now, account, now - window));
    return ctx.db.changes() > 0;
  });
}

Result<bool> SqliteStore::set_send_suspended(Id account, bool on, std::string_view reason,
                                             int64_t now) {
  return write<bool>([&](WriteCtx& ctx) -> Result<bool> {
    TG_TRY(load_account(ctx.db, account));
    if (on) {
      TG_TRY(
          ctx.db.run("UPDATE accounts SET send_suspended = 1, send_suspended_reason = ? WHERE "
                     "id = ? AND send_suspended = 0",
                     std::string(reason), account));
    } else {
      TG_TRY(
          ctx.db.run("UPDATE accounts SET send_suspended = 0, send_suspended_reason = '', "
                     "send_allowed_since = ? WHERE id = ? AND send_suspended = 1",
                     now, account));
    }
    return ctx.db.changes() > 0;
  });
}

Result<QueueDuePage> SqliteStore::queue_due(int64_t now, size_t limit, const QueueSkip& skip) {
  return read<QueueDuePage>([&](Db& db) -> Result<QueueDuePage> {
    // Recipient by recipient in due order (the partial index queue_rcpts_due is in that order
    // and holds both columns: no sort, no table row read), stopping at the limit. What `skip` names
    // is stepped over unread, so a backlog to one destination that the runner already holds cannot
    // fill every place in the answer and hide the messages of other destinations behind it.
    // From skip.after on (a seek in the same index), when the caller goes on with a burst.
    const bool from_place = skip.after.queue_id != 0;
    TG_ASSIGN(Stmt s,
              db.prepare(from_place ? "SELECT queue_id, domain, next_attempt FROM queue_rcpts "
                                      "WHERE state = 0 AND next_attempt <= ? AND (next_attempt, "
                                      "queue_id, domain) > (?, ?, ?) ORDER BY next_attempt, "
                                      "queue_id, domain"
                                    : "SELECT queue_id, domain, next_attempt FROM queue_rcpts "
                                      "WHERE state = 0 AND next_attempt <= ? ORDER BY "
                                      "next_attempt, queue_id, domain"));
    s.bind(1, now);
    if (from_place) {
      s.bind(2, skip.after.next_attempt).bind(3, skip.after.queue_id).bind(4, skip.after.domain);
    }
    std::vector<Id> ids;
    std::set<Id> taken;
    QueueDuePage out;
    while (ids.size() < limit) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      std::pair<Id, std::string> job(s.i64(0), s.text(1));
      if (skip.domains.count(job.second) || skip.jobs.count(job)) continue;
      if (!taken.insert(job.first).second) continue;
      ids.push_back(job.first);
      if (ids.size() == limit) out.ended = QueueDuePlace{s.i64(2), job.first, job.second};
    }
    for (Id id : ids) {
      TG_ASSIGN(QueuedMessage q, load_queued(db, id));
      out.messages.push_back(std::move(q));
    }
    return out;
  });
}

Result<std::vector<QueuedMessage>> SqliteStore::queue_list() {
  return read<std::vector<QueuedMessage>>([&](Db& db) -> Result<std::vector<QueuedMessage>> {
    static const std::string sql = std::string(kQueueCols) + "ORDER BY id";
    TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
    std::vector<QueuedMessage> out;
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      out.push_back(queued_from(s));
    }
    for (auto& q : out) TG_TRY(load_rcpts(db, q));
    return out;
  });
}

Result<QueuedMessage> SqliteStore::queue_get(Id id) {
  return read<QueuedMessage>([&](Db& db) { return load_queued(db, id); });
}

Result<int64_t> SqliteStore::queue_next_due() {
  return read<int64_t>([&](Db& db) -> Result<int64_t> {
    TG_ASSIGN(Stmt s, db.prepare("SELECT COALESCE(MIN(next_attempt), 0) FROM queue_rcpts "
                                 "WHERE state = 0"));
    TG_ASSIGN(bool row, s.step());
    return row ? s.i64(0) : int64_t{0};
  });
}

namespace {

// One notice into its mailbox, which target_mailbox() found. queue_update's kNotFound means
// that the message is not queued (store.hpp), so a failure here is reported otherwise.
Status put_notice(WriteCtx& ctx, const Notice& n, const PreparedBlob& b) {
  Status st = [&]() -> Status {
    TG_ASSIGN(Id blob_id, insert_blob(ctx, b, n.raw, &n.idx));
    TG_TRY(insert_messages(ctx, blob_id, static_cast<int64_t>(n.raw.size()), {n.target}, ctx.now));
    return {};
  }();
  if (!st && st.code() == Errc::kNotFound) {
    return make_error(Errc::kInvalidData, "cannot deliver the notice: " + st.error().message);
  }
  return st;
}

// queue_update()'s transaction; `blobs` are the notices' prepared contents. A notice whose
// mailbox or account is gone (deleted since the notice was composed) is left out, its content
// given back, and named in `out`: the outcomes must not wait for a mailbox that will not come
// back (written again at every look, the same notice failed the same way until a restart).
Status apply_queue_update(WriteCtx& ctx, Id id, const std::vector<RcptUpdate>& updates,
                          bool delay_notified, const std::vector<Notice>& notices,
                          const std::vector<PreparedBlob>& blobs, QueueUpdated* out) {
  if (out) out->dropped.clear();
  TG_TRY(check_queued(ctx.db, id));
  for (const auto& u : updates) {
    TG_ASSIGN(Stmt s, ctx.db.prepare("UPDATE queue_rcpts SET state = ?, next_attempt = ?, "
                                     "attempts = attempts + ?, last_attempt = CASE WHEN ? > 0 "
                                     "THEN ? ELSE last_attempt END, last_reply = ?, last_host = "
                                     "? WHERE id = ? AND queue_id = ? AND state = 0"));
    int attempted = u.attempted > 0 ? 1 : 0;
    s.bind_all(static_cast<int64_t>(u.state), u.next_attempt, attempted, u.attempted, u.attempted,
               u.reply, u.host, u.rcpt_id, id);
    TG_TRY(s.run());
  }
  // Which notices have a mailbox to go to. Only "no such mailbox or account" drops one; any
  // other error fails the whole update, so that nothing is lost.
  std::vector<std::optional<std::string>> gone(notices.size());
  bool delay_gone = false;
  for (size_t i = 0; i < notices.size(); ++i) {
    Result<Id> box = target_mailbox(ctx.db, notices[i].target);
    if (box) continue;
    if (box.code() != Errc::kNotFound) return box.error();
    gone[i] = box.error().message;
    if (notices[i].delay) delay_gone = true;
  }
  // Marked here and only once: the first of the message's jobs to get here sends the notice.
  // Not by a delay notice that has no mailbox any more: a later job may have one.
  bool marked = false;
  if (delay_notified && !delay_gone) {
    TG_TRY(
        ctx.db.run("UPDATE queue SET delay_notified = 1 WHERE id = ? AND delay_notified = 0", id));
    marked = ctx.db.changes() > 0;
  }
  for (size_t i = 0; i < notices.size(); ++i) {
    const Notice& n = notices[i];
    if (gone[i]) {
      discard_blob(ctx, blobs[i]);
      if (out) out->dropped.push_back({i, *gone[i]});
      continue;
    }
    if (n.delay && !marked) {
      discard_blob(ctx, blobs[i]);
      continue;
    }
    TG_TRY(put_notice(ctx, n, blobs[i]));
  }
  // Whether a recipient is still pending: the first one found answers (a count read every
  // recipient row of the message at each outcome).
  TG_ASSIGN(Stmt left, ctx.db.prepare("SELECT EXISTS (SELECT 1 FROM queue_rcpts WHERE queue_id "
                                      "= ? AND state = 0)"));
  left.bind(1, id);
  TG_ASSIGN(bool row, left.step());
  if (row && left.i64(0) == 0) {
    TG_TRY(ctx.db.run("DELETE FROM queue WHERE id = ?", id));
    TG_TRY(collect_garbage(ctx));
  }
  return {};
}

}  // namespace

Result<QueueUpdated> SqliteStore::queue_update(Id id, const std::vector<RcptUpdate>& updates,
                                               bool delay_notified,
                                               const std::vector<Notice>& notices) {
  std::vector<PreparedBlob> blobs;
  for (const auto& n : notices) {
    blobs.push_back(prepare_blob(n.raw, &n.idx));
    if (!blobs.back().status.ok()) return blobs.back().status.error();
  }
  QueueUpdated out;
  Status st = write_status(
      [&](WriteCtx& ctx) {
        Status done = apply_queue_update(ctx, id, updates, delay_notified, notices, blobs, &out);
        // Rolled back: no row names any notice's content, also of those it did not reach (a
        // record punched twice, a file checked twice, is no harm).
        if (!done)
          for (const auto& b : blobs) discard_blob(ctx, b);
        return done;
      },
      Writer::Sync::kWithNext);  // redone when lost: at worst a message is sent again
  if (!st) return st.error();
  return out;
}

void SqliteStore::post_queue_update(Id id, std::vector<RcptUpdate> updates, bool delay_notified,
                                    std::function<void(Status)> done) {
  writer_->post(
      [id, updates = std::move(updates), delay_notified](WriteCtx& ctx) {
        return apply_queue_update(ctx, id, updates, delay_notified, {}, {}, nullptr);
      },
      std::move(done), Writer::Sync::kWithNext);
}

Status SqliteStore::queue_retry(Id id, int64_t now) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(check_queued(ctx.db, id));
    return ctx.db.run("UPDATE queue_rcpts SET next_attempt = ? WHERE queue_id = ? AND state = 0",
                      now, id);
  });
}

Status SqliteStore::queue_delete(Id id) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(check_queued(ctx.db, id));
    TG_TRY(ctx.db.run("DELETE FROM queue WHERE id = ?", id));
    return collect_garbage(ctx);
  });
}

}  // namespace tegami::store::sqlite
