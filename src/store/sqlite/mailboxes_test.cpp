// Mailbox methods of the SQLite store: create, names, UIDVALIDITY, delete, rename.
#include <gtest/gtest.h>

#include <set>

#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

using MailboxesTest = StoreTest;

TEST_F(MailboxesTest, CreateAndNames) {
  Account a = account("ivan@example.org");
  auto m = store_->create_mailbox(a.id, "Projects/2024/Tegami", "");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->name, "Projects/2024/Tegami");
  EXPECT_TRUE(store_->get_mailbox(a.id, "Projects").ok()) << "parents are created";
  EXPECT_TRUE(store_->get_mailbox(a.id, "Projects/2024").ok());
  EXPECT_EQ(store_->create_mailbox(a.id, "Projects", "").code(), Errc::kExists);
  EXPECT_EQ(store_->create_mailbox(a.id, "inbox", "").code(), Errc::kExists);
  EXPECT_TRUE(store_->create_mailbox(a.id, "projects", "").ok()) << "case-sensitive";
  EXPECT_EQ(store_->create_mailbox(a.id, "", "").code(), Errc::kInvalidData);
  EXPECT_EQ(store_->create_mailbox(a.id, "a//b", "").code(), Errc::kInvalidData);
  EXPECT_EQ(store_->create_mailbox(a.id, "a/", "").code(), Errc::kInvalidData);
  EXPECT_EQ(store_->create_mailbox(9999, "x", "").code(), Errc::kNotFound);
  auto flagged = store_->create_mailbox(a.id, "Important", "\\Flagged");
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(flagged->special_use, "\\Flagged");

  auto inbox = store_->get_mailbox(a.id, "InBox");
  ASSERT_TRUE(inbox.ok());
  EXPECT_EQ(inbox->name, "INBOX");
  auto child = store_->create_mailbox(a.id, "inbox/Receipts", "");
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->name, "INBOX/Receipts");
  EXPECT_EQ(store_->get_mailbox(a.id, "Inbox/Receipts")->id, child->id);
  EXPECT_EQ(store_->get_mailbox(a.id, "Nothing").code(), Errc::kNotFound);
  auto by_id = store_->get_mailbox_by_id(m->id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "Projects/2024/Tegami");
  EXPECT_EQ(store_->get_mailbox_by_id(99999).code(), Errc::kNotFound);

  // Another account has its own namespace.
  Account b = account("judy@example.org");
  EXPECT_TRUE(store_->create_mailbox(b.id, "Projects", "").ok());
}

TEST_F(MailboxesTest, UidValidityIsNeverReused) {
  Account a = account("ken@example.org");
  std::set<uint32_t> seen;
  auto boxes = store_->list_mailboxes(a.id);
  ASSERT_TRUE(boxes.ok());
  for (const auto& m : *boxes) seen.insert(m.uid_validity);
  for (int i = 0; i < 5; ++i) {
    auto m = store_->create_mailbox(a.id, "Tmp", "");
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(seen.insert(m->uid_validity).second) << "reused " << m->uid_validity;
    ASSERT_TRUE(store_->delete_mailbox(m->id).ok());
  }
  reopen();
  auto m = store_->create_mailbox(a.id, "Tmp", "");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(seen.insert(m->uid_validity).second);
}

TEST_F(MailboxesTest, DeleteGivesQuotaBackAndRefusesInbox) {
  Account a = account("leo@example.org", 1 << 20);
  Mailbox inbox = mailbox(a.id, "INBOX");
  EXPECT_EQ(store_->delete_mailbox(inbox.id).code(), Errc::kPerm);
  auto box = store_->create_mailbox(a.id, "Old", "");
  ASSERT_TRUE(box.ok());
  std::string raw = sample_message("old", 100);
  put(a, box->id, raw);
  put(a, box->id, sample_message("old2", 200));
  put(a, inbox.id, sample_message("keep", 300));
  EXPECT_EQ(store_->get_account(a.id)->used_bytes,
            static_cast<int64_t>(raw.size() + sample_message("old2", 200).size() +
                                 sample_message("keep", 300).size()));
  ASSERT_TRUE(store_->delete_mailbox(box->id).ok());
  EXPECT_EQ(store_->get_account(a.id)->used_bytes,
            static_cast<int64_t>(sample_message("keep", 300).size()));
  EXPECT_EQ(store_->get_mailbox(a.id, "Old").code(), Errc::kNotFound);
  EXPECT_EQ(store_->delete_mailbox(box->id).code(), Errc::kNotFound);
  EXPECT_EQ(store_->list_messages(box->id).code(), Errc::kNotFound);
}

TEST_F(MailboxesTest, RenameMovesChildren) {
  Account a = account("mallory@example.org");
  auto top = store_->create_mailbox(a.id, "Work/Clients/Acme", "");
  ASSERT_TRUE(top.ok());
  ASSERT_TRUE(store_->create_mailbox(a.id, "Workshop", "").ok());  // not a child of "Work"
  Mailbox work = mailbox(a.id, "Work");
  uint32_t uid = put(a, work.id, sample_message("w"));

  EXPECT_EQ(store_->rename_mailbox(a.id, "Work", "Workshop").code(), Errc::kExists);
  EXPECT_EQ(store_->rename_mailbox(a.id, "Work", "inbox").code(), Errc::kExists);
  EXPECT_EQ(store_->rename_mailbox(a.id, "Work", "Work/Sub").code(), Errc::kInvalidData);
  EXPECT_EQ(store_->rename_mailbox(a.id, "Nope", "Other").code(), Errc::kNotFound);

  ASSERT_TRUE(store_->rename_mailbox(a.id, "Work", "Archive/2023/Job").ok());
  EXPECT_EQ(store_->get_mailbox(a.id, "Work").code(), Errc::kNotFound);
  EXPECT_EQ(store_->get_mailbox(a.id, "Work/Clients").code(), Errc::kNotFound);
  Mailbox moved = mailbox(a.id, "Archive/2023/Job");
  EXPECT_EQ(moved.id, work.id) << "same mailbox, same UIDVALIDITY";
  EXPECT_EQ(moved.uid_validity, work.uid_validity);
  EXPECT_EQ(mailbox(a.id, "Archive/2023/Job/Clients/Acme").id, top->id);
  EXPECT_TRUE(store_->get_mailbox(a.id, "Archive/2023").ok()) << "parent created";
  EXPECT_TRUE(store_->get_mailbox(a.id, "Workshop").ok());
  auto msgs = store_->list_messages(moved.id);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].uid, uid);

  // Non-ASCII names.
  ASSERT_TRUE(store_->create_mailbox(a.id, "\xe4\xbb\x95\xe4\xba\x8b/x", "").ok());
  ASSERT_TRUE(store_->rename_mailbox(a.id, "\xe4\xbb\x95\xe4\xba\x8b", "Job2").ok());
  EXPECT_TRUE(store_->get_mailbox(a.id, "Job2/x").ok());
}

TEST_F(MailboxesTest, RenameInboxMovesItsMessages) {
  Account a = account("nia@example.org");
  Mailbox inbox = mailbox(a.id, "INBOX");
  ASSERT_TRUE(store_->create_mailbox(a.id, "INBOX/Child", "").ok());
  put(a, inbox.id, sample_message("one"), kSeen, {"$Work"}, 1600000000);
  put(a, inbox.id, sample_message("two"));
  int64_t used = store_->get_account(a.id)->used_bytes;

  auto st = store_->rename_mailbox(a.id, "INBOX", "Old Inbox");
  ASSERT_TRUE(st.ok()) << errc_name(st.code()) << " " << st.error().message;
  Mailbox old = mailbox(a.id, "Old Inbox");
  auto moved = store_->list_messages(old.id);
  ASSERT_TRUE(moved.ok());
  ASSERT_EQ(moved->size(), 2u);
  EXPECT_EQ((*moved)[0].flags, static_cast<uint32_t>(kSeen));
  EXPECT_EQ((*moved)[0].keywords, std::vector<std::string>{"$Work"});
  EXPECT_EQ((*moved)[0].internal_date, 1600000000);
  Mailbox inbox2 = mailbox(a.id, "INBOX");
  EXPECT_EQ(inbox2.id, inbox.id);
  EXPECT_EQ(inbox2.messages, 0u);
  EXPECT_TRUE(store_->list_messages(inbox.id)->empty());
  EXPECT_TRUE(store_->get_mailbox(a.id, "INBOX/Child").ok()) << "inferiors stay";
  EXPECT_EQ(store_->get_account(a.id)->used_bytes, used);
  auto ch = store_->changes_since(inbox.id, inbox2.highest_modseq - 1);
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ(ch->expunged.size(), 2u);
}

TEST_F(MailboxesTest, Subscribe) {
  Account a = account("oscar@example.org");
  Mailbox junk = mailbox(a.id, "Junk");
  ASSERT_TRUE(store_->set_subscribed(junk.id, false).ok());
  EXPECT_FALSE(mailbox(a.id, "Junk").subscribed);
  ASSERT_TRUE(store_->set_subscribed(junk.id, true).ok());
  EXPECT_TRUE(mailbox(a.id, "Junk").subscribed);
  EXPECT_EQ(store_->set_subscribed(12345, true).code(), Errc::kNotFound);
}

}  // namespace
}  // namespace tegami::store::testing
