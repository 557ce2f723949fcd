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

struct HubOptions {
  std::filesystem::path stateDir;  // the audit ledger and its signing key live here
  DatabaseOptions database;
  std::size_t maxEventsPerBatch = 10'000;
  std::size_t maxEventBytes = std::size_t{64} * 1024;
  std::size_t maxListLimit = 500;
  // Stage deadlines of incident reports, from discovery (validated by open()).
  ReportDeadlines reportDeadlines;
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

class Hub {
 public:
  // Opens the database (and migrates its schema), and the audit ledger under stateDir.
  static Result<std::unique_ptr<Hub>> open(std::string_view databaseUrl, HubOptions options);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

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

  Database& database() { return *db_; }

 private:
  struct State;
  Hub(std::unique_ptr<Database> db, std::unique_ptr<State> state, HubOptions options);
  std::unique_ptr<Database> db_;
  std::unique_ptr<State> state_;
  HubOptions options_;
};

}  // namespace mamori::hub
