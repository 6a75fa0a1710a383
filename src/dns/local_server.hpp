// A real DNS server on loopback for tests (issue 4: "tests run a real DNS server on loopback and
// point Tegami at it by configuration"): /usr/sbin/unbound with a generated configuration that
// serves static zones from `local-data` lines, and DNSSEC-signed zones (signed at start with
// ldns-keygen and ldns-signzone, served as unbound `auth-zone`s). Point a resolver at it with
// ResolverOptions::forwarder = server.forwarder() (and trust_anchor_file = trust_anchor_file()
// to validate the signed zones). Test support only; never used by the server.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tegami::dns {

// A zone signed at start with a new ECDSA P-256 key (one KSK signing everything; NSEC denial)
// and served authoritatively, with RRSIG and NSEC records for queries with the DO bit.
struct SignedZone {
  std::string name;  // e.g. "signed.test." (the trailing dot is optional)
  // Zone-file lines with absolute names, e.g. "signed.test. 300 IN MX 10 mx.signed.test.". An
  // SOA and an NS record (ns.<name>, without address) are added.
  std::vector<std::string> records;
  // Lines appended to the signed zone: a record added to a signed RRset breaks its signature, a
  // new RRset has none. Either way a validating resolver finds the answer bogus; but a name
  // that did not exist when signing may also be answered NXDOMAIN from a cached NSEC record
  // that covers it (aggressive NSEC, RFC 8198), so prefer changing an existing RRset.
  std::vector<std::string> added_after_signing;
};

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
  // DNSSEC-signed zones; names must not be among static_zones. Needs signing_available().
  std::vector<SignedZone> signed_zones;
};

class LocalDnsServer {
 public:
  static constexpr const char* kUnboundPath = "/usr/sbin/unbound";
  static bool available();  // unbound is installed
  static constexpr const char* kKeygenPath = "/usr/bin/ldns-keygen";
  static constexpr const char* kSignzonePath = "/usr/bin/ldns-signzone";
  static bool signing_available();  // available() and ldns-keygen, ldns-signzone (ldnsutils)

  // unbound gets SIGKILL when the calling thread ends (PR_SET_PDEATHSIG), so that it never
  // outlives a crashed or killed test: call this from the thread that keeps the server.
  // Signs the signed zones, starts unbound on 127.0.0.1 and a free port and waits (at most 5 s)
  // until it accepts TCP connections and has logged "start of service" (so that the port is its
  // own, not another process's that took it first). kInternal with the log's tail when it does not
  // come up or a zone cannot be signed; kNotFound when unbound (or, for signed zones, ldnsutils) is
  // missing.
  static Result<std::unique_ptr<LocalDnsServer>> start(const LocalZoneData& data);

  ~LocalDnsServer();  // SIGTERM, then SIGKILL after 2 s; removes the temporary folder
  LocalDnsServer(const LocalDnsServer&) = delete;
  LocalDnsServer& operator=(const LocalDnsServer&) = delete;

  int port() const { return port_; }
  std::string forwarder() const { return "127.0.0.1@" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  // The DS records of the signed zones (their keys' digests, as a parent zone would publish
  // them), for ResolverOptions::trust_anchor_file. Empty without signed zones.
  const std::string& trust_anchor_file() const { return trust_anchor_file_; }

 private:
  LocalDnsServer() = default;
  // Writes, keys and signs each signed zone in dir_; fills trust_anchor_file_.
  Result<void> sign_zones(const std::vector<SignedZone>& zones);
  std::string dir_;
  std::string trust_anchor_file_;
  int port_ = -1;
  pid_t pid_ = -1;
};

}  // namespace tegami::dns
