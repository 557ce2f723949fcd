// Private to the Hub implementation files (hub.cc, hub_reports.cc): the error helpers, the
// organisation directory read from the database, and the audit outbox shared by every operation.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/ledger.h"
#include "mamori/core/result.h"
#include "mamori/hub/authz.h"
#include "mamori/hub/database.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/model.h"

namespace mamori::hub {

namespace internal {

// A fresh application-chosen id: prefix + 24 random hex digits.
std::string newId(std::string_view prefix);

ApiError invalid(std::string code, std::string message, nlohmann::json details = nullptr);
ApiError unavailable(const Error& e);
ApiError forbidden(const Decision& d);
ApiError notFound(std::string_view what, std::string_view id);

// Writes one entry to the audit outbox, on `c` — inside the caller's transaction when there is
// one, so a committed write always has its entry.
Result<void> audit(Connection& c, const nlohmann::json& entry);

// {"type": "audit", user, org, action, kind, object, allowed, reason}.
nlohmann::json auditEntry(const Principal& p, std::string_view action, std::string_view kind,
                          std::string_view object, const Decision& d);

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
// transaction as the write they describe, so a committed write always has its audit entry — and
// moved into the signed ledger in order by the one process that holds the ledger (the hub
// server; the admin command line only fills the outbox).
struct Hub::State {
  std::optional<HandlingLedger> ledger;
  std::mutex drainMutex;

  Result<void> drain(Database& db);
};

}  // namespace mamori::hub
