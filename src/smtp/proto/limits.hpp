// Hard limits of the SMTP parsers (DESIGN.md §5: every parser has them, set where it is built).
// RFC 5321 §4.5.3.1 gives the minimum sizes a server must accept; we are more tolerant where
// real clients need it (long ESMTP parameter lists) and document each choice in README.md.
#pragma once

#include <cstddef>

namespace tegami::smtp::proto {

// Command line without CRLF. RFC 5321 §4.5.3.1.4 says 512 including CRLF; clients that send
// many ESMTP parameters (DSN ORCPT with long xtext) exceed it, so we accept up to 2048.
inline constexpr std::size_t kMaxCommandLine = 2048;
// RFC 5321 §4.5.3.1.1-3.
inline constexpr std::size_t kMaxLocalPart = 64;
inline constexpr std::size_t kMaxDomain = 255;
inline constexpr std::size_t kMaxPath = 256;  // including the angle brackets
// RFC 3461 §4.4: ENVID is at most 100 characters; ORCPT at most 500.
inline constexpr std::size_t kMaxEnvid = 100;
inline constexpr std::size_t kMaxOrcpt = 500;
// The SASL mechanism name (RFC 4422 §3.1: 1 to 20 characters).
inline constexpr std::size_t kMaxSaslMech = 20;

}  // namespace tegami::smtp::proto
