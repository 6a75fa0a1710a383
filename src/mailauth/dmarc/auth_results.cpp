// Authentication-Results builder; see auth_results.hpp for the RFC 8601 sections.
#include "mailauth/dmarc/auth_results.hpp"

#include <cstring>

namespace tegami::dmarc {
namespace {

std::string strip_controls(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;
    out += c;
  }
  return out;
}

// RFC 2045 token: any CHAR except SPACE, CTLs, and tspecials.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr) return false;
  }
  return true;
}

bool is_atext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Non-empty labels of `ok` characters separated by single dots: an RFC 5322 dot-atom with
// is_atext, a domain name with is_ldh.
bool is_dotted(std::string_view s, bool (*ok)(char)) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = '\0';
  for (char c : s) {
    if (c == '.' ? prev == '.' : !ok(c)) return false;
    prev = c;
  }
  return true;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string ar_value(std::string_view raw) {
  std::string s = strip_controls(raw);
  if (is_token(s)) return s;
  size_t at = s.rfind('@');
  if (at != std::string::npos) {
    std::string_view local = std::string_view(s).substr(0, at);
    std::string_view domain = std::string_view(s).substr(at + 1);
    // RFC 8601 §2.2: pvalue = [ [ local-part ] "@" ] domain-name. A domain part that is only
    // atext (a HELO such as "x@y=z") is no domain name: quoted below.
    if ((local.empty() || is_dotted(local, is_atext)) && is_dotted(domain, is_ldh)) return s;
  }
  return quoted(s);
}

AuthResultsBuilder::AuthResultsBuilder(std::string_view authserv_id) {
  std::string id = strip_controls(authserv_id);
  id_ = is_token(id) ? id : quoted(id);
}

AuthResultsBuilder& AuthResultsBuilder::spf(spf::Verdict result, std::string_view mail_from,
                                            std::string_view helo) {
  std::string r = std::string("spf=") + spf::verdict_name(result);
  if (!mail_from.empty())
    r += " smtp.mailfrom=" + ar_value(mail_from);
  else if (!helo.empty())
    r += " smtp.helo=" + ar_value(helo);
  results_.push_back(std::move(r));
  return *this;
}

AuthResultsBuilder& AuthResultsBuilder::dkim(const DkimSignatureResult& sig) {
  std::string r = std::string("dkim=") + dkim_result_name(sig.result);
  if (!sig.domain.empty()) r += " header.d=" + ar_value(sig.domain);
  if (!sig.selector.empty()) r += " header.s=" + ar_value(sig.selector);
  if (!sig.b.empty()) r += " header.b=" + ar_value(sig.b.substr(0, 8));
  results_.push_back(std::move(r));
  return *this;
}

AuthResultsBuilder& AuthResultsBuilder::dkim_none() {
  results_.push_back("dkim=none");
  return *this;
}

AuthResultsBuilder& AuthResultsBuilder::clause(std::string_view text) {
  std::string c = strip_controls(text);
  std::string_view t = c;
  while (!t.empty() && (t.front() == ' ' || t.front() == ';')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == ';')) t.remove_suffix(1);
  if (!t.empty()) results_.emplace_back(t);
  return *this;
}

AuthResultsBuilder& AuthResultsBuilder::dmarc(const Evaluation& ev, std::string_view from_domain) {
  std::string r = std::string("dmarc=") + verdict_name(ev.verdict);
  if (ev.record) {
    r += std::string(" (p=") + policy_name(ev.policy) + " dis=" + policy_name(ev.disposition) + ")";
  }
  if (!from_domain.empty()) r += " header.from=" + ar_value(from_domain);
  results_.push_back(std::move(r));
  return *this;
}

std::string AuthResultsBuilder::value() const {
  std::string out = id_;
  if (results_.empty()) return out + "; none";
  for (const auto& r : results_) out += "; " + r;
  return out;
}

std::string AuthResultsBuilder::header(bool fold) const {
  if (!fold || results_.empty()) return "Authentication-Results: " + value() + "\r\n";
  std::string out = "Authentication-Results: " + id_;
  for (const auto& r : results_) out += ";\r\n\t" + r;
  return out + "\r\n";
}

}  // namespace tegami::dmarc
