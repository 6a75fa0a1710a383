// `tegami dns-records DOMAIN`: the zone-file lines a domain needs. MX (RFC 5321 §5), SPF
// (RFC 7208 §3), DKIM keys (RFC 6376 §3.6.1, RFC 8463 §4; generated on first use), DMARC
// (RFC 7489 §6.3), and the client service records of RFC 6186 §3 with the priorities of
// RFC 8314 §5.1 (implicit TLS preferred); POP3 is not offered (RFC 6186 §4: target ".").
#include <fmt/format.h>

#include <iostream>

#include "app/app.hpp"
#include "base/strings.hpp"
#include "dns/resolver.hpp"
#include "mailauth/dkim/keystore.hpp"

namespace tegami::app {

std::string dkim_key_dir(const config::Config& cfg) { return cfg.data_dir + "/dkim"; }

int cmd_dns_records(const Args& args) {
  if (args.words.size() != 1) {
    std::cerr << "usage: tegami dns-records DOMAIN [--config FILE | --data DIR]\n";
    return 2;
  }
  auto name = dns::normalize_name(args.words[0]);
  if (!name.ok() || name->find('.') == std::string::npos) {
    std::cerr << "tegami: '" << args.words[0] << "' is not a domain name\n";
    return 1;
  }
  const std::string domain = *name;
  auto env = open_env(args);
  if (!env.ok()) {
    std::cerr << "tegami: " << env.error().message << "\n";
    return 1;
  }
  const config::Config& cfg = env->cfg;
  auto hosted = env->store->find_domain(domain);
  auto keys = mailauth::dkim::ensure_domain_keys(dkim_key_dir(cfg), domain);
  if (!keys.ok()) {
    std::cerr << "tegami: cannot create the DKIM keys of " << domain << ": " << keys.error().message
              << "\n";
    return 1;
  }
  const std::string d = domain + ".";
  std::string host = ascii_lower(cfg.hostname);
  if (host.empty() || host.back() != '.') host += '.';
  const auto& p = cfg.ports;
  std::string out;
  out += fmt::format("; DNS records for {} (tegami dns-records). Mail server: {}\n", domain,
                     cfg.hostname);
  if (!hosted.ok())
    out += fmt::format("; note: {} is not a domain of this server yet (tegami domain add {})\n",
                       domain, domain);
  if (cfg.hostname.find('.') == std::string::npos)
    out += "; note: server.hostname is not a full host name; set it in the configuration\n";
  out += "\n; Mail for the domain goes to this server\n";
  out += fmt::format("{} 3600 IN MX 10 {}\n", d, host);
  out += "\n; SPF: only the MX hosts send mail for the domain\n";
  out += fmt::format("{} 3600 IN TXT \"v=spf1 mx -all\"\n", d);
  out += "\n; DKIM public keys (keys in " + dkim_key_dir(cfg) + "/" + domain + "/)\n";
  for (const auto& k : *keys)
    out += mailauth::dkim::zone_file_record(k.selector, domain, k.key.dns_record()) + "\n";
  out +=
      "\n; DMARC: unauthenticated mail claiming the domain goes to Junk; reports to postmaster\n";
  out += fmt::format("_dmarc.{} 3600 IN TXT \"v=DMARC1; p=quarantine; rua=mailto:postmaster@{}\"\n",
                     d, domain);
  out += "\n; Mail app settings (RFC 6186, RFC 8314: implicit TLS first)\n";
  out += fmt::format("_submissions._tcp.{} 3600 IN SRV 0 1 {} {}\n", d, p.submissions, host);
  out += fmt::format("_submission._tcp.{} 3600 IN SRV 10 1 {} {}\n", d, p.submission, host);
  out += fmt::format("_imaps._tcp.{} 3600 IN SRV 0 1 {} {}\n", d, p.imaps, host);
  out += fmt::format("_imap._tcp.{} 3600 IN SRV 10 1 {} {}\n", d, p.imap, host);
  out += "; POP3 is not offered\n";
  out += fmt::format("_pop3._tcp.{} 3600 IN SRV 0 0 0 .\n", d);
  out += fmt::format("_pop3s._tcp.{} 3600 IN SRV 0 0 0 .\n", d);
  std::cout << out;
  return 0;
}

}  // namespace tegami::app
