// Private seam between the backend-neutral Database/Connection and one backend connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.h"
#include "mamori/hub/database.h"

namespace mamori::hub::detail {

// One backend connection. Used by one thread at a time (the pool guarantees it).
class Session {
 public:
  virtual ~Session() = default;
  virtual Backend backend() const = 0;

  // The SQL uses `?` placeholders; params.size() must equal their number.
  virtual Result<int64_t> execute(std::string_view sql, std::span<const SqlValue> params,
                                  DbErrorKind& kind) = 0;
  virtual Result<Rows> query(std::string_view sql, std::span<const SqlValue> params,
                             DbErrorKind& kind) = 0;
  // Precondition: inside a transaction; params.size() is a multiple of paramsPerRow > 0.
  virtual Result<int64_t> executeBatch(std::string_view sql, std::span<const SqlValue> params,
                                       std::size_t paramsPerRow, DbErrorKind& kind) = 0;
  // Runs a statement without parameters and without caching it (BEGIN, COMMIT, DDL).
  virtual Result<void> executeSimple(std::string_view sql, DbErrorKind& kind) = 0;

  virtual Result<void> begin(TransactionMode mode, DbErrorKind& kind) = 0;
  virtual bool inTransaction() const = 0;
  // False when the connection can no longer be used (server gone); the pool drops it.
  virtual bool healthy() = 0;

  // SQL for "take the migration lock inside this transaction" ("" when the write lock suffices).
  virtual std::string_view migrationLockSql() const = 0;
};

using SessionFactory = std::function<Result<std::unique_ptr<Session>>()>;

Result<std::unique_ptr<Session>> openSqliteSession(const std::string& path,
                                                   const DatabaseOptions& options,
                                                   const std::string& displayUrl);
Result<std::unique_ptr<Session>> openPostgresSession(const std::string& conninfo,
                                                     const DatabaseOptions& options,
                                                     const std::string& displayUrl);

// A bounded set of sessions shared by threads.
class Pool {
 public:
  Pool(SessionFactory factory, const DatabaseOptions& options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Result<std::unique_ptr<Session>> take();
  void give(std::unique_ptr<Session> session);
  int transactionRetries() const { return transactionRetries_; }

 private:
  SessionFactory factory_;
  std::size_t maxSize_;
  std::chrono::milliseconds acquireTimeout_;
  int transactionRetries_;
  std::mutex mutex_;
  std::condition_variable available_;
  // Guarded by mutex_.
  std::vector<std::unique_ptr<Session>> idle_;
  std::size_t live_ = 0;  // idle + leased + being opened
};

// --- SQL text helpers, shared by the backends and tested directly ---------------------------

// Calls `onPlaceholder(offset)` for every `?` outside '...' literals, "..." identifiers and
// -- / /* */ comments; returns false if a literal, identifier or comment is unterminated.
bool forEachPlaceholder(std::string_view sql,
                        const std::function<void(std::size_t)>& onPlaceholder);

// `?` placeholders rewritten to PostgreSQL's $1..$n; count receives n.
std::string rewritePlaceholders(std::string_view sql, std::size_t& count);

// Statements of a script split at top-level ';', each trimmed, empty ones dropped.
std::vector<std::string> splitStatements(std::string_view script);

// True when `sql` holds something other than whitespace, comments and ';' (a second statement).
bool hasSecondStatement(std::string_view tail);

// The statement shortened for error messages.
std::string sqlForMessage(std::string_view sql);

// The URL with the password (userinfo or `password=` parameter) replaced by ***.
std::string redactUrl(std::string_view url);

}  // namespace mamori::hub::detail
