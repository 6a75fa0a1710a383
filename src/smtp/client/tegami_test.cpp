// The client against Tegami's own MX (smtp/server over net::Server, a temporary SQLite store)
// over loopback TCP with STARTTLS: several messages on one connection, per-recipient results,
// local checks, and the certificate checks (PKIX with a test CA; DANE-EE, DANE-TA, unusable
// TLSA records, an expired certificate under DANE-EE).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <thread>

#include "net/server.hpp"
#include "net/tls.hpp"
#include "smtp/client/client.hpp"
#include "smtp/client/test_certs.hpp"
#include "smtp/server/test_support.hpp"

namespace tegami::smtp::client {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::TestPki;
using World = server::testing::World;

template <class F>
void run(F& body) {
  asio::io_context io;
  std::exception_ptr err;
  asio::co_spawn(io, body(io.get_executor()), [&](std::exception_ptr e) { err = e; });
  io.run();
  if (err) std::rethrow_exception(err);
}

// Tegami's MX on 127.0.0.1 (STARTTLS with the given certificate chain).
class TegamiMx {
 public:
  TegamiMx(const server::Context* ctx, const std::string& chain, const std::string& key) {
    auto tls = net::TlsContext::load({chain, key});
    if (!tls) throw std::runtime_error(tls.error().message);
    server_ = std::make_unique<net::Server>(*tls, 2);
    net::ListenerSpec spec;
    spec.name = "smtp";
    spec.address = "127.0.0.1";
    spec.port = 0;
    spec.tls = net::TlsMode::kStartTlsNoDetect;
    spec.handler = [ctx](std::unique_ptr<net::Stream> s) {
      return server::serve(std::move(s), *ctx);
    };
    auto port = server_->listen(std::move(spec));
    if (!port) throw std::runtime_error(port.error().message);
    port_ = *port;
    thread_ = std::thread([this] { server_->run(); });
  }
  ~TegamiMx() {
    // Sessions that just ended are still unwinding; not stop(), which starts a process-wide
    // drain (see imap/server/tcp_test.cpp).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server_->halt();
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  std::unique_ptr<net::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

Options opts(TlsPolicy policy, const std::string& name) {
  Options o;
  o.ehlo_name = "client.remote.example";
  o.connect_timeout = seconds(5);
  o.command_timeout = seconds(5);
  o.final_timeout = seconds(5);
  o.tls.policy = policy;
  o.tls.verify_name = name;
  return o;
}

Envelope envelope(std::vector<std::string> rcpts) {
  Envelope e;
  e.from = "sender@remote.example";
  for (auto& r : rcpts) e.rcpts.push_back({r, "", ""});
  return e;
}

dns::TlsaRecord tlsa(uint8_t usage, uint8_t selector, uint8_t mtype, std::string data) {
  return dns::TlsaRecord{usage, selector, mtype, std::move(data)};
}

const std::string kLocalhost = "127.0.0.1";
const std::string kMessage =
    "From: sender@remote.example\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nHello\r\n";

TEST(SmtpClientTegami, StartTlsSeveralMessagesOnOneConnection) {
  World w;
  TempDir dir;
  TestPki pki(dir, {"mx.example.com"});
  TegamiMx mx(&w.ctx, pki.chain_file, pki.key_file);
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o = opts(TlsPolicy::kOpportunistic, "mx.example.com");
    auto c = co_await connect(ex, kLocalhost, mx.port(), o);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (!c.ok()) co_return;
    Connection& conn = **c;
    EXPECT_TRUE(conn.tls());
    EXPECT_FALSE(conn.tls_verified());
    EXPECT_THAT(conn.tls_version(), ::testing::StartsWith("TLSv1."));
    EXPECT_EQ(conn.max_size(), 10000u);
    EXPECT_EQ(conn.host(), "mx.example.com");

    // Pipelined (Tegami offers PIPELINING): one recipient unknown, two delivered.
    Envelope e1 = envelope({"alice@example.com", "nobody@example.com", "bob@example.com"});
    SendResult r1 = co_await conn.send(e1, kMessage);
    EXPECT_TRUE(r1.connection_usable);
    EXPECT_EQ(r1.rcpts.size(), 3u);
    if (r1.rcpts.size() == 3) {
      EXPECT_EQ(r1.rcpts[0].code, 250) << r1.rcpts[0].str();
      EXPECT_EQ(r1.rcpts[1].str(), "550 5.1.1 <nobody@example.com>: no such user here");
      EXPECT_EQ(r1.rcpts[2].code, 250);
      EXPECT_EQ(r1.rcpts[2].enhanced, "2.0.0");
    }
    // Dots and bare LFs survive the trip.
    Envelope e2 = envelope({"bob@example.com"});
    e2.eight_bit = true;
    std::string dots = "Subject: dots\n\n.leading dot\n..two\nbare lf caf\xc3\xa9\n.";
    SendResult r2 = co_await conn.send(e2, dots);
    EXPECT_EQ(r2.rcpts.at(0).code, 250) << r2.rcpts.at(0).str();
    // Over the server's SIZE: refused here, nothing sent, the connection stays usable.
    Envelope env1 = envelope({"alice@example.com"});
    std::string content1 = std::string(20000, 'x');
    SendResult r3 = co_await conn.send(env1, content1);
    EXPECT_EQ(r3.rcpts.at(0).str(),
              "552 5.3.4 message size 20002 exceeds the limit of 10000 bytes of mx.example.com");
    EXPECT_TRUE(r3.rcpts.at(0).local);
    EXPECT_TRUE(r3.connection_usable);
    // REQUIRETLS over TLS that was not verified: refused here.
    Envelope e4 = envelope({"alice@example.com"});
    e4.requiretls = true;
    SendResult r4 = co_await conn.send(e4, kMessage);
    EXPECT_EQ(r4.rcpts.at(0).code, 550);
    EXPECT_EQ(r4.rcpts.at(0).enhanced, "5.7.30");
    // SMTPUTF8 is offered: a UTF-8 sender goes through.
    Envelope e5 = envelope({"alice@example.com"});
    e5.from = "ユーザー@remote.example";
    e5.smtputf8 = true;
    SendResult r5 = co_await conn.send(e5, kMessage);
    EXPECT_EQ(r5.rcpts.at(0).code, 250) << r5.rcpts.at(0).str();
    co_await conn.quit();
  };
  run(body);
  auto alice = w.inbox(w.alice);
  auto bob = w.inbox(w.bob);
  EXPECT_EQ(alice.size(), 2u);
  ASSERT_EQ(bob.size(), 2u);
  EXPECT_THAT(bob[1], HasSubstr("Subject: dots\r\n\r\n.leading dot\r\n..two\r\nbare lf caf\xc3\xa9"
                                "\r\n.\r\n"));
  EXPECT_THAT(bob[1], HasSubstr("with ESMTPS"));
}

TEST(SmtpClientTegami, Pkix) {
  World w;
  TempDir dir;
  TestPki pki(dir, {"mx.example.com"});
  TestPki other(dir, {"mx.example.com"}, "other");
  TegamiMx mx(&w.ctx, pki.chain_file, pki.key_file);
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options o = opts(TlsPolicy::kPkix, "MX.example.com");
    o.tls.ca_file = pki.ca_file;
    auto c = co_await connect(ex, kLocalhost, mx.port(), o);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (c.ok()) {
      EXPECT_TRUE((*c)->tls());
      EXPECT_TRUE((*c)->tls_verified());
      // Verified TLS and a server offering REQUIRETLS: the message goes.
      Envelope e = envelope({"alice@example.com"});
      e.requiretls = true;
      SendResult r = co_await (*c)->send(e, kMessage);
      EXPECT_EQ(r.rcpts.at(0).code, 250) << r.rcpts.at(0).str();
      co_await (*c)->quit();
    }

    Options wrong_name = opts(TlsPolicy::kPkix, "mx.example.net");
    wrong_name.tls.ca_file = pki.ca_file;
    auto c2 = co_await connect(ex, kLocalhost, mx.port(), wrong_name);
    EXPECT_FALSE(c2.ok());
    if (!c2.ok()) {
      EXPECT_EQ(c2.code(), Errc::kTemporary);
      EXPECT_THAT(c2.error().message,
                  HasSubstr("PKIX check of the server certificate failed: hostname mismatch"));
    }

    Options wrong_ca = opts(TlsPolicy::kPkix, "mx.example.com");
    wrong_ca.tls.ca_file = other.ca_file;
    auto c3 = co_await connect(ex, kLocalhost, mx.port(), wrong_ca);
    EXPECT_FALSE(c3.ok());
    if (!c3.ok()) {
      EXPECT_EQ(c3.code(), Errc::kTemporary);
      EXPECT_THAT(c3.error().message, HasSubstr("PKIX check of the server certificate failed"));
    }

    Options missing_ca = opts(TlsPolicy::kPkix, "mx.example.com");
    missing_ca.tls.ca_file = dir / "nonexistent.pem";
    auto c4 = co_await connect(ex, kLocalhost, mx.port(), missing_ca);
    EXPECT_FALSE(c4.ok());
    if (!c4.ok()) {
      EXPECT_THAT(c4.error().message, HasSubstr("cannot load the CA file"));
    }
  };
  run(body);
  EXPECT_EQ(w.inbox(w.alice).size(), 1u);
}

TEST(SmtpClientTegami, Dane) {
  World w;
  TempDir dir;
  TestPki pki(dir, {"mx.example.com"});
  TegamiMx mx(&w.ctx, pki.chain_file, pki.key_file);
  std::string leaf_spki = testing::spki_sha256(pki.leaf.get());
  std::string ca_cert = testing::cert_sha256(pki.ca.get());
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    // DANE-EE(3) SPKI(1) SHA-256(1): names do not matter (RFC 7672 §3.1.1).
    Options ee = opts(TlsPolicy::kDane, "some.other.name.example");
    ee.tls.tlsa = {tlsa(3, 1, 1, leaf_spki)};
    auto c = co_await connect(ex, kLocalhost, mx.port(), ee);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (c.ok()) {
      EXPECT_TRUE((*c)->tls_verified());
      Envelope env2 = envelope({"alice@example.com"});
      SendResult r = co_await (*c)->send(env2, kMessage);
      EXPECT_EQ(r.rcpts.at(0).code, 250);
      co_await (*c)->quit();
    }

    // The wrong digest, among unusable records: refused, temporary (RFC 7672 §2.2).
    std::string bad = leaf_spki;
    bad[0] ^= 1;
    Options mismatch = opts(TlsPolicy::kDane, "mx.example.com");
    mismatch.tls.tlsa = {tlsa(3, 1, 1, bad), tlsa(1, 1, 1, leaf_spki)};
    auto c2 = co_await connect(ex, kLocalhost, mx.port(), mismatch);
    EXPECT_FALSE(c2.ok());
    if (!c2.ok()) {
      EXPECT_EQ(c2.code(), Errc::kTemporary);
      EXPECT_THAT(c2.error().message, HasSubstr("DANE check of the server certificate failed"));
    }

    // DANE-TA(2) Cert(0) SHA-256(1) on the CA: the chain is checked and so is the name.
    Options ta = opts(TlsPolicy::kDane, "mx.example.com");
    ta.tls.tlsa = {tlsa(2, 0, 1, ca_cert)};
    auto c3 = co_await connect(ex, kLocalhost, mx.port(), ta);
    EXPECT_TRUE(c3.ok()) << c3.error().message;
    if (c3.ok()) {
      EXPECT_TRUE((*c3)->tls_verified());
      co_await (*c3)->quit();
    }
    Options ta_name = opts(TlsPolicy::kDane, "mx.example.net");
    ta_name.tls.tlsa = {tlsa(2, 0, 1, ca_cert)};
    auto c4 = co_await connect(ex, kLocalhost, mx.port(), ta_name);
    EXPECT_FALSE(c4.ok());
    // The name in the certificate among further reference identifiers (RFC 7672 §3.2.2: the
    // other name of a secure CNAME chain): accepted; a further name that is not in it is not.
    Options ta_alt = opts(TlsPolicy::kDane, "mx.example.net");
    ta_alt.tls.verify_alt_names = {"mx.example.org", "mx.example.com"};
    ta_alt.tls.tlsa = {tlsa(2, 0, 1, ca_cert)};
    auto c6 = co_await connect(ex, kLocalhost, mx.port(), ta_alt);
    EXPECT_TRUE(c6.ok()) << c6.error().message;
    if (c6.ok()) {
      EXPECT_TRUE((*c6)->tls_verified());
      co_await (*c6)->quit();
    }
    Options ta_alt_wrong = opts(TlsPolicy::kDane, "mx.example.net");
    ta_alt_wrong.tls.verify_alt_names = {"mx.example.org"};
    ta_alt_wrong.tls.tlsa = {tlsa(2, 0, 1, ca_cert)};
    auto c7 = co_await connect(ex, kLocalhost, mx.port(), ta_alt_wrong);
    EXPECT_FALSE(c7.ok());

    // Only unusable records (PKIX-EE, an unknown matching type): TLS is still required, but
    // nothing can be verified.
    Options unusable = opts(TlsPolicy::kDane, "mx.example.com");
    unusable.tls.tlsa = {tlsa(1, 1, 1, leaf_spki), tlsa(3, 1, 9, leaf_spki)};
    auto c5 = co_await connect(ex, kLocalhost, mx.port(), unusable);
    EXPECT_TRUE(c5.ok()) << c5.error().message;
    if (c5.ok()) {
      EXPECT_TRUE((*c5)->tls());
      EXPECT_FALSE((*c5)->tls_verified());
      co_await (*c5)->quit();
    }
  };
  run(body);
  EXPECT_EQ(w.inbox(w.alice).size(), 1u);
}

// DANE-TA(2) name checks take a wildcard only as a whole left-most label, as PKIX ones do:
// "mx*.example.com" does not name mx1.example.com, "*.example.com" does.
TEST(SmtpClientTegami, DaneTaNameChecksRefusePartialWildcards) {
  World w;
  TempDir dir;
  TestPki partial(dir, {"mx*.example.com"}, "p");
  TestPki whole(dir, {"*.example.com"}, "w");
  TegamiMx mx_partial(&w.ctx, partial.chain_file, partial.key_file);
  TegamiMx mx_whole(&w.ctx, whole.chain_file, whole.key_file);
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options p = opts(TlsPolicy::kDane, "mx1.example.com");
    p.tls.tlsa = {tlsa(2, 0, 1, testing::cert_sha256(partial.ca.get()))};
    auto c1 = co_await connect(ex, kLocalhost, mx_partial.port(), p);
    EXPECT_FALSE(c1.ok());
    if (!c1.ok()) EXPECT_EQ(c1.code(), Errc::kTemporary);
    Options wh = opts(TlsPolicy::kDane, "mx1.example.com");
    wh.tls.tlsa = {tlsa(2, 0, 1, testing::cert_sha256(whole.ca.get()))};
    auto c2 = co_await connect(ex, kLocalhost, mx_whole.port(), wh);
    EXPECT_TRUE(c2.ok()) << c2.error().message;
    if (c2.ok()) {
      EXPECT_TRUE((*c2)->tls_verified());
      co_await (*c2)->quit();
    }
  };
  run(body);
}

TEST(SmtpClientTegami, DaneEeIgnoresExpiry) {
  World w;
  TempDir dir;
  testing::CertSpec expired;
  expired.not_before = -86400 * 10;
  expired.not_after = -86400;
  TestPki pki(dir, {"mx.example.com"}, "", expired);
  TegamiMx mx(&w.ctx, pki.chain_file, pki.key_file);
  auto body = [&](asio::any_io_executor ex) -> asio::awaitable<void> {
    Options ee = opts(TlsPolicy::kDane, "mx.example.com");
    ee.tls.tlsa = {tlsa(3, 1, 1, testing::spki_sha256(pki.leaf.get()))};
    auto c = co_await connect(ex, kLocalhost, mx.port(), ee);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (c.ok()) {
      EXPECT_TRUE((*c)->tls_verified());
      co_await (*c)->quit();
    }
    // PKIX does look at dates.
    Options pkix = opts(TlsPolicy::kPkix, "mx.example.com");
    pkix.tls.ca_file = pki.ca_file;
    auto c2 = co_await connect(ex, kLocalhost, mx.port(), pkix);
    EXPECT_FALSE(c2.ok());
    if (!c2.ok()) {
      EXPECT_THAT(c2.error().message, HasSubstr("certificate has expired"));
    }
  };
  run(body);
}

}  // namespace
}  // namespace tegami::smtp::client
