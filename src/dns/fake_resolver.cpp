// In-memory resolver for tests; see fake_resolver.hpp.
#include "dns/fake_resolver.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "base/strings.hpp"

namespace tegami::dns {
namespace {

// Addresses are keyed by their reverse name, so every spelling of one address matches.
std::string ptr_key(std::string_view ip) {
  auto rev = reverse_name(ip);
  return rev ? *rev : ascii_lower(ip);
}

}  // namespace

std::string FakeResolver::key_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return ascii_lower(name);
}

FakeResolver::Entry& FakeResolver::entry(std::string_view name, RrType type) {
  return entries_[Key{key_name(name), type}];
}

void FakeResolver::add_txt(std::string_view name, std::string value) {
  std::lock_guard lock(mu_);
  entry(name, RrType::kTxt).strings.push_back(std::move(value));
}

void FakeResolver::add_mx(std::string_view name, uint16_t preference, std::string_view host) {
  std::lock_guard lock(mu_);
  entry(name, RrType::kMx).mx.push_back(MxRecord{preference, key_name(host)});
}

void FakeResolver::add_a(std::string_view name, std::string ip) {
  std::lock_guard lock(mu_);
  entry(name, RrType::kA).strings.push_back(std::move(ip));
}

void FakeResolver::add_aaaa(std::string_view name, std::string ip) {
  std::lock_guard lock(mu_);
  entry(name, RrType::kAaaa).strings.push_back(std::move(ip));
}

void FakeResolver::add_tlsa(std::string_view name, TlsaRecord rec) {
  std::lock_guard lock(mu_);
  entry(name, RrType::kTlsa).tlsa.push_back(std::move(rec));
}

void FakeResolver::add_ptr(std::string_view ip, std::string_view host) {
  std::lock_guard lock(mu_);
  entries_[Key{ptr_key(ip), RrType::kPtr}].strings.push_back(key_name(host));
}

void FakeResolver::add_cname(std::string_view alias, std::string_view target, bool secure) {
  std::lock_guard lock(mu_);
  cnames_[key_name(alias)] = Cname{key_name(target), secure};
}

void FakeResolver::set_failure(std::string_view name, RrType type, Errc code) {
  std::lock_guard lock(mu_);
  auto& e = type == RrType::kPtr ? entries_[Key{ptr_key(name), type}] : entry(name, type);
  e.has_failure = true;
  e.failure = code;
}

void FakeResolver::set_secure(std::string_view name, RrType type, bool secure) {
  std::lock_guard lock(mu_);
  auto& e = type == RrType::kPtr ? entries_[Key{ptr_key(name), type}] : entry(name, type);
  e.secure = secure;
}

void FakeResolver::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
  cnames_.clear();
  queries_.clear();
}

std::vector<FakeResolver::Query> FakeResolver::queries() const {
  std::lock_guard lock(mu_);
  return queries_;
}

size_t FakeResolver::query_count() const {
  std::lock_guard lock(mu_);
  return queries_.size();
}

void FakeResolver::clear_queries() {
  std::lock_guard lock(mu_);
  queries_.clear();
}

Result<FakeResolver::Entry> FakeResolver::find(std::string_view name, RrType type,
                                               bool nodata_is_answer) {
  std::string key;
  if (type == RrType::kPtr) {
    auto rev = reverse_name(name);
    if (!rev) return rev.error();
    key = *rev;
  } else {
    auto n = normalize_name(name);
    if (!n) return n.error();
    key = *n;
  }
  std::lock_guard lock(mu_);
  queries_.push_back(Query{type, type == RrType::kPtr ? std::string(name) : key});
  std::string canonical;
  bool chain_secure = true;
  for (int links = 0; type != RrType::kPtr; ++links) {
    auto c = cnames_.find(key);
    if (c == cnames_.end()) break;
    if (links == 8) return make_error(Errc::kTemporary, "CNAME chain of " + key + " too long");
    chain_secure = chain_secure && c->second.secure;
    key = c->second.target;
    canonical = key;
  }
  // The answer as a resolver gives it after following the chain.
  auto found = [&](Entry e) {
    e.secure = e.secure && chain_secure;
    e.canonical_name = canonical;
    return e;
  };
  auto it = entries_.find(Key{key, type});
  if (it != entries_.end() && it->second.has_failure) {
    return make_error(it->second.failure, std::string("lookup of ") + rr_type_name(type) + " " +
                                              key + " failed (fake)");
  }
  if (it == entries_.end() ||
      (it->second.strings.empty() && it->second.mx.empty() && it->second.tlsa.empty())) {
    auto first = entries_.lower_bound(Key{key, RrType::kA});  // kA: the first RrType
    bool exists = first != entries_.end() && first->first.first == key;
    if (!exists) return make_error(Errc::kNotFound, key + " does not exist (NXDOMAIN, fake)");
    if (nodata_is_answer) return found(it != entries_.end() ? it->second : Entry{});
    return make_error(Errc::kNotFound, key + " has no " + rr_type_name(type) + " records");
  }
  return found(it->second);
}

template <class T>
static Answer<T> answer(std::vector<T> recs, const auto& entry) {
  Answer<T> a;
  a.records = std::move(recs);
  a.secure = entry.secure;
  a.canonical_name = entry.canonical_name;
  return a;
}

Result<Answer<std::string>> FakeResolver::txt(std::string_view name) {
  auto e = find(name, RrType::kTxt);
  if (!e) return e.error();
  return answer(std::move(e->strings), *e);
}

Result<Answer<MxRecord>> FakeResolver::mx(std::string_view name) {
  auto e = find(name, RrType::kMx, /*nodata_is_answer=*/true);
  if (!e) return e.error();
  auto recs = std::move(e->mx);
  std::stable_sort(recs.begin(), recs.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  return answer(std::move(recs), *e);
}

Result<Answer<std::string>> FakeResolver::a(std::string_view name) {
  auto e = find(name, RrType::kA);
  if (!e) return e.error();
  return answer(std::move(e->strings), *e);
}

Result<Answer<std::string>> FakeResolver::aaaa(std::string_view name) {
  auto e = find(name, RrType::kAaaa);
  if (!e) return e.error();
  return answer(std::move(e->strings), *e);
}

Result<Answer<TlsaRecord>> FakeResolver::tlsa(std::string_view name) {
  auto e = find(name, RrType::kTlsa);
  if (!e) return e.error();
  return answer(std::move(e->tlsa), *e);
}

Result<Answer<std::string>> FakeResolver::ptr(std::string_view ip) {
  auto e = find(ip, RrType::kPtr);
  if (!e) return e.error();
  return answer(std::move(e->strings), *e);
}

}  // namespace tegami::dns
