// The incident report endpoints end to end: a real server on loopback, a real database (SQLite,
// and PostgreSQL when the test server is available), a real HTTP client. Who may read a report
// is checked against docs/sharing.md: the reporter, its overseeing ministry, the centre, and the
// police only when the reporter included them.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "hub_server_fixture.h"
#include "mamori/core/ledger.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/server.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

constexpr int64_t kHour = 3600LL * 1'000'000;

// An initial (速報) document without `type` (the request names it): the fields the initial
// stage requires per docs/incident-reports.md.
Json initialDoc(int64_t discoveredAt, const std::string& sector = "medical") {
  return Json{
      {"sector", sector},
      {"reporter", {{"contact", {{"name", "Sato Hanako"}, {"email", "soc@hospital.example"}}}}},
      {"discovered_at", formatRfc3339(discoveredAt)},
      {"impact", {{"level", "severe"}}},
      {"description", "Files on the EMR servers were encrypted overnight."}};
}

// Adds what the interim stage requires.
Json interimDoc(int64_t discoveredAt) {
  Json d = initialDoc(discoveredAt);
  d["occurred_at"] = formatRfc3339(discoveredAt - 2 * kHour);
  d["systems_affected"] =
      Json::array({{{"name", "electronic medical records"}, {"kind", "server"}}});
  d["initial_access_vector"] = "vpn-vulnerability";
  d["indicators"] = Json::array({{{"type", "ipv4"}, {"value", "198.51.100.23"}}});
  return d;
}

// Adds what the final stage requires of a ransomware report.
Json finalDoc(int64_t discoveredAt) {
  Json d = interimDoc(discoveredAt);
  d["services_affected"] = Json::array({"outpatient reception"});
  d["impact"] = {{"level", "severe"},
                 {"description", "Reception ran on paper for three days."},
                 {"service_stopped", true}};
  d["contacts"] = Json::array();
  d["police"] = {{"contacted", false}, {"include_in_sharing", false}};
  d["ransomware"] = {
      {"encryption", {{"scope", "partial"}, {"systems_encrypted", 4}}},
      {"exfiltration", {{"suspected", true}, {"confirmed", false}, {"leak_site_listed", false}}},
      {"ransom", {{"demanded", false}, {"paid", false}}},
      {"backups", {{"status", "intact"}, {"restore_started", true}}}};
  return d;
}

bool hasFieldError(const Json& body, const std::string& field) {
  if (!body.contains("error") || !body["error"].contains("details")) return false;
  const Json& details = body["error"]["details"];
  if (!details.is_array()) return false;
  return std::any_of(details.begin(), details.end(), [&](const Json& e) {
    return e.is_object() && e.value("field", "") == field && !e.value("problem", "").empty();
  });
}

std::set<std::string> idsOf(const Json& list) {
  std::set<std::string> out;
  if (!list.contains("items")) return out;
  for (const auto& i : list["items"]) out.insert(i["id"].get<std::string>());
  return out;
}

class ReportsApi : public test_support::BackendTest {
 protected:
  void SetUp() override {
    test_support::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(hut_.open(url()));
    centre_ = hut_.organisation({"NISC Centre", OrgType::kCentre});
    health_ = hut_.organisation({"Ministry of Health", OrgType::kMinistry});
    finance_ = hut_.organisation({"Financial Services Agency", OrgType::kMinistry});
    police_ = hut_.organisation({"National Police Agency", OrgType::kPolice});
    hospital_ = hut_.organisation(
        {"Sakura Hospital", OrgType::kOperator, Sector::kMedical, "Ministry of Health", {}, {}});
    bank_ = hut_.organisation(
        {"Fuji Bank", OrgType::kOperator, Sector::kFinance, "Financial Services Agency", {}, {}});
    clinic_ = hut_.organisation({"Ume Clinic", OrgType::kOperator, Sector::kMedical, "Ministry of Health", {}, {}});
    centreToken_ = hut_.userToken("centre-analyst", "NISC Centre", Role::kAnalyst, 2);
    healthToken_ = hut_.userToken("health-analyst", "Ministry of Health", Role::kAnalyst, 2);
    financeToken_ = hut_.userToken("finance-analyst", "Financial Services Agency", Role::kAnalyst, 3);
    policeToken_ = hut_.userToken("police-analyst", "National Police Agency", Role::kAnalyst, 2);
    hospitalToken_ = hut_.userToken("hospital-analyst", "Sakura Hospital", Role::kAnalyst, 2);
    hospitalViewerToken_ = hut_.userToken("hospital-viewer", "Sakura Hospital", Role::kViewer, 2);
    bankToken_ = hut_.userToken("bank-analyst", "Fuji Bank", Role::kAnalyst, 3);
    clinicToken_ = hut_.userToken("clinic-analyst", "Ume Clinic", Role::kAnalyst, 3);

    ASSERT_TRUE(hut_.serve());
  }

  void TearDown() override {
    hut_.stop();  // before the test database goes
    test_support::BackendTest::TearDown();
  }

  void stopServer() { hut_.stop(); }

  using Reply = test_support::HubUnderTest::Reply;
  Reply call(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "") {
    return hut_.call(method, path, token, body);
  }

  // Files a report as `token`; returns its id ("" on failure, with a test failure).
  std::string file(const std::string& token, const std::string& type, const std::string& stage,
                   const Json& doc) {
    auto r = call("POST", "/api/v1/reports", token,
                  Json{{"type", type}, {"stage", stage}, {"document", doc}}.dump());
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.status == 201 ? r.body["id"].get<std::string>() : "";
  }
  Reply submit(const std::string& token, const std::string& id, const std::string& stage,
               const Json& doc) {
    return call("POST", "/api/v1/reports/" + id + "/submissions", token,
                Json{{"stage", stage}, {"document", doc}}.dump());
  }

  test_support::HubUnderTest hut_;
  std::string centre_, health_, finance_, police_, hospital_, bank_, clinic_;
  std::string centreToken_, healthToken_, financeToken_, policeToken_, hospitalToken_,
      hospitalViewerToken_, bankToken_, clinicToken_;
};

TEST_P(ReportsApi, RansomwareInitialReachesTheMinistryAndTheCentreOnly) {
  const int64_t discovered = nowMicros() - 3 * kHour;
  auto r =
      call("POST", "/api/v1/reports", hospitalToken_,
           Json{{"type", "ransomware"}, {"stage", "initial"}, {"document", initialDoc(discovered)}}
               .dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string id = r.body["id"];
  EXPECT_EQ(r.body["type"], "ransomware");
  EXPECT_EQ(r.body["stage"], "initial");
  EXPECT_EQ(r.body["sector"], "medical");
  EXPECT_EQ(r.body["reporter"]["id"], hospital_);
  // The hub stamps the reporter from the token and fills the defaults.
  EXPECT_EQ(r.body["document"]["reporter"]["organisation"], hospital_);
  EXPECT_EQ(r.body["document"]["tlp"], "AMBER");
  EXPECT_EQ(r.body["status"]["next_due"], "interim");
  EXPECT_EQ(r.body["status"]["overdue_now"], false);
  EXPECT_EQ(r.body["status"]["stages"][0]["satisfied_by"], "initial");
  // Due 24 h after discovery (the default deadline).
  EXPECT_EQ(r.body["status"]["stages"][0]["due_at"], formatRfc3339(discovered + 24 * kHour));
  EXPECT_TRUE(r.body["recipients"].empty());

  // One reporting point: the hospital's ministry and the centre read it.
  for (const auto* token : {&hospitalToken_, &healthToken_, &centreToken_}) {
    auto g = call("GET", "/api/v1/reports/" + id, *token);
    ASSERT_EQ(g.status, 200) << g.body.dump();
    EXPECT_EQ(g.body["document"]["description"], initialDoc(discovered)["description"]);
    EXPECT_EQ(idsOf(call("GET", "/api/v1/reports", *token).body), std::set<std::string>{id});
  }
  // Another operator (same ministry or not), a ministry that does not oversee the hospital, and
  // the police (not included) cannot, and cannot tell it exists.
  for (const auto* token : {&bankToken_, &clinicToken_, &financeToken_, &policeToken_}) {
    auto g = call("GET", "/api/v1/reports/" + id, *token);
    EXPECT_EQ(g.status, 404) << g.body.dump();
    EXPECT_EQ(g.body["error"]["code"], "not-found");
    auto l = call("GET", "/api/v1/reports", *token);
    ASSERT_EQ(l.status, 200);
    EXPECT_TRUE(l.body["items"].empty()) << l.body.dump();
  }
  EXPECT_EQ(call("GET", "/api/v1/reports/rep_doesnotexist", centreToken_).status, 404);
}

TEST_P(ReportsApi, PoliceReadOnlyReportsThatIncludeThem) {
  Json withPolice = initialDoc(nowMicros() - kHour);
  withPolice["police"] = {
      {"contacted", true}, {"include_in_sharing", true}, {"case_reference", "TKY-2025-0042"}};
  const std::string included = file(hospitalToken_, "ransomware", "initial", withPolice);
  Json contactedOnly = initialDoc(nowMicros() - kHour);
  contactedOnly["police"] = {{"contacted", true}, {"include_in_sharing", false}};
  const std::string notIncluded = file(hospitalToken_, "ransomware", "initial", contactedOnly);
  ASSERT_FALSE(included.empty());
  ASSERT_FALSE(notIncluded.empty());

  auto g = call("GET", "/api/v1/reports/" + included, policeToken_);
  ASSERT_EQ(g.status, 200) << g.body.dump();
  EXPECT_EQ(g.body["police_included"], true);
  EXPECT_EQ(g.body["recipients"], Json::array({police_}));
  EXPECT_EQ(call("GET", "/api/v1/reports/" + notIncluded, policeToken_).status, 404);
  EXPECT_EQ(idsOf(call("GET", "/api/v1/reports", policeToken_).body),
            std::set<std::string>{included});

  // The reporter's later choice decides: an interim submission withdrawing the police.
  Json interim = interimDoc(nowMicros() - kHour);
  interim["police"] = {{"contacted", true}, {"include_in_sharing", false}};
  ASSERT_EQ(submit(hospitalToken_, included, "interim", interim).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/reports/" + included, policeToken_).status, 404);
  EXPECT_TRUE(call("GET", "/api/v1/reports", policeToken_).body["items"].empty());
}

TEST_P(ReportsApi, ValidationErrorsNameTheFieldAndStoreNothing) {
  Json doc = initialDoc(nowMicros() - kHour);
  doc.erase("discovered_at");
  doc["impact"]["levle"] = "severe";
  auto r = call("POST", "/api/v1/reports", hospitalToken_,
                Json{{"type", "ransomware"}, {"stage", "initial"}, {"document", doc}}.dump());
  ASSERT_EQ(r.status, 400) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "validation-failed");
  EXPECT_TRUE(hasFieldError(r.body, "discovered_at")) << r.body.dump();
  EXPECT_TRUE(hasFieldError(r.body, "impact.levle")) << r.body.dump();

  // A later stage requires more: this document is not an interim report.
  r = call("POST", "/api/v1/reports", hospitalToken_,
           Json{{"type", "ransomware"},
                {"stage", "interim"},
                {"document", initialDoc(nowMicros() - kHour)}}
               .dump());
  ASSERT_EQ(r.status, 400);
  EXPECT_TRUE(hasFieldError(r.body, "occurred_at")) << r.body.dump();
  EXPECT_TRUE(hasFieldError(r.body, "systems_affected")) << r.body.dump();

  // The document's type must be the report's.
  Json ddos = initialDoc(nowMicros() - kHour);
  ddos["type"] = "ddos";
  r = call("POST", "/api/v1/reports", hospitalToken_,
           Json{{"type", "ransomware"}, {"stage", "initial"}, {"document", ddos}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(hasFieldError(r.body, "type")) << r.body.dump();
  // Nor may a document claim another organisation as its reporter.
  Json forged = initialDoc(nowMicros() - kHour);
  forged["reporter"]["organisation"] = bank_;
  r = call("POST", "/api/v1/reports", hospitalToken_,
           Json{{"type", "ransomware"}, {"stage", "initial"}, {"document", forged}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(hasFieldError(r.body, "reporter.organisation")) << r.body.dump();

  // The request around the document.
  r = call("POST", "/api/v1/reports", hospitalToken_, "{\"type\": \"ransomware\",");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "invalid-json");
  r = call("POST", "/api/v1/reports", hospitalToken_,
           Json{{"type", "ransomware"},
                {"stage", "initial"},
                {"document", initialDoc(nowMicros())},
                {"priority", "high"}}
               .dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "unknown-field");
  EXPECT_EQ(r.body["error"]["details"]["field"], "priority");
  r = call(
      "POST", "/api/v1/reports", hospitalToken_,
      Json{{"type", "ransomware"}, {"stage", "preliminary"}, {"document", initialDoc(nowMicros())}}
          .dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["details"]["field"], "stage");
  r = call("POST", "/api/v1/reports", hospitalToken_,
           Json{{"type", "phishing"}, {"stage", "initial"}, {"document", initialDoc(nowMicros())}}
               .dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["details"]["field"], "type");
  r = call("POST", "/api/v1/reports", hospitalToken_, Json{{"type", "ransomware"}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["details"]["field"], "document");
  r = call("POST", "/api/v1/reports", hospitalToken_, "[1, 2]");
  EXPECT_EQ(r.status, 400);

  // Viewers do not file (role-below-analyst), and nothing above was stored.
  r = call("POST", "/api/v1/reports", hospitalViewerToken_,
           Json{{"type", "ransomware"}, {"stage", "initial"}, {"document", initialDoc(nowMicros())}}
               .dump());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"]["code"], "role-below-analyst");
  // Nobody files above their own clearance (the hospital analyst has 2).
  Json secret = initialDoc(nowMicros() - kHour);
  secret["sensitivity"] = 3;
  r = call("POST", "/api/v1/reports", hospitalToken_,
           Json{{"type", "ransomware"}, {"stage", "initial"}, {"document", secret}}.dump());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"]["code"], "clearance-below-sensitivity");
  auto l = call("GET", "/api/v1/reports", hospitalToken_);
  ASSERT_EQ(l.status, 200);
  EXPECT_TRUE(l.body["items"].empty()) << l.body.dump();
}

TEST_P(ReportsApi, StagesAdvanceOneAtATimeWithCorrectionsOnTheTimeline) {
  const int64_t discovered = nowMicros() - 5 * kHour;
  const std::string id = file(hospitalToken_, "ransomware", "initial", initialDoc(discovered));
  ASSERT_FALSE(id.empty());

  // initial -> final skips the interim report.
  auto r = submit(hospitalToken_, id, "final", finalDoc(discovered));
  EXPECT_EQ(r.status, 409) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "illegal-stage");
  // A corrected initial report is accepted and kept in the timeline.
  Json corrected = initialDoc(discovered);
  corrected["description"] = "Corrected: the file server was encrypted too.";
  r = submit(hospitalToken_, id, "initial", corrected);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["document"]["description"], corrected["description"]);
  // Only the reporter advances it: the ministry reads it but cannot file for the hospital, and
  // another operator cannot tell that it exists.
  r = submit(healthToken_, id, "interim", interimDoc(discovered));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"]["code"], "not-reporter");
  EXPECT_EQ(submit(bankToken_, id, "interim", interimDoc(discovered)).status, 404);
  EXPECT_EQ(submit(hospitalViewerToken_, id, "interim", interimDoc(discovered)).status, 403);
  // An interim submission must be a valid interim document.
  r = submit(hospitalToken_, id, "interim", initialDoc(discovered));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(hasFieldError(r.body, "initial_access_vector")) << r.body.dump();

  r = submit(hospitalToken_, id, "interim", interimDoc(discovered));
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["stage"], "interim");
  EXPECT_EQ(r.body["status"]["next_due"], "final");
  // Back to initial is not a correction of the current stage.
  r = submit(hospitalToken_, id, "initial", initialDoc(discovered));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body["error"]["details"]["from"], "interim");

  r = submit(hospitalToken_, id, "final", finalDoc(discovered));
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["stage"], "final");
  EXPECT_TRUE(r.body["status"]["next_due"].is_null());
  EXPECT_EQ(r.body["status"]["overdue_now"], false);
  EXPECT_EQ(r.body["document"]["ransomware"]["backups"]["status"], "intact");

  // The timeline, as the centre sees it: who filed which stage and when.
  auto g = call("GET", "/api/v1/reports/" + id, centreToken_);
  ASSERT_EQ(g.status, 200);
  const Json& t = g.body["timeline"];
  ASSERT_EQ(t.size(), 4U) << g.body.dump();
  const std::vector<std::string> stages = {"initial", "initial", "interim", "final"};
  for (std::size_t i = 0; i < stages.size(); ++i) {
    EXPECT_EQ(t[i]["stage"], stages[i]);
    EXPECT_EQ(t[i]["user"]["name"], "hospital-analyst");
    EXPECT_EQ(t[i]["correction"], i == 1);
    EXPECT_TRUE(parseRfc3339(t[i]["submitted_at"].get<std::string>()).ok());
  }
  // Deadlines are measured from the first submission of each stage, not the correction.
  EXPECT_EQ(g.body["status"]["stages"][0]["submitted_at"], t[0]["submitted_at"]);
  EXPECT_EQ(g.body["status"]["stages"][1]["submitted_at"], t[2]["submitted_at"]);
  EXPECT_EQ(submit(hospitalToken_, id, "final", finalDoc(discovered)).status, 200);  // correction
  EXPECT_EQ(submit(hospitalToken_, "rep_nope", "initial", initialDoc(discovered)).status, 404);
}

TEST_P(ReportsApi, ReportsPastTheirDeadlinesAreFlaggedOverdue) {
  // Discovered two days ago; the initial report was never filed, only a draft saved.
  const int64_t twoDaysAgo = nowMicros() - 48 * kHour;
  Json draft = initialDoc(twoDaysAgo);
  draft.erase("description");
  auto r = call("POST", "/api/v1/reports", hospitalToken_,
                Json{{"type", "ransomware"}, {"draft", draft}}.dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string neverFiled = r.body["id"];
  EXPECT_TRUE(r.body["stage"].is_null());
  EXPECT_EQ(r.body["status"]["overdue_now"], true);
  EXPECT_EQ(r.body["status"]["next_due"], "initial");
  EXPECT_EQ(r.body["status"]["stages"][0]["overdue"], true);
  EXPECT_TRUE(r.body["status"]["stages"][0]["submitted_at"].is_null());

  // Filed late: the initial stage stays marked late, but nothing is outstanding past due (the
  // interim report is due at 72 h).
  const std::string late = file(hospitalToken_, "ransomware", "initial", initialDoc(twoDaysAgo));
  auto g = call("GET", "/api/v1/reports/" + late, hospitalToken_);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body["status"]["stages"][0]["overdue"], true);
  EXPECT_EQ(g.body["status"]["stages"][1]["overdue"], false);
  EXPECT_EQ(g.body["status"]["overdue_now"], false);

  // Four days after discovery with only the initial report: the interim one is overdue now.
  const int64_t fourDaysAgo = nowMicros() - 96 * kHour;
  const std::string interimDue =
      file(hospitalToken_, "ransomware", "initial", initialDoc(fourDaysAgo));
  g = call("GET", "/api/v1/reports/" + interimDue, centreToken_);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body["status"]["overdue_now"], true);
  EXPECT_EQ(g.body["status"]["next_due"], "interim");
  const std::string onTime =
      file(hospitalToken_, "ransomware", "initial", initialDoc(nowMicros() - kHour));

  EXPECT_EQ(idsOf(call("GET", "/api/v1/reports?overdue=true", hospitalToken_).body),
            (std::set<std::string>{neverFiled, interimDue}));
  EXPECT_EQ(idsOf(call("GET", "/api/v1/reports?overdue=false", hospitalToken_).body),
            (std::set<std::string>{late, onTime}));
  // The centre never sees the unfiled draft, overdue or not.
  EXPECT_EQ(idsOf(call("GET", "/api/v1/reports?overdue=true", centreToken_).body),
            std::set<std::string>{interimDue});
  const auto all = call("GET", "/api/v1/reports", hospitalToken_);  // outlives the loop
  for (const auto& item : all.body["items"]) {
    const bool overdue = item["id"] == neverFiled || item["id"] == interimDue;
    EXPECT_EQ(item["status"]["overdue_now"], overdue) << item.dump();
  }
}

TEST_P(ReportsApi, ListsFilterByTypeSectorAndStageAndPage) {
  const int64_t t = nowMicros() - kHour;
  const std::string ransom = file(hospitalToken_, "ransomware", "initial", initialDoc(t));
  const std::string ransom2 = file(hospitalToken_, "ransomware", "initial", initialDoc(t));
  ASSERT_EQ(submit(hospitalToken_, ransom2, "interim", interimDoc(t)).status, 200);
  Json ddos = initialDoc(t, "finance");
  const std::string bankDdos = file(bankToken_, "ddos", "initial", ddos);
  ASSERT_FALSE(bankDdos.empty());

  auto ids = [&](const std::string& query) {
    auto r = call("GET", "/api/v1/reports" + query, centreToken_);
    EXPECT_EQ(r.status, 200) << query << " " << r.body.dump();
    return idsOf(r.body);
  };
  EXPECT_EQ(ids(""), (std::set<std::string>{ransom, ransom2, bankDdos}));
  EXPECT_EQ(ids("?type=ransomware"), (std::set<std::string>{ransom, ransom2}));
  EXPECT_EQ(ids("?type=ddos"), std::set<std::string>{bankDdos});
  EXPECT_EQ(ids("?sector=finance"), std::set<std::string>{bankDdos});
  EXPECT_EQ(ids("?sector=medical&stage=interim"), std::set<std::string>{ransom2});
  EXPECT_EQ(ids("?stage=initial&type=ransomware"), std::set<std::string>{ransom});
  EXPECT_TRUE(ids("?stage=final").empty());
  EXPECT_TRUE(ids("?type=data-leak").empty());
  // The finance ministry sees only the bank's report.
  EXPECT_EQ(idsOf(call("GET", "/api/v1/reports", financeToken_).body),
            std::set<std::string>{bankDdos});

  // Pages of one, newest first, until next_cursor is null.
  std::vector<std::string> paged;
  std::string cursor;
  for (int i = 0; i < 5; ++i) {
    auto r = call("GET", "/api/v1/reports?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor),
                  centreToken_);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    for (const auto& item : r.body["items"]) paged.push_back(item["id"]);
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(paged.size(), 3U);
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()),
            (std::set<std::string>{ransom, ransom2, bankDdos}));
  EXPECT_EQ(paged.front(), bankDdos);  // filed last

  // Bad parameters name themselves.
  for (const auto& [query, param] :
       std::vector<std::pair<std::string, std::string>>{{"?colour=red", "colour"},
                                                        {"?overdue=maybe", "overdue"},
                                                        {"?limit=x", "limit"},
                                                        {"?limit=0", "limit"},
                                                        {"?type=phishing", "type"},
                                                        {"?sector=space", "sector"},
                                                        {"?stage=preliminary", "stage"},
                                                        {"?cursor=nonsense", "cursor"}}) {
    auto r = call("GET", "/api/v1/reports" + query, centreToken_);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.body["error"]["details"]["parameter"], param) << query << " " << r.body.dump();
  }
}

TEST_P(ReportsApi, DraftsAreTheReportersOwn) {
  Json draft{{"sector", "medical"}, {"impact", {{"level", "moderate"}}}};
  auto r = call("POST", "/api/v1/reports", hospitalToken_,
                Json{{"type", "ransomware"}, {"draft", draft}}.dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string id = r.body["id"];
  EXPECT_TRUE(r.body["stage"].is_null());
  EXPECT_TRUE(r.body["status"].is_null());  // no discovery time yet
  EXPECT_EQ(r.body["has_draft"], true);

  auto g = call("GET", "/api/v1/reports/" + id, hospitalToken_);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body["draft"]["impact"]["level"], "moderate");
  EXPECT_EQ(g.body["draft"]["type"], "ransomware");
  EXPECT_TRUE(g.body["document"].is_null());
  // A report that was never submitted reaches nobody else, the centre and the ministry included.
  for (const auto* token : {&centreToken_, &healthToken_, &bankToken_}) {
    EXPECT_EQ(call("GET", "/api/v1/reports/" + id, *token).status, 404);
    EXPECT_TRUE(call("GET", "/api/v1/reports", *token).body["items"].empty());
  }
  EXPECT_EQ(idsOf(call("GET", "/api/v1/reports?stage=draft", hospitalToken_).body),
            std::set<std::string>{id});

  // Saving again replaces the draft; drafts are validated too (nothing required).
  Json next{{"sector", "medical"},
            {"impact", {{"level", "severe"}}},
            {"discovered_at", formatRfc3339(nowMicros() - kHour)}};
  r = call("PUT", "/api/v1/reports/" + id + "/draft", hospitalToken_, next.dump());
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["draft"]["impact"]["level"], "severe");
  EXPECT_EQ(r.body["status"]["next_due"], "initial");
  Json bad{{"impact", {{"level", "apocalyptic"}}},
           {"indicators", {{{"type", "sha256"}, {"value", "xyz"}}}}};
  r = call("PUT", "/api/v1/reports/" + id + "/draft", hospitalToken_, bad.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "validation-failed");
  EXPECT_TRUE(hasFieldError(r.body, "impact.level")) << r.body.dump();
  EXPECT_TRUE(hasFieldError(r.body, "indicators[0].value")) << r.body.dump();
  EXPECT_EQ(call("PUT", "/api/v1/reports/" + id + "/draft", hospitalToken_, "{oops")
                .body["error"]["code"],
            "invalid-json");
  EXPECT_EQ(call("PUT", "/api/v1/reports/" + id + "/draft", bankToken_, next.dump()).status, 404);
  EXPECT_EQ(
      call("PUT", "/api/v1/reports/" + id + "/draft", hospitalViewerToken_, next.dump()).status,
      403);
  EXPECT_EQ(call("GET", "/api/v1/reports/" + id, hospitalToken_).body["draft"]["impact"]["level"],
            "severe");

  // Submitting the initial report releases it and clears the draft.
  ASSERT_EQ(submit(hospitalToken_, id, "initial", initialDoc(nowMicros() - kHour)).status, 200);
  g = call("GET", "/api/v1/reports/" + id, hospitalToken_);
  EXPECT_TRUE(g.body["draft"].is_null());
  EXPECT_EQ(g.body["has_draft"], false);
  EXPECT_EQ(call("GET", "/api/v1/reports/" + id, healthToken_).status, 200);

  // A draft of the next stage is the hospital's working copy: the ministry may read the report,
  // but neither the draft nor whether there is one, and cannot write it.
  r = call("PUT", "/api/v1/reports/" + id + "/draft", hospitalToken_,
           Json{{"initial_access_vector", "rdp"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["stage"], "initial");
  EXPECT_EQ(
      call("GET", "/api/v1/reports/" + id, hospitalToken_).body["draft"]["initial_access_vector"],
      "rdp");
  g = call("GET", "/api/v1/reports/" + id, healthToken_);
  ASSERT_EQ(g.status, 200);
  EXPECT_FALSE(g.body.contains("draft"));
  EXPECT_FALSE(g.body.contains("has_draft"));
  r = call("PUT", "/api/v1/reports/" + id + "/draft", healthToken_, "{}");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"]["code"], "not-reporter");
}

TEST_P(ReportsApi, EveryReadAndWriteIsInTheAuditLedger) {
  const std::string id =
      file(hospitalToken_, "ransomware", "initial", initialDoc(nowMicros() - kHour));
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(call("GET", "/api/v1/reports/" + id, healthToken_).status, 200);
  ASSERT_EQ(call("GET", "/api/v1/reports/" + id, bankToken_).status, 404);
  ASSERT_EQ(call("GET", "/api/v1/reports", centreToken_).status, 200);
  ASSERT_EQ(submit(hospitalToken_, id, "interim", interimDoc(nowMicros() - kHour)).status, 200);
  ASSERT_EQ(call("PUT", "/api/v1/reports/" + id + "/draft", hospitalToken_, "{}").status, 200);
  ASSERT_EQ(submit(hospitalToken_, id, "final", Json::object()).status, 400);
  ASSERT_EQ(call("POST", "/api/v1/reports", hospitalViewerToken_,
                 Json{{"type", "ransomware"},
                      {"stage", "initial"},
                      {"document", initialDoc(nowMicros() - kHour)}}
                     .dump())
                .status,
            403);
  const auto entries = hut_.auditEntries();
  auto count = [&](const std::string& action, const std::string& org, const std::string& object,
                   bool allowed, const std::string& extra = "") {
    int n = 0;
    for (const auto& e : entries) {
      if (e.value("kind", "") != "incident-report" || e.value("action", "") != action ||
          e.value("org", "") != org || e.value("object", "") != object ||
          e.value("allowed", !allowed) != allowed) {
        continue;
      }
      if (!extra.empty() && !e.contains(extra)) continue;
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("create", hospital_, id, true, "stage"), 1);
  EXPECT_EQ(count("read", health_, id, true), 1);
  EXPECT_EQ(count("read", bank_, id, false), 1);                // the refused read
  EXPECT_EQ(count("update", hospital_, id, true, "stage"), 2);  // interim; final refused (invalid)
  EXPECT_EQ(count("update", hospital_, id, true, "draft"), 1);
  bool listed = false;
  for (const auto& e : entries) {
    if (e.value("kind", "") == "incident-report" && e.value("object", "") == "list" &&
        e.value("org", "") == centre_) {
      listed = e["ids"] == Json::array({id});
    }
  }
  EXPECT_TRUE(listed);
  int refusedCreates = 0;
  for (const auto& e : entries) {
    if (e.value("kind", "") == "incident-report" && e.value("action", "") == "create" &&
        !e.value("allowed", true) && e.value("reason", "") == "role-below-analyst") {
      ++refusedCreates;
    }
  }
  EXPECT_EQ(refusedCreates, 1);
}

TEST_P(ReportsApi, DeadlinesAreConfigurable) {
  stopServer();
  HubOptions bad;
  bad.reportDeadlines.interimMicros = bad.reportDeadlines.initialMicros - 1;
  EXPECT_FALSE(Hub::open(url(), bad).ok());

  HubOptions options;
  options.reportDeadlines.initialMicros = 2 * kHour;
  auto h = Hub::open(url(), options);
  ASSERT_TRUE(h.ok()) << h.error().message;
  auto p = (*h)->authenticate(hospitalToken_);
  ASSERT_TRUE(p.ok());
  const int64_t discovered = nowMicros() - 3 * kHour;
  auto r = (*h)->createReport(p.value(),
                              Json{{"type", "ransomware"}, {"draft", initialDoc(discovered)}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value()["status"]["overdue_now"], true);
  EXPECT_EQ(r.value()["status"]["stages"][0]["due_at"], formatRfc3339(discovered + 2 * kHour));
  // The interim deadline keeps its default (72 h).
  EXPECT_EQ(r.value()["status"]["stages"][1]["due_at"], formatRfc3339(discovered + 72 * kHour));
  ReportQuery q;
  q.overdue = true;
  auto l = (*h)->listReports(p.value(), q);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l.value()["items"].size(), 1U);
}

MAMORI_INSTANTIATE_BACKEND_TEST(ReportsApi);

}  // namespace
}  // namespace mamori::hub
