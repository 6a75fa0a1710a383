// Mailbox name helpers.
//
// RFC 3501 §5.1.3 / RFC 9051 §5.1 (modified UTF-7), RFC 9051 §5.1 and RFC 6855 §3 (UTF-8 names
// with UTF8=ACCEPT), RFC 9051 §5.1 (INBOX is case-insensitive).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tegami::imap::proto {

// UTF-8 -> modified UTF-7 ("日本語" -> "&ZeVnLIqe-", "&" -> "&-"). nullopt on invalid UTF-8.
std::optional<std::string> mutf7_encode(std::string_view utf8);
// Modified UTF-7 -> UTF-8. nullopt on malformed input (bad base64, non-shortest forms such as
// encoded printable ASCII, unpaired surrogates, 8-bit bytes).
std::optional<std::string> mutf7_decode(std::string_view mutf7);

// "inbox" in any case -> "INBOX"; other names unchanged.
std::string normalize_inbox(std::string_view name);

// False if a UTF-8 name holds characters RFC 9051 §5.1 and RFC 6855 §3 forbid in mailbox names:
// controls (U+0000-U+001F, U+007F-U+009F), LINE SEPARATOR U+2028, PARAGRAPH SEPARATOR U+2029.
bool mailbox_chars_ok(std::string_view utf8_name);

// A name as received from a client -> UTF-8. With utf8_accept (RFC 6855 ENABLE UTF8=ACCEPT) the
// name must be valid UTF-8 that mailbox_chars_ok() accepts, and is taken as is; otherwise it is
// decoded from modified UTF-7. INBOX is normalised. nullopt if the name is invalid.
std::optional<std::string> mailbox_from_wire(std::string_view name, bool utf8_accept);
// A UTF-8 name -> what to send: UTF-8 with utf8_accept, modified UTF-7 otherwise.
std::string mailbox_to_wire(std::string_view utf8_name, bool utf8_accept);

}  // namespace tegami::imap::proto
