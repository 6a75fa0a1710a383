// RFC 6238 (TOTP), RFC 4226 §5.3 (dynamic truncation), RFC 4648 §6 (base32).
#include "auth/totp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/clock.hpp"

namespace tegami::auth {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string percent_encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~' || u == '@') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}
}  // namespace

std::string base32_encode(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else if (c == ' ' || c == '-' || c == '=')
      continue;
    else
      return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string generate_totp_secret() { return base32_encode(random_bytes(20)); }

std::string totp_code(std::string_view key, int64_t unix_time, int digits, int step,
                      TotpHash hash) {
  if (step <= 0) step = kTotpStep;
  if (digits < 6 || digits > 9) digits = kTotpDigits;
  uint64_t counter = static_cast<uint64_t>(unix_time < 0 ? 0 : unix_time / step);
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  const EVP_MD* md = hash == TotpHash::kSha256   ? EVP_sha256()
                     : hash == TotpHash::kSha512 ? EVP_sha512()
                                                 : EVP_sha1();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &mac_len) ||
      mac_len < 20)
    return std::string();
  int offset = mac[mac_len - 1] & 0x0f;
  uint32_t bin = (uint32_t{mac[offset]} & 0x7f) << 24 | uint32_t{mac[offset + 1]} << 16 |
                 uint32_t{mac[offset + 2]} << 8 | uint32_t{mac[offset + 3]};
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string out = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - out.size(), '0') + out;
}

bool verify_totp(std::string_view secret_base32, std::string_view code, int64_t now, int window,
                 int64_t* matched_step) {
  std::string typed;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return false;
    typed.push_back(c);
  }
  if (typed.size() != static_cast<size_t>(kTotpDigits)) return false;
  auto key = base32_decode(secret_base32);
  if (!key || key->empty()) return false;
  if (window < 0) window = 0;
  if (window > 10) window = 10;
  bool ok = false;
  int64_t step = now / kTotpStep;
  for (int d = -window; d <= window; ++d) {
    int64_t s = step + d;
    if (s < 0) continue;
    std::string expect = totp_code(*key, s * kTotpStep);
    // Constant time: check every step, remember the first match.
    if (expect.size() == typed.size() &&
        CRYPTO_memcmp(expect.data(), typed.data(), typed.size()) == 0 && !ok) {
      ok = true;
      if (matched_step) *matched_step = s;
    }
  }
  return ok;
}

std::string totp_uri(std::string_view issuer, std::string_view account,
                     std::string_view secret_base32) {
  std::string secret;
  for (char c : secret_base32)
    if (c != ' ' && c != '-' && c != '=') secret.push_back(c);
  return "otpauth://totp/" + percent_encode(issuer) + ":" + percent_encode(account) +
         "?secret=" + secret + "&issuer=" + percent_encode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace tegami::auth
