// Hub: the sharing hub's domain operations over its database, independent of HTTP.
//
// Every operation on a shared object is decided by authorize() (authz.h) and recorded in the
// hub's audit ledger (the core handling ledger: Merkle tree, signed heads) — reads included, and
// refusals included. Writes are acknowledged only after their transaction committed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/result.h"
#include "mamori/hub/authz.h"
#include "mamori/hub/database.h"
#include "mamori/hub/incident_report.h"
#include "mamori/hub/model.h"

namespace mamori::hub {

// What went wrong, in terms a client can act on; the HTTP layer maps kind to a status.
struct ApiError {  // NOLINT(bugprone-exception-escape): only allocation can throw, as in std::string
  enum class Kind : uint8_t {
    kInvalid,          // 400: the request is malformed or fails validation
    kUnauthenticated,  // 401: no or bad token
    kForbidden,        // 403: authorize() said no
    kNotFound,         // 404
    kConflict,         // 409: e.g. an illegal state transition, a duplicate name
    kTooLarge,         // 413
    kTooManyRequests,  // 429: e.g. repeated failed logins for one user name
    kUnavailable,      // 503: the database is unreachable or busy
  };
  Kind kind = Kind::kInvalid;
  std::string code;     // stable, machine-readable ("invalid-json", "tlp-red-not-recipient", ...)
  std::string message;  // for people: names the field or value
  nlohmann::json details = nullptr;  // e.g. field errors [{field, problem}]
};

template <class T>
class ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return value_.has_value(); }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  const ApiError& error() const { return error_; }

 private:
  std::optional<T> value_;
  ApiError error_;
};

// A JSON document already serialized, for responses whose DOM would cost more than the work
// behind them (a page of stored records): the server sends `text` as it is.
struct JsonText {
  std::string text;
};

struct HubOptions {
  std::filesystem::path stateDir;  // the audit ledger and its signing key live here
  DatabaseOptions database;
  std::size_t maxEventsPerBatch = 10'000;
  std::size_t maxEventBytes = std::size_t{64} * 1024;
  std::size_t maxListLimit = 500;
  // Stage deadlines of incident reports, from discovery (validated by open()).
  ReportDeadlines reportDeadlines;
  // Console sessions (docs/hub.md "Console sessions"): a session ends after `sessionIdleMicros`
  // without a request and `sessionMaxMicros` after login, whichever comes first.
  int64_t sessionIdleMicros = int64_t{30} * 60 * 1'000'000;
  int64_t sessionMaxMicros = int64_t{12} * 3600 * 1'000'000;
  // Failed logins for one user name allowed within `loginWindowMicros` before 429.
  int loginMaxFailures = 5;
  int64_t loginWindowMicros = int64_t{15} * 60 * 1'000'000;
};

// A console session as the HTTP layer needs it. `secret` goes into the session cookie and is
// known only to the browser (the database keeps its SHA-256); `csrfToken` must accompany every
// state-changing request made with the cookie.
struct Session {
  std::string secret;     // set by login() only
  std::string csrfToken;
  int64_t expiresMicros = 0;  // the earlier of the idle and the absolute expiry
  Principal principal;
};

struct NewOrganisation {
  std::string name;
  OrgType type = OrgType::kOperator;
  std::optional<Sector> sector;   // operators only (required for them)
  std::string ministry;           // name or id of the overseeing ministry; may be empty
  std::vector<std::string> prefixes;  // CIDR
  std::vector<std::string> domains;
};

struct NewUser {
  std::string name;          // unique login name
  std::string organisation;  // name or id
  Role role = Role::kViewer;
  int clearance = 0;
  std::string password;  // empty: API tokens only
};

// An event list query. Empty fields do not filter.
struct EventQuery {
  std::string state;
  std::string category;
  std::string organisation;  // target organisation id
  int64_t sinceMicros = 0;   // received at or after
  std::size_t limit = 100;
  std::string cursor;  // from the previous page's next_cursor
};

// An incident report list query. Empty / unset fields do not filter.
struct ReportQuery {
  std::string type;    // "ransomware", ...
  std::string sector;  // "medical", ...
  std::string stage;   // the last submitted stage: "initial", "interim", "final"; "draft": none yet
  std::optional<bool> overdue;  // some stage outstanding and past due now (or not)
  std::size_t limit = 100;
  std::string cursor;  // from the previous page's next_cursor
};

// An indicator list query (GET /api/v1/indicators): changes after `after`, in seq order.
struct IndicatorQuery {
  int64_t after = 0;               // the next_after of the previous page; 0 from the start
  std::size_t limit = 1000;        // 1..10,000
  std::vector<std::string> types;  // empty: every type
};

class Hub {
 public:
  // Opens the database (and migrates its schema), and the audit ledger under stateDir.
  static Result<std::unique_ptr<Hub>> open(std::string_view databaseUrl, HubOptions options);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Audit entries are committed with each request (audit outbox) and moved into the signed
  // audit ledger in batches by a background thread. flushAudit() moves everything committed so
  // far now and returns when it is in the ledger (tests; the destructor does it too).
  Result<void> flushAudit();

  // --- administration (the `mamori admin` command line; trusted caller, audited) -------------
  Result<std::string> createOrganisation(const NewOrganisation& org);  // returns the id
  Result<std::string> createUser(const NewUser& user);                 // returns the id
  // A new API token for the user, shown once; only its SHA-256 is stored.
  Result<std::string> createToken(std::string_view userName, int64_t expiresMicros);
  Result<nlohmann::json> listOrganisations();

  // --- requests ----------------------------------------------------------------------------
  ApiResult<Principal> authenticate(std::string_view bearerToken);
  ApiResult<nlohmann::json> me(const Principal& p);

  // NDJSON: records of `mamori select` and events of `mamori detect`, one per line. Idempotent by
  // record id: a record already stored is counted as a duplicate, not an error. All-or-nothing:
  // one malformed line rejects the batch (naming the line), nothing is stored.
  ApiResult<nlohmann::json> ingestEvents(const Principal& p, std::string_view ndjson);
  ApiResult<nlohmann::json> listEvents(const Principal& p, const EventQuery& q);
  // listEvents() as the JSON text the server sends (the same document): records are spliced in
  // as stored instead of being parsed and serialized again, the bulk of a page's cost.
  ApiResult<JsonText> listEventsPage(const Principal& p, const EventQuery& q);
  ApiResult<nlohmann::json> getEvent(const Principal& p, std::string_view id);
  // new → in-review → confirmed → notified → closed, or → noise from new/in-review/confirmed.
  ApiResult<nlohmann::json> transitionEvent(const Principal& p, std::string_view id,
                                            const nlohmann::json& body);
  ApiResult<nlohmann::json> listNotifications(const Principal& p);

  // --- incident reports (src/hub/hub_reports.cc; API in docs/incident-reports.md) -----------
  // Who reads a report is decided by authorize() (docs/sharing.md): the reporter, the reporter's
  // overseeing ministry, every centre, and police organisations when the reporter included them.
  // Every read and write, refusals included, is in the audit ledger. Document problems are 400
  // "validation-failed" with details = fieldErrorsJson (paths relative to the document).

  // Files a new report. Body: {"type", "stage", "document"} (a submission, validated for the
  // stage; the first submission may be any stage) or {"type", "draft"} (saved, not submitted:
  // only the reporter's organisation sees it). Returns the report as getReport() shows it.
  ApiResult<nlohmann::json> createReport(const Principal& p, const nlohmann::json& body);
  // Body {"stage", "document"}: the same stage again (a correction) or the next one; skipping a
  // stage or going back is 409 "illegal-stage". Clears the saved draft.
  ApiResult<nlohmann::json> submitStage(const Principal& p, std::string_view id,
                                        const nlohmann::json& body);
  // Replaces the report's draft (the reporter's working copy of its next submission).
  ApiResult<nlohmann::json> saveDraft(const Principal& p, std::string_view id,
                                      const nlohmann::json& draft);
  // Summaries with stage status, newest first; {"items", "next_cursor"}.
  ApiResult<nlohmann::json> listReports(const Principal& p, const ReportQuery& q);
  // The report with its latest document, timeline of submissions, stage status, and (for the
  // reporter's organisation only) its draft. Refused reads answer 404, like absent ones.
  ApiResult<nlohmann::json> getReport(const Principal& p, std::string_view id);

  // --- shared indicators and routes (src/hub/hub_indicators.cc; docs/hub.md "Indicators") -----
  // Indicators are shared objects of kind `indicator` (docs/sharing.md): owner = the publishing
  // organisation, recipients as the publisher names them, released once published. Every item
  // written and every list read is in the audit ledger.

  // Body {"indicators": [ITEM, ...]}, 1..10,000 items, all-or-nothing. The same (publisher
  // organisation, type, value) again updates that indicator (same id, new seq, revoked cleared).
  // {"items": [{"id", "seq"}, ...]} in input order. Problems: 400 "invalid-indicators" with
  // details [{field: "indicators[3].value", problem}].
  ApiResult<nlohmann::json> publishIndicators(const Principal& p, const nlohmann::json& body);
  // {"items", "next_after", "more"}: the indicators `p` may read changed after q.after (revoked
  // and expired ones included), in seq order.
  ApiResult<nlohmann::json> listIndicators(const Principal& p, const IndicatorQuery& q);
  // Marks the indicator revoked with a new seq: {"id", "seq", "revoked": true}. The publisher
  // organisation's analysts and admins; 404 for ids `p` may not read.
  ApiResult<nlohmann::json> revokeIndicator(const Principal& p, std::string_view id);
  // {"items": [{"organisation", "prefixes"}]}: every organisation's registered prefixes (what
  // routes events), for resolvers that route sightings (the community directory).
  ApiResult<nlohmann::json> listRoutes(const Principal& p);

  // --- console sessions (src/hub/hub_sessions.cc) ----------------------------------------
  // Checks a password against the stored Argon2id hash and opens a session. Unknown user, no
  // password set and wrong password are the same 401 "bad-credentials" (and take the same time);
  // too many failures for one name within the window are 429 "too-many-attempts".
  ApiResult<Session> login(std::string_view userName, std::string_view password);
  // The session behind a cookie secret; slides the idle expiry. 401 "session-expired" or
  // "no-session".
  ApiResult<Session> resumeSession(std::string_view secret);
  // Ends the session (a no-op for an unknown secret).
  ApiResult<bool> logout(std::string_view secret);
  // {"user", "organisation"} as me() shows them, plus "csrf_token" and "expires_at".
  ApiResult<nlohmann::json> sessionJson(const Session& s);

  // --- organisation administration and dashboard over the API (src/hub/hub_admin.cc) -------
  // Organisations themselves change only through `mamori admin` (docs/sharing.md); over the API
  // their users and API tokens are administered (authorize(kAdminister)).
  ApiResult<nlohmann::json> getOrganisation(const Principal& p, std::string_view id);
  ApiResult<nlohmann::json> addUser(const Principal& p, std::string_view orgId,
                                    const nlohmann::json& body);
  ApiResult<nlohmann::json> addToken(const Principal& p, std::string_view orgId,
                                     std::string_view userId, const nlohmann::json& body);
  // Counts for the console's dashboard over what `p` may read, for the last `days` days.
  ApiResult<nlohmann::json> dashboard(const Principal& p, int days);

  // --- oversight (src/hub/hub_oversight.cc; docs/oversight.md) ------------------------------
  // Sensors report, after each run, their handling ledger's signed tree head and the selection
  // orders they ran under; the commission — and nobody else, authorize() on the oversight kinds
  // — lists them, re-verifies heads and downloads the hub's own audit ledger. Every call,
  // refusals and malformed requests included, is in the audit ledger.

  // Query parameters as received (name, value); validated by the Hub, so that a malformed
  // request is audited like any other.
  using QueryParams = std::vector<std::pair<std::string, std::string>>;

  // The commission's order key (PEM), which sensor reports' orders are checked against from now
  // on (`mamori admin commission-key set`; audited). Returns its key id.
  Result<std::string> setCommissionKey(std::string_view publicKeyPem);
  // POST /api/v1/sensor-reports with the raw body: {"sensor", "ledger_public_key", "head",
  // "orders"}, validated strictly (400 naming the field; a head whose signature does not verify
  // under ledger_public_key is refused); orders whose signature does not verify are stored
  // flagged. Centre analysts and admins only. {"id", "orders", "duplicate"}: a head already
  // stored for the sensor and key is not stored twice (a retried report).
  ApiResult<nlohmann::json> createSensorReport(const Principal& p, std::string_view body);
  // GET /api/v1/oversight/orders and /ledger-heads: {"items", "next_cursor"}, newest first;
  // parameters sensor, limit, cursor. Commission only.
  ApiResult<nlohmann::json> listOversightOrders(const Principal& p, const QueryParams& params);
  ApiResult<nlohmann::json> listLedgerHeads(const Principal& p, const QueryParams& params);
  // Re-verifies a stored head: its signature under the key it came with, and its consistency
  // with the heads received before it from the same sensor and key (the tree never shrinks; one
  // tree size never has two roots). Commission only.
  ApiResult<nlohmann::json> verifyLedgerHead(const Principal& p, std::string_view id);

  // A consistent snapshot of the hub's audit ledger as a POSIX tar archive of
  // hub-audit/entries.ndjson, hub-audit/heads.ndjson and hub-audit/audit.pub, ready for
  // `mamori ledger verify --ledger hub-audit --trust KEY` (docs/oversight.md). The snapshot ends
  // at the latest signed head at the time of the call; the bytes are read from the append-only
  // ledger files as they are streamed.
  class AuditLedgerArchive {
   public:
    AuditLedgerArchive() = default;
    virtual ~AuditLedgerArchive() = default;
    AuditLedgerArchive(const AuditLedgerArchive&) = delete;
    AuditLedgerArchive& operator=(const AuditLedgerArchive&) = delete;
    virtual uint64_t size() const = 0;      // bytes of the archive
    virtual uint64_t treeSize() const = 0;  // entries covered by the snapshot
    virtual std::string keyId() const = 0;  // the audit ledger's key id
    // Copies archive bytes from `offset` into `out`; returns how many were copied (fewer than
    // out.size() only at the end). An error means a ledger file could not be read.
    virtual Result<std::size_t> read(uint64_t offset, std::span<char> out) = 0;
  };
  // Commission only; 503 "audit-ledger-unavailable" when this hub holds no audit ledger.
  ApiResult<std::shared_ptr<AuditLedgerArchive>> auditLedgerArchive(const Principal& p);

  Database& database() { return *db_; }

 private:
  struct State;
  Hub(std::unique_ptr<Database> db, std::unique_ptr<State> state, HubOptions options);
  // Decides (and audits) `administer` on organisation `orgId`; on success the connection the
  // caller goes on with (hub_admin.cc).
  ApiResult<Connection> administerOrganisation(const Principal& p, std::string_view orgId);
  std::unique_ptr<Database> db_;
  std::unique_ptr<State> state_;
  HubOptions options_;
};

}  // namespace mamori::hub
