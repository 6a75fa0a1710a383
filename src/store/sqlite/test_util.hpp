// Test fixture for the SQLite store tests: every test gets a fresh temporary data folder.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "index/message_index.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"
#include "store/store.hpp"

namespace tegami::store::testing {

inline std::string make_temp_dir() {
  std::string base = std::filesystem::temp_directory_path().string() + "/tegami-store-XXXXXX";
  char* p = ::mkdtemp(base.data());
  if (p == nullptr) std::abort();
  return base;
}

// Bytes of the body log's segments in `log_dir` (a data folder's blobs/log) that hold data, in
// whole 4 KiB blocks, found with SEEK_DATA/SEEK_HOLE: holes are excluded, and so is the file
// system's own metadata (st_blocks also counts the extent-tree block ext4 adds once a file
// has more than four extents, which depends on how the disk was used meanwhile). Other files
// there are ignored.
inline int64_t log_allocated(const std::string& log_dir) {
  constexpr int64_t kBlock = 4096;
  int64_t total = 0;
  if (!std::filesystem::exists(log_dir)) return 0;
  for (const auto& e : std::filesystem::directory_iterator(log_dir)) {
    if (e.path().filename().string().size() != 16) continue;
    int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (off_t pos = 0;;) {
      off_t data = ::lseek(fd, pos, SEEK_DATA);
      if (data < 0) break;  // ENXIO: no data after pos
      off_t hole = ::lseek(fd, data, SEEK_HOLE);
      if (hole < 0) break;
      total += (hole + kBlock - 1) / kBlock * kBlock - data / kBlock * kBlock;
      pos = hole;
    }
    ::close(fd);
  }
  return total;
}

inline index::MessageIndex sample_index(const std::string& subject) {
  index::MessageIndex x;
  x.envelope = "(\"Mon, 1 Jan 2024 00:00:00 +0000\" \"" + subject + "\" NIL NIL NIL NIL NIL)";
  x.body_structure = "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 NIL)";
  x.body = "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1)";
  x.parts = std::string("\x01\x00\x02\xff", 4);  // binary, with a NUL
  x.search_headers = "Subject: " + subject + "\n";
  x.search_body = "hello \xe3\x81\x93\xe3\x82\x93\n";
  x.sent_date = 1704067200;
  x.subject = subject;
  x.from = "alice@example.org";
  x.message_id = "id-" + subject + "@example.org";
  return x;
}

inline DeliveryTarget target(const Account& a, Id mailbox, bool enforce = true) {
  DeliveryTarget t;
  t.account_id = a.id;
  t.mailbox_id = mailbox;
  t.enforce_quota = enforce;
  return t;
}

inline std::string sample_message(const std::string& subject, size_t body_size = 5) {
  std::string m = "From: alice@example.org\r\nSubject: " + subject + "\r\n\r\n";
  m += std::string(body_size, 'x');
  m += "\r\n";
  return m;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    auto r = open_sqlite_store(dir_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    store_ = std::move(*r);
  }
  void reopen() {
    store_.reset();
    open();
  }
  // Bodies over kLogMin go to the body log even when their commit would sync nothing else (as
  // under load).
  void log_always() { static_cast<sqlite::SqliteStore&>(*store_).set_log_always(true); }
  Account account(const std::string& address, int64_t quota = 0) {
    auto a = store_->add_account(address, "$argon2id$hash", quota);
    EXPECT_TRUE(a.ok()) << a.error().message;
    return a.ok() ? *a : Account{};
  }
  Mailbox mailbox(Id account, const std::string& name) {
    auto m = store_->get_mailbox(account, name);
    EXPECT_TRUE(m.ok()) << name << ": " << m.error().message;
    return m.ok() ? *m : Mailbox{};
  }
  // Delivers to one mailbox; returns the new uid (0 on failure).
  uint32_t put(const Account& a, Id mailbox, const std::string& raw, uint32_t flags = 0,
               std::vector<std::string> keywords = {}, int64_t date = 1700000000) {
    DeliveryTarget t;
    t.account_id = a.id;
    t.mailbox_id = mailbox;
    t.flags = flags;
    t.keywords = std::move(keywords);
    auto r = store_->deliver(raw, sample_index("s"), {t}, date);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r->at(0).uid : 0;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace tegami::store::testing
