#include "mamori/core/time.h"

#include <gtest/gtest.h>

namespace mamori {
namespace {

TEST(Rfc3339, ParsesUtcAndOffsets) {
  EXPECT_EQ(*parseRfc3339("1970-01-01T00:00:00Z"), 0);
  // 2026-01-01T00:00:00Z is 1767225600 (days since epoch 20454 * 86400).
  EXPECT_EQ(*parseRfc3339("2026-01-01T00:00:00Z"), 1767225600LL * 1'000'000);
  EXPECT_EQ(*parseRfc3339("2026-01-01T09:00:00+09:00"), 1767225600LL * 1'000'000);
  EXPECT_EQ(*parseRfc3339("2025-12-31T23:30:00-00:30"), 1767225600LL * 1'000'000);
  EXPECT_EQ(*parseRfc3339("2026-01-01T00:00:00.5Z"), 1767225600LL * 1'000'000 + 500000);
  EXPECT_EQ(*parseRfc3339("2000-02-29T12:00:00Z"), 951825600LL * 1'000'000);
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad : {"", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z",
                          "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00Zjunk",
                          "2026-01-01T00:00:00+0900", "x026-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parseRfc3339(bad).ok()) << bad;
  }
}

TEST(Rfc3339, FormatRoundTrips) {
  for (int64_t t : {int64_t{0}, int64_t{1767225600123456}, int64_t{951825600000001}}) {
    EXPECT_EQ(*parseRfc3339(formatRfc3339(t)), t);
  }
  EXPECT_EQ(formatRfc3339(1767225600LL * 1'000'000 + 42), "2026-01-01T00:00:00.000042Z");
}

}  // namespace
}  // namespace mamori
