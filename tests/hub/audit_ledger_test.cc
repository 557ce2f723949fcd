// The hub's audit ledger: entries committed with each request reach the signed ledger in batches
// (group commit) through a background drainer; across a crash nothing is lost and nothing is
// appended twice; a hub killed inside an append leaves an unsigned tail that the next start
// repairs (audited) instead of refusing to start, and a ledger a crash cannot explain is refused.
// On SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "hub_server_fixture.h"

namespace mamori::hub {
namespace {

class HubAuditLedger : public test_support::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    state_ =
        std::filesystem::temp_directory_path() / ("mamori-audit-" + test_support::randomHex(6));
  }
  void TearDown() override {
    std::error_code ec;
    if (!state_.empty()) std::filesystem::remove_all(state_, ec);
    BackendTest::TearDown();
  }
  std::unique_ptr<Hub> open() {
    HubOptions options;
    options.stateDir = state_;
    auto h = Hub::open(url(), options);
    EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
    return h.ok() ? std::move(*h) : nullptr;
  }
  std::filesystem::path ledgerDir() const { return state_ / "audit-ledger"; }
  std::filesystem::path entries() const { return ledgerDir() / "entries.ndjson"; }
  std::size_t headCount() const {
    std::ifstream in(ledgerDir() / "heads.ndjson");
    return static_cast<std::size_t>(
        std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
  }
  // The ledger's entries, after checking that it verifies under the hub's key.
  std::vector<nlohmann::json> verifiedEntries() const {
    auto key = VerifyKey::loadFile(state_ / "audit.pub");
    EXPECT_TRUE(key.ok());
    if (!key.ok()) return {};
    const auto v = verifyLedger(ledgerDir(), *key, std::nullopt);
    EXPECT_TRUE(v.ok) << (v.problems.empty() ? "" : v.problems.front());
    auto all = readLedgerEntries(ledgerDir());
    EXPECT_TRUE(all.ok()) << (all.ok() ? "" : all.error().message);
    return all.ok() ? std::move(*all) : std::vector<nlohmann::json>{};
  }
  static int64_t outboxRows(Hub& hub) {
    auto n = hub.database().query("SELECT COUNT(*) FROM audit_outbox");
    EXPECT_TRUE(n.ok());
    return n.ok() ? (*n)[0].int64(0) : -1;
  }
  static int count(const std::vector<nlohmann::json>& all, const char* field, const char* value) {
    return static_cast<int>(std::count_if(all.begin(), all.end(), [&](const nlohmann::json& e) {
      return e.value(field, "") == value;
    }));
  }

  std::filesystem::path state_;
};

TEST_P(HubAuditLedger, FlushAuditMovesCommittedEntriesIntoTheLedgerWithTheirOutboxIds) {
  auto hub = open();
  ASSERT_NE(hub, nullptr);
  ASSERT_TRUE(hub->createOrganisation({"NISC Centre", OrgType::kCentre}).ok());
  ASSERT_TRUE(hub->flushAudit().ok());
  EXPECT_EQ(outboxRows(*hub), 0);
  const auto all = verifiedEntries();
  ASSERT_EQ(count(all, "action", "create-organisation"), 1);
  const auto& e = all.back();
  EXPECT_EQ(e.value("action", ""), "create-organisation");
  EXPECT_TRUE(e.value("audit_id", "").starts_with("aud_")) << e.dump();
}

TEST_P(HubAuditLedger, TheBackgroundDrainerMovesEntriesWithoutAFlush) {
  auto hub = open();
  ASSERT_NE(hub, nullptr);
  ASSERT_TRUE(hub->createOrganisation({"NISC Centre", OrgType::kCentre}).ok());
  // No flushAudit(): the drainer was notified by the request (and wakes on its interval anyway).
  // Wait for it, bounded so that a broken drainer fails instead of hanging.
  for (int i = 0; i < 1000 && outboxRows(*hub) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(outboxRows(*hub), 0);
  EXPECT_EQ(count(verifiedEntries(), "action", "create-organisation"), 1);
}

TEST_P(HubAuditLedger, ManyEntriesGoIntoTheLedgerUnderOneHeadPerBatch) {
  auto hub = open();
  ASSERT_NE(hub, nullptr);
  ASSERT_TRUE(hub->flushAudit().ok());
  const std::size_t headsBefore = headCount();
  // 2,500 entries committed at once (one transaction), as a burst of requests would.
  std::vector<SqlValue> rows;
  for (int i = 0; i < 2500; ++i) {
    rows.emplace_back("aud_burst" + std::to_string(100000 + i));  // ids sort like i
    rows.emplace_back(int64_t{1000} + i);
    rows.emplace_back(nlohmann::json{{"type", "audit"}, {"n", i}}.dump());
  }
  auto c = hub->database().acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(
      c->executeBatch("INSERT INTO audit_outbox (id, at, entry) VALUES (?, ?, ?)", rows, 3).ok());
  ASSERT_TRUE(hub->flushAudit().ok());
  EXPECT_EQ(outboxRows(*hub), 0);
  // Batches of at most 1,000: three heads for 2,500 entries, not 2,500.
  EXPECT_EQ(headCount() - headsBefore, 3U);
  const auto all = verifiedEntries();
  std::vector<int> ns;
  for (const auto& e : all) {
    if (e.contains("n")) ns.push_back(e["n"].get<int>());
  }
  ASSERT_EQ(ns.size(), 2500U);
  for (int i = 0; i < 2500; ++i) EXPECT_EQ(ns[static_cast<std::size_t>(i)], i) << "(at, id) order";
}

// A crash between the ledger append and the outbox DELETE leaves rows that are already in the
// ledger; they are in its last batch, so they are deleted, not appended a second time — whether
// the same hub drains again or a restarted one does.
TEST_P(HubAuditLedger, RowsStillInTheOutboxAfterTheirAppendAreNotAppendedTwice) {
  auto reinsertLastBatch = [](Hub& hub, const std::vector<nlohmann::json>& all) {
    nlohmann::json last = all.back();
    const std::string id = last.at("audit_id");
    last.erase("audit_id");
    last.erase("seq");
    last.erase("time");
    ASSERT_TRUE(hub.database()
                    .execute("INSERT INTO audit_outbox (id, at, entry) VALUES (?, ?, ?)",
                             std::array{SqlValue(id), SqlValue(int64_t{1}), SqlValue(last.dump())})
                    .ok());
  };
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(hub->createOrganisation({"NISC Centre", OrgType::kCentre}).ok());
    ASSERT_TRUE(hub->flushAudit().ok());
    reinsertLastBatch(*hub, verifiedEntries());
    ASSERT_TRUE(hub->flushAudit().ok());
    EXPECT_EQ(outboxRows(*hub), 0);
    EXPECT_EQ(count(verifiedEntries(), "action", "create-organisation"), 1);
  }
  {
    // The same after a restart: the last batch is read back from the ledger at open.
    auto hub = open();
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(hub->createOrganisation({"Ministry of Health", OrgType::kMinistry}).ok());
    ASSERT_TRUE(hub->flushAudit().ok());
  }
  {
    auto db = openDatabase();
    ASSERT_NE(db, nullptr);
    auto all = verifiedEntries();
    nlohmann::json last = all.back();
    ASSERT_EQ(last.value("name", ""), "Ministry of Health");
    const std::string id = last.at("audit_id");
    for (const char* f : {"audit_id", "seq", "time"}) last.erase(f);
    ASSERT_TRUE(db->execute("INSERT INTO audit_outbox (id, at, entry) VALUES (?, ?, ?)",
                            std::array{SqlValue(id), SqlValue(int64_t{1}), SqlValue(last.dump())})
                    .ok());
  }
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr);
    EXPECT_EQ(outboxRows(*hub), 0);
  }
  const auto all = verifiedEntries();
  EXPECT_EQ(count(all, "action", "create-organisation"), 2);
  EXPECT_EQ(count(all, "name", "Ministry of Health"), 1);
}

TEST_P(HubAuditLedger, AnUnsignedTailIsRepairedAtStartAndTheRepairIsRecorded) {
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(hub->createOrganisation({"NISC Centre", OrgType::kCentre}).ok());
  }
  // What a kill between writing a batch and signing its head leaves: lines no head covers, the
  // last one torn.
  std::ofstream(entries(), std::ios::app)
      << R"({"type":"audit","seq":1,"time":"2026-01-01T00:00:00.000000Z"})"
      << "\n"
      << R"({"type":"audit","torn":tru)";
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr) << "the hub must start after a crash inside an append";
    ASSERT_TRUE(hub->createOrganisation({"Ministry of Health", OrgType::kMinistry}).ok());
  }
  const auto all = verifiedEntries();
  int repairs = 0;
  for (const auto& e : all) {
    if (e.value("type", "") == "ledger-repair") {
      ++repairs;
      EXPECT_EQ(e.value("removed_entries", 0), 2) << e.dump();
    }
  }
  EXPECT_EQ(repairs, 1);
  EXPECT_EQ(count(all, "action", "create-organisation"), 2);
}

TEST_P(HubAuditLedger, ALedgerACrashCannotExplainStopsTheHub) {
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(hub->createOrganisation({"NISC Centre", OrgType::kCentre}).ok());
    ASSERT_TRUE(hub->flushAudit().ok());
    ASSERT_TRUE(hub->createOrganisation({"Ministry of Health", OrgType::kMinistry}).ok());
  }
  // Alter a signed entry in the middle: that is tampering, not a crash.
  std::string text;
  {
    std::ifstream in(entries());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto at = text.find("NISC Centre");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "NOPE");
  std::ofstream(entries(), std::ios::trunc) << text;
  HubOptions options;
  options.stateDir = state_;
  auto h = Hub::open(url(), options);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("repair refused"), std::string::npos) << h.error().message;
}

MAMORI_INSTANTIATE_BACKEND_TEST(HubAuditLedger);

}  // namespace
}  // namespace mamori::hub
