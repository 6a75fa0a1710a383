// Internal: one parser per command verb (cmd_*.cpp), called by parse_command().
#pragma once

#include <string_view>
#include <vector>

#include "smtp/proto/command.hpp"

namespace tegami::smtp::proto::detail {

SyntaxError syntax(int code, std::string_view enhanced, std::string_view text);

// `args` is what follows the verb, leading and trailing spaces removed.
ParseResult parse_helo(Verb v, std::string_view args);
ParseResult parse_mail(std::string_view args);
ParseResult parse_rcpt(std::string_view args, const ParseOptions& opt);
ParseResult parse_bdat(std::string_view args);
ParseResult parse_auth(std::string_view args);

// RFC 5321 §4.1.2: esmtp-param = esmtp-keyword ["=" esmtp-value], separated by SP.
struct Param {
  std::string_view key;
  std::string_view value;
  bool has_value = false;
};
// False on a malformed keyword or value (the reply names `bad`).
bool split_params(std::string_view s, std::vector<Param>& out, std::string_view& bad);

// "FROM:" / "TO:" then optional spaces then the path, then the parameters.
// Returns the text after the prefix, or nullopt when the prefix is missing.
std::optional<std::string_view> after_prefix(std::string_view args, std::string_view prefix);

}  // namespace tegami::smtp::proto::detail
