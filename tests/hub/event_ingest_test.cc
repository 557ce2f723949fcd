// Event ingest and the event list at the Hub level (no HTTP), on SQLite and PostgreSQL: how a
// record is read (one SAX pass, no DOM: routing keys, kinds, repeated keys, nested decoys, what
// is refused) and that a page written as text (listEventsPage) is the document listEvents()
// returns, with records kept exactly as sent.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "hub_server_fixture.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

class EventIngest : public test_support::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(hut_.open(url()));
    hut_.organisation({"NISC Centre", OrgType::kCentre});
    hospital_ = hut_.organisation({"Sakura Hospital",
                                   OrgType::kOperator,
                                   Sector::kMedical,
                                   "",
                                   {"203.0.113.0/24"},
                                   {"sakura-hp.example.jp"}});
    bank_ = hut_.organisation({"Fuji Bank",
                               OrgType::kOperator,
                               Sector::kFinance,
                               "",
                               {"198.51.100.0/24"},
                               {"fujibank.example.jp"}});
    const std::string token = hut_.userToken("analyst", "NISC Centre", Role::kAnalyst, 2);
    auto p = hut_.hub().authenticate(token);
    ASSERT_TRUE(p.ok());
    analyst_ = p.value();
  }
  void TearDown() override {
    hut_.stop();
    BackendTest::TearDown();
  }

  ApiResult<Json> ingest(const std::string& ndjson) {
    return hut_.hub().ingestEvents(analyst_, ndjson);
  }
  // Every stored event by id, as listEvents() shows it.
  std::map<std::string, Json> events() {
    EventQuery q;
    q.limit = 500;
    auto r = hut_.hub().listEvents(analyst_, q);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::map<std::string, Json> out;
    if (r.ok()) {
      for (const auto& e : r.value()["items"]) out[e["id"].get<std::string>()] = e;
    }
    return out;
  }
  // The target organisation of the one record in `line` (null when not routed).
  Json routeOf(const std::string& id, const std::string& line) {
    auto r = ingest(line);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return events()[id]["target_organisation"];
  }
  std::string refusal(const std::string& line) {
    auto r = ingest(line);
    EXPECT_FALSE(r.ok()) << line;
    return r.ok() ? "" : r.error().code;
  }

  test_support::HubUnderTest hut_;
  std::string hospital_, bank_;
  Principal analyst_;
};

TEST_P(EventIngest, SelectionRecordsAreRoutedByNamesThenClearAddresses) {
  const std::string sel = R"({"order":"o1","proto":"tcp",)";
  EXPECT_EQ(routeOf("s1", sel + R"("id":"s1","tls":{"sni":"www.sakura-hp.example.jp"}})"),
            hospital_);
  EXPECT_EQ(routeOf("s2", sel + R"("id":"s2","http":{"host":"api.fujibank.example.jp:8443"}})"),
            bank_);
  EXPECT_EQ(routeOf("s3", sel + R"("id":"s3","dns":{"queries":[{"type":"A"},)"
                                R"({"name":"mail.fujibank.example.jp"}]}})"),
            bank_);
  EXPECT_EQ(routeOf("s4", sel + R"("id":"s4","dst":"203.0.113.80","dst_domestic":false})"),
            hospital_);
  // A domestic address is a pseudonym: never routed by prefix; the clear source decides.
  EXPECT_EQ(routeOf("s5", sel + R"("id":"s5","dst":"203.0.113.80","dst_domestic":true,)"
                                R"("src":"198.51.100.7"})"),
            bank_);
  // Names come before addresses.
  EXPECT_EQ(routeOf("s6", sel + R"("id":"s6","dst":"198.51.100.7",)"
                                R"("tls":{"sni":"www.sakura-hp.example.jp"}})"),
            hospital_);
  EXPECT_TRUE(routeOf("s7", sel + R"("id":"s7","dst":"192.0.2.1"})").is_null());
  const auto all = events();
  EXPECT_EQ(all.at("s1")["kind"], "select");
  EXPECT_EQ(all.at("s1")["category"], "selected-flow");
}

TEST_P(EventIngest, OnlyTheRecordsOwnFieldsRoute) {
  const std::string det = R"({"category":"sqli","pattern":"single",)";
  // Keys of the same names deeper down are not routing keys.
  EXPECT_TRUE(routeOf("d1", det + R"("id":"d1","extra":{"targets":["www.fujibank.example.jp"],)"
                                  R"("tls":{"sni":"www.fujibank.example.jp"}},)"
                                  R"("targets":[["www.fujibank.example.jp"]]})")
                  .is_null());
  // Non-string targets are skipped; the first owned string target decides.
  EXPECT_EQ(routeOf("d2", det + R"("id":"d2","targets":[7,null,"elsewhere.example",)"
                                R"("www.fujibank.example.jp","www.sakura-hp.example.jp"]})"),
            bank_);
  // A repeated key counts as its last occurrence, as in a parsed object.
  EXPECT_EQ(routeOf("d3", det + R"("id":"d3","targets":["www.fujibank.example.jp"],)"
                                R"("targets":["www.sakura-hp.example.jp"]})"),
            hospital_);
  EXPECT_TRUE(routeOf("d4", R"({"order":"o","proto":"udp","id":"d4",)"
                            R"("tls":{"sni":"www.fujibank.example.jp"},"tls":null})")
                  .is_null());
  auto r = ingest(det + R"("id":"first","id":"d5","severity":"low","severity":7})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto all = events();
  EXPECT_FALSE(all.contains("first"));
  ASSERT_TRUE(all.contains("d5"));
  EXPECT_TRUE(all.at("d5")["severity"].is_null()) << "the last severity is not a string";
}

TEST_P(EventIngest, WhatIsNotOneValidRecordIsRefusedNamingTheLine) {
  const std::string good = R"({"id":"g1","category":"sqli","pattern":"single"})";
  EXPECT_EQ(refusal(good + "\n[1,2]"), "invalid-record");
  EXPECT_EQ(refusal(good + "\n\"just a string\""), "invalid-record");
  EXPECT_EQ(refusal(good + "\n" + good + " trailing"), "invalid-json");
  EXPECT_EQ(refusal("{\"id\":\"u1\",\"category\":\"\xff\",\"pattern\":\"single\"}"),
            "invalid-json");  // not UTF-8
  EXPECT_EQ(refusal(R"({"id":5,"category":"sqli","pattern":"single"})"), "invalid-record");
  EXPECT_EQ(refusal(R"({"id":"c1","category":3,"pattern":"single"})"), "invalid-record");
  EXPECT_EQ(refusal(R"({"id":"c2","category":"sqli","pattern":null})"), "invalid-record");
  EXPECT_EQ(refusal(R"({"id":"c3","order":"o"})"), "invalid-record");
  auto r = ingest(good + "\n{\"id\":\"x\"}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details["line"], 2);
  EXPECT_TRUE(events().empty()) << "nothing of a refused batch is stored";
}

TEST_P(EventIngest, RecordsAreKeptAsSentAndThePageTextIsTheListDocument) {
  // Spacing, key order, escapes, non-ASCII and numbers exactly as sent.
  const std::string record =
      R"({ "pattern" : "many-to-one", "id":"k1", "category":"x\"q\\u00e9 \u5b88",)"
      R"( "severity":"high","first_seen":"2026-11-26T01:00:00.000000Z","n":1.50,)"
      R"("targets":["www.sakura-hp.example.jp"] })";
  auto r = ingest("  " + record + " \r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(ingest(R"({"id":"k2","order":"o","proto":"udp"})").ok());

  EventQuery q;
  q.limit = 1;
  auto page = hut_.hub().listEventsPage(analyst_, q);
  ASSERT_TRUE(page.ok()) << page.error().message;
  auto list = hut_.hub().listEvents(analyst_, q);
  ASSERT_TRUE(list.ok());
  const Json parsed = Json::parse(page.value().text);
  EXPECT_EQ(parsed, list.value());
  EXPECT_EQ(parsed.dump(), page.value().text) << "keys in DOM order, compact";
  ASSERT_TRUE(parsed["next_cursor"].is_string());

  q.limit = 10;
  q.cursor.clear();
  page = hut_.hub().listEventsPage(analyst_, q);
  ASSERT_TRUE(page.ok());
  EXPECT_NE(page.value().text.find(record), std::string::npos)
      << "the record is served byte for byte as sent (without the surrounding blanks)";
  const Json all = Json::parse(page.value().text);
  ASSERT_EQ(all["items"].size(), 2U);
  EXPECT_TRUE(all["next_cursor"].is_null());
  const Json& k1 = all["items"][1]["id"] == "k1" ? all["items"][1] : all["items"][0];
  EXPECT_EQ(k1["category"], "x\"q\\u00e9 \u5b88");
  EXPECT_EQ(k1["record"], Json::parse(record));
  EXPECT_EQ(k1["first_seen"], "2026-11-26T01:00:00.000000Z");
  EXPECT_EQ(k1["target_organisation"], hospital_);
  EXPECT_EQ(k1["severity"], "high");
  EXPECT_EQ(k1["sensitivity"], 1);
  EXPECT_EQ(k1["tlp"], "AMBER");
  EXPECT_EQ(k1["state"], "new");
}

MAMORI_INSTANTIATE_BACKEND_TEST(EventIngest);

}  // namespace
}  // namespace mamori::hub
