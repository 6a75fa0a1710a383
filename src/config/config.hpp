// Tegami's configuration: one TOML file, every key documented in docs/configuration.md with its
// default. `tegami check-config` loads it and names the bad key and its line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tegami::config {

struct Ports {
  uint16_t smtp = 25;
  uint16_t submission = 587;
  uint16_t submissions = 465;
  uint16_t imap = 143;
  uint16_t imaps = 993;
  uint16_t https = 443;
};

// [plans.NAME]: what an account on the plan may use (PRODUCT.md §6, §7). A key a plan does not
// set takes the value of [limits] / [quota].
struct Plan {
  std::string name;
  int64_t quota = 0;  // bytes, 0 = unlimited
  int64_t messages_per_day = 0;
  int64_t recipients_per_day = 0;
  int64_t recipients_per_message = 0;  // at most limits.recipients_per_message (load_text)
};

struct Config {
  // [server]
  std::string hostname = "localhost";        // our host name (greeting, Received, certs)
  std::string data_dir = "/var/lib/tegami";  // store, message files, keys
  std::vector<std::string> listen = {"0.0.0.0"};
  int threads = 0;   // network threads; 0 = one per core
  bool dev = false;  // development mode (loopback, high ports)
  // [ports]
  Ports ports;
  // [tls]
  std::string tls_cert;  // PEM chain; dev mode: generated in data_dir
  std::string tls_key;
  // [auth]
  bool allow_account_password = false;  // let mail clients use the account password
  std::string default_domain;           // for bare local-part user names
  // [limits]
  int64_t message_size = 20 * 1024 * 1024;  // bytes, in and out
  int64_t recipients_per_message = 500;
  int64_t connections = 20000;       // open connections in total
  int64_t connections_per_ip = 200;  // open connections from one address
  int64_t messages_per_day = 1000;
  int64_t recipients_per_day = 1000;
  int64_t suspend_after = 20;  // submissions refused by a daily limit within 24 h; 0 = never
  // [quota]
  int64_t default_quota = 5LL * 1024 * 1024 * 1024;  // bytes for the free plan
  std::string default_plan = "free";                 // the plan of new accounts
  // [plans.NAME] tables; without any, PRODUCT.md §7's list: free (quota.default), 50gb, 200gb,
  // 2tb. Always holds default_plan.
  std::vector<Plan> plans;
  // [queue]
  int64_t queue_port = 25;             // destination port (tests use another)
  int64_t queue_lifetime = 5 * 86400;  // seconds before a message is bounced
  int64_t queue_delay_notice = 4 * 3600;
  int64_t queue_retry_first = 300;  // first retry delay, doubled up to queue_retry_max
  int64_t queue_retry_max = 4 * 3600;
  int64_t queue_connections = 20;
  int64_t queue_per_domain = 3;
  int64_t queue_timeout = 300;  // seconds to wait for a reply (final reply: twice that)
  int64_t queue_poll = 10;      // seconds between looks at the queue when idle
  bool queue_dane = true;
  bool queue_mta_sts = true;
  std::string queue_ca_file;         // trust anchors for MTA-STS; empty = the system's
  std::string queue_sts_connect_to;  // tests: "127.0.0.1:8443" for every MTA-STS fetch
  // [log]
  std::string log_level = "info";
  // [dns]
  std::string dns_forwarder;     // "ip@port"; empty = the system's /etc/resolv.conf
  std::string dns_trust_anchor;  // DNSSEC trust anchor file; empty = no validation
  int64_t dns_timeout_ms = 10000;
  // [mailauth]
  std::string authserv_id;     // Authentication-Results authserv-id; empty = server.hostname
  bool mailauth_check = true;  // SPF, DKIM and DMARC on incoming mail (port 25)
  bool dmarc_junk = true;      // DMARC quarantine/reject files the message in Junk
};

// The plan named `name` ("" = the default plan), or nullptr.
const Plan* find_plan(const Config& c, std::string_view name);

// Reads and validates a config file. Errors look like "FILE line N: key 'x': ...".
Result<Config> load_file(const std::string& path);
// Same, from text (for tests); `origin` prefixes error messages.
Result<Config> load_text(std::string_view text, const std::string& origin);

// The development configuration: loopback, each standard port + 10000, data in `data_dir`.
Config dev_config(const std::string& data_dir);

}  // namespace tegami::config
