// libFuzzer: MTA-STS input from the network (RFC 8461): the TXT record, the policy file, and
// MX pattern matching against host names taken from the same input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smtp/client/mta_sts.hpp"

using namespace tegami::smtp::client;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)parse_sts_txt(in);
  auto p = parse_sts_policy(in);
  if (p.ok()) {
    if (p->max_age < 0) std::abort();
    for (const auto& mx : p->mx) (void)sts_mx_matches(*p, mx);
    size_t nl = in.rfind('\n');
    (void)sts_mx_matches(*p, in.substr(nl == std::string_view::npos ? 0 : nl + 1));
  }
  return 0;
}
