// Flags on the wire <-> store bits and keywords (RFC 9051 §2.3.2, §9 "flag").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace tegami::imap::server {

struct ParsedFlags {
  uint32_t bits = 0;
  std::vector<std::string> keywords;
};

// Client flags ("\\Seen", "$Forwarded") -> bits and keywords. "\\Recent" is dropped (it cannot
// be set). nullopt for an unknown system flag ("\\Foo") or an invalid keyword.
std::optional<ParsedFlags> parse_flags(const std::vector<std::string>& flags);

// "(\\Seen $Forwarded)"; \Recent is added when `recent`.
std::string format_flags(uint32_t bits, const std::vector<std::string>& keywords, bool recent);

// RFC 8474 object ids: MAILBOXID from the mailbox id (kept across RENAME), EMAILID from the
// account and the content blob (kept across COPY and MOVE; messages of one account with
// identical bytes share it; the account part keeps users from matching ids with each other).
inline std::string mailbox_object_id(store::Id id) { return "M" + std::to_string(id); }
inline std::string email_object_id(store::Id account, store::Id blob) {
  return "E" + std::to_string(account) + "_" + std::to_string(blob);
}

inline constexpr const char* kSystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

}  // namespace tegami::imap::server
