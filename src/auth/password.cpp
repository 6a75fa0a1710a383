// Password hashing (Argon2id through libsodium's crypto_pwhash_str) and app-specific password
// generation and normalisation (PRODUCT.md §3).
//
// TEGAMI_TEST_CHEAP_HASH=1 in the environment selects the minimum Argon2id cost (for test
// suites only: never set it on a server). Hashes record their own parameters, so a hash made
// with either cost verifies with either setting.
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <semaphore>
#include <string>
#include <string_view>
#include <thread>

#include "auth/authenticator.hpp"
#include "auth/password_internal.hpp"

namespace tegami::auth {

void ensure_sodium() {
  static const bool ok = [] {
    if (sodium_init() < 0) std::abort();
    return true;
  }();
  (void)ok;
}

namespace {

// Argon2id takes 64 MiB and a core for about 0.1 s. The worker pool has many threads (most of
// them wait on the store), so at most one hash per core runs at a time; the others wait here.
class HashGate {
 public:
  HashGate() { sem().acquire(); }
  ~HashGate() { sem().release(); }
  HashGate(const HashGate&) = delete;
  HashGate& operator=(const HashGate&) = delete;

 private:
  static std::counting_semaphore<>& sem() {
    static std::counting_semaphore<> s(
        static_cast<std::ptrdiff_t>(std::max(2u, std::thread::hardware_concurrency())));
    return s;
  }
};

}  // namespace

bool cheap_hash_enabled() {
  const char* v = std::getenv("TEGAMI_TEST_CHEAP_HASH");
  return v != nullptr && v[0] == '1';
}

std::string hash_password(std::string_view password) {
  ensure_sodium();
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (cheap_hash_enabled()) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    mem = crypto_pwhash_MEMLIMIT_MIN;
  }
  char out[crypto_pwhash_STRBYTES];
  HashGate gate;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    std::abort();  // out of memory: nothing sensible to return
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  ensure_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  hash.copy(buf, hash.size());
  HashGate gate;
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

std::string generate_app_password() {
  ensure_sodium();
  std::string out;
  out.reserve(19);
  for (int i = 0; i < 16; ++i) {
    if (i > 0 && i % 4 == 0) out.push_back('-');
    out.push_back(static_cast<char>('a' + randombytes_uniform(26)));
  }
  return out;
}

std::string normalize_app_password(std::string_view typed) {
  std::string out;
  out.reserve(typed.size());
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  return out;
}

bool looks_like_app_password(std::string_view normalized) {
  if (normalized.size() != 16) return false;
  for (char c : normalized)
    if (c < 'a' || c > 'z') return false;
  return true;
}

}  // namespace tegami::auth
