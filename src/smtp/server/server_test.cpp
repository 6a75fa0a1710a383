#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include "base/strings.hpp"
#include "imap/server/faulty_store.hpp"
#include "smtp/proto/data_decoder.hpp"
#include "smtp/server/recipient_cache.hpp"
#include "smtp/server/test_support.hpp"

namespace tegami::smtp::server {
namespace {

using testing::lines;
using testing::World;

// The final line of each reply ("250 2.1.0 Sender OK"), i.e. one entry per reply.
std::vector<std::string> replies(const std::string& out) {
  std::vector<std::string> r;
  for (const auto& l : lines(out))
    if (l.size() >= 4 && l[3] == ' ')
      r.push_back(l);
    else if (l.size() == 3)
      r.push_back(l);
  return r;
}

std::vector<std::string> codes(const std::string& out) {
  std::vector<std::string> r;
  for (const auto& l : replies(out)) r.push_back(l.substr(0, 3));
  return r;
}

using V = std::vector<std::string>;

const char* kMessage =
    "From: sender@remote.example\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nHello\r\n";

std::string envelope(const std::string& rcpt) {
  return "EHLO client.remote.example\r\nMAIL FROM:<sender@remote.example>\r\nRCPT TO:<" + rcpt +
         ">\r\n";
}

TEST(SmtpServer, GreetingEhloQuit) {
  World w;
  std::string out = w.run("EHLO client.example\r\nQUIT\r\n");
  auto ls = lines(out);
  ASSERT_GE(ls.size(), 3u);
  EXPECT_EQ(ls[0], "220 mx.example.com ESMTP Tegami");
  EXPECT_EQ(ls[1], "250-mx.example.com Hello client.example");
  for (const char* ext :
       {"250-PIPELINING", "250-SIZE 10000", "250-8BITMIME", "250-SMTPUTF8",
        "250-ENHANCEDSTATUSCODES", "250-CHUNKING", "250-STARTTLS", "250 LIMITS RCPTMAX=5"}) {
    EXPECT_NE(std::find(ls.begin(), ls.end(), ext), ls.end()) << ext;
  }
  // No AUTH on port 25, and no REQUIRETLS before TLS.
  EXPECT_EQ(out.find("AUTH"), std::string::npos);
  EXPECT_EQ(out.find("REQUIRETLS"), std::string::npos);
  EXPECT_EQ(ls.back(), "221 2.0.0 mx.example.com Bye");
}

TEST(SmtpServer, DeliversAfterDurableStore) {
  World w;
  std::string body = "Subject: dots\r\n\r\n..leading dot\r\nline\r\n";
  std::string out = w.run(envelope("alice@example.com") + "DATA\r\n" + body + ".\r\nQUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354", "250", "221"})) << out;
  EXPECT_NE(out.find("250 2.0.0 OK "), std::string::npos);
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  const std::string& m = msgs[0];
  EXPECT_EQ(m.rfind("Received: from client.remote.example ([127.0.0.1])\r\n\tby mx.example.com "
                    "(Tegami) with ESMTP id ",
                    0),
            0u)
      << m;
  EXPECT_NE(m.find("\r\n\tfor <alice@example.com>; "), std::string::npos) << m;
  EXPECT_NE(m.find("+0000\r\nSubject: dots\r\n\r\n.leading dot\r\nline\r\n"), std::string::npos)
      << m;
  EXPECT_EQ(w.inbox(w.bob).size(), 0u);
}

TEST(SmtpServer, SeveralRecipientsAliasDomainAndPlus) {
  World w;
  std::string in =
      "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.com>\r\nRCPT "
      "TO:<Bob+news@EXAMPLE.NET>\r\nRCPT TO:<alice+x@example.com>\r\nDATA\r\n" +
      std::string(kMessage) + ".\r\n";
  std::string out = w.run(in);
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "250", "250", "354", "250"})) << out;
  EXPECT_EQ(w.inbox(w.alice).size(), 1u);  // twice the same account: delivered once
  EXPECT_EQ(w.inbox(w.bob).size(), 1u);
  EXPECT_EQ(w.inbox(w.alice)[0].find("\tfor <"), std::string::npos);  // several: no "for"
}

TEST(SmtpServer, UnknownUserAndRelayDenied) {
  World w;
  std::string out = w.run(
      "EHLO c\r\nMAIL FROM:<s@remote.example>\r\n"
      "RCPT TO:<nobody@example.com>\r\n"
      "RCPT TO:<victim@elsewhere.example>\r\n"
      "RCPT TO:<victim%elsewhere.example@example.com>\r\n"
      "RCPT TO:<elsewhere.example!victim@example.com>\r\n"
      "RCPT TO:<\"victim@elsewhere.example\"@example.com>\r\n"
      "RCPT TO:<@example.com:victim@elsewhere.example>\r\n"
      "RCPT TO:<victim@[192.0.2.1]>\r\n"
      "RCPT TO:<alice%example.com@example.com>\r\n"
      "RCPT TO:<@relay.example:alice@example.com>\r\n"
      "DATA\r\n" +
      std::string(kMessage) + ".\r\nQUIT\r\n");
  auto r = replies(out);
  ASSERT_GE(r.size(), 13u) << out;
  EXPECT_EQ(r[3], "550 5.1.1 <nobody@example.com>: no such user here");
  EXPECT_EQ(r[4], "554 5.7.1 <victim@elsewhere.example>: relaying denied");
  EXPECT_EQ(r[5].substr(0, 9), "550 5.7.1");
  EXPECT_EQ(r[6].substr(0, 9), "550 5.7.1");
  EXPECT_EQ(r[7].substr(0, 9), "550 5.7.1");
  EXPECT_EQ(r[8], "554 5.7.1 <victim@elsewhere.example>: relaying denied");  // route dropped
  EXPECT_EQ(r[9].substr(0, 9), "554 5.7.1");
  EXPECT_EQ(r[10].substr(0, 9), "550 5.7.1");  // %-hack even towards ourselves
  EXPECT_EQ(r[11], "250 2.1.5 Recipient OK");  // route ignored, mailbox is ours
  EXPECT_EQ(r[12], "354 End data with <CR><LF>.<CR><LF>");
  EXPECT_EQ(r[13].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_EQ(w.inbox(w.alice).size(), 1u);
}

// RFC 5321 §4.5.1: postmaster of our domains is accepted even with no account of that name;
// an empty quoted local part is a bad address (501 5.1.3), not a content error.
TEST(SmtpServer, PostmasterAndEmptyLocalPart) {
  World w;
  std::string out = w.run(
      "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<postmaster@example.net>\r\nRCPT "
      "TO:<Postmaster>\r\nRCPT TO:<\"\"@example.com>\r\nQUIT\r\n");
  auto r = replies(out);
  ASSERT_EQ(r.size(), 7u) << out;
  EXPECT_EQ(r[3].substr(0, 3), "250") << r[3];
  EXPECT_EQ(r[4].substr(0, 3), "250") << r[4];
  EXPECT_EQ(r[5].substr(0, 10), "501 5.1.3 ") << r[5];
}

TEST(SmtpServer, OrderErrors) {
  World w;
  std::string out = w.run(
      "MAIL FROM:<a@b.example>\r\n"  // before EHLO
      "EHLO c\r\n"
      "RCPT TO:<alice@example.com>\r\n"  // before MAIL
      "DATA\r\n"                         // before MAIL
      "MAIL FROM:<a@b.example>\r\n"
      "MAIL FROM:<a@b.example>\r\n"  // nested
      "DATA\r\n"                     // no recipients
      "RSET\r\n"
      "NOOP\r\n"
      "QUIT\r\n");
  EXPECT_EQ(codes(out),
            (V{"220", "503", "250", "503", "503", "250", "503", "554", "250", "250", "221"}))
      << out;
}

TEST(SmtpServer, SimpleCommands) {
  World w;
  std::string out = w.run(
      "HELO c\r\nVRFY alice\r\nEXPN list\r\nHELP\r\nNOOP\r\nAUTH PLAIN\r\nFOO\r\nMAIL "
      "FROM:<a@b.example> SIZE=10\r\nRSET\r\nQUIT\r\n");
  EXPECT_EQ(codes(out),
            (V{"220", "250", "252", "502", "214", "250", "502", "500", "250", "250", "221"}))
      << out;
  EXPECT_NE(out.find("250 mx.example.com Hello c\r\n"), std::string::npos);
}

TEST(SmtpServer, TooManyRecipients) {
  World w;
  std::string in = "EHLO c\r\nMAIL FROM:<a@b.example>\r\n";
  for (int i = 0; i < 6; ++i) in += "RCPT TO:<alice+" + std::to_string(i) + "@example.com>\r\n";
  in += "QUIT\r\n";
  auto r = replies(w.run(in));
  ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(r[7], "250 2.1.5 Recipient OK");
  EXPECT_EQ(r[8].substr(0, 10), "452 4.5.3 ");
}

TEST(SmtpServer, SizeLimits) {
  World w;
  // SIZE= over the limit: refused at MAIL.
  std::string out = w.run("EHLO c\r\nMAIL FROM:<a@b.example> SIZE=10001\r\nQUIT\r\n");
  auto r = replies(out);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[2].substr(0, 10), "552 5.3.4 ");
  EXPECT_NE(r[2].find("10000 bytes"), std::string::npos);
  EXPECT_NE(r[2].find("Mail Drop"), std::string::npos);
  // Content over the limit: read to the end, then 552, and the session goes on.
  std::string big = "Subject: big\r\n\r\n";
  for (int i = 0; i < 300; ++i) big += std::string(70, 'x') + "\r\n";
  out = w.run(envelope("alice@example.com") + "DATA\r\n" + big + ".\r\nRSET\r\nQUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354", "552", "250", "221"})) << out;
  EXPECT_EQ(w.inbox(w.alice).size(), 0u);
}

// Each size takes its way into the store: indexed on the network thread and posted (up to
// Store::kPostedDeliveryMax: 10 and 100 KB), delivered by a waiting worker into a file of its
// own (larger). Every one arrives whole and indexed; a store that refuses, or throws, gets 451
// and the session goes on.
TEST(SmtpServer, EveryMessageSizeIsDeliveredWhole) {
  World w;
  imap::server::testing::FaultyStore faulty(*w.store);
  Context c = w.ctx;
  c.store = &faulty;
  c.max_message_size = 1024 * 1024;
  auto message = [](const std::string& subject, size_t size) {
    std::string m = "Subject: " + subject + "\r\n\r\n";
    while (m.size() < size) m += std::string(78, static_cast<char>('a' + m.size() % 26)) + "\r\n";
    return m;
  };
  const std::vector<std::pair<std::string, size_t>> sizes = {
      {"small", 10 * 1024}, {"medium", 100 * 1024}, {"large", 300 * 1024}};
  for (const auto& [subject, size] : sizes) {
    std::string m = message(subject, size);
    auto out = w.run_with(c, envelope("alice@example.com") + "DATA\r\n" + m + ".\r\nQUIT\r\n");
    EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354", "250", "221"})) << subject;
  }
  EXPECT_EQ(faulty.calls("expect_write"), static_cast<int>(sizes.size()))
      << "each DATA tells the store a message is coming";
  auto mb = w.must(w.store->get_mailbox(w.alice.id, "INBOX"));
  auto listed = w.must(w.store->list_messages(mb.id));
  ASSERT_EQ(listed.size(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string stored = w.must(w.store->read_blob(listed[i].blob_id));
    std::string m = message(sizes[i].first, sizes[i].second);
    ASSERT_GT(stored.size(), m.size());
    EXPECT_EQ(stored.substr(stored.size() - m.size()), m) << sizes[i].first;
    EXPECT_EQ(stored.rfind("Received: ", 0), 0u);
    EXPECT_EQ(w.must(w.store->read_index(listed[i].blob_id)).subject, sizes[i].first) << "indexed";
  }
  for (size_t size : {10 * 1024, 100 * 1024}) {
    for (bool throws : {false, true}) {
      faulty.fail("post_delivery");
      faulty.throw_instead = throws;
      auto out = w.run_with(
          c, envelope("alice@example.com") + "DATA\r\n" + message("no", size) + ".\r\nQUIT\r\n");
      auto r = replies(out);
      ASSERT_EQ(r.size(), 7u) << size << " " << throws;
      EXPECT_EQ(r[5].substr(0, 10), "451 4.3.0 ") << r[5];
      EXPECT_EQ(r[6].substr(0, 3), "221") << "the session went on";
    }
  }
  faulty.fail("");
  EXPECT_EQ(w.must(w.store->list_messages(mb.id)).size(), sizes.size());
}

TEST(SmtpServer, OverQuota) {
  World w;
  // The message is bigger than full@'s 300-byte quota: nothing stored, temporary failure.
  std::string msg = "Subject: q\r\n\r\n" + std::string(400, 'q') + "\r\n";
  std::string out = w.run(envelope("full@example.com") + "DATA\r\n" + msg + ".\r\nQUIT\r\n");
  auto r = replies(out);
  ASSERT_EQ(r.size(), 7u) << out;
  EXPECT_EQ(r[5].substr(0, 10), "452 4.2.2 ") << out;
  EXPECT_EQ(w.inbox(w.full).size(), 0u);
  // Declared SIZE over the remaining quota: refused at RCPT.
  out = w.run("EHLO c\r\nMAIL FROM:<a@b.example> SIZE=5000\r\nRCPT TO:<full@example.com>\r\n");
  r = replies(out);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[3].substr(0, 10), "452 4.2.2 ");
}

// Found recipients are kept for a moment across sessions; unknown ones, a declared size over a
// kept account's room, and anything after the TTL go to the store again.
TEST(SmtpServer, FoundRecipientsAreKeptForAMoment) {
  World w;
  imap::server::testing::FaultyStore counted(*w.store);
  RecipientCache cache(std::chrono::milliseconds(1500));
  Context c = w.ctx;
  c.store = &counted;
  c.recipients = &cache;
  const std::string msg = "DATA\r\nSubject: kept\r\n\r\nhi\r\n.\r\nQUIT\r\n";
  auto session = [&](const std::string& rcpts) {
    return replies(w.run_with(c, "EHLO c\r\nMAIL FROM:<a@b.example> SIZE=100\r\n" + rcpts + msg));
  };
  auto r = session("RCPT TO:<alice@example.com>\r\nRCPT TO:<nobody@example.com>\r\n");
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r[3], "250 2.1.5 Recipient OK");
  EXPECT_EQ(r[4].substr(0, 10), "550 5.1.1 ");
  EXPECT_EQ(r[6].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_EQ(counted.calls("find_domain"), 2);
  r = session(
      "RCPT TO:<ALICE@example.com>\r\nRCPT TO:<nobody@example.com>\r\nRCPT "
      "TO:<full@example.com>\r\n");
  ASSERT_EQ(r.size(), 9u);
  EXPECT_EQ(r[3], "250 2.1.5 Recipient OK");
  EXPECT_EQ(r[4].substr(0, 10), "550 5.1.1 ");
  EXPECT_EQ(r[5], "250 2.1.5 Recipient OK");
  EXPECT_EQ(counted.calls("find_domain"), 4) << "alice kept; nobody and full asked";
  // full@ has 300 bytes: a kept entry does not vouch for 5000 more, the store says no.
  auto out = w.run_with(c,
                        "EHLO c\r\nMAIL FROM:<a@b.example> SIZE=5000\r\nRCPT "
                        "TO:<full@example.com>\r\nQUIT\r\n");
  EXPECT_EQ(replies(out)[3].substr(0, 10), "452 4.2.2 ") << out;
  EXPECT_EQ(counted.calls("find_domain"), 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  r = session("RCPT TO:<alice@example.com>\r\n");
  EXPECT_EQ(r[3], "250 2.1.5 Recipient OK");
  EXPECT_EQ(counted.calls("find_domain"), 6) << "after the TTL";
  EXPECT_EQ(w.inbox(w.alice).size(), 3u);
  EXPECT_EQ(w.inbox(w.full).size(), 1u);
}

TEST(RecipientCache, KeepsFoundAccountsUntilTheirTime) {
  RecipientCache cache(std::chrono::milliseconds(100), 2);
  store::Account a;
  a.id = 7;
  a.password_hash = "$argon2id$x";
  cache.put("User@Example.COM", a, 1000);
  auto got = cache.find("user@example.com", 1050);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, 7);
  EXPECT_TRUE(got->password_hash.empty());
  EXPECT_FALSE(cache.find("user@example.com", 1100).has_value()) << "expired";
  EXPECT_FALSE(cache.find("other@example.com", 1000).has_value());
  // Bounded: a third entry when two are live starts over.
  cache.put("a@x", a, 2000);
  cache.put("b@x", a, 2000);
  cache.put("c@x", a, 2000);
  EXPECT_TRUE(cache.find("c@x", 2001).has_value());
  EXPECT_FALSE(cache.find("a@x", 2001).has_value());
}

TEST(SmtpServer, Bdat) {
  World w;
  std::string part1 = "Subject: chunks\r\n\r\n";
  std::string part2 = "first\r\n.second\r\n";
  std::string out =
      w.run(envelope("alice@example.com") + "BDAT " + std::to_string(part1.size()) + "\r\n" +
            part1 + "BDAT " + std::to_string(part2.size()) + " LAST\r\n" + part2 + "QUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "250", "250", "221"})) << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  // BDAT content is taken as is: no dot-unstuffing.
  EXPECT_NE(msgs[0].find("Subject: chunks\r\n\r\nfirst\r\n.second\r\n"), std::string::npos);
}

TEST(SmtpServer, BdatRefusedChunksAreStillConsumed) {
  World w;
  // Without MAIL the chunk is read and refused; its bytes are not taken as commands.
  std::string out = w.run("EHLO c\r\nBDAT 12\r\nQUIT\r\nQUIT\r\nNOOP\r\nQUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "503", "250", "221"})) << out;
  // Over the size limit.
  std::string big(10001, 'b');
  out = w.run(envelope("alice@example.com") + "BDAT 10001 LAST\r\n" + big + "NOOP\r\nQUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "552", "250", "221"})) << out;
  // DATA after BDAT started, and BDAT with no valid recipient.
  out = w.run(
      "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.com>\r\nBDAT 3 "
      "LAST\r\nabcQUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "550", "554", "221"})) << out;
  // Short chunk then end of stream: nothing delivered, no 250.
  out = w.run(envelope("alice@example.com") + "BDAT 100 LAST\r\nonly a few bytes");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250"})) << out;
  EXPECT_EQ(w.inbox(w.alice).size(), 0u);
}

// BDAT chunks arrive as sent; the stored message has CRLF line ends as after DATA (a bare CR
// or LF would hide the next header field from the checks before delivery). BINARYMIME content
// is kept byte for byte.
TEST(SmtpServer, BdatLineEndsBecomeCrlf) {
  World w;
  std::string content = "Subject: a\rX-One: b\nX-Two: c\r\n\r\nbody\rmore\n";
  std::string out = w.run(envelope("alice@example.com") + "BDAT " + std::to_string(content.size()) +
                          " LAST\r\n" + content + "QUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "250", "221"})) << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("Subject: a\r\nX-One: b\r\nX-Two: c\r\n\r\nbody\r\nmore\r\n"),
            std::string::npos);
  std::string binary = "Subject: b\r\n\r\n\x01\r\x02\n";
  out = w.run(
      "EHLO c\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<bob@example.com>\r\nBDAT " +
      std::to_string(binary.size()) + " LAST\r\n" + binary + "QUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "250", "221"})) << out;
  msgs = w.inbox(w.bob);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find(binary), std::string::npos);
}

// A chunk refused for want of recipients ends the transaction: a RCPT after it cannot start a
// message that lacks the refused chunk.
TEST(SmtpServer, BdatRefusedForNoRecipientEndsTheTransaction) {
  World w;
  std::string out = w.run(
      "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.com>\r\nBDAT 3\r\nabc"
      "RCPT TO:<alice@example.com>\r\nBDAT 3 LAST\r\ndefQUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "550", "554", "503", "503", "221"})) << out;
  EXPECT_EQ(w.inbox(w.alice).size(), 0u);
}

TEST(SmtpServer, BdatBadSizeCloses) {
  World w;
  std::string out = w.run("EHLO c\r\nBDAT -5\r\nMAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "421"})) << out;
}

TEST(SmtpServer, SmugglingIsNotEndOfData) {
  World w;
  std::string in = envelope("alice@example.com") +
                   "DATA\r\nSubject: legit\r\n\r\nhello\n.\nMAIL FROM:<ceo@example.com>\r\n"
                   "RCPT TO:<bob@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\nQUIT\r\n";
  std::string out = w.run(in);
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354", "250", "221"})) << out;
  EXPECT_EQ(w.inbox(w.bob).size(), 0u);
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("hello\r\n.\r\nMAIL FROM:<ceo@example.com>\r\n"), std::string::npos);
}

TEST(SmtpServer, PipelinedAndByteAtATimeGiveTheSameReplies) {
  World w;
  std::string in = envelope("alice@example.com") + "DATA\r\n" + kMessage +
                   ".\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.com>\r\nRCPT "
                   "TO:<x@nowhere.example>\r\nDATA\r\n" +
                   kMessage + ".\r\nQUIT\r\n";
  auto mask = [](const std::string& out) {
    V r = replies(out);
    for (auto& l : r)
      if (l.rfind("250 2.0.0 OK ", 0) == 0) l = "250 2.0.0 OK <id>";
    return r;
  };
  V whole = mask(w.run(in));
  V bytes = mask(w.run(in, 1));
  EXPECT_EQ(whole, bytes);
  EXPECT_EQ(whole.size(), 12u);
  EXPECT_EQ(w.inbox(w.alice).size(), 2u);
  EXPECT_EQ(w.inbox(w.bob).size(), 2u);
}

TEST(SmtpServer, PipelinedRepliesLeaveInOneWrite) {
  // A stream that counts writes: the replies to one pipelined group come in one write.
  World w;
  std::string out = w.run(envelope("alice@example.com") + "RCPT TO:<bob@example.com>\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "250"}));
}

TEST(SmtpServer, TooManyErrorsCloses) {
  World w;
  std::string in;
  for (int i = 0; i < 15; ++i) in += "BOGUS " + std::to_string(i) + "\r\n";
  auto c = codes(w.run(in));
  ASSERT_EQ(c.size(), 12u);
  EXPECT_EQ(c.back(), "421");
  EXPECT_EQ(c[10], "500");
}

TEST(SmtpServer, HugeLineAndGarbage) {
  World w;
  std::string in = "EHLO c\r\n" + std::string(10 * 1024 * 1024, 'A') + "\r\nNOOP\r\n";
  std::string out = w.run(in);
  EXPECT_EQ(codes(out), (V{"220", "250", "500", "250"})) << out.substr(0, 500);
  EXPECT_NE(out.find("500 5.5.2 Line too long"), std::string::npos);
  // A huge line with no end at all.
  out = w.run(std::string(5 * 1024 * 1024, 'B'));
  EXPECT_EQ(codes(out), (V{"220"}));
  // Binary garbage and NUL bytes.
  std::string garbage;
  for (int i = 0; i < 4000; ++i) garbage += static_cast<char>((i * 7919) % 256);
  out = w.run(garbage + "\r\nQUIT\r\n");
  EXPECT_EQ(codes(out).front(), "220");
  out = w.run(std::string("NOOP\0\r\nQUIT\r\n", 13));
  EXPECT_EQ(codes(out), (V{"220", "500", "221"})) << out;
}

TEST(SmtpServer, DataWithNulAndBareLf) {
  World w;
  std::string msg("Subject: nul\r\n\r\na\0b\nc\r\n", 23);
  std::string out = w.run(envelope("alice@example.com") + "DATA\r\n" + msg + ".\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354", "250"})) << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find(std::string("a\0b\r\nc\r\n", 8)), std::string::npos);
}

TEST(SmtpServer, DisconnectInsideDataStoresNothing) {
  World w;
  std::string out = w.run(envelope("alice@example.com") + "DATA\r\nSubject: cut\r\n\r\nhalf");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354"}));
  EXPECT_EQ(w.inbox(w.alice).size(), 0u);
}

// A stream that serves its input, then behaves as if the read timeout expired.
class TimeoutStream final : public net::Stream {
 public:
  TimeoutStream(std::string in, std::string* out) : in_(std::move(in)), out_(out) {}
  asio::awaitable<std::size_t> read_some(std::span<char> buf) override {
    if (pos_ >= in_.size()) {
      timed_out_ = true;
      co_return 0;
    }
    std::size_t n = std::min(buf.size(), in_.size() - pos_);
    std::memcpy(buf.data(), in_.data() + pos_, n);
    pos_ += n;
    co_return n;
  }
  asio::awaitable<bool> write_all(std::string_view d) override {
    out_->append(d);
    co_return true;
  }
  asio::awaitable<bool> start_tls() override { co_return false; }
  bool can_start_tls() const override { return false; }
  bool tls_active() const override { return false; }
  std::string tls_version() const override { return ""; }
  void set_read_timeout(std::chrono::seconds t) override { timeout_ = t; }
  bool timed_out() const override { return timed_out_; }
  const std::string& remote_ip() const override { return ip_; }
  bool is_loopback() const override { return false; }
  void close() override {}
  std::chrono::seconds timeout_{0};

 private:
  std::string in_;
  std::size_t pos_ = 0;
  std::string* out_;
  bool timed_out_ = false;
  std::string ip_ = "2001:db8::25";
};

std::string run_timeout(World& w, const std::string& input) {
  std::string out;
  w.serve_stream(std::make_unique<TimeoutStream>(input, &out), w.ctx);
  return out;
}

TEST(SmtpServer, Timeouts) {
  World w;
  std::string out = run_timeout(w, "EHLO c\r\n");
  auto r = replies(out);
  ASSERT_EQ(r.size(), 3u) << out;
  EXPECT_EQ(r[2].substr(0, 10), "421 4.4.2 ");
  out = run_timeout(w, envelope("alice@example.com") + "DATA\r\nSubject: slow\r\n");
  r = replies(out);
  ASSERT_EQ(r.size(), 6u) << out;
  EXPECT_EQ(r[5].substr(0, 10), "421 4.4.2 ");
  EXPECT_EQ(w.inbox(w.alice).size(), 0u);
  // IPv6 clients get an IPv6 address literal in Received.
  out = run_timeout(w, envelope("alice@example.com") + "DATA\r\nSubject: v6\r\n\r\n.\r\n");
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_EQ(msgs[0].rfind("Received: from client.remote.example ([IPv6:2001:db8::25])", 0), 0u);
}

TEST(SmtpServer, LargeMessageNearTheLimit) {
  World w;
  Context c = w.ctx;
  c.max_message_size = 8 * 1024 * 1024;
  std::string msg = "Subject: large\r\n\r\n";
  std::string line = std::string(76, 'L') + "\r\n";
  while (msg.size() + line.size() < 7 * 1024 * 1024) msg += line;
  msg += ".starts with a dot\r\n";
  std::string out = w.run_with(
      c, envelope("alice@example.com") + "DATA\r\n" + proto::dot_stuff(msg) + "QUIT\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354", "250", "221"})) << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  ASSERT_GT(msgs[0].size(), msg.size());
  EXPECT_EQ(msgs[0].substr(msgs[0].size() - msg.size()), msg);
}

// Random mixes of valid and broken commands, content and bytes, read in random chunk sizes:
// the session always ends, and every line it writes is a well-formed reply line.
TEST(SmtpServer, RandomScriptsKeepReplyFraming) {
  World w;
  const std::vector<std::string> pieces = {"EHLO c\r\n",
                                           "HELO c\r\n",
                                           "MAIL FROM:<a@b.example>\r\n",
                                           "MAIL FROM:<>\r\n",
                                           "RCPT TO:<alice@example.com>\r\n",
                                           "RCPT TO:<bob@example.net>\r\n",
                                           "RCPT TO:<x%y@example.com>\r\n",
                                           "RCPT TO:<nobody@example.com>\r\n",
                                           "DATA\r\n",
                                           "Subject: s\r\n\r\nbody\r\n",
                                           ".\r\n",
                                           "\n.\n",
                                           "..\r\n",
                                           "BDAT 5\r\n",
                                           "BDAT 3 LAST\r\n",
                                           "BDAT x\r\n",
                                           "RSET\r\n",
                                           "NOOP\r\n",
                                           "VRFY a\r\n",
                                           "STARTTLS\r\n",
                                           "AUTH PLAIN\r\n",
                                           "AUTH LOGIN\r\n",
                                           "*\r\n",
                                           "QUIT\r\n",
                                           std::string("\0\r\n", 3),
                                           "\xff\xfe\r\n",
                                           "\r\n",
                                           "MAIL FROM:<\xe3\x81\x82@x.jp> SMTPUTF8\r\n",
                                           std::string(3000, 'z') + "\r\n"};
  uint32_t seed = 12345;
  auto rnd = [&](uint32_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 8) % n;
  };
  size_t total_lines = 0;
  for (int round = 0; round < 150; ++round) {
    std::string in;
    if (rnd(3) == 0) in = envelope("alice@example.com") + "DATA\r\n";
    int n = 1 + rnd(25);
    for (int i = 0; i < n; ++i) {
      if (rnd(10) == 0) {
        for (int k = rnd(40); k > 0; --k) in += static_cast<char>(rnd(256));
      } else {
        in += pieces[rnd(pieces.size())];
      }
    }
    Context c = w.ctx;
    if (rnd(2)) {
      c.mode = Mode::kSubmission;
      c.allow_auth_without_tls = true;
    }
    std::string out = w.run_with(c, in, 1 + rnd(64), rnd(2) == 0);
    ASSERT_GE(out.size(), 5u);
    ASSERT_EQ(out.substr(out.size() - 2), "\r\n") << in;
    total_lines += lines(out).size();
    for (const auto& l : lines(out)) {
      ASSERT_GE(l.size(), 3u) << in;
      ASSERT_TRUE(l[0] >= '2' && l[0] <= '5' && isdigit(l[1]) && isdigit(l[2])) << l;
      ASSERT_TRUE(l.size() == 3 || l[3] == ' ' || l[3] == '-') << l;
      for (char ch : l) ASSERT_TRUE(ch != '\r' && ch != '\n' && ch != '\0') << l;
    }
  }
  EXPECT_GT(total_lines, 150u * 3);
  EXPECT_GT(w.inbox(w.alice).size() + w.inbox(w.bob).size(), 0u);  // some scripts deliver
}

TEST(SmtpServer, HttpIsTurnedAway) {
  World w;
  std::string out = w.run("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(codes(out), (V{"220", "421"}));
}

TEST(SmtpServer, StartTls) {
  World w;
  // Pipelined input after STARTTLS is discarded (CVE-2011-0411).
  std::string out = w.run("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "220"})) << out;
  EXPECT_NE(out.find("220 2.0.0 Ready to start TLS"), std::string::npos);
  // Byte at a time, the client waits for 220: the session restarts under TLS.
  out = w.run("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b.example>\r\nEHLO c\r\nSTARTTLS\r\nQUIT\r\n", 1);
  EXPECT_EQ(codes(out), (V{"220", "250", "220", "503", "250", "503", "221"})) << out;
  auto after = out.substr(out.find("Ready to start TLS"));
  EXPECT_EQ(after.find("STARTTLS\r\n"), std::string::npos);  // not offered again
  EXPECT_NE(after.find("250-REQUIRETLS"), std::string::npos);
  // On a stream that is already TLS, STARTTLS is not offered and refused.
  out = w.run("EHLO c\r\nSTARTTLS\r\n", 4096, true);
  EXPECT_EQ(out.find("250-STARTTLS"), std::string::npos);
  EXPECT_EQ(codes(out), (V{"220", "250", "503"}));
}

TEST(SmtpServer, Smtputf8) {
  World w;
  std::string out = w.run(
      "EHLO c\r\nMAIL FROM:<送信者@例え.jp>\r\nMAIL FROM:<送信者@例え.jp> SMTPUTF8\r\n"
      "RCPT TO:<ユーザー@example.com>\r\nRCPT TO:<user@例え.jp>\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "553", "250", "550", "554"})) << out;
  out = w.run("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<ユーザー@example.com>\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "553"})) << out;
}

TEST(SmtpServer, RequireTlsNeedsTls) {
  World w;
  std::string out = w.run("EHLO c\r\nMAIL FROM:<a@b.example> REQUIRETLS\r\n");
  EXPECT_EQ(codes(out), (V{"220", "250", "530"}));
  out = w.run("EHLO c\r\nMAIL FROM:<a@b.example> REQUIRETLS\r\n", 4096, true);
  EXPECT_EQ(codes(out), (V{"220", "250", "250"}));
}

TEST(SmtpServer, ReceivedShowsTlsAndUtf8) {
  World w;
  std::string out = w.run(
      "EHLO c\r\nMAIL FROM:<a@b.example> SMTPUTF8\r\nRCPT "
      "TO:<alice@example.com>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\n",
      4096, true);
  EXPECT_EQ(codes(out), (V{"220", "250", "250", "250", "354", "250"})) << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("with UTF8SMTPS (TLSv1.3) id "), std::string::npos) << msgs[0];
}

// ------------------------------------------------------------------ submission

std::string plain(const std::string& user, const std::string& pass) {
  return base64_encode(std::string("\0", 1) + user + std::string("\0", 1) + pass);
}

TEST(SmtpSubmission, NeedsAuthAndTls) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  // Not TLS, not loopback: AUTH is neither offered nor accepted; MAIL needs AUTH.
  std::string out =
      w.run_with(c,
                 "EHLO c\r\nAUTH PLAIN " + plain("alice@example.com", World::kPassword) +
                     "\r\nMAIL FROM:<alice@example.com>\r\n",
                 4096, false, false);
  EXPECT_EQ(out.find("AUTH PLAIN LOGIN"), std::string::npos);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 4u) << out;
  EXPECT_EQ(r[2].substr(0, 10), "530 5.7.0 ");
  EXPECT_NE(r[2].find("STARTTLS"), std::string::npos);
  EXPECT_EQ(r[3],
            "530 5.7.0 Authentication required: turn on \"outgoing server requires "
            "authentication\" in your mail app");
}

TEST(SmtpSubmission, AuthPlainThenLocalDeliveryAndQueue) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  std::string out = w.run_with(
      c,
      "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
          "\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<someone@gmail.example>\r\nRCPT "
          "TO:<bob@example.com>\r\nDATA\r\n" +
          "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\n\r\nHi\r\n" + ".\r\nQUIT\r\n",
      4096, true, false);
  EXPECT_NE(out.find("250-AUTH PLAIN LOGIN"), std::string::npos) << out;
  auto r = replies(out);
  ASSERT_EQ(r.size(), 9u) << out;
  EXPECT_EQ(r[2], "235 2.7.0 Authentication successful");
  EXPECT_EQ(r[4], "250 2.1.5 Recipient OK; will be sent on to gmail.example");
  EXPECT_EQ(r[5], "250 2.1.5 Recipient OK");
  EXPECT_EQ(r[7].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_NE(r[7].find("queued for delivery"), std::string::npos);
  auto msgs = w.inbox(w.bob);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("with ESMTPSA"), std::string::npos);
  // The queue holds the same bytes for the remote recipient.
  auto q = w.must(w.store->queue_list());
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].account_id, w.alice.id);
  EXPECT_EQ(q[0].env_from, "alice@example.com");
  ASSERT_EQ(q[0].rcpts.size(), 1u);
  EXPECT_EQ(q[0].rcpts[0].address, "someone@gmail.example");
  EXPECT_EQ(q[0].rcpts[0].domain, "gmail.example");
  EXPECT_EQ(w.must(w.store->read_blob(q[0].blob_id)), msgs[0]);
}

TEST(SmtpSubmission, DsnParametersReachTheQueue) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  int woken = 0;
  store::QueuedMessage handed;
  std::shared_ptr<const std::string> handed_raw;
  c.on_queued = [&](store::QueuedMessage m, std::shared_ptr<const std::string> raw) {
    ++woken;
    handed = std::move(m);
    handed_raw = std::move(raw);
  };
  std::string out = w.run_with(
      c,
      "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
          "\r\nMAIL FROM:<alice@example.com> RET=HDRS ENVID=QQ+2Bx\r\n"
          "RCPT TO:<a@remote.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;A+40remote.example\r\n"
          "RCPT TO:<b@remote.example> NOTIFY=NEVER\r\nRCPT TO:<c@[192.0.2.1]>\r\n"
          "RCPT TO:<bob@example.com> NOTIFY=SUCCESS\r\nDATA\r\n"
          "From: alice@example.com\r\n\r\n\xc3\xa9t\xc3\xa9\r\n.\r\nQUIT\r\n",
      4096, true, false);
  EXPECT_NE(out.find("250-DSN\r\n"), std::string::npos) << out;
  auto r = replies(out);
  ASSERT_EQ(r.size(), 11u) << out;
  EXPECT_EQ(r[6].substr(0, 10), "550 5.1.3 ");
  EXPECT_EQ(r[9].substr(0, 13), "250 2.0.0 OK ");
  // NOTIFY=SUCCESS for a local recipient: a "delivered" report in the sender's INBOX.
  auto reports = w.inbox(w.alice);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("Action: delivered"), std::string::npos) << reports[0];
  EXPECT_NE(reports[0].find("Final-Recipient: rfc822; bob@example.com"), std::string::npos);
  EXPECT_NE(reports[0].find("Original-Envelope-Id: QQ+x"), std::string::npos) << reports[0];
  EXPECT_EQ(w.inbox(w.bob).size(), 1u);
  EXPECT_EQ(woken, 1);
  auto q = w.must(w.store->queue_list());
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].ret, "HDRS");
  EXPECT_EQ(q[0].envid, "QQ+x");
  EXPECT_TRUE(q[0].eight_bit);
  ASSERT_EQ(q[0].rcpts.size(), 2u);
  EXPECT_EQ(q[0].rcpts[0].notify, "SUCCESS,DELAY");
  EXPECT_EQ(q[0].rcpts[0].orcpt, "rfc822;A@remote.example");
  EXPECT_EQ(q[0].rcpts[1].notify, "NEVER");
  // What the queue runner was handed is what it would read back from the store.
  auto stored = w.must(w.store->queue_get(q[0].id));
  EXPECT_EQ(handed.id, stored.id);
  EXPECT_EQ(handed.account_id, stored.account_id);
  EXPECT_EQ(handed.blob_id, stored.blob_id);
  EXPECT_EQ(handed.size, stored.size);
  EXPECT_EQ(handed.env_from, stored.env_from);
  EXPECT_EQ(handed.envid, stored.envid);
  EXPECT_EQ(handed.ret, stored.ret);
  EXPECT_EQ(handed.smtputf8, stored.smtputf8);
  EXPECT_EQ(handed.eight_bit, stored.eight_bit);
  EXPECT_EQ(handed.requiretls, stored.requiretls);
  EXPECT_EQ(handed.created, stored.created);
  EXPECT_EQ(handed.expires, stored.expires);
  EXPECT_EQ(handed.delay_notified, stored.delay_notified);
  ASSERT_EQ(handed.rcpts.size(), stored.rcpts.size());
  for (size_t i = 0; i < stored.rcpts.size(); ++i) {
    const auto& a = handed.rcpts[i];
    const auto& b = stored.rcpts[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.address, b.address);
    EXPECT_EQ(a.domain, b.domain);
    EXPECT_EQ(a.notify, b.notify);
    EXPECT_EQ(a.orcpt, b.orcpt);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.attempts, b.attempts);
    EXPECT_EQ(a.next_attempt, b.next_attempt);
    EXPECT_EQ(a.last_attempt, b.last_attempt);
  }
  ASSERT_TRUE(handed_raw);
  EXPECT_EQ(*handed_raw, w.must(w.store->read_blob(stored.blob_id)));
}

TEST(SmtpSubmission, NoRelayWithoutSuccessfulAuthAndNoRelayHacks) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  std::string out =
      w.run_with(c,
                 "EHLO c\r\nAUTH PLAIN " + plain("alice", "wrong password") +
                     "\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<victim@elsewhere.example>\r\n"
                     "AUTH PLAIN " +
                     plain("alice", World::kPassword) +
                     "\r\nMAIL FROM:<alice@example.com>\r\n"
                     "RCPT TO:<victim%elsewhere.example@example.com>\r\n"
                     "RCPT TO:<elsewhere.example!victim@example.com>\r\n"
                     "RCPT TO:<\"victim@elsewhere.example\"@example.com>\r\n"
                     "RCPT TO:<@example.com:victim@elsewhere.example>\r\n"
                     "QUIT\r\n",
                 4096, true, false);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 12u) << out;
  EXPECT_EQ(r[2].substr(0, 10), "535 5.7.8 ");
  EXPECT_EQ(r[3].substr(0, 10), "530 5.7.0 ");  // MAIL after a failed AUTH
  EXPECT_EQ(r[4].substr(0, 4), "503 ");         // so no RCPT either
  EXPECT_EQ(r[5], "235 2.7.0 Authentication successful");
  EXPECT_EQ(r[7].substr(0, 10), "550 5.7.1 ");  // %-hack
  EXPECT_EQ(r[8].substr(0, 10), "550 5.7.1 ");  // bang path
  EXPECT_EQ(r[9].substr(0, 10), "550 5.7.1 ");  // quoted '@'
  // A source route is dropped (RFC 5321 Appendix C): the mail goes to the final address, which
  // the authenticated user may send to anyway.
  EXPECT_EQ(r[10], "250 2.1.5 Recipient OK; will be sent on to elsewhere.example");
  EXPECT_TRUE(w.must(w.store->queue_list()).empty());
}

TEST(SmtpSubmission, WithoutOutboundDeliveryOtherDomainsAreRefusedAtRcpt) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.outbound = false;
  std::string out = w.run_with(c,
                               "EHLO c\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
                                   "\r\nMAIL FROM:<alice@example.com>\r\n"
                                   "RCPT TO:<x@elsewhere.example>\r\nRCPT TO:<bob@example.com>\r\n",
                               4096, true, false);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 6u) << out;
  EXPECT_EQ(r[4].substr(0, 10), "550 5.7.1 ");
  EXPECT_NE(r[4].find("development mode"), std::string::npos);
  EXPECT_EQ(r[5], "250 2.1.5 Recipient OK");
}

TEST(SmtpSubmission, DailyLimitsAndSuspension) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.send_policy.limits = {2, 100, 86400};
  c.send_policy.suspend_after = 2;
  c.send_policy.hostname = "mx.example.com";
  std::string one =
      "MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\n"
      "From: alice@example.com\r\n\r\nhi\r\n.\r\n";
  std::string mail = "MAIL FROM:<alice@example.com>\r\n";
  std::string out = w.run_with(c,
                               "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
                                   "\r\n" + one + one + mail + mail + mail + "QUIT\r\n",
                               4096, true, false);
  auto r = replies(out);
  // 220 250 235, two messages of 250 250 354 250, then one reply per MAIL, then 221: the limit
  // is named at MAIL, before the content is uploaded.
  ASSERT_EQ(r.size(), 3u + 2 * 4 + 3 + 1) << out;
  EXPECT_EQ(r[6].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_EQ(r[10].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_EQ(r[11].substr(0, 10), "451 4.7.0 ");
  EXPECT_NE(r[11].find("2 messages per 24 hours"), std::string::npos) << r[11];
  EXPECT_NE(r[11].find("You can send again after 20"), std::string::npos) << r[11];
  EXPECT_NE(r[11].find(" UTC"), std::string::npos) << r[11];
  EXPECT_EQ(r[12].substr(0, 10), "451 4.7.0 ");
  EXPECT_NE(r[12].find("suspended"), std::string::npos) << r[12];
  EXPECT_EQ(r[13].substr(0, 10), "550 5.7.1 ");
  EXPECT_NE(r[13].find("Sending is suspended"), std::string::npos) << r[13];
  EXPECT_EQ(w.must(w.store->queue_list()).size(), 2u);
  EXPECT_TRUE(w.must(w.store->get_account(w.alice.id)).send_suspended);
  // The owner was warned at 80 % (the second message), then told of the suspension.
  auto inbox = w.inbox(w.alice);
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_NE(inbox[0].find("80%"), std::string::npos);
  EXPECT_NE(inbox[1].find("Auto-Submitted: auto-generated"), std::string::npos);
  EXPECT_EQ(inbox[1].find("80%"), std::string::npos);
}

// Later messages of a session reuse the first MAIL's look at the sender (its addresses, its
// window) and the remote domains already seen, but are checked just the same.
TEST(SmtpSubmission, LaterMessagesOfASessionAskTheStoreLess) {
  World w;
  imap::server::testing::FaultyStore counted(*w.store);
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.store = &counted;
  c.send_policy.limits = {100, 100, 86400};
  std::string one =
      "MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\nRCPT "
      "TO:<Y@REMOTE.Example>\r\nDATA\r\nFrom: alice@example.com\r\n\r\nhi\r\n.\r\n";
  std::string out = w.run_with(
      c,
      "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) + "\r\n" + one + one +
          "MAIL FROM:<bob@example.com>\r\nMAIL FROM:<alice+news@example.net>\r\nRCPT "
          "TO:<bob@example.com>\r\nRCPT TO:<z@other.example>\r\nQUIT\r\n",
      4096, true, false);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 3u + 2 * 5 + 4 + 1) << out;
  for (size_t i : {4u, 5u, 9u, 10u})
    EXPECT_EQ(r[i].substr(0, 34), "250 2.1.5 Recipient OK; will be se") << i << out;
  EXPECT_EQ(r[7].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_EQ(r[12].substr(0, 13), "250 2.0.0 OK ");
  // Another account's address is refused from the remembered list, which names the allowed
  // ones; a plus address on an alias domain of the account's own is fine.
  EXPECT_EQ(r[13].substr(0, 10), "550 5.7.1 ") << r[13];
  EXPECT_NE(r[13].find("alice@example.net"), std::string::npos) << r[13];
  EXPECT_EQ(r[14], "250 2.1.0 Sender OK");
  EXPECT_EQ(r[15], "250 2.1.5 Recipient OK");
  EXPECT_EQ(r[16].substr(0, 34), "250 2.1.5 Recipient OK; will be se");
  // One look at the sender (addresses, window) for three MAILs; remote.example looked up once
  // for four RCPTs in any case. Without the memo: 3 + 3 and 3 + 4 + 1 + 1.
  EXPECT_EQ(counted.calls("list_aliases"), 1);
  EXPECT_EQ(counted.calls("send_usage"), 1);
  EXPECT_EQ(counted.calls("find_domain"), 4)
      << "alice's domain, remote.example, other.example, bob's";
  auto q = w.must(w.store->queue_list());
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].rcpts.size(), 2u);
  EXPECT_EQ(q[1].rcpts[1].address, "Y@REMOTE.Example");
}

TEST(SmtpSubmission, RecipientLimitIsCheckedWithTheContent) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.send_policy.limits = {100, 3, 86400};
  std::string two =
      "MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\n"
      "RCPT TO:<y@remote.example>\r\nDATA\r\nFrom: alice@example.com\r\n\r\nhi\r\n.\r\n";
  std::string out = w.run_with(c,
                               "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
                                   "\r\n" + two + two + "QUIT\r\n",
                               4096, true, false);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 3u + 2 * 5 + 1) << out;
  EXPECT_EQ(r[7].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_EQ(r[12].substr(0, 10), "451 4.7.0 ");
  EXPECT_NE(r[12].find("3 recipients per 24 hours"), std::string::npos) << r[12];
  EXPECT_EQ(w.must(w.store->queue_list()).size(), 1u);
  // The refusal after the content counts toward suspension like one at MAIL.
  auto usage = w.must(w.store->send_usage(w.alice.id, std::time(nullptr), 86400));
  EXPECT_EQ(usage.refusals, 1);
}

// More recipients in one message than the account may send to in a whole day: a permanent
// 550 5.5.3 that names the limit. A kTooBig of the storage itself (SQLITE_TOOBIG) is another
// failure, worded as one (552 5.3.4), not as too many recipients.
TEST(SmtpSubmission, TooManyRecipientsForADayIsToldFromAStorageTooBig) {
  World w;
  imap::server::testing::FaultyStore faulty(*w.store);
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.store = &faulty;
  c.send_policy.limits = {100, 2, 86400};
  const std::string login =
      "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) + "\r\n";
  const std::string three =
      "MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\n"
      "RCPT TO:<y@remote.example>\r\nRCPT TO:<z@remote.example>\r\nDATA\r\n"
      "From: alice@example.com\r\n\r\nhi\r\n.\r\n";
  auto r = replies(w.run_with(c, login + three + "QUIT\r\n", 4096, true, false));
  ASSERT_EQ(r.size(), 3u + 6 + 1);
  EXPECT_EQ(r[8].substr(0, 30), "550 5.5.3 Too many recipients:") << r[8];
  EXPECT_NE(r[8].find("more than the 2"), std::string::npos) << r[8];
  // The same store error for a message within the limit.
  const std::string one =
      "MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\n"
      "From: alice@example.com\r\n\r\nhi\r\n.\r\n";
  faulty.fail_code = Errc::kTooBig;
  faulty.fail("post_submit");
  r = replies(w.run_with(c, login + one + "QUIT\r\n", 4096, true, false));
  ASSERT_EQ(r.size(), 3u + 4 + 1);
  EXPECT_EQ(r[6].substr(0, 10), "552 5.3.4 ") << r[6];
  EXPECT_EQ(r[6].find("recipients"), std::string::npos) << r[6];
  faulty.fail("");
  EXPECT_TRUE(w.must(w.store->queue_list()).empty());
  // Neither counts toward suspension.
  EXPECT_EQ(w.must(w.store->send_usage(w.alice.id, std::time(nullptr), 86400)).refusals, 0);
}

// One transaction: a local recipient whose mailbox is full refuses the whole submission, by
// name, and nothing is queued for the other recipient.
TEST(SmtpSubmission, AFullLocalMailboxIsNamedAndNothingIsQueued) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  std::string out =
      w.run_with(c,
                 "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
                     "\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\nRCPT "
                     "TO:<full@example.com>\r\nDATA\r\nFrom: alice@example.com\r\n\r\n" +
                     std::string(400, 'q') + "\r\n.\r\nQUIT\r\n",
                 4096, true, false);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 9u) << out;
  EXPECT_EQ(r[7].substr(0, 10), "452 4.2.2 ") << r[7];
  EXPECT_NE(r[7].find("The mailbox of full@example.com is full (storage quota reached)"),
            std::string::npos)
      << r[7];
  EXPECT_TRUE(w.must(w.store->queue_list()).empty());
  EXPECT_TRUE(w.inbox(w.full).empty());
}

// A submission the store cannot take, with an error or an exception on the worker that hands
// it over, is refused with 451 and queues nothing; the session goes on, and the next one is
// accepted.
TEST(SmtpSubmission, AStoreFailureRefusesTheSubmissionAndTheSessionGoesOn) {
  World w;
  imap::server::testing::FaultyStore faulty(*w.store);
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.store = &faulty;
  const std::string one =
      "MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\n"
      "From: alice@example.com\r\n\r\nhi\r\n.\r\n";
  const std::string login =
      "EHLO laptop\r\nAUTH PLAIN " + plain("alice", World::kPassword) + "\r\n";
  for (bool throws : {false, true}) {
    faulty.fail("post_submit");
    faulty.throw_instead = throws;
    auto r = replies(w.run_with(c, login + one + "QUIT\r\n", 4096, true, false));
    ASSERT_EQ(r.size(), 3u + 4 + 1) << throws;
    EXPECT_EQ(r[6].substr(0, 10), "451 4.3.0 ") << r[6];
    EXPECT_EQ(r[7].substr(0, 3), "221") << "the session went on";
  }
  EXPECT_TRUE(w.must(w.store->queue_list()).empty());
  faulty.fail("");
  auto r = replies(w.run_with(c, login + one + "QUIT\r\n", 4096, true, false));
  ASSERT_EQ(r.size(), 3u + 4 + 1);
  EXPECT_EQ(r[6].substr(0, 13), "250 2.0.0 OK ");
  EXPECT_EQ(w.must(w.store->queue_list()).size(), 1u);
}

TEST(SmtpSubmission, AuthLoginAndFailures) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  std::string out = w.run_with(c,
                               "EHLO c\r\nAUTH LOGIN\r\n" + base64_encode("alice@example.com") +
                                   "\r\n" + base64_encode("wrong") + "\r\nAUTH LOGIN\r\n*\r\n" +
                                   "AUTH PLAIN\r\n!!!\r\nAUTH CRAM-MD5\r\nAUTH LOGIN " +
                                   base64_encode("alice@example.com") + "\r\n" +
                                   base64_encode(World::kPassword) + "\r\nAUTH PLAIN =\r\n",
                               4096, true, false);
  EXPECT_EQ(codes(out), (V{"220", "250", "334", "334", "535", "334", "501", "334", "501", "504",
                           "334", "235", "503"}))
      << out;
  EXPECT_NE(out.find("334 VXNlcm5hbWU6\r\n"), std::string::npos);
  EXPECT_NE(out.find("334 UGFzc3dvcmQ6\r\n"), std::string::npos);
}

// The From check sees a field that follows a bare CR (BDAT takes bytes as sent).
TEST(SmtpSubmission, FromAfterABareCrIsChecked) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  std::string content = "Subject: hi\rFrom: <ceo@bank.example>\r\n\r\nbody\r\n";
  std::string out = w.run_with(c,
                               "EHLO c\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
                                   "\r\nMAIL FROM:<alice@example.com>\r\nRCPT "
                                   "TO:<bob@example.com>\r\nBDAT " +
                                   std::to_string(content.size()) + " LAST\r\n" + content,
                               4096, true, false);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 6u) << out;
  EXPECT_EQ(r[5].substr(0, 10), "550 5.7.1 ") << r[5];
  EXPECT_NE(r[5].find("ceo@bank.example"), std::string::npos) << r[5];
  EXPECT_EQ(w.inbox(w.bob).size(), 0u);
}

// A quoted local part ("john smith") keeps its quotes in the queue: the remote server gets a
// valid RCPT TO.
TEST(SmtpSubmission, QuotedLocalPartsAreQueuedQuoted) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.outbound = true;
  std::string out = w.run_with(
      c,
      "EHLO c\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
          "\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<\"john smith\"@gmail.example>\r\nDATA\r\n"
          "From: alice@example.com\r\n\r\nhi\r\n.\r\nQUIT\r\n",
      4096, true, false);
  EXPECT_EQ(codes(out), (V{"220", "250", "235", "250", "250", "354", "250", "221"})) << out;
  auto q = w.must(w.store->queue_list());
  ASSERT_EQ(q.size(), 1u);
  ASSERT_EQ(q[0].rcpts.size(), 1u);
  EXPECT_EQ(q[0].rcpts[0].address, "\"john smith\"@gmail.example");
  EXPECT_EQ(q[0].rcpts[0].domain, "gmail.example");
}

// After STARTTLS the session forgets what the account signed in before it could send as
// (RFC 3207 §4.2); a second sign-in cannot use the first account's addresses.
TEST(SmtpSubmission, StartTlsForgetsTheSendersAllowedBefore) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.allow_auth_without_tls = true;
  std::string out = w.run_with(
      c,
      "EHLO c\r\nAUTH PLAIN " + plain("bob", "bob password") +
          "\r\nMAIL FROM:<bob@example.com>\r\nRSET\r\nSTARTTLS\r\nEHLO c\r\nAUTH PLAIN " +
          plain("alice", World::kPassword) + "\r\nMAIL FROM:<bob@example.com>\r\nQUIT\r\n",
      1, false, true);
  EXPECT_EQ(codes(out), (V{"220", "250", "235", "250", "250", "220", "250", "235", "550", "221"}))
      << out;
}

// A plan with fewer recipients per message than the server's limit holds its accounts to it.
TEST(SmtpSubmission, ThePlansRecipientLimit) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.send_policy.plans = {{"small", {100, 100, 86400}, 2}};
  ASSERT_TRUE(w.store->set_plan(w.alice.id, "small", 0).ok());
  std::string out = w.run_with(c,
                               "EHLO c\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
                                   "\r\nMAIL FROM:<alice@example.com>\r\nRCPT "
                                   "TO:<bob@example.com>\r\nRCPT TO:<alice@example.com>\r\nRCPT "
                                   "TO:<bob@example.net>\r\nQUIT\r\n",
                               4096, true, false);
  auto r = replies(out);
  ASSERT_EQ(r.size(), 8u) << out;
  EXPECT_EQ(r[6].substr(0, 10), "452 4.5.3 ") << r[6];
  EXPECT_NE(r[6].find("at most 2"), std::string::npos) << r[6];
  // An account on the default plan ("") is held to the default plan's number.
  c.send_policy.recipients_per_message = 1;
  out = w.run_with(c,
                   "EHLO c\r\nAUTH PLAIN " + plain("bob", "bob password") +
                       "\r\nMAIL FROM:<bob@example.com>\r\nRCPT TO:<alice@example.com>\r\nRCPT "
                       "TO:<alice@example.net>\r\nQUIT\r\n",
                   4096, true, false);
  r = replies(out);
  ASSERT_EQ(r.size(), 7u) << out;
  EXPECT_EQ(r[5].substr(0, 10), "452 4.5.3 ") << r[5];
}

// A plan changed while a session is signed in applies from that session's next MAIL check:
// the limits come from the account as stored then, not as it was at AUTH.
TEST(SmtpSubmission, APlanChangedAfterSignInAppliesAtMail) {
  World w;
  imap::server::testing::FaultyStore faulty(*w.store);
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.store = &faulty;
  c.send_policy.plans = {{"small", {100, 100, 86400}, 1}};
  bool changed = false;
  // The MAIL check reads the account's aliases first (account::sendable_addresses): the
  // administrator's change lands between the sign-in and that check.
  faulty.before_call = [&](const std::string& method) {
    if (method == "list_aliases" && !changed) {
      changed = true;
      ASSERT_TRUE(w.store->set_plan(w.alice.id, "small", 0).ok());
    }
  };
  std::string out = w.run_with(c,
                               "EHLO c\r\nAUTH PLAIN " + plain("alice", World::kPassword) +
                                   "\r\nMAIL FROM:<alice@example.com>\r\nRCPT "
                                   "TO:<bob@example.com>\r\nRCPT TO:<bob@example.net>\r\nQUIT\r\n",
                               4096, true, false);
  auto r = replies(out);
  ASSERT_TRUE(changed);
  ASSERT_EQ(r.size(), 7u) << out;
  EXPECT_EQ(r[4].substr(0, 3), "250") << r[4];
  EXPECT_EQ(r[5].substr(0, 10), "452 4.5.3 ") << r[5];
  EXPECT_NE(r[5].find("at most 1"), std::string::npos) << r[5];
}

// The warning mail at 80 % of a daily limit comes from the session's path too.
TEST(SmtpSubmission, WarnsAtEightyPercentOfTheDailyLimit) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.send_policy.limits = {5, 1000, 86400};
  c.send_policy.hostname = "mx.example.com";
  std::string in = "EHLO c\r\nAUTH PLAIN " + plain("alice", World::kPassword) + "\r\n";
  for (int i = 0; i < 4; ++i)
    in +=
        "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nFrom: "
        "alice@example.com\r\n\r\nhi\r\n.\r\n";
  std::string out = w.run_with(c, in + "QUIT\r\n", 4096, true, false);
  EXPECT_EQ(w.inbox(w.bob).size(), 4u) << out;
  auto mine = w.inbox(w.alice);
  ASSERT_EQ(mine.size(), 1u) << out;
  EXPECT_NE(mine[0].find("80%"), std::string::npos);
}

TEST(SmtpSubmission, DevModeLoopbackWithoutTls) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.allow_auth_without_tls = true;
  std::string in = "EHLO c\r\nAUTH PLAIN " + plain("alice@example.com", World::kPassword) + "\r\n";
  EXPECT_EQ(codes(w.run_with(c, in, 4096, false, true)), (V{"220", "250", "235"}));
  EXPECT_EQ(codes(w.run_with(c, in, 4096, false, false)), (V{"220", "250", "530"}));
}

}  // namespace
}  // namespace tegami::smtp::server
