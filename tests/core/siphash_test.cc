#include "mamori/core/siphash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori {
namespace {

// SipHash-2-4 paper (Aumasson, Bernstein 2012), appendix A: key 00..0f, message 00..0e gives
// a129ca6149be45e5; the reference implementation's vectors.h gives 726fdb47dd0e0e31 for the
// empty message.
TEST(SipHash, ReferenceVectors) {
  const SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  std::vector<uint8_t> message;
  for (uint8_t b = 0; b < 15; ++b) message.push_back(b);
  EXPECT_EQ(sipHash24(key, message), 0xa129ca6149be45e5ULL);
  EXPECT_EQ(sipHash24(key, std::span<const uint8_t>{}), 0x726fdb47dd0e0e31ULL);
  const std::string text(message.begin(), message.end());
  EXPECT_EQ(sipHash24(key, std::string_view(text)), 0xa129ca6149be45e5ULL);
}

TEST(SipHash, KeysDiffer) {
  const SipKey a = randomSipKey();
  const SipKey b = randomSipKey();
  EXPECT_FALSE(a.k0 == b.k0 && a.k1 == b.k1);
  EXPECT_NE(sipHash24(a, std::string_view("x")), sipHash24(b, std::string_view("x")));
}

}  // namespace
}  // namespace mamori
