// Organisation administration over the API (an organisation's record, its users and API tokens)
// and the dashboard counts, over real HTTP on both databases.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "hub_server_fixture.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

class HubAdminApi : public test_support::BackendTest {
 protected:
  void SetUp() override {
    test_support::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(hut_.open(url()));
    centre_ = hut_.organisation({"NISC Centre", OrgType::kCentre});
    hut_.organisation({"Ministry of Health", OrgType::kMinistry});
    commission_ = hut_.organisation({"Oversight Commission", OrgType::kCommission});
    hospital_ = hut_.organisation({"Sakura Hospital",
                                   OrgType::kOperator,
                                   Sector::kMedical,
                                   "Ministry of Health",
                                   {"203.0.113.0/24"},
                                   {}});
    bank_ = hut_.organisation(
        {"Fuji Bank", OrgType::kOperator, Sector::kFinance, "", {"198.51.100.0/24"}, {}});
    centreAdmin_ = hut_.userToken("centre-admin", "NISC Centre", Role::kAdmin, 3);
    centreAnalyst_ = hut_.userToken("centre-analyst", "NISC Centre", Role::kAnalyst, 2);
    hospitalAdmin_ = hut_.userToken("hospital-admin", "Sakura Hospital", Role::kAdmin, 2);
    hospitalViewer_ = hut_.userToken("hospital-viewer", "Sakura Hospital", Role::kViewer, 1);
    bankAnalyst_ = hut_.userToken("bank-analyst", "Fuji Bank", Role::kAnalyst, 1);
    ASSERT_TRUE(hut_.serve());
  }
  void TearDown() override {
    hut_.stop();
    test_support::BackendTest::TearDown();
  }

  using Reply = test_support::HubUnderTest::Reply;
  Reply call(const std::string& method, const std::string& path, const std::string& token,
             const Json& body = nullptr) {
    return hut_.call(method, path, token, body.is_null() ? "" : body.dump());
  }
  Reply addUser(const std::string& org, const std::string& token, const Json& body) {
    return call("POST", "/api/v1/organisations/" + org + "/users", token, body);
  }

  test_support::HubUnderTest hut_;
  std::string centre_, commission_, hospital_, bank_;
  std::string centreAdmin_, centreAnalyst_, hospitalAdmin_, hospitalViewer_, bankAnalyst_;
};

TEST_P(HubAdminApi, AnOrganisationsRecordIsPublicItsUsersAreForItsAdministrators) {
  auto asBank = call("GET", "/api/v1/organisations/" + hospital_, bankAnalyst_);
  ASSERT_EQ(asBank.status, 200);
  EXPECT_EQ(asBank.body["name"], "Sakura Hospital");
  EXPECT_EQ(asBank.body["sector"], "medical");
  EXPECT_EQ(asBank.body["ministry"], "Ministry of Health");
  EXPECT_EQ(asBank.body["prefixes"], Json::array({"203.0.113.0/24"}));
  EXPECT_FALSE(asBank.body.contains("users"));
  EXPECT_FALSE(
      call("GET", "/api/v1/organisations/" + hospital_, hospitalViewer_).body.contains("users"));

  for (const auto& token : {hospitalAdmin_, centreAdmin_}) {
    auto r = call("GET", "/api/v1/organisations/" + hospital_, token);
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.body.contains("users"));
    std::vector<std::string> names;
    for (const auto& u : r.body["users"]) names.push_back(u["name"]);
    EXPECT_EQ(names, (std::vector<std::string>{"hospital-admin", "hospital-viewer"}));
  }
  EXPECT_EQ(call("GET", "/api/v1/organisations/org_nonexistent", bankAnalyst_).status, 404);
}

TEST_P(HubAdminApi, AdminsAddUsersToTheirOwnOrganisationWhoCanThenLogIn) {
  auto r = addUser(hospital_, hospitalAdmin_,
                   {{"name", "ward-nurse"},
                    {"role", "analyst"},
                    {"clearance", 1},
                    {"password", "a long enough password"}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["role"], "analyst");
  auto login = hut_.hub().login("ward-nurse", "a long enough password");
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login.value().principal.orgId, hospital_);
  EXPECT_EQ(login.value().principal.clearance, 1);

  // The centre's admins administer every organisation but the commission.
  EXPECT_EQ(addUser(bank_, centreAdmin_, {{"name", "bank-2"}, {"role", "viewer"}, {"clearance", 0}})
                .status,
            201);
  auto commission = addUser(commission_, centreAdmin_,
                            {{"name", "infiltrator"}, {"role", "admin"}, {"clearance", 3}});
  EXPECT_EQ(commission.status, 403);
  EXPECT_EQ(commission.body["error"]["code"], "commission-self-administered");
}

TEST_P(HubAdminApi, OthersCannotAddUsersAndNothingIsWritten) {
  const Json body{{"name", "intruder"}, {"role", "admin"}, {"clearance", 0}};
  auto viewer = addUser(hospital_, hospitalViewer_, body);
  EXPECT_EQ(viewer.status, 403);
  EXPECT_EQ(viewer.body["error"]["code"], "role-below-admin");
  auto otherOrg = addUser(hospital_, bankAnalyst_, body);
  EXPECT_EQ(otherOrg.status, 403);
  auto analyst = addUser(bank_, centreAnalyst_, body);
  EXPECT_EQ(analyst.status, 403);
  auto users = call("GET", "/api/v1/organisations/" + hospital_, hospitalAdmin_).body["users"];
  for (const auto& u : users) EXPECT_NE(u["name"], "intruder");
}

TEST_P(HubAdminApi, BadUserRequestsNameTheField) {
  struct Case {
    Json body;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"role", "viewer"}, {"clearance", 0}}, "validation-failed", "name"},
      {{{"name", "x"}, {"role", "root"}, {"clearance", 0}}, "validation-failed", "role"},
      {{{"name", "x"}, {"role", "viewer"}, {"clearance", "high"}},
       "validation-failed",
       "clearance"},
      {{{"name", "x"}, {"role", "viewer"}, {"clearance", 3}}, "validation-failed", "clearance"},
      {{{"name", "x"}, {"role", "viewer"}, {"clearance", 0}, {"password", "short"}},
       "validation-failed",
       "password"},
      {{{"name", "x"}, {"role", "viewer"}, {"clearance", 0}, {"admin", true}},
       "unknown-field",
       "admin"},
      {{{"name", "hospital-viewer"}, {"role", "viewer"}, {"clearance", 0}}, "name-taken", "name"},
  };
  for (const auto& c : cases) {
    auto r = addUser(hospital_, hospitalAdmin_, c.body);
    EXPECT_TRUE(r.status == 400 || r.status == 409) << c.body.dump();
    EXPECT_EQ(r.body["error"]["code"], c.code) << c.body.dump();
    ASSERT_TRUE(r.body["error"]["details"].is_array()) << r.body.dump();
    EXPECT_EQ(r.body["error"]["details"][0]["field"], c.field) << c.body.dump();
  }
  auto notJson =
      hut_.call("POST", "/api/v1/organisations/" + hospital_ + "/users", hospitalAdmin_, "{name:");
  EXPECT_EQ(notJson.status, 400);
  EXPECT_EQ(notJson.body["error"]["code"], "invalid-json");
}

TEST_P(HubAdminApi, AdminsIssueTokensForTheirUsersShownOnce) {
  auto users = call("GET", "/api/v1/organisations/" + hospital_, hospitalAdmin_).body["users"];
  std::string viewerId;
  for (const auto& u : users) {
    if (u["name"] == "hospital-viewer") viewerId = u["id"];
  }
  ASSERT_FALSE(viewerId.empty());
  const std::string path = "/api/v1/organisations/" + hospital_ + "/users/" + viewerId + "/tokens";
  auto r = call("POST", path, hospitalAdmin_, Json{{"expires_in_days", 30}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string token = r.body["token"];
  auto expires = parseRfc3339(r.body["expires_at"].get<std::string>());
  ASSERT_TRUE(expires.ok());
  EXPECT_GT(*expires, nowMicros() + int64_t{29} * 86400 * 1'000'000);
  auto me = call("GET", "/api/v1/me", token);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["user"]["name"], "hospital-viewer");

  EXPECT_EQ(call("POST", path, hospitalViewer_, Json::object()).status, 403);
  EXPECT_EQ(call("POST", path, hospitalAdmin_, Json{{"expires_in_days", 0}}).status, 400);
  // A user id of another organisation is not found under this one.
  auto wrongOrg = call("POST", "/api/v1/organisations/" + bank_ + "/users/" + viewerId + "/tokens",
                       centreAdmin_, Json::object());
  EXPECT_EQ(wrongOrg.status, 404);
  // The token itself never reaches the audit ledger.
  for (const auto& e : hut_.auditEntries()) EXPECT_EQ(e.dump().find(token), std::string::npos);
}

TEST_P(HubAdminApi, DashboardCountsWhatTheCallerMayRead) {
  std::string batch;
  const std::map<std::string, std::string> events = {
      {"d1", "203.0.113.5"}, {"d2", "203.0.113.6"}, {"d3", "198.51.100.9"}};
  for (const auto& [id, target] : events) {
    batch += Json{{"id", id},
                  {"category", id == "d3" ? "path-traversal" : "sqli"},
                  {"pattern", "single"},
                  {"severity", "high"},
                  {"first_seen", "2026-11-26T01:00:00.000000Z"},
                  {"sources", {"192.0.2.7"}},
                  {"targets", {target}},
                  {"requests", 3}}
                 .dump() +
             "\n";
  }
  ASSERT_EQ(
      hut_.call("POST", "/api/v1/events", centreAnalyst_, batch, "application/x-ndjson").status,
      200);
  for (const std::string to : {"in-review", "confirmed", "notified"}) {
    ASSERT_EQ(call("POST", "/api/v1/events/d1/transitions", centreAnalyst_,
                   {{"to", to}, {"reason", "checked"}})
                  .status,
              200);
  }

  auto centre = call("GET", "/api/v1/dashboard?days=7", centreAnalyst_);
  ASSERT_EQ(centre.status, 200) << centre.body.dump();
  int64_t sqli = 0;
  int64_t traversal = 0;
  for (const auto& d : centre.body["events_by_day"]) {
    EXPECT_EQ(d["day"].get<std::string>().size(), 10U);
    (d["category"] == "sqli" ? sqli : traversal) += d["count"].get<int64_t>();
  }
  EXPECT_EQ(sqli, 2);
  EXPECT_EQ(traversal, 1);
  std::map<std::string, int64_t> open;
  for (const auto& o : centre.body["open_events_by_organisation"]) {
    open[o["organisation"]["name"]] = o["count"];
  }
  EXPECT_EQ(open, (std::map<std::string, int64_t>{{"Fuji Bank", 1}, {"Sakura Hospital", 1}}));

  // The hospital sees only what was released to it: d1, notified, no longer open.
  auto hospital = call("GET", "/api/v1/dashboard", hospitalViewer_);
  ASSERT_EQ(hospital.status, 200);
  ASSERT_EQ(hospital.body["events_by_day"].size(), 1U);
  EXPECT_EQ(hospital.body["events_by_day"][0]["count"], 1);
  EXPECT_TRUE(hospital.body["open_events_by_organisation"].empty());
  auto bank = call("GET", "/api/v1/dashboard", bankAnalyst_);
  EXPECT_TRUE(bank.body["events_by_day"].empty());

  // Reports: a draft counts for its reporter only.
  ASSERT_EQ(call("POST", "/api/v1/reports", bankAnalyst_,
                 {{"type", "ransomware"}, {"draft", Json::object()}})
                .status,
            201);
  auto bankReports = call("GET", "/api/v1/dashboard", bankAnalyst_).body["reports_by_sector_stage"];
  ASSERT_EQ(bankReports.size(), 1U);
  EXPECT_EQ(bankReports[0]["stage"], "draft");
  EXPECT_TRUE(
      call("GET", "/api/v1/dashboard", centreAnalyst_).body["reports_by_sector_stage"].empty());

  EXPECT_EQ(call("GET", "/api/v1/dashboard?days=0", centreAnalyst_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/dashboard?weeks=2", centreAnalyst_).status, 400);
}

MAMORI_INSTANTIATE_BACKEND_TEST(HubAdminApi);

}  // namespace
}  // namespace mamori::hub
