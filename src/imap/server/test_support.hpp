// Test helpers for imap/server (included by *_test.cpp only): a real SQLite store in a
// temporary folder with one account and app password, and ways to run sessions over
// in-memory streams: all at once (MemoryStream) or fed over time (PipeStream).
#pragma once

#include <stdlib.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "imap/server/server.hpp"
#include "index/message_index.hpp"
#include "net/memory_stream.hpp"
#include "store/change_hub.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace tegami::imap::server::testing {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "tegami-imap-XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A Stream whose input arrives over time (feed()), for concurrent-session tests.
class PipeStream final : public net::Stream {
 public:
  struct Shared {
    explicit Shared(asio::io_context& io) : timer(io) {}
    std::string input;
    size_t pos = 0;
    std::string output;
    bool closed = false;  // the server closed
    bool eof = false;     // the client hung up
    asio::steady_timer timer;
  };
  explicit PipeStream(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  asio::awaitable<std::size_t> read_some(std::span<char> buf) override {
    for (;;) {
      if (s_->closed) co_return 0;
      if (s_->pos < s_->input.size()) {
        size_t n = std::min(buf.size(), s_->input.size() - s_->pos);
        std::copy_n(s_->input.data() + s_->pos, n, buf.data());
        s_->pos += n;
        co_return n;
      }
      if (s_->eof) co_return 0;
      s_->timer.expires_after(std::chrono::hours(1));
      co_await s_->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  asio::awaitable<bool> write_all(std::string_view d) override {
    if (s_->closed) co_return false;
    s_->output.append(d);
    co_return true;
  }
  asio::awaitable<bool> start_tls() override { co_return false; }
  bool can_start_tls() const override { return false; }
  bool tls_active() const override { return true; }
  std::string tls_version() const override { return "TLSv1.3"; }
  void set_read_timeout(std::chrono::seconds) override {}
  bool timed_out() const override { return false; }
  const std::string& remote_ip() const override { return ip_; }
  bool is_loopback() const override { return true; }
  void close() override {
    s_->closed = true;
    s_->timer.cancel();
  }

 private:
  std::shared_ptr<Shared> s_;
  std::string ip_ = "127.0.0.1";
};

inline void feed(PipeStream::Shared& s, std::string_view data) {
  s.input.append(data);
  s.timer.cancel();
}

// Waits until `needle` shows up in the output after what earlier waits consumed.
struct Reader {
  using Shared = PipeStream::Shared;
  explicit Reader(std::shared_ptr<Shared> shared) : s(std::move(shared)) {}
  std::shared_ptr<Shared> s;
  size_t pos = 0;
  std::string failures;

  asio::awaitable<bool> wait_for(std::string_view needle) {
    asio::steady_timer t(s->timer.get_executor());
    for (int i = 0; i < 2000; ++i) {
      size_t p = s->output.find(needle, pos);
      if (p != std::string::npos) {
        pos = p + needle.size();
        co_return true;
      }
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    failures += "missing: " + std::string(needle) + "\n";
    co_return false;
  }
  // What arrived since the last wait (after a pause), for "nothing else was sent" checks.
  asio::awaitable<std::string> settle() {
    asio::steady_timer t(s->timer.get_executor());
    t.expires_after(std::chrono::milliseconds(100));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return s->output.substr(pos);
  }
  // Ends this client's input, so its session finishes.
  void finish() {
    s->eof = true;
    s->timer.cancel();
  }
};

// Ends the input of every reader given.
template <class... R>
void finish(R&... readers) {
  (readers.finish(), ...);
}

struct World {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<auth::Authenticator> auth;
  store::ChangeHub hub;
  store::Account account;
  std::string app_password;
  store::Id app_password_id = 0;
  Context ctx;

  World() {
    setenv("TEGAMI_TEST_CHEAP_HASH", "1", 1);
    auto s = store::open_sqlite_store(dir.path() + "/data");
    if (!s) throw std::runtime_error("open_sqlite_store: " + s.error().message);
    store = std::move(*s);
    if (!store->add_domain("tegami.test")) throw std::runtime_error("add_domain");
    auto a = store->add_account("demo@tegami.test", auth::hash_password("account password"), 0);
    if (!a) throw std::runtime_error("add_account: " + a.error().message);
    account = *a;
    app_password = auth::generate_app_password();
    auto ap = store->add_app_password(
        account.id, "Test", auth::hash_password(auth::normalize_app_password(app_password)));
    if (!ap) throw std::runtime_error("add_app_password");
    app_password_id = ap->id;
    auth::Policy policy;
    policy.default_domain = "tegami.test";
    auth = std::make_unique<auth::Authenticator>(*store, policy);
    ctx.store = store.get();
    ctx.auth = auth.get();
    ctx.hub = &hub;
    ctx.hostname = "mail.tegami.test";
  }

  // Delivers `raws` to INBOX in one store transaction (no hub publication); returns INBOX's id.
  store::Id deliver_to_inbox(const std::vector<std::string>& raws) {
    auto inbox = store->get_mailbox(account.id, "INBOX");
    if (!inbox) throw std::runtime_error("no INBOX");
    std::vector<store::NewMessage> batch;
    for (const auto& r : raws) {
      store::NewMessage m;
      m.raw = r;
      m.idx = index::build(r);
      m.target = store::DeliveryTarget{account.id, inbox->id, 0, {}, false};
      m.internal_date = 1795000000;
      batch.push_back(std::move(m));
    }
    if (!store->deliver_many(batch)) throw std::runtime_error("deliver_many");
    return inbox->id;
  }

  std::string login_line(std::string_view tag = "a") const {
    return std::string(tag) + " LOGIN demo@tegami.test " + app_password + "\r\n";
  }

  // Runs one session over the whole script and returns what the server wrote.
  std::string run(std::string script, bool loopback = true, bool tls = true, size_t chunk = 4096) {
    asio::io_context io;
    std::string out;
    auto stream =
        std::make_unique<net::MemoryStream>(std::move(script), &out, chunk, loopback, tls);
    asio::co_spawn(io, serve(std::move(stream), ctx), asio::detached);
    io.run();
    return out;
  }
};

}  // namespace tegami::imap::server::testing
