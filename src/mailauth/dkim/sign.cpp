// RFC 6376 §5.1-§5.6 (signer actions), §3.5 (tags), §3.7 (hashes), §8.15 (oversigning From);
// RFC 8463 §3 (ed25519-sha256).
#include "mailauth/dkim/sign.hpp"

#include <algorithm>

#include "base/clock.hpp"
#include "base/strings.hpp"
#include "mailauth/dkim/canon.hpp"
#include "mailauth/dkim/hash.hpp"

namespace tegami::mailauth::dkim {
namespace {

constexpr size_t kWidth = 78;

// Builds a folded header field: tokens are separated by a space, or glued, and a CRLF SP is put
// before a token that would pass the width.
class Folder {
 public:
  explicit Folder(std::string_view start) : out_(start), col_(start.size()) {}
  void add(std::string_view tok, bool glue = false) {
    size_t need = tok.size() + (glue ? 0 : 1);
    if (col_ + need > kWidth && col_ > 1) {
      out_.append("\r\n ");
      col_ = 1;
    } else if (!glue) {
      out_.push_back(' ');
      ++col_;
    }
    out_.append(tok);
    col_ += tok.size();
  }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
  size_t col_;
};

}  // namespace

const std::vector<std::string>& default_signed_headers() {
  static const std::vector<std::string> kHeaders = {"From",
                                                    "To",
                                                    "Cc",
                                                    "Subject",
                                                    "Date",
                                                    "Message-ID",
                                                    "In-Reply-To",
                                                    "References",
                                                    "MIME-Version",
                                                    "Content-Type",
                                                    "Content-Transfer-Encoding",
                                                    "Reply-To"};
  return kHeaders;
}

Result<std::string> sign(std::string_view message, const SigningKey& key, const SignOptions& opts) {
  std::string domain = ascii_lower(key.domain);
  std::string selector = ascii_lower(key.selector);
  if (!is_valid_domain(domain) || !is_valid_domain(selector))
    return make_error(Errc::kInvalidData, "bad DKIM domain or selector");
  auto printable = [](std::string_view v, bool allow_colon) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [&](char ch) {
      auto c = static_cast<unsigned char>(ch);
      return c > 0x20 && c < 0x7f && c != ';' && (allow_colon || c != ':');
    });
  };
  for (const std::string& name : opts.headers)
    if (!printable(name, false)) return make_error(Errc::kInvalidData, "bad header name to sign");
  if (!opts.identity.empty()) {
    if (!printable(opts.identity, true))
      return make_error(Errc::kInvalidData, "bad characters in i=");
    size_t at = opts.identity.rfind('@');
    std::string idom =
        at == std::string::npos ? std::string() : ascii_lower(opts.identity.substr(at + 1));
    bool sub = idom == domain || (idom.size() > domain.size() && idom.ends_with("." + domain));
    if (!sub) return make_error(Errc::kInvalidData, "i= must be in the signing domain");
  }

  SplitMessage msg = split_message(message, message.size());
  HeaderIndex index(msg.fields);

  // h=: every present instance of the listed names, plus one for oversigned names.
  std::vector<std::string> h;
  std::vector<std::string> seen;
  for (const std::string& name : opts.headers) {
    std::string lower = ascii_lower(name);
    if (std::find(seen.begin(), seen.end(), lower) != seen.end()) continue;
    seen.push_back(lower);
    size_t n = index.count(lower);
    bool over = std::any_of(opts.oversign.begin(), opts.oversign.end(),
                            [&](const std::string& o) { return iequals(o, lower); });
    if (over) ++n;
    // Stay within what verifiers accept (kMaxSignedHeaders names, From always included).
    for (size_t i = 0; i < n && h.size() + 1 < kMaxSignedHeaders; ++i) h.push_back(lower);
  }
  if (index.count("from") == 0)
    return make_error(Errc::kInvalidData, "the message has no From field to sign");
  if (std::find(h.begin(), h.end(), "from") == h.end()) h.insert(h.begin(), "from");

  int64_t now = opts.now >= 0 ? opts.now : system_clock().now_unix();
  BodyHash bh = body_hash(msg.body, opts.body_canon);

  Folder f("DKIM-Signature:");
  f.add("v=1;");
  f.add(std::string("a=") +
        algorithm_name(key.key.type() == KeyType::kRsa ? Algorithm::kRsaSha256
                                                       : Algorithm::kEd25519Sha256) +
        ";");
  f.add(std::string("c=") + canon_name(opts.header_canon) + "/" + canon_name(opts.body_canon) +
        ";");
  f.add("d=" + domain + ";");
  f.add("s=" + selector + ";");
  if (!opts.identity.empty()) f.add("i=" + opts.identity + ";");
  f.add("t=" + std::to_string(now) + ";");
  if (opts.expire_after > 0) f.add("x=" + std::to_string(now + opts.expire_after) + ";");
  for (size_t i = 0; i < h.size(); ++i) {
    std::string tok = (i == 0 ? "h=" : "") + h[i] + (i + 1 == h.size() ? ";" : ":");
    f.add(tok, i != 0);
  }
  f.add("bh=" + base64_encode(bh.digest) + ";");
  f.add("b=");
  std::string unsigned_field = f.text();

  // Header hash: the selected fields, then this field with an empty b= and no CRLF.
  std::string data;
  index.append_signed(data, h, opts.header_canon);
  canon_header(data, unsigned_field, opts.header_canon, /*crlf=*/false);
  auto sig = key.key.sign_digest(sha256(data));
  if (!sig) return sig.error();

  std::string b64 = base64_encode(*sig);
  for (size_t i = 0; i < b64.size(); i += 64) f.add(std::string_view(b64).substr(i, 64), true);
  return f.text() + "\r\n";
}

Result<std::string> sign(std::string_view message, std::span<const SigningKey> keys,
                         const SignOptions& opts) {
  std::string out;
  for (const SigningKey& k : keys) {
    auto one = sign(message, k, opts);
    if (!one) return one.error();
    out += *one;
  }
  return out;
}

}  // namespace tegami::mailauth::dkim
