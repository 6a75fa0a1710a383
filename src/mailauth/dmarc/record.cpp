// DMARC record parsing; see record.hpp for the RFC 7489 sections.
#include "mailauth/dmarc/record.hpp"

#include "base/strings.hpp"

namespace tegami::dmarc {
namespace {

std::optional<Policy> parse_policy(std::string_view v) {
  if (iequals(v, "none")) return Policy::kNone;
  if (iequals(v, "quarantine")) return Policy::kQuarantine;
  if (iequals(v, "reject")) return Policy::kReject;
  return std::nullopt;
}

std::optional<Alignment> parse_alignment(std::string_view v) {
  if (iequals(v, "r")) return Alignment::kRelaxed;
  if (iequals(v, "s")) return Alignment::kStrict;
  return std::nullopt;
}

// dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]; URIs are separated by ",".
std::vector<std::string> parse_uris(std::string_view v) {
  std::vector<std::string> out;
  for (auto part : split(v, ',')) {
    part = trim(part);
    size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= part.size()) continue;
    bool scheme_ok = true;
    for (char c : part.substr(0, colon)) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '+' || c == '-' || c == '.';
      if (!ok) scheme_ok = false;
    }
    bool chars_ok = true;
    for (char c : part) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f) chars_ok = false;
    }
    if (scheme_ok && chars_ok) out.emplace_back(part);
  }
  return out;
}

}  // namespace

const char* policy_name(Policy p) {
  switch (p) {
    case Policy::kNone:
      return "none";
    case Policy::kQuarantine:
      return "quarantine";
    case Policy::kReject:
      return "reject";
  }
  return "none";
}

bool is_dmarc_record(std::string_view txt) {
  auto first = trim(txt.substr(0, txt.find(';')));
  size_t eq = first.find('=');
  if (eq == std::string_view::npos) return false;
  return trim(first.substr(0, eq)) == "v" && trim(first.substr(eq + 1)) == "DMARC1";
}

Result<Record> parse_record(std::string_view txt) {
  if (txt.size() > 4096) return make_error(Errc::kInvalidData, "DMARC record: too long");
  if (!is_dmarc_record(txt))
    return make_error(Errc::kInvalidData, "DMARC record: does not start with v=DMARC1");
  Record rec;
  bool have_p = false, bad_sp = false;
  bool first = true;
  for (auto part : split(txt, ';')) {
    if (first) {  // the v tag
      first = false;
      continue;
    }
    part = trim(part);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;  // not a tag-spec: ignored
    std::string tag = ascii_lower(trim(part.substr(0, eq)));
    std::string_view value = trim(part.substr(eq + 1));
    if (tag == "p") {
      if (auto p = parse_policy(value)) {
        rec.p = *p;
        have_p = true;
      }
    } else if (tag == "sp") {
      if (auto p = parse_policy(value))
        rec.sp = *p;
      else
        bad_sp = true;
    } else if (tag == "adkim") {
      if (auto a = parse_alignment(value)) rec.adkim = *a;
    } else if (tag == "aspf") {
      if (auto a = parse_alignment(value)) rec.aspf = *a;
    } else if (tag == "pct") {
      auto n = parse_u64(value);
      if (n && *n <= 100) rec.pct = static_cast<int>(*n);
    } else if (tag == "rua") {
      rec.rua = parse_uris(value);
    } else if (tag == "ruf") {
      rec.ruf = parse_uris(value);
    } else if (tag == "fo") {
      if (!value.empty()) rec.fo = std::string(value);
    } else if (tag == "rf") {
      if (!value.empty()) rec.rf = std::string(value);
    } else if (tag == "ri") {
      auto n = parse_u64(value);
      if (n && *n <= UINT32_MAX) rec.ri = static_cast<uint32_t>(*n);
    }
  }
  if (!have_p || bad_sp) {
    if (rec.rua.empty())
      return make_error(Errc::kInvalidData, have_p ? "DMARC record: invalid sp tag"
                                                   : "DMARC record: missing or invalid p tag");
    rec.p = Policy::kNone;
    rec.sp.reset();
    rec.p_defaulted = true;
  }
  return rec;
}

}  // namespace tegami::dmarc
