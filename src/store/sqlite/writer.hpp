// Group commit (DESIGN.md §3): one thread owns the write connection. Callers submit write
// operations and block (submit) or leave a callback (post); the writer takes every queued
// operation, runs each inside its own SAVEPOINT of ONE transaction (a failing operation rolls
// back only itself), commits once (one fsync with synchronous=FULL), then completes every
// caller of the batch.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "store/sqlite/blob_files.hpp"
#include "store/sqlite/blob_log.hpp"
#include "store/sqlite/db.hpp"

namespace tegami::store::sqlite {

// What a write operation sees: the write connection inside the batch transaction.
struct WriteCtx {
  Db& db;
  BlobFiles& files;
  BlobLog& log;
  int64_t now = 0;  // Unix seconds, taken once per batch
  // Hashes of file blobs whose file must be unlinked after the commit if no blobs row names
  // them any more (checked on the write connection after COMMIT or ROLLBACK).
  std::vector<std::string> file_checks;
  // Body log records. Named by rows this batch inserted (their segments, in log_syncs, are
  // synced before COMMIT; rolled back, they join log_unused); appended but named by no row (punched
  // after the batch); named by rows this batch deleted (punched once that is durable and no read
  // transaction that could see the rows is open).
  std::vector<std::shared_ptr<LogSegment>> log_syncs;
  std::vector<LogPlace> log_inserted;
  std::vector<LogPlace> log_unused;
  std::vector<LogPlace> log_freed;
};

class Writer {
 public:
  using Fn = std::function<Status(WriteCtx&)>;
  using Done = std::function<void(Status)>;

  Writer(std::unique_ptr<Db> db, BlobFiles* files, BlobLog* log);
  ~Writer();  // completes every queued operation, then stops
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // How soon a committed operation must be on stable storage.
  enum class Sync {
    kNow,       // before its caller hears of it (fsync of the commit: synchronous = FULL)
    kWithNext,  // with the next kNow commit, or kLazySyncMs after it at the latest (the next
                // commit then, or a sync when none comes); until then a power loss (not a crash
                // of the process) can undo it. For records that are redone when lost, such as
                // the queue's outcomes (a message sent again).
  };
  static constexpr int kLazySyncMs = 20;

  // Runs `fn` in the next batch; returns its Status once the batch is committed (or the
  // commit's error). `fn` runs on the writer thread and must not call submit().
  Status submit(Fn fn, Sync sync = Sync::kNow);
  // Runs `fn` in the next batch without waiting: `done` gets its Status on the writer thread
  // once the batch is committed as `sync` asks (it must only hand the result on, not block or
  // submit).
  void post(Fn fn, Done done, Sync sync = Sync::kNow);

  // An operation is on its way (a message's content is arriving): a writer waiting for work
  // wakes now and stays on its CPU, yielding it to any other runnable thread, until an
  // operation comes or kExpectUs pass, so that the operation does not wait for the writer's
  // wake-up as well (on this VM a wake-up onto an idle CPU takes 130 us; docs/performance.md,
  // second session of 2026-11-24). Does nothing while the writer is busy.
  void expect();
  static constexpr int kExpectUs = 1000;

  // An operation submitted now would share its commit's fsync with others: the writer is
  // committing a batch that syncs, or operations wait for the next batch. Not when it waits for
  // work or commits only kWithNext operations (no fsync) with nothing queued: the operation
  // would then be committed alone.
  bool sharing() const {
    return syncing_.load(std::memory_order_relaxed) || queued_.load(std::memory_order_relaxed) > 0;
  }

  uint64_t commits() const { return commits_.load(); }
  uint64_t operations() const { return operations_.load(); }
  uint64_t largest_batch() const { return largest_batch_.load(); }
  uint64_t woken_ahead() const { return woken_ahead_.load(); }  // by expect()

 private:
  struct Op {
    Fn fn;
    Done done;  // set: a posted operation, deleted by the writer after done(result)
    Sync sync = Sync::kNow;
    Status result;
    // One per caller: only the callers of the committed batch are woken. Not a
    // std::binary_semaphore, whose libstdc++ version spins with sched_yield before it sleeps
    // (a caller waits for a whole commit and its fsync).
    std::mutex mu;
    std::condition_variable cv;
    bool finished = false;
  };
  void run();
  void run_batch(std::vector<Op*>& batch);
  // synchronous = FULL or NORMAL for the next commits, when not already so.
  void set_synchronous(bool full);
  // fdatasync of the WAL file: makes the commits made with synchronous = NORMAL durable.
  void sync_wal();
  // After a batch: punches the log records no row names, and those its rows let go of once
  // that is on disk (a commit without an fsync waits for the next sync) and no read
  // transaction that began before it is open.
  void release_log(WriteCtx& ctx);
  // Punches the released records that may go; `synced`: every commit so far is on disk.
  void punch_released(bool synced);

  std::unique_ptr<Db> db_;
  BlobFiles* files_;
  BlobLog* log_;
  // Records whose rows are gone, waiting for their commit's sync and the read transactions
  // older than their epoch.
  struct Released {
    uint64_t epoch;
    bool durable;
    std::vector<LogPlace> places;
  };
  std::deque<Released> log_released_;
  bool full_ = true;  // the connection's synchronous setting
  std::string wal_path_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Op*> queue_;
  bool stop_ = false;
  bool expected_ = false;             // expect() was called while the writer waited
  std::atomic<bool> waiting_{false};  // the writer waits for work (written under mu_)
  std::atomic<bool> syncing_{false};  // the batch being committed syncs
  std::atomic<size_t> queued_{0};     // queue_.size()
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> operations_{0};
  std::atomic<uint64_t> largest_batch_{0};
  std::atomic<uint64_t> woken_ahead_{0};
  std::thread thread_;
};

}  // namespace tegami::store::sqlite
