// Development mode bootstrap and the client settings table (PRODUCT.md §1, issue "core service").
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "app/app.hpp"
#include "auth/app_passwords.hpp"
#include "auth/authenticator.hpp"

namespace tegami::app {

namespace {

constexpr const char* kDevDomain = "tegami.test";
constexpr const char* kDevAliasDomain = "tegami.example";
constexpr const char* kDevAddress = "demo@tegami.test";

// DATA/dev-credentials.txt: "account=...\napp=...\n". Development only: production never keeps
// a password in clear text.
std::map<std::string, std::string> read_credentials(const std::string& path) {
  std::map<std::string, std::string> m;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return m;
}

}  // namespace

Result<std::string> prepare_dev(store::Store& s, const config::Config& cfg) {
  if (!s.find_domain(kDevDomain).ok()) {
    if (auto d = s.add_domain(kDevDomain); !d.ok()) return d.error();
  }
  if (!s.find_domain(kDevAliasDomain).ok()) {
    if (auto d = s.add_alias_domain(kDevDomain, kDevAliasDomain); !d.ok()) return d.error();
  }
  std::string cred_path = cfg.data_dir + "/dev-credentials.txt";
  auto creds = read_credentials(cred_path);
  auto account = s.find_account_by_address(kDevAddress);
  if (!account.ok()) {
    creds["account"] = auth::generate_app_password();
    auto a = s.add_account(kDevAddress, auth::hash_password(creds["account"]), cfg.default_quota);
    if (!a.ok()) return a.error();
    account = std::move(a);
    creds.erase("app");
  }
  bool app_ok = false;
  if (creds.count("app")) {
    auto list = s.list_app_passwords(account->id, false);
    if (list.ok())
      for (const auto& p : *list)
        if (p.label == "dev demo" &&
            auth::verify_password(p.hash, auth::normalize_app_password(creds["app"])))
          app_ok = true;
  }
  if (!app_ok) {
    // The stored one was revoked (or lost): make a fresh one under the same label.
    (void)auth::revoke_app_password(s, nullptr, *account, "dev demo", "replaced at start");
    auto r = auth::create_app_password(s, *account, "dev demo");
    if (!r.ok()) return r.error();
    creds["app"] = r->second;
  }
  std::ofstream out(cred_path, std::ios::trunc);
  for (const auto& [k, v] : creds) out << k << "=" << v << "\n";
  if (!out) return make_error(Errc::kInternal, "cannot write " + cred_path);
  return settings_table(cfg, kDevAddress, creds["app"], system_language());
}

std::string settings_table(const config::Config& cfg, const std::string& address,
                           const std::string& app_password, const std::string& lang) {
  const std::string host = cfg.dev ? cfg.listen.front() : cfg.hostname;
  const std::string local = address.substr(0, address.find('@'));
  const bool ja = lang == "ja";
  std::ostringstream o;
  auto row = [&](const std::string& a, const std::string& b, const std::string& c,
                 const std::string& d) {
    o << fmt::format("  {:<30} {:<8} {:<22} {}\n", a, b, c, d);
  };
  if (ja) {
    o << "メールアプリの設定 (" << address << ")\n\n";
    row("サーバー", "ポート", "暗号化方式", "用途");
    row("受信 (IMAP) " + host, std::to_string(cfg.ports.imaps), "SSL/TLS", "推奨");
    row("受信 (IMAP) " + host, std::to_string(cfg.ports.imap), "STARTTLS", "");
    row("送信 (SMTP) " + host, std::to_string(cfg.ports.submission), "STARTTLS",
        "推奨、認証が必要");
    row("送信 (SMTP) " + host, std::to_string(cfg.ports.submissions), "SSL/TLS", "認証が必要");
    row("他サーバーからの受信 (MX)", std::to_string(cfg.ports.smtp), "STARTTLS", "");
    o << "\n  ユーザー名:   " << address << " (または " << local << "、受信・送信とも同じ)\n";
    o << "  パスワード:   " << app_password << " (App用パスワード、受信・送信とも同じ)\n";
    if (cfg.dev) o << "\n  開発モード: 自己署名証明書を使っています。\n";
  } else {
    o << "Mail app settings for " << address << "\n\n";
    row("server", "port", "security", "use");
    row("incoming (IMAP) " + host, std::to_string(cfg.ports.imaps), "SSL/TLS", "recommended");
    row("incoming (IMAP) " + host, std::to_string(cfg.ports.imap), "STARTTLS", "");
    row("outgoing (SMTP) " + host, std::to_string(cfg.ports.submission), "STARTTLS",
        "recommended; authentication required");
    row("outgoing (SMTP) " + host, std::to_string(cfg.ports.submissions), "SSL/TLS",
        "authentication required");
    row("from other servers (MX)", std::to_string(cfg.ports.smtp), "STARTTLS", "");
    o << "\n  user name:  " << address << " (or " << local << "; the same for IMAP and SMTP)\n";
    o << "  password:   " << app_password
      << " (app-specific password; the same for IMAP and SMTP)\n";
    if (cfg.dev) o << "\n  Development mode: the certificate is self-signed.\n";
  }
  return o.str();
}

}  // namespace tegami::app
