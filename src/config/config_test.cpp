#include "config/config.hpp"

#include <gtest/gtest.h>

#include "config/toml.hpp"

namespace tegami::config {

TEST(Config, DefaultsWhenEmpty) {
  auto c = load_text("", "t.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ports.imaps, 993);
  EXPECT_EQ(c->message_size, 20 * 1024 * 1024);
  EXPECT_FALSE(c->allow_account_password);
}

// PRODUCT.md §7's plans unless configured; what a plan does not set comes from [limits] and
// [quota]; the default plan must be one of them.
TEST(Config, Plans) {
  auto d = load_text("[quota]\ndefault = 1000\n[limits]\nmessages_per_day = 7\n", "t.toml");
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->plans.size(), 4u);
  const Plan* free = find_plan(*d, "");
  ASSERT_NE(free, nullptr);
  EXPECT_EQ(free->name, "free");
  EXPECT_EQ(free->quota, 1000);
  EXPECT_EQ(free->messages_per_day, 7);
  ASSERT_NE(find_plan(*d, "2tb"), nullptr);
  EXPECT_EQ(find_plan(*d, "2tb")->quota, 2048LL * 1024 * 1024 * 1024);
  EXPECT_EQ(find_plan(*d, "nope"), nullptr);

  auto c = load_text(R"([limits]
recipients_per_day = 300
[quota]
default_plan = "basic"
[plans.basic]
quota = 100
[plans.pro]
quota = 0
messages_per_day = 5000
recipients_per_message = 50
)",
                     "t.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->plans.size(), 2u);
  const Plan* pro = find_plan(*c, "pro");
  ASSERT_NE(pro, nullptr);
  EXPECT_EQ(pro->quota, 0);
  EXPECT_EQ(pro->messages_per_day, 5000);
  EXPECT_EQ(pro->recipients_per_day, 300);
  EXPECT_EQ(pro->recipients_per_message, 50);
  // A plan can only lower the server's recipients per message: 0 or more is the server's.
  auto up = load_text(
      "[limits]\nrecipients_per_message = 40\n[plans.a]\nrecipients_per_message = "
      "0\n[plans.b]\nrecipients_per_message = 90\n[quota]\ndefault_plan = \"a\"\n",
      "t.toml");
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(find_plan(*up, "a")->recipients_per_message, 40);
  EXPECT_EQ(find_plan(*up, "b")->recipients_per_message, 40);
  EXPECT_EQ(find_plan(*c, "")->name, "basic");
  EXPECT_EQ(find_plan(*c, "")->messages_per_day, 1000);

  for (const char* bad :
       {"[plans.pro]\nquota = -1\n", "[plans.pro]\nspeed = 3\n", "[plans.Pro]\nquota = 1\n",
        "[plans.pro]\nquota = \"big\"\n", "[quota]\ndefault_plan = \"gold\"\n"}) {
    auto r = load_text(bad, "t.toml");
    EXPECT_FALSE(r.ok()) << bad;
  }
}

// An empty [plans.NAME] table is a plan with every value inherited.
TEST(Config, AnEmptyPlanTableIsAPlan) {
  auto e = load_text("[quota]\ndefault_plan = \"basic\"\n[plans.basic]\n[plans.pro]\nquota = 9\n",
                     "t.toml");
  ASSERT_TRUE(e.ok()) << e.error().message;
  ASSERT_EQ(e->plans.size(), 2u);
  EXPECT_EQ(find_plan(*e, "")->name, "basic");
  EXPECT_EQ(find_plan(*e, "")->quota, 5LL * 1024 * 1024 * 1024);
  EXPECT_FALSE(load_text("[plans.Bad]\n", "t.toml").ok());
  // The error names the header's line.
  auto bad = load_text("[quota]\ndefault = 9\n\n[plans.Bad]\n", "t.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("line 4: plan name 'Bad'"), std::string::npos)
      << bad.error().message;
}

TEST(Config, ReadsEveryKind) {
  auto c = load_text(R"(# comment
[server]
hostname = "mail.example.com"  # trailing comment
listen = ["127.0.0.1",
          "::1"]
threads = 2
[ports]
imaps = 1993
[auth]
allow_account_password = true
[limits]
message_size = 10_485_760
)",
                     "t.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->hostname, "mail.example.com");
  ASSERT_EQ(c->listen.size(), 2u);
  EXPECT_EQ(c->listen[1], "::1");
  EXPECT_EQ(c->ports.imaps, 1993);
  EXPECT_TRUE(c->allow_account_password);
  EXPECT_EQ(c->message_size, 10485760);
}

TEST(Config, DnsAndMailauth) {
  auto d = load_text("", "t.toml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->dns_forwarder, "");
  EXPECT_EQ(d->dns_timeout_ms, 10000);
  EXPECT_TRUE(d->mailauth_check);
  EXPECT_TRUE(d->dmarc_junk);
  EXPECT_EQ(d->authserv_id, "");
  auto c = load_text(R"([dns]
forwarder = "127.0.0.1@5353"
trust_anchor = "/usr/share/dns/root.key"
timeout_ms = 2000
[mailauth]
authserv_id = "mx.example.com"
check = false
dmarc_junk = false
)",
                     "t.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->dns_forwarder, "127.0.0.1@5353");
  EXPECT_EQ(c->dns_trust_anchor, "/usr/share/dns/root.key");
  EXPECT_EQ(c->dns_timeout_ms, 2000);
  EXPECT_EQ(c->authserv_id, "mx.example.com");
  EXPECT_FALSE(c->mailauth_check);
  EXPECT_FALSE(c->dmarc_junk);
  for (const char* ok : {"::1", "::1@53", "192.0.2.1", "2001:db8::1@5353"})
    EXPECT_TRUE(load_text(std::string("[dns]\nforwarder = \"") + ok + "\"\n", "t").ok()) << ok;
  for (const char* bad :
       {"localhost", "127.0.0.1:53", "127.0.0.1@", "127.0.0.1@70000", "127.0.0.1@5x", "1.2.3@53"}) {
    auto r = load_text(std::string("[dns]\nforwarder = \"") + bad + "\"\n", "t.toml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("line 2: key 'dns.forwarder'"), std::string::npos)
        << r.error().message;
  }
  EXPECT_FALSE(load_text("[dns]\ntimeout_ms = 5\n", "t.toml").ok());
}

TEST(Config, NamesUnknownKeyAndLine) {
  auto c = load_text("[server]\nhostname = \"x\"\n\n[limits]\nmesage_size = 5\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "t.toml line 5: unknown key 'limits.mesage_size' (see docs/configuration.md)");
}

TEST(Config, NamesWrongTypeAndLine) {
  auto c = load_text("[ports]\nimaps = \"993\"\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "t.toml line 2: key 'ports.imaps' must be a port number, not string");
  auto d = load_text("[ports]\nimaps = 99999\n", "t.toml");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("1-65535"), std::string::npos);
}

TEST(Config, SyntaxErrorsHaveLines) {
  for (const char* bad : {"[server\n", "hostname = mail\n", "a = \"unterminated\n", "a = {x = 1}\n",
                          "a = 1\na = 2\n", "[[x]]\n", "a = [1, 2\n", "a = 1 b\n"}) {
    auto t = parse_toml(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.error().message.rfind("line ", 0), 0u) << t.error().message;
    }
  }
}

TEST(Config, DevModeMovesDefaultsButKeepsExplicitKeys) {
  auto c = load_text("[server]\ndev = true\n[ports]\nimaps = 20993\n", "t.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ports.imaps, 20993);
  EXPECT_EQ(c->ports.imap, 10143);
  EXPECT_EQ(c->listen, std::vector<std::string>{"127.0.0.1"});
}

}  // namespace tegami::config
