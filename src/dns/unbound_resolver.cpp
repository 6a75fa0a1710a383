// Resolver over libunbound. Queries go to libunbound's background thread (ub_resolve_async with
// ub_ctx_async threaded); one processor thread per resolver waits on ub_fd and runs ub_process,
// whose callbacks wake the calling (worker) thread. The caller waits at most the timeout, then
// cancels. DNSSEC status from result->secure / result->bogus (RFC 4035 §4.3), which covers a
// denial of existence too, and every link of a CNAME chain (the validator marks an answer secure
// only when all its RRsets are). result->canonname is the end of the chain, NULL without one.
// Answers: RFC 1035 §4.1.1 RCODEs (3 NXDOMAIN, 2 SERVFAIL), "nodata" = NOERROR without records
// of the type (RFC 2308 §2.2).
#include <poll.h>
#include <unbound.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

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

// One outstanding query. Owned by the waiting caller; the callback touches it only until it has
// set `done` (under the mutex, notifying while holding it).
struct Pending {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int err = 0;
  ub_result* result = nullptr;
};

void on_answer(void* arg, int err, ub_result* result) {
  auto* p = static_cast<Pending*>(arg);
  std::lock_guard lock(p->mu);
  p->err = err;
  p->result = result;
  p->done = true;
  p->cv.notify_all();
}

class UnboundResolver final : public Resolver {
 public:
  UnboundResolver(ub_ctx* ctx, std::chrono::milliseconds timeout) : ctx_(ctx), timeout_(timeout) {
    processor_ = std::thread([this] { process_loop(); });
  }
  ~UnboundResolver() override {
    stop_ = true;
    processor_.join();
    ub_ctx_delete(ctx_);
  }

  Result<Answer<std::string>> txt(std::string_view name) override {
    return lookup<std::string>(name, kTypeTxt, decode_txt);
  }
  Result<Answer<MxRecord>> mx(std::string_view name) override {
    auto r = lookup<MxRecord>(name, kTypeMx, decode_mx, /*nodata_is_answer=*/true);
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
  // `nodata_is_answer`: "nodata" is an Answer without records (its `secure` from the validator)
  // instead of kNotFound.
  template <class T, class Decode>
  Result<Answer<T>> lookup(std::string_view raw_name, int type, Decode decode,
                           bool nodata_is_answer = false) {
    auto name = normalize_name(raw_name);
    if (!name) return name.error();
    ub_result* raw = nullptr;
    int err = resolve(*name, type, &raw);
    ResultPtr res(raw);
    if (err == kTimedOut)
      return make_error(Errc::kTemporary, "DNS lookup of " + *name + " timed out");
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
      if (res->rcode == 0) {
        if (nodata_is_answer) {
          Answer<T> none;
          none.secure = res->secure != 0;
          none.canonical_name = canonical(*res, *name);
          return none;
        }
        return make_error(Errc::kNotFound, *name + " has no such records");
      }
      return make_error(Errc::kTemporary,
                        "DNS lookup of " + *name + " failed with " +
                            (res->rcode == kRcodeServfail ? std::string("SERVFAIL")
                                                          : "rcode " + std::to_string(res->rcode)));
    }
    Answer<T> out;
    out.secure = res->secure != 0;
    out.canonical_name = canonical(*res, *name);
    for (int i = 0; res->data[i] != nullptr; ++i) {
      auto rec = decode(std::string_view(res->data[i], static_cast<size_t>(res->len[i])));
      if (rec) out.records.push_back(std::move(*rec));
    }
    if (out.records.empty())
      return make_error(Errc::kInvalidData, "malformed DNS answer for " + *name);
    return out;
  }

  static constexpr int kTimedOut = -1000;

  // The end of the CNAME chain when `name` is an alias, else "" (libunbound leaves canonname
  // NULL without a CNAME; it gives the name with a trailing dot).
  static std::string canonical(const ub_result& res, const std::string& name) {
    if (res.canonname == nullptr) return "";
    auto n = normalize_name(res.canonname);
    if (!n || *n == name) return "";
    return *n;
  }

  // Starts the query and waits for its answer up to timeout_. On timeout the query is cancelled;
  // when the answer is being delivered at that very moment, waits for it instead.
  int resolve(const std::string& name, int type, ub_result** out) {
    auto p = std::make_unique<Pending>();
    int id = 0;
    int err = ub_resolve_async(ctx_, name.c_str(), type, kClassIn, p.get(), on_answer, &id);
    if (err != 0) return err;
    std::unique_lock lock(p->mu);
    if (!p->cv.wait_for(lock, timeout_, [&] { return p->done; })) {
      lock.unlock();
      if (ub_cancel(ctx_, id) == 0) return kTimedOut;  // the callback will never run
      lock.lock();
      if (!p->cv.wait_for(lock, std::chrono::seconds(30), [&] { return p->done; })) {
        lock.unlock();
        p.release();  // the callback may still run: leak rather than free under it
        return kTimedOut;
      }
    }
    *out = p->result;
    return p->err;
  }

  void process_loop() {
    int fd = ub_fd(ctx_);
    while (!stop_) {
      pollfd pfd{fd, POLLIN, 0};
      int n = poll(&pfd, 1, 100);
      if (n > 0) ub_process(ctx_);
    }
  }

  ub_ctx* ctx_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> stop_{false};
  std::thread processor_;
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
  if (int e = ub_ctx_async(ctx, 1)) return fail("threads", e);
  if (ub_fd(ctx) < 0) return fail("result pipe", UB_PIPE);
  if (!opts.trust_anchor_file.empty()) {
    if (access(opts.trust_anchor_file.c_str(), R_OK) != 0) {
      ub_ctx_delete(ctx);
      return make_error(Errc::kInternal, "DNS resolver setup: cannot read the trust anchor file " +
                                             opts.trust_anchor_file);
    }
    if (int e = ub_ctx_add_ta_file(ctx, opts.trust_anchor_file.c_str()))
      return fail("trust anchor", e);
  }
  auto timeout = std::chrono::milliseconds(opts.timeout_ms > 0 ? opts.timeout_ms : 10000);
  return std::unique_ptr<Resolver>(std::make_unique<UnboundResolver>(ctx, timeout));
}

}  // namespace tegami::dns
