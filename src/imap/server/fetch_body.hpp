// Body sections for FETCH (RFC 9051 §6.4.5 BODY[section]<partial>, BINARY[section]; RFC 3516):
// cut out of the raw message with the part table that index::build recorded at delivery, so
// nothing is parsed again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"
#include "index/message_index.hpp"

namespace tegami::imap::server {

// The bytes of BODY[section] (before any partial). nullopt when the part does not exist.
std::optional<std::string> extract_section(std::string_view raw,
                                           const std::vector<index::PartRange>& parts,
                                           const proto::Section& section);

// Keeps (or with `exclude`, drops) the header fields named in `fields` (case-insensitive),
// folded lines included, and ends with the blank line (RFC 9051 §6.4.5 HEADER.FIELDS).
std::string filter_header_fields(std::string_view header, const std::vector<std::string>& fields,
                                 bool exclude);

// Offset of the first byte after the header's blank line (header.size() when there is none).
size_t header_end(std::string_view msg);

// Applies <origin.size>.
std::string apply_partial(std::string s, const std::optional<proto::Partial>& p);

// BINARY[part]: the part body with its Content-Transfer-Encoding undone. nullopt when the part
// does not exist; *unknown_cte is set for an encoding we cannot undo (RFC 3516 UNKNOWN-CTE).
std::optional<std::string> extract_binary(std::string_view raw,
                                          const std::vector<index::PartRange>& parts,
                                          const std::vector<uint32_t>& part, bool* unknown_cte);

// RFC 2045 §6.7 quoted-printable and §6.8 base64 (lenient: whitespace and junk skipped).
std::string decode_quoted_printable(std::string_view s);
std::string decode_base64_lenient(std::string_view s);

}  // namespace tegami::imap::server
