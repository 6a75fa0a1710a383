// EHLO and HELO: RFC 5321 §4.1.1.1 ("EHLO" SP ( Domain / address-literal ) CRLF).
// Real clients send names that are not valid domains (Windows machine names with '_', bare
// host names); the name is only recorded (in Received:), so any printable word is accepted.
#include "smtp/proto/parsers.hpp"

namespace tegami::smtp::proto::detail {

ParseResult parse_helo(Verb v, std::string_view args) {
  if (args.empty()) {
    return syntax(
        501, "5.5.4",
        std::string("Syntax: ") + verb_name(v) + " <your host name> (the name is missing)");
  }
  size_t sp = args.find(' ');
  Command c = make_command(v);
  c.arg = std::string(args.substr(0, sp));  // extra words are ignored
  if (c.arg.size() > 255) return syntax(501, "5.5.4", "Syntax error: host name too long");
  return c;
}

}  // namespace tegami::smtp::proto::detail
