// DKIM canonicalization (RFC 6376 §3.4: simple and relaxed, for header fields and bodies) and
// the raw header splitting it needs (RFC 5322 §2.2). Lines may end in CRLF or a bare LF (a
// message stored with LF endings); canonical output always uses CRLF. Pure code.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/dkim/tags.hpp"

namespace tegami::mailauth::dkim {

struct RawField {
  std::string_view raw;    // name ":" value with folding, without the final line break
  std::string_view name;   // as written, trailing whitespace before ":" removed
  std::string_view value;  // everything after the ":"
};

struct SplitMessage {
  std::vector<RawField> fields;   // in order, top first
  std::string_view body;          // after the empty line (empty when there is none)
  bool header_too_large = false;  // the header section exceeded the limit: fields are partial
};

// Splits at the first empty line. Lines that are neither a field ("name:") nor a continuation
// are skipped. Stops collecting fields (and sets header_too_large) past max_header_bytes.
SplitMessage split_message(std::string_view message, size_t max_header_bytes = 1 << 20);

// Appends one canonicalized header field, with its CRLF unless `crlf` is false (the
// DKIM-Signature field itself is hashed without it, §3.7).
void canon_header(std::string& out, std::string_view raw_field, Canon c, bool crlf = true);

// Canonicalizes a body (§3.4.3, §3.4.4) and hands the result to `sink` in pieces, in one pass
// without copying the body. For relaxed, an empty body yields nothing (RFC 6376 erratum 3192);
// for simple, CRLF.
void canon_body(std::string_view body, Canon c, const std::function<void(std::string_view)>& sink);

// The same, collected into a string (tests, small bodies).
std::string canon_body_string(std::string_view body, Canon c);

}  // namespace tegami::mailauth::dkim
