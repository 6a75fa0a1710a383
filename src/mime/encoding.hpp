// Content-Transfer-Encoding decoding (RFC 2045 §6.7 quoted-printable, §6.8 base64), RFC 2047
// encoded words (B and Q, §4-§6) and RFC 2231 §4 extended parameter values.
// Every decoder is tolerant: bad input is passed through or skipped, never an error.
#pragma once

#include <string>
#include <string_view>

namespace tegami::mime {

// Base64 ignoring whitespace and any byte outside the alphabet; '=' padding is skipped.
std::string decode_base64(std::string_view text);

// Quoted-printable: "=XX" (either case) to a byte, "=" + line break (soft break) removed,
// trailing whitespace before a line break removed; a bad "=" sequence is kept literally.
std::string decode_quoted_printable(std::string_view text);

// By Content-Transfer-Encoding value (case-insensitive): base64, quoted-printable; anything
// else (7bit, 8bit, binary, unknown, "") returns the bytes unchanged.
std::string decode_transfer(std::string_view body, std::string_view encoding);

// RFC 2047 decoding of an (already unfolded) header value to UTF-8. Adjacent encoded words
// separated only by whitespace are joined (their bytes concatenated before charset conversion,
// so a multi-byte character split across words survives); malformed encoded words are left as
// they are. Raw 8-bit text outside encoded words is kept when it is UTF-8, else converted from
// `fallback_charset` (or sanitised); raw ISO-2022-JP (ESC sequences) is recognised.
std::string decode_rfc2047(std::string_view value, std::string_view fallback_charset = {});

// RFC 2231 extended value "charset'language'%XX..." to UTF-8.
std::string decode_rfc2231(std::string_view value);

// Converts header text that may contain raw 8-bit bytes or ISO-2022-JP escapes to UTF-8.
std::string raw_header_to_utf8(std::string_view text, std::string_view fallback_charset = {});

}  // namespace tegami::mime
