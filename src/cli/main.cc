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

std::filesystem::path resolveStateDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("MAMORI_STATE_DIR"); env && *env) return env;
  if (geteuid() == 0) return "/var/lib/mamori";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "mamori";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".local/state/mamori";
  }
  throw Failure("no state directory: pass --state DIR or set MAMORI_STATE_DIR");
}

std::filesystem::path dataDir() {
  if (const char* env = std::getenv("MAMORI_DATA_DIR"); env && *env) return env;
  std::error_code ec;
  if (std::filesystem::exists(MAMORI_DATA_DIR_INSTALL "/domestic", ec)) return MAMORI_DATA_DIR_INSTALL;
  return MAMORI_DATA_DIR_BUILD;
}

}  // namespace mamori::cli

int main(int argc, char** argv) {
  CLI::App app{"mamori — active cyber defense platform: selection sensor, detection, protective "
               "DNS, attack surface management and the sharing hub"};
  app.set_version_flag("--version", std::string("mamori ") + MAMORI_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  mamori::cli::addSelectCommand(app);
  mamori::cli::addKeysCommand(app);
  mamori::cli::addOrderCommand(app);
  mamori::cli::addLedgerCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : mamori::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mamori: error: %s\n", e.what());
    return mamori::cli::kExitFailure;
  }
  return mamori::cli::gExitCode;
}
