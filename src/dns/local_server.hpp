// A real DNS server on loopback for tests (issue 4: "tests run a real DNS server on loopback and
// point Tegami at it by configuration"): /usr/sbin/unbound with a generated configuration that
// serves static zones from `local-data` lines. Point a resolver at it with
// ResolverOptions::forwarder = server.forwarder(). Test support only; never used by the server.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tegami::dns {

struct LocalZoneData {
  // Zones answered authoritatively ("static": names without data are NXDOMAIN), e.g.
  // "example.test.". Reverse names from `local_data_ptr` need no zone.
  std::vector<std::string> static_zones;
  // unbound local-data records, e.g. "example.test. IN MX 10 mx.example.test." or
  // "example.test. IN TXT \"v=spf1 \" \"-all\"" (several strings in one TXT).
  std::vector<std::string> local_data;
  // "address name" pairs for PTR, e.g. "1.2.3.4 mx.example.test". Avoid private and
  // documentation ranges: libunbound answers those reverse zones itself.
  std::vector<std::string> local_data_ptr;
  // Zones the server refuses (REFUSED), for error tests.
  std::vector<std::string> refused_zones;
};

class LocalDnsServer {
 public:
  static constexpr const char* kUnboundPath = "/usr/sbin/unbound";
  static bool available();  // unbound is installed

  // Starts unbound on 127.0.0.1 and a free port and waits (at most 5 s) until it accepts TCP
  // connections. kInternal with the log's tail when it does not come up.
  static Result<std::unique_ptr<LocalDnsServer>> start(const LocalZoneData& data);

  ~LocalDnsServer();  // SIGTERM, then SIGKILL after 2 s; removes the temporary folder
  LocalDnsServer(const LocalDnsServer&) = delete;
  LocalDnsServer& operator=(const LocalDnsServer&) = delete;

  int port() const { return port_; }
  std::string forwarder() const { return "127.0.0.1@" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }

 private:
  LocalDnsServer() = default;
  std::string dir_;
  int port_ = -1;
  pid_t pid_ = -1;
};

}  // namespace tegami::dns
