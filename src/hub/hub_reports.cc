// Unified incident reports in the hub: filing, stage submissions, drafts, lists and reads.
//
// A report row holds the latest accepted document; every accepted submission is kept as the
// report's timeline. Who reads a report is authorize()'s decision (docs/sharing.md): the reporter,
// the reporter's overseeing ministry (looked up at read time), every centre, and police
// organisations listed as recipients when the reporter chose to include the police.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <span>

#include "hub_internal.h"
#include "hub_queries.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/incident_report.h"

namespace mamori::hub {

using internal::audit;
using internal::auditEntry;
using internal::forbidden;
using internal::invalid;
using internal::newId;
using internal::notFound;
using internal::unavailable;

namespace {

using Json = nlohmann::json;

constexpr std::string_view kKind = "incident-report";

// Columns of a report read, in this order (ReportRow::parse). Lists read NULL for the bodies.
constexpr std::string_view kReportColumns =
    "r.id, r.reporter_org_id, o.name, r.type, r.sector, r.current_stage, r.discovered_at, "
    "r.initial_at, r.interim_at, r.final_at, r.tlp, r.sensitivity, r.police_included, "
    "r.created_at, r.updated_at";

struct ReportRow {  // NOLINT(bugprone-exception-escape): only allocation can throw
  std::string id;
  std::string reporter;
  std::string reporterName;
  std::string type;
  std::optional<std::string> sector;
  std::optional<Stage> stage;  // the last submitted stage; empty while only a draft exists
  std::optional<int64_t> discoveredAt;
  SubmittedStages submitted;  // first submission of each stage
  std::string tlp;
  int sensitivity = kMaxLevel;
  bool policeIncluded = false;
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
  std::optional<std::string> document;
  std::optional<std::string> draft;

  static ReportRow parse(const Rows::Row& r) {
    ReportRow out;
    out.id = r.text(0);
    out.reporter = r.text(1);
    out.reporterName = r.text(2);
    out.type = r.text(3);
    out.sector = r.optText(4);
    if (auto s = r.optText(5)) out.stage = parseStage(*s);
    out.discoveredAt = r.optInt64(6);
    for (const Stage s : kStages) {
      if (auto at = r.optInt64(7 + static_cast<std::size_t>(s))) out.submitted[s] = *at;
    }
    out.tlp = r.text(10);
    out.sensitivity = static_cast<int>(r.int64(11));
    out.policeIncluded = r.int64(12) != 0;
    out.createdAt = r.int64(13);
    out.updatedAt = r.int64(14);
    out.document = r.optText(15);
    out.draft = r.optText(16);
    return out;
  }
};

ObjectLabel reportLabel(std::string_view reporter, std::string_view tlp, int sensitivity,
                        bool released, std::vector<std::string> recipients = {}) {
  ObjectLabel l;
  l.kind = ObjectKind::kIncidentReport;
  l.ownerOrgId = reporter;
  l.subjectOrgId = reporter;
  l.tlp = parseTlp(tlp).value_or(Tlp::kRed);
  l.sensitivity = sensitivity;
  l.recipientOrgIds = std::move(recipients);
  l.released = released;
  return l;
}

ObjectLabel labelOf(const ReportRow& r, std::vector<std::string> recipients = {}) {
  return reportLabel(r.reporter, r.tlp, r.sensitivity, r.stage.has_value(), std::move(recipients));
}

Json optTime(const std::optional<int64_t>& t) {
  return t ? Json(formatRfc3339(*t)) : Json();
}

Json summaryJson(const ReportRow& r, const Principal& p, const ReportDeadlines& deadlines,
                 int64_t now) {
  Json out{{"id", r.id},
           {"type", r.type},
           {"sector", r.sector ? Json(*r.sector) : Json()},
           {"reporter", {{"id", r.reporter}, {"name", r.reporterName}}},
           {"stage", r.stage ? Json(stageName(*r.stage)) : Json()},
           {"discovered_at", optTime(r.discoveredAt)},
           {"tlp", r.tlp},
           {"sensitivity", r.sensitivity},
           {"police_included", r.policeIncluded},
           {"created_at", formatRfc3339(r.createdAt)},
           {"updated_at", formatRfc3339(r.updatedAt)}};
  out["status"] = r.discoveredAt
                      ? stageStatusJson(stageStatus(*r.discoveredAt, r.submitted, deadlines, now))
                      : Json();
  // Whether a draft exists is the reporter's business only.
  if (p.orgId == r.reporter) out["has_draft"] = r.draft.has_value();
  return out;
}

Json parsedOrNull(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  Json j = Json::parse(*text, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

Result<std::optional<ReportRow>> loadReport(Connection& c, std::string_view id) {
  auto rows = c.query(fmt::format("SELECT {}, r.document, r.draft FROM reports r JOIN "
                                  "organisations o ON o.id = r.reporter_org_id WHERE r.id = ?",
                                  kReportColumns),
                      id);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ReportRow>();
  return std::optional(ReportRow::parse((*rows)[0]));
}

Result<std::vector<std::string>> recipientsOf(Connection& c, std::string_view id) {
  auto rows =
      c.query("SELECT org_id FROM report_recipients WHERE report_id = ? ORDER BY org_id", id);
  if (!rows) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.text(0));
  return out;
}

// The full view: summary, latest document, timeline, police recipients, and the draft for the
// reporter's organisation.
Result<Json> reportView(Connection& c, const ReportRow& r,
                        const std::vector<std::string>& recipients, const Principal& p,
                        const ReportDeadlines& deadlines, int64_t now) {
  Json out = summaryJson(r, p, deadlines, now);
  out["document"] = parsedOrNull(r.document);
  out["recipients"] = recipients;
  auto subs = c.query(
      "SELECT s.seq, s.stage, s.submitted_at, s.user_id, u.name FROM report_submissions s "
      "LEFT JOIN users u ON u.id = s.user_id WHERE s.report_id = ? ORDER BY s.seq",
      r.id);
  if (!subs) return subs.error();
  Json timeline = Json::array();
  std::vector<std::string> seen;
  for (const auto& s : *subs) {
    const std::string stage = s.text(1);
    const bool correction = std::find(seen.begin(), seen.end(), stage) != seen.end();
    seen.push_back(stage);
    timeline.push_back(
        {{"seq", s.int64(0)},
         {"stage", stage},
         {"submitted_at", formatRfc3339(s.int64(2))},
         {"user", {{"id", s.text(3)}, {"name", s.optText(4) ? Json(*s.optText(4)) : Json()}}},
         {"correction", correction}});
  }
  out["timeline"] = std::move(timeline);
  if (p.orgId == r.reporter) out["draft"] = parsedOrNull(r.draft);
  return out;
}

ApiError validationFailed(const std::vector<FieldError>& errors) {
  return internal::invalidFields("validation-failed", "the document", errors);
}

ApiError badField(std::string_view field, std::string_view why) {
  return invalid("invalid-field", fmt::format("\"{}\": {}", field, why), Json{{"field", field}});
}

// The request envelope around a document: {"type", "stage", "document"} or {"type", "draft"}.
struct Envelope {
  std::optional<ReportType> type;
  std::optional<Stage> stage;
  const Json* document = nullptr;
  const Json* draft = nullptr;
};

std::optional<ApiError> parseEnvelope(const Json& body, std::span<const std::string_view> allowed,
                                      Envelope& out) {
  if (!body.is_object()) {
    return invalid("invalid-body", "the body must be a JSON object", nullptr);
  }
  for (const auto& [k, v] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return invalid("unknown-field", fmt::format("unknown field \"{}\"", k), Json{{"field", k}});
    }
  }
  if (body.contains("type") && !body["type"].is_null()) {
    const auto t =
        body["type"].is_string() ? parseReportType(body["type"].get<std::string>()) : std::nullopt;
    if (!t) {
      return badField("type",
                      "must be one of ransomware, ddos, unauthorized-access, data-leak, "
                      "service-outage");
    }
    out.type = t;
  }
  if (body.contains("stage") && !body["stage"].is_null()) {
    const auto s =
        body["stage"].is_string() ? parseStage(body["stage"].get<std::string>()) : std::nullopt;
    if (!s) return badField("stage", "must be one of initial, interim, final");
    out.stage = s;
  }
  if (body.contains("document") && !body["document"].is_null()) out.document = &body["document"];
  if (body.contains("draft") && !body["draft"].is_null()) out.draft = &body["draft"];
  if (out.document != nullptr && out.draft != nullptr) {
    return badField("draft", "give either a document (with a stage) or a draft, not both");
  }
  if (out.draft != nullptr && out.stage) {
    return badField("stage", "a draft has no stage; it is submitted later");
  }
  if (out.draft == nullptr) {
    if (out.document == nullptr) return badField("document", "required (or a draft)");
    if (!out.stage) return badField("stage", "required with a document");
  }
  return std::nullopt;
}

// Fills the document's `type` from the report's when absent; a different one is a field error.
std::optional<ApiError> withType(const Json& doc, std::optional<ReportType> type, Json& out) {
  out = doc;
  if (!type || !out.is_object()) return std::nullopt;
  if (!out.contains("type") || out["type"].is_null()) {
    out["type"] = reportTypeName(*type);
    return std::nullopt;
  }
  if (out["type"].is_string() && parseReportType(out["type"].get<std::string>()) == type) {
    return std::nullopt;
  }
  return validationFailed(
      {{"type", fmt::format("must be '{}', the type of this report", reportTypeName(*type))}});
}

// The draft's own label fields, for a report not yet submitted (its label until then).
struct DraftFacts {
  std::string tlp = std::string(tlpName(kDefaultTlp));
  int sensitivity = kDefaultSensitivity;
  std::optional<std::string> sector;
  std::optional<int64_t> discoveredAt;
};

DraftFacts draftFacts(const Json& draft) {
  DraftFacts f;
  if (!draft.is_object()) return f;
  if (draft.contains("tlp") && draft["tlp"].is_string()) f.tlp = draft["tlp"].get<std::string>();
  if (draft.contains("sensitivity") && draft["sensitivity"].is_number_integer()) {
    f.sensitivity = draft["sensitivity"].get<int>();
  }
  if (draft.contains("sector") && draft["sector"].is_string()) {
    f.sector = draft["sector"].get<std::string>();
  }
  if (draft.contains("discovered_at") && draft["discovered_at"].is_string()) {
    if (auto t = parseRfc3339(draft["discovered_at"].get<std::string>())) f.discoveredAt = *t;
  }
  return f;
}

int rank(Stage s) {
  return static_cast<int>(s);
}

// Records an accepted submission: the report row, the timeline, the police recipients.
Result<void> applySubmission(Connection& tx, std::string_view id, const ValidatedReport& v,
                             const Principal& p, int64_t now, const DbDirectory& dir) {
  auto at = [&](Stage s) { return v.stage == s ? SqlValue(now) : SqlValue(); };
  if (auto u = tx.execute(
          "UPDATE reports SET sector = ?, current_stage = ?, discovered_at = ?, "
          "initial_at = COALESCE(initial_at, ?), interim_at = COALESCE(interim_at, ?), "
          "final_at = COALESCE(final_at, ?), tlp = ?, sensitivity = ?, police_included = ?, "
          "updated_at = ?, document = ?, draft = NULL WHERE id = ?",
          std::array{SqlValue(sectorName(v.sector)), SqlValue(stageName(v.stage)),
                     SqlValue(v.discoveredAt), at(Stage::kInitial), at(Stage::kInterim),
                     at(Stage::kFinal), SqlValue(tlpName(v.tlp)), SqlValue(v.sensitivity),
                     SqlValue(v.includePoliceInSharing), SqlValue(now), SqlValue(v.document.dump()),
                     SqlValue(id)});
      !u) {
    return u.error();
  }
  auto seq = tx.query("SELECT COUNT(*) FROM report_submissions WHERE report_id = ?", id);
  if (!seq) return seq.error();
  if (auto s = tx.execute(
          "INSERT INTO report_submissions (report_id, seq, stage, submitted_at, user_id, document) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          id, (*seq)[0].int64(0), stageName(v.stage), now, p.userId, v.document.dump());
      !s) {
    return s.error();
  }
  // The latest submission's choice decides whether the police are included (docs/sharing.md:
  // police organisations are the only recipients a report lists).
  if (auto d = tx.execute("DELETE FROM report_recipients WHERE report_id = ?", id); !d) {
    return d.error();
  }
  if (v.includePoliceInSharing) {
    for (const auto& o : dir.orgs()) {
      if (o.type != OrgType::kPolice) continue;
      if (auto r = tx.execute("INSERT INTO report_recipients (report_id, org_id) VALUES (?, ?)", id,
                              o.id);
          !r) {
        return r.error();
      }
    }
  }
  return {};
}

constexpr std::array<std::string_view, 4> kCreateFields = {"type", "stage", "document", "draft"};
constexpr std::array<std::string_view, 2> kSubmitFields = {"stage", "document"};

}  // namespace

ApiResult<Json> Hub::createReport(const Principal& p, const Json& body) {
  Envelope env;
  if (auto e = parseEnvelope(body, kCreateFields, env)) return *e;
  const int64_t now = nowMicros();
  ValidationOptions vo;
  vo.organisationId = p.orgId;

  std::optional<ValidatedReport> report;
  Json draft;
  ObjectLabel label;
  if (env.document != nullptr) {
    Json doc;
    if (auto e = withType(*env.document, env.type, doc)) return *e;
    auto v = validateSubmission(doc, *env.stage, now, vo);
    if (!v) return validationFailed(v.errors());
    report = std::move(v).value();
    label = reportLabel(p.orgId, tlpName(report->tlp), report->sensitivity, true);
  } else {
    Json doc;
    if (auto e = withType(*env.draft, env.type, doc)) return *e;
    auto v = validateDraft(doc, now, vo);
    if (!v) return validationFailed(v.errors());
    draft = std::move(v).value();
    if (!draft.contains("type") || !draft["type"].is_string()) {
      return validationFailed({{"type", "required: the type of the report the draft is for"}});
    }
    const DraftFacts f = draftFacts(draft);
    label = reportLabel(p.orgId, f.tlp, f.sensitivity, false);
  }
  const std::string type =
      report ? std::string(reportTypeName(report->type)) : draft["type"].get<std::string>();

  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  const std::string id = newId("rep_");
  if (const Decision d = authorize(p, Action::kCreate, label, *dir); !d) {
    (void)state_->commitAudit(*c, auditEntry(p, "create", kKind, id, d));
    state_->notifyDrain();
    return forbidden(d);
  }
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    if (report) {
      auto ins = tx.execute(
          "INSERT INTO reports (id, reporter_org_id, type, tlp, sensitivity, created_at, "
          "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          id, p.orgId, type, tlpName(report->tlp), report->sensitivity, now, now);
      if (!ins) return ins;
      if (auto a = applySubmission(tx, id, *report, p, now, *dir); !a) return a.error();
    } else {
      const DraftFacts f = draftFacts(draft);
      auto ins = tx.execute(
          "INSERT INTO reports (id, reporter_org_id, type, sector, discovered_at, tlp, "
          "sensitivity, created_at, updated_at, draft) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          std::array{SqlValue(id), SqlValue(p.orgId), SqlValue(type), SqlValue(f.sector),
                     SqlValue(f.discoveredAt), SqlValue(f.tlp), SqlValue(f.sensitivity),
                     SqlValue(now), SqlValue(now), SqlValue(draft.dump())});
      if (!ins) return ins;
    }
    Json entry = auditEntry(p, "create", kKind, id, Decision{true, reason::kOwnOrg});
    if (report) {
      entry["stage"] = stageName(report->stage);
    } else {
      entry["draft"] = true;
    }
    if (auto a = audit(tx, entry); !a) return a.error();
    return int64_t{1};
  });
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  auto row = loadReport(*c, id);
  if (!row) return unavailable(row.error());
  if (!*row) return notFound("incident report", id);
  auto recipients = recipientsOf(*c, id);
  if (!recipients) return unavailable(recipients.error());
  auto view = reportView(*c, **row, *recipients, p, options_.reportDeadlines, nowMicros());
  if (!view) return unavailable(view.error());
  return std::move(*view);
}

namespace {

// The check both report writes start with: may `p` update report `cur`? When not, `refused` is
// set — 404 for those who cannot even read the report (they must not learn that it exists), 403
// for those who can — and the decision is returned either way, for the audit entry.
Result<Decision> authorizeUpdate(Connection& tx, const Principal& p, std::string_view id,
                                 const ReportRow& cur, const OrgDirectory& dir,
                                 std::optional<ApiError>& refused) {
  const Decision d = authorize(p, Action::kUpdate, labelOf(cur), dir);
  if (d) return d;
  auto recipients = recipientsOf(tx, id);
  if (!recipients) return recipients.error();
  const bool canRead = authorize(p, Action::kRead, labelOf(cur, *recipients), dir).allowed;
  refused = canRead ? forbidden(d) : notFound("incident report", id);
  return d;
}

}  // namespace

ApiResult<Json> Hub::submitStage(const Principal& p, std::string_view id, const Json& body) {
  Envelope env;
  if (auto e = parseEnvelope(body, kSubmitFields, env)) return *e;
  if (env.document == nullptr) return badField("document", "required");
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  ValidationOptions vo;
  vo.organisationId = p.orgId;
  std::optional<ApiError> refused;
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    refused.reset();
    const int64_t now = nowMicros();
    auto row = loadReport(tx, id);
    if (!row) return row.error();
    if (!*row) {
      refused = notFound("incident report", id);
      return int64_t{0};
    }
    const ReportRow& cur = **row;
    auto allowed = authorizeUpdate(tx, p, id, cur, *dir, refused);
    if (!allowed) return allowed.error();
    Decision d = *allowed;
    std::optional<ValidatedReport> v;
    if (!refused) {
      Json doc;
      refused = withType(*env.document, parseReportType(cur.type), doc);
      if (!refused) {
        auto checked = validateSubmission(doc, *env.stage, now, vo);
        if (!checked) {
          refused = validationFailed(checked.errors());
        } else {
          v = std::move(checked).value();
        }
      }
    }
    if (v) {
      // The new label binds too: nobody files a document labelled above their own clearance.
      d = authorize(p, Action::kUpdate,
                    reportLabel(cur.reporter, tlpName(v->tlp), v->sensitivity, true), *dir);
      if (!d) refused = forbidden(d);
    }
    if (!refused && cur.stage) {
      const int from = rank(*cur.stage);
      const int to = rank(*env.stage);
      if (to < from || to > from + 1) {
        refused = ApiError{
            ApiError::Kind::kConflict, "illegal-stage",
            fmt::format("a report at stage '{}' takes a correction of '{}' or the next stage, not "
                        "'{}'",
                        stageName(*cur.stage), stageName(*cur.stage), stageName(*env.stage)),
            Json{{"from", stageName(*cur.stage)}, {"to", stageName(*env.stage)}}};
      }
    }
    Json entry = auditEntry(p, "update", kKind, id, refused ? d : Decision{true, reason::kOwnOrg});
    entry["stage"] = stageName(*env.stage);
    if (refused) entry["refused"] = refused->code;
    if (!refused) entry["correction"] = cur.stage == env.stage;
    if (auto a = audit(tx, entry); !a) return a.error();
    if (refused) return int64_t{0};
    if (auto a = applySubmission(tx, id, *v, p, now, *dir); !a) return a.error();
    return int64_t{1};
  });
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  if (refused) return *refused;
  auto row = loadReport(*c, id);
  if (!row) return unavailable(row.error());
  if (!*row) return notFound("incident report", id);
  auto recipients = recipientsOf(*c, id);
  if (!recipients) return unavailable(recipients.error());
  auto view = reportView(*c, **row, *recipients, p, options_.reportDeadlines, nowMicros());
  if (!view) return unavailable(view.error());
  return std::move(*view);
}

ApiResult<Json> Hub::saveDraft(const Principal& p, std::string_view id, const Json& draftIn) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  ValidationOptions vo;
  vo.organisationId = p.orgId;
  std::optional<ApiError> refused;
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    refused.reset();
    const int64_t now = nowMicros();
    auto row = loadReport(tx, id);
    if (!row) return row.error();
    if (!*row) {
      refused = notFound("incident report", id);
      return int64_t{0};
    }
    const ReportRow& cur = **row;
    auto allowed = authorizeUpdate(tx, p, id, cur, *dir, refused);
    if (!allowed) return allowed.error();
    Decision d = *allowed;
    Json draft;
    if (!refused) {
      Json doc;
      refused = withType(draftIn, parseReportType(cur.type), doc);
      if (!refused) {
        auto checked = validateDraft(doc, now, vo);
        if (!checked) {
          refused = validationFailed(checked.errors());
        } else {
          draft = std::move(checked).value();
        }
      }
    }
    const DraftFacts f = draftFacts(draft);
    if (!refused) {
      d = authorize(p, Action::kUpdate, reportLabel(cur.reporter, f.tlp, f.sensitivity, false),
                    *dir);
      if (!d) refused = forbidden(d);
    }
    Json entry = auditEntry(p, "update", kKind, id, refused ? d : Decision{true, reason::kOwnOrg});
    entry["draft"] = true;
    if (refused) entry["refused"] = refused->code;
    if (auto a = audit(tx, entry); !a) return a.error();
    if (refused) return int64_t{0};
    if (cur.stage) {
      // A submitted report's label and times come from its submissions; the draft is only the
      // reporter's working copy of the next one (and saving it is invisible to other readers).
      auto u = tx.execute("UPDATE reports SET draft = ? WHERE id = ?", draft.dump(), id);
      if (!u) return u;
    } else {
      auto u = tx.execute(
          "UPDATE reports SET draft = ?, sector = ?, discovered_at = ?, tlp = ?, sensitivity = ?, "
          "updated_at = ? WHERE id = ?",
          std::array{SqlValue(draft.dump()), SqlValue(f.sector), SqlValue(f.discoveredAt),
                     SqlValue(f.tlp), SqlValue(f.sensitivity), SqlValue(now), SqlValue(id)});
      if (!u) return u;
    }
    return int64_t{1};
  });
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  if (refused) return *refused;
  auto row = loadReport(*c, id);
  if (!row) return unavailable(row.error());
  if (!*row) return notFound("incident report", id);
  auto recipients = recipientsOf(*c, id);
  if (!recipients) return unavailable(recipients.error());
  auto view = reportView(*c, **row, *recipients, p, options_.reportDeadlines, nowMicros());
  if (!view) return unavailable(view.error());
  return std::move(*view);
}

namespace internal {

void appendReportAudience(const Principal& p, std::string& sql, std::vector<SqlValue>& params) {
  if (p.role == Role::kViewer) sql += " AND r.tlp <> 'RED'";
  switch (p.orgType) {
    case OrgType::kCentre:
      sql += " AND (r.reporter_org_id = ? OR r.current_stage IS NOT NULL)";
      params.emplace_back(p.orgId);
      break;
    case OrgType::kMinistry:
      sql += " AND (r.reporter_org_id = ? OR (r.current_stage IS NOT NULL AND o.ministry_id = ?))";
      params.emplace_back(p.orgId);
      params.emplace_back(p.orgId);
      break;
    case OrgType::kPolice:
      sql +=
          " AND (r.reporter_org_id = ? OR (r.current_stage IS NOT NULL AND EXISTS (SELECT 1 FROM "
          "report_recipients rp WHERE rp.report_id = r.id AND rp.org_id = ?)))";
      params.emplace_back(p.orgId);
      params.emplace_back(p.orgId);
      break;
    default:
      sql += " AND r.reporter_org_id = ?";
      params.emplace_back(p.orgId);
      break;
  }
}

}  // namespace internal

ApiResult<Json> Hub::listReports(const Principal& p, const ReportQuery& q) {
  if (q.limit == 0 || q.limit > options_.maxListLimit) {
    return invalid("invalid-limit", fmt::format("limit: 1 to {}", options_.maxListLimit),
                   Json{{"parameter", "limit"}});
  }
  if (!q.type.empty() && !parseReportType(q.type)) {
    return invalid("invalid-parameter", fmt::format("type '{}': not a report type", q.type),
                   Json{{"parameter", "type"}});
  }
  if (!q.sector.empty() && !parseSector(q.sector)) {
    return invalid("invalid-parameter", fmt::format("sector '{}': not a sector", q.sector),
                   Json{{"parameter", "sector"}});
  }
  if (!q.stage.empty() && q.stage != "draft" && !parseStage(q.stage)) {
    return invalid("invalid-parameter",
                   fmt::format("stage '{}': one of initial, interim, final, draft", q.stage),
                   Json{{"parameter", "stage"}});
  }
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  const int64_t now = nowMicros();
  // Pre-filter in SQL what authorize() would refuse anyway (docs/sharing.md, "List queries");
  // authorize() still decides every row. The last column says whether the principal is a listed
  // recipient, read from the database like the rest of the label.
  std::string sql = fmt::format(
      "SELECT {}, NULL, NULL, (SELECT COUNT(*) FROM report_recipients rr WHERE rr.report_id = r.id "
      "AND rr.org_id = ?) FROM reports r JOIN organisations o ON o.id = r.reporter_org_id "
      "WHERE r.sensitivity <= ?",
      kReportColumns);
  std::vector<SqlValue> params{SqlValue(p.orgId), SqlValue(p.clearance)};
  internal::appendReportAudience(p, sql, params);
  if (!q.type.empty()) {
    sql += " AND r.type = ?";
    params.emplace_back(q.type);
  }
  if (!q.sector.empty()) {
    sql += " AND r.sector = ?";
    params.emplace_back(q.sector);
  }
  if (q.stage == "draft") {
    sql += " AND r.current_stage IS NULL";
  } else if (!q.stage.empty()) {
    sql += " AND r.current_stage = ?";
    params.emplace_back(q.stage);
  }
  if (q.overdue) {
    // The next outstanding stage is the one after current_stage (stages are filed in order, and
    // deadlines do not decrease, so it is the first to fall due): overdue when its due time
    // (discovered_at + deadline) is before now, exactly like stageStatus().overdueNow.
    const auto& dl = options_.reportDeadlines;
    const std::array<SqlValue, 3> thresholds{SqlValue(now - dl.initialMicros),
                                             SqlValue(now - dl.interimMicros),
                                             SqlValue(now - dl.finalMicros)};
    if (*q.overdue) {
      sql +=
          " AND r.discovered_at IS NOT NULL AND ((r.current_stage IS NULL AND r.discovered_at < ?) "
          "OR (r.current_stage = 'initial' AND r.discovered_at < ?) OR (r.current_stage = "
          "'interim' AND r.discovered_at < ?))";
    } else {
      sql +=
          " AND (r.discovered_at IS NULL OR r.current_stage = 'final' OR (r.current_stage IS NULL "
          "AND r.discovered_at >= ?) OR (r.current_stage = 'initial' AND r.discovered_at >= ?) OR "
          "(r.current_stage = 'interim' AND r.discovered_at >= ?))";
    }
    params.insert(params.end(), thresholds.begin(), thresholds.end());
  }
  if (!q.cursor.empty()) {
    // "created_at:id" of the last item of the previous page.
    const auto colon = q.cursor.find(':');
    int64_t at = 0;
    if (colon == std::string::npos ||
        std::from_chars(q.cursor.data(), q.cursor.data() + colon, at).ec != std::errc()) {
      return invalid("invalid-cursor", "cursor: use next_cursor from the previous page",
                     Json{{"parameter", "cursor"}});
    }
    sql += " AND (r.created_at < ? OR (r.created_at = ? AND r.id < ?))";
    params.emplace_back(at);
    params.emplace_back(at);
    params.emplace_back(q.cursor.substr(colon + 1));
  }
  sql += fmt::format(" ORDER BY r.created_at DESC, r.id DESC LIMIT {}", q.limit);
  auto rows = c->query(sql, params);
  if (!rows) return unavailable(rows.error());
  Json items = Json::array();
  Json ids = Json::array();
  std::string last;
  for (const auto& row : *rows) {
    const ReportRow r = ReportRow::parse(row);
    last = fmt::format("{}:{}", r.createdAt, r.id);
    std::vector<std::string> recipients;
    if (row.int64(17) > 0) recipients.push_back(p.orgId);
    if (!authorize(p, Action::kRead, labelOf(r, std::move(recipients)), *dir)) continue;
    items.push_back(summaryJson(r, p, options_.reportDeadlines, now));
    ids.push_back(r.id);
  }
  Json entry = auditEntry(p, "read", kKind, "list", Decision{true, reason::kOwner});
  entry["ids"] = ids;
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  state_->notifyDrain();
  Json out{{"items", items}};
  out["next_cursor"] = rows->size() == q.limit ? Json(last) : Json();
  return out;
}

ApiResult<Json> Hub::getReport(const Principal& p, std::string_view id) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  auto row = loadReport(*c, id);
  if (!row) return unavailable(row.error());
  if (!*row) {
    // Audited too: probing for report ids is itself worth recording.
    (void)state_->commitAudit(*c, auditEntry(p, "read", kKind, id, Decision{false, "not-found"}));
    state_->notifyDrain();
    return notFound("incident report", id);
  }
  auto recipients = recipientsOf(*c, id);
  if (!recipients) return unavailable(recipients.error());
  const Decision d = authorize(p, Action::kRead, labelOf(**row, *recipients), *dir);
  if (auto a = state_->commitAudit(*c, auditEntry(p, "read", kKind, id, d)); !a) return unavailable(a.error());
  state_->notifyDrain();
  // Refused and absent look the same from outside: a report's existence is itself information.
  if (!d) return notFound("incident report", id);
  auto view = reportView(*c, **row, *recipients, p, options_.reportDeadlines, nowMicros());
  if (!view) return unavailable(view.error());
  return std::move(*view);
}

}  // namespace mamori::hub
