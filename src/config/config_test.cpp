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
