// Managing app-specific passwords and the account password (PRODUCT.md §3), for the CLI and
// the portal. Each change is written to the owner's history; revocations are published to the
// change hub so that live sessions using the revoked passwords end (IDLE included).
// All functions block (Argon2id, store writes): call them through net::offload.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/change_hub.hpp"
#include "store/store.hpp"

namespace tegami::auth {

inline constexpr int kMaxActiveAppPasswords = 25;
inline constexpr size_t kMaxLabelBytes = 64;
inline constexpr size_t kMinPasswordBytes = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;

// Creates an app password with `label` (trimmed, 1-64 bytes of UTF-8 without control
// characters, unique among the active ones). Returns the stored record and the password in its
// display form "xxxx-xxxx-xxxx-xxxx", to be shown exactly once. kPerm when two-factor sign-in
// is off, kLimit at kMaxActiveAppPasswords active ones, kExists for a label in use,
// kInvalidData for a bad label.
Result<std::pair<store::AppPassword, std::string>> create_app_password(
    store::Store& store, const store::Account& account, std::string_view label,
    Clock& clock = system_clock());

// Revokes the active app password with this label (exact, else case-insensitive when that is
// unambiguous). kNotFound when none. `hub` may be null.
Status revoke_app_password(store::Store& store, store::ChangeHub* hub,
                           const store::Account& account, std::string_view label,
                           std::string_view reason = "revoked by the owner",
                           Clock& clock = system_clock());

// The same by id (the portal's revoke buttons).
Status revoke_app_password_id(store::Store& store, store::ChangeHub* hub,
                              const store::Account& account, store::Id app_password,
                              std::string_view reason = "revoked by the owner",
                              Clock& clock = system_clock());

// Revokes every active app password of the account.
Status revoke_all(store::Store& store, store::ChangeHub* hub, const store::Account& account,
                  std::string_view reason = "all app passwords revoked by the owner",
                  Clock& clock = system_clock());

// Sets a new account password (kInvalidData when shorter than kMinPasswordBytes or longer than
// kMaxPasswordBytes) and revokes every app password with reason "account password changed".
Status change_password(store::Store& store, store::ChangeHub* hub, const store::Account& account,
                       std::string_view new_password, Clock& clock = system_clock());

}  // namespace tegami::auth
