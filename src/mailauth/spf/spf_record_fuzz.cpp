// libFuzzer target: the SPF record parser (RFC 7208 §4.6, §12) and macro expansion (§7) on
// arbitrary input, with invariants checked (a violation aborts). Needs no DNS: record.cpp and
// macro.cpp are pure, so only those objects are linked from tegami_spf.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailauth/spf/macro.hpp"
#include "mailauth/spf/record.hpp"

namespace {

void fail(int line) {
  std::fprintf(stderr, "spf_record_fuzz: invariant at line %d violated\n", line);
  std::abort();
}
#define CHECK(x) \
  if (!(x)) fail(__LINE__)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tegami::spf;
  std::string_view raw(reinterpret_cast<const char*>(data), size);

  auto rec = parse_record(raw);
  if (rec) {
    CHECK(is_spf_record(raw));
    MacroContext ctx;
    ctx.sender = "strong-bad@email.example.com";
    ctx.local_part = "strong-bad";
    ctx.sender_domain = "email.example.com";
    ctx.domain = "email.example.com";
    ctx.ip = *parse_ip("2001:db8::cb01");
    ctx.helo = "mx.example.org";
    for (const auto& m : rec->mechanisms) {
      CHECK(m.cidr4 >= 0 && m.cidr4 <= 32);
      CHECK(m.cidr6 >= 0 && m.cidr6 <= 128);
      CHECK(!m.text.empty());
      if (!m.domain_spec.empty()) {
        CHECK(valid_domain_spec(m.domain_spec));
        auto d = expand_domain(m.domain_spec, ctx);
        if (d) CHECK(d->size() <= 253);
      }
    }
    if (rec->redirect) CHECK(expand_macros(*rec->redirect, ctx).ok());
  }
  // The macro expander on its own.
  MacroContext ctx;
  ctx.ip = *parse_ip("192.0.2.3");
  ctx.domain = "example.com";
  auto e = expand_macros(raw, ctx, size % 2 == 0);
  if (e) CHECK(valid_macro_string(raw, size % 2 == 0));
  (void)parse_ip(raw);
  return 0;
}
