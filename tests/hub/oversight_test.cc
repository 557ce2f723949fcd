// Oversight endpoints end to end over loopback, on SQLite and PostgreSQL: sensor reports (strict
// validation, head signatures, orders flagged when their signature fails, retries stored once),
// the commission's lists and head verification (shrinking trees, forks, rows altered in the
// database), the audit ledger download (a tar that verifies offline), who may call what — only
// centre analysts/admins report, only the commission reads — and the audit entry of every call.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "hub_server_fixture.h"
#include "mamori/core/crypto.h"
#include "mamori/core/ledger.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"
#include "mamori/sensor/selection_order.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()),
          s.size()};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
}

// A signed tree head as `mamori ledger head` prints it (SignedTreeHead::toJson).
Json signedHead(const SigningKey& key, uint64_t treeSize, const std::string& rootSeed,
                const std::string& time = "2026-11-26T01:00:00Z") {
  SignedTreeHead h;
  h.treeSize = treeSize;
  h.root = sha256(rootSeed);
  h.time = time;
  h.keyId = key.publicKey().keyId();
  h.signature = key.sign(bytesOf(h.signedBytes()));
  return h.toJson();
}

std::string orderDocument(const std::string& id) {
  return Json{{"id", id},
              {"purpose", "C2 infrastructure of campaign X"},
              {"approved_by", "commission decision 2026-041"},
              {"scopes", {"foreign-foreign", "foreign-domestic"}},
              {"valid_from", "2026-01-01T00:00:00Z"},
              {"valid_until", "2099-01-01T00:00:00Z"},
              {"criteria", {{{"id", "c1"}, {"ip", "203.0.113.5"}}, {{"id", "c2"}, {"port", 23}}}}}
      .dump();
}

// A DSSE envelope of an order, as `mamori order sign` writes it.
Json envelope(const SigningKey& key, const std::string& id) {
  return Json::parse(dsseSign(key, sensor::kOrderPayloadType, orderDocument(id)));
}

// ------------------------------------------------------------------------ a POSIX tar reader

// Files of a ustar archive by name, checking each header's checksum; empty and a test failure
// on anything malformed. Written from the format's description, independently of the hub's
// writer.
std::map<std::string, std::string> untar(const std::string& archive) {
  std::map<std::string, std::string> files;
  std::size_t at = 0;
  while (at + 512 <= archive.size()) {
    const std::string_view h(archive.data() + at, 512);
    if (h.find_first_not_of('\0') == std::string_view::npos) return files;  // end blocks
    unsigned sum = 0;
    for (std::size_t i = 0; i < 512; ++i) {
      sum += i >= 148 && i < 156 ? ' ' : static_cast<unsigned char>(h[i]);
    }
    const unsigned stored =
        static_cast<unsigned>(std::stoul(std::string(h.substr(148, 6)), nullptr, 8));
    EXPECT_EQ(sum, stored) << "checksum of the header at " << at;
    EXPECT_EQ(h.substr(257, 6), std::string_view("ustar\0", 6));
    const std::string name(h.substr(0, h.find('\0')));
    const std::size_t size = std::stoull(std::string(h.substr(124, 11)), nullptr, 8);
    const char type = h[156];
    at += 512;
    if (at + size > archive.size()) {
      ADD_FAILURE() << name << ": truncated";
      return {};
    }
    if (type == '0') files[name] = archive.substr(at, size);
    if (type == '5') files[name] = "<dir>";
    at += (size + 511) / 512 * 512;
  }
  ADD_FAILURE() << "no end-of-archive blocks";
  return {};
}

class OversightApi : public test_support::BackendTest {
 protected:
  void SetUp() override {
    test_support::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(hut_.open(url()));
    centre_ = hut_.organisation({"NISC Centre", OrgType::kCentre});
    commission_ = hut_.organisation({"Oversight Commission", OrgType::kCommission});
    hut_.organisation({"Ministry of Health", OrgType::kMinistry});
    hut_.organisation({"Fuji Bank", OrgType::kOperator, Sector::kFinance, "", {}, {}});
    sensorToken_ = hut_.userToken("sensor-tokyo", "NISC Centre", Role::kAnalyst, 0);
    centreAdmin_ = hut_.userToken("centre-admin", "NISC Centre", Role::kAdmin, 3);
    centreViewer_ = hut_.userToken("centre-viewer", "NISC Centre", Role::kViewer, 3);
    commissioner_ = hut_.userToken("commissioner", "Oversight Commission", Role::kViewer, 0);
    ministry_ = hut_.userToken("ministry-analyst", "Ministry of Health", Role::kAnalyst, 3);
    bank_ = hut_.userToken("bank-analyst", "Fuji Bank", Role::kAnalyst, 3);
    ASSERT_TRUE(hut_.serve());
  }

  void TearDown() override {
    hut_.stop();
    test_support::BackendTest::TearDown();
  }

  void setCommissionKey() {
    auto id = hut_.hub().setCommissionKey(commissionKey_.publicKey().toPem());
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_EQ(*id, commissionKey_.publicKey().keyId());
  }

  Json report(const std::string& sensor, const SigningKey& ledgerKey, const Json& head,
              const Json& orders) const {
    return Json{{"sensor", sensor},
                {"ledger_public_key", ledgerKey.publicKey().toPem()},
                {"head", head},
                {"orders", orders}};
  }
  Json goodReport(uint64_t treeSize = 12, const std::string& root = "r12") const {
    return report("sensor-tokyo-1", sensorKey_, signedHead(sensorKey_, treeSize, root),
                  Json::array({envelope(commissionKey_, "2026-041")}));
  }

  using Reply = test_support::HubUnderTest::Reply;
  Reply post(const std::string& token, const std::string& body) {
    return hut_.call("POST", "/api/v1/sensor-reports", token, body);
  }
  Reply get(const std::string& path, const std::string& token) {
    return hut_.call("GET", path, token);
  }
  Reply verify(const std::string& id, const std::string& token) {
    return hut_.call("POST", "/api/v1/oversight/ledger-heads/" + id + "/verification", token);
  }

  struct Download {
    int status = 0;
    std::string contentType;
    std::string keyId;
    std::string treeSize;
    std::string body;
  };
  Download download(const std::string& token) {
    httplib::Client cli("127.0.0.1", hut_.port());
    auto r = cli.Get("/api/v1/oversight/audit-ledger", {{"Authorization", "Bearer " + token}});
    Download d;
    if (!r) return d;
    d.status = r->status;
    d.contentType = r->get_header_value("Content-Type");
    d.keyId = r->get_header_value("X-Mamori-Audit-Key-Id");
    d.treeSize = r->get_header_value("X-Mamori-Audit-Tree-Size");
    d.body = r->body;
    return d;
  }

  test_support::HubUnderTest hut_;
  SigningKey sensorKey_ = SigningKey::generate();
  SigningKey commissionKey_ = SigningKey::generate();
  std::string centre_, commission_;
  std::string sensorToken_, centreAdmin_, centreViewer_, commissioner_, ministry_, bank_;
};

TEST_P(OversightApi, ASensorReportReachesTheCommissionWithItsOrderVerified) {
  setCommissionKey();
  const Json sent = goodReport();
  Reply r = post(sensorToken_, sent.dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string headId = r.body["id"];
  EXPECT_EQ(r.body["duplicate"], false);
  ASSERT_EQ(r.body["orders"].size(), 1U);
  const std::string orderRef = r.body["orders"][0];

  r = get("/api/v1/oversight/orders", commissioner_);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["items"].size(), 1U);
  const Json& o = r.body["items"][0];
  EXPECT_EQ(o["id"], orderRef);
  EXPECT_EQ(o["sensor"], "sensor-tokyo-1");
  EXPECT_EQ(o["order_id"], "2026-041");
  EXPECT_EQ(o["signature"], "valid");
  EXPECT_EQ(o["issued_by"], commissionKey_.publicKey().keyId());
  EXPECT_EQ(o["key_id"], commissionKey_.publicKey().keyId());
  EXPECT_TRUE(o["signature_problem"].is_null());
  EXPECT_EQ(o["approved_by"], "commission decision 2026-041");
  EXPECT_EQ(o["purpose"], "C2 infrastructure of campaign X");
  EXPECT_EQ(o["scopes"], Json::array({"foreign-foreign", "foreign-domestic"}));
  EXPECT_EQ(parseRfc3339(o["valid_from"].get<std::string>()).value(),
            parseRfc3339("2026-01-01T00:00:00Z").value());
  EXPECT_EQ(parseRfc3339(o["valid_until"].get<std::string>()).value(),
            parseRfc3339("2099-01-01T00:00:00Z").value());
  EXPECT_EQ(o["criteria_count"], 2);
  EXPECT_EQ(o["payload_sha256"], toHex(sha256(orderDocument("2026-041"))));
  EXPECT_EQ(o["reports"], 1);
  EXPECT_EQ(o["organisation"], centre_);
  EXPECT_EQ(o["envelope"], sent["orders"][0]);
  // The stored envelope still verifies offline, as `mamori order verify` would check it.
  EXPECT_TRUE(
      dsseVerify(commissionKey_.publicKey(), o["envelope"].dump(), sensor::kOrderPayloadType));

  r = get("/api/v1/oversight/ledger-heads", commissioner_);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["items"].size(), 1U);
  const Json& h = r.body["items"][0];
  EXPECT_EQ(h["id"], headId);
  EXPECT_EQ(h["sensor"], "sensor-tokyo-1");
  EXPECT_EQ(h["tree_size"], 12);
  EXPECT_EQ(h["root"], sent["head"]["root"]);
  EXPECT_EQ(h["time"], "2026-11-26T01:00:00Z");
  EXPECT_EQ(h["key_id"], sensorKey_.publicKey().keyId());
  EXPECT_EQ(h["orders"], Json::array({orderRef}));
  EXPECT_TRUE(r.body["next_cursor"].is_null());

  r = verify(headId, commissioner_);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["id"], headId);
  EXPECT_EQ(r.body["signature_valid"], true);
  EXPECT_EQ(r.body["consistent_with_previous"], true);
  EXPECT_EQ(r.body["problems"], Json::array());
  EXPECT_TRUE(r.body["previous"].is_null());
}

TEST_P(OversightApi, ARetriedReportIsStoredOnceAndALaterRunCountsTheOrderAgain) {
  setCommissionKey();
  const std::string body = goodReport().dump();
  Reply first = post(sensorToken_, body);
  ASSERT_EQ(first.status, 201) << first.body.dump();
  Reply again = post(sensorToken_, body);
  ASSERT_EQ(again.status, 201) << again.body.dump();
  EXPECT_EQ(again.body["duplicate"], true);
  EXPECT_EQ(again.body["id"], first.body["id"]);
  EXPECT_EQ(again.body["orders"], first.body["orders"]);
  Reply later = post(sensorToken_, goodReport(20, "r20").dump());
  ASSERT_EQ(later.status, 201) << later.body.dump();
  EXPECT_EQ(later.body["duplicate"], false);
  EXPECT_NE(later.body["id"], first.body["id"]);
  EXPECT_EQ(later.body["orders"], first.body["orders"]);  // the same order, one row

  Reply heads = get("/api/v1/oversight/ledger-heads", commissioner_);
  ASSERT_EQ(heads.status, 200);
  ASSERT_EQ(heads.body["items"].size(), 2U);
  EXPECT_EQ(heads.body["items"][0]["tree_size"], 20);  // newest first
  Reply orders = get("/api/v1/oversight/orders", commissioner_);
  ASSERT_EQ(orders.body["items"].size(), 1U);
  EXPECT_EQ(orders.body["items"][0]["reports"], 2);
}

TEST_P(OversightApi, OrdersWhoseSignatureFailsAreStoredFlagged) {
  // Before the hub knows the commission's key, orders are stored unchecked.
  Reply r = post(sensorToken_, goodReport(5, "r5").dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  Reply orders = get("/api/v1/oversight/orders", commissioner_);
  ASSERT_EQ(orders.body["items"].size(), 1U);
  EXPECT_EQ(orders.body["items"][0]["signature"], "unchecked");
  EXPECT_TRUE(orders.body["items"][0]["issued_by"].is_null());
  EXPECT_NE(orders.body["items"][0]["signature_problem"].get<std::string>().find("commission-key"),
            std::string::npos);

  setCommissionKey();
  // Signed by someone else, and one altered after signing: both kept, both flagged.
  const SigningKey impostor = SigningKey::generate();
  Json altered = envelope(commissionKey_, "2026-077");
  altered["payload"] = base64Encode(bytesOf(orderDocument("2026-078")));
  r = post(sensorToken_, report("sensor-tokyo-1", sensorKey_, signedHead(sensorKey_, 9, "r9"),
                                Json::array({envelope(impostor, "2026-099"), altered,
                                             envelope(commissionKey_, "2026-041")}))
                             .dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["orders"].size(), 3U);
  orders = get("/api/v1/oversight/orders", commissioner_);
  ASSERT_EQ(orders.status, 200);
  std::map<std::string, Json> byOrder;
  for (const auto& o : orders.body["items"]) byOrder[o["order_id"].get<std::string>()] = o;
  ASSERT_EQ(byOrder.size(), 3U);
  EXPECT_EQ(byOrder["2026-099"]["signature"], "invalid");
  EXPECT_TRUE(byOrder["2026-099"]["issued_by"].is_null());
  EXPECT_EQ(byOrder["2026-099"]["key_id"], impostor.publicKey().keyId());
  EXPECT_NE(byOrder["2026-099"]["signature_problem"].get<std::string>().find("no signature by key"),
            std::string::npos);
  EXPECT_EQ(byOrder["2026-078"]["signature"], "invalid");
  EXPECT_NE(byOrder["2026-078"]["signature_problem"].get<std::string>().find("does not verify"),
            std::string::npos);
  // The order first stored unchecked is checked again when reported again.
  EXPECT_EQ(byOrder["2026-041"]["signature"], "valid");
  EXPECT_EQ(byOrder["2026-041"]["reports"], 2);
  EXPECT_TRUE(byOrder["2026-041"]["signature_problem"].is_null());
}

TEST_P(OversightApi, MalformedReportsAreRefusedNamingTheFieldAndStoreNothing) {
  setCommissionKey();
  const Json good = goodReport();
  auto with = [&](const std::string& pointer, const Json& value) {
    Json j = good;
    j[Json::json_pointer(pointer)] = value;
    return j.dump();
  };
  auto without = [&](const std::string& parent, const std::string& key) {
    Json j = good;
    j[Json::json_pointer(parent)].erase(key);
    return j.dump();
  };
  Json resigned = signedHead(sensorKey_, 12, "r12");
  resigned["tree_size"] = 13;  // signature over 12
  const SigningKey other = SigningKey::generate();
  Json tooMany = good;
  for (int i = 0; i < 17; ++i)
    tooMany["orders"].push_back(envelope(commissionKey_, "o" + std::to_string(i)));
  Json badPayload = good;
  badPayload["orders"][0]["payload"] = base64Encode(bytesOf("[1, 2]"));

  struct Case {
    std::string body;
    std::string code;
    std::string field;  // "" when the error names none
  };
  const std::vector<Case> cases = {
      {"{not json", "invalid-json", ""},
      {"[1]", "invalid-json", ""},
      {with("/colour", "blue"), "unknown-field", "colour"},
      {without("", "sensor"), "invalid-field", "sensor"},
      {with("/sensor", 7), "invalid-field", "sensor"},
      {with("/sensor", "tokyo sensor"), "invalid-field", "sensor"},
      {with("/sensor", std::string(129, 's')), "invalid-field", "sensor"},
      {with("/ledger_public_key", 1), "invalid-field", "ledger_public_key"},
      {with("/ledger_public_key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
       "invalid-field", "ledger_public_key"},
      {without("", "head"), "invalid-field", "head"},
      {with("/head", "latest"), "invalid-field", "head"},
      {with("/head/extra", 1), "unknown-field", "head.extra"},
      {with("/head/tree_size", -1), "invalid-field", "head.tree_size"},
      {with("/head/tree_size", "12"), "invalid-field", "head.tree_size"},
      {without("/head", "tree_size"), "invalid-field", "head.tree_size"},
      {with("/head/root", "abc"), "invalid-field", "head.root"},
      {with("/head/root", std::string(64, 'z')), "invalid-field", "head.root"},
      {with("/head/time", "yesterday"), "invalid-field", "head.time"},
      {with("/head/key_id", 5), "invalid-field", "head.key_id"},
      {with("/head/sig", "***"), "invalid-field", "head.sig"},
      {with("/head", resigned), "head-signature-invalid", "head.sig"},
      {with("/head", signedHead(other, 12, "r12")), "head-key-mismatch", "head.key_id"},
      {without("", "orders"), "invalid-field", "orders"},
      {with("/orders", Json::object()), "invalid-field", "orders"},
      {tooMany.dump(), "invalid-field", "orders"},
      {with("/orders/0", "envelope"), "invalid-field", "orders[0]"},
      {with("/orders/0/extra", true), "unknown-field", "orders[0].extra"},
      {with("/orders/0/payloadType", "application/vnd.in-toto+json"), "invalid-field",
       "orders[0].payloadType"},
      {with("/orders/0/payload", "%%%"), "invalid-field", "orders[0].payload"},
      {badPayload.dump(), "invalid-field", "orders[0].payload"},
      {with("/orders/0/signatures", Json::array()), "invalid-field", "orders[0].signatures"},
      {with("/orders/0/signatures/0/extra", 1), "unknown-field", "orders[0].signatures[0].extra"},
      {with("/orders/0/signatures/0/sig", 1), "invalid-field", "orders[0].signatures[0].sig"},
      {with("/orders/0/signatures/0/keyid", 1), "invalid-field", "orders[0].signatures[0].keyid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 200));
    const Reply r = post(sensorToken_, c.body);
    EXPECT_EQ(r.status, 400) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], c.code) << r.body.dump();
    if (!c.field.empty()) {
      EXPECT_EQ(r.body["error"]["details"]["field"], c.field) << r.body.dump();
      EXPECT_NE(r.body["error"]["message"].get<std::string>().find(c.field), std::string::npos);
    }
  }
  EXPECT_EQ(get("/api/v1/oversight/ledger-heads", commissioner_).body["items"].size(), 0U);
  EXPECT_EQ(get("/api/v1/oversight/orders", commissioner_).body["items"].size(), 0U);
  // The same report, well formed, is accepted: the cases above failed for their one change.
  EXPECT_EQ(post(sensorToken_, good.dump()).status, 201);
}

TEST_P(OversightApi, OnlyCentreAnalystsAndAdminsReport) {
  setCommissionKey();
  const std::string body = goodReport().dump();
  for (const auto& [token, code] :
       std::vector<std::pair<std::string, std::string>>{{bank_, "centre-only"},
                                                        {ministry_, "centre-only"},
                                                        {commissioner_, "centre-only"},
                                                        {centreViewer_, "role-below-analyst"}}) {
    const Reply r = post(token, body);
    EXPECT_EQ(r.status, 403) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], code);
  }
  // Refused before the body is looked at: a malformed body from an outsider is a 403 too.
  EXPECT_EQ(post(bank_, "{not json").status, 403);
  EXPECT_EQ(get("/api/v1/oversight/ledger-heads", commissioner_).body["items"].size(), 0U);
  EXPECT_EQ(post(centreAdmin_, body).status, 201);
  EXPECT_EQ(hut_.call("POST", "/api/v1/sensor-reports", "", body).status, 401);
}

TEST_P(OversightApi, OnlyTheCommissionReadsOversight) {
  setCommissionKey();
  Reply r = post(sensorToken_, goodReport().dump());
  ASSERT_EQ(r.status, 201);
  const std::string headId = r.body["id"];
  for (const std::string& token : {sensorToken_, centreAdmin_, centreViewer_, ministry_, bank_}) {
    for (const char* path : {"/api/v1/oversight/orders", "/api/v1/oversight/ledger-heads",
                             "/api/v1/oversight/orders?limit=x"}) {
      r = get(path, token);
      EXPECT_EQ(r.status, 403) << path << r.body.dump();
      EXPECT_EQ(r.body["error"]["code"], "oversight-commission-only");
    }
    r = verify(headId, token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body["error"]["code"], "oversight-commission-only");
    // Whether a head exists is not told either.
    EXPECT_EQ(verify("lhd_nope", token).status, 403);
    const Download d = download(token);
    EXPECT_EQ(d.status, 403);
    EXPECT_EQ(Json::parse(d.body, nullptr, false)["error"]["code"], "oversight-commission-only");
  }
  // Any commission role reads.
  const std::string chair =
      hut_.userToken("commission-chair", "Oversight Commission", Role::kAdmin, 3);
  for (const std::string& token : {commissioner_, chair}) {
    EXPECT_EQ(get("/api/v1/oversight/orders", token).status, 200);
    EXPECT_EQ(get("/api/v1/oversight/ledger-heads", token).status, 200);
    EXPECT_EQ(verify(headId, token).status, 200);
    EXPECT_EQ(download(token).status, 200);
  }
}

TEST_P(OversightApi, VerificationFindsTreesThatShrinkAndForks) {
  auto send = [&](const SigningKey& key, uint64_t size, const std::string& root) {
    Reply r = post(sensorToken_,
                   report("sensor-osaka", key, signedHead(key, size, root), Json::array()).dump());
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("id", "");
  };
  const std::string h10 = send(sensorKey_, 10, "a10");
  const std::string h15 = send(sensorKey_, 15, "a15");
  const std::string shrunk = send(sensorKey_, 12, "a12");
  const std::string fork = send(sensorKey_, 15, "b15");
  const SigningKey rotated = SigningKey::generate();
  const std::string newKey = send(rotated, 3, "c3");  // a new key starts its own series

  Reply r = verify(h15, commissioner_);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["consistent_with_previous"], true);
  EXPECT_EQ(r.body["previous"]["id"], h10);
  EXPECT_EQ(r.body["previous"]["tree_size"], 10);

  r = verify(shrunk, commissioner_);
  EXPECT_EQ(r.body["signature_valid"], true);
  EXPECT_EQ(r.body["consistent_with_previous"], false);
  ASSERT_EQ(r.body["problems"].size(), 1U);
  EXPECT_NE(r.body["problems"][0].get<std::string>().find("shrank"), std::string::npos);
  EXPECT_NE(r.body["problems"][0].get<std::string>().find(h15), std::string::npos);

  r = verify(fork, commissioner_);
  EXPECT_EQ(r.body["consistent_with_previous"], false);
  ASSERT_EQ(r.body["problems"].size(), 1U);
  EXPECT_NE(r.body["problems"][0].get<std::string>().find("two roots for tree size 15"),
            std::string::npos);

  r = verify(newKey, commissioner_);
  EXPECT_EQ(r.body["consistent_with_previous"], true);
  EXPECT_TRUE(r.body["previous"].is_null());

  r = verify("lhd_nope", commissioner_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"]["code"], "not-found");
}

TEST_P(OversightApi, VerificationCatchesAHeadAlteredInTheDatabase) {
  Reply r = post(sensorToken_, goodReport().dump());
  ASSERT_EQ(r.status, 201);
  const std::string id = r.body["id"];
  auto c = hut_.hub().database().acquire();
  ASSERT_TRUE(c.ok());
  // Someone with database access "moves" the tree size back: the signature gives it away.
  ASSERT_TRUE(c->execute("UPDATE ledger_heads SET tree_size = ? WHERE id = ?", 2, id).ok());
  r = verify(id, commissioner_);
  EXPECT_EQ(r.body["signature_valid"], false);
  ASSERT_FALSE(r.body["problems"].empty());
  EXPECT_NE(r.body["problems"][0].get<std::string>().find("differs from the signed head"),
            std::string::npos);
  // And the signed head itself edited: it no longer verifies.
  Json head = signedHead(sensorKey_, 2, "r12");
  head["root"] = toHex(sha256(std::string("other")));
  ASSERT_TRUE(c->execute("UPDATE ledger_heads SET head = ?, root = ? WHERE id = ?", head.dump(),
                         head["root"].get<std::string>(), id)
                  .ok());
  r = verify(id, commissioner_);
  EXPECT_EQ(r.body["signature_valid"], false);
  EXPECT_NE(r.body["problems"][0].get<std::string>().find("does not verify"), std::string::npos);
}

TEST_P(OversightApi, ListsPageFilterBySensorAndRefuseBadParameters) {
  for (int i = 1; i <= 5; ++i) {
    const std::string sensor = i % 2 == 0 ? "sensor-even" : "sensor-odd";
    ASSERT_EQ(post(sensorToken_,
                   report(sensor, sensorKey_,
                          signedHead(sensorKey_, static_cast<uint64_t>(i), "p" + std::to_string(i)),
                          Json::array({envelope(commissionKey_, "ord-" + sensor)}))
                       .dump())
                  .status,
              201);
  }
  std::set<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    Reply r =
        get("/api/v1/oversight/ledger-heads?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
            commissioner_);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_LE(r.body["items"].size(), 2U);
    for (const auto& h : r.body["items"]) EXPECT_TRUE(seen.insert(h["id"]).second);
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"];
  }
  EXPECT_EQ(seen.size(), 5U);
  Reply even = get("/api/v1/oversight/ledger-heads?sensor=sensor-even", commissioner_);
  ASSERT_EQ(even.body["items"].size(), 2U);
  for (const auto& h : even.body["items"]) EXPECT_EQ(h["sensor"], "sensor-even");
  Reply orders = get("/api/v1/oversight/orders?sensor=sensor-odd", commissioner_);
  ASSERT_EQ(orders.body["items"].size(), 1U);
  EXPECT_EQ(orders.body["items"][0]["reports"], 3);
  for (const char* q : {"?limit=0", "?limit=x", "?limit=501", "?cursor=zz",
                        "?cursor=1:", "?sensor=a%20b", "?colour=red"}) {
    for (const char* path : {"/api/v1/oversight/orders", "/api/v1/oversight/ledger-heads"}) {
      Reply r = get(std::string(path) + q, commissioner_);
      EXPECT_EQ(r.status, 400) << path << q;
      EXPECT_EQ(r.body["error"]["code"], "invalid-parameter") << path << q;
    }
  }
}

TEST_P(OversightApi, TheAuditLedgerDownloadVerifiesOffline) {
  ASSERT_EQ(post(sensorToken_, goodReport().dump()).status, 201);
  ASSERT_EQ(get("/api/v1/oversight/orders", commissioner_).status, 200);
  const Download d = download(commissioner_);
  ASSERT_EQ(d.status, 200) << d.body.substr(0, 300);
  EXPECT_EQ(d.contentType, "application/x-tar");
  EXPECT_EQ(d.body.size() % 512, 0U);
  const auto files = untar(d.body);
  ASSERT_EQ(files.size(), 4U);
  ASSERT_TRUE(files.contains("hub-audit/") && files.contains("hub-audit/entries.ndjson") &&
              files.contains("hub-audit/heads.ndjson") && files.contains("hub-audit/audit.pub"));
  // The key in the archive is the hub's audit key (compare with the one held out of band).
  const auto key = VerifyKey::fromPem(files.at("hub-audit/audit.pub"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(d.keyId, key->keyId());

  const auto dir = std::filesystem::temp_directory_path() /
                   ("mamori-oversight-" + test_support::randomHex(8)) / "hub-audit";
  std::filesystem::create_directories(dir);
  for (const char* name : {"entries.ndjson", "heads.ndjson"}) {
    std::ofstream(dir / name, std::ios::binary) << files.at(std::string("hub-audit/") + name);
  }
  const auto v = verifyLedger(dir, *key);
  EXPECT_TRUE(v.ok) << (v.problems.empty() ? "" : v.problems.front());
  EXPECT_EQ(std::to_string(v.entries), d.treeSize);
  EXPECT_GT(v.entries, 0U);
  auto entries = readLedgerEntries(dir);
  ASSERT_TRUE(entries.ok());
  // The archive ends with the record of its own download.
  const Json& last = entries->back();
  EXPECT_EQ(last["kind"], "audit-ledger");
  EXPECT_EQ(last["action"], "read");
  EXPECT_EQ(last["allowed"], true);
  std::filesystem::remove_all(dir.parent_path());

  // The snapshot is a prefix of the ledger the hub goes on writing.
  const auto all = hut_.auditEntries();
  ASSERT_GE(all.size(), entries->size());
  for (std::size_t i = 0; i < entries->size(); ++i) EXPECT_EQ(all[i], (*entries)[i]) << i;
}

TEST_P(OversightApi, EveryCallIsInTheAuditLedger) {
  setCommissionKey();
  ASSERT_EQ(post(bank_, goodReport().dump()).status, 403);
  ASSERT_EQ(post(sensorToken_, "{\"sensor\": 1}").status, 400);
  Reply ok = post(sensorToken_, goodReport().dump());
  ASSERT_EQ(ok.status, 201);
  ASSERT_EQ(get("/api/v1/oversight/orders", bank_).status, 403);
  ASSERT_EQ(get("/api/v1/oversight/orders?limit=0", commissioner_).status, 400);
  ASSERT_EQ(get("/api/v1/oversight/ledger-heads", commissioner_).status, 200);
  ASSERT_EQ(verify(ok.body["id"], commissioner_).status, 200);
  ASSERT_EQ(verify("lhd_nope", commissioner_).status, 404);
  ASSERT_EQ(download(centreAdmin_).status, 403);
  const auto entries = hut_.auditEntries();
  // Entries of one kind and action, allowed or not, with this reason, and `rejected` (the request
  // was authorized but malformed) or none.
  auto find = [&](const std::string& kind, const std::string& action, bool allowed,
                  const std::string& reason, const std::string& rejected = "") {
    return std::count_if(entries.begin(), entries.end(), [&](const Json& e) {
      return e.value("kind", "") == kind && e.value("action", "") == action &&
             e.value("allowed", !allowed) == allowed && e.value("reason", "") == reason &&
             e.value("rejected", "") == rejected;
    });
  };
  EXPECT_EQ(find("sensor-report", "create", false, "centre-only"), 1);
  EXPECT_EQ(find("sensor-report", "create", true, "centre-upload", "invalid-field"), 1);
  EXPECT_EQ(find("sensor-report", "create", true, "centre-upload"), 1);
  EXPECT_EQ(find("selection-order", "read", false, "oversight-commission-only"), 1);
  EXPECT_EQ(find("selection-order", "read", true, "commission-oversight", "invalid-parameter"), 1);
  EXPECT_EQ(find("ledger-head", "read", true, "commission-oversight"), 1);
  EXPECT_EQ(find("ledger-head", "verify", true, "commission-oversight"), 1);
  EXPECT_EQ(find("ledger-head", "verify", true, "commission-oversight", "not-found"), 1);
  EXPECT_EQ(find("audit-ledger", "read", false, "oversight-commission-only"), 1);
  const auto admin = std::count_if(entries.begin(), entries.end(), [&](const Json& e) {
    return e.value("action", "") == "set-commission-key" &&
           e.value("object", "") == commissionKey_.publicKey().keyId();
  });
  EXPECT_EQ(admin, 1);
  // The accepted report's entry names what was stored.
  for (const auto& e : entries) {
    if (e.value("kind", "") != "sensor-report" || !e.value("allowed", false) ||
        e.contains("rejected")) {
      continue;
    }
    EXPECT_EQ(e["object"], ok.body["id"]);
    EXPECT_EQ(e["sensor"], "sensor-tokyo-1");
    EXPECT_EQ(e["tree_size"], 12);
    EXPECT_EQ(e["orders"], ok.body["orders"]);
    EXPECT_EQ(e["order_signatures"], Json::array({"valid"}));
  }
}

TEST_P(OversightApi, TheCommissionKeyMustBeAPublicKey) {
  EXPECT_FALSE(hut_.hub().setCommissionKey("not a key").ok());
  EXPECT_FALSE(hut_.hub().setCommissionKey(commissionKey_.toPem()).ok());  // the secret key
  // Setting a new key checks later reports against it.
  setCommissionKey();
  const SigningKey next = SigningKey::generate();
  ASSERT_TRUE(hut_.hub().setCommissionKey(next.publicKey().toPem()).ok());
  ASSERT_EQ(post(sensorToken_, report("s1", sensorKey_, signedHead(sensorKey_, 1, "k1"),
                                      Json::array({envelope(next, "new-key-order"),
                                                   envelope(commissionKey_, "old-key-order")}))
                                   .dump())
                .status,
            201);
  std::map<std::string, std::string> status;
  const Reply orders = get("/api/v1/oversight/orders", commissioner_);
  for (const auto& o : orders.body["items"]) {
    status[o["order_id"].get<std::string>()] = o["signature"].get<std::string>();
  }
  EXPECT_EQ(status["new-key-order"], "valid");
  EXPECT_EQ(status["old-key-order"], "invalid");
}

MAMORI_INSTANTIATE_BACKEND_TEST(OversightApi);

}  // namespace
}  // namespace mamori::hub
