#include "mamori/hub/server.h"

#include <httplib.h>
#include <sodium.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mamori/core/time.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

int statusOf(ApiError::Kind k) {
  switch (k) {
    case ApiError::Kind::kInvalid: return 400;
    case ApiError::Kind::kUnauthenticated: return 401;
    case ApiError::Kind::kForbidden: return 403;
    case ApiError::Kind::kNotFound: return 404;
    case ApiError::Kind::kConflict: return 409;
    case ApiError::Kind::kTooLarge: return 413;
    case ApiError::Kind::kTooManyRequests: return 429;
    case ApiError::Kind::kUnavailable: return 503;
  }
  return 500;
}

void sendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

// A body the hub already serialized (event list pages splice stored records in as sent).
void sendJson(httplib::Response& res, int status, const JsonText& body) {
  res.status = status;
  res.set_content(body.text + "\n", "application/json");
}

void sendError(httplib::Response& res, const ApiError& e) {
  Json err{{"code", e.code}, {"message", e.message}};
  if (!e.details.is_null()) err["details"] = e.details;
  sendJson(res, statusOf(e.kind), Json{{"error", err}});
  if (e.kind == ApiError::Kind::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"mamori\"");
  }
  if (e.kind == ApiError::Kind::kTooManyRequests && e.details.contains("retry_after_seconds")) {
    res.set_header("Retry-After", e.details["retry_after_seconds"].dump());
  }
}

constexpr std::string_view kSessionCookie = "mamori_session";

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view cookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

bool changesState(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

template <class T>
void reply(httplib::Response& res, const ApiResult<T>& r, int okStatus = 200) {
  if (r.ok()) {
    sendJson(res, okStatus, r.value());
  } else {
    sendError(res, r.error());
  }
}

ApiError badParam(std::string_view name, std::string_view why) {
  return {ApiError::Kind::kInvalid, "invalid-parameter", fmt::format("parameter '{}': {}", name, why),
          Json{{"parameter", name}}};
}

// The body as JSON, or an "invalid-json" error already sent.
std::optional<Json> jsonBody(const httplib::Request& req, httplib::Response& res) {
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    sendError(res,
              {ApiError::Kind::kInvalid, "invalid-json", "the body is not valid JSON", nullptr});
    return std::nullopt;
  }
  return body;
}

}  // namespace

struct HubServer::Impl {
  Hub& hub;
  ServerOptions options;
  httplib::Server server;

  Impl(Hub& h, ServerOptions o) : hub(h), options(std::move(o)) {}

  // The principal of a request: from "Authorization: Bearer TOKEN" (API clients, sensors) or
  // from the console's session cookie. A cookie is sent by the browser on its own, so a request
  // that changes state must also prove it comes from the console: the session's CSRF token in
  // X-CSRF-Token, which other sites cannot read (SameSite=Strict is the second line).
  ApiResult<Principal> principal(const httplib::Request& req) {
    const std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (std::string_view(auth).starts_with(kBearer)) {
      return hub.authenticate(std::string_view(auth).substr(kBearer.size()));
    }
    const std::string cookies = req.get_header_value("Cookie");
    const std::string_view secret = cookieValue(cookies, kSessionCookie);
    if (!auth.empty() || secret.empty()) {
      return ApiError{ApiError::Kind::kUnauthenticated, "missing-token",
                      "send an API token as 'Authorization: Bearer TOKEN', or log in", nullptr};
    }
    auto session = hub.resumeSession(secret);
    if (!session.ok()) return session.error();
    if (changesState(req.method)) {
      const std::string csrf = req.get_header_value("X-CSRF-Token");
      if (csrf.empty()) {
        return ApiError{ApiError::Kind::kForbidden, "csrf-token-missing",
                        "send the session's csrf_token as X-CSRF-Token", nullptr};
      }
      const std::string& expected = session.value().csrfToken;
      if (csrf.size() != expected.size() ||
          sodium_memcmp(csrf.data(), expected.data(), expected.size()) != 0) {
        return ApiError{ApiError::Kind::kForbidden, "csrf-token-mismatch",
                        "X-CSRF-Token is not this session's csrf_token", nullptr};
      }
    }
    return std::move(session.value().principal);
  }

  // A browser-session cookie (no Max-Age: gone when the browser closes); the hub enforces the
  // idle and absolute expiry itself. `extra` clears it at logout ("; Max-Age=0").
  std::string sessionCookie(std::string_view value, std::string_view extra = {}) const {
    return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}{}", kSessionCookie, value,
                       options.secureCookies ? "; Secure" : "", extra);
  }

  // Runs `fn(principal)` for an authenticated request.
  template <class Fn>
  httplib::Server::Handler authed(Fn fn) {
    return [this, fn](const httplib::Request& req, httplib::Response& res) {
      auto p = principal(req);
      if (!p.ok()) return sendError(res, p.error());
      fn(p.value(), req, res);
    };
  }

  // Every route, as registered: (method, OpenAPI path template). docs/openapi.yaml must describe
  // exactly these (tests/hub/openapi_test.cc).
  std::vector<std::pair<std::string, std::string>> registered;

  // The one place routes are registered, so that `registered` cannot drift from the handlers.
  // `path` is an OpenAPI path template; each {param} matches an id of 1-128 letters, digits, '.',
  // '_', '-', available to the handler in order as req.matches[1], [2], ...
  void route(std::string_view method, std::string_view path, httplib::Server::Handler handler) {
    std::string pattern;
    for (std::size_t i = 0; i < path.size(); ++i) {
      const char c = path[i];
      if (c == '{') {
        const std::size_t close = path.find('}', i);
        if (close == std::string_view::npos) {
          throw Failure(fmt::format("route {}: unclosed '{{'", path));
        }
        pattern += "([A-Za-z0-9._-]{1,128})";
        i = close;
      } else {
        if (std::string_view(".+*?()[]^$|\\").find(c) != std::string_view::npos) pattern += '\\';
        pattern += c;
      }
    }
    registered.emplace_back(method, path);
    if (method == "GET") {
      server.Get(pattern, std::move(handler));
    } else if (method == "POST") {
      server.Post(pattern, std::move(handler));
    } else if (method == "PUT") {
      server.Put(pattern, std::move(handler));
    } else if (method == "PATCH") {
      server.Patch(pattern, std::move(handler));
    } else if (method == "DELETE") {
      server.Delete(pattern, std::move(handler));
    } else {
      throw Failure(fmt::format("route {}: unsupported method {}", path, method));
    }
  }

  void routes() {
    route("GET", "/api/v1/health", [](const httplib::Request&, httplib::Response& res) {
      sendJson(res, 200, Json{{"status", "ok"}});
    });
    // --- console sessions (Hub::login ...; docs/hub.md "Console sessions") -----------------
    route("POST", "/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = jsonBody(req, res);
      if (!body) return;
      if (!body->is_object() || !(*body)["username"].is_string() ||
          !(*body)["password"].is_string() || body->size() != 2) {
        return sendError(res, {ApiError::Kind::kInvalid, "invalid-body",
                               "send {\"username\": STRING, \"password\": STRING}", nullptr});
      }
      auto s = hub.login((*body)["username"].get<std::string>(),
                         (*body)["password"].get<std::string>());
      if (!s.ok()) return sendError(res, s.error());
      auto out = hub.sessionJson(s.value());
      if (!out.ok()) return sendError(res, out.error());
      res.set_header("Set-Cookie", sessionCookie(s.value().secret));
      sendJson(res, 201, out.value());
    });
    route("GET", "/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string cookies = req.get_header_value("Cookie");
      auto s = hub.resumeSession(cookieValue(cookies, kSessionCookie));
      if (!s.ok()) return sendError(res, s.error());
      reply(res, hub.sessionJson(s.value()));
    });
    route("DELETE", "/api/v1/session",
          authed([this](const Principal&, const httplib::Request& req, httplib::Response& res) {
            const std::string cookies = req.get_header_value("Cookie");
            auto r = hub.logout(cookieValue(cookies, kSessionCookie));
            if (!r.ok()) return sendError(res, r.error());
            res.set_header("Set-Cookie", sessionCookie("", "; Max-Age=0"));
            res.status = 204;
          }));
    route("GET", "/api/v1/me",
          authed([this](const Principal& p, const httplib::Request&, httplib::Response& res) {
            reply(res, hub.me(p));
          }));
    route("GET", "/api/v1/organisations",
          authed([this](const Principal&, const httplib::Request&, httplib::Response& res) {
            auto r = hub.listOrganisations();
            if (!r) {
              return sendError(res, {ApiError::Kind::kUnavailable, "database-unavailable",
                                     r.error().message, nullptr});
            }
            sendJson(res, 200, Json{{"items", *r}});
          }));
    route("GET", "/api/v1/organisations/{id}",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.getOrganisation(p, req.matches[1].str()));
          }));
    route("POST", "/api/v1/organisations/{id}/users",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            if (auto body = jsonBody(req, res)) {
              reply(res, hub.addUser(p, req.matches[1].str(), *body), 201);
            }
          }));
    route("POST", "/api/v1/organisations/{id}/users/{user}/tokens",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            if (auto body = jsonBody(req, res)) {
              reply(res, hub.addToken(p, req.matches[1].str(), req.matches[2].str(), *body), 201);
            }
          }));
    route("GET", "/api/v1/dashboard",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            int days = 30;
            for (const auto& [k, v] : req.params) {
              if (k != "days") return sendError(res, badParam(k, "unknown parameter"));
              auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), days);
              if (ec != std::errc() || ptr != v.data() + v.size()) {
                return sendError(res, badParam("days", "not a number"));
              }
            }
            reply(res, hub.dashboard(p, days));
          }));
    route("POST", "/api/v1/events",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.ingestEvents(p, req.body));
          }));
    route("GET", "/api/v1/events",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            EventQuery q;
            for (const auto& [k, v] : req.params) {
              if (k == "state") {
                q.state = v;
              } else if (k == "category") {
                q.category = v;
              } else if (k == "organisation") {
                q.organisation = v;
              } else if (k == "cursor") {
                q.cursor = v;
              } else if (k == "limit") {
                std::size_t n = 0;
                auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                if (ec != std::errc() || ptr != v.data() + v.size()) {
                  return sendError(res, badParam("limit", "not a number"));
                }
                q.limit = n;
              } else if (k == "since") {
                auto t = parseRfc3339(v);
                if (!t) return sendError(res, badParam("since", "not an RFC 3339 time"));
                q.sinceMicros = *t;
              } else {
                return sendError(res, badParam(k, "unknown parameter"));
              }
            }
            reply(res, hub.listEventsPage(p, q));
          }));
    route("GET", "/api/v1/events/{id}",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.getEvent(p, req.matches[1].str()));
          }));
    route("POST", "/api/v1/events/{id}/transitions",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            if (auto body = jsonBody(req, res)) {
              reply(res, hub.transitionEvent(p, req.matches[1].str(), *body));
            }
          }));
    route("GET", "/api/v1/notifications",
          authed([this](const Principal& p, const httplib::Request&, httplib::Response& res) {
            reply(res, hub.listNotifications(p));
          }));

    // --- incident reports (Hub::createReport ... getReport; docs/incident-reports.md) ---------
    route("POST", "/api/v1/reports",
          authed([this](const Principal& p, const httplib::Request& req,
                                  httplib::Response& res) {
            if (auto body = jsonBody(req, res)) reply(res, hub.createReport(p, *body), 201);
          }));
    route("GET", "/api/v1/reports",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            ReportQuery q;
            for (const auto& [k, v] : req.params) {
              if (k == "type") {
                q.type = v;
              } else if (k == "sector") {
                q.sector = v;
              } else if (k == "stage") {
                q.stage = v;
              } else if (k == "cursor") {
                q.cursor = v;
              } else if (k == "overdue") {
                if (v != "true" && v != "false") {
                  return sendError(res, badParam("overdue", "true or false"));
                }
                q.overdue = v == "true";
              } else if (k == "limit") {
                std::size_t n = 0;
                auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                if (ec != std::errc() || ptr != v.data() + v.size()) {
                  return sendError(res, badParam("limit", "not a number"));
                }
                q.limit = n;
              } else {
                return sendError(res, badParam(k, "unknown parameter"));
              }
            }
            reply(res, hub.listReports(p, q));
          }));
    route("GET", "/api/v1/reports/{id}",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.getReport(p, req.matches[1].str()));
          }));
    route("POST", "/api/v1/reports/{id}/submissions",
          authed([this](const Principal& p, const httplib::Request& req,
                                  httplib::Response& res) {
            if (auto body = jsonBody(req, res)) {
              reply(res, hub.submitStage(p, req.matches[1].str(), *body));
            }
          }));
    route("PUT", "/api/v1/reports/{id}/draft",
          authed([this](const Principal& p, const httplib::Request& req,
                                  httplib::Response& res) {
            if (auto body = jsonBody(req, res)) {
              reply(res, hub.saveDraft(p, req.matches[1].str(), *body));
            }
          }));

    // --- shared indicators and routes (Hub::publishIndicators ... listRoutes; docs/hub.md) ----
    route("POST", "/api/v1/indicators",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            if (auto body = jsonBody(req, res)) reply(res, hub.publishIndicators(p, *body), 201);
          }));
    route("GET", "/api/v1/indicators",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            IndicatorQuery q;
            for (const auto& [k, v] : req.params) {
              if (k == "type") {
                q.types.push_back(v);
              } else if (k == "after" || k == "limit") {
                int64_t n = 0;
                auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                if (ec != std::errc() || ptr != v.data() + v.size() || n < 0) {
                  return sendError(res, badParam(k, "not a non-negative integer"));
                }
                if (k == "after") {
                  q.after = n;
                } else {
                  q.limit = static_cast<std::size_t>(n);
                }
              } else {
                return sendError(res, badParam(k, "unknown parameter"));
              }
            }
            reply(res, hub.listIndicators(p, q));
          }));
    route("DELETE", "/api/v1/indicators/{id}",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.revokeIndicator(p, req.matches[1].str()));
          }));
    route("GET", "/api/v1/routes",
          authed([this](const Principal& p, const httplib::Request&, httplib::Response& res) {
            reply(res, hub.listRoutes(p));
          }));

    // --- oversight (Hub::createSensorReport ... auditLedgerArchive; docs/oversight.md) -------
    // Bodies and query parameters go to the Hub unparsed, so that malformed requests are
    // audited like the others.
    auto queryParams = [](const httplib::Request& req) {
      return Hub::QueryParams(req.params.begin(), req.params.end());
    };
    route("POST", "/api/v1/sensor-reports",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.createSensorReport(p, req.body), 201);
          }));
    route("GET", "/api/v1/oversight/orders",
          authed([this, queryParams](const Principal& p, const httplib::Request& req,
                                     httplib::Response& res) {
            reply(res, hub.listOversightOrders(p, queryParams(req)));
          }));
    route("GET", "/api/v1/oversight/ledger-heads",
          authed([this, queryParams](const Principal& p, const httplib::Request& req,
                                     httplib::Response& res) {
            reply(res, hub.listLedgerHeads(p, queryParams(req)));
          }));
    route("POST", "/api/v1/oversight/ledger-heads/{id}/verification",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.verifyLedgerHead(p, req.matches[1].str()));
          }));
    route("GET", "/api/v1/oversight/audit-ledger",
          authed([this](const Principal& p, const httplib::Request&, httplib::Response& res) {
            auto archive = hub.auditLedgerArchive(p);
            if (!archive.ok()) return sendError(res, archive.error());
            std::shared_ptr<Hub::AuditLedgerArchive> a = archive.value();
            res.status = 200;
            res.set_header("Content-Disposition", "attachment; filename=\"hub-audit.tar\"");
            res.set_header("X-Mamori-Audit-Key-Id", a->keyId());
            res.set_header("X-Mamori-Audit-Tree-Size", std::to_string(a->treeSize()));
            // Streamed from the ledger files: the archive is as large as the ledger.
            res.set_content_provider(
                static_cast<std::size_t>(a->size()), "application/x-tar",
                [a](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                  std::array<char, 65536> buf{};
                  auto n = a->read(offset, std::span(buf.data(), std::min(length, buf.size())));
                  // A short or failed read ends the connection: the client sees a truncated
                  // archive (tar fails), never a wrong one.
                  if (!n || *n == 0) return false;
                  return sink.write(buf.data(), *n);
                });
          }));
  }

  // The console's index.html, for paths the console routes itself.
  bool serveConsoleIndex(httplib::Response& res) const {
    std::ifstream in(options.consoleDir / "index.html", std::ios::binary);
    if (!in) return false;
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    res.status = 200;
    res.set_content(html, "text/html; charset=utf-8");
    return true;
  }

  void setup() {
    server.set_payload_max_length(options.maxBodyBytes);
    server.new_task_queue = [n = options.threads] {
      return new httplib::ThreadPool(n);
    };  // NOLINT(cppcoreguidelines-owning-memory): httplib takes ownership
    server.set_default_headers(
        {{"X-Content-Type-Options", "nosniff"},
         {"Cache-Control", "no-store"},
         {"X-Frame-Options", "DENY"},
         {"Referrer-Policy", "no-referrer"},
         {"Cross-Origin-Opener-Policy", "same-origin"},
         {"Cross-Origin-Resource-Policy", "same-origin"},
         {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"},
         // The console is built to need nothing inline and nothing from elsewhere.
         {"Content-Security-Policy",
          "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
          "object-src 'none'"}});
    if (!options.consoleDir.empty() && !server.set_mount_point("/", options.consoleDir.string())) {
      throw Failure(fmt::format("console directory {}: not a directory (build the console with "
                                "scripts/setup.sh, or leave --console out)",
                                options.consoleDir.string()));
    }
    // httplib answers unknown paths, oversized bodies and handler exceptions itself; give those
    // the same JSON error shape as everything else.
    server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;  // a handler already wrote an error
      if (res.status == 404 && req.method == "GET" && !options.consoleDir.empty() &&
          !req.path.starts_with("/api/") && serveConsoleIndex(res)) {
        return;
      }
      const int status = res.status;
      const std::string code = status == 404 ? "not-found"
                               : status == 413 ? "body-too-large"
                               : status == 405 ? "method-not-allowed"
                                               : "http-error";
      const std::string message = status == 404   ? "no such resource"
                                  : status == 413 ? "request body too large"
                                                  : fmt::format("HTTP status {}", status);
      sendJson(res, status, Json{{"error", {{"code", code}, {"message", message}}}});
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                    const std::exception_ptr&) {
      sendJson(res, 500, Json{{"error", {{"code", "internal"}, {"message", "internal error"}}}});
    });
    routes();
  }
};

HubServer::HubServer(Hub& hub, ServerOptions options)
    : impl_(std::make_unique<Impl>(hub, std::move(options))) {
  impl_->setup();
}
HubServer::~HubServer() = default;

Result<int> HubServer::bind() {
  if (impl_->options.port == 0) {
    const int port = impl_->server.bind_to_any_port(impl_->options.host);
    if (port <= 0) return Error{fmt::format("cannot listen on {}", impl_->options.host)};
    return port;
  }
  if (!impl_->server.bind_to_port(impl_->options.host, impl_->options.port)) {
    return Error{fmt::format("cannot listen on {}:{} (address in use or not local?)",
                             impl_->options.host, impl_->options.port)};
  }
  return impl_->options.port;
}

void HubServer::run() { impl_->server.listen_after_bind(); }
void HubServer::stop() { impl_->server.stop(); }
const std::vector<std::pair<std::string, std::string>>& HubServer::routes() const {
  return impl_->registered;
}

}  // namespace mamori::hub
