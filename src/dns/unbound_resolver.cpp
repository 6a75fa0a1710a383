// Resolver over libunbound: blocking ub_resolve on the caller's (worker) thread, DNSSEC status
// from result->secure / result->bogus (RFC 4035 §4.3). Answers: RFC 1035 §4.1.1 RCODEs
// (3 NXDOMAIN, 2 SERVFAIL), "nodata" = NOERROR without records of the type (RFC 2308 §2.2).
#include <unbound.h>

#include <algorithm>

#include "dns/rdata.hpp"
#include "dns/resolver.hpp"

namespace tegami::dns {
namespace {

constexpr int kClassIn = 1;
constexpr int kTypeA = 1, kTypePtr = 12, kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28,
              kTypeTlsa = 52;
constexpr int kRcodeServfail = 2, kRcodeNxdomain = 3;

struct ResultFree {
  void operator()(ub_result* r) const { ub_resolve_free(r); }
};
using ResultPtr = std::unique_ptr<ub_result, ResultFree>;

class UnboundResolver final : public Resolver {
 public:
  explicit UnboundResolver(ub_ctx* ctx) : ctx_(ctx) {}
  ~UnboundResolver() override { ub_ctx_delete(ctx_); }

  Result<Answer<std::string>> txt(std::string_view name) override {
    return lookup<std::string>(name, kTypeTxt, decode_txt);
  }
  Result<Answer<MxRecord>> mx(std::string_view name) override {
    auto r = lookup<MxRecord>(name, kTypeMx, decode_mx);
    if (r) {
      std::stable_sort(
          r->records.begin(), r->records.end(),
          [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
    }
    return r;
  }
  Result<Answer<std::string>> a(std::string_view name) override {
    return lookup<std::string>(name, kTypeA, decode_a);
  }
  Result<Answer<std::string>> aaaa(std::string_view name) override {
    return lookup<std::string>(name, kTypeAaaa, decode_aaaa);
  }
  Result<Answer<TlsaRecord>> tlsa(std::string_view name) override {
    return lookup<TlsaRecord>(name, kTypeTlsa, decode_tlsa);
  }
  Result<Answer<std::string>> ptr(std::string_view ip) override {
    auto rev = reverse_name(ip);
    if (!rev) return rev.error();
    return lookup<std::string>(*rev, kTypePtr, decode_name_rdata);
  }

 private:
  template <class T, class Decode>
  Result<Answer<T>> lookup(std::string_view raw_name, int type, Decode decode) {
    auto name = normalize_name(raw_name);
    if (!name) return name.error();
    ub_result* raw = nullptr;
    int err = ub_resolve(ctx_, name->c_str(), type, kClassIn, &raw);
    ResultPtr res(raw);
    if (err != 0 || !res) {
      return make_error(Errc::kTemporary,
                        "DNS lookup of " + *name + " failed: " + std::string(ub_strerror(err)));
    }
    if (res->bogus) {
      std::string why = res->why_bogus ? res->why_bogus : "validation failed";
      return make_error(Errc::kPerm, "DNSSEC validation of " + *name + " failed: " + why);
    }
    if (!res->havedata) {
      if (res->nxdomain || res->rcode == kRcodeNxdomain)
        return make_error(Errc::kNotFound, *name + " does not exist (NXDOMAIN)");
      if (res->rcode == 0) return make_error(Errc::kNotFound, *name + " has no such records");
      return make_error(Errc::kTemporary,
                        "DNS lookup of " + *name + " failed with " +
                            (res->rcode == kRcodeServfail ? std::string("SERVFAIL")
                                                          : "rcode " + std::to_string(res->rcode)));
    }
    Answer<T> out;
    out.secure = res->secure != 0;
    for (int i = 0; res->data[i] != nullptr; ++i) {
      auto rec = decode(std::string_view(res->data[i], static_cast<size_t>(res->len[i])));
      if (rec) out.records.push_back(std::move(*rec));
    }
    if (out.records.empty())
      return make_error(Errc::kInvalidData, "malformed DNS answer for " + *name);
    return out;
  }

  ub_ctx* ctx_;
};

Error setup_error(const char* what, int err) {
  return make_error(Errc::kInternal,
                    std::string("DNS resolver setup: ") + what + ": " + ub_strerror(err));
}

}  // namespace

Result<std::unique_ptr<Resolver>> make_unbound_resolver(const ResolverOptions& opts) {
  ub_ctx* ctx = ub_ctx_create();
  if (!ctx) return make_error(Errc::kInternal, "DNS resolver setup: ub_ctx_create failed");
  auto fail = [&](const char* what, int err) {
    ub_ctx_delete(ctx);
    return setup_error(what, err);
  };
  if (!opts.forwarder.empty()) {
    if (int e = ub_ctx_set_fwd(ctx, opts.forwarder.c_str())) return fail("forwarder", e);
    // Let a test server on loopback answer for "test." (libunbound serves it as NXDOMAIN).
    if (int e = ub_ctx_set_option(ctx, "local-zone:", "test. transparent"))
      return fail("local-zone", e);
  } else {
    if (int e = ub_ctx_resolvconf(ctx, nullptr)) return fail("resolv.conf", e);
  }
  if (!opts.trust_anchor_file.empty()) {
    if (int e = ub_ctx_add_ta_file(ctx, opts.trust_anchor_file.c_str()))
      return fail("trust anchor", e);
  }
  return std::unique_ptr<Resolver>(std::make_unique<UnboundResolver>(ctx));
}

}  // namespace tegami::dns
