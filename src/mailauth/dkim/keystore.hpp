// DKIM private keys on disk, one PEM file per domain and selector (RFC 6376 §3.1: a selector
// names one key of a domain): <dir>/<domain>/<selector>.pem, files 0600, folders 0700.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mailauth/dkim/sign.hpp"

namespace tegami::mailauth::dkim {

// kInvalidData when domain or selector is not a valid DNS name (so never a path trick).
Result<std::string> key_file_path(std::string_view dir, std::string_view domain,
                                  std::string_view selector);

// Loads the key; kNotFound when there is none.
Result<SigningKey> load_key(std::string_view dir, std::string_view domain,
                            std::string_view selector);

// Loads the key, or generates one of `type` (RSA 2048 or Ed25519), saves it and returns it.
// An existing key of another type is an error (kExists): selectors are never reused.
Result<SigningKey> load_or_create_key(std::string_view dir, std::string_view domain,
                                      std::string_view selector, KeyType type);

// Tegami's own selectors: one Ed25519 key (RFC 8463) and one RSA 2048 key per domain, so that
// verifiers without Ed25519 support still find a signature they can check.
inline constexpr const char* kEd25519Selector = "tegami-ed";
inline constexpr const char* kRsaSelector = "tegami-rsa";

// Loads or creates both keys of `domain` (Ed25519 first, then RSA).
Result<std::vector<SigningKey>> ensure_domain_keys(std::string_view dir, std::string_view domain);

// Every key of a domain (selectors in name order), for `tegami dns-records`.
Result<std::vector<SigningKey>> load_domain_keys(std::string_view dir, std::string_view domain);

// Whether `domain` has a folder of keys in `dir`: one stat, no key read (false for a name that
// is not a valid domain).
bool has_domain_keys(std::string_view dir, std::string_view domain);

// Every key of a domain, for signing each message: parsed once (an RSA key takes about 0.8 ms
// to load, more than signing with it) and shared; loaded again when the domain's folder changes
// (keys are written to a temporary name and renamed, which changes it) or after a minute. An
// empty list when the domain has no keys.
Result<std::shared_ptr<const std::vector<SigningKey>>> cached_domain_keys(std::string_view dir,
                                                                          std::string_view domain);

}  // namespace tegami::mailauth::dkim
