// Command-line parsing shared by the subcommands: positional words and --flags.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tegami::app {

struct Args {
  std::vector<std::string> words;              // positional arguments, in order
  std::map<std::string, std::string> options;  // --name value / --name=value
  std::vector<std::string> flags;              // --name without a value

  bool flag(const std::string& name) const;
  std::optional<std::string> option(const std::string& name) const;
};

// `value_options` lists the options that take a value; every other --x is a flag.
// Returns nullopt and writes a message to `error` on a malformed command line.
std::optional<Args> parse_args(int argc, char** argv, int first,
                               const std::vector<std::string>& value_options, std::string& error);

// "ja" when the system language (LC_ALL, LC_MESSAGES, LANG) is Japanese, else "en".
std::string system_language();

}  // namespace tegami::app
