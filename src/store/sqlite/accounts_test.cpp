// Domains, accounts, addresses, app passwords and events of the SQLite store.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "store/sqlite/test_util.hpp"

namespace tegami::store::testing {
namespace {

using AccountsTest = StoreTest;

TEST_F(AccountsTest, Domains) {
  auto d = store_->add_domain("Example.ORG");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->name, "example.org");
  EXPECT_EQ(d->alias_of, 0);
  auto dup = store_->add_domain("example.org");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.code(), Errc::kExists);

  auto alias = store_->add_alias_domain("EXAMPLE.org", "example.net");
  ASSERT_TRUE(alias.ok()) << alias.error().message;
  EXPECT_EQ(alias->alias_of, d->id);
  EXPECT_EQ(store_->add_alias_domain("nowhere.test", "x.test").code(), Errc::kNotFound);
  EXPECT_EQ(store_->add_alias_domain("example.net", "y.test").code(), Errc::kInvalidData);
  EXPECT_EQ(store_->add_alias_domain("example.org", "example.net").code(), Errc::kExists);
  EXPECT_EQ(store_->add_domain("bad@name").code(), Errc::kInvalidData);

  auto f = store_->find_domain("EXAMPLE.NET");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, alias->id);
  EXPECT_EQ(store_->find_domain("unknown.test").code(), Errc::kNotFound);

  auto all = store_->list_domains();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "example.net");
  EXPECT_EQ((*all)[1].name, "example.org");
}

TEST_F(AccountsTest, AddAccountCreatesSpecialMailboxes) {
  Account a = account("Alice@Example.org", 1000);
  EXPECT_EQ(a.address, "alice@example.org");
  EXPECT_EQ(a.quota_bytes, 1000);
  EXPECT_EQ(a.used_bytes, 0);
  EXPECT_TRUE(a.two_factor);
  EXPECT_GT(a.created, 0);
  auto boxes = store_->list_mailboxes(a.id);
  ASSERT_TRUE(boxes.ok());
  ASSERT_EQ(boxes->size(), 6u);
  EXPECT_EQ((*boxes)[0].name, "INBOX");
  std::map<std::string, std::string> uses;
  std::set<uint32_t> validities;
  for (const auto& m : *boxes) {
    uses[m.name] = m.special_use;
    validities.insert(m.uid_validity);
    EXPECT_EQ(m.uid_next, 1u);
    EXPECT_TRUE(m.subscribed);
    EXPECT_EQ(m.account_id, a.id);
  }
  EXPECT_EQ(validities.size(), 6u) << "UIDVALIDITY unique per account";
  EXPECT_EQ(uses["INBOX"], "");
  EXPECT_EQ(uses["Drafts"], "\\Drafts");
  EXPECT_EQ(uses["Sent Messages"], "\\Sent");
  EXPECT_EQ(uses["Junk"], "\\Junk");
  EXPECT_EQ(uses["Deleted Messages"], "\\Trash");
  EXPECT_EQ(uses["Archive"], "\\Archive");
  EXPECT_EQ(store_->list_mailboxes(9999).code(), Errc::kNotFound);
}

TEST_F(AccountsTest, DuplicateAndInvalidAccounts) {
  account("bob@example.org");
  EXPECT_EQ(store_->add_account("BOB@example.org", "h", 0).code(), Errc::kExists);
  EXPECT_EQ(store_->add_account("no-at-sign", "h", 0).code(), Errc::kInvalidData);
  EXPECT_EQ(store_->add_account("a@b@c", "h", 0).code(), Errc::kInvalidData);
  EXPECT_EQ(store_->add_account("x@example.org", "h", -1).code(), Errc::kInvalidData);
  auto all = store_->list_accounts();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(AccountsTest, FindByAddressAndAliases) {
  Account a = account("carol@example.org");
  Account b = account("dave@example.org");
  ASSERT_TRUE(store_->add_alias(a.id, "Sales@Example.org").ok());
  EXPECT_EQ(store_->add_alias(b.id, "sales@example.org").code(), Errc::kExists);
  EXPECT_EQ(store_->add_alias(b.id, "CAROL@example.org").code(), Errc::kExists);
  EXPECT_EQ(store_->add_alias(9999, "z@example.org").code(), Errc::kNotFound);
  ASSERT_TRUE(store_->add_alias(a.id, "info@example.org").ok());

  auto f = store_->find_account_by_address("SALES@example.ORG");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, a.id);
  f = store_->find_account_by_address("Carol@Example.org");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, a.id);
  EXPECT_EQ(store_->find_account_by_address("nobody@example.org").code(), Errc::kNotFound);
  EXPECT_EQ(store_->find_account_by_address("carol+tag@example.org").code(), Errc::kNotFound);

  auto aliases = store_->list_aliases(a.id);
  ASSERT_TRUE(aliases.ok());
  EXPECT_EQ(*aliases, (std::vector<std::string>{"info@example.org", "sales@example.org"}));

  EXPECT_EQ(store_->remove_alias(a.id, "carol@example.org").code(), Errc::kPerm);
  EXPECT_EQ(store_->remove_alias(b.id, "sales@example.org").code(), Errc::kNotFound);
  ASSERT_TRUE(store_->remove_alias(a.id, "SALES@example.org").ok());
  EXPECT_EQ(store_->find_account_by_address("sales@example.org").code(), Errc::kNotFound);
  ASSERT_TRUE(store_->add_alias(b.id, "sales@example.org").ok());
  EXPECT_EQ(store_->find_account_by_address("sales@example.org")->id, b.id);
}

TEST_F(AccountsTest, SettingsAndUnknownAccounts) {
  Account a = account("erin@example.org");
  ASSERT_TRUE(store_->set_two_factor(a.id, false).ok());
  ASSERT_TRUE(store_->set_quota(a.id, 12345).ok());
  auto g = store_->get_account(a.id);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->two_factor);
  EXPECT_EQ(g->quota_bytes, 12345);
  EXPECT_EQ(store_->set_quota(a.id, -5).code(), Errc::kInvalidData);
  EXPECT_EQ(store_->get_account(777).code(), Errc::kNotFound);
  EXPECT_EQ(store_->set_password(777, "h").code(), Errc::kNotFound);
  EXPECT_EQ(store_->set_two_factor(777, true).code(), Errc::kNotFound);
  EXPECT_EQ(store_->set_quota(777, 1).code(), Errc::kNotFound);
  // A plan comes with its quota; a new account is on the default plan ("").
  EXPECT_EQ(g->plan, "");
  ASSERT_TRUE(store_->set_plan(a.id, "50gb", 50000).ok());
  g = store_->get_account(a.id);
  EXPECT_EQ(g->plan, "50gb");
  EXPECT_EQ(g->quota_bytes, 50000);
  EXPECT_EQ(store_->set_plan(a.id, "x", -1).code(), Errc::kInvalidData);
  EXPECT_EQ(store_->set_plan(777, "x", 1).code(), Errc::kNotFound);
}

TEST_F(AccountsTest, AppPasswords) {
  Account a = account("frank@example.org");
  Account b = account("grace@example.org");
  auto p1 = store_->add_app_password(a.id, "Phone", "hash1");
  ASSERT_TRUE(p1.ok()) << p1.error().message;
  EXPECT_EQ(p1->label, "Phone");
  EXPECT_EQ(p1->hash, "hash1");
  EXPECT_EQ(p1->revoked, 0);
  EXPECT_GT(p1->created, 0);
  EXPECT_EQ(store_->add_app_password(a.id, "Phone", "hash2").code(), Errc::kExists);
  ASSERT_TRUE(store_->add_app_password(b.id, "Phone", "hash3").ok()) << "per account";
  auto p2 = store_->add_app_password(a.id, "Laptop", "hash4");
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(store_->add_app_password(999, "x", "h").code(), Errc::kNotFound);

  EXPECT_EQ(store_->revoke_app_password(b.id, p1->id, "by owner").code(), Errc::kNotFound);
  ASSERT_TRUE(store_->revoke_app_password(a.id, p1->id, "revoked by the owner").ok());
  ASSERT_TRUE(store_->revoke_app_password(a.id, p1->id, "again").ok()) << "idempotent";
  auto p3 = store_->add_app_password(a.id, "Phone", "hash5");
  ASSERT_TRUE(p3.ok()) << "a revoked label can be reused";

  // Revocations are visible to other processes by time, across accounts.
  auto recent = store_->app_passwords_revoked_since(p1->created);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].id, p1->id);
  EXPECT_EQ((*recent)[0].account_id, a.id);
  EXPECT_TRUE(store_->app_passwords_revoked_since((*recent)[0].revoked + 1)->empty());

  auto active = store_->list_app_passwords(a.id, false);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 2u);
  EXPECT_EQ((*active)[0].id, p2->id);
  EXPECT_EQ((*active)[1].id, p3->id);
  auto all = store_->list_app_passwords(a.id, true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_GT((*all)[0].revoked, 0);
  EXPECT_EQ((*all)[0].revoked_reason, "revoked by the owner");

  ASSERT_TRUE(store_->note_app_password_use(p2->id, 1700000123, "192.0.2.7", "Thunderbird").ok());
  ASSERT_TRUE(store_->note_app_password_use(p2->id, 1700000200, "192.0.2.8", "").ok());
  EXPECT_EQ(store_->note_app_password_use(9999, 1, "", "").code(), Errc::kNotFound);
  all = store_->list_app_passwords(a.id, true);
  EXPECT_EQ((*all)[1].last_used, 1700000200);
  EXPECT_EQ((*all)[1].last_ip, "192.0.2.8");
  EXPECT_EQ((*all)[1].last_client, "Thunderbird");

  // Changing the account password revokes every active app password.
  ASSERT_TRUE(store_->set_password(a.id, "$argon2id$new").ok());
  EXPECT_EQ(store_->get_account(a.id)->password_hash, "$argon2id$new");
  active = store_->list_app_passwords(a.id, false);
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->empty());
  all = store_->list_app_passwords(a.id, true);
  EXPECT_EQ((*all)[0].revoked_reason, "revoked by the owner");
  EXPECT_EQ((*all)[1].revoked_reason, "account password changed");
  EXPECT_EQ((*all)[2].revoked_reason, "account password changed");
  EXPECT_EQ(store_->list_app_passwords(b.id, false)->size(), 1u) << "other accounts untouched";

  ASSERT_TRUE(store_->revoke_all_app_passwords(b.id, "lost phone").ok());
  EXPECT_TRUE(store_->list_app_passwords(b.id, false)->empty());
  EXPECT_EQ(store_->list_app_passwords(b.id, true)->at(0).revoked_reason, "lost phone");
}

TEST_F(AccountsTest, EventsNewestFirst) {
  Account a = account("heidi@example.org");
  for (int i = 0; i < 5; ++i) {
    Event e;
    e.account_id = a.id;
    e.time = 1000 + (i % 3);  // ties are broken by insertion order
    e.kind = "login_ok";
    e.detail = "event " + std::to_string(i);
    e.remote = "198.51.100.1";
    ASSERT_TRUE(store_->add_event(e).ok());
  }
  Event bad;
  bad.account_id = 4242;
  EXPECT_EQ(store_->add_event(bad).code(), Errc::kNotFound);
  auto ev = store_->list_events(a.id, 3);
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->size(), 3u);
  EXPECT_EQ((*ev)[0].detail, "event 2");  // time 1002
  EXPECT_EQ((*ev)[1].detail, "event 4");  // time 1001, inserted after event 1
  EXPECT_EQ((*ev)[2].detail, "event 1");
  EXPECT_EQ((*ev)[0].remote, "198.51.100.1");
  EXPECT_EQ((*ev)[0].kind, "login_ok");
  EXPECT_EQ(store_->list_events(a.id, 100)->size(), 5u);
}

// The server and a CLI command may have the folder open at once: both write, both see the
// other's commits; orphan cleanup waits for a start with the folder to itself.
TEST_F(AccountsTest, TwoOpenersShareTheFolder) {
  Account a = account("ivy@example.org");
  std::string tmp = dir_ + "/blobs/ab/stray.1.2.tmp";
  std::filesystem::create_directories(dir_ + "/blobs/ab");
  { std::ofstream(tmp) << "partial"; }
  auto second = open_sqlite_store(dir_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(std::filesystem::exists(tmp)) << "not alone: no cleanup";
  auto b = (*second)->add_account("jack@example.org", "h", 0);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(store_->find_account_by_address("jack@example.org")->id, b->id);
  ASSERT_TRUE(store_->add_alias(a.id, "ivy2@example.org").ok());
  EXPECT_EQ((*second)->find_account_by_address("ivy2@example.org")->id, a.id);
  second->reset();
  store_.reset();
  open();  // alone again
  EXPECT_FALSE(std::filesystem::exists(tmp));
}

}  // namespace
}  // namespace tegami::store::testing
