// Time values: microseconds since the Unix epoch, UTC, formatted as RFC 3339.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mamori/core/result.h"

namespace mamori {

// Parses "2026-01-02T03:04:05Z", with optional fraction ("…05.123456Z") and numeric offsets
// ("+09:00"). Anything else is an error naming the text.
Result<int64_t> parseRfc3339(std::string_view text);
// Formats as "2026-01-02T03:04:05.123456Z" (microseconds always present, so records sort as text).
std::string formatRfc3339(int64_t micros);
int64_t nowMicros();

}  // namespace mamori
