// HubServer: the hub's JSON API over HTTP (cpp-httplib), described in docs/openapi.yaml.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mamori/core/result.h"
#include "mamori/hub/hub.h"

namespace mamori::hub {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                                 // 0: any free port (tests)
  std::size_t maxBodyBytes = std::size_t{32} << 20;  // larger requests get 413
  std::size_t threads = 8;
  // The built web console (console/dist); served at "/" when set. Paths that are not files
  // answer index.html, so the console's own routes survive a reload.
  std::filesystem::path consoleDir;
  // Mark session cookies Secure: set when browsers reach the hub over HTTPS (a TLS proxy).
  bool secureCookies = false;
};

class HubServer {
 public:
  HubServer(Hub& hub, ServerOptions options);
  ~HubServer();
  HubServer(const HubServer&) = delete;
  HubServer& operator=(const HubServer&) = delete;

  // Binds the listening socket; returns the port (useful with port 0). An address in use or not
  // local is an error naming it.
  Result<int> bind();
  // Serves until stop() (from another thread or a signal handler's helper thread).
  void run();
  void stop();

  // Every route the server answers, as (method, OpenAPI path template), e.g. ("GET",
  // "/api/v1/events/{id}"), in registration order. Recorded by the code that registers the
  // handlers, so it is the truth docs/openapi.yaml is checked against (tests/hub/openapi_test.cc).
  const std::vector<std::pair<std::string, std::string>>& routes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::hub
