#include "auth/app_passwords.hpp"

#include <gtest/gtest.h>

#include "auth/authenticator.hpp"
#include "auth/test_support.hpp"

namespace tegami::auth {
namespace {

using testing::FakeClock;
using testing::World;

TEST(AppPasswords, CreateShowsOnceAndStoresOnlyAHash) {
  World w;
  FakeClock clock;
  auto r = create_app_password(*w.store, w.demo, "  Outlook  ", clock);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first.label, "Outlook");
  EXPECT_EQ(r->second.size(), 19u);
  EXPECT_EQ(r->first.hash.find(normalize_app_password(r->second)), std::string::npos);
  EXPECT_TRUE(verify_password(r->first.hash, normalize_app_password(r->second)));
  auto evs = w.must(w.store->list_events(w.demo.id, 10));
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs[0].kind, "app_password_created");
  EXPECT_EQ(evs[0].time, clock.now_unix());
}

TEST(AppPasswords, RequireTwoFactor) {
  World w;
  ASSERT_TRUE(w.store->set_two_factor(w.demo.id, false));
  auto r = create_app_password(*w.store, w.demo, "Outlook");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kPerm);
  EXPECT_NE(r.error().message.find("two-factor"), std::string::npos);
}

TEST(AppPasswords, LabelRules) {
  World w;
  EXPECT_EQ(create_app_password(*w.store, w.demo, "  ").code(), Errc::kInvalidData);
  EXPECT_EQ(create_app_password(*w.store, w.demo, std::string(65, 'x')).code(), Errc::kInvalidData);
  EXPECT_EQ(create_app_password(*w.store, w.demo, "a\nb").code(), Errc::kInvalidData);
  ASSERT_TRUE(create_app_password(*w.store, w.demo, "Gmail send-as").ok());
  EXPECT_EQ(create_app_password(*w.store, w.demo, "Gmail send-as").code(), Errc::kExists);
  ASSERT_TRUE(create_app_password(*w.store, w.demo, "メール").ok());
}

TEST(AppPasswords, AtMost25Active) {
  World w;
  for (int i = 0; i < kMaxActiveAppPasswords; ++i)
    ASSERT_TRUE(create_app_password(*w.store, w.demo, "app " + std::to_string(i)).ok()) << i;
  auto r = create_app_password(*w.store, w.demo, "one too many");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kLimit);
  ASSERT_TRUE(revoke_app_password(*w.store, nullptr, w.demo, "app 3"));
  EXPECT_TRUE(create_app_password(*w.store, w.demo, "one too many").ok());
  EXPECT_EQ(create_app_password(*w.store, w.demo, "app 3").code(), Errc::kLimit);
  // A revoked label may be used again.
  ASSERT_TRUE(revoke_app_password(*w.store, nullptr, w.demo, "app 4"));
  EXPECT_TRUE(create_app_password(*w.store, w.demo, "app 3").ok());
}

TEST(AppPasswords, RevokePublishesToTheHub) {
  World w;
  store::ChangeHub hub;
  std::vector<store::Id> seen;
  hub.subscribe_account(w.demo.id, [&](store::Id ap) { seen.push_back(ap); });
  auto a = w.must(create_app_password(*w.store, w.demo, "Outlook"));
  auto b = w.must(create_app_password(*w.store, w.demo, "iPad"));
  EXPECT_EQ(revoke_app_password(*w.store, &hub, w.demo, "nope").code(), Errc::kNotFound);
  ASSERT_TRUE(revoke_app_password(*w.store, &hub, w.demo, "outlook"));  // case-insensitive
  EXPECT_EQ(seen, std::vector<store::Id>{a.first.id});
  EXPECT_EQ(revoke_app_password(*w.store, &hub, w.demo, "Outlook").code(), Errc::kNotFound);
  EXPECT_EQ(revoke_app_password_id(*w.store, &hub, w.demo, a.first.id).code(), Errc::kNotFound);
  ASSERT_TRUE(revoke_app_password_id(*w.store, &hub, w.demo, b.first.id, "lost"));
  EXPECT_EQ(seen, (std::vector<store::Id>{a.first.id, b.first.id}));
  auto all = w.must(w.store->list_app_passwords(w.demo.id, true));
  for (const auto& ap : all) {
    EXPECT_NE(ap.revoked, 0);
    EXPECT_EQ(ap.revoked_reason, ap.id == a.first.id ? "revoked by the owner" : "lost");
  }
}

TEST(AppPasswords, RevokeAll) {
  World w;
  store::ChangeHub hub;
  std::vector<store::Id> seen;
  hub.subscribe_account(w.demo.id, [&](store::Id ap) { seen.push_back(ap); });
  w.must(create_app_password(*w.store, w.demo, "a"));
  w.must(create_app_password(*w.store, w.demo, "b"));
  ASSERT_TRUE(revoke_all(*w.store, &hub, w.demo));
  EXPECT_EQ(seen, std::vector<store::Id>{0});
  EXPECT_TRUE(w.must(w.store->list_app_passwords(w.demo.id, false)).empty());
}

TEST(AppPasswords, ChangePasswordRevokesEverything) {
  World w;
  store::ChangeHub hub;
  std::vector<store::Id> seen;
  hub.subscribe_account(w.demo.id, [&](store::Id ap) { seen.push_back(ap); });
  w.must(create_app_password(*w.store, w.demo, "a"));
  EXPECT_EQ(change_password(*w.store, &hub, w.demo, "short").code(), Errc::kInvalidData);
  EXPECT_TRUE(seen.empty());
  ASSERT_TRUE(change_password(*w.store, &hub, w.demo, "a much better password"));
  EXPECT_EQ(seen, std::vector<store::Id>{0});
  auto all = w.must(w.store->list_app_passwords(w.demo.id, true));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_NE(all[0].revoked, 0);
  EXPECT_EQ(all[0].revoked_reason, "account password changed");
  auto acc = w.reload(w.demo);
  EXPECT_TRUE(verify_password(acc.password_hash, "a much better password"));
  EXPECT_FALSE(verify_password(acc.password_hash, World::kDemoPassword));
}

}  // namespace
}  // namespace tegami::auth
