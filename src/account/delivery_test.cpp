#include "account/delivery.hpp"

#include <gtest/gtest.h>

#include "account/directory.hpp"
#include "auth/test_support.hpp"

namespace tegami::account {
namespace {

using testing::World;

const std::string kMessage =
    "From: a@example.org\r\nTo: demo@tegami.test\r\nSubject: hi\r\n"
    "Message-ID: <1@example.org>\r\n\r\nHello.\r\n";

index::MessageIndex index_for_test() {
  index::MessageIndex idx;
  idx.subject = "hi";
  idx.from = "a@example.org";
  idx.message_id = "1@example.org";
  idx.envelope = "(NIL \"hi\" NIL NIL NIL NIL NIL NIL NIL \"<1@example.org>\")";
  idx.body = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 1)";
  idx.body_structure = idx.body;
  return idx;
}

uint32_t inbox_count(World& w, store::Id account) {
  return w.must(w.store->get_mailbox(account, "INBOX")).messages;
}

TEST(Delivery, OncePerAccountAndPublished) {
  World w;
  auto bob = w.add_account("bob@tegami.test", "pw-pw-pw-pw");
  store::ChangeHub hub;
  std::vector<store::Id> published;
  auto demo_inbox = w.must(w.store->get_mailbox(w.demo.id, "INBOX"));
  auto bob_inbox = w.must(w.store->get_mailbox(bob.id, "INBOX"));
  hub.subscribe(demo_inbox.id, [&](store::Id m) { published.push_back(m); });
  hub.subscribe(bob_inbox.id, [&](store::Id m) { published.push_back(m); });

  // demo@ and demo+x@ resolve to one account: delivered once.
  std::vector<store::Id> ids;
  for (const char* rcpt : {"demo@tegami.test", "demo+x@tegami.test", "bob@tegami.example"})
    ids.push_back(w.must(resolve_recipient(*w.store, rcpt)).id);
  auto r = deliver_to_inboxes(*w.store, &hub, kMessage, index_for_test(), ids, 1'800'000'000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].account_id, w.demo.id);
  EXPECT_EQ((*r)[0].mailbox_id, demo_inbox.id);
  EXPECT_EQ((*r)[1].account_id, bob.id);
  EXPECT_EQ((*r)[1].mailbox_id, bob_inbox.id);
  EXPECT_EQ(inbox_count(w, w.demo.id), 1u);
  EXPECT_EQ(inbox_count(w, bob.id), 1u);
  EXPECT_EQ(published, (std::vector<store::Id>{demo_inbox.id, bob_inbox.id}));
  EXPECT_GT(w.reload(w.demo).used_bytes, 0);
}

TEST(Delivery, SpecialUseMailboxOrInbox) {
  World w;
  auto junk = w.must(w.store->get_mailbox(w.demo.id, "Junk"));
  ASSERT_EQ(junk.special_use, "\\Junk");
  auto r = deliver_to_special(*w.store, nullptr, kMessage, index_for_test(), {w.demo.id},
                              1'800'000'000, "\\Junk");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].mailbox_id, junk.id);
  EXPECT_EQ(inbox_count(w, w.demo.id), 0u);
  auto metas = w.must(w.store->list_messages(junk.id));
  ASSERT_EQ(metas.size(), 1u);
  EXPECT_EQ(metas[0].keywords, (std::vector<std::string>{"$Junk"}));
  // Without a Junk mailbox (the user deleted it) the message still arrives, in INBOX.
  ASSERT_TRUE(w.store->delete_mailbox(junk.id).ok());
  r = deliver_to_special(*w.store, nullptr, kMessage, index_for_test(), {w.demo.id}, 1'800'000'000,
                         "\\Junk");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(inbox_count(w, w.demo.id), 1u);
}

TEST(Delivery, EmptyListDeliversNothing) {
  World w;
  auto r = deliver_to_inboxes(*w.store, nullptr, kMessage, index_for_test(), {}, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(inbox_count(w, w.demo.id), 0u);
}

TEST(Delivery, OverQuotaNamesTheAccountAndStoresNothing) {
  World w;
  auto small = w.add_account("small@tegami.test", "pw-pw-pw-pw", /*quota=*/10);
  store::Id who = 0;
  auto r = deliver_to_inboxes(*w.store, nullptr, kMessage, index_for_test(), {w.demo.id, small.id},
                              1'800'000'000, &who);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kOverQuota);
  EXPECT_NE(r.error().message.find("small@tegami.test"), std::string::npos) << r.error().message;
  EXPECT_EQ(who, small.id);
  EXPECT_EQ(inbox_count(w, w.demo.id), 0u);
  EXPECT_EQ(inbox_count(w, small.id), 0u);

  EXPECT_EQ(check_quota(*w.store, small.id, 5).ok(), true);
  EXPECT_EQ(check_quota(*w.store, small.id, 11).code(), Errc::kOverQuota);
  EXPECT_TRUE(check_quota(*w.store, w.demo.id, 1000).ok());
}

TEST(Delivery, FillsUpToTheQuota) {
  World w;
  const int64_t size = stored_size(kMessage);
  auto acc = w.add_account("tight@tegami.test", "pw-pw-pw-pw", /*quota=*/2 * size);
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(
        deliver_to_inboxes(*w.store, nullptr, kMessage, index_for_test(), {acc.id}, 0).ok());
  auto r = deliver_to_inboxes(*w.store, nullptr, kMessage, index_for_test(), {acc.id}, 0);
  EXPECT_EQ(r.code(), Errc::kOverQuota);
  EXPECT_EQ(inbox_count(w, acc.id), 2u);
}

TEST(Delivery, StoredSizeCountsCrlf) {
  EXPECT_EQ(stored_size("a\r\nb\r\n"), 6);
  EXPECT_EQ(stored_size("a\nb\n"), 6);
  EXPECT_EQ(stored_size("\n"), 2);
  EXPECT_EQ(stored_size(""), 0);
}

}  // namespace
}  // namespace tegami::account
