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
  std::string section;      // IMAP section number: "" for the whole message, "1", "2.1", ...
  uint64_t header_start = 0;  // first byte of the part's MIME header
  uint64_t body_start = 0;    // first byte after the blank line that ends the header
  uint64_t body_end = 0;      // one past the last byte of the body
  bool is_message = false;    // message/rfc822 (or message/global): has its own HEADER/TEXT
  std::string content_type;        // lower case "type/subtype"
  std::string transfer_encoding;   // lower case, "" when absent (7bit)
  std::string charset;             // lower case, "" when absent
};

struct MessageIndex {
  std::string envelope;        // IMAP ENVELOPE, a parenthesised list (RFC 9051 §7.5.2)
  std::string body_structure;  // IMAP BODYSTRUCTURE with extension data
  std::string body;            // IMAP BODY (no extension data)
  std::string parts;           // serialized part table; read it with decode_parts()
  std::string search_headers;  // decoded header fields, "Name: value\n" each, UTF-8
  std::string search_body;     // decoded text of the text/* parts, UTF-8, '\n' between parts
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

}  // namespace tegami::index
