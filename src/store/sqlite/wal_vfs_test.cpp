// The VFS that writes a transaction's WAL frames with one call: commits reach the file before
// other connections can see them (also without a sync), a transaction that spills pages and
// writes some of them again comes back whole, also through WAL recovery from a copy of the
// files (which checks every frame's checksum), and a rolled-back spill leaves nothing.
#include "store/sqlite/wal_vfs.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/sqlite/db.hpp"
#include "store/sqlite/test_util.hpp"

namespace tegami::store::sqlite {
namespace {

namespace fs = std::filesystem;

#define ASSERT_OK(expr)                           \
  do {                                            \
    Status st_ = (expr);                          \
    ASSERT_TRUE(st_.ok()) << st_.error().message; \
  } while (0)

std::string value_for(int k, int round) {
  std::string v;
  for (size_t i = 0; v.size() < 3000; ++i) v += std::to_string(k * 7919 + round * 104729 + i);
  return v;
}

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    db_ = open(dir_);
    ASSERT_OK(db_->exec("PRAGMA journal_mode = WAL"));
    ASSERT_OK(db_->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"));
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  static std::unique_ptr<Db> open(const std::string& dir, bool read_only = false) {
    auto d = Db::open(dir + "/t.db", read_only);
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? std::move(*d) : nullptr;
  }
  // Every row k in [0, n) holds value_for(k, round); nothing else is there.
  static void expect_rows(Db& db, int n, int round) {
    auto s = db.prepare("SELECT k, v FROM t ORDER BY k");
    ASSERT_TRUE(s.ok());
    int k = 0;
    while (true) {
      auto row = s->step();
      ASSERT_TRUE(row.ok()) << row.error().message;
      if (!*row) break;
      ASSERT_EQ(s->i64(0), k);
      ASSERT_EQ(s->text(1), value_for(k, round)) << "row " << k;
      ++k;
    }
    EXPECT_EQ(k, n);
    auto check = db.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.ok());
    ASSERT_TRUE(*check->step());
    EXPECT_EQ(check->text(0), "ok");
  }
  // The database and its WAL copied while this process still has them open (no checkpoint on
  // close): opening the copy rebuilds the WAL index from the frames, checking each checksum.
  std::string copy_files() {
    std::string copy = testing::make_temp_dir();
    fs::copy_file(dir_ + "/t.db", copy + "/t.db");
    fs::copy_file(dir_ + "/t.db-wal", copy + "/t.db-wal");
    return copy;
  }
  std::string dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(WalVfsTest, ATransactionsFramesGoOutInOneWriteBeforeAnyoneSeesThem) {
  ASSERT_NE(wal_vfs_name(), nullptr);
  // synchronous = NORMAL: no sync at commit, so nothing but the commit frame makes the VFS
  // write what it holds before SQLite publishes the commit to other connections.
  ASSERT_TRUE(db_->exec("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 40").ok());
  auto reader = open(dir_, /*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  const WalVfsCounts before = wal_vfs_counts();
  const int kRows = 60;  // about 50 pages a transaction: the WAL restarts after checkpoints
  for (int round = 0; round < 20; ++round) {
    ASSERT_OK(db_->exec("BEGIN"));
    for (int k = 0; k < kRows; ++k) {
      ASSERT_OK(db_->run("INSERT OR REPLACE INTO t VALUES (?, ?)", k, value_for(k, round)));
    }
    ASSERT_OK(db_->exec("COMMIT"));
    expect_rows(*reader, kRows, round);
  }
  const WalVfsCounts after = wal_vfs_counts();
  EXPECT_GE(after.combined_writes - before.combined_writes, 20u);
  EXPECT_GE(after.combined_frames - before.combined_frames, 20u * 40);
  std::string copy = copy_files();
  expect_rows(*open(copy), kRows, 19);
  fs::remove_all(copy);
}

TEST_F(WalVfsTest, ASpilledTransactionWithPagesWrittenTwiceComesBackWhole) {
  // A page cache of 10 pages: the transaction writes frames before its commit (a spill), then
  // changes spilled pages again, which SQLite writes over their frames and then rewrites the
  // checksums of every frame after the first one it changed, reading them back.
  ASSERT_TRUE(db_->exec("PRAGMA synchronous = FULL; PRAGMA cache_size = 10").ok());
  const int kRows = 200;
  ASSERT_OK(db_->exec("BEGIN"));
  for (int k = 0; k < kRows; ++k) {
    ASSERT_OK(db_->run("INSERT INTO t VALUES (?, ?)", k, value_for(k, 0)));
  }
  for (int k = 0; k < kRows; ++k) {
    ASSERT_OK(db_->run("UPDATE t SET v = ? WHERE k = ?", value_for(k, 1), k));
  }
  ASSERT_OK(db_->exec("COMMIT"));
  expect_rows(*db_, kRows, 1);
  auto reader = open(dir_, /*read_only=*/true);
  expect_rows(*reader, kRows, 1);
  std::string copy = copy_files();
  expect_rows(*open(copy), kRows, 1);
  fs::remove_all(copy);
}

TEST_F(WalVfsTest, ARolledBackSpillLeavesNothing) {
  ASSERT_TRUE(db_->exec("PRAGMA synchronous = FULL; PRAGMA cache_size = 10").ok());
  ASSERT_OK(db_->run("INSERT INTO t VALUES (?, ?)", 0, value_for(0, 5)));
  ASSERT_OK(db_->exec("BEGIN"));
  for (int k = 1; k < 200; ++k) {
    ASSERT_OK(db_->run("INSERT INTO t VALUES (?, ?)", k, value_for(k, 5)));
  }
  ASSERT_OK(db_->exec("ROLLBACK"));
  ASSERT_OK(db_->run("INSERT INTO t VALUES (?, ?)", 1, value_for(1, 5)));
  expect_rows(*db_, 2, 5);
  std::string copy = copy_files();
  expect_rows(*open(copy), 2, 5);
  fs::remove_all(copy);
}

}  // namespace
}  // namespace tegami::store::sqlite
