// Small string helpers shared by every module (ASCII only; Unicode lives in mime/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tegami {

std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
std::optional<uint64_t> parse_u64(std::string_view s);
bool is_valid_utf8(std::string_view s);
bool is_ascii(std::string_view s);
// Length of the run of ASCII bytes (< 0x80) that `s` starts with (scanned 64 bytes at a time).
std::size_t ascii_prefix(std::string_view s);
// Length of the UTF-8 sequence that starts with `lead` (1 for ASCII and stray bytes).
std::size_t utf8_seq_len(unsigned char lead);
// The longest prefix of `s` of at most `max_bytes` that ends between characters.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);
// Appends the UTF-8 form of a Unicode scalar value (cp <= 0x10FFFF, not a surrogate).
void append_utf8(std::string& out, uint32_t cp);
std::string hex_encode(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // strict: nullopt on bad input

}  // namespace tegami
