// End-to-end test of `mamori indicators`: a real `mamori hub` process set up with `mamori admin`;
// one organisation publishes plain lists and a JSON document with the CLI, another lists them
// back with its own token and reads only what the labels let it (GREEN yes, AMBER and RED not).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "hub_process.h"

namespace mamori::e2e {
namespace {

const std::string kMamori = MAMORI_BIN;

class IndicatorsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.emplace("indicators");
    db_ = "sqlite:" + (*dir_ / "hub.db").string();
    ASSERT_EQ(admin("org add --name centre --type centre").exitCode, 0);
    ASSERT_EQ(admin("org add --name hospital --type operator --sector medical --prefix "
                    "203.0.113.0/24")
                  .exitCode,
              0);
    ASSERT_EQ(admin("org add --name bank --type operator --sector finance").exitCode, 0);
    hospitalToken_ = token("hospital-analyst", "hospital");
    bankToken_ = token("bank-analyst", "bank");
    hub_.emplace(db_, dir_->path());
    ASSERT_TRUE(hub_->running()) << "the hub did not start:\n" << hub_->log();
  }
  void TearDown() override {
    hub_.reset();
    dir_.reset();
  }

  CommandResult admin(const std::string& args) const { return hubAdmin(db_, args); }
  std::string token(const std::string& user, const std::string& org) {
    EXPECT_EQ(
        admin(fmt::format("user add --name {} --org {} --role analyst --clearance 2", user, org))
            .exitCode,
        0);
    auto t = admin("token create --user " + user);
    EXPECT_EQ(t.exitCode, 0) << t.output;
    return trim(t.output);
  }
  CommandResult indicators(const std::string& args, const std::string& token) const {
    return run(fmt::format("{} indicators {} --hub {} --token {}", kMamori, args, hub_->url(),
                           quote(token)));
  }
  // The NDJSON lines of `mamori indicators list` (the summary line on stderr is not JSON).
  static std::vector<nlohmann::json> items(const CommandResult& r) {
    std::vector<nlohmann::json> out;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.front() == '{') out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }
  static std::set<std::string> values(const CommandResult& r) {
    std::set<std::string> out;
    for (const auto& i : items(r)) out.insert(i["value"].get<std::string>());
    return out;
  }

  std::optional<ScratchDir> dir_;
  std::optional<HubProcess> hub_;
  std::string db_;
  std::string hospitalToken_;
  std::string bankToken_;
};

TEST_F(IndicatorsE2E, APlainListPublishedByOneOrganisationIsReadByAnotherAsItsLabelAllows) {
  writeFile(*dir_ / "green.txt", "# phishing seen this week\nEvil.Example.COM.\n\nphish.example\n");
  writeFile(*dir_ / "red.txt", "red-only.example\n");
  writeFile(*dir_ / "amber.json",
            R"({"indicators":[{"type":"ipv4","value":"192.0.2.0/24","tlp":"AMBER"}]})");
  auto r = indicators("publish --type domain --tlp GREEN " + quote((*dir_ / "green.txt").string()),
                      hospitalToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("published 2 indicators"), std::string::npos) << r.output;
  r = indicators("publish --type domain --tlp RED " + quote((*dir_ / "red.txt").string()),
                 hospitalToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = indicators("publish " + quote((*dir_ / "amber.json").string()), hospitalToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;

  // The bank reads the GREEN ones only; the hospital all it published.
  r = indicators("list", bankToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(values(r), (std::set<std::string>{"evil.example.com", "phish.example"}));
  r = indicators("list", hospitalToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(values(r), (std::set<std::string>{"evil.example.com", "phish.example",
                                              "red-only.example", "192.0.2.0/24"}));
  r = indicators("list --type ipv4", hospitalToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(values(r), (std::set<std::string>{"192.0.2.0/24"}));

  // Revoking: only the publisher; a syncing client sees the change after its last seq.
  r = indicators("list", bankToken_);
  const auto before = items(r);
  ASSERT_EQ(before.size(), 2U);
  int64_t last = 0;
  for (const auto& i : before) last = std::max(last, i["seq"].get<int64_t>());
  EXPECT_NE(r.output.find(fmt::format("--after {}", last)), std::string::npos) << r.output;
  const std::string id = before[0]["id"];
  r = indicators("revoke " + id, bankToken_);
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("not-own-org"), std::string::npos) << r.output;
  r = indicators("revoke " + id, hospitalToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = indicators(fmt::format("list --after {}", last), bankToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto changed = items(r);
  ASSERT_EQ(changed.size(), 1U) << r.output;
  EXPECT_EQ(changed[0]["id"], id);
  EXPECT_EQ(changed[0]["revoked"], true);
}

TEST_F(IndicatorsE2E, ARefusedPublishNamesTheLineOfTheFile) {
  writeFile(*dir_ / "list.txt", "good.example\n# a comment\nnot a domain!\nfine.example\n");
  auto r = indicators("publish --type domain --tlp GREEN " + quote((*dir_ / "list.txt").string()),
                      hospitalToken_);
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("invalid-indicators"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("indicators[1].value"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 3"), std::string::npos) << r.output;
  // All or nothing.
  r = indicators("list", hospitalToken_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(items(r).empty()) << r.output;
  // The label is the publisher's decision: no default.
  r = indicators("publish --type domain " + quote((*dir_ / "list.txt").string()), hospitalToken_);
  EXPECT_EQ(r.exitCode, 2) << r.output;
}

}  // namespace
}  // namespace mamori::e2e
