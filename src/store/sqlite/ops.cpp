// Helpers shared by the SqliteStore methods: name rules, row loading, mailbox creation,
// modseq allocation, copy/expunge inside the writer's transaction, blob garbage collection.
#include <algorithm>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace tegami::store::sqlite {
namespace {

constexpr const char* kMailboxCols =
    "SELECT id, account_id, name, special_use, subscribed, uid_validity, uid_next, "
    "highest_modseq, msg_count, unseen_count, total_size FROM mailboxes ";

Mailbox mailbox_from(const Stmt& s) {
  Mailbox m;
  m.id = s.i64(0);
  m.account_id = s.i64(1);
  m.name = s.text(2);
  m.special_use = s.text(3);
  m.subscribed = s.i64(4) != 0;
  m.uid_validity = static_cast<uint32_t>(s.i64(5));
  m.uid_next = static_cast<uint32_t>(s.i64(6));
  m.highest_modseq = static_cast<uint64_t>(s.i64(7));
  m.messages = static_cast<uint32_t>(s.i64(8));
  m.unseen = static_cast<uint32_t>(s.i64(9));
  m.size = s.i64(10);
  return m;
}

std::vector<uint32_t> sorted_unique(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string normalize_mailbox_name(std::string_view name) {
  if (name.size() >= 5 && lower_ascii(name.substr(0, 5)) == "inbox" &&
      (name.size() == 5 || name[5] == '/')) {
    return "INBOX" + std::string(name.substr(5));
  }
  return std::string(name);
}

Status check_mailbox_name(std::string_view name) {
  if (name.empty()) return make_error(Errc::kInvalidData, "a mailbox name cannot be empty");
  if (name.size() > 1000) return make_error(Errc::kInvalidData, "the mailbox name is too long");
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return make_error(Errc::kInvalidData,
                      "a mailbox name cannot start or end with '/' or contain '//'");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return make_error(Errc::kInvalidData, "a mailbox name cannot contain control characters");
    }
  }
  return {};
}

std::string join_keywords(const std::vector<std::string>& kw) {
  std::string out;
  for (const auto& k : kw) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Result<Account> load_account(Db& db, Id id) {
  TG_ASSIGN(Stmt s,
            db.prepare("SELECT id, address, password_hash, two_factor, quota_bytes, "
                       "used_bytes, created, send_suspended, send_suspended_reason, plan FROM "
                       "accounts "
                       "WHERE id = ?"));
  s.bind(1, id);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no such account");
  Account a;
  a.id = s.i64(0);
  a.address = s.text(1);
  a.password_hash = s.text(2);
  a.two_factor = s.i64(3) != 0;
  a.quota_bytes = s.i64(4);
  a.used_bytes = s.i64(5);
  a.created = s.i64(6);
  a.send_suspended = s.i64(7) != 0;
  a.send_suspended_reason = s.text(8);
  a.plan = s.text(9);
  return a;
}

Result<Mailbox> load_mailbox(Db& db, Id id) {
  static const std::string sql = std::string(kMailboxCols) + "WHERE id = ?";
  TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
  s.bind(1, id);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no such mailbox");
  return mailbox_from(s);
}

Result<Mailbox> load_mailbox_by_name(Db& db, Id account, std::string_view name) {
  static const std::string sql = std::string(kMailboxCols) + "WHERE account_id = ? AND name = ?";
  TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
  std::string n = normalize_mailbox_name(name);
  s.bind(1, account).bind(2, n);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no such mailbox");
  return mailbox_from(s);
}

Result<std::vector<Mailbox>> load_mailboxes(Db& db, Id account) {
  static const std::string sql =
      std::string(kMailboxCols) + "WHERE account_id = ? ORDER BY name != 'INBOX', name";
  TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
  s.bind(1, account);
  std::vector<Mailbox> out;
  while (true) {
    TG_ASSIGN(bool row, s.step());
    if (!row) break;
    out.push_back(mailbox_from(s));
  }
  return out;
}

Result<Mailbox> insert_mailbox(WriteCtx& ctx, Id account, std::string_view name,
                               std::string_view special_use) {
  std::string n = normalize_mailbox_name(name);
  TG_TRY(check_mailbox_name(n));
  auto existing = load_mailbox_by_name(ctx.db, account, n);
  if (existing.ok()) return make_error(Errc::kExists, "the mailbox " + n + " already exists");
  if (existing.code() != Errc::kNotFound) return existing.error();
  // UIDVALIDITY: the creation time, but always above every value the account has used, so a
  // mailbox deleted and created again never reuses one (RFC 9051 §2.3.1.1).
  uint32_t uid_validity = 0;
  {
    TG_ASSIGN(Stmt s, ctx.db.prepare("UPDATE accounts SET last_uid_validity = "
                                     "MAX(?, last_uid_validity + 1) WHERE id = ? "
                                     "RETURNING last_uid_validity"));
    s.bind(1, ctx.now).bind(2, account);
    TG_ASSIGN(bool row, s.step());
    if (!row) return make_error(Errc::kNotFound, "no such account");
    uid_validity = static_cast<uint32_t>(s.i64(0));
  }
  TG_TRY(
      ctx.db.run("INSERT INTO mailboxes (account_id, name, special_use, uid_validity) "
                 "VALUES (?, ?, ?, ?)",
                 account, n, special_use, uid_validity));
  return load_mailbox(ctx.db, ctx.db.last_insert_rowid());
}

Status create_parents(WriteCtx& ctx, Id account, std::string_view name) {
  for (size_t i = name.find('/'); i != std::string_view::npos; i = name.find('/', i + 1)) {
    std::string_view parent = name.substr(0, i);
    auto m = load_mailbox_by_name(ctx.db, account, parent);
    if (m.ok()) continue;
    if (m.code() != Errc::kNotFound) return m.error();
    TG_TRY(insert_mailbox(ctx, account, parent, ""));
  }
  return {};
}

Result<uint64_t> next_modseq(WriteCtx& ctx, Id mailbox) {
  TG_ASSIGN(Stmt s, ctx.db.prepare("UPDATE mailboxes SET highest_modseq = highest_modseq + 1 "
                                   "WHERE id = ? RETURNING highest_modseq"));
  s.bind(1, mailbox);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no such mailbox");
  return static_cast<uint64_t>(s.i64(0));
}

Status collect_garbage(WriteCtx& ctx) {
  TG_ASSIGN(Stmt s, ctx.db.prepare("DELETE FROM blobs WHERE refcount = 0 RETURNING hash, in_file, "
                                   "log_segment, log_at, size"));
  while (true) {
    TG_ASSIGN(bool row, s.step());
    if (!row) break;
    if (s.i64(1) == 1) ctx.file_checks.push_back(s.text(0));
    if (s.i64(1) == 2) ctx.log_freed.push_back({s.i64(2), s.i64(3), s.i64(4)});
  }
  return {};
}

Result<CopyResult> copy_in_txn(WriteCtx& ctx, Id from, const std::vector<uint32_t>& uids, Id to,
                               bool enforce_quota) {
  TG_ASSIGN(Mailbox src, load_mailbox(ctx.db, from));
  TG_ASSIGN(Mailbox dst, load_mailbox(ctx.db, to));
  (void)src;
  CopyResult out;
  out.uid_validity = dst.uid_validity;
  uint64_t uid_next = dst.uid_next;
  uint64_t modseq = 0;
  int64_t added = 0;
  for (uint32_t uid : sorted_unique(uids)) {
    TG_ASSIGN(Stmt sel, ctx.db.prepare("SELECT flags, keywords, internal_date, size, blob_id "
                                       "FROM messages WHERE mailbox_id = ? AND uid = ?"));
    sel.bind(1, from).bind(2, uid);
    TG_ASSIGN(bool row, sel.step());
    if (!row) continue;
    if (uid_next >= 0xffffffffu) {
      return make_error(Errc::kLimit, "the mailbox has used up its UIDs; recreate it");
    }
    if (modseq == 0) modseq = dst.highest_modseq + 1;
    TG_ASSIGN(Stmt ins, ctx.db.prepare("INSERT INTO messages (mailbox_id, uid, modseq, flags, "
                                       "keywords, internal_date, size, blob_id, save_date) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ins.bind_all(to, uid_next, modseq, sel.i64(0), sel.view(1), sel.i64(2), sel.i64(3), sel.i64(4),
                 ctx.now);
    TG_TRY(ins.run());
    added += sel.i64(3);
    out.uids.emplace_back(uid, static_cast<uint32_t>(uid_next));
    ++uid_next;
  }
  if (out.uids.empty()) return out;
  TG_TRY(ctx.db.run("UPDATE mailboxes SET uid_next = ?, highest_modseq = ? WHERE id = ?", uid_next,
                    modseq, to));
  if (enforce_quota && added > 0) {
    TG_ASSIGN(Account a, load_account(ctx.db, dst.account_id));
    if (a.quota_bytes > 0 && a.used_bytes > a.quota_bytes) {
      return make_error(Errc::kOverQuota, "the mailbox owner's storage is full");
    }
  }
  return out;
}

Result<std::vector<uint32_t>> expunge_in_txn(WriteCtx& ctx, Id mailbox,
                                             const std::vector<uint32_t>& uids) {
  TG_TRY(load_mailbox(ctx.db, mailbox));
  std::vector<uint32_t> removed;
  for (uint32_t uid : sorted_unique(uids)) {
    TG_TRY(ctx.db.run("DELETE FROM messages WHERE mailbox_id = ? AND uid = ?", mailbox, uid));
    if (ctx.db.changes() > 0) removed.push_back(uid);
  }
  if (removed.empty()) return removed;
  TG_ASSIGN(uint64_t modseq, next_modseq(ctx, mailbox));
  for (uint32_t uid : removed) {
    TG_TRY(ctx.db.run("INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
                      mailbox, uid, modseq));
  }
  TG_TRY(collect_garbage(ctx));
  return removed;
}

}  // namespace tegami::store::sqlite
