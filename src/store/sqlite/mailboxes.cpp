// Mailbox methods of SqliteStore (RFC 9051 §6.3.4-6.3.6 semantics for create/delete/rename).
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace tegami::store::sqlite {

Result<std::vector<Mailbox>> SqliteStore::list_mailboxes(Id account) {
  return read<std::vector<Mailbox>>([&](Db& db) -> Result<std::vector<Mailbox>> {
    TG_TRY(load_account(db, account));
    return load_mailboxes(db, account);
  });
}

Result<Mailbox> SqliteStore::get_mailbox(Id account, std::string_view name) {
  return read<Mailbox>([&](Db& db) { return load_mailbox_by_name(db, account, name); });
}

Result<Mailbox> SqliteStore::get_mailbox_by_id(Id mailbox) {
  return read<Mailbox>([&](Db& db) { return load_mailbox(db, mailbox); });
}

Result<Mailbox> SqliteStore::create_mailbox(Id account, std::string_view name,
                                            std::string_view special_use) {
  std::string n = normalize_mailbox_name(name);
  TG_TRY(check_mailbox_name(n));
  return write<Mailbox>([&](WriteCtx& ctx) -> Result<Mailbox> {
    TG_TRY(load_account(ctx.db, account));
    if (load_mailbox_by_name(ctx.db, account, n).ok()) {
      return make_error(Errc::kExists, "the mailbox " + n + " already exists");
    }
    // RFC 9051 §6.3.4: create the superior names the new one needs.
    TG_TRY(create_parents(ctx, account, n));
    return insert_mailbox(ctx, account, n, special_use);
  });
}

Status SqliteStore::delete_mailbox(Id mailbox) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_ASSIGN(Mailbox m, load_mailbox(ctx.db, mailbox));
    if (m.name == "INBOX") return make_error(Errc::kPerm, "INBOX cannot be deleted");
    // Messages first, while the mailbox row exists: the delete trigger gives the quota back.
    TG_TRY(ctx.db.run("DELETE FROM messages WHERE mailbox_id = ?", mailbox));
    TG_TRY(ctx.db.run("DELETE FROM mailboxes WHERE id = ?", mailbox));
    return collect_garbage(ctx);
  });
}

Status SqliteStore::rename_mailbox(Id account, std::string_view from, std::string_view to) {
  std::string f = normalize_mailbox_name(from);
  std::string t = normalize_mailbox_name(to);
  TG_TRY(check_mailbox_name(t));
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_ASSIGN(Mailbox src, load_mailbox_by_name(ctx.db, account, f));
    if (load_mailbox_by_name(ctx.db, account, t).ok()) {
      return make_error(Errc::kExists, "the mailbox " + t + " already exists");
    }
    if (f == "INBOX") {
      // RFC 9051 §6.3.6: move INBOX's messages to a new mailbox; INBOX stays, empty, and its
      // inferiors are not renamed.
      TG_TRY(create_parents(ctx, account, t));
      TG_ASSIGN(Mailbox dst, insert_mailbox(ctx, account, t, ""));
      std::vector<uint32_t> uids;
      {
        TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT uid FROM messages WHERE mailbox_id = ? "
                                         "ORDER BY uid"));
        s.bind(1, src.id);
        while (true) {
          TG_ASSIGN(bool row, s.step());
          if (!row) break;
          uids.push_back(static_cast<uint32_t>(s.i64(0)));
        }
      }
      TG_TRY(copy_in_txn(ctx, src.id, uids, dst.id, /*enforce_quota=*/false));
      TG_TRY(expunge_in_txn(ctx, src.id, uids));
      return {};
    }
    if (t.size() > f.size() && t.compare(0, f.size(), f) == 0 && t[f.size()] == '/') {
      return make_error(Errc::kInvalidData, "a mailbox cannot be moved inside itself");
    }
    // The mailbox and its inferiors, with their new names.
    std::vector<std::pair<Id, std::string>> renames;
    {
      // Names starting with "f/" sort (bytewise) between "f/" and "f0" ('0' follows '/').
      TG_ASSIGN(Stmt s, ctx.db.prepare("SELECT id, name FROM mailboxes WHERE account_id = ? AND "
                                       "(name = ? OR (name > ? AND name < ?))"));
      std::string lo = f + "/";
      std::string hi = f + "0";
      s.bind(1, account).bind(2, f).bind(3, lo).bind(4, hi);
      while (true) {
        TG_ASSIGN(bool row, s.step());
        if (!row) break;
        std::string old_name = s.text(1);
        renames.emplace_back(s.i64(0), t + old_name.substr(f.size()));
      }
    }
    for (const auto& [id, name] : renames) {
      if (load_mailbox_by_name(ctx.db, account, name).ok()) {
        return make_error(Errc::kExists, "the mailbox " + name + " already exists");
      }
    }
    TG_TRY(create_parents(ctx, account, t));
    for (const auto& [id, name] : renames) {
      TG_TRY(ctx.db.run("UPDATE mailboxes SET name = ? WHERE id = ?", name, id));
    }
    return {};
  });
}

Status SqliteStore::set_subscribed(Id mailbox, bool on) {
  return write_status([&](WriteCtx& ctx) -> Status {
    TG_TRY(ctx.db.run("UPDATE mailboxes SET subscribed = ? WHERE id = ?", on, mailbox));
    if (ctx.db.changes() == 0) return make_error(Errc::kNotFound, "no such mailbox");
    return {};
  });
}

}  // namespace tegami::store::sqlite
