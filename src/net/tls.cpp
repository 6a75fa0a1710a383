#include "net/tls.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <boost/asio/ssl/context.hpp>

#include <cstdio>
#include <filesystem>

namespace tegami::net {

TlsContext::TlsContext() = default;
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::load(const TlsConfig& cfg) {
  namespace ssl = boost::asio::ssl;
  std::shared_ptr<TlsContext> t(new TlsContext());
  t->ctx_ = std::make_unique<ssl::context>(ssl::context::tls_server);
  auto& c = *t->ctx_;
  boost::system::error_code ec;
  c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::single_dh_use,
                ec);
  SSL_CTX_set_min_proto_version(c.native_handle(), TLS1_2_VERSION);
  // Idle connections should not keep 2 x 16 KiB of record buffers each.
  SSL_CTX_set_mode(c.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  c.use_certificate_chain_file(cfg.cert_file, ec);
  if (ec)
    return make_error(Errc::kInvalidData,
                      "cannot load TLS certificate " + cfg.cert_file + ": " + ec.message());
  c.use_private_key_file(cfg.key_file, ssl::context::pem, ec);
  if (ec)
    return make_error(Errc::kInvalidData,
                      "cannot load TLS key " + cfg.key_file + ": " + ec.message());
  return t;
}

namespace {

bool add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ex) return false;
  X509_add_ext(cert, ex, -1);
  X509_EXTENSION_free(ex);
  return true;
}

}  // namespace

Status ensure_self_signed(const std::string& cert_file, const std::string& key_file,
                          const std::string& hostname) {
  namespace fs = std::filesystem;
  if (fs::exists(cert_file) && fs::exists(key_file)) return {};
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) return make_error(Errc::kInternal, "cannot generate a TLS key");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 60L * 60 * 24 * 825);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Tegami development"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  std::string san = "DNS:" + hostname + ",DNS:localhost,IP:127.0.0.1,IP:::1";
  add_ext(cert, NID_subject_alt_name, san.c_str());
  add_ext(cert, NID_basic_constraints, "critical,CA:FALSE");
  X509_sign(cert, key, EVP_sha256());

  Status st;
  std::error_code ec;
  if (auto dir = fs::path(cert_file).parent_path(); !dir.empty()) fs::create_directories(dir, ec);
  if (auto dir = fs::path(key_file).parent_path(); !dir.empty()) fs::create_directories(dir, ec);
  FILE* kf = std::fopen(key_file.c_str(), "wb");
  FILE* cf = std::fopen(cert_file.c_str(), "wb");
  if (!kf || !cf) {
    st = make_error(Errc::kInternal, "cannot write the development certificate to " + cert_file);
  } else {
    chmod(key_file.c_str(), 0600);
    PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_X509(cf, cert);
  }
  if (kf) std::fclose(kf);
  if (cf) std::fclose(cf);
  X509_free(cert);
  EVP_PKEY_free(key);
  return st;
}

}  // namespace tegami::net
