#include "schema.h"

#include <array>

namespace mamori::hub {

namespace {

// Version 1: organisations, users, tokens, events with their triage history, notifications, and
// the audit outbox (entries wait there, committed with the write they describe, until the hub
// moves them into the signed audit ledger).
constexpr std::string_view kV1 = R"sql(
CREATE TABLE organisations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  sector TEXT,
  ministry_id TEXT REFERENCES organisations(id),
  created_at BIGINT NOT NULL
);
CREATE TABLE org_prefixes (
  org_id TEXT NOT NULL REFERENCES organisations(id),
  prefix TEXT NOT NULL,
  PRIMARY KEY (org_id, prefix)
);
CREATE TABLE org_domains (
  org_id TEXT NOT NULL REFERENCES organisations(id),
  domain TEXT NOT NULL,
  PRIMARY KEY (org_id, domain)
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  clearance INTEGER NOT NULL,
  password_hash TEXT,
  created_at BIGINT NOT NULL
);
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  category TEXT NOT NULL,
  severity TEXT,
  target_org_id TEXT,
  state TEXT NOT NULL,
  first_seen BIGINT,
  received_at BIGINT NOT NULL,
  owner_org_id TEXT NOT NULL,
  tlp TEXT NOT NULL DEFAULT 'AMBER',
  sensitivity INTEGER NOT NULL DEFAULT 1,
  body TEXT NOT NULL
);
CREATE INDEX events_by_org ON events (target_org_id, received_at DESC, id DESC);
CREATE INDEX events_by_state ON events (state, received_at DESC, id DESC);
CREATE INDEX events_by_time ON events (received_at DESC, id DESC);
CREATE TABLE event_transitions (
  event_id TEXT NOT NULL REFERENCES events(id),
  seq INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  user_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (event_id, seq)
);
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  event_id TEXT NOT NULL REFERENCES events(id),
  created_at BIGINT NOT NULL,
  tlp TEXT NOT NULL,
  sensitivity INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX notifications_by_org ON notifications (org_id, created_at DESC);
CREATE TABLE audit_outbox (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  entry TEXT NOT NULL
);
CREATE INDEX audit_outbox_order ON audit_outbox (at, id)
)sql";

// Version 2: unified incident reports. `reports` holds the latest accepted document (NULL while the
// report is only a draft), the fields lists filter and share by, and the time each stage was
// first satisfied (what deadlines are measured against). Every accepted submission is kept in
// `report_submissions` (the timeline); `report_recipients` lists the police organisations the
// reporter included (the only recipients a report lists; docs/sharing.md).
constexpr std::string_view kV2 = R"sql(
CREATE TABLE reports (
  id TEXT PRIMARY KEY,
  reporter_org_id TEXT NOT NULL REFERENCES organisations(id),
  type TEXT NOT NULL,
  sector TEXT,
  current_stage TEXT,
  discovered_at BIGINT,
  initial_at BIGINT,
  interim_at BIGINT,
  final_at BIGINT,
  tlp TEXT NOT NULL,
  sensitivity INTEGER NOT NULL,
  police_included INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  document TEXT,
  draft TEXT
);
CREATE INDEX reports_by_reporter ON reports (reporter_org_id, created_at DESC, id DESC);
CREATE INDEX reports_by_sector_stage ON reports (sector, current_stage, created_at DESC, id DESC);
CREATE INDEX reports_by_time ON reports (created_at DESC, id DESC);
CREATE INDEX reports_by_discovery ON reports (discovered_at);
CREATE TABLE report_submissions (
  report_id TEXT NOT NULL REFERENCES reports(id),
  seq INTEGER NOT NULL,
  stage TEXT NOT NULL,
  submitted_at BIGINT NOT NULL,
  user_id TEXT NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (report_id, seq)
);
CREATE TABLE report_recipients (
  report_id TEXT NOT NULL REFERENCES reports(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  PRIMARY KEY (report_id, org_id)
);
CREATE INDEX report_recipients_by_org ON report_recipients (org_id, report_id)
)sql";

// Version 3: console sessions. Only the SHA-256 of the session secret is stored (like API tokens),
// so a copy of the database does not hand out logged-in sessions; the CSRF token is per session.
// `login_failures` throttles password guessing per user name (it holds names that may not exist).
constexpr std::string_view kV3 = R"sql(
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id),
  csrf_token TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE TABLE login_failures (
  user_name TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start BIGINT NOT NULL
)
)sql";

// Version 4: oversight (src/hub/hub_oversight.cc, docs/oversight.md). What sensors report after
// each run: the signed tree head of their handling ledger (`ledger_heads`, one row per distinct
// head of a sensor and key; a fork — two roots for one tree size — is two rows) and the selection
// orders they ran under (`selection_orders`, one row per distinct envelope a sensor reported,
// with the result of checking its signature against the commission's order key), linked by
// `ledger_head_orders`. `commission_keys` holds the commission's order keys as `mamori admin
// commission-key set` stored them; the latest one checks orders.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE commission_keys (
  key_id TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  set_at BIGINT NOT NULL
);
CREATE TABLE ledger_heads (
  id TEXT PRIMARY KEY,
  sensor TEXT NOT NULL,
  owner_org_id TEXT NOT NULL REFERENCES organisations(id),
  user_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  public_key TEXT NOT NULL,
  tree_size BIGINT NOT NULL,
  root TEXT NOT NULL,
  head_time TEXT NOT NULL,
  head TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  UNIQUE (sensor, key_id, tree_size, root)
);
CREATE INDEX ledger_heads_by_time ON ledger_heads (received_at DESC, id DESC);
CREATE INDEX ledger_heads_by_sensor ON ledger_heads (sensor, key_id, received_at, id);
CREATE TABLE selection_orders (
  id TEXT PRIMARY KEY,
  sensor TEXT NOT NULL,
  envelope_sha256 TEXT NOT NULL,
  owner_org_id TEXT NOT NULL REFERENCES organisations(id),
  order_id TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL,
  purpose TEXT,
  approved_by TEXT,
  scopes TEXT,
  valid_from BIGINT,
  valid_until BIGINT,
  criteria_count INTEGER,
  envelope_key_id TEXT,
  signature TEXT NOT NULL,
  signature_key_id TEXT,
  signature_problem TEXT,
  envelope TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  last_reported_at BIGINT NOT NULL,
  reports INTEGER NOT NULL,
  UNIQUE (sensor, envelope_sha256)
);
CREATE INDEX selection_orders_by_time ON selection_orders (received_at DESC, id DESC);
CREATE TABLE ledger_head_orders (
  head_id TEXT NOT NULL REFERENCES ledger_heads(id),
  order_ref TEXT NOT NULL REFERENCES selection_orders(id),
  PRIMARY KEY (head_id, order_ref)
)
)sql";

// Version 5: shared indicators (src/hub/hub_indicators.cc, docs/hub.md "Indicators"). One row per
// (publisher organisation, type, value): publishing it again updates the row. `seq` orders every
// change (publish, update, revoke) so that a client syncs with `after=<last seq seen>`;
// UNIQUE (seq) is also the index that paging by seq reads in order.
//
// seq comes from the one-row counter `indicator_seq`, incremented inside the same transaction as
// the change it numbers. Its row lock is held until that transaction ends, so a second publisher
// waits for the first to commit (or roll back) before it can take the next number (on PostgreSQL
// it then fails serialization and is retried, reading the new value): numbers are handed out in
// commit order. That is what paging needs: when a reader sees seq N committed, every change with
// a smaller seq has already committed or rolled back, so a client that goes on from `after=N`
// never skips a row committed later with a smaller seq. (A database sequence or MAX(seq) + 1
// would not give this: numbers taken concurrently commit in any order. SQLite has one writer at
// a time anyway.) Rolled-back numbers leave gaps, which paging does not mind.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE indicator_seq (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq BIGINT NOT NULL
);
INSERT INTO indicator_seq (id, last_seq) VALUES (1, 0);
CREATE TABLE indicators (
  id TEXT PRIMARY KEY,
  owner_org_id TEXT NOT NULL REFERENCES organisations(id),
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  tlp TEXT NOT NULL,
  sensitivity INTEGER NOT NULL,
  released INTEGER NOT NULL DEFAULT 1 CHECK (released IN (0, 1)),
  action TEXT NOT NULL,
  description TEXT,
  valid_until BIGINT,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  seq BIGINT NOT NULL UNIQUE,
  UNIQUE (owner_org_id, type, value)
);
CREATE TABLE indicator_recipients (
  indicator_id TEXT NOT NULL REFERENCES indicators(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  PRIMARY KEY (indicator_id, org_id)
)
)sql";

constexpr std::array<Migration, 5> kMigrations = {{{1, "organisations-users-events", kV1},
                                                   {2, "incident-reports", kV2},
                                                   {3, "console-sessions", kV3},
                                                   {4, "oversight", kV4},
                                                   {5, "indicators", kV5}}};

}  // namespace

std::span<const Migration> hubMigrations() { return kMigrations; }

}  // namespace mamori::hub
