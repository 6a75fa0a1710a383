// SPF macro expansion (RFC 7208 §7.2 letters, §7.3 transformers and delimiters, §7.4 examples).
// Pure apart from the %{p} callback.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "mailauth/spf/record.hpp"

namespace tegami::spf {

struct MacroContext {
  std::string sender;                // %{s}: local-part@domain
  std::string local_part;            // %{l}
  std::string sender_domain;         // %{o}
  std::string domain;                // %{d}: the current domain
  IpAddress ip;                      // %{i}, %{v}, %{c}
  std::string helo;                  // %{h}
  std::string receiver = "unknown";  // %{r} (explanations only)
  // %{p}: the validated domain name of the client, or "unknown". Called only when %{p} appears;
  // an error (lookup limit, time budget) ends the expansion with that error.
  std::function<Result<std::string>()> validated_name;
};

// Expands a macro-string. `explanation` allows %{c} %{r} %{t}. kInvalidData on a syntax error,
// or the error of `validated_name`.
// Upper-case letters URL-escape the value (§7.3).
Result<std::string> expand_macros(std::string_view spec, const MacroContext& ctx,
                                  bool explanation = false);

// Expands a domain-spec and makes it usable as a query name: when longer than 253 characters,
// whole labels are removed from the left until it fits (§7.3 last paragraph).
Result<std::string> expand_domain(std::string_view spec, const MacroContext& ctx);

}  // namespace tegami::spf
