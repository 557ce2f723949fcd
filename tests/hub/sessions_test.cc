// Console sessions over real HTTP on both databases: password login, the session cookie and its
// attributes, CSRF on state-changing requests, idle and absolute expiry, logout, throttling of
// password guessing, the security headers, and the console's static files.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "hub_server_fixture.h"
#include "mamori/hub/hub.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kPassword = "correct horse battery staple";

class HubSessions : public test_support::BackendTest {
 protected:
  // Opens the hub with `options`, an operator with an analyst who has a password and one who has
  // only API tokens, and serves it (with `consoleDir` when given).
  void start(HubOptions options = {}, const std::filesystem::path& consoleDir = {}) {
    ASSERT_TRUE(hut_.open(url(), options));
    hut_.organisation({"NISC Centre", OrgType::kCentre});
    hut_.organisation({"Sakura Hospital", OrgType::kOperator, Sector::kMedical});
    auto u = hut_.hub().createUser(
        {"nurse", "Sakura Hospital", Role::kAnalyst, 1, std::string(kPassword)});
    ASSERT_TRUE(u.ok()) << u.error().message;
    token_ = hut_.userToken("robot", "Sakura Hospital", Role::kAnalyst, 1);
    ASSERT_TRUE(hut_.serve(4, consoleDir));
  }

  void SetUp() override {
    test_support::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
  }
  void TearDown() override {
    hut_.stop();
    test_support::BackendTest::TearDown();
  }

  struct Reply {
    int status = 0;
    Json body;
    httplib::Headers headers;
    std::string raw;
  };

  Reply send(const std::string& method, const std::string& path, const httplib::Headers& headers,
             const std::string& body = "") {
    httplib::Client cli("127.0.0.1", hut_.port());
    httplib::Result r = method == "GET"      ? cli.Get(path, headers)
                        : method == "DELETE" ? cli.Delete(path, headers)
                        : method == "PUT"    ? cli.Put(path, headers, body, "application/json")
                                             : cli.Post(path, headers, body, "application/json");
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.headers = r->headers;
    out.raw = r->body;
    out.body = Json::parse(r->body, nullptr, false);
    return out;
  }

  Reply login(std::string_view user, std::string_view password) {
    return send("POST", "/api/v1/session", {},
                Json{{"username", user}, {"password", password}}.dump());
  }

  // The cookie header a browser would send back after `r`'s Set-Cookie.
  static std::string cookieFrom(const Reply& r) {
    auto it = r.headers.find("Set-Cookie");
    if (it == r.headers.end()) return "";
    return it->second.substr(0, it->second.find(';'));
  }

  test_support::HubUnderTest hut_;
  std::string token_;
};

TEST_P(HubSessions, LoginSetsAHardenedCookieThatAuthenticates) {
  start();
  auto r = login("nurse", kPassword);
  ASSERT_EQ(r.status, 201) << r.raw;
  EXPECT_EQ(r.body["user"]["name"], "nurse");
  EXPECT_EQ(r.body["organisation"]["name"], "Sakura Hospital");
  EXPECT_EQ(r.body["csrf_token"].get<std::string>().size(), 64U);
  EXPECT_TRUE(r.body["expires_at"].is_string());
  const std::string setCookie = r.headers.find("Set-Cookie")->second;
  EXPECT_NE(setCookie.find("HttpOnly"), std::string::npos) << setCookie;
  EXPECT_NE(setCookie.find("SameSite=Strict"), std::string::npos) << setCookie;
  EXPECT_NE(setCookie.find("Path=/"), std::string::npos) << setCookie;
  EXPECT_EQ(setCookie.find("Secure"), std::string::npos) << "plain HTTP unless --secure-cookies";
  EXPECT_EQ(setCookie.find(std::string(kPassword)), std::string::npos);

  const std::string cookie = cookieFrom(r);
  auto me = send("GET", "/api/v1/me", {{"Cookie", "theme=dark; " + cookie}});
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body["user"]["name"], "nurse");
  auto again = send("GET", "/api/v1/session", {{"Cookie", cookie}});
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["csrf_token"], r.body["csrf_token"]);

  // A forged or foreign cookie is nobody.
  auto forged = send("GET", "/api/v1/me", {{"Cookie", "mamori_session=" + std::string(64, 'a')}});
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.body["error"]["code"], "no-session");
}

TEST_P(HubSessions, WrongPasswordUnknownUserAndTokenOnlyUserAreTheSameRefusal) {
  start();
  for (const auto& [user, password] : {std::pair{"nurse", "wrong password!!"},
                                       {"nobody", "whatever password"},
                                       {"robot", "no password at all"}}) {
    auto r = login(user, password);
    EXPECT_EQ(r.status, 401) << user;
    EXPECT_EQ(r.body["error"]["code"], "bad-credentials") << user;
    EXPECT_EQ(r.headers.count("Set-Cookie"), 0U) << user;
  }
  auto malformed = send("POST", "/api/v1/session", {}, R"({"username": "nurse"})");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.body["error"]["code"], "invalid-body");
  auto notJson = send("POST", "/api/v1/session", {}, "username=nurse");
  EXPECT_EQ(notJson.status, 400);
  EXPECT_EQ(notJson.body["error"]["code"], "invalid-json");
}

TEST_P(HubSessions, RepeatedFailuresForOneNameAreThrottled) {
  HubOptions o;
  o.loginMaxFailures = 3;
  start(o);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("nurse", "not the password").status, 401);
  // Even the right password is refused now: guessing would otherwise go on unchecked.
  auto r = login("nurse", kPassword);
  EXPECT_EQ(r.status, 429) << r.raw;
  EXPECT_EQ(r.body["error"]["code"], "too-many-attempts");
  ASSERT_EQ(r.headers.count("Retry-After"), 1U);
  EXPECT_GT(std::stoi(r.headers.find("Retry-After")->second), 0);
  // Other names are not affected.
  EXPECT_EQ(login("nobody", "not the password").status, 401);
}

TEST_P(HubSessions, ASuccessfulLoginResetsTheFailureCount) {
  HubOptions o;
  o.loginMaxFailures = 3;
  start(o);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(login("nurse", "not the password").status, 401);
  EXPECT_EQ(login("nurse", kPassword).status, 201);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(login("nurse", "not the password").status, 401);
  EXPECT_EQ(login("nurse", kPassword).status, 201);
}

TEST_P(HubSessions, StateChangesWithTheCookieNeedTheCsrfToken) {
  start();
  auto r = login("nurse", kPassword);
  ASSERT_EQ(r.status, 201);
  const std::string cookie = cookieFrom(r);
  const std::string csrf = r.body["csrf_token"];
  const std::string draft = R"({"type": "ransomware", "draft": {}})";

  auto missing = send("POST", "/api/v1/reports", {{"Cookie", cookie}}, draft);
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.body["error"]["code"], "csrf-token-missing");
  std::string wrong = csrf;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  auto mismatch =
      send("POST", "/api/v1/reports", {{"Cookie", cookie}, {"X-CSRF-Token", wrong}}, draft);
  EXPECT_EQ(mismatch.status, 403);
  EXPECT_EQ(mismatch.body["error"]["code"], "csrf-token-mismatch");
  // Nothing was filed by the refused requests.
  auto list = send("GET", "/api/v1/reports", {{"Cookie", cookie}});
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.body["items"].empty());

  auto ok = send("POST", "/api/v1/reports", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, draft);
  EXPECT_EQ(ok.status, 201) << ok.raw;
  // API tokens are not sent by browsers on their own: no CSRF token needed with them.
  auto viaToken = send("POST", "/api/v1/reports", {{"Authorization", "Bearer " + token_}}, draft);
  EXPECT_EQ(viaToken.status, 201) << viaToken.raw;
}

TEST_P(HubSessions, SessionsEndAfterTheAbsoluteLifetime) {
  HubOptions o;
  o.sessionMaxMicros = 1;  // over by the next request
  start(o);
  auto r = login("nurse", kPassword);
  ASSERT_EQ(r.status, 201);
  auto me = send("GET", "/api/v1/me", {{"Cookie", cookieFrom(r)}});
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(me.body["error"]["code"], "session-expired");
  // ... and stay ended (the session is deleted, not only refused).
  me = send("GET", "/api/v1/me", {{"Cookie", cookieFrom(r)}});
  EXPECT_EQ(me.body["error"]["code"], "no-session");
}

TEST_P(HubSessions, SessionsEndWhenIdle) {
  HubOptions o;
  o.sessionIdleMicros = 1;
  start(o);
  auto r = login("nurse", kPassword);
  ASSERT_EQ(r.status, 201);
  auto me = send("GET", "/api/v1/me", {{"Cookie", cookieFrom(r)}});
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(me.body["error"]["code"], "session-expired");
}

TEST_P(HubSessions, LogoutEndsTheSessionAndClearsTheCookie) {
  start();
  auto r = login("nurse", kPassword);
  ASSERT_EQ(r.status, 201);
  const std::string cookie = cookieFrom(r);
  // Logging out changes state too: a foreign page must not be able to log users out.
  EXPECT_EQ(send("DELETE", "/api/v1/session", {{"Cookie", cookie}}).status, 403);
  auto out = send("DELETE", "/api/v1/session",
                  {{"Cookie", cookie}, {"X-CSRF-Token", r.body["csrf_token"].get<std::string>()}});
  EXPECT_EQ(out.status, 204);
  ASSERT_EQ(out.headers.count("Set-Cookie"), 1U);
  EXPECT_NE(out.headers.find("Set-Cookie")->second.find("Max-Age=0"), std::string::npos);
  auto me = send("GET", "/api/v1/me", {{"Cookie", cookie}});
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(me.body["error"]["code"], "no-session");
}

TEST_P(HubSessions, LoginsAreAuditedWithoutPasswords) {
  start();
  EXPECT_EQ(login("nurse", "canary-password-7Hq2").status, 401);
  auto r = login("nurse", kPassword);
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(
      send("DELETE", "/api/v1/session",
           {{"Cookie", cookieFrom(r)}, {"X-CSRF-Token", r.body["csrf_token"].get<std::string>()}})
          .status,
      204);
  int refused = 0;
  int allowed = 0;
  int logouts = 0;
  for (const auto& e : hut_.auditEntries()) {
    const std::string line = e.dump();
    EXPECT_EQ(line.find("canary-password"), std::string::npos) << line;
    EXPECT_EQ(line.find(std::string(kPassword)), std::string::npos) << line;
    EXPECT_EQ(line.find(r.body["csrf_token"].get<std::string>()), std::string::npos) << line;
    if (e.value("type", "") != "session") continue;
    if (e["action"] == "login" && e["outcome"] == "refused") ++refused;
    if (e["action"] == "login" && e["outcome"] == "allowed") ++allowed;
    if (e["action"] == "logout") ++logouts;
  }
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(allowed, 1);
  EXPECT_EQ(logouts, 1);
}

TEST_P(HubSessions, EveryAnswerCarriesTheSecurityHeaders) {
  start();
  for (const auto& path : {"/api/v1/health", "/api/v1/me", "/api/v1/no-such-route"}) {
    auto r = send("GET", path, {});
    ASSERT_NE(r.status, 0) << path;
    const auto csp = r.headers.find("Content-Security-Policy");
    ASSERT_NE(csp, r.headers.end()) << path;
    EXPECT_NE(csp->second.find("default-src 'self'"), std::string::npos);
    EXPECT_NE(csp->second.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(r.headers.find("X-Content-Type-Options")->second, "nosniff") << path;
    EXPECT_EQ(r.headers.find("X-Frame-Options")->second, "DENY") << path;
    EXPECT_EQ(r.headers.find("Cache-Control")->second, "no-store") << path;
  }
}

TEST_P(HubSessions, ServesTheConsoleAndFallsBackToItsIndex) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mamori-console-" + test_support::randomHex(6));
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<!doctype html><title>mamori console</title>";
  std::ofstream(dir / "assets" / "app.js") << "console.log('mamori');";
  start({}, dir);

  auto index = send("GET", "/", {});
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.raw.find("mamori console"), std::string::npos);
  auto js = send("GET", "/assets/app.js", {});
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.headers.find("Content-Type")->second.find("javascript"), std::string::npos);
  // The console's own routes survive a reload.
  auto deep = send("GET", "/reports/rep_123", {});
  EXPECT_EQ(deep.status, 200);
  EXPECT_NE(deep.raw.find("mamori console"), std::string::npos);
  // The API keeps its JSON errors, and nothing outside the directory is served.
  auto api = send("GET", "/api/v1/no-such-route", {});
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.body["error"]["code"], "not-found");
  auto escape = send("GET", "/../../etc/passwd", {});
  EXPECT_EQ(escape.raw.find("root:"), std::string::npos);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

MAMORI_INSTANTIATE_BACKEND_TEST(HubSessions);

}  // namespace
}  // namespace mamori::hub
