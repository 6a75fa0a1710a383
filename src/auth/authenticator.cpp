// Sign-in for mail clients (PRODUCT.md §2-3): user-name forms, app-specific passwords, the
// account-password policy, per-address throttling and the owner's sign-in history.
#include "auth/authenticator.hpp"

#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "auth/app_passwords.hpp"
#include "auth/password_internal.hpp"
#include "auth/throttle.hpp"
#include "base/strings.hpp"

namespace tegami::auth {

struct Authenticator::Throttle {
  explicit Throttle(const Policy& p)
      : ips(p.slow_after, p.block_after, p.block_seconds, p.decay_seconds) {}
  IpThrottle ips;
};

// Remembers which app password a typed password matched, so that a client opening several
// connections a minute costs one Argon2id verification, not one per app password per login.
// Keyed by (account id, SHA-256(per-process salt || normalized password)); an entry counts as
// a match only after the store confirms the app password is still active (a revoked one only
// explains the failure). Also remembers recent
// history entries to keep repeated identical ones out of the history.
struct Authenticator::Cache {
  static constexpr size_t kMaxEntries = 10000;
  std::mutex mu;
  unsigned char salt[32];
  std::unordered_map<std::string, store::Id> matches;
  std::unordered_map<std::string, int64_t> recent_events;  // key -> time recorded

  Cache() {
    ensure_sodium();
    randombytes_buf(salt, sizeof salt);
  }

  std::string key(store::Id account, std::string_view normalized) const {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, salt, sizeof salt);
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(normalized.data()),
                              normalized.size());
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    return std::to_string(account) + ":" + std::string(reinterpret_cast<char*>(h), sizeof h);
  }
  std::optional<store::Id> get(const std::string& k) {
    std::lock_guard lk(mu);
    auto it = matches.find(k);
    if (it == matches.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& k, store::Id id) {
    std::lock_guard lk(mu);
    if (matches.size() >= kMaxEntries) matches.clear();
    matches[k] = id;
  }
  void erase(const std::string& k) {
    std::lock_guard lk(mu);
    matches.erase(k);
  }
  // True when the entry should be written (not seen within quiet_s).
  bool should_record(const std::string& k, int64_t now, int quiet_s) {
    if (quiet_s <= 0) return true;
    std::lock_guard lk(mu);
    if (recent_events.size() >= kMaxEntries) {
      for (auto it = recent_events.begin(); it != recent_events.end();)
        it = (now - it->second >= quiet_s) ? recent_events.erase(it) : std::next(it);
      if (recent_events.size() >= kMaxEntries) recent_events.clear();
    }
    auto [it, inserted] = recent_events.try_emplace(k, now);
    if (inserted) return true;
    if (now - it->second >= quiet_s) {
      it->second = now;
      return true;
    }
    return false;
  }
};

namespace {

Error not_found(std::string_view why) { return make_error(Errc::kNotFound, std::string(why)); }

// Text from the wire (EHLO name, IMAP ID) made safe for a history sentence.
std::string clean_text(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

std::string describe_client(const LoginContext& ctx) {
  std::string who = clean_text(trim(ctx.client_name), 64);
  std::string proto = ascii_upper(clean_text(ctx.protocol, 16));
  if (who.empty()) who = proto.empty() ? "A mail app" : "A mail app (" + proto + ")";
  std::string ip = clean_text(ctx.remote_ip, 64);
  return ip.empty() ? who : who + " at " + ip;
}

std::string protocol_name(const LoginContext& ctx) {
  std::string p = ascii_upper(clean_text(ctx.protocol, 16));
  return p.empty() ? "a mail protocol" : p;
}

// "TLS 1.0" for TLSv1 / TLSv1.1 (the versions we refuse), "" otherwise.
std::string old_tls_name(const LoginContext& ctx) {
  std::string v = ascii_lower(trim(ctx.tls_version));
  if (!ctx.tls) return "";
  if (v == "tlsv1" || v == "tlsv1.0" || v == "tls 1.0" || v == "tls1.0") return "TLS 1.0";
  if (v == "tlsv1.1" || v == "tls 1.1" || v == "tls1.1") return "TLS 1.1";
  if (v == "sslv3") return "SSL 3.0";
  return "";
}

std::string format_date(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string local_part(std::string_view address) {
  auto at = address.rfind('@');
  return ascii_lower(at == std::string_view::npos ? address : address.substr(0, at));
}

const std::string& dummy_hash() {
  static const std::string h = hash_password("tegami: no such user");
  return h;
}

}  // namespace

Authenticator::Authenticator(store::Store& store, Policy policy, Clock& clock)
    : store_(store),
      policy_(std::move(policy)),
      clock_(clock),
      throttle_(std::make_unique<Throttle>(policy_)),
      cache_(std::make_unique<Cache>()) {
  policy_.default_domain = ascii_lower(trim(policy_.default_domain));
}

Authenticator::~Authenticator() = default;

namespace {

// `local@domain`, or the same local part on the primary domain of `domain` and on each of
// the primary's alias domains (an alias domain mirrors every address of its primary).
Result<store::Account> lookup_in_family(store::Store& store, const std::string& local,
                                        const std::string& domain) {
  auto r = store.find_account_by_address(local + "@" + domain);
  if (r.ok() || r.code() != Errc::kNotFound) return r;
  auto d = store.find_domain(domain);
  if (!d) {
    if (d.code() == Errc::kNotFound) return not_found("no such domain");
    return d.error();
  }
  store::Id primary = d->alias_of != 0 ? d->alias_of : d->id;
  auto all = store.list_domains();
  if (!all) return all.error();
  // The primary first, then its alias domains.
  std::vector<std::string> names;
  for (const auto& x : *all)
    if (x.id == primary) names.push_back(x.name);
  for (const auto& x : *all)
    if (x.alias_of == primary) names.push_back(x.name);
  for (const auto& n : names) {
    if (iequals(n, domain)) continue;
    auto a = store.find_account_by_address(local + "@" + ascii_lower(n));
    if (a.ok() || a.code() != Errc::kNotFound) return a;
  }
  return not_found("no such address");
}

}  // namespace

Result<store::Account> Authenticator::resolve_user(std::string_view username) {
  std::string u = ascii_lower(trim(username));
  if (u.empty() || u.size() > 320) return not_found("empty or too long user name");
  for (char c : u) {
    unsigned char ch = static_cast<unsigned char>(c);
    if (ch <= 0x20 || ch == 0x7f || c == '"' || c == '<' || c == '>')
      return not_found("invalid character in user name");
  }
  auto at = u.rfind('@');
  if (at != std::string::npos) {
    std::string local = u.substr(0, at), domain = u.substr(at + 1);
    if (local.empty() || domain.empty()) return not_found("malformed address");
    if (local.find('+') != std::string::npos || local.find('@') != std::string::npos)
      return not_found("'+tag' addresses are for receiving mail, not for signing in");
    return lookup_in_family(store_, local, domain);
  }
  if (u.find('+') != std::string::npos)
    return not_found("'+tag' addresses are for receiving mail, not for signing in");

  if (!policy_.default_domain.empty()) {
    auto r = lookup_in_family(store_, u, policy_.default_domain);
    if (r.ok() || r.code() != Errc::kNotFound) return r;
  }
  // Any single account whose primary address or an alias has this local part.
  auto accounts = store_.list_accounts();
  if (!accounts) return accounts.error();
  std::set<store::Id> found;
  const store::Account* match = nullptr;
  for (const auto& a : *accounts) {
    bool hit = local_part(a.address) == u;
    if (!hit) {
      auto aliases = store_.list_aliases(a.id);
      if (!aliases) return aliases.error();
      for (const auto& al : *aliases)
        if (local_part(al) == u) hit = true;
    }
    if (hit && found.insert(a.id).second) match = &a;
  }
  if (found.size() == 1) return *match;
  if (found.empty()) return not_found("no account with this local part");
  return not_found("several accounts have this local part: use the full address");
}

LoginResult Authenticator::login(std::string_view username, std::string_view password,
                                 const LoginContext& ctx) {
  LoginResult r;
  const int64_t now_ms = clock_.now_unix_ms();
  const int64_t now = now_ms / 1000;
  const std::string who = describe_client(ctx);

  auto record = [&](store::Id account, bool ok, const std::string& detail) {
    std::string kind = ok ? "login_ok" : "login_failed";
    if (!cache_->should_record(std::to_string(account) + "\n" + kind + "\n" + detail, now,
                               policy_.history_quiet_seconds))
      return;
    store::Event e;
    e.account_id = account;
    e.time = now;
    e.kind = kind;
    e.detail = detail;
    e.remote = ctx.remote_ip;
    (void)store_.add_event(e);  // history is best effort: never fail a sign-in over it
  };
  auto fail = [&](store::Id account, const std::string& detail) {
    if (account != 0) record(account, false, detail);
    r.status = LoginStatus::kFailed;
    r.delay_ms = throttle_->ips.failure(ctx.remote_ip, now_ms);
    return r;
  };

  if (int64_t left = throttle_->ips.blocked_for_ms(ctx.remote_ip, now_ms); left > 0) {
    auto acc = resolve_user(username);
    if (acc) {
      int64_t minutes = (left + 59999) / 60000;
      record(acc->id, false,
             who +
                 " was refused without checking the password: too many failed sign-ins "
                 "from that address recently (blocked for about " +
                 std::to_string(minutes) + (minutes == 1 ? " more minute)" : " more minutes)"));
    }
    r.status = LoginStatus::kThrottled;
    r.delay_ms = 1000;
    return r;
  }

  auto acc = resolve_user(username);
  if (!acc) {
    if (acc.code() != Errc::kNotFound) {
      r.internal_error = acc.error().message;
      return r;
    }
    if (!password.empty() && password.size() <= kMaxPasswordBytes)
      (void)verify_password(dummy_hash(), password);  // same cost as a real check
    return fail(0, "");
  }
  const store::Account& account = *acc;
  bool foreign_authzid = false;
  if (!ctx.authzid.empty()) {
    auto as = resolve_user(ctx.authzid);
    if (!as && as.code() != Errc::kNotFound) {
      r.internal_error = as.error().message;
      return r;
    }
    foreign_authzid = !as || as->id != account.id;
  }
  // Said only after the password was right: before, the answer would tell a stranger which user
  // names exist (AUTHORIZATIONFAILED for them, AUTHENTICATIONFAILED for the others).
  auto refuse_authzid = [&] {
    r.other_authzid = true;
    return fail(account.id, who + " asked to act as \"" + clean_text(ctx.authzid, 100) +
                                "\", which is another user: signing in on behalf of someone "
                                "else is not supported. Leave the authorization name empty.");
  };
  const std::string old_tls = old_tls_name(ctx);
  const bool refuse_tls = !old_tls.empty() && policy_.refuse_old_tls;
  const std::string tls_note =
      old_tls.empty() ? ""
                      : " The connection used " + old_tls +
                            ", which is too old: update the mail app or choose TLS 1.2 or later "
                            "in its settings.";

  if (password.empty() || password.size() > kMaxPasswordBytes)  // no Argon2id for these
    return fail(account.id, who + " sent an empty or overlong password." + tls_note);

  auto aps = store_.list_app_passwords(account.id, /*include_revoked=*/true);
  if (!aps) {
    r.internal_error = aps.error().message;
    return r;
  }
  const std::string normalized = normalize_app_password(password);
  const bool app_shaped = looks_like_app_password(normalized);

  const store::AppPassword* matched = nullptr;
  const store::AppPassword* revoked_match = nullptr;
  if (app_shaped) {
    const std::string key = cache_->key(account.id, normalized);
    if (auto id = cache_->get(key)) {
      for (const auto& ap : *aps) {
        if (ap.id != *id) continue;
        if (ap.revoked == 0)
          matched = &ap;
        else
          revoked_match = &ap;
      }
      // A revoked one stays cached (it never comes back), so an old client that keeps trying
      // it costs no Argon2id; an entry whose app password is gone is dropped.
      if (!matched && !revoked_match) cache_->erase(key);
    }
    if (!matched && !revoked_match) {
      for (const auto& ap : *aps) {
        if (ap.revoked == 0 && verify_password(ap.hash, normalized)) {
          matched = &ap;
          cache_->put(key, ap.id);
          break;
        }
      }
    }
  }

  if (matched) {
    if (refuse_tls)
      return fail(account.id,
                  who + " used app password '" + matched->label + "' but was refused." + tls_note);
    if (foreign_authzid) return refuse_authzid();
    (void)store_.note_app_password_use(matched->id, now, clean_text(ctx.remote_ip, 64),
                                       clean_text(trim(ctx.client_name), 64));
    throttle_->ips.success(ctx.remote_ip, now_ms);
    record(account.id, true,
           who + " signed in over " + protocol_name(ctx) + " with app password '" + matched->label +
               "'.");
    r.status = LoginStatus::kOk;
    r.account = account;
    r.app_password_id = matched->id;
    return r;
  }

  if (verify_password(account.password_hash, password)) {
    if (account.two_factor && !policy_.allow_account_password)
      return fail(account.id, who +
                                  " used the account password; mail apps need an app-specific "
                                  "password (create one in the account portal)." +
                                  tls_note);
    if (refuse_tls)
      return fail(account.id, who + " used the account password but was refused." + tls_note);
    if (foreign_authzid) return refuse_authzid();
    throttle_->ips.success(ctx.remote_ip, now_ms);
    record(account.id, true,
           who + " signed in over " + protocol_name(ctx) + " with the account password." +
               (account.two_factor ? " (Allowed by the server's policy although two-factor "
                                     "sign-in is on.)"
                                   : ""));
    r.status = LoginStatus::kOk;
    r.account = account;
    return r;
  }

  // Not a valid password: say why if it is a revoked app password (only the most recently
  // revoked ones are tried, to bound the cost of a failure).
  if (app_shaped && !revoked_match) {
    std::vector<const store::AppPassword*> revoked;
    for (const auto& ap : *aps)
      if (ap.revoked != 0) revoked.push_back(&ap);
    std::sort(revoked.begin(), revoked.end(),
              [](auto* a, auto* b) { return a->revoked > b->revoked; });
    if (revoked.size() > 10) revoked.resize(10);
    for (auto* ap : revoked) {
      if (verify_password(ap->hash, normalized)) {
        revoked_match = ap;
        cache_->put(cache_->key(account.id, normalized), ap->id);
        break;
      }
    }
  }
  if (revoked_match) {
    std::string reason = revoked_match->revoked_reason.empty() ? "no reason recorded"
                                                               : revoked_match->revoked_reason;
    return fail(account.id, who + ": app password '" + revoked_match->label + "' was revoked on " +
                                format_date(revoked_match->revoked) + ": " + reason +
                                ". Create a new one in the account portal." + tls_note);
  }
  return fail(account.id, who + " typed a wrong password." + tls_note);
}

}  // namespace tegami::auth
