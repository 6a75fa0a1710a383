#include "store/sqlite/db.hpp"

#include <string>

#include "store/sqlite/wal_vfs.hpp"

namespace tegami::store::sqlite {

Errc map_sqlite_code(int code) {
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      if (code == SQLITE_CONSTRAINT_FOREIGNKEY) return Errc::kNotFound;
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY ||
          code == SQLITE_CONSTRAINT) {
        return Errc::kExists;
      }
      return Errc::kInvalidData;  // NOT NULL, CHECK, datatype: a value that does not fit
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
      return Errc::kTemporary;
    case SQLITE_TOOBIG:
      return Errc::kTooBig;
    default:
      return Errc::kInternal;
  }
}

// ---------------------------------------------------------------- Stmt

Stmt::~Stmt() {
  if (s_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(s_);
    return;
  }
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  *in_use_ = false;
}

Stmt& Stmt::bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(s_, i, v);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->error_for(rc, "bind");
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  // An empty view may have a null data(): that would bind NULL, not ''.
  int rc =
      sqlite3_bind_text64(s_, i, v.data() ? v.data() : "", v.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->error_for(rc, "bind");
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::string_view v) {
  // A zero-length blob must not be bound as NULL: pass a valid pointer.
  static const char kEmpty = 0;
  int rc = sqlite3_bind_blob64(s_, i, v.empty() ? &kEmpty : v.data(), v.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->error_for(rc, "bind");
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  int rc = sqlite3_bind_null(s_, i);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->error_for(rc, "bind");
  return *this;
}

Result<bool> Stmt::step() {
  if (!bind_status_.ok()) return bind_status_.error();
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->error_for(rc, "step");
}

Status Stmt::run() {
  while (true) {
    TG_ASSIGN(bool row, step());
    if (!row) return {};
  }
}

std::string Stmt::text(int col) const { return std::string(view(col)); }

std::string_view Stmt::view(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  int n = sqlite3_column_bytes(s_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string_view(static_cast<const char*>(p), static_cast<size_t>(n));
}

// ---------------------------------------------------------------- Db

Result<std::unique_ptr<Db>> Db::open(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, wal_vfs_name());
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return make_error(map_sqlite_code(rc), "cannot open database " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() {
  for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
  sqlite3_close_v2(db_);
}

Status Db::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return {};
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return make_error(map_sqlite_code(sqlite3_extended_errcode(db_)), "database: " + msg);
}

Result<Stmt> Db::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Stmt(this, it->second.stmt, &it->second.in_use);
  }
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return error_for(rc, "prepare");
  if (it != cache_.end()) return Stmt(this, s, nullptr);  // nested use of the same SQL
  auto& c = cache_[sql];  // unordered_map nodes are stable: &c.in_use stays valid
  c.stmt = s;
  c.in_use = true;
  return Stmt(this, s, &c.in_use);
}

Error Db::last_error(std::string_view what) const {
  return error_for(sqlite3_extended_errcode(db_), what);
}

Error Db::error_for(int rc, std::string_view what) const {
  int ext = sqlite3_extended_errcode(db_);
  if ((ext & 0xff) == (rc & 0xff)) rc = ext;
  std::string msg = "database ";
  msg += what;
  msg += ": ";
  msg += sqlite3_errmsg(db_);
  return make_error(map_sqlite_code(rc), std::move(msg));
}

// ---------------------------------------------------------------- ReadTxn

ReadTxn::ReadTxn(Db& db) : db_(db) { st_ = db_.exec("BEGIN"); }

ReadTxn::~ReadTxn() {
  if (st_.ok() && !sqlite3_get_autocommit(db_.raw())) (void)db_.exec("COMMIT");
}

}  // namespace tegami::store::sqlite
