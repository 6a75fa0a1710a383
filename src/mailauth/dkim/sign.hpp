// DKIM signing (RFC 6376 §5: signer actions; §3.5 the DKIM-Signature field; §3.7 hashes) with
// rsa-sha256 and ed25519-sha256 (RFC 8463). The result is the header field to prepend to the
// message; several keys sign the same message independently (e.g. one RSA, one Ed25519).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mailauth/dkim/keys.hpp"
#include "mailauth/dkim/tags.hpp"

namespace tegami::mailauth::dkim {

struct SigningKey {
  std::string domain;    // d=
  std::string selector;  // s=
  PrivateKey key;
};

// From, To, Cc, Subject, Date, Message-ID, In-Reply-To, References, MIME-Version, Content-Type,
// Content-Transfer-Encoding, Reply-To.
const std::vector<std::string>& default_signed_headers();

struct SignOptions {
  Canon header_canon = Canon::kRelaxed;
  Canon body_canon = Canon::kRelaxed;
  // Signed when present, each instance, in this order.
  std::vector<std::string> headers = default_signed_headers();
  // Listed once more than present, so that an added instance breaks the signature (§8.15).
  std::vector<std::string> oversign = {"From"};
  std::string identity;      // i=, not written when empty; must be in d= or a subdomain
  int64_t now = -1;          // t= (unix seconds); < 0: the system clock
  int64_t expire_after = 0;  // > 0: x= = t= + expire_after
};

// The DKIM-Signature field, folded at 78 columns, ending in CRLF. Errors: kInvalidData when the
// message has no From field or the options are unusable; kInternal for crypto failures.
Result<std::string> sign(std::string_view message, const SigningKey& key,
                         const SignOptions& opts = {});

// One field per key, concatenated in the order of `keys`.
Result<std::string> sign(std::string_view message, std::span<const SigningKey> keys,
                         const SignOptions& opts = {});

}  // namespace tegami::mailauth::dkim
