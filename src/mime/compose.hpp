// Writing messages (the server's own notices: bounces, limit and suspension notices): RFC 2047
// encoded words for UTF-8 header text, RFC 5322 dates, base64 bodies in 76-column lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tegami::mime {

// A header value (unstructured text or a phrase) from UTF-8 text: control characters (CR and LF
// included) become spaces; ASCII words stay readable; each run of words that need encoding
// (non-ASCII, "=?", or longer than 60) becomes RFC 2047 B words of at most 64 characters, split
// between characters, the spaces inside the run encoded with it (§6.2). Lines are folded before
// 76 characters (§2); `used` is what precedes the value on the first line ("Subject: " = 9).
std::string encode_header_text(std::string_view utf8, std::size_t used = 9);

// "Sun, 22 Nov 2026 21:31:20 +0000" (RFC 5322 §3.3) for Unix seconds (UTC).
std::string format_date(int64_t unix_seconds);

// Base64 in lines of 76 characters, each ending in CRLF (RFC 2045 §6.8).
std::string base64_lines(std::string_view bytes);

// Bare LF and bare CR become CRLF.
std::string to_crlf(std::string_view s);

// A whole text/plain; charset=UTF-8 message with the fields given (Subject encoded as needed),
// Date, a fresh Message-ID on `host`, MIME-Version, base64 body, and Auto-Submitted:
// auto-generated (RFC 3834) — for the server's own notices.
std::string compose_notice(std::string_view from, std::string_view to, std::string_view subject,
                           std::string_view body_utf8, int64_t date, std::string_view host);

}  // namespace tegami::mime
