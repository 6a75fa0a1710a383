// libFuzzer target: DMARC record parsing (RFC 7489 §6.3, §6.4) and the Authentication-Results
// value sanitiser (RFC 8601 §2.2), with invariants checked (a violation aborts).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailauth/dmarc/auth_results.hpp"
#include "mailauth/dmarc/record.hpp"

namespace {

void fail(int line) {
  std::fprintf(stderr, "dmarc_record_fuzz: invariant at line %d violated\n", line);
  std::abort();
}
#define CHECK(x) \
  if (!(x)) fail(__LINE__)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tegami::dmarc;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto rec = parse_record(raw);
  if (rec) {
    CHECK(is_dmarc_record(raw));
    CHECK(rec->pct >= 0 && rec->pct <= 100);
    if (rec->p_defaulted) CHECK(!rec->rua.empty() && rec->p == Policy::kNone);
  }
  std::string v = ar_value(raw);
  for (char c : v) CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  AuthResultsBuilder b(raw);
  b.spf(tegami::spf::Verdict::kPass, raw, raw).clause(raw);
  std::string h = b.header();
  CHECK(h.size() >= 2 && h.substr(h.size() - 2) == "\r\n");
  // Every CR is the start of a fold.
  for (size_t i = 0; i + 2 < h.size(); ++i)
    if (h[i] == '\r') CHECK(h[i + 1] == '\n' && h[i + 2] == '\t');
  return 0;
}
