#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "auth/app_passwords.hpp"
#include "auth/test_support.hpp"

namespace tegami::auth {
namespace {

using testing::FakeClock;
using testing::World;

LoginContext imap(std::string ip = "203.0.113.4", std::string client = "Thunderbird") {
  LoginContext c;
  c.protocol = "imap";
  c.remote_ip = std::move(ip);
  c.tls = true;
  c.tls_version = "TLSv1.3";
  c.client_name = std::move(client);
  return c;
}

class AuthTest : public ::testing::Test {
 protected:
  AuthTest() {
    w.must(w.store->add_alias(w.demo.id, "hello@tegami.test"));
    auto ap = w.must(create_app_password(*w.store, w.demo, "Outlook PC", clock));
    outlook = ap.first;
    outlook_password = ap.second;
  }
  Authenticator make(Policy p = {}) {
    p.history_quiet_seconds = 0;
    return Authenticator(*w.store, p, clock);
  }
  std::vector<store::Event> events() { return w.must(w.store->list_events(w.demo.id, 100)); }
  std::string last_detail(std::string_view kind) {
    for (const auto& e : events())  // newest first
      if (e.kind == kind) return e.detail;
    return "";
  }

  World w;
  FakeClock clock;
  store::AppPassword outlook;
  std::string outlook_password;
};

TEST_F(AuthTest, EveryUserNameForm) {
  auto a = make();
  for (const char* name :
       {"demo@tegami.test", "DEMO@Tegami.Test", "demo@tegami.example", "hello@tegami.test",
        "Hello@TEGAMI.example", "demo", "DEMO", "hello", " demo@tegami.test "}) {
    auto r = a.resolve_user(name);
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ(r->id, w.demo.id) << name;
  }
}

TEST_F(AuthTest, WrongUserNameFormsRejected) {
  auto a = make();
  for (const char* name : {"demo+tag@tegami.test", "demo+tag", "nobody@tegami.test",
                           "demo@other.test", "demo@unknown.example", "nobody", "", "@tegami.test",
                           "demo@", "de mo@tegami.test", "<demo@tegami.test>"}) {
    auto r = a.resolve_user(name);
    EXPECT_FALSE(r.ok()) << name;
    if (!r) {
      EXPECT_EQ(r.code(), Errc::kNotFound) << name;
    }
  }
}

TEST_F(AuthTest, BareLocalPartPrefersDefaultDomainThenUniqueMatch) {
  w.add_account("demo@other.test", "x-password-1");
  auto other = w.add_account("solo@other.test", "x-password-2");
  {
    auto a = make();  // no default domain: "demo" is ambiguous, "solo" unique
    EXPECT_FALSE(a.resolve_user("demo").ok());
    ASSERT_TRUE(a.resolve_user("solo").ok());
    EXPECT_EQ(a.resolve_user("solo")->id, other.id);
  }
  Policy p;
  p.default_domain = "Tegami.Test";
  auto a = make(p);
  ASSERT_TRUE(a.resolve_user("demo").ok());
  EXPECT_EQ(a.resolve_user("demo")->id, w.demo.id);
  EXPECT_EQ(a.resolve_user("solo")->id, other.id);
}

TEST_F(AuthTest, AppPasswordInEveryTypedForm) {
  auto a = make();
  std::string bare = normalize_app_password(outlook_password);
  std::string upper = outlook_password;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string no_hyphens;  // upper case, no hyphens
  for (char c : upper)
    if (c != '-') no_hyphens.push_back(c);
  const std::string forms[] = {outlook_password,
                               bare,
                               upper,
                               no_hyphens,
                               bare.substr(0, 4) + " " + bare.substr(4, 4) + " " + bare.substr(8),
                               " " + outlook_password + " "};
  for (const std::string& typed : forms) {
    for (const char* user : {"demo@tegami.test", "demo", "hello@tegami.example"}) {
      auto r = a.login(user, typed, imap());
      ASSERT_EQ(r.status, LoginStatus::kOk) << user << " / " << typed;
      EXPECT_EQ(r.account.id, w.demo.id);
      EXPECT_EQ(r.app_password_id, outlook.id);
      EXPECT_EQ(r.delay_ms, 0);
    }
  }
  auto aps = w.must(w.store->list_app_passwords(w.demo.id, false));
  ASSERT_EQ(aps.size(), 1u);
  EXPECT_EQ(aps[0].last_used, clock.now_unix());
  EXPECT_EQ(aps[0].last_ip, "203.0.113.4");
  EXPECT_EQ(aps[0].last_client, "Thunderbird");
  EXPECT_NE(last_detail("login_ok").find("app password 'Outlook PC'"), std::string::npos);
}

TEST_F(AuthTest, PicksTheMatchingAppPassword) {
  auto second = w.must(create_app_password(*w.store, w.demo, "iPhone", clock));
  auto a = make();
  EXPECT_EQ(a.login("demo", second.second, imap()).app_password_id, second.first.id);
  EXPECT_EQ(a.login("demo", outlook_password, imap()).app_password_id, outlook.id);
  EXPECT_EQ(a.login("demo", second.second, imap()).app_password_id, second.first.id);  // cached
}

TEST_F(AuthTest, WrongPasswordFailsWithReasonInHistory) {
  auto a = make();
  auto r = a.login("demo@tegami.test", "abcd-efgh-ijkl-mnop", imap());
  EXPECT_EQ(r.status, LoginStatus::kFailed);
  EXPECT_EQ(r.account.id, 0);
  std::string d = last_detail("login_failed");
  EXPECT_NE(d.find("Thunderbird at 203.0.113.4"), std::string::npos) << d;
  EXPECT_NE(d.find("wrong password"), std::string::npos) << d;
  auto evs = events();
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs[0].remote, "203.0.113.4");
  EXPECT_EQ(evs[0].time, clock.now_unix());
}

// RFC 4616 authzid: any form of the user's own name is the user; another account's name is
// refused (acting for someone else is not supported) and the owner's history says why.
TEST_F(AuthTest, AuthorizationNameMustBeTheSameAccount) {
  w.add_account("other@tegami.test", "other-password-1");
  auto a = make();
  for (const char* as : {"demo@tegami.test", "DEMO", "hello@tegami.example"}) {
    LoginContext c = imap();
    c.authzid = as;
    auto r = a.login("demo", outlook_password, c);
    EXPECT_EQ(r.status, LoginStatus::kOk) << as;
  }
  LoginContext c = imap();
  c.authzid = "other@tegami.test";
  auto r = a.login("demo", outlook_password, c);
  EXPECT_EQ(r.status, LoginStatus::kFailed);
  EXPECT_TRUE(r.other_authzid);
  std::string d = last_detail("login_failed");
  EXPECT_NE(d.find("act as \"other@tegami.test\""), std::string::npos) << d;
  c.authzid = "nobody@tegami.test";
  EXPECT_EQ(a.login("demo", outlook_password, c).status, LoginStatus::kFailed);
  // With a wrong password, or for a user that does not exist, it is an ordinary failure.
  c.authzid = "other@tegami.test";
  EXPECT_FALSE(a.login("demo", "abcd-efgh-ijkl-mnop", c).other_authzid);
  EXPECT_FALSE(a.login("nobody", "abcd-efgh-ijkl-mnop", c).other_authzid);
}

TEST_F(AuthTest, EmptyAndOverlongPasswordsFail) {
  auto a = make();
  EXPECT_EQ(a.login("demo", "", imap()).status, LoginStatus::kFailed);
  EXPECT_EQ(a.login("demo", std::string(5000, 'a'), imap()).status, LoginStatus::kFailed);
  EXPECT_NE(last_detail("login_failed").find("overlong"), std::string::npos);
  EXPECT_EQ(a.login("nobody", std::string(5000, 'a'), imap()).status, LoginStatus::kFailed);
}

TEST_F(AuthTest, UnknownUserIsNotRecordedAnywhere) {
  auto a = make();
  size_t before = events().size();
  EXPECT_EQ(a.login("nobody@tegami.test", outlook_password, imap()).status, LoginStatus::kFailed);
  EXPECT_EQ(a.login("demo+x@tegami.test", outlook_password, imap()).status, LoginStatus::kFailed);
  EXPECT_EQ(events().size(), before);
}

TEST_F(AuthTest, RevokedAppPasswordRejectedAndExplained) {
  auto a = make();
  ASSERT_EQ(a.login("demo", outlook_password, imap()).status, LoginStatus::kOk);  // now cached
  ASSERT_TRUE(revoke_app_password(*w.store, nullptr, w.demo, "Outlook PC", "lost laptop", clock));
  auto r = a.login("demo", outlook_password, imap());
  EXPECT_EQ(r.status, LoginStatus::kFailed);
  std::string d = last_detail("login_failed");
  EXPECT_NE(d.find("app password 'Outlook PC' was revoked on "), std::string::npos) << d;
  EXPECT_NE(d.find("lost laptop"), std::string::npos) << d;

  // Without the cache (a fresh authenticator), the revoked one is still recognised.
  auto fresh = make();
  EXPECT_EQ(fresh.login("demo", outlook_password, imap()).status, LoginStatus::kFailed);
  EXPECT_NE(last_detail("login_failed").find("'Outlook PC' was revoked"), std::string::npos);
}

TEST_F(AuthTest, PasswordChangeRevocationIsExplained) {
  auto a = make();
  ASSERT_TRUE(change_password(*w.store, nullptr, w.demo, "a brand new password", clock));
  EXPECT_EQ(a.login("demo", outlook_password, imap()).status, LoginStatus::kFailed);
  std::string d = last_detail("login_failed");
  EXPECT_NE(d.find("'Outlook PC' was revoked"), std::string::npos) << d;
  EXPECT_NE(d.find("account password changed"), std::string::npos) << d;
}

TEST_F(AuthTest, AccountPasswordRefusedWithTwoFactor) {
  auto a = make();
  auto r = a.login("demo", World::kDemoPassword, imap());
  EXPECT_EQ(r.status, LoginStatus::kFailed);
  EXPECT_EQ(last_detail("login_failed"),
            "Thunderbird at 203.0.113.4 used the account password; mail apps need an "
            "app-specific password (create one in the account portal).");
  // Without a client name, the protocol names it.
  auto ctx = imap("203.0.113.9", "");
  ctx.protocol = "smtp";
  EXPECT_EQ(a.login("demo", World::kDemoPassword, ctx).status, LoginStatus::kFailed);
  EXPECT_NE(last_detail("login_failed").find("A mail app (SMTP) at 203.0.113.9 used the account"),
            std::string::npos)
      << last_detail("login_failed");
}

TEST_F(AuthTest, AccountPasswordAcceptedByPolicyOrWithoutTwoFactor) {
  Policy p;
  p.allow_account_password = true;
  auto a = make(p);
  auto r = a.login("demo", World::kDemoPassword, imap());
  EXPECT_EQ(r.status, LoginStatus::kOk);
  EXPECT_EQ(r.app_password_id, 0);

  ASSERT_TRUE(w.store->set_two_factor(w.demo.id, false));
  auto strict = make();
  r = strict.login("demo@tegami.test", World::kDemoPassword, imap());
  EXPECT_EQ(r.status, LoginStatus::kOk);
  EXPECT_EQ(r.account.id, w.demo.id);
  EXPECT_NE(last_detail("login_ok").find("with the account password"), std::string::npos);
}

TEST_F(AuthTest, OldTlsIsRefusedAndNamed) {
  auto a = make();
  auto ctx = imap();
  ctx.tls_version = "TLSv1";
  EXPECT_EQ(a.login("demo", outlook_password, ctx).status, LoginStatus::kFailed);
  std::string d = last_detail("login_failed");
  EXPECT_NE(d.find("TLS 1.0"), std::string::npos) << d;
  ctx.tls_version = "TLSv1.1";
  EXPECT_EQ(a.login("demo", "abcdabcdabcdabcd", ctx).status, LoginStatus::kFailed);
  EXPECT_NE(last_detail("login_failed").find("TLS 1.1"), std::string::npos);
  EXPECT_NE(last_detail("login_failed").find("wrong password"), std::string::npos);

  Policy p;
  p.refuse_old_tls = false;
  auto lenient = make(p);
  ctx.tls_version = "TLSv1";
  EXPECT_EQ(lenient.login("demo", outlook_password, ctx).status, LoginStatus::kOk);
}

TEST_F(AuthTest, ThrottlesTheFailingAddressOnly) {
  Policy p;
  p.slow_after = 2;
  p.block_after = 4;
  p.block_seconds = 300;
  auto a = make(p);
  const auto attacker = imap("198.51.100.66", "evil");
  EXPECT_EQ(a.login("demo", "guess1", attacker).delay_ms, 0);
  EXPECT_EQ(a.login("demo", "guess2", attacker).delay_ms, 0);
  int d3 = a.login("demo", "guess3", attacker).delay_ms;
  EXPECT_GT(d3, 0);
  auto r4 = a.login("demo", "guess4", attacker);
  EXPECT_EQ(r4.status, LoginStatus::kFailed);
  EXPECT_GT(r4.delay_ms, d3);
  // Blocked now, even with the right password.
  EXPECT_EQ(a.login("demo", outlook_password, attacker).status, LoginStatus::kThrottled);
  EXPECT_NE(last_detail("login_failed").find("too many failed sign-ins"), std::string::npos);
  // The owner, elsewhere, is not locked out.
  EXPECT_EQ(a.login("demo", outlook_password, imap()).status, LoginStatus::kOk);
  // Unknown users count too.
  EXPECT_EQ(a.login("nobody", "x", attacker).status, LoginStatus::kThrottled);
  clock.advance(301);
  EXPECT_EQ(a.login("demo", outlook_password, attacker).status, LoginStatus::kOk);
}

TEST_F(AuthTest, AccountPasswordGetsNoFasterAnswerThanAWrongOne) {
  // Otherwise the delay would tell an attacker the account password was right.
  Policy p;
  p.slow_after = 1;
  p.block_after = 100;
  auto a = make(p);
  const auto ctx = imap("198.51.100.7", "");
  a.login("demo", "wrong", ctx);
  int wrong = a.login("demo", "wrong", ctx).delay_ms;
  int right = a.login("demo", World::kDemoPassword, ctx).delay_ms;
  EXPECT_GT(wrong, 0);
  EXPECT_GE(right, wrong);
}

TEST_F(AuthTest, RepeatedIdenticalHistoryEntriesAreQuiet) {
  Policy p;
  p.history_quiet_seconds = 600;
  Authenticator a(*w.store, p, clock);
  size_t before = events().size();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(a.login("demo", outlook_password, imap()).status, LoginStatus::kOk);
  EXPECT_EQ(events().size(), before + 1);
  a.login("demo", outlook_password, imap("192.0.2.50"));  // another address: recorded
  EXPECT_EQ(events().size(), before + 2);
  clock.advance(601);
  a.login("demo", outlook_password, imap());
  EXPECT_EQ(events().size(), before + 3);
}

TEST_F(AuthTest, ConcurrentLogins) {
  auto a = make();
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        bool good = (i + t) % 2 == 0;
        auto r = a.login("demo", good ? outlook_password : "wrong-password",
                         imap("192.0.2." + std::to_string(t + 1)));
        (r.status == LoginStatus::kOk ? ok : failed)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(failed.load(), 40);
}

}  // namespace
}  // namespace tegami::auth
