// SPF, DKIM and DMARC on the MX port through dns::FakeResolver (RFC 7208, RFC 6376, RFC 7489,
// RFC 8601 §5), and the submission sender policy (issue 4).
#include <gtest/gtest.h>

#include <fstream>

#include "dns/fake_resolver.hpp"
#include "mailauth/dkim/keys.hpp"
#include "mailauth/dkim/sign.hpp"
#include "smtp/server/mailauth.hpp"
#include "smtp/server/test_support.hpp"

namespace tegami::smtp::server {
namespace {

using testing::lines;
using testing::World;

std::vector<std::string> replies(const std::string& out) {
  std::vector<std::string> r;
  for (const auto& l : lines(out))
    if (l.size() >= 4 && l[3] == ' ') r.push_back(l);
  return r;
}

// One message from `mail_from` to alice over the MX port; returns the server's replies.
std::string send(World& w, const Context& c, const std::string& mail_from,
                 const std::string& message) {
  return w.run_with(c, "EHLO mail.remote.example\r\nMAIL FROM:<" + mail_from +
                           ">\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n" + message +
                           ".\r\nQUIT\r\n");
}

std::string header_of(const std::string& stored) {
  return stored.substr(0, stored.find("\r\n\r\n"));
}

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

struct AuthWorld : World {
  dns::FakeResolver dns;
  Context mx;
  AuthWorld() {
    mx = ctx;
    mx.resolver = &dns;
    mx.authserv_id = "mx.example.com";
  }
};

TEST(MailAuth, SpfPassGoesToInboxWithAuthenticationResults) {
  AuthWorld w;
  w.dns.add_txt("remote.example", "v=spf1 ip4:127.0.0.1 -all");
  std::string out = send(w, w.mx, "sender@remote.example",
                         "From: sender@remote.example\r\nSubject: hi\r\n\r\nHello\r\n");
  auto r = replies(out);
  ASSERT_GE(r.size(), 6u) << out;
  EXPECT_EQ(r[5].substr(0, 13), "250 2.0.0 OK ") << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].rfind("Authentication-Results: mx.example.com;", 0), 0u) << msgs[0];
  EXPECT_NE(msgs[0].find("spf=pass smtp.mailfrom=sender@remote.example"), std::string::npos)
      << msgs[0];
  EXPECT_NE(msgs[0].find("dkim=none"), std::string::npos) << msgs[0];
  EXPECT_NE(msgs[0].find("dmarc=none"), std::string::npos) << msgs[0];
  EXPECT_TRUE(w.folder(w.alice, "Junk").empty());
}

TEST(MailAuth, SpfFailWithoutDmarcStaysInInbox) {
  AuthWorld w;
  w.dns.add_txt("remote.example", "v=spf1 ip4:192.0.2.1 -all");
  std::string out = send(w, w.mx, "sender@remote.example",
                         "From: sender@remote.example\r\nSubject: hi\r\n\r\nHello\r\n");
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_NE(msgs[0].find("spf=fail"), std::string::npos) << msgs[0];
}

TEST(MailAuth, DkimPassAlignsDmarcEvenUnderReject) {
  AuthWorld w;
  auto key = mailauth::dkim::PrivateKey::generate(mailauth::dkim::KeyType::kEd25519);
  ASSERT_TRUE(key.ok());
  mailauth::dkim::SigningKey sk{"signer.example", "s1", std::move(*key)};
  w.dns.add_txt("s1._domainkey.signer.example", sk.key.dns_record());
  w.dns.add_txt("_dmarc.signer.example", "v=DMARC1; p=reject");
  // The envelope sender is elsewhere (a mailing list, a forwarder): SPF does not align.
  w.dns.add_txt("bounces.example", "v=spf1 ip4:127.0.0.1 -all");
  std::string msg =
      "From: Ann <ann@signer.example>\r\nTo: alice@example.com\r\nSubject: signed\r\n\r\n"
      "Signed body\r\n";
  auto sig = mailauth::dkim::sign(msg, sk);
  ASSERT_TRUE(sig.ok());
  std::string out = send(w, w.mx, "list@bounces.example", *sig + msg);
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_NE(msgs[0].find("dkim=pass header.d=signer.example"), std::string::npos) << msgs[0];
  EXPECT_NE(msgs[0].find("dmarc=pass"), std::string::npos) << msgs[0];
  EXPECT_TRUE(w.folder(w.alice, "Junk").empty());
}

TEST(MailAuth, DmarcQuarantineAndRejectGoToJunk) {
  for (const char* policy : {"quarantine", "reject"}) {
    AuthWorld w;
    w.dns.add_txt("bad.example", "v=spf1 ip4:192.0.2.1 -all");
    w.dns.add_txt("_dmarc.bad.example", std::string("v=DMARC1; p=") + policy);
    // A signature that does not verify (tampered body) does not help.
    auto key = mailauth::dkim::PrivateKey::generate(mailauth::dkim::KeyType::kEd25519);
    ASSERT_TRUE(key.ok());
    mailauth::dkim::SigningKey sk{"bad.example", "s1", std::move(*key)};
    w.dns.add_txt("s1._domainkey.bad.example", sk.key.dns_record());
    std::string msg = "From: ceo@bad.example\r\nSubject: pay\r\n\r\nPay now\r\n";
    auto sig = mailauth::dkim::sign(msg, sk);
    ASSERT_TRUE(sig.ok());
    std::string tampered = *sig + "From: ceo@bad.example\r\nSubject: pay\r\n\r\nPay more\r\n";
    std::string out = send(w, w.mx, "ceo@bad.example", tampered);
    auto r = replies(out);
    ASSERT_GE(r.size(), 6u) << out;
    EXPECT_EQ(r[5].substr(0, 13), "250 2.0.0 OK ") << out;
    EXPECT_TRUE(w.inbox(w.alice).empty()) << policy;
    auto junk = w.folder(w.alice, "Junk");
    ASSERT_EQ(junk.size(), 1u) << policy;
    EXPECT_NE(junk[0].find("spf=fail"), std::string::npos) << junk[0];
    EXPECT_NE(junk[0].find("dkim=fail"), std::string::npos) << junk[0];
    EXPECT_NE(junk[0].find("dmarc=fail"), std::string::npos) << junk[0];
    EXPECT_NE(junk[0].find(std::string("p=") + policy), std::string::npos) << junk[0];
  }
}

TEST(MailAuth, DmarcJunkCanBeTurnedOff) {
  AuthWorld w;
  w.mx.dmarc_junk = false;
  w.dns.add_txt("bad.example", "v=spf1 -all");
  w.dns.add_txt("_dmarc.bad.example", "v=DMARC1; p=reject");
  send(w, w.mx, "ceo@bad.example", "From: ceo@bad.example\r\n\r\nx\r\n");
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("dmarc=fail"), std::string::npos);
}

TEST(MailAuth, ForgedAuthenticationResultsWithOurIdAreRemoved) {
  AuthWorld w;
  w.dns.add_txt("bad.example", "v=spf1 -all");
  w.dns.add_txt("_dmarc.bad.example", "v=DMARC1; p=none");
  std::string msg =
      "Authentication-Results: MX.example.com; spf=pass smtp.mailfrom=ceo@bad.example;\r\n"
      "  dkim=pass header.d=bad.example; dmarc=pass header.from=bad.example\r\n"
      "Authentication-Results: (comment) mx.example.com; dmarc=pass\r\n"
      "Authentication-Results: relay.other.example; spf=pass smtp.mailfrom=x@y.example\r\n"
      "From: ceo@bad.example\r\nSubject: trust me\r\n\r\n"
      "Authentication-Results: mx.example.com; in the body it stays\r\n";
  std::string out = send(w, w.mx, "ceo@bad.example", msg);
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u) << out;
  std::string h = header_of(msgs[0]);
  EXPECT_EQ(count(h, "Authentication-Results:"), 2u) << h;  // ours + the other host's
  EXPECT_EQ(count(h, "mx.example.com;"), 1u) << h;
  EXPECT_NE(h.find("spf=fail"), std::string::npos) << h;
  EXPECT_EQ(h.find("dkim=pass"), std::string::npos) << h;
  EXPECT_NE(h.find("Authentication-Results: relay.other.example;"), std::string::npos) << h;
  EXPECT_NE(msgs[0].find("in the body it stays"), std::string::npos);
}

TEST(MailAuth, DnsTemporaryErrorsKeepTheMail) {
  AuthWorld w;
  w.dns.set_failure("remote.example", dns::RrType::kTxt, Errc::kTemporary);
  w.dns.set_failure("_dmarc.remote.example", dns::RrType::kTxt, Errc::kTemporary);
  std::string out = send(w, w.mx, "sender@remote.example",
                         "From: sender@remote.example\r\nSubject: hi\r\n\r\nHello\r\n");
  auto r = replies(out);
  ASSERT_GE(r.size(), 6u) << out;
  EXPECT_EQ(r[5].substr(0, 13), "250 2.0.0 OK ") << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("spf=temperror"), std::string::npos) << msgs[0];
  EXPECT_NE(msgs[0].find("dmarc=temperror"), std::string::npos) << msgs[0];
}

// RFC 7489 §6.6.1: every author domain is evaluated; the strictest result decides, and the header
// names the domain that decided.
TEST(MailAuth, EveryFromDomainIsEvaluated) {
  AuthWorld w;
  w.dns.add_txt("evil.example", "v=spf1 ip4:127.0.0.1 -all");  // aligned for evil.example only
  w.dns.add_txt("_dmarc.evil.example", "v=DMARC1; p=none");
  w.dns.add_txt("_dmarc.bank.example", "v=DMARC1; p=reject");
  std::string out = send(w, w.mx, "me@evil.example",
                         "From: me@evil.example, ceo@bank.example\r\nSubject: pay\r\n\r\nx\r\n");
  auto r = replies(out);
  ASSERT_GE(r.size(), 6u) << out;
  EXPECT_EQ(r[5].substr(0, 13), "250 2.0.0 OK ") << out;
  EXPECT_TRUE(w.inbox(w.alice).empty()) << out;
  auto junk = w.folder(w.alice, "Junk");
  ASSERT_EQ(junk.size(), 1u) << out;
  EXPECT_NE(junk[0].find("dmarc=fail (p=reject dis=reject) header.from=bank.example"),
            std::string::npos)
      << junk[0];
}

// Past dmarc::kMaxAuthorDomains nothing is looked up, and the message is not trusted: Junk.
TEST(MailAuth, TooManyFromDomainsGoToJunk) {
  AuthWorld w;
  std::string from = "From: ";
  for (int i = 0; i <= 10; ++i) from += "a@d" + std::to_string(i) + ".example, ";
  from += "ceo@bank.example\r\n";
  std::string out = send(w, w.mx, "me@evil.example", from + "Subject: pay\r\n\r\nx\r\n");
  auto junk = w.folder(w.alice, "Junk");
  ASSERT_EQ(junk.size(), 1u) << out;
  EXPECT_NE(junk[0].find("dmarc=permerror"), std::string::npos) << junk[0];
  for (const auto& q : w.dns.queries()) EXPECT_EQ(q.name.find("_dmarc."), std::string::npos);
}

// A bare CR ends a header line for these scanners too: a reader may take it as one, so a field
// after it is neither hidden from DMARC nor kept when it is a forged Authentication-Results.
TEST(MailAuth, BareCrEndsAHeaderLine) {
  EXPECT_EQ(from_addresses("Subject: hi\rFrom: <ceo@bank.example>\r\n\r\n"),
            (std::vector<std::string>{"ceo@bank.example"}));
  int fields = 0;
  EXPECT_TRUE(from_addresses(
                  "From: me@evil.example\r\nSubject: hi\rFrom: <ceo@bank.example>\r\n\r\n", &fields)
                  .empty());
  EXPECT_EQ(fields, 2);
  // An empty line made with a bare CR does not end the header section: a reader that splits
  // only at LF still sees the From field after it.
  EXPECT_EQ(from_addresses("Subject: hi\r\r\nFrom: <ceo@bank.example>\r\n\r\n"),
            (std::vector<std::string>{"ceo@bank.example"}));
  EXPECT_EQ(from_addresses("Subject: hi\n\rFrom: <ceo@bank.example>\r\n\r\n"),
            (std::vector<std::string>{"ceo@bank.example"}));
  EXPECT_TRUE(from_addresses("Subject: hi\n\r\nFrom: <ceo@bank.example>\r\n").empty());
  int removed = 0;
  EXPECT_EQ(strip_auth_results("Subject: hi\rAuthentication-Results: mx.example.com; dmarc=pass"
                               "\r\nFrom: a@x.example\r\n\r\nbody\r\n",
                               "mx.example.com", &removed),
            "Subject: hi\r\nFrom: a@x.example\r\n\r\nbody\r\n");  // the CR and the LF as one end
  EXPECT_EQ(removed, 1);
  // The header ends at the empty line after the field; dropping the field keeps it ending there
  // ("\r" + "\r\n" would not end it), so the From field in the body stays in the body.
  std::string stripped = strip_auth_results(
      "Subject: hi\rAuthentication-Results: mx.example.com; dmarc=pass\n\r\n"
      "From: <ceo@bank.example>\r\n",
      "mx.example.com", &removed);
  EXPECT_EQ(stripped, "Subject: hi\r\n\r\nFrom: <ceo@bank.example>\r\n");
  EXPECT_EQ(removed, 1);
  EXPECT_TRUE(from_addresses(stripped).empty());
}

// A reader shows one of several From fields, so DMARC could judge another: refused before
// anything is stored (with or without the DNS checks). A message without From is accepted.
TEST(MailAuth, SeveralFromFieldsAreRefusedOnMx) {
  AuthWorld w;
  w.dns.add_txt("_dmarc.bank.example", "v=DMARC1; p=reject");
  const std::string two =
      "From: me@evil.example\r\nSubject: pay\r\nFrom: ceo@bank.example\r\n\r\nx\r\n";
  for (const Context* c : {&w.mx, &w.ctx}) {
    std::string out = send(w, *c, "me@evil.example", two);
    auto r = replies(out);
    ASSERT_GE(r.size(), 6u) << out;
    EXPECT_EQ(r[5],
              "550 5.7.1 The message has several From: fields; a message has one author field")
        << out;
  }
  EXPECT_TRUE(w.inbox(w.alice).empty());
  EXPECT_TRUE(w.folder(w.alice, "Junk").empty());
  std::string out = send(w, w.mx, "me@evil.example", "Subject: no author\r\n\r\nx\r\n");
  auto r = replies(out);
  ASSERT_GE(r.size(), 6u) << out;
  EXPECT_EQ(r[5].substr(0, 13), "250 2.0.0 OK ") << out;
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("dmarc=permerror"), std::string::npos) << msgs[0];
}

TEST(MailAuth, NoResolverNoHeader) {
  World w;
  std::string out = w.run(
      "EHLO a.example\r\nMAIL FROM:<x@remote.example>\r\nRCPT "
      "TO:<alice@example.com>\r\nDATA\r\nFrom: x@remote.example\r\n\r\nx\r\n."
      "\r\nQUIT\r\n");
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_EQ(msgs[0].find("Authentication-Results"), std::string::npos);
}

TEST(MailAuth, FromAddresses) {
  EXPECT_EQ(from_addresses("From: a@b.example\r\n\r\n"), (std::vector<std::string>{"a@b.example"}));
  EXPECT_EQ(from_addresses("From: \"Doe, <J>\" <j@d.example> (c@x.example)\r\n\r\n"),
            (std::vector<std::string>{"j@d.example"}));
  EXPECT_EQ(from_addresses("from:A <a@x.example>,\r\n B <b@y.example>\r\n\r\n"),
            (std::vector<std::string>{"a@x.example", "b@y.example"}));
  int fields = 0;
  EXPECT_TRUE(from_addresses("From: a@x.example\r\nFrom: b@y.example\r\n\r\n", &fields).empty());
  EXPECT_EQ(fields, 2);
  EXPECT_TRUE(from_addresses("Subject: x\r\n\r\nFrom: a@b.example\r\n").empty());
  EXPECT_EQ(from_domain("From: Ann <Ann@Signer.EXAMPLE>\r\n\r\n"), "signer.example");
  EXPECT_EQ(from_domain("To: x@y\r\n\r\n"), "");
}

// Submission: MAIL FROM and From must be the account's addresses.
TEST(SubmissionSender, EnvelopeAndFromMustBeOurs) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  auto session = [&](const std::string& mail_from, const std::string& from) {
    return w.run_with(c,
                      "EHLO laptop\r\nAUTH PLAIN " +
                          std::string("AGFsaWNlAGFsaWNlIHBhc3N3b3Jk") +  // \0alice\0alice password
                          "\r\nMAIL FROM:<" + mail_from +
                          ">\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nFrom: " + from +
                          "\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n",
                      4096, true, false);
  };
  {
    std::string out = session("ceo@bank.example", "alice@example.com");
    auto r = replies(out);
    ASSERT_GE(r.size(), 4u) << out;
    EXPECT_EQ(r[3].substr(0, 10), "550 5.7.1 ") << out;
    EXPECT_NE(r[3].find("<ceo@bank.example>"), std::string::npos) << out;
    EXPECT_NE(r[3].find("alice@example.com"), std::string::npos) << out;
    EXPECT_NE(r[3].find("alice@example.net"), std::string::npos) << out;  // alias domain
  }
  {
    std::string out = session("alice@example.com", "Boss <ceo@bank.example>");
    auto r = replies(out);
    ASSERT_GE(r.size(), 7u) << out;
    EXPECT_EQ(r[6].substr(0, 10), "550 5.7.1 ") << out;
    EXPECT_NE(r[6].find("ceo@bank.example"), std::string::npos) << out;
  }
  EXPECT_TRUE(w.inbox(w.bob).empty());
  {
    // Alias domain, plus-addressing and case are all the account's own.
    std::string out = session("Alice+news@EXAMPLE.net", "Alice <alice@example.net>");
    auto r = replies(out);
    ASSERT_GE(r.size(), 7u) << out;
    EXPECT_EQ(r[6].substr(0, 13), "250 2.0.0 OK ") << out;
  }
  {
    std::string out = session("", "alice@example.com");  // <> claims no address
    auto r = replies(out);
    ASSERT_GE(r.size(), 7u) << out;
    EXPECT_EQ(r[6].substr(0, 13), "250 2.0.0 OK ") << out;
  }
  EXPECT_EQ(w.inbox(w.bob).size(), 2u);
}

TEST(SubmissionSender, ForgedAuthenticationResultsAreRemoved) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  std::string out =
      w.run_with(c,
                 "EHLO laptop\r\nAUTH PLAIN AGFsaWNlAGFsaWNlIHBhc3N3b3Jk\r\nMAIL "
                 "FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
                 "Authentication-Results: mx.example.com; dmarc=pass header.from=bank.example\r\n"
                 "From: alice@example.com\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n",
                 4096, true, false);
  auto msgs = w.inbox(w.bob);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_EQ(msgs[0].find("Authentication-Results"), std::string::npos) << msgs[0];
}

TEST(MailAuth, NullSenderIsCheckedByHelo) {
  AuthWorld w;
  w.dns.add_txt("mail.remote.example", "v=spf1 ip4:127.0.0.1 -all");
  std::string out = send(w, w.mx, "", "From: daemon@remote.example\r\n\r\nbounce\r\n");
  auto msgs = w.inbox(w.alice);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_NE(msgs[0].find("spf=pass smtp.helo=mail.remote.example"), std::string::npos) << msgs[0];
}

TEST(SubmissionSender, SignsWithTheFromDomainKeys) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.dkim_key_dir = w.dir + "/dkim";
  auto key = mailauth::dkim::PrivateKey::generate(mailauth::dkim::KeyType::kEd25519);
  ASSERT_TRUE(key.ok());
  std::filesystem::create_directories(c.dkim_key_dir + "/example.com");
  ASSERT_TRUE(key->save(c.dkim_key_dir + "/example.com/tegami-ed.pem").ok());
  std::string out = w.run_with(c,
                               "EHLO laptop\r\nAUTH PLAIN AGFsaWNlAGFsaWNlIHBhc3N3b3Jk\r\nMAIL "
                               "FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
                               "From: alice@example.com\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n",
                               4096, true, false);
  auto msgs = w.inbox(w.bob);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_NE(msgs[0].find("DKIM-Signature: v=1; a=ed25519-sha256"), std::string::npos) << msgs[0];
  // And the signature verifies with the published key.
  dns::FakeResolver dns;
  dns.add_txt("tegami-ed._domainkey.example.com", key->dns_record());
  AuthCheckInput in{"127.0.0.1", "laptop", "alice@example.com", "mx.example.com"};
  auto o = check_message(dns, msgs[0], in);
  EXPECT_EQ(o.dkim, "pass") << o.header;
}

// Whether to sign is decided per message from the key folder, so keys made while the server runs
// sign the next message; a message from a domain without keys goes out unsigned.
TEST(SubmissionSender, SignsOnceTheDomainHasKeys) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.dkim_key_dir = w.dir + "/dkim";
  const std::string session =
      "EHLO laptop\r\nAUTH PLAIN AGFsaWNlAGFsaWNlIHBhc3N3b3Jk\r\nMAIL "
      "FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
      "From: alice@example.com\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  std::string out = w.run_with(c, session, 4096, true, false);
  auto msgs = w.inbox(w.bob);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_EQ(msgs[0].find("DKIM-Signature:"), std::string::npos) << msgs[0];
  auto key = mailauth::dkim::PrivateKey::generate(mailauth::dkim::KeyType::kEd25519);
  ASSERT_TRUE(key.ok());
  std::filesystem::create_directories(c.dkim_key_dir + "/example.com");
  ASSERT_TRUE(key->save(c.dkim_key_dir + "/example.com/tegami-ed.pem").ok());
  out = w.run_with(c, session, 4096, true, false);
  msgs = w.inbox(w.bob);
  ASSERT_EQ(msgs.size(), 2u) << out;
  EXPECT_EQ(msgs[0].find("DKIM-Signature:"), std::string::npos) << msgs[0];
  EXPECT_NE(msgs[1].find("DKIM-Signature: v=1; a=ed25519-sha256"), std::string::npos) << msgs[1];
}

// A key folder that cannot sign (a broken key file) still lets the mail go, unsigned, and says
// so in the log.
TEST(SubmissionSender, UnusableKeysAreLogged) {
  World w;
  Context c = w.ctx;
  c.mode = Mode::kSubmission;
  c.dkim_key_dir = w.dir + "/dkim";
  std::filesystem::create_directories(c.dkim_key_dir + "/example.com");
  {
    std::ofstream f(c.dkim_key_dir + "/example.com/tegami-ed.pem");
    f << "not a key\n";
  }
  ::testing::internal::CaptureStderr();
  std::string out = w.run_with(c,
                               "EHLO laptop\r\nAUTH PLAIN AGFsaWNlAGFsaWNlIHBhc3N3b3Jk\r\nMAIL "
                               "FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
                               "From: alice@example.com\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n",
                               4096, true, false);
  std::string log = ::testing::internal::GetCapturedStderr();
  auto msgs = w.inbox(w.bob);
  ASSERT_EQ(msgs.size(), 1u) << out;
  EXPECT_EQ(msgs[0].find("DKIM-Signature:"), std::string::npos);
  EXPECT_NE(log.find("dkim_keys_unusable"), std::string::npos) << log;
  EXPECT_NE(log.find("example.com"), std::string::npos) << log;
}

}  // namespace
}  // namespace tegami::smtp::server
