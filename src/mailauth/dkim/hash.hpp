// The two hashes of RFC 6376 §3.7: the body hash (canonicalized body, optionally cut at l=) and
// the selection of header fields named by h= (bottom-up, each instance used once, names that
// have no instance left contribute nothing). Shared by the signer and the verifier.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mailauth/dkim/canon.hpp"

namespace tegami::mailauth::dkim {

struct BodyHash {
  std::string digest;           // SHA-256, 32 bytes
  uint64_t canonical_size = 0;  // bytes of the whole canonicalized body
};

// Hashes the canonicalized body, only its first `limit` bytes when given.
BodyHash body_hash(std::string_view body, Canon c, std::optional<uint64_t> limit = std::nullopt);

// Field instances by lower-case name, built once per message: O(fields) to build, O(|h=|) per
// signature.
class HeaderIndex {
 public:
  explicit HeaderIndex(const std::vector<RawField>& fields);
  size_t count(const std::string& lower_name) const;
  // Appends the canonicalized fields selected by `h` (lower-case names) to `out`.
  void append_signed(std::string& out, const std::vector<std::string>& h, Canon c) const;

 private:
  const std::vector<RawField>& fields_;
  std::unordered_map<std::string, std::vector<size_t>> by_name_;
};

}  // namespace tegami::mailauth::dkim
