// libFuzzer target for the request classifier (mamori::detect::Classifier): the input is a
// request target, then optionally a newline and a User-Agent, then optionally another newline and
// a Referer. The target is normalized as in production and classified; the detection must be
// well formed whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "mamori/detect/classifier.h"
#include "mamori/detect/normalize.h"

using namespace mamori::detect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Compiling the databases takes a second: once per process, not per input.
  static Classifier* classifier = [] {
    auto c = Classifier::create();
    if (!c.ok()) __builtin_trap();
    return std::move(c).value().release();
  }();

  std::string_view input(reinterpret_cast<const char*>(data), size);
  HttpRequestLine request;
  request.method = "GET";
  const std::size_t nl = input.find('\n');
  request.target = std::string(input.substr(0, nl));
  if (nl != std::string_view::npos) {
    std::string_view rest = input.substr(nl + 1);
    const std::size_t nl2 = rest.find('\n');
    request.userAgent = std::string(rest.substr(0, nl2));
    if (nl2 != std::string_view::npos) request.referer = std::string(rest.substr(nl2 + 1));
  }

  NormalizedRequest normalized;
  normalizeTarget(request.target, normalized);
  Detection d;
  classifier->classify(request, normalized, d);

  if (d.cveCount > kMaxDetectionCves) __builtin_trap();
  for (uint8_t i = 0; i < d.cveCount; ++i) {
    if (!d.cves[i].starts_with("CVE-")) __builtin_trap();
  }
  for (std::size_t c = 0; c < kCategoryCount; ++c) {
    const bool set = hasCategory(d.categories, static_cast<Category>(c));
    if (set != (d.ruleIds[c] != 0)) __builtin_trap();
  }
  if (d.categories >= (1U << kCategoryCount)) __builtin_trap();
  if (d.reconnaissanceOnly && d.categories == 0) __builtin_trap();
  if (d.sqliFingerprint.back() != '\0') __builtin_trap();

  // Classifying again gives the same answer (no state leaks between requests).
  Detection again;
  classifier->classify(request, normalized, again);
  if (again.categories != d.categories || again.ruleIds != d.ruleIds ||
      again.reconnaissanceOnly != d.reconnaissanceOnly) {
    __builtin_trap();
  }
  return 0;
}
