// Opening the store: the folder lock, connections, migrations, orphan cleanup, the writer.
// Accounts are in accounts.cpp, mailboxes in mailboxes.cpp, messages in messages.cpp.
#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "base/clock.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace tegami::store {

namespace {

Result<std::unique_ptr<Store>> open_store(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return make_error(Errc::kInternal,
                      "cannot create data folder " + data_dir + ": " + ec.message());
  }
  // Several processes may open the folder (the server, and CLI commands run meanwhile):
  // SQLite's locks serialise their transactions. Only a process that has the folder to itself
  // (exclusive flock) removes orphan files at start, then keeps a shared lock like the others.
  std::string lock_path = data_dir + "/LOCK";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::kInternal, "cannot open " + lock_path + ": " + std::strerror(errno));
  }
  bool alone = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (!alone && ::flock(fd, LOCK_SH) != 0) {  // waits while another process cleans up
    Error e = make_error(Errc::kInternal, "cannot lock " + lock_path + ": " + std::strerror(errno));
    ::close(fd);
    return e;
  }
  auto store = std::make_unique<sqlite::SqliteStore>(data_dir, fd);
  TG_TRY(store->start(alone));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir) {
  try {
    return open_store(data_dir);
  } catch (const std::exception& e) {
    return make_error(Errc::kInternal, std::string("cannot open the store: ") + e.what());
  }
}

std::optional<SqliteStats> sqlite_stats(const Store& store) {
  auto* s = dynamic_cast<const sqlite::SqliteStore*>(&store);
  if (s == nullptr) return std::nullopt;
  return s->stats();
}

}  // namespace tegami::store

namespace tegami::store::sqlite {

// ---------------------------------------------------------------- ReadPool

Result<ReadPool::Lease> ReadPool::acquire() {
  {
    std::lock_guard lk(mu_);
    if (!free_.empty()) {
      auto db = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  TG_ASSIGN(auto db, Db::open(path_, /*read_only=*/true));
  return Lease(this, std::move(db));
}

void ReadPool::release(std::unique_ptr<Db> db) {
  std::lock_guard lk(mu_);
  // An idle connection costs a file descriptor and its page cache; keep a handful.
  if (free_.size() < 16) free_.push_back(std::move(db));
}

void ReadPool::clear() {
  std::lock_guard lk(mu_);
  free_.clear();
}

// ---------------------------------------------------------------- lifecycle

SqliteStore::SqliteStore(std::string data_dir, int lock_fd)
    : data_dir_(std::move(data_dir)),
      lock_fd_(lock_fd),
      files_(data_dir_ + "/blobs"),
      log_(data_dir_ + "/blobs/log"),
      pool_(data_dir_ + "/tegami.db") {}

SqliteStore::~SqliteStore() {
  writer_.reset();  // completes queued writes, closes the write connection
  pool_.clear();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status SqliteStore::start(bool alone) {
  TG_ASSIGN(auto db, Db::open(data_dir_ + "/tegami.db", /*read_only=*/false));
  {
    TG_ASSIGN(Stmt s, db->prepare("PRAGMA journal_mode = WAL"));
    TG_ASSIGN(bool row, s.step());
    if (!row || s.text(0) != "wal") {
      return make_error(Errc::kInternal, "the database cannot use WAL mode");
    }
  }
  // temp_store = MEMORY: the statement journal of each operation's SAVEPOINT stays in memory;
  // with the default it spilled past 64 KiB into a new file under /var/tmp, opened, written and
  // closed in every batch (about 150 us of the writer's time per commit).
  // secure_delete = FAST: Debian builds SQLite with secure_delete on, which writes every page a
  // delete frees again, full of zeros: a relayed 100 KB body, deleted once it has gone out, was
  // written to the WAL twice (and copied twice by the checkpoint). FAST still clears deleted
  // content on pages the delete writes anyway; freed pages keep theirs until reused, as a file
  // system's blocks do after an unlink.
  TG_TRY(
      db->exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = "
               "MEMORY; PRAGMA secure_delete = FAST;"));
  TG_TRY(migrate(*db));
  TG_TRY(files_.init());
  TG_TRY(log_.init());
  if (alone) {
    // Orphans: temporary files of interrupted writes, and files of blobs whose transaction
    // never committed (or whose unlink after commit was lost in a crash).
    files_.cleanup([&](std::string_view hash) {
      auto s = db->prepare("SELECT 1 FROM blobs WHERE hash = ? AND in_file = 1");
      if (!s.ok()) return true;  // when unsure, keep
      s->bind(1, hash);
      auto row = s->step();
      return !row.ok() || *row;
    });
    // Body log records no row names (appended, then the commit never came).
    log_.cleanup([&](int64_t segment) -> Result<std::vector<LogPlace>> {
      TG_ASSIGN(Stmt s, db->prepare("SELECT log_at, size FROM blobs WHERE in_file = 2 AND "
                                    "log_segment = ? ORDER BY log_at"));
      s.bind(1, segment);
      std::vector<LogPlace> out;
      while (true) {
        TG_ASSIGN(bool row, s.step());
        if (!row) break;
        out.push_back({segment, s.i64(0), s.i64(1)});
      }
      return out;
    });
    // From now on other processes may open the folder too.
    if (::flock(lock_fd_, LOCK_SH) != 0) {
      return make_error(Errc::kInternal, std::string("cannot lock: ") + std::strerror(errno));
    }
  }
  writer_ = std::make_unique<Writer>(std::move(db), &files_, &log_);
  return {};
}

SqliteStats SqliteStore::stats() const {
  SqliteStats s;
  s.commits = writer_->commits();
  s.operations = writer_->operations();
  s.largest_batch = writer_->largest_batch();
  s.schema_version = schema_version_known();
  return s;
}

}  // namespace tegami::store::sqlite
