// One-pass MIME structure scanner: RFC 5322 §2.1 message = header + body, RFC 2045/2046
// entities, RFC 2046 §5.1 multipart boundaries (§5.1.1: the CRLF before a delimiter belongs to
// the delimiter), RFC 2046 §5.2.1 message/rfc822 and RFC 6532 §3.7 message/global.
// Records byte offsets into the raw message; bodies are never copied.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header.hpp"

namespace tegami::mime {

struct ScanLimits {
  uint32_t max_depth = 50;               // deeper multipart/message parts are opaque (no children)
  uint32_t max_parts = 10000;            // then scanning stops; open parts end at the end of input
  uint32_t max_field_bytes = 64 * 1024;  // longer Content-* values are cut before parsing
};

struct Part {
  static constexpr uint32_t kNone = UINT32_MAX;
  enum class Kind : uint8_t { kLeaf, kMultipart, kMessage };

  uint32_t parent = kNone;
  uint32_t depth = 0;  // number of ancestors
  Kind kind = Kind::kLeaf;
  bool opaque = false;            // multipart or message/rfc822 not descended (limits, encoding)
  bool has_content_type = false;  // Content-Type present and valid
  uint64_t header_start = 0;      // first byte of the part's header
  uint64_t body_start = 0;        // first byte after the empty line (or where the header was cut)
  uint64_t body_end = 0;    // one past the last body byte (the CRLF before a boundary excluded)
  uint64_t body_lines = 0;  // '\n' bytes in the body (IMAP body-fld-lines, as Dovecot counts)

  // Content-* fields (RFC 2045 §5-§8, RFC 2183, RFC 3282, RFC 2557 §4, RFC 1864). Strings are
  // as written (unfolded, case kept); empty when absent.
  std::string type = "text";  // defaults: text/plain, or message/rfc822 in multipart/digest
  std::string subtype = "plain";
  std::vector<Param> params;  // Content-Type parameters
  std::string encoding;       // Content-Transfer-Encoding token
  std::string id;             // Content-ID
  std::string description;    // Content-Description (raw, may hold encoded words)
  std::string md5;            // Content-MD5
  std::string disposition;    // Content-Disposition type
  std::vector<Param> disposition_params;
  std::vector<std::string> languages;  // Content-Language
  std::string location;                // Content-Location, whitespace removed

  // kMultipart: its body parts; kMessage: one child, the encapsulated message's top entity.
  std::vector<uint32_t> children;

  uint64_t body_size() const { return body_end - body_start; }
  bool is_type(std::string_view t, std::string_view st) const;
  std::string charset() const;  // charset parameter, lower case, "" when absent
  // Attachment name: Content-Disposition filename, else Content-Type name; decoded UTF-8
  // (RFC 2231 or RFC 2047), "" when neither is present.
  std::string filename() const;
};

struct Structure {
  std::vector<Part> parts;  // parts[0] is the message; pre-order, parents before children
  bool limits_hit = false;  // max_parts reached (depth limits only make parts opaque)
};

// Scans `raw` (CRLF or bare LF line ends). Never fails: every input yields at least parts[0].
Structure scan(std::string_view raw, const ScanLimits& limits = {});

// The part's body with its transfer encoding undone (bytes, any charset).
std::string decoded_body(std::string_view raw, const Part& part);

// decoded_body() converted from the part's charset to UTF-8 (for text/* parts).
std::string decoded_text(std::string_view raw, const Part& part);

}  // namespace tegami::mime
