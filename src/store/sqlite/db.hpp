// A thin RAII layer over one sqlite3 connection: prepared-statement cache, typed binding and
// column access, and the mapping of SQLite result codes to Errc (DESIGN.md §5).
// A Db is used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.hpp"

// Early return of the Error inside a failed Status/Result.
#define TG_TRY(expr)                               \
  do {                                             \
    auto tg_try_r_ = (expr);                       \
    if (!tg_try_r_.ok()) return tg_try_r_.error(); \
  } while (0)

#define TG_CONCAT_INNER(a, b) a##b
#define TG_CONCAT(a, b) TG_CONCAT_INNER(a, b)
// TG_ASSIGN(auto x, expr): x = *expr or return its Error.
#define TG_ASSIGN(decl, expr) TG_ASSIGN_IMPL(TG_CONCAT(tg_assign_r_, __LINE__), decl, expr)
#define TG_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                    \
  if (!tmp.ok()) return tmp.error();    \
  decl = std::move(*tmp)

namespace tegami::store::sqlite {

// Maps an SQLite (extended) result code to Errc: UNIQUE/PRIMARY KEY violations -> kExists,
// FOREIGN KEY -> kNotFound, other constraints (NOT NULL, CHECK) -> kInvalidData,
// busy/locked/full -> kTemporary, too big -> kTooBig, everything else -> kInternal.
Errc map_sqlite_code(int code);

class Db;

// A cached prepared statement checked out for one use; reset and unbound when destroyed.
class Stmt {
 public:
  // `in_use` is the cache entry's flag (cleared on destruction); nullptr: the statement is not
  // cached and is finalized on destruction.
  Stmt(Db* db, sqlite3_stmt* s, bool* in_use) : db_(db), s_(s), in_use_(in_use) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_), in_use_(o.in_use_), bind_status_(o.bind_status_) {
    o.s_ = nullptr;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, uint32_t v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, uint64_t v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, bool v) { return bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Stmt& bind(int i, std::string_view v);  // TEXT
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_blob(int i, std::string_view v);
  Stmt& bind_null(int i);

  template <class... A>
  Stmt& bind_all(const A&... a) {
    int i = 1;
    (bind(i++, a), ...);
    return *this;
  }

  // true: a row is available; false: done.
  Result<bool> step();
  // Runs to completion (for statements without result rows).
  Status run();
  // Makes the statement ready to run again (bindings are kept until rebound): for running one
  // statement many times in a loop without checking it out again.
  void reset() { sqlite3_reset(s_); }

  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const;
  std::string_view view(int col) const;  // valid until the next step

 private:
  Db* db_;
  sqlite3_stmt* s_;
  bool* in_use_;
  Status bind_status_;
};

class Db {
 public:
  // Opens `path`; read_only connections never create the file.
  static Result<std::unique_ptr<Db>> open(const std::string& path, bool read_only);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without parameters.
  Status exec(const char* sql);
  // Prepares (or reuses from the cache) a statement. `sql` is the cache key. While a cached
  // statement is checked out, preparing the same SQL again gives a fresh uncached one.
  Result<Stmt> prepare(const char* sql);

  // Convenience: prepare, bind, run to completion.
  template <class... A>
  Status run(const char* sql, const A&... a) {
    TG_ASSIGN(Stmt s, prepare(sql));
    s.bind_all(a...);
    return s.run();
  }

  // The Error for the connection's last failure, prefixed with `what`.
  Error last_error(std::string_view what) const;
  Error error_for(int rc, std::string_view what) const;
  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<std::string, Cached> cache_;
};

// A read transaction (BEGIN ... COMMIT) giving one consistent snapshot; ROLLBACK if unfinished.
class ReadTxn {
 public:
  explicit ReadTxn(Db& db);
  ~ReadTxn();
  Status status() const { return st_; }

 private:
  Db& db_;
  Status st_;
};

}  // namespace tegami::store::sqlite
