// FETCH PREVIEW (RFC 8970 §3), pure: a short plain-text preview of a message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "index/message_index.hpp"

namespace tegami::imap::server {

inline constexpr size_t kPreviewMaxChars = 256;  // RFC 8970 §3.1: at most 256 characters

// The preview of `raw` (with its index part table): the text of the first text/plain part
// that is not inside an attached message (a text/html part when there is no text/plain one; in
// a multipart/alternative its text/plain sibling is preferred), transfer-decoded, converted
// from its charset to UTF-8, HTML tags, comments, scripts and styles removed and entities
// decoded, whitespace runs collapsed to one space and trimmed, then cut to at most
// kPreviewMaxChars characters (never inside a UTF-8 sequence). "" when there is no such text.
std::string make_preview(std::string_view raw, const std::vector<index::PartRange>& parts);

// The HTML-to-text step alone (exposed for tests): tags dropped (block-level ones become a
// space), <script>/<style>/<head> content and comments dropped, common entities decoded.
std::string html_to_text(std::string_view html);

// Whitespace (ASCII and U+00A0) runs to one space, control characters dropped, trimmed, cut
// to `max_chars` code points. Input must be valid UTF-8.
std::string collapse_preview_text(std::string_view utf8, size_t max_chars = kPreviewMaxChars);

}  // namespace tegami::imap::server
