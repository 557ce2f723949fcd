// Console sessions: password login (Argon2id hashes from `mamori admin user add`), session
// cookies and their CSRF tokens, idle and absolute expiry, and throttling of password guessing.
//
// The database keeps only the SHA-256 of a session secret, as for API tokens: a copy of the
// database (a backup, a replica) does not hand out logged-in sessions. Logins, refused logins
// and logouts are audited like every other operation.
#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <mutex>

#include "hub_internal.h"
#include "mamori/core/crypto.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"

namespace mamori::hub {

using internal::audit;
using internal::newId;
using internal::unavailable;

namespace {

using Json = nlohmann::json;

// Sessions are touched in the database at most this often, so that a busy console does not turn
// every read into a write; idle expiry is therefore exact to within this much.
constexpr int64_t kTouchIntervalMicros = int64_t{60} * 1'000'000;

std::string randomHex32() {
  std::array<uint8_t, 32> bytes{};
  randomBytes(bytes);
  return toHex(bytes);
}

bool isHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A hash of a random password: verifying against it costs what verifying a real user's does, so
// the answer time does not tell whether a user name exists.
const std::string& decoyHash() {
  static const std::string hash = [] {
    const std::string password = randomHex32();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      return std::string();
    }
    return std::string(out.data());
  }();
  return hash;
}

bool passwordMatches(const std::string& hash, std::string_view password) {
  return !hash.empty() &&
         crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

ApiError badCredentials() {
  return {ApiError::Kind::kUnauthenticated, "bad-credentials", "unknown user or wrong password",
          nullptr};
}

Json sessionAudit(std::string_view action, std::string_view user, std::string_view outcome) {
  return Json{{"type", "session"}, {"action", action}, {"user", user}, {"outcome", outcome}};
}

// The columns a Principal is built from, after any columns of the caller's own (see below).
constexpr std::string_view kPrincipalColumns =
    "u.id, u.org_id, o.type, o.ministry_id, u.role, u.clearance";

std::optional<Principal> principalFrom(const Rows::Row& r, std::size_t first) {
  const auto type = parseOrgType(r.text(first + 2));
  const auto role = parseRole(r.text(first + 4));
  if (!type || !role) return std::nullopt;
  Principal p;
  p.userId = r.text(first);
  p.orgId = r.text(first + 1);
  p.orgType = *type;
  p.overseeingMinistryId = r.optText(first + 3).value_or("");
  p.role = *role;
  p.clearance = static_cast<int>(r.int64(first + 5));
  return p;
}

}  // namespace

ApiResult<Session> Hub::login(std::string_view userName, std::string_view password) {
  if (userName.empty() || userName.size() > 100 || password.empty() || password.size() > 1024) {
    return badCredentials();
  }
  const int64_t now = nowMicros();
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());

  auto throttle = c->query("SELECT failures, window_start FROM login_failures WHERE user_name = ?",
                           std::array{SqlValue(std::string(userName))});
  if (!throttle) return unavailable(throttle.error());
  if (!throttle->empty()) {
    const int64_t windowStart = (*throttle)[0].int64(1);
    if ((*throttle)[0].int64(0) >= options_.loginMaxFailures &&
        now < windowStart + options_.loginWindowMicros) {
      if (auto a = state_->commitAudit(*c, sessionAudit("login", userName, "throttled")); !a) {
        return unavailable(a.error());
      }
      state_->notifyDrain();
      const int64_t retry = (windowStart + options_.loginWindowMicros - now) / 1'000'000 + 1;
      return ApiError{ApiError::Kind::kTooManyRequests, "too-many-attempts",
                      fmt::format("too many failed logins for this user; try again in {} s", retry),
                      Json{{"retry_after_seconds", retry}}};
    }
  }

  auto rows = c->query(fmt::format("SELECT u.password_hash, u.name, {} FROM users u "
                                   "JOIN organisations o ON o.id = u.org_id WHERE u.name = ?",
                                   kPrincipalColumns),
                       std::array{SqlValue(std::string(userName))});
  if (!rows) return unavailable(rows.error());
  const std::optional<std::string> stored = rows->empty() ? std::nullopt : (*rows)[0].optText(0);
  // Verify against the decoy when there is nothing to verify against: same work, same time.
  const bool ok = passwordMatches(stored.value_or(decoyHash()), password) && stored.has_value();
  std::optional<Principal> principal = ok ? principalFrom((*rows)[0], 2) : std::nullopt;

  if (!principal) {
    auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
      // A new window starts when the old one is over; within it, failures add up.
      auto up = tx.execute(
          "INSERT INTO login_failures (user_name, failures, window_start) VALUES (?, 1, ?) "
          "ON CONFLICT (user_name) DO UPDATE SET "
          "failures = CASE WHEN login_failures.window_start + ? <= ? THEN 1 "
          "ELSE login_failures.failures + 1 END, "
          "window_start = CASE WHEN login_failures.window_start + ? <= ? THEN ? "
          "ELSE login_failures.window_start END",
          std::string(userName), now, options_.loginWindowMicros, now, options_.loginWindowMicros,
          now, now);
      if (!up) return up;
      if (auto a = audit(tx, sessionAudit("login", userName, "refused")); !a) return a.error();
      return int64_t{1};
    });
    if (!r) return unavailable(r.error());
    state_->notifyDrain();
    return badCredentials();
  }

  Session s;
  s.secret = randomHex32();
  s.csrfToken = randomHex32();
  s.principal = *principal;
  const int64_t absolute = now + options_.sessionMaxMicros;
  s.expiresMicros = std::min(absolute, now + options_.sessionIdleMicros);
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    auto del = tx.execute("DELETE FROM login_failures WHERE user_name = ?", std::string(userName));
    if (!del) return del;
    // Expired sessions are swept here rather than by a timer: logins are rare and cheap to extend.
    auto sweep = tx.execute("DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?", now,
                            now - options_.sessionIdleMicros);
    if (!sweep) return sweep;
    const std::string id = newId("ses_");
    auto ins = tx.execute(
        "INSERT INTO sessions (id, secret_hash, user_id, csrf_token, created_at, last_seen, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        id, toHex(sha256(s.secret)), s.principal.userId, s.csrfToken, now, now, absolute);
    if (!ins) return ins;
    Json entry = sessionAudit("login", userName, "allowed");
    entry["session"] = id;
    entry["org"] = s.principal.orgId;
    if (auto a = audit(tx, entry); !a) return a.error();
    return int64_t{1};
  });
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  return s;
}

ApiResult<Session> Hub::resumeSession(std::string_view secret) {
  const ApiError noSession{ApiError::Kind::kUnauthenticated, "no-session",
                           "not logged in (or the session was ended)", nullptr};
  if (!isHex64(secret)) return noSession;
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  const std::string hash = toHex(sha256(secret));
  auto rows = c->query(
      fmt::format("SELECT s.id, s.csrf_token, s.last_seen, s.expires_at, {} FROM sessions s "
                  "JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id "
                  "WHERE s.secret_hash = ?",
                  kPrincipalColumns),
      std::array{SqlValue(hash)});
  if (!rows) return unavailable(rows.error());
  if (rows->empty()) return noSession;
  const auto row = (*rows)[0];
  const int64_t now = nowMicros();
  const int64_t lastSeen = row.int64(2);
  const int64_t absolute = row.int64(3);
  if (now >= absolute || now >= lastSeen + options_.sessionIdleMicros) {
    auto del = c->execute("DELETE FROM sessions WHERE id = ?", row.text(0));
    if (!del) return unavailable(del.error());
    return ApiError{ApiError::Kind::kUnauthenticated, "session-expired",
                    "the session has expired; log in again", nullptr};
  }
  auto principal = principalFrom(row, 4);
  if (!principal) return noSession;
  if (now - lastSeen >= kTouchIntervalMicros) {
    auto touch = c->execute("UPDATE sessions SET last_seen = ? WHERE id = ?", now, row.text(0));
    if (!touch) return unavailable(touch.error());
  }
  Session s;
  s.csrfToken = row.text(1);
  s.principal = std::move(*principal);
  s.expiresMicros = std::min(absolute, std::max(now, lastSeen) + options_.sessionIdleMicros);
  return s;
}

ApiResult<bool> Hub::logout(std::string_view secret) {
  if (!isHex64(secret)) return false;
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    auto rows = tx.query("SELECT id, user_id FROM sessions WHERE secret_hash = ?",
                         std::array{SqlValue(toHex(sha256(secret)))});
    if (!rows) return rows.error();
    if (rows->empty()) return int64_t{0};
    auto del = tx.execute("DELETE FROM sessions WHERE id = ?", (*rows)[0].text(0));
    if (!del) return del;
    Json entry = sessionAudit("logout", (*rows)[0].text(1), "allowed");
    entry["session"] = (*rows)[0].text(0);
    if (auto a = audit(tx, entry); !a) return a.error();
    return int64_t{1};
  });
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  return *r == 1;
}

ApiResult<Json> Hub::sessionJson(const Session& s) {
  auto out = me(s.principal);
  if (!out.ok()) return out;
  out.value()["csrf_token"] = s.csrfToken;
  out.value()["expires_at"] = formatRfc3339(s.expiresMicros);
  return out;
}

}  // namespace mamori::hub
