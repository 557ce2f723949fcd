// How hub tests get a database: every storage-dependent suite runs once per backend.
//
//   class MyTest : public mamori::hub::test_support::BackendTest {};
//   TEST_P(MyTest, Something) { auto db = openDatabase(); ... }
//   MAMORI_INSTANTIATE_BACKEND_TEST(MyTest);
//
// Test names read `Suite.Test/sqlite` and `Suite.Test/postgresql` (no instantiation prefix, so a
// filter like 'Database*' selects both). Backends: "sqlite" always (a file in a fresh temporary
// directory) and "postgresql", which runs when MAMORI_TEST_POSTGRES_URL names a server
// (scripts/pg-test-server.sh starts one) and is skipped otherwise -- or fails, when
// MAMORI_TEST_REQUIRE_POSTGRES=1 (CI), so that a missing server cannot pass silently. Both names
// are always instantiated because ctest discovers the test list at build time, before the
// environment of the test run is known.
//
// PostgreSQL isolation: each test gets its own schema `t_<random>` in that database, selected by
// appending `options=-csearch_path=t_<random>` to the URL (so every pooled connection sees only
// it); the schema is dropped with everything in it when the test ends. The base URL must not
// already carry an `options` parameter.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "mamori/hub/database.h"

namespace mamori::hub::test_support {

inline constexpr const char* kPostgresUrlVariable = "MAMORI_TEST_POSTGRES_URL";
inline constexpr const char* kRequirePostgresVariable = "MAMORI_TEST_REQUIRE_POSTGRES";

inline std::vector<std::string> testBackends() {
  return {"sqlite", "postgresql"};
}

inline std::string randomHex(std::size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned value = device() & 0xffU;
    out += kDigits[value >> 4];
    out += kDigits[value & 0xfU];
  }
  return out;
}

inline std::string envOr(const char* name, std::string fallback = {}) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads
  return value != nullptr ? std::string(value) : fallback;
}

// A fresh, empty database for one test, removed when destroyed.
class TestDatabase {
 public:
  explicit TestDatabase(std::string_view backend) {
    if (backend == "sqlite") {
      std::error_code ec;
      dir_ = std::filesystem::temp_directory_path(ec) / ("mamori-db-" + randomHex(8));
      std::filesystem::create_directories(dir_, ec);
      if (ec) {
        error_ = "cannot create " + dir_.string() + ": " + ec.message();
        return;
      }
      url_ = "sqlite:" + (dir_ / "hub.sqlite").string();
    } else if (backend == "postgresql") {
      baseUrl_ = envOr(kPostgresUrlVariable);
      if (baseUrl_.empty()) {
        if (envOr(kRequirePostgresVariable) == "1") {
          error_ = std::string(kPostgresUrlVariable) + " is not set but " +
                   kRequirePostgresVariable + "=1";
        } else {
          skipReason_ = std::string(kPostgresUrlVariable) +
                        " is not set (scripts/pg-test-server.sh start DIR prints one)";
        }
        return;
      }
      schema_ = "t_" + randomHex(8);
      DatabaseOptions options;
      options.poolSize = 1;
      auto admin = Database::open(baseUrl_, options);
      if (!admin.ok()) {
        error_ = admin.error().message;
        return;
      }
      auto created = (*admin)->execute("CREATE SCHEMA " + schema_);
      if (!created.ok()) {
        error_ = created.error().message;
        schema_.clear();
        return;
      }
      url_ = baseUrl_ + (baseUrl_.find('?') == std::string::npos ? "?" : "&") +
             "options=-csearch_path%3D" + schema_;
    } else {
      error_ = "unknown test backend " + std::string(backend);
    }
  }

  ~TestDatabase() {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
    if (!schema_.empty()) {
      DatabaseOptions options;
      options.poolSize = 1;
      auto admin = Database::open(baseUrl_, options);
      if (admin.ok()) (void)(*admin)->execute("DROP SCHEMA " + schema_ + " CASCADE");
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  bool skipped() const { return !skipReason_.empty(); }
  const std::string& skipReason() const { return skipReason_; }
  // Non-empty when the database could not be set up.
  const std::string& error() const { return error_; }
  const std::string& url() const { return url_; }
  // The SQLite temporary directory (empty for PostgreSQL), for tests that need more files.
  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::string url_;
  std::string baseUrl_;
  std::string schema_;
  std::filesystem::path dir_;
  std::string skipReason_;
  std::string error_;
};

// Base fixture for TEST_P suites over the backends. A derived SetUp must call
// BackendTest::SetUp() first and return if IsSkipped() or HasFatalFailure().
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    testDatabase_ = std::make_unique<TestDatabase>(GetParam());
    if (testDatabase_->skipped()) GTEST_SKIP() << testDatabase_->skipReason();
    ASSERT_TRUE(testDatabase_->error().empty()) << testDatabase_->error();
  }
  // Databases opened by the test must be destroyed before this runs (declare them in the test).
  void TearDown() override { testDatabase_.reset(); }

  const std::string& url() const { return testDatabase_->url(); }
  bool isSqlite() const { return GetParam() == "sqlite"; }
  bool isPostgres() const { return GetParam() == "postgresql"; }

  // Opens the test database; adds a test failure and returns nullptr on error.
  std::unique_ptr<Database> openDatabase(const DatabaseOptions& options = {}) const {
    auto db = Database::open(url(), options);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    return db.ok() ? std::move(db).value() : nullptr;
  }

  std::unique_ptr<TestDatabase> testDatabase_;
};

inline std::string backendTestName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace mamori::hub::test_support

#define MAMORI_INSTANTIATE_BACKEND_TEST(Suite)                                               \
  INSTANTIATE_TEST_SUITE_P(, Suite,                                                          \
                           ::testing::ValuesIn(::mamori::hub::test_support::testBackends()), \
                           ::mamori::hub::test_support::backendTestName)
