// DMARC policy records (RFC 7489 §6.3 general record format, §6.4 formal definition, §6.6.3
// policy discovery rules for invalid records). Pure: no DNS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tegami::dmarc {

enum class Policy { kNone, kQuarantine, kReject };
const char* policy_name(Policy p);  // "none", "quarantine", "reject"

enum class Alignment { kRelaxed, kStrict };

struct Record {
  Policy p = Policy::kNone;
  std::optional<Policy> sp;  // subdomain policy; p when absent
  Alignment adkim = Alignment::kRelaxed;
  Alignment aspf = Alignment::kRelaxed;
  int pct = 100;                 // 0..100
  std::vector<std::string> rua;  // aggregate report URIs ("mailto:...", size suffix kept)
  std::vector<std::string> ruf;  // failure report URIs
  std::string fo = "0";
  std::string rf = "afrf";
  uint32_t ri = 86400;
  bool p_defaulted = false;  // p was missing or invalid and rua valid: treated as p=none
};

// "v=DMARC1" as the first tag (§6.4: v is first, its value exactly DMARC1).
bool is_dmarc_record(std::string_view txt);

// Parses a record. Missing or invalid "v" is kInvalidData. A missing or invalid "p" (or an
// invalid "sp") makes the record invalid unless "rua" holds a valid URI, in which case p=none
// (§6.6.3 step 6). Invalid values of other tags fall back to their defaults; unknown tags are
// ignored (§6.3). Records over 4096 characters are refused.
Result<Record> parse_record(std::string_view txt);

}  // namespace tegami::dmarc
