// Administration from the command line: domains, accounts, aliases, app passwords.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "account/directory.hpp"
#include "app/app.hpp"
#include "auth/app_passwords.hpp"
#include "auth/authenticator.hpp"
#include "base/clock.hpp"
#include "base/strings.hpp"
#include "mailauth/dkim/keystore.hpp"

namespace tegami::app {
namespace {

int fail(const std::string& msg) {
  std::cerr << "tegami: " << msg << "\n";
  return 1;
}

int usage(const char* text) {
  std::cerr << "usage: " << text << "\n";
  return 2;
}

std::string format_time(int64_t t) { return t == 0 ? "-" : format_utc(t); }

Result<store::Account> find_account(store::Store& s, const std::string& address) {
  auto a = s.find_account_by_address(ascii_lower(address));
  if (!a.ok()) return make_error(Errc::kNotFound, "no account has the address " + address);
  return a;
}

// "1000 messages", or "any number of messages" for a limit of 0.
std::string limit_text(int64_t n, const char* what) {
  return n == 0 ? std::string("any number of ") + what : fmt::format("{} {}", n, what);
}

std::string describe_plan(const config::Plan& p) {
  std::string quota = p.quota == 0 ? "unlimited storage" : fmt::format("{} bytes", p.quota);
  return fmt::format("{}: {}, {} and {} per 24 hours, {} per message", p.name, quota,
                     limit_text(p.messages_per_day, "messages"),
                     limit_text(p.recipients_per_day, "recipients"),
                     limit_text(p.recipients_per_message, "recipients"));
}

std::string unknown_plan(const config::Config& c, std::string_view name) {
  std::string names;
  for (const auto& p : c.plans) names += (names.empty() ? "" : ", ") + p.name;
  return "there is no plan '" + std::string(name) + "'; the plans are: " + names;
}

// The account's plan as the configuration names it; an account whose plan was removed from
// the configuration gets the default plan's limits.
std::string plan_of(const config::Config& c, const store::Account& a) {
  if (find_plan(c, a.plan)) return a.plan.empty() ? c.default_plan : a.plan;
  return a.plan + " (no longer configured: the default plan " + c.default_plan + " applies)";
}

}  // namespace

int cmd_domain(const Args& args) {
  const char* u = "tegami domain add DOMAIN | add-alias DOMAIN ALIAS_DOMAIN | list";
  if (args.words.empty()) return usage(u);
  auto env = open_env(args);
  if (!env.ok()) return fail(env.error().message);
  auto& s = *env->store;
  const auto& w = args.words;
  // Outgoing mail from every domain, alias domains too, is signed from the start (DMARC needs
  // a signature of the From domain): the keys come before the domain, so a domain is never
  // left without them; the DNS records are one command away.
  auto keys_then = [&](const std::string& name, auto add) -> int {
    auto keys = mailauth::dkim::ensure_domain_keys(dkim_key_dir(env->cfg), name);
    if (!keys.ok()) return fail("DKIM keys for " + name + ": " + keys.error().message);
    if (int rc = add(); rc != 0) return rc;
    std::cout << "DKIM signing keys ready; publish the DNS records: tegami dns-records " << name
              << "\n";
    return 0;
  };
  if (w[0] == "add" && w.size() == 2) {
    auto name = account::check_domain_name(w[1]);
    if (!name.ok()) return fail(name.error().message);
    return keys_then(*name, [&] {
      auto d = s.add_domain(*name);
      if (!d.ok()) return fail(d.error().message);
      std::cout << "domain " << d->name << " added\n";
      return 0;
    });
  }
  if (w[0] == "add-alias" && w.size() == 3) {
    auto alias = account::check_domain_name(w[2]);
    if (!alias.ok()) return fail(alias.error().message);
    return keys_then(*alias, [&] {
      auto d = s.add_alias_domain(ascii_lower(w[1]), *alias);
      if (!d.ok()) return fail(d.error().message);
      std::cout << "domain " << d->name << " added as an alias of " << ascii_lower(w[1]) << "\n";
      return 0;
    });
  }
  if (w[0] == "list" && w.size() == 1) {
    auto ds = s.list_domains();
    if (!ds.ok()) return fail(ds.error().message);
    for (const auto& d : *ds) {
      std::string of;
      if (d.alias_of)
        for (const auto& p : *ds)
          if (p.id == d.alias_of) of = " (alias of " + p.name + ")";
      std::cout << d.name << of << "\n";
    }
    return 0;
  }
  return usage(u);
}

int cmd_account(const Args& args) {
  const char* u =
      "tegami account add ADDRESS [--password-stdin] [--plan NAME] [--quota BYTES] | list | "
      "alias-add ADDRESS ALIAS | alias-remove ADDRESS ALIAS | show ADDRESS | "
      "passwd ADDRESS [--password-stdin] | two-factor ADDRESS on|off | unsuspend ADDRESS | "
      "plan ADDRESS NAME";
  if (args.words.empty()) return usage(u);
  auto env = open_env(args);
  if (!env.ok()) return fail(env.error().message);
  auto& s = *env->store;
  const auto& w = args.words;

  auto read_password = [&](std::string& pw, bool& generated) -> bool {
    generated = false;
    if (args.flag("password-stdin")) {
      if (!std::getline(std::cin, pw)) return false;
      while (!pw.empty() && (pw.back() == '\r' || pw.back() == '\n')) pw.pop_back();
      return true;
    }
    pw = auth::generate_app_password();  // 16 random letters make a fine initial password
    generated = true;
    return true;
  };

  if (w[0] == "add" && w.size() == 2) {
    std::string address = ascii_lower(w[1]), local, domain;
    if (!account::split_address(address, local, domain))
      return fail("'" + w[1] + "' is not an address of the form name@domain");
    auto d = s.find_domain(domain);
    if (!d.ok())
      return fail("the domain " + domain + " is not set up: tegami domain add " + domain);
    if (d->alias_of) return fail(domain + " is an alias domain; use its primary domain");
    std::string pw;
    bool generated;
    if (!read_password(pw, generated)) return fail("no password on standard input");
    if (pw.size() < auth::kMinPasswordBytes)
      return fail(
          fmt::format("the password needs at least {} characters", auth::kMinPasswordBytes));
    std::string plan_name = args.option("plan").value_or("");
    const config::Plan* plan = find_plan(env->cfg, plan_name);
    if (!plan) return fail(unknown_plan(env->cfg, plan_name));
    int64_t quota = plan->quota;
    if (auto q = args.option("quota")) {
      auto n = parse_u64(*q);
      if (!n) return fail("--quota takes a number of bytes");
      quota = static_cast<int64_t>(*n);
    }
    auto a = s.add_account(address, auth::hash_password(pw), quota);
    if (!a.ok()) return fail(a.error().message);
    // Without --plan the account follows the configuration's default plan ("").
    if (!plan_name.empty()) {
      if (auto st = s.set_plan(a->id, plan_name, quota); !st.ok())
        return fail("account " + a->address + " added on the default plan, not on " + plan_name +
                    " (" + st.error().message + "); try: tegami account plan " + a->address + " " +
                    plan_name);
    }
    std::cout << "account " << a->address << " added (plan " << plan->name << ")\n";
    if (generated) std::cout << "account password (shown once): " << pw << "\n";
    return 0;
  }
  if (w[0] == "list" && w.size() == 1) {
    auto as = s.list_accounts();
    if (!as.ok()) return fail(as.error().message);
    for (const auto& a : *as)
      std::cout << fmt::format("{}  plan {}  used {} of {} bytes  two-factor {}\n", a.address,
                               plan_of(env->cfg, a), a.used_bytes, a.quota_bytes,
                               a.two_factor ? "on" : "off");
    return 0;
  }
  if (w[0] == "show" && w.size() == 2) {
    auto a = find_account(s, w[1]);
    if (!a.ok()) return fail(a.error().message);
    std::cout << "address: " << a->address << "\n";
    auto al = s.list_aliases(a->id);
    if (al.ok())
      for (const auto& x : *al) std::cout << "alias: " << x << "\n";
    std::cout << "plan: " << plan_of(env->cfg, *a) << "\n";
    std::cout << fmt::format("storage: {} of {} bytes\n", a->used_bytes, a->quota_bytes);
    std::cout << "two-factor sign-in: " << (a->two_factor ? "on" : "off") << "\n";
    // A plan no longer configured: the default plan's limits apply, as the server applies them.
    const config::Plan* plan = find_plan(env->cfg, a->plan);
    if (!plan) plan = find_plan(env->cfg, "");  // the configuration always has it
    const int64_t msgs = plan->messages_per_day, rcpts = plan->recipients_per_day;
    auto u = s.send_usage(a->id, system_clock().now_unix(), 86400);
    if (u.ok())
      std::cout << fmt::format(
          "sent in the last 24 hours: {} messages, {} recipients (limits: {}, {})\n", u->messages,
          u->recipients, limit_text(msgs, "messages"), limit_text(rcpts, "recipients"));
    if (a->send_suspended)
      std::cout << "sending: SUSPENDED (" << a->send_suspended_reason
                << "); lift with: tegami account unsuspend " << a->address << "\n";
    auto ev = s.list_events(a->id, 20);
    if (ev.ok())
      for (const auto& e : *ev)
        std::cout << fmt::format("history: {}  {}  {}\n", format_time(e.time), e.kind, e.detail);
    return 0;
  }
  if ((w[0] == "alias-add" || w[0] == "alias-remove") && w.size() == 3) {
    auto a = find_account(s, w[1]);
    if (!a.ok()) return fail(a.error().message);
    Status st = w[0] == "alias-add" ? account::add_alias(s, *a, ascii_lower(w[2]))
                                    : s.remove_alias(a->id, ascii_lower(w[2]));
    if (!st.ok()) return fail(st.error().message);
    std::cout << (w[0] == "alias-add" ? "alias " : "removed alias ") << ascii_lower(w[2]) << "\n";
    return 0;
  }
  if (w[0] == "passwd" && w.size() == 2) {
    auto a = find_account(s, w[1]);
    if (!a.ok()) return fail(a.error().message);
    std::string pw;
    bool generated;
    if (!read_password(pw, generated)) return fail("no password on standard input");
    auto st = auth::change_password(s, nullptr, *a, pw);
    if (!st.ok()) return fail(st.error().message);
    std::cout << "password changed; every app-specific password was revoked\n";
    if (generated) std::cout << "account password (shown once): " << pw << "\n";
    return 0;
  }
  if (w[0] == "two-factor" && w.size() == 3 && (w[2] == "on" || w[2] == "off")) {
    auto a = find_account(s, w[1]);
    if (!a.ok()) return fail(a.error().message);
    auto st = s.set_two_factor(a->id, w[2] == "on");
    if (!st.ok()) return fail(st.error().message);
    std::cout << "two-factor sign-in " << w[2] << " for " << a->address << "\n";
    return 0;
  }
  if (w[0] == "plan" && w.size() == 3) {
    auto a = find_account(s, w[1]);
    if (!a.ok()) return fail(a.error().message);
    const config::Plan* plan = find_plan(env->cfg, w[2]);
    if (!plan) return fail(unknown_plan(env->cfg, w[2]));
    if (auto st = s.set_plan(a->id, plan->name, plan->quota); !st.ok())
      return fail(st.error().message);
    std::cout << a->address << " is now on plan " << describe_plan(*plan) << "\n";
    if (plan->quota > 0 && a->used_bytes > plan->quota)
      std::cout << fmt::format(
          "note: the account already stores {} bytes, more than this quota; new mail is "
          "refused until it stores less\n",
          a->used_bytes);
    return 0;
  }
  if (w[0] == "unsuspend" && w.size() == 2) {
    auto a = find_account(s, w[1]);
    if (!a.ok()) return fail(a.error().message);
    if (!a->send_suspended) {
      std::cout << "sending is not suspended for " << a->address << "\n";
      return 0;
    }
    auto st = s.set_send_suspended(a->id, false, "", system_clock().now_unix());
    if (!st.ok()) return fail(st.error().message);
    store::Event e;
    e.account_id = a->id;
    e.time = system_clock().now_unix();
    e.kind = "send_unsuspended";
    e.detail = "Sending was allowed again by an administrator.";
    (void)s.add_event(e);
    std::cout << "sending allowed again for " << a->address << "\n";
    return 0;
  }
  return usage(u);
}

int cmd_plans(const Args& args) {
  if (!args.words.empty()) return usage("tegami plans");
  auto cfg = load_config(args);
  if (!cfg.ok()) return fail(cfg.error().message);
  for (const auto& p : cfg->plans)
    std::cout << describe_plan(p) << (p.name == cfg->default_plan ? "  (default)" : "") << "\n";
  return 0;
}

int cmd_app_password(const Args& args) {
  const char* u =
      "tegami app-password create ADDRESS --label LABEL | list ADDRESS | "
      "revoke ADDRESS LABEL|--all";
  const auto& w = args.words;
  if (w.size() < 2) return usage(u);
  auto env = open_env(args);
  if (!env.ok()) return fail(env.error().message);
  auto& s = *env->store;
  auto a = find_account(s, w[1]);
  if (!a.ok()) return fail(a.error().message);
  if (w[0] == "create" && w.size() == 2) {
    auto label = args.option("label");
    if (!label) return usage(u);
    auto r = auth::create_app_password(s, *a, *label);
    if (!r.ok()) return fail(r.error().message);
    std::cout << r->second << "\n";
    if (isatty(STDOUT_FILENO))
      std::cerr << "(app-specific password '" << r->first.label << "' for " << a->address
                << ": it is shown only this once)\n";
    return 0;
  }
  if (w[0] == "list" && w.size() == 2) {
    auto l = s.list_app_passwords(a->id, args.flag("all"));
    if (!l.ok()) return fail(l.error().message);
    for (const auto& p : *l) {
      std::string last =
          p.last_used ? fmt::format("last used {} from {}{}", format_time(p.last_used), p.last_ip,
                                    p.last_client.empty() ? "" : " (" + p.last_client + ")")
                      : "never used";
      std::cout << fmt::format(
          "{}\tcreated {}\t{}{}\n", p.label, format_time(p.created), last,
          p.revoked ? "\trevoked " + format_time(p.revoked) + ": " + p.revoked_reason : "");
    }
    return 0;
  }
  if (w[0] == "revoke" && (w.size() == 3 || (w.size() == 2 && args.flag("all")))) {
    Status st = w.size() == 2 ? auth::revoke_all(s, nullptr, *a)
                              : auth::revoke_app_password(s, nullptr, *a, w[2]);
    if (!st.ok()) return fail(st.error().message);
    std::cout << (w.size() == 2 ? "all app-specific passwords revoked\n"
                                : "app-specific password '" + w[2] + "' revoked\n");
    return 0;
  }
  return usage(u);
}

int cmd_check_config(const Args& args) {
  auto path = args.option("config");
  if (!path) return usage("tegami check-config --config FILE");
  auto c = config::load_file(*path);
  if (!c.ok()) return fail(c.error().message);
  std::cout << *path << ": OK\n";
  return 0;
}

}  // namespace tegami::app
