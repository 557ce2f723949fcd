// Selector tests: the pipeline from frames to records, with frames built field by field.
#include "mamori/sensor/selector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sensor/frame_builder.h"

namespace mamori::sensor {
namespace {

using namespace mamori::sensor::testing;  // NOLINT(google-build-using-namespace): test helpers

constexpr int64_t kT0 = 1'790'000'000LL * 1'000'000;  // inside the order's window
constexpr int64_t kSecond = 1'000'000;
const std::array<uint8_t, 4> kDomestic{192, 0, 2, 10};
const std::array<uint8_t, 4> kForeign{203, 0, 113, 9};
const std::array<uint8_t, 4> kIndicator{198, 51, 100, 7};

class SelectorTest : public ::testing::Test {
 protected:
  void makeSelector(const std::string& scopes = R"(["foreign-foreign","foreign-domestic","domestic-foreign"])",
                    SelectorConfig config = {}) {
    auto o = parseSelectionOrder(R"({"id":"t","purpose":"test","scopes":)" + scopes + R"(,
      "valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z",
      "criteria":[{"id":"c-ip","ip":"198.51.100.7"},{"id":"c-dom","domain":"evil.example"},
                  {"id":"c-pat","pattern":"SECRET-MARKER"}]})");
    ASSERT_TRUE(o.ok()) << o.error().message;
    order_ = *o;
    config.seed = 42;
    auto s = Selector::create(order_, domestic_, pseudonymizer_, config,
                              [this](const SelectedRecord& r) { records_.push_back(r); });
    ASSERT_TRUE(s.ok()) << s.error().message;
    selector_ = std::move(s).value();
  }

  static PrefixSet domesticSet() {
    PrefixSetBuilder b;
    b.add(*IpPrefix::parse("192.0.2.0/24"), 0);
    return b.build();
  }
  static std::array<uint8_t, 32> key() {
    std::array<uint8_t, 32> k{};
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(3 * i + 11);
    return k;
  }

  void tcpPacket(std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst, uint16_t sport,
                 uint16_t dport, uint32_t seq, uint8_t flags, const std::string& payload, int64_t ts) {
    Ip4 ip;
    ip.src = src;
    ip.dst = dst;
    ip.proto = 6;
    Tcp t;
    t.sport = sport;
    t.dport = dport;
    t.seq = seq;
    t.flags = flags;
    const Frame frame = ipv4(ip, tcp(t, bytesOf(payload)));
    selector_->onFrame(kDltIpv4, frame, ts);
  }

  void udpPacket(std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst, uint16_t sport,
                 uint16_t dport, const std::string& payload, int64_t ts) {
    Ip4 ip;
    ip.src = src;
    ip.dst = dst;
    ip.proto = 17;
    selector_->onFrame(kDltIpv4, ipv4(ip, udp(sport, dport, bytesOf(payload))), ts);
  }

  PrefixSet domestic_ = domesticSet();
  Pseudonymizer pseudonymizer_{key()};
  SelectionOrder order_;
  std::unique_ptr<Selector> selector_;
  std::vector<SelectedRecord> records_;
};

TEST_F(SelectorTest, OutOfOrderSegmentsAreReassembledForMetadataAndPatterns) {
  makeSelector();
  const std::string request = "GET /x HTTP/1.1\r\nHost: C2.Evil.Example:8080\r\nX: SECRET-";
  const std::string rest = "MARKER\r\n\r\n";
  const uint32_t isn = 1000;
  tcpPacket(kForeign, kDomestic, 40000, 80, isn, kTcpSyn, "", kT0);
  tcpPacket(kDomestic, kForeign, 80, 40000, 5000, kTcpSyn | kTcpAck, "", kT0 + 1);
  // The second half arrives first, then the first half, then a retransmission of the first half.
  tcpPacket(kForeign, kDomestic, 40000, 80, isn + 1 + 20, kTcpAck | kTcpPsh, request.substr(20) + rest, kT0 + 2);
  tcpPacket(kForeign, kDomestic, 40000, 80, isn + 1, kTcpAck, request.substr(0, 20), kT0 + 3);
  tcpPacket(kForeign, kDomestic, 40000, 80, isn + 1, kTcpAck, request.substr(0, 20), kT0 + 4);
  selector_->finish();
  ASSERT_EQ(records_.size(), 1U);
  const auto& r = records_[0];
  EXPECT_EQ(r.criteria, (std::vector<std::string>{"c-dom", "c-pat"}));
  EXPECT_EQ(r.app, "http");
  EXPECT_EQ(r.httpMethod, "GET");
  EXPECT_EQ(r.httpHost, "c2.evil.example");
  EXPECT_EQ(r.directionClass, DirectionClass::kForeignDomestic);
  EXPECT_EQ(r.src, IpAddress::v4Bytes(kForeign.data()));
  EXPECT_TRUE(r.dstDomestic);
  EXPECT_EQ(r.dst, pseudonymizer_.pseudonymize(IpAddress::v4Bytes(kDomestic.data())));
  EXPECT_EQ(r.pkts[0], 4U);
  EXPECT_EQ(r.pkts[1], 1U);
  EXPECT_EQ(r.end, FlowEnd::kEndOfInput);
}

TEST_F(SelectorTest, PatternSplitAcrossSegmentsMatchesOnlyInOrder) {
  makeSelector();
  tcpPacket(kForeign, kDomestic, 40001, 9000, 1, kTcpAck, "xxSECRET", kT0);
  tcpPacket(kForeign, kDomestic, 40001, 9000, 9, kTcpAck, "-MARKERyy", kT0 + 1);
  // The same bytes in another flow but with a gap between them must not match across the gap.
  tcpPacket(kForeign, kDomestic, 40002, 9000, 1, kTcpAck, "xxSECRET", kT0 + 2);
  tcpPacket(kForeign, kDomestic, 40002, 9000, 50, kTcpAck, "-MARKERyy", kT0 + 3);
  selector_->finish();
  ASSERT_EQ(records_.size(), 1U);
  EXPECT_EQ(records_[0].sport, 40001);
  EXPECT_EQ(records_[0].criteria, std::vector<std::string>{"c-pat"});
}

TEST_F(SelectorTest, IdleAndActiveTimeoutsEndRecords) {
  SelectorConfig config;
  config.idleTimeoutMicros = 60 * kSecond;
  config.activeTimeoutMicros = 300 * kSecond;
  makeSelector(R"(["foreign-foreign","foreign-domestic","domestic-foreign"])", config);
  // Idle: two packets 100 s apart are two records, both ended by idleness (the second when the
  // next flow's packets pass its idle time).
  udpPacket(kForeign, kIndicator, 5000, 6000, "a", kT0);
  udpPacket(kForeign, kIndicator, 5000, 6000, "b", kT0 + 100 * kSecond);
  // Active: one packet every 30 s for 600 s is cut at 300 s.
  for (int i = 0; i <= 20; ++i) udpPacket(kForeign, kIndicator, 5001, 6000, "c", kT0 + 100 * kSecond + i * 30 * kSecond);
  selector_->finish();
  size_t idle = 0, active = 0, eoi = 0;
  for (const auto& r : records_) {
    idle += r.end == FlowEnd::kIdle;
    active += r.end == FlowEnd::kActiveTimeout;
    eoi += r.end == FlowEnd::kEndOfInput;
    EXPECT_LE(r.last - r.first, 300 * kSecond);
  }
  EXPECT_EQ(idle, 2U);
  EXPECT_EQ(active, 2U);
  EXPECT_EQ(eoi, 1U);
  EXPECT_EQ(selector_->counts().selected, 5U);
}

TEST_F(SelectorTest, FinAndRstCloseFlows) {
  makeSelector();
  tcpPacket(kForeign, kIndicator, 1, 80, 1, kTcpSyn, "", kT0);
  tcpPacket(kForeign, kIndicator, 1, 80, 2, kTcpFin | kTcpAck, "", kT0 + 1);
  tcpPacket(kIndicator, kForeign, 80, 1, 9, kTcpFin | kTcpAck, "", kT0 + 2);
  tcpPacket(kForeign, kIndicator, 2, 80, 1, kTcpRst, "", kT0 + 3);
  // Long after the linger time, a new flow ends the closed ones first.
  tcpPacket(kForeign, kIndicator, 3, 80, 1, kTcpSyn, "", kT0 + 60 * kSecond);
  selector_->finish();
  ASSERT_EQ(records_.size(), 3U);
  EXPECT_EQ(records_[0].end, FlowEnd::kFin);
  EXPECT_EQ(records_[0].tcpFlags[0], kTcpSyn | kTcpFin | kTcpAck);
  EXPECT_EQ(records_[1].end, FlowEnd::kRst);
  EXPECT_EQ(records_[2].end, FlowEnd::kEndOfInput);
}

TEST_F(SelectorTest, MemoryBoundEvictsAndEveryFlowIsAccountedFor) {
  SelectorConfig config;
  config.flowMemoryBytes = 1;  // too small: refused with a clear error
  auto o = parseSelectionOrder(R"({"id":"t","purpose":"p","scopes":["foreign-foreign"],
      "valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z",
      "criteria":[{"id":"c","port":7}]})");
  ASSERT_TRUE(o.ok());
  auto tooSmall = Selector::create(*o, domestic_, pseudonymizer_, config, [](const SelectedRecord&) {});
  ASSERT_FALSE(tooSmall.ok());
  EXPECT_NE(tooSmall.error().message.find("too small"), std::string::npos);

  config.flowMemoryBytes = 1 << 20;
  makeSelector(R"(["foreign-foreign","foreign-domestic","domestic-foreign"])", config);
  const uint32_t capacity = selector_->flowCapacity();
  ASSERT_GE(capacity, 1024U);
  const uint32_t flows = capacity * 3;
  for (uint32_t i = 0; i < flows; ++i) {
    udpPacket(kForeign, kIndicator, static_cast<uint16_t>(1024 + i % 60000), static_cast<uint16_t>(1 + i / 60000),
              "x", kT0 + i);
  }
  selector_->finish();
  const auto& c = selector_->counts();
  EXPECT_EQ(c.flows, flows);
  EXPECT_GE(c.evicted, flows - capacity);
  EXPECT_EQ(c.selected + c.discarded, c.flows);
  EXPECT_EQ(records_.size(), flows);  // every flow touches the indicator
  size_t evicted = 0;
  for (const auto& r : records_) evicted += r.end == FlowEnd::kEvicted;
  EXPECT_EQ(evicted, c.evicted);
}

TEST_F(SelectorTest, FlowsOutsideScopeOrWindowAreNeverInspected) {
  makeSelector(R"(["foreign-foreign"])");
  // domestic-foreign, to the indicator, with the marker: out of scope, so not selected.
  tcpPacket(kDomestic, kIndicator, 1, 80, 1, kTcpAck, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\nSECRET-MARKER", kT0);
  // foreign-foreign but before the order's window.
  udpPacket(kForeign, kIndicator, 2, 80, "SECRET-MARKER", 1'700'000'000LL * 1'000'000);
  // domestic-domestic, matching everything.
  tcpPacket(kDomestic, {192, 0, 2, 99}, 3, 80, 1, kTcpAck, "Host: evil.example SECRET-MARKER", kT0);
  // foreign-foreign in scope: selected.
  udpPacket(kForeign, kIndicator, 4, 80, "hello", kT0);
  selector_->finish();
  ASSERT_EQ(records_.size(), 1U);
  EXPECT_EQ(records_[0].sport, 4);
  const auto& c = selector_->counts();
  EXPECT_EQ(c.notAnalysed, 3U);
  EXPECT_EQ(c.outsideWindow, 1U);
  EXPECT_EQ(c.flowsByClass[static_cast<size_t>(DirectionClass::kDomesticDomestic)], 1U);
  EXPECT_EQ(c.inspectionSkipped, 0U);
}

TEST_F(SelectorTest, IcmpEchoRequestAndReplyAreOneFlow) {
  makeSelector();
  Ip4 out;
  out.src = kForeign;
  out.dst = kIndicator;
  out.proto = 1;
  Ip4 back = out;
  std::swap(back.src, back.dst);
  const Frame echoId = {0x12, 0x34, 0, 1};
  selector_->onFrame(kDltIpv4, ipv4(out, icmp(8, 0, echoId)), kT0);
  selector_->onFrame(kDltIpv4, ipv4(back, icmp(0, 0, echoId)), kT0 + 1);
  selector_->finish();
  ASSERT_EQ(records_.size(), 1U);
  EXPECT_EQ(records_[0].pkts[0], 1U);
  EXPECT_EQ(records_[0].pkts[1], 1U);
  EXPECT_EQ(records_[0].sport, 0x1234);
  EXPECT_EQ(records_[0].dport, 0x0800);
}

}  // namespace
}  // namespace mamori::sensor
