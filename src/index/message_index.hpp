// What IMAP needs from a message, computed once when the message is delivered or appended
// (DESIGN.md §4): FETCH and SEARCH read these fields and byte ranges and never re-parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tegami::index {

// Byte ranges of one MIME part inside the raw message (offsets from the message start).
struct PartRange {
  std::string section;            // IMAP section number: "" for the whole message, "1", "2.1", ...
  uint64_t header_start = 0;      // first byte of the part's MIME header
  uint64_t body_start = 0;        // first byte after the blank line that ends the header
  uint64_t body_end = 0;          // one past the last byte of the body
  bool is_message = false;        // message/rfc822 (or message/global): has its own HEADER/TEXT
  std::string content_type;       // lower case "type/subtype"
  std::string transfer_encoding;  // lower case, "" when absent (7bit)
  std::string charset;            // lower case, "" when absent
  // is_message only: the encapsulated message's header is [message_header_start,
  // message_body_start) and its text [message_body_start, body_end). For section "" these are
  // 0 and body_start; for a message/rfc822 part, message_header_start == body_start.
  uint64_t message_header_start = 0;
  uint64_t message_body_start = 0;
};

struct MessageIndex {
  std::string envelope;        // IMAP ENVELOPE, a parenthesised list (RFC 9051 §7.5.2)
  std::string body_structure;  // IMAP BODYSTRUCTURE with extension data
  std::string body;            // IMAP BODY (no extension data)
  std::string parts;           // serialized part table; read it with decode_parts()
  std::string search_headers;  // decoded header fields, "Name: value\n" each, UTF-8
  std::string search_body;     // decoded text of the text/* parts, UTF-8, '\n' between parts,
                               // plus the decoded header fields of attached messages
  int64_t sent_date = 0;       // Date: header as Unix seconds, 0 when absent or unparsable
  std::string subject;         // decoded Subject (UTF-8), for SORT and previews
  std::string from;            // first From address "local@domain", lower case
  std::string message_id;      // Message-ID without angle brackets
};

// Parses a raw RFC 5322 message (CRLF or bare LF; malformed input tolerated, never throws).
MessageIndex build(std::string_view raw);

std::vector<PartRange> decode_parts(std::string_view serialized);

// The part for an IMAP section number ("" = whole message). nullopt when absent.
std::optional<PartRange> find_part(const std::vector<PartRange>& parts, std::string_view section);

// What of a section BODY[...] names (RFC 9051 §6.4.5): the part itself ("1.2"), its HEADER or
// TEXT (only for "" and message/rfc822 parts), or its MIME header (not for "").
// HEADER.FIELDS and HEADER.FIELDS.NOT use kHeader and then filter_header_fields().
enum class SectionText { kAll, kHeader, kText, kMime };

struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;  // one past the last byte
};

// The bytes of the raw message a FETCH BODY[section.what] returns; nullopt when the section
// does not exist or `what` is not allowed for it (then FETCH returns an empty string / NIL).
std::optional<ByteRange> section_range(const std::vector<PartRange>& parts,
                                       std::string_view section, SectionText what);

// The fields of `header` (a header block, e.g. the kHeader range) whose names are (exclude:
// are not) in `names` (case-insensitive), each with its original folding and line ends,
// followed by the empty line ("\r\n"), as HEADER.FIELDS (.NOT) returns them.
std::string filter_header_fields(std::string_view header, const std::vector<std::string>& names,
                                 bool exclude);

// IMAP ENVELOPE of a header block (the part of a message before its body).
std::string envelope(std::string_view header);

}  // namespace tegami::index
