#include "auth/app_passwords.hpp"

#include "auth/authenticator.hpp"
#include "base/strings.hpp"

namespace tegami::auth {
namespace {

void note(store::Store& store, store::Id account, Clock& clock, std::string kind,
          std::string detail) {
  store::Event e;
  e.account_id = account;
  e.time = clock.now_unix();
  e.kind = std::move(kind);
  e.detail = std::move(detail);
  (void)store.add_event(e);  // history is best effort
}

Result<std::string> check_label(std::string_view raw) {
  std::string_view label = trim(raw);
  if (label.empty())
    return make_error(Errc::kInvalidData, "Give the app password a label, such as \"Outlook\".");
  if (label.size() > kMaxLabelBytes)
    return make_error(Errc::kInvalidData, "The label is too long (at most 64 bytes).");
  if (!is_valid_utf8(label))
    return make_error(Errc::kInvalidData, "The label is not valid UTF-8 text.");
  for (char c : label) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return make_error(Errc::kInvalidData, "The label contains a control character.");
  }
  return std::string(label);
}

Status revoke_one(store::Store& store, store::ChangeHub* hub, const store::Account& account,
                  const store::AppPassword& ap, std::string_view reason, Clock& clock) {
  if (auto s = store.revoke_app_password(account.id, ap.id, reason); !s) return s;
  if (hub) hub->publish_revocation(account.id, ap.id);
  note(store, account.id, clock, "app_password_revoked",
       "App password '" + ap.label + "' was revoked: " + std::string(reason) + ".");
  return {};
}

}  // namespace

Result<std::pair<store::AppPassword, std::string>> create_app_password(
    store::Store& store, const store::Account& account, std::string_view label, Clock& clock) {
  auto clean = check_label(label);
  if (!clean) return clean.error();
  auto fresh = store.get_account(account.id);
  if (!fresh) return fresh.error();
  if (!fresh->two_factor)
    return make_error(Errc::kPerm,
                      "App-specific passwords need two-factor sign-in: turn it on in the account "
                      "portal first.");
  auto existing = store.list_app_passwords(account.id, /*include_revoked=*/false);
  if (!existing) return existing.error();
  int active = 0;
  for (const auto& ap : *existing) {
    if (ap.revoked != 0) continue;
    ++active;
    if (ap.label == *clean)
      return make_error(Errc::kExists, "An app password labelled '" + *clean +
                                           "' already exists: choose another label or revoke "
                                           "that one first.");
  }
  if (active >= kMaxActiveAppPasswords)
    return make_error(Errc::kLimit,
                      "An account can have at most 25 active app-specific "
                      "passwords: revoke one you no longer use first.");
  std::string display = generate_app_password();
  auto ap =
      store.add_app_password(account.id, *clean, hash_password(normalize_app_password(display)));
  if (!ap) return ap.error();
  note(store, account.id, clock, "app_password_created",
       "App password '" + ap->label + "' was created.");
  return std::make_pair(std::move(*ap), std::move(display));
}

Status revoke_app_password(store::Store& store, store::ChangeHub* hub,
                           const store::Account& account, std::string_view label,
                           std::string_view reason, Clock& clock) {
  auto list = store.list_app_passwords(account.id, /*include_revoked=*/false);
  if (!list) return list.error();
  std::string_view want = trim(label);
  const store::AppPassword* exact = nullptr;
  std::vector<const store::AppPassword*> folded;
  for (const auto& ap : *list) {
    if (ap.revoked != 0) continue;
    if (ap.label == want) exact = &ap;
    if (iequals(ap.label, want)) folded.push_back(&ap);
  }
  if (!exact && folded.size() == 1) exact = folded.front();
  if (!exact)
    return make_error(Errc::kNotFound,
                      "No active app password is labelled '" + std::string(want) + "'.");
  return revoke_one(store, hub, account, *exact, reason, clock);
}

Status revoke_app_password_id(store::Store& store, store::ChangeHub* hub,
                              const store::Account& account, store::Id app_password,
                              std::string_view reason, Clock& clock) {
  auto list = store.list_app_passwords(account.id, /*include_revoked=*/false);
  if (!list) return list.error();
  for (const auto& ap : *list)
    if (ap.id == app_password && ap.revoked == 0)
      return revoke_one(store, hub, account, ap, reason, clock);
  return make_error(Errc::kNotFound, "That app password does not exist or is already revoked.");
}

Status revoke_all(store::Store& store, store::ChangeHub* hub, const store::Account& account,
                  std::string_view reason, Clock& clock) {
  if (auto s = store.revoke_all_app_passwords(account.id, reason); !s) return s;
  if (hub) hub->publish_revocation(account.id, 0);
  note(store, account.id, clock, "app_passwords_revoked",
       "Every app password was revoked: " + std::string(reason) + ".");
  return {};
}

Status change_password(store::Store& store, store::ChangeHub* hub, const store::Account& account,
                       std::string_view new_password, Clock& clock) {
  if (new_password.size() < kMinPasswordBytes)
    return make_error(Errc::kInvalidData, "The new password is too short (at least 8 characters).");
  if (new_password.size() > kMaxPasswordBytes)
    return make_error(Errc::kInvalidData, "The new password is too long.");
  if (!is_valid_utf8(new_password))
    return make_error(Errc::kInvalidData, "The new password is not valid UTF-8 text.");
  // The store revokes every active app password in the same transaction.
  if (auto s = store.set_password(account.id, hash_password(new_password)); !s) return s;
  if (hub) hub->publish_revocation(account.id, 0);
  note(store, account.id, clock, "password_changed",
       "The account password was changed; every app password was revoked (mail apps need new "
       "ones).");
  return {};
}

}  // namespace tegami::auth
