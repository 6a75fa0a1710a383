// Test helpers for smtp/server (included by *_test.cpp only): a real SQLite store in a
// temporary folder with two domains and accounts, and a runner that serves one scripted
// client over net::MemoryStream on an io_context.
#pragma once

#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "net/memory_stream.hpp"
#include "smtp/server/server.hpp"
#include "store/change_hub.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace tegami::smtp::server::testing {

struct World {
  std::string dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<auth::Authenticator> auth;
  store::ChangeHub hub;
  store::Account alice, bob, full;
  Context ctx;

  static constexpr const char* kPassword = "alice password";

  World() {
    setenv("TEGAMI_TEST_CHEAP_HASH", "1", 1);
    std::string tmpl = (std::filesystem::temp_directory_path() / "tegami-smtp-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    auto s = store::open_sqlite_store(dir + "/data");
    if (!s) throw std::runtime_error("open_sqlite_store: " + s.error().message);
    store = std::move(*s);
    must(store->add_domain("example.com"));
    must(store->add_alias_domain("example.com", "example.net"));
    alice = must(store->add_account("alice@example.com", auth::hash_password(kPassword), 0));
    bob = must(store->add_account("bob@example.com", auth::hash_password("bob password"), 0));
    // A tiny quota: 300 bytes is enough for nothing but very small messages.
    full = must(store->add_account("full@example.com", auth::hash_password("x"), 300));
    auth::Policy policy;
    policy.allow_account_password = true;
    policy.default_domain = "example.com";
    auth = std::make_unique<auth::Authenticator>(*store, policy);
    ctx.store = store.get();
    ctx.auth = auth.get();
    ctx.hub = &hub;
    ctx.hostname = "mx.example.com";
    ctx.max_message_size = 10000;
    ctx.max_recipients = 5;
  }
  ~World() {
    auth.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  template <class T>
  static T must(Result<T> r) {
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(*r);
  }

  // Serves `input` (the whole client side, pipelined) and returns everything the server wrote.
  std::string run(const std::string& input, std::size_t chunk = 4096, bool tls = false,
                  bool loopback = true) {
    return run_with(ctx, input, chunk, tls, loopback);
  }
  std::string run_with(const Context& c, const std::string& input, std::size_t chunk = 4096,
                       bool tls = false, bool loopback = true) {
    std::string out;
    serve_stream(std::make_unique<net::MemoryStream>(input, &out, chunk, loopback, tls), c);
    return out;
  }
  // Serves one session on `s` until it ends, on an io_context that is never destroyed: after
  // run() returns, the thread that posted the last completion (the store's writer, a worker)
  // can still be inside its wake-up of the io_context (asio signals after unlocking).
  static void serve_stream(std::unique_ptr<net::Stream> s, const Context& c) {
    static auto* io = new boost::asio::io_context;
    io->restart();
    boost::asio::co_spawn(*io, serve(std::move(s), c), boost::asio::detached);
    io->run();
  }

  std::vector<std::string> inbox(const store::Account& a) { return folder(a, "INBOX"); }
  std::vector<std::string> folder(const store::Account& a, const std::string& name) {
    auto mb = must(store->get_mailbox(a.id, name));
    std::vector<std::string> out;
    for (const auto& m : must(store->list_messages(mb.id)))
      out.push_back(must(store->read_blob(m.blob_id)));
    return out;
  }
};

// The reply lines of a server output, without CRLF.
inline std::vector<std::string> lines(const std::string& out) {
  std::vector<std::string> r;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t e = out.find("\r\n", start);
    if (e == std::string::npos) {
      r.push_back(out.substr(start));
      break;
    }
    r.push_back(out.substr(start, e - start));
    start = e + 2;
  }
  return r;
}

}  // namespace tegami::smtp::server::testing
