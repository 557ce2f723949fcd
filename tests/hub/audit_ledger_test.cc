// The hub's audit ledger across a crash: a hub killed inside an append leaves an unsigned tail;
// the next start repairs it (audited) instead of refusing to start, and refuses a ledger a crash
// cannot explain.
#include <gtest/gtest.h>

#include <fstream>

#include "hub_server_fixture.h"

namespace mamori::hub {
namespace {

class HubAuditLedger : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<test_support::TestDatabase>("sqlite");
    ASSERT_TRUE(db_->error().empty()) << db_->error();
    state_ = std::filesystem::temp_directory_path() / ("mamori-audit-" + test_support::randomHex(6));
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(state_, ec);
  }
  std::unique_ptr<Hub> open() {
    HubOptions options;
    options.stateDir = state_;
    auto h = Hub::open(db_->url(), options);
    EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
    return h.ok() ? std::move(*h) : nullptr;
  }
  std::filesystem::path entries() const { return state_ / "audit-ledger" / "entries.ndjson"; }

  std::unique_ptr<test_support::TestDatabase> db_;
  std::filesystem::path state_;
};

TEST_F(HubAuditLedger, AnUnsignedTailIsRepairedAtStartAndTheRepairIsRecorded) {
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(hub->createOrganisation({"NISC Centre", OrgType::kCentre}).ok());
  }
  // What a kill between writing an entry and signing its head leaves: a line no head covers.
  std::ofstream(entries(), std::ios::app) << R"({"type":"audit","torn":tru)";
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr) << "the hub must start after a crash inside an append";
    ASSERT_TRUE(hub->createOrganisation({"Ministry of Health", OrgType::kMinistry}).ok());
  }
  auto key = VerifyKey::loadFile(state_ / "audit.pub");
  ASSERT_TRUE(key.ok());
  const auto v = verifyLedger(state_ / "audit-ledger", *key, std::nullopt);
  EXPECT_TRUE(v.ok) << (v.problems.empty() ? "" : v.problems.front());
  auto all = readLedgerEntries(state_ / "audit-ledger");
  ASSERT_TRUE(all.ok()) << all.error().message;
  int repairs = 0;
  int orgs = 0;
  for (const auto& e : *all) {
    if (e.value("type", "") == "ledger-repair") ++repairs;
    if (e.value("action", "") == "create-organisation") ++orgs;
  }
  EXPECT_EQ(repairs, 1);
  EXPECT_EQ(orgs, 2);
}

TEST_F(HubAuditLedger, ALedgerACrashCannotExplainStopsTheHub) {
  {
    auto hub = open();
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(hub->createOrganisation({"NISC Centre", OrgType::kCentre}).ok());
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
  auto h = Hub::open(db_->url(), options);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("repair refused"), std::string::npos) << h.error().message;
}

}  // namespace
}  // namespace mamori::hub
