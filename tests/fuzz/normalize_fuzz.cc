// libFuzzer target for the request normalizer (mamori::detect::normalizeTarget).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/detect/normalize.h"

using namespace mamori::detect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  NormalizedRequest once;
  normalizeTarget(input, once);

  // Decoding only shrinks: nothing is longer than the (truncated) input.
  const size_t bound = std::min(size, kMaxTargetBytes);
  if (once.combined.size() > bound) __builtin_trap();
  if (once.path.size() > once.decodedPath.size()) __builtin_trap();
  if (once.truncated != (size > kMaxTargetBytes)) __builtin_trap();
  if (once.decodeRounds > kMaxDecodeRounds) __builtin_trap();
  for (const char c : once.combined) {
    if (c == '\0' || (c >= 'A' && c <= 'Z')) __builtin_trap();
  }
  if (once.decodedPath.find('\\') != std::string::npos) __builtin_trap();
  if (once.decodedPath.find("//") != std::string_view::npos) __builtin_trap();
  // The resolved path has no dot segments left.
  const std::string_view p = once.path;
  if (p == "." || p == ".." || p.starts_with("./") || p.starts_with("../") ||
      p.find("/./") != std::string_view::npos || p.find("/../") != std::string_view::npos ||
      p.ends_with("/.") || p.ends_with("/..")) {
    __builtin_trap();
  }

  // Idempotence, under the conditions documented in normalize.h.
  if (!once.decodeLimitHit && once.decodedPath.find('?') == std::string::npos &&
      once.query.find('+') == std::string::npos) {
    NormalizedRequest twice;
    normalizeTarget(once.combined, twice);
    if (twice.combined != once.combined || twice.path != once.path) __builtin_trap();
    if (twice.decodeRounds != 0) __builtin_trap();
  }
  return 0;
}
