// Tests: NOTIFY SET / NOTIFY NONE (RFC 5465 §3.1, §5, §6, §8).
#include <gtest/gtest.h>

#include "imap/proto/command.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

using testing::bad;
using testing::ok;
using E = NotifyEvent;
using F = NotifyEventGroup::Filter;

TEST(Notify, None) {
  auto c = ok("a NOTIFY NONE");
  EXPECT_EQ(c.type, CommandType::kNotify);
  EXPECT_FALSE(c.as<NotifyArgs>().set);
  EXPECT_TRUE(c.as<NotifyArgs>().groups.empty());
  ok("a notify none");
  bad("a NOTIFY NONE (SELECTED NONE)");
  bad("a NOTIFY");
  bad("a NOTIFY GET (SELECTED NONE)");
}

TEST(Notify, SetWithGroups) {
  // The §3.1 example without the event list parentheses is not §8 syntax (erratum 1694).
  bad("A02 NOTIFY SET STATUS (selected MessageNew (uid) MessageExpunge)");
  auto c =
      ok("A02 NOTIFY SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to "
         "subject)]) MessageExpunge)) (subtree Lists (MessageNew MessageExpunge)) "
         "(mailboxes (INBOX \"a b\") (MessageNew MessageExpunge FlagChange))");
  const auto& a = c.as<NotifyArgs>();
  EXPECT_TRUE(a.set);
  EXPECT_TRUE(a.status);
  ASSERT_EQ(a.groups.size(), 3u);
  EXPECT_EQ(a.groups[0].filter, F::kSelected);
  EXPECT_EQ(a.groups[0].events, (std::vector<E>{E::kMessageNew, E::kMessageExpunge}));
  ASSERT_EQ(a.groups[0].fetch_atts.size(), 2u);
  EXPECT_EQ(a.groups[0].fetch_atts[0].type, FetchAtt::Type::kUid);
  EXPECT_EQ(a.groups[0].fetch_atts[1].type, FetchAtt::Type::kBodySection);
  EXPECT_TRUE(a.groups[0].fetch_atts[1].peek);
  EXPECT_EQ(a.groups[1].filter, F::kSubtree);
  EXPECT_EQ(a.groups[1].mailboxes, (std::vector<std::string>{"Lists"}));
  EXPECT_EQ(a.groups[2].filter, F::kMailboxes);
  EXPECT_EQ(a.groups[2].mailboxes, (std::vector<std::string>{"INBOX", "a b"}));
  EXPECT_EQ(a.groups[2].events.back(), E::kFlagChange);

  c = ok("a NOTIFY SET (SELECTED-DELAYED NONE) (personal (MailboxName SubscriptionChange))");
  EXPECT_FALSE(c.as<NotifyArgs>().status);
  EXPECT_EQ(c.as<NotifyArgs>().groups[0].filter, F::kSelectedDelayed);
  EXPECT_TRUE(c.as<NotifyArgs>().groups[0].events.empty());
  EXPECT_EQ(c.as<NotifyArgs>().groups[1].filter, F::kPersonal);
  c = ok("a NOTIFY SET (INBOXES (messagenew messageexpunge)) (SUBSCRIBED (MailboxName))");
  EXPECT_EQ(c.as<NotifyArgs>().groups[0].filter, F::kInboxes);
  EXPECT_EQ(c.as<NotifyArgs>().groups[1].filter, F::kSubscribed);
}

TEST(Notify, UnknownEventsAreKeptForTheServer) {
  // Unsupported events are a NO [BADEVENT] from the server, not a BAD (§3.1).
  auto c = ok("a NOTIFY SET (PERSONAL (MessageNew MessageExpunge AnnotationChange XFoo))");
  const auto& g = c.as<NotifyArgs>().groups[0];
  EXPECT_EQ(g.events.back(), E::kOther);
  EXPECT_EQ(g.other_events, (std::vector<std::string>{"XFoo"}));
  ok("a NOTIFY SET (PERSONAL (MailboxMetadataChange ServerMetadataChange))");
}

TEST(Notify, CompositionErrorsAreBad) {
  bad("a NOTIFY SET (SELECTED (MessageNew))");                           // without MessageExpunge
  bad("a NOTIFY SET (SELECTED (MessageExpunge))");                       // without MessageNew
  bad("a NOTIFY SET (SELECTED (FlagChange))");                           // §5
  bad("a NOTIFY SET (PERSONAL (MessageNew FlagChange))");                // §5
  bad("a NOTIFY SET (SELECTED (MailboxName))");                          // §6.1
  bad("a NOTIFY SET (SELECTED NONE) (SELECTED-DELAYED NONE)");           // §6.1
  bad("a NOTIFY SET (SELECTED NONE) (SELECTED NONE)");                   // §6.1
  bad("a NOTIFY SET (PERSONAL (MailboxName MailboxName))");              // twice
  bad("a NOTIFY SET (FOLDERS (MailboxName))");                           // unknown specifier
  bad("a NOTIFY SET (PERSONAL ())");                                     // empty event list
  bad("a NOTIFY SET (PERSONAL (\"MailboxName\"))");                      // not an atom
  bad("a NOTIFY SET (SUBTREE (MailboxName))");                           // no mailbox
  bad("a NOTIFY SET");                                                   // no group
  bad("a NOTIFY SET STATUS");                                            // no group
  bad("a NOTIFY SET (SELECTED (MessageNew (UID FOO) MessageExpunge))");  // bad fetch-att
  bad("a NOTIFY SET (SELECTED (MessageNew () MessageExpunge))");
  bad("a UID NOTIFY NONE");
}

}  // namespace
}  // namespace tegami::imap::proto
