// Backend-neutral half of the storage layer: values, rows, the pool, leases, transactions with
// retry, migrations and the SQL text helpers. Backends live in sqlite_session.cc and
// postgres_session.cc.
#include "mamori/hub/database.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <thread>

#include "database_session.h"

namespace mamori::hub {

std::string_view backendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgresql";
}

// --- SqlValue ----------------------------------------------------------------------------------

namespace {

int64_t saturatingInt64(double value) {
  if (std::isnan(value)) return 0;
  // 2^63 is exactly representable; anything at or above it saturates.
  constexpr double kLimit = 9223372036854775808.0;
  if (value >= kLimit) return std::numeric_limits<int64_t>::max();
  if (value < -kLimit) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

std::optional<int64_t> parseInt64(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parseDouble(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::string formatDouble(double value) {
  std::array<char, 32> buffer{};
  auto [ptr, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) return "0";
  return {buffer.data(), ptr};
}

}  // namespace

int64_t SqlValue::int64() const {
  return optInt64().value_or(0);
}
double SqlValue::real() const {
  return optReal().value_or(0.0);
}
std::string SqlValue::text() const {
  return optText().value_or(std::string());
}

std::optional<int64_t> SqlValue::optInt64() const {
  switch (type()) {
    case Type::kNull:
      return std::nullopt;
    case Type::kInt64:
      return std::get<int64_t>(value_);
    case Type::kDouble:
      return saturatingInt64(std::get<double>(value_));
    case Type::kText: {
      const std::string& text = std::get<std::string>(value_);
      if (auto integer = parseInt64(text)) return integer;
      if (auto number = parseDouble(text)) return saturatingInt64(*number);
      return 0;
    }
  }
  return std::nullopt;
}

std::optional<double> SqlValue::optReal() const {
  switch (type()) {
    case Type::kNull:
      return std::nullopt;
    case Type::kInt64:
      return static_cast<double>(std::get<int64_t>(value_));
    case Type::kDouble:
      return std::get<double>(value_);
    case Type::kText:
      return parseDouble(std::get<std::string>(value_)).value_or(0.0);
  }
  return std::nullopt;
}

std::optional<std::string> SqlValue::optText() const {
  switch (type()) {
    case Type::kNull:
      return std::nullopt;
    case Type::kInt64:
      return std::to_string(std::get<int64_t>(value_));
    case Type::kDouble:
      return formatDouble(std::get<double>(value_));
    case Type::kText:
      return std::get<std::string>(value_);
  }
  return std::nullopt;
}

// --- Rows --------------------------------------------------------------------------------------

Rows::Rows(std::vector<std::string> columns, std::vector<SqlValue> cells)
    : columns_(std::move(columns)), cells_(std::move(cells)) {}

std::optional<std::size_t> Rows::columnIndex(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return i;
  }
  return std::nullopt;
}

const SqlValue& Rows::Row::operator[](std::size_t column) const {
  static const SqlValue kNull;
  const std::size_t width = rows_->columns_.size();
  if (column >= width || index_ >= rows_->size()) return kNull;
  return rows_->cells_[index_ * width + column];
}

// --- Pool --------------------------------------------------------------------------------------

namespace detail {

Pool::Pool(SessionFactory factory, const DatabaseOptions& options)
    : factory_(std::move(factory)),
      maxSize_(std::max<std::size_t>(options.poolSize, 1)),
      acquireTimeout_(options.acquireTimeout),
      transactionRetries_(std::max(options.transactionRetries, 0)) {}

Pool::~Pool() = default;

Result<std::unique_ptr<Session>> Pool::take() {
  const auto deadline = std::chrono::steady_clock::now() + acquireTimeout_;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      std::unique_ptr<Session> session = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      // healthy() may reconnect; do it outside the lock.
      if (session->healthy()) return session;
      session.reset();
      lock.lock();
      --live_;
      continue;
    }
    if (live_ < maxSize_) {
      ++live_;
      lock.unlock();
      Result<std::unique_ptr<Session>> opened = factory_();
      if (!opened.ok()) {
        lock.lock();
        --live_;
        available_.notify_one();
      }
      return opened;
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        live_ >= maxSize_) {
      return makeError("no free database connection within " +
                       std::to_string(acquireTimeout_.count()) + " ms (pool of " +
                       std::to_string(maxSize_) + ")");
    }
  }
}

void Pool::give(std::unique_ptr<Session> session) {
  if (session == nullptr) return;
  if (session->inTransaction()) {
    DbErrorKind ignored = DbErrorKind::kNone;
    (void)session->executeSimple("ROLLBACK", ignored);
  }
  const bool keep = session->healthy() && !session->inTransaction();
  if (!keep) session.reset();
  {
    const std::lock_guard lock(mutex_);
    if (keep) {
      idle_.push_back(std::move(session));
    } else {
      --live_;
    }
  }
  available_.notify_one();
}

// --- SQL text helpers --------------------------------------------------------------------------

namespace {

// Scans `sql`, calling onCode(offset) for every character outside literals and comments.
// Returns false if a literal, quoted identifier or block comment is unterminated.
template <class OnCode>
bool scanSql(std::string_view sql, OnCode&& onCode) {
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // '' inside '...' (and "" inside "...") is an escaped quote: the scan simply re-enters.
      const std::size_t close = sql.find(c, i + 1);
      if (close == std::string_view::npos) return false;
      i = close + 1;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      const std::size_t eol = sql.find('\n', i + 2);
      i = eol == std::string_view::npos ? n : eol + 1;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const std::size_t close = sql.find("*/", i + 2);
      if (close == std::string_view::npos) return false;
      i = close + 2;
    } else {
      onCode(i);
      ++i;
    }
  }
  return true;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

bool forEachPlaceholder(std::string_view sql,
                        const std::function<void(std::size_t)>& onPlaceholder) {
  return scanSql(sql, [&](std::size_t i) {
    if (sql[i] == '?') onPlaceholder(i);
  });
}

std::string rewritePlaceholders(std::string_view sql, std::size_t& count) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t copied = 0;
  count = 0;
  (void)forEachPlaceholder(sql, [&](std::size_t at) {
    out.append(sql.substr(copied, at - copied));
    out += '$';
    out += std::to_string(++count);
    copied = at + 1;
  });
  out.append(sql.substr(copied));
  return out;
}

std::vector<std::string> splitStatements(std::string_view script) {
  std::vector<std::string> statements;
  std::size_t start = 0;
  std::vector<std::size_t> cuts;
  (void)scanSql(script, [&](std::size_t i) {
    if (script[i] == ';') cuts.push_back(i);
  });
  cuts.push_back(script.size());
  for (std::size_t cut : cuts) {
    const std::string_view statement = trim(script.substr(start, cut - start));
    start = cut + 1;
    // A piece holding only comments is not a statement.
    bool hasCode = false;
    (void)scanSql(statement, [&](std::size_t i) { hasCode = hasCode || !isSpace(statement[i]); });
    if (hasCode) statements.emplace_back(statement);
  }
  return statements;
}

bool hasSecondStatement(std::string_view tail) {
  bool code = false;
  const bool closed =
      scanSql(tail, [&](std::size_t i) { code = code || (!isSpace(tail[i]) && tail[i] != ';'); });
  return code || !closed;
}

std::string sqlForMessage(std::string_view sql) {
  constexpr std::size_t kMax = 120;
  std::string out;
  bool space = false;
  for (char c : trim(sql)) {
    if (isSpace(c)) {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string redactUrl(std::string_view url) {
  std::string out(url);
  // userinfo password: scheme://user:password@host
  const std::size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const std::size_t authorityStart = scheme + 3;
    const std::size_t authorityEnd = out.find_first_of("/?", authorityStart);
    const std::size_t at =
        out.rfind('@', authorityEnd == std::string::npos ? out.size() - 1 : authorityEnd - 1);
    if (at != std::string::npos && at >= authorityStart) {
      const std::size_t colon = out.find(':', authorityStart);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... in the query string
  for (std::size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&') continue;
    const std::size_t valueStart = pos + std::strlen("password=");
    const std::size_t valueEnd = out.find('&', valueStart);
    out.replace(valueStart, (valueEnd == std::string::npos ? out.size() : valueEnd) - valueStart,
                "***");
  }
  return out;
}

}  // namespace detail

// --- Connection --------------------------------------------------------------------------------

namespace {

Error usageError(std::string message) {
  return makeError(std::move(message));
}

// PostgreSQL text cannot hold NUL and SQLite would store it: reject it on both for parity.
std::optional<std::size_t> findNulParameter(std::span<const SqlValue> params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string* text = params[i].textIf();
    if (text != nullptr && text->find('\0') != std::string::npos) return i;
  }
  return std::nullopt;
}

void backoff(int attempt) {
  // 1, 2, 4 ... 32 ms, spread by thread so that retrying writers do not collide again.
  const auto spread = std::hash<std::thread::id>{}(std::this_thread::get_id()) % 1000;
  const auto base = std::chrono::microseconds(1000) * (1 << std::min(attempt, 5));
  std::this_thread::sleep_for(base + std::chrono::microseconds(spread));
}

}  // namespace

Connection::Connection(detail::Pool* pool, std::unique_ptr<detail::Session> session)
    : pool_(pool), session_(std::move(session)) {}

Connection::Connection(Connection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      session_(std::move(other.session_)),
      lastErrorKind_(other.lastErrorKind_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    session_ = std::move(other.session_);
    lastErrorKind_ = other.lastErrorKind_;
  }
  return *this;
}

Connection::~Connection() {
  release();
}

void Connection::release() {
  if (pool_ != nullptr && session_ != nullptr) pool_->give(std::move(session_));
  session_.reset();
  pool_ = nullptr;
}

Backend Connection::backend() const {
  return session_ != nullptr ? session_->backend() : Backend::kSqlite;
}

bool Connection::inTransaction() const {
  return session_ != nullptr && session_->inTransaction();
}

template <class T>
Result<T> Connection::track(Result<T> result) {
  if (result.ok()) lastErrorKind_ = DbErrorKind::kNone;
  return result;
}

Result<int64_t> Connection::execute(std::string_view sql, std::span<const SqlValue> params) {
  if (session_ == nullptr) return usageError("database connection used after it was released");
  if (auto bad = findNulParameter(params)) {
    lastErrorKind_ = DbErrorKind::kUsage;
    return usageError("parameter " + std::to_string(*bad + 1) + " holds a NUL character");
  }
  return track(session_->execute(sql, params, lastErrorKind_));
}

Result<Rows> Connection::query(std::string_view sql, std::span<const SqlValue> params) {
  if (session_ == nullptr) return usageError("database connection used after it was released");
  if (auto bad = findNulParameter(params)) {
    lastErrorKind_ = DbErrorKind::kUsage;
    return usageError("parameter " + std::to_string(*bad + 1) + " holds a NUL character");
  }
  return track(session_->query(sql, params, lastErrorKind_));
}

Result<int64_t> Connection::executeBatch(std::string_view sql, std::span<const SqlValue> params,
                                         std::size_t paramsPerRow) {
  if (session_ == nullptr) return usageError("database connection used after it was released");
  if (paramsPerRow == 0 || params.size() % paramsPerRow != 0) {
    lastErrorKind_ = DbErrorKind::kUsage;
    return usageError("batch of " + std::to_string(params.size()) +
                      " values is not a whole number of rows of " + std::to_string(paramsPerRow));
  }
  if (auto bad = findNulParameter(params)) {
    lastErrorKind_ = DbErrorKind::kUsage;
    return usageError("batch value " + std::to_string(*bad + 1) + " holds a NUL character");
  }
  if (params.empty()) return int64_t{0};
  if (session_->inTransaction()) {
    return track(session_->executeBatch(sql, params, paramsPerRow, lastErrorKind_));
  }
  return transaction([&](Connection& connection) -> Result<int64_t> {
    return connection.track(
        connection.session_->executeBatch(sql, params, paramsPerRow, connection.lastErrorKind_));
  });
}

Result<void> Connection::runTransaction(const std::function<Result<void>(Connection&)>& body,
                                        TransactionMode mode) {
  if (session_ == nullptr) return usageError("database connection used after it was released");
  if (session_->inTransaction()) return body(*this);  // joins the outer transaction

  const int retries = pool_ != nullptr ? pool_->transactionRetries() : 0;
  auto rollback = [this] {
    if (session_->inTransaction()) {
      DbErrorKind ignored = DbErrorKind::kNone;
      (void)session_->executeSimple("ROLLBACK", ignored);
    }
  };
  for (int attempt = 0;; ++attempt) {
    Result<void> began = session_->begin(mode, lastErrorKind_);
    if (!began.ok()) {
      rollback();
      if (lastErrorKind_ == DbErrorKind::kBusy && attempt < retries) {
        backoff(attempt);
        continue;
      }
      return began;
    }
    lastErrorKind_ = DbErrorKind::kNone;
    Result<void> outcome;
    try {
      outcome = body(*this);
    } catch (...) {
      rollback();
      throw;
    }
    if (outcome.ok()) {
      Result<void> committed = session_->executeSimple("COMMIT", lastErrorKind_);
      if (committed.ok()) {
        lastErrorKind_ = DbErrorKind::kNone;
        return {};
      }
      outcome = makeError("commit failed: " + committed.error().message);
    }
    const DbErrorKind failure = lastErrorKind_;
    rollback();
    lastErrorKind_ = failure;
    if (failure == DbErrorKind::kBusy && attempt < retries) {
      backoff(attempt);
      continue;
    }
    return outcome;
  }
}

// --- Database ----------------------------------------------------------------------------------

Database::Database(Backend backend, std::string displayUrl, std::unique_ptr<detail::Pool> pool)
    : backend_(backend), displayUrl_(std::move(displayUrl)), pool_(std::move(pool)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::open(std::string_view url,
                                                 const DatabaseOptions& options) {
  const std::string display = detail::redactUrl(url);
  DatabaseOptions effective = options;
  Backend backend = Backend::kSqlite;
  detail::SessionFactory factory;
  if (url.starts_with("sqlite:")) {
    std::string path(url.substr(std::strlen("sqlite:")));
    if (path.empty()) return makeError(display + ": the SQLite URL names no file (sqlite:PATH)");
    if (path == ":memory:") effective.poolSize = 1;
    factory = [path, effective, display] {
      return detail::openSqliteSession(path, effective, display);
    };
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    backend = Backend::kPostgres;
    std::string conninfo(url);
    factory = [conninfo, effective, display] {
      return detail::openPostgresSession(conninfo, effective, display);
    };
  } else {
    return makeError("unsupported database URL '" + display +
                     "': expected sqlite:PATH or postgresql://user@host:port/database");
  }
  auto pool = std::make_unique<detail::Pool>(std::move(factory), effective);
  // Open one connection now so that a wrong path or an unreachable server fails at start.
  Result<std::unique_ptr<detail::Session>> first = pool->take();
  if (!first.ok()) return first.error();
  pool->give(std::move(first).value());
  return std::unique_ptr<Database>(new Database(backend, display, std::move(pool)));
}

Result<Connection> Database::acquire() {
  Result<std::unique_ptr<detail::Session>> session = pool_->take();
  if (!session.ok()) return makeError(displayUrl_ + ": " + session.error().message);
  return Connection(pool_.get(), std::move(session).value());
}

Result<int64_t> Database::execute(std::string_view sql, std::span<const SqlValue> params) {
  Result<Connection> connection = acquire();
  if (!connection.ok()) return connection.error();
  return connection->execute(sql, params);
}

Result<Rows> Database::query(std::string_view sql, std::span<const SqlValue> params) {
  Result<Connection> connection = acquire();
  if (!connection.ok()) return connection.error();
  return connection->query(sql, params);
}

namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<int> Database::schemaVersion() {
  Result<Connection> connection = acquire();
  if (!connection.ok()) return connection.error();
  return connection->transaction([](Connection& c) -> Result<int> {
    Result<int64_t> created = c.execute(kCreateMigrationsTable);
    if (!created.ok()) return created.error();
    Result<Rows> rows = c.query("SELECT MAX(version) FROM schema_migrations");
    if (!rows.ok()) return rows.error();
    return static_cast<int>(rows->empty() ? 0 : (*rows)[0].int64(0));
  });
}

Result<int> Database::migrate(std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version <= 0 ||
        (i > 0 && migrations[i].version <= migrations[i - 1].version)) {
      return makeError("migration list is invalid: versions must be positive and increasing (at " +
                       std::to_string(migrations[i].version) + ")");
    }
  }
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  Result<Connection> connection = acquire();
  if (!connection.ok()) return connection.error();
  const std::string& where = displayUrl_;
  return connection->transaction([&](Connection& c) -> Result<int> {
    DbErrorKind kind = DbErrorKind::kNone;
    const std::string_view lockSql = c.session_->migrationLockSql();
    if (!lockSql.empty()) {
      Result<void> locked = c.session_->executeSimple(lockSql, kind);
      if (!locked.ok()) return makeError(where + ": migration lock: " + locked.error().message);
    }
    Result<void> created = c.session_->executeSimple(kCreateMigrationsTable, kind);
    if (!created.ok()) return makeError(where + ": schema_migrations: " + created.error().message);
    Result<Rows> applied = c.query("SELECT version, name FROM schema_migrations ORDER BY version");
    if (!applied.ok()) return makeError(where + ": schema_migrations: " + applied.error().message);

    std::map<int64_t, std::string> recorded;
    for (Rows::Row row : *applied) recorded.emplace(row.int64(0), row.text(1));
    for (const auto& entry : recorded) {
      const int64_t version = entry.first;
      const std::string& name = entry.second;
      if (version > latest) {
        return makeError(fmt::format(
            "{}: the database schema is at version {}, newer than this program (which knows up "
            "to {}); upgrade mamori",
            where, version, latest));
      }
      const auto known = std::find_if(migrations.begin(), migrations.end(),
                                      [&](const Migration& m) { return m.version == version; });
      if (known == migrations.end()) {
        return makeError(
            fmt::format("{}: the database has migration {} ('{}') that this program does not know",
                        where, version, name));
      }
      if (known->name != name) {
        return makeError(
            fmt::format("{}: migration {} is recorded as '{}' but this program calls it '{}'",
                        where, version, name, known->name));
      }
    }
    const int64_t highest = recorded.empty() ? 0 : recorded.rbegin()->first;
    for (const Migration& m : migrations) {
      if (recorded.contains(m.version)) continue;
      if (m.version < highest) {
        return makeError(
            fmt::format("{}: migration {} ('{}') is missing but later version {} is applied", where,
                        m.version, m.name, highest));
      }
      for (const std::string& statement : detail::splitStatements(m.sql)) {
        Result<void> ran = c.session_->executeSimple(statement, kind);
        if (!ran.ok()) {
          c.lastErrorKind_ = kind;
          return makeError(fmt::format("{}: migration {} ('{}') failed: {}", where, m.version,
                                       m.name, ran.error().message));
        }
      }
      Result<int64_t> noted =
          c.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    m.version, m.name, nowMicros());
      if (!noted.ok()) {
        return makeError(fmt::format("{}: schema_migrations: {}", where, noted.error().message));
      }
    }
    return std::max(latest, static_cast<int>(highest));
  });
}

}  // namespace mamori::hub
