// Response-building helpers (no I/O): strings, flag lists, sequence sets, dates.
//
// RFC 9051 §4.3 (strings: quoted and literal), §4.5 (NIL), §7 and §9 (formal syntax: flag-list,
// sequence-set, date-time), RFC 6855 §3 (UTF-8 in quoted strings), RFC 3516 (literal8).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"

namespace tegami::imap::proto {

// A string as an IMAP string: "quoted" (with \" and \\ escapes) when it is short printable ASCII
// without CR/LF/NUL, a literal "{n}\r\n..." otherwise.
std::string quote_string(std::string_view s);
// Same, but valid UTF-8 may also be quoted (RFC 9051 / UTF8=ACCEPT clients).
std::string quote_string_utf8(std::string_view s);
// NIL for nullopt, else quote_string().
std::string nstring(const std::optional<std::string>& s);
std::string nstring_utf8(const std::optional<std::string>& s);
// An astring: the bare atom when safe (letters, digits, atom chars), else quote_string().
std::string astring(std::string_view s);
// Always a literal "{n}\r\n" + s (message bodies).
std::string literal(std::string_view s);

// "(\Seen \Answered $Forwarded)"; "()" for none.
std::string flag_list(const std::vector<std::string>& flags);

// Sorted ascending numbers (duplicates allowed) -> "1:3,7,9:12". Empty input -> "".
std::string sequence_set_string(std::span<const uint32_t> sorted);
// A parsed set back to text ("1:*", "$").
std::string sequence_set_string(const SequenceSet& set);

// "17-Jul-1996 02:44:25 -0700" (RFC 9051 date-time without the quotes; day padded with space
// per the grammar: " 7-Jul-1996 ..."; use format_date_time_quoted for the wire form).
std::string format_date_time(const DateTime& dt);
std::string format_date_time_quoted(const DateTime& dt);  // with surrounding quotes
// Unix seconds and an offset in minutes -> DateTime.
DateTime date_time_from_unix(int64_t unix_seconds, int tz_minutes = 0);
// Parse "17-Jul-1996 02:44:25 -0700" (with or without quotes; day may be " 7" or "7" or "07").
std::optional<DateTime> parse_date_time(std::string_view s);
// "1-Feb-1994" -> Date (date-text; optionally quoted).
std::optional<Date> parse_date(std::string_view s);
std::string format_date(const Date& d);  // "1-Feb-1994"

}  // namespace tegami::imap::proto
