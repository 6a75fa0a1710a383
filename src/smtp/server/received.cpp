// RFC 5321 §4.4 (trace information: From-domain, By-domain, With, ID, For, date-time),
// RFC 3848 (ESMTPS/ESMTPA/ESMTPSA), RFC 6531 §3.7.3 (UTF8SMTP), RFC 5322 §3.3 (date-time).
#include "smtp/server/received.hpp"

#include <ctime>

namespace tegami::smtp::server {

namespace {

// Only characters that cannot break the header or its comments.
std::string clean(std::string_view s, std::size_t max = 100) {
  std::string out;
  for (char ch : s) {
    if (out.size() >= max) break;
    auto c = static_cast<unsigned char>(ch);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']' || c == '+';
    out += ok ? ch : '?';
  }
  if (out.empty()) out = "unknown";
  return out;
}

}  // namespace

std::string rfc5322_date(int64_t unix_seconds) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string format_received(const ReceivedInfo& r) {
  std::string proto;
  if (r.smtputf8) {
    proto = "UTF8SMTP";
  } else {
    proto = r.esmtp ? "ESMTP" : "SMTP";
  }
  if (r.smtputf8 || r.esmtp) {
    if (r.tls) proto += "S";
    if (r.authenticated) proto += "A";
  }
  std::string ip = clean(r.remote_ip, 64);
  std::string literal = ip.find(':') != std::string::npos ? "[IPv6:" + ip + "]" : "[" + ip + "]";
  std::string out = "Received: from " + clean(r.helo) + " (" + literal + ")\r\n";
  out += "\tby " + clean(r.by) + " (Tegami) with " + proto;
  if (r.tls && !r.tls_version.empty()) out += " (" + clean(r.tls_version, 16) + ")";
  out += " id " + clean(r.id, 64);
  if (!r.for_rcpt.empty()) {
    // The recipient may be UTF-8 under SMTPUTF8 (RFC 6531 §3.7.3 allows it); anything that
    // could break the header is replaced.
    std::string rcpt;
    for (char ch : r.for_rcpt) {
      auto c = static_cast<unsigned char>(ch);
      rcpt +=
          (c < 0x20 || c == 0x7F || c == '<' || c == '>' || (c >= 0x80 && !r.smtputf8)) ? '?' : ch;
    }
    out += "\r\n\tfor <" + rcpt + ">";
  }
  out += "; " + rfc5322_date(r.time) + "\r\n";
  return out;
}

}  // namespace tegami::smtp::server
