// loadNoisePolicy: the noise policy file (TOML). Every key is checked, because a misspelt key that
// silently did nothing would leave an analyst believing noise was removed (or raised) when it
// was not.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <string>

#include "mamori/core/secure_file.h"
#include "mamori/detect/events.h"

namespace mamori::detect {
namespace {

// A policy is a handful of lines; anything bigger is the wrong file.
constexpr std::size_t kMaxPolicyBytes = std::size_t{64} * 1024;
// Windows longer than a year group nothing useful, and seconds * 10^6 must fit in int64_t.
constexpr int64_t kMaxWindowSeconds = int64_t{366} * 24 * 3600;
constexpr int64_t kMaxSamples = 100;
constexpr int64_t kMaxBurstThreshold = 1'000'000;

std::string where(const std::filesystem::path& path, const toml::source_region& region) {
  const auto& begin = region.begin;
  return fmt::format("{}:{}:{}", path.string(), begin.line, begin.column);
}

Result<toml::table> parseToml(const std::string& text, const std::filesystem::path& path) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    return makeError(fmt::format("{}:{}:{}: invalid TOML: {}", path.string(), e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
#else
  toml::parse_result r = toml::parse(text, path.string());
  if (!r) {
    return makeError(fmt::format("{}:{}:{}: invalid TOML: {}", path.string(),
                                 r.error().source().begin.line, r.error().source().begin.column,
                                 r.error().description()));
  }
  return std::move(r).table();
#endif
}

}  // namespace

Result<NoisePolicy> loadNoisePolicy(const std::filesystem::path& path) {
  auto text = readWholeFile(path, kMaxPolicyBytes);
  if (!text.ok()) return makeError(fmt::format("noise policy: {}", text.error().message));
  auto parsed = parseToml(*text, path);
  if (!parsed.ok()) return makeError(fmt::format("noise policy {}", parsed.error().message));

  NoisePolicy policy;
  for (auto&& entry : *parsed) {
    // Named references rather than a structured binding: the lambdas below capture them.
    const toml::key& name = entry.first;
    const toml::node& node = entry.second;
    const std::string_view key = name.str();
    auto wrongType = [&](std::string_view expected) {
      return makeError(fmt::format("noise policy {}: '{}' must be {}", where(path, node.source()),
                                   key, expected));
    };
    auto boolean = [&](bool& out) -> bool {
      if (const auto* b = node.as_boolean()) {
        out = b->get();
        return true;
      }
      return false;
    };
    // An integer in [lo, hi], or nullopt.
    auto integer = [&](int64_t lo, int64_t hi) -> std::optional<int64_t> {
      const auto* i = node.as_integer();
      if (i == nullptr || i->get() < lo || i->get() > hi) return std::nullopt;
      return i->get();
    };

    if (key == "failed_is_noise") {
      if (!boolean(policy.failedIsNoise)) return wrongType("true or false");
    } else if (key == "blocked_is_noise") {
      if (!boolean(policy.blockedIsNoise)) return wrongType("true or false");
    } else if (key == "reconnaissance_is_noise") {
      if (!boolean(policy.reconnaissanceIsNoise)) return wrongType("true or false");
    } else if (key == "window_seconds") {
      const auto v = integer(1, kMaxWindowSeconds);
      if (!v) return wrongType(fmt::format("an integer from 1 to {}", kMaxWindowSeconds));
      policy.windowMicros = *v * 1'000'000;
    } else if (key == "one_to_many_targets") {
      const auto v = integer(2, kMaxBurstThreshold);
      if (!v) return wrongType(fmt::format("an integer from 2 to {}", kMaxBurstThreshold));
      policy.oneToManyTargets = static_cast<uint32_t>(*v);
    } else if (key == "many_to_one_sources") {
      const auto v = integer(2, kMaxBurstThreshold);
      if (!v) return wrongType(fmt::format("an integer from 2 to {}", kMaxBurstThreshold));
      policy.manyToOneSources = static_cast<uint32_t>(*v);
    } else if (key == "max_samples") {
      const auto v = integer(0, kMaxSamples);
      if (!v) return wrongType(fmt::format("an integer from 0 to {}", kMaxSamples));
      policy.maxSamples = static_cast<uint32_t>(*v);
    } else if (key == "minimum_severity") {
      const auto* s = node.as_string();
      const auto severity = s != nullptr ? parseSeverity(s->get()) : std::nullopt;
      if (!severity) return wrongType("one of \"low\", \"medium\", \"high\", \"critical\"");
      policy.minimumSeverity = *severity;
    } else {
      return makeError(fmt::format(
          "noise policy {}: unknown key '{}' (known: failed_is_noise, blocked_is_noise, "
          "reconnaissance_is_noise, window_seconds, one_to_many_targets, many_to_one_sources, "
          "max_samples, minimum_severity)",
          where(path, name.source()), key));
    }
  }
  return policy;
}

}  // namespace mamori::detect
