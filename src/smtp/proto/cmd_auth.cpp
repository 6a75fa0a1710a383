// AUTH: RFC 4954 §4 ("AUTH" SP sasl-mech [SP initial-response], initial-response = base64 / "="),
// mechanism names per RFC 4422 §3.1 (1*20 of upper-case letters, digits, '-' and '_').
#include "base/strings.hpp"
#include "smtp/proto/limits.hpp"
#include "smtp/proto/parsers.hpp"

namespace tegami::smtp::proto::detail {

ParseResult parse_auth(std::string_view args) {
  size_t sp = args.find(' ');
  std::string_view mech = args.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view{} : args.substr(sp + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (mech.empty() || mech.size() > kMaxSaslMech)
    return syntax(501, "5.5.4", "Syntax: AUTH <mechanism> [initial-response]");
  for (char ch : mech) {
    auto c = static_cast<unsigned char>(ch);
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return syntax(501, "5.5.4", "Syntax: AUTH <mechanism> [initial-response]");
  }
  Command c = make_command(Verb::kAuth);
  c.arg = ascii_upper(mech);
  if (!rest.empty()) {
    if (rest.find(' ') != std::string_view::npos)
      return syntax(501, "5.5.4", "Syntax: AUTH <mechanism> [initial-response]");
    if (rest != "=") {
      for (char ch : rest) {
        auto b = static_cast<unsigned char>(ch);
        bool ok = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                  b == '+' || b == '/' || b == '=';
        if (!ok) return syntax(501, "5.5.2", "Initial response is not base64");
      }
    }
    c.initial = std::string(rest);
    c.has_initial = true;
  }
  return c;
}

}  // namespace tegami::smtp::proto::detail
