// Helpers for the tests of auth/ and account/ (included by *_test.cpp only): a real SQLite
// store in a temporary folder, seeded with domains and a demo account, and a fake clock.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "auth/authenticator.hpp"
#include "base/clock.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace tegami::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_seconds = 1'800'000'000) : ms_(unix_seconds * 1000) {}
  int64_t now_unix() const override { return ms_ / 1000; }
  int64_t now_unix_ms() const override { return ms_; }
  void advance_ms(int64_t ms) { ms_ += ms; }
  void advance(int64_t seconds) { ms_ += seconds * 1000; }

 private:
  int64_t ms_;
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tegami-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The seeded world: tegami.test (primary) with alias domain tegami.example, other.test
// (another primary), demo@tegami.test (password kDemoPassword, two-factor on, 1 MB quota).
struct World {
  static constexpr const char* kDemoPassword = "correct horse battery";

  TempDir dir;
  std::unique_ptr<store::Store> store;
  store::Account demo;

  World() {
    setenv("TEGAMI_TEST_CHEAP_HASH", "1", 1);
    auto s = store::open_sqlite_store(dir.path() + "/data");
    if (!s) throw std::runtime_error("open_sqlite_store: " + s.error().message);
    store = std::move(*s);
    must(store->add_domain("tegami.test"));
    must(store->add_alias_domain("tegami.test", "tegami.example"));
    must(store->add_domain("other.test"));
    demo =
        must(store->add_account("demo@tegami.test", auth::hash_password(kDemoPassword), 1'000'000));
  }

  store::Account add_account(const std::string& address, const std::string& password,
                             int64_t quota = 0) {
    return must(store->add_account(address, auth::hash_password(password), quota));
  }
  store::Account reload(const store::Account& a) { return must(store->get_account(a.id)); }

  template <class T>
  static T must(Result<T> r) {
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(*r);
  }
  static void must(Status s) {
    if (!s) throw std::runtime_error(s.error().message);
  }
};

}  // namespace tegami::testing
