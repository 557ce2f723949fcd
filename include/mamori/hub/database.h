// The hub's storage layer: one API over SQLite (embedded default) and PostgreSQL.
//
// Everything above this header runs the same SQL on both backends. The SQL subset that is
// portable (types, placeholders, upserts, what not to use) is in docs/storage.md; in short: `?`
// placeholders only, ids are TEXT chosen by the application, times are BIGINT microseconds,
// booleans are INTEGER 0/1, and every statement is a single statement.
//
// Error model: no call here throws. Every operation returns a Result whose error names the
// database (URL without password) or the statement and the reason. Exceptions thrown by the
// caller's own code inside transaction() are the caller's: the transaction is rolled back and
// the exception continues unchanged.
//
// Threads: a Database is shared by all threads; a Connection is a lease on one pooled connection
// and is used by one thread at a time. A Connection must not outlive its Database.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mamori/core/result.h"

namespace mamori::hub {

enum class Backend : uint8_t { kSqlite, kPostgres };

// "sqlite" or "postgresql".
std::string_view backendName(Backend backend);

// One SQL value: NULL, a 64-bit integer, a double or UTF-8 text. Binary data is stored as text
// (hex or base64) so that both backends compare and index it the same way.
class SqlValue {
 public:
  enum class Type : uint8_t { kNull, kInt64, kDouble, kText };

  SqlValue() = default;
  SqlValue(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): values read like literals
  SqlValue(std::nullopt_t) {}  // NOLINT(google-explicit-constructor)
  // Every integer type (bool becomes 0/1). Unsigned values above INT64_MAX are a caller bug.
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, char>) SqlValue(T value)
      : value_(static_cast<int64_t>(value)) {}  // NOLINT(google-explicit-constructor)
  template <class T>
  requires std::is_floating_point_v<T> SqlValue(T value)
      : value_(static_cast<double>(value)) {}                // NOLINT(google-explicit-constructor)
  SqlValue(std::string value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  SqlValue(std::string_view value)
      : value_(std::string(value)) {}  // NOLINT(google-explicit-constructor)
  SqlValue(const char* value)
      : value_(std::string(value)) {}  // NOLINT(google-explicit-constructor)
  template <class T>
  SqlValue(const std::optional<T>& value)  // NOLINT(google-explicit-constructor)
      : SqlValue(value ? SqlValue(*value) : SqlValue()) {}

  Type type() const { return static_cast<Type>(value_.index()); }
  bool isNull() const { return value_.index() == 0; }

  // Typed reads convert like sqlite3_column_*: NULL reads as 0 / 0.0 / "", a double read as an
  // integer truncates toward zero (saturating), text read as a number is parsed (0 if it is not
  // a number), numbers read as text are formatted. Use the opt* forms to tell NULL apart.
  int64_t int64() const;
  double real() const;
  std::string text() const;
  std::optional<int64_t> optInt64() const;
  std::optional<double> optReal() const;
  std::optional<std::string> optText() const;

  // The stored text without a copy; nullptr unless type() == kText.
  const std::string* textIf() const { return std::get_if<std::string>(&value_); }

  friend bool operator==(const SqlValue&, const SqlValue&) = default;

 private:
  std::variant<std::monostate, int64_t, double, std::string> value_;
};

// The result of a query: column names and rows of values, all in memory.
//
// Value types: SQLite gives each value its stored type. PostgreSQL columns of integer types
// (smallint, integer, bigint, boolean as 0/1) read as kInt64, real/double precision as kDouble,
// numeric as kInt64 when integral and kDouble otherwise, everything else as kText.
class Rows {
 public:
  class Row {
   public:
    Row(const Rows* rows, std::size_t index) : rows_(rows), index_(index) {}
    std::size_t size() const { return rows_->columnCount(); }
    // Out-of-range columns read as NULL (the contract never depends on UB).
    const SqlValue& operator[](std::size_t column) const;
    int64_t int64(std::size_t column) const { return (*this)[column].int64(); }
    double real(std::size_t column) const { return (*this)[column].real(); }
    std::string text(std::size_t column) const { return (*this)[column].text(); }
    bool isNull(std::size_t column) const { return (*this)[column].isNull(); }
    std::optional<int64_t> optInt64(std::size_t column) const { return (*this)[column].optInt64(); }
    std::optional<double> optReal(std::size_t column) const { return (*this)[column].optReal(); }
    std::optional<std::string> optText(std::size_t column) const {
      return (*this)[column].optText();
    }

   private:
    const Rows* rows_;
    std::size_t index_;
  };

  class Iterator {
   public:
    Iterator(const Rows* rows, std::size_t index) : rows_(rows), index_(index) {}
    Row operator*() const { return Row(rows_, index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    const Rows* rows_;
    std::size_t index_;
  };

  Rows() = default;
  // `cells` is row-major; its size is a multiple of columns.size() (checked by the backends).
  Rows(std::vector<std::string> columns, std::vector<SqlValue> cells);

  std::size_t size() const { return columns_.empty() ? 0 : cells_.size() / columns_.size(); }
  bool empty() const { return size() == 0; }
  std::size_t columnCount() const { return columns_.size(); }
  const std::vector<std::string>& columnNames() const { return columns_; }
  std::optional<std::size_t> columnIndex(std::string_view name) const;

  // Precondition: row < size().
  Row operator[](std::size_t row) const { return Row(this, row); }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

 private:
  friend class Row;
  std::vector<std::string> columns_;
  std::vector<SqlValue> cells_;
};

// Why the last failed call on a Connection failed, for callers that map errors (a unique
// violation becomes 409 Conflict, a lost connection 503).
enum class DbErrorKind : uint8_t {
  kNone,
  kUniqueViolation,  // UNIQUE / PRIMARY KEY
  kConstraint,       // NOT NULL, CHECK, FOREIGN KEY
  kBusy,             // SQLITE_BUSY/LOCKED, serialization failure, deadlock: retrying may succeed
  kConnection,       // the connection is unusable (server gone); the pool replaces it
  kUsage,            // wrong parameter count, several statements in one call, pool timeout
  kOther,            // syntax, unknown table, type errors, ...
};

enum class TransactionMode : uint8_t {
  // Serializable on both: SQLite BEGIN IMMEDIATE (takes the write lock first, so writers never
  // deadlock); PostgreSQL ISOLATION LEVEL SERIALIZABLE (conflicts are retried as kBusy).
  kWrite,
  // A consistent snapshot for several reads; must not write. SQLite BEGIN (deferred),
  // PostgreSQL REPEATABLE READ READ ONLY.
  kReadOnly,
};

namespace detail {
class Session;
class Pool;
}  // namespace detail

// A lease on one pooled connection; returned to the pool when destroyed. Movable, not copyable.
// An open transaction still running at destruction is rolled back.
class Connection {
 public:
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Backend backend() const;

  // One statement with `?` placeholders; returns the rows affected (0 for DDL). Statements are
  // prepared once per connection and cached by their SQL text.
  Result<int64_t> execute(std::string_view sql, std::span<const SqlValue> params = {});
  template <class... Args>
  requires(sizeof...(Args) > 0 && (std::is_constructible_v<SqlValue, Args&&> &&
                                   ...)) Result<int64_t> execute(std::string_view sql,
                                                                 Args&&... args) {
    const std::array<SqlValue, sizeof...(Args)> params{SqlValue(std::forward<Args>(args))...};
    return execute(sql, std::span<const SqlValue>(params));
  }

  // One statement returning rows (SELECT, or INSERT/UPDATE ... RETURNING).
  Result<Rows> query(std::string_view sql, std::span<const SqlValue> params = {});
  template <class... Args>
  requires(sizeof...(Args) > 0 && (std::is_constructible_v<SqlValue, Args&&> &&
                                   ...)) Result<Rows> query(std::string_view sql, Args&&... args) {
    const std::array<SqlValue, sizeof...(Args)> params{SqlValue(std::forward<Args>(args))...};
    return query(sql, std::span<const SqlValue>(params));
  }

  // The fast path for bulk writes: runs `sql` once per row, each row being the next
  // `paramsPerRow` values of `params` (params.size() must be a multiple). Atomic: inside the
  // current transaction if there is one, else in its own. Returns the total rows affected.
  // SQLite steps one prepared statement; PostgreSQL pipelines all rows in one round trip.
  Result<int64_t> executeBatch(std::string_view sql, std::span<const SqlValue> params,
                               std::size_t paramsPerRow);

  // Runs fn(*this) between BEGIN and COMMIT; fn returns a Result<T> and transaction() returns it.
  // ROLLBACK when fn returns an error or throws (the exception is rethrown after the rollback).
  // When the failure is kBusy (lock timeout, serialization failure, deadlock) the whole
  // transaction is retried up to DatabaseOptions::transactionRetries times, so fn may run more
  // than once: keep its side effects inside the database. Called inside a transaction, fn joins
  // the outer one (no savepoint).
  template <class F>
  auto transaction(F&& fn, TransactionMode mode = TransactionMode::kWrite)
      -> std::invoke_result_t<F&, Connection&> {
    using R = std::invoke_result_t<F&, Connection&>;
    std::optional<R> out;
    Result<void> status = runTransaction(
        [&](Connection& connection) -> Result<void> {
          out.reset();
          out.emplace(fn(connection));
          if (!out->ok()) return out->error();
          return {};
        },
        mode);
    if (!status.ok()) return status.error();
    return std::move(*out);
  }

  bool inTransaction() const;
  DbErrorKind lastErrorKind() const { return lastErrorKind_; }

 private:
  friend class Database;
  Connection(detail::Pool* pool, std::unique_ptr<detail::Session> session);
  Result<void> runTransaction(const std::function<Result<void>(Connection&)>& body,
                              TransactionMode mode);
  void release();
  template <class T>
  Result<T> track(Result<T> result);

  detail::Pool* pool_ = nullptr;
  std::unique_ptr<detail::Session> session_;
  DbErrorKind lastErrorKind_ = DbErrorKind::kNone;
};

struct DatabaseOptions {
  // Connections kept open at most. SQLite `sqlite::memory:` always uses one (each connection to
  // `:memory:` would be a different database).
  std::size_t poolSize = 8;
  // How long acquire() waits for a free connection before failing with kUsage.
  std::chrono::milliseconds acquireTimeout{10000};
  // SQLite: how long a statement waits for another connection's write lock (busy_timeout).
  std::chrono::milliseconds busyTimeout{5000};
  // How many times transaction() re-runs a transaction that failed with kBusy.
  int transactionRetries = 10;
  // Prepared statements kept per connection (least recently used are finalized).
  std::size_t statementCacheSize = 256;
};

// One schema migration. `sql` may hold several statements separated by ';' (quotes, "quoted
// identifiers" and comments are respected; no procedural bodies such as triggers).
struct Migration {
  int version;  // > 0, strictly increasing in the list given to migrate()
  std::string_view name;
  std::string_view sql;
};

class Database {
 public:
  // `sqlite:PATH` (the file is created if missing; `sqlite::memory:` for tests) or a libpq URI
  // `postgresql://user:password@host:port/db?...` (also `postgres://`). SQLite connections run in
  // WAL mode with synchronous=FULL (an acknowledged commit survives kill -9 and power loss),
  // foreign_keys=ON and the busy timeout. One connection is opened now, so a wrong path or an
  // unreachable server fails here; errors name the URL without its password.
  static Result<std::unique_ptr<Database>> open(std::string_view url,
                                                const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Backend backend() const { return backend_; }
  // The URL with any password replaced by "***", for logs and errors.
  const std::string& displayUrl() const { return displayUrl_; }

  // A connection from the pool; waits up to acquireTimeout when all are leased. Broken
  // connections (server restarted) are replaced transparently.
  Result<Connection> acquire();

  // Brings the schema to the last version in `migrations`, all pending migrations in ONE
  // transaction (a failure leaves nothing applied), recorded in `schema_migrations`. Idempotent.
  // Fails when the database holds a version this program does not know (newer than the code) or
  // a recorded migration's name differs. Safe against concurrent hubs (PostgreSQL takes an
  // advisory lock; SQLite's write lock serializes). Returns the schema version.
  Result<int> migrate(std::span<const Migration> migrations);
  // The highest applied version, 0 for a database never migrated.
  Result<int> schemaVersion();

  // Shortcuts: lease a connection for one call.
  Result<int64_t> execute(std::string_view sql, std::span<const SqlValue> params = {});
  Result<Rows> query(std::string_view sql, std::span<const SqlValue> params = {});

 private:
  Database(Backend backend, std::string displayUrl, std::unique_ptr<detail::Pool> pool);

  Backend backend_;
  std::string displayUrl_;
  std::unique_ptr<detail::Pool> pool_;
};

}  // namespace mamori::hub
