// End-to-end tests of `mamori select` on the e2e capture made by mamori-gencap (the flows F1..F11
// are listed in tools/gencap/README.md). They prove the sensor's invariants on real output files:
// no payload byte (a canary in every payload) anywhere, no domestic address in clear, never a
// domestic-domestic flow, only signed and valid orders, and a ledger that detects tampering.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "e2e_support.h"
#include "mamori/core/ip_address.h"

namespace mamori::e2e {
namespace {

const std::string kBin = MAMORI_BIN;
const std::string kGencap = MAMORI_GENCAP_BIN;
const std::string kCanary = "MAMORI-CANARY-7f3a9c";

const char* kOrder = R"({
  "id": "order-e2e-1",
  "purpose": "end-to-end test: botnet C2 investigation",
  "scopes": ["foreign-foreign", "foreign-domestic", "domestic-foreign"],
  "valid_from": "2026-01-01T00:00:00Z",
  "valid_until": "2099-01-01T00:00:00Z",
  "criteria": [
    {"id": "c-ip", "ip": "203.0.113.5"},
    {"id": "c-dom", "domain": "evil.example"},
    {"id": "c-telnet", "port": 23},
    {"id": "c-mirai", "pattern": "MIRAI-BOTNET"},
    {"id": "c-v6", "prefix": "2001:db8:2::/48"},
    {"id": "c-ns", "ip": "198.51.100.53"}
  ]
})";

class SelectE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("select");
    const auto& d = *dir_;
    ASSERT_EQ(run(kGencap + " --scenario e2e --out " + quote((d / "e2e.pcap").string()) +
                  " --manifest " + quote((d / "manifest.json").string()))
                  .exitCode,
              0);
    writeFile(d / "domestic.txt", "# test domestic set\n192.0.2.0/24\n2001:db8:1::/48\n");
    writeFile(d / "order.json", kOrder);
    auto keys = run(kBin + " keys gen --out " + quote((d / "commission").string()));
    ASSERT_EQ(keys.exitCode, 0) << keys.output;
    ASSERT_EQ(signOrder("order.json", "order.signed.json").exitCode, 0);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static CommandResult signOrder(const std::string& in, const std::string& out) {
    const auto& d = *dir_;
    return run(kBin + " order sign --key " + quote((d / "commission/signing.key").string()) + " " +
               quote((d / in).string()) + " > " + quote((d / out).string()));
  }

  // Runs select with its own state directory, so each test has its own ledger and key.
  static CommandResult select(const std::string& name, const std::string& extra,
                              const std::string& order = "order.signed.json") {
    const auto& d = *dir_;
    return run(kBin + " select --order " + quote((d / order).string()) + " --trust " +
               quote((d / "commission/signing.pub").string()) + " --domestic " +
               quote((d / "domestic.txt").string()) + " --state " +
               quote((d / ("state-" + name)).string()) + " --out " +
               quote((d / ("out-" + name)).string()) + " " + extra);
  }

  static std::map<std::string, nlohmann::json> recordsByFlow(const std::string& name) {
    // Keyed by "proto sport dport" — ports are not de-identified and unique per e2e flow.
    std::map<std::string, nlohmann::json> out;
    for (auto& r : readNdjson(*dir_ / ("out-" + name) / "selected.ndjson")) {
      out[r["proto"].get<std::string>() + " " + std::to_string(r["sport"].get<int>()) + " " +
          std::to_string(r["dport"].get<int>())] = r;
    }
    return out;
  }

  static std::set<std::string> criteriaOf(const nlohmann::json& r) {
    return r["criteria"].get<std::set<std::string>>();
  }

  static std::string ledgerVerify(const std::string& name, int& exitCode) {
    const auto& d = *dir_;
    auto r = run(kBin + " ledger verify --ledger " + quote((d / ("state-" + name) / "ledger").string()) +
                 " --trust " + quote((d / ("state-" + name) / "ledger.pub").string()));
    exitCode = r.exitCode;
    return r.output;
  }

  static ScratchDir* dir_;
};

ScratchDir* SelectE2E::dir_ = nullptr;

TEST_F(SelectE2E, SelectsExactlyTheCoveredFlowsWithTheirMachineInformation) {
  auto r = select("main", "--in " + quote((*dir_ / "e2e.pcap").string()));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto recs = recordsByFlow("main");
  // F1 http, F2 tls, F3 dns, F4 telnet, F6 v6 tls, F7 fragmented udp, F8 icmp, F10 ptr, F11 v6 frag.
  const std::map<std::string, std::set<std::string>> expected = {
      {"tcp 40001 80", {"c-ip"}},
      {"tcp 50000 443", {"c-dom"}},
      {"udp 53000 53", {"c-dom", "c-ns"}},
      {"tcp 41000 23", {"c-telnet", "c-mirai"}},
      {"tcp 40100 443", {"c-v6"}},
      {"udp 5000 9999", {"c-ip"}},
      {"udp 53001 53", {"c-ns"}},
      {"udp 5001 9999", {"c-v6"}},
  };
  for (const auto& [flow, criteria] : expected) {
    ASSERT_TRUE(recs.count(flow)) << "missing record for " << flow;
    EXPECT_EQ(criteriaOf(recs.at(flow)), criteria) << flow;
    EXPECT_EQ(recs.at(flow)["order"], "order-e2e-1");
  }
  // ICMP echo (F8) is selected by c-ip; its "ports" are 0 and type<<8|code.
  size_t icmp = 0;
  for (const auto& [flow, rec] : recs) {
    if (rec["proto"] == "icmp") {
      ++icmp;
      EXPECT_EQ(criteriaOf(rec), std::set<std::string>{"c-ip"});
      EXPECT_EQ(rec["vlan"], 100);
    }
  }
  EXPECT_EQ(icmp, 1U);
  EXPECT_EQ(recs.size(), expected.size() + icmp) << "F5 (domestic-domestic) and F9 (no match) "
                                                    "must not be selected";

  const auto& http = recs.at("tcp 40001 80");
  EXPECT_EQ(http["class"], "foreign-domestic");
  EXPECT_EQ(http["src"], "203.0.113.5");
  EXPECT_TRUE(http["dst_domestic"].get<bool>());
  EXPECT_EQ(http["app"], "http");
  EXPECT_EQ(http["http"]["method"], "GET");
  EXPECT_EQ(http["http"]["host"], "www.victim.example");
  EXPECT_EQ(http["end"], "fin");
  EXPECT_NE(http["tcp_flags"]["orig"].get<std::string>().find('S'), std::string::npos);

  const auto& tls = recs.at("tcp 50000 443");
  EXPECT_EQ(tls["class"], "domestic-foreign");
  EXPECT_EQ(tls["tls"]["sni"], "c2.evil.example");
  EXPECT_EQ(tls["tls"]["version"], "1.3");
  EXPECT_EQ(tls["tls"]["ja4"].get<std::string>().substr(0, 4), "t13d");
  EXPECT_EQ(tls["tls"]["ja3"].get<std::string>().size(), 32U);
  EXPECT_EQ(tls["end"], "rst");

  const auto& dns = recs.at("udp 53000 53");
  EXPECT_EQ(dns["dns"]["queries"][0]["name"], "c2.evil.example");
  EXPECT_EQ(dns["dns"]["queries"][0]["type"], "A");
  EXPECT_EQ(dns["dns"]["rcodes"][0], "NOERROR");
  EXPECT_EQ(dns["dns"]["answers"][0], "198.51.100.7");

  EXPECT_EQ(recs.at("tcp 41000 23")["class"], "foreign-foreign");
  EXPECT_EQ(recs.at("tcp 40100 443")["tls"]["sni"], "www.victim.example");
  EXPECT_EQ(recs.at("udp 53001 53")["dns"]["rcodes"][0], "NXDOMAIN");

  // The fragmented datagrams were reassembled: one packet each way in F7, counted by IP bytes.
  const auto& frag = recs.at("udp 5000 9999");
  EXPECT_EQ(frag["pkts"]["orig"], 1);
  EXPECT_GE(frag["bytes"]["orig"].get<int>(), 3000);

  // Counts agree with the manifest of the generated capture.
  const auto manifest = nlohmann::json::parse(readFile(*dir_ / "manifest.json"));
  const auto summary = nlohmann::json::parse(readFile(*dir_ / "out-main/summary.json"));
  EXPECT_TRUE(summary["completed"].get<bool>());
  EXPECT_EQ(summary["counts"]["selected"], recs.size());
  EXPECT_EQ(summary["counts"]["flows_by_class"]["domestic-domestic"], 1);
  EXPECT_EQ(summary["counts"]["undecodable"], 0);
  EXPECT_EQ(summary["records"], recs.size());
  (void)manifest;
}

TEST_F(SelectE2E, CanaryInEveryPayloadNeverAppearsInAnyOutputLogOrLedger) {
  ASSERT_NE(readFile(*dir_ / "e2e.pcap").find(kCanary), std::string::npos) << "fixture lost its canary";
  auto r = select("canary", "--in " + quote((*dir_ / "e2e.pcap").string()));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output.find(kCanary), std::string::npos) << "canary on stdout/stderr";
  auto ledger = run(kBin + " ledger show --json --state " + quote((*dir_ / "state-canary").string()));
  EXPECT_EQ(ledger.output.find(kCanary), std::string::npos);
  size_t scanned = 0;
  for (const auto& dir : {*dir_ / "out-canary", *dir_ / "state-canary"}) {
    for (const auto& f : filesUnder(dir)) {
      EXPECT_EQ(readFile(f).find(kCanary), std::string::npos) << f;
      ++scanned;
    }
  }
  EXPECT_GE(scanned, 4U);  // selected, summary, ledger entries and heads at least
}

TEST_F(SelectE2E, NoDomesticAddressInClearAndPseudonymsPreservePrefixes) {
  auto r = select("pseudo", "--in " + quote((*dir_ / "e2e.pcap").string()));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const std::string out = readFile(*dir_ / "out-pseudo/selected.ndjson");
  for (const char* clear : {"192.0.2.", "2001:db8:1:", "2.0.192.in-addr", "0.1.0.0.8.b.d.0.1.0.0.2"}) {
    EXPECT_EQ(out.find(clear), std::string::npos) << "domestic address in clear: " << clear;
  }
  // The pseudonymization key is in the state directory, never in the output.
  const std::string key = readFile(*dir_ / "state-pseudo/pseudonym.key");
  ASSERT_EQ(key.size(), 32U);
  for (const auto& f : filesUnder(*dir_ / "out-pseudo")) {
    EXPECT_EQ(readFile(f).find(key), std::string::npos) << f;
  }

  const auto recs = recordsByFlow("pseudo");
  // 192.0.2.10 is the responder of F1 and F7: one pseudonym. 192.0.2.20 (F2's initiator) shares
  // 27 leading bits with 192.0.2.10, and so must its pseudonym.
  const auto p10 = *IpAddress::parse(recs.at("tcp 40001 80")["dst"].get<std::string>());
  EXPECT_EQ(recs.at("udp 5000 9999")["dst"], p10.toString());
  const auto p20 = *IpAddress::parse(recs.at("tcp 50000 443")["src"].get<std::string>());
  EXPECT_NE(p10, *IpAddress::parse("192.0.2.10"));
  EXPECT_EQ(p10.v4Value() >> 5, p20.v4Value() >> 5);
  EXPECT_NE(p10.v4Value() >> 4, p20.v4Value() >> 4);
  // A PTR query for a domestic address names the pseudonym instead.
  const std::string ptr = recs.at("udp 53001 53")["dns"]["queries"][0]["name"];
  EXPECT_NE(ptr.find(".in-addr.arpa"), std::string::npos);
  EXPECT_NE(ptr, "10.2.0.192.in-addr.arpa");

  // The same key gives the same pseudonyms in the next run.
  auto again = select("pseudo2", "--in " + quote((*dir_ / "e2e.pcap").string()) +
                                     " --pseudonym-key " + quote((*dir_ / "state-pseudo/pseudonym.key").string()));
  ASSERT_EQ(again.exitCode, 0) << again.output;
  EXPECT_EQ(recordsByFlow("pseudo2").at("tcp 40001 80")["dst"], p10.toString());
}

TEST_F(SelectE2E, DomesticDomesticIsNeverSelectedEvenWhenEveryFlowMatches) {
  // An order whose criteria match every address still never yields a domestic-domestic record.
  writeFile(*dir_ / "order-all.json", R"({"id":"all","purpose":"p",
    "scopes":["foreign-foreign","foreign-domestic","domestic-foreign"],
    "valid_from":"2026-01-01T00:00:00Z","valid_until":"2099-01-01T00:00:00Z",
    "criteria":[{"id":"any4","prefix":"0.0.0.0/0"},{"id":"any6","prefix":"::/0"},
                {"id":"dom","domain":"example"}]})");
  ASSERT_EQ(signOrder("order-all.json", "order-all.signed.json").exitCode, 0);
  auto r = select("all", "--in " + quote((*dir_ / "e2e.pcap").string()), "order-all.signed.json");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto recs = readNdjson(*dir_ / "out-all/selected.ndjson");
  EXPECT_EQ(recs.size(), 10U);  // all eleven flows but F5
  for (const auto& rec : recs) EXPECT_NE(rec["class"], "domestic-domestic");
  const auto summary = nlohmann::json::parse(readFile(*dir_ / "out-all/summary.json"));
  EXPECT_EQ(summary["counts"]["flows_by_class"]["domestic-domestic"], 1);
  EXPECT_EQ(summary["counts"]["discarded"], 1);
}

TEST_F(SelectE2E, RefusesUnsignedTamperedExpiredAndDomesticScopeOrders) {
  const auto& d = *dir_;
  writeFile(d / "unsigned.json", kOrder);
  nlohmann::json env = nlohmann::json::parse(readFile(d / "order.signed.json"));
  std::string payload = env["payload"];
  payload[10] = payload[10] == 'A' ? 'B' : 'A';
  env["payload"] = payload;
  writeFile(d / "tampered.json", env.dump());
  auto expired = nlohmann::json::parse(kOrder);
  expired["valid_until"] = "2026-02-01T00:00:00Z";
  writeFile(d / "expired.json", expired.dump());
  ASSERT_EQ(signOrder("expired.json", "expired.signed.json").exitCode, 0);
  // `order sign` refuses a domestic-domestic scope (select's own refusal of a validly signed one
  // is covered by SignedOrderTest in the unit tests).
  auto dd = nlohmann::json::parse(kOrder);
  dd["scopes"] = {"domestic-domestic"};
  writeFile(d / "dd.json", dd.dump());
  auto signDd = signOrder("dd.json", "dd.signed.json");
  EXPECT_NE(signDd.exitCode, 0);
  EXPECT_NE(signDd.output.find("domestic-domestic"), std::string::npos);

  struct Case {
    std::string file, expect;
  };
  for (const Case& c : {Case{"unsigned.json", "order refused"}, Case{"tampered.json", "order refused"},
                        Case{"expired.signed.json", "valid from"}, Case{"no-such-order.json", "order"}}) {
    const std::string name = "refused-" + c.file;
    auto r = select(name, "--in " + quote((d / "e2e.pcap").string()), c.file);
    EXPECT_EQ(r.exitCode, 1) << c.file << ": " << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.file << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(d / ("out-" + name) / "selected.ndjson")) << c.file;
    // The refusal is in the ledger, as an incomplete run.
    const auto entries = readNdjson(d / ("state-" + name) / "ledger/entries.ndjson");
    ASSERT_EQ(entries.size(), 2U) << c.file;
    EXPECT_EQ(entries[1]["type"], "run-end");
    EXPECT_FALSE(entries[1]["completed"].get<bool>());
    int rc = -1;
    ledgerVerify(name, rc);
    EXPECT_EQ(rc, 0);
  }
}

TEST_F(SelectE2E, LedgerDetectsEditsRemovalReorderingAndOutOfBandAppends) {
  const auto& d = *dir_;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(select("ledger", "--in " + quote((d / "e2e.pcap").string())).exitCode, 0);
    std::filesystem::remove_all(d / "out-ledger");
  }
  int rc = -1;
  ledgerVerify("ledger", rc);
  ASSERT_EQ(rc, 0);
  const auto entriesPath = d / "state-ledger/ledger/entries.ndjson";
  const std::string original = readFile(entriesPath);
  auto splitLines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
  };
  const auto lines = splitLines(original);
  ASSERT_EQ(lines.size(), 6U);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
  };
  std::vector<std::pair<std::string, std::string>> tamperings;
  {
    auto v = lines;
    const auto pos = v[3].find("\"selected\":");
    ASSERT_NE(pos, std::string::npos);
    v[3][pos + 11] = v[3][pos + 11] == '9' ? '8' : '9';
    tamperings.emplace_back("edited count", join(v));
  }
  {
    auto v = lines;
    v.erase(v.begin() + 2);
    tamperings.emplace_back("removed entry", join(v));
  }
  {
    auto v = lines;
    std::swap(v[2], v[4]);
    tamperings.emplace_back("reordered", join(v));
  }
  {
    auto v = lines;
    v.push_back(R"({"seq":6,"time":"2026-11-26T00:00:00.000000Z","type":"run-end","completed":true})");
    tamperings.emplace_back("appended out of band", join(v));
  }
  for (const auto& [what, text] : tamperings) {
    writeFile(entriesPath, text);
    const std::string out = ledgerVerify("ledger", rc);
    EXPECT_EQ(rc, 1) << what << ": " << out;
    EXPECT_NE(out.find("FAILED"), std::string::npos) << what;
  }
  writeFile(entriesPath, original);
  ledgerVerify("ledger", rc);
  EXPECT_EQ(rc, 0);

  // Truncating entries and heads together is caught against a head the commission kept.
  auto head = run(kBin + " ledger head --state " + quote((d / "state-ledger").string()));
  ASSERT_EQ(head.exitCode, 0);
  writeFile(d / "witness.json", head.output);
  const auto headsPath = d / "state-ledger/ledger/heads.ndjson";
  const auto heads = splitLines(readFile(headsPath));
  ASSERT_EQ(heads.size(), 6U);
  writeFile(entriesPath, join({lines.begin(), lines.begin() + 4}));
  writeFile(headsPath, join({heads.begin(), heads.begin() + 4}));
  auto witnessed = run(kBin + " ledger verify --state " + quote((d / "state-ledger").string()) +
                       " --trust " + quote((d / "state-ledger/ledger.pub").string()) +
                       " --witness " + quote((d / "witness.json").string()));
  EXPECT_EQ(witnessed.exitCode, 1) << witnessed.output;
}

TEST_F(SelectE2E, PcapngSllAndStandardInputGiveTheSameRecords) {
  const auto& d = *dir_;
  ASSERT_EQ(select("base", "--in " + quote((d / "e2e.pcap").string()) + " --pseudonym-key " +
                               quote((d / "shared.key").string())).exitCode, 0);
  const auto base = readNdjson(d / "out-base/selected.ndjson");
  auto withoutVlanAndIcmp = [](std::vector<nlohmann::json> v) {
    // SLL captures carry no VLAN tags, so gencap writes F8 untagged there.
    for (auto& r : v) r.erase("vlan");
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.dump() < b.dump(); });
    return v;
  };
  struct Variant {
    std::string name, genArgs, input;
  };
  for (const Variant& v : {Variant{"pcapng", "--format pcapng", "--in FILE"},
                           Variant{"sll", "--link sll", "--in FILE"},
                           Variant{"raw", "--link raw", "--in FILE"},
                           Variant{"stdin", "", "--in - < FILE"}}) {
    const auto cap = d / (v.name + ".cap");
    ASSERT_EQ(run(kGencap + " --scenario e2e " + v.genArgs + " --out " + quote(cap.string())).exitCode, 0);
    std::string input = v.input;
    input.replace(input.find("FILE"), 4, quote(cap.string()));
    auto r = select(v.name, input + " --pseudonym-key " + quote((d / "shared.key").string()));
    ASSERT_EQ(r.exitCode, 0) << v.name << ": " << r.output;
    auto got = readNdjson(d / ("out-" + v.name) / "selected.ndjson");
    if (v.name == "raw" || v.name == "sll") {
      EXPECT_EQ(withoutVlanAndIcmp(got), withoutVlanAndIcmp(base)) << v.name;
    } else {
      auto sorted = [](std::vector<nlohmann::json> x) {
        std::sort(x.begin(), x.end(), [](const auto& a, const auto& b) { return a.dump() < b.dump(); });
        return x;
      };
      EXPECT_EQ(sorted(got), sorted(base)) << v.name;
    }
    // The ledger names the input by its hash, also for standard input.
    const auto entries = readNdjson(d / ("state-" + v.name) / "ledger/entries.ndjson");
    ASSERT_EQ(entries.size(), 2U);
    const std::string hash = run("sha256sum " + quote(cap.string())).output.substr(0, 64);
    EXPECT_EQ(entries[1]["inputs"][0]["sha256"], hash) << v.name;
  }
}

TEST_F(SelectE2E, CorruptTruncatedAndUnknownCapturesFailClearlyAndAreLedgeredIncomplete) {
  const auto& d = *dir_;
  const std::string pcap = readFile(d / "e2e.pcap");
  writeFile(d / "truncated.pcap", pcap.substr(0, pcap.size() - 37));
  writeFile(d / "garbage.pcap", "this is not a capture file at all, just text\n");
  // A valid pcap header with link type 147 (USER0) and one record.
  std::string user0 = pcap.substr(0, 24);
  user0[20] = static_cast<char>(147);
  user0[21] = user0[22] = user0[23] = 0;
  user0 += pcap.substr(24, 16 + 60);
  writeFile(d / "user0.pcap", user0);

  struct Case {
    std::string file, expect;
  };
  for (const Case& c : {Case{"truncated.pcap", "truncated"}, Case{"garbage.pcap", "not a readable pcap"},
                        Case{"user0.pcap", "unsupported link type"}, Case{"missing.pcap", "cannot open"}}) {
    const std::string name = "bad-" + c.file;
    auto r = select(name, "--in " + quote((d / c.file).string()));
    EXPECT_EQ(r.exitCode, 1) << c.file << ": " << r.output;
    EXPECT_NE(r.output.find(c.file), std::string::npos) << "error must name the file: " << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.file << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(d / ("out-" + name) / "selected.ndjson")) << c.file;
    const auto entries = readNdjson(d / ("state-" + name) / "ledger/entries.ndjson");
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_FALSE(entries[1]["completed"].get<bool>()) << c.file;
    EXPECT_NE(entries[1]["error"].get<std::string>().find(c.file), std::string::npos);
    const auto summary = nlohmann::json::parse(readFile(d / ("out-" + name) / "summary.json"));
    EXPECT_FALSE(summary["completed"].get<bool>());
  }
  // A malformed domestic-prefix file is refused naming file and line.
  writeFile(d / "bad-domestic.txt", "192.0.2.0/24\n192.0.2.0/33\n");
  auto r = run(kBin + " select --order " + quote((d / "order.signed.json").string()) + " --trust " +
               quote((d / "commission/signing.pub").string()) + " --domestic " +
               quote((d / "bad-domestic.txt").string()) + " --state " + quote((d / "state-baddom").string()) +
               " --out " + quote((d / "out-baddom").string()) + " --in " + quote((d / "e2e.pcap").string()));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("bad-domestic.txt:2"), std::string::npos) << r.output;
}

TEST_F(SelectE2E, UsageErrorsAndHelp) {
  EXPECT_EQ(run(kBin + " --help").exitCode, 0);
  for (const char* sub : {"select", "keys gen", "order sign", "order verify", "ledger verify",
                          "ledger show", "ledger head", "ledger repair"}) {
    auto r = run(kBin + " " + sub + " --help");
    EXPECT_EQ(r.exitCode, 0) << sub;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
  EXPECT_EQ(run(kBin).exitCode, 2);
  EXPECT_EQ(run(kBin + " select --out /tmp/x").exitCode, 2);
  EXPECT_EQ(run(kBin + " frobnicate").exitCode, 2);
}

}  // namespace
}  // namespace mamori::e2e
