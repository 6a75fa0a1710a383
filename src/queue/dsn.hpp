// Delivery status notifications (RFC 3464, RFC 3462 multipart/report, RFC 6533 for UTF-8
// addresses) that the queue puts in a sender's INBOX: a failure (bounce) or a delay notice.
// The human-readable part explains the remote server's reply in plain words, in Japanese and
// in English (PRODUCT.md §11), beside the original reply and the original headers.
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

enum class DsnKind { kFailure, kDelay };

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
  std::string_view original;  // the original message, CRLF
  bool headers_only = true;   // RET=HDRS or default: include only the header
};

// The whole report message, CRLF line ends, with Date, From, To, Subject (RFC 2047 encoded,
// Japanese and English), Message-ID, Auto-Submitted: auto-replied (RFC 3834), MIME-Version,
// Content-Type: multipart/report; report-type=delivery-status. Parts: text/plain; charset=UTF-8
// (Japanese first, then English), message/delivery-status (message/global-delivery-status when
// an address is not ASCII), text/rfc822-headers (or message/rfc822 when !headers_only).
std::string compose_dsn(const DsnInput& in);

// Plain-words explanation of a failure, for the text part and for `tegami queue show`.
// `lang` is "ja" or "en".
std::string explain_failure(const DsnRecipient& r, std::string_view lang);

}  // namespace tegami::queue
