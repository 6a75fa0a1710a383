// Test helpers (included by *_test.cpp only): a throwaway PKI. A CA, leaf certificates it signs
// (or self-signed ones), PEM files, and the digests TLSA records carry (RFC 6698 §2.1: selector
// 0 = full certificate, 1 = SubjectPublicKeyInfo; matching type 1 = SHA-256).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tegami::smtp::client::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

inline Key new_key() {
  Key k(EVP_EC_gen("P-256"));
  if (!k) throw std::runtime_error("EVP_EC_gen failed");
  return k;
}

inline void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ex) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ex, -1);
  X509_EXTENSION_free(ex);
}

struct CertSpec {
  std::string cn;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  bool ca = false;
  long not_before = -3600;  // seconds from now
  long not_after = 86400;
};

// Signs `spec` for `key` with issuer (cert, key); self-signed when issuer_cert is null.
inline Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer_cert = nullptr,
                      EVP_PKEY* issuer_key = nullptr) {
  static long serial = 1000;
  Cert c(X509_new());
  X509* cert = c.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer_cert ? X509_get_subject_name(issuer_cert) : name);
  X509* iss = issuer_cert ? issuer_cert : cert;
  if (spec.ca) {
    add_ext(cert, iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert, iss, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert, iss, NID_ext_key_usage, "serverAuth");
  }
  add_ext(cert, iss, NID_subject_key_identifier, "hash");
  if (issuer_cert) add_ext(cert, iss, NID_authority_key_identifier, "keyid:always");
  if (!spec.dns_names.empty()) {
    std::string san;
    for (const auto& n : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
    add_ext(cert, iss, NID_subject_alt_name, san);
  }
  if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()))
    throw std::runtime_error("X509_sign failed");
  return c;
}

inline void write_pem(const std::string& path, const std::vector<X509*>& certs) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  for (X509* c : certs) PEM_write_X509(f, c);
  std::fclose(f);
}

inline void write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

inline std::string sha256(const unsigned char* p, int len) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(p, static_cast<size_t>(len), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

// TLSA x 1 1: SHA-256 of the DER SubjectPublicKeyInfo.
inline std::string spki_sha256(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  std::string d = sha256(der, len);
  OPENSSL_free(der);
  return d;
}

// TLSA x 0 1: SHA-256 of the DER certificate.
inline std::string cert_sha256(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string d = sha256(der, len);
  OPENSSL_free(der);
  return d;
}

// A temporary folder removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "tegami-smtp-client-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// A CA and a server certificate it signed for `names`, written as <dir>/ca.pem,
// <dir>/chain.pem (leaf then CA) and <dir>/key.pem.
struct TestPki {
  Key ca_key, leaf_key;
  Cert ca, leaf;
  std::string ca_file, chain_file, key_file;

  TestPki(const TempDir& dir, const std::vector<std::string>& names, const std::string& tag = "",
          CertSpec leaf_spec = {}) {
    ca_key = new_key();
    ca = make_cert({"Tegami Test CA " + tag, {}, true, -3600, 86400 * 30}, ca_key.get());
    leaf_key = new_key();
    leaf_spec.cn = names.empty() ? "leaf" : names[0];
    leaf_spec.dns_names = names;
    leaf = make_cert(leaf_spec, leaf_key.get(), ca.get(), ca_key.get());
    ca_file = dir / ("ca" + tag + ".pem");
    chain_file = dir / ("chain" + tag + ".pem");
    key_file = dir / ("key" + tag + ".pem");
    write_pem(ca_file, {ca.get()});
    write_pem(chain_file, {leaf.get(), ca.get()});
    write_key(key_file, leaf_key.get());
  }
};

}  // namespace tegami::smtp::client::testing
