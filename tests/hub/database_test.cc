#include "mamori/hub/database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "database_session.h"
#include "hub_test_support.h"

namespace mamori::hub {
namespace {

using test_support::BackendTest;
using ::testing::HasSubstr;
using ::testing::Not;

// --- SQL text helpers (backend-independent) ----------------------------------------------------

TEST(DatabaseSql, RewritesPlaceholdersOutsideLiteralsAndComments) {
  std::size_t count = 0;
  EXPECT_EQ(detail::rewritePlaceholders("SELECT a FROM t WHERE b = ? AND c = ?", count),
            "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(count, 2U);
  EXPECT_EQ(detail::rewritePlaceholders(
                "SELECT '?', 'it''s ?', \"odd?name\", ? -- why?\n, /* ? */ ?", count),
            "SELECT '?', 'it''s ?', \"odd?name\", $1 -- why?\n, /* ? */ $2");
  EXPECT_EQ(count, 2U);
  EXPECT_EQ(detail::rewritePlaceholders("SELECT 1", count), "SELECT 1");
  EXPECT_EQ(count, 0U);
}

TEST(DatabaseSql, SplitsScriptsAtTopLevelSemicolons) {
  const auto statements = detail::splitStatements(
      "-- header; comment\nCREATE TABLE a (x TEXT DEFAULT ';');\n"
      "/* block; */ CREATE TABLE \"b;c\" (y INTEGER) ;; \n  INSERT INTO a VALUES ('x;y')");
  ASSERT_EQ(statements.size(), 3U);
  EXPECT_EQ(statements[0], "-- header; comment\nCREATE TABLE a (x TEXT DEFAULT ';')");
  EXPECT_EQ(statements[1], "/* block; */ CREATE TABLE \"b;c\" (y INTEGER)");
  EXPECT_EQ(statements[2], "INSERT INTO a VALUES ('x;y')");
  EXPECT_TRUE(detail::splitStatements("  ; -- nothing\n ;").empty());
}

TEST(DatabaseSql, DetectsSecondStatement) {
  EXPECT_FALSE(detail::hasSecondStatement(""));
  EXPECT_FALSE(detail::hasSecondStatement(" ; -- trailing\n"));
  EXPECT_TRUE(detail::hasSecondStatement("; DROP TABLE t"));
  EXPECT_TRUE(detail::hasSecondStatement("; /* unterminated"));
}

TEST(DatabaseSql, RedactsPasswords) {
  EXPECT_EQ(detail::redactUrl("postgresql://hub:s3cret@db.example:5432/hub"),
            "postgresql://hub:***@db.example:5432/hub");
  EXPECT_EQ(detail::redactUrl("postgresql://db/hub?user=hub&password=s3cret&sslmode=require"),
            "postgresql://db/hub?user=hub&password=***&sslmode=require");
  EXPECT_EQ(detail::redactUrl("postgresql://hub@db/hub"), "postgresql://hub@db/hub");
  EXPECT_EQ(detail::redactUrl("sqlite:/var/lib/mamori/hub.sqlite"),
            "sqlite:/var/lib/mamori/hub.sqlite");
}

TEST(DatabaseValue, ConvertsLikeSqliteColumnGetters) {
  EXPECT_EQ(SqlValue(int64_t{42}).text(), "42");
  EXPECT_EQ(SqlValue("17").int64(), 17);
  EXPECT_EQ(SqlValue("2.5").real(), 2.5);
  EXPECT_EQ(SqlValue("abc").int64(), 0);
  EXPECT_EQ(SqlValue(2.9).int64(), 2);
  EXPECT_EQ(SqlValue(1e300).int64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(SqlValue(true).int64(), 1);
  EXPECT_EQ(SqlValue().int64(), 0);
  EXPECT_EQ(SqlValue().text(), "");
  EXPECT_FALSE(SqlValue().optText().has_value());
  EXPECT_EQ(SqlValue(std::optional<int>()).type(), SqlValue::Type::kNull);
  EXPECT_EQ(SqlValue(std::optional<int>(3)).optInt64(), 3);
}

// --- Opening ------------------------------------------------------------------------------------

TEST(DatabaseOpen, RejectsUnknownUrlScheme) {
  auto db = Database::open("mysql://localhost/hub");
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message, HasSubstr("unsupported database URL 'mysql://localhost/hub'"));
  auto empty = Database::open("sqlite:");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message, HasSubstr("names no file"));
}

TEST(DatabaseOpen, NamesAnUnopenableSqlitePath) {
  // A path below a regular file cannot be created, even by root.
  test_support::TestDatabase scratch("sqlite");
  ASSERT_TRUE(scratch.error().empty()) << scratch.error();
  const auto file = scratch.directory() / "plain-file";
  std::ofstream(file) << "x";
  const std::string url = "sqlite:" + (file / "hub.sqlite").string();
  auto db = Database::open(url);
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message, HasSubstr(url + ": cannot open"));
}

TEST(DatabaseOpen, NamesAFileThatIsNotADatabase) {
  test_support::TestDatabase scratch("sqlite");
  ASSERT_TRUE(scratch.error().empty()) << scratch.error();
  const auto file = scratch.directory() / "notes.txt";
  std::ofstream(file) << std::string(4096, 'x');
  auto db = Database::open("sqlite:" + file.string());
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message, HasSubstr(file.string()));
  EXPECT_THAT(db.error().message, HasSubstr("not a database"));
}

TEST(DatabaseOpen, NamesAnUnreachableServerWithoutThePassword) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto db = Database::open("postgresql://hub:s3cret@127.0.0.1:1/hub");
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message,
              HasSubstr("postgresql://hub:***@127.0.0.1:1/hub: cannot connect"));
  EXPECT_THAT(db.error().message, HasSubstr("127.0.0.1"));
  EXPECT_THAT(db.error().message, Not(HasSubstr("s3cret")));
}

TEST(DatabaseOpen, MemoryDatabaseWorks) {
  auto db = Database::open("sqlite::memory:");
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE((*db)->execute("CREATE TABLE t (x INTEGER)").ok());
  auto rows = (*db)->query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ((*rows)[0].int64(0), 0);
}

// --- Both backends ------------------------------------------------------------------------------

class DatabaseTest : public BackendTest {
 protected:
  static void mustExecute(Connection& c, std::string_view sql) {
    auto done = c.execute(sql);
    ASSERT_TRUE(done.ok()) << done.error().message;
  }
  static int64_t count(Connection& c, std::string_view table) {
    auto rows = c.query("SELECT COUNT(*) FROM " + std::string(table));
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? (*rows)[0].int64(0) : -1;
  }
};

TEST_P(DatabaseTest, RoundTripsEveryTypeIncludingNull) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE v (id TEXT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, s TEXT)");
  const std::string unicode = "日本語 — ✓ 𝄞 \"quoted\" 'single' \\ back";
  const int64_t big = std::numeric_limits<int64_t>::max();
  const int64_t small = std::numeric_limits<int64_t>::min();
  const char* insert = "INSERT INTO v (id, i, d, s) VALUES (?, ?, ?, ?)";
  ASSERT_TRUE(c->execute(insert, "a", big, 0.1, unicode).ok());
  ASSERT_TRUE(c->execute(insert, "b", small, -1.5e300, "").ok());
  ASSERT_TRUE(c->execute(insert, "c", nullptr, std::nullopt, SqlValue()).ok());
  ASSERT_TRUE(c->execute(insert, "d", 0, 1e-300, std::string(100000, 'z')).ok());

  auto rows = c->query("SELECT id, i, d, s FROM v ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 4U);
  EXPECT_EQ(rows->columnNames(), (std::vector<std::string>{"id", "i", "d", "s"}));
  EXPECT_EQ(rows->columnIndex("d"), 2U);
  const auto a = (*rows)[0];
  EXPECT_EQ(a[1].type(), SqlValue::Type::kInt64);
  EXPECT_EQ(a.int64(1), big);
  EXPECT_EQ(a[2].type(), SqlValue::Type::kDouble);
  EXPECT_EQ(a.real(2), 0.1);  // exact: the value must round-trip bit for bit
  EXPECT_EQ(a[3].type(), SqlValue::Type::kText);
  EXPECT_EQ(a.text(3), unicode);
  EXPECT_EQ((*rows)[1].int64(1), small);
  EXPECT_EQ((*rows)[1].real(2), -1.5e300);
  EXPECT_EQ((*rows)[1].optText(3), std::optional<std::string>(""));
  const auto nulls = (*rows)[2];
  EXPECT_TRUE(nulls.isNull(1));
  EXPECT_TRUE(nulls.isNull(2));
  EXPECT_TRUE(nulls.isNull(3));
  EXPECT_EQ(nulls.optInt64(1), std::nullopt);
  EXPECT_EQ((*rows)[3].real(2), 1e-300);
  EXPECT_EQ((*rows)[3].text(3).size(), 100000U);
  EXPECT_TRUE(nulls.isNull(99));  // out of range reads as NULL

  // Aggregates come back as numbers on both backends (PostgreSQL: count bigint, sum numeric).
  auto sums = c->query("SELECT COUNT(*), SUM(i), COUNT(i) FROM v WHERE id IN (?, ?)", "a", "d");
  ASSERT_TRUE(sums.ok()) << sums.error().message;
  EXPECT_EQ((*sums)[0][0].type(), SqlValue::Type::kInt64);
  EXPECT_EQ((*sums)[0].int64(0), 2);
  EXPECT_EQ((*sums)[0][1].type(), SqlValue::Type::kInt64);
  EXPECT_EQ((*sums)[0].int64(1), big);
}

TEST_P(DatabaseTest, PlaceholdersInsideLiteralsAndCommentsAreText) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto rows = db->query(
      "SELECT '?' AS q, 'it''s ?' AS r, CAST(? AS BIGINT) AS p -- trailing ?\n"
      ", /* ? */ CAST(? AS TEXT) AS s",
      std::vector<SqlValue>{7, "seven"});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ((*rows)[0].text(0), "?");
  EXPECT_EQ((*rows)[0].text(1), "it's ?");
  EXPECT_EQ((*rows)[0].int64(2), 7);
  EXPECT_EQ((*rows)[0].text(3), "seven");
}

TEST_P(DatabaseTest, RejectsMisuseWithUsageErrors) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto tooFew = c->query("SELECT CAST(? AS BIGINT) + CAST(? AS BIGINT)", 1);
  ASSERT_FALSE(tooFew.ok());
  EXPECT_THAT(tooFew.error().message, HasSubstr("2 placeholders but 1 values"));
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kUsage);

  auto two = c->execute("CREATE TABLE a (x TEXT); DROP TABLE a");
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.error().message, HasSubstr("one statement per call"));

  auto nul = c->execute("SELECT CAST(? AS TEXT)", std::string("a\0b", 3));
  ASSERT_FALSE(nul.ok());
  EXPECT_THAT(nul.error().message, HasSubstr("NUL"));

  auto syntax = c->query("SELEKT 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_THAT(syntax.error().message, HasSubstr("SELEKT 1"));
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kOther);

  auto fine = c->query("SELECT 1");
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kNone);
}

TEST_P(DatabaseTest, CountsAffectedRowsAndConflicts) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto created = c->execute("CREATE TABLE e (id TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(*created, 0);
  const char* upsert = "INSERT INTO e (id, n) VALUES (?, ?) ON CONFLICT (id) DO NOTHING";
  EXPECT_EQ(c->execute(upsert, "x", 1).value(), 1);
  EXPECT_EQ(c->execute(upsert, "x", 2).value(), 0);  // idempotent: the second copy is ignored
  EXPECT_EQ(c->execute(upsert, "y", 3).value(), 1);
  EXPECT_EQ(c->execute("SELECT * FROM e").value(), 0);
  EXPECT_EQ(c->execute("UPDATE e SET n = n + 10").value(), 2);
  auto kept = c->query("SELECT n FROM e WHERE id = ?", "x");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)[0].int64(0), 11);

  auto returned = c->query(
      "INSERT INTO e (id, n) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n "
      "RETURNING id, n",
      "x", 5);
  ASSERT_TRUE(returned.ok()) << returned.error().message;
  ASSERT_EQ(returned->size(), 1U);
  EXPECT_EQ((*returned)[0].int64(1), 5);

  auto duplicate = c->execute("INSERT INTO e (id, n) VALUES (?, ?)", "y", 0);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kUniqueViolation);
  auto missing = c->execute("INSERT INTO e (id, n) VALUES (?, ?)", "z", nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kConstraint);
}

TEST_P(DatabaseTest, EnforcesForeignKeys) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE org (id TEXT PRIMARY KEY)");
  mustExecute(*c,
              "CREATE TABLE member (id TEXT PRIMARY KEY, org TEXT NOT NULL REFERENCES org(id))");
  auto orphan = c->execute("INSERT INTO member (id, org) VALUES (?, ?)", "m1", "nowhere");
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kConstraint);
}

TEST_P(DatabaseTest, ReusesPreparedStatementsAndEvictsBeyondTheCache) {
  DatabaseOptions options;
  options.statementCacheSize = 2;
  auto db = openDatabase(options);
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE r (id BIGINT PRIMARY KEY, s TEXT)");
  // Three statements in rotation through a cache of two: every use after the first is either a
  // hit or a re-prepare after eviction, and must give the same answers either way.
  for (int64_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(c->execute("INSERT INTO r (id, s) VALUES (?, ?)", i, std::to_string(i)).ok());
    auto row = c->query("SELECT s FROM r WHERE id = ?", i);
    ASSERT_TRUE(row.ok()) << row.error().message;
    ASSERT_EQ((*row)[0].text(0), std::to_string(i));
    auto n = c->query("SELECT COUNT(*) FROM r WHERE id <= ?", i);
    ASSERT_TRUE(n.ok()) << n.error().message;
    ASSERT_EQ((*n)[0].int64(0), i + 1);
  }
  if (isPostgres()) {
    auto prepared = c->query("SELECT COUNT(*) FROM pg_prepared_statements");
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
    EXPECT_LE((*prepared)[0].int64(0), 2);
  }
}

TEST_P(DatabaseTest, TransactionCommitsAndReturnsTheValue) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE t (id TEXT PRIMARY KEY)");
  Result<int> committed = c->transaction([](Connection& tx) -> Result<int> {
    EXPECT_TRUE(tx.inTransaction());
    for (const char* id : {"a", "b", "c"}) {
      auto done = tx.execute("INSERT INTO t (id) VALUES (?)", id);
      if (!done.ok()) return done.error();
    }
    return 3;
  });
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(*committed, 3);
  EXPECT_FALSE(c->inTransaction());
  // Visible from another connection: it was committed, not just written.
  auto other = db->acquire();
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(count(*other, "t"), 3);
}

TEST_P(DatabaseTest, TransactionRollsBackOnError) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE t (id TEXT PRIMARY KEY)");
  Result<void> failed = c->transaction([](Connection& tx) -> Result<void> {
    EXPECT_TRUE(tx.execute("INSERT INTO t (id) VALUES (?)", "a").ok());
    auto duplicate = tx.execute("INSERT INTO t (id) VALUES (?)", "a");
    if (!duplicate.ok()) return duplicate.error();
    return {};
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kUniqueViolation);
  EXPECT_FALSE(c->inTransaction());
  EXPECT_EQ(count(*c, "t"), 0);

  // An application error (no database error at all) rolls back too.
  Result<void> refused = c->transaction([](Connection& tx) -> Result<void> {
    EXPECT_TRUE(tx.execute("INSERT INTO t (id) VALUES (?)", "b").ok());
    return makeError("validation failed");
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "validation failed");
  EXPECT_EQ(count(*c, "t"), 0);
}

TEST_P(DatabaseTest, TransactionRollsBackOnExceptionAndRethrows) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE t (id TEXT PRIMARY KEY)");
  EXPECT_THROW((void)c->transaction([](Connection& tx) -> Result<void> {
    EXPECT_TRUE(tx.execute("INSERT INTO t (id) VALUES (?)", "a").ok());
    throw std::runtime_error("handler bug");
  }),
               std::runtime_error);
  EXPECT_FALSE(c->inTransaction());
  EXPECT_EQ(count(*c, "t"), 0);
  // The connection stays usable.
  EXPECT_TRUE(c->execute("INSERT INTO t (id) VALUES (?)", "b").ok());
  EXPECT_EQ(count(*c, "t"), 1);
}

TEST_P(DatabaseTest, NestedTransactionJoinsTheOuterOne) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE t (id TEXT PRIMARY KEY)");
  Result<void> outer = c->transaction([](Connection& tx) -> Result<void> {
    Result<void> inner = tx.transaction([](Connection& nested) -> Result<void> {
      auto done = nested.execute("INSERT INTO t (id) VALUES (?)", "inner");
      if (!done.ok()) return done.error();
      return {};
    });
    if (!inner.ok()) return inner;
    EXPECT_TRUE(tx.inTransaction());  // the inner call did not commit
    return makeError("outer gives up");
  });
  ASSERT_FALSE(outer.ok());
  EXPECT_EQ(count(*c, "t"), 0);
}

TEST_P(DatabaseTest, ReadOnlyTransactionSeesASnapshot) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE t (id TEXT PRIMARY KEY)");
  ASSERT_TRUE(c->execute("INSERT INTO t (id) VALUES (?)", "a").ok());
  Result<int64_t> seen = c->transaction(
      [&](Connection& tx) -> Result<int64_t> {
        auto first = tx.query("SELECT COUNT(*) FROM t");
        if (!first.ok()) return first.error();
        // A write committed by another connection meanwhile...
        auto other = db->acquire();
        EXPECT_TRUE(other.ok());
        EXPECT_TRUE(other->execute("INSERT INTO t (id) VALUES (?)", "b").ok());
        // ...is not seen inside the snapshot.
        auto second = tx.query("SELECT COUNT(*) FROM t");
        if (!second.ok()) return second.error();
        EXPECT_EQ((*first)[0].int64(0), (*second)[0].int64(0));
        return (*second)[0].int64(0);
      },
      TransactionMode::kReadOnly);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(*seen, 1);
  EXPECT_EQ(count(*c, "t"), 2);
}

TEST_P(DatabaseTest, ConcurrentReadModifyWriteLosesNothing) {
  DatabaseOptions options;
  options.poolSize = 6;
  options.transactionRetries = 50;  // heavy contention on purpose: one hot row
  auto db = openDatabase(options);
  ASSERT_NE(db, nullptr);
  {
    auto c = db->acquire();
    ASSERT_TRUE(c.ok()) << c.error().message;
    mustExecute(*c, "CREATE TABLE counter (id TEXT PRIMARY KEY, n BIGINT NOT NULL)");
    mustExecute(*c, "CREATE TABLE log (id TEXT PRIMARY KEY, seen BIGINT NOT NULL)");
    ASSERT_TRUE(c->execute("INSERT INTO counter (id, n) VALUES (?, ?)", "hits", 0).ok());
  }
  constexpr int kThreads = 6;
  constexpr int kPerThread = 60;
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto c = db->acquire();
        if (!c.ok()) {
          errors[static_cast<std::size_t>(t)] = c.error().message;
          ++failures;
          return;
        }
        // Read, then write what was read plus one: a lost update if isolation were weaker.
        auto done = c->transaction([&](Connection& tx) -> Result<void> {
          auto rows = tx.query("SELECT n FROM counter WHERE id = ?", "hits");
          if (!rows.ok()) return rows.error();
          const int64_t n = (*rows)[0].int64(0);
          auto updated = tx.execute("UPDATE counter SET n = ? WHERE id = ?", n + 1, "hits");
          if (!updated.ok()) return updated.error();
          auto logged = tx.execute("INSERT INTO log (id, seen) VALUES (?, ?)",
                                   std::to_string(t) + "-" + std::to_string(i), n);
          if (!logged.ok()) return logged.error();
          return {};
        });
        if (!done.ok()) {
          errors[static_cast<std::size_t>(t)] = done.error().message;
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) EXPECT_TRUE(error.empty()) << error;
  ASSERT_EQ(failures.load(), 0);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto n = c->query("SELECT n FROM counter WHERE id = ?", "hits");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)[0].int64(0), kThreads * kPerThread);
  EXPECT_EQ(count(*c, "log"), kThreads * kPerThread);
  // Every transaction saw a distinct counter value: they were serialized.
  auto distinct = c->query("SELECT COUNT(DISTINCT seen) FROM log");
  ASSERT_TRUE(distinct.ok());
  EXPECT_EQ((*distinct)[0].int64(0), kThreads * kPerThread);
}

TEST_P(DatabaseTest, PoolIsBoundedAndWaitsWithATimeout) {
  DatabaseOptions options;
  options.poolSize = 2;
  // Long enough that the giver below (20 ms) is in time even on a loaded machine.
  options.acquireTimeout = std::chrono::milliseconds(1000);
  auto db = openDatabase(options);
  ASSERT_NE(db, nullptr);
  auto first = db->acquire();
  auto second = db->acquire();
  ASSERT_TRUE(first.ok() && second.ok());
  auto third = db->acquire();
  ASSERT_FALSE(third.ok());
  EXPECT_THAT(third.error().message, HasSubstr("no free database connection within 1000 ms"));
  // A lease given back in time is handed to the waiter.
  std::thread giver([lease = std::move(first).value()]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Connection dropped = std::move(lease);
  });
  auto fourth = db->acquire();
  giver.join();
  ASSERT_TRUE(fourth.ok()) << fourth.error().message;
  EXPECT_TRUE(fourth->query("SELECT 1").ok());
}

TEST_P(DatabaseTest, BatchInsertsAtomically) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE b (id TEXT PRIMARY KEY, n BIGINT, s TEXT)");
  const char* insert = "INSERT INTO b (id, n, s) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING";
  std::vector<SqlValue> values;
  for (int i = 0; i < 2500; ++i) {  // more than one pipeline chunk
    values.emplace_back("id" + std::to_string(i));
    values.emplace_back(i);
    values.emplace_back(i % 2 == 0 ? SqlValue() : SqlValue("odd"));
  }
  auto inserted = c->executeBatch(insert, values, 3);
  ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  EXPECT_EQ(*inserted, 2500);
  auto again = c->executeBatch(insert, values, 3);  // a re-sent batch changes nothing
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(count(*c, "b"), 2500);

  // A failing row in the middle of a batch leaves nothing of the batch behind.
  std::vector<SqlValue> bad = {"new1", 1, "x", "new2", nullptr, "x", "new3", 3, "x"};
  mustExecute(*c, "CREATE TABLE strict (id TEXT PRIMARY KEY, n BIGINT NOT NULL, s TEXT)");
  auto failed = c->executeBatch("INSERT INTO strict (id, n, s) VALUES (?, ?, ?)", bad, 3);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(c->lastErrorKind(), DbErrorKind::kConstraint);
  EXPECT_EQ(count(*c, "strict"), 0);

  auto ragged = c->executeBatch(insert, std::span<const SqlValue>(values).first(4), 3);
  ASSERT_FALSE(ragged.ok());
  EXPECT_THAT(ragged.error().message, HasSubstr("not a whole number of rows"));
}

TEST_P(DatabaseTest, BatchInsideATransactionRollsBackWithIt) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c, "CREATE TABLE b (id TEXT PRIMARY KEY)");
  Result<void> tx = c->transaction([](Connection& t) -> Result<void> {
    const std::vector<SqlValue> ids = {"a", "b", "c"};
    auto done = t.executeBatch("INSERT INTO b (id) VALUES (?)", ids, 1);
    if (!done.ok()) return done.error();
    EXPECT_EQ(*done, 3);
    return makeError("abandon");
  });
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(count(*c, "b"), 0);
}

// --- Migrations ---------------------------------------------------------------------------------

constexpr Migration kInitial{1, "initial",
                             "CREATE TABLE org (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n"
                             "-- a comment; with a semicolon\n"
                             "CREATE INDEX org_name ON org (name);"};
constexpr Migration kSecond{2, "users",
                            "CREATE TABLE users (id TEXT PRIMARY KEY, org TEXT NOT NULL "
                            "REFERENCES org(id), note TEXT NOT NULL DEFAULT 'a;b')"};
constexpr Migration kThird{3, "events", "CREATE TABLE events (id TEXT PRIMARY KEY)"};

TEST_P(DatabaseTest, MigratesFreshDatabaseAndRerunsIdempotently) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schemaVersion().value(), 0);
  const std::vector<Migration> migrations = {kInitial, kSecond};
  auto applied = db->migrate(migrations);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(*applied, 2);
  EXPECT_EQ(db->schemaVersion().value(), 2);
  ASSERT_TRUE(db->execute("INSERT INTO org (id, name) VALUES ('o1', 'Org')").ok());
  ASSERT_TRUE(db->execute("INSERT INTO users (id, org) VALUES ('u1', 'o1')").ok());
  auto note = db->query("SELECT note FROM users");
  ASSERT_TRUE(note.ok());
  EXPECT_EQ((*note)[0].text(0), "a;b");

  auto again = db->migrate(migrations);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, 2);
  auto recorded = db->query("SELECT version, name FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 2U);
  EXPECT_EQ((*recorded)[1].text(1), "users");

  const std::vector<Migration> more = {kInitial, kSecond, kThird};
  EXPECT_EQ(db->migrate(more).value(), 3);
  EXPECT_TRUE(db->execute("INSERT INTO events (id) VALUES ('e1')").ok());
}

TEST_P(DatabaseTest, RefusesADatabaseNewerThanTheCode) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> newer = {kInitial, kSecond, kThird};
  ASSERT_TRUE(db->migrate(newer).ok());
  const std::vector<Migration> older = {kInitial, kSecond};
  auto refused = db->migrate(older);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("version 3, newer than this program"));

  const std::vector<Migration> renamed = {kInitial, {2, "accounts", kSecond.sql}, kThird};
  auto mismatch = db->migrate(renamed);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.error().message, HasSubstr("recorded as 'users'"));
}

TEST_P(DatabaseTest, FailingMigrationLeavesNothingApplied) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> broken = {
      kInitial,
      {2, "broken", "CREATE TABLE half (id TEXT PRIMARY KEY);\nCREATE TABLE oops (id TEXTT ("}};
  auto failed = db->migrate(broken);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error().message, HasSubstr("migration 2 ('broken') failed"));
  EXPECT_EQ(db->schemaVersion().value(), 0);
  EXPECT_FALSE(db->query("SELECT COUNT(*) FROM org").ok());   // migration 1 rolled back too
  EXPECT_FALSE(db->query("SELECT COUNT(*) FROM half").ok());  // and the first half of 2

  const std::vector<Migration> unordered = {kSecond, kInitial};
  auto invalid = db->migrate(unordered);
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(invalid.error().message, HasSubstr("increasing"));
}

// --- Durability settings ------------------------------------------------------------------------

TEST_P(DatabaseTest, EveryConnectionIsDurable) {
  DatabaseOptions options;
  options.poolSize = 3;
  auto db = openDatabase(options);
  ASSERT_NE(db, nullptr);
  std::vector<Connection> leases;
  for (int i = 0; i < 3; ++i) {
    auto c = db->acquire();
    ASSERT_TRUE(c.ok()) << c.error().message;
    leases.push_back(std::move(c).value());
  }
  for (Connection& c : leases) {
    if (isSqlite()) {
      auto journal = c.query("PRAGMA journal_mode");
      ASSERT_TRUE(journal.ok()) << journal.error().message;
      EXPECT_EQ((*journal)[0].text(0), "wal");
      auto sync = c.query("PRAGMA synchronous");
      ASSERT_TRUE(sync.ok());
      EXPECT_EQ((*sync)[0].int64(0), 2);  // FULL
      auto keys = c.query("PRAGMA foreign_keys");
      ASSERT_TRUE(keys.ok());
      EXPECT_EQ((*keys)[0].int64(0), 1);
    } else {
      auto sync = c.query("SELECT current_setting('synchronous_commit')");
      ASSERT_TRUE(sync.ok()) << sync.error().message;
      EXPECT_EQ((*sync)[0].text(0), "on");
      auto fsync = c.query("SELECT current_setting('fsync')");
      ASSERT_TRUE(fsync.ok());
      EXPECT_EQ((*fsync)[0].text(0), "on");
    }
  }
}

TEST_P(DatabaseTest, ReplacesAConnectionTheServerDropped) {
  if (!isPostgres()) GTEST_SKIP() << "a server-side disconnect exists only on PostgreSQL";
  DatabaseOptions options;
  options.poolSize = 2;
  auto db = openDatabase(options);
  ASSERT_NE(db, nullptr);
  {
    auto victim = db->acquire();
    auto killer = db->acquire();
    ASSERT_TRUE(victim.ok() && killer.ok());
    auto pid = victim->query("SELECT pg_backend_pid()");
    ASSERT_TRUE(pid.ok());
    ASSERT_TRUE(
        killer->query("SELECT pg_terminate_backend(CAST(? AS INTEGER))", (*pid)[0].int64(0)).ok());
    // The backend ends asynchronously: wait (bounded) until the server no longer lists it.
    for (int i = 0; i < 1000; ++i) {
      auto alive =
          killer->query("SELECT count(*) FROM pg_stat_activity WHERE pid = CAST(? AS INTEGER)",
                        (*pid)[0].int64(0));
      ASSERT_TRUE(alive.ok());
      if ((*alive)[0].int64(0) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto lost = victim->query("SELECT 1");
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(victim->lastErrorKind(), DbErrorKind::kConnection);
  }
  // Both pooled connections work again: the broken one was reconnected.
  auto a = db->acquire();
  auto b = db->acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->query("SELECT 1").ok());
  EXPECT_TRUE(b->query("SELECT 1").ok());
}

// Not an assertion: prints the batched insert rate that the hub's ingest relies on.
TEST_P(DatabaseTest, ThroughputOfBatchedInserts) {
  auto db = openDatabase();
  ASSERT_NE(db, nullptr);
  auto c = db->acquire();
  ASSERT_TRUE(c.ok()) << c.error().message;
  mustExecute(*c,
              "CREATE TABLE ev (id TEXT PRIMARY KEY, org TEXT NOT NULL, at BIGINT NOT NULL, "
              "category TEXT NOT NULL, body TEXT NOT NULL)");
  constexpr int kRows = 100000;
  constexpr int kBatch = 1000;
  const std::string body(200, 'j');
  const char* insert =
      "INSERT INTO ev (id, org, at, category, body) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO NOTHING";
  std::vector<SqlValue> values;
  values.reserve(kBatch * 5);
  const auto start = std::chrono::steady_clock::now();
  for (int batch = 0; batch < kRows / kBatch; ++batch) {
    values.clear();
    for (int i = 0; i < kBatch; ++i) {
      const int n = batch * kBatch + i;
      values.emplace_back("ev_" + std::to_string(n));
      values.emplace_back("org_" + std::to_string(n % 50));
      values.emplace_back(int64_t{1700000000000000} + n);
      values.emplace_back("sqli");
      values.emplace_back(body);
    }
    auto done = c->executeBatch(insert, values, 5);
    ASSERT_TRUE(done.ok()) << done.error().message;
    ASSERT_EQ(*done, kBatch);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(count(*c, "ev"), kRows);
  std::printf(
      "[ throughput ] %s: %d rows in batches of %d (one transaction each): %.2f s, "
      "%.0f rows/s\n",
      GetParam().c_str(), kRows, kBatch, seconds, kRows / seconds);
}

MAMORI_INSTANTIATE_BACKEND_TEST(DatabaseTest);

}  // namespace
}  // namespace mamori::hub
