// Shared indicators in the hub (docs/hub.md "Indicators"): publishing, syncing by seq, revoking;
// and the routes protective resolvers use to send sightings to the client's organisation.
//
// An indicator is a shared object of kind `indicator` (docs/sharing.md): owner = the publishing
// organisation, no subject, recipients as the publisher names them, released once published.
// One row per (publisher, type, value); every change to it (publish, update, revoke) takes the
// next number of the one-row counter `indicator_seq` in the same transaction, so numbers are
// handed out in commit order (src/hub/schema.cc, version 5) and `after=<last seq seen>` returns
// exactly what changed since.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <span>
#include <utility>

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

constexpr std::string_view kKind = "indicator";
constexpr std::size_t kMaxItems = 10'000;      // per publish request
constexpr std::size_t kMaxPage = 10'000;       // per list page
constexpr std::size_t kMaxDescription = 1000;  // bytes
constexpr std::size_t kMaxRecipients = 1000;   // per indicator
constexpr std::array<std::string_view, 2> kActions = {"block", "monitor"};
constexpr std::array<std::string_view, 8> kItemFields = {
    "type", "value", "tlp", "sensitivity", "recipients", "action", "valid_until", "description"};

// One validated ITEM of a publish request.
struct Item {  // NOLINT(bugprone-exception-escape): only allocation can throw
  std::string type;
  std::string value;  // canonical
  Tlp tlp = Tlp::kRed;
  int sensitivity = 0;
  std::vector<std::string> recipients;  // sorted, unique, existing organisations
  std::string action = "block";
  std::optional<int64_t> validUntil;
  std::optional<std::string> description;
};

ObjectLabel indicatorLabel(std::string_view owner, Tlp tlp, int sensitivity, bool released,
                           std::vector<std::string> recipients) {
  ObjectLabel l;
  l.kind = ObjectKind::kIndicator;
  l.ownerOrgId = owner;
  l.tlp = tlp;
  l.sensitivity = sensitivity;
  l.recipientOrgIds = std::move(recipients);
  l.released = released;
  return l;
}

// Field errors of a request, at most kMaxErrors (then one line saying there were more), like
// incident report validation: bounds the answer and the work spent on a hostile request.
class Problems {
 public:
  void add(std::string field, std::string problem) {
    if (errors_.size() < kMaxErrors) {
      errors_.push_back({std::move(field), std::move(problem)});
    } else if (!full_) {
      full_ = true;
      errors_.push_back(
          {"", fmt::format("more problems were found; only the first {} are listed", kMaxErrors)});
    }
  }
  bool full() const { return full_; }
  bool empty() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  std::vector<FieldError> errors_;
  bool full_ = false;
};

bool given(const Json& obj, std::string_view key) {
  const auto it = obj.find(key);
  return it != obj.end() && !it->is_null();
}

std::string typeProblem(std::string_view expected, const Json& v) {
  return fmt::format("expected {}, got {}", expected, v.type_name());
}

// One ITEM at path `at`; nullopt (with its problems added) when it is not valid.
std::optional<Item> parseItem(const Json& v, const std::string& at, const DbDirectory& dir,
                              Problems& problems) {
  if (!v.is_object()) {
    problems.add(at, typeProblem("object", v));
    return std::nullopt;
  }
  bool ok = true;
  auto fail = [&](std::string_view key, std::string problem) {
    problems.add(memberPath(at, key), std::move(problem));
    ok = false;
  };
  for (const auto& [key, value] : v.items()) {
    if (std::find(kItemFields.begin(), kItemFields.end(), key) == kItemFields.end()) {
      problems.add(memberPath(at, key), "unknown field");
      ok = false;
    }
  }
  Item item;
  if (!given(v, "type")) {
    fail("type", "required");
  } else if (!v["type"].is_string() ||
             std::find(kIndicatorTypes.begin(), kIndicatorTypes.end(),
                       v["type"].get_ref<const std::string&>()) == kIndicatorTypes.end()) {
    fail("type", "must be one of ipv4, ipv6, domain, url, sha256, md5, email, filename");
  } else {
    item.type = v["type"].get<std::string>();
  }
  if (!given(v, "value")) {
    fail("value", "required");
  } else if (!v["value"].is_string()) {
    fail("value", typeProblem("string", v["value"]));
  } else if (!item.type.empty()) {
    auto canonical = canonicalIndicatorValue(item.type, v["value"].get_ref<const std::string&>(),
                                             /*allowPrefix=*/true);
    if (canonical) {
      item.value = std::move(*canonical);
    } else {
      fail("value", canonical.error().message);
    }
  }
  // No default: whoever publishes must decide how far it may travel.
  if (!given(v, "tlp")) {
    fail("tlp", "required: one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED");
  } else {
    const auto tlp =
        v["tlp"].is_string() ? parseTlp(v["tlp"].get_ref<const std::string&>()) : std::nullopt;
    if (tlp) {
      item.tlp = *tlp;
    } else {
      fail("tlp", "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED");
    }
  }
  if (given(v, "sensitivity")) {
    const Json& s = v["sensitivity"];
    if (!s.is_number_integer() || s.get<int64_t>() < kMinLevel || s.get<int64_t>() > kMaxLevel) {
      fail("sensitivity", "must be an integer from 0 to 3");
    } else {
      item.sensitivity = s.get<int>();
    }
  }
  if (given(v, "recipients")) {
    const Json& r = v["recipients"];
    if (!r.is_array()) {
      fail("recipients", typeProblem("array", r));
    } else if (r.size() > kMaxRecipients) {
      fail("recipients", fmt::format("at most {} organisations", kMaxRecipients));
    } else {
      for (std::size_t k = 0; k < r.size(); ++k) {
        const std::string field = fmt::format("{}.recipients[{}]", at, k);
        if (!r[k].is_string()) {
          problems.add(field, typeProblem("string (an organisation id)", r[k]));
          ok = false;
        } else if (dir.find(r[k].get_ref<const std::string&>()) == nullptr) {
          problems.add(field, "no organisation with this id");
          ok = false;
        } else {
          item.recipients.push_back(r[k].get<std::string>());
        }
      }
      std::sort(item.recipients.begin(), item.recipients.end());
      item.recipients.erase(std::unique(item.recipients.begin(), item.recipients.end()),
                            item.recipients.end());
    }
  }
  if (given(v, "action")) {
    const Json& a = v["action"];
    if (!a.is_string() || std::find(kActions.begin(), kActions.end(),
                                    a.get_ref<const std::string&>()) == kActions.end()) {
      fail("action", "must be block or monitor");
    } else {
      item.action = a.get<std::string>();
    }
  }
  if (given(v, "valid_until")) {
    const Json& t = v["valid_until"];
    auto parsed = t.is_string() ? parseRfc3339(t.get_ref<const std::string&>())
                                : Result<int64_t>(Error{"not a string"});
    if (!parsed) {
      fail("valid_until", "must be an RFC 3339 time (2026-03-01T00:00:00Z)");
    } else {
      item.validUntil = *parsed;
    }
  }
  if (given(v, "description")) {
    const Json& d = v["description"];
    if (!d.is_string()) {
      fail("description", typeProblem("string", d));
    } else if (auto problem = textProblem(d.get_ref<const std::string&>(), kMaxDescription, true)) {
      fail("description", std::move(*problem));
    } else if (!d.get_ref<const std::string&>().empty()) {
      item.description = d.get<std::string>();
    }
  }
  if (!ok) return std::nullopt;
  return item;
}

// The request body: {"indicators": [ITEM, ...]}, 1..kMaxItems items.
std::vector<Item> parseRequest(const Json& body, const DbDirectory& dir, Problems& problems) {
  std::vector<Item> items;
  if (!body.is_object()) {
    problems.add("", "the body must be a JSON object {\"indicators\": [...]}");
    return items;
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "indicators") problems.add(memberPath("", key), "unknown field");
  }
  if (!given(body, "indicators")) {
    problems.add("indicators", "required: an array of indicators");
    return items;
  }
  const Json& list = body["indicators"];
  if (!list.is_array()) {
    problems.add("indicators", typeProblem("array", list));
    return items;
  }
  if (list.empty() || list.size() > kMaxItems) {
    problems.add("indicators",
                 fmt::format("must hold 1 to {} indicators, not {}", kMaxItems, list.size()));
    return items;
  }
  items.reserve(list.size());
  for (std::size_t i = 0; i < list.size() && !problems.full(); ++i) {
    auto item = parseItem(list[i], fmt::format("indicators[{}]", i), dir, problems);
    if (item) items.push_back(std::move(*item));
  }
  return items;
}

Json optTime(const std::optional<int64_t>& t) {
  return t ? Json(formatRfc3339(*t)) : Json();
}

// Takes `n` numbers from the counter (inside the caller's transaction, whose end releases the
// counter's row lock); returns the first. See schema.cc, version 5, for why a counter row.
Result<int64_t> takeSeq(Connection& tx, int64_t n) {
  auto rows = tx.query(
      "UPDATE indicator_seq SET last_seq = last_seq + ? WHERE id = 1 RETURNING last_seq", n);
  if (!rows) return rows.error();
  if (rows->empty()) return Error{"indicator_seq has no row (schema version 5 not applied?)"};
  return (*rows)[0].int64(0) - n + 1;
}

Result<std::vector<std::string>> recipientsOf(Connection& c, std::string_view id) {
  auto rows =
      c.query("SELECT org_id FROM indicator_recipients WHERE indicator_id = ? ORDER BY org_id", id);
  if (!rows) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.text(0));
  return out;
}

// Columns of an indicator read for a list, in this order (indicatorJson).
constexpr std::string_view kListColumns =
    "i.id, i.seq, i.type, i.value, i.tlp, i.sensitivity, i.action, i.description, i.valid_until, "
    "i.revoked, i.owner_org_id, o.name, i.created_at, i.updated_at, i.released";

// IND as docs/openapi.yaml (Indicator) shows it. Who else an indicator was sent to is the
// publisher's business: other readers see only the recipients that are why they read it (their
// own organisation, their overseeing ministry).
Json indicatorJson(const Rows::Row& r, const std::vector<std::string>& recipients,
                   const Principal& p, int64_t now) {
  const auto validUntil = r.optInt64(8);
  Json shown = Json::array();
  for (const auto& o : recipients) {
    if (p.orgId == r.text(10) || o == p.orgId ||
        (!p.overseeingMinistryId.empty() && o == p.overseeingMinistryId)) {
      shown.push_back(o);
    }
  }
  return Json{{"id", r.text(0)},
              {"seq", r.int64(1)},
              {"type", r.text(2)},
              {"value", r.text(3)},
              {"tlp", r.text(4)},
              {"sensitivity", r.int64(5)},
              {"action", r.text(6)},
              {"description", r.optText(7) ? Json(*r.optText(7)) : Json()},
              {"valid_until", optTime(validUntil)},
              {"revoked", r.int64(9) != 0},
              {"expired", validUntil.has_value() && *validUntil <= now},
              {"publisher", {{"id", r.text(10)}, {"name", r.text(11)}}},
              {"recipients", std::move(shown)},
              {"created_at", formatRfc3339(r.int64(12))},
              {"updated_at", formatRfc3339(r.int64(13))}};
}

}  // namespace

namespace internal {

void appendIndicatorAudience(const Principal& p, std::string& sql, std::vector<SqlValue>& params) {
  sql += " AND i.sensitivity <= ?";
  params.emplace_back(p.clearance);
  if (p.role == Role::kViewer) sql += " AND i.tlp <> 'RED'";
  sql +=
      " AND (i.owner_org_id = ? OR (i.released = 1 AND (i.tlp IN ('CLEAR', 'GREEN') OR EXISTS "
      "(SELECT 1 FROM indicator_recipients ir WHERE ir.indicator_id = i.id AND ir.org_id = ?)";
  params.emplace_back(p.orgId);
  params.emplace_back(p.orgId);
  if (!p.overseeingMinistryId.empty()) {
    sql +=
        " OR (i.tlp = 'AMBER' AND EXISTS (SELECT 1 FROM indicator_recipients im WHERE "
        "im.indicator_id = i.id AND im.org_id = ?))";
    params.emplace_back(p.overseeingMinistryId);
  }
  sql += ")))";
}

}  // namespace internal

ApiResult<Json> Hub::publishIndicators(const Principal& p, const Json& body) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  Problems problems;
  std::vector<Item> parsed = parseRequest(body, *dir, problems);
  if (!problems.empty()) {
    return internal::invalidFields("invalid-indicators", "the request", problems.errors());
  }

  // The same (type, value) twice in one request is one indicator: the later item wins, and both
  // positions answer its id and seq.
  std::vector<Item> items;
  std::vector<std::size_t> slot(parsed.size());
  {
    std::map<std::pair<std::string, std::string>, std::size_t> seen;
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      auto [it, fresh] = seen.try_emplace({parsed[i].type, parsed[i].value}, items.size());
      if (fresh) {
        items.push_back(std::move(parsed[i]));
      } else {
        items[it->second] = std::move(parsed[i]);
      }
      slot[i] = it->second;
    }
  }

  // Writing over one's own indicator (the key includes the publisher) is allowed for exactly
  // those who may create it with the new label (docs/sharing.md: create and update of an
  // indicator both need the owner organisation, role >= analyst and clearance >= sensitivity).
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Decision d = authorize(
        p, Action::kCreate,
        indicatorLabel(p.orgId, items[k].tlp, items[k].sensitivity, true, items[k].recipients),
        *dir);
    if (!d) {
      Json entry = auditEntry(p, "create", kKind, "batch", d);
      entry["items"] = parsed.size();
      (void)state_->commitAudit(*c, entry);
      ApiError e = forbidden(d);
      const auto i =
          static_cast<std::size_t>(std::find(slot.begin(), slot.end(), k) - slot.begin());
      e.details = Json{{"field", fmt::format("indicators[{}]", i)}};
      return e;
    }
  }

  std::vector<std::string> freshIds(items.size());
  for (auto& id : freshIds) id = newId("ind_");
  std::vector<std::pair<std::string, int64_t>> stored(items.size());  // id, seq
  std::unique_lock queue(state_->indicatorWriter);
  auto writer = state_->sqliteWriter(db_->backend());
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    const int64_t now = nowMicros();
    const auto n = static_cast<int64_t>(items.size());
    auto first = takeSeq(tx, n);
    if (!first) return first.error();
    std::vector<SqlValue> rows;
    rows.reserve(items.size() * 12);
    for (std::size_t k = 0; k < items.size(); ++k) {
      const Item& it = items[k];
      rows.insert(rows.end(),
                  {SqlValue(freshIds[k]), SqlValue(p.orgId), SqlValue(it.type), SqlValue(it.value),
                   SqlValue(tlpName(it.tlp)), SqlValue(it.sensitivity), SqlValue(it.action),
                   SqlValue(it.description), SqlValue(it.validUntil), SqlValue(now), SqlValue(now),
                   SqlValue(*first + static_cast<int64_t>(k))});
    }
    if (auto u = tx.executeBatch(
            "INSERT INTO indicators (id, owner_org_id, type, value, tlp, sensitivity, released, "
            "action, description, valid_until, revoked, created_at, updated_at, seq) VALUES (?, ?, "
            "?, ?, ?, ?, 1, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (owner_org_id, type, value) DO UPDATE "
            "SET tlp = excluded.tlp, sensitivity = excluded.sensitivity, released = 1, action = "
            "excluded.action, description = excluded.description, valid_until = "
            "excluded.valid_until, revoked = 0, updated_at = excluded.updated_at, seq = "
            "excluded.seq",
            rows, 12);
        !u) {
      return u.error();
    }
    // The seqs just taken are this request's rows, one each; an updated row kept its id.
    auto back = tx.query(
        "SELECT id, seq FROM indicators WHERE owner_org_id = ? AND seq >= ? AND "
        "seq <= ?",
        p.orgId, *first, *first + n - 1);
    if (!back) return back.error();
    if (back->size() != items.size()) {
      return Error{fmt::format("indicator publish: {} rows written, {} read back", items.size(),
                               back->size())};
    }
    for (const auto& row : *back) {
      stored[static_cast<std::size_t>(row.int64(1) - *first)] = {row.text(0), row.int64(1)};
    }
    std::vector<SqlValue> updated;
    std::vector<SqlValue> recipients;
    std::vector<Json> entries;
    entries.reserve(items.size());
    for (std::size_t k = 0; k < items.size(); ++k) {
      const bool created = stored[k].first == freshIds[k];
      if (!created) updated.emplace_back(stored[k].first);
      for (const auto& o : items[k].recipients) {
        recipients.emplace_back(stored[k].first);
        recipients.emplace_back(o);
      }
      Json entry = auditEntry(p, created ? "create" : "update", kKind, stored[k].first,
                              Decision{true, reason::kOwnOrg});
      entry["seq"] = stored[k].second;
      entry["tlp"] = tlpName(items[k].tlp);
      entries.push_back(std::move(entry));
    }
    // A publish names the recipients anew.
    if (!updated.empty()) {
      if (auto d = tx.executeBatch("DELETE FROM indicator_recipients WHERE indicator_id = ?",
                                   updated, 1);
          !d) {
        return d.error();
      }
    }
    if (!recipients.empty()) {
      if (auto ins = tx.executeBatch(
              "INSERT INTO indicator_recipients (indicator_id, org_id) VALUES (?, ?)", recipients,
              2);
          !ins) {
        return ins.error();
      }
    }
    if (auto a = internal::auditBatch(tx, entries); !a) return a.error();
    return n;
  });
  writer = {};
  queue.unlock();
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  Json out = Json::array();
  for (const std::size_t k : slot)
    out.push_back({{"id", stored[k].first}, {"seq", stored[k].second}});
  return Json{{"items", std::move(out)}};
}

ApiResult<Json> Hub::listIndicators(const Principal& p, const IndicatorQuery& q) {
  if (q.limit == 0 || q.limit > kMaxPage) {
    return invalid("invalid-limit", fmt::format("limit: 1 to {}", kMaxPage),
                   Json{{"parameter", "limit"}});
  }
  if (q.after < 0) {
    return invalid("invalid-parameter", "after: the next_after of the previous page (>= 0)",
                   Json{{"parameter", "after"}});
  }
  std::vector<std::string_view> types;
  for (const auto& t : q.types) {
    if (std::find(kIndicatorTypes.begin(), kIndicatorTypes.end(), t) == kIndicatorTypes.end()) {
      return invalid("invalid-parameter",
                     fmt::format("type '{}': one of ipv4, ipv6, domain, url, sha256, md5, email, "
                                 "filename",
                                 t),
                     Json{{"parameter", "type"}});
    }
    if (std::find(types.begin(), types.end(), t) == types.end()) types.emplace_back(t);
  }
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());

  // Pre-filter in SQL what authorize() would refuse anyway (docs/sharing.md, "List queries");
  // authorize() still decides every row, with the row's full recipient list.
  std::string filter = " WHERE i.seq > ?";
  std::vector<SqlValue> params{SqlValue(q.after)};
  internal::appendIndicatorAudience(p, filter, params);
  if (!types.empty()) {
    filter += " AND i.type IN (?";
    for (std::size_t k = 1; k < types.size(); ++k) filter += ", ?";
    filter += ")";
    for (const auto t : types) params.emplace_back(t);
  }
  const std::string sql = fmt::format(
      "SELECT {} FROM indicators i JOIN organisations o ON o.id = i.owner_org_id{} ORDER BY "
      "i.seq LIMIT ?",
      kListColumns, filter);
  std::vector<SqlValue> pageParams = params;
  pageParams.emplace_back(static_cast<int64_t>(q.limit) + 1);  // one more: is there a next page?

  // The page and its recipients from one snapshot: a publish in between must not pair one
  // version's label with another's recipients.
  Rows rows;
  std::map<std::string, std::vector<std::string>> recipients;
  auto read = c->transaction(
      [&](Connection& tx) -> Result<int64_t> {
        auto page = tx.query(sql, pageParams);
        if (!page) return page.error();
        rows = std::move(*page);
        recipients.clear();
        if (rows.empty()) return int64_t{0};
        const std::size_t last = std::min(rows.size(), q.limit) - 1;
        std::vector<SqlValue> rp = params;
        rp.emplace_back(rows[last].int64(1));
        auto rec = tx.query(fmt::format("SELECT ir2.indicator_id, ir2.org_id FROM "
                                        "indicator_recipients ir2 JOIN indicators i ON i.id = "
                                        "ir2.indicator_id{} AND i.seq <= ? ORDER BY "
                                        "ir2.indicator_id, ir2.org_id",
                                        filter),
                            rp);
        if (!rec) return rec.error();
        for (const auto& row : *rec) recipients[row.text(0)].push_back(row.text(1));
        return int64_t{0};
      },
      TransactionMode::kReadOnly);
  if (!read) return unavailable(read.error());

  const int64_t now = nowMicros();
  const std::size_t examined = std::min(rows.size(), q.limit);
  Json items = Json::array();
  Json ids = Json::array();
  static const std::vector<std::string> kNone;
  for (std::size_t k = 0; k < examined; ++k) {
    const auto row = rows[k];
    const auto it = recipients.find(row.text(0));
    const std::vector<std::string>& listed = it == recipients.end() ? kNone : it->second;
    const ObjectLabel label =
        indicatorLabel(row.text(10), parseTlp(row.text(4)).value_or(Tlp::kRed),
                       static_cast<int>(row.int64(5)), row.int64(14) != 0, listed);
    if (!authorize(p, Action::kRead, label, *dir)) continue;
    items.push_back(indicatorJson(row, listed, p, now));
    ids.push_back(row.text(0));
  }
  // The page covers every row up to the last one examined, shown or not (a row SQL let through
  // but authorize() refused must not be fetched again forever).
  const int64_t nextAfter = examined == 0 ? q.after : rows[examined - 1].int64(1);
  Json entry = auditEntry(p, "read", kKind, "list", Decision{true, reason::kOwner});
  entry["after"] = q.after;
  entry["next_after"] = nextAfter;
  entry["ids"] = std::move(ids);
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  return Json{
      {"items", std::move(items)}, {"next_after", nextAfter}, {"more", rows.size() > q.limit}};
}

ApiResult<Json> Hub::revokeIndicator(const Principal& p, std::string_view id) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  std::optional<ApiError> refused;
  Json out;
  std::unique_lock queue(state_->indicatorWriter);
  auto writer = state_->sqliteWriter(db_->backend());
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    refused.reset();
    auto rows = tx.query(
        "SELECT owner_org_id, tlp, sensitivity, released, revoked, seq FROM indicators WHERE id = "
        "?",
        id);
    if (!rows) return rows.error();
    if (rows->empty()) {
      // Audited too: probing for ids is itself worth recording.
      if (auto a = audit(tx, auditEntry(p, "update", kKind, id, Decision{false, "not-found"}));
          !a) {
        return a.error();
      }
      refused = notFound("indicator", id);
      return int64_t{0};
    }
    const auto row = (*rows)[0];
    auto recipients = recipientsOf(tx, id);
    if (!recipients) return recipients.error();
    const ObjectLabel label =
        indicatorLabel(row.text(0), parseTlp(row.text(1)).value_or(Tlp::kRed),
                       static_cast<int>(row.int64(2)), row.int64(3) != 0, std::move(*recipients));
    const Decision d = authorize(p, Action::kUpdate, label, *dir);
    Json entry = auditEntry(p, "update", kKind, id, d);
    entry["revoke"] = true;
    if (!d) {
      // Those who cannot even read it must not learn that it exists.
      refused = authorize(p, Action::kRead, label, *dir) ? forbidden(d) : notFound("indicator", id);
      entry["refused"] = refused->code;
      if (auto a = audit(tx, entry); !a) return a.error();
      return int64_t{0};
    }
    int64_t seq = row.int64(5);
    if (row.int64(4) == 0) {
      auto taken = takeSeq(tx, 1);
      if (!taken) return taken.error();
      seq = *taken;
      if (auto u =
              tx.execute("UPDATE indicators SET revoked = 1, seq = ?, updated_at = ? WHERE id = ?",
                         seq, nowMicros(), id);
          !u) {
        return u.error();
      }
    } else {
      entry["unchanged"] = true;  // revoked already: nothing for syncing clients to fetch again
    }
    entry["seq"] = seq;
    if (auto a = audit(tx, entry); !a) return a.error();
    out = Json{{"id", id}, {"seq", seq}, {"revoked", true}};
    return int64_t{1};
  });
  writer = {};
  queue.unlock();
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  if (refused) return *refused;
  return out;
}

ApiResult<Json> Hub::listRoutes(const Principal& p) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  auto rows = c->query("SELECT org_id, prefix FROM org_prefixes ORDER BY org_id, prefix");
  if (!rows) return unavailable(rows.error());
  Json items = Json::array();
  Json ids = Json::array();
  for (const auto& r : *rows) {
    const std::string org = r.text(0);
    if (items.empty() || items.back()["organisation"] != org) {
      // The routes are part of each organisation's record (GET /organisations/{id}).
      if (!authorize(p, Action::kRead, internal::organisationLabel(org), *dir)) continue;
      items.push_back({{"organisation", org}, {"prefixes", Json::array()}});
      ids.push_back(org);
    }
    items.back()["prefixes"].push_back(r.text(1));
  }
  Json entry =
      auditEntry(p, "read", "organisation", "routes", Decision{true, reason::kCommunityDirectory});
  entry["ids"] = std::move(ids);
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  return Json{{"items", std::move(items)}};
}

}  // namespace mamori::hub
