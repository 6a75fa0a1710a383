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

int x_read(sqlite3_file* file, void* buf, int amt, sqlite3_int64 off) {
  int rc = write_held(of(file));
  if (rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xRead(real(file), buf, amt, off);
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

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  int rc = write_held(of(file));
  if (rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xTruncate(real(file), size);
}

int x_sync(sqlite3_file* file, int flags) {
  int rc = write_held(of(file));
  if (rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xSync(real(file), flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  int rc = write_held(of(file));
  if (rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileSize(real(file), size);
}

int x_lock(sqlite3_file* file, int level) { return real(file)->pMethods->xLock(real(file), level); }

int x_unlock(sqlite3_file* file, int level) {
  return real(file)->pMethods->xUnlock(real(file), level);
}

int x_check_reserved_lock(sqlite3_file* file, int* out) {
  return real(file)->pMethods->xCheckReservedLock(real(file), out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  return real(file)->pMethods->xFileControl(real(file), op, arg);
}

int x_sector_size(sqlite3_file* file) { return real(file)->pMethods->xSectorSize(real(file)); }

int x_device_characteristics(sqlite3_file* file) {
  return real(file)->pMethods->xDeviceCharacteristics(real(file));
}

int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real(file)->pMethods->xShmMap(real(file), region, size, extend, out);
}

int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}

void x_shm_barrier(sqlite3_file* file) { real(file)->pMethods->xShmBarrier(real(file)); }

int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  return real(file)->pMethods->xShmUnmap(real(file), delete_flag);
}

int x_fetch(sqlite3_file* file, sqlite3_int64 off, int amt, void** out) {
  int rc = write_held(of(file));
  if (rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFetch(real(file), off, amt, out);
}

int x_unfetch(sqlite3_file* file, sqlite3_int64 off, void* p) {
  return real(file)->pMethods->xUnfetch(real(file), off, p);
}

const sqlite3_io_methods kMethods = {
    3,  // iVersion: shared memory and memory-mapped reads, as the unix VFS has
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = of(file);
  f->base.pMethods = nullptr;  // SQLite calls no method of a file whose open failed
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->held = nullptr;
  int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (f->real->pMethods == nullptr || f->real->pMethods->iVersion < 3) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  // Without memory for the run, the WAL is written as SQLite asks.
  if (flags & SQLITE_OPEN_WAL) f->held = new (std::nothrow) Held;
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_base->xDlSym(g_base, h, sym);
}
void x_dl_close(sqlite3_vfs*, void* h) { g_base->xDlClose(g_base, h); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return g_base->xSleep(g_base, us); }
int x_current_time(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError(g_base, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}

void register_vfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr || g_base->iVersion < 2) return;  // then connections use the default
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_base->szOsFile;
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = "tegami-wal";
  g_vfs.xOpen = x_open;
  g_vfs.xDelete = x_delete;
  g_vfs.xAccess = x_access;
  g_vfs.xFullPathname = x_full_pathname;
  g_vfs.xDlOpen = x_dl_open;
  g_vfs.xDlError = x_dl_error;
  g_vfs.xDlSym = x_dl_sym;
  g_vfs.xDlClose = x_dl_close;
  g_vfs.xRandomness = x_randomness;
  g_vfs.xSleep = x_sleep;
  g_vfs.xCurrentTime = x_current_time;
  g_vfs.xGetLastError = x_get_last_error;
  g_vfs.xCurrentTimeInt64 = x_current_time_int64;
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
