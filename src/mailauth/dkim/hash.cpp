// RFC 6376 §3.7 (computing the message hashes), §5.4.2 (signatures involving multiple instances
// of a field), §3.5 l= (body length count).
#include "mailauth/dkim/hash.hpp"

#include "base/strings.hpp"
#include "mailauth/dkim/keys.hpp"

namespace tegami::mailauth::dkim {

BodyHash body_hash(std::string_view body, Canon c, std::optional<uint64_t> limit) {
  Sha256 h;
  BodyHash out;
  uint64_t hashed = 0;
  canon_body(body, c, [&](std::string_view piece) {
    out.canonical_size += piece.size();
    if (limit) {
      if (hashed >= *limit) return;
      if (piece.size() > *limit - hashed) piece = piece.substr(0, *limit - hashed);
    }
    hashed += piece.size();
    h.update(piece);
  });
  out.digest = h.finish();
  return out;
}

HeaderIndex::HeaderIndex(const std::vector<RawField>& fields) : fields_(fields) {
  for (size_t i = 0; i < fields.size(); ++i) by_name_[ascii_lower(fields[i].name)].push_back(i);
}

size_t HeaderIndex::count(const std::string& lower_name) const {
  auto it = by_name_.find(lower_name);
  return it == by_name_.end() ? 0 : it->second.size();
}

void HeaderIndex::append_signed(std::string& out, const std::vector<std::string>& h,
                                Canon c) const {
  std::unordered_map<std::string_view, size_t> used;
  for (const std::string& name : h) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) continue;
    size_t& n = used[name];
    if (n >= it->second.size()) continue;  // no instance left: the null string
    ++n;
    canon_header(out, fields_[it->second[it->second.size() - n]].raw, c);
  }
}

}  // namespace tegami::mailauth::dkim
