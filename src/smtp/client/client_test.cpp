// The client against a scripted server (fake_server.hpp): refusals, HELO fallback, pipelining,
// per-recipient results, stalls, endless replies, hang-ups and local checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>

#include "smtp/client/client.hpp"
#include "smtp/client/fake_server.hpp"
#include "smtp/client/test_certs.hpp"

namespace tegami::smtp::client {
namespace {

using std::chrono::seconds;
using testing::FakeServer;
using ::testing::HasSubstr;
using testing::Peer;
using ::testing::StartsWith;
using V = std::vector<std::string>;

// Runs body(executor) to completion on a fresh io_context.
template <class F>
void run(F& body) {
  asio::io_context io;
  std::exception_ptr err;
  asio::co_spawn(io, body(io.get_executor()), [&](std::exception_ptr e) { err = e; });
  io.run();
  if (err) std::rethrow_exception(err);
}

Options fast() {
  Options o;
  o.ehlo_name = "client.example.org";
  o.connect_timeout = seconds(5);
  o.command_timeout = seconds(5);
  o.final_timeout = seconds(5);
  return o;
}

Envelope envelope(std::vector<std::string> rcpts) {
  Envelope e;
  e.from = "a@example.org";
  for (auto& r : rcpts) e.rcpts.push_back({r, "", ""});
  return e;
}

const std::string kLocalhost = "127.0.0.1";
const std::string kMessage = "Subject: test\r\n\r\nHello\r\n";

// Greeting and EHLO with the given keyword lines (none: a plain "250 name").
void greet(Peer& p, const V& keywords = {}) {
  p.send("220 fake.example ESMTP\r\n");
  p.line();
  std::string r;
  if (keywords.empty()) {
    r = "250 fake.example\r\n";
  } else {
    r = "250-fake.example\r\n";
    for (std::size_t i = 0; i < keywords.size(); ++i)
      r += (i + 1 < keywords.size() ? "250-" : "250 ") + keywords[i] + "\r\n";
  }
  p.send(r);
}

// Answers QUIT if it comes.
void bye(Peer& p) {
  if (p.line() == "QUIT") p.send("221 2.0.0 bye\r\n");
}

// Connects to `port` expecting to be turned away, and returns why. A connection that opens fails
// the test; the empty Error returned then matches none of the callers' checks either.
Error refusal(uint16_t port, const Options& o = fast(), Reply* reply = nullptr) {
  Error why;
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto c = co_await connect(ex, kLocalhost, port, o, reply);
    EXPECT_FALSE(c.ok()) << "the connection opened";
    if (!c.ok()) why = c.error();
  };
  run(body);
  return why;
}

// Connects to `port` and sends `content` to each list of recipients in turn, on that one
// connection, then quits (which only closes a connection no longer usable, so the server's
// lines show whether anything more was sent). A refused connection fails the test, and every
// message then has an empty result.
std::vector<SendResult> send_each(uint16_t port, const std::vector<V>& messages,
                                  const std::string& content = kMessage) {
  std::vector<SendResult> results(messages.size());
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o = fast();
    auto c = co_await connect(ex, kLocalhost, port, o);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (!c.ok()) co_return;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      Envelope env = envelope(messages[i]);
      results[i] = co_await (*c)->send(env, content);
    }
    co_await (*c)->quit();
  };
  run(body);
  return results;
}

SendResult send_one(uint16_t port, const V& rcpts, const std::string& content = kMessage) {
  std::vector<V> one{rcpts};
  return send_each(port, one, content)[0];
}

// A send the server put out of step: nothing counts as delivered or refused for good. Every
// recipient gets `reply`, a temporary failure of our own making (so the queue tries again),
// and the connection is not used again.
void expect_protocol_error(const SendResult& r, const std::string& reply) {
  EXPECT_FALSE(r.connection_usable);
  EXPECT_FALSE(r.rcpts.empty());
  for (const Reply& x : r.rcpts) {
    EXPECT_FALSE(x.ok());
    EXPECT_FALSE(x.permanent());
    EXPECT_TRUE(x.local);
    EXPECT_EQ(x.str(), reply);
  }
}

TEST(SmtpClient, Greeting4xxIsTemporary) {
  FakeServer srv([](Peer& p) {
    p.send("421 4.3.2 too busy, try later\r\n");
    p.wait_close();
  });
  Reply reply;
  Error why = refusal(srv.port(), fast(), &reply);
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, HasSubstr("421 4.3.2 too busy"));
  EXPECT_EQ(reply.code, 421);
  EXPECT_EQ(reply.enhanced, "4.3.2");
  EXPECT_EQ(srv.join(), V{});  // no QUIT after 421: the server is closing anyway
}

TEST(SmtpClient, Greeting5xxIsPermanentAndQuits) {
  FakeServer srv([](Peer& p) {
    p.send("554-5.7.1 no mail\r\n554 5.7.1 from you\r\n");
    bye(p);
  });
  Reply reply;
  EXPECT_EQ(refusal(srv.port(), fast(), &reply).code, Errc::kPerm);
  EXPECT_EQ(reply.code, 554);
  EXPECT_EQ(reply.text, "no mail\nfrom you");
  EXPECT_EQ(srv.join(), V{"QUIT"});
}

TEST(SmtpClient, ConnectionRefused) {
  uint16_t port;
  {
    FakeServer closed([](Peer&) {});
    port = closed.port();
  }  // the listener is gone: nothing listens on `port` now
  Error why = refusal(port);
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, HasSubstr("refused"));
}

TEST(SmtpClient, EhloRefusedHeloLockstep) {
  std::string content;
  FakeServer srv([&](Peer& p) {
    p.send("220 old.example SMTP\r\n");
    p.line();
    p.send("502 5.5.1 command not recognised\r\n");
    p.line();
    p.send("250 old.example\r\n");
    p.line();  // MAIL: nothing is pipelined, so each reply comes after its command
    p.send("250 ok\r\n");
    p.line();
    p.send("250 ok\r\n");
    p.line();
    p.send("550 5.1.1 no such user\r\n");
    p.line();
    p.send("354 go ahead\r\n");
    content = p.data();
    p.send("250 2.0.0 queued as 1234\r\n");
    bye(p);
  });
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o4 = fast();
    auto c = co_await connect(ex, kLocalhost, srv.port(), o4);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (!c.ok()) co_return;
    Connection& conn = **c;
    EXPECT_FALSE(conn.tls());
    EXPECT_EQ(conn.max_size(), 0u);
    EXPECT_EQ(conn.ip(), "127.0.0.1");
    EXPECT_EQ(conn.host(), "127.0.0.1");
    Envelope env = envelope({"b@example.net", "nobody@example.net"});
    env.eight_bit = true;  // no 8BITMIME: sent as it is, without BODY=
    env.ret = "FULL";      // no DSN: no RET=
    std::string message = "Subject: caf\xc3\xa9\n\n.dot\nline\n";
    SendResult r = co_await conn.send(env, message);
    EXPECT_TRUE(r.connection_usable);
    EXPECT_EQ(r.rcpts.size(), 2u);
    if (r.rcpts.size() == 2) {
      EXPECT_EQ(r.rcpts[0].str(), "250 2.0.0 queued as 1234");
      EXPECT_EQ(r.rcpts[1].str(), "550 5.1.1 no such user");
      EXPECT_FALSE(r.rcpts[1].local);
    }
    co_await conn.quit();
    co_await conn.quit();  // twice is fine
  };
  run(body);
  EXPECT_EQ(srv.join(), (V{"EHLO client.example.org", "HELO client.example.org",
                           "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>",
                           "RCPT TO:<nobody@example.net>", "DATA", "<data 34 bytes>", "QUIT"}));
  EXPECT_EQ(content, "Subject: caf\xc3\xa9\r\n\r\n..dot\r\nline\r\n.\r\n");
}

TEST(SmtpClient, EhloAndHeloRefusedIsPermanent) {
  FakeServer srv([](Peer& p) {
    p.send("220 x\r\n");
    p.line();
    p.send("500 no\r\n");
    p.line();
    p.send("550 5.7.1 not you\r\n");
    bye(p);
  });
  Reply reply;
  EXPECT_EQ(refusal(srv.port(), fast(), &reply).code, Errc::kPerm);
  EXPECT_EQ(reply.str(), "550 5.7.1 not you");
  EXPECT_EQ(srv.join().back(), "QUIT");
}

TEST(SmtpClient, PipeliningGroupsAndPerRecipientResults) {
  FakeServer srv([](Peer& p) {
    greet(p, {"PIPELINING", "SIZE 100000", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES", "SMTPUTF8"});
    // Message 1: the whole group arrives before any reply is sent (a lockstep client would
    // wait for the MAIL reply here, and the test would time out).
    for (int i = 0; i < 5; ++i) p.line();
    p.send(
        "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 <c@example.net>: no such user\r\n"
        "452 4.2.2 mailbox full\r\n354 go\r\n");
    p.data();
    p.send("250-2.0.0 accepted\r\n250 2.0.0 id 77\r\n");
    // Message 2: every recipient refused; DATA refused; the client resets.
    for (int i = 0; i < 3; ++i) p.line();
    p.send("250 2.1.0 ok\r\n550 5.1.1 no\r\n554 5.5.1 no valid recipients\r\n");
    if (p.line() == "RSET") p.send("250 2.0.0 reset\r\n");
    // Message 3: MAIL refused; the pipelined RCPTs and DATA get 503; the result is MAIL's.
    for (int i = 0; i < 4; ++i) p.line();
    p.send(
        "452 4.3.1 insufficient system storage\r\n503 5.5.1 MAIL first\r\n"
        "503 5.5.1 MAIL first\r\n503 5.5.1 MAIL first\r\n");
    if (p.line() == "RSET") p.send("250 2.0.0 reset\r\n");
    bye(p);
  });
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o6 = fast();
    auto c = co_await connect(ex, kLocalhost, srv.port(), o6);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) co_return;
    Connection& conn = **c;
    EXPECT_EQ(conn.max_size(), 100000u);
    Envelope env = envelope({"b@example.net", "c@example.net", "d@example.net"});
    env.eight_bit = true;
    env.ret = "HDRS";
    env.envid = "q1+x";
    env.rcpts[0].notify = "SUCCESS,FAILURE";
    env.rcpts[0].orcpt = "rfc822;b@example.net";
    SendResult r = co_await conn.send(env, kMessage);
    EXPECT_TRUE(r.connection_usable);
    EXPECT_EQ(r.rcpts.size(), 3u);
    if (r.rcpts.size() == 3) {
      EXPECT_EQ(r.rcpts[0].code, 250);
      EXPECT_EQ(r.rcpts[0].text, "accepted\nid 77");
      EXPECT_EQ(r.rcpts[1].str(), "550 5.1.1 <c@example.net>: no such user");
      EXPECT_EQ(r.rcpts[2].str(), "452 4.2.2 mailbox full");
    }
    Envelope env1 = envelope({"x@example.net"});
    SendResult r2 = co_await conn.send(env1, kMessage);
    EXPECT_TRUE(r2.connection_usable);
    EXPECT_EQ(r2.rcpts.at(0).str(), "550 5.1.1 no");
    Envelope env2 = envelope({"y@example.net", "z@example.net"});
    SendResult r3 = co_await conn.send(env2, kMessage);
    EXPECT_TRUE(r3.connection_usable);
    EXPECT_EQ(r3.rcpts.at(0).str(), "452 4.3.1 insufficient system storage");
    EXPECT_EQ(r3.rcpts.at(1).str(), "452 4.3.1 insufficient system storage");
    co_await conn.quit();
  };
  run(body);
  V got = srv.join();
  ASSERT_GE(got.size(), 6u);
  EXPECT_EQ(got[1], "MAIL FROM:<a@example.org> SIZE=" + std::to_string(kMessage.size()) +
                        " BODY=8BITMIME RET=HDRS ENVID=q1+2Bx");
  EXPECT_EQ(got[2], "RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net");
  EXPECT_EQ(got[3], "RCPT TO:<c@example.net>");
  EXPECT_EQ(got[5], "DATA");
  EXPECT_EQ(std::count(got.begin(), got.end(), "RSET"), 2);
  EXPECT_EQ(got.back(), "QUIT");
}

TEST(SmtpClient, DataAcceptedWithoutRecipientsIsEndedEmpty) {
  FakeServer srv([](Peer& p) {
    greet(p, {"PIPELINING"});
    for (int i = 0; i < 3; ++i) p.line();
    p.send("250 ok\r\n550 no\r\n354 go ahead anyway\r\n");  // a broken server
    p.data();
    p.send("554 no valid recipients\r\n");
    if (p.line() == "RSET") p.send("250 ok\r\n");
    bye(p);
  });
  SendResult r = send_one(srv.port(), {"x@example.net"});
  EXPECT_TRUE(r.connection_usable);
  EXPECT_EQ(r.rcpts.at(0).str(), "550 no");
  EXPECT_THAT(srv.join(),
              ::testing::ElementsAre(StartsWith("EHLO"), StartsWith("MAIL"), StartsWith("RCPT"),
                                     "DATA", "<data 3 bytes>", "RSET", "QUIT"));
}

// A pipelining server that answers DATA with 250: no content went out, so nothing is delivered
// (the 250 once became the recipients' final answer). The RCPT replies cannot be trusted either.
TEST(SmtpClient, DataAnsweredWith250IsAProtocolErrorNotADelivery) {
  FakeServer srv([](Peer& p) {
    greet(p, {"PIPELINING"});
    for (int i = 0; i < 4; ++i) p.line();
    p.send("250 ok\r\n250 ok\r\n550 5.1.1 no\r\n250 ok\r\n");
    p.wait_close();
  });
  SendResult r = send_one(srv.port(), {"b@example.net", "c@example.net"});
  expect_protocol_error(
      r, "451 4.5.0 protocol error in the reply to DATA: unexpected 250 ok (expected 354)");
  EXPECT_THAT(srv.join(), ::testing::ElementsAre(StartsWith("EHLO"), StartsWith("MAIL"),
                                                 StartsWith("RCPT"), StartsWith("RCPT"), "DATA"));
}

TEST(SmtpClient, DataAnsweredWith250InLockstepIsAProtocolError) {
  FakeServer srv([](Peer& p) {
    greet(p);
    for (int i = 0; i < 3; ++i) {  // MAIL, RCPT, DATA
      p.line();
      p.send("250 ok\r\n");
    }
    p.wait_close();
  });
  SendResult r = send_one(srv.port(), {"b@example.net"});
  EXPECT_FALSE(r.connection_usable);
  EXPECT_EQ(r.rcpts.at(0).code, 451);
  EXPECT_EQ(r.rcpts.at(0).enhanced, "4.5.0");
  EXPECT_TRUE(r.rcpts.at(0).local);
  EXPECT_THAT(srv.join(), ::testing::ElementsAre(StartsWith("EHLO"), StartsWith("MAIL"),
                                                 StartsWith("RCPT"), "DATA"));
}

// A banner of two one-line replies: the second arrives with the first, so it is waiting when
// EHLO would be written. Taken for the EHLO reply, it put every later reply one behind and
// DATA got the RCPT's 250.
TEST(SmtpClient, TwoGreetingRepliesAreOutOfStep) {
  FakeServer srv([](Peer& p) {
    p.send("220 mx.example ESMTP\r\n220 welcome\r\n");
    p.wait_close();
  });
  Error why = refusal(srv.port());
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message,
              HasSubstr("protocol error: the server sent a reply before EHLO (out of step)"));
  EXPECT_EQ(srv.join(), V{});  // nothing sent, not even QUIT
}

// 220 is the greeting's only success, 4xx and 5xx refuse: any other code is no greeting.
TEST(SmtpClient, GreetingThatIsNeither220NorARefusalIsAProtocolError) {
  FakeServer srv([](Peer& p) {
    p.send("250 mx.example\r\n");
    p.wait_close();
  });
  Error why = refusal(srv.port());
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, HasSubstr("protocol error in the reply to the greeting: unexpected "
                                     "250 mx.example (expected 220)"));
  EXPECT_EQ(srv.join(), V{});  // nothing sent, not even QUIT
}

// The second greeting line comes after EHLO was written: it is read as the EHLO reply, and
// EHLO's only success is 250.
TEST(SmtpClient, ALateSecondGreetingIsNotTakenForTheEhloReply) {
  FakeServer srv([](Peer& p) {
    p.send("220 mx.example ESMTP\r\n");
    p.line();
    p.send("220 welcome\r\n250 mx.example\r\n");
    p.wait_close();
  });
  Error why = refusal(srv.port());
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, HasSubstr("protocol error in the reply to EHLO: unexpected 220 welcome "
                                     "(expected 250)"));
  EXPECT_EQ(srv.join(), V{"EHLO client.example.org"});
}

TEST(SmtpClient, AReplyTooManyBeforeStartTlsIsOutOfStep) {
  FakeServer srv([](Peer& p) {
    p.send("220 mx.example ESMTP\r\n");
    p.line();
    p.send("250-mx.example\r\n250 STARTTLS\r\n250 one more\r\n");
    p.wait_close();
  });
  Error why = refusal(srv.port());
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, HasSubstr("a reply before STARTTLS (out of step)"));
  EXPECT_EQ(srv.join(), V{"EHLO client.example.org"});
}

// STARTTLS succeeds only with 220; a 250 is not "refused, go on in plain text".
TEST(SmtpClient, StartTlsAnswered250IsAProtocolError) {
  FakeServer srv([](Peer& p) {
    greet(p, {"STARTTLS"});
    p.line();
    p.send("250 ok\r\n");
    p.wait_close();
  });
  EXPECT_THAT(refusal(srv.port()).message, HasSubstr("unexpected 250 ok (expected 220)"));
  EXPECT_EQ(srv.join(), (V{"EHLO client.example.org", "STARTTLS"}));
}

// A reply too many after the 354 is waiting when the content would be written; one after the
// final reply when the next MAIL would be. Nothing more is sent either time.
TEST(SmtpClient, AReplyTooManyStopsTheNextWrite) {
  FakeServer srv([](Peer& p) {
    greet(p, {"PIPELINING"});
    for (int i = 0; i < 3; ++i) p.line();
    p.send("250 ok\r\n250 ok\r\n354 go\r\n250 extra\r\n");
    p.wait_close();
  });
  SendResult r = send_one(srv.port(), {"b@example.net"});
  expect_protocol_error(r,
                        "451 4.5.0 protocol error: the server sent a reply before the message "
                        "content (out of step)");
  EXPECT_THAT(srv.join(), ::testing::ElementsAre(StartsWith("EHLO"), StartsWith("MAIL"),
                                                 StartsWith("RCPT"), "DATA"));

  FakeServer twice([](Peer& p) {
    greet(p, {"PIPELINING"});
    for (int i = 0; i < 3; ++i) p.line();
    p.send("250 ok\r\n250 ok\r\n354 go\r\n");
    p.data();
    p.send("250 queued\r\n250 queued\r\n");
    p.wait_close();
  });
  std::vector<SendResult> two = send_each(twice.port(), {{"b@example.net"}, {"c@example.net"}});
  EXPECT_TRUE(two[0].rcpts.at(0).ok());  // the first message did go
  expect_protocol_error(
      two[1], "451 4.5.0 protocol error: the server sent a reply before MAIL FROM (out of step)");
  EXPECT_THAT(twice.join(),
              ::testing::ElementsAre(StartsWith("EHLO"), StartsWith("MAIL"), StartsWith("RCPT"),
                                     "DATA", StartsWith("<data")));
}

TEST(SmtpClient, StalledServerTimesOut) {
  FakeServer srv([](Peer& p) {
    p.send("220 slow.example\r\n");
    p.line();
    p.send("250-slow.example\r\n");  // ... and the rest never comes
    p.wait_close();
  });
  Options o = fast();
  o.command_timeout = seconds(1);
  auto start = std::chrono::steady_clock::now();
  Error why = refusal(srv.port(), o);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, HasSubstr("timeout waiting for the reply to EHLO"));
}

TEST(SmtpClient, NoFinalReplyTimesOutPerRecipient) {
  FakeServer srv([](Peer& p) {
    greet(p, {"PIPELINING"});
    for (int i = 0; i < 4; ++i) p.line();
    p.send("250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n");
    p.data();
    p.wait_close();  // never answers the end of data
  });
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o = fast();
    o.final_timeout = seconds(1);
    auto c = co_await connect(ex, kLocalhost, srv.port(), o);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) co_return;
    auto start = std::chrono::steady_clock::now();
    Envelope env4 = envelope({"b@example.net", "c@example.net"});
    SendResult r = co_await (*c)->send(env4, kMessage);
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
    EXPECT_FALSE(r.connection_usable);
    EXPECT_EQ(r.rcpts.at(0).str(),
              "451 4.4.2 timeout waiting for the reply to the end of the message");
    EXPECT_TRUE(r.rcpts.at(0).local);
    EXPECT_EQ(r.rcpts.at(1).str(), "550 no");  // already had its answer
    // The connection is not used again.
    Envelope env5 = envelope({"b@example.net"});
    SendResult again = co_await (*c)->send(env5, kMessage);
    EXPECT_FALSE(again.connection_usable);
    EXPECT_EQ(again.rcpts.at(0).code, 451);
    co_await (*c)->quit();
  };
  run(body);
}

TEST(SmtpClient, EndlessMultiLineReply) {
  FakeServer srv([](Peer& p) {
    for (int i = 0; i < 100000; ++i)
      if (!p.send("220-still greeting you, line " + std::to_string(i) + "\r\n")) break;
  });
  Error why = refusal(srv.port());
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, HasSubstr("protocol error in the reply to the greeting"));
  EXPECT_THAT(why.message, HasSubstr("more than 200 lines"));
}

TEST(SmtpClient, EndlessLine) {
  FakeServer srv([](Peer& p) {
    std::string junk(4096, 'x');
    p.send("220 ");
    for (int i = 0; i < 10000; ++i)
      if (!p.send(junk)) break;
  });
  Options o = fast();
  o.max_reply_bytes = 16 * 1024;
  EXPECT_THAT(refusal(srv.port(), o).message, HasSubstr("reply longer than 16384 bytes"));
}

TEST(SmtpClient, DropDuringData) {
  FakeServer srv([](Peer& p) {
    greet(p, {"PIPELINING", "SIZE"});
    for (int i = 0; i < 3; ++i) p.line();
    p.send("250 ok\r\n250 ok\r\n354 go\r\n");
    p.read_some_bytes(1000);
    p.close();  // gone in the middle of the content
  });
  std::string big = "Subject: big\r\n\r\n";
  for (int i = 0; i < 40000; ++i) big += "0123456789012345678901234567890123456789\r\n";
  SendResult r = send_one(srv.port(), {"b@example.net"}, big);
  EXPECT_FALSE(r.connection_usable);
  EXPECT_EQ(r.rcpts.at(0).code, 451);
  EXPECT_TRUE(r.rcpts.at(0).local);
  EXPECT_THAT(r.rcpts.at(0).text, HasSubstr("connection lost"));
}

TEST(SmtpClient, ServerClosingWith421) {
  FakeServer srv([](Peer& p) {
    greet(p);
    p.line();
    p.send("250 ok\r\n");
    p.line();
    p.send("421 4.4.5 shutting down\r\n");
  });
  SendResult r = send_one(srv.port(), {"b@example.net", "c@example.net"});
  EXPECT_FALSE(r.connection_usable);
  EXPECT_EQ(r.rcpts.at(0).str(), "421 4.4.5 shutting down");
  EXPECT_EQ(r.rcpts.at(1).str(), "421 4.4.5 shutting down");
  EXPECT_EQ(srv.join().back(), "RCPT TO:<b@example.net>");  // no QUIT after 421
}

TEST(SmtpClient, TlsRequiredButNotOffered) {
  for (TlsPolicy policy : {TlsPolicy::kOpportunistic, TlsPolicy::kPkix, TlsPolicy::kDane}) {
    FakeServer srv([](Peer& p) {
      greet(p, {"PIPELINING", "8BITMIME"});
      bye(p);
    });
    Options o = fast();
    o.tls.policy = policy;
    o.tls.verify_name = "mx.example.net";
    o.tls.require_tls = policy == TlsPolicy::kOpportunistic;
    Error why = refusal(srv.port(), o);
    EXPECT_EQ(why.code, Errc::kTemporary);
    EXPECT_THAT(why.message,
                HasSubstr("mx.example.net [127.0.0.1]: TLS required but STARTTLS not offered"));
    EXPECT_EQ(srv.join(), (V{"EHLO client.example.org", "QUIT"}));
  }
}

TEST(SmtpClient, LocalChecksSendNothing) {
  FakeServer srv([](Peer& p) {
    greet(p, {"SIZE 1000", "PIPELINING"});  // no SMTPUTF8, no STARTTLS, no REQUIRETLS
    for (;;) {
      std::string l = p.line();
      if (p.closed() || l == "QUIT") break;
      p.send(l.starts_with("DATA") ? "354 go\r\n" : "250 ok\r\n");
      if (l.starts_with("DATA")) {
        p.data();
        p.send("250 done\r\n");
      }
    }
    p.send("221 bye\r\n");
  });
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o11 = fast();
    auto c = co_await connect(ex, kLocalhost, srv.port(), o11);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) co_return;
    Connection& conn = **c;
    Envelope utf8 = envelope({"ユーザー@example.jp", "b@example.net"});
    utf8.smtputf8 = true;
    SendResult r1 = co_await conn.send(utf8, kMessage);
    EXPECT_TRUE(r1.connection_usable);
    EXPECT_EQ(r1.rcpts.at(0).code, 553);
    EXPECT_EQ(r1.rcpts.at(0).enhanced, "5.6.7");
    EXPECT_TRUE(r1.rcpts.at(1).permanent() && r1.rcpts.at(1).local);

    Envelope env8 = envelope({"b@example.net"});
    std::string content8 = std::string(1200, 'x');
    SendResult r2 = co_await conn.send(env8, content8);
    EXPECT_EQ(r2.rcpts.at(0).code, 552);
    EXPECT_EQ(r2.rcpts.at(0).enhanced, "5.3.4");
    EXPECT_THAT(r2.rcpts.at(0).text, HasSubstr("1202 exceeds the limit of 1000"));

    Envelope rt = envelope({"b@example.net"});
    rt.requiretls = true;
    SendResult r3 = co_await conn.send(rt, kMessage);
    EXPECT_EQ(r3.rcpts.at(0).str(),
              "550 5.7.30 REQUIRETLS support required: the connection is not encrypted "
              "(127.0.0.1)");

    Envelope bad = envelope({"evil@example.net>\r\nRCPT TO:<victim@example.net", "ok@example.net"});
    SendResult r4 = co_await conn.send(bad, kMessage);
    EXPECT_EQ(r4.rcpts.at(0).code, 501);
    EXPECT_EQ(r4.rcpts.at(1).code, 250);

    // Still usable: the one message that went out is the last one.
    EXPECT_TRUE(r4.connection_usable);
    co_await conn.quit();
  };
  run(body);
  EXPECT_EQ(srv.join(), (V{"EHLO client.example.org",
                           "MAIL FROM:<a@example.org> SIZE=" + std::to_string(kMessage.size()),
                           "RCPT TO:<ok@example.net>", "DATA", "<data 27 bytes>", "QUIT"}));
}

TEST(SmtpClient, StartTlsRefusedOpportunisticContinuesInPlainText) {
  FakeServer srv([](Peer& p) {
    greet(p, {"STARTTLS"});
    p.line();
    p.send("454 4.7.0 TLS not available\r\n");
    bye(p);
  });
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o12 = fast();
    auto c = co_await connect(ex, kLocalhost, srv.port(), o12);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) co_return;
    EXPECT_FALSE((*c)->tls());
    co_await (*c)->quit();
  };
  run(body);
  EXPECT_EQ(srv.join(), (V{"EHLO client.example.org", "STARTTLS", "QUIT"}));
}

TEST(SmtpClient, OpportunisticHandshakeFailureThenPlainRetry) {
  FakeServer srv([](Peer& p) {
    greet(p, {"STARTTLS"});
    p.line();
    p.send("220 2.0.0 go ahead\r\n");
    p.send("this is not a TLS server hello\r\n");
    p.wait_close();
  });
  Error why = refusal(srv.port());
  EXPECT_EQ(why.code, Errc::kTemporary);
  EXPECT_THAT(why.message, StartsWith(kTlsHandshakeFailed));
  srv.join();

  // The retry the queue makes: no STARTTLS this time.
  FakeServer again([](Peer& p) {
    greet(p, {"STARTTLS"});
    bye(p);
  });
  auto retry = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o = fast();
    o.tls.skip_starttls = true;
    auto c = co_await connect(ex, kLocalhost, again.port(), o);
    EXPECT_TRUE(c.ok());
    if (c.ok()) co_await (*c)->quit();
  };
  run(retry);
  EXPECT_EQ(again.join(), (V{"EHLO client.example.org", "QUIT"}));
}

TEST(SmtpClient, StartTlsDropsWhatCameBeforeTheHandshake) {
  testing::TempDir dir;
  testing::TestPki pki(dir, {"mx.example.net"});
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  ctx.use_certificate_chain_file(pki.chain_file);
  ctx.use_private_key_file(pki.key_file, asio::ssl::context::pem);
  FakeServer srv([&](Peer& p) {
    greet(p, {"STARTTLS", "SIZE 999"});
    p.line();
    // A man in the middle appends a reply after the 220 (RFC 3207 §4.2: to be discarded);
    // taken for the EHLO reply it would hide the real extensions.
    p.send("220 2.0.0 go ahead\r\n250 injected.example\r\n");
    if (!p.start_tls(ctx)) return;
    p.line();
    p.send("250-fake.example\r\n250 SIZE 1234\r\n");
    bye(p);
  });
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o = fast();
    o.tls.policy = TlsPolicy::kPkix;
    o.tls.verify_name = "mx.example.net";
    o.tls.ca_file = pki.ca_file;
    auto c = co_await connect(ex, kLocalhost, srv.port(), o);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (!c.ok()) co_return;
    EXPECT_TRUE((*c)->tls());
    EXPECT_TRUE((*c)->tls_verified());
    EXPECT_EQ((*c)->max_size(), 1234u);
    co_await (*c)->quit();
  };
  run(body);
  EXPECT_EQ(srv.join(),
            (V{"EHLO client.example.org", "STARTTLS", "EHLO client.example.org", "QUIT"}));
}

}  // namespace
}  // namespace tegami::smtp::client
