// RFC 6376 §3.2 (tag lists), §3.5 (DKIM-Signature tags), §3.6.1 (key records); RFC 8463 §3-§4
// (ed25519-sha256, k=ed25519); RFC 8301 §3.1 (rsa-sha1 not accepted).
#include "mailauth/dkim/tags.hpp"

#include <limits>

#include "base/strings.hpp"

namespace tegami::mailauth::dkim {
namespace {

bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
// VALCHAR = %x21-3A / %x3C-7E; UTF-8 allowed for RFC 8616 (EAI) identities.
bool is_valchar(unsigned char c) { return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80; }

Error syntax(std::string msg) { return make_error(Errc::kInvalidData, std::move(msg)); }
Error unsupported(std::string msg) { return make_error(Errc::kPerm, std::move(msg)); }

const Tag* find_tag(const std::vector<Tag>& tags, std::string_view name) {
  for (const Tag& t : tags)
    if (t.name == name) return &t;
  return nullptr;
}

// Digits only, at most `max_digits`; larger values saturate at the maximum of uint64_t.
std::optional<uint64_t> parse_decimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  uint64_t v = 0;
  for (unsigned char c : s) {
    if (!is_digit(c)) return std::nullopt;
    uint64_t d = c - '0';
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) {
      v = std::numeric_limits<uint64_t>::max();
    } else {
      v = v * 10 + d;
    }
  }
  return v;
}

}  // namespace

bool is_valid_domain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (unsigned char c : s) {
    if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.')) return false;
    if (c == '.' && prev == '.') return false;
    prev = static_cast<char>(c);
  }
  return true;
}

namespace {

// Colon-separated list with FWS allowed around the items; empty items are errors.
std::optional<std::vector<std::string>> colon_list(std::string_view value, size_t max_items) {
  std::vector<std::string> out;
  std::string stripped = strip_fws(value);
  for (std::string_view item : split(stripped, ':')) {
    if (item.empty() || out.size() >= max_items) return std::nullopt;
    out.emplace_back(item);
  }
  return out;
}

bool list_has(const std::vector<std::string>& list, std::string_view want) {
  for (const auto& s : list)
    if (iequals(s, want)) return true;
  return false;
}

std::optional<std::string> decode_b64(std::string_view value) {
  std::string s = strip_fws(value);
  if (s.empty()) return std::string();
  return base64_decode(s);
}

std::optional<Canon> canon_from(std::string_view s) {
  if (iequals(s, "simple")) return Canon::kSimple;
  if (iequals(s, "relaxed")) return Canon::kRelaxed;
  return std::nullopt;
}

}  // namespace

std::string strip_fws(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s)
    if (!is_ws(c)) out.push_back(static_cast<char>(c));
  return out;
}

Result<std::vector<Tag>> parse_tag_list(std::string_view text) {
  std::vector<Tag> tags;
  size_t pos = 0;
  const size_t n = text.size();
  auto skip_ws = [&] {
    while (pos < n && is_ws(text[pos])) ++pos;
  };
  while (true) {
    skip_ws();
    if (pos == n) {
      if (tags.empty()) return syntax("empty tag list");
      break;  // end, possibly after a trailing ";"
    }
    size_t name_begin = pos;
    if (!is_alpha(text[pos])) return syntax("bad tag name at offset " + std::to_string(pos));
    while (pos < n && (is_alpha(text[pos]) || is_digit(text[pos]) || text[pos] == '_')) ++pos;
    std::string_view name = text.substr(name_begin, pos - name_begin);
    skip_ws();
    if (pos == n || text[pos] != '=')
      return syntax("tag \"" + std::string(name) + "\" has no \"=\"");
    ++pos;
    size_t raw_begin = pos;
    while (pos < n && text[pos] != ';') {
      unsigned char c = text[pos];
      if (!is_ws(c) && !is_valchar(c))
        return syntax("bad character in the value of tag \"" + std::string(name) + "\"");
      ++pos;
    }
    size_t raw_end = pos;
    size_t vb = raw_begin, ve = raw_end;
    while (vb < ve && is_ws(text[vb])) ++vb;
    while (ve > vb && is_ws(text[ve - 1])) --ve;
    if (find_tag(tags, name)) return syntax("duplicate tag \"" + std::string(name) + "\"");
    if (tags.size() >= kMaxTags) return syntax("too many tags");
    tags.push_back(Tag{name, text.substr(vb, ve - vb), raw_begin, raw_end});
    if (pos == n) break;
    ++pos;  // ';'
  }
  return tags;
}

const char* algorithm_name(Algorithm a) {
  return a == Algorithm::kRsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}
const char* canon_name(Canon c) { return c == Canon::kSimple ? "simple" : "relaxed"; }
const char* key_type_name(KeyType k) { return k == KeyType::kRsa ? "rsa" : "ed25519"; }
KeyType key_type_of(Algorithm a) {
  return a == Algorithm::kRsaSha256 ? KeyType::kRsa : KeyType::kEd25519;
}

Result<Signature> parse_signature(std::string_view value) {
  if (value.size() > kMaxSignatureFieldBytes) return syntax("DKIM-Signature field too long");
  auto parsed = parse_tag_list(value);
  if (!parsed) return parsed.error();
  const std::vector<Tag>& tags = *parsed;
  for (const char* required : {"v", "a", "b", "bh", "d", "h", "s"})
    if (!find_tag(tags, required))
      return syntax(std::string("missing required tag ") + required + "=");

  Signature sig;
  if (find_tag(tags, "v")->value != "1")
    return syntax("unsupported version v=" + std::string(find_tag(tags, "v")->value));
  std::string_view a = find_tag(tags, "a")->value;
  if (iequals(a, "rsa-sha256")) {
    sig.algorithm = Algorithm::kRsaSha256;
  } else if (iequals(a, "ed25519-sha256")) {
    sig.algorithm = Algorithm::kEd25519Sha256;
  } else if (iequals(a, "rsa-sha1")) {
    return unsupported("rsa-sha1 signatures are not accepted (RFC 8301)");
  } else {
    return unsupported("unsupported algorithm a=" + std::string(a.substr(0, 32)));
  }

  const Tag* b = find_tag(tags, "b");
  auto bsig = decode_b64(b->value);
  if (!bsig || bsig->empty()) return syntax("bad or empty b= value");
  sig.signature = std::move(*bsig);
  sig.signature_b64 = strip_fws(b->value);
  sig.b_raw_begin = b->raw_begin;
  sig.b_raw_end = b->raw_end;

  auto bh = decode_b64(find_tag(tags, "bh")->value);
  if (!bh || bh->size() != 32) return syntax("bad bh= value (a SHA-256 hash in base64)");
  sig.body_hash = std::move(*bh);

  if (const Tag* c = find_tag(tags, "c")) {
    std::string_view v = c->value;
    size_t slash = v.find('/');
    auto hc = canon_from(v.substr(0, slash));
    auto bc = slash == std::string_view::npos ? std::optional<Canon>(Canon::kSimple)
                                              : canon_from(v.substr(slash + 1));
    if (!hc || !bc)
      return unsupported("unsupported canonicalization c=" + std::string(v.substr(0, 32)));
    sig.header_canon = *hc;
    sig.body_canon = *bc;
  }

  std::string_view d = find_tag(tags, "d")->value;
  if (!is_valid_domain(d)) return syntax("bad domain d=");
  sig.domain = ascii_lower(d);

  std::string_view s = find_tag(tags, "s")->value;
  if (!is_valid_domain(s)) return syntax("bad selector s=");
  sig.selector = ascii_lower(s);

  auto h = colon_list(find_tag(tags, "h")->value, kMaxSignedHeaders);
  if (!h) return syntax("bad h= list");
  for (std::string& name : *h) {
    for (unsigned char ch : name)
      if (ch < 0x21 || ch > 0x7e) return syntax("bad header name in h=");
    name = ascii_lower(name);
  }
  if (!list_has(*h, "from")) return syntax("h= does not include From");
  sig.headers = std::move(*h);

  if (const Tag* i = find_tag(tags, "i")) {
    std::string_view iv = i->value;
    size_t at = iv.rfind('@');
    if (at == std::string_view::npos) return syntax("i= has no \"@\"");
    std::string_view idom = iv.substr(at + 1);
    if (!is_valid_domain(idom)) return syntax("bad domain in i=");
    sig.identity = std::string(iv);
    sig.identity_domain = ascii_lower(idom);
    const std::string& dd = sig.domain;
    bool sub =
        sig.identity_domain == dd ||
        (sig.identity_domain.size() > dd.size() &&
         sig.identity_domain.compare(sig.identity_domain.size() - dd.size(), dd.size(), dd) == 0 &&
         sig.identity_domain[sig.identity_domain.size() - dd.size() - 1] == '.');
    if (!sub) return syntax("i= domain is not d= or a subdomain of it");
  } else {
    sig.identity = "@" + sig.domain;
    sig.identity_domain = sig.domain;
  }

  if (const Tag* l = find_tag(tags, "l")) {
    auto v = parse_decimal(l->value, 76);
    if (!v) return syntax("bad l= value");
    sig.body_length = *v;
  }

  if (const Tag* q = find_tag(tags, "q")) {
    auto methods = colon_list(q->value, 16);
    if (!methods || !list_has(*methods, "dns/txt")) return unsupported("q= does not allow dns/txt");
  }

  auto time_tag = [&](const char* name, std::optional<int64_t>& out) -> Status {
    const Tag* t = find_tag(tags, name);
    if (!t) return {};
    auto v = parse_decimal(t->value, 12);  // RFC 6376: at most 12 digits
    if (!v) return syntax(std::string("bad ") + name + "= value");
    out = static_cast<int64_t>(*v);
    return {};
  };
  if (auto st = time_tag("t", sig.timestamp); !st) return st.error();
  if (auto st = time_tag("x", sig.expiration); !st) return st.error();
  if (sig.timestamp && sig.expiration && *sig.expiration < *sig.timestamp)
    return syntax("x= is before t=");
  return sig;
}

Result<KeyRecord> parse_key_record(std::string_view txt) {
  if (txt.size() > kMaxKeyRecordBytes) return syntax("key record too long");
  auto parsed = parse_tag_list(txt);
  if (!parsed) return parsed.error();
  const std::vector<Tag>& tags = *parsed;
  KeyRecord key;
  if (const Tag* v = find_tag(tags, "v")) {
    if (&tags.front() != v) return syntax("v= is not the first tag of the key record");
    if (v->value != "DKIM1") return syntax("key record version is not DKIM1");
  }
  if (const Tag* h = find_tag(tags, "h")) {
    auto algs = colon_list(h->value, 16);
    if (!algs) return syntax("bad h= in key record");
    if (!list_has(*algs, "sha256")) return unsupported("key record does not allow sha256");
  }
  if (const Tag* k = find_tag(tags, "k")) {
    if (iequals(k->value, "rsa")) {
      key.type = KeyType::kRsa;
    } else if (iequals(k->value, "ed25519")) {
      key.type = KeyType::kEd25519;
    } else {
      return unsupported("unknown key type k=" + std::string(k->value.substr(0, 32)));
    }
  }
  if (const Tag* s = find_tag(tags, "s")) {
    auto services = colon_list(s->value, 16);
    if (!services) return syntax("bad s= in key record");
    if (!list_has(*services, "*") && !list_has(*services, "email"))
      return unsupported("key record is not for email (s=)");
  }
  if (const Tag* t = find_tag(tags, "t")) {
    auto flags = colon_list(t->value, 16);
    if (!flags) return syntax("bad t= in key record");
    key.testing = list_has(*flags, "y");
    key.strict = list_has(*flags, "s");
  }
  const Tag* p = find_tag(tags, "p");
  if (!p) return syntax("key record has no p=");
  auto pk = decode_b64(p->value);
  if (!pk) return syntax("bad base64 in p=");
  key.public_key = std::move(*pk);
  return key;
}

}  // namespace tegami::mailauth::dkim
