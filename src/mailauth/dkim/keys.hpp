// DKIM keys through OpenSSL 3 EVP: RSA (RFC 6376 §3.3.1, RSASSA-PKCS1-v1_5 with SHA-256;
// RFC 8301 §3.2 key sizes) and Ed25519 (RFC 8463 §3, PureEdDSA over the SHA-256 hash). Key
// generation, PEM (PKCS#8) storage, the public key record (RFC 6376 §3.6.1, RFC 8463 §4) and
// its zone-file form in 255-octet character-strings (RFC 1035 §3.3.14).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mailauth/dkim/tags.hpp"

struct evp_pkey_st;
struct evp_md_ctx_st;

namespace tegami::mailauth::dkim {

inline constexpr int kMinRsaBits = 1024;  // RFC 8301 §3.2: verifiers refuse smaller keys
inline constexpr int kMaxRsaBits = 8192;  // verification cost bound

struct PkeyDeleter {
  void operator()(evp_pkey_st* p) const;
};
using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyDeleter>;

class PrivateKey {
 public:
  // RSA keys must be 2048..8192 bits when generated.
  static Result<PrivateKey> generate(KeyType type, int rsa_bits = 2048);
  static Result<PrivateKey> from_pem(std::string_view pem);
  // The 32-byte Ed25519 private key ("seed", RFC 8032 §5.1.5); used by the RFC 8463 test.
  static Result<PrivateKey> from_ed25519_seed(std::string_view seed);
  static Result<PrivateKey> load(const std::string& path);

  std::string to_pem() const;  // PKCS#8 "PRIVATE KEY", unencrypted
  // Written to a temporary file with mode 0600, synced, then renamed over `path`.
  Status save(const std::string& path) const;

  KeyType type() const { return type_; }
  int bits() const;
  // The bytes p= carries: SubjectPublicKeyInfo DER for RSA, the raw 32 bytes for Ed25519.
  std::string public_key_data() const;
  // "v=DKIM1; k=rsa; p=<base64>" (or k=ed25519).
  std::string dns_record() const;

  // Signs a SHA-256 digest: PKCS#1 v1.5 (DigestInfo with SHA-256) for RSA, Ed25519 over the 32
  // digest bytes for ed25519-sha256.
  Result<std::string> sign_digest(std::string_view digest) const;

 private:
  PrivateKey(PkeyPtr p, KeyType t) : pkey_(std::move(p)), type_(t) {}
  static Result<PrivateKey> adopt(PkeyPtr p);
  PkeyPtr pkey_;
  KeyType type_ = KeyType::kRsa;
};

class PublicKey {
 public:
  // From a parsed key record (p= must not be empty). kPerm for keys that cannot be used: bad
  // DER, wrong length, RSA outside kMinRsaBits..kMaxRsaBits.
  static Result<PublicKey> from_record(const KeyRecord& rec);

  KeyType type() const { return type_; }
  int bits() const;
  bool verify_digest(std::string_view digest, std::string_view signature) const;

 private:
  PublicKey(PkeyPtr p, KeyType t) : pkey_(std::move(p)), type_(t) {}
  PkeyPtr pkey_;
  KeyType type_ = KeyType::kRsa;
};

// SHA-256, one shot and incremental.
std::string sha256(std::string_view data);
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string finish();  // 32 bytes; the object is spent afterwards

 private:
  ::evp_md_ctx_st* ctx_;
};

// Splits a TXT record's text into character-strings of at most `max_len` octets.
std::vector<std::string> split_txt_strings(std::string_view text, size_t max_len = 255);

// The record as a zone-file line, e.g.
//   sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p=MIIB..."
//     "...rest" )
// with every string at most 255 octets and `"` and `\` escaped.
std::string zone_file_record(std::string_view selector, std::string_view domain,
                             std::string_view txt);

}  // namespace tegami::mailauth::dkim
