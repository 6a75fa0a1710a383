// Versioned schema migrations, kept in PRAGMA user_version (see README.md for the schema).
#pragma once

#include "base/result.hpp"
#include "store/sqlite/db.hpp"

namespace tegami::store::sqlite {

// The newest schema version this binary knows.
int schema_version_known();

// Brings the database on `db` (the write connection) to schema_version_known(), one migration
// per transaction. Fails with kInvalidData when the database is newer than this binary.
Status migrate(Db& db);

}  // namespace tegami::store::sqlite
