// RFC 5322 §3.4 address lists (mailbox, name-addr, angle-addr, group) with the obsolete forms of
// §4.4 (routes "@a,@b:", CFWS between local-part words, empty list elements) tolerated.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tegami::mime {

struct Address {
  enum class Kind { kMailbox, kGroupStart, kGroupEnd };
  Kind kind = Kind::kMailbox;
  std::string display_name;       // decoded UTF-8 (RFC 2047); for kGroupStart the group name
  std::string raw_name;           // as written: quoted-strings unquoted, encoded words kept
  std::string route;              // obsolete source route "@a,@b" (without the colon), usually ""
  std::string local;              // local part, quotes removed; may be "" when missing
  std::string domain;             // "" when missing; domain literals keep their brackets
  std::string addr_spec() const;  // "local@domain" (or "local" without a domain)
};

// Parses an address-list header value (raw or unfolded). Groups appear as kGroupStart, their
// mailboxes, kGroupEnd. When a mailbox has no phrase, a trailing comment becomes its name
// ("a@b (Ann)"). At most `max_addresses` entries are returned.
std::vector<Address> parse_address_list(std::string_view value, size_t max_addresses = 10000);

// Only the mailboxes, with group markers dropped.
std::vector<Address> parse_mailboxes(std::string_view value);

}  // namespace tegami::mime
