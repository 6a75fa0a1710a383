// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463, RFC 2034).
// A reply is a three-digit code and one or more text lines; every line but the last is sent as
// "250-text", the last as "250 text". With ENHANCEDSTATUSCODES (RFC 2034 §3) every line of a
// reply, except the greeting and the EHLO/HELO reply, starts with the enhanced code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tegami::smtp::proto {

struct Reply {
  int code = 250;
  std::string enhanced;            // "2.0.0"; empty for the greeting and EHLO replies
  std::vector<std::string> lines;  // at least one (an empty line is allowed)

  // The bytes on the wire, CRLF after every line.
  std::string wire() const;
  bool is_error() const { return code >= 400; }
  bool permanent() const { return code >= 500; }
};

// One-line reply. `text` may contain '\n' to make a multi-line reply.
Reply make_reply(int code, std::string_view enhanced, std::string_view text);

// Makes client-supplied text safe to echo in a reply: control characters (CR, LF, NUL...) and
// bytes >= 0x7F become '?', and the result is cut to `max` bytes.
std::string sanitize_echo(std::string_view s, std::size_t max = 256);

}  // namespace tegami::smtp::proto
