// IMAP string and nstring output (RFC 9051 §4.3 and §9 "quoted", "literal"); internal to index/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tegami::index {

// A quoted string with '"' and '\' escaped; a literal {n}\r\n... when `s` has CR, LF, NUL or any
// 8-bit byte (valid in IMAP4rev1 and IMAP4rev2 alike, whatever the session enabled).
void append_string(std::string& out, std::string_view s);
void append_nstring(std::string& out, std::string_view s, bool nil);  // NIL when `nil`
void append_number(std::string& out, uint64_t n);

}  // namespace tegami::index
