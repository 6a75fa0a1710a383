// Decoding of RDATA in wire format (RFC 1035 §3.3.9 MX, §3.3.14 TXT, §3.4.1 A, §3.3.12 PTR;
// RFC 3596 §2.2 AAAA; RFC 6698 §2.1 TLSA). Pure functions: no resolver, no I/O. Names inside
// RDATA must be uncompressed (libunbound decompresses them); a compression pointer is malformed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dns/resolver.hpp"

namespace tegami::dns {

std::optional<std::string> decode_txt(std::string_view rdata);  // character-strings joined
std::optional<MxRecord> decode_mx(std::string_view rdata);
std::optional<std::string> decode_a(std::string_view rdata);     // dotted quad
std::optional<std::string> decode_aaaa(std::string_view rdata);  // RFC 5952 text
std::optional<TlsaRecord> decode_tlsa(std::string_view rdata);
// A whole RDATA that is one domain name (PTR, CNAME): lower case, no trailing dot; the root name
// decodes to "".
std::optional<std::string> decode_name_rdata(std::string_view rdata);

}  // namespace tegami::dns
