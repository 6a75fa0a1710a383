// Structured logging: one line per event, logfmt key=value (DESIGN.md §6).
// Never pass passwords, app passwords, TOTP codes, cookies or message bodies.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tegami::log {

enum class Level { kDebug, kInfo, kWarn, kError };

using Field = std::pair<std::string_view, std::string_view>;

void set_min_level(Level l);
void write(Level l, std::string_view event, std::initializer_list<Field> fields);

inline void info(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, event, f);
}
inline void warn(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, event, f);
}
inline void error(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Level::kError, event, f);
}
inline void debug(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Level::kDebug, event, f);
}

// A short unique id for correlating an "internal error, id ..." reply with its log line.
std::string new_error_id();

// logfmt value quoting (exposed for tests).
std::string quote(std::string_view v);

}  // namespace tegami::log
