#include "deidentify.h"

#include <gtest/gtest.h>

namespace mamori::sensor {
namespace {

class DeidentifyTest : public ::testing::Test {
 protected:
  DeidentifyTest() : pseudonymizer_(key()) {
    PrefixSetBuilder b;
    b.add(*IpPrefix::parse("192.0.2.0/24"), 0);
    b.add(*IpPrefix::parse("2001:db8:1::/48"), 0);
    domestic_ = b.build();
  }
  static std::array<uint8_t, 32> key() {
    std::array<uint8_t, 32> k{};
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 7 + 1);
    return k;
  }
  Pseudonymizer pseudonymizer_;
  PrefixSet domestic_;
};

TEST_F(DeidentifyTest, ReverseNamesRoundTrip) {
  EXPECT_EQ(*addressFromReverseName("10.2.0.192.in-addr.arpa"), *IpAddress::parse("192.0.2.10"));
  EXPECT_EQ(*addressFromReverseName("10.2.0.192.IN-ADDR.ARPA."), *IpAddress::parse("192.0.2.10"));
  const auto v6 = *IpAddress::parse("2001:db8:1::10");
  EXPECT_EQ(reverseName(v6),
            "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_EQ(*addressFromReverseName(reverseName(v6)), v6);
  EXPECT_FALSE(addressFromReverseName("2.0.192.in-addr.arpa").ok());   // a network, not a host
  EXPECT_FALSE(addressFromReverseName("300.2.0.192.in-addr.arpa").ok());
  EXPECT_FALSE(addressFromReverseName("www.example").ok());
}

TEST_F(DeidentifyTest, DomesticAddressesInNamesBecomePseudonyms) {
  const Deidentifier d{domestic_, pseudonymizer_};
  const auto clear = *IpAddress::parse("192.0.2.10");
  const auto pseudo = pseudonymizer_.pseudonymize(clear);
  ASSERT_NE(pseudo, clear);
  EXPECT_EQ(d.name("10.2.0.192.in-addr.arpa"), reverseName(pseudo));
  EXPECT_EQ(d.name("192.0.2.10"), pseudo.toString());
  EXPECT_EQ(d.name("[2001:db8:1::10]"), pseudonymizer_.pseudonymize(*IpAddress::parse("2001:db8:1::10")).toString());
  // Foreign addresses and ordinary names pass through.
  EXPECT_EQ(d.name("5.113.0.203.in-addr.arpa"), "5.113.0.203.in-addr.arpa");
  EXPECT_EQ(d.name("198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(d.name("c2.evil.example"), "c2.evil.example");
  EXPECT_EQ(d.address(clear), pseudo);
  EXPECT_EQ(d.address(*IpAddress::parse("198.51.100.7")), *IpAddress::parse("198.51.100.7"));
}

}  // namespace
}  // namespace mamori::sensor
