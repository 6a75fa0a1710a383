#include "store/sqlite/writer.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <memory>

#include "base/clock.hpp"

namespace tegami::store::sqlite {
namespace {

// Bounds one transaction so a flood of writers cannot grow it without limit.
constexpr size_t kMaxBatch = 512;

}  // namespace

Writer::Writer(std::unique_ptr<Db> db, BlobFiles* files, BlobLog* log)
    : db_(std::move(db)), files_(files), log_(log) {
  const char* main = sqlite3_db_filename(db_->raw(), "main");
  if (main && *main) wal_path_ = std::string(main) + "-wal";
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

Status Writer::submit(Fn fn, Sync sync) {
  Op op;
  op.fn = std::move(fn);
  op.sync = sync;
  {
    std::lock_guard lk(mu_);
    if (stop_) return make_error(Errc::kTemporary, "the store is shutting down");
    queue_.push_back(&op);
    queued_.store(queue_.size(), std::memory_order_relaxed);
  }
  work_cv_.notify_one();
  std::unique_lock lk(op.mu);  // only this caller is woken when its batch is committed
  op.cv.wait(lk, [&] { return op.finished; });
  return std::move(op.result);
}

void Writer::post(Fn fn, Done done, Sync sync) {
  auto op = std::make_unique<Op>();
  op->fn = std::move(fn);
  op->done = std::move(done);
  op->sync = sync;
  bool queued = false;
  {
    std::lock_guard lk(mu_);
    if (!stop_) {
      queue_.push_back(op.release());
      queued_.store(queue_.size(), std::memory_order_relaxed);
      queued = true;
    }
  }
  // Notified after unlocking: woken under the lock, the writer would block on it at once.
  if (queued) {
    work_cv_.notify_one();
    return;
  }
  op->done(make_error(Errc::kTemporary, "the store is shutting down"));
}

void Writer::set_synchronous(bool full) {
  if (full == full_) return;
  if (db_->exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL").ok()) {
    full_ = full;
  }
}

void Writer::sync_wal() {
  if (wal_path_.empty()) return;
  int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // no WAL file: nothing unsynced in it
  (void)::fdatasync(fd);
  ::close(fd);
}

void Writer::release_log(WriteCtx& ctx) {
  for (const LogPlace& p : ctx.log_unused) log_->punch(p);
  if (!ctx.log_freed.empty()) {
    log_released_.push_back({log_->epochs().advance(), full_, std::move(ctx.log_freed)});
  }
  punch_released(full_);
}

void Writer::punch_released(bool synced) {
  if (log_released_.empty()) return;
  const uint64_t oldest = log_->epochs().oldest_reader();
  for (auto it = log_released_.begin(); it != log_released_.end();) {
    it->durable = it->durable || synced;
    if (!it->durable || it->epoch > oldest) {
      ++it;
      continue;
    }
    for (const LogPlace& p : it->places) log_->punch(p);
    it = log_released_.erase(it);
  }
}

void Writer::expect() {
  if (!waiting_.load(std::memory_order_relaxed)) return;  // busy: not worth the lock
  {
    std::lock_guard lk(mu_);
    if (!waiting_.load(std::memory_order_relaxed)) return;  // woke meanwhile (set under mu_)
    expected_ = true;
  }
  work_cv_.notify_one();
}

void Writer::run() {
  std::vector<Op*> batch;
  bool unsynced = false;  // a commit made with synchronous = NORMAL is not yet on disk
  std::chrono::steady_clock::time_point unsynced_since;  // the first of those
  const auto lazy_sync = std::chrono::milliseconds(kLazySyncMs);
  while (true) {
    {
      std::unique_lock lk(mu_);
      auto has_work = [&] { return stop_ || !queue_.empty(); };
      auto woken = [&] { return has_work() || expected_; };
      waiting_.store(true, std::memory_order_relaxed);
      if (unsynced && !work_cv_.wait_until(lk, unsynced_since + lazy_sync, woken)) {
        waiting_.store(false, std::memory_order_relaxed);
        lk.unlock();
        sync_wal();
        unsynced = false;
        punch_released(true);
        continue;
      }
      work_cv_.wait(lk, woken);
      waiting_.store(false, std::memory_order_relaxed);
      if (!has_work()) {  // expect(): stay on this CPU until the operation comes
        expected_ = false;
        lk.unlock();
        woken_ahead_.fetch_add(1);
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kExpectUs);
        while (queued_.load(std::memory_order_relaxed) == 0 &&
               std::chrono::steady_clock::now() < until) {
          sched_yield();
        }
        continue;
      }
      expected_ = false;
      if (queue_.empty()) {  // stop_ and drained
        lk.unlock();
        if (unsynced) sync_wal();
        set_synchronous(true);
        punch_released(true);  // what no reader holds back any more; the rest at the next start
        return;
      }
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      queued_.store(queue_.size(), std::memory_order_relaxed);
    }
    // One caller that needs its commit on disk now makes the whole batch FULL, and so does a
    // commit without an fsync that has waited kLazySyncMs for one; that fsync of the WAL also
    // covers every earlier commit made without one.
    const auto now = std::chrono::steady_clock::now();
    bool full = unsynced && now - unsynced_since >= lazy_sync;
    for (Op* op : batch) full = full || op->sync == Sync::kNow;
    set_synchronous(full);
    syncing_.store(full, std::memory_order_relaxed);
    run_batch(batch);
    if (full && !full_) sync_wal();  // FULL could not be set: sync before anyone hears of it
    if (!full && !unsynced) unsynced_since = now;
    unsynced = !full;
    for (Op* op : batch) {
      if (op->done) {
        std::unique_ptr<Op> owned(op);
        try {
          owned->done(std::move(owned->result));
        } catch (...) {
          // A callback that cannot hand its result on loses only that; the writer goes on.
        }
        continue;
      }
      std::lock_guard lk(op->mu);  // held while notifying: op is gone once its caller wakes
      op->finished = true;
      op->cv.notify_one();
    }
    syncing_.store(false, std::memory_order_relaxed);
    batch.clear();
  }
}

void Writer::run_batch(std::vector<Op*>& batch) {
  WriteCtx ctx{*db_, *files_, *log_, system_clock().now_unix()};
  Status begin = db_->exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (Op* op : batch) op->result = begin;
    return;
  }
  bool any_ok = false;
  for (Op* op : batch) {
    const size_t inserted = ctx.log_inserted.size();
    const size_t freed = ctx.log_freed.size();
    Status st = db_->exec("SAVEPOINT op");
    if (st.ok()) {
      try {
        st = op->fn(ctx);
      } catch (const std::exception& e) {
        st = make_error(Errc::kInternal, std::string("store operation failed: ") + e.what());
      } catch (...) {
        st = make_error(Errc::kInternal, "store operation failed");
      }
      if (st.ok()) {
        st = db_->exec("RELEASE op");
      }
      if (!st.ok()) {
        (void)db_->exec("ROLLBACK TO op");
        (void)db_->exec("RELEASE op");
      }
    }
    if (!st.ok()) {  // its rows are gone: what it inserted is named by none, it freed nothing
      ctx.log_unused.insert(ctx.log_unused.end(), ctx.log_inserted.begin() + inserted,
                            ctx.log_inserted.end());
      ctx.log_inserted.resize(inserted);
      ctx.log_freed.resize(freed);
    }
    any_ok = any_ok || st.ok();
    op->result = std::move(st);
  }
  // The bodies appended to the log must be on disk before any commit names them.
  Status commit;
  for (size_t i = 0; i < ctx.log_syncs.size() && commit.ok(); ++i) {
    commit = BlobLog::sync(*ctx.log_syncs[i]);
  }
  if (commit.ok()) commit = db_->exec("COMMIT");
  if (!commit.ok()) {
    (void)db_->exec("ROLLBACK");
    for (Op* op : batch) {
      if (op->result.ok()) op->result = commit;
    }
    ctx.log_unused.insert(ctx.log_unused.end(), ctx.log_inserted.begin(), ctx.log_inserted.end());
    ctx.log_freed.clear();
  }
  if (commit.ok()) {
    commits_.fetch_add(1);
    operations_.fetch_add(batch.size());
    uint64_t n = batch.size();
    uint64_t prev = largest_batch_.load();
    while (n > prev && !largest_batch_.compare_exchange_weak(prev, n)) {
    }
  }
  (void)any_ok;
  // A file is unlinked only once the commit that let go of it is on disk: after a commit
  // without an fsync (Sync::kWithNext), a power loss could bring back a row naming the file.
  if (!ctx.file_checks.empty() && !full_) sync_wal();
  release_log(ctx);
  // After the commit (or rollback): unlink files that no committed row names. Under the
  // database write lock, so that no writer (of this or another process) is between checking
  // that a file exists and committing a row that names it. If the lock cannot be had, the
  // files stay: orphans, removed at a later start.
  if (!ctx.file_checks.empty() && db_->exec("BEGIN IMMEDIATE").ok()) {
    for (const auto& hash : ctx.file_checks) {
      auto s = db_->prepare("SELECT 1 FROM blobs WHERE hash = ?");
      if (!s.ok()) continue;
      s->bind(1, hash);
      auto row = s->step();
      if (row.ok() && !*row) files_->remove(hash);
    }
    (void)db_->exec("COMMIT");
  }
}

}  // namespace tegami::store::sqlite
