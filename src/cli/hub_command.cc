// `mamori hub` serves the sharing hub's API; `mamori admin` creates organisations, users and API
// tokens from the command line (the first administrator included).
#include <CLI/CLI.hpp>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli.h"
#include "mamori/core/result.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/server.h"

namespace mamori::cli {
namespace {

struct HubOptionsCli {
  std::string db;
  std::string listen = "127.0.0.1:8080";
  std::string state;
  std::size_t threads = 8;
  std::string console;
  bool noConsole = false;
  bool secureCookies = false;
};

// The built console: --console, else $MAMORI_CONSOLE_DIR, else the installed copy, else the
// source tree's build (console/dist); none when it was never built (the API still runs).
std::filesystem::path consoleDir(const HubOptionsCli& o) {
  if (o.noConsole) return {};
  if (!o.console.empty()) return o.console;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read at start-up, before any thread
  if (const char* env = std::getenv("MAMORI_CONSOLE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  for (const char* dir : {MAMORI_CONSOLE_DIR_INSTALL, MAMORI_CONSOLE_DIR_BUILD}) {
    if (std::filesystem::exists(std::filesystem::path(dir) / "index.html", ec)) return dir;
  }
  return {};
}

std::pair<std::string, int> splitListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw Failure(fmt::format("--listen {}: expected ADDRESS:PORT", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) throw Failure(fmt::format("--listen {}: bad port", listen));
  return {host, port};
}

void runHub(const HubOptionsCli& o) {
  const auto [host, port] = splitListen(o.listen);
  hub::HubOptions options;
  options.stateDir = resolveStateDir(o.state) / "hub";
  options.database.poolSize = o.threads + 2;
  auto h = hub::Hub::open(o.db, options).valueOrThrow();

  // SIGINT/SIGTERM are taken by a thread that stops the server: a signal handler could not.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  hub::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = o.threads;
  so.consoleDir = consoleDir(o);
  so.secureCookies = o.secureCookies;
  hub::HubServer server(*h, so);
  const int bound = server.bind().valueOrThrow();
  std::printf("mamori hub: %s, listening on http://%s:%d/api/v1\n",
              h->database().displayUrl().c_str(), host.c_str(), bound);
  if (so.consoleDir.empty()) {
    std::printf("mamori hub: no web console (not built: run scripts/setup.sh, or pass --console)\n");
  } else {
    std::printf("mamori hub: console at http://%s:%d/ (from %s)\n", host.c_str(), bound,
                so.consoleDir.c_str());
  }
  (void)std::fflush(stdout);
  std::thread waiter([&server, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  });
  server.run();
  // run() also returns if the server failed: wake the waiter (the signal is blocked in every
  // thread, so only its sigwait() takes it).
  (void)::kill(::getpid(), SIGTERM);
  waiter.join();
}

std::unique_ptr<hub::Hub> openForAdmin(const std::string& db) {
  // No state directory: the running hub holds the audit ledger; administrative changes wait in
  // the audit outbox (same transaction) until it moves them into the ledger.
  return hub::Hub::open(db, hub::HubOptions{}).valueOrThrow();
}

}  // namespace

void addHubCommands(CLI::App& app) {
  static HubOptionsCli o;
  auto* hubCmd = app.add_subcommand(
      "hub", "The sharing hub: JSON API under /api/v1 (docs/openapi.yaml) over SQLite or "
             "PostgreSQL");
  hubCmd->add_option("--db", o.db, "Database: sqlite:PATH or postgresql://USER@HOST:PORT/DB")
      ->required();
  hubCmd->add_option("--listen", o.listen, "ADDRESS:PORT to listen on")->capture_default_str();
  hubCmd->add_option("--state", o.state,
                     "State directory (the hub's audit ledger and its key go in STATE/hub)");
  hubCmd->add_option("--threads", o.threads, "Request threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  hubCmd->add_option("--console", o.console,
                     "The built web console to serve at / (default: the installed or source "
                     "tree's console/dist, or $MAMORI_CONSOLE_DIR)");
  hubCmd->add_flag("--no-console", o.noConsole, "Serve the API only");
  hubCmd->add_flag("--secure-cookies", o.secureCookies,
                   "Mark session cookies Secure (browsers reach the hub over HTTPS via a proxy)");
  hubCmd->callback([] { runHub(o); });

  static std::string adminDb;
  auto* admin = app.add_subcommand("admin", "Create organisations, users and API tokens");
  admin->add_option("--db", adminDb, "Database: sqlite:PATH or postgresql://...")->required();
  admin->require_subcommand(1);

  auto* org = admin->add_subcommand("org", "Organisations")->require_subcommand(1);
  static hub::NewOrganisation newOrg;
  static std::string orgType;
  static std::string orgSector;
  auto* orgAdd = org->add_subcommand("add", "Register an organisation");
  orgAdd->add_option("--name", newOrg.name, "Unique name")->required();
  orgAdd->add_option("--type", orgType,
                     "centre, ministry, government-body, agency, operator, vendor, ceptoar, "
                     "commission or police")
      ->required();
  orgAdd->add_option("--sector", orgSector, "Operators: one of the 15 critical infrastructure sectors");
  orgAdd->add_option("--ministry", newOrg.ministry, "The overseeing ministry (name or id)");
  orgAdd->add_option("--prefix", newOrg.prefixes, "An address prefix it owns (CIDR); repeatable");
  orgAdd->add_option("--domain", newOrg.domains, "A domain it owns; repeatable");
  orgAdd->callback([] {
    const auto type = hub::parseOrgType(orgType);
    if (!type) throw Failure(fmt::format("--type {}: not an organisation type", orgType));
    newOrg.type = *type;
    if (!orgSector.empty()) {
      const auto sector = hub::parseSector(orgSector);
      if (!sector) throw Failure(fmt::format("--sector {}: not a sector", orgSector));
      newOrg.sector = *sector;
    }
    std::printf("%s\n", openForAdmin(adminDb)->createOrganisation(newOrg).valueOrThrow().c_str());
  });
  org->add_subcommand("list", "List organisations (JSON)")->callback([] {
    std::printf("%s\n", openForAdmin(adminDb)->listOrganisations().valueOrThrow().dump(2).c_str());
  });

  static hub::NewUser newUser;
  static std::string userRole = "viewer";
  static bool passwordStdin = false;
  auto* user = admin->add_subcommand("user", "Users")->require_subcommand(1);
  auto* userAdd = user->add_subcommand("add", "Create a user");
  userAdd->add_option("--name", newUser.name, "Unique login name")->required();
  userAdd->add_option("--org", newUser.organisation, "Organisation (name or id)")->required();
  userAdd->add_option("--role", userRole, "viewer, analyst or admin")->capture_default_str();
  userAdd->add_option("--clearance", newUser.clearance, "Clearance level 0-3")
      ->capture_default_str()
      ->check(CLI::Range(0, 3));
  userAdd->add_flag("--password-stdin", passwordStdin,
                    "Read a console password (at least 12 characters) from standard input");
  userAdd->callback([] {
    const auto role = hub::parseRole(userRole);
    if (!role) throw Failure(fmt::format("--role {}: viewer, analyst or admin", userRole));
    newUser.role = *role;
    if (passwordStdin) std::getline(std::cin, newUser.password);
    std::printf("%s\n", openForAdmin(adminDb)->createUser(newUser).valueOrThrow().c_str());
  });

  static std::string tokenUser;
  static int expiresDays = 0;
  auto* token = admin->add_subcommand("token", "API tokens")->require_subcommand(1);
  auto* tokenCreate = token->add_subcommand(
      "create", "Create an API token for a user and print it (it is shown only this once)");
  tokenCreate->add_option("--user", tokenUser, "User name")->required();
  tokenCreate->add_option("--expires-days", expiresDays, "Days until it expires (0: never)")
      ->check(CLI::Range(0, 3650));
  tokenCreate->callback([] {
    const int64_t expires =
        expiresDays > 0 ? nowMicros() + int64_t{expiresDays} * 86'400'000'000 : 0;
    std::printf("%s\n",
                openForAdmin(adminDb)->createToken(tokenUser, expires).valueOrThrow().c_str());
  });

  // --- oversight (docs/oversight.md): the key sensor reports' selection orders are checked
  // against.
  static std::string commissionKeyFile;
  auto* commissionKey = admin->add_subcommand(
      "commission-key", "The oversight commission's order key")->require_subcommand(1);
  auto* commissionKeySet = commissionKey->add_subcommand(
      "set", "Check the selection orders sensors report against this public key (PEM, as "
             "`mamori keys gen` writes signing.pub) from now on; prints its key id");
  commissionKeySet->add_option("file", commissionKeyFile, "The commission's public key (PEM)")
      ->required();
  commissionKeySet->callback([] {
    const std::string pem = readWholeFile(commissionKeyFile, 4096).valueOrThrow();
    std::printf("%s\n", openForAdmin(adminDb)->setCommissionKey(pem).valueOrThrow().c_str());
  });
}

}  // namespace mamori::cli
