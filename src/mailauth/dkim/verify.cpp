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
  Status status = Status::kPermError;  // when !ok
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
        out.status = Status::kTempError;
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
  auto fail = [&](Status s, Reason why, std::string detail) {
    r.status = s;
    r.reason = why;
    r.detail = std::move(detail);
    return r;
  };
  auto parsed = parse_signature(field.value);
  if (!parsed) {
    return fail(Status::kPermError,
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
    return fail(Status::kPermError, Reason::kHeaderTooLarge, "header section too large");
  if (sig.expiration && now > *sig.expiration)
    return fail(Status::kFail, Reason::kExpired, "signature expired (x=)");

  // §6.1.2: the key.
  std::string name = sig.selector + "._domainkey." + sig.domain;
  auto it = keys.find(name);
  if (it == keys.end()) it = keys.emplace(name, fetch_key(resolver, name)).first;
  const KeyLookup& kl = it->second;
  if (!kl.ok) return fail(kl.status, kl.reason, kl.detail);
  const KeyRecord& rec = kl.record;
  r.testing = rec.testing;
  if (rec.public_key.empty()) return fail(Status::kFail, Reason::kRevokedKey, "key revoked");
  if (rec.type != key_type_of(sig.algorithm))
    return fail(Status::kPermError, Reason::kBadKey,
                std::string("key type ") + key_type_name(rec.type) + " does not match a=");
  if (rec.strict && sig.identity_domain != sig.domain)
    return fail(Status::kPermError, Reason::kBadKey, "key requires i= in d= exactly (t=s)");
  auto pub = PublicKey::from_record(rec);
  if (!pub) return fail(Status::kPermError, Reason::kBadKey, pub.error().message);

  // §6.1.3: the body hash.
  BodyKey bk{sig.body_canon, sig.body_length};
  auto bit = bodies.find(bk);
  if (bit == bodies.end())
    bit = bodies.emplace(bk, body_hash(msg.body, sig.body_canon, sig.body_length)).first;
  const BodyHash& bh = bit->second;
  if (sig.body_length && *sig.body_length > bh.canonical_size)
    return fail(Status::kFail, Reason::kBodyTooShort, "l= is longer than the body");
  if (bh.digest != sig.body_hash)
    return fail(Status::kFail, Reason::kBodyHashMismatch, "body hash mismatch");

  // The header hash: the selected fields, then this field with b= emptied, without CRLF.
  std::string data;
  index.append_signed(data, sig.headers, sig.header_canon);
  size_t off = static_cast<size_t>(field.value.data() - field.raw.data());
  std::string self(field.raw.substr(0, off + sig.b_raw_begin));
  self.append(field.raw.substr(off + sig.b_raw_end));
  canon_header(data, self, sig.header_canon, /*crlf=*/false);
  if (!pub->verify_digest(sha256(data), sig.signature))
    return fail(Status::kFail, Reason::kSignatureMismatch, "signature mismatch");
  r.status = Status::kPass;
  r.detail = "signature verified";
  return r;
}

}  // namespace

const char* status_name(Status s) {
  switch (s) {
    case Status::kPass:
      return "pass";
    case Status::kFail:
      return "fail";
    case Status::kNeutral:
      return "neutral";
    case Status::kTempError:
      return "temperror";
    case Status::kPermError:
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
    if (r.testing && r.status == Status::kFail) {
      r.status = Status::kNeutral;
      r.detail = "testing key (t=y): " + r.detail;
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace tegami::mailauth::dkim
