// PostgreSQL backend over libpq: `?` rewritten to $n, named prepared statements cached per
// connection, text-format values, pipelined batches.
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "database_session.h"

namespace mamori::hub::detail {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Rows per pipeline sync: keeps the server's replies for one chunk well inside the socket
// buffers, so neither side blocks writing while the other is writing too.
constexpr std::size_t kPipelineChunk = 1000;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

DbErrorKind classify(std::string_view sqlstate) {
  if (sqlstate == "23505") return DbErrorKind::kUniqueViolation;
  if (sqlstate.starts_with("23")) return DbErrorKind::kConstraint;
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") return DbErrorKind::kBusy;
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57P")) return DbErrorKind::kConnection;
  return DbErrorKind::kOther;
}

SqlValue decode(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return {};
  const char* data = PQgetvalue(result, row, column);
  const std::string_view text(data, static_cast<std::size_t>(PQgetlength(result, row, column)));
  const Oid type = PQftype(result, column);
  const char* end = text.data() + text.size();
  switch (type) {
    case kBoolOid:
      return int64_t{text == "t" ? 1 : 0};
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
    case kNumericOid: {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec == std::errc() && ptr == end) return value;
      if (type != kNumericOid) return std::string(text);
      [[fallthrough]];
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      // PostgreSQL spells the specials Infinity / -Infinity / NaN.
      if (text == "Infinity") return std::numeric_limits<double>::infinity();
      if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
      if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
      double value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec == std::errc() && ptr == end) return value;
      return std::string(text);
    }
    default:
      return std::string(text);
  }
}

// Parameter values in text format; numbers are formatted into `scratch`, which must not be
// resized while `pointers` is in use (it is reserved up front).
void encodeParams(std::span<const SqlValue> params, std::vector<std::string>& scratch,
                  std::vector<const char*>& pointers) {
  scratch.clear();
  scratch.reserve(params.size());
  pointers.clear();
  for (const SqlValue& value : params) {
    switch (value.type()) {
      case SqlValue::Type::kNull:
        pointers.push_back(nullptr);
        break;
      case SqlValue::Type::kText:
        pointers.push_back(value.textIf()->c_str());
        break;
      case SqlValue::Type::kInt64:
        scratch.push_back(std::to_string(value.int64()));
        pointers.push_back(scratch.back().c_str());
        break;
      case SqlValue::Type::kDouble: {
        const double number = value.real();
        if (std::isnan(number)) {
          scratch.emplace_back("NaN");
        } else if (std::isinf(number)) {
          scratch.emplace_back(number > 0 ? "Infinity" : "-Infinity");
        } else {
          scratch.push_back(value.text());
        }
        pointers.push_back(scratch.back().c_str());
        break;
      }
    }
  }
}

void ignoreNotice(void* /*arg*/, const char* /*message*/) {}

class PostgresSession final : public Session {
 public:
  PostgresSession(PGconn* conn, std::size_t cacheSize) : conn_(conn), cacheSize_(cacheSize) {}
  ~PostgresSession() override { PQfinish(conn_); }
  PostgresSession(const PostgresSession&) = delete;
  PostgresSession& operator=(const PostgresSession&) = delete;

  Backend backend() const override { return Backend::kPostgres; }

  Result<int64_t> execute(std::string_view sql, std::span<const SqlValue> params,
                          DbErrorKind& kind) override {
    Result<ResultPtr> result = run(sql, params, kind);
    if (!result.ok()) return result.error();
    return affected(result->get());
  }

  Result<Rows> query(std::string_view sql, std::span<const SqlValue> params,
                     DbErrorKind& kind) override {
    Result<ResultPtr> result = run(sql, params, kind);
    if (!result.ok()) return result.error();
    const PGresult* res = result->get();
    const int columns = PQnfields(res);
    const int rows = PQntuples(res);
    if (columns == 0) return Rows();
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) names.emplace_back(PQfname(res, c));
    std::vector<SqlValue> cells;
    cells.reserve(static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns));
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < columns; ++c) cells.push_back(decode(res, r, c));
    }
    return Rows(std::move(names), std::move(cells));
  }

  Result<int64_t> executeBatch(std::string_view sql, std::span<const SqlValue> params,
                               std::size_t paramsPerRow, DbErrorKind& kind) override {
    Result<const Prepared*> prepared = prepare(sql, paramsPerRow, kind);
    if (!prepared.ok()) return prepared.error();
    const std::string name = (*prepared)->name;
    const int count = static_cast<int>(paramsPerRow);
    const std::size_t rows = params.size() / paramsPerRow;
    if (PQenterPipelineMode(conn_) != 1) return failure("cannot enter pipeline mode", sql, kind);
    int64_t total = 0;
    std::optional<Error> firstError;
    std::vector<std::string> scratch;
    std::vector<const char*> pointers;
    for (std::size_t chunkStart = 0; chunkStart < rows && !firstError;
         chunkStart += kPipelineChunk) {
      const std::size_t chunkEnd = std::min(rows, chunkStart + kPipelineChunk);
      std::size_t sent = 0;
      for (std::size_t row = chunkStart; row < chunkEnd; ++row) {
        encodeParams(params.subspan(row * paramsPerRow, paramsPerRow), scratch, pointers);
        if (PQsendQueryPrepared(conn_, name.c_str(), count, pointers.data(), nullptr, nullptr, 0) !=
            1) {
          firstError = failure("cannot send batch row", sql, kind);
          break;
        }
        ++sent;
      }
      if (PQpipelineSync(conn_) != 1) {
        if (!firstError) firstError = failure("cannot sync pipeline", sql, kind);
        break;
      }
      for (std::size_t i = 0; i < sent; ++i) {
        while (PGresult* raw = PQgetResult(conn_)) {
          ResultPtr result(raw);
          const ExecStatusType status = PQresultStatus(raw);
          if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            total += affected(raw);
          } else if (status != PGRES_PIPELINE_ABORTED && !firstError) {
            firstError = statementError(raw, sql, kind);
          }
        }
      }
      // The sync's own result closes the chunk.
      ResultPtr sync(PQgetResult(conn_));
      if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
        if (!firstError) firstError = failure("pipeline out of step", sql, kind);
        break;
      }
    }
    if (PQexitPipelineMode(conn_) != 1 && !firstError) {
      firstError = failure("cannot leave pipeline mode", sql, kind);
    }
    if (firstError) return *firstError;
    return total;
  }

  Result<void> executeSimple(std::string_view sql, DbErrorKind& kind) override {
    const std::string text(sql);
    ResultPtr result(PQexec(conn_, text.c_str()));
    if (result == nullptr) return failure("no result", sql, kind);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return statementError(result.get(), sql, kind);
    }
    return {};
  }

  Result<void> begin(TransactionMode mode, DbErrorKind& kind) override {
    // SERIALIZABLE, because SQLite transactions are: a read-then-write that is correct on one
    // backend must not lose updates on the other. Conflicts surface as 40001 and are retried.
    return executeSimple(mode == TransactionMode::kWrite
                             ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                             : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         kind);
  }

  bool inTransaction() const override {
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
  }

  bool healthy() override {
    if (PQstatus(conn_) == CONNECTION_OK) return true;
    PQreset(conn_);
    // A new server session has none of our prepared statements.
    lru_.clear();
    index_.clear();
    return PQstatus(conn_) == CONNECTION_OK;
  }

  // A constant key ("mamori" in ASCII): one migrator at a time across all hubs on this database.
  std::string_view migrationLockSql() const override {
    return "SELECT pg_advisory_xact_lock(120192207875193)";
  }

 private:
  struct Prepared {
    std::string name;
    std::size_t paramCount = 0;
  };

  Result<const Prepared*> prepare(std::string_view sql, std::size_t paramCount, DbErrorKind& kind) {
    std::string key(sql);
    const Prepared* prepared = nullptr;
    if (auto found = index_.find(key); found != index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
      prepared = &found->second->second;
    } else {
      if (splitStatements(sql).size() > 1) {
        kind = DbErrorKind::kUsage;
        return makeError("one statement per call (statement: " + sqlForMessage(sql) + ")");
      }
      std::size_t count = 0;
      const std::string rewritten = rewritePlaceholders(sql, count);
      if (lru_.size() >= cacheSize_ && !lru_.empty()) {
        const std::string deallocate = "DEALLOCATE " + lru_.back().second.name;
        const ResultPtr deallocated(PQexec(conn_, deallocate.c_str()));
        index_.erase(lru_.back().first);
        lru_.pop_back();
      }
      std::string name = "m" + std::to_string(++statementCounter_);
      ResultPtr result(
          PQprepare(conn_, name.c_str(), rewritten.c_str(), static_cast<int>(count), nullptr));
      if (result == nullptr) return failure("no result", sql, kind);
      if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        return statementError(result.get(), sql, kind);
      }
      lru_.emplace_front(key, Prepared{std::move(name), count});
      index_.emplace(std::move(key), lru_.begin());
      prepared = &lru_.front().second;
    }
    if (prepared->paramCount != paramCount) {
      kind = DbErrorKind::kUsage;
      return makeError("statement has " + std::to_string(prepared->paramCount) +
                       " placeholders but " + std::to_string(paramCount) +
                       " values were given (statement: " + sqlForMessage(sql) + ")");
    }
    return prepared;
  }

  Result<ResultPtr> run(std::string_view sql, std::span<const SqlValue> params, DbErrorKind& kind) {
    Result<const Prepared*> prepared = prepare(sql, params.size(), kind);
    if (!prepared.ok()) return prepared.error();
    encodeParams(params, scratch_, pointers_);
    ResultPtr result(PQexecPrepared(conn_, (*prepared)->name.c_str(),
                                    static_cast<int>(params.size()), pointers_.data(), nullptr,
                                    nullptr, 0));
    if (result == nullptr) return failure("no result", sql, kind);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return statementError(result.get(), sql, kind);
    }
    return result;
  }

  // Rows written; PostgreSQL also reports the rows a SELECT returned, which are not "affected".
  static int64_t affected(const PGresult* result) {
    const char* status = PQcmdStatus(const_cast<PGresult*>(result));  // libpq's signature
    if (status != nullptr && std::string_view(status).starts_with("SELECT")) return 0;
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(result));  // libpq's signature
    int64_t count = 0;
    if (tuples != nullptr) std::from_chars(tuples, tuples + std::strlen(tuples), count);
    return count;
  }

  Error statementError(const PGresult* result, std::string_view sql, DbErrorKind& kind) {
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    kind = classify(sqlstate != nullptr ? sqlstate : "");
    if (PQstatus(conn_) != CONNECTION_OK) kind = DbErrorKind::kConnection;
    std::string message = trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
    if (message.empty()) message = trimmed(PQresultErrorMessage(result));
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    if (detail != nullptr) message += ": " + trimmed(detail);
    if (sqlstate != nullptr) message += std::string(" [SQLSTATE ") + sqlstate + "]";
    return makeError(message + " (statement: " + sqlForMessage(sql) + ")");
  }

  Error failure(std::string_view what, std::string_view sql, DbErrorKind& kind) {
    kind = PQstatus(conn_) != CONNECTION_OK ? DbErrorKind::kConnection : DbErrorKind::kOther;
    return makeError(std::string(what) + ": " + trimmed(PQerrorMessage(conn_)) +
                     " (statement: " + sqlForMessage(sql) + ")");
  }

  PGconn* conn_;
  std::size_t cacheSize_;
  uint64_t statementCounter_ = 0;
  std::list<std::pair<std::string, Prepared>> lru_;
  std::unordered_map<std::string, std::list<std::pair<std::string, Prepared>>::iterator> index_;
  std::vector<std::string> scratch_;
  std::vector<const char*> pointers_;
};

}  // namespace

Result<std::unique_ptr<Session>> openPostgresSession(const std::string& conninfo,
                                                     const DatabaseOptions& options,
                                                     const std::string& displayUrl) {
  // connect_timeout first: a value in the URL itself comes later and wins. Without one, libpq
  // waits for the operating system's TCP timeout (minutes) on an unreachable host.
  const std::array<const char*, 3> keywords = {"connect_timeout", "dbname", nullptr};
  const std::array<const char*, 3> values = {"10", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn == nullptr) return makeError(displayUrl + ": cannot connect: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return makeError(displayUrl + ": cannot connect: " + reason);
  }
  PQsetNoticeProcessor(conn, ignoreNotice, nullptr);  // "already exists, skipping" is not news
  if (PQsetClientEncoding(conn, "UTF8") != 0) {
    std::string reason = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return makeError(displayUrl + ": cannot set client encoding UTF8: " + reason);
  }
  return std::unique_ptr<Session>(std::make_unique<PostgresSession>(
      conn, std::max<std::size_t>(options.statementCacheSize, 1)));
}

}  // namespace mamori::hub::detail
