// RFC 6376 §3.3 (signing algorithms), §3.6.1 (key records); RFC 8463 §3-§4 (Ed25519);
// RFC 8301 §3.2 (RSA key sizes). OpenSSL 3 EVP only, no deprecated APIs.
#include "mailauth/dkim/keys.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/strings.hpp"

namespace tegami::mailauth::dkim {
namespace {

Error crypto_error(std::string what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    what += " (";
    what += buf;
    what += ")";
  }
  return make_error(Errc::kInternal, std::move(what));
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::optional<KeyType> type_of(const EVP_PKEY* p) {
  if (EVP_PKEY_is_a(p, "RSA")) return KeyType::kRsa;
  if (EVP_PKEY_is_a(p, "ED25519")) return KeyType::kEd25519;
  return std::nullopt;
}

}  // namespace

void PkeyDeleter::operator()(evp_pkey_st* p) const { EVP_PKEY_free(p); }

Result<PrivateKey> PrivateKey::adopt(PkeyPtr p) {
  auto t = type_of(p.get());
  if (!t) return make_error(Errc::kInvalidData, "not an RSA or Ed25519 private key");
  if (*t == KeyType::kRsa && EVP_PKEY_get_bits(p.get()) < kMinRsaBits)
    return make_error(Errc::kInvalidData, "RSA key shorter than 1024 bits");
  return PrivateKey(std::move(p), *t);
}

Result<PrivateKey> PrivateKey::generate(KeyType type, int rsa_bits) {
  EVP_PKEY* p = nullptr;
  if (type == KeyType::kRsa) {
    if (rsa_bits < 2048 || rsa_bits > kMaxRsaBits)
      return make_error(Errc::kInvalidData, "RSA keys are generated with 2048 to 8192 bits");
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
  } else {
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (!p) return crypto_error("key generation failed");
  return PrivateKey(PkeyPtr(p), type);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return crypto_error("out of memory");
  EVP_PKEY* p = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!p) {
    ERR_clear_error();
    return make_error(Errc::kInvalidData, "not a PEM private key");
  }
  return adopt(PkeyPtr(p));
}

Result<PrivateKey> PrivateKey::from_ed25519_seed(std::string_view seed) {
  if (seed.size() != 32) return make_error(Errc::kInvalidData, "Ed25519 keys are 32 bytes");
  EVP_PKEY* p = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size());
  if (!p) return crypto_error("bad Ed25519 key");
  return PrivateKey(PkeyPtr(p), KeyType::kEd25519);
}

Result<PrivateKey> PrivateKey::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::kNotFound, "cannot open DKIM key file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto k = from_pem(ss.str());
  if (!k) return make_error(k.code(), k.error().message + ": " + path);
  return k;
}

std::string PrivateKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Status PrivateKey::save(const std::string& path) const {
  std::string pem = to_pem();
  if (pem.empty()) return crypto_error("cannot encode the private key");
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::kInternal, "cannot create " + tmp + ": " + strerror(errno));
  if (::fchmod(fd, 0600) != 0) {  // a stale temporary file keeps its old mode otherwise
    ::close(fd);
    return make_error(Errc::kInternal, "cannot chmod " + tmp);
  }
  size_t off = 0;
  while (off < pem.size()) {
    ssize_t w = ::write(fd, pem.data() + off, pem.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(Errc::kInternal, "cannot write " + tmp + ": " + strerror(e));
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return make_error(Errc::kInternal, "cannot sync " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return make_error(Errc::kInternal, "cannot rename " + tmp + ": " + strerror(e));
  }
  // Make the rename durable.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

int PrivateKey::bits() const { return EVP_PKEY_get_bits(pkey_.get()); }

std::string PrivateKey::public_key_data() const {
  if (type_ == KeyType::kEd25519) {
    std::string raw(32, '\0');
    size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                    &len) != 1)
      return {};
    raw.resize(len);
    return raw;
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey_.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string PrivateKey::dns_record() const {
  return std::string("v=DKIM1; k=") + key_type_name(type_) +
         "; p=" + base64_encode(public_key_data());
}

Result<std::string> PrivateKey::sign_digest(std::string_view digest) const {
  if (digest.size() != 32) return make_error(Errc::kInternal, "digest is not SHA-256");
  if (type_ == KeyType::kEd25519) {
    MdCtxPtr md(EVP_MD_CTX_new());
    std::string sig(64, '\0');
    size_t len = sig.size();
    if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1 ||
        EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(digest),
                       digest.size()) != 1)
      return crypto_error("Ed25519 signing failed");
    sig.resize(len);
    return sig;
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(pkey_.get(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, bytes(digest), digest.size()) != 1)
    return crypto_error("RSA signing setup failed");
  std::string sig(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(digest),
                    digest.size()) != 1)
    return crypto_error("RSA signing failed");
  sig.resize(len);
  return sig;
}

Result<PublicKey> PublicKey::from_record(const KeyRecord& rec) {
  const std::string& p = rec.public_key;
  if (p.empty()) return make_error(Errc::kPerm, "key revoked");
  if (rec.type == KeyType::kEd25519) {
    if (p.size() != 32) return make_error(Errc::kPerm, "Ed25519 key is not 32 bytes");
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(p), p.size());
    if (!k) {
      ERR_clear_error();
      return make_error(Errc::kPerm, "bad Ed25519 key");
    }
    return PublicKey(PkeyPtr(k), KeyType::kEd25519);
  }
  // SubjectPublicKeyInfo (what everyone publishes); bare PKCS#1 RSAPublicKey as a fallback.
  const unsigned char* q = bytes(p);
  EVP_PKEY* k = d2i_PUBKEY(nullptr, &q, static_cast<long>(p.size()));
  if (!k || q != bytes(p) + p.size()) {
    EVP_PKEY_free(k);
    q = bytes(p);
    k = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, static_cast<long>(p.size()));
    if (k && q != bytes(p) + p.size()) {
      EVP_PKEY_free(k);
      k = nullptr;
    }
  }
  ERR_clear_error();
  if (!k) return make_error(Errc::kPerm, "bad RSA public key");
  PkeyPtr key(k);
  if (!EVP_PKEY_is_a(k, "RSA")) return make_error(Errc::kPerm, "k=rsa key is not RSA");
  int bits = EVP_PKEY_get_bits(k);
  if (bits < kMinRsaBits) return make_error(Errc::kPerm, "RSA key shorter than 1024 bits");
  if (bits > kMaxRsaBits) return make_error(Errc::kPerm, "RSA key longer than 8192 bits");
  return PublicKey(std::move(key), KeyType::kRsa);
}

int PublicKey::bits() const { return EVP_PKEY_get_bits(pkey_.get()); }

bool PublicKey::verify_digest(std::string_view digest, std::string_view signature) const {
  bool ok = false;
  if (type_ == KeyType::kEd25519) {
    MdCtxPtr md(EVP_MD_CTX_new());
    ok = md && EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, pkey_.get()) == 1 &&
         EVP_DigestVerify(md.get(), bytes(signature), signature.size(), bytes(digest),
                          digest.size()) == 1;
  } else {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new(pkey_.get(), nullptr));
    ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
         EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_verify(ctx.get(), bytes(signature), signature.size(), bytes(digest),
                         digest.size()) == 1;
  }
  ERR_clear_error();
  return ok;
}

std::string sha256(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_) EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
}
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }
void Sha256::update(std::string_view data) {
  if (ctx_ && !data.empty()) EVP_DigestUpdate(ctx_, data.data(), data.size());
}
std::string Sha256::finish() {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (!ctx_ || EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &len) != 1)
    return {};
  out.resize(len);
  return out;
}

std::vector<std::string> split_txt_strings(std::string_view text, size_t max_len) {
  std::vector<std::string> out;
  if (max_len == 0) max_len = 255;
  for (size_t i = 0; i < text.size(); i += max_len) out.emplace_back(text.substr(i, max_len));
  if (out.empty()) out.emplace_back();
  return out;
}

std::string zone_file_record(std::string_view selector, std::string_view domain,
                             std::string_view txt) {
  std::string out;
  out.append(selector).append("._domainkey.").append(domain);
  if (out.empty() || out.back() != '.') out.push_back('.');
  out.append(" IN TXT (");
  bool first = true;
  for (const std::string& s : split_txt_strings(txt, 255)) {
    out.append(first ? " \"" : "\n  \"");
    first = false;
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.append(" )");
  return out;
}

}  // namespace tegami::mailauth::dkim
