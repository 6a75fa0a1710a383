// RFC 5322 §3.3 date-time with the obsolete forms of §4.3 (two- and three-digit years, zone
// names UT/GMT/EST..PDT, military zones, missing weekday, comments), plus asctime() order.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tegami::mime {

// Unix seconds (UTC), or nullopt when no day, month, year and time can be found.
std::optional<int64_t> parse_date(std::string_view value);

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

}  // namespace tegami::mime
