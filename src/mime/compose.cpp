#include "mime/compose.hpp"

#include <cstdio>
#include <ctime>
#include <vector>

#include "base/clock.hpp"
#include "base/strings.hpp"

namespace tegami::mime {
namespace {

// Words of at most 64 characters: "=?UTF-8?B?" + 52 base64 characters + "?=" (39 bytes).
std::vector<std::string> encoded_words(std::string_view utf8) {
  constexpr std::size_t kMaxBytes = 39;
  std::vector<std::string> out;
  while (!utf8.empty()) {
    std::string_view chunk = utf8_prefix(utf8, kMaxBytes);
    if (chunk.empty()) chunk = utf8.substr(0, 1);
    out.push_back("=?UTF-8?B?" + base64_encode(chunk) + "?=");
    utf8.remove_prefix(chunk.size());
  }
  return out;
}

}  // namespace

std::string encode_header_text(std::string_view in, std::size_t used) {
  constexpr std::size_t kMaxLine = 76;
  std::string text(in);
  for (char& ch : text)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
  std::vector<std::string_view> words = split(text, ' ');
  auto needs_encoding = [](std::string_view w) {
    return !is_ascii(w) || w.find("=?") != std::string_view::npos || w.size() > 60;
  };
  std::string out;
  std::size_t line = used;
  bool first = true;
  auto put = [&](const std::string& atom) {
    if (!first) {
      if (line + 1 + atom.size() > kMaxLine) {
        out += "\r\n";
        line = 0;
      }
      out += ' ';
      ++line;
    }
    first = false;
    out += atom;
    line += atom.size();
  };
  for (std::size_t i = 0; i < words.size();) {
    if (words[i].empty()) {
      ++i;
      continue;
    }
    if (!needs_encoding(words[i])) {
      put(std::string(words[i]));
      ++i;
      continue;
    }
    // The run: this word and the following ones that need encoding, with the spaces between.
    std::size_t j = i + 1;
    while (j < words.size() && (words[j].empty() || needs_encoding(words[j]))) ++j;
    const char* run_begin = words[i].data();
    const char* run_end = words[j - 1].data() + words[j - 1].size();
    std::string_view run(run_begin, static_cast<std::size_t>(run_end - run_begin));
    for (const std::string& w : encoded_words(trim(run))) put(w);
    i = j;
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

std::string to_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (ch == '\n') {
      out += "\r\n";
    } else {
      out += ch;
    }
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
  m += base64_lines(to_crlf(body));
  return m;
}

}  // namespace tegami::mime
