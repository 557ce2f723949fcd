// mamori: one binary, one subcommand per job. Errors are caught here, at the edge, and printed as
// one line naming the problem.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli.h"
#include "mamori/core/result.h"

namespace mamori::cli {

int gExitCode = 0;

namespace {
// The environment is read on the main thread before any other thread starts.
const char* env(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): single-threaded here
  return v != nullptr && *v != '\0' ? v : nullptr;
}
}  // namespace

std::filesystem::path resolveStateDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* v = env("MAMORI_STATE_DIR")) return v;
  if (geteuid() == 0) return "/var/lib/mamori";
  if (const char* xdg = env("XDG_STATE_HOME")) return std::filesystem::path(xdg) / "mamori";
  if (const char* home = env("HOME")) return std::filesystem::path(home) / ".local/state/mamori";
  throw Failure("no state directory: pass --state DIR or set MAMORI_STATE_DIR");
}

std::filesystem::path cacheDir() {
  if (const char* v = env("MAMORI_CACHE_DIR")) return v;
  if (geteuid() == 0) return "/var/cache/mamori";
  if (const char* xdg = env("XDG_CACHE_HOME")) return std::filesystem::path(xdg) / "mamori";
  if (const char* home = env("HOME")) return std::filesystem::path(home) / ".cache/mamori";
  return {};
}

std::filesystem::path dataDir() {
  if (const char* v = env("MAMORI_DATA_DIR")) return v;
  std::error_code ec;
  if (std::filesystem::exists(MAMORI_DATA_DIR_INSTALL "/domestic", ec)) return MAMORI_DATA_DIR_INSTALL;
  return MAMORI_DATA_DIR_BUILD;
}

}  // namespace mamori::cli

int main(int argc, char** argv) try {
  CLI::App app{"mamori — active cyber defense platform: selection sensor, detection, protective "
               "DNS, attack surface management and the sharing hub"};
  app.set_version_flag("--version", std::string("mamori ") + MAMORI_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  mamori::cli::addSelectCommand(app);
  mamori::cli::addKeysCommand(app);
  mamori::cli::addOrderCommand(app);
  mamori::cli::addLedgerCommand(app);
  mamori::cli::addDetectCommand(app);
  mamori::cli::addHubCommands(app);
  mamori::cli::addDnsCommand(app);
  mamori::cli::addIndicatorsCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : mamori::cli::kExitUsage;
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "mamori: error: %s\n", e.what());
    return mamori::cli::kExitFailure;
  }
  return mamori::cli::gExitCode;
} catch (...) {
  // Only setting up the command line can get here (e.g. out of memory): no detail to give.
  (void)std::fputs("mamori: error: could not start\n", stderr);
  return mamori::cli::kExitFailure;
}
