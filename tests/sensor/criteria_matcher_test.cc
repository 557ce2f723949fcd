#include "criteria_matcher.h"

#include <gtest/gtest.h>

#include <string>

namespace mamori::sensor {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class CriteriaMatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto o = parseSelectionOrder(R"({"id":"o","purpose":"p","scopes":["foreign-foreign"],
      "valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z",
      "criteria":[{"id":"ip","ips":["203.0.113.5","198.51.100.0/24","2001:db8:2::/48"]},
                  {"id":"dom","domains":["evil.example","bad.test"]},
                  {"id":"telnet","port":23},
                  {"id":"dns-udp","port":53,"transport":"udp"},
                  {"id":"ja4","ja4":"t13d1516h2_8daaf6152771_b186095e22b6"},
                  {"id":"mirai","pattern":"hex:4d495241492d"},
                  {"id":"bot","pattern":"re:bot[0-9]{3}","nocase":true},
                  {"id":"wide","prefix":"198.51.0.0/16"}]})");
    ASSERT_TRUE(o.ok()) << o.error().message;
    order_ = *o;
    auto m = CriteriaMatcher::build(order_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    matcher_ = std::move(m).value();
  }
  SelectionOrder order_;
  std::unique_ptr<CriteriaMatcher> matcher_;
};

TEST_F(CriteriaMatcherTest, AddressesReportEveryCoveringCriterion) {
  EXPECT_EQ(matcher_->matchAddress(*IpAddress::parse("203.0.113.5")), 1U << 0);
  EXPECT_EQ(matcher_->matchAddress(*IpAddress::parse("203.0.113.6")), 0U);
  EXPECT_EQ(matcher_->matchAddress(*IpAddress::parse("198.51.100.9")), (1U << 0) | (1U << 7));
  EXPECT_EQ(matcher_->matchAddress(*IpAddress::parse("198.51.7.1")), 1U << 7);
  EXPECT_EQ(matcher_->matchAddress(*IpAddress::parse("2001:db8:2::1")), 1U << 0);
  EXPECT_EQ(matcher_->matchAddress(*IpAddress::parse("2001:db8:3::1")), 0U);
}

TEST_F(CriteriaMatcherTest, DomainsMatchNameAndSubdomains) {
  EXPECT_EQ(matcher_->matchDomain("evil.example"), 1U << 1);
  EXPECT_EQ(matcher_->matchDomain("C2.Evil.Example."), 1U << 1);
  EXPECT_EQ(matcher_->matchDomain("notevil.example"), 0U);
  EXPECT_EQ(matcher_->matchDomain("example"), 0U);
}

TEST_F(CriteriaMatcherTest, PortsRespectTransport) {
  EXPECT_EQ(matcher_->matchPort(23, 6), 1U << 2);
  EXPECT_EQ(matcher_->matchPort(23, 17), 1U << 2);
  EXPECT_EQ(matcher_->matchPort(53, 17), 1U << 3);
  EXPECT_EQ(matcher_->matchPort(53, 6), 0U);
  EXPECT_EQ(matcher_->matchPort(80, 6), 0U);
}

TEST_F(CriteriaMatcherTest, Ja4ExactMatch) {
  EXPECT_EQ(matcher_->matchJa4("t13d1516h2_8daaf6152771_b186095e22b6"), 1U << 4);
  EXPECT_EQ(matcher_->matchJa4("t13d1516h2_8daaf6152771_b186095e22b7"), 0U);
}

TEST_F(CriteriaMatcherTest, PatternsMatchAcrossStreamChunksAndInBlocks) {
  ASSERT_TRUE(matcher_->hasPatterns());
  uint64_t mask = 0;
  hs_stream* s = matcher_->openStream();
  ASSERT_NE(s, nullptr);
  matcher_->scanStream(s, bytes("xxxxMIR"), mask);
  EXPECT_EQ(mask, 0U);
  matcher_->scanStream(s, bytes("AI-hello BOT1"), mask);
  EXPECT_EQ(mask, 1U << 5);
  matcher_->scanStream(s, bytes("23"), mask);
  matcher_->closeStream(s, mask);
  EXPECT_EQ(mask, (1U << 5) | (1U << 6));

  uint64_t block = 0;
  matcher_->scanBlock(bytes("nothing here MIRAI"), block);
  EXPECT_EQ(block, 0U);  // "MIRAI-" needs the dash
  matcher_->scanBlock(bytes("..MIRAI-.."), block);
  EXPECT_EQ(block, 1U << 5);
}

TEST(CriteriaMatcherBuild, RejectedPatternNamesCriterion) {
  auto o = parseSelectionOrder(R"({"id":"o","purpose":"p","scopes":["foreign-foreign"],
      "valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z",
      "criteria":[{"id":"broken","pattern":"re:(unclosed"}]})");
  ASSERT_TRUE(o.ok());
  auto m = CriteriaMatcher::build(*o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("broken"), std::string::npos);
}

}  // namespace
}  // namespace mamori::sensor
