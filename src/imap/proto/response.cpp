// Response helpers: RFC 9051 §4.3 (quoted and literal strings), §4.5 (NIL), §9 (flag-list,
// sequence-set, date-time, date), RFC 6855 §3 (UTF-8 quoted strings). Also SequenceSet and
// DateTime member functions from command.hpp.
#include "imap/proto/response.hpp"

#include <algorithm>
#include <cstdio>

#include "base/strings.hpp"
#include "imap/proto/reader.hpp"

namespace tegami::imap::proto {

namespace {

constexpr size_t kMaxQuoted = 1024;  // longer strings go out as literals
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool quotable(std::string_view s, bool utf8) {
  if (s.size() > kMaxQuoted) {
    return false;
  }
  bool eight = false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == 0 || c == '\r' || c == '\n') {
      return false;
    }
    if (c >= 0x80) {
      if (!utf8) {
        return false;
      }
      eight = true;
    }
  }
  return !eight || is_valid_utf8(s);
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

// Days since 1970-01-01 for a proleptic Gregorian date (the standard era-based formula).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2));
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
    return 29;
  }
  return kDays[m - 1];
}

int month_from_name(std::string_view s) {
  for (int i = 0; i < 12; ++i) {
    if (iequals(s, kMonths[i])) {
      return i + 1;
    }
  }
  return 0;
}

bool digits(std::string_view s, size_t n, int& out) {
  if (s.size() != n) {
    return false;
  }
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// "d-Mon-yyyy" / "dd-Mon-yyyy"
std::optional<Date> parse_date_text(std::string_view s) {
  size_t d1 = s.find('-');
  if (d1 == std::string_view::npos || d1 == 0 || d1 > 2) {
    return std::nullopt;
  }
  Date d;
  if (!digits(s.substr(0, d1), d1, d.day)) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(d1 + 1);
  if (rest.size() != 8 || rest[3] != '-') {
    return std::nullopt;
  }
  d.month = month_from_name(rest.substr(0, 3));
  if (!d.month || !digits(rest.substr(4), 4, d.year)) {
    return std::nullopt;
  }
  if (d.day < 1 || d.day > days_in_month(d.year, d.month)) {
    return std::nullopt;
  }
  return d;
}

}  // namespace

// --- SequenceSet / DateTime -------------------------------------------------------------------

std::vector<std::pair<uint32_t, uint32_t>> SequenceSet::resolve(uint32_t largest) const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) {
    uint32_t a = r.first == kStar ? largest : r.first;
    uint32_t b = r.last == kStar ? largest : r.last;
    if (a > b) {
      std::swap(a, b);
    }
    out.emplace_back(a, b);
  }
  return out;
}

bool SequenceSet::contains(uint32_t n, uint32_t largest) const {
  for (const auto& [a, b] : resolve(largest)) {
    if (n >= a && n <= b) {
      return true;
    }
  }
  return false;
}

std::vector<std::pair<uint32_t, uint32_t>> SequenceSet::merged(uint32_t largest) const {
  auto v = resolve(largest);
  std::sort(v.begin(), v.end());
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const auto& r : v) {
    if (!out.empty() && (out.back().second == UINT32_MAX || r.first <= out.back().second + 1)) {
      out.back().second = std::max(out.back().second, r.second);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

int64_t DateTime::to_unix() const {
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         int64_t{hour} * 3600 + int64_t{minute} * 60 + second - int64_t{tz_minutes} * 60;
}

// --- strings ----------------------------------------------------------------------------------

std::string literal(std::string_view s) {
  std::string out = "{" + std::to_string(s.size()) + "}\r\n";
  out.append(s);
  return out;
}

std::string quote_string(std::string_view s) { return quotable(s, false) ? quote(s) : literal(s); }
std::string quote_string_utf8(std::string_view s) {
  return quotable(s, true) ? quote(s) : literal(s);
}

std::string nstring(const std::optional<std::string>& s) {
  return s ? quote_string(*s) : std::string("NIL");
}
std::string nstring_utf8(const std::optional<std::string>& s) {
  return s ? quote_string_utf8(*s) : std::string("NIL");
}

std::string astring(std::string_view s) {
  bool bare = !s.empty() && !iequals(s, "NIL");
  for (char c : s) {
    if (!detail::is_astring_char(static_cast<unsigned char>(c))) {
      bare = false;
    }
  }
  return bare ? std::string(s) : quote_string(s);
}

std::string flag_list(const std::vector<std::string>& flags) {
  std::string out = "(";
  for (size_t i = 0; i < flags.size(); ++i) {
    if (i) {
      out += ' ';
    }
    out += flags[i];
  }
  out += ')';
  return out;
}

// --- sequence sets ----------------------------------------------------------------------------

std::string sequence_set_string(std::span<const uint32_t> sorted) {
  std::string out;
  size_t i = 0;
  while (i < sorted.size()) {
    uint32_t first = sorted[i], last = first;
    size_t j = i + 1;
    while (j < sorted.size() && (sorted[j] == last || sorted[j] == last + 1)) {
      last = sorted[j++];
    }
    if (!out.empty()) {
      out += ',';
    }
    out += std::to_string(first);
    if (last != first) {
      out += ":" + std::to_string(last);
    }
    i = j;
  }
  return out;
}

std::string sequence_set_string(const SequenceSet& set) {
  if (set.saved) {
    return "$";
  }
  std::string out;
  auto num = [](uint32_t n) { return n == kStar ? std::string("*") : std::to_string(n); };
  for (const auto& r : set.ranges) {
    if (!out.empty()) {
      out += ',';
    }
    out += num(r.first);
    if (r.last != r.first) {
      out += ":" + num(r.last);
    }
  }
  return out;
}

// --- dates ------------------------------------------------------------------------------------

std::string format_date_time(const DateTime& dt) {
  char buf[64];
  int tz = dt.tz_minutes;
  char sign = tz < 0 ? '-' : '+';
  if (tz < 0) {
    tz = -tz;
  }
  int month = std::clamp(dt.month, 1, 12);
  std::snprintf(buf, sizeof buf, "%2d-%s-%04d %02d:%02d:%02d %c%02d%02d", dt.day,
                kMonths[month - 1], dt.year, dt.hour, dt.minute, dt.second, sign, tz / 60, tz % 60);
  return buf;
}

std::string format_date_time_quoted(const DateTime& dt) {
  return "\"" + format_date_time(dt) + "\"";
}

DateTime date_time_from_unix(int64_t unix_seconds, int tz_minutes) {
  int64_t local = unix_seconds + static_cast<int64_t>(tz_minutes) * 60;
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t secs = local - days * 86400;
  DateTime dt;
  civil_from_days(days, dt.year, dt.month, dt.day);
  dt.hour = static_cast<int>(secs / 3600);
  dt.minute = static_cast<int>(secs / 60 % 60);
  dt.second = static_cast<int>(secs % 60);
  dt.tz_minutes = tz_minutes;
  return dt;
}

std::optional<DateTime> parse_date_time(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  if (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);  // date-day-fixed " 7"
  }
  size_t sp1 = s.find(' ');
  if (sp1 == std::string_view::npos) {
    return std::nullopt;
  }
  auto d = parse_date_text(s.substr(0, sp1));
  if (!d) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(sp1 + 1);
  // "hh:mm:ss +zzzz"
  if (rest.size() != 14 || rest[2] != ':' || rest[5] != ':' || rest[8] != ' ') {
    return std::nullopt;
  }
  DateTime dt;
  dt.year = d->year;
  dt.month = d->month;
  dt.day = d->day;
  int zh, zm;
  if (!digits(rest.substr(0, 2), 2, dt.hour) || !digits(rest.substr(3, 2), 2, dt.minute) ||
      !digits(rest.substr(6, 2), 2, dt.second) || (rest[9] != '+' && rest[9] != '-') ||
      !digits(rest.substr(10, 2), 2, zh) || !digits(rest.substr(12, 2), 2, zm)) {
    return std::nullopt;
  }
  if (dt.hour > 23 || dt.minute > 59 || dt.second > 60 || zm > 59) {
    return std::nullopt;
  }
  dt.tz_minutes = (zh * 60 + zm) * (rest[9] == '-' ? -1 : 1);
  return dt;
}

std::optional<Date> parse_date(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  return parse_date_text(s);
}

std::string format_date(const Date& d) {
  int month = std::clamp(d.month, 1, 12);
  return std::to_string(d.day) + "-" + kMonths[month - 1] + "-" + std::to_string(d.year);
}

}  // namespace tegami::imap::proto
