// TLS server context (OpenSSL 3 through Asio SSL) and the development self-signed certificate.
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace tegami::net {

struct TlsConfig {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM private key
};

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> load(const TlsConfig& cfg);
  ~TlsContext();
  boost::asio::ssl::context& native() { return *ctx_; }

 private:
  TlsContext();
  std::unique_ptr<boost::asio::ssl::context> ctx_;
};

// Writes a self-signed certificate for `hostname` (and localhost, 127.0.0.1, ::1) with a fresh
// P-256 key, unless both files already exist. Used by development mode.
Status ensure_self_signed(const std::string& cert_file, const std::string& key_file,
                          const std::string& hostname);

}  // namespace tegami::net
