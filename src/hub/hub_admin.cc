// Organisation administration over the API (users and API tokens; organisations themselves change
// only through `mamori admin`, docs/sharing.md) and the console's dashboard counts.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "hub_internal.h"
#include "hub_queries.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"

namespace mamori::hub {

using internal::auditEntry;
using internal::forbidden;
using internal::invalid;
using internal::notFound;
using internal::organisationLabel;
using internal::unavailable;

namespace {

using Json = nlohmann::json;

constexpr int64_t kDayMicros = int64_t{86400} * 1'000'000;

// A field error for 400 "validation-failed", in the shape incident reports use.
Json fieldError(std::string_view field, std::string_view problem) {
  return Json{{"field", field}, {"problem", problem}};
}

// Checks that `body` is an object with only `allowed` keys; the error names the first stranger.
std::optional<ApiError> onlyFields(const Json& body,
                                   std::initializer_list<std::string_view> allowed) {
  if (!body.is_object()) return invalid("invalid-body", "the body must be a JSON object");
  for (const auto& [k, v] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return invalid("unknown-field", fmt::format("unknown field '{}'", k),
                     Json::array({fieldError(k, "unknown field")}));
    }
  }
  return std::nullopt;
}

}  // namespace

namespace internal {

ObjectLabel organisationLabel(std::string_view id) {
  ObjectLabel l;
  l.kind = ObjectKind::kOrganisation;
  l.ownerOrgId = std::string(id);
  l.subjectOrgId = std::string(id);
  l.tlp = Tlp::kClear;
  l.sensitivity = 0;
  l.released = true;
  return l;
}

void appendEventAudience(const Principal& p, std::string& sql, std::vector<SqlValue>& params) {
  sql += " AND sensitivity <= ?";
  params.emplace_back(p.clearance);
  if (p.role == Role::kViewer) sql += " AND tlp <> 'RED'";
  if (p.orgType != OrgType::kCentre) {
    sql += " AND target_org_id = ? AND state IN ('notified', 'closed')";
    params.emplace_back(p.orgId);
  }
}

}  // namespace internal

ApiResult<Json> Hub::getOrganisation(const Principal& p, std::string_view id) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  const auto* org = dir->find(id);
  if (org == nullptr) return notFound("organisation", id);
  const Decision read = authorize(p, Action::kRead, organisationLabel(id), *dir);
  if (auto a = state_->commitAudit(*c, auditEntry(p, "read", "organisation", id, read)); !a) {
    return unavailable(a.error());
  }
  state_->notifyDrain();
  if (!read) return forbidden(read);

  auto rows = c->query(
      "SELECT o.sector, m.name FROM organisations o LEFT JOIN organisations m ON m.id = "
      "o.ministry_id WHERE o.id = ?",
      std::array{SqlValue(std::string(id))});
  if (!rows) return unavailable(rows.error());
  Json out{{"id", org->id},
           {"name", org->name},
           {"type", orgTypeName(org->type)},
           {"sector", (*rows)[0].optText(0) ? Json(*(*rows)[0].optText(0)) : Json()},
           {"ministry", (*rows)[0].optText(1) ? Json(*(*rows)[0].optText(1)) : Json()},
           {"prefixes", Json::array()},
           {"domains", Json::array()}};
  auto prefixes = c->query("SELECT prefix FROM org_prefixes WHERE org_id = ? ORDER BY prefix",
                           std::array{SqlValue(std::string(id))});
  if (!prefixes) return unavailable(prefixes.error());
  for (const auto& r : *prefixes) out["prefixes"].push_back(r.text(0));
  auto domains = c->query("SELECT domain FROM org_domains WHERE org_id = ? ORDER BY domain",
                          std::array{SqlValue(std::string(id))});
  if (!domains) return unavailable(domains.error());
  for (const auto& r : *domains) out["domains"].push_back(r.text(0));

  // Users are part of the answer only for those who administer the organisation (§4: listing
  // them is `administer`); asking is not a refusal worth a 403 here, so it is decided quietly.
  if (authorize(p, Action::kAdminister, organisationLabel(id), *dir)) {
    auto users = c->query(
        "SELECT id, name, role, clearance, password_hash IS NOT NULL FROM users WHERE org_id = ? "
        "ORDER BY name",
        std::array{SqlValue(std::string(id))});
    if (!users) return unavailable(users.error());
    Json list = Json::array();
    for (const auto& r : *users) {
      list.push_back({{"id", r.text(0)},
                      {"name", r.text(1)},
                      {"role", r.text(2)},
                      {"clearance", r.int64(3)},
                      {"console_login", r.int64(4) != 0}});
    }
    out["users"] = std::move(list);
  }
  return out;
}

ApiResult<Connection> Hub::administerOrganisation(const Principal& p, std::string_view orgId) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  if (dir->find(orgId) == nullptr) return notFound("organisation", orgId);
  const Decision d = authorize(p, Action::kAdminister, organisationLabel(orgId), *dir);
  if (auto a = state_->commitAudit(*c, auditEntry(p, "administer", "organisation", orgId, d)); !a) {
    return unavailable(a.error());
  }
  state_->notifyDrain();
  if (!d) return forbidden(d);
  return std::move(*c);
}

ApiResult<Json> Hub::addUser(const Principal& p, std::string_view orgId, const Json& body) {
  if (auto e = onlyFields(body, {"name", "role", "clearance", "password"})) return *e;
  Json problems = Json::array();
  NewUser u;
  u.organisation = std::string(orgId);
  if (!body.contains("name") || !body["name"].is_string() ||
      body["name"].get<std::string>().empty() || body["name"].get<std::string>().size() > 100) {
    problems.push_back(fieldError("name", "a string of 1-100 characters"));
  } else {
    u.name = body["name"].get<std::string>();
  }
  std::optional<Role> role;
  if (body.contains("role") && body["role"].is_string())
    role = parseRole(body["role"].get<std::string>());
  if (!role) {
    problems.push_back(fieldError("role", "one of viewer, analyst, admin"));
  } else {
    u.role = *role;
  }
  if (!body.contains("clearance") || !body["clearance"].is_number_integer() ||
      body["clearance"].get<int64_t>() < 0 || body["clearance"].get<int64_t>() > 3) {
    problems.push_back(fieldError("clearance", "an integer from 0 to 3"));
  } else if (body["clearance"].get<int>() > p.clearance) {
    // Nobody hands out more than they hold (writes are bounded by clearance, docs/sharing.md).
    problems.push_back(fieldError("clearance", "above your own clearance"));
  } else {
    u.clearance = body["clearance"].get<int>();
  }
  if (body.contains("password")) {
    if (!body["password"].is_string() || body["password"].get<std::string>().size() < 12 ||
        body["password"].get<std::string>().size() > 1024) {
      problems.push_back(fieldError("password", "a string of 12-1024 characters"));
    } else {
      u.password = body["password"].get<std::string>();
    }
  }

  auto admin = administerOrganisation(p, orgId);
  if (!admin.ok()) return admin.error();
  Connection* c = &admin.value();
  if (!problems.empty()) {
    return invalid("validation-failed",
                   fmt::format("{}: {}", problems[0]["field"].get<std::string>(),
                               problems[0]["problem"].get<std::string>()),
                   problems);
  }
  auto taken = c->query("SELECT 1 FROM users WHERE name = ?", std::array{SqlValue(u.name)});
  if (!taken) return unavailable(taken.error());
  if (!taken->empty()) {
    return ApiError{ApiError::Kind::kConflict, "name-taken",
                    fmt::format("a user named '{}' exists already", u.name),
                    Json::array({fieldError("name", "taken")})};
  }
  auto id = createUser(u);
  if (!id) return invalid("invalid-user", id.error().message);
  return Json{
      {"id", *id}, {"name", u.name}, {"role", roleName(u.role)}, {"clearance", u.clearance}};
}

ApiResult<Json> Hub::addToken(const Principal& p, std::string_view orgId, std::string_view userId,
                              const Json& body) {
  if (auto e = onlyFields(body, {"expires_in_days"})) return *e;
  int64_t expires = 0;
  if (body.contains("expires_in_days")) {
    const Json& days = body["expires_in_days"];
    if (!days.is_number_integer() || days.get<int64_t>() < 1 || days.get<int64_t>() > 3650) {
      return invalid("validation-failed", "expires_in_days: an integer from 1 to 3650",
                     Json::array({fieldError("expires_in_days", "an integer from 1 to 3650")}));
    }
    expires = nowMicros() + days.get<int64_t>() * kDayMicros;
  }
  auto admin = administerOrganisation(p, orgId);
  if (!admin.ok()) return admin.error();
  Connection* c = &admin.value();
  auto user = c->query("SELECT name FROM users WHERE id = ? AND org_id = ?",
                       std::array{SqlValue(std::string(userId)), SqlValue(std::string(orgId))});
  if (!user) return unavailable(user.error());
  if (user->empty()) return notFound("user in this organisation", userId);
  auto token = createToken((*user)[0].text(0), expires);
  if (!token) return unavailable(token.error());
  return Json{{"token", *token},
              {"expires_at", expires > 0 ? Json(formatRfc3339(expires)) : Json()}};
}

ApiResult<Json> Hub::dashboard(const Principal& p, int days) {
  if (days < 1 || days > 366) {
    return invalid("invalid-parameter", "days: 1 to 366", Json{{"parameter", "days"}});
  }
  const int64_t now = nowMicros();
  const int64_t since = (now / kDayMicros - (days - 1)) * kDayMicros;
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  Json out;

  // Events over time by category (UTC days; integer division works alike in both databases).
  {
    std::string sql = fmt::format(
        "SELECT received_at / {} AS day, category, COUNT(*) FROM events WHERE received_at >= ?",
        kDayMicros);
    std::vector<SqlValue> params{SqlValue(since)};
    internal::appendEventAudience(p, sql, params);
    sql += " GROUP BY received_at / " + std::to_string(kDayMicros) + ", category ORDER BY 1, 2";
    auto rows = c->query(sql, params);
    if (!rows) return unavailable(rows.error());
    Json list = Json::array();
    for (const auto& r : *rows) {
      list.push_back({{"day", formatRfc3339(r.int64(0) * kDayMicros).substr(0, 10)},
                      {"category", r.text(1)},
                      {"count", r.int64(2)}});
    }
    out["events_by_day"] = std::move(list);
  }
  // Open events (still in triage) by target organisation; unrouted events have none.
  {
    std::string sql =
        "SELECT e.target_org_id, o.name, COUNT(*) FROM events e LEFT JOIN organisations o ON "
        "o.id = e.target_org_id WHERE e.state IN ('new', 'in-review', 'confirmed')";
    std::vector<SqlValue> params;
    std::string audience;
    internal::appendEventAudience(p, audience, params);
    sql += audience;
    sql += " GROUP BY e.target_org_id, o.name ORDER BY 3 DESC, 2 LIMIT 50";
    // The audience columns are unqualified; only `events` has them, so they resolve to e.
    auto rows = c->query(sql, params);
    if (!rows) return unavailable(rows.error());
    Json list = Json::array();
    for (const auto& r : *rows) {
      const auto org = r.optText(0);
      list.push_back(
          {{"organisation", org ? Json{{"id", *org}, {"name", r.optText(1).value_or("")}} : Json()},
           {"count", r.int64(2)}});
    }
    out["open_events_by_organisation"] = std::move(list);
  }
  // Incident reports by sector and stage ("draft" before the first submission).
  {
    std::string sql =
        "SELECT r.sector, r.current_stage, COUNT(*) FROM reports r JOIN organisations o ON o.id = "
        "r.reporter_org_id WHERE r.sensitivity <= ?";
    std::vector<SqlValue> params{SqlValue(p.clearance)};
    internal::appendReportAudience(p, sql, params);
    sql += " GROUP BY r.sector, r.current_stage ORDER BY 1, 2";
    auto rows = c->query(sql, params);
    if (!rows) return unavailable(rows.error());
    Json list = Json::array();
    for (const auto& r : *rows) {
      list.push_back({{"sector", r.optText(0) ? Json(*r.optText(0)) : Json()},
                      {"stage", r.optText(1).value_or("draft")},
                      {"count", r.int64(2)}});
    }
    out["reports_by_sector_stage"] = std::move(list);
  }
  if (auto a = state_->commitAudit(
          *c, auditEntry(p, "read", "dashboard", "counts", Decision{true, reason::kOwner}));
      !a) {
    return unavailable(a.error());
  }
  state_->notifyDrain();

  // Overdue reports: the report list's own overdue filter, so both always agree.
  ReportQuery overdue;
  overdue.overdue = true;
  overdue.limit = 50;
  auto reports = listReports(p, overdue);
  if (!reports.ok()) return reports.error();
  Json list = Json::array();
  for (const auto& r : reports.value()["items"]) {
    Json item{{"id", r["id"]}, {"type", r["type"]}, {"sector", r.value("sector", Json())}};
    const Json& status = r["status"];
    item["stage_due"] = status["next_due"];
    for (const auto& s : status["stages"]) {
      if (s["stage"] == status["next_due"]) item["due_at"] = s["due_at"];
    }
    list.push_back(std::move(item));
  }
  out["overdue_reports"] = std::move(list);
  return out;
}

}  // namespace mamori::hub
