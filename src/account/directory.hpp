// Addresses to accounts (PRODUCT.md §5): alias domains mirror every address of their primary
// domain, extra aliases, plus-addressing. Blocking: call through net::offload from sessions.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "store/store.hpp"

namespace tegami::account {

inline constexpr int kMaxAliases = 3;

// Splits "local@domain"; false when there is no '@' or either side is empty.
bool split_address(std::string_view address, std::string& local, std::string& domain);

// A domain name to host, as `tegami domain add` takes it: lower case, without a trailing dot;
// ASCII letters, digits and hyphens in labels of 1 to 63 (no hyphen first or last), at least two
// labels, at most 253 octets. A name with other characters (e.g. Japanese) is kInvalidData
// naming its ASCII (IDNA, "xn--") form as the one to give.
Result<std::string> check_domain_name(std::string_view name);

// True when the domain is one we host (primary or alias domain).
bool is_local_domain(store::Store& store, std::string_view domain);

// The account that receives mail for `address`: lower-cased, "+tag" stripped from the local
// part, alias domains mapped to their primary. "postmaster" that no account or alias has goes
// to the domain's first account (RFC 5321 §4.5.1: every domain accepts mail for its
// postmaster). kNotFound when the domain is ours but no account has the address; kPerm when
// the domain is not ours.
Result<store::Account> resolve_recipient(store::Store& store, std::string_view address);

// Every address that may appear as the sender of the account: primary, aliases, and each of
// them on every alias domain of its domain.
Result<std::vector<std::string>> sendable_addresses(store::Store& store, const store::Account& a);

// Adds an extra alias (at most kMaxAliases; the domain must be ours; kExists if taken).
Status add_alias(store::Store& store, const store::Account& a, std::string_view alias);

// The same for self-service (the portal): the alias must also be on the account's own primary
// domain or one of its alias domains (kPerm otherwise), so that a user cannot take addresses
// on another customer's domain. add_alias itself is for administrators.
Status add_own_alias(store::Store& store, const store::Account& a, std::string_view alias);

}  // namespace tegami::account
