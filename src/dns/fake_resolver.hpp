// An in-memory Resolver for unit tests of other modules (SPF, DKIM, DMARC, the queue).
// Names are compared case-insensitively, a trailing dot is ignored. A name with records of some
// type but not the one asked answers kNotFound ("nodata"), an unknown name kNotFound
// ("NXDOMAIN"); set_failure overrides both. mx() answers "nodata" as the Resolver interface says:
// no records, secure when set_secure(name, kMx) was called (a name known only from that call
// exists too). add_cname makes a name an alias. Thread-safe; every lookup is logged.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dns/resolver.hpp"

namespace tegami::dns {

class FakeResolver final : public Resolver {
 public:
  struct Query {
    RrType type;
    std::string name;  // normalized; for PTR the address as given
  };

  void add_txt(std::string_view name, std::string value);
  void add_mx(std::string_view name, uint16_t preference, std::string_view host);
  void add_a(std::string_view name, std::string ip);
  void add_aaaa(std::string_view name, std::string ip);
  void add_tlsa(std::string_view name, TlsaRecord rec);
  void add_ptr(std::string_view ip, std::string_view host);  // ip in any text form
  // Makes `alias` a CNAME for `target`: lookups of the alias (every type but PTR) answer what
  // lookups of the target answer, failures and denials included, with `canonical_name` set to
  // the end of the chain (chains are followed, at most 8 links; longer is kTemporary). The
  // answer is `secure` only when every link was added with `secure` and the target's answer is
  // secure, as a validating resolver reports a chain. The alias's own entries are not used.
  void add_cname(std::string_view alias, std::string_view target, bool secure = false);
  // Every later lookup of (name, type) fails with `code` (kTemporary, kPerm, kNotFound...).
  void set_failure(std::string_view name, RrType type, Errc code);
  // Marks answers for (name, type) as DNSSEC-validated.
  void set_secure(std::string_view name, RrType type, bool secure = true);
  void clear();

  std::vector<Query> queries() const;
  size_t query_count() const;
  void clear_queries();

  Result<Answer<std::string>> txt(std::string_view name) override;
  Result<Answer<MxRecord>> mx(std::string_view name) override;
  Result<Answer<std::string>> a(std::string_view name) override;
  Result<Answer<std::string>> aaaa(std::string_view name) override;
  Result<Answer<TlsaRecord>> tlsa(std::string_view name) override;
  Result<Answer<std::string>> ptr(std::string_view ip) override;

 private:
  using Key = std::pair<std::string, RrType>;
  struct Entry {
    std::vector<std::string> strings;  // TXT, A, AAAA, PTR
    std::vector<MxRecord> mx;
    std::vector<TlsaRecord> tlsa;
    bool secure = false;
    bool has_failure = false;
    Errc failure = Errc::kTemporary;
    std::string canonical_name;  // set in find()'s copy for an alias
  };
  struct Cname {
    std::string target;
    bool secure = false;
  };
  static std::string key_name(std::string_view name);
  // Returns the entry or an error; logs the query. Caller holds no lock. With
  // `nodata_is_answer`, a name that exists (has an entry of any type) without records of `type`
  // gives an entry without records instead of kNotFound. Follows CNAMEs (not for PTR).
  Result<Entry> find(std::string_view name, RrType type, bool nodata_is_answer = false);
  Entry& entry(std::string_view name, RrType type);

  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;
  std::map<std::string, Cname> cnames_;  // by alias
  std::vector<Query> queries_;
};

}  // namespace tegami::dns
