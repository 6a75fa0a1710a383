// MTA-STS (RFC 8461): the "_mta-sts" TXT record, the policy file fetched over HTTPS from
// https://mta-sts.<domain>/.well-known/mta-sts.txt, MX pattern matching, and a policy cache
// (§5.1: a cached, unexpired policy is used when the TXT record is unchanged or missing).
// Blocking (DNS and HTTPS): call on the worker pool.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "dns/resolver.hpp"

namespace tegami::smtp::client {

struct StsPolicy {
  enum class Mode { kNone, kTesting, kEnforce };
  Mode mode = Mode::kNone;
  std::vector<std::string> mx;  // patterns, lower case: "mail.example.com", "*.example.net"
  int64_t max_age = 0;          // seconds
  std::string id;               // from the TXT record that announced it
  int64_t fetched = 0;          // Unix seconds
};

// §3.1: "v=STSv1; id=..." -> id; kNotFound when not an STS record, kInvalidData when malformed.
Result<std::string> parse_sts_txt(std::string_view txt);
// §3.2: the policy file (CRLF or LF lines, key: value). kInvalidData with the reason.
Result<StsPolicy> parse_sts_policy(std::string_view text);
// §4.1: does `host` (an MX name) match one of the policy's mx patterns?
bool sts_mx_matches(const StsPolicy& p, std::string_view host);

struct StsOptions {
  std::string ca_file;                // trust anchors for the HTTPS fetch; empty = the system's
  std::string connect_to;             // tests: "127.0.0.1:8443" instead of mta-sts.<domain>:443
  int timeout_s = 60;                 // §3.3: senders may limit the fetch time
  std::size_t max_bytes = 64 * 1024;  // §3.3: policy files are small
};

// Fetches and parses the policy of `domain` over HTTPS (§3.3: certificate valid for
// mta-sts.<domain>, no redirects, 200 only, media type text/plain). kTemporary for network
// trouble, kInvalidData for a bad answer.
Result<StsPolicy> fetch_sts_policy(std::string_view domain, const StsOptions& opts);

// The policy to apply for `domain` now: TXT lookup, then the cached policy when its id matches,
// else a fresh fetch (§5.1). A domain without a record and without a cached policy gets
// Mode::kNone. Thread-safe.
class StsCache {
 public:
  StsPolicy policy_for(std::string_view domain, dns::Resolver& dns, const StsOptions& opts,
                       int64_t now);

 private:
  std::mutex mu_;
  std::map<std::string, StsPolicy, std::less<>> cache_;
};

}  // namespace tegami::smtp::client
