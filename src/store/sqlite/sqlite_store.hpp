// The embedded default backend: SQLite in WAL mode for metadata, message bodies
// content-addressed (small ones inline, large ones as fsynced files), group commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "store/store.hpp"

namespace tegami::store {

namespace sqlite {
// Bodies up to kLogMin bytes live in the database (blob_data), written under the transaction's
// one shared fsync; up to kInlineMax in the body log (blob_log.hpp), written once and synced
// once per group commit; larger ones in files, each with its own fsync and its folder's.
constexpr size_t kLogMin = 32 * 1024;
constexpr size_t kInlineMax = 256 * 1024;
}  // namespace sqlite

// Opens (creating if needed) the store in `data_dir` (created if missing), running schema
// migrations. Fails with a clear message when the schema is newer than this binary.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir);

// Group-commit counters of a store returned by open_sqlite_store (for tests and /metrics):
// `operations` write operations were committed in `commits` transactions (one fsync each).
struct SqliteStats {
  uint64_t commits = 0;
  uint64_t operations = 0;
  uint64_t largest_batch = 0;
  int schema_version = 0;
};
// nullopt when `store` is not an SQLite store.
std::optional<SqliteStats> sqlite_stats(const Store& store);

}  // namespace tegami::store
