#include "store/sqlite/schema.hpp"

#include <string>

namespace tegami::store::sqlite {
namespace {

// kMigrations[i] brings the schema from version i to version i + 1. Never edit a migration
// that has shipped: append a new one.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE domains (
  id       INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  alias_of INTEGER REFERENCES domains(id) ON DELETE CASCADE
) STRICT;

CREATE TABLE accounts (
  id                INTEGER PRIMARY KEY,
  address           TEXT NOT NULL UNIQUE,
  password_hash     TEXT NOT NULL,
  two_factor        INTEGER NOT NULL DEFAULT 1,
  quota_bytes       INTEGER NOT NULL DEFAULT 0,
  used_bytes        INTEGER NOT NULL DEFAULT 0,
  created           INTEGER NOT NULL,
  last_uid_validity INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Primary addresses and aliases, lower case; one owner per address.
CREATE TABLE addresses (
  address    TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  is_primary INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX addresses_account ON addresses(account_id);

CREATE TABLE app_passwords (
  id             INTEGER PRIMARY KEY,
  account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  label          TEXT NOT NULL,
  hash           TEXT NOT NULL,
  created        INTEGER NOT NULL,
  last_used      INTEGER NOT NULL DEFAULT 0,
  last_ip        TEXT NOT NULL DEFAULT '',
  last_client    TEXT NOT NULL DEFAULT '',
  revoked        INTEGER NOT NULL DEFAULT 0,
  revoked_reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX app_passwords_account ON app_passwords(account_id);
CREATE UNIQUE INDEX app_passwords_active_label ON app_passwords(account_id, label)
  WHERE revoked = 0;

CREATE TABLE events (
  id         INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  time       INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  detail     TEXT NOT NULL,
  remote     TEXT NOT NULL
) STRICT;
CREATE INDEX events_account_time ON events(account_id, time, id);

-- msg_count, unseen_count, total_size are maintained by the triggers on messages.
CREATE TABLE mailboxes (
  id             INTEGER PRIMARY KEY,
  account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  special_use    TEXT NOT NULL DEFAULT '',
  subscribed     INTEGER NOT NULL DEFAULT 1,
  uid_validity   INTEGER NOT NULL,
  uid_next       INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 1,
  msg_count      INTEGER NOT NULL DEFAULT 0,
  unseen_count   INTEGER NOT NULL DEFAULT 0,
  total_size     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
) STRICT;

-- Message content, content-addressed by SHA-256 (hex), with its MessageIndex. refcount is the
-- number of messages rows that reference it (maintained by triggers). in_file = 1: the bytes
-- are in blobs/<hash[0:2]>/<hash>; else in blob_data.
CREATE TABLE blobs (
  id             INTEGER PRIMARY KEY,
  hash           TEXT NOT NULL UNIQUE,
  size           INTEGER NOT NULL,
  refcount       INTEGER NOT NULL DEFAULT 0,
  in_file        INTEGER NOT NULL,
  envelope       TEXT NOT NULL,
  body_structure TEXT NOT NULL,
  body           TEXT NOT NULL,
  parts          BLOB NOT NULL,
  search_headers TEXT NOT NULL,
  search_body    TEXT NOT NULL,
  sent_date      INTEGER NOT NULL,
  subject        TEXT NOT NULL,
  from_addr      TEXT NOT NULL,
  message_id     TEXT NOT NULL
) STRICT;
CREATE INDEX blobs_unreferenced ON blobs(id) WHERE refcount = 0;

CREATE TABLE blob_data (
  blob_id INTEGER PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
  data    BLOB NOT NULL
) STRICT;

CREATE TABLE messages (
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid           INTEGER NOT NULL,
  modseq        INTEGER NOT NULL,
  flags         INTEGER NOT NULL,
  keywords      TEXT NOT NULL DEFAULT '',
  internal_date INTEGER NOT NULL,
  size          INTEGER NOT NULL,
  blob_id       INTEGER NOT NULL REFERENCES blobs(id),
  save_date     INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) STRICT, WITHOUT ROWID;
CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);
CREATE INDEX messages_blob ON messages(blob_id);

-- Expunged uids with the modseq of their expunge (QRESYNC VANISHED, changes_since).
CREATE TABLE expunged (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid        INTEGER NOT NULL,
  modseq     INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) STRICT, WITHOUT ROWID;
CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);

CREATE TRIGGER messages_insert AFTER INSERT ON messages BEGIN
  UPDATE mailboxes SET msg_count = msg_count + 1, total_size = total_size + NEW.size,
    unseen_count = unseen_count + ((NEW.flags & 1) = 0)
    WHERE id = NEW.mailbox_id;
  UPDATE accounts SET used_bytes = used_bytes + NEW.size
    WHERE id = (SELECT account_id FROM mailboxes WHERE id = NEW.mailbox_id);
  UPDATE blobs SET refcount = refcount + 1 WHERE id = NEW.blob_id;
END;

CREATE TRIGGER messages_delete AFTER DELETE ON messages BEGIN
  UPDATE mailboxes SET msg_count = msg_count - 1, total_size = total_size - OLD.size,
    unseen_count = unseen_count - ((OLD.flags & 1) = 0)
    WHERE id = OLD.mailbox_id;
  UPDATE accounts SET used_bytes = used_bytes - OLD.size
    WHERE id = (SELECT account_id FROM mailboxes WHERE id = OLD.mailbox_id);
  UPDATE blobs SET refcount = refcount - 1 WHERE id = OLD.blob_id;
END;

CREATE TRIGGER messages_flags AFTER UPDATE OF flags ON messages
  WHEN (OLD.flags & 1) != (NEW.flags & 1) BEGIN
  UPDATE mailboxes SET unseen_count = unseen_count + ((NEW.flags & 1) = 0) - ((OLD.flags & 1) = 0)
    WHERE id = NEW.mailbox_id;
END;
)sql",
    // 1 -> 2: find recent revocations quickly (a server polls for those made by the CLI).
    R"sql(
CREATE INDEX app_passwords_revoked ON app_passwords(revoked) WHERE revoked > 0;
)sql",
    // 2 -> 3: the outbound queue, sending counters and suspension (issue 4).
    R"sql(
ALTER TABLE accounts ADD COLUMN send_suspended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN send_suspended_reason TEXT NOT NULL DEFAULT '';

-- One row per accepted submission (refused = 0) or per submission refused by a limit
-- (refused = 1): the rolling 24-hour counters, which survive restarts. Old rows are pruned.
CREATE TABLE send_log (
  id         INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  time       INTEGER NOT NULL,
  recipients INTEGER NOT NULL,
  refused    INTEGER NOT NULL
) STRICT;
CREATE INDEX send_log_account_time ON send_log(account_id, time);

-- Messages waiting for other servers. The blob reference counts like a message's.
CREATE TABLE queue (
  id             INTEGER PRIMARY KEY,
  account_id     INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
  blob_id        INTEGER NOT NULL REFERENCES blobs(id),
  size           INTEGER NOT NULL,
  env_from       TEXT NOT NULL,
  envid          TEXT NOT NULL,
  ret            TEXT NOT NULL,
  smtputf8       INTEGER NOT NULL,
  eight_bit      INTEGER NOT NULL,
  requiretls     INTEGER NOT NULL,
  created        INTEGER NOT NULL,
  expires        INTEGER NOT NULL,
  delay_notified INTEGER NOT NULL DEFAULT 0
) STRICT;

-- state: 0 pending, 1 delivered, 2 failed.
CREATE TABLE queue_rcpts (
  id           INTEGER PRIMARY KEY,
  queue_id     INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
  address      TEXT NOT NULL,
  domain       TEXT NOT NULL,
  notify       TEXT NOT NULL,
  orcpt        TEXT NOT NULL,
  state        INTEGER NOT NULL DEFAULT 0,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  last_attempt INTEGER NOT NULL DEFAULT 0,
  last_reply   TEXT NOT NULL DEFAULT '',
  last_host    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX queue_rcpts_queue ON queue_rcpts(queue_id);
CREATE INDEX queue_rcpts_due ON queue_rcpts(next_attempt) WHERE state = 0;

CREATE TRIGGER queue_insert AFTER INSERT ON queue BEGIN
  UPDATE blobs SET refcount = refcount + 1 WHERE id = NEW.blob_id;
END;
CREATE TRIGGER queue_delete AFTER DELETE ON queue BEGIN
  UPDATE blobs SET refcount = refcount - 1 WHERE id = OLD.blob_id;
END;
)sql",
    // 3 -> 4 (relay speed): running totals on send_log, so the rolling counters are a
    // difference of two rows found through the (account_id, time) index instead of a sum over
    // the whole window; blobs stored for the queue alone carry no IMAP index.
    R"sql(
-- 0: stored for the outbound queue only, the index columns are empty.
ALTER TABLE blobs ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1;

-- The last queue id given out: ids are never used twice (a rowid would come back once the
-- queue is empty), so logs, `tegami queue show` and the runner never confuse two messages.
CREATE TABLE sequences (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO sequences (name, value) SELECT 'queue', COALESCE(MAX(id), 0) FROM queue;

-- Totals of the account's rows up to and including this one, in (time, id) order.
ALTER TABLE send_log ADD COLUMN sum_messages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE send_log ADD COLUMN sum_recipients INTEGER NOT NULL DEFAULT 0;
ALTER TABLE send_log ADD COLUMN sum_refusals INTEGER NOT NULL DEFAULT 0;
UPDATE send_log SET sum_messages = t.m, sum_recipients = t.r, sum_refusals = t.f
  FROM (SELECT id,
          SUM(refused = 0) OVER w AS m,
          SUM(CASE WHEN refused = 0 THEN recipients ELSE 0 END) OVER w AS r,
          SUM(refused) OVER w AS f
        FROM send_log WINDOW w AS (PARTITION BY account_id ORDER BY time, id)) AS t
  WHERE send_log.id = t.id;
)sql",
    // 4 -> 5 (delivery speed): a search text that is the message's own trailing bytes (a
    // plain text message: its body) is not stored twice; search_body_at >= 0 says it is the
    // content from that byte on (blob_data), and search_body is then empty.
    R"sql(
ALTER TABLE blobs ADD COLUMN search_body_at INTEGER NOT NULL DEFAULT -1;
)sql",
    // 5 -> 6 (delivery speed): in_file = 2, the content is a record of the body log
    // (blob_log.hpp), in blobs/log/<log_segment as 16 hex digits> at byte log_at.
    R"sql(
ALTER TABLE blobs ADD COLUMN log_segment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE blobs ADD COLUMN log_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX blobs_logged ON blobs(log_segment, log_at) WHERE in_file = 2;
)sql",
    // 6 -> 7: when an administrator last lifted the account's sending suspension (refusals
    // before it do not count toward the next one); the account's plan ('' = the default);
    // when its owner was last warned of the sending limits; the queue's due index covers what
    // queue_due reads.
    R"sql(
ALTER TABLE accounts ADD COLUMN send_allowed_since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN plan TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN send_warned_at INTEGER NOT NULL DEFAULT 0;
-- queue_due walks the due recipients in index order, stepping over those the runner holds: with
-- their message and domain in the index it reads no row of the table.
DROP INDEX queue_rcpts_due;
CREATE INDEX queue_rcpts_due ON queue_rcpts(next_attempt, queue_id, domain, state)
  WHERE state = 0;
)sql",
};

constexpr int kKnown = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

Result<int> user_version(Db& db) {
  TG_ASSIGN(Stmt s, db.prepare("PRAGMA user_version"));
  TG_ASSIGN(bool row, s.step());
  if (!row) return make_error(Errc::kInternal, "database: no user_version");
  return static_cast<int>(s.i64(0));
}

}  // namespace

int schema_version_known() { return kKnown; }

Status migrate(Db& db) {
  TG_ASSIGN(int v, user_version(db));
  if (v > kKnown) {
    return make_error(Errc::kInvalidData, "data folder was written by a newer Tegami (schema " +
                                              std::to_string(v) + "); this binary knows up to " +
                                              std::to_string(kKnown));
  }
  for (int i = v; i < kKnown; ++i) {
    TG_TRY(db.exec("BEGIN IMMEDIATE"));
    // Re-read inside the write lock: another process may have migrated meanwhile.
    auto cur = user_version(db);
    if (!cur.ok()) {
      (void)db.exec("ROLLBACK");
      return cur.error();
    }
    if (*cur != i) {
      (void)db.exec("ROLLBACK");
      return migrate(db);
    }
    Status st = db.exec(kMigrations[i]);
    if (st.ok()) st = db.exec(("PRAGMA user_version = " + std::to_string(i + 1)).c_str());
    if (st.ok()) st = db.exec("COMMIT");
    if (!st.ok()) {
      (void)db.exec("ROLLBACK");
      return make_error(st.code(), "schema migration to version " + std::to_string(i + 1) +
                                       " failed: " + st.error().message);
    }
  }
  return {};
}

}  // namespace tegami::store::sqlite
