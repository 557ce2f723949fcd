#include "run_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "mamori/core/crypto.h"
#include "mamori/core/result.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"

namespace mamori::cli {
namespace {

void syncPath(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    throw Failure(fmt::format("{}: fsync failed: {}", path.string(), std::strerror(err)));
  }
  ::close(fd);
}

}  // namespace

void syncFile(const std::filesystem::path& path) { syncPath(path, O_RDONLY); }
void syncDirectory(const std::filesystem::path& dir) { syncPath(dir, O_RDONLY | O_DIRECTORY); }

HandlingLedger openSensorLedger(const std::filesystem::path& state, const std::string& ledgerDir) {
  std::filesystem::create_directories(state);
  std::filesystem::permissions(state, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  const auto keyPath = state / "ledger.key";
  const auto pubPath = state / "ledger.pub";
  SigningKey key = [&] {
    if (std::filesystem::exists(keyPath)) return SigningKey::loadFile(keyPath).valueOrThrow();
    auto k = SigningKey::generate();
    k.saveFile(keyPath).valueOrThrow();
    return k;
  }();
  if (!std::filesystem::exists(pubPath)) {
    std::ofstream(pubPath) << key.publicKey().toPem();
  }
  const std::filesystem::path dir = ledgerDir.empty() ? state / "ledger" : std::filesystem::path(ledgerDir);
  return HandlingLedger::open(dir, std::move(key)).valueOrThrow();
}

std::string newRunId() {
  std::array<uint8_t, 16> bytes{};
  randomBytes(bytes);
  return toHex(bytes);
}

Progress::Progress(bool quiet)
    : start_(nowMicros()),
      lastPrint_(start_),
      enabled_(!quiet && (isatty(STDERR_FILENO) ||
                          (std::getenv("MAMORI_PROGRESS") && *std::getenv("MAMORI_PROGRESS") == '1'))) {}

void Progress::maybePrint(uint64_t frames) {
  const int64_t now = nowMicros();
  if (now - lastPrint_ < 2'000'000) return;
  lastPrint_ = now;
  frames_ = frames;
  const double secs = static_cast<double>(now - start_) / 1e6;
  std::fprintf(stderr, "\r%llu frames, %.0f frames/s, %.0f s   ",
               static_cast<unsigned long long>(frames), static_cast<double>(frames) / secs, secs);
  std::fflush(stderr);
  printed_ = true;
}

void Progress::done() {
  if (printed_) std::fprintf(stderr, "\n");
}

}  // namespace mamori::cli
