// Shared pieces of the `mamori` command line: each command file registers its subcommands.
#pragma once

#include <filesystem>
#include <string>

namespace CLI {
class App;
}

namespace mamori::cli {

// Exit codes: 0 success, 1 the work failed (bad input, refused order, I/O), 2 usage error.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Commands set this when they finish with a non-zero status without throwing.
extern int gExitCode;

void addSelectCommand(CLI::App& app);
void addKeysCommand(CLI::App& app);
void addOrderCommand(CLI::App& app);
void addLedgerCommand(CLI::App& app);
void addDetectCommand(CLI::App& app);
void addHubCommands(CLI::App& app);
void addDnsCommand(CLI::App& app);
void addIndicatorsCommand(CLI::App& app);

// The sensor's state directory: --state, else $MAMORI_STATE_DIR, else /var/lib/mamori for root,
// else $XDG_STATE_HOME/mamori or ~/.local/state/mamori. Holds secrets (pseudonymization key,
// ledger signing key) and the ledger; it must never be inside an output directory.
std::filesystem::path resolveStateDir(const std::string& flag);
// Where compiled artefacts that only save time are kept (detection signature databases):
// $MAMORI_CACHE_DIR, else /var/cache/mamori for root, else $XDG_CACHE_HOME/mamori or
// ~/.cache/mamori; empty (no cache) when none of these can be found.
std::filesystem::path cacheDir();
// Where the shipped data (default domestic prefixes) lives: $MAMORI_DATA_DIR, the install prefix,
// or the source tree the binary was built from.
std::filesystem::path dataDir();

}  // namespace mamori::cli
