// libFuzzer target: the whole delivery-time parse (index::build) plus the mime/ parsers on
// their own, with the structure invariants checked (a violation aborts).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "index/message_index.hpp"
#include "mime/address.hpp"
#include "mime/charset.hpp"
#include "mime/date.hpp"
#include "mime/encoding.hpp"
#include "mime/header.hpp"
#include "mime/structure.hpp"

namespace {

void fail(int line) {
  std::fprintf(stderr, "mime_fuzz: invariant at line %d violated\n", line);
  std::abort();
}
#define CHECK(x)      \
  do {                \
    if (!(x)) {       \
      fail(__LINE__); \
    }                 \
  } while (false)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tegami;
  std::string_view raw(reinterpret_cast<const char*>(data), size);

  index::MessageIndex idx = index::build(raw);
  auto parts = index::decode_parts(idx.parts);
  CHECK(!parts.empty() && parts[0].section.empty());
  for (const auto& p : parts) {
    CHECK(p.header_start <= p.body_start && p.body_start <= p.body_end && p.body_end <= size);
    for (auto what : {index::SectionText::kAll, index::SectionText::kHeader,
                      index::SectionText::kText, index::SectionText::kMime}) {
      if (auto r = index::section_range(parts, p.section, what)) {
        CHECK(r->begin <= r->end && r->end <= size);
      }
    }
  }
  CHECK(mime::sanitize_utf8(idx.subject) == idx.subject);
  CHECK(mime::sanitize_utf8(idx.search_body) == idx.search_body);

  mime::Structure st = mime::scan(raw);
  for (const auto& p : st.parts) {
    CHECK(p.header_start <= p.body_start && p.body_start <= p.body_end && p.body_end <= size);
    if (p.parent != mime::Part::kNone) {
      CHECK(p.body_end <= st.parts[p.parent].body_end);
    }
  }

  // The header-level parsers on arbitrary text (the input is used as a header value).
  std::string_view value = raw.substr(0, 4096);
  (void)mime::parse_address_list(value);
  (void)mime::parse_date(value);
  (void)mime::parse_content_type(value);
  (void)mime::decode_rfc2047(value, "shift_jis");
  (void)mime::decode_quoted_printable(value);
  (void)mime::fold_contains(mime::fold_case(value), value.substr(0, 8));
  (void)index::filter_header_fields(value, {"subject", "from"}, false);
  return 0;
}
