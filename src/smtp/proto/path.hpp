// Envelope paths and mailboxes: RFC 5321 §4.1.2 (Path, Mailbox, Local-part, Domain,
// address-literal), §4.1.3 (address literals), §4.5.3.1 (size limits), §3.6.1 and Appendix C
// (source routes: parsed, then ignored), RFC 6531 §3.3 (UTF-8 in local parts and domains when
// SMTPUTF8 is in effect).
#pragma once

#include <string>
#include <string_view>

namespace tegami::smtp::proto {

struct Mailbox {
  std::string local;    // as it means: a quoted-string is unquoted ("a b"@x -> a b)
  std::string domain;   // as written (a domain, or an address literal with its brackets)
  bool quoted = false;  // the local part was a quoted-string
  bool address_literal = false;
  bool utf8 = false;  // non-ASCII bytes in the local part or the domain

  // Relay-hack forms (DESIGN: the server is never an open relay): '%' in the local part
  // ("user%other.example@us"), '!' bang paths ("other!user@us"), or an '@' inside a quoted
  // local part ("\"user@other\"@us"). The MX policy refuses them outright.
  bool relay_hack() const;

  // "local@domain", re-quoting the local part when it needs quotes (RFC 5321 §4.1.2).
  std::string str() const;
};

struct Path {
  bool null = false;          // "<>" (only valid as a reverse-path)
  bool source_route = false;  // "<@a,@b:user@c>": the route was dropped
  Mailbox mailbox;
};

enum class PathError {
  kNone,
  kNoBrackets,  // missing '<' or '>'
  kBadRoute,    // a malformed source route
  kBadLocalPart,
  kBadDomain,
  kNoAt,
  kTooLong,
  kUtf8NotAllowed,  // non-ASCII without SMTPUTF8
  kBadUtf8,         // invalid UTF-8
  kNullNotAllowed,  // "<>" where a forward-path is needed
};

// A phrase for the reply that names what is wrong ("bad domain").
const char* path_error_text(PathError e);

// Parses a Path at the start of `s` (which must start with '<'). On success `consumed` is the
// number of bytes up to and including '>'. `allow_null` permits "<>", `allow_utf8` permits
// UTF-8 (RFC 6531). Never throws; any input is safe.
PathError parse_path(std::string_view s, bool allow_null, bool allow_utf8, Path& out,
                     std::size_t& consumed);

// Parses a bare "local@domain" mailbox (no brackets): the whole string must match.
PathError parse_mailbox(std::string_view s, bool allow_utf8, Mailbox& out);

// RFC 5321 Domain (sub-domains of letters, digits and hyphens; U-labels with allow_utf8).
bool is_valid_domain(std::string_view s, bool allow_utf8);
// RFC 5321 §4.1.3 address literal including brackets: [1.2.3.4], [IPv6:...], [tag:text].
bool is_valid_address_literal(std::string_view s);

}  // namespace tegami::smtp::proto
