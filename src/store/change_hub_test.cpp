// ChangeHub: per-mailbox publication, account revocations, account mailbox events, and
// unsubscribing any kind by token.
#include "store/change_hub.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tegami::store {
namespace {

TEST(ChangeHub, PublishReachesOnlyThatMailboxAndStopsAfterUnsubscribe) {
  ChangeHub hub;
  std::vector<Id> got;
  auto t1 = hub.subscribe(1, [&](Id m) { got.push_back(m); });
  auto t2 = hub.subscribe(2, [&](Id m) { got.push_back(m * 10); });
  hub.publish(1);
  hub.publish(2);
  hub.publish(3);
  EXPECT_EQ(got, (std::vector<Id>{1, 20}));
  hub.unsubscribe(t1);
  hub.unsubscribe(t1);  // twice: ignored
  hub.unsubscribe(999);
  hub.publish(1);
  hub.publish(2);
  EXPECT_EQ(got, (std::vector<Id>{1, 20, 20}));
  hub.unsubscribe(t2);
  hub.publish(2);
  EXPECT_EQ(got.size(), 3u);
}

TEST(ChangeHub, MailboxEventsPerAccount) {
  ChangeHub hub;
  std::vector<MailboxEvent> got;
  std::vector<Id> revoked;
  auto te = hub.subscribe_mailbox_events(7, [&](const MailboxEvent& e) { got.push_back(e); });
  auto tr = hub.subscribe_account(7, [&](Id ap) { revoked.push_back(ap); });
  MailboxEvent e;
  e.kind = MailboxEvent::Kind::kRenamed;
  e.mailbox = 3;
  e.name = "b";
  e.old_name = "a";
  e.origin = ChangeHub::new_origin();
  hub.publish_mailbox_event(7, e);
  hub.publish_mailbox_event(8, e);  // another account
  hub.publish_revocation(7, 5);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, MailboxEvent::Kind::kRenamed);
  EXPECT_EQ(got[0].old_name, "a");
  EXPECT_NE(got[0].origin, 0u);
  EXPECT_EQ(revoked, (std::vector<Id>{5}));
  hub.unsubscribe(te);
  hub.unsubscribe(tr);
  hub.publish_mailbox_event(7, e);
  hub.publish_revocation(7, 0);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(revoked.size(), 1u);
  EXPECT_NE(ChangeHub::new_origin(), ChangeHub::new_origin());
}

}  // namespace
}  // namespace tegami::store
