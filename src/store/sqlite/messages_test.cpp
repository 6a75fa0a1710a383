// Messages of the SQLite store: delivery, shared bodies, quota, flags, changes, copy, move,
// expunge, persistence, schema refusal and orphan cleanup.
#include <gtest/gtest.h>

#include <sqlite3.h>
#include "store/sqlite/schema.hpp"

#include <filesystem>
#include <fstream>
#include <future>

#include "index/message_index.hpp"
#include "store/sqlite/blob_files.hpp"
#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

namespace fs = std::filesystem;
using MessagesTest = StoreTest;

std::string blob_path(const std::string& dir, const std::string& raw) {
  std::string h = sqlite::sha256_hex(raw);
  return dir + "/blobs/" + h.substr(0, 2) + "/" + h;
}

TEST_F(MessagesTest, DeliverListReadIndex) {
  Account a = account("alice@example.org", 0);
  Mailbox inbox = mailbox(a.id, "INBOX");
  std::string raw = sample_message("hello");
  DeliveryTarget t = target(a, inbox.id);
  t.flags = kFlagged | 0x1000;  // unknown bits are dropped
  t.keywords = {"$Forwarded", "", "$forwarded", "bad kw", "$Junk"};
  index::MessageIndex idx = sample_index("hello");
  auto d = store_->deliver(raw, idx, {t}, 1700000001);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].uid, 1u);
  EXPECT_EQ((*d)[0].account_id, a.id);
  EXPECT_EQ((*d)[0].mailbox_id, inbox.id);
  EXPECT_GT((*d)[0].modseq, inbox.highest_modseq);

  auto list = store_->list_messages(inbox.id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  const MessageMeta& m = (*list)[0];
  EXPECT_EQ(m.uid, 1u);
  EXPECT_EQ(m.modseq, (*d)[0].modseq);
  EXPECT_EQ(m.flags, static_cast<uint32_t>(kFlagged));
  EXPECT_EQ(m.keywords, (std::vector<std::string>{"$Forwarded", "$Junk"}));
  EXPECT_EQ(m.internal_date, 1700000001);
  EXPECT_EQ(m.size, static_cast<int64_t>(raw.size()));
  EXPECT_GT(m.save_date, 0);

  auto body = store_->read_blob(m.blob_id);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, raw);
  auto x = store_->read_index(m.blob_id);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->envelope, idx.envelope);
  EXPECT_EQ(x->body_structure, idx.body_structure);
  EXPECT_EQ(x->body, idx.body);
  EXPECT_EQ(x->parts, idx.parts);
  EXPECT_EQ(x->search_headers, idx.search_headers);
  EXPECT_EQ(x->search_body, idx.search_body);
  EXPECT_EQ(x->sent_date, idx.sent_date);
  EXPECT_EQ(x->subject, idx.subject);
  EXPECT_EQ(x->from, idx.from);
  EXPECT_EQ(x->message_id, idx.message_id);
  EXPECT_EQ(store_->read_blob(9999).code(), Errc::kNotFound);
  EXPECT_EQ(store_->read_index(9999).code(), Errc::kNotFound);

  Mailbox after = mailbox(a.id, "INBOX");
  EXPECT_EQ(after.messages, 1u);
  EXPECT_EQ(after.unseen, 1u);
  EXPECT_EQ(after.size, static_cast<int64_t>(raw.size()));
  EXPECT_EQ(after.uid_next, 2u);
  EXPECT_EQ(after.highest_modseq, m.modseq);
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, static_cast<int64_t>(raw.size()));

  put(a, inbox.id, sample_message("second"), kSeen);
  put(a, inbox.id, sample_message("third"));
  auto some = store_->get_messages(inbox.id, {3, 1, 99, 3});
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 2u);
  EXPECT_EQ((*some)[0].uid, 1u);
  EXPECT_EQ((*some)[1].uid, 3u);
  EXPECT_EQ(mailbox(a.id, "INBOX").unseen, 2u);
  EXPECT_EQ(store_->list_messages(4242).code(), Errc::kNotFound);
  EXPECT_EQ(store_->get_messages(4242, {1}).code(), Errc::kNotFound);
}

TEST_F(MessagesTest, ReadSearchFieldsInOrderWithGaps) {
  Account a = account("search@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  DeliveryTarget t{a.id, inbox.id, 0, {}, true};
  std::vector<Id> blobs;
  for (const char* s : {"one", "two", "three"}) {
    auto d = store_->deliver(sample_message(s), sample_index(s), {t}, 1700000000);
    ASSERT_TRUE(d.ok());
    auto m = store_->get_messages(inbox.id, {d->at(0).uid});
    ASSERT_TRUE(m.ok());
    blobs.push_back(m->at(0).blob_id);
  }
  // Any order, repeats, and blobs that do not exist (nullopt in their place).
  auto r = store_->read_search_fields({blobs[2], 9999, blobs[0], blobs[2]});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  ASSERT_TRUE((*r)[0] && (*r)[2] && (*r)[3]);
  EXPECT_FALSE((*r)[1]);
  EXPECT_EQ((*r)[0]->search_headers, "Subject: three\n");
  EXPECT_EQ((*r)[2]->search_headers, "Subject: one\n");
  EXPECT_EQ((*r)[3]->search_headers, "Subject: three\n");
  EXPECT_EQ((*r)[0]->search_body, sample_index("x").search_body);
  EXPECT_EQ((*r)[0]->sent_date, 1704067200);
  EXPECT_TRUE((*r)[0]->envelope.empty());  // only what SEARCH reads
  auto none = store_->read_search_fields({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(MessagesTest, CountDeleted) {
  Account a = account("deleted@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  Mailbox other = mailbox(a.id, "Archive");
  put(a, inbox.id, sample_message("a"), kDeleted | kSeen);
  put(a, inbox.id, sample_message("b"), kSeen);
  uint32_t c = put(a, inbox.id, sample_message("c"), kDeleted);
  put(a, other.id, sample_message("d"), kDeleted);
  EXPECT_EQ(*store_->count_deleted(inbox.id), 2u);
  ASSERT_TRUE(store_->store_flags(inbox.id, {c}, FlagOp::kRemove, kDeleted, {}, 0, nullptr).ok());
  EXPECT_EQ(*store_->count_deleted(inbox.id), 1u);
  EXPECT_EQ(*store_->count_deleted(other.id), 1u);
  EXPECT_EQ(store_->count_deleted(9999).code(), Errc::kNotFound);
}

// Schema 5: a search text that is the content's own tail (a plain text body) is kept once, as
// a reference; readers see the same text as before. Other texts are stored as they are.
TEST_F(MessagesTest, SearchTextThatIsTheBodyIsNotStoredTwice) {
  Account a = account("reader@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  auto stored = [&](Id blob) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_ + "/tegami.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT length(search_body), search_body_at FROM blobs WHERE id = ?", -1,
                       &st, nullptr);
    sqlite3_bind_int64(st, 1, blob);
    std::pair<int64_t, int64_t> out{-2, -2};
    if (sqlite3_step(st) == SQLITE_ROW)
      out = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  };
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "line " + std::to_string(i) + " caf\xc3\xa9 searchable words\r\n";
  const std::string head = "From: a@example.org\r\nSubject: plain\r\n\r\n";
  const std::string plain = head + text;
  const std::string multi =
      "From: a@example.org\r\nSubject: multi\r\nMIME-Version: 1.0\r\nContent-Type: "
      "multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" +
      text + "--b\r\nContent-Type: application/octet-stream\r\n\r\nxyz\r\n--b--\r\n";
  const std::string small = head + "short\r\n";
  std::vector<Id> blobs;
  std::vector<index::MessageIndex> idxs;
  for (const std::string* raw : {&plain, &multi, &small}) {
    idxs.push_back(index::build(*raw));
    auto d = store_->deliver(*raw, idxs.back(), {target(a, inbox.id)}, 1);
    ASSERT_TRUE(d.ok()) << d.error().message;
    blobs.push_back(store_->list_messages(inbox.id)->back().blob_id);
  }
  EXPECT_EQ(stored(blobs[0]), (std::pair<int64_t, int64_t>{0, static_cast<int64_t>(head.size())}));
  EXPECT_EQ(stored(blobs[1]).second, -1);
  EXPECT_GT(stored(blobs[1]).first, static_cast<int64_t>(text.size()) - 100);
  EXPECT_EQ(stored(blobs[2]).second, -1);
  auto fields = store_->read_search_fields(blobs);
  ASSERT_TRUE(fields.ok());
  for (size_t i = 0; i < blobs.size(); ++i) {
    EXPECT_EQ(store_->read_index(blobs[i])->search_body, idxs[i].search_body) << i;
    ASSERT_TRUE((*fields)[i].has_value());
    EXPECT_EQ((*fields)[i]->search_body, idxs[i].search_body) << i;
  }
  EXPECT_EQ(idxs[0].search_body, text) << "a plain text body is its own search text";
}

TEST_F(MessagesTest, DeliveryFailures) {
  Account a = account("bob@example.org");
  Account b = account("carol@example.org");
  Mailbox b_inbox = mailbox(b.id, "INBOX");
  std::string raw = sample_message("x");
  EXPECT_EQ(store_->deliver(raw, sample_index("x"), {}, 1).code(), Errc::kInvalidData);
  // A mailbox of another account, and an unknown mailbox: nothing stored for anyone.
  auto r =
      store_->deliver(raw, sample_index("x"), {target(b, b_inbox.id), target(a, b_inbox.id)}, 1);
  EXPECT_EQ(r.code(), Errc::kNotFound);
  EXPECT_EQ(store_->deliver(raw, sample_index("x"), {target(a, 99999)}, 1).code(), Errc::kNotFound);
  EXPECT_TRUE(store_->list_messages(b_inbox.id)->empty());
  EXPECT_EQ(store_->get_account(b.id)->used_bytes, 0);
}

TEST_F(MessagesTest, QuotaIsEnforcedAtomically) {
  std::string raw = sample_message("q", 1000);
  const int64_t size = static_cast<int64_t>(raw.size());
  Account small = account("small@example.org", size * 2);
  Account big = account("big@example.org", 0);  // unlimited
  Mailbox s_inbox = mailbox(small.id, "INBOX");
  Mailbox b_inbox = mailbox(big.id, "INBOX");
  put(small, s_inbox.id, raw);
  put(small, s_inbox.id, raw);
  EXPECT_EQ(store_->get_account(small.id)->used_bytes, size * 2);

  // Over quota for one target: the whole delivery stores nothing.
  auto r = store_->deliver(raw, sample_index("q"),
                           {target(big, b_inbox.id), target(small, s_inbox.id)}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kOverQuota);
  EXPECT_TRUE(store_->list_messages(b_inbox.id)->empty());
  EXPECT_EQ(store_->list_messages(s_inbox.id)->size(), 2u);
  EXPECT_EQ(store_->get_account(small.id)->used_bytes, size * 2);
  EXPECT_EQ(store_->get_account(big.id)->used_bytes, 0);
  EXPECT_EQ(mailbox(small.id, "INBOX").uid_next, 3u) << "no uid consumed";

  // enforce_quota = false always accepts (bounces, moves to Trash).
  r = store_->deliver(raw, sample_index("q"), {target(small, s_inbox.id, false)}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(store_->get_account(small.id)->used_bytes, size * 3);

  // Copy with quota enforcement fails; without succeeds. Expunge gives bytes back.
  Mailbox archive = mailbox(small.id, "Archive");
  EXPECT_EQ(store_->copy_messages(s_inbox.id, {1}, archive.id, true).code(), Errc::kOverQuota);
  EXPECT_TRUE(store_->list_messages(archive.id)->empty());
  auto gone = store_->expunge(s_inbox.id, {1, 2});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(store_->get_account(small.id)->used_bytes, size);
  EXPECT_TRUE(store_->copy_messages(s_inbox.id, {3}, archive.id, true).ok());
  EXPECT_EQ(store_->get_account(small.id)->used_bytes, size * 2);

  // Quota 0 is unlimited.
  for (int i = 0; i < 5; ++i) put(big, b_inbox.id, raw);
  EXPECT_EQ(store_->get_account(big.id)->used_bytes, size * 5);
}

// One delivery to three recipients stores one body; the file goes with the last reference.
void shared_blob_case(StoreTest* t, std::unique_ptr<Store>& store, const std::string& dir,
                      size_t body) {
  std::vector<Account> accounts;
  std::vector<DeliveryTarget> targets;
  for (int i = 0; i < 3; ++i) {
    auto a = store->add_account("user" + std::to_string(i) + "@example.org", "h", 0);
    ASSERT_TRUE(a.ok());
    accounts.push_back(*a);
    targets.push_back(target(*a, store->get_mailbox(a->id, "INBOX")->id));
  }
  std::string raw = sample_message("shared", body);
  auto d = store->deliver(raw, sample_index("shared"), targets, 1);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 3u);
  Id blob = 0;
  for (int i = 0; i < 3; ++i) {
    auto l = store->list_messages(targets[i].mailbox_id);
    ASSERT_EQ(l->size(), 1u);
    if (i == 0) blob = (*l)[0].blob_id;
    EXPECT_EQ((*l)[0].blob_id, blob) << "one body for every recipient";
    EXPECT_EQ(store->get_account(accounts[i].id)->used_bytes, static_cast<int64_t>(raw.size()));
  }
  const bool big = body > sqlite::kInlineMax;
  std::string path = blob_path(dir, raw);
  EXPECT_EQ(fs::exists(path), big);
  if (big) {
    EXPECT_EQ(fs::file_size(path), raw.size());
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*store->read_blob(blob), raw);
    auto gone = store->expunge(targets[i].mailbox_id, {(*d)[i].uid});
    ASSERT_TRUE(gone.ok());
    EXPECT_EQ(*gone, std::vector<uint32_t>{(*d)[i].uid});
    EXPECT_EQ(store->get_account(accounts[i].id)->used_bytes, 0);
    if (i < 2) {
      EXPECT_EQ(fs::exists(path), big) << "still referenced after expunge " << i;
      EXPECT_TRUE(store->read_blob(blob).ok());
    }
  }
  EXPECT_FALSE(fs::exists(path)) << "unlinked after the last reference";
  EXPECT_EQ(store->read_blob(blob).code(), Errc::kNotFound);
  EXPECT_EQ(store->read_index(blob).code(), Errc::kNotFound);
  (void)t;
}

TEST_F(MessagesTest, LargeBodySharedByThreeRecipients) {
  shared_blob_case(this, store_, dir_, sqlite::kInlineMax + 10 * 1024);
}

TEST_F(MessagesTest, InlineBodySharedByThreeRecipients) {
  shared_blob_case(this, store_, dir_, 1000);
}

TEST_F(MessagesTest, SameContentInTwoDeliveriesIsStoredOnce) {
  Account a = account("dup@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  std::string raw = sample_message("dup", sqlite::kInlineMax + 1024);
  uint32_t u1 = put(a, inbox.id, raw);
  uint32_t u2 = put(a, inbox.id, raw);
  auto l = store_->get_messages(inbox.id, {u1, u2});
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].blob_id, (*l)[1].blob_id);
  ASSERT_TRUE(store_->expunge(inbox.id, {u1}).ok());
  EXPECT_TRUE(fs::exists(blob_path(dir_, raw)));
  ASSERT_TRUE(store_->delete_mailbox(store_->create_mailbox(a.id, "T", "")->id).ok());
  ASSERT_TRUE(store_->expunge(inbox.id, {u2}).ok());
  EXPECT_FALSE(fs::exists(blob_path(dir_, raw)));
  // And again after it was removed.
  uint32_t u3 = put(a, inbox.id, raw);
  EXPECT_TRUE(fs::exists(blob_path(dir_, raw)));
  EXPECT_EQ(*store_->read_blob(store_->get_messages(inbox.id, {u3})->at(0).blob_id), raw);
}

// Content that begins with a new trace field of ours (OwnedDelivery::unique) is not hashed to
// find a copy: identical bytes posted twice that way are two bodies, each read back whole and
// let go of alone; the same bytes delivered without the flag are found by their SHA-256.
TEST_F(MessagesTest, UniqueContentIsNamedAtRandomNotShared) {
  Account a = account("unique@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  const std::string raw = sample_message("unique", 100 * 1024);
  auto post = [&](bool unique) {
    auto d = std::make_shared<OwnedDelivery>();
    d->raw = raw;
    d->idx = sample_index("unique");
    d->targets = {target(a, inbox.id)};
    d->internal_date = 1;
    d->unique = unique;
    std::promise<Result<std::vector<Delivered>>> p;
    auto f = p.get_future();
    store_->post_delivery(d, [&p](Result<std::vector<Delivered>> r) { p.set_value(std::move(r)); });
    auto r = f.get();
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? (*r)[0].uid : 0u;
  };
  auto blob_of = [&](uint32_t uid) { return store_->get_messages(inbox.id, {uid})->at(0).blob_id; };
  const uint32_t u1 = post(true), u2 = post(true);
  EXPECT_NE(blob_of(u1), blob_of(u2));
  const uint32_t u3 = post(false), u4 = post(false);
  EXPECT_EQ(blob_of(u3), blob_of(u4));
  EXPECT_NE(blob_of(u3), blob_of(u1));
  ASSERT_EQ(*store_->expunge(inbox.id, {u1, u3}), (std::vector<uint32_t>{u1, u3}));
  EXPECT_EQ(*store_->read_blob(blob_of(u2)), raw);
  EXPECT_EQ(*store_->read_blob(blob_of(u4)), raw);

  // A submission's body over the inline size goes to a file named by that random identity.
  const std::string big = sample_message("unique big", sqlite::kInlineMax + 1000);
  auto owned = std::make_shared<OwnedSubmission>();
  owned->raw = big;
  owned->sub.account_id = a.id;
  owned->sub.local = {target(a, inbox.id)};
  owned->sub.now = 1;
  owned->idx = sample_index("unique big");
  owned->unique = true;
  std::promise<Result<SubmitResult>> p;
  auto f = p.get_future();
  store_->post_submit(owned, [&p](Result<SubmitResult> r) { p.set_value(std::move(r)); });
  auto r = f.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(fs::exists(blob_path(dir_, big)));
  const uint32_t u5 = r->delivered.at(0).uid;
  EXPECT_EQ(*store_->read_blob(blob_of(u5)), big);
  ASSERT_EQ(*store_->expunge(inbox.id, {u5}), std::vector<uint32_t>{u5});
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ + "/blobs"))
    if (e.is_regular_file() && e.path().parent_path().filename() != "log") ++files;
  EXPECT_EQ(files, 0u) << "the submission's file goes with its last message";
}

NewMessage new_message(const std::string& raw, const DeliveryTarget& t, int64_t date,
                       uint32_t flags = 0) {
  NewMessage m;
  m.raw = raw;
  m.idx = sample_index("many");
  m.target = t;
  m.target.flags = flags;
  m.internal_date = date;
  return m;
}

// deliver_many (IMAP MULTIAPPEND): several messages in one transaction, ascending uids.
TEST_F(MessagesTest, DeliverManyStoresAllInOrder) {
  Account a = account("many@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  Mailbox archive = mailbox(a.id, "Archive");
  std::string r1 = sample_message("one"), r2 = sample_message("two", sqlite::kInlineMax + 1024),
              r3 = sample_message("three");
  std::vector<NewMessage> msgs = {new_message(r1, target(a, inbox.id), 1700000001, kSeen),
                                  new_message(r2, target(a, inbox.id), 1700000002),
                                  new_message(r3, target(a, archive.id), 1700000003, kFlagged),
                                  new_message(r1, target(a, inbox.id), 1700000004)};
  auto d = store_->deliver_many(msgs);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 4u);
  EXPECT_EQ((*d)[0].uid, 1u);
  EXPECT_EQ((*d)[1].uid, 2u);
  EXPECT_EQ((*d)[2].uid, 1u);
  EXPECT_EQ((*d)[2].mailbox_id, archive.id);
  EXPECT_EQ((*d)[3].uid, 3u);
  auto list = store_->list_messages(inbox.id);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].flags, static_cast<uint32_t>(kSeen));
  EXPECT_EQ((*list)[0].internal_date, 1700000001);
  EXPECT_EQ((*list)[1].internal_date, 1700000002);
  EXPECT_EQ((*list)[0].blob_id, (*list)[2].blob_id) << "same content stored once";
  EXPECT_EQ(*store_->read_blob((*list)[1].blob_id), r2);
  EXPECT_TRUE(fs::exists(blob_path(dir_, r2)));
  EXPECT_EQ(store_->list_messages(archive.id)->at(0).flags, static_cast<uint32_t>(kFlagged));
  EXPECT_EQ(store_->get_account(a.id)->used_bytes,
            static_cast<int64_t>(2 * r1.size() + r2.size() + r3.size()));
  EXPECT_EQ(store_->deliver_many({}).code(), Errc::kInvalidData);
}

TEST_F(MessagesTest, DeliverManyIsAllOrNothing) {
  std::string small_raw = sample_message("s", 1000);
  std::string big_raw = sample_message("b", sqlite::kInlineMax + 1024);  // in a file
  const int64_t size = static_cast<int64_t>(small_raw.size());
  Account a = account("quota@example.org", size * 3);
  Mailbox inbox = mailbox(a.id, "INBOX");
  put(a, inbox.id, small_raw);
  uint64_t modseq = mailbox(a.id, "INBOX").highest_modseq;

  // Each message would fit alone; together they do not: nothing is stored.
  std::vector<NewMessage> msgs = {new_message(small_raw, target(a, inbox.id), 1),
                                  new_message(small_raw, target(a, inbox.id), 2),
                                  new_message(big_raw, target(a, inbox.id), 3)};
  auto r = store_->deliver_many(msgs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kOverQuota);
  EXPECT_EQ(store_->list_messages(inbox.id)->size(), 1u);
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, size);
  Mailbox after = mailbox(a.id, "INBOX");
  EXPECT_EQ(after.uid_next, 2u) << "no uid consumed";
  EXPECT_EQ(after.highest_modseq, modseq);
  EXPECT_FALSE(fs::exists(blob_path(dir_, big_raw))) << "file of the rolled-back blob removed";

  // Two fit together.
  msgs.pop_back();
  r = store_->deliver_many(msgs);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, size * 3);

  // A bad target in the middle also stores nothing.
  Account b = account("other@example.org");
  Mailbox b_inbox = mailbox(b.id, "INBOX");
  msgs = {new_message(small_raw, target(b, b_inbox.id), 1),
          new_message(small_raw, target(b, inbox.id), 2),
          new_message(small_raw, target(b, b_inbox.id), 3)};
  EXPECT_EQ(store_->deliver_many(msgs).code(), Errc::kNotFound);
  EXPECT_TRUE(store_->list_messages(b_inbox.id)->empty());
  EXPECT_EQ(mailbox(b.id, "INBOX").uid_next, 1u);
}

TEST_F(MessagesTest, DeleteMailboxReleasesFiles) {
  Account a = account("del@example.org");
  auto box = store_->create_mailbox(a.id, "Big", "");
  std::string raw = sample_message("big", sqlite::kInlineMax + 1024);
  put(a, box->id, raw);
  ASSERT_TRUE(fs::exists(blob_path(dir_, raw)));
  ASSERT_TRUE(store_->delete_mailbox(box->id).ok());
  EXPECT_FALSE(fs::exists(blob_path(dir_, raw)));
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, 0);
}

TEST_F(MessagesTest, StoreFlags) {
  Account a = account("flags@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  for (int i = 0; i < 4; ++i) put(a, inbox.id, sample_message("m" + std::to_string(i)));
  uint64_t before = mailbox(a.id, "INBOX").highest_modseq;
  std::vector<uint32_t> failed = {42};

  auto r = store_->store_flags(inbox.id, {1, 2, 99}, FlagOp::kAdd, kSeen | kFlagged, {"$Work"}, 0,
                               &failed);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(failed.empty());
  ASSERT_EQ(r->size(), 2u) << "uid 99 is not present";
  EXPECT_EQ((*r)[0].uid, 1u);
  EXPECT_EQ((*r)[0].flags, static_cast<uint32_t>(kSeen | kFlagged));
  EXPECT_EQ((*r)[0].keywords, std::vector<std::string>{"$Work"});
  EXPECT_GT((*r)[0].modseq, before);
  EXPECT_EQ((*r)[0].modseq, (*r)[1].modseq) << "one modseq per STORE";
  uint64_t m1 = (*r)[0].modseq;
  Mailbox mb = mailbox(a.id, "INBOX");
  EXPECT_EQ(mb.highest_modseq, m1);
  EXPECT_EQ(mb.unseen, 2u);

  // A STORE that changes nothing does not bump the modseq.
  r = store_->store_flags(inbox.id, {1}, FlagOp::kAdd, kSeen, {"$work"}, 0, nullptr);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].modseq, m1);
  EXPECT_EQ((*r)[0].keywords, std::vector<std::string>{"$Work"});
  EXPECT_EQ(mailbox(a.id, "INBOX").highest_modseq, m1);

  // Remove, with keywords matched case-insensitively.
  r = store_->store_flags(inbox.id, {1}, FlagOp::kRemove, kFlagged, {"$WORK"}, 0, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].flags, static_cast<uint32_t>(kSeen));
  EXPECT_TRUE((*r)[0].keywords.empty());
  EXPECT_GT((*r)[0].modseq, m1);

  // Set replaces everything.
  r = store_->store_flags(inbox.id, {2}, FlagOp::kSet, kAnswered, {"$A", "$B"}, 0, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].flags, static_cast<uint32_t>(kAnswered));
  EXPECT_EQ((*r)[0].keywords, (std::vector<std::string>{"$A", "$B"}));
  EXPECT_EQ(mailbox(a.id, "INBOX").unseen, 3u);

  // CONDSTORE: UNCHANGEDSINCE fails the messages modified after it.
  uint64_t cur = mailbox(a.id, "INBOX").highest_modseq;
  auto l = store_->get_messages(inbox.id, {3});
  uint64_t m3 = (*l)[0].modseq;
  r = store_->store_flags(inbox.id, {1, 2, 3}, FlagOp::kAdd, kDeleted, {}, m3, &failed);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(failed, (std::vector<uint32_t>{1, 2}));
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].uid, 3u);
  EXPECT_EQ((*r)[0].flags, static_cast<uint32_t>(kDeleted));
  EXPECT_GT((*r)[0].modseq, cur);

  auto persisted = store_->get_messages(inbox.id, {2});
  EXPECT_EQ((*persisted)[0].flags, static_cast<uint32_t>(kAnswered));
  EXPECT_EQ((*persisted)[0].keywords, (std::vector<std::string>{"$A", "$B"}));
  EXPECT_EQ(store_->store_flags(4242, {1}, FlagOp::kAdd, kSeen, {}, 0, nullptr).code(),
            Errc::kNotFound);
}

TEST_F(MessagesTest, ChangesSince) {
  Account a = account("changes@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  for (int i = 0; i < 5; ++i) put(a, inbox.id, sample_message("c" + std::to_string(i)));
  uint64_t base = mailbox(a.id, "INBOX").highest_modseq;

  auto c = store_->changes_since(inbox.id, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->changed.size(), 5u);
  EXPECT_TRUE(c->expunged.empty());
  EXPECT_EQ(c->highest_modseq, base);
  EXPECT_EQ(c->uid_next, 6u);

  c = store_->changes_since(inbox.id, base);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->changed.empty());
  EXPECT_TRUE(c->expunged.empty());

  ASSERT_TRUE(store_->store_flags(inbox.id, {4, 2}, FlagOp::kAdd, kSeen, {}, 0, nullptr).ok());
  ASSERT_TRUE(store_->expunge(inbox.id, {3, 5, 77}).ok());
  put(a, inbox.id, sample_message("new"));

  c = store_->changes_since(inbox.id, base);
  ASSERT_TRUE(c.ok());
  std::vector<uint32_t> changed;
  for (const auto& m : c->changed) {
    changed.push_back(m.uid);
    EXPECT_GT(m.modseq, base);
  }
  EXPECT_EQ(changed, (std::vector<uint32_t>{2, 4, 6}));
  EXPECT_EQ(c->expunged, (std::vector<uint32_t>{3, 5}));
  EXPECT_EQ(c->uid_next, 7u);
  EXPECT_EQ(c->highest_modseq, mailbox(a.id, "INBOX").highest_modseq);

  // Since the flag change: only the expunges and the new message.
  uint64_t after_flags = store_->get_messages(inbox.id, {2})->at(0).modseq;
  c = store_->changes_since(inbox.id, after_flags);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->changed.size(), 1u);
  EXPECT_EQ(c->changed[0].uid, 6u);
  EXPECT_EQ(c->expunged, (std::vector<uint32_t>{3, 5}));
  EXPECT_EQ(store_->changes_since(4242, 0).code(), Errc::kNotFound);
}

TEST_F(MessagesTest, CopyKeepsFlagsAndOrder) {
  Account a = account("copy@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  Mailbox archive = mailbox(a.id, "Archive");
  put(a, inbox.id, sample_message("a"), kSeen, {"$X"}, 1000);
  put(a, inbox.id, sample_message("b"), kFlagged, {}, 2000);
  put(a, inbox.id, sample_message("c"), 0, {}, 3000);
  put(a, archive.id, sample_message("z"));
  int64_t used = store_->get_account(a.id)->used_bytes;

  auto c = store_->copy_messages(inbox.id, {3, 1, 8}, archive.id, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->uid_validity, archive.uid_validity);
  EXPECT_EQ(c->uids, (std::vector<std::pair<uint32_t, uint32_t>>{{1, 2}, {3, 3}}));
  auto l = store_->list_messages(archive.id);
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[1].flags, static_cast<uint32_t>(kSeen));
  EXPECT_EQ((*l)[1].keywords, std::vector<std::string>{"$X"});
  EXPECT_EQ((*l)[1].internal_date, 1000);
  EXPECT_EQ((*l)[2].internal_date, 3000);
  EXPECT_EQ((*l)[1].blob_id, store_->get_messages(inbox.id, {1})->at(0).blob_id);
  EXPECT_EQ(store_->list_messages(inbox.id)->size(), 3u);
  EXPECT_GT(store_->get_account(a.id)->used_bytes, used);
  EXPECT_EQ(mailbox(a.id, "Archive").messages, 3u);
  EXPECT_EQ(mailbox(a.id, "Archive").unseen, 2u);

  auto none = store_->copy_messages(inbox.id, {77}, archive.id, true);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->uids.empty());
  EXPECT_EQ(store_->copy_messages(inbox.id, {1}, 4242, true).code(), Errc::kNotFound);
  EXPECT_EQ(store_->copy_messages(4242, {1}, archive.id, true).code(), Errc::kNotFound);
}

TEST_F(MessagesTest, MoveIsAtomic) {
  Account a = account("move@example.org", 1 << 20);
  Mailbox inbox = mailbox(a.id, "INBOX");
  Mailbox junk = mailbox(a.id, "Junk");
  std::string big = sample_message("big", sqlite::kInlineMax + 1024);
  put(a, inbox.id, sample_message("a"), kSeen);
  put(a, inbox.id, big, 0, {"$Junk"});
  put(a, inbox.id, sample_message("c"));
  int64_t used = store_->get_account(a.id)->used_bytes;
  uint64_t src_modseq = mailbox(a.id, "INBOX").highest_modseq;

  auto m = store_->move_messages(inbox.id, {2, 1}, junk.id);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->uid_validity, junk.uid_validity);
  EXPECT_EQ(m->uids, (std::vector<std::pair<uint32_t, uint32_t>>{{1, 1}, {2, 2}}));
  auto src = store_->list_messages(inbox.id);
  ASSERT_EQ(src->size(), 1u);
  EXPECT_EQ((*src)[0].uid, 3u);
  auto dst = store_->list_messages(junk.id);
  ASSERT_EQ(dst->size(), 2u);
  EXPECT_EQ((*dst)[1].keywords, std::vector<std::string>{"$Junk"});
  EXPECT_EQ(*store_->read_blob((*dst)[1].blob_id), big);
  EXPECT_TRUE(fs::exists(blob_path(dir_, big)));
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, used) << "a move does not change usage";
  auto ch = store_->changes_since(inbox.id, src_modseq);
  EXPECT_EQ(ch->expunged, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(mailbox(a.id, "INBOX").messages, 1u);
  EXPECT_EQ(mailbox(a.id, "Junk").messages, 2u);

  // A failing move (unknown destination) changes nothing.
  EXPECT_EQ(store_->move_messages(inbox.id, {3}, 4242).code(), Errc::kNotFound);
  EXPECT_EQ(store_->list_messages(inbox.id)->size(), 1u);
}

TEST_F(MessagesTest, ExpungeReturnsOnlyPresentUids) {
  Account a = account("exp@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  for (int i = 0; i < 3; ++i) put(a, inbox.id, sample_message("e" + std::to_string(i)));
  uint64_t before = mailbox(a.id, "INBOX").highest_modseq;
  auto r = store_->expunge(inbox.id, {3, 9, 1, 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<uint32_t>{1, 3}));
  EXPECT_GT(mailbox(a.id, "INBOX").highest_modseq, before);
  r = store_->expunge(inbox.id, {1, 3});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  uint64_t now = mailbox(a.id, "INBOX").highest_modseq;
  r = store_->expunge(inbox.id, {});
  EXPECT_EQ(mailbox(a.id, "INBOX").highest_modseq, now) << "no change, no modseq";
  EXPECT_EQ(store_->expunge(4242, {1}).code(), Errc::kNotFound);
  Mailbox mb = mailbox(a.id, "INBOX");
  EXPECT_EQ(mb.messages, 1u);
  EXPECT_EQ(mb.uid_next, 4u) << "uids are never reused";
}

// Debian's SQLite zeroes every page a delete frees (secure_delete on); the store turns that
// off for freed pages, so expunging a 200 KB body kept in the database writes a few pages of
// b-tree to the WAL, not the body's 50 pages again.
TEST_F(MessagesTest, ExpungeDoesNotWriteTheFreedBodyAgain) {
  Account a = account("freed@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  put(a, inbox.id, sample_message("big", 200 * 1024));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "SELECT count(*) FROM blobs", nullptr, nullptr, nullptr), SQLITE_OK);
  auto wal_frames = [&](int mode) {
    int log = -1, done = -1;
    EXPECT_EQ(sqlite3_wal_checkpoint_v2(db, "main", mode, &log, &done), SQLITE_OK);
    return log;
  };
  EXPECT_EQ(wal_frames(SQLITE_CHECKPOINT_TRUNCATE), 0);
  ASSERT_EQ(*store_->expunge(inbox.id, {1}), std::vector<uint32_t>{1});
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, 0);
  const int frames = wal_frames(SQLITE_CHECKPOINT_PASSIVE);
  EXPECT_GT(frames, 0);
  EXPECT_LT(frames, 20) << "the freed pages were written again";
  sqlite3_close(db);
}

TEST_F(MessagesTest, EverythingSurvivesReopen) {
  Account a = account("persist@example.org", 5000000);
  ASSERT_TRUE(store_->add_alias(a.id, "p2@example.org").ok());
  ASSERT_TRUE(store_->add_app_password(a.id, "Phone", "h").ok());
  ASSERT_TRUE(store_->add_domain("example.org").ok());
  Mailbox inbox = mailbox(a.id, "INBOX");
  std::string small = sample_message("small");
  std::string big = sample_message("big", sqlite::kInlineMax + 1024);
  put(a, inbox.id, small, kSeen, {"$K"});
  put(a, inbox.id, big);
  ASSERT_TRUE(store_->expunge(inbox.id, {1}).ok());
  put(a, inbox.id, small);
  Mailbox before = mailbox(a.id, "INBOX");

  reopen();
  EXPECT_EQ(store_->find_account_by_address("P2@example.org")->id, a.id);
  EXPECT_EQ(store_->list_app_passwords(a.id, false)->size(), 1u);
  EXPECT_TRUE(store_->find_domain("example.org").ok());
  Mailbox after = mailbox(a.id, "INBOX");
  EXPECT_EQ(after.uid_validity, before.uid_validity);
  EXPECT_EQ(after.uid_next, before.uid_next);
  EXPECT_EQ(after.highest_modseq, before.highest_modseq);
  EXPECT_EQ(after.messages, 2u);
  auto l = store_->list_messages(inbox.id);
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ(*store_->read_blob((*l)[0].blob_id), big);
  EXPECT_EQ(*store_->read_blob((*l)[1].blob_id), small);
  EXPECT_EQ(store_->changes_since(inbox.id, 0)->expunged, std::vector<uint32_t>{1});
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, static_cast<int64_t>(small.size() + big.size()));
  EXPECT_EQ(sqlite_stats(*store_)->schema_version, sqlite::schema_version_known());
}

TEST_F(MessagesTest, NewerSchemaIsRefused) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto r = open_sqlite_store(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kInvalidData);
  EXPECT_EQ(r.error().message,
            "data folder was written by a newer Tegami (schema 99); this binary knows up to " +
                std::to_string(sqlite::schema_version_known()));
  // The refused open released the folder lock: a fixed binary could open it.
  ASSERT_EQ(sqlite3_open((dir_ + "/tegami.db").c_str(), &db), SQLITE_OK);
  std::string reset = "PRAGMA user_version = " + std::to_string(sqlite::schema_version_known());
  ASSERT_EQ(sqlite3_exec(db, reset.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  open();
}

TEST_F(MessagesTest, OrphanFilesAreCleanedAtOpen) {
  Account a = account("orphan@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  std::string kept = sample_message("kept", sqlite::kInlineMax + 1024);
  put(a, inbox.id, kept);
  store_.reset();
  std::string orphan = sample_message("orphan", 80 * 1024);
  std::string orphan_path = blob_path(dir_, orphan);
  fs::create_directories(fs::path(orphan_path).parent_path());
  std::ofstream(orphan_path) << orphan;
  std::string tmp = blob_path(dir_, kept) + ".123.4.tmp";
  std::ofstream(tmp) << "partial";
  open();
  EXPECT_FALSE(fs::exists(orphan_path));
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_TRUE(fs::exists(blob_path(dir_, kept)));
  EXPECT_EQ(*store_->read_blob(store_->list_messages(inbox.id)->at(0).blob_id), kept);
}

// read_together: the reads inside see one snapshot (one read transaction), even while a write
// commits meanwhile; reads after it see the write.
TEST_F(MessagesTest, ReadTogetherIsOneSnapshot) {
  Account a = account("together@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  put(a, inbox.id, sample_message("one"));
  size_t inside_before = 0, inside_after = 0;
  Status st = store_->read_together([&]() -> Status {
    inside_before = store_->list_messages(inbox.id)->size();
    EXPECT_TRUE(
        store_->deliver(sample_message("two"), sample_index("two"), {target(a, inbox.id)}, 2).ok());
    inside_after = store_->list_messages(inbox.id)->size();
    // Nested: the same transaction.
    return store_->read_together([&]() -> Status {
      EXPECT_EQ(store_->list_messages(inbox.id)->size(), 1u);
      return {};
    });
  });
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(inside_before, 1u);
  EXPECT_EQ(inside_after, 1u) << "a read inside saw a later commit";
  EXPECT_EQ(store_->list_messages(inbox.id)->size(), 2u);
  // An error from fn comes back as it is.
  EXPECT_EQ(store_->read_together([] { return Status(make_error(Errc::kTemporary, "x")); }).code(),
            Errc::kTemporary);
}

}  // namespace
}  // namespace tegami::store::testing
