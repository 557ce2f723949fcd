// Helpers shared by commands that run long jobs and write ledgered output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "mamori/core/ledger.h"

namespace mamori::cli {

// fsync a written file / a directory after a rename; throw Failure naming the path on error.
void syncFile(const std::filesystem::path& path);
void syncDirectory(const std::filesystem::path& dir);

// The sensor's ledger signing key, STATE/ledger.key; loadLedgerKey throws Failure when it is
// missing or unreadable (only openSensorLedger creates it).
std::filesystem::path ledgerKeyPath(const std::filesystem::path& state);
SigningKey loadLedgerKey(const std::filesystem::path& state);

// The sensor's handling ledger: DIR (default STATE/ledger), signed with STATE/ledger.key, which is
// created on first use together with STATE/ledger.pub for the commission.
HandlingLedger openSensorLedger(const std::filesystem::path& state, const std::string& ledgerDir);

// A random run identifier (128 bits, hex).
std::string newRunId();

// A progress line on standard error, at most every two seconds, only when stderr is a terminal or
// MAMORI_PROGRESS=1 — so long runs show life without flooding logs.
class Progress {
 public:
  // `unit` names what is counted ("frames", "lines"); it must outlive the Progress.
  explicit Progress(bool quiet, const char* unit = "frames");
  void tick(uint64_t count) {
    if (enabled_ && count - count_ >= 0x4000) maybePrint(count);
  }
  void done();

 private:
  void maybePrint(uint64_t count);
  const char* unit_;
  int64_t start_;
  int64_t lastPrint_;
  uint64_t count_ = 0;
  bool enabled_;
  bool printed_ = false;
};

}  // namespace mamori::cli
