// Shared indicators and routes at the Hub level (no HTTP; the routes are in openapi_test.cc), on
// SQLite and PostgreSQL: validation by JSON path, normalization, who reads what by TLP label,
// syncing by seq (every change exactly once, also with publishers on two hubs at once), updates
// by re-publishing, revocation, routes, routing of prefix targets, and the audit ledger.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hub_server_fixture.h"
#include "mamori/core/time.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

Json item(const std::string& type, const std::string& value, const std::string& tlp) {
  return Json{{"type", type}, {"value", value}, {"tlp", tlp}};
}

class HubIndicators : public test_support::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(hut_.open(url()));
    centreId_ = hut_.organisation({"NISC Centre", OrgType::kCentre, {}, "", {}, {}});
    ministryId_ = hut_.organisation({"Ministry of Health", OrgType::kMinistry, {}, "", {}, {}});
    hospitalId_ = hut_.organisation({"Sakura Hospital",
                                     OrgType::kOperator,
                                     Sector::kMedical,
                                     "Ministry of Health",
                                     {"203.0.113.0/24"},
                                     {"sakura-hp.example.jp"}});
    clinicId_ = hut_.organisation({"Kaede Clinic",
                                   OrgType::kOperator,
                                   Sector::kMedical,
                                   "Ministry of Health",
                                   {"203.0.113.128/25"},
                                   {}});
    bankId_ = hut_.organisation({"Fuji Bank",
                                 OrgType::kOperator,
                                 Sector::kFinance,
                                 "",
                                 {"198.51.100.0/24", "2001:db8:1::/48"},
                                 {}});
    hospital_ = principal("hospital-analyst", "Sakura Hospital", Role::kAnalyst, 2);
    hospitalViewer_ = principal("hospital-viewer", "Sakura Hospital", Role::kViewer, 2);
    clinic_ = principal("clinic-analyst", "Kaede Clinic", Role::kAnalyst, 2);
    ministry_ = principal("ministry-analyst", "Ministry of Health", Role::kAnalyst, 2);
    bank_ = principal("bank-analyst", "Fuji Bank", Role::kAnalyst, 3);
    bankViewer_ = principal("bank-viewer", "Fuji Bank", Role::kViewer, 3);
    bankUncleared_ = principal("bank-uncleared", "Fuji Bank", Role::kAnalyst, 0);
    centre_ = principal("centre-analyst", "NISC Centre", Role::kAnalyst, 2);
  }
  void TearDown() override {
    hut_.stop();
    BackendTest::TearDown();
  }

  Principal principal(const std::string& name, const std::string& org, Role role, int clearance) {
    const std::string token = hut_.userToken(name, org, role, clearance);
    auto p = hut_.hub().authenticate(token);
    EXPECT_TRUE(p.ok());
    return p.ok() ? p.value() : Principal{};
  }

  Hub& hub() { return hut_.hub(); }

  // (A vector: a braced list of one Json would be that Json, not an array of it.)
  ApiResult<Json> publish(const Principal& p, const std::vector<Json>& items) {
    return hub().publishIndicators(p, Json{{"indicators", items}});
  }
  // Publishes and expects success; the {"id", "seq"} items.
  Json published(const Principal& p, const std::vector<Json>& items) {
    auto r = publish(p, items);
    EXPECT_TRUE(r.ok()) << (r.ok() ? ""
                                   : r.error().code + ": " + r.error().message + " " +
                                         r.error().details.dump());
    return r.ok() ? r.value()["items"] : Json::array();
  }

  ApiResult<Json> page(const Principal& p, int64_t after, std::size_t limit = 1000,
                       std::vector<std::string> types = {}) {
    IndicatorQuery q;
    q.after = after;
    q.limit = limit;
    q.types = std::move(types);
    return hub().listIndicators(p, q);
  }
  // Every indicator `p` reads, by value.
  std::map<std::string, Json> visible(const Principal& p) {
    std::map<std::string, Json> out;
    auto r = page(p, 0, 10000);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) return out;
    EXPECT_EQ(r.value()["more"], false);
    for (const auto& i : r.value()["items"]) out[i["value"].get<std::string>()] = i;
    return out;
  }
  std::set<std::string> values(const Principal& p) {
    std::set<std::string> out;
    for (const auto& [v, i] : visible(p)) out.insert(v);
    return out;
  }

  test_support::HubUnderTest hut_;
  std::string centreId_, ministryId_, hospitalId_, clinicId_, bankId_;
  Principal hospital_, hospitalViewer_, clinic_, ministry_, bank_, bankViewer_, bankUncleared_,
      centre_;
};

// The {field: problem} pairs of a 400 "invalid-indicators".
std::map<std::string, std::string> problemsOf(const ApiResult<Json>& r) {
  std::map<std::string, std::string> out;
  EXPECT_FALSE(r.ok());
  if (r.ok()) return out;
  EXPECT_EQ(r.error().kind, ApiError::Kind::kInvalid);
  EXPECT_EQ(r.error().code, "invalid-indicators");
  for (const auto& d : r.error().details) {
    out[d["field"].get<std::string>()] = d["problem"].get<std::string>();
  }
  return out;
}

TEST_P(HubIndicators, ValidationErrorsNameTheirJsonPath) {
  Json bad5 = item("domain", "ok.example", "GREEN");
  bad5["sensitivity"] = 7;
  bad5["recipients"] = {bankId_, "org_nope"};
  bad5["action"] = "drop";
  bad5["valid_until"] = "tomorrow";
  bad5["description"] = 5;
  bad5["colour"] = "red";
  const std::vector<Json> items = {item("domain", "bad domain!", "GREEN"),
                                   item("ipv4", "198.51.100.1/24", "GREEN"),
                                   item("sha256", "abc", "GREEN"),
                                   Json{{"type", "domain"}, {"value", "x.example"}},
                                   item("colour", "x", "RED"),
                                   bad5,
                                   "just a string",
                                   item("ipv6", "198.51.100.1", "GREEN"),
                                   item("domain", std::string(64, 'a') + ".example", "GREEN"),
                                   item("md5", "", "CLEAR"),
                                   item("domain", "fine.example", "TLP:GREEN"),
                                   item("url", "https://fine.example/x", "GREEN")};
  const auto problems = problemsOf(publish(hospital_, items));
  const std::map<std::string, std::string> want = {
      {"indicators[0].value", "must be a domain name"},
      {"indicators[1].value", "must be an IPv4 address or prefix"},
      {"indicators[2].value", "must be 64 hexadecimal digits"},
      {"indicators[3].tlp", "required"},
      {"indicators[4].type", "must be one of"},
      {"indicators[5].sensitivity", "from 0 to 3"},
      {"indicators[5].recipients[1]", "no organisation with this id"},
      {"indicators[5].action", "block or monitor"},
      {"indicators[5].valid_until", "RFC 3339"},
      {"indicators[5].description", "expected string"},
      {"indicators[5].colour", "unknown field"},
      {"indicators[6]", "expected object"},
      {"indicators[7].value", "must be an IPv6 address or prefix"},
      {"indicators[8].value", "must be a domain name"},
      {"indicators[9].value", "must not be empty"},
      {"indicators[10].tlp", "must be one of CLEAR"},
  };
  EXPECT_EQ(problems.size(), want.size());
  for (const auto& [field, problem] : want) {
    ASSERT_TRUE(problems.contains(field)) << field;
    EXPECT_NE(problems.at(field).find(problem), std::string::npos)
        << field << ": " << problems.at(field);
  }
  // The request itself.
  auto r = hub().publishIndicators(hospital_, Json::array());
  EXPECT_TRUE(problemsOf(r).contains(""));
  r = hub().publishIndicators(hospital_, Json{{"indicators", Json::array()}, {"more", 1}});
  EXPECT_EQ(problemsOf(r), (std::map<std::string, std::string>{
                               {"indicators", "must hold 1 to 10000 indicators, not 0"},
                               {"more", "unknown field"}}));
  EXPECT_TRUE(
      problemsOf(hub().publishIndicators(hospital_, Json::object())).contains("indicators"));
  const std::vector<Json> many(10'001, item("domain", "x.example", "GREEN"));
  EXPECT_TRUE(problemsOf(publish(hospital_, many)).contains("indicators"));
  // Errors are bounded: 200 bad items give 100 problems and one line saying there were more.
  const std::vector<Json> bad(200, item("domain", "-", "GREEN"));
  r = publish(hospital_, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details.size(), kMaxErrors + 1);
  // All or nothing: the valid items of the refused requests were not stored.
  EXPECT_TRUE(values(hospital_).empty());
}

TEST_P(HubIndicators, ValuesAreStoredInCanonicalForm) {
  const std::vector<Json> items = {item("domain", "WWW.Evil.Example.COM.", "GREEN"),
                                   item("ipv4", "198.51.100.7", "GREEN"),
                                   item("ipv4", "192.0.2.9/32", "GREEN"),
                                   item("ipv4", "192.0.2.0/24", "GREEN"),
                                   item("ipv6", "2001:DB8:0:0::1", "GREEN"),
                                   item("ipv6", "2001:db8:ff::/48", "GREEN"),
                                   item("sha256", std::string(64, 'A'), "GREEN"),
                                   item("md5", std::string(32, 'F'), "GREEN"),
                                   item("email", "Soc@Evil.Example", "GREEN"),
                                   item("url", "https://Evil.example/Path?q=1", "GREEN"),
                                   item("filename", "invoice.pdf.exe", "GREEN"),
                                   item("domain", std::string(63, 'a') + ".example", "GREEN")};
  ASSERT_EQ(published(hospital_, items).size(), items.size());
  const std::set<std::string> want = {"www.evil.example.com",
                                      "198.51.100.7",
                                      "192.0.2.9",
                                      "192.0.2.0/24",
                                      "2001:db8::1",
                                      "2001:db8:ff::/48",
                                      std::string(64, 'a'),
                                      std::string(32, 'f'),
                                      "Soc@evil.example",
                                      "https://Evil.example/Path?q=1",
                                      "invoice.pdf.exe",
                                      std::string(63, 'a') + ".example"};
  EXPECT_EQ(values(bank_), want);
  const auto all = visible(bank_);
  const Json& d = all.at("www.evil.example.com");
  EXPECT_EQ(d["type"], "domain");
  EXPECT_EQ(d["action"], "block");  // the default
  EXPECT_EQ(d["sensitivity"], 0);
  EXPECT_TRUE(d["description"].is_null());
  EXPECT_TRUE(d["valid_until"].is_null());
  EXPECT_EQ(d["revoked"], false);
  EXPECT_EQ(d["expired"], false);
  EXPECT_EQ(d["publisher"], (Json{{"id", hospitalId_}, {"name", "Sakura Hospital"}}));

  // The same indicator spelled twice in one request is one indicator: the later item wins and
  // both positions answer its id and seq.
  std::vector<Json> twice = {item("domain", "Twice.Example", "GREEN"),
                             item("domain", "twice.example.", "CLEAR")};
  twice[1]["action"] = "monitor";
  const Json r = published(hospital_, twice);
  ASSERT_EQ(r.size(), 2U);
  EXPECT_EQ(r[0], r[1]);
  const Json t = visible(bank_).at("twice.example");
  EXPECT_EQ(t["tlp"], "CLEAR");
  EXPECT_EQ(t["action"], "monitor");
  EXPECT_EQ(t["id"], r[0]["id"]);
}

TEST_P(HubIndicators, TlpLabelDecidesWhoReadsAnIndicator) {
  auto labelled = [&](const std::string& value, const std::string& tlp, int sensitivity,
                      const std::vector<std::string>& recipients) {
    Json i = item("domain", value, tlp);
    i["sensitivity"] = sensitivity;
    i["recipients"] = recipients;
    return i;
  };
  ASSERT_EQ(published(hospital_, {labelled("clear.example", "CLEAR", 1, {}),
                                  labelled("green.example", "GREEN", 0, {}),
                                  labelled("amber.example", "AMBER", 0, {ministryId_}),
                                  labelled("amber-bank.example", "AMBER", 0, {bankId_}),
                                  labelled("strict.example", "AMBER+STRICT", 0, {ministryId_}),
                                  labelled("red.example", "RED", 0, {bankId_})})
                .size(),
            6U);
  // Only the bank (clearance 3) can label anything sensitivity 3.
  ASSERT_EQ(published(bank_, {labelled("green-sensitive.example", "GREEN", 3, {})}).size(), 1U);
  // hospital: reads all it published, but sensitivity 3 is above its clearance 2.
  EXPECT_EQ(values(hospital_),
            (std::set<std::string>{"clear.example", "green.example", "amber.example",
                                   "amber-bank.example", "strict.example", "red.example"}));
  // Viewers never read RED, the publisher's own included.
  EXPECT_FALSE(values(hospitalViewer_).contains("red.example"));
  EXPECT_TRUE(values(hospitalViewer_).contains("amber.example"));
  // CLEAR and GREEN: everyone, within clearance.
  EXPECT_TRUE(values(bankViewer_).contains("clear.example"));
  EXPECT_TRUE(values(bankViewer_).contains("green-sensitive.example"));  // clearance 3
  EXPECT_FALSE(values(bankUncleared_).contains("clear.example"));        // sensitivity 1 > 0
  EXPECT_TRUE(values(bankUncleared_).contains("green.example"));
  EXPECT_FALSE(values(clinic_).contains("green-sensitive.example"));  // sensitivity 3 > 2
  // AMBER: recipients and the organisations a recipient ministry oversees (its clients).
  EXPECT_TRUE(values(ministry_).contains("amber.example"));
  EXPECT_TRUE(values(clinic_).contains("amber.example"));
  EXPECT_FALSE(values(bank_).contains("amber.example"));
  EXPECT_FALSE(values(centre_).contains("amber.example"));
  EXPECT_TRUE(values(bank_).contains("amber-bank.example"));
  EXPECT_FALSE(values(clinic_).contains("amber-bank.example"));
  // AMBER+STRICT: recipients only, no clients.
  EXPECT_TRUE(values(ministry_).contains("strict.example"));
  EXPECT_FALSE(values(clinic_).contains("strict.example"));
  // RED: named recipients' analysts only.
  EXPECT_TRUE(values(bank_).contains("red.example"));
  EXPECT_FALSE(values(bankViewer_).contains("red.example"));
  EXPECT_FALSE(values(ministry_).contains("red.example"));
  EXPECT_FALSE(values(clinic_).contains("red.example"));
  EXPECT_EQ(values(centre_), (std::set<std::string>{"clear.example", "green.example"}));

  // The publisher sees every recipient; others only those that are why they read it.
  EXPECT_EQ(visible(hospital_).at("amber-bank.example")["recipients"], Json::array({bankId_}));
  EXPECT_EQ(visible(bank_).at("amber-bank.example")["recipients"], Json::array({bankId_}));
  EXPECT_EQ(visible(clinic_).at("amber.example")["recipients"], Json::array({ministryId_}));
  Json both = labelled("both.example", "AMBER", 0, {bankId_, ministryId_});
  ASSERT_EQ(published(hospital_, {both}).size(), 1U);
  EXPECT_EQ(visible(bank_).at("both.example")["recipients"], Json::array({bankId_}));
  EXPECT_EQ(visible(hospital_).at("both.example")["recipients"].size(), 2U);
}

TEST_P(HubIndicators, PublishingIsForAnalystsWithinTheirClearance) {
  auto r = publish(hospitalViewer_, {item("domain", "a.example", "GREEN")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiError::Kind::kForbidden);
  EXPECT_EQ(r.error().code, "role-below-analyst");
  Json above = item("domain", "b.example", "GREEN");
  above["sensitivity"] = 3;
  r = publish(hospital_, {item("domain", "c.example", "GREEN"), above});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "clearance-below-sensitivity");
  EXPECT_EQ(r.error().details["field"], "indicators[1]");
  EXPECT_TRUE(values(hospital_).empty());  // all or nothing
}

TEST_P(HubIndicators, PagingBySeqReturnsEveryChangeExactlyOnce) {
  const Json first = published(
      hospital_, {item("domain", "a.example", "GREEN"), item("domain", "b.example", "GREEN"),
                  item("domain", "c.example", "GREEN")});
  ASSERT_EQ(first.size(), 3U);
  EXPECT_LT(first[0]["seq"].get<int64_t>(), first[1]["seq"].get<int64_t>());
  EXPECT_LT(first[1]["seq"].get<int64_t>(), first[2]["seq"].get<int64_t>());

  // A syncing client: pages of two from where it left off; a change is seen once per change.
  int64_t after = 0;
  std::vector<std::pair<std::string, bool>> seen;  // (value, revoked) in the order received
  auto sync = [&] {
    for (int pages = 0; pages < 100; ++pages) {
      auto r = page(bank_, after, 2);
      EXPECT_TRUE(r.ok());
      if (!r.ok()) return;
      int64_t last = after;
      for (const auto& i : r.value()["items"]) {
        EXPECT_GT(i["seq"].get<int64_t>(), last);
        last = i["seq"].get<int64_t>();
        seen.emplace_back(i["value"].get<std::string>(), i["revoked"].get<bool>());
      }
      EXPECT_EQ(r.value()["next_after"].get<int64_t>(), last);
      after = r.value()["next_after"].get<int64_t>();
      if (!r.value()["more"].get<bool>()) return;
    }
  };
  sync();
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{
                      {"a.example", false}, {"b.example", false}, {"c.example", false}}));
  // Nothing changed: an empty page that leaves `after` where it was.
  auto idle = page(bank_, after, 2);
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(idle.value()["items"].empty());
  EXPECT_EQ(idle.value()["next_after"], after);
  EXPECT_EQ(idle.value()["more"], false);

  seen.clear();
  const std::string b = first[1]["id"];
  auto revoked = hub().revokeIndicator(hospital_, b);
  ASSERT_TRUE(revoked.ok());
  EXPECT_GT(revoked.value()["seq"].get<int64_t>(), first[2]["seq"].get<int64_t>());
  sync();
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{{"b.example", true}}));

  seen.clear();
  ASSERT_EQ(published(hospital_,
                      {item("domain", "b.example", "GREEN"), item("domain", "d.example", "GREEN")})
                .size(),
            2U);
  ASSERT_EQ(published(hospital_, {item("domain", "a.example", "GREEN")}).size(), 1U);
  sync();
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{
                      {"b.example", false}, {"d.example", false}, {"a.example", false}}));
  // From the start, each indicator once, at its latest seq.
  auto all = page(bank_, 0, 10000);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> order;
  for (const auto& i : all.value()["items"]) order.push_back(i["value"]);
  EXPECT_EQ(order, (std::vector<std::string>{"c.example", "b.example", "d.example", "a.example"}));

  // Type filter; limits.
  ASSERT_EQ(published(hospital_, {item("ipv4", "192.0.2.1", "GREEN")}).size(), 1U);
  auto ips = page(bank_, 0, 100, {"ipv4"});
  ASSERT_TRUE(ips.ok());
  ASSERT_EQ(ips.value()["items"].size(), 1U);
  EXPECT_EQ(ips.value()["items"][0]["value"], "192.0.2.1");
  EXPECT_EQ(page(bank_, 0, 100, {"ipv4", "domain", "ipv4"}).value()["items"].size(), 5U);
  EXPECT_EQ(page(bank_, 0, 0).error().code, "invalid-limit");
  EXPECT_EQ(page(bank_, 0, 10001).error().code, "invalid-limit");
  EXPECT_EQ(page(bank_, -1).error().code, "invalid-parameter");
  EXPECT_EQ(page(bank_, 0, 10, {"colour"}).error().code, "invalid-parameter");
}

TEST_P(HubIndicators, RepublishingUpdatesTheIndicator) {
  Json v1 = item("domain", "evil.example", "AMBER");
  v1["recipients"] = {bankId_};
  v1["description"] = "first sighting";
  const Json a = published(hospital_, {v1});
  ASSERT_EQ(a.size(), 1U);
  const std::string id = a[0]["id"];
  const Json before = visible(hospital_).at("evil.example");
  ASSERT_TRUE(hub().revokeIndicator(hospital_, id).ok());

  Json v2 = item("domain", "EVIL.example.", "AMBER");
  v2["recipients"] = {ministryId_};
  v2["action"] = "monitor";
  v2["valid_until"] = "2001-01-01T00:00:00Z";
  const Json b = published(hospital_, {v2});
  ASSERT_EQ(b.size(), 1U);
  EXPECT_EQ(b[0]["id"], id);
  EXPECT_GT(b[0]["seq"].get<int64_t>(), a[0]["seq"].get<int64_t>());
  const auto all = visible(hospital_);
  ASSERT_EQ(all.size(), 1U);  // updated, not duplicated
  const Json& now = all.at("evil.example");
  EXPECT_EQ(now["revoked"], false);  // publishing again un-revokes
  EXPECT_EQ(now["action"], "monitor");
  EXPECT_TRUE(now["description"].is_null());
  EXPECT_EQ(now["expired"], true);                           // valid_until has passed
  EXPECT_EQ(now["recipients"], Json::array({ministryId_}));  // named anew
  EXPECT_EQ(now["created_at"], before["created_at"]);
  // The recipients changed, and so did the audience.
  EXPECT_FALSE(values(bank_).contains("evil.example"));
  EXPECT_TRUE(values(clinic_).contains("evil.example"));

  // Another organisation publishing the same value has its own indicator.
  const Json c = published(bank_, {item("domain", "evil.example", "GREEN")});
  ASSERT_EQ(c.size(), 1U);
  EXPECT_NE(c[0]["id"], id);
  Json later = item("domain", "evil.example", "GREEN");
  later["valid_until"] = formatRfc3339(nowMicros() + int64_t{3600} * 1'000'000);
  ASSERT_EQ(published(bank_, {later}).size(), 1U);
  EXPECT_EQ(visible(bank_).at("evil.example")["expired"], false);
}

TEST_P(HubIndicators, OnlyThePublisherRevokes) {
  Json red = item("domain", "red.example", "RED");
  red["recipients"] = {ministryId_};
  const Json ids = published(hospital_, {item("domain", "green.example", "GREEN"), red});
  ASSERT_EQ(ids.size(), 2U);
  const std::string green = ids[0]["id"];
  const std::string redId = ids[1]["id"];
  auto r = hub().revokeIndicator(bank_, green);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiError::Kind::kForbidden);
  EXPECT_EQ(r.error().code, "not-own-org");
  r = hub().revokeIndicator(hospitalViewer_, green);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "role-below-analyst");
  // Those who cannot read it do not learn that it exists.
  r = hub().revokeIndicator(bank_, redId);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiError::Kind::kNotFound);
  r = hub().revokeIndicator(ministry_, redId);  // a reader, not the publisher
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not-own-org");
  r = hub().revokeIndicator(hospital_, "ind_nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiError::Kind::kNotFound);
  EXPECT_EQ(visible(bank_).at("green.example")["revoked"], false);

  r = hub().revokeIndicator(hospital_, green);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()["revoked"], true);
  EXPECT_EQ(r.value()["id"], green);
  // Revoking again changes nothing (no new seq for syncing clients to fetch).
  auto again = hub().revokeIndicator(hospital_, green);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value()["seq"], r.value()["seq"]);
  const Json shown = visible(bank_).at("green.example");
  EXPECT_EQ(shown["revoked"], true);
  EXPECT_EQ(shown["seq"], r.value()["seq"]);
}

TEST_P(HubIndicators, RoutesListEveryOrganisationsPrefixes) {
  auto r = hub().listRoutes(hospitalViewer_);
  ASSERT_TRUE(r.ok());
  std::map<std::string, Json> byOrg;
  for (const auto& i : r.value()["items"]) byOrg[i["organisation"].get<std::string>()] = i;
  EXPECT_EQ(byOrg.size(), 3U);  // the centre and the ministry registered none
  EXPECT_EQ(byOrg.at(hospitalId_)["prefixes"], Json::array({"203.0.113.0/24"}));
  EXPECT_EQ(byOrg.at(clinicId_)["prefixes"], Json::array({"203.0.113.128/25"}));
  EXPECT_EQ(byOrg.at(bankId_)["prefixes"], Json::array({"198.51.100.0/24", "2001:db8:1::/48"}));
}

TEST_P(HubIndicators, PrefixTargetsRouteToTheLongestContainingPrefix) {
  auto hit = [](const std::string& id, const std::string& target) {
    return Json{{"id", id}, {"category", "dns-block"}, {"pattern", "single"}, {"targets", {target}}}
        .dump();
  };
  const std::string batch = hit("h1", "203.0.113.128/26") + "\n" + hit("h2", "203.0.113.0/25") +
                            "\n" + hit("h3", "203.0.113.0/24") + "\n" +
                            hit("h4", "203.0.112.0/23") + "\n" + hit("h5", "2001:db8:1:7::/64") +
                            "\n" + hit("h6", "198.51.100.7") + "\n" + hit("h7", "192.0.2.0/24") +
                            "\n" + hit("h8", "203.0.113.128/25") + "\n";
  ASSERT_TRUE(hub().ingestEvents(centre_, batch).ok());
  EventQuery q;
  q.limit = 100;
  auto events = hub().listEvents(centre_, q);
  ASSERT_TRUE(events.ok());
  std::map<std::string, Json> target;
  for (const auto& e : events.value()["items"]) target[e["id"]] = e["target_organisation"];
  EXPECT_EQ(target.at("h1"), clinicId_);    // inside the clinic's /25, inside the hospital's /24
  EXPECT_EQ(target.at("h2"), hospitalId_);  // the hospital's half
  EXPECT_EQ(target.at("h3"), hospitalId_);  // the /24 itself: the clinic's /25 is only part of it
  EXPECT_TRUE(target.at("h4").is_null());   // wider than any registered prefix
  EXPECT_EQ(target.at("h5"), bankId_);
  EXPECT_EQ(target.at("h6"), bankId_);  // an address, as before
  EXPECT_TRUE(target.at("h7").is_null());
  EXPECT_EQ(target.at("h8"), clinicId_);
}

TEST_P(HubIndicators, TheAuditLedgerRecordsEveryWriteAndRead) {
  const Json ids = published(
      hospital_, {item("domain", "a.example", "GREEN"), item("domain", "b.example", "GREEN")});
  ASSERT_EQ(ids.size(), 2U);
  ASSERT_EQ(published(hospital_, {item("domain", "a.example", "CLEAR")}).size(), 1U);
  ASSERT_TRUE(hub().revokeIndicator(hospital_, ids[1]["id"].get<std::string>()).ok());
  ASSERT_FALSE(hub().revokeIndicator(bank_, ids[0]["id"].get<std::string>()).ok());
  ASSERT_FALSE(publish(hospitalViewer_, {item("domain", "c.example", "GREEN")}).ok());
  ASSERT_EQ(visible(bank_).size(), 2U);
  ASSERT_TRUE(hub().listRoutes(bank_).ok());

  std::vector<std::string> got;
  Json listed;
  for (const auto& e : hut_.auditEntries()) {
    if (e.value("kind", "") == "organisation" && e.value("object", "") == "routes") {
      got.push_back("routes " + e["user"].get<std::string>());
    }
    if (e.value("kind", "") != "indicator") continue;
    std::string line = e["action"].get<std::string>() + " " + e["object"].get<std::string>() + " " +
                       e["reason"].get<std::string>();
    if (e.contains("revoke")) line += " revoke";
    got.push_back(line);
    if (e["action"] == "read") listed = e["ids"];
  }
  const std::string a = ids[0]["id"];
  const std::string b = ids[1]["id"];
  std::sort(got.begin(), got.end());
  std::vector<std::string> want = {"create " + a + " own-org",
                                   "create " + b + " own-org",
                                   "update " + a + " own-org",
                                   "update " + b + " own-org revoke",
                                   "update " + a + " not-own-org revoke",
                                   "create batch role-below-analyst",
                                   "read list owner",
                                   "routes " + bank_.userId};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(listed, Json::array({a, b}));  // in seq order: a updated, then b revoked
}

// Publishers on two hubs sharing the database, and a client syncing all the while: seq is taken
// in commit order, so the client's incremental view ends equal to a full read, every change seen
// at increasing seqs.
TEST_P(HubIndicators, ConcurrentPublishersNeverHideAChangeFromASyncingClient) {
  test_support::HubUnderTest second;
  HubOptions options;
  options.database.transactionRetries = 100;  // the hubs contend for the counter row
  ASSERT_TRUE(second.open(url(), options));
  auto bankOnSecond =
      second.hub().authenticate(second.userToken("bank-2", "Fuji Bank", Role::kAnalyst, 3));
  ASSERT_TRUE(bankOnSecond.ok());
  constexpr int kRounds = 15;
  constexpr int kPerRequest = 4;
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  auto writer = [&](Hub& h, const Principal& p, const std::string& tag) {
    for (int round = 0; round < kRounds; ++round) {
      Json items = Json::array();
      for (int k = 0; k < kPerRequest; ++k) {
        // Every round rewrites the same values (updates) and adds new ones.
        items.push_back(
            item("domain", tag + "-" + std::to_string((round + k) % 6) + ".example", "GREEN"));
      }
      if (!h.publishIndicators(p, Json{{"indicators", items}}).ok()) ++failures;
    }
  };
  std::map<std::string, int64_t> synced;  // id -> latest seq, as the client saw it
  int64_t after = 0;
  bool increasing = true;
  auto syncOnce = [&] {
    for (;;) {
      auto r = page(centre_, after, 7);
      if (!r.ok()) {
        ++failures;
        return;
      }
      for (const auto& i : r.value()["items"]) {
        increasing = increasing && i["seq"].get<int64_t>() > after;
        synced[i["id"]] = i["seq"];
      }
      after = r.value()["next_after"];
      if (!r.value()["more"].get<bool>()) return;
    }
  };
  std::thread reader([&] {
    while (!done) syncOnce();
  });
  std::thread w1([&] { writer(hub(), hospital_, "h1"); });
  std::thread w2([&] { writer(hub(), hospital_, "h2"); });
  std::thread w3([&] { writer(second.hub(), bankOnSecond.value(), "b1"); });
  std::thread w4([&] { writer(second.hub(), bankOnSecond.value(), "b2"); });
  w1.join();
  w2.join();
  w3.join();
  w4.join();
  done = true;
  reader.join();
  syncOnce();
  EXPECT_EQ(failures, 0);
  EXPECT_TRUE(increasing);
  std::map<std::string, int64_t> full;
  auto all = page(centre_, 0, 10000);
  ASSERT_TRUE(all.ok());
  for (const auto& i : all.value()["items"]) full[i["id"]] = i["seq"];
  EXPECT_EQ(full.size(), 4U * 6U);
  EXPECT_EQ(synced, full);
  second.stop();
}

}  // namespace

MAMORI_INSTANTIATE_BACKEND_TEST(HubIndicators);

}  // namespace mamori::hub
