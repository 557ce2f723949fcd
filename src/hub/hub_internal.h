// Private to the Hub implementation files (hub.cc, hub_reports.cc): the error helpers, the
// organisation directory read from the database, and the audit outbox shared by every operation.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "mamori/core/ledger.h"
#include "mamori/core/result.h"
#include "mamori/hub/authz.h"
#include "mamori/hub/database.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/incident_report.h"
#include "mamori/hub/model.h"

namespace mamori::hub {

namespace internal {

// A fresh application-chosen id: prefix + 24 random hex digits.
std::string newId(std::string_view prefix);

ApiError invalid(std::string code, std::string message, nlohmann::json details = nullptr);
// 400 `code` with details = fieldErrorsJson(errors), and a message saying how many problems
// `what` ("the document") has and which is the first.
ApiError invalidFields(std::string code, std::string_view what,
                       const std::vector<FieldError>& errors);
ApiError unavailable(const Error& e);
ApiError forbidden(const Decision& d);
ApiError notFound(std::string_view what, std::string_view id);

// Writes one entry to the audit outbox, on `c` — inside the caller's transaction when there is
// one, so a committed write always has its entry.
Result<void> audit(Connection& c, const nlohmann::json& entry);
// Several entries at once (one executeBatch), for a write of many objects.
Result<void> auditBatch(Connection& c, const std::vector<nlohmann::json>& entries);

// {"type": "audit", user, org, action, kind, object, allowed, reason}.
nlohmann::json auditEntry(const Principal& p, std::string_view action, std::string_view kind,
                          std::string_view object, const Decision& d);

// An organisation record as authorize() sees it: labelled 0 and CLEAR (docs/sharing.md §4); for
// kAdminister the owner is the organisation administered.
ObjectLabel organisationLabel(std::string_view id);

}  // namespace internal

// Organisations as authorize() and routing need them, read from the database per request (the
// admin command line changes them from another process).
class DbDirectory final : public OrgDirectory {
 public:
  struct Org {
    std::string id;
    std::string name;
    OrgType type;
    std::string ministry;
  };

  static Result<DbDirectory> load(Connection& c) {
    DbDirectory d;
    auto rows = c.query("SELECT id, name, type, ministry_id FROM organisations ORDER BY id");
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      const auto type = parseOrgType(r.text(2));
      if (!type) return Error{fmt::format("organisation {} has unknown type", r.text(0))};
      d.orgs_.push_back({r.text(0), r.text(1), *type, r.text(3)});
    }
    return d;
  }
  std::string_view overseeingMinistryOf(std::string_view id) const override {
    const Org* o = find(id);
    return o == nullptr ? std::string_view() : std::string_view(o->ministry);
  }
  std::optional<OrgType> orgTypeOf(std::string_view id) const override {
    const Org* o = find(id);
    return o == nullptr ? std::nullopt : std::optional(o->type);
  }
  const Org* find(std::string_view id) const {
    auto it = std::lower_bound(orgs_.begin(), orgs_.end(), id,
                               [](const Org& o, std::string_view k) { return o.id < k; });
    return it != orgs_.end() && it->id == id ? &*it : nullptr;
  }
  const Org* byNameOrId(std::string_view key) const {
    if (const Org* o = find(key)) return o;
    for (const Org& o : orgs_) {
      if (o.name == key) return &o;
    }
    return nullptr;
  }
  const std::vector<Org>& orgs() const { return orgs_; }

 private:
  std::vector<Org> orgs_;
};

// The audit ledger. Entries are first written to the `audit_outbox` table — in the same
// transaction as the write they describe, so a committed write always has its audit entry; that
// commit is what makes a request audited, and no request waits for the ledger — and moved into
// the signed ledger by the one process that holds the ledger (the hub server; the admin command
// line only fills the outbox).
//
// Group commit: a background drainer, woken by notifyDrain() and every kDrainInterval (for
// entries other processes commit), takes up to kDrainBatch rows in (at, id) order, appends them
// with ONE HandlingLedger::appendBatch() (two fsyncs and one signature per batch) and deletes
// them with one batched DELETE.
//
// Exactly once: every ledger entry carries its outbox id as "audit_id". A batch is appended only
// after the rows of the previous batch were deleted, so an appended row can still be in the
// outbox only if it belongs to the ledger's last batch (a crash or a failed DELETE between the
// append and the delete); rows whose id is in the last batch are deleted, not appended again.
// At open the last batch is read from the ledger (HandlingLedger::lastBatch()).
struct Hub::State {
  static constexpr std::size_t kDrainBatch = 1000;
  static constexpr std::chrono::milliseconds kDrainInterval{200};

  std::optional<HandlingLedger> ledger;

  ~State() {
    try {
      stopDrainer();
    } catch (...) {  // NOLINT(bugprone-empty-catch): only a failed join; the outbox keeps all
    }
  }

  // Commits one audit entry on its own, for a request that has no transaction to put it in (a
  // read, a refusal) — the same guarantee audit() gives inside a transaction: durable in the
  // outbox on return (then the drainer is woken). Concurrent callers are grouped into one
  // transaction (group commit): the first caller to find no commit running inserts every entry
  // waiting, with one executeBatch on its own connection `c`, while later callers wait for it and
  // the next commit. One commit (one fsync) per group instead of per request, and one writer at a
  // time instead of many contending for SQLite's write lock. On `c` inside a transaction it is
  // audit(c, entry) (joins the transaction).
  Result<void> commitAudit(Connection& c, const nlohmann::json& entry);
  // Held around a write transaction on SQLite (nothing on PostgreSQL): SQLite has one writer at a
  // time, and writers of this process that find the lock taken sleep in SQLite's busy handler
  // (1, 2, 5, 10 ... 100 ms) while the lock may long be free again. Queueing them on a mutex
  // instead hands the lock on at once (bench/RESULTS.md, Hub). Used by ingest, the audit group
  // commit and the drainer; never held while waiting for anything else.
  std::unique_lock<std::mutex> sqliteWriter(Backend backend) {
    return backend == Backend::kSqlite ? std::unique_lock(sqliteWriterMutex_)
                                       : std::unique_lock<std::mutex>();
  }
  // Held around indicator writes (publish, revoke; hub_indicators.cc) on both backends, before
  // sqliteWriter(): they all update the one `indicator_seq` row, and on PostgreSQL a transaction
  // that waited for that row's lock fails serialization and is run again. Queueing this hub's
  // publishers here makes them wait instead (hubs sharing a database still retry).
  std::mutex indicatorWriter;
  // Wakes the drainer after audit entries were committed; never blocks on the ledger or the
  // database. A no-op without a ledger (the admin command line) or a running drainer.
  void notifyDrain();
  // Moves everything in the outbox into the ledger now, on the calling thread (Hub::open,
  // Hub::flushAudit, shutdown). Serialized with the drainer.
  Result<void> drain(Database& db);
  // Reads the ids of the ledger's last batch (call once, after the ledger is opened).
  void rememberLastBatch();
  // Starts the background drainer on `db`, which must outlive it (stopDrainer() first).
  void startDrainer(Database& db);
  // Stops the drainer thread (idempotent). Does not drain: call drain() afterwards.
  void stopDrainer();

 private:
  // One batch; returns how many outbox rows it took (0: the outbox was empty).
  Result<std::size_t> drainBatch(Database& db);
  void drainerLoop(Database& db);

  struct PendingAudit {  // NOLINT(bugprone-exception-escape): only allocation can throw
    std::string id;
    int64_t at = 0;
    std::string entry;
    bool done = false;
    std::optional<Error> error;
  };
  std::mutex auditMutex_;  // guards auditQueue_, auditLeader_ and the PendingAudit they point to
  std::condition_variable auditDone_;
  std::vector<PendingAudit*> auditQueue_;  // entries waiting for the next group commit
  bool auditLeader_ = false;               // a group commit is running

  std::mutex sqliteWriterMutex_;

  std::mutex drainMutex_;                         // one drain at a time; guards lastBatchIds_
  std::unordered_set<std::string> lastBatchIds_;  // "audit_id"s of the ledger's last batch
  std::mutex
      wakeMutex_;  // guards wakeRequested_, stopping_, running_ and starting/joining drainer_
  std::condition_variable wake_;
  bool wakeRequested_ = false;
  bool stopping_ = false;
  bool running_ = false;
  std::thread drainer_;
};

}  // namespace mamori::hub
