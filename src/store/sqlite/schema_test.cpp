// The schema: hot queries use indexes (no full scans, so a mailbox of a million messages costs
// a range scan), and migration bookkeeping.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

using SchemaTest = StoreTest;

std::vector<std::string> plan(sqlite3* db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &s, nullptr),
            SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 3)));
  }
  sqlite3_finalize(s);
  return out;
}

TEST_F(SchemaTest, HotQueriesUseIndexes) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ + "/tegami.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  const char* queries[] = {
      "SELECT uid, modseq, flags FROM messages WHERE mailbox_id = 1 ORDER BY uid",
      "SELECT uid, modseq, flags FROM messages WHERE mailbox_id = 1 AND uid = 5",
      "SELECT uid, modseq FROM messages WHERE mailbox_id = 1 AND modseq > 7 ORDER BY uid",
      "SELECT uid FROM expunged WHERE mailbox_id = 1 AND modseq > 7 ORDER BY uid",
      "SELECT 1 FROM messages WHERE blob_id = 3",
      "SELECT id FROM blobs WHERE hash = 'x'",
      "DELETE FROM blobs WHERE refcount = 0 RETURNING hash, in_file, log_segment, log_at, size",
      "SELECT log_at, size FROM blobs WHERE in_file = 2 AND log_segment = 7 ORDER BY log_at",
      "SELECT account_id FROM addresses WHERE address = 'a@b'",
      "SELECT id FROM mailboxes WHERE account_id = 1 AND name = 'INBOX'",
      "SELECT id, name FROM mailboxes WHERE account_id = 1 AND (name = 'a' OR (name > 'a/' AND "
      "name < 'a0'))",
      "SELECT id FROM events WHERE account_id = 1 ORDER BY time DESC, id DESC LIMIT 10",
      "SELECT id FROM app_passwords WHERE account_id = 1 AND revoked = 0 ORDER BY id",
      "SELECT time, sum_messages FROM send_log WHERE account_id = 1 AND time <= 5 ORDER BY time "
      "DESC, id DESC LIMIT 1",
      "SELECT time FROM send_log WHERE account_id = 1 AND time > 5 AND refused = 0 ORDER BY "
      "time, id LIMIT 1",
      "SELECT queue_id, domain FROM queue_rcpts WHERE state = 0 AND next_attempt <= 5 ORDER BY "
      "next_attempt, queue_id, domain",
      "SELECT queue_id, domain FROM queue_rcpts WHERE state = 0 AND next_attempt <= 5 AND "
      "(next_attempt, queue_id, domain) > (1, 2, 'x') ORDER BY next_attempt, queue_id, domain",
  };
  for (const char* q : queries) {
    for (const auto& step : plan(db, q)) {
      bool full_scan = step.rfind("SCAN", 0) == 0 && step.find("INDEX") == std::string::npos;
      EXPECT_FALSE(full_scan) << q << "\n  plan: " << step;
    }
  }
  // queue_due stops at its limit: the due recipients come in index order, without a sort of
  // them all first, and from the index alone (it steps over many it does not take).
  auto due = plan(db,
                  "SELECT queue_id, domain, next_attempt FROM queue_rcpts WHERE state = 0 AND "
                  "next_attempt <= 5 ORDER BY next_attempt, queue_id, domain");
  ASSERT_FALSE(due.empty());
  for (const auto& step : due) EXPECT_EQ(step.find("TEMP B-TREE"), std::string::npos) << step;
  EXPECT_NE(due[0].find("COVERING INDEX queue_rcpts_due"), std::string::npos) << due[0];
  // A page that goes on after the previous one seeks to its place in the same index.
  auto next = plan(db,
                   "SELECT queue_id, domain, next_attempt FROM queue_rcpts WHERE state = 0 AND "
                   "next_attempt <= 5 AND (next_attempt, queue_id, domain) > (1, 2, 'x') ORDER BY "
                   "next_attempt, queue_id, domain");
  ASSERT_FALSE(next.empty());
  for (const auto& step : next) EXPECT_EQ(step.find("TEMP B-TREE"), std::string::npos) << step;
  EXPECT_NE(next[0].find("COVERING INDEX queue_rcpts_due ((next_attempt,queue_id,domain)>"),
            std::string::npos)
      << next[0];
  // changes_since must find a few recent changes through the modseq indexes.
  const std::pair<const char*, const char*> forced[] = {
      {"SELECT uid FROM messages INDEXED BY messages_modseq WHERE mailbox_id = 1 AND modseq > 7 "
       "ORDER BY uid",
       "messages_modseq"},
      {"SELECT uid FROM expunged INDEXED BY expunged_modseq WHERE mailbox_id = 1 AND modseq > 7 "
       "ORDER BY uid",
       "expunged_modseq"},
  };
  for (const auto& [q, index] : forced) {
    auto p = plan(db, q);
    ASSERT_FALSE(p.empty()) << q;
    EXPECT_NE(p[0].find(index), std::string::npos) << p[0];
  }
  sqlite3_close(db);
}

TEST_F(SchemaTest, VersionAndPragmas) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), sqlite::schema_version_known());
  sqlite3_finalize(s);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  // Every table is STRICT.
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT name FROM pragma_table_list WHERE schema = 'main' AND "
                               "type = 'table' AND name NOT LIKE 'sqlite_%' AND strict = 0",
                               -1, &s, nullptr),
            SQLITE_OK);
  while (sqlite3_step(s) == SQLITE_ROW) {
    ADD_FAILURE() << "not STRICT: " << sqlite3_column_text(s, 0);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  open();
}

}  // namespace
}  // namespace tegami::store::testing
