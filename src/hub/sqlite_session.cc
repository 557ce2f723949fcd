// SQLite backend: one sqlite3 handle per session, WAL + synchronous=FULL, cached statements.
#include <sqlite3.h>

#include <list>
#include <string>
#include <unordered_map>
#include <utility>

#include "database_session.h"

namespace mamori::hub::detail {
namespace {

DbErrorKind classify(int extendedCode) {
  switch (extendedCode & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return DbErrorKind::kBusy;
    case SQLITE_CONSTRAINT:
      return extendedCode == SQLITE_CONSTRAINT_UNIQUE ||
                     extendedCode == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? DbErrorKind::kUniqueViolation
                 : DbErrorKind::kConstraint;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return DbErrorKind::kUsage;
    default:
      return DbErrorKind::kOther;
  }
}

class SqliteSession final : public Session {
 public:
  SqliteSession(sqlite3* db, std::size_t cacheSize) : db_(db), cacheSize_(cacheSize) {}
  ~SqliteSession() override {
    for (auto& entry : lru_) sqlite3_finalize(entry.second);
    sqlite3_close_v2(db_);
  }
  SqliteSession(const SqliteSession&) = delete;
  SqliteSession& operator=(const SqliteSession&) = delete;

  Backend backend() const override { return Backend::kSqlite; }

  Result<int64_t> execute(std::string_view sql, std::span<const SqlValue> params,
                          DbErrorKind& kind) override {
    Result<sqlite3_stmt*> statement = prepare(sql, params.size(), kind);
    if (!statement.ok()) return statement.error();
    return run(*statement, sql, params, nullptr, kind);
  }

  Result<Rows> query(std::string_view sql, std::span<const SqlValue> params,
                     DbErrorKind& kind) override {
    Result<sqlite3_stmt*> statement = prepare(sql, params.size(), kind);
    if (!statement.ok()) return statement.error();
    sqlite3_stmt* stmt = *statement;
    const int columns = sqlite3_column_count(stmt);
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(columns));
    for (int i = 0; i < columns; ++i) {
      const char* name = sqlite3_column_name(stmt, i);
      names.emplace_back(name != nullptr ? name : "");
    }
    std::vector<SqlValue> cells;
    Result<int64_t> ran = run(stmt, sql, params, &cells, kind);
    if (!ran.ok()) return ran.error();
    if (columns == 0) return Rows();
    return Rows(std::move(names), std::move(cells));
  }

  Result<int64_t> executeBatch(std::string_view sql, std::span<const SqlValue> params,
                               std::size_t paramsPerRow, DbErrorKind& kind) override {
    Result<sqlite3_stmt*> statement = prepare(sql, paramsPerRow, kind);
    if (!statement.ok()) return statement.error();
    int64_t total = 0;
    for (std::size_t offset = 0; offset < params.size(); offset += paramsPerRow) {
      Result<int64_t> ran =
          run(*statement, sql, params.subspan(offset, paramsPerRow), nullptr, kind);
      if (!ran.ok()) return ran.error();
      total += *ran;
    }
    return total;
  }

  Result<void> executeSimple(std::string_view sql, DbErrorKind& kind) override {
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return {};
    std::string reason = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    kind = classify(sqlite3_extended_errcode(db_));
    return makeError(reason + " (statement: " + sqlForMessage(sql) + ")");
  }

  Result<void> begin(TransactionMode mode, DbErrorKind& kind) override {
    // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads and then writes
    // can fail with SQLITE_BUSY without waiting (another writer committed in between).
    return executeSimple(mode == TransactionMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", kind);
  }

  bool inTransaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  bool healthy() override { return true; }
  std::string_view migrationLockSql() const override { return {}; }

 private:
  Result<sqlite3_stmt*> prepare(std::string_view sql, std::size_t paramCount, DbErrorKind& kind) {
    std::string key(sql);
    if (auto found = index_.find(key); found != index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
      return checkParams(found->second->second, sql, paramCount, kind);
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) {
      kind = classify(sqlite3_extended_errcode(db_));
      return makeError(std::string(sqlite3_errmsg(db_)) + " (statement: " + sqlForMessage(sql) +
                       ")");
    }
    if (stmt == nullptr) {
      kind = DbErrorKind::kUsage;
      return makeError("empty statement");
    }
    const std::size_t consumed = static_cast<std::size_t>(tail - sql.data());
    if (hasSecondStatement(sql.substr(consumed))) {
      sqlite3_finalize(stmt);
      kind = DbErrorKind::kUsage;
      return makeError("one statement per call (statement: " + sqlForMessage(sql) + ")");
    }
    for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); ++i) {
      if (sqlite3_bind_parameter_name(stmt, i) != nullptr) {
        sqlite3_finalize(stmt);
        kind = DbErrorKind::kUsage;
        return makeError("only ? placeholders are portable (statement: " + sqlForMessage(sql) +
                         ")");
      }
    }
    if (lru_.size() >= cacheSize_ && !lru_.empty()) {
      sqlite3_finalize(lru_.back().second);
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    lru_.emplace_front(key, stmt);
    index_.emplace(std::move(key), lru_.begin());
    return checkParams(stmt, sql, paramCount, kind);
  }

  static Result<sqlite3_stmt*> checkParams(sqlite3_stmt* stmt, std::string_view sql,
                                           std::size_t paramCount, DbErrorKind& kind) {
    const auto expected = static_cast<std::size_t>(sqlite3_bind_parameter_count(stmt));
    if (expected != paramCount) {
      kind = DbErrorKind::kUsage;
      return makeError("statement has " + std::to_string(expected) + " placeholders but " +
                       std::to_string(paramCount) +
                       " values were given (statement: " + sqlForMessage(sql) + ")");
    }
    return stmt;
  }

  // Binds, steps to the end (collecting rows into `cells` when given) and resets.
  Result<int64_t> run(sqlite3_stmt* stmt, std::string_view sql, std::span<const SqlValue> params,
                      std::vector<SqlValue>* cells, DbErrorKind& kind) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const SqlValue& value = params[i];
      int rc = SQLITE_OK;
      switch (value.type()) {
        case SqlValue::Type::kNull:
          rc = sqlite3_bind_null(stmt, index);
          break;
        case SqlValue::Type::kInt64:
          rc = sqlite3_bind_int64(stmt, index, value.int64());
          break;
        case SqlValue::Type::kDouble:
          rc = sqlite3_bind_double(stmt, index, value.real());
          break;
        case SqlValue::Type::kText: {
          // The values outlive the statement's execution (reset below), so no copy is needed.
          const std::string* text = value.textIf();
          rc = sqlite3_bind_text64(stmt, index, text->data(), text->size(), SQLITE_STATIC,
                                   SQLITE_UTF8);
          break;
        }
      }
      if (rc != SQLITE_OK) {
        sqlite3_reset(stmt);
        kind = classify(rc);
        return makeError(std::string(sqlite3_errstr(rc)) + " binding parameter " +
                         std::to_string(index) + " (statement: " + sqlForMessage(sql) + ")");
      }
    }
    const int64_t before = sqlite3_total_changes64(db_);
    const int columns = sqlite3_column_count(stmt);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (cells == nullptr) continue;
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            cells->emplace_back(sqlite3_column_int64(stmt, c));
            break;
          case SQLITE_FLOAT:
            cells->emplace_back(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_NULL:
            cells->emplace_back();
            break;
          default: {  // TEXT (and BLOB, read as its bytes)
            const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, c));
            const int size = sqlite3_column_bytes(stmt, c);
            cells->emplace_back(data == nullptr
                                    ? std::string()
                                    : std::string(data, static_cast<std::size_t>(size)));
          }
        }
      }
    }
    if (rc != SQLITE_DONE) {
      const int extended = sqlite3_extended_errcode(db_);
      std::string reason = sqlite3_errmsg(db_);
      sqlite3_reset(stmt);
      kind = classify(extended);
      return makeError(reason + " (statement: " + sqlForMessage(sql) + ")");
    }
    sqlite3_reset(stmt);
    // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE even after a SELECT or
    // DDL; the total-changes difference says whether this statement changed anything at all.
    return sqlite3_total_changes64(db_) == before ? 0 : sqlite3_changes64(db_);
  }

  sqlite3* db_;
  std::size_t cacheSize_;
  std::list<std::pair<std::string, sqlite3_stmt*>> lru_;
  std::unordered_map<std::string, std::list<std::pair<std::string, sqlite3_stmt*>>::iterator>
      index_;
};

}  // namespace

Result<std::unique_ptr<Session>> openSqliteSession(const std::string& path,
                                                   const DatabaseOptions& options,
                                                   const std::string& displayUrl) {
  sqlite3* db = nullptr;
  // NOMUTEX: the pool hands a handle to one thread at a time.
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return makeError(displayUrl + ": cannot open: " + reason);
  }
  auto session =
      std::make_unique<SqliteSession>(db, std::max<std::size_t>(options.statementCacheSize, 1));
  sqlite3_busy_timeout(db, static_cast<int>(options.busyTimeout.count()));
  DbErrorKind kind = DbErrorKind::kNone;
  // WAL: readers never block the writer. synchronous=FULL: the WAL is synced at every commit, so
  // an acknowledged write survives power loss (NORMAL would only survive a process crash).
  Result<Rows> mode = session->query("PRAGMA journal_mode=WAL", {}, kind);
  if (!mode.ok()) return makeError(displayUrl + ": cannot open: " + mode.error().message);
  const std::string journal = mode->empty() ? "" : (*mode)[0].text(0);
  if (journal != "wal" && !(path == ":memory:" && journal == "memory")) {
    return makeError(displayUrl + ": cannot switch to WAL journal mode (got '" + journal + "')");
  }
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    Result<void> set = session->executeSimple(pragma, kind);
    if (!set.ok()) return makeError(displayUrl + ": cannot open: " + set.error().message);
  }
  return std::unique_ptr<Session>(std::move(session));
}

}  // namespace mamori::hub::detail
