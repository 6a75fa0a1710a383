// Charset conversion to UTF-8 (RFC 2046 §4.1.2 charset parameter, RFC 2978 names) and the
// case folding used by IMAP SEARCH (RFC 9051 §6.4.4, i;unicode-casemap of RFC 5051 simplified to
// NFKC_Casefold). ICU stays inside charset.cpp: this header is light on purpose.
#pragma once

#include <string>
#include <string_view>

namespace tegami::mime {

// Converts `bytes` in `charset` (any label seen in mail: "ISO-2022-JP", "sjis", "cp932",
// "utf-8", "latin1", ...) to UTF-8. Never fails: invalid or unmappable bytes become U+FFFD, an
// unknown or empty charset is read as UTF-8. ISO-8859-1 and US-ASCII are read as windows-1252 /
// UTF-8 (the WHATWG practice: real mail labelled so is often neither).
std::string to_utf8(std::string_view bytes, std::string_view charset);

// `s` with every invalid UTF-8 sequence (maximal subpart) replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s);

// True when ICU knows a converter for this label (after our alias table).
bool charset_supported(std::string_view charset);

// Full Unicode case folding plus compatibility normalisation (NFKC_Casefold), for substring
// search: "ＡＢＣ", "abc" and "ABC" fold alike. Input invalid UTF-8 is sanitised first.
std::string fold_case(std::string_view utf8);

// True when fold_case(needle) occurs in `haystack_folded` (already folded by fold_case).
bool fold_contains(std::string_view haystack_folded, std::string_view needle);

}  // namespace tegami::mime
