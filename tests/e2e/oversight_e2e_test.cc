// End to end, oversight: a real `mamori hub` set up with `mamori admin` (the commission's order
// key included), real `mamori select --hub` runs on a gencap capture under an approved order, and
// the commission reading what the sensor reported — the order (signature valid), the ledger heads
// (the sensor ledger's own, consistent run after run) — and downloading the hub's audit ledger,
// which `tar -x` and `mamori ledger verify` check offline, as docs/oversight.md says. Everyone
// else is refused.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <optional>
#include <string>

#include "e2e_support.h"
#include "hub_process.h"
#include "mamori/core/signing.h"

namespace mamori::e2e {
namespace {

const std::string kMamori = MAMORI_BIN;
const std::string kGencap = MAMORI_GENCAP_BIN;

const char* kOrder = R"({
  "id": "order-oversight-e2e",
  "purpose": "end-to-end test: the commission inspects what a sensor ran under",
  "approved_by": "commission decision e2e-1",
  "scopes": ["foreign-foreign", "foreign-domestic", "domestic-foreign"],
  "valid_from": "2026-01-01T00:00:00Z",
  "valid_until": "2099-01-01T00:00:00Z",
  "criteria": [
    {"id": "c-ip", "ip": "203.0.113.5"},
    {"id": "c-dom", "domain": "evil.example"},
    {"id": "c-telnet", "port": 23}
  ]
})";

class OversightE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.emplace("oversight");
    const auto& d = *dir_;
    db_ = "sqlite:" + (d / "hub.db").string();
    ASSERT_EQ(run(kGencap + " --scenario e2e --out " + quote((d / "e2e.pcap").string())).exitCode,
              0);
    writeFile(d / "domestic.txt", "192.0.2.0/24\n2001:db8:1::/48\n");
    writeFile(d / "order.json", kOrder);
    ASSERT_EQ(run(kMamori + " keys gen --out " + quote((d / "commission").string())).exitCode, 0);
    ASSERT_EQ(
        run(kMamori + " order sign --key " + quote((d / "commission/signing.key").string()) + " " +
            quote((d / "order.json").string()) + " > " + quote((d / "order.signed.json").string()))
            .exitCode,
        0);
    for (const char* org : {"--name centre --type centre", "--name commission --type commission",
                            "--name op1 --type operator --sector electricity"}) {
      auto r = admin(std::string("org add ") + org);
      ASSERT_EQ(r.exitCode, 0) << r.output;
    }
    sensorToken_ = userToken("sensor", "centre", "analyst");
    centreAdmin_ = userToken("centre-admin", "centre", "admin");
    commissioner_ = userToken("commissioner", "commission", "viewer");
    operator_ = userToken("op-analyst", "op1", "analyst");
    auto key = admin("commission-key set " + quote((d / "commission/signing.pub").string()));
    ASSERT_EQ(key.exitCode, 0) << key.output;
    commissionKeyId_ = trim(key.output);
    const auto pub = VerifyKey::loadFile(d / "commission/signing.pub");
    ASSERT_TRUE(pub.ok());
    ASSERT_EQ(commissionKeyId_, pub->keyId());
    hub_.emplace(db_, d.path());
    ASSERT_TRUE(hub_->running()) << "the hub did not start:\n" << hub_->log();
  }
  void TearDown() override {
    hub_.reset();
    dir_.reset();
  }

  CommandResult admin(const std::string& args) const { return hubAdmin(db_, args); }
  std::string userToken(const std::string& name, const std::string& org, const std::string& role) {
    auto u =
        admin(fmt::format("user add --name {} --org {} --role {} --clearance 2", name, org, role));
    EXPECT_EQ(u.exitCode, 0) << u.output;
    auto t = admin("token create --user " + name);
    EXPECT_EQ(t.exitCode, 0) << t.output;
    return trim(t.output);
  }

  // One `mamori select --hub` run into OUT, as the sensor.
  CommandResult select(const std::string& out) const {
    const auto& d = *dir_;
    return run("MAMORI_HUB_TOKEN=" + quote(sensorToken_) + " " + kMamori + " select --order " +
               quote((d / "order.signed.json").string()) + " --trust " +
               quote((d / "commission/signing.pub").string()) + " --domestic " +
               quote((d / "domestic.txt").string()) + " --state " +
               quote((d / "sensor-state").string()) + " --in " + quote((d / "e2e.pcap").string()) +
               " --out " + quote((d / out).string()) + " --hub " + hub_->url() +
               " --sensor-name e2e-sensor-1");
  }

  struct Reply {
    int status = 0;
    nlohmann::json body;
  };
  Reply call(const std::string& method, const std::string& path, const std::string& token) const {
    httplib::Client client("127.0.0.1", hub_->port());
    const httplib::Headers headers{{"Authorization", "Bearer " + token}};
    auto r = method == "GET" ? client.Get(path, headers) : client.Post(path, headers, "", "");
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = nlohmann::json::parse(r->body, nullptr, false);
    return out;
  }

  // The sensor ledger's latest signed head, as `mamori ledger head` prints it.
  nlohmann::json sensorHead() const {
    auto r = run(kMamori + " ledger head --state " + quote((*dir_ / "sensor-state").string()));
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

  std::optional<ScratchDir> dir_;
  std::optional<HubProcess> hub_;
  std::string db_;
  std::string sensorToken_, centreAdmin_, commissioner_, operator_, commissionKeyId_;
};

TEST_F(OversightE2E, TheCommissionSeesWhatASensorRanUnderAndVerifiesItAndNobodyElseDoes) {
  auto r = select("out1");
  ASSERT_EQ(r.exitCode, 0) << r.output << hub_->log();
  EXPECT_NE(r.output.find("sensor report lhd_"), std::string::npos) << r.output;
  const nlohmann::json head1 = sensorHead();

  Reply orders = call("GET", "/api/v1/oversight/orders", commissioner_);
  ASSERT_EQ(orders.status, 200) << orders.body.dump();
  ASSERT_EQ(orders.body["items"].size(), 1U);
  const auto& o = orders.body["items"][0];
  EXPECT_EQ(o["order_id"], "order-oversight-e2e");
  EXPECT_EQ(o["sensor"], "e2e-sensor-1");
  EXPECT_EQ(o["signature"], "valid");
  EXPECT_EQ(o["issued_by"], commissionKeyId_);
  EXPECT_EQ(o["approved_by"], "commission decision e2e-1");
  EXPECT_EQ(o["criteria_count"], 3);
  EXPECT_EQ(o["envelope"], nlohmann::json::parse(readFile(*dir_ / "order.signed.json")));

  Reply heads = call("GET", "/api/v1/oversight/ledger-heads", commissioner_);
  ASSERT_EQ(heads.status, 200) << heads.body.dump();
  ASSERT_EQ(heads.body["items"].size(), 1U);
  const auto& h = heads.body["items"][0];
  // The head the hub holds is the sensor ledger's own latest head: it covers the run and the
  // sending of its records.
  EXPECT_EQ(h["tree_size"], head1["tree_size"]);
  EXPECT_EQ(h["root"], head1["root"]);
  EXPECT_EQ(h["key_id"], head1["key_id"]);
  EXPECT_EQ(h["orders"], nlohmann::json::array({o["id"]}));
  const std::string firstId = h["id"];
  Reply v =
      call("POST", "/api/v1/oversight/ledger-heads/" + firstId + "/verification", commissioner_);
  ASSERT_EQ(v.status, 200) << v.body.dump();
  EXPECT_EQ(v.body["signature_valid"], true);
  EXPECT_EQ(v.body["consistent_with_previous"], true);

  // A second run: the ledger grew, consistently; the order is the same one, reported twice.
  r = select("out2");
  ASSERT_EQ(r.exitCode, 0) << r.output << hub_->log();
  const nlohmann::json head2 = sensorHead();
  EXPECT_GT(head2["tree_size"].get<uint64_t>(), head1["tree_size"].get<uint64_t>());
  heads = call("GET", "/api/v1/oversight/ledger-heads?sensor=e2e-sensor-1", commissioner_);
  ASSERT_EQ(heads.body["items"].size(), 2U);
  EXPECT_EQ(heads.body["items"][0]["root"], head2["root"]);
  v = call("POST",
           "/api/v1/oversight/ledger-heads/" + heads.body["items"][0]["id"].get<std::string>() +
               "/verification",
           commissioner_);
  EXPECT_EQ(v.body["signature_valid"], true);
  EXPECT_EQ(v.body["consistent_with_previous"], true);
  EXPECT_EQ(v.body["previous"]["id"], firstId);
  orders = call("GET", "/api/v1/oversight/orders", commissioner_);
  ASSERT_EQ(orders.body["items"].size(), 1U);
  EXPECT_EQ(orders.body["items"][0]["reports"], 2);

  // Nobody else reads any of it: not the sensor that sent it, not the centre's admin, not an
  // operator.
  for (const std::string& token : {sensorToken_, centreAdmin_, operator_}) {
    for (const char* path : {"/api/v1/oversight/orders", "/api/v1/oversight/ledger-heads",
                             "/api/v1/oversight/audit-ledger"}) {
      const Reply no = call("GET", path, token);
      EXPECT_EQ(no.status, 403) << path;
      EXPECT_EQ(no.body["error"]["code"], "oversight-commission-only") << path;
    }
    EXPECT_EQ(
        call("POST", "/api/v1/oversight/ledger-heads/" + firstId + "/verification", token).status,
        403);
  }

  // The audit ledger, checked offline with the documented one-liner (the trusted key is the
  // hub's own audit.pub, as the operator hands it over).
  const auto& d = *dir_;
  const auto check = d / "check";
  std::filesystem::create_directories(check);
  auto offline = run("cd " + quote(check.string()) + " && curl -sf -H " +
                     quote("Authorization: Bearer " + commissioner_) + " " + hub_->url() +
                     "/api/v1/oversight/audit-ledger | tar -x && " + kMamori +
                     " ledger verify --ledger hub-audit --trust " +
                     quote((d / "hub-state" / "hub" / "audit.pub").string()));
  ASSERT_EQ(offline.exitCode, 0) << offline.output;
  EXPECT_NE(offline.output.find("VERIFIED"), std::string::npos) << offline.output;
  // It holds the sensor reports, the commission's reads and the refusals above.
  const auto entries = readNdjson(check / "hub-audit" / "entries.ndjson");
  int reports = 0;
  int refusals = 0;
  int downloads = 0;
  for (const auto& e : entries) {
    if (e.value("kind", "") == "sensor-report" && e.value("allowed", false)) ++reports;
    if (e.value("reason", "") == "oversight-commission-only") ++refusals;
    if (e.value("kind", "") == "audit-ledger" && e.value("allowed", false)) ++downloads;
  }
  EXPECT_EQ(reports, 2);
  EXPECT_EQ(refusals, 12);
  EXPECT_EQ(downloads, 1);
  EXPECT_EQ(readFile(check / "hub-audit" / "audit.pub"),
            readFile(d / "hub-state" / "hub" / "audit.pub"));
}

TEST_F(OversightE2E, ARefusedTokenFailsTheRunKeepsItsOutputsAndReportsNothing) {
  // An operator's token may send neither records nor sensor reports (the same rule): select says
  // so and exits 1, its local outputs complete, and the commission sees no report.
  const auto& d = *dir_;
  auto r = run("MAMORI_HUB_TOKEN=" + quote(operator_) + " " + kMamori + " select --order " +
               quote((d / "order.signed.json").string()) + " --trust " +
               quote((d / "commission/signing.pub").string()) + " --domestic " +
               quote((d / "domestic.txt").string()) + " --state " +
               quote((d / "sensor-state").string()) + " --in " + quote((d / "e2e.pcap").string()) +
               " --out " + quote((d / "out").string()) + " --hub " + hub_->url());
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("403 centre-only"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(d / "out" / "selected.ndjson"));
  EXPECT_EQ(call("GET", "/api/v1/oversight/ledger-heads", commissioner_).body["items"].size(), 0U);
  // A sensor name the hub would refuse is refused before the run.
  r = run("MAMORI_HUB_TOKEN=x " + kMamori + " select --order " +
          quote((d / "order.signed.json").string()) + " --trust " +
          quote((d / "commission/signing.pub").string()) + " --in " +
          quote((d / "e2e.pcap").string()) + " --out " + quote((d / "out-bad").string()) +
          " --hub " + hub_->url() + " --sensor-name 'no spaces'");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("--sensor-name"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(d / "out-bad"));
}

}  // namespace
}  // namespace mamori::e2e
