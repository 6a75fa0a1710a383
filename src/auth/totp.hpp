// Time-based one-time passwords for the portal's two-factor sign-in: RFC 6238 (TOTP) over
// RFC 4226 (HOTP) dynamic truncation, secrets as RFC 4648 base32 (what authenticator apps
// scan from an otpauth:// QR code).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tegami::auth {

enum class TotpHash { kSha1, kSha256, kSha512 };

inline constexpr int kTotpStep = 30;  // seconds
inline constexpr int kTotpDigits = 6;

// RFC 4648 §6 base32, upper case, without '=' padding.
std::string base32_encode(std::string_view bytes);
// Accepts upper or lower case, spaces, hyphens and '=' padding. nullopt on other characters.
std::optional<std::string> base32_decode(std::string_view text);

// A new secret: 20 random bytes (160 bits, RFC 4226 §4), base32-encoded (32 characters).
std::string generate_totp_secret();

// The code for `key` (raw bytes) at `unix_time` (RFC 6238 §4: T = unix_time / step).
std::string totp_code(std::string_view key, int64_t unix_time, int digits = kTotpDigits,
                      int step = kTotpStep, TotpHash hash = TotpHash::kSha1);

// Checks a typed 6-digit code (spaces ignored) against a base32 secret at `now`, accepting
// `window` steps before and after (clock drift, RFC 6238 §5.2). On success *matched_step gets
// the time step that matched: the caller stores it and rejects codes of that step or earlier
// afterwards (a code is used once).
bool verify_totp(std::string_view secret_base32, std::string_view code, int64_t now, int window = 1,
                 int64_t* matched_step = nullptr);

// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
// (the de-facto Key Uri Format read by authenticator apps), for the portal's QR code.
std::string totp_uri(std::string_view issuer, std::string_view account,
                     std::string_view secret_base32);

}  // namespace tegami::auth
