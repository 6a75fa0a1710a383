// A TOML subset reader that keeps line numbers, so `tegami check-config` can name the bad key
// and its line. Supports: comments, [table] and [a.b] headers, bare and quoted keys, basic and
// literal strings, integers (with _ separators), booleans, and arrays (of those, multi-line).
// Not supported (rejected with a clear error): inline tables, arrays of tables, dates, floats.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"

namespace tegami::config {

struct Value;
using Array = std::vector<Value>;

struct Value {
  std::variant<std::string, int64_t, bool, Array> v;
  int line = 0;
  const char* type_name() const;
};

// Keys are flattened with dots: "limits.message_size".
using Table = std::map<std::string, Value>;

// A [table] header: its name and the line it is on.
struct TableHeader {
  std::string name;
  int line = 0;
};

// Parse error messages have the form "line N: ...". `tables` (when given) gets each [table]
// header, in order, so that an empty table is seen too.
Result<Table> parse_toml(std::string_view text, std::vector<TableHeader>* tables = nullptr);

}  // namespace tegami::config
