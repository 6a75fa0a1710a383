// Case-insensitive text matching for SEARCH (RFC 9051 §6.4.4: "case-insensitive substring";
// RFC 5051 i;unicode-casemap in spirit): Unicode full case folding through ICU.
#pragma once

#include <string>
#include <string_view>

namespace tegami::imap::server {

// Unicode case folding of UTF-8 text (invalid bytes become U+FFFD).
std::string fold_case(std::string_view utf8);

}  // namespace tegami::imap::server
