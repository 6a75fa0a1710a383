// Sign-in for mail clients (IMAP LOGIN/AUTHENTICATE, SMTP AUTH): user-name forms, app-specific
// passwords, the account-password policy, throttling and the owner's sign-in history
// (PRODUCT.md §2-3). All methods block (Argon2id): call them through net::offload.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.hpp"
#include "store/store.hpp"

namespace tegami::auth {

struct Policy {
  // Let mail clients sign in with the account password even when two-factor sign-in is on
  // (legacy clients, testing). Off by default.
  bool allow_account_password = false;
  // Domain tried for a bare local part ("demo" -> "demo@<default_domain>") before any other.
  std::string default_domain;
  // Failures per remote address before slowing down / blocking.
  int slow_after = 5;
  int block_after = 20;
  int block_seconds = 15 * 60;
  // One counted failure of an address is forgotten every decay_seconds (so a client retrying
  // now and then with an old password never reaches the limits).
  int decay_seconds = 60;
  // Refuse sign-in over TLS 1.0 / 1.1 (the history tells the owner to update the mail app).
  bool refuse_old_tls = true;
  // Identical history entries (same account, result and sentence, which names the client and
  // address) within this many seconds are recorded once, so a phone polling every few minutes
  // does not bury the rest of the history. 0 records every attempt.
  int history_quiet_seconds = 15 * 60;
};

struct LoginContext {
  std::string protocol;  // "imap" or "smtp"
  std::string remote_ip;
  bool tls = false;
  std::string tls_version;  // "TLSv1.3"...
  std::string client_name;  // IMAP ID name or SMTP EHLO name, "" when unknown
  // SASL authorization identity (RFC 4616 §2), "" when none was given. It must name the same
  // account as the user name, in any of its forms: acting for another user is not supported.
  std::string authzid;
};

enum class LoginStatus { kOk, kFailed, kThrottled };

struct LoginResult {
  LoginStatus status = LoginStatus::kFailed;
  store::Account account;         // when kOk
  store::Id app_password_id = 0;  // 0 when the account password was used
  int delay_ms = 0;               // a failure the caller should answer only after this pause
  bool other_authzid = false;     // failed because LoginContext::authzid names someone else
  // Non-empty when a store error (not the user) made the sign-in fail: log it. The wire reply
  // is still the usual failure (or a temporary-failure reply, at the caller's choice).
  std::string internal_error;
};

// The wire text for any failed sign-in: it never says which part was wrong, and it tells the
// user what to use (the portal's history has the exact reason).
inline constexpr std::string_view kLoginFailedText =
    "Authentication failed. Use your full address (or its local part) and an app-specific "
    "password created in the account portal";

class Authenticator {
 public:
  Authenticator(store::Store& store, Policy policy, Clock& clock = system_clock());
  ~Authenticator();

  LoginResult login(std::string_view username, std::string_view password, const LoginContext& ctx);

  // Resolves any accepted user-name form (full address, local part, alias, alias-domain twin;
  // case-insensitive) to the account. kNotFound when none.
  Result<store::Account> resolve_user(std::string_view username);

 private:
  struct Throttle;
  struct Cache;
  store::Store& store_;
  Policy policy_;
  Clock& clock_;
  std::unique_ptr<Throttle> throttle_;
  std::unique_ptr<Cache> cache_;
};

// Argon2id (libsodium crypto_pwhash_str) with interactive limits.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view hash, std::string_view password);

// A new app-specific password "xxxx-xxxx-xxxx-xxxx" (16 random lowercase letters).
std::string generate_app_password();
// Lower case, hyphens and spaces removed: the form that is hashed.
std::string normalize_app_password(std::string_view typed);

}  // namespace tegami::auth
