// The hub's HTTP API end to end: a real server on loopback (port chosen by the kernel), a real
// database (SQLite, and PostgreSQL when the test server is available), a real HTTP client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hub_server_fixture.h"
#include "mamori/core/ledger.h"
#include "mamori/core/signing.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/server.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

class HubApi : public test_support::BackendTest {
 protected:
  void SetUp() override {
    test_support::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    HubOptions options;
    options.maxEventsPerBatch = 1000;
    ASSERT_TRUE(hut_.open(url(), options));

    centre_ = hut_.organisation({"NISC Centre", OrgType::kCentre});
    ministry_ = hut_.organisation({"Ministry of Health", OrgType::kMinistry});
    hospital_ = hut_.organisation({"Sakura Hospital", OrgType::kOperator, Sector::kMedical,
                                   "Ministry of Health", {"203.0.113.0/24"},
                                   {"sakura-hp.example.jp"}});
    bank_ = hut_.organisation({"Fuji Bank", OrgType::kOperator, Sector::kFinance, "",
                               {"198.51.100.0/24"}, {"fujibank.example.jp"}});
    analystToken_ = hut_.userToken("centre-analyst", "NISC Centre", Role::kAnalyst, 2);
    hospitalToken_ = hut_.userToken("hospital-viewer", "Sakura Hospital", Role::kViewer, 1);
    bankToken_ = hut_.userToken("bank-analyst", "Fuji Bank", Role::kAnalyst, 3);
    ASSERT_TRUE(hut_.serve());
  }

  void TearDown() override {
    hut_.stop();  // before the test database goes
    test_support::BackendTest::TearDown();
  }

  using Reply = test_support::HubUnderTest::Reply;
  Reply call(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "", const std::string& type = "application/json") {
    return hut_.call(method, path, token, body, type);
  }

  static std::string detectEvent(const std::string& id, const std::string& target,
                                 const std::string& category = "sqli") {
    return Json{{"id", id},
                {"category", category},
                {"pattern", "single"},
                {"severity", "high"},
                {"first_seen", "2026-11-26T01:00:00.000000Z"},
                {"sources", {"192.0.2.7"}},
                {"targets", {target}},
                {"requests", 3}}
        .dump();
  }

  test_support::HubUnderTest hut_;
  std::string centre_, ministry_, hospital_, bank_;
  std::string analystToken_, hospitalToken_, bankToken_;
};

TEST_P(HubApi, HealthNeedsNoTokenEverythingElseDoes) {
  EXPECT_EQ(call("GET", "/api/v1/health", "").status, 200);
  auto r = call("GET", "/api/v1/me", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["code"], "missing-token");
  r = call("GET", "/api/v1/events", "mamori_" + std::string(64, '0'));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["code"], "bad-token");
  r = call("GET", "/api/v1/me", analystToken_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["user"]["name"], "centre-analyst");
  EXPECT_EQ(r.body["organisation"]["type"], "centre");
}

TEST_P(HubApi, EventsAreIngestedIdempotentlyAndRoutedByDomainAndPrefix) {
  const std::string batch = detectEvent("ev1", "www.sakura-hp.example.jp") + "\n" +
                            detectEvent("ev2", "198.51.100.9:443") + "\n" +
                            detectEvent("ev3", "unknown.example.org") + "\n";
  auto r = call("POST", "/api/v1/events", analystToken_, batch, "application/x-ndjson");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["accepted"], 3);
  EXPECT_EQ(r.body["duplicates"], 0);
  // The same batch again: nothing new, nothing duplicated.
  r = call("POST", "/api/v1/events", analystToken_, batch, "application/x-ndjson");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["accepted"], 0);
  EXPECT_EQ(r.body["duplicates"], 3);

  r = call("GET", "/api/v1/events?limit=10", analystToken_);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["items"].size(), 3U);
  std::map<std::string, Json> byId;
  for (const auto& e : r.body["items"]) byId[e["id"]] = e["target_organisation"];
  EXPECT_EQ(byId["ev1"], hospital_);
  EXPECT_EQ(byId["ev2"], bank_);
  EXPECT_TRUE(byId["ev3"].is_null());
}

TEST_P(HubApi, BadBatchesAreRejectedWholeNamingTheLine) {
  const std::string batch = detectEvent("ok1", "x.example") + "\n{not json\n";
  auto r = call("POST", "/api/v1/events", analystToken_, batch, "application/x-ndjson");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "invalid-json");
  EXPECT_EQ(r.body["error"]["details"]["line"], 2);
  r = call("POST", "/api/v1/events", analystToken_, R"({"id":"x y","category":"sqli","pattern":"single"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("\"id\""), std::string::npos);
  r = call("POST", "/api/v1/events", analystToken_, R"({"id":"a1","hello":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "invalid-record");
  // Nothing of the rejected batches was stored.
  r = call("GET", "/api/v1/events", analystToken_);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body["items"].empty());
  // Too large for the server: JSON 413, never a crash.
  r = call("POST", "/api/v1/events", analystToken_, std::string(2 << 20, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body["error"]["code"], "body-too-large");
  // Operators cannot create events.
  r = call("POST", "/api/v1/events", bankToken_, detectEvent("b1", "x.example"));
  EXPECT_EQ(r.status, 403);
  r = call("GET", "/api/v1/events?limit=abc", analystToken_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["details"]["parameter"], "limit");
  r = call("GET", "/api/v1/events?colour=red", analystToken_);
  EXPECT_EQ(r.status, 400);
  r = call("GET", "/api/v1/nothing-here", analystToken_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"]["code"], "not-found");
}

TEST_P(HubApi, TriageToNotifiedReachesTheTargetOrganisationOnly) {
  ASSERT_EQ(call("POST", "/api/v1/events", analystToken_,
                 detectEvent("ev9", "portal.sakura-hp.example.jp", "exploit"))
                .status,
            200);
  // Before notification the hospital sees nothing.
  EXPECT_TRUE(call("GET", "/api/v1/events", hospitalToken_).body["items"].empty());
  EXPECT_EQ(call("GET", "/api/v1/events/ev9", hospitalToken_).status, 404);

  auto move = [&](const std::string& to, const std::string& token, const std::string& why = "") {
    Json b{{"to", to}};
    if (!why.empty()) b["reason"] = why;
    return call("POST", "/api/v1/events/ev9/transitions", token, b.dump());
  };
  EXPECT_EQ(move("confirmed", analystToken_).status, 409);  // new -> confirmed skips review
  EXPECT_EQ(move("in-review", bankToken_).status, 403);     // only the centre triages
  EXPECT_EQ(move("in-review", analystToken_).status, 200);
  EXPECT_EQ(move("confirmed", analystToken_).status, 200);
  auto r = move("notified", analystToken_, "please check the VPN appliance");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(move("noise", analystToken_, "x").status, 409);  // notified events are not noise

  r = call("GET", "/api/v1/notifications", hospitalToken_);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["items"].size(), 1U);
  EXPECT_EQ(r.body["items"][0]["event"], "ev9");
  EXPECT_EQ(r.body["items"][0]["content"]["message"], "please check the VPN appliance");
  EXPECT_TRUE(call("GET", "/api/v1/notifications", bankToken_).body["items"].empty());

  r = call("GET", "/api/v1/events/ev9", hospitalToken_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["state"], "notified");
  ASSERT_EQ(r.body["history"].size(), 3U);
  EXPECT_EQ(r.body["history"][2]["to"], "notified");
  EXPECT_EQ(call("GET", "/api/v1/events/ev9", bankToken_).status, 404);
}

TEST_P(HubApi, EveryReadAndWriteIsInTheSignedAuditLedger) {
  ASSERT_EQ(call("POST", "/api/v1/events", analystToken_, detectEvent("a1", "x.example")).status, 200);
  ASSERT_EQ(call("GET", "/api/v1/events/a1", analystToken_).status, 200);
  ASSERT_EQ(call("GET", "/api/v1/events/a1", bankToken_).status, 404);  // refused reads too
  const auto entries = hut_.auditEntries();
  int createdOrgs = 0;
  bool sawCreate = false;
  bool sawRead = false;
  bool sawRefusal = false;
  for (const auto& e : entries) {
    if (e.value("action", "") == "create-organisation") ++createdOrgs;
    if (e.value("action", "") == "create" && e.value("kind", "") == "event") sawCreate = true;
    if (e.value("action", "") == "read" && e.value("object", "") == "a1") {
      if (e.value("allowed", false)) sawRead = true;
      if (!e.value("allowed", true)) sawRefusal = true;
    }
  }
  EXPECT_EQ(createdOrgs, 4);
  EXPECT_TRUE(sawCreate);
  EXPECT_TRUE(sawRead);
  EXPECT_TRUE(sawRefusal);
}

MAMORI_INSTANTIATE_BACKEND_TEST(HubApi);

}  // namespace
}  // namespace mamori::hub
