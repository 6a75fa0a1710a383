// RFC 5322 §2.2 header fields (unfolding §2.2.3), RFC 2045 §5.1 Content-Type parameters with
// quoted-strings (RFC 5322 §3.2.4) and comments (§3.2.2), RFC 2231 §3-§4 parameter
// continuations and extended values, RFC 2183 Content-Disposition.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tegami::mime {

struct HeaderField {
  std::string_view name;   // as written, without trailing whitespace
  std::string_view value;  // raw text after the colon up to the last line break (folding kept)
};

// Splits a header block (up to and excluding the first empty line) into fields. Lines that are
// neither a field nor a continuation are skipped. Names are printable ASCII without ':'.
std::vector<HeaderField> parse_header_fields(std::string_view header);

// First field named `name` (case-insensitive), raw.
std::optional<std::string_view> find_field(const std::vector<HeaderField>& fields,
                                           std::string_view name);

// RFC 5322 §2.2.3 unfolding: removes CR and LF, trims leading and trailing whitespace.
std::string unfold(std::string_view raw_value);

// Unfolded and RFC 2047-decoded to UTF-8 (see decode_rfc2047).
std::string decode_header_value(std::string_view raw_value, std::string_view fallback_charset = {});

// Removes RFC 5322 comments "(...)" (nested, with quoted-pairs) outside quoted-strings.
std::string strip_comments(std::string_view s);

// One MIME parameter after RFC 2231 continuations are merged. `value` is unquoted; when
// `extended` is true it is the RFC 2231 form "charset'lang'%XX..." (the wire name is name + "*").
struct Param {
  std::string name;  // as written (first segment), without "*" or "*N"
  std::string value;
  bool extended = false;
};

// Parses ";"-separated parameters (the text after the media type / disposition type).
// Tolerates unquoted values with spaces, unterminated quotes, missing values and junk.
std::vector<Param> parse_params(std::string_view s);

// The decoded UTF-8 value of parameter `name` (case-insensitive): an RFC 2231 extended value is
// preferred, a plain value gets RFC 2047 decoding (common for filenames).
std::optional<std::string> find_param(const std::vector<Param>& params, std::string_view name);

struct ContentType {
  std::string type;     // as written (case kept); empty when absent or invalid
  std::string subtype;  // as written
  std::vector<Param> params;
};
ContentType parse_content_type(std::string_view raw_value);

struct Disposition {
  std::string type;  // as written; empty when absent
  std::vector<Param> params;
};
Disposition parse_disposition(std::string_view raw_value);

// Comma-separated language tags (RFC 3282), comments and whitespace removed.
std::vector<std::string> parse_language_list(std::string_view raw_value);

}  // namespace tegami::mime
