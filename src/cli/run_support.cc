#include "run_support.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "mamori/core/crypto.h"
#include "mamori/core/result.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"

namespace mamori::cli {
void syncFile(const std::filesystem::path& path) { fsyncFile(path).valueOrThrow(); }
void syncDirectory(const std::filesystem::path& dir) { fsyncDirectory(dir).valueOrThrow(); }

std::filesystem::path ledgerKeyPath(const std::filesystem::path& state) {
  return state / "ledger.key";
}

SigningKey loadLedgerKey(const std::filesystem::path& state) {
  return SigningKey::loadFile(ledgerKeyPath(state)).valueOrThrow();
}

HandlingLedger openSensorLedger(const std::filesystem::path& state, const std::string& ledgerDir) {
  createPrivateDirectories(state).valueOrThrow();
  const auto keyPath = ledgerKeyPath(state);
  const auto pubPath = state / "ledger.pub";
  SigningKey key = [&] {
    if (std::filesystem::exists(keyPath)) return loadLedgerKey(state);
    auto k = SigningKey::generate();
    k.saveFile(keyPath).valueOrThrow();
    return k;
  }();
  if (!std::filesystem::exists(pubPath)) {
    const std::string pem = key.publicKey().toPem();
    writeNewPrivateFile(pubPath, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()))  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
        .valueOrThrow();
  }
  const std::filesystem::path dir = ledgerDir.empty() ? state / "ledger" : std::filesystem::path(ledgerDir);
  return HandlingLedger::open(dir, std::move(key)).valueOrThrow();
}

std::string newRunId() {
  std::array<uint8_t, 16> bytes{};
  randomBytes(bytes);
  return toHex(bytes);
}

namespace {
bool envIs(const char* name, std::string_view value) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up, before threads
  return v != nullptr && value == v;
}
}  // namespace

Progress::Progress(bool quiet, const char* unit)
    : unit_(unit),
      start_(nowMicros()),
      lastPrint_(start_),
      enabled_(!quiet && (isatty(STDERR_FILENO) || envIs("MAMORI_PROGRESS", "1"))) {}

void Progress::maybePrint(uint64_t count) {
  count_ = count;
  const int64_t now = nowMicros();
  if (now - lastPrint_ < 2'000'000) return;
  lastPrint_ = now;
  const double secs = static_cast<double>(now - start_) / 1e6;
  (void)std::fprintf(stderr, "\r%llu %s, %.0f %s/s, %.0f s   ", static_cast<unsigned long long>(count),
                     unit_, static_cast<double>(count) / secs, unit_, secs);
  (void)std::fflush(stderr);
  printed_ = true;
}

void Progress::done() {
  if (printed_) (void)std::fprintf(stderr, "\n");
}

}  // namespace mamori::cli
