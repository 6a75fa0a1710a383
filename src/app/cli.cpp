#include "app/cli.hpp"

#include <algorithm>
#include <cstdlib>

namespace tegami::app {

bool Args::flag(const std::string& name) const {
  return std::find(flags.begin(), flags.end(), name) != flags.end();
}

std::optional<std::string> Args::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::optional<Args> parse_args(int argc, char** argv, int first,
                               const std::vector<std::string>& value_options, std::string& error) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string w = argv[i];
    if (w.rfind("--", 0) != 0 || w == "--") {
      a.words.push_back(w);
      continue;
    }
    std::string name = w.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    bool takes = std::find(value_options.begin(), value_options.end(), name) != value_options.end();
    if (takes) {
      if (!has_value) {
        if (i + 1 >= argc) {
          error = "--" + name + " needs a value";
          return std::nullopt;
        }
        value = argv[++i];
      }
      a.options[name] = value;
    } else {
      if (has_value) {
        error = "--" + name + " takes no value";
        return std::nullopt;
      }
      a.flags.push_back(name);
    }
  }
  return a;
}

std::string system_language() {
  for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}) {
    const char* v = std::getenv(var);
    if (v && *v) return std::string(v).rfind("ja", 0) == 0 ? "ja" : "en";
  }
  return "en";
}

}  // namespace tegami::app
