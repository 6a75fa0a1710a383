// Incoming mail authentication: RFC 7208 §2.4 (MAIL FROM identity), RFC 6376 §6 (verifier),
// RFC 7489 §3.1 (the RFC5322.From domain), §6.6 (policy), RFC 8601 §2.2 (the header field),
// §5 (removing forged fields that carry our authserv-id).
#include "smtp/server/mailauth.hpp"

#include <vector>

#include "base/strings.hpp"
#include "mailauth/dkim/verify.hpp"
#include "mailauth/dmarc/auth_results.hpp"
#include "mailauth/dmarc/dmarc.hpp"
#include "mailauth/spf/spf.hpp"

namespace tegami::smtp::server {
namespace {

struct Field {
  size_t begin = 0, end = 0;  // [begin, end) including the line end(s)
  std::string_view name;
  std::string_view value;  // raw, folded
};

// The fields of the header section. A line ends at CRLF, LF or a bare CR: mail readers differ
// on a bare CR, and a field after one must not escape the From and Authentication-Results checks
// for the readers that take it as a line end. For the others, the section ends only at an empty
// line they see too: one after an LF, itself ended by LF or CRLF. An empty line made with a bare
// CR ("x\r\r\n") does not end it (a reader splitting only at LF reads on); it stays with the
// field before it.
std::vector<Field> header_fields(std::string_view m) {
  std::vector<Field> out;
  size_t pos = 0;
  bool after_lf = true;  // the previous line ended with LF, or there was none
  while (pos < m.size()) {
    size_t eol = m.find_first_of("\r\n", pos);
    size_t next = eol == std::string_view::npos ? m.size() : eol + 1;
    if (eol != std::string_view::npos && m[eol] == '\r' && next < m.size() && m[next] == '\n')
      ++next;
    const bool lf = m[next - 1] == '\n';
    if (eol == pos) {
      if (after_lf && lf) break;
      if (!out.empty()) out.back().end = next;
    } else if ((m[pos] == ' ' || m[pos] == '\t') && !out.empty()) {
      out.back().end = next;
    } else {
      Field f;
      f.begin = pos;
      f.end = next;
      out.push_back(f);
    }
    after_lf = lf;
    pos = next;
  }
  for (auto& f : out) {
    std::string_view raw = m.substr(f.begin, f.end - f.begin);
    size_t colon = raw.find(':');
    if (colon == std::string_view::npos) continue;
    f.name = raw.substr(0, colon);
    while (!f.name.empty() && (f.name.back() == ' ' || f.name.back() == '\t'))
      f.name.remove_suffix(1);
    f.value = raw.substr(colon + 1);
  }
  return out;
}

// Skips folding white space and (nested) comments.
size_t skip_cfws(std::string_view v, size_t i) {
  int depth = 0;
  while (i < v.size()) {
    char c = v[i];
    if (depth > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++depth;
      else if (c == ')')
        --depth;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      ++depth;
      ++i;
    } else {
      break;
    }
  }
  return i;
}

std::string authserv_id_of(std::string_view value) {
  size_t i = skip_cfws(value, 0);
  std::string id;
  if (i < value.size() && value[i] == '"') {
    for (++i; i < value.size() && value[i] != '"'; ++i) {
      if (value[i] == '\\' && i + 1 < value.size()) ++i;
      id += value[i];
    }
    return id;
  }
  for (; i < value.size(); ++i) {
    char c = value[i];
    if (c == ';' || c == '(' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
    id += c;
  }
  return id;
}

std::string dkim_names(const std::vector<mailauth::dkim::SignatureResult>& rs) {
  if (rs.empty()) return "none";
  std::string s;
  for (const auto& r : rs) {
    if (!s.empty()) s += ',';
    s += mailauth::dkim::verdict_name(r.verdict);
  }
  return s;
}

// The domain of an addr-spec from from_addresses(), lower case, without a trailing dot.
std::string domain_of(const std::string& addr) {
  std::string d = ascii_lower(addr.substr(addr.rfind('@') + 1));
  while (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

dmarc::DkimResult to_dmarc(mailauth::dkim::Verdict v) {
  using V = mailauth::dkim::Verdict;
  switch (v) {
    case V::kPass:
      return dmarc::DkimResult::kPass;
    case V::kFail:
      return dmarc::DkimResult::kFail;
    case V::kNeutral:
      return dmarc::DkimResult::kNeutral;
    case V::kTempError:
      return dmarc::DkimResult::kTempError;
    case V::kPermError:
      return dmarc::DkimResult::kPermError;
  }
  return dmarc::DkimResult::kPermError;
}

}  // namespace

std::string strip_auth_results(std::string_view message, std::string_view authserv_id,
                               int* removed) {
  int n = 0;
  std::string out;
  size_t copied = 0;
  for (const auto& f : header_fields(message)) {
    if (!iequals(f.name, "Authentication-Results")) continue;
    if (!iequals(authserv_id_of(f.value), authserv_id)) continue;
    out.append(message.substr(copied, f.begin - copied));
    copied = f.end;
    // After a line ended by a bare CR, the field's LF stays: with that CR it makes one CRLF,
    // so neither reading of line ends finds a line or an empty line that it did not see before
    // (dropping it could turn "\r" + "\r\n" into a header that ends, or goes on, elsewhere).
    if (!out.empty() && out.back() == '\r' && message[f.end - 1] == '\n') out += '\n';
    ++n;
  }
  if (removed) *removed = n;
  if (n == 0) return std::string(message);
  out.append(message.substr(copied));
  return out;
}

std::vector<std::string> from_addresses(std::string_view message, int* fields) {
  const Field* from = nullptr;
  int n = 0;
  const auto all = header_fields(message);  // `from` points into it
  for (const auto& f : all) {
    if (!iequals(f.name, "From")) continue;
    ++n;
    if (!from) from = &f;
  }
  if (fields) *fields = n;
  std::vector<std::string> out;
  if (n != 1) return out;
  std::string_view v = from->value;
  // Each mailbox: the angle-addr when there is one, otherwise the addr-spec; display names,
  // quoted strings and comments are skipped, groups ("name: a@b, c@d;") give their members.
  std::string addr;
  bool angle = false, had_angle = false;
  auto flush = [&]() {
    if (addr.find('@') != std::string::npos) out.push_back(addr);
    addr.clear();
    angle = had_angle = false;
  };
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '"') {
      for (++i; i < v.size() && v[i] != '"'; ++i)
        if (v[i] == '\\') ++i;
      if (!angle) addr.clear();
      continue;
    }
    if (c == '(') {
      i = skip_cfws(v, i) - 1;
      continue;
    }
    if (c == '<') {
      angle = had_angle = true;
      addr.clear();
      continue;
    }
    if (c == '>' && angle) {
      angle = false;
      continue;
    }
    if (angle) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') addr += c;
      continue;
    }
    if (c == ',' || c == ';') {
      flush();
      continue;
    }
    if (c == ':') {  // group name
      addr.clear();
      continue;
    }
    if (had_angle) continue;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    addr += c;
  }
  flush();
  return out;
}

std::string from_domain(const std::vector<std::string>& from) {
  return from.empty() ? std::string() : domain_of(from.front());
}

std::string from_domain(std::string_view message) { return from_domain(from_addresses(message)); }

AuthCheckOutcome check_message(dns::Resolver& resolver, std::string_view message,
                               const AuthCheckInput& in) {
  AuthCheckOutcome out;
  spf::Outcome s = spf::check_mail_from(resolver, in.ip, in.helo, in.mail_from);
  std::vector<mailauth::dkim::SignatureResult> sigs = mailauth::dkim::verify(message, resolver);

  dmarc::Input di;
  di.spf = s.verdict;
  di.spf_domain = s.domain;
  for (const auto& r : sigs) {
    dmarc::DkimSignatureResult d;
    d.domain = r.domain;
    d.selector = r.selector;
    d.result = to_dmarc(r.verdict);
    d.b = r.header_b;
    di.dkim.push_back(std::move(d));
  }
  // RFC 7489 §6.6.1: every author domain counts, not only the first address's.
  std::vector<std::string> authors;
  const std::vector<std::string> parsed =
      in.from ? std::vector<std::string>() : from_addresses(message);
  for (const auto& a : in.from ? *in.from : parsed) authors.push_back(domain_of(a));
  dmarc::AuthorsEvaluation decided = dmarc::evaluate_authors(resolver, di, authors);
  const dmarc::Evaluation& ev = decided.evaluation;

  dmarc::AuthResultsBuilder b(in.authserv_id);
  b.spf(s.verdict, in.mail_from, in.helo);
  if (sigs.empty()) b.dkim_none();
  for (const auto& r : sigs) b.clause(mailauth::dkim::auth_results_clause(r));
  b.dmarc(ev, decided.from_domain);  // the author domain whose result applies

  out.header = b.header();
  // Unevaluated author domains might have asked for reject: such a message is not trusted.
  out.junk = ev.disposition == dmarc::Policy::kQuarantine ||
             ev.disposition == dmarc::Policy::kReject || decided.too_many_authors;
  out.spf = spf::verdict_name(s.verdict);
  out.dkim = dkim_names(sigs);
  out.dmarc = dmarc::verdict_name(ev.verdict);
  out.policy = dmarc::policy_name(ev.disposition);
  out.from_domain = decided.from_domain;
  return out;
}

}  // namespace tegami::smtp::server
