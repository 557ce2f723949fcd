// A hub under test: the Hub service on a database URL with its state (audit ledger and key) in a
// fresh temporary directory, its HTTP server on a kernel-chosen loopback port in a thread, and a
// client for calling it. Shared by the API, report and OpenAPI tests.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "hub_test_support.h"
#include "mamori/core/ledger.h"
#include "mamori/core/signing.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/server.h"

namespace mamori::hub::test_support {

class HubUnderTest {
 public:
  struct Reply {     // NOLINT(bugprone-exception-escape): only allocation can throw
    int status = 0;  // 0: no HTTP answer at all
    nlohmann::json body;
  };

  HubUnderTest()
      : state_(std::filesystem::temp_directory_path() / ("mamori-hub-" + randomHex(8))) {}
  ~HubUnderTest() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(state_, ec);
  }
  HubUnderTest(const HubUnderTest&) = delete;
  HubUnderTest& operator=(const HubUnderTest&) = delete;

  // Opens the hub (the state directory is filled in here).
  ::testing::AssertionResult open(const std::string& url, HubOptions options = {}) {
    options.stateDir = state_;
    auto h = Hub::open(url, options);
    if (!h.ok()) return ::testing::AssertionFailure() << h.error().message;
    hub_ = std::move(*h);
    return ::testing::AssertionSuccess();
  }

  // Starts the server and waits until it answers: httplib's stop() is lost if it comes before
  // the accept loop runs.
  ::testing::AssertionResult serve(std::size_t threads = 4,
                                   const std::filesystem::path& consoleDir = {}) {
    ServerOptions so;
    so.port = 0;
    so.threads = threads;
    so.consoleDir = consoleDir;
    so.maxBodyBytes = std::size_t{1} << 20;
    server_ = std::make_unique<HubServer>(*hub_, so);
    auto port = server_->bind();
    if (!port.ok()) return ::testing::AssertionFailure() << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { server_->run(); });
    for (int i = 0; i < 500 && call("GET", "/api/v1/health", "").status != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ::testing::AssertionSuccess();
  }

  // Stops the server and closes the hub (releasing the audit ledger).
  void stop() {
    if (server_) {
      server_->stop();
      thread_.join();
    }
    server_.reset();
    hub_.reset();
  }

  std::string organisation(const NewOrganisation& o) {
    auto id = hub_->createOrganisation(o);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : "";
  }
  // Creates a user and returns a fresh API token for it.
  std::string userToken(const std::string& name, const std::string& org, Role role, int clearance) {
    auto u = hub_->createUser({name, org, role, clearance, ""});
    EXPECT_TRUE(u.ok()) << u.error().message;
    auto t = hub_->createToken(name, 0);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : "";
  }

  // `headers` go with the request as they are (cookies, X-CSRF-Token); `token`, when given, as
  // "Authorization: Bearer".
  Reply call(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "", const std::string& type = "application/json",
             httplib::Headers headers = {}) const {
    httplib::Client cli("127.0.0.1", port_);
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result r = method == "GET"      ? cli.Get(path, headers)
                        : method == "PUT"    ? cli.Put(path, headers, body, type)
                        : method == "DELETE" ? cli.Delete(path, headers, body, type)
                                             : cli.Post(path, headers, body, type);
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = nlohmann::json::parse(r->body, nullptr, false);
    return out;
  }

  // Moves every committed audit entry into the ledger (the hub's drainer does it in the
  // background; tests reading the ledger must not depend on when), stops everything, verifies
  // the audit ledger against the hub's public key (a failure is a test failure) and returns its
  // entries.
  std::vector<nlohmann::json> auditEntries() {
    if (hub_) {
      const auto flushed = hub_->flushAudit();
      EXPECT_TRUE(flushed.ok()) << (flushed.ok() ? "" : flushed.error().message);
    }
    stop();
    const auto key = VerifyKey::loadFile(state_ / "audit.pub");
    EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
    if (!key.ok()) return {};
    const auto v = verifyLedger(state_ / "audit-ledger", *key, std::nullopt);
    EXPECT_TRUE(v.ok) << (v.problems.empty() ? "" : v.problems.front());
    auto entries = readLedgerEntries(state_ / "audit-ledger");
    EXPECT_TRUE(entries.ok()) << (entries.ok() ? "" : entries.error().message);
    return entries.ok() ? std::move(*entries) : std::vector<nlohmann::json>{};
  }

  int port() const { return port_; }
  Hub& hub() { return *hub_; }
  HubServer& server() { return *server_; }

 private:
  std::filesystem::path state_;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<HubServer> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace mamori::hub::test_support
