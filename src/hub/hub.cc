#include "mamori/hub/hub.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "mamori/core/crypto.h"
#include "mamori/core/domain_set.h"
#include "mamori/core/ip_address.h"
#include "mamori/core/ledger.h"
#include "mamori/core/prefix_set.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"
#include "hub_internal.h"
#include "schema.h"

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

// Event states and the transitions between them (docs/hub.md).
constexpr std::array<std::string_view, 6> kEventStates = {"new",      "in-review", "confirmed",
                                                         "notified", "closed",    "noise"};
bool transitionAllowed(std::string_view from, std::string_view to) {
  if (to == "noise") return from == "new" || from == "in-review" || from == "confirmed";
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kForward = {
      {{"new", "in-review"}, {"in-review", "confirmed"}, {"confirmed", "notified"},
       {"notified", "closed"}}};
  return std::find(kForward.begin(), kForward.end(), std::pair{from, to}) != kForward.end();
}

bool validRecordId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

int64_t timeField(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return 0;
  auto t = parseRfc3339(j[key].get<std::string>());
  return t ? *t : 0;
}

}  // namespace

Result<void> Hub::State::drain(Database& db) {
  if (!ledger) return {};
  std::lock_guard lock(drainMutex);
  for (;;) {
    auto rows = db.query("SELECT id, entry FROM audit_outbox ORDER BY at, id LIMIT 256");
    if (!rows) return rows.error();
    if (rows->empty()) return {};
    for (const auto& r : *rows) {
      Json entry = Json::parse(r.text(1), nullptr, false);
      if (entry.is_discarded() || !entry.is_object()) {
        entry = Json{{"type", "audit-unreadable"}, {"outbox_id", r.text(0)}};
      }
      if (auto a = ledger->append(std::move(entry)); !a) return a.error();
      if (auto d = db.execute("DELETE FROM audit_outbox WHERE id = ?", std::array{SqlValue(r.text(0))}); !d) {
        return d.error();
      }
    }
  }
}

namespace internal {

std::string newId(std::string_view prefix) {
  std::array<uint8_t, 12> bytes{};
  randomBytes(bytes);
  return std::string(prefix) + toHex(bytes);
}

ApiError invalid(std::string code, std::string message, Json details) {
  return {ApiError::Kind::kInvalid, std::move(code), std::move(message), std::move(details)};
}
ApiError unavailable(const Error& e) {
  return {ApiError::Kind::kUnavailable, "database-unavailable", e.message, nullptr};
}
ApiError forbidden(const Decision& d) {
  return {ApiError::Kind::kForbidden, std::string(d.reason),
          fmt::format("not allowed: {}", d.reason), nullptr};
}
ApiError notFound(std::string_view what, std::string_view id) {
  return {ApiError::Kind::kNotFound, "not-found", fmt::format("no {} with id '{}'", what, id),
          nullptr};
}

Result<void> audit(Connection& c, const Json& entry) {
  auto r = c.execute("INSERT INTO audit_outbox (id, at, entry) VALUES (?, ?, ?)", newId("aud_"),
                     nowMicros(), entry.dump());
  if (!r) return r.error();
  return {};
}

Json auditEntry(const Principal& p, std::string_view action, std::string_view kind,
                std::string_view object, const Decision& d) {
  return Json{{"type", "audit"},   {"user", p.userId},       {"org", p.orgId},
              {"action", action},  {"kind", kind},           {"object", object},
              {"allowed", d.allowed}, {"reason", d.reason}};
}

}  // namespace internal

namespace {

Result<SigningKey> loadOrCreateAuditKey(const std::filesystem::path& state) {
  if (auto r = createPrivateDirectories(state); !r) return r.error();
  const auto keyPath = state / "audit.key";
  if (std::filesystem::exists(keyPath)) return SigningKey::loadFile(keyPath);
  SigningKey key = SigningKey::generate();
  if (auto r = key.saveFile(keyPath); !r) return r.error();
  const std::string pem = key.publicKey().toPem();
  if (auto r = writeNewPrivateFile(state / "audit.pub",
                                   std::span(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
      !r) {
    return r.error();
  }
  return key;
}

}  // namespace

namespace {

// The audit ledger in STATE/audit-ledger. A hub killed inside an append leaves an unsigned tail;
// the entries of that tail are still in the outbox (an entry leaves the outbox only after its
// append completed), so the audited repair (core/ledger.h: quarantined, recorded as an entry)
// loses nothing and the drain appends them again. Anything a crash does not explain stays an
// error. Delivery from the outbox is at least once: a hub killed between an append and the
// outbox delete appends that entry a second time after the restart.
Result<HandlingLedger> openAuditLedger(const std::filesystem::path& state) {
  const auto dir = state / "audit-ledger";
  std::string firstError;
  {
    auto key = loadOrCreateAuditKey(state);
    if (!key) return key.error();
    auto ledger = HandlingLedger::open(dir, std::move(*key));
    if (ledger) return ledger;
    firstError = ledger.error().message;
  }
  auto repairKey = loadOrCreateAuditKey(state);
  if (!repairKey) return repairKey.error();
  auto repaired = repairLedger(dir, std::move(*repairKey));
  if (!repaired) return Error{firstError + "; automatic repair refused: " + repaired.error().message};
  auto key = loadOrCreateAuditKey(state);
  if (!key) return key.error();
  return HandlingLedger::open(dir, std::move(*key));
}

}  // namespace

Hub::Hub(std::unique_ptr<Database> db, std::unique_ptr<State> state, HubOptions options)
    : db_(std::move(db)), state_(std::move(state)), options_(std::move(options)) {}
Hub::~Hub() = default;

Result<std::unique_ptr<Hub>> Hub::open(std::string_view databaseUrl, HubOptions options) {
  if (sodium_init() < 0) return Error{"libsodium failed to initialise"};
  if (auto d = validateDeadlines(options.reportDeadlines); !d) {
    return Error{fmt::format("report deadlines: {}", d.error().message)};
  }
  auto db = Database::open(databaseUrl, options.database);
  if (!db) return db.error();
  if (auto m = (*db)->migrate(hubMigrations()); !m) return m.error();
  auto state = std::make_unique<State>();
  if (!options.stateDir.empty()) {
    auto ledger = openAuditLedger(options.stateDir);
    if (!ledger) return ledger.error();
    state->ledger.emplace(std::move(*ledger));
    if (auto d = state->drain(**db); !d) return d.error();
  }
  return std::unique_ptr<Hub>(new Hub(std::move(*db), std::move(state), std::move(options)));
}

// ------------------------------------------------------------------------ administration

Result<std::string> Hub::createOrganisation(const NewOrganisation& org) {
  if (org.name.empty() || org.name.size() > 200) return Error{"organisation name: 1-200 characters"};
  if (org.type == OrgType::kOperator && !org.sector) {
    return Error{"an operator needs --sector (one of the 15 critical infrastructure sectors)"};
  }
  if (org.type != OrgType::kOperator && org.sector) return Error{"only operators have a sector"};
  for (const auto& p : org.prefixes) {
    if (!IpPrefix::parse(p)) return Error{fmt::format("prefix '{}': not an IPv4/IPv6 CIDR", p)};
  }
  for (const auto& d : org.domains) {
    if (d.empty() || d.size() > 253 || d.find_first_of(" /@:") != std::string::npos) {
      return Error{fmt::format("domain '{}': not a domain name", d)};
    }
  }
  auto c = db_->acquire();
  if (!c) return c.error();
  const std::string id = newId("org_");
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    auto dir = DbDirectory::load(tx);
    if (!dir) return dir.error();
    std::string ministryId;
    if (!org.ministry.empty()) {
      const auto* m = dir->byNameOrId(org.ministry);
      if (m == nullptr || m->type != OrgType::kMinistry) {
        return Error{fmt::format("ministry '{}': no such ministry organisation", org.ministry)};
      }
      ministryId = m->id;
    }
    if (dir->byNameOrId(org.name) != nullptr) {
      return Error{fmt::format("an organisation named '{}' exists already", org.name)};
    }
    auto ins = tx.execute(
        "INSERT INTO organisations (id, name, type, sector, ministry_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        id, org.name, orgTypeName(org.type),
        org.sector ? SqlValue(sectorName(*org.sector)) : SqlValue(),
        ministryId.empty() ? SqlValue() : SqlValue(ministryId), nowMicros());
    if (!ins) return ins;
    for (const auto& p : org.prefixes) {
      auto e = tx.execute("INSERT INTO org_prefixes (org_id, prefix) VALUES (?, ?)", id,
                          IpPrefix::parse(p)->toString());
      if (!e) return e;
    }
    for (const auto& d : org.domains) {
      std::string lower(d);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; });
      auto e = tx.execute("INSERT INTO org_domains (org_id, domain) VALUES (?, ?)", id, lower);
      if (!e) return e;
    }
    if (auto a = audit(tx, Json{{"type", "admin"}, {"action", "create-organisation"},
                                {"object", id}, {"name", org.name},
                                {"org_type", orgTypeName(org.type)}});
        !a) {
      return a.error();
    }
    return int64_t{1};
  });
  if (!r) return r.error();
  (void)state_->drain(*db_);
  return id;
}

Result<std::string> Hub::createUser(const NewUser& user) {
  if (user.name.empty() || user.name.size() > 100) return Error{"user name: 1-100 characters"};
  if (user.clearance < 0 || user.clearance > 3) return Error{"clearance: 0 to 3"};
  std::string hash;
  if (!user.password.empty()) {
    if (user.password.size() < 12) return Error{"password: at least 12 characters"};
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), user.password.data(), user.password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      return Error{"password hashing ran out of memory"};
    }
    hash = out.data();
  }
  auto c = db_->acquire();
  if (!c) return c.error();
  const std::string id = newId("usr_");
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    auto dir = DbDirectory::load(tx);
    if (!dir) return dir.error();
    const auto* org = dir->byNameOrId(user.organisation);
    if (org == nullptr) return Error{fmt::format("organisation '{}': not found", user.organisation)};
    auto ins = tx.execute(
        "INSERT INTO users (id, org_id, name, role, clearance, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        id, org->id, user.name, roleName(user.role), user.clearance,
        hash.empty() ? SqlValue() : SqlValue(hash), nowMicros());
    if (!ins) {
      if (tx.lastErrorKind() == DbErrorKind::kUniqueViolation) {
        return Error{fmt::format("a user named '{}' exists already", user.name)};
      }
      return ins;
    }
    if (auto a = audit(tx, Json{{"type", "admin"}, {"action", "create-user"}, {"object", id},
                                {"org", org->id}, {"role", roleName(user.role)},
                                {"clearance", user.clearance}});
        !a) {
      return a.error();
    }
    return int64_t{1};
  });
  if (!r) return r.error();
  (void)state_->drain(*db_);
  return id;
}

Result<std::string> Hub::createToken(std::string_view userName, int64_t expiresMicros) {
  std::array<uint8_t, 32> secret{};
  randomBytes(secret);
  const std::string token = "mamori_" + toHex(secret);
  const std::string hash = toHex(sha256(token));
  auto c = db_->acquire();
  if (!c) return c.error();
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    auto u = tx.query("SELECT id FROM users WHERE name = ?", userName);
    if (!u) return u.error();
    if (u->empty()) return Error{fmt::format("user '{}': not found", userName)};
    const std::string tokenId = newId("tok_");
    auto ins = tx.execute(
        "INSERT INTO tokens (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        tokenId, (*u)[0].text(0), hash, nowMicros(),
        expiresMicros > 0 ? SqlValue(expiresMicros) : SqlValue());
    if (!ins) return ins;
    if (auto a = audit(tx, Json{{"type", "admin"}, {"action", "create-token"}, {"object", tokenId},
                                {"user", (*u)[0].text(0)}});
        !a) {
      return a.error();
    }
    return int64_t{1};
  });
  if (!r) return r.error();
  (void)state_->drain(*db_);
  return token;
}

Result<Json> Hub::listOrganisations() {
  auto rows = db_->query(
      "SELECT o.id, o.name, o.type, o.sector, m.name FROM organisations o "
      "LEFT JOIN organisations m ON m.id = o.ministry_id ORDER BY o.name");
  if (!rows) return rows.error();
  Json out = Json::array();
  for (const auto& r : *rows) {
    out.push_back({{"id", r.text(0)}, {"name", r.text(1)}, {"type", r.text(2)},
                   {"sector", r.optText(3) ? Json(*r.optText(3)) : Json()},
                   {"ministry", r.optText(4) ? Json(*r.optText(4)) : Json()}});
  }
  return out;
}

// ------------------------------------------------------------------------------ requests

ApiResult<Principal> Hub::authenticate(std::string_view bearerToken) {
  const ApiError bad{ApiError::Kind::kUnauthenticated, "bad-token",
                     "missing, unknown, expired or revoked API token", nullptr};
  if (!bearerToken.starts_with("mamori_") || bearerToken.size() != 7 + 64) return bad;
  auto rows = db_->query(
      "SELECT u.id, u.org_id, o.type, o.ministry_id, u.role, u.clearance, t.expires_at, t.revoked "
      "FROM tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.org_id "
      "WHERE t.token_hash = ?",
      std::array{SqlValue(toHex(sha256(bearerToken)))});
  if (!rows) return unavailable(rows.error());
  if (rows->empty()) return bad;
  const auto r = (*rows)[0];
  if (r.int64(7) != 0) return bad;
  if (auto exp = r.optInt64(6); exp && *exp <= nowMicros()) return bad;
  Principal p;
  p.userId = r.text(0);
  p.orgId = r.text(1);
  const auto type = parseOrgType(r.text(2));
  const auto role = parseRole(r.text(4));
  if (!type || !role) return bad;
  p.orgType = *type;
  p.overseeingMinistryId = r.text(3);
  p.role = *role;
  p.clearance = static_cast<int>(r.int64(5));
  return p;
}

ApiResult<Json> Hub::me(const Principal& p) {
  auto rows = db_->query(
      "SELECT u.name, o.name, o.type FROM users u JOIN organisations o ON o.id = u.org_id "
      "WHERE u.id = ?",
      std::array{SqlValue(p.userId)});
  if (!rows) return unavailable(rows.error());
  if (rows->empty()) return notFound("user", p.userId);
  const auto r = (*rows)[0];
  return Json{{"user", {{"id", p.userId}, {"name", r.text(0)}, {"role", std::string(roleName(p.role))},
                        {"clearance", p.clearance}}},
              {"organisation", {{"id", p.orgId}, {"name", r.text(1)}, {"type", r.text(2)}}}};
}

namespace {

// Where an event goes: the organisation owning one of its targets (address prefix or domain).
class Router {
 public:
  static Result<Router> load(Connection& c) {
    Router r;
    PrefixSetBuilder prefixes;
    auto rows = c.query("SELECT org_id, prefix FROM org_prefixes ORDER BY org_id, prefix");
    if (!rows) return rows.error();
    for (const auto& row : *rows) {
      auto p = IpPrefix::parse(row.text(1));
      if (!p) continue;
      prefixes.add(*p, r.tag(row.text(0)));
    }
    r.prefixes_ = prefixes.build();
    auto doms = c.query("SELECT org_id, domain FROM org_domains ORDER BY org_id, domain");
    if (!doms) return doms.error();
    for (const auto& row : *doms) (void)r.domains_.add(row.text(1), r.tag(row.text(0)));
    return r;
  }

  // The first target that belongs to an organisation decides; empty when none does.
  std::string route(const std::vector<std::string>& targets) const {
    for (const auto& t : targets) {
      std::string host = t;
      if (auto colon = host.rfind(':'); colon != std::string::npos &&
                                        host.find(':') == colon) {
        host.resize(colon);  // "name:port" / "1.2.3.4:port" (IPv6 literals have several colons)
      }
      if (auto ip = IpAddress::parse(host)) {
        const auto tags = prefixes_.lookup(*ip);
        if (!tags.empty()) return orgs_[tags.front()];
        continue;
      }
      std::optional<uint32_t> found;
      domains_.forEachMatch(host, [&](uint32_t tag) {
        if (!found) found = tag;
      });
      if (found) return orgs_[*found];
    }
    return {};
  }

 private:
  uint32_t tag(const std::string& org) {
    for (uint32_t i = 0; i < orgs_.size(); ++i) {
      if (orgs_[i] == org) return i;
    }
    orgs_.push_back(org);
    return static_cast<uint32_t>(orgs_.size() - 1);
  }
  std::vector<std::string> orgs_;
  PrefixSet prefixes_;
  DomainSuffixSet domains_;
};

// The routing keys of a record: detect events name their targets; selection records their
// names (SNI, Host, DNS queries) and clear (foreign) endpoint addresses.
std::vector<std::string> targetsOf(const Json& rec) {
  std::vector<std::string> out;
  auto addString = [&](const Json& j) {
    if (j.is_string()) out.push_back(j.get<std::string>());
  };
  if (rec.contains("targets") && rec["targets"].is_array()) {
    for (const auto& t : rec["targets"]) addString(t);
  }
  if (rec.contains("tls") && rec["tls"].is_object() && rec["tls"].contains("sni")) {
    addString(rec["tls"]["sni"]);
  }
  if (rec.contains("http") && rec["http"].is_object() && rec["http"].contains("host")) {
    addString(rec["http"]["host"]);
  }
  if (rec.contains("dns") && rec["dns"].is_object() && rec["dns"].contains("queries") &&
      rec["dns"]["queries"].is_array()) {
    for (const auto& q : rec["dns"]["queries"]) {
      if (q.is_object() && q.contains("name")) addString(q["name"]);
    }
  }
  for (const char* side : {"dst", "src"}) {
    const std::string flag = std::string(side) + "_domestic";
    if (rec.contains(side) && !(rec.contains(flag) && rec[flag].is_boolean() && rec[flag].get<bool>())) {
      addString(rec[side]);  // pseudonymized (domestic) addresses cannot be routed by prefix
    }
  }
  return out;
}

struct ParsedEvent {  // NOLINT(bugprone-exception-escape): only allocation can throw
  std::string id;
  std::string kind;  // "detect" or "select"
  std::string category;
  std::string severity;
  int64_t firstSeen = 0;
  Json body;
};

// One NDJSON line: an object with a valid "id", and the shape of a detect event (category,
// pattern) or of a selection record (order, proto).
std::optional<ApiError> parseEventLine(std::string_view line, std::size_t lineNo,
                                       std::size_t maxBytes, ParsedEvent& out) {
  auto fail = [&](std::string code, std::string why) {
    return invalid(std::move(code), fmt::format("line {}: {}", lineNo, why), Json{{"line", lineNo}});
  };
  if (line.size() > maxBytes) return fail("record-too-large", fmt::format("longer than {} bytes", maxBytes));
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded()) return fail("invalid-json", "not valid JSON");
  if (!j.is_object()) return fail("invalid-record", "not a JSON object");
  if (!j.contains("id") || !j["id"].is_string() || !validRecordId(j["id"].get<std::string>())) {
    return fail("invalid-record", "\"id\" must be a string of 1-128 letters, digits, '-', '_', '.'");
  }
  out.id = j["id"].get<std::string>();
  if (j.contains("category") && j.contains("pattern")) {
    out.kind = "detect";
    if (!j["category"].is_string() || !j["pattern"].is_string()) {
      return fail("invalid-record", "\"category\" and \"pattern\" must be strings");
    }
    out.category = j["category"].get<std::string>();
    out.severity = j.contains("severity") && j["severity"].is_string() ? j["severity"].get<std::string>() : "";
    out.firstSeen = timeField(j, "first_seen");
  } else if (j.contains("order") && j.contains("proto")) {
    out.kind = "select";
    out.category = "selected-flow";
    out.firstSeen = timeField(j, "first");
  } else {
    return fail("invalid-record",
                "neither a detect event (category, pattern) nor a selection record (order, proto)");
  }
  out.body = std::move(j);
  return std::nullopt;
}

ObjectLabel eventLabel(std::string_view ownerOrg, std::string_view targetOrg, std::string_view tlp,
                       int sensitivity, std::string_view state) {
  ObjectLabel l;
  l.kind = ObjectKind::kEvent;
  l.ownerOrgId = ownerOrg;
  l.subjectOrgId = targetOrg;
  l.tlp = parseTlp(tlp).value_or(Tlp::kRed);
  l.sensitivity = sensitivity;
  l.released = state == "notified" || state == "closed";
  return l;
}

}  // namespace

ApiResult<Json> Hub::ingestEvents(const Principal& p, std::string_view ndjson) {
  // Events are the centre's working copies until notified: owner = the ingesting organisation.
  ObjectLabel createLabel = eventLabel(p.orgId, "", "AMBER", 1, "new");
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  if (const Decision d = authorize(p, Action::kCreate, createLabel, *dir); !d) {
    (void)audit(*c, auditEntry(p, "create", "event", "batch", d));
    return forbidden(d);
  }
  std::vector<ParsedEvent> events;
  std::size_t lineNo = 0;
  while (!ndjson.empty()) {
    const std::size_t nl = ndjson.find('\n');
    std::string_view line = ndjson.substr(0, nl);
    ndjson.remove_prefix(nl == std::string_view::npos ? ndjson.size() : nl + 1);
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (events.size() == options_.maxEventsPerBatch) {
      return ApiError{ApiError::Kind::kTooLarge, "batch-too-large",
                      fmt::format("at most {} records per request", options_.maxEventsPerBatch),
                      nullptr};
    }
    ParsedEvent e;
    if (auto err = parseEventLine(line, lineNo, options_.maxEventBytes, e)) return *err;
    events.push_back(std::move(e));
  }
  auto router = Router::load(*c);
  if (!router) return unavailable(router.error());
  const int64_t now = nowMicros();
  std::vector<SqlValue> params;
  params.reserve(events.size() * 10);
  for (const auto& e : events) {
    const std::string target = router->route(targetsOf(e.body));
    params.insert(params.end(),
                  {SqlValue(e.id), SqlValue(e.kind), SqlValue(e.category),
                   e.severity.empty() ? SqlValue() : SqlValue(e.severity),
                   target.empty() ? SqlValue() : SqlValue(target), SqlValue("new"),
                   e.firstSeen != 0 ? SqlValue(e.firstSeen) : SqlValue(), SqlValue(now),
                   SqlValue(p.orgId), SqlValue(e.body.dump())});
  }
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    auto n = tx.executeBatch(
        "INSERT INTO events (id, kind, category, severity, target_org_id, state, first_seen, "
        "received_at, owner_org_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO NOTHING",
        params, 10);
    if (!n) return n;
    Json entry = auditEntry(p, "create", "event", "batch", Decision{true, reason::kOwner});
    entry["records"] = events.size();
    entry["stored"] = *n;
    if (auto a = audit(tx, entry); !a) return a.error();
    return n;
  });
  if (!r) return unavailable(r.error());
  (void)state_->drain(*db_);
  return Json{{"received", events.size()},
              {"accepted", *r},
              {"duplicates", static_cast<int64_t>(events.size()) - *r}};
}

namespace {

Json eventJson(const Rows::Row& r) {
  Json body = Json::parse(r.text(10), nullptr, false);
  return Json{{"id", r.text(0)},
              {"kind", r.text(1)},
              {"category", r.text(2)},
              {"severity", r.optText(3) ? Json(*r.optText(3)) : Json()},
              {"target_organisation", r.optText(4) ? Json(*r.optText(4)) : Json()},
              {"state", r.text(5)},
              {"first_seen", r.optInt64(6) ? Json(formatRfc3339(*r.optInt64(6))) : Json()},
              {"received_at", formatRfc3339(r.int64(7))},
              {"tlp", r.text(8)},
              {"sensitivity", r.int64(9)},
              {"record", body.is_discarded() ? Json() : body}};
}

constexpr std::string_view kEventColumns =
    "id, kind, category, severity, target_org_id, state, first_seen, received_at, tlp, "
    "sensitivity, body, owner_org_id";

ObjectLabel labelOfRow(const Rows::Row& r) {
  return eventLabel(r.text(11), r.optText(4).value_or(""), r.text(8), static_cast<int>(r.int64(9)),
                    r.text(5));
}

}  // namespace

ApiResult<Json> Hub::listEvents(const Principal& p, const EventQuery& q) {
  if (q.limit == 0 || q.limit > options_.maxListLimit) {
    return invalid("invalid-limit", fmt::format("limit: 1 to {}", options_.maxListLimit));
  }
  if (!q.state.empty() &&
      std::find(kEventStates.begin(), kEventStates.end(), q.state) == kEventStates.end()) {
    return invalid("invalid-state", fmt::format("state '{}': not an event state", q.state));
  }
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  // Pre-filter in SQL what authorize() would refuse anyway (docs/sharing.md): outside the centre,
  // only one's own released events; never above one's clearance. authorize() still decides each.
  std::string sql = fmt::format("SELECT {} FROM events WHERE sensitivity <= ?", kEventColumns);
  std::vector<SqlValue> params{SqlValue(p.clearance)};
  if (p.orgType != OrgType::kCentre) {
    sql += " AND target_org_id = ? AND state IN ('notified', 'closed')";
    params.emplace_back(p.orgId);
  }
  if (!q.state.empty()) {
    sql += " AND state = ?";
    params.emplace_back(q.state);
  }
  if (!q.category.empty()) {
    sql += " AND category = ?";
    params.emplace_back(q.category);
  }
  if (!q.organisation.empty()) {
    sql += " AND target_org_id = ?";
    params.emplace_back(q.organisation);
  }
  if (q.sinceMicros > 0) {
    sql += " AND received_at >= ?";
    params.emplace_back(q.sinceMicros);
  }
  if (!q.cursor.empty()) {
    // "received_at:id" of the last item of the previous page.
    const auto colon = q.cursor.find(':');
    int64_t at = 0;
    if (colon == std::string::npos ||
        std::from_chars(q.cursor.data(), q.cursor.data() + colon, at).ec != std::errc()) {
      return invalid("invalid-cursor", "cursor: use next_cursor from the previous page");
    }
    sql += " AND (received_at < ? OR (received_at = ? AND id < ?))";
    params.emplace_back(at);
    params.emplace_back(at);
    params.emplace_back(q.cursor.substr(colon + 1));
  }
  sql += fmt::format(" ORDER BY received_at DESC, id DESC LIMIT {}", q.limit);
  auto rows = c->query(sql, params);
  if (!rows) return unavailable(rows.error());
  Json items = Json::array();
  Json ids = Json::array();
  std::string last;
  for (const auto& r : *rows) {
    last = fmt::format("{}:{}", r.int64(7), r.text(0));
    if (!authorize(p, Action::kRead, labelOfRow(r), *dir)) continue;
    items.push_back(eventJson(r));
    ids.push_back(r.text(0));
  }
  Json entry = auditEntry(p, "read", "event", "list", Decision{true, reason::kOwner});
  entry["ids"] = ids;
  if (auto a = audit(*c, entry); !a) return unavailable(a.error());
  (void)state_->drain(*db_);
  Json out{{"items", items}};
  out["next_cursor"] = rows->size() == q.limit ? Json(last) : Json();
  return out;
}

ApiResult<Json> Hub::getEvent(const Principal& p, std::string_view id) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  auto rows = c->query(fmt::format("SELECT {} FROM events WHERE id = ?", kEventColumns), id);
  if (!rows) return unavailable(rows.error());
  if (rows->empty()) return notFound("event", id);
  const auto r = (*rows)[0];
  const Decision d = authorize(p, Action::kRead, labelOfRow(r), *dir);
  if (auto a = audit(*c, auditEntry(p, "read", "event", id, d)); !a) return unavailable(a.error());
  (void)state_->drain(*db_);
  // Refused and absent look the same from outside: an event's existence is itself information.
  if (!d) return notFound("event", id);
  Json out = eventJson(r);
  auto history = c->query(
      "SELECT from_state, to_state, user_id, at, reason FROM event_transitions WHERE event_id = ? "
      "ORDER BY seq",
      id);
  if (!history) return unavailable(history.error());
  out["history"] = Json::array();
  for (const auto& h : *history) {
    out["history"].push_back({{"from", h.text(0)}, {"to", h.text(1)}, {"user", h.text(2)},
                              {"at", formatRfc3339(h.int64(3))}, {"reason", h.text(4)}});
  }
  return out;
}

ApiResult<Json> Hub::transitionEvent(const Principal& p, std::string_view id, const Json& body) {
  if (!body.is_object() || !body.contains("to") || !body["to"].is_string()) {
    return invalid("invalid-field", "\"to\": required, a state name", Json{{"field", "to"}});
  }
  for (const auto& [k, v] : body.items()) {
    if (k != "to" && k != "reason") {
      return invalid("unknown-field", fmt::format("unknown field \"{}\"", k), Json{{"field", k}});
    }
  }
  if (body.contains("reason") && (!body["reason"].is_string() || body["reason"].get<std::string>().size() > 2000)) {
    return invalid("invalid-field", "\"reason\": a string of at most 2000 characters",
                   Json{{"field", "reason"}});
  }
  const std::string to = body["to"].get<std::string>();
  const std::string why = body.value("reason", "");
  if (std::find(kEventStates.begin(), kEventStates.end(), to) == kEventStates.end()) {
    return invalid("invalid-state", fmt::format("\"to\": '{}' is not an event state", to),
                   Json{{"field", "to"}});
  }
  if ((to == "noise" || to == "closed") && why.empty()) {
    return invalid("reason-required", fmt::format("\"reason\": required to move an event to {}", to),
                   Json{{"field", "reason"}});
  }
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  std::optional<ApiError> refused;
  auto r = c->transaction([&](Connection& tx) -> Result<Json> {
    refused.reset();
    auto rows = tx.query(fmt::format("SELECT {} FROM events WHERE id = ?", kEventColumns), id);
    if (!rows) return rows.error();
    if (rows->empty()) {
      refused = notFound("event", id);
      return Json();
    }
    const auto row = (*rows)[0];
    const Decision d = authorize(p, Action::kTriage, labelOfRow(row), *dir);
    Json entry = auditEntry(p, "triage", "event", id, d);
    entry["to"] = to;
    if (auto a = audit(tx, entry); !a) return a.error();
    if (!d) {
      refused = forbidden(d);
      return Json();
    }
    const std::string from = row.text(5);
    if (!transitionAllowed(from, to)) {
      refused = ApiError{ApiError::Kind::kConflict, "illegal-transition",
                         fmt::format("an event in state '{}' cannot move to '{}'", from, to),
                         Json{{"from", from}, {"to", to}}};
      return Json();
    }
    if (to == "notified" && row.isNull(4)) {
      refused = ApiError{ApiError::Kind::kConflict, "no-target-organisation",
                         "the event was not routed to an organisation: nobody to notify", nullptr};
      return Json();
    }
    const int64_t now = nowMicros();
    auto seq = tx.query("SELECT COUNT(*) FROM event_transitions WHERE event_id = ?", id);
    if (!seq) return seq.error();
    if (auto u = tx.execute("UPDATE events SET state = ? WHERE id = ? AND state = ?", to, id, from);
        !u) {
      return u.error();
    }
    if (auto t = tx.execute(
            "INSERT INTO event_transitions (event_id, seq, from_state, to_state, user_id, at, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            id, (*seq)[0].int64(0), from, to, p.userId, now, why);
        !t) {
      return t.error();
    }
    if (to == "notified") {
      Json note{{"event", id},
                {"category", row.text(2)},
                {"severity", row.optText(3) ? Json(*row.optText(3)) : Json()},
                {"message", why}};
      if (auto n = tx.execute(
              "INSERT INTO notifications (id, org_id, event_id, created_at, tlp, sensitivity, body) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              newId("ntf_"), row.text(4), id, now, row.text(8), row.int64(9), note.dump());
          !n) {
        return n.error();
      }
    }
    return Json{{"id", id}, {"from", from}, {"to", to}, {"at", formatRfc3339(now)}};
  });
  if (!r) return unavailable(r.error());
  (void)state_->drain(*db_);
  if (refused) return *refused;
  return std::move(*r);
}

ApiResult<Json> Hub::listNotifications(const Principal& p) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  auto rows = c->query(
      "SELECT id, event_id, created_at, tlp, sensitivity, body FROM notifications "
      "WHERE org_id = ? AND sensitivity <= ? ORDER BY created_at DESC, id DESC LIMIT 500",
      p.orgId, p.clearance);
  if (!rows) return unavailable(rows.error());
  Json items = Json::array();
  Json ids = Json::array();
  for (const auto& r : *rows) {
    ObjectLabel l;
    l.kind = ObjectKind::kNotification;
    l.ownerOrgId = "";
    l.subjectOrgId = p.orgId;
    l.tlp = parseTlp(r.text(3)).value_or(Tlp::kRed);
    l.sensitivity = static_cast<int>(r.int64(4));
    l.released = true;
    if (!authorize(p, Action::kRead, l, *dir)) continue;
    Json body = Json::parse(r.text(5), nullptr, false);
    items.push_back({{"id", r.text(0)}, {"event", r.text(1)}, {"created_at", formatRfc3339(r.int64(2))},
                     {"tlp", r.text(3)}, {"content", body.is_discarded() ? Json() : body}});
    ids.push_back(r.text(0));
  }
  Json entry = auditEntry(p, "read", "notification", "list", Decision{true, reason::kSubject});
  entry["ids"] = ids;
  if (auto a = audit(*c, entry); !a) return unavailable(a.error());
  (void)state_->drain(*db_);
  return Json{{"items", items}};
}

}  // namespace mamori::hub
