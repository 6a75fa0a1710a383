// The body log (blob_log.hpp): records written once and read back, their blocks given back
// when their rows go (not while an older reader may still read them), and records no row names
// reclaimed at the next start.
#include "store/sqlite/blob_log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "index/message_index.hpp"
#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

namespace fs = std::filesystem;
using sqlite::BlobLog;
using sqlite::LogPlace;
using sqlite::LogSpan;

int segments(const std::string& log_dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(log_dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

class BlobLogTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

// Whether the page at `at` of the file is in the page cache.
bool cached(const std::string& path, int64_t at) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* m = ::mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, at);
  ::close(fd);
  if (m == MAP_FAILED) return false;
  unsigned char in = 0;
  const bool ok = ::mincore(m, page, &in) == 0;
  ::munmap(m, page);
  return ok && (in & 1) != 0;
}

// Synced records far behind the end leave the page cache and still read back; the recent ones
// stay; a segment let go of leaves it whole.
TEST_F(BlobLogTest, RecordsFarBehindTheEndLeaveThePageCache) {
  auto log = std::make_unique<BlobLog>(dir_ + "/log");
  ASSERT_TRUE(log->init().ok());
  const std::string body((1 << 20) - BlobLog::kHeader, 'x');  // a footprint of 1 MiB
  ASSERT_EQ(BlobLog::footprint(body.size()), 1 << 20);
  const int n = static_cast<int>(BlobLog::kCachedBehind >> 20) + 4;
  std::vector<LogSpan> spans;
  for (int i = 0; i < n; ++i) {
    auto s = log->append(body);
    ASSERT_TRUE(s.ok()) << s.error().message;
    spans.push_back(*s);
  }
  const std::string path = log->path_for(spans[0].segment->id);
  ASSERT_TRUE(cached(path, 0));
  ASSERT_TRUE(BlobLog::sync(*spans[0].segment).ok());
  EXPECT_FALSE(cached(path, 0));
  EXPECT_FALSE(cached(path, spans[3].at));
  EXPECT_TRUE(cached(path, spans[4].at));
  EXPECT_TRUE(cached(path, spans.back().at));
  EXPECT_EQ(*log->read(spans[0].place()), body);
  spans.clear();
  log.reset();
  EXPECT_FALSE(cached(path, (int64_t{n} - 1) << 20));
}

TEST_F(BlobLogTest, RecordsAreAlignedReadBackAndPunched) {
  BlobLog log(dir_ + "/log");
  ASSERT_TRUE(log.init().ok());
  const std::string a(100 * 1024, 'a'), b(40000, 'b'), c(5, 'c');
  auto sa = log.append(a), sb = log.append(b), sc = log.append(c);
  ASSERT_TRUE(sa.ok() && sb.ok() && sc.ok());
  EXPECT_EQ(sa->segment, sb->segment);
  EXPECT_EQ(sa->at, 0);
  EXPECT_EQ(sb->at, BlobLog::footprint(a.size()));
  EXPECT_EQ(sc->at, sb->at + BlobLog::footprint(b.size()));
  EXPECT_EQ(BlobLog::footprint(a.size()) % BlobLog::kAlign, 0);
  EXPECT_GE(BlobLog::footprint(a.size()), static_cast<int64_t>(a.size()) + BlobLog::kHeader);
  ASSERT_TRUE(BlobLog::sync(*sa->segment).ok());
  EXPECT_EQ(*log.read(sa->place()), a);
  EXPECT_EQ(*log.read(sb->place()), b);
  EXPECT_EQ(*log.read(sc->place()), c);

  log.punch(sb->place());
  auto gone = log.read(sb->place());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.code(), Errc::kNotFound);
  EXPECT_EQ(*log.read(sa->place()), a) << "neighbours keep their bytes";
  EXPECT_EQ(*log.read(sc->place()), c);
  EXPECT_EQ(log_allocated(log.dir()), BlobLog::footprint(a.size()) + BlobLog::footprint(c.size()));

  // A place that does not match its record is refused, not returned as something else.
  LogPlace wrong = sa->place();
  wrong.size = 99;
  EXPECT_EQ(log.read(wrong).code(), Errc::kInternal);
  wrong = sa->place();
  wrong.at = 4096;
  EXPECT_EQ(log.read(wrong).code(), Errc::kInternal);
  wrong = sc->place();
  wrong.size = 10000;  // past the end of the file
  EXPECT_EQ(log.read(wrong).code(), Errc::kInternal);
  EXPECT_EQ(log.read({12345, 0, 5}).code(), Errc::kNotFound) << "no such segment";
}

TEST_F(BlobLogTest, CleanupKeepsOnlyWhatRowsName) {
  const std::string a(50000, 'a'), b(60000, 'b'), c(70000, 'c');
  LogSpan sa, sb, sc, other;
  {
    BlobLog log(dir_ + "/log");
    ASSERT_TRUE(log.init().ok());
    sa = *log.append(a);
    sb = *log.append(b);
    sc = *log.append(c);
    BlobLog second(dir_ + "/log");  // another process: a segment of its own
    other = *second.append(a);
    EXPECT_NE(other.segment->id, sa.segment->id);
  }
  std::ofstream(dir_ + "/log/notes.txt") << "not a segment";
  const int64_t seg = sa.segment->id;
  BlobLog log(dir_ + "/log");
  int removed = log.cleanup([&](int64_t id) -> Result<std::vector<LogPlace>> {
    if (id == seg) return std::vector<LogPlace>{sb.place()};
    return std::vector<LogPlace>{};
  });
  EXPECT_EQ(removed, 1) << "the other segment is named by no row";
  EXPECT_FALSE(fs::exists(log.path_for(other.segment->id)));
  EXPECT_TRUE(fs::exists(dir_ + "/log/notes.txt"));
  EXPECT_EQ(log_allocated(log.dir()), BlobLog::footprint(b.size()))
      << "the records before and after the named one are punched";
  EXPECT_EQ(*log.read(sb.place()), b);
  EXPECT_EQ(log.read(sa.place()).code(), Errc::kNotFound);
  EXPECT_EQ(log.read(sc.place()).code(), Errc::kNotFound);
  // Unsure about a segment: it is left alone.
  removed = log.cleanup([&](int64_t) -> Result<std::vector<LogPlace>> {
    return make_error(Errc::kTemporary, "busy");
  });
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(*log.read(sb.place()), b);
}

TEST(ReadEpochs, AReaderHoldsBackWhatWasFreedAfterItBegan) {
  BlobLog::ReadEpochs e;
  EXPECT_EQ(e.oldest_reader(), 0u);
  uint64_t r1 = e.begin();
  uint64_t freed = e.advance();  // a commit deleted rows r1 may still see
  EXPECT_LT(e.oldest_reader(), freed);
  uint64_t r2 = e.begin();  // began after that commit: cannot see the rows
  EXPECT_EQ(r2, freed);
  e.end(r1);
  EXPECT_GE(e.oldest_reader(), freed);
  e.end(r2);
  EXPECT_EQ(e.oldest_reader(), freed);
}

// ---- through the store

// Bodies go to the log even when the writer is idle, as they do under load.
class BodyLogStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    log_always();
  }
};

std::string log_dir(const std::string& dir) { return dir + "/blobs/log"; }

int64_t query_int(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2((dir + "/tegami.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
  int64_t v = -1;
  if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

TEST_F(BodyLogStoreTest, MidSizedBodiesAreWrittenOnceAndComeBack) {
  Account a = account("log@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  Mailbox other = *store_->create_mailbox(a.id, "Other", "");
  const std::string raw = sample_message("log", 100 * 1024);
  auto d = store_->deliver(raw, sample_index("log"), {target(a, inbox.id), target(a, other.id)}, 1);
  ASSERT_TRUE(d.ok()) << d.error().message;
  const Id blob = store_->list_messages(inbox.id)->at(0).blob_id;
  EXPECT_EQ(query_int(dir_, "SELECT in_file FROM blobs WHERE id = " + std::to_string(blob)), 2);
  EXPECT_EQ(query_int(dir_, "SELECT COUNT(*) FROM blob_data"), 0) << "not in the database";
  EXPECT_EQ(log_allocated(log_dir(dir_)), BlobLog::footprint(raw.size())) << "stored once";
  EXPECT_EQ(*store_->read_blob(blob), raw);
  reopen();
  log_always();
  EXPECT_EQ(*store_->read_blob(blob), raw);
  EXPECT_EQ(log_allocated(log_dir(dir_)), BlobLog::footprint(raw.size()));

  // Delivered again: the same content is found, and the second copy given back.
  ASSERT_TRUE(store_->deliver(raw, sample_index("log"), {target(a, inbox.id)}, 2).ok());
  EXPECT_EQ(log_allocated(log_dir(dir_)), BlobLog::footprint(raw.size()));
  EXPECT_EQ(store_->list_messages(inbox.id)->at(1).blob_id, blob);

  ASSERT_TRUE(store_->expunge(inbox.id, {1, 2}).ok());
  EXPECT_EQ(*store_->read_blob(blob), raw) << "still in Other";
  ASSERT_TRUE(store_->expunge(other.id, {1}).ok());
  EXPECT_EQ(store_->read_blob(blob).code(), Errc::kNotFound);
  EXPECT_EQ(log_allocated(log_dir(dir_)), 0) << "the blocks are given back with the last row";

  // Smaller bodies stay in the database; larger ones in files.
  put(a, inbox.id, sample_message("small", sqlite::kLogMin - 200));
  put(a, inbox.id, sample_message("big", sqlite::kInlineMax + 1));
  EXPECT_EQ(log_allocated(log_dir(dir_)), 0);
  EXPECT_EQ(query_int(dir_, "SELECT COUNT(*) FROM blob_data"), 1);
  EXPECT_EQ(query_int(dir_, "SELECT COUNT(*) FROM blobs WHERE in_file = 1"), 1);
}

// A plain text body's search text is its own tail (schema 5) and is not stored twice: in the
// log as in the database, SEARCH and the index read it from the content.
TEST_F(BodyLogStoreTest, ASearchTextThatIsTheBodyIsReadFromTheLog) {
  Account a = account("search@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  std::string text;
  for (int i = 0; text.size() < 60 * 1024; ++i) text += "line " + std::to_string(i) + " words\r\n";
  const std::string raw = "From: a@example.org\r\nSubject: plain\r\n\r\n" + text;
  const index::MessageIndex idx = index::build(raw);
  ASSERT_EQ(idx.search_body.size(), text.size()) << "the search text is the body as stored";
  ASSERT_TRUE(store_->deliver(raw, idx, {target(a, inbox.id)}, 1).ok());
  const Id blob = store_->list_messages(inbox.id)->at(0).blob_id;
  EXPECT_EQ(query_int(dir_, "SELECT in_file FROM blobs"), 2);
  EXPECT_EQ(query_int(dir_, "SELECT length(search_body) FROM blobs"), 0) << "not stored twice";
  auto got = store_->read_index(blob);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->search_body, idx.search_body);
  auto fields = store_->read_search_fields({blob});
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  ASSERT_TRUE(fields->at(0).has_value());
  EXPECT_EQ(fields->at(0)->search_body, idx.search_body);
}

// With the writer idle, a body is committed alone: one fsync of the WAL costs less than the
// log's and then the WAL's, so it goes to the database.
TEST_F(StoreTest, ABodyForAnIdleWriterStaysInTheDatabase) {
  Account a = account("idle@example.org");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // past the lazy sync too
  put(a, mailbox(a.id, "INBOX").id, sample_message("idle", 100 * 1024));
  EXPECT_EQ(query_int(dir_, "SELECT in_file FROM blobs"), 0);
  EXPECT_EQ(log_allocated(log_dir(dir_)), 0);
}

TEST_F(BodyLogStoreTest, AnOlderReaderStillReadsARecordWhoseRowIsGone) {
  Account a = account("reader@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  const std::string raw = sample_message("held", 64 * 1024);
  put(a, inbox.id, raw);
  const Id blob = store_->list_messages(inbox.id)->at(0).blob_id;
  Status st = store_->read_together([&]() -> Status {
    EXPECT_EQ(*store_->read_blob(blob), raw);  // the snapshot begins
    // Another session expunges it (and the writer commits) while this one reads.
    std::thread t([&] { EXPECT_TRUE(store_->expunge(inbox.id, {1}).ok()); });
    t.join();
    auto again = store_->read_blob(blob);
    EXPECT_TRUE(again.ok() && *again == raw) << "this snapshot still has the row";
    EXPECT_EQ(log_allocated(log_dir(dir_)), BlobLog::footprint(raw.size()));
    return {};
  });
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(store_->read_blob(blob).code(), Errc::kNotFound);
  // The next commit gives the blocks back, now that no older reader is open.
  ASSERT_TRUE(store_->create_mailbox(a.id, "Later", "").ok());
  EXPECT_EQ(log_allocated(log_dir(dir_)), 0);
}

TEST_F(BodyLogStoreTest, AFailedDeliveryGivesItsRecordBack) {
  const std::string raw = sample_message("over", 50 * 1024);
  Account a = account("quota@example.org", static_cast<int64_t>(raw.size()) - 1);
  auto d = store_->deliver(raw, sample_index("over"), {target(a, mailbox(a.id, "INBOX").id)}, 1);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.code(), Errc::kOverQuota);
  EXPECT_EQ(log_allocated(log_dir(dir_)), 0);
  EXPECT_EQ(query_int(dir_, "SELECT COUNT(*) FROM blobs"), 0);
}

// The queue's outcomes commit without their own fsync (Writer::Sync::kWithNext): a record they
// free is punched only once that commit is on disk (the sync kLazySyncMs later at the latest).
TEST_F(BodyLogStoreTest, ARecordFreedByAQueueOutcomeWaitsForItsSync) {
  Account a = account("relay@example.org");
  Submission sub;
  sub.account_id = a.id;
  QueuedMessage out;
  out.env_from = "relay@example.org";
  out.expires = 2000000000;
  QueueRecipient r;
  r.address = "x@remote.example";
  r.domain = "remote.example";
  out.rcpts.push_back(r);
  sub.outbound = out;
  sub.recipients = 1;
  const std::string raw = sample_message("out", 100 * 1024);
  auto s = store_->submit(raw, sample_index("out"), sub, 1000);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto q = store_->queue_get(s->queue_id());
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(log_allocated(log_dir(dir_)), BlobLog::footprint(raw.size()));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_
                  ->queue_update(q->id,
                                 {{q->rcpts[0].id, RcptState::kDelivered, 0, "250 ok",
                                   "mx.remote.example", 1001}},
                                 false, {})
                  .ok());
  const int64_t right_after = log_allocated(log_dir(dir_));
  if (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(10)) {
    EXPECT_EQ(right_after, BlobLog::footprint(raw.size())) << "not before the commit is synced";
  }
  EXPECT_EQ(store_->queue_get(q->id).code(), Errc::kNotFound);
  int64_t now = right_after;
  for (int i = 0; i < 200 && now != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = log_allocated(log_dir(dir_));
  }
  EXPECT_EQ(now, 0) << "punched after the sync that follows";
}

// A record that cannot be written refuses the delivery with the reason (the sender keeps the
// message and tries again); nothing is half stored, and deliveries work again once it can.
TEST_F(BodyLogStoreTest, AnAppendThatFailsRefusesTheDelivery) {
  Account a = account("full@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  fs::remove_all(log_dir(dir_));
  std::ofstream(log_dir(dir_)) << "not a folder";  // no segment can be created in it
  const std::string raw = sample_message("refused", 40 * 1024);
  auto d = store_->deliver(raw, sample_index("refused"), {target(a, inbox.id)}, 1);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("cannot create"), std::string::npos) << d.error().message;
  auto owned = std::make_shared<OwnedDelivery>();
  owned->raw = raw;
  owned->idx = sample_index("refused");
  owned->targets = {target(a, inbox.id)};
  std::promise<Result<std::vector<Delivered>>> posted;
  store_->post_delivery(owned, [&](Result<std::vector<Delivered>> r) { posted.set_value(r); });
  EXPECT_FALSE(posted.get_future().get().ok());
  EXPECT_EQ(store_->list_messages(inbox.id)->size(), 0u);
  EXPECT_EQ(query_int(dir_, "SELECT COUNT(*) FROM blobs"), 0);

  fs::remove(log_dir(dir_));
  fs::create_directory(log_dir(dir_));
  ASSERT_TRUE(store_->deliver(raw, sample_index("ok"), {target(a, inbox.id)}, 2).ok());
  EXPECT_EQ(*store_->read_blob(store_->list_messages(inbox.id)->at(0).blob_id), raw);
}

TEST_F(BodyLogStoreTest, RecordsNoRowNamesAreReclaimedAtStart) {
  Account a = account("crash@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  const std::string raw = sample_message("kept", 40 * 1024);
  put(a, inbox.id, raw);
  const Id blob = store_->list_messages(inbox.id)->at(0).blob_id;
  const int64_t seg = query_int(dir_, "SELECT log_segment FROM blobs WHERE in_file = 2");
  store_.reset();
  {
    // What a crash between the append and the commit leaves: records in the live segment,
    // and a segment of their own.
    BlobLog log(log_dir(dir_));
    const std::string garbage(90000, 'g');
    ASSERT_TRUE(log.append(garbage).ok());
    int fd = ::open(log.path_for(seg).c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
    ::close(fd);
  }
  EXPECT_EQ(segments(log_dir(dir_)), 2);
  EXPECT_GT(log_allocated(log_dir(dir_)), 2 * 90000);
  open();
  log_always();
  EXPECT_EQ(segments(log_dir(dir_)), 1);
  EXPECT_EQ(log_allocated(log_dir(dir_)), BlobLog::footprint(raw.size()));
  EXPECT_EQ(*store_->read_blob(blob), raw);
  // A new start appends to a new segment.
  put(a, inbox.id, sample_message("next", 40 * 1024));
  EXPECT_EQ(segments(log_dir(dir_)), 2);
}

}  // namespace
}  // namespace tegami::store::testing
