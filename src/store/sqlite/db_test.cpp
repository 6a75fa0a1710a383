// The connection wrapper: statement cache (including nested use of one SQL), error mapping,
// empty text vs NULL.
#include "store/sqlite/db.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/sqlite/blob_files.hpp"
#include "store/sqlite/test_util.hpp"

namespace tegami::store::sqlite {
namespace {

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir();
    auto d = Db::open(dir_ + "/t.db", false);
    ASSERT_TRUE(d.ok()) << d.error().message;
    db_ = std::move(*d);
    ASSERT_TRUE(db_->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT").ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, NestedUseOfOneStatement) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(db_->run("INSERT INTO t VALUES (?, ?)", i, "v").ok());
  const char* sql = "SELECT k FROM t ORDER BY k";
  auto outer = db_->prepare(sql);
  ASSERT_TRUE(outer.ok());
  int pairs = 0;
  while (*outer->step()) {
    auto inner = db_->prepare(sql);  // same SQL while the cached one is active
    ASSERT_TRUE(inner.ok());
    while (*inner->step()) ++pairs;
  }
  EXPECT_EQ(pairs, 9);
  // The cached statement is reusable afterwards.
  auto again = db_->prepare(sql);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again->step());
  EXPECT_EQ(again->i64(0), 1);
}

TEST_F(DbTest, ErrorMapping) {
  ASSERT_TRUE(db_->run("INSERT INTO t VALUES (1, '')").ok());
  Status dup = db_->run("INSERT INTO t VALUES (1, 'x')");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.code(), Errc::kExists);
  std::string_view empty;  // data() may be null: must bind '' (NOT NULL holds)
  EXPECT_TRUE(db_->run("INSERT INTO t VALUES (2, ?)", empty).ok());
  Status nn = db_->exec("INSERT INTO t VALUES (3, NULL)");
  EXPECT_EQ(nn.code(), Errc::kInvalidData);
  EXPECT_EQ(map_sqlite_code(SQLITE_BUSY), Errc::kTemporary);
  EXPECT_EQ(map_sqlite_code(SQLITE_FULL), Errc::kTemporary);
  EXPECT_EQ(map_sqlite_code(SQLITE_CONSTRAINT_FOREIGNKEY), Errc::kNotFound);
  EXPECT_EQ(map_sqlite_code(SQLITE_CORRUPT), Errc::kInternal);
  Status bad = db_->exec("SELEC nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Errc::kInternal);
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos);
}

TEST(BlobFilesTest, Sha256) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tegami::store::sqlite
