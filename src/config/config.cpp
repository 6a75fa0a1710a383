#include "config/config.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "config/toml.hpp"

namespace tegami::config {
namespace {

struct Key {
  const char* name;
  std::function<Status(Config&, const Value&)> set;
};

Status type_error(const char* key, const Value& v, const char* want) {
  return make_error(Errc::kInvalidData, fmt::format("line {}: key '{}' must be {}, not {}", v.line,
                                                    key, want, v.type_name()));
}

Key str(const char* name, std::string Config::*m) {
  return {name, [name, m](Config& c, const Value& v) -> Status {
            if (v.v.index() != 0) return type_error(name, v, "a string");
            c.*m = std::get<std::string>(v.v);
            return {};
          }};
}

Key boolean(const char* name, bool Config::*m) {
  return {name, [name, m](Config& c, const Value& v) -> Status {
            if (v.v.index() != 2) return type_error(name, v, "true or false");
            c.*m = std::get<bool>(v.v);
            return {};
          }};
}

Key integer(const char* name, int64_t Config::*m, int64_t lo, int64_t hi) {
  return {name, [=](Config& c, const Value& v) -> Status {
            if (v.v.index() != 1) return type_error(name, v, "an integer");
            int64_t n = std::get<int64_t>(v.v);
            if (n < lo || n > hi)
              return make_error(
                  Errc::kInvalidData,
                  fmt::format("line {}: key '{}' must be between {} and {}", v.line, name, lo, hi));
            c.*m = n;
            return {};
          }};
}

Key port(const char* name, uint16_t Ports::*m) {
  return {name, [=](Config& c, const Value& v) -> Status {
            if (v.v.index() != 1) return type_error(name, v, "a port number");
            int64_t n = std::get<int64_t>(v.v);
            if (n < 1 || n > 65535)
              return make_error(
                  Errc::kInvalidData,
                  fmt::format("line {}: key '{}' must be a port number 1-65535", v.line, name));
            c.ports.*m = static_cast<uint16_t>(n);
            return {};
          }};
}

// "ip" or "ip@port": the form libunbound's ub_ctx_set_fwd takes.
bool valid_forwarder(const std::string& s) {
  std::string ip = s;
  auto at = s.find('@');
  if (at != std::string::npos) {
    ip = s.substr(0, at);
    std::string port = s.substr(at + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char ch : port)
      if (ch < '0' || ch > '9') return false;
    int n = std::stoi(port);
    if (n < 1 || n > 65535) return false;
  }
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

const std::vector<Key>& schema() {
  static const std::vector<Key> keys = {
      str("server.hostname", &Config::hostname),
      str("server.data_dir", &Config::data_dir),
      {"server.listen",
       [](Config& c, const Value& v) -> Status {
         if (v.v.index() != 3) return type_error("server.listen", v, "an array of addresses");
         c.listen.clear();
         for (const auto& item : std::get<Array>(v.v)) {
           if (item.v.index() != 0) return type_error("server.listen", item, "a string");
           c.listen.push_back(std::get<std::string>(item.v));
         }
         if (c.listen.empty())
           return make_error(
               Errc::kInvalidData,
               fmt::format("line {}: key 'server.listen' needs at least one address", v.line));
         return {};
       }},
      {"server.threads",
       [](Config& c, const Value& v) -> Status {
         if (v.v.index() != 1) return type_error("server.threads", v, "an integer");
         int64_t n = std::get<int64_t>(v.v);
         if (n < 0 || n > 256)
           return make_error(Errc::kInvalidData,
                             fmt::format("line {}: key 'server.threads' must be 0-256", v.line));
         c.threads = static_cast<int>(n);
         return {};
       }},
      boolean("server.dev", &Config::dev),
      port("ports.smtp", &Ports::smtp),
      port("ports.submission", &Ports::submission),
      port("ports.submissions", &Ports::submissions),
      port("ports.imap", &Ports::imap),
      port("ports.imaps", &Ports::imaps),
      port("ports.https", &Ports::https),
      str("tls.cert", &Config::tls_cert),
      str("tls.key", &Config::tls_key),
      boolean("auth.allow_account_password", &Config::allow_account_password),
      str("auth.default_domain", &Config::default_domain),
      integer("limits.message_size", &Config::message_size, 1024, 1LL << 40),
      integer("limits.recipients_per_message", &Config::recipients_per_message, 1, 100000),
      integer("limits.connections", &Config::connections, 1, 1000000),
      integer("limits.connections_per_ip", &Config::connections_per_ip, 1, 1000000),
      integer("limits.messages_per_day", &Config::messages_per_day, 1, 100000000),
      integer("limits.recipients_per_day", &Config::recipients_per_day, 1, 100000000),
      integer("limits.suspend_after", &Config::suspend_after, 0, 1000000),
      integer("quota.default", &Config::default_quota, 0, 1LL << 50),
      str("quota.default_plan", &Config::default_plan),
      integer("queue.port", &Config::queue_port, 1, 65535),
      integer("queue.lifetime", &Config::queue_lifetime, 60, 60LL * 86400),
      integer("queue.delay_notice", &Config::queue_delay_notice, 0, 60LL * 86400),
      integer("queue.retry_first", &Config::queue_retry_first, 1, 86400),
      integer("queue.retry_max", &Config::queue_retry_max, 1, 7 * 86400),
      integer("queue.connections", &Config::queue_connections, 1, 10000),
      integer("queue.per_domain", &Config::queue_per_domain, 1, 1000),
      integer("queue.timeout", &Config::queue_timeout, 1, 3600),
      integer("queue.poll", &Config::queue_poll, 1, 3600),
      boolean("queue.dane", &Config::queue_dane),
      boolean("queue.mta_sts", &Config::queue_mta_sts),
      str("queue.ca_file", &Config::queue_ca_file),
      str("queue.sts_connect_to", &Config::queue_sts_connect_to),
      {"dns.forwarder",
       [](Config& c, const Value& v) -> Status {
         if (v.v.index() != 0) return type_error("dns.forwarder", v, "a string");
         const auto& s = std::get<std::string>(v.v);
         if (!s.empty() && !valid_forwarder(s))
           return make_error(Errc::kInvalidData,
                             fmt::format("line {}: key 'dns.forwarder' must be an IP address, "
                                         "optionally with @port (\"127.0.0.1@5353\")",
                                         v.line));
         c.dns_forwarder = s;
         return {};
       }},
      str("dns.trust_anchor", &Config::dns_trust_anchor),
      integer("dns.timeout_ms", &Config::dns_timeout_ms, 100, 120000),
      str("mailauth.authserv_id", &Config::authserv_id),
      boolean("mailauth.check", &Config::mailauth_check),
      boolean("mailauth.dmarc_junk", &Config::dmarc_junk),
      {"log.level",
       [](Config& c, const Value& v) -> Status {
         if (v.v.index() != 0) return type_error("log.level", v, "a string");
         const auto& s = std::get<std::string>(v.v);
         if (s != "debug" && s != "info" && s != "warn" && s != "error")
           return make_error(Errc::kInvalidData,
                             fmt::format("line {}: key 'log.level' must be one of debug, info, "
                                         "warn, error",
                                         v.line));
         c.log_level = s;
         return {};
       }},
  };
  return keys;
}

// The plan named `name`, added (every value -1: not set, until resolve_plans) if new.
Result<Plan*> plan_named(Config& c, const std::string& name, int line) {
  bool ok_name = !name.empty() && name.size() <= 32;
  for (char ch : name)
    ok_name =
        ok_name && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_');
  if (!ok_name)
    return make_error(
        Errc::kInvalidData,
        fmt::format("line {}: plan name '{}' must be 1-32 of a-z, 0-9, '-', '_'", line, name));
  auto it =
      std::find_if(c.plans.begin(), c.plans.end(), [&](const Plan& p) { return p.name == name; });
  if (it == c.plans.end()) it = c.plans.insert(c.plans.end(), Plan{name, -1, -1, -1, -1});
  return &*it;
}

// "plans.NAME.KEY = integer": a plan's own value.
Status set_plan_key(Config& c, const std::string& key, const Value& v) {
  auto dot = key.rfind('.');
  std::string name = key.substr(6, dot - 6), field = key.substr(dot + 1);
  auto plan = plan_named(c, name, v.line);
  if (!plan) return plan.error();
  static const std::pair<const char*, int64_t Plan::*> kFields[] = {
      {"quota", &Plan::quota},
      {"messages_per_day", &Plan::messages_per_day},
      {"recipients_per_day", &Plan::recipients_per_day},
      {"recipients_per_message", &Plan::recipients_per_message}};
  int64_t Plan::*m = nullptr;
  for (auto [f, member] : kFields)
    if (field == f) m = member;
  if (!m)
    return make_error(Errc::kInvalidData,
                      fmt::format("line {}: unknown key '{}' (a plan has quota, "
                                  "messages_per_day, recipients_per_day, recipients_per_message)",
                                  v.line, key));
  if (v.v.index() != 1) return type_error(key.c_str(), v, "an integer");
  int64_t n = std::get<int64_t>(v.v);
  if (n < 0 || n > (1LL << 50))
    return make_error(Errc::kInvalidData, fmt::format("line {}: key '{}' must be between 0 and {}",
                                                      v.line, key, 1LL << 50));
  (*plan)->*m = n;
  return {};
}

// Plans not configured get PRODUCT.md §7's list; a plan's unset values come from [limits] and
// [quota], its recipients_per_message is at most the server's; the default plan must exist.
Status resolve_plans(Config& c, const std::string& origin) {
  if (c.plans.empty()) {
    constexpr int64_t kGiB = 1024LL * 1024 * 1024;
    c.plans = {{"free", c.default_quota, -1, -1, -1},
               {"50gb", 50 * kGiB, -1, -1, -1},
               {"200gb", 200 * kGiB, -1, -1, -1},
               {"2tb", 2048 * kGiB, -1, -1, -1}};
  }
  for (Plan& p : c.plans) {
    if (p.quota < 0) p.quota = c.default_quota;
    if (p.messages_per_day < 0) p.messages_per_day = c.messages_per_day;
    if (p.recipients_per_day < 0) p.recipients_per_day = c.recipients_per_day;
    // limits.recipients_per_message is the server's (LIMITS RCPTMAX): a plan can only lower it,
    // so a plan's 0 (none of its own) or a higher value is the server's, as the session applies.
    if (p.recipients_per_message <= 0 || p.recipients_per_message > c.recipients_per_message)
      p.recipients_per_message = c.recipients_per_message;
  }
  if (!find_plan(c, c.default_plan))
    return make_error(
        Errc::kInvalidData,
        fmt::format("{}: quota.default_plan '{}' is not one of the plans", origin, c.default_plan));
  return {};
}

}  // namespace

const Plan* find_plan(const Config& c, std::string_view name) {
  if (name.empty()) name = c.default_plan;
  for (const Plan& p : c.plans)
    if (p.name == name) return &p;
  return nullptr;
}

Result<Config> load_text(std::string_view text, const std::string& origin) {
  std::vector<TableHeader> tables;
  auto table = parse_toml(text, &tables);
  if (!table.ok()) return make_error(Errc::kInvalidData, origin + " " + table.error().message);
  Config c;
  // A [plans.NAME] table is a plan even when it sets nothing (every value then inherited).
  for (const auto& [t, line] : tables) {
    if (t.rfind("plans.", 0) != 0 || t.find('.', 6) != std::string::npos) continue;
    if (auto p = plan_named(c, t.substr(6), line); !p.ok())
      return make_error(Errc::kInvalidData, origin + " " + p.error().message);
  }
  for (const auto& [key, value] : *table) {
    if (key.rfind("plans.", 0) == 0 && key.find('.', 6) != std::string::npos) {
      if (auto st = set_plan_key(c, key, value); !st.ok())
        return make_error(Errc::kInvalidData, origin + " " + st.error().message);
      continue;
    }
    const Key* k = nullptr;
    for (const auto& s : schema())
      if (key == s.name) k = &s;
    if (!k)
      return make_error(Errc::kInvalidData,
                        fmt::format("{} line {}: unknown key '{}' (see docs/configuration.md)",
                                    origin, value.line, key));
    if (auto st = k->set(c, value); !st.ok())
      return make_error(Errc::kInvalidData, origin + " " + st.error().message);
  }
  if (auto st = resolve_plans(c, origin); !st.ok()) return st.error();
  if (c.dev) {
    Config d = dev_config(c.data_dir);
    // Keys given explicitly still win; dev mode only moves the defaults.
    if (!table->count("server.listen")) c.listen = d.listen;
    for (auto [name, member] : {std::pair{"ports.smtp", &Ports::smtp},
                                {"ports.submission", &Ports::submission},
                                {"ports.submissions", &Ports::submissions},
                                {"ports.imap", &Ports::imap},
                                {"ports.imaps", &Ports::imaps},
                                {"ports.https", &Ports::https}})
      if (!table->count(name)) c.ports.*member = d.ports.*member;
  }
  return c;
}

Result<Config> load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::kNotFound, "cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return load_text(ss.str(), path);
}

Config dev_config(const std::string& data_dir) {
  Config c;
  c.dev = true;
  c.hostname = "localhost";
  c.data_dir = data_dir;
  c.listen = {"127.0.0.1"};
  c.ports = Ports{10025, 10587, 10465, 10143, 10993, 10443};
  c.default_domain = "tegami.test";
  c.default_quota = 5LL * 1024 * 1024 * 1024;
  (void)resolve_plans(c, "");  // the built-in list, which has the default plan
  return c;
}

}  // namespace tegami::config
