// SQLite writes each WAL frame with two calls, its 24-byte header and then its page (wal.c,
// walWriteOneFrame), all of a transaction's frames one after the other, then (synchronous =
// FULL) syncs the WAL and publishes the new end of the log in the shared-memory index. This VFS
// keeps such a run of frames in memory and writes it with one call when the transaction's last
// frame (the commit frame: its header's "database size after commit" field is not zero) is
// complete: before SQLite syncs or publishes anything, so every reader, in this process or
// another, finds in the file each frame the index names, and every sync covers every frame
// written before it. A crash while frames are held loses only frames that no commit named yet.
//
// The WAL file format (https://www.sqlite.org/fileformat2.html#walformat): a 32-byte header at
// offset 0, then frames of a 24-byte header and one page; bytes 4-7 of a frame header are the
// database size in pages for a commit frame and zero for the others.
//
// Only a run that starts with the WAL header or with the header of a frame that is not a commit
// frame is held, and only while each write continues it exactly; anything else (a page written
// again within its transaction, the checksum rewrite after that, the WAL header alone) first
// writes what is held, then goes straight through. So do reads, syncs, size and truncation of
// the WAL, and every call on any other file.
#include "store/sqlite/wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>
#include <string>

namespace tegami::store::sqlite {

namespace {

constexpr int kWalHeader = 32;
constexpr int kFrameHeader = 24;
constexpr size_t kMaxHeld = 4 << 20;  // a larger run is written before its commit frame
// The unix VFS writes at most 128 KiB - 1 bytes a call (seekAndWriteFd masks the length with
// 0x1ffff, and a longer write fails as SQLITE_FULL).
constexpr size_t kMaxWrite = 124 << 10;

sqlite3_vfs* g_base = nullptr;  // the default VFS
sqlite3_vfs g_vfs;
std::atomic<uint64_t> g_combined_writes{0};
std::atomic<uint64_t> g_combined_frames{0};

struct Held {
  std::string bytes;
  sqlite3_int64 at = 0;  // file offset of bytes[0]
  uint64_t frames = 0;
  bool commit_header = false;  // the last write held is a commit frame's header
};

struct File {
  sqlite3_file base;   // pMethods = &kMethods
  sqlite3_file* real;  // the default VFS's file, in the memory right after this struct
  Held* held;          // WAL files only
};

File* of(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) { return of(f)->real; }

uint32_t be32(const void* p) {
  const auto* b = static_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

int write_held(File* f) {
  Held* h = f->held;
  if (h == nullptr || h->bytes.empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (size_t done = 0; done < h->bytes.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const size_t n = std::min(kMaxWrite, h->bytes.size() - done);
    rc = f->real->pMethods->xWrite(f->real, h->bytes.data() + done, static_cast<int>(n),
                                   h->at + static_cast<sqlite3_int64>(done));
  }
  if (rc == SQLITE_OK && h->frames > 0) {
    g_combined_writes.fetch_add(1, std::memory_order_relaxed);
    g_combined_frames.fetch_add(h->frames, std::memory_order_relaxed);
  }
  h->bytes.clear();
  h->frames = 0;
  h->commit_header = false;
  return rc;
}

int x_close(sqlite3_file* file) {
  File* f = of(file);
  int held = write_held(f);
  int rc = f->real->pMethods->xClose(f->real);
  delete f->held;
  f->held = nullptr;
  return held != SQLITE_OK ? held : rc;
}

int x_write(sqlite3_file* file, const void* buf, int amt, sqlite3_int64 off) {
  File* f = of(file);
  Held* h = f->held;
  if (h == nullptr) return f->real->pMethods->xWrite(f->real, buf, amt, off);
  const bool frame_header = amt == kFrameHeader;
  const bool commit_header = frame_header && be32(static_cast<const char*>(buf) + 4) != 0;
  if (h->bytes.empty() || off != h->at + static_cast<sqlite3_int64>(h->bytes.size())) {
    int rc = write_held(f);
    if (rc != SQLITE_OK) return rc;
    const bool starts_run = (frame_header && !commit_header) || (amt == kWalHeader && off == 0);
    if (!starts_run) return f->real->pMethods->xWrite(f->real, buf, amt, off);
    h->at = off;
  }
  try {
    h->bytes.append(static_cast<const char*>(buf), static_cast<size_t>(amt));
  } catch (...) {  // no memory for it: what is held, then this write, as SQLite asked
    int rc = write_held(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xWrite(f->real, buf, amt, off);
  }
  if (frame_header) {
    ++h->frames;
    h->commit_header = commit_header;
    return SQLITE_OK;  // its page comes next
  }
  if (h->commit_header || h->bytes.size() >= kMaxHeld) return write_held(f);
  return SQLITE_OK;
}

// A method of the default VFS's file, called as it is.
template <auto kMethod, class... Args>
auto pass(sqlite3_file* file, Args... args) {
  return (real(file)->pMethods->*kMethod)(real(file), args...);
}

// The same once what is held is written: a read, sync, size or truncation sees every frame.
template <auto kMethod, class... Args>
int after_held(sqlite3_file* file, Args... args) {
  int rc = write_held(of(file));
  if (rc != SQLITE_OK) return rc;
  return (real(file)->pMethods->*kMethod)(real(file), args...);
}

using M = sqlite3_io_methods;
const sqlite3_io_methods kMethods = {
    3,  // iVersion: shared memory and memory-mapped reads, as the unix VFS has
    x_close,
    after_held<&M::xRead>,
    x_write,
    after_held<&M::xTruncate>,
    after_held<&M::xSync>,
    after_held<&M::xFileSize>,
    pass<&M::xLock>,
    pass<&M::xUnlock>,
    pass<&M::xCheckReservedLock>,
    pass<&M::xFileControl>,
    pass<&M::xSectorSize>,
    pass<&M::xDeviceCharacteristics>,
    pass<&M::xShmMap>,
    pass<&M::xShmLock>,
    pass<&M::xShmBarrier>,
    pass<&M::xShmUnmap>,
    after_held<&M::xFetch>,
    pass<&M::xUnfetch>,
};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = of(file);
  f->base.pMethods = nullptr;  // SQLite calls no method of a file whose open failed
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->held = nullptr;
  int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (const sqlite3_io_methods* m = f->real->pMethods; m == nullptr || m->iVersion < 3) {
    if (m != nullptr) m->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  // Without memory for the run, the WAL is written as SQLite asks.
  if (flags & SQLITE_OPEN_WAL) f->held = new (std::nothrow) Held;
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

void register_vfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr) return;  // then connections use the default
  // The default VFS with xOpen of our own; its other methods are its own, called with this
  // copy, whose fields (pAppData, mxPathname) are the same.
  g_vfs = *g_base;
  g_vfs.pNext = nullptr;
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_base->szOsFile;
  g_vfs.zName = "tegami-wal";
  g_vfs.xOpen = x_open;
  if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) g_base = nullptr;
}

}  // namespace

const char* wal_vfs_name() {
  static std::once_flag once;
  std::call_once(once, register_vfs);
  return g_base != nullptr ? g_vfs.zName : nullptr;
}

WalVfsCounts wal_vfs_counts() {
  return {g_combined_writes.load(std::memory_order_relaxed),
          g_combined_frames.load(std::memory_order_relaxed)};
}

}  // namespace tegami::store::sqlite
