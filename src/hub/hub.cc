#include "mamori/hub/hub.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "hub_internal.h"
#include "hub_queries.h"
#include "mamori/core/crypto.h"
#include "mamori/core/domain_set.h"
#include "mamori/core/ip_address.h"
#include "mamori/core/ledger.h"
#include "mamori/core/prefix_set.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"
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
      {{"new", "in-review"},
       {"in-review", "confirmed"},
       {"confirmed", "notified"},
       {"notified", "closed"}}};
  return std::find(kForward.begin(), kForward.end(), std::pair{from, to}) != kForward.end();
}

bool validRecordId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

Result<std::size_t> Hub::State::drainBatch(Database& db) {
  auto rows = db.query("SELECT id, entry FROM audit_outbox ORDER BY at, id LIMIT ?",
                       std::array{SqlValue(static_cast<int64_t>(kDrainBatch))});
  if (!rows) return rows.error();
  if (rows->empty()) return std::size_t{0};
  std::vector<SqlValue> alreadyIn;  // ids in the ledger's last batch: delete, do not append
  std::vector<SqlValue> fresh;
  std::vector<Json> entries;
  for (const auto& r : *rows) {
    std::string id = r.text(0);
    if (lastBatchIds_.contains(id)) {
      alreadyIn.emplace_back(std::move(id));
      continue;
    }
    Json entry = Json::parse(r.text(1), nullptr, false);
    if (entry.is_discarded() || !entry.is_object()) entry = Json{{"type", "audit-unreadable"}};
    entry.erase("seq");  // the ledger's own fields; audit() never sets them
    entry.erase("time");
    entry["audit_id"] = id;
    entries.push_back(std::move(entry));
    fresh.emplace_back(std::move(id));
  }
  constexpr std::string_view kDelete = "DELETE FROM audit_outbox WHERE id = ?";
  auto c = db.acquire();
  if (!c) return c.error();
  if (!alreadyIn.empty()) {
    auto writer = sqliteWriter(db.backend());
    if (auto d = c->executeBatch(kDelete, alreadyIn, 1); !d) return d.error();
  }
  if (entries.empty()) return rows->size();
  if (auto a = ledger->appendBatch(std::move(entries)); !a) return a.error();
  lastBatchIds_.clear();
  for (const SqlValue& id : fresh) lastBatchIds_.insert(id.text());
  // A failure here leaves the rows in the outbox, and their ids in lastBatchIds_: the next drain
  // deletes them before it appends anything.
  auto writer = sqliteWriter(db.backend());
  if (auto d = c->executeBatch(kDelete, fresh, 1); !d) return d.error();
  return rows->size();
}

Result<void> Hub::State::drain(Database& db) {
  if (!ledger) return {};
  std::lock_guard lock(drainMutex_);
  for (;;) {
    auto n = drainBatch(db);
    if (!n) return n.error();
    if (*n < kDrainBatch) return {};
  }
}

void Hub::State::rememberLastBatch() {
  std::lock_guard lock(drainMutex_);
  lastBatchIds_.clear();
  if (!ledger) return;
  for (const Json& e : ledger->lastBatch()) {
    const auto id = e.find("audit_id");
    if (id != e.end() && id->is_string()) lastBatchIds_.insert(id->get<std::string>());
  }
}

Result<void> Hub::State::commitAudit(Connection& c, const Json& entry) {
  if (c.inTransaction()) return internal::audit(c, entry);
  PendingAudit mine;
  mine.id = internal::newId("aud_");
  mine.at = nowMicros();
  mine.entry = entry.dump();
  std::unique_lock lock(auditMutex_);
  auditQueue_.push_back(&mine);
  while (!mine.done) {
    if (auditLeader_) {
      auditDone_.wait(lock);
      continue;
    }
    // Lead one group: everything queued so far, this entry included.
    auditLeader_ = true;
    std::vector<PendingAudit*> group;
    group.swap(auditQueue_);
    lock.unlock();
    std::vector<SqlValue> values;
    values.reserve(group.size() * 3);
    for (PendingAudit* a : group) {
      values.emplace_back(a->id);
      values.emplace_back(a->at);
      values.emplace_back(std::move(a->entry));
    }
    Result<int64_t> r = [&] {
      auto writer = sqliteWriter(c.backend());
      return c.executeBatch("INSERT INTO audit_outbox (id, at, entry) VALUES (?, ?, ?)", values, 3);
    }();
    lock.lock();
    for (PendingAudit* a : group) {
      a->done = true;
      if (!r) a->error = r.error();
    }
    auditLeader_ = false;
    auditDone_.notify_all();
  }
  lock.unlock();
  if (mine.error) return *mine.error;
  notifyDrain();
  return {};
}

void Hub::State::notifyDrain() {
  {
    std::lock_guard lock(wakeMutex_);
    if (!running_ || wakeRequested_) return;
    wakeRequested_ = true;
  }
  wake_.notify_one();
}

void Hub::State::startDrainer(Database& db) {
  std::lock_guard lock(wakeMutex_);
  if (!ledger || running_) return;
  stopping_ = false;
  running_ = true;
  drainer_ = std::thread([this, &db] { drainerLoop(db); });
}

void Hub::State::stopDrainer() {
  {
    std::lock_guard lock(wakeMutex_);
    if (!running_) return;
    stopping_ = true;
    running_ = false;
  }
  wake_.notify_one();
  drainer_.join();
}

void Hub::State::drainerLoop(Database& db) {
  // Process-directed signals (SIGTERM to `mamori hub`) must reach the thread that waits for them,
  // not this one: block them all here.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::string lastError;
  for (;;) {
    {
      std::unique_lock lock(wakeMutex_);
      wake_.wait_for(lock, kDrainInterval, [this] { return wakeRequested_ || stopping_; });
      if (stopping_) return;
      wakeRequested_ = false;
    }
    // Entries committed while a batch is written wait for the next one: under load, batches grow
    // by themselves (group commit) without any added delay.
    auto d = drain(db);
    if (!d && d.error().message != lastError) {
      // The entries stay in the outbox (committed) and are retried every interval; say so once.
      lastError = d.error().message;
      fmt::print(stderr, "mamori hub: audit ledger drain failed (entries wait in the outbox): {}\n",
                 lastError);
    } else if (d) {
      lastError.clear();
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
ApiError invalidFields(std::string code, std::string_view what,
                       const std::vector<FieldError>& errors) {
  std::string first;
  if (!errors.empty()) {
    first = errors.front().field.empty() ? errors.front().problem
                                         : errors.front().field + ": " + errors.front().problem;
  }
  return invalid(std::move(code),
                 fmt::format("{} has {} problem{} (first: {})", what, errors.size(),
                             errors.size() == 1 ? "" : "s", first),
                 fieldErrorsJson(errors));
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

Result<void> auditBatch(Connection& c, const std::vector<Json>& entries) {
  if (entries.empty()) return {};
  std::vector<SqlValue> values;
  values.reserve(entries.size() * 3);
  const int64_t at = nowMicros();
  for (const Json& e : entries) {
    values.emplace_back(newId("aud_"));
    values.emplace_back(at);
    values.emplace_back(e.dump());
  }
  auto r = c.executeBatch("INSERT INTO audit_outbox (id, at, entry) VALUES (?, ?, ?)", values, 3);
  if (!r) return r.error();
  return {};
}

Json auditEntry(const Principal& p, std::string_view action, std::string_view kind,
                std::string_view object, const Decision& d) {
  return Json{{"type", "audit"}, {"user", p.userId}, {"org", p.orgId},       {"action", action},
              {"kind", kind},    {"object", object}, {"allowed", d.allowed}, {"reason", d.reason}};
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
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the bytes of a string
  const auto* bytes = reinterpret_cast<const uint8_t*>(pem.data());
  if (auto r = writeNewPrivateFile(state / "audit.pub", std::span(bytes, pem.size())); !r) {
    return r.error();
  }
  return key;
}

}  // namespace

namespace {

// The audit ledger in STATE/audit-ledger. A hub killed inside an append leaves an unsigned tail
// (up to one batch of entries); the entries of that tail are still in the outbox (rows leave the
// outbox only after their append completed), so the audited repair (core/ledger.h: quarantined,
// recorded as an entry) loses nothing and the drain appends them again. Anything a crash does not
// explain stays an error. A hub killed between an append and the outbox delete finds those rows'
// ids in the ledger's last batch at the next start and does not append them twice (Hub::State).
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
  if (!repaired)
    return Error{firstError + "; automatic repair refused: " + repaired.error().message};
  auto key = loadOrCreateAuditKey(state);
  if (!key) return key.error();
  return HandlingLedger::open(dir, std::move(*key));
}

}  // namespace

Hub::Hub(std::unique_ptr<Database> db, std::unique_ptr<State> state, HubOptions options)
    : db_(std::move(db)), state_(std::move(state)), options_(std::move(options)) {}
Hub::~Hub() {
  // Whatever the drainer has not moved yet goes into the ledger now; what cannot (a failing
  // database or ledger) stays in the outbox for the next start, so a failure here loses nothing
  // and must not escape a destructor.
  try {
    state_->stopDrainer();
    if (auto d = state_->drain(*db_); !d) {
      fmt::print(stderr, "mamori hub: audit entries left in the outbox at shutdown: {}\n",
                 d.error().message);
    }
  } catch (...) {  // NOLINT(bugprone-empty-catch): see above; nothing is lost
  }
}

Result<void> Hub::flushAudit() {
  return state_->drain(*db_);
}

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
    state->rememberLastBatch();
    if (auto d = state->drain(**db); !d) return d.error();
  }
  auto hub = std::unique_ptr<Hub>(new Hub(std::move(*db), std::move(state), std::move(options)));
  hub->state_->startDrainer(*hub->db_);
  return hub;
}

// ------------------------------------------------------------------------ administration

Result<std::string> Hub::createOrganisation(const NewOrganisation& org) {
  if (org.name.empty() || org.name.size() > 200)
    return Error{"organisation name: 1-200 characters"};
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
      std::transform(lower.begin(), lower.end(), lower.begin(), [](char ch) {
        return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch;
      });
      auto e = tx.execute("INSERT INTO org_domains (org_id, domain) VALUES (?, ?)", id, lower);
      if (!e) return e;
    }
    if (auto a = audit(tx, Json{{"type", "admin"},
                                {"action", "create-organisation"},
                                {"object", id},
                                {"name", org.name},
                                {"org_type", orgTypeName(org.type)}});
        !a) {
      return a.error();
    }
    return int64_t{1};
  });
  if (!r) return r.error();
  state_->notifyDrain();
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
    if (org == nullptr)
      return Error{fmt::format("organisation '{}': not found", user.organisation)};
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
    if (auto a = audit(tx, Json{{"type", "admin"},
                                {"action", "create-user"},
                                {"object", id},
                                {"org", org->id},
                                {"role", roleName(user.role)},
                                {"clearance", user.clearance}});
        !a) {
      return a.error();
    }
    return int64_t{1};
  });
  if (!r) return r.error();
  state_->notifyDrain();
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
        "INSERT INTO tokens (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, "
        "?)",
        tokenId, (*u)[0].text(0), hash, nowMicros(),
        expiresMicros > 0 ? SqlValue(expiresMicros) : SqlValue());
    if (!ins) return ins;
    if (auto a = audit(tx, Json{{"type", "admin"},
                                {"action", "create-token"},
                                {"object", tokenId},
                                {"user", (*u)[0].text(0)}});
        !a) {
      return a.error();
    }
    return int64_t{1};
  });
  if (!r) return r.error();
  state_->notifyDrain();
  return token;
}

Result<Json> Hub::listOrganisations() {
  auto rows = db_->query(
      "SELECT o.id, o.name, o.type, o.sector, m.name FROM organisations o "
      "LEFT JOIN organisations m ON m.id = o.ministry_id ORDER BY o.name");
  if (!rows) return rows.error();
  Json out = Json::array();
  for (const auto& r : *rows) {
    out.push_back({{"id", r.text(0)},
                   {"name", r.text(1)},
                   {"type", r.text(2)},
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
  return Json{{"user",
               {{"id", p.userId},
                {"name", r.text(0)},
                {"role", std::string(roleName(p.role))},
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
    // Tags are indices into prefixes_, in (org_id, prefix) order: the smallest tag containing an
    // address belongs to the first organisation (by id) owning a prefix that contains it.
    auto rows = c.query("SELECT org_id, prefix FROM org_prefixes ORDER BY org_id, prefix");
    if (!rows) return rows.error();
    for (const auto& row : *rows) {
      auto p = IpPrefix::parse(row.text(1));
      if (!p) continue;
      prefixes.add(*p, static_cast<uint32_t>(r.prefixes_.size()));
      r.prefixes_.push_back({*p, r.tag(row.text(0))});
    }
    r.prefixSet_ = prefixes.build();
    auto doms = c.query("SELECT org_id, domain FROM org_domains ORDER BY org_id, domain");
    if (!doms) return doms.error();
    for (const auto& row : *doms) (void)r.domains_.add(row.text(1), r.tag(row.text(0)));
    return r;
  }

  // The first target that belongs to an organisation decides; empty when none does. A target is
  // a name, an address or a CIDR prefix ("192.0.2.0/24": mamori dns names the registered prefix
  // that contains a client, never the client's address).
  std::string route(const std::vector<std::string>& targets) const {
    for (const auto& t : targets) {
      std::string host = t;
      if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(':') == colon) {
        host.resize(colon);  // "name:port" / "1.2.3.4:port" (IPv6 literals have several colons)
      }
      if (auto ip = IpAddress::parse(host)) {
        const auto tags = prefixSet_.lookup(*ip);
        if (!tags.empty()) return orgs_[prefixes_[tags.front()].org];
        continue;
      }
      if (host.find('/') != std::string::npos) {
        if (auto prefix = IpPrefix::parse(host)) {
          if (auto org = longestContaining(*prefix)) return orgs_[*org];
        }
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
  struct Owned {
    IpPrefix prefix;
    uint32_t org;  // index into orgs_
  };

  // The organisation owning the longest registered prefix that contains all of `target`: every
  // such prefix contains its first address and is no longer than it.
  std::optional<uint32_t> longestContaining(const IpPrefix& target) const {
    std::optional<uint32_t> best;
    int bestLength = -1;
    for (const uint32_t tag : prefixSet_.lookup(target.address)) {
      const Owned& o = prefixes_[tag];
      if (o.prefix.length <= target.length && o.prefix.length > bestLength) {
        best = o.org;
        bestLength = o.prefix.length;
      }
    }
    return best;
  }

  uint32_t tag(const std::string& org) {
    for (uint32_t i = 0; i < orgs_.size(); ++i) {
      if (orgs_[i] == org) return i;
    }
    orgs_.push_back(org);
    return static_cast<uint32_t>(orgs_.size() - 1);
  }
  std::vector<std::string> orgs_;
  std::vector<Owned> prefixes_;
  PrefixSet prefixSet_;
  DomainSuffixSet domains_;
};

// One NDJSON record read in a single SAX pass, without a DOM: the line must be one JSON object
// (nlohmann validates all of it), and what ingest needs is picked out as it goes by — the id, the
// fields that decide the kind, the times, and the routing keys: detect events name their
// `targets`; selection records their names (`tls.sni`, `http.host`, `dns.queries[].name`) and
// clear (foreign) endpoint addresses `dst`/`src` (not when `dst_domestic`/`src_domestic` is
// true: pseudonyms cannot be routed by prefix). A repeated key counts as its last occurrence, as
// in a parsed object. Building and freeing a DOM per record was most of the ingest cost
// (bench/RESULTS.md, Hub).
class RecordScanner {
 public:
  using string_t = Json::string_t;
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using binary_t = Json::binary_t;

  // Fields of the top-level object (the last occurrence of each key).
  struct Fields {
    std::optional<std::string> id;
    std::optional<std::string> category;
    std::optional<std::string> severity;
    std::optional<std::string> firstSeen;  // "first_seen" (detect events)
    std::optional<std::string> first;      // "first" (selection records)
    std::optional<std::string> dst;
    std::optional<std::string> src;
    std::vector<std::string> targets;
    std::optional<std::string> sni;
    std::optional<std::string> host;
    std::vector<std::string> dnsNames;
    bool hasCategory = false;
    bool hasPattern = false;
    bool patternIsString = false;
    bool hasOrder = false;
    bool hasProto = false;
    bool dstDomestic = false;
    bool srcDomestic = false;
  };

  bool object() const { return object_; }
  Fields& fields() { return f_; }

  // The routing keys in the order routing tries them.
  std::vector<std::string> routingKeys() {
    std::vector<std::string> out = std::move(f_.targets);
    if (f_.sni) out.push_back(std::move(*f_.sni));
    if (f_.host) out.push_back(std::move(*f_.host));
    for (std::string& n : f_.dnsNames) out.push_back(std::move(n));
    if (f_.dst && !f_.dstDomestic) out.push_back(std::move(*f_.dst));
    if (f_.src && !f_.srcDomestic) out.push_back(std::move(*f_.src));
    return out;
  }

  // --- nlohmann SAX interface ---
  // NOLINTBEGIN(readability-identifier-naming): nlohmann::json::sax_parse calls these names
  bool null() { return value(nullptr, nullptr); }
  bool boolean(bool v) { return value(nullptr, &v); }
  bool number_integer(number_integer_t /*v*/) { return value(nullptr, nullptr); }
  bool number_unsigned(number_unsigned_t /*v*/) { return value(nullptr, nullptr); }
  bool number_float(number_float_t /*v*/, const string_t& /*s*/) { return value(nullptr, nullptr); }
  bool binary(binary_t& /*v*/) { return value(nullptr, nullptr); }
  bool string(string_t& v) { return value(&v, nullptr); }

  bool start_object(std::size_t /*n*/) {
    if (stack_.empty()) {
      object_ = true;
      stack_.push_back({Role::kTop, Key::kOther});
      return true;
    }
    Role role = Role::kOther;
    const Frame& parent = stack_.back();
    if (parent.role == Role::kTop) {
      if (parent.key == Key::kTls) role = Role::kTls;
      if (parent.key == Key::kHttp) role = Role::kHttp;
      if (parent.key == Key::kDns) role = Role::kDns;
    } else if (parent.role == Role::kDnsQueries) {
      role = Role::kDnsQuery;
      queryName_.reset();
    }
    stack_.push_back({role, Key::kOther});
    return true;
  }
  bool end_object() {
    if (stack_.back().role == Role::kDnsQuery && queryName_) {
      pendingDnsNames_.push_back(std::move(*queryName_));
    }
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*n*/) {
    if (stack_.empty()) {
      stack_.push_back({Role::kOther, Key::kOther});  // not an object: refused by the caller
      return true;
    }
    Role role = Role::kOther;
    const Frame& parent = stack_.back();
    if (parent.role == Role::kTop && parent.key == Key::kTargets) role = Role::kTargets;
    if (parent.role == Role::kDns && parent.key == Key::kQueries) role = Role::kDnsQueries;
    stack_.push_back({role, Key::kOther});
    return true;
  }
  bool end_array() {
    const Role role = stack_.back().role;
    stack_.pop_back();
    if (role == Role::kDnsQueries) {
      f_.dnsNames = std::move(pendingDnsNames_);  // the last "queries" of the last "dns" wins
      pendingDnsNames_.clear();
    }
    return true;
  }
  bool key(string_t& k) {
    Frame& frame = stack_.back();
    frame.key = frame.role == Role::kOther ? Key::kOther : keyOf(k);
    // A repeated key replaces what its earlier occurrence set.
    if (frame.role == Role::kTop) {
      switch (frame.key) {
        case Key::kId:
          f_.id.reset();
          break;
        case Key::kCategory:
          f_.hasCategory = true;
          f_.category.reset();
          break;
        case Key::kPattern:
          f_.hasPattern = true;
          f_.patternIsString = false;
          break;
        case Key::kSeverity:
          f_.severity.reset();
          break;
        case Key::kFirstSeen:
          f_.firstSeen.reset();
          break;
        case Key::kFirst:
          f_.first.reset();
          break;
        case Key::kOrder:
          f_.hasOrder = true;
          break;
        case Key::kProto:
          f_.hasProto = true;
          break;
        case Key::kDst:
          f_.dst.reset();
          break;
        case Key::kSrc:
          f_.src.reset();
          break;
        case Key::kDstDomestic:
          f_.dstDomestic = false;
          break;
        case Key::kSrcDomestic:
          f_.srcDomestic = false;
          break;
        case Key::kTargets:
          f_.targets.clear();
          break;
        case Key::kTls:
          f_.sni.reset();
          break;
        case Key::kHttp:
          f_.host.reset();
          break;
        case Key::kDns:
          f_.dnsNames.clear();
          break;
        default:
          break;
      }
    } else if (frame.role == Role::kTls && frame.key == Key::kSni) {
      f_.sni.reset();
    } else if (frame.role == Role::kHttp && frame.key == Key::kHost) {
      f_.host.reset();
    } else if (frame.role == Role::kDns && frame.key == Key::kQueries) {
      f_.dnsNames.clear();
    } else if (frame.role == Role::kDnsQuery && frame.key == Key::kName) {
      queryName_.reset();
    }
    return true;
  }
  template <class Exception>
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/, const Exception& /*e*/) {
    return false;
  }
  // NOLINTEND(readability-identifier-naming)

 private:
  enum class Role : uint8_t { kTop, kTargets, kTls, kHttp, kDns, kDnsQueries, kDnsQuery, kOther };
  // The keys that matter somewhere, classified once per key (records have dozens of keys).
  enum class Key : uint8_t {
    kOther,
    kId,
    kCategory,
    kPattern,
    kSeverity,
    kFirstSeen,
    kFirst,
    kOrder,
    kProto,
    kDst,
    kSrc,
    kDstDomestic,
    kSrcDomestic,
    kTargets,
    kTls,
    kHttp,
    kDns,
    kSni,
    kHost,
    kQueries,
    kName,
  };
  static Key keyOf(std::string_view k) {
    using namespace std::string_view_literals;
    static constexpr std::array<std::pair<std::string_view, Key>, 20> kKeys = {{
        {"id"sv, Key::kId},
        {"category"sv, Key::kCategory},
        {"pattern"sv, Key::kPattern},
        {"severity"sv, Key::kSeverity},
        {"first_seen"sv, Key::kFirstSeen},
        {"first"sv, Key::kFirst},
        {"order"sv, Key::kOrder},
        {"proto"sv, Key::kProto},
        {"dst"sv, Key::kDst},
        {"src"sv, Key::kSrc},
        {"dst_domestic"sv, Key::kDstDomestic},
        {"src_domestic"sv, Key::kSrcDomestic},
        {"targets"sv, Key::kTargets},
        {"tls"sv, Key::kTls},
        {"http"sv, Key::kHttp},
        {"dns"sv, Key::kDns},
        {"sni"sv, Key::kSni},
        {"host"sv, Key::kHost},
        {"queries"sv, Key::kQueries},
        {"name"sv, Key::kName},
    }};
    for (const auto& [name, key] : kKeys) {
      if (name == k) return key;
    }
    return Key::kOther;
  }
  struct Frame {
    Role role;
    Key key;  // the current key, in objects
  };

  // A scalar value: `text` for strings, `flag` for booleans.
  bool value(const string_t* text, const bool* flag) {
    if (stack_.empty()) return true;  // a scalar line: not an object
    const Frame& frame = stack_.back();
    switch (frame.role) {
      case Role::kTop:
        if (text != nullptr) {
          switch (frame.key) {
            case Key::kId:
              f_.id = *text;
              break;
            case Key::kCategory:
              f_.category = *text;
              break;
            case Key::kPattern:
              f_.patternIsString = true;
              break;
            case Key::kSeverity:
              f_.severity = *text;
              break;
            case Key::kFirstSeen:
              f_.firstSeen = *text;
              break;
            case Key::kFirst:
              f_.first = *text;
              break;
            case Key::kDst:
              f_.dst = *text;
              break;
            case Key::kSrc:
              f_.src = *text;
              break;
            default:
              break;
          }
        } else if (flag != nullptr) {
          if (frame.key == Key::kDstDomestic) f_.dstDomestic = *flag;
          if (frame.key == Key::kSrcDomestic) f_.srcDomestic = *flag;
        }
        break;
      case Role::kTargets:
        if (text != nullptr) f_.targets.push_back(*text);
        break;
      case Role::kTls:
        if (text != nullptr && frame.key == Key::kSni) f_.sni = *text;
        break;
      case Role::kHttp:
        if (text != nullptr && frame.key == Key::kHost) f_.host = *text;
        break;
      case Role::kDnsQuery:
        if (text != nullptr && frame.key == Key::kName) queryName_ = *text;
        break;
      default:
        break;
    }
    return true;
  }

  Fields f_;
  std::vector<Frame> stack_;
  std::optional<std::string> queryName_;
  std::vector<std::string> pendingDnsNames_;
  bool object_ = false;
};

struct ParsedEvent {  // NOLINT(bugprone-exception-escape): only allocation can throw
  std::string id;
  std::string kind;  // "detect" or "select"
  std::string category;
  std::string severity;
  int64_t firstSeen = 0;
  std::vector<std::string> routingKeys;
  std::string_view body;  // the record as sent (a view into the request body)
};

int64_t parseTime(const std::optional<std::string>& text) {
  if (!text) return 0;
  auto t = parseRfc3339(*text);
  return t ? *t : 0;
}

// One NDJSON line: an object with a valid "id", and the shape of a detect event (category,
// pattern) or of a selection record (order, proto). The record is stored as sent.
std::optional<ApiError> parseEventLine(std::string_view line, std::size_t lineNo,
                                       std::size_t maxBytes, ParsedEvent& out) {
  auto fail = [&](std::string code, std::string why) {
    return invalid(std::move(code), fmt::format("line {}: {}", lineNo, why),
                   Json{{"line", lineNo}});
  };
  if (line.size() > maxBytes)
    return fail("record-too-large", fmt::format("longer than {} bytes", maxBytes));
  RecordScanner scan;
  if (!Json::sax_parse(line, &scan)) return fail("invalid-json", "not valid JSON");
  if (!scan.object()) return fail("invalid-record", "not a JSON object");
  RecordScanner::Fields& f = scan.fields();
  if (!f.id || !validRecordId(*f.id)) {
    return fail("invalid-record",
                "\"id\" must be a string of 1-128 letters, digits, '-', '_', '.'");
  }
  out.id = std::move(*f.id);
  if (f.hasCategory && f.hasPattern) {
    out.kind = "detect";
    if (!f.category || !f.patternIsString) {
      return fail("invalid-record", "\"category\" and \"pattern\" must be strings");
    }
    out.category = std::move(*f.category);
    out.severity = f.severity.value_or("");
    out.firstSeen = parseTime(f.firstSeen);
  } else if (f.hasOrder && f.hasProto) {
    out.kind = "select";
    out.category = "selected-flow";
    out.firstSeen = parseTime(f.first);
  } else {
    return fail("invalid-record",
                "neither a detect event (category, pattern) nor a selection record (order, proto)");
  }
  out.routingKeys = scan.routingKeys();
  const auto first = line.find_first_not_of(" \t");
  const auto last = line.find_last_not_of(" \t");
  out.body = line.substr(first, last - first + 1);
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
    (void)state_->commitAudit(*c, auditEntry(p, "create", "event", "batch", d));
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
    const std::string target = router->route(e.routingKeys);
    params.insert(params.end(), {SqlValue(e.id), SqlValue(e.kind), SqlValue(e.category),
                                 e.severity.empty() ? SqlValue() : SqlValue(e.severity),
                                 target.empty() ? SqlValue() : SqlValue(target), SqlValue("new"),
                                 e.firstSeen != 0 ? SqlValue(e.firstSeen) : SqlValue(),
                                 SqlValue(now), SqlValue(p.orgId), SqlValue(e.body)});
  }
  auto writer = state_->sqliteWriter(db_->backend());
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
  writer = {};
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  return Json{{"received", events.size()},
              {"accepted", *r},
              {"duplicates", static_cast<int64_t>(events.size()) - *r}};
}

namespace {

// Appends `s` as a JSON string. Text from the database is valid UTF-8 (it was parsed as JSON or
// written by the hub), so only quotes, backslashes and controls need escaping; the rare strings
// holding them go through nlohmann's serializer.
void appendJsonString(std::string& out, std::string_view s) {
  const bool plain = std::none_of(s.begin(), s.end(), [](char ch) {
    return ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20;
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  out += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void appendTextColumn(std::string& out, const Rows::Row& r, std::size_t column) {
  if (r.isNull(column)) {
    out += "null";
  } else if (const std::string* t = r[column].textIf()) {
    appendJsonString(out, *t);
  } else {
    appendJsonString(out, r.text(column));
  }
}

// A stored record is spliced into responses as it is; the hub stores only lines that parsed as a
// JSON object, so a value that does not even look like one was damaged outside the hub.
bool looksLikeJsonObject(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  const auto last = s.find_last_not_of(" \t\r\n");
  return first != std::string_view::npos && s[first] == '{' && s[last] == '}';
}

// One event as the API shows it (docs/openapi.yaml, Event), written as JSON text with the stored
// record spliced in unparsed: a list page is mostly records, and parsing each into a DOM only to
// serialize it again cost more than the rest of the request (bench/hub, bench/RESULTS.md). Keys
// in the order a JSON DOM writes them (sorted), so both forms read the same.
// RFC 3339 texts of the times on one page: events of one ingest batch share their received_at,
// and formatting a time (gmtime_r takes glibc's time zone lock) was a measurable part of a page.
class TimeTexts {
 public:
  const std::string& operator()(int64_t micros) {
    Slot& slot = slots_[static_cast<std::size_t>(micros) % slots_.size()];
    if (!slot.valid || slot.micros != micros) slot = {micros, formatRfc3339(micros), true};
    return slot.text;
  }

 private:
  struct Slot {
    int64_t micros = 0;
    std::string text;
    bool valid = false;
  };
  std::array<Slot, 8> slots_{};
};

void appendEventJson(std::string& out, const Rows::Row& r, TimeTexts& times) {
  out += "{\"category\":";
  appendTextColumn(out, r, 2);
  out += ",\"first_seen\":";
  if (auto first = r.optInt64(6)) {
    appendJsonString(out, times(*first));
  } else {
    out += "null";
  }
  out += ",\"id\":";
  appendTextColumn(out, r, 0);
  out += ",\"kind\":";
  appendTextColumn(out, r, 1);
  out += ",\"received_at\":";
  appendJsonString(out, times(r.int64(7)));
  out += ",\"record\":";
  const std::string* body = r[10].textIf();
  if (body != nullptr && looksLikeJsonObject(*body)) {
    out += *body;
  } else {
    out += "null";
  }
  out += ",\"sensitivity\":";
  out += std::to_string(r.int64(9));
  out += ",\"severity\":";
  appendTextColumn(out, r, 3);
  out += ",\"state\":";
  appendTextColumn(out, r, 5);
  out += ",\"target_organisation\":";
  appendTextColumn(out, r, 4);
  out += ",\"tlp\":";
  appendTextColumn(out, r, 8);
  out += '}';
}

Json eventJson(const Rows::Row& r) {
  std::string text;
  TimeTexts times;
  appendEventJson(text, r, times);
  return Json::parse(text, nullptr, false);
}

constexpr std::string_view kEventColumns =
    "id, kind, category, severity, target_org_id, state, first_seen, received_at, tlp, "
    "sensitivity, body, owner_org_id";

// A text column without a copy ("" for NULL; the columns read here are TEXT on both backends).
std::string_view textView(const Rows::Row& r, std::size_t column) {
  const std::string* t = r[column].textIf();
  return t == nullptr ? std::string_view() : std::string_view(*t);
}

ObjectLabel labelOfRow(const Rows::Row& r) {
  return eventLabel(textView(r, 11), textView(r, 4), textView(r, 8), static_cast<int>(r.int64(9)),
                    textView(r, 5));
}

}  // namespace

ApiResult<JsonText> Hub::listEventsPage(const Principal& p, const EventQuery& q) {
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
  // Pre-filter in SQL what authorize() would refuse anyway (docs/sharing.md), with the same rule
  // as the dashboard's counts; authorize() still decides each row.
  std::string sql = fmt::format("SELECT {} FROM events WHERE 1 = 1", kEventColumns);
  std::vector<SqlValue> params;
  internal::appendEventAudience(p, sql, params);
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
  JsonText out;
  out.text.reserve(rows->size() * 1024);
  out.text = "{\"items\":[";
  Json ids = Json::array();
  TimeTexts times;
  for (const auto& r : *rows) {
    if (!authorize(p, Action::kRead, labelOfRow(r), *dir)) continue;
    if (!ids.empty()) out.text += ',';
    appendEventJson(out.text, r, times);
    ids.push_back(r.text(0));
  }
  Json entry = auditEntry(p, "read", "event", "list", Decision{true, reason::kOwner});
  entry["ids"] = std::move(ids);
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  out.text += "],\"next_cursor\":";
  if (rows->size() == q.limit) {
    const auto last = (*rows)[rows->size() - 1];
    appendJsonString(out.text, fmt::format("{}:{}", last.int64(7), last.text(0)));
  } else {
    out.text += "null";
  }
  out.text += '}';
  return out;
}

ApiResult<Json> Hub::listEvents(const Principal& p, const EventQuery& q) {
  auto page = listEventsPage(p, q);
  if (!page.ok()) return page.error();
  return Json::parse(page.value().text);
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
  if (auto a = state_->commitAudit(*c, auditEntry(p, "read", "event", id, d)); !a) {
    return unavailable(a.error());
  }
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
    out["history"].push_back({{"from", h.text(0)},
                              {"to", h.text(1)},
                              {"user", h.text(2)},
                              {"at", formatRfc3339(h.int64(3))},
                              {"reason", h.text(4)}});
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
  if (body.contains("reason") &&
      (!body["reason"].is_string() || body["reason"].get<std::string>().size() > 2000)) {
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
    return invalid("reason-required",
                   fmt::format("\"reason\": required to move an event to {}", to),
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
    if (auto t = tx.execute("INSERT INTO event_transitions (event_id, seq, from_state, to_state, "
                            "user_id, at, reason) "
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
      if (auto n = tx.execute("INSERT INTO notifications (id, org_id, event_id, created_at, tlp, "
                              "sensitivity, body) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)",
                              newId("ntf_"), row.text(4), id, now, row.text(8), row.int64(9),
                              note.dump());
          !n) {
        return n.error();
      }
    }
    return Json{{"id", id}, {"from", from}, {"to", to}, {"at", formatRfc3339(now)}};
  });
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
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
    items.push_back({{"id", r.text(0)},
                     {"event", r.text(1)},
                     {"created_at", formatRfc3339(r.int64(2))},
                     {"tlp", r.text(3)},
                     {"content", body.is_discarded() ? Json() : body}});
    ids.push_back(r.text(0));
  }
  Json entry = auditEntry(p, "read", "notification", "list", Decision{true, reason::kSubject});
  entry["ids"] = ids;
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  return Json{{"items", items}};
}

}  // namespace mamori::hub
