// Account-side methods of SqliteStore: domains, accounts, addresses, app passwords, events.
#include <algorithm>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace tegami::store::sqlite {
namespace {

constexpr const char* kSpecialMailboxes[][2] = {
    {"INBOX", ""},      {"Drafts", "\\Drafts"},          {"Sent Messages", "\\Sent"},
    {"Junk", "\\Junk"}, {"Deleted Messages", "\\Trash"}, {"Archive", "\\Archive"},
};

Status check_address(std::string_view a) {
  auto at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size() ||
      a.find('@', at + 1) != std::string_view::npos) {
    return make_error(Errc::kInvalidData, "\"" + std::string(a) + "\" is not an address");
  }
  for (unsigned char c : a) {
    if (c <= 0x20 || c == 0x7f) {
      return make_error(Errc::kInvalidData, "an address cannot contain spaces or controls");
    }
  }
  return {};
}

Status check_domain(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.find('@') != std::string_view::npos ||
      d.find(' ') != std::string_view::npos) {
    return make_error(Errc::kInvalidData, "\"" + std::string(d) + "\" is not a domain name");
  }
  return {};
}

Domain domain_from(const Stmt& s) {
  Domain d;
  d.id = s.i64(0);
  d.name = s.text(1);
  d.alias_of = s.is_null(2) ? 0 : s.i64(2);
  return d;
}

Result<Domain> load_domain(Db& db, std::string_view name) {
  TG_ASSIGN(Stmt s, db.prepare("SELECT id, name, alias_of FROM domains WHERE name = ?"));
  std::string n = lower_ascii(name);
  s.bind(1, n);
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kNotFound, "no such domain: " + n);
  return domain_from(s);
}

AppPassword app_password_from(const Stmt& s) {
  AppPassword p;
  p.id = s.i64(0);
  p.account_id = s.i64(1);
  p.label = s.text(2);
  p.hash = s.text(3);
  p.created = s.i64(4);
  p.last_used = s.i64(5);
  p.last_ip = s.text(6);
  p.last_client = s.text(7);
  p.revoked = s.i64(8);
  p.revoked_reason = s.text(9);
  return p;
}

constexpr const char* kAppPasswordCols =
    "SELECT id, account_id, label, hash, created, last_used, last_ip, last_client, revoked, "
    "revoked_reason FROM app_passwords ";

Status require_account(Db& db, Id account) {
  TG_TRY(load_account(db, account));
  return {};
}

}  // namespace

// ---------------------------------------------------------------- domains

Result<Domain> SqliteStore::add_domain(std::string_view name) {
  std::string n = lower_ascii(name);
  TG_TRY(check_domain(n));
  return write<Domain>([&](WriteCtx& ctx) -> Result<Domain> {
    if (load_domain(ctx.db, n).ok()) {
      return make_error(Errc::kExists, "the domain " + n + " already exists");
    }
    TG_TRY(ctx.db.run("INSERT INTO domains (name) VALUES (?)", n));
    return load_domain(ctx.db, n);
  });
}

Result<Domain> SqliteStore::add_alias_domain(std::string_view primary, std::string_view alias) {
  std::string a = lower_ascii(alias);
  TG_TRY(check_domain(a));
  return write<Domain>([&](WriteCtx& ctx) -> Result<Domain> {
    TG_ASSIGN(Domain p, load_domain(ctx.db, primary));
    if (p.alias_of != 0) {
      return make_error(Errc::kInvalidData, "the domain " + p.name + " is itself an alias");
    }
    if (load_domain(ctx.db, a).ok()) {
      return make_error(Errc::kExists, "the domain " + a + " already exists");
    }
    TG_TRY(ctx.db.run("INSERT INTO domains (name, alias_of) VALUES (?, ?)", a, p.id));
    return load_domain(ctx.db, a);
  });
}

Result<Domain> SqliteStore::find_domain(std::string_view name) {
  return read<Domain>([&](Db& db) { return load_domain(db, name); });
}

Result<std::vector<Domain>> SqliteStore::list_domains() {
  return read<std::vector<Domain>>([&](Db& db) -> Result<std::vector<Domain>> {
    TG_ASSIGN(Stmt s, db.prepare("SELECT id, name, alias_of FROM domains ORDER BY name"));
    std::vector<Domain> out;
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      out.push_back(domain_from(s));
    }
    return out;
  });
}

// ---------------------------------------------------------------- accounts

Result<Account> SqliteStore::add_account(std::string_view address, std::string_view password_hash,
                                         int64_t quota_bytes) {
  std::string a = lower_ascii(address);
  TG_TRY(check_address(a));
  if (quota_bytes < 0) return make_error(Errc::kInvalidData, "a quota cannot be negative");
  return write<Account>([&](WriteCtx& ctx) -> Result<Account> {
    {
      TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT 1 FROM addresses WHERE address = ?"));
      s.bind(1, a);
      TG_ASSIGN(bool taken, s.step());
      if (taken) return make_error(Errc::kExists, "the address " + a + " is already in use");
    }
    TG_TRY(
        ctx.db.run("INSERT INTO accounts (address, password_hash, quota_bytes, created) "
                   "VALUES (?, ?, ?, ?)",
                   a, password_hash, quota_bytes, ctx.now));
    Id id = ctx.db.last_insert_rowid();
    TG_TRY(ctx.db.run("INSERT INTO addresses (address, account_id, is_primary) VALUES (?, ?, 1)", a,
                      id));
    for (const auto& [name, use] : kSpecialMailboxes) {
      TG_TRY(insert_mailbox(ctx, id, name, use));
    }
    return load_account(ctx.db, id);
  });
}

Result<Account> SqliteStore::get_account(Id id) {
  return read<Account>([&](Db& db) { return load_account(db, id); });
}

Result<Account> SqliteStore::find_account_by_address(std::string_view address) {
  std::string a = lower_ascii(address);
  return read<Account>([&](Db& db) -> Result<Account> {
    TG_ASSIGN(Stmt s, db.prepare("SELECT account_id FROM addresses WHERE address = ?"));
    s.bind(1, a);
    TG_ASSIGN(bool row, s.step());
    if (!row) return make_error(Errc::kNotFound, "no account has the address " + a);
    return load_account(db, s.i64(0));
  });
}

Result<std::vector<Account>> SqliteStore::list_accounts() {
  return read<std::vector<Account>>([&](Db& db) -> Result<std::vector<Account>> {
    TG_ASSIGN(Stmt s, db.prepare("SELECT id FROM accounts ORDER BY address"));
    std::vector<Account> out;
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      TG_ASSIGN(Account a, load_account(db, s.i64(0)));
      out.push_back(std::move(a));
    }
    return out;
  });
}

Status SqliteStore::set_password(Id account, std::string_view password_hash) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(
        ctx.db.run("UPDATE accounts SET password_hash = ? WHERE id = ?", password_hash, account));
    if (ctx.db.changes() == 0) return make_error(Errc::kNotFound, "no such account");
    return ctx.db.run(
        "UPDATE app_passwords SET revoked = ?, revoked_reason = ? "
        "WHERE account_id = ? AND revoked = 0",
        std::max<int64_t>(ctx.now, 1), "account password changed", account);
  });
}

Status SqliteStore::set_two_factor(Id account, bool on) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(ctx.db.run("UPDATE accounts SET two_factor = ? WHERE id = ?", on, account));
    if (ctx.db.changes() == 0) return make_error(Errc::kNotFound, "no such account");
    return {};
  });
}

Status SqliteStore::set_quota(Id account, int64_t quota_bytes) {
  if (quota_bytes < 0) return make_error(Errc::kInvalidData, "a quota cannot be negative");
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(ctx.db.run("UPDATE accounts SET quota_bytes = ? WHERE id = ?", quota_bytes, account));
    if (ctx.db.changes() == 0) return make_error(Errc::kNotFound, "no such account");
    return {};
  });
}

Status SqliteStore::set_plan(Id account, std::string_view plan, int64_t quota_bytes) {
  if (quota_bytes < 0) return make_error(Errc::kInvalidData, "a quota cannot be negative");
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(ctx.db.run("UPDATE accounts SET plan = ?, quota_bytes = ? WHERE id = ?",
                      std::string(plan), quota_bytes, account));
    if (ctx.db.changes() == 0) return make_error(Errc::kNotFound, "no such account");
    return {};
  });
}

Status SqliteStore::add_alias(Id account, std::string_view address) {
  std::string a = lower_ascii(address);
  TG_TRY(check_address(a));
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(require_account(ctx.db, account));
    TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT 1 FROM addresses WHERE address = ?"));
    s.bind(1, a);
    TG_ASSIGN(bool taken, s.step());
    if (taken) return make_error(Errc::kExists, "the address " + a + " is already in use");
    return ctx.db.run("INSERT INTO addresses (address, account_id, is_primary) VALUES (?, ?, 0)", a,
                      account);
  });
}

Status SqliteStore::remove_alias(Id account, std::string_view address) {
  std::string a = lower_ascii(address);
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_ASSIGN(Stmt s, ctx.db.prepare(
                          "SELECT is_primary FROM addresses WHERE address = ? AND account_id = ?"));
    s.bind(1, a).bind(2, account);
    TG_ASSIGN(bool row, s.step());
    if (!row) return make_error(Errc::kNotFound, "the account has no alias " + a);
    if (s.i64(0) != 0) {
      return make_error(Errc::kPerm, "the primary address cannot be removed as an alias");
    }
    return ctx.db.run("DELETE FROM addresses WHERE address = ?", a);
  });
}

Result<std::vector<std::string>> SqliteStore::list_aliases(Id account) {
  return read<std::vector<std::string>>([&](Db& db) -> Result<std::vector<std::string>> {
    TG_TRY(require_account(db, account));
    TG_ASSIGN(Stmt s, db.prepare("SELECT address FROM addresses WHERE account_id = ? AND "
                                 "is_primary = 0 ORDER BY address"));
    s.bind(1, account);
    std::vector<std::string> out;
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      out.push_back(s.text(0));
    }
    return out;
  });
}

// ---------------------------------------------------------------- app passwords

Result<AppPassword> SqliteStore::add_app_password(Id account, std::string_view label,
                                                  std::string_view hash) {
  return write<AppPassword>([&](WriteCtx& ctx) -> Result<AppPassword> {
    TG_TRY(require_account(ctx.db, account));
    Status st = ctx.db.run(
        "INSERT INTO app_passwords (account_id, label, hash, created) VALUES (?, ?, ?, ?)", account,
        label, hash, ctx.now);
    if (!st.ok()) {
      if (st.code() == Errc::kExists) {
        return make_error(Errc::kExists,
                          "an app password named \"" + std::string(label) + "\" already exists");
      }
      return st.error();
    }
    static const std::string sql = std::string(kAppPasswordCols) + "WHERE id = ?";
    TG_ASSIGN(Stmt s, ctx.db.prepare(sql.c_str()));
    s.bind(1, ctx.db.last_insert_rowid());
    TG_ASSIGN(bool row, s.step());
    if (!row) return make_error(Errc::kInternal, "app password vanished");
    return app_password_from(s);
  });
}

Result<std::vector<AppPassword>> SqliteStore::list_app_passwords(Id account, bool include_revoked) {
  return read<std::vector<AppPassword>>([&](Db& db) -> Result<std::vector<AppPassword>> {
    TG_TRY(require_account(db, account));
    static const std::string sql =
        std::string(kAppPasswordCols) + "WHERE account_id = ? AND (? OR revoked = 0) ORDER BY id";
    TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
    s.bind(1, account).bind(2, include_revoked);
    std::vector<AppPassword> out;
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      out.push_back(app_password_from(s));
    }
    return out;
  });
}

Result<std::vector<AppPassword>> SqliteStore::app_passwords_revoked_since(int64_t since) {
  return read<std::vector<AppPassword>>([&](Db& db) -> Result<std::vector<AppPassword>> {
    static const std::string sql =
        std::string(kAppPasswordCols) + "WHERE revoked > 0 AND revoked >= ? ORDER BY revoked, id";
    TG_ASSIGN(Stmt s, db.prepare(sql.c_str()));
    s.bind(1, since);
    std::vector<AppPassword> out;
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      out.push_back(app_password_from(s));
    }
    return out;
  });
}

Status SqliteStore::revoke_app_password(Id account, Id app_password, std::string_view reason) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT revoked FROM app_passwords WHERE id = ? AND "
                                     "account_id = ?"));
    s.bind(1, app_password).bind(2, account);
    TG_ASSIGN(bool row, s.step());
    if (!row) return make_error(Errc::kNotFound, "no such app password");
    if (s.i64(0) != 0) return {};  // already revoked: keep the first reason
    return ctx.db.run("UPDATE app_passwords SET revoked = ?, revoked_reason = ? WHERE id = ?",
                      std::max<int64_t>(ctx.now, 1), reason, app_password);
  });
}

Status SqliteStore::revoke_all_app_passwords(Id account, std::string_view reason) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(require_account(ctx.db, account));
    return ctx.db.run(
        "UPDATE app_passwords SET revoked = ?, revoked_reason = ? "
        "WHERE account_id = ? AND revoked = 0",
        std::max<int64_t>(ctx.now, 1), reason, account);
  });
}

Status SqliteStore::note_app_password_use(Id app_password, int64_t time, std::string_view ip,
                                          std::string_view client) {
  return write_status([&](WriteCtx& ctx) -> Status {
    // An empty client name keeps the last known one (SMTP AUTH may not tell).
    TG_TRY(
        ctx.db.run("UPDATE app_passwords SET last_used = ?, last_ip = ?, "
                   "last_client = CASE WHEN ? = '' THEN last_client ELSE ? END WHERE id = ?",
                   time, ip, client, client, app_password));
    if (ctx.db.changes() == 0) return make_error(Errc::kNotFound, "no such app password");
    return {};
  });
}

// ---------------------------------------------------------------- events

Status SqliteStore::add_event(const Event& e) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(require_account(ctx.db, e.account_id));
    return ctx.db.run(
        "INSERT INTO events (account_id, time, kind, detail, remote) VALUES (?, ?, ?, ?, ?)",
        e.account_id, e.time != 0 ? e.time : ctx.now, e.kind, e.detail, e.remote);
  });
}

Result<std::vector<Event>> SqliteStore::list_events(Id account, size_t limit) {
  return read<std::vector<Event>>([&](Db& db) -> Result<std::vector<Event>> {
    TG_ASSIGN(Stmt s, db.prepare("SELECT id, account_id, time, kind, detail, remote FROM events "
                                 "WHERE account_id = ? ORDER BY time DESC, id DESC LIMIT ?"));
    s.bind(1, account).bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    std::vector<Event> out;
    while (true) {
      TG_ASSIGN(bool row, s.step());
      if (!row) break;
      Event e;
      e.id = s.i64(0);
      e.account_id = s.i64(1);
      e.time = s.i64(2);
      e.kind = s.text(3);
      e.detail = s.text(4);
      e.remote = s.text(5);
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace tegami::store::sqlite
