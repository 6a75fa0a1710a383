#include "account/directory.hpp"

#include <gtest/gtest.h>

#include "auth/test_support.hpp"

namespace tegami::account {
namespace {

using testing::World;

TEST(SplitAddress, Forms) {
  std::string l, d;
  ASSERT_TRUE(split_address("demo@tegami.test", l, d));
  EXPECT_EQ(l, "demo");
  EXPECT_EQ(d, "tegami.test");
  ASSERT_TRUE(split_address("\"a@b\"@tegami.test", l, d));  // the last '@' splits
  EXPECT_EQ(l, "\"a@b\"");
  EXPECT_EQ(d, "tegami.test");
  EXPECT_FALSE(split_address("demo", l, d));
  EXPECT_FALSE(split_address("@tegami.test", l, d));
  EXPECT_FALSE(split_address("demo@", l, d));
  EXPECT_FALSE(split_address("", l, d));
}

TEST(Directory, DomainNamesToHost) {
  EXPECT_EQ(World::must(check_domain_name("Example.Test.")), "example.test");
  EXPECT_EQ(World::must(check_domain_name("xn--r8jz45g.jp")), "xn--r8jz45g.jp");
  EXPECT_EQ(World::must(check_domain_name("mail-1.example.co.uk")), "mail-1.example.co.uk");
  for (const char* bad : {"例え.jp", "-bad.test", "bad-.test", "_foo.test", "a..b", "localhost", "",
                          ".", "a b.test", "x@y.test"}) {
    auto r = check_domain_name(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_EQ(r.code(), Errc::kInvalidData) << bad;
  }
  EXPECT_NE(check_domain_name("例え.jp").error().message.find("xn--"), std::string::npos);
  EXPECT_FALSE(check_domain_name(std::string(64, 'a') + ".test").ok());
}

TEST(Directory, LocalDomains) {
  World w;
  EXPECT_TRUE(is_local_domain(*w.store, "tegami.test"));
  EXPECT_TRUE(is_local_domain(*w.store, "TEGAMI.example"));
  EXPECT_TRUE(is_local_domain(*w.store, "other.test"));
  EXPECT_FALSE(is_local_domain(*w.store, "example.org"));
}

TEST(Directory, ResolveRecipientForms) {
  World w;
  w.must(w.store->add_alias(w.demo.id, "hello@tegami.test"));
  for (const char* addr :
       {"demo@tegami.test", "DEMO@TEGAMI.TEST", "demo+news@tegami.test", "Demo+A+B@tegami.test",
        "demo@tegami.example", "demo+x@tegami.example", "hello@tegami.test",
        "hello+tag@tegami.example", "<demo@tegami.test>", "demo@tegami.test."}) {
    auto r = resolve_recipient(*w.store, addr);
    ASSERT_TRUE(r.ok()) << addr << ": " << r.error().message;
    EXPECT_EQ(r->id, w.demo.id) << addr;
  }
}

// RFC 5321 §4.5.1: postmaster@ every domain of ours is accepted. An account or alias named
// postmaster gets it; otherwise the domain's oldest account; a domain without accounts refuses.
TEST(Directory, PostmasterReachesSomeone) {
  World w;
  w.add_account("later@tegami.test", "later-password-1");
  for (const char* addr : {"postmaster@tegami.test", "PostMaster@tegami.example"}) {
    auto r = resolve_recipient(*w.store, addr);
    ASSERT_TRUE(r.ok()) << addr;
    EXPECT_EQ(r->id, w.demo.id) << addr;
  }
  EXPECT_EQ(resolve_recipient(*w.store, "postmaster@other.test").code(), Errc::kNotFound);
  auto pm = w.add_account("postmaster@tegami.test", "postmaster-password-1");
  EXPECT_EQ(w.must(resolve_recipient(*w.store, "postmaster@tegami.example")).id, pm.id);
}

TEST(Directory, ResolveRecipientRefusals) {
  World w;
  auto r = resolve_recipient(*w.store, "demo@example.org");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kPerm);
  r = resolve_recipient(*w.store, "nobody@tegami.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kNotFound);
  EXPECT_EQ(resolve_recipient(*w.store, "nobody+demo@tegami.test").code(), Errc::kNotFound);
  EXPECT_EQ(resolve_recipient(*w.store, "+demo@tegami.test").code(), Errc::kNotFound);
  EXPECT_EQ(resolve_recipient(*w.store, "demo@other.test").code(), Errc::kNotFound);
  EXPECT_EQ(resolve_recipient(*w.store, "demo").code(), Errc::kInvalidData);
  EXPECT_EQ(resolve_recipient(*w.store, "").code(), Errc::kInvalidData);
}

TEST(Directory, AddressThatReallyHasAPlusWins) {
  World w;
  auto other = w.add_account("list+owner@tegami.test", "pw-pw-pw-pw");
  EXPECT_EQ(resolve_recipient(*w.store, "list+owner@tegami.test")->id, other.id);
}

TEST(Directory, SendableAddresses) {
  World w;
  w.must(w.store->add_alias(w.demo.id, "hello@tegami.test"));
  auto r = sendable_addresses(*w.store, w.demo);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"demo@tegami.test", "demo@tegami.example",
                                          "hello@tegami.test", "hello@tegami.example"}));
}

TEST(Directory, AddAlias) {
  World w;
  ASSERT_TRUE(add_alias(*w.store, w.demo, " Hello@Tegami.Test "));
  // On the alias domain: stored on the primary (the twin comes with it).
  ASSERT_TRUE(add_alias(*w.store, w.demo, "news@tegami.example"));
  auto aliases = w.must(w.store->list_aliases(w.demo.id));
  std::sort(aliases.begin(), aliases.end());
  EXPECT_EQ(aliases, (std::vector<std::string>{"hello@tegami.test", "news@tegami.test"}));
  EXPECT_EQ(resolve_recipient(*w.store, "news@tegami.example")->id, w.demo.id);

  EXPECT_EQ(add_alias(*w.store, w.demo, "hello@tegami.example").code(), Errc::kExists);
  EXPECT_EQ(add_alias(*w.store, w.demo, "demo@tegami.example").code(), Errc::kExists);
  auto other = w.add_account("bob@other.test", "pw-pw-pw-pw");
  EXPECT_EQ(add_alias(*w.store, other, "hello@tegami.test").code(), Errc::kExists);
  EXPECT_EQ(add_alias(*w.store, w.demo, "me@example.org").code(), Errc::kPerm);
  EXPECT_EQ(add_alias(*w.store, w.demo, "a+b@tegami.test").code(), Errc::kInvalidData);
  EXPECT_EQ(add_alias(*w.store, w.demo, "no-at-sign").code(), Errc::kInvalidData);
  EXPECT_EQ(add_alias(*w.store, w.demo, "sp ace@tegami.test").code(), Errc::kInvalidData);

  ASSERT_TRUE(add_alias(*w.store, w.demo, "third@other.test"));
  auto r = add_alias(*w.store, w.demo, "fourth@tegami.test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::kLimit);
  EXPECT_EQ(w.must(w.store->list_aliases(w.demo.id)).size(), size_t{kMaxAliases});
}

TEST(Directory, OwnAliasStaysOnOwnDomains) {
  World w;
  EXPECT_EQ(add_own_alias(*w.store, w.demo, "x@other.test").code(), Errc::kPerm);
  EXPECT_EQ(add_own_alias(*w.store, w.demo, "x@example.org").code(), Errc::kPerm);
  ASSERT_TRUE(add_own_alias(*w.store, w.demo, "x@tegami.test"));
  ASSERT_TRUE(add_own_alias(*w.store, w.demo, "y@Tegami.Example"));
  EXPECT_EQ(add_own_alias(*w.store, w.demo, "bad").code(), Errc::kInvalidData);
  auto aliases = w.must(w.store->list_aliases(w.demo.id));
  std::sort(aliases.begin(), aliases.end());
  EXPECT_EQ(aliases, (std::vector<std::string>{"x@tegami.test", "y@tegami.test"}));
}

}  // namespace
}  // namespace tegami::account
