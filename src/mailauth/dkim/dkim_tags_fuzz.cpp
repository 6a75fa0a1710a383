// libFuzzer target for the DKIM parsers: tag lists (RFC 6376 §3.2), DKIM-Signature fields
// (§3.5), key records (§3.6.1), and the header splitting and canonicalization (§3.4) that the
// verifier runs on untrusted messages. Checks the offsets the verifier relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailauth/dkim/canon.hpp"
#include "mailauth/dkim/tags.hpp"

using namespace tegami::mailauth::dkim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto tags = parse_tag_list(in); tags.ok()) {
    if (tags->empty() || tags->size() > kMaxTags) std::abort();
    for (const Tag& t : *tags) {
      if (t.raw_begin > t.raw_end || t.raw_end > in.size()) std::abort();
      if (t.name.empty() || t.value.size() > t.raw_end - t.raw_begin) std::abort();
    }
  }

  if (auto sig = parse_signature(in); sig.ok()) {
    if (sig->b_raw_begin > sig->b_raw_end || sig->b_raw_end > in.size()) std::abort();
    if (sig->body_hash.size() != 32 || sig->signature.empty()) std::abort();
    if (sig->domain.empty() || sig->selector.empty() || sig->headers.empty()) std::abort();
    // What the verifier builds: the field with b= emptied, canonicalized both ways.
    std::string self(in.substr(0, sig->b_raw_begin));
    self.append(in.substr(sig->b_raw_end));
    std::string out;
    canon_header(out, "DKIM-Signature:" + self, Canon::kRelaxed, false);
    canon_header(out, "DKIM-Signature:" + self, Canon::kSimple, false);
  }

  (void)parse_key_record(in);

  SplitMessage msg = split_message(in, 4096);
  std::string canon;
  for (const RawField& f : msg.fields) {
    if (f.raw.data() < in.data() || f.raw.data() + f.raw.size() > in.data() + in.size())
      std::abort();
    canon_header(canon, f.raw, Canon::kRelaxed);
    canon_header(canon, f.raw, Canon::kSimple);
  }
  size_t relaxed = 0, simple = 0;
  canon_body(msg.body, Canon::kRelaxed, [&](std::string_view p) { relaxed += p.size(); });
  canon_body(msg.body, Canon::kSimple, [&](std::string_view p) { simple += p.size(); });
  if (relaxed > simple) std::abort();  // relaxed only removes whitespace
  return 0;
}
