// BDAT: RFC 3030 §2 ("BDAT" SP chunk-size [ SP end-marker ] CRLF, chunk-size = 1*DIGIT,
// end-marker = "LAST").
#include "base/strings.hpp"
#include "smtp/proto/parsers.hpp"

namespace tegami::smtp::proto::detail {

ParseResult parse_bdat(std::string_view args) {
  size_t sp = args.find(' ');
  std::string_view size = args.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view{} : args.substr(sp + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto n = parse_u64(size);
  if (!n) return syntax(501, "5.5.4", "Syntax: BDAT <size> [LAST] (the size is not a number)");
  Command c = make_command(Verb::kBdat);
  c.chunk_size = *n;
  if (!rest.empty()) {
    if (!iequals(rest, "LAST")) return syntax(501, "5.5.4", "Syntax: BDAT <size> [LAST]");
    c.last = true;
  }
  return c;
}

}  // namespace tegami::smtp::proto::detail
