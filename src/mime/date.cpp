// RFC 5322 §3.3 and §4.3 dates. Tokens are classified rather than parsed positionally, so
// "Mon, 3 Jan 2022 10:00:00 +0900", "3 Jan 22 10:00 GMT" and "Mon Jan  3 10:00:00 2022" all work.
#include "mime/date.hpp"

#include <string>
#include <vector>

#include "base/strings.hpp"
#include "mime/header.hpp"

namespace tegami::mime {
namespace {

int month_index(std::string_view w) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  if (w.size() < 3) {
    return -1;
  }
  for (int m = 0; m < 12; ++m) {
    if (iequals(w.substr(0, 3), kMonths[m])) {
      return m + 1;
    }
  }
  return -1;
}

// Zone names of RFC 5322 §4.3, in minutes east of UTC; military letters count as 0 (§4.3).
bool zone_name(std::string_view w, int& minutes) {
  struct Z {
    std::string_view name;
    int minutes;
  };
  static constexpr Z kZones[] = {{"ut", 0},     {"utc", 0},    {"gmt", 0},    {"z", 0},
                                 {"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
                                 {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
                                 {"jst", 540},  {"cet", 60},   {"cest", 120}, {"bst", 60}};
  for (const auto& z : kZones) {
    if (iequals(w, z.name)) {
      minutes = z.minutes;
      return true;
    }
  }
  if (w.size() == 1 && ((w[0] >= 'a' && w[0] <= 'z') || (w[0] >= 'A' && w[0] <= 'Z'))) {
    minutes = 0;
    return true;
  }
  return false;
}

bool all_digits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> parse_date(std::string_view value) {
  std::string s = strip_comments(value.substr(0, 512));
  // Tokens: split on whitespace and commas; keep "+0900" and "10:00:00" whole.
  std::vector<std::string_view> tokens;
  std::string_view v = s;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() &&
           (v[i] == ' ' || v[i] == '\t' || v[i] == ',' || v[i] == '\r' || v[i] == '\n')) {
      ++i;
    }
    size_t start = i;
    while (i < v.size() &&
           !(v[i] == ' ' || v[i] == '\t' || v[i] == ',' || v[i] == '\r' || v[i] == '\n')) {
      ++i;
    }
    if (i > start) {
      tokens.push_back(v.substr(start, i - start));
    }
  }
  int day = -1, month = -1, hour = -1, minute = 0, second = 0, zone = 0;
  int64_t year = -1;
  bool have_zone = false;
  for (auto t : tokens) {
    if (t.find(':') != std::string_view::npos && hour < 0) {
      auto parts = split(t, ':');
      if (parts.size() < 2 || parts.size() > 3) {
        continue;
      }
      auto h = parse_u64(parts[0]), m = parse_u64(parts[1]);
      auto sec = parts.size() == 3 ? parse_u64(parts[2].substr(0, 2)) : std::optional<uint64_t>(0);
      if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) {
        continue;
      }
      hour = static_cast<int>(*h), minute = static_cast<int>(*m), second = static_cast<int>(*sec);
      continue;
    }
    if ((t[0] == '+' || t[0] == '-') && t.size() == 5 && all_digits(t.substr(1)) && !have_zone) {
      int hh = (t[1] - '0') * 10 + (t[2] - '0'), mm = (t[3] - '0') * 10 + (t[4] - '0');
      zone = (hh * 60 + mm) * (t[0] == '-' ? -1 : 1);
      have_zone = true;
      continue;
    }
    if (all_digits(t)) {
      auto n = parse_u64(t.substr(0, 9));
      if (!n) {
        continue;
      }
      if (t.size() <= 2 && day < 0 && *n >= 1 && *n <= 31) {
        day = static_cast<int>(*n);
      } else if (year < 0 && t.size() <= 4) {
        year = static_cast<int64_t>(*n);
        if (t.size() <= 2) {
          year += year < 50 ? 2000 : 1900;  // RFC 5322 §4.3
        } else if (t.size() == 3) {
          year += 1900;
        }
      }
      continue;
    }
    if (int m = month_index(t); m > 0 && month < 0) {
      month = m;
      continue;
    }
    int z;
    if (!have_zone && hour >= 0 && zone_name(t, z)) {
      zone = z;
      have_zone = true;
    }
  }
  if (day < 0 || month < 0 || year < 0 || hour < 0) {
    return std::nullopt;
  }
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second - int64_t{zone} * 60;
}

}  // namespace tegami::mime
