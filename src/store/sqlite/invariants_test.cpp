// After a random mix of every message operation, the counters kept by triggers, the blob
// refcounts, the files and body log on disk and the uid/modseq bookkeeping agree with the rows
// (README.md, "Invariants"), checked with plain SQL on the closed database.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <random>
#include <set>

#include "store/sqlite/blob_files.hpp"
#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

using InvariantsTest = StoreTest;

int64_t query_int(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  int64_t v = -1;
  if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

TEST_F(InvariantsTest, RandomOperationsKeepCountersTrue) {
  std::mt19937 rng(12345);
  log_always();
  std::vector<Account> accounts = {account("r1@example.org", 0), account("r2@example.org", 0)};
  auto pick_mailbox = [&](const Account& a) {
    auto boxes = store_->list_mailboxes(a.id);
    return (*boxes)[rng() % boxes->size()];
  };
  auto some_uids = [&](Id mailbox) {
    std::vector<uint32_t> uids;
    auto l = store_->list_messages(mailbox);
    for (const auto& m : *l) {
      if (rng() % 3 == 0) uids.push_back(m.uid);
    }
    uids.push_back(static_cast<uint32_t>(rng() % 50 + 1));  // maybe absent
    return uids;
  };
  for (int step = 0; step < 400; ++step) {
    const Account& a = accounts[rng() % 2];
    switch (rng() % 9) {
      case 0:
      case 1:
      case 2: {
        // A few distinct contents, some in files, some in the body log, so bodies are shared
        // and reused.
        int which = static_cast<int>(rng() % 6);
        size_t size = which < 2   ? sqlite::kInlineMax + 1024
                      : which < 4 ? sqlite::kLogMin + 1000 * which
                                  : 300;
        std::string raw = sample_message("c" + std::to_string(which), size);
        std::vector<DeliveryTarget> targets;
        for (const auto& acc : accounts) {
          if (rng() % 2 == 0 || targets.empty()) {
            targets.push_back({acc.id,
                               pick_mailbox(acc).id,
                               static_cast<uint32_t>(rng() % 32),
                               {"$k" + std::to_string(rng() % 3)},
                               true});
          }
        }
        ASSERT_TRUE(store_->deliver(raw, sample_index("r"), targets, step).ok());
        break;
      }
      case 3: {
        Mailbox m = pick_mailbox(a);
        ASSERT_TRUE(store_
                        ->store_flags(m.id, some_uids(m.id), static_cast<FlagOp>(rng() % 3),
                                      static_cast<uint32_t>(rng() % 32), {"$x"}, 0, nullptr)
                        .ok());
        break;
      }
      case 4: {
        Mailbox m = pick_mailbox(a);
        ASSERT_TRUE(store_->expunge(m.id, some_uids(m.id)).ok());
        break;
      }
      case 5: {
        Mailbox from = pick_mailbox(a), to = pick_mailbox(a);
        ASSERT_TRUE(store_->copy_messages(from.id, some_uids(from.id), to.id, false).ok());
        break;
      }
      case 6: {
        Mailbox from = pick_mailbox(a), to = pick_mailbox(a);
        ASSERT_TRUE(store_->move_messages(from.id, some_uids(from.id), to.id).ok());
        break;
      }
      case 7: {
        Mailbox m = pick_mailbox(a);
        if (m.name != "INBOX" && rng() % 4 == 0) {
          ASSERT_TRUE(store_->delete_mailbox(m.id).ok());
        } else {
          (void)store_->create_mailbox(a.id, "Box" + std::to_string(rng() % 4), "");
        }
        break;
      }
      case 8:
        if (rng() % 10 == 0) {
          (void)store_->rename_mailbox(a.id, "INBOX", "Moved" + std::to_string(step));
        }
        break;
    }
  }
  store_.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ + "/tegami.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  EXPECT_GT(query_int(db, "SELECT COUNT(*) FROM messages"), 0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM accounts a WHERE used_bytes != (SELECT "
                      "COALESCE(SUM(m.size), 0) FROM messages m JOIN mailboxes b ON "
                      "m.mailbox_id = b.id WHERE b.account_id = a.id)"),
            0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM mailboxes b WHERE "
                      "msg_count != (SELECT COUNT(*) FROM messages WHERE mailbox_id = b.id) OR "
                      "total_size != (SELECT COALESCE(SUM(size), 0) FROM messages WHERE "
                      "mailbox_id = b.id) OR unseen_count != (SELECT COUNT(*) FROM messages "
                      "WHERE mailbox_id = b.id AND (flags & 1) = 0)"),
            0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM blobs b WHERE refcount != (SELECT COUNT(*) FROM "
                      "messages WHERE blob_id = b.id) OR refcount <= 0"),
            0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM blobs b WHERE in_file = 0 AND NOT EXISTS "
                      "(SELECT 1 FROM blob_data WHERE blob_id = b.id)"),
            0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM messages m JOIN mailboxes b ON m.mailbox_id = "
                      "b.id WHERE m.uid >= b.uid_next OR m.modseq > b.highest_modseq"),
            0);
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM expunged e JOIN mailboxes b ON e.mailbox_id = "
                      "b.id WHERE e.uid >= b.uid_next OR e.modseq > b.highest_modseq OR "
                      "EXISTS (SELECT 1 FROM messages WHERE mailbox_id = e.mailbox_id AND "
                      "uid = e.uid)"),
            0);
  // The body log takes exactly the records of the in_file = 2 blobs (the rest is punched).
  const int64_t logged =
      query_int(db,
                "SELECT COALESCE(SUM((16 + size + 4095) / 4096 * 4096), 0) FROM blobs WHERE "
                "in_file = 2");
  EXPECT_GT(logged, 0);
  EXPECT_EQ(log_allocated(dir_ + "/blobs/log"), logged);
  // Files on disk are exactly the in_file = 1 blobs.
  std::set<std::string> rows;
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT hash FROM blobs WHERE in_file = 1", -1, &s, nullptr),
            SQLITE_OK);
  while (sqlite3_step(s) == SQLITE_ROW) {
    rows.insert(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  std::set<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/blobs")) {
    if (e.is_regular_file() && e.path().parent_path().filename() != "log") {
      files.insert(e.path().filename().string());
    }
  }
  EXPECT_EQ(files, rows);
  open();
}

}  // namespace
}  // namespace tegami::store::testing
