// Errc -> IMAP response codes (RFC 5530, RFC 9051 §7.1): the one place that maps store and
// domain errors to the wire (DESIGN.md §5).
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tegami::imap::server {

// The response code for an error, without brackets: "OVERQUOTA", "NONEXISTENT", ...
std::string_view response_code(Errc c);

// "NO [CODE] text" (without the tag) for a failed store/domain call. Internal errors get a
// logged id and a generic text; other errors carry the error's own sentence.
std::string no_response(const Error& e, std::string_view command);

}  // namespace tegami::imap::server
