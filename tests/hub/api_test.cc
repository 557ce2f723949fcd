// The hub's HTTP API end to end: a real server on loopback (port chosen by the kernel), a real
// database (SQLite, and PostgreSQL when the test server is available), a real HTTP client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hub_test_support.h"
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
    state_ = std::filesystem::temp_directory_path() / ("mamori-hub-state-" + test_support::randomHex(6));
    HubOptions options;
    options.stateDir = state_;
    options.maxEventsPerBatch = 1000;
    auto h = Hub::open(url(), options);
    ASSERT_TRUE(h.ok()) << h.error().message;
    hub_ = std::move(*h);

    centre_ = create({"NISC Centre", OrgType::kCentre});
    ministry_ = create({"Ministry of Health", OrgType::kMinistry});
    NewOrganisation hospital{"Sakura Hospital", OrgType::kOperator, Sector::kMedical, "Ministry of Health",
                             {"203.0.113.0/24"}, {"sakura-hp.example.jp"}};
    hospital_ = create(hospital);
    NewOrganisation bank{"Fuji Bank", OrgType::kOperator, Sector::kFinance, "", {"198.51.100.0/24"},
                         {"fujibank.example.jp"}};
    bank_ = create(bank);
    analystToken_ = user("centre-analyst", "NISC Centre", Role::kAnalyst, 2);
    hospitalToken_ = user("hospital-viewer", "Sakura Hospital", Role::kViewer, 1);
    bankToken_ = user("bank-analyst", "Fuji Bank", Role::kAnalyst, 3);

    ServerOptions so;
    so.port = 0;
    so.threads = 4;
    so.maxBodyBytes = 1 << 20;
    server_ = std::make_unique<HubServer>(*hub_, so);
    auto port = server_->bind();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { server_->run(); });
    // httplib's stop() is lost if it comes before the server accepts: wait until it answers.
    for (int i = 0; i < 500 && call("GET", "/api/v1/health", "").status != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
      thread_.join();
    }
    server_.reset();
    hub_.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_, ec);
    test_support::BackendTest::TearDown();
  }

  std::string create(const NewOrganisation& o) {
    auto id = hub_->createOrganisation(o);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : "";
  }
  std::string user(const std::string& name, const std::string& org, Role role, int clearance) {
    auto u = hub_->createUser({name, org, role, clearance, ""});
    EXPECT_TRUE(u.ok()) << u.error().message;
    auto t = hub_->createToken(name, 0);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : "";
  }

  struct Reply {
    int status = 0;
    Json body;
  };
  Reply call(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "", const std::string& type = "application/json") {
    httplib::Client cli("127.0.0.1", port_);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result r = method == "GET" ? cli.Get(path, headers)
                                        : cli.Post(path, headers, body, type);
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = Json::parse(r->body, nullptr, false);
    return out;
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

  std::filesystem::path state_;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<HubServer> server_;
  std::thread thread_;
  int port_ = 0;
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
  server_->stop();
  thread_.join();
  server_.reset();
  hub_.reset();  // releases the ledger lock
  const auto key = VerifyKey::loadFile(state_ / "audit.pub");
  ASSERT_TRUE(key.ok()) << key.error().message;
  const auto v = verifyLedger(state_ / "audit-ledger", *key, std::nullopt);
  EXPECT_TRUE(v.ok) << (v.problems.empty() ? "" : v.problems.front());
  auto entries = readLedgerEntries(state_ / "audit-ledger");
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  int createdOrgs = 0;
  bool sawCreate = false;
  bool sawRead = false;
  bool sawRefusal = false;
  for (const auto& e : *entries) {
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
