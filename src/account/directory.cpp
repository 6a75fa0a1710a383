// Addresses to accounts (PRODUCT.md §5): alias domains mirror every address of their primary
// domain, up to kMaxAliases extra aliases, plus-addressing (RFC 5233 subaddress "+tag").
#include "account/directory.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace tegami::account {
namespace {

// The primary domain of `domain` followed by each of its alias domains (lower case).
// kNotFound when the domain is not ours.
Result<std::vector<std::string>> domain_family(store::Store& store, std::string_view domain) {
  auto d = store.find_domain(domain);
  if (!d) return d.error();
  store::Id primary = d->alias_of != 0 ? d->alias_of : d->id;
  auto all = store.list_domains();
  if (!all) return all.error();
  std::vector<std::string> names;
  for (const auto& x : *all)
    if (x.id == primary) names.push_back(ascii_lower(x.name));
  for (const auto& x : *all)
    if (x.alias_of == primary) names.push_back(ascii_lower(x.name));
  if (names.empty()) names.push_back(ascii_lower(domain));
  return names;
}

// The account with `local` on `domain` or on any domain of its family.
Result<store::Account> find_in_family(store::Store& store, const std::string& local,
                                      const std::string& domain,
                                      const std::vector<std::string>& family) {
  auto r = store.find_account_by_address(local + "@" + domain);
  if (r.ok() || r.code() != Errc::kNotFound) return r;
  for (const auto& d : family) {
    if (d == domain) continue;
    auto a = store.find_account_by_address(local + "@" + d);
    if (a.ok() || a.code() != Errc::kNotFound) return a;
  }
  return make_error(Errc::kNotFound,
                    "No mailbox here has the address " + local + "@" + domain + ".");
}

// The oldest account whose primary address is on a domain of `family`, or `none`.
Result<store::Account> first_account_in(store::Store& store, const std::vector<std::string>& family,
                                        Error none) {
  auto all = store.list_accounts();
  if (!all) return all.error();
  const store::Account* first = nullptr;
  for (const auto& a : *all) {
    std::string local, domain;
    if (!split_address(ascii_lower(a.address), local, domain)) continue;
    if (std::find(family.begin(), family.end(), domain) == family.end()) continue;
    if (!first || a.id < first->id) first = &a;
  }
  if (!first) return none;
  return *first;
}

bool valid_local_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

bool split_address(std::string_view address, std::string& local, std::string& domain) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  local.assign(address.substr(0, at));
  domain.assign(address.substr(at + 1));
  return true;
}

Result<std::string> check_domain_name(std::string_view name) {
  std::string d = ascii_lower(trim(name));
  if (!d.empty() && d.back() == '.') d.pop_back();
  auto bad = [&](const std::string& why) {
    return make_error(Errc::kInvalidData, "'" + std::string(name.substr(0, 100)) +
                                              "' is not a domain name we can host: " + why);
  };
  if (!is_ascii(d))
    return bad("give its ASCII form (IDNA, the \"xn--\" name; e.g. `idn2 " +
               std::string(name.substr(0, 100)) + "` prints it)");
  if (d.empty() || d.size() > 253) return bad("a name has 1 to 253 characters");
  auto labels = split(d, '.');
  if (labels.size() < 2) return bad("it needs at least two labels, as in example.com");
  for (std::string_view l : labels) {
    if (l.empty() || l.size() > 63) return bad("each label between dots has 1 to 63 characters");
    if (l.front() == '-' || l.back() == '-') return bad("a label cannot begin or end with '-'");
    for (char c : l)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return bad("only letters, digits, '-' and '.' are allowed");
  }
  return d;
}

bool is_local_domain(store::Store& store, std::string_view domain) {
  return store.find_domain(ascii_lower(trim(domain))).ok();
}

Result<store::Account> resolve_recipient(store::Store& store, std::string_view address) {
  std::string_view a = trim(address);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  std::string lower = ascii_lower(a);
  std::string local, domain;
  if (lower.size() > 320 || !split_address(lower, local, domain))
    return make_error(Errc::kInvalidData,
                      "\"" + std::string(a.substr(0, 100)) + "\" is not a complete mail address.");
  if (!domain.empty() && domain.back() == '.') domain.pop_back();  // FQDN form
  auto family = domain_family(store, domain);
  if (!family) {
    if (family.code() == Errc::kNotFound)
      return make_error(Errc::kPerm, "The domain " + domain + " is not hosted here.");
    return family.error();
  }
  // An address that really contains '+' wins over plus-addressing; then strip "+tag".
  auto exact = find_in_family(store, local, domain, *family);
  if (exact.ok() || exact.code() != Errc::kNotFound) return exact;
  if (local == "postmaster") return first_account_in(store, *family, exact.error());
  auto plus = local.find('+');
  if (plus == std::string::npos || plus == 0) return exact;
  return find_in_family(store, local.substr(0, plus), domain, *family);
}

Result<std::vector<std::string>> sendable_addresses(store::Store& store, const store::Account& a) {
  auto aliases = store.list_aliases(a.id);
  if (!aliases) return aliases.error();
  std::vector<std::string> bases{ascii_lower(a.address)};
  for (const auto& al : *aliases) bases.push_back(ascii_lower(al));
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  for (const auto& b : bases) {
    add(b);
    std::string local, domain;
    if (!split_address(b, local, domain)) continue;
    auto family = domain_family(store, domain);
    if (!family) {
      if (family.code() == Errc::kNotFound) continue;  // a domain since removed
      return family.error();
    }
    for (const auto& d : *family) add(local + "@" + d);
  }
  return out;
}

Status add_alias(store::Store& store, const store::Account& a, std::string_view alias) {
  std::string addr = ascii_lower(trim(alias));
  std::string local, domain;
  if (addr.size() > 254 || !split_address(addr, local, domain))
    return make_error(Errc::kInvalidData, "\"" + std::string(trim(alias).substr(0, 100)) +
                                              "\" is not a complete mail address.");
  if (local.size() > 64 || !std::all_of(local.begin(), local.end(), valid_local_char) ||
      local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos)
    return make_error(Errc::kInvalidData,
                      "An alias may use letters, digits, '.', '_' and '-' (no '+', which is for "
                      "plus-addressing).");
  auto family = domain_family(store, domain);
  if (!family) {
    if (family.code() == Errc::kNotFound)
      return make_error(Errc::kPerm, "The domain " + domain +
                                         " is not hosted here: aliases must use one of our "
                                         "domains.");
    return family.error();
  }
  // Alias domains mirror their primary: store the alias on the primary domain.
  const std::string canonical = local + "@" + family->front();
  auto taken = find_in_family(store, local, domain, *family);
  if (taken.ok())
    return make_error(Errc::kExists, taken->id == a.id
                                         ? canonical + " already belongs to this account."
                                         : canonical + " is already taken.");
  if (taken.code() != Errc::kNotFound) return taken.error();
  auto existing = store.list_aliases(a.id);
  if (!existing) return existing.error();
  if (existing->size() >= static_cast<size_t>(kMaxAliases))
    return make_error(Errc::kLimit, "An account can have at most " + std::to_string(kMaxAliases) +
                                        " aliases: remove one first.");
  return store.add_alias(a.id, canonical);
}

Status add_own_alias(store::Store& store, const store::Account& a, std::string_view alias) {
  std::string local, domain, own_local, own_domain;
  std::string addr = ascii_lower(trim(alias));
  if (split_address(addr, local, domain) && split_address(a.address, own_local, own_domain)) {
    auto mine = domain_family(store, own_domain);
    if (!mine && mine.code() != Errc::kNotFound) return mine.error();
    bool ok = mine && std::find(mine->begin(), mine->end(), domain) != mine->end();
    if (!ok)
      return make_error(Errc::kPerm, "Aliases can only use the domain of your address (" +
                                         own_domain + ") or its alias domains.");
  }
  return add_alias(store, a, addr);
}

}  // namespace tegami::account
