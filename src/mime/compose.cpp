#include "mime/compose.hpp"

#include <cstdio>
#include <ctime>

#include "base/clock.hpp"
#include "base/strings.hpp"

namespace tegami::mime {
namespace {

bool plain_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

// Length of the UTF-8 sequence starting with `c` (1 for stray continuation bytes).
std::size_t seq_len(unsigned char c) {
  if (c >= 0xf0) return 4;
  if (c >= 0xe0) return 3;
  if (c >= 0xc0) return 2;
  return 1;
}

}  // namespace

std::string encode_header_text(std::string_view s, std::size_t field_len) {
  if (plain_ascii(s) && field_len + s.size() <= 78) return std::string(s);
  // "=?UTF-8?B?" + base64 + "?=" <= 75: at most 45 bytes of text per word (60 base64 chars).
  constexpr std::size_t kMaxBytes = 45;
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t end = i;
    while (end < s.size()) {
      std::size_t n = seq_len(static_cast<unsigned char>(s[end]));
      if (end + n - i > kMaxBytes) break;
      end += n;
    }
    if (end == i) end = std::min(s.size(), i + kMaxBytes);  // malformed: cut anyway
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(s.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string format_date(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string base64_lines(std::string_view bytes) {
  std::string b = base64_encode(bytes);
  std::string out;
  out.reserve(b.size() + b.size() / 76 * 2 + 2);
  for (std::size_t i = 0; i < b.size(); i += 76) {
    out.append(b, i, 76);
    out += "\r\n";
  }
  return out;
}

std::string compose_notice(std::string_view from, std::string_view to, std::string_view subject,
                           std::string_view body, int64_t date, std::string_view host) {
  std::string m;
  m += "Date: " + format_date(date) + "\r\n";
  m += "From: " + std::string(from) + "\r\n";
  m += "To: " + std::string(to) + "\r\n";
  m += "Subject: " + encode_header_text(subject) + "\r\n";
  m += "Message-ID: <" + hex_encode(random_bytes(12)) + "@" + std::string(host) + ">\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n\r\n";
  std::string crlf;
  for (char c : body) {
    if (c == '\n' && (crlf.empty() || crlf.back() != '\r')) crlf += '\r';
    crlf += c;
  }
  m += base64_lines(crlf);
  return m;
}

}  // namespace tegami::mime
