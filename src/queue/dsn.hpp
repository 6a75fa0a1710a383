// Delivery status notifications (RFC 3464, RFC 3462/6522 multipart/report, RFC 6533 for UTF-8
// addresses) that the queue puts in a sender's INBOX: a failure (bounce) or a delay notice.
// The human-readable part explains the remote server's reply in plain words, in Japanese and
// in English (PRODUCT.md §11), beside the original reply and the original headers.
//
// What compose_dsn() guarantees (dsn_test.cpp checks it with our scanner and Python's email):
// - CRLF line ends, no line over 998 octets in what we write; a random MIME boundary that is
//   checked against every part's content; Subject and From phrase with their ASCII words as
//   they are and the other runs RFC 2047 B-encoded, split at UTF-8 character boundaries into
//   words of at most 64 characters, on folded lines of at most 76.
// - Text from outside (remote replies, subject, addresses, host names) never adds a line: CR, LF
//   and other control characters are removed, multi-line replies joined with a space, invalid
//   UTF-8 replaced; in message/delivery-status non-ASCII becomes '?'.
// - Part 1 is base64: it is mostly Japanese (quoted-printable would triple it) and, stored in
//   INBOX, it may be served to any IMAP client or forwarded over a 7-bit path unchanged.
// - message/global-delivery-status (8bit, "utf-8;" address type with RFC 6533 unitext
//   escapes) when an address or a reply is not ASCII; the multipart/report report-type stays
//   "delivery-status", as Postfix does. Part 3 is message/global or message/global-headers
//   when the original's header has 8-bit bytes. RET=FULL falls back to headers only (and says so)
//   when the original exceeds `message_size` + 1 MiB: the report must not fill the quota.
// - Diagnostic-Code type "smtp" when the diagnostic starts with a reply code, "X-Tegami"
//   for our own reasons ("Host or domain name not found").
// The caller never sends a DSN about a message with the null reverse-path (RFC 3461 §6.2)
// and chooses the recipients (NOTIFY); this module only formats.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tegami::queue {

struct DsnRecipient {
  std::string final_recipient;     // the address we tried, "user@example.com"
  std::string original_recipient;  // ORCPT value as given ("rfc822;user@example.com") or ""
  std::string action;              // "failed", "delayed", "delivered", "relayed", "expanded"
  std::string status;              // RFC 3463 code, "5.1.1"
  std::string remote_mta;          // host name of the server that answered, "" if none
  std::string diagnostic;          // the remote reply as received, "550 5.1.1 No such user"; or
                                   // our own reason ("Host or domain name not found ...")
  int64_t last_attempt = 0;        // Unix seconds, 0 = none
  int64_t retry_until = 0;         // delay notices: when we give up, 0 = not shown
};

// kSuccess: NOTIFY=SUCCESS reports (action "delivered" or "relayed", RFC 3461 §6.2).
enum class DsnKind { kFailure, kDelay, kSuccess };

inline constexpr int64_t kDefaultMessageSize = 20 * 1024 * 1024;  // config.hpp's default

struct DsnInput {
  DsnKind kind = DsnKind::kFailure;
  std::string reporting_mta;  // our host name
  std::string from;           // "MAILER-DAEMON@<host>" style address of the report
  std::string to;             // the original sender
  std::string envid;          // ENVID of the original, "" when none
  int64_t arrival = 0;        // when we accepted the original
  int64_t now = 0;            // Date: of the report
  std::string subject;        // Subject of the original (decoded UTF-8), shown in the text
  std::vector<DsnRecipient> rcpts;
  std::string_view original;                   // the original message, CRLF
  bool headers_only = true;                    // RET=HDRS or default: include only the header
  int64_t message_size = kDefaultMessageSize;  // limits.message_size, named in the advice
};

// The whole report message, CRLF line ends, with Date, From, To, Subject (RFC 2047 encoded,
// Japanese and English), Message-ID, Auto-Submitted: auto-replied (RFC 3834), MIME-Version,
// Content-Type: multipart/report; report-type=delivery-status. Parts: text/plain; charset=UTF-8
// (Japanese first, then English), message/delivery-status (message/global-delivery-status when
// an address is not ASCII), text/rfc822-headers (or message/rfc822 when !headers_only).
std::string compose_dsn(const DsnInput& in);

// Plain-words explanation of a failure, for the text part and for `tegami queue show`.
// `lang` is "ja" or "en". What happened, then what the user can do; the wording differs for
// action "delayed" (or an empty action with a 4.x.x status). `message_size` is the limit named
// when the message was too large.
std::string explain_failure(const DsnRecipient& r, std::string_view lang,
                            int64_t message_size = kDefaultMessageSize);

}  // namespace tegami::queue
