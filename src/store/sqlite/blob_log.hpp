// Mid-sized message bodies appended to log files (data_dir/blobs/log/<16 hex digits>), so
// that their bytes are written once, by the delivering thread, and made durable by one
// fdatasync per group commit: not copied into SQLite's WAL in 4 KiB frames and again by its
// checkpoint (README.md, "Body log").
//
// A record is a 16-byte header ("tegamilg" and the body's size, little-endian) and the body,
// starting on a 4 KiB boundary. A blobs row (in_file = 2) names its segment and offset. When
// the row goes, the record's blocks are given back with FALLOC_FL_PUNCH_HOLE, once the commit
// that deleted the row is on disk and no read transaction that could still see the row is
// open (ReadEpochs). Each process appends to segments of its own; records that no row names
// (a crash between the append and the commit) are punched at the next start.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tegami::store::sqlite {

// One segment file, open for appending (and punching) by this process.
struct LogSegment {
  LogSegment(int64_t id, int fd) : id(id), fd(fd) {}
  ~LogSegment();  // lets go of the file's cached pages (BlobLog::sync), then closes it
  LogSegment(const LogSegment&) = delete;
  LogSegment& operator=(const LogSegment&) = delete;
  const int64_t id;
  const int fd;
  // The next record's offset: set by BlobLog::append under its lock, read by sync().
  std::atomic<int64_t> end{0};
  int64_t uncached_to = 0;  // sync()'s (the writer's thread): cached pages below let go of
};

// A record's place as stored in a blobs row.
struct LogPlace {
  int64_t segment = 0;
  int64_t at = 0;
  int64_t size = 0;
};

// Where a body was appended: the segment (kept open while the span is in use) and the offset.
struct LogSpan {
  std::shared_ptr<LogSegment> segment;
  int64_t at = 0;
  int64_t size = 0;  // the body's
  explicit operator bool() const { return segment != nullptr; }
  LogPlace place() const { return {segment->id, at, size}; }
};

class BlobLog {
 public:
  static constexpr int64_t kHeader = 16;
  static constexpr int64_t kAlign = 4096;
  // A new segment is started when the current one reaches this size (and at every start).
  static constexpr int64_t kSegmentMax = int64_t{256} << 20;

  explicit BlobLog(std::string dir) : dir_(std::move(dir)) {}

  // Creates the folder (and fsyncs its parent) if missing.
  Status init();
  const std::string& dir() const { return dir_; }
  std::string path_for(int64_t segment) const;

  // Appends a record of `body` (not synced: sync() before the commit that names it).
  // Thread-safe; the write itself runs outside the lock.
  Result<LogSpan> append(std::string_view body);
  // fdatasync of the segment: every append to it that has returned is then durable. Then the
  // page cache of what lies more than kCachedBehind behind the segment's end is let go of
  // (POSIX_FADV_DONTNEED, in steps of at least kUncacheStep; a hint that never drops unsynced
  // data): bodies delivered long ago are seldom read soon, and kept they would grow the cache
  // by every body, each append taking memory the kernel has not used for a while, which is
  // slow on a VM that gives free memory back to its host (docs/performance.md, ninth session
  // of 2026-11-23). The most recent ones stay cached for the clients that fetch new mail.
  static Status sync(LogSegment& segment);
  static constexpr int64_t kCachedBehind = int64_t{32} << 20;
  static constexpr int64_t kUncacheStep = int64_t{1} << 20;
  // The body at `p`; kNotFound when its blocks were given back (the record is gone).
  Result<std::string> read(const LogPlace& p) const;
  // Gives the record's blocks back (errors are ignored: the space is reclaimed at a later
  // start).
  void punch(const LogPlace& p);
  // The bytes a record takes in its segment (header, body, padding to kAlign).
  static int64_t footprint(int64_t size);

  // At a start with no other process in the folder: unlinks segments no row names and punches
  // every range of the others that no row names. `places(segment)` lists the rows' places in
  // that segment in offset order (nullopt when unsure: the segment is left alone). Returns the
  // number of segments removed.
  int cleanup(const std::function<Result<std::vector<LogPlace>>(int64_t segment)>& places);

  // Read transactions that may still see a row being deleted hold its record's blocks back.
  // A reader calls begin() before its transaction's first read and end() after its last; the
  // writer calls advance() after each commit that deleted log rows and may punch those
  // records once oldest_reader() >= the value advance() returned.
  class ReadEpochs {
   public:
    uint64_t begin();
    void end(uint64_t epoch);
    uint64_t advance();
    uint64_t oldest_reader();  // the current epoch when no reader is open

   private:
    std::mutex mu_;
    uint64_t epoch_ = 0;
    std::map<uint64_t, int> open_;  // epoch -> readers that began in it
  };
  ReadEpochs& epochs() { return epochs_; }

 private:
  Result<std::shared_ptr<LogSegment>> open_new_segment();

  std::string dir_;
  std::mutex mu_;
  std::shared_ptr<LogSegment> current_;
  ReadEpochs epochs_;
};

}  // namespace tegami::store::sqlite
