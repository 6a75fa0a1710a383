// MTA-STS policy retrieval (RFC 8461 §3.3: HTTPS with a valid certificate for
// mta-sts.<domain>, no redirects, 200 only, text/plain, no HTTP caching) and the policy cache
// (§3.1 discovery through the "_mta-sts" TXT record, §5.1 / §10.2: a cached unexpired policy is
// used when the record is unchanged, missing, or the fetch fails). Blocking (libcurl, DNS).
#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

#include "base/strings.hpp"
#include "smtp/client/mta_sts.hpp"

namespace tegami::smtp::client {

namespace {

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Body {
  std::string data;
  std::size_t max = 0;
  bool too_big = false;
};

size_t on_body(char* ptr, size_t size, size_t n, void* user) {
  auto* b = static_cast<Body*>(user);
  std::size_t len = size * n;
  if (b->data.size() + len > b->max) {
    b->too_big = true;
    return 0;  // CURLE_WRITE_ERROR: stop reading
  }
  b->data.append(ptr, len);
  return len;
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

Result<StsPolicy> fetch_sts_policy(std::string_view domain, const StsOptions& opts) {
  auto name = dns::normalize_name(domain);
  if (!name) return name.error();
  std::string host = "mta-sts." + *name;
  std::string url = "https://" + host + "/.well-known/mta-sts.txt";
  curl_init_once();
  std::unique_ptr<CURL, CurlFree> c(curl_easy_init());
  if (!c) return make_error(Errc::kInternal, "libcurl initialisation failed");
  CURL* h = c.get();
  Body body;
  body.max = opts.max_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};
  long timeout = std::max(1, opts.timeout_s);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // §3.3: redirects MUST NOT be followed
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);        // worker threads: no SIGALRM
  curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, std::min(timeout, 30L));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!opts.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CAPATH, static_cast<char*>(nullptr));  // only these anchors
  }
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // no proxy from the environment
  curl_easy_setopt(h, CURLOPT_USERAGENT, "Tegami (MTA-STS)");
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(opts.max_bytes));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  std::unique_ptr<curl_slist, CurlFree> connect_to;
  if (!opts.connect_to.empty()) {
    std::string rule = host + ":443:" + opts.connect_to;
    connect_to.reset(curl_slist_append(nullptr, rule.c_str()));
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get());
  }

  CURLcode rc = curl_easy_perform(h);
  if (body.too_big || rc == CURLE_FILESIZE_EXCEEDED)
    return make_error(Errc::kInvalidData,
                      url + ": policy larger than " + std::to_string(opts.max_bytes) + " bytes");
  if (rc != CURLE_OK)
    return make_error(Errc::kTemporary,
                      url + ": " + (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return make_error(status >= 500 ? Errc::kTemporary : Errc::kInvalidData,
                      url + ": HTTP status " + std::to_string(status));
  char* ctype = nullptr;
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
  std::string_view media = ctype ? std::string_view(ctype) : std::string_view();
  media = trim(media.substr(0, media.find(';')));
  if (!iequals(media, "text/plain"))
    return make_error(Errc::kInvalidData,
                      url + ": media type '" + std::string(media) + "', not text/plain");
  auto p = parse_sts_policy(body.data);
  if (!p) return make_error(Errc::kInvalidData, url + ": " + p.error().message);
  return p;
}

StsPolicy StsCache::policy_for(std::string_view domain, dns::Resolver& dns, const StsOptions& opts,
                               int64_t now) {
  auto name = dns::normalize_name(domain);
  if (!name) return StsPolicy{};
  std::optional<StsPolicy> cached;
  {
    std::lock_guard lk(mu_);
    auto it = cache_.find(*name);
    if (it != cache_.end()) {
      if (now < it->second.fetched + it->second.max_age)
        cached = it->second;
      else
        cache_.erase(it);  // expired: never used again (§5.1)
    }
  }
  auto fallback = [&] { return cached ? *cached : StsPolicy{}; };

  // §3.1: of the TXT records, those starting with "v=STSv1" count; exactly one, and valid.
  std::optional<std::string> id;
  auto txt = dns.txt("_mta-sts." + *name);
  if (txt) {
    int sts = 0;
    for (const std::string& rec : txt->records) {
      auto r = parse_sts_txt(rec);
      if (!r && r.code() == Errc::kNotFound) continue;
      ++sts;
      if (r) id = *r;
    }
    if (sts != 1) id.reset();
  }
  if (!id) return fallback();  // no record (or a broken one): the cached policy, if any
  if (cached && cached->id == *id) return *cached;

  auto fetched = fetch_sts_policy(*name, opts);
  if (!fetched) return fallback();  // §3.3: keep using the cached policy until it expires
  StsPolicy p = std::move(*fetched);
  p.id = *id;
  p.fetched = now;
  {
    std::lock_guard lk(mu_);
    cache_[*name] = p;
  }
  return p;
}

}  // namespace tegami::smtp::client
