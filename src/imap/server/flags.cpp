// Flags: RFC 9051 §2.3.2 (system flags, keywords), §9 (flag, flag-keyword syntax).
#include "imap/server/flags.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace tegami::imap::server {

namespace {

struct SystemFlag {
  const char* name;
  uint32_t bit;
};
constexpr SystemFlag kFlags[] = {{"\\Seen", store::kSeen},
                                 {"\\Answered", store::kAnswered},
                                 {"\\Flagged", store::kFlagged},
                                 {"\\Deleted", store::kDeleted},
                                 {"\\Draft", store::kDraft}};

bool valid_keyword(const std::string& k) {
  if (k.empty() || k.size() > 100) return false;
  for (unsigned char c : k) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' || c == '\\' ||
        c == ']')
      return false;
  }
  return true;
}

}  // namespace

std::optional<ParsedFlags> parse_flags(const std::vector<std::string>& flags) {
  ParsedFlags out;
  for (const auto& f : flags) {
    if (!f.empty() && f[0] == '\\') {
      if (iequals(f, "\\Recent")) continue;
      bool found = false;
      for (const auto& sf : kFlags) {
        if (iequals(f, sf.name)) {
          out.bits |= sf.bit;
          found = true;
        }
      }
      if (!found) return std::nullopt;
      continue;
    }
    if (!valid_keyword(f)) return std::nullopt;
    bool dup = std::any_of(out.keywords.begin(), out.keywords.end(),
                           [&](const std::string& k) { return iequals(k, f); });
    if (!dup) out.keywords.push_back(f);
  }
  return out;
}

std::string format_flags(uint32_t bits, const std::vector<std::string>& keywords, bool recent) {
  std::string out = "(";
  auto add = [&](std::string_view s) {
    if (out.size() > 1) out += ' ';
    out += s;
  };
  for (const auto& sf : kFlags) {
    if (bits & sf.bit) add(sf.name);
  }
  if (recent) add("\\Recent");
  for (const auto& k : keywords) add(k);
  out += ')';
  return out;
}

}  // namespace tegami::imap::server
