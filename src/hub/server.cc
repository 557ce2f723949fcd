#include "mamori/hub/server.h"

#include <httplib.h>

#include <charconv>
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
    case ApiError::Kind::kUnavailable: return 503;
  }
  return 500;
}

void sendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

void sendError(httplib::Response& res, const ApiError& e) {
  Json err{{"code", e.code}, {"message", e.message}};
  if (!e.details.is_null()) err["details"] = e.details;
  sendJson(res, statusOf(e.kind), Json{{"error", err}});
  if (e.kind == ApiError::Kind::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"mamori\"");
  }
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

}  // namespace

struct HubServer::Impl {
  Hub& hub;
  ServerOptions options;
  httplib::Server server;

  Impl(Hub& h, ServerOptions o) : hub(h), options(std::move(o)) {}

  // The principal of a request, from "Authorization: Bearer TOKEN".
  ApiResult<Principal> principal(const httplib::Request& req) {
    const std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (!std::string_view(auth).starts_with(kBearer)) {
      return ApiError{ApiError::Kind::kUnauthenticated, "missing-token",
                      "send an API token as 'Authorization: Bearer TOKEN'", nullptr};
    }
    return hub.authenticate(std::string_view(auth).substr(kBearer.size()));
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
            reply(res, hub.listEvents(p, q));
          }));
    route("GET", "/api/v1/events/{id}",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            reply(res, hub.getEvent(p, req.matches[1].str()));
          }));
    route("POST", "/api/v1/events/{id}/transitions",
          authed([this](const Principal& p, const httplib::Request& req, httplib::Response& res) {
            Json body = Json::parse(req.body, nullptr, false);
            if (body.is_discarded()) {
              return sendError(res, {ApiError::Kind::kInvalid, "invalid-json",
                                     "the body is not valid JSON", nullptr});
            }
            reply(res, hub.transitionEvent(p, req.matches[1].str(), body));
          }));
    route("GET", "/api/v1/notifications",
          authed([this](const Principal& p, const httplib::Request&, httplib::Response& res) {
            reply(res, hub.listNotifications(p));
          }));

    // --- incident reports (Hub::createReport ... getReport; docs/incident-reports.md) ---------
    // The body as JSON, or an "invalid-json" error already sent.
    auto jsonBody = [](const httplib::Request& req, httplib::Response& res) -> std::optional<Json> {
      Json body = Json::parse(req.body, nullptr, false);
      if (body.is_discarded()) {
        sendError(res, {ApiError::Kind::kInvalid, "invalid-json", "the body is not valid JSON",
                        nullptr});
        return std::nullopt;
      }
      return body;
    };
    route("POST", "/api/v1/reports",
          authed([this, jsonBody](const Principal& p, const httplib::Request& req,
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
          authed([this, jsonBody](const Principal& p, const httplib::Request& req,
                                  httplib::Response& res) {
            if (auto body = jsonBody(req, res)) {
              reply(res, hub.submitStage(p, req.matches[1].str(), *body));
            }
          }));
    route("PUT", "/api/v1/reports/{id}/draft",
          authed([this, jsonBody](const Principal& p, const httplib::Request& req,
                                  httplib::Response& res) {
            if (auto body = jsonBody(req, res)) {
              reply(res, hub.saveDraft(p, req.matches[1].str(), *body));
            }
          }));
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
         {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"}});
    // httplib answers unknown paths, oversized bodies and handler exceptions itself; give those
    // the same JSON error shape as everything else.
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;  // a handler already wrote an error
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
