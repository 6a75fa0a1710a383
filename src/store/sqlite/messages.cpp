// Message methods of SqliteStore: delivery with content-addressed bodies, listing, changes
// since a modseq (RFC 7162 CONDSTORE/QRESYNC), flags, copy, move (RFC 6851), expunge.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/strings.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace tegami::store::sqlite {
namespace {

constexpr uint32_t kAllFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

constexpr const char* kMetaCols =
    "SELECT uid, modseq, flags, keywords, internal_date, size, blob_id, save_date FROM messages ";

MessageMeta meta_from(const Stmt& s) {
  MessageMeta m;
  m.uid = static_cast<uint32_t>(s.i64(0));
  m.modseq = static_cast<uint64_t>(s.i64(1));
  m.flags = static_cast<uint32_t>(s.i64(2));
  m.keywords = split_keywords(s.view(3));
  m.internal_date = s.i64(4);
  m.size = s.i64(5);
  m.blob_id = s.i64(6);
  m.save_date = s.i64(7);
  return m;
}

bool same_keyword(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower_ascii(a) == lower_ascii(b);
}

bool has_keyword(const std::vector<std::string>& v, std::string_view k) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return same_keyword(x, k); });
}

// Keywords are atoms: drop empty ones, ones with spaces or controls, and case-insensitive
// duplicates (keeping the first spelling).
std::vector<std::string> clean_keywords(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& k : in) {
    if (k.empty() || has_keyword(out, k)) continue;
    bool ok = std::none_of(k.begin(), k.end(), [](char c) {
      return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    });
    if (ok) out.push_back(k);
  }
  return out;
}

std::vector<uint32_t> sorted_unique(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Where in the content its search text starts when that text is the content's own tail (a
// plain text message: its body, as stored), else -1. Not for content in a file, and only for
// texts long enough to be worth a second look.
int64_t search_body_at(const index::MessageIndex& idx, std::string_view raw, bool in_file) {
  constexpr size_t kWorthIt = 512;
  const std::string& t = idx.search_body;
  if (in_file || t.size() < kWorthIt || t.size() > raw.size()) return -1;
  if (raw.substr(raw.size() - t.size()) != t) return -1;
  return static_cast<int64_t>(raw.size() - t.size());
}

}  // namespace

PreparedBlob SqliteStore::prepare_blob(std::string_view raw, const index::MessageIndex* idx,
                                       bool unique) {
  PreparedBlob b;
  // 256 random bits in the hash's form: as unlikely to meet another content's name as two
  // SHA-256 values are to collide.
  b.hash = unique ? hex_encode(random_bytes(32)) : sha256_hex(raw);
  b.in_file = raw.size() > kInlineMax;
  // Compared here, before the writer: the writer's thread is the one every delivery waits for.
  if (idx) b.search_body_at = search_body_at(*idx, raw, b.in_file);
  // The file is written (durably) before the transaction that references it is queued, outside
  // the writer so that concurrent deliveries write their files in parallel; so is a log
  // record (the writer syncs the log before its commit). Only when the body's commit would
  // sync other operations too: committed alone, one fsync of the WAL costs less than the log's
  // and the WAL's one after the other (100 KB from one session: 950 -> 700 us until the reply).
  if (b.in_file && !files_.exists(b.hash)) b.status = files_.write(b.hash, raw);
  if (!b.in_file && raw.size() > kLogMin && (log_always_ || writer_->sharing())) {
    Result<LogSpan> span = log_.append(raw);
    if (span.ok()) {
      b.log = std::move(*span);
    } else {
      b.status = span.error();
    }
  }
  return b;
}

namespace {

// Binds the index's 11 columns from `first` on (search_body_at last).
Status bind_index(Stmt& s, int first, const index::MessageIndex& idx, int64_t body_at) {
  s.bind(first, idx.envelope).bind(first + 1, idx.body_structure).bind(first + 2, idx.body);
  s.bind_blob(first + 3, idx.parts);
  s.bind(first + 4, idx.search_headers)
      .bind(first + 5, body_at >= 0 ? std::string_view() : std::string_view(idx.search_body))
      .bind(first + 6, idx.sent_date)
      .bind(first + 7, idx.subject)
      .bind(first + 8, idx.from)
      .bind(first + 9, idx.message_id)
      .bind(first + 10, body_at);
  return {};
}

// The search text, whether stored or referring to the content (schema 5): two columns for
// search_text(), the stored text and where in the content it starts.
constexpr const char* kSearchBody = "search_body, search_body_at";

}  // namespace

Result<std::string> SqliteStore::search_text(Db& db, const Stmt& s, int col, Id blob) {
  const int64_t at = s.i64(col + 1);
  if (at < 0) return s.text(col);
  TG_ASSIGN(std::string text, content(db, blob));
  text.erase(0, std::min<size_t>(static_cast<size_t>(at), text.size()));
  return text;
}

Result<Id> insert_blob(WriteCtx& ctx, const PreparedBlob& b, std::string_view raw,
                       const index::MessageIndex* idx) {
  // Unlinked after the commit unless a committed row names it (this op may fail).
  if (b.in_file) ctx.file_checks.push_back(b.hash);
  {
    TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT id, indexed FROM blobs WHERE hash = ?"));
    s.bind(1, b.hash);
    TG_ASSIGN(bool row, s.step());
    if (row) {
      if (b.log) ctx.log_unused.push_back(b.log.place());
      Id id = s.i64(0);
      bool indexed = s.i64(1) != 0;
      if (indexed || idx == nullptr) return id;
      // Stored for the queue alone so far; now a mailbox holds it too.
      TG_ASSIGN(Stmt u, ctx.db.prepare("UPDATE blobs SET envelope = ?, body_structure = ?, body "
                                       "= ?, parts = ?, search_headers = ?, search_body = ?, "
                                       "sent_date = ?, subject = ?, from_addr = ?, message_id "
                                       "= ?, search_body_at = ?, indexed = 1 WHERE id = ?"));
      bind_index(u, 1, *idx, b.search_body_at);
      u.bind(12, id);
      TG_TRY(u.run());
      return id;
    }
  }
  // A previous batch may have unlinked a file of the same content after this caller wrote
  // it (its last reference went away): write it again, here, before the commit.
  if (b.in_file && !ctx.files.exists(b.hash)) TG_TRY(ctx.files.write(b.hash, raw));
  static const index::MessageIndex kNone;
  TG_ASSIGN(Stmt ins,
            ctx.db.prepare("INSERT INTO blobs (hash, size, in_file, indexed, envelope, "
                           "body_structure, body, parts, search_headers, search_body, sent_date, "
                           "subject, from_addr, message_id, search_body_at, log_segment, log_at) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  const int where = b.log ? 2 : b.in_file ? 1 : 0;
  ins.bind_all(b.hash, static_cast<int64_t>(raw.size()), where, idx != nullptr);
  bind_index(ins, 5, idx ? *idx : kNone, idx ? b.search_body_at : -1);
  ins.bind(16, b.log ? b.log.segment->id : 0).bind(17, b.log ? b.log.at : 0);
  TG_TRY(ins.run());
  Id blob_id = ctx.db.last_insert_rowid();
  if (b.log) {
    ctx.log_inserted.push_back(b.log.place());
    // Records of one batch are nearly always in one segment: each segment once in a row.
    if (ctx.log_syncs.empty() || ctx.log_syncs.back() != b.log.segment) {
      ctx.log_syncs.push_back(b.log.segment);
    }
  } else if (!b.in_file) {
    TG_ASSIGN(Stmt d, ctx.db.prepare("INSERT INTO blob_data (blob_id, data) VALUES (?, ?)"));
    d.bind(1, blob_id).bind_blob(2, raw);
    TG_TRY(d.run());
  }
  return blob_id;
}

Result<Id> target_mailbox(Db& db, const DeliveryTarget& t) {
  Result<Mailbox> m = t.mailbox_id == 0 ? load_mailbox_by_name(db, t.account_id, "INBOX")
                                        : load_mailbox(db, t.mailbox_id);
  if (!m) return m.error();
  if (m->account_id != t.account_id) {
    return make_error(Errc::kNotFound, "the mailbox does not belong to the account");
  }
  return m->id;
}

Result<std::vector<Delivered>> insert_messages(WriteCtx& ctx, Id blob_id, int64_t size,
                                               const std::vector<DeliveryTarget>& targets,
                                               int64_t internal_date) {
  std::vector<Id> boxes;
  boxes.reserve(targets.size());
  for (const auto& t : targets) {
    TG_ASSIGN(Id box, target_mailbox(ctx.db, t));
    boxes.push_back(box);
  }
  std::vector<Delivered> out;
  for (size_t i = 0; i < targets.size(); ++i) {
    const DeliveryTarget& t = targets[i];
    const Id box = boxes[i];
    uint32_t uid = 0;
    uint64_t modseq = 0;
    {
      TG_ASSIGN(Stmt s,
                ctx.db.prepare("UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = "
                               "highest_modseq + 1 WHERE id = ? RETURNING uid_next - 1, "
                               "highest_modseq"));
      s.bind(1, box);
      TG_ASSIGN(bool row, s.step());
      if (!row) return make_error(Errc::kNotFound, "no such mailbox");
      if (s.i64(0) >= 0xffffffffLL) {
        return make_error(Errc::kLimit, "the mailbox has used up its UIDs; recreate it");
      }
      uid = static_cast<uint32_t>(s.i64(0));
      modseq = static_cast<uint64_t>(s.i64(1));
    }
    std::string kw = join_keywords(clean_keywords(t.keywords));
    TG_TRY(ctx.db.run(
        "INSERT INTO messages (mailbox_id, uid, modseq, flags, keywords, "
        "internal_date, size, blob_id, save_date) VALUES (?,?,?,?,?,?,?,?,?)",
        box, uid, modseq, t.flags & kAllFlags, kw, internal_date, size, blob_id, ctx.now));
    if (t.enforce_quota) {
      TG_ASSIGN(Account a, load_account(ctx.db, t.account_id));
      if (a.quota_bytes > 0 && a.used_bytes > a.quota_bytes) {
        return make_error(Errc::kOverQuota, "the mailbox of " + a.address + " is full");
      }
    }
    out.push_back(Delivered{t.account_id, box, uid, modseq});
  }
  return out;
}

namespace {

// One delivery on the write connection: the content (stored once) and a message per target.
Result<std::vector<Delivered>> write_delivery(WriteCtx& ctx, const PreparedBlob& b,
                                              std::string_view raw, const index::MessageIndex& idx,
                                              const std::vector<DeliveryTarget>& targets,
                                              int64_t internal_date) {
  TG_ASSIGN(Id blob_id, insert_blob(ctx, b, raw, &idx));
  return insert_messages(ctx, blob_id, static_cast<int64_t>(raw.size()), targets, internal_date);
}

}  // namespace

Result<std::vector<Delivered>> SqliteStore::deliver(std::string_view raw,
                                                    const index::MessageIndex& idx,
                                                    const std::vector<DeliveryTarget>& targets,
                                                    int64_t internal_date) {
  if (targets.empty()) return make_error(Errc::kInvalidData, "a delivery needs a recipient");
  PreparedBlob b = prepare_blob(raw, &idx);
  if (!b.status.ok()) return b.status.error();
  return write<std::vector<Delivered>>(
      [&](WriteCtx& ctx) { return write_delivery(ctx, b, raw, idx, targets, internal_date); });
}

static_assert(Store::kPostedDeliveryMax <= kInlineMax, "a posted delivery's body has no file");

void SqliteStore::post_delivery(std::shared_ptr<const OwnedDelivery> d, DeliveryDone done) {
  if (d->targets.empty())
    return done(make_error(Errc::kInvalidData, "a delivery needs a recipient"));
  if (d->raw.size() > kPostedDeliveryMax) {
    return done(make_error(Errc::kInvalidData, "too large for a posted delivery"));
  }
  PreparedBlob b = prepare_blob(d->raw, &d->idx, d->unique);  // never a file; maybe a log record
  if (!b.status.ok()) return done(b.status.error());
  post_write<std::vector<Delivered>>(
      [d, b = std::move(b)](WriteCtx& ctx) {
        return write_delivery(ctx, b, d->raw, d->idx, d->targets, d->internal_date);
      },
      std::move(done));
}

Result<std::vector<Delivered>> SqliteStore::deliver_many(const std::vector<NewMessage>& messages) {
  if (messages.empty()) return make_error(Errc::kInvalidData, "nothing to deliver");
  std::vector<PreparedBlob> blobs;
  blobs.reserve(messages.size());
  for (const auto& m : messages) {
    blobs.push_back(prepare_blob(m.raw, &m.idx));
    if (!blobs.back().status.ok()) return blobs.back().status.error();
  }
  // One write op: a failure anywhere (quota, a missing mailbox) rolls all of it back.
  return write<std::vector<Delivered>>([&](WriteCtx& ctx) -> Result<std::vector<Delivered>> {
    std::vector<Delivered> out;
    out.reserve(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      const NewMessage& m = messages[i];
      TG_ASSIGN(auto d, write_delivery(ctx, blobs[i], m.raw, m.idx, {m.target}, m.internal_date));
      out.insert(out.end(), d.begin(), d.end());
    }
    return out;
  });
}

Result<std::vector<MessageMeta>> SqliteStore::list_messages(Id mailbox) {
  return read<std::vector<MessageMeta>>([&](Db& db) -> Result<std::vector<MessageMeta>> {
    TG_ASSIGN(Mailbox m, load_mailbox(db, mailbox));
    static const std::string sql = std::string(kMetaCols) + "WHERE mailbox_id = ? ORDER BY uid";
    TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
    s.bind(1, mailbox);
    std::vector<MessageMeta> out;
    out.reserve(m.messages);
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      out.push_back(meta_from(s));
    }
    return out;
  });
}

Result<std::vector<MessageMeta>> SqliteStore::get_messages(Id mailbox,
                                                           const std::vector<uint32_t>& uids) {
  return read<std::vector<MessageMeta>>([&](Db& db) -> Result<std::vector<MessageMeta>> {
    TG_TRY(load_mailbox(db, mailbox));
    static const std::string sql = std::string(kMetaCols) + "WHERE mailbox_id = ? AND uid = ?";
    std::vector<MessageMeta> out;
    for (uint32_t uid : sorted_unique(uids)) {
      TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
      s.bind(1, mailbox).bind(2, uid);
      TG_ASSIGN(bool row, s.step());
      if (row) out.push_back(meta_from(s));
    }
    return out;
  });
}

Result<Changes> SqliteStore::changes_since(Id mailbox, uint64_t modseq) {
  return read<Changes>([&](Db& db) -> Result<Changes> {
    TG_ASSIGN(Mailbox m, load_mailbox(db, mailbox));
    Changes c;
    c.highest_modseq = m.highest_modseq;
    c.uid_next = m.uid_next;
    {
      // Without statistics SQLite prefers the primary key (it avoids the ORDER BY sort) and
      // walks the whole mailbox; a resync asks for few changes, so force the modseq index.
      // Since 0 means everything: then the primary key range is the right plan.
      static const std::string by_modseq =
          "SELECT uid, modseq, flags, keywords, internal_date, size, blob_id, save_date FROM "
          "messages INDEXED BY messages_modseq WHERE mailbox_id = ? AND modseq > ? ORDER BY uid";
      static const std::string all =
          std::string(kMetaCols) + "WHERE mailbox_id = ? AND modseq > ? ORDER BY uid";
      TG_ASSIGN(Stmt s, db.prepare(modseq == 0 ? all.c_str() : by_modseq.c_str()));
      s.bind(1, mailbox).bind(2, modseq);
      while (true) {
        TG_ASSIGN(bool row, s.step());
        if (!row) break;
        c.changed.push_back(meta_from(s));
      }
    }
    {
      TG_ASSIGN(Stmt s, db.prepare("SELECT uid FROM expunged INDEXED BY expunged_modseq "
                                   "WHERE mailbox_id = ? AND modseq > ? ORDER BY uid"));
      s.bind(1, mailbox).bind(2, modseq);
      while (true) {
        TG_ASSIGN(bool row, s.step());
        if (!row) break;
        c.expunged.push_back(static_cast<uint32_t>(s.i64(0)));
      }
    }
    return c;
  });
}

Result<uint32_t> SqliteStore::count_deleted(Id mailbox) {
  return read<uint32_t>([&](Db& db) -> Result<uint32_t> {
    TG_TRY(load_mailbox(db, mailbox));
    TG_ASSIGN(Stmt s, db.prepare("SELECT count(*) FROM messages WHERE mailbox_id = ? AND "
                                 "(flags & 8) != 0"));
    s.bind(1, mailbox);
    TG_ASSIGN(bool row, s.step());
    return row ? static_cast<uint32_t>(s.i64(0)) : 0u;
  });
}

Result<std::string> SqliteStore::content(Db& db, Id blob) {
  TG_ASSIGN(Stmt s, db.prepare("SELECT hash, size, in_file, log_segment, log_at FROM blobs "
                               "WHERE id = ?"));
  s.bind(1, blob);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no such message content");
  if (s.i64(2) == 2) return log_.read({s.i64(3), s.i64(4), s.i64(1)});
  if (s.i64(2) != 0) return files_.read(s.view(0), s.i64(1));
  TG_ASSIGN(Stmt d, db.prepare("SELECT data FROM blob_data WHERE blob_id = ?"));
  d.bind(1, blob);
  TG_ASSIGN(bool drow, d.step());
  if (!drow) return make_error(Errc::kInternal, "message content is missing");
  return d.text(0);
}

Result<std::string> SqliteStore::read_blob(Id blob) {
  return read<std::string>([&](Db& db) { return content(db, blob); });
}

Result<index::MessageIndex> SqliteStore::read_index(Id blob) {
  return read<index::MessageIndex>([&](Db& db) -> Result<index::MessageIndex> {
    static const std::string sql =
        std::string("SELECT envelope, body_structure, body, parts, search_headers, ") +
        kSearchBody + ", sent_date, subject, from_addr, message_id FROM blobs WHERE id = ?";
    TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
    s.bind(1, blob);
    TG_ASSIGN(bool row, s.step());
    if (!row) return make_error(Errc::kNotFound, "no such message content");
    index::MessageIndex x;
    x.envelope = s.text(0);
    x.body_structure = s.text(1);
    x.body = s.text(2);
    x.parts = s.text(3);
    x.search_headers = s.text(4);
    TG_ASSIGN(x.search_body, search_text(db, s, 5, blob));
    x.sent_date = s.i64(7);
    x.subject = s.text(8);
    x.from = s.text(9);
    x.message_id = s.text(10);
    return x;
  });
}

thread_local SqliteStore::Together SqliteStore::together_;

Status SqliteStore::read_together(const std::function<Status()>& fn) {
  if (together_.store == this) return fn();  // already inside one
  auto lease = pool_.acquire();
  if (!lease.ok()) return lease.error();
  Reading reading(log_);
  ReadTxn txn(lease->db());
  if (!txn.status().ok()) return txn.status().error();
  together_ = Together{this, &lease->db()};
  struct Reset {
    ~Reset() { together_ = Together{}; }
  } reset;
  return fn();
}

Result<std::vector<std::optional<index::MessageIndex>>> SqliteStore::read_search_fields(
    const std::vector<Id>& blobs) {
  using Out = std::vector<std::optional<index::MessageIndex>>;
  // One read transaction for the whole chunk: a transaction per message (read_index) costs
  // more than the lookup itself (WAL locks), and SEARCH needs none of the other fields.
  return read<Out>([&](Db& db) -> Result<Out> {
    Out out;
    out.reserve(blobs.size());
    static const std::string sql = std::string("SELECT search_headers, ") + kSearchBody +
                                   ", sent_date FROM blobs WHERE id = ?";
    TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
    for (Id b : blobs) {
      s.bind(1, b);
      TG_ASSIGN(bool row, s.step());
      if (!row) {
        out.emplace_back();
      } else {
        index::MessageIndex& x = out.emplace_back().emplace();
        x.search_headers = s.text(0);
        TG_ASSIGN(x.search_body, search_text(db, s, 1, b));
        x.sent_date = s.i64(3);
      }
      s.reset();
    }
    return out;
  });
}

Result<std::vector<FlagUpdate>> SqliteStore::store_flags(Id mailbox,
                                                         const std::vector<uint32_t>& uids,
                                                         FlagOp op, uint32_t flags,
                                                         const std::vector<std::string>& keywords,
                                                         uint64_t unchanged_since,
                                                         std::vector<uint32_t>* failed) {
  flags &= kAllFlags;
  const std::vector<std::string> kws = clean_keywords(keywords);
  using Out = std::pair<std::vector<FlagUpdate>, std::vector<uint32_t>>;
  auto r = write<Out>([&](WriteCtx& ctx) -> Result<Out> {
    TG_TRY(load_mailbox(ctx.db, mailbox));
    Out out;
    uint64_t modseq = 0;  // allocated at the first actual change, shared by this STORE
    for (uint32_t uid : sorted_unique(uids)) {
      FlagUpdate u;
      u.uid = uid;
      std::vector<std::string> old_kw;
      uint32_t old_flags = 0;
      {
        TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT modseq, flags, keywords FROM messages "
                                         "WHERE mailbox_id = ? AND uid = ?"));
        s.bind(1, mailbox).bind(2, uid);
        TG_ASSIGN(bool row, s.step());
        if (!row) continue;  // expunged meanwhile: nothing to change
        u.modseq = static_cast<uint64_t>(s.i64(0));
        old_flags = static_cast<uint32_t>(s.i64(1));
        old_kw = split_keywords(s.view(2));
      }
      if (unchanged_since != 0 && u.modseq > unchanged_since) {
        out.second.push_back(uid);
        continue;
      }
      std::vector<std::string> kw;
      switch (op) {
        case FlagOp::kSet:
          u.flags = flags;
          kw = kws;
          break;
        case FlagOp::kAdd:
          u.flags = old_flags | flags;
          kw = old_kw;
          for (const auto& k : kws) {
            if (!has_keyword(kw, k)) kw.push_back(k);
          }
          break;
        case FlagOp::kRemove:
          u.flags = old_flags & ~flags;
          for (const auto& k : old_kw) {
            if (!has_keyword(kws, k)) kw.push_back(k);
          }
          break;
      }
      // A change is a different flag set or keyword set; keyword order alone is not one.
      bool changed = u.flags != old_flags || kw.size() != old_kw.size() ||
                     std::any_of(kw.begin(), kw.end(),
                                 [&](const std::string& k) { return !has_keyword(old_kw, k); });
      if (changed) {
        if (modseq == 0) {
          TG_ASSIGN(modseq, next_modseq(ctx, mailbox));
        }
        u.modseq = modseq;
        TG_TRY(
            ctx.db.run("UPDATE messages SET flags = ?, keywords = ?, modseq = ? "
                       "WHERE mailbox_id = ? AND uid = ?",
                       u.flags, join_keywords(kw), modseq, mailbox, uid));
        u.keywords = std::move(kw);
      } else {
        u.keywords = std::move(old_kw);
      }
      out.first.push_back(std::move(u));
    }
    return out;
  });
  if (!r.ok()) return r.error();
  if (failed != nullptr) *failed = std::move(r->second);
  return std::move(r->first);
}

Result<CopyResult> SqliteStore::copy_messages(Id from, const std::vector<uint32_t>& uids, Id to,
                                              bool enforce_quota) {
  return write<CopyResult>(
      [&](WriteCtx& ctx) { return copy_in_txn(ctx, from, uids, to, enforce_quota); });
}

Result<CopyResult> SqliteStore::move_messages(Id from, const std::vector<uint32_t>& uids, Id to) {
  return write<CopyResult>([&](WriteCtx& ctx) -> Result<CopyResult> {
    TG_ASSIGN(CopyResult c, copy_in_txn(ctx, from, uids, to, /*enforce_quota=*/false));
    std::vector<uint32_t> moved;
    moved.reserve(c.uids.size());
    for (const auto& p : c.uids) moved.push_back(p.first);
    TG_TRY(expunge_in_txn(ctx, from, moved));
    return c;
  });
}

Result<std::vector<uint32_t>> SqliteStore::expunge(Id mailbox, const std::vector<uint32_t>& uids) {
  return write<std::vector<uint32_t>>(
      [&](WriteCtx& ctx) { return expunge_in_txn(ctx, mailbox, uids); });
}

}  // namespace tegami::store::sqlite
