#include "log/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "base/clock.hpp"
#include "base/strings.hpp"

namespace tegami::log {
namespace {
std::atomic<int> g_min{static_cast<int>(Level::kInfo)};
std::mutex g_mu;

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}
}  // namespace

void set_min_level(Level l) { g_min = static_cast<int>(l); }

std::string quote(std::string_view v) {
  bool plain = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) plain = false;
  if (plain) return std::string(v);
  std::string r = "\"";
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      r += '\\';
      r += static_cast<char>(c);
    } else if (c < ' ' || c == 0x7f) {
      static const char* d = "0123456789abcdef";
      r += "\\x";
      r += d[c >> 4];
      r += d[c & 15];
    } else {
      r += static_cast<char>(c);
    }
  }
  return r + "\"";
}

void write(Level l, std::string_view event, std::initializer_list<Field> fields) {
  if (static_cast<int>(l) < g_min.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[40];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  std::string line = "ts=";
  line += ts;
  line += " level=";
  line += level_name(l);
  line += " event=";
  line += quote(event);
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    line += quote(v);
  }
  line += '\n';
  std::lock_guard lk(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string new_error_id() { return hex_encode(random_bytes(4)); }

}  // namespace tegami::log
