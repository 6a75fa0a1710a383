// DKIM tag lists (RFC 6376 §3.2), the DKIM-Signature header field (§3.5, with the
// ed25519-sha256 algorithm of RFC 8463 §3 and without rsa-sha1, RFC 8301 §3.1) and the key
// record published in DNS (RFC 6376 §3.6.1, RFC 8463 §4). Pure code: no crypto, no DNS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tegami::mailauth::dkim {

// Hard limits on untrusted input.
inline constexpr size_t kMaxTags = 64;                    // tags in one tag-list
inline constexpr size_t kMaxSignatureFieldBytes = 16384;  // one DKIM-Signature field
inline constexpr size_t kMaxSignedHeaders = 256;          // names in h=
inline constexpr size_t kMaxKeyRecordBytes = 4096;        // one key record (joined TXT strings)

struct Tag {
  std::string_view name;   // ALPHA *(ALPHA / DIGIT / "_"), case-sensitive
  std::string_view value;  // without surrounding whitespace; may contain folding whitespace
  // The raw text after "=" up to (not including) the ";" or the end: the part that
  // RFC 6376 §3.7 empties for b= ("including all surrounding whitespace").
  size_t raw_begin = 0, raw_end = 0;
};

// RFC 6376 §3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ]. Strict: bad tag names, characters
// outside VALCHAR/FWS (bytes >= 0x80 are allowed for RFC 8616 identities), a missing "=", an
// empty tag-spec in the middle and duplicate tags are errors (kInvalidData). At most kMaxTags.
Result<std::vector<Tag>> parse_tag_list(std::string_view text);

// A domain or selector as DKIM uses them: letters, digits, "-", "_" and dots between non-empty
// labels, at most 253 octets (A-labels only: IDNs must be converted first).
bool is_valid_domain(std::string_view s);

// Removes every SP, HTAB, CR and LF (FWS inside base64 values, h= lists...).
std::string strip_fws(std::string_view s);

enum class Algorithm { kRsaSha256, kEd25519Sha256 };
enum class Canon { kSimple, kRelaxed };
enum class KeyType { kRsa, kEd25519 };

const char* algorithm_name(Algorithm a);  // "rsa-sha256", "ed25519-sha256"
const char* canon_name(Canon c);          // "simple", "relaxed"
const char* key_type_name(KeyType k);     // "rsa", "ed25519"
KeyType key_type_of(Algorithm a);

// A parsed DKIM-Signature field value.
struct Signature {
  Algorithm algorithm = Algorithm::kRsaSha256;  // a=
  std::string signature;                        // b=, decoded
  std::string signature_b64;                    // b=, without whitespace (for header.b=)
  std::string body_hash;                        // bh=, decoded
  Canon header_canon = Canon::kSimple;          // c=
  Canon body_canon = Canon::kSimple;
  std::string domain;                   // d=, lower case
  std::vector<std::string> headers;     // h=, lower case, in order (repeats kept)
  std::string identity;                 // i= as written, or "@" + d when absent
  std::string identity_domain;          // the domain part of i=, lower case
  std::optional<uint64_t> body_length;  // l=
  std::string selector;                 // s=, lower case
  std::optional<int64_t> timestamp;     // t=
  std::optional<int64_t> expiration;    // x=
  // Offsets of the raw b= value within the parsed field value (see Tag::raw_begin).
  size_t b_raw_begin = 0, b_raw_end = 0;
};

// Parses the value of a DKIM-Signature field (the text after the colon, folding kept).
// Errors (all permerror for the verifier): kInvalidData for syntax (bad tag-list, missing
// required tag, v= other than 1, bad base64, h= without "from", i= outside d=, x= before t=,
// bad numbers, q= without dns/txt), kPerm for an algorithm or canonicalization that is not
// supported (rsa-sha1 included).
Result<Signature> parse_signature(std::string_view value);

// A parsed key record (the TXT at <s>._domainkey.<d>).
struct KeyRecord {
  KeyType type = KeyType::kRsa;  // k=, default rsa
  std::string public_key;        // p=, decoded; empty = revoked (§3.6.1)
  bool testing = false;          // t=y
  bool strict = false;           // t=s: i= must use exactly d=
};

// Errors: kInvalidData for syntax, v= other than DKIM1 (or not first), bad base64; kPerm for an
// unknown k=, an h= without sha256, or an s= that excludes email.
Result<KeyRecord> parse_key_record(std::string_view txt);

}  // namespace tegami::mailauth::dkim
