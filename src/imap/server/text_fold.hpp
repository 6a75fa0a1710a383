// Case-insensitive text matching for SEARCH (RFC 9051 §6.4.4: "case-insensitive substring";
// RFC 5051 i;unicode-casemap in spirit): Unicode full case folding through ICU; and the exact
// i;unicode-casemap keys for SORT and THREAD ordering.
#pragma once

#include <string>
#include <string_view>

namespace tegami::imap::server {

// Unicode case folding of UTF-8 text (invalid bytes become U+FFFD).
std::string fold_case(std::string_view utf8);

// The i;unicode-casemap comparator of RFC 5051 §2 (used by SORT and THREAD, RFC 5256 §1 with
// RFC 5255): each character is mapped to its titlecase form (simple mapping), then the string
// is decomposed with NFKD. Keys compare as octet strings (std::string operator<). Invalid
// UTF-8 becomes U+FFFD.
std::string unicode_casemap(std::string_view utf8);

}  // namespace tegami::imap::server
