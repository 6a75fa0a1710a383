// The Received: trace header (RFC 5321 §4.4) with the "with" protocol names of RFC 3848
// (ESMTP, ESMTPS, ESMTPA, ESMTPSA) and RFC 6531 §3.7.3 (UTF8SMTP...).
#pragma once

#include <cstdint>
#include <string>

namespace tegami::smtp::server {

struct ReceivedInfo {
  std::string helo;       // the client's EHLO/HELO name
  std::string remote_ip;  // "192.0.2.1" or "2001:db8::1"
  std::string by;         // our host name
  bool esmtp = true;
  bool tls = false;
  std::string tls_version;  // "TLSv1.3"
  bool authenticated = false;
  bool smtputf8 = false;
  std::string id;
  std::string for_rcpt;  // set when the message has exactly one recipient
  int64_t time = 0;      // Unix seconds
};

// "Received: ...\r\n", folded with a tab, CRLF line ends.
std::string format_received(const ReceivedInfo& r);

// RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 19:00:00 +0000".
std::string rfc5322_date(int64_t unix_seconds);

}  // namespace tegami::smtp::server
