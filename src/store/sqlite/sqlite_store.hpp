// The embedded default backend: SQLite in WAL mode for metadata, message bodies
// content-addressed (small ones inline, large ones as fsynced files), group commit.
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"
#include "store/store.hpp"

namespace tegami::store {

// Opens (creating if needed) the store in `data_dir` (created if missing), running schema
// migrations. Fails with a clear message when the schema is newer than this binary.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir);

}  // namespace tegami::store
