#include "account/sending.hpp"

#include <gtest/gtest.h>

#include "auth/test_support.hpp"
#include "mime/encoding.hpp"

namespace tegami::account {
namespace {

using testing::World;

const std::string kMessage =
    "From: demo@tegami.test\r\nTo: x@remote.example\r\nSubject: hi\r\n\r\nHello.\r\n";

SendRequest request(World& w, int remote, int64_t now) {
  SendRequest r;
  r.account_id = w.demo.id;
  r.env_from = "demo@tegami.test";
  r.now = now;
  for (int i = 0; i < remote; ++i)
    r.remote.push_back({"r" + std::to_string(i) + "@Remote.Example", "FAILURE", ""});
  return r;
}

TEST(Sending, QueuesRemoteAndDeliversLocal) {
  World w;
  auto bob = w.add_account("bob@tegami.test", "pw-pw-pw-pw");
  SendPolicy p;
  p.hostname = "mail.tegami.test";
  SendRequest req = request(w, 2, 1'800'000'000);
  req.local = {bob.id, bob.id};
  req.envid = "e1";
  auto r = send(*w.store, nullptr, kMessage, index::build(kMessage), req, p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->delivered.size(), 1u);
  auto q = w.must(w.store->queue_get(r->queue_id()));
  EXPECT_EQ(q.rcpts.size(), 2u);
  EXPECT_EQ(q.rcpts[0].domain, "remote.example");
  EXPECT_EQ(q.expires, 1'800'000'000 + p.retry_for);
  EXPECT_EQ(q.envid, "e1");
  auto u = w.must(w.store->send_usage(w.demo.id, 1'800'000'000, 86400));
  EXPECT_EQ(u.messages, 1);
  EXPECT_EQ(u.recipients, 4);  // counted as given
}

TEST(Sending, LimitThenSuspensionWithOwnerNotice) {
  World w;
  SendPolicy p;
  p.hostname = "mail.tegami.test";
  p.limits = {2, 100, 3600};
  p.suspend_after = 3;
  int64_t t = 1'800'000'000;
  ASSERT_TRUE(send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t), p).ok());
  ASSERT_TRUE(
      send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + 10), p).ok());
  bool suspended = false;
  for (int i = 0; i < 3; ++i) {
    auto r = send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + 20 + i), p,
                  &suspended);
    ASSERT_EQ(r.code(), Errc::kLimit);
    std::string text;
    EXPECT_EQ(limit_reset_time(r.error().message, &text), t + 3600);
    EXPECT_NE(text.find("2 messages per 1 hours"), std::string::npos) << text;
    EXPECT_EQ(suspended, i == 2);
  }
  auto a = w.reload(w.demo);
  EXPECT_TRUE(a.send_suspended);
  EXPECT_NE(a.send_suspended_reason.find("reached 3 times"), std::string::npos);
  // Even after the window, a suspended account cannot send.
  auto r = send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + 7200), p);
  ASSERT_EQ(r.code(), Errc::kPerm);
  // The owner got the warning at 80 % (the second message), then one notice of the
  // suspension, in Japanese and English.
  auto inbox = w.must(w.store->get_mailbox(w.demo.id, "INBOX"));
  ASSERT_EQ(inbox.messages, 2u);
  auto msgs = w.must(w.store->list_messages(inbox.id));
  std::string raw = w.must(w.store->read_blob(msgs[1].blob_id));
  std::string body = mime::decode_base64(raw.substr(raw.find("\r\n\r\n") + 4));
  EXPECT_NE(body.find("送信を一時的に停止しました"), std::string::npos);
  EXPECT_NE(body.find("tegami account unsuspend demo@tegami.test"), std::string::npos);
  EXPECT_NE(body.find("has been suspended"), std::string::npos);
  auto events = w.must(w.store->list_events(w.demo.id, 10));
  bool found = false;
  for (const auto& e : events) found |= e.kind == "send_suspended";
  EXPECT_TRUE(found);
}

// A full mailbox still gets the notice (it is not held to the quota), and the caller hears of
// the suspension.
TEST(Sending, SuspensionNoticeReachesAFullMailbox) {
  World w;
  ASSERT_TRUE(w.store->set_quota(w.demo.id, 10).ok());
  SendPolicy p;
  p.hostname = "mail.tegami.test";
  p.limits = {1, 100, 3600};
  p.suspend_after = 1;
  int64_t t = 1'800'000'000;
  ASSERT_TRUE(send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t), p).ok());
  bool suspended = false;
  auto r = send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + 1), p,
                &suspended);
  ASSERT_EQ(r.code(), Errc::kLimit);
  EXPECT_TRUE(suspended);
  EXPECT_TRUE(w.reload(w.demo).send_suspended);
  // The warning at 80 % (the first message was all of it), then the notice.
  EXPECT_EQ(w.must(w.store->get_mailbox(w.demo.id, "INBOX")).messages, 2u);
}

// Lifting a suspension forgives the refusals so far: an account still at its limit is refused
// (451) but suspended again only after `suspend_after` new refusals.
TEST(Sending, UnsuspendForgivesEarlierRefusals) {
  World w;
  SendPolicy p;
  p.hostname = "mail.tegami.test";
  p.limits = {1, 100, 3600};
  p.suspend_after = 2;
  int64_t t = 1'800'000'000;
  auto try_send = [&](int64_t at, bool* suspended) {
    return send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, at), p,
                suspended)
        .code();
  };
  ASSERT_TRUE(send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t), p).ok());
  bool suspended = false;
  EXPECT_EQ(try_send(t + 1, &suspended), Errc::kLimit);
  EXPECT_EQ(try_send(t + 2, &suspended), Errc::kLimit);
  EXPECT_TRUE(suspended);
  ASSERT_TRUE(w.store->set_send_suspended(w.demo.id, false, "", t + 2).ok());
  EXPECT_EQ(try_send(t + 3, &suspended), Errc::kLimit);
  EXPECT_FALSE(suspended);
  EXPECT_FALSE(w.reload(w.demo).send_suspended);
  EXPECT_EQ(try_send(t + 4, &suspended), Errc::kLimit);
  EXPECT_TRUE(suspended);
}

// A message with more recipients than a whole day allows can never be sent: a permanent
// refusal, which does not count toward suspension.
TEST(Sending, MoreRecipientsThanADayAllowsIsPermanent) {
  World w;
  SendPolicy p;
  p.limits = {100, 3, 3600};
  p.suspend_after = 1;
  bool suspended = false;
  auto r = send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 4, 1'800'000'000),
                p, &suspended);
  ASSERT_EQ(r.code(), Errc::kTooBig);
  EXPECT_NE(r.error().message.find("more than the 3"), std::string::npos) << r.error().message;
  EXPECT_FALSE(suspended);
  EXPECT_EQ(w.must(w.store->send_usage(w.demo.id, 1'800'000'000, 3600)).refusals, 0);
}

// Each account is held to its plan's limits (the default plan's when it has none or an unknown
// one), both before the content (check_can_send) and in the store's transaction.
TEST(Sending, LimitsComeFromTheAccountsPlan) {
  World w;
  SendPolicy p;
  p.limits = {1, 100, 3600};
  p.plans = {{"pro", {3, 100, 3600}, 0}};
  int64_t t = 1'800'000'000;
  auto attempt = [&](int64_t at) {
    SendRequest req = request(w, 1, at);
    req.plan = w.reload(w.demo).plan;
    auto r = send(*w.store, nullptr, kMessage, index::build(kMessage), req, p);
    return std::string(r.ok() ? "ok" : errc_name(r.code()));
  };
  EXPECT_EQ(attempt(t), "ok");
  EXPECT_EQ(attempt(t + 1), errc_name(Errc::kLimit));
  EXPECT_EQ(check_can_send(*w.store, nullptr, w.demo.id, p, t + 2).code(), Errc::kLimit);
  ASSERT_TRUE(w.store->set_plan(w.demo.id, "pro", 0).ok());
  std::string plan;
  EXPECT_TRUE(check_can_send(*w.store, nullptr, w.demo.id, p, t + 2, nullptr, nullptr, &plan).ok());
  EXPECT_EQ(plan, "pro");  // as stored now, for a session signed in before the change
  EXPECT_EQ(attempt(t + 3), "ok");
  EXPECT_EQ(attempt(t + 4), "ok");
  EXPECT_EQ(attempt(t + 5), errc_name(Errc::kLimit));
  ASSERT_TRUE(w.store->set_plan(w.demo.id, "retired", 0).ok());  // no longer configured
  EXPECT_EQ(p.limits_for("retired").messages, 1);
}

// PRODUCT.md §6: one warning mail when the account reaches 80 % of a daily limit.
TEST(Sending, WarningAtEightyPercent) {
  World w;
  SendPolicy p;
  p.hostname = "mail.tegami.test";
  p.limits = {10, 100, 3600};
  int64_t t = 1'800'000'000;
  auto inbox = [&] { return w.must(w.store->get_mailbox(w.demo.id, "INBOX")).messages; };
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(
        send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + i), p).ok());
  EXPECT_EQ(inbox(), 0u);
  ASSERT_TRUE(
      send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + 7), p).ok());
  ASSERT_EQ(inbox(), 1u);
  auto msgs = w.must(w.store->list_messages(w.must(w.store->get_mailbox(w.demo.id, "INBOX")).id));
  std::string raw = w.must(w.store->read_blob(msgs[0].blob_id));
  std::string body = mime::decode_base64(raw.substr(raw.find("\r\n\r\n") + 4));
  EXPECT_NE(body.find("8 of 10 messages"), std::string::npos) << body;
  EXPECT_NE(body.find("上限の 80%"), std::string::npos) << body;
  ASSERT_TRUE(
      send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + 8), p).ok());
  EXPECT_EQ(inbox(), 1u);  // once per crossing
  // Once per window too: the first two sends leave it (7 of 10 in it), the next one is the 8th
  // again, and no second warning comes within an hour of the first.
  ASSERT_TRUE(
      send(*w.store, nullptr, kMessage, index::build(kMessage), request(w, 1, t + 3601), p).ok());
  EXPECT_EQ(inbox(), 1u);
  // The recipients' limit too: 79 then 81 of 100.
  World v;
  p.limits = {0, 100, 3600};
  ASSERT_TRUE(send(*v.store, nullptr, kMessage, index::build(kMessage), request(v, 79, t), p).ok());
  EXPECT_EQ(v.must(v.store->get_mailbox(v.demo.id, "INBOX")).messages, 0u);
  ASSERT_TRUE(
      send(*v.store, nullptr, kMessage, index::build(kMessage), request(v, 2, t + 1), p).ok());
  auto vbox = v.must(v.store->get_mailbox(v.demo.id, "INBOX"));
  ASSERT_EQ(vbox.messages, 1u);
  std::string vraw = v.must(v.store->read_blob(v.must(v.store->list_messages(vbox.id))[0].blob_id));
  std::string vbody = mime::decode_base64(vraw.substr(vraw.find("\r\n\r\n") + 4));
  // Messages have no limit here: their count alone.
  EXPECT_NE(vbody.find("2 messages, 81 of 100 recipients"), std::string::npos) << vbody;
}

TEST(Sending, LocalQuotaRefusesBeforeCounting) {
  World w;
  auto bob = w.add_account("bob@tegami.test", "pw-pw-pw-pw");
  ASSERT_TRUE(w.store->set_quota(bob.id, 10).ok());
  SendPolicy p;
  SendRequest req = request(w, 0, 1'800'000'000);
  req.local = {bob.id};
  auto r = send(*w.store, nullptr, kMessage, index::build(kMessage), req, p);
  EXPECT_EQ(r.code(), Errc::kOverQuota);
  EXPECT_EQ(w.must(w.store->send_usage(w.demo.id, 1'800'000'000, 86400)).messages, 0);
}

TEST(Sending, ResetTimeParsing) {
  std::string text;
  EXPECT_EQ(limit_reset_time("limit t=123", &text), 123);
  EXPECT_EQ(text, "limit");
  EXPECT_EQ(limit_reset_time("no time", &text), 0);
  EXPECT_EQ(text, "no time");
  EXPECT_EQ(address_domain("A@B.Example"), "b.example");
  EXPECT_EQ(address_domain("nodomain"), "");
}

}  // namespace
}  // namespace tegami::account
