// A VFS over SQLite's default one ("unix") that hands a transaction's WAL frames to the kernel
// in one write instead of two per page (a 24-byte frame header, then the page): a 1 KB delivery
// was 18 pwrite calls, a 100 KB one 66. Every other file, and every other operation on the WAL,
// goes straight through. See wal_vfs.cpp for when buffered frames are written.
#pragma once

#include <cstdint>

namespace tegami::store::sqlite {

// The VFS's name for sqlite3_open_v2 (registered, not as the default, on first call).
const char* wal_vfs_name();

// Process-wide counts since start, for tests: frames that went through a combined write and
// the writes that carried them.
struct WalVfsCounts {
  uint64_t combined_writes = 0;
  uint64_t combined_frames = 0;
};
WalVfsCounts wal_vfs_counts();

}  // namespace tegami::store::sqlite
