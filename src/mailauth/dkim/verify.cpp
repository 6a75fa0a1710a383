// RFC 6376 §6.1 (verifier actions: §6.1.1 validate the signature field, §6.1.2 get the public
// key, §6.1.3 compute the verification), §3.6.2.2 (DNS TXT lookup), §3.7 (hashes);
// RFC 8463 §3 (ed25519-sha256); RFC 8301 (algorithms and key sizes); RFC 8601 §2.7.1 (results).
#include "mailauth/dkim/verify.hpp"

#include <map>
#include <optional>

#include "base/clock.hpp"
#include "base/strings.hpp"
#include "mailauth/dkim/canon.hpp"
#include "mailauth/dkim/hash.hpp"
#include "mailauth/dkim/keys.hpp"

namespace tegami::mailauth::dkim {
namespace {

struct KeyLookup {
  bool ok = false;
  Verdict verdict = Verdict::kPermError;  // when !ok
  Reason reason = Reason::kNone;
  std::string detail;
  KeyRecord record;
};

KeyLookup fetch_key(dns::Resolver& resolver, const std::string& name) {
  KeyLookup out;
  auto ans = resolver.txt(name);
  if (!ans) {
    switch (ans.code()) {
      case Errc::kNotFound:
        out.reason = Reason::kNoKey;
        out.detail = "no key record at " + name;
        break;
      case Errc::kInvalidData:
        out.reason = Reason::kNoKey;
        out.detail = "bad key record name " + name;
        break;
      default:  // kTemporary, a bogus DNSSEC answer (kPerm) and anything else: try later
        out.verdict = Verdict::kTempError;
        out.reason = Reason::kDnsTemporary;
        out.detail = "DNS lookup of " + name + " failed: " + ans.error().message;
        break;
    }
    return out;
  }
  if (ans->records.empty()) {
    out.reason = Reason::kNoKey;
    out.detail = "no key record at " + name;
    return out;
  }
  std::optional<Error> first_error;
  for (const std::string& txt : ans->records) {
    auto rec = parse_key_record(txt);
    if (rec) {
      out.ok = true;
      out.record = std::move(*rec);
      return out;
    }
    if (!first_error) first_error = rec.error();
  }
  out.reason = Reason::kBadKey;
  out.detail = "bad key record at " + name + ": " + first_error->message;
  return out;
}

struct BodyKey {
  Canon canon;
  std::optional<uint64_t> limit;
  bool operator<(const BodyKey& o) const {
    if (canon != o.canon) return canon < o.canon;
    return limit < o.limit;
  }
};

SignatureResult verify_one(const SplitMessage& msg, const RawField& field, const HeaderIndex& index,
                           dns::Resolver& resolver, std::map<std::string, KeyLookup>& keys,
                           std::map<BodyKey, BodyHash>& bodies, int64_t now) {
  SignatureResult r;
  auto fail = [&](Verdict v, Reason why, std::string detail) {
    r.verdict = v;
    r.reason = why;
    r.detail = std::move(detail);
    return r;
  };
  auto parsed = parse_signature(field.value);
  if (!parsed) {
    return fail(Verdict::kPermError,
                parsed.code() == Errc::kPerm ? Reason::kUnsupported : Reason::kSyntax,
                parsed.error().message);
  }
  const Signature& sig = *parsed;
  r.domain = sig.domain;
  r.selector = sig.selector;
  r.identity = sig.identity;
  r.algorithm = algorithm_name(sig.algorithm);
  r.header_b = sig.signature_b64.substr(0, 8);
  if (msg.header_too_large)
    return fail(Verdict::kPermError, Reason::kHeaderTooLarge, "header section too large");
  if (sig.expiration && now > *sig.expiration)
    return fail(Verdict::kFail, Reason::kExpired, "signature expired (x=)");

  // §6.1.2: the key.
  std::string name = sig.selector + "._domainkey." + sig.domain;
  auto it = keys.find(name);
  if (it == keys.end()) it = keys.emplace(name, fetch_key(resolver, name)).first;
  const KeyLookup& kl = it->second;
  if (!kl.ok) return fail(kl.verdict, kl.reason, kl.detail);
  const KeyRecord& rec = kl.record;
  r.testing = rec.testing;
  if (rec.public_key.empty()) return fail(Verdict::kFail, Reason::kRevokedKey, "key revoked");
  if (rec.type != key_type_of(sig.algorithm))
    return fail(Verdict::kPermError, Reason::kBadKey,
                std::string("key type ") + key_type_name(rec.type) + " does not match a=");
  if (rec.strict && sig.identity_domain != sig.domain)
    return fail(Verdict::kPermError, Reason::kBadKey, "key requires i= in d= exactly (t=s)");
  auto pub = PublicKey::from_record(rec);
  if (!pub) return fail(Verdict::kPermError, Reason::kBadKey, pub.error().message);

  // §6.1.3: the body hash.
  BodyKey bk{sig.body_canon, sig.body_length};
  auto bit = bodies.find(bk);
  if (bit == bodies.end())
    bit = bodies.emplace(bk, body_hash(msg.body, sig.body_canon, sig.body_length)).first;
  const BodyHash& bh = bit->second;
  if (sig.body_length && *sig.body_length > bh.canonical_size)
    return fail(Verdict::kFail, Reason::kBodyTooShort, "l= is longer than the body");
  if (bh.digest != sig.body_hash)
    return fail(Verdict::kFail, Reason::kBodyHashMismatch, "body hash mismatch");

  // The header hash: the selected fields, then this field with b= emptied, without CRLF.
  std::string data;
  index.append_signed(data, sig.headers, sig.header_canon);
  size_t off = static_cast<size_t>(field.value.data() - field.raw.data());
  std::string self(field.raw.substr(0, off + sig.b_raw_begin));
  self.append(field.raw.substr(off + sig.b_raw_end));
  canon_header(data, self, sig.header_canon, /*crlf=*/false);
  if (!pub->verify_digest(sha256(data), sig.signature))
    return fail(Verdict::kFail, Reason::kSignatureMismatch, "signature mismatch");
  r.verdict = Verdict::kPass;
  r.detail = "signature verified";
  return r;
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kNeutral:
      return "neutral";
    case Verdict::kTempError:
      return "temperror";
    case Verdict::kPermError:
      return "permerror";
  }
  return "permerror";
}

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kNone:
      return "";
    case Reason::kBodyHashMismatch:
      return "body hash mismatch";
    case Reason::kSignatureMismatch:
      return "signature mismatch";
    case Reason::kExpired:
      return "signature expired";
    case Reason::kRevokedKey:
      return "key revoked";
    case Reason::kBodyTooShort:
      return "body shorter than l=";
    case Reason::kSyntax:
      return "bad signature syntax";
    case Reason::kUnsupported:
      return "unsupported signature";
    case Reason::kNoKey:
      return "no key";
    case Reason::kBadKey:
      return "bad key";
    case Reason::kHeaderTooLarge:
      return "header too large";
    case Reason::kDnsTemporary:
      return "DNS temporary failure";
  }
  return "";
}

namespace {

// RFC 2045 token, else a quoted-string (RFC 5322 §3.2.4).
std::string pvalue(std::string_view v) {
  static constexpr std::string_view kSpecials = "()<>@,;:\\\"/[]?=";
  bool token = !v.empty();
  for (unsigned char c : v)
    if (c <= 0x20 || c >= 0x7f || kSpecials.find(static_cast<char>(c)) != std::string_view::npos)
      token = false;
  if (token) return std::string(v);
  std::string out = "\"";
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(static_cast<char>(c));
  }
  out.push_back('"');
  return out;
}

// header.i: local-part "@" domain is allowed unquoted (RFC 8601 §2.2 pvalue) when simple.
std::string identity_pvalue(std::string_view i) {
  size_t at = i.rfind('@');
  if (at == std::string_view::npos) return pvalue(i);
  std::string_view local = i.substr(0, at), domain = i.substr(at + 1);
  if ((local.empty() || pvalue(local) == local) && pvalue(domain) == domain) return std::string(i);
  return pvalue(i);
}

}  // namespace

std::string auth_results_clause(const SignatureResult& r) {
  std::string out = std::string("dkim=") + verdict_name(r.verdict);
  if (r.verdict != Verdict::kPass && !r.detail.empty()) out += " reason=" + pvalue(r.detail);
  if (!r.domain.empty()) out += " header.d=" + pvalue(r.domain);
  if (!r.identity.empty()) out += " header.i=" + identity_pvalue(r.identity);
  if (!r.selector.empty()) out += " header.s=" + pvalue(r.selector);
  if (!r.algorithm.empty()) out += " header.a=" + pvalue(r.algorithm);
  if (!r.header_b.empty()) out += " header.b=" + pvalue(r.header_b);
  return out;
}

std::vector<SignatureResult> verify(std::string_view message, dns::Resolver& resolver,
                                    const VerifyOptions& opts) {
  std::vector<SignatureResult> results;
  SplitMessage msg = split_message(message, opts.max_header_bytes);
  HeaderIndex index(msg.fields);
  std::map<std::string, KeyLookup> keys;
  std::map<BodyKey, BodyHash> bodies;
  int64_t now = opts.now >= 0 ? opts.now : system_clock().now_unix();
  size_t seen = 0;
  for (const RawField& f : msg.fields) {
    if (!iequals(f.name, "DKIM-Signature")) continue;
    if (seen >= opts.max_signatures) break;
    SignatureResult r = verify_one(msg, f, index, resolver, keys, bodies, now);
    r.field_index = seen++;
    if (r.testing && r.verdict == Verdict::kFail) {
      r.verdict = Verdict::kNeutral;
      r.detail = "testing key (t=y): " + r.detail;
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace tegami::mailauth::dkim
