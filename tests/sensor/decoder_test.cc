// PacketDecoder tests. Frames are composed field by field below (lengths computed from the parts),
// so every expected value comes from how the frame was built, not from the decoder's output.
#include "mamori/sensor/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fragments.h"
#include "sensor/frame_builder.h"

namespace mamori::sensor {
namespace {

using namespace mamori::sensor::testing;  // NOLINT(google-build-using-namespace): test helpers

// ---- decoding helpers ---------------------------------------------------------------------------

struct Decoded {
  DecodeStatus status = DecodeStatus::kAnomaly;
  DecodedPacket pkt;
  Frame payload;  // copied at once: the view is valid only until the next decode
};

Decoded run(PacketDecoder& d, int link, const Frame& f, int64_t ts = 1'000'000) {
  Decoded r;
  r.status = d.decode(link, f, ts, r.pkt);
  r.payload.assign(r.pkt.payload.begin(), r.pkt.payload.end());
  return r;
}

uint64_t count(const PacketDecoder& d, Anomaly a) {
  return d.anomalies().counts[static_cast<size_t>(a)];
}

// Decodes a frame that must produce exactly one anomaly, `a`, and nothing else.
void expectAnomaly(int link, const Frame& f, Anomaly a, DecoderLimits limits = {}) {
  PacketDecoder d(limits);
  const auto r = run(d, link, f);
  EXPECT_EQ(r.status, DecodeStatus::kAnomaly) << anomalyName(a);
  EXPECT_EQ(count(d, a), 1u) << anomalyName(a);
  EXPECT_EQ(d.anomalies().total(), 1u) << anomalyName(a);
}

IpAddress v4(std::array<uint8_t, 4> b) {
  return IpAddress::v4Bytes(b.data());
}
IpAddress v6(const std::array<uint8_t, 16>& b) {
  return IpAddress::v6Bytes(b.data());
}

const Frame kHello = bytesOf("hello, world");

// ---- link layers --------------------------------------------------------------------------------

TEST(PacketDecoder, EthernetIpv4TcpFields) {
  PacketDecoder d;
  Tcp t;
  t.flags = kTcpPsh | kTcpAck;
  const Frame f = eth(0x0800, ipv4({}, tcp(t, kHello)));
  const auto r = run(d, kEth, f, 1'700'000'000'123'456);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.tsMicros, 1'700'000'000'123'456);
  EXPECT_EQ(r.pkt.src, v4({192, 0, 2, 1}));
  EXPECT_EQ(r.pkt.dst, v4({198, 51, 100, 7}));
  EXPECT_EQ(r.pkt.ipProto, 6);
  EXPECT_EQ(r.pkt.sport, 49152);
  EXPECT_EQ(r.pkt.dport, 443);
  EXPECT_EQ(r.pkt.tcpSeq, 0x01020304u);
  EXPECT_EQ(r.pkt.tcpFlags, kTcpPsh | kTcpAck);
  EXPECT_EQ(r.pkt.ipLength, 20u + 20u + kHello.size());
  EXPECT_EQ(r.pkt.vlan, 0);
  EXPECT_EQ(r.payload, kHello);
  EXPECT_EQ(d.anomalies().total(), 0u);
  EXPECT_EQ(d.nonIpFrames(), 0u);
}

TEST(PacketDecoder, EthernetPaddingBeyondTotalLengthIsIgnored) {
  PacketDecoder d;
  Frame f = eth(0x0800, ipv4({.proto = 17}, udp(53, 40000, bytesOf("ab"))));
  f.resize(60, 0);  // minimum Ethernet frame, padded by the NIC
  const auto r = run(d, kEth, f);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipLength, 20u + 8u + 2u);
  EXPECT_EQ(r.payload, bytesOf("ab"));
  EXPECT_EQ(r.pkt.sport, 53);
  EXPECT_EQ(r.pkt.dport, 40000);
}

TEST(PacketDecoder, VlanStacksOfEveryDepthAndTpid) {
  const std::array<uint16_t, 3> tpids{0x8100, 0x88a8, 0x9100};
  for (uint16_t outer : tpids) {
    for (size_t depth = 1; depth <= 4; ++depth) {
      std::vector<std::pair<uint16_t, uint16_t>> tags;
      // Outermost tag: priority 7 and DEI set, VLAN 100; the id must be masked out of the TCI.
      tags.emplace_back(outer, 0xf000 | 100);
      for (size_t i = 1; i < depth; ++i) {
        tags.emplace_back(0x8100, static_cast<uint16_t>(200 + i));
      }
      PacketDecoder d;
      const auto r = run(d, kEth, eth(0x0800, ipv4({}, tcp({}, kHello)), tags));
      ASSERT_EQ(r.status, DecodeStatus::kPacket) << "depth " << depth;
      EXPECT_EQ(r.pkt.vlan, 100) << "depth " << depth;
      EXPECT_EQ(r.payload, kHello);
    }
  }
}

TEST(PacketDecoder, VlanIpv6) {
  PacketDecoder d;
  const auto r = run(d, kEth, eth(0x86dd, ipv6({.next = 17}, udp(1, 2, kHello)), {{0x8100, 42}}));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.vlan, 42);
  EXPECT_EQ(r.pkt.src, v6(kV6Src));
  EXPECT_EQ(r.payload, kHello);
}

TEST(PacketDecoder, VlanDeeperThanLimitIsAnomaly) {
  std::vector<std::pair<uint16_t, uint16_t>> tags(5, {0x8100, 1});
  expectAnomaly(kEth, eth(0x0800, ipv4({}, tcp({}, kHello)), tags), Anomaly::kVlanTooDeep);
  DecoderLimits tight;
  tight.maxVlanDepth = 1;
  std::vector<std::pair<uint16_t, uint16_t>> two(2, {0x88a8, 1});
  expectAnomaly(kEth, eth(0x0800, ipv4({}, tcp({}, kHello)), two), Anomaly::kVlanTooDeep, tight);
}

TEST(PacketDecoder, TruncatedVlanTag) {
  Frame f = eth(0x8100, {});
  f.push_back(0);  // one byte of the TCI
  expectAnomaly(kEth, f, Anomaly::kTruncatedVlan);
}

TEST(PacketDecoder, LinuxCookedV1AndV2) {
  for (int link : {kSll, kSll2}) {
    PacketDecoder d;
    const Frame ip4 = ipv4({}, tcp({}, kHello));
    const Frame ip6 = ipv6({.next = 17}, udp(5353, 5353, kHello));
    const auto a = run(d, link, link == kSll ? sll(0x0800, ip4) : sll2(0x0800, ip4));
    ASSERT_EQ(a.status, DecodeStatus::kPacket);
    EXPECT_EQ(a.pkt.dst, v4({198, 51, 100, 7}));
    EXPECT_EQ(a.payload, kHello);
    const auto b = run(d, link, link == kSll ? sll(0x86dd, ip6) : sll2(0x86dd, ip6));
    ASSERT_EQ(b.status, DecodeStatus::kPacket);
    EXPECT_EQ(b.pkt.dst, v6(kV6Dst));
    EXPECT_EQ(b.pkt.ipProto, 17);
    EXPECT_EQ(b.payload, kHello);
    const auto arp = run(d, link, link == kSll ? sll(0x0806, Frame(28)) : sll2(0x0806, Frame(28)));
    EXPECT_EQ(arp.status, DecodeStatus::kConsumed);
    EXPECT_EQ(d.nonIpFrames(), 1u);
    EXPECT_EQ(d.anomalies().total(), 0u);
  }
}

TEST(PacketDecoder, LinuxCookedWithReinsertedVlanTag) {
  PacketDecoder d;
  Frame inner;
  put16(inner, 7);  // TCI
  put16(inner, 0x0800);
  append(inner, ipv4({}, tcp({}, kHello)));
  const auto r = run(d, kSll, sll(0x8100, inner));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.vlan, 7);
}

TEST(PacketDecoder, TruncatedCookedHeaders) {
  expectAnomaly(kSll, Frame(15, 0), Anomaly::kTruncatedSll);
  expectAnomaly(kSll2, Frame(19, 0), Anomaly::kTruncatedSll);
  expectAnomaly(kEth, Frame(13, 0), Anomaly::kTruncatedEthernet);
}

TEST(PacketDecoder, RawIpPicksVersionFromNibble) {
  for (int link : {kRaw, kRawAlt}) {
    PacketDecoder d;
    const auto a = run(d, link, ipv4({}, tcp({}, kHello)));
    ASSERT_EQ(a.status, DecodeStatus::kPacket);
    EXPECT_TRUE(a.pkt.src.isV4());
    const auto b = run(d, link, ipv6({}, tcp({}, kHello)));
    ASSERT_EQ(b.status, DecodeStatus::kPacket);
    EXPECT_TRUE(b.pkt.src.isV6());
    EXPECT_EQ(b.pkt.ipLength, 40u + 20u + kHello.size());
  }
  expectAnomaly(kRaw, ipv4({.version = 5}, {}), Anomaly::kBadIpv4Version);
  expectAnomaly(kRaw, {}, Anomaly::kTruncatedIpv4);
}

TEST(PacketDecoder, DltIpv4AndIpv6InsistOnTheirVersion) {
  PacketDecoder d;
  EXPECT_EQ(run(d, kDltIpv4, ipv4({}, tcp({}, kHello))).status, DecodeStatus::kPacket);
  EXPECT_EQ(run(d, kDltIpv6, ipv6({}, tcp({}, kHello))).status, DecodeStatus::kPacket);
  expectAnomaly(kDltIpv4, ipv6({}, tcp({}, kHello)), Anomaly::kBadIpv4Version);
  expectAnomaly(kDltIpv6, ipv4({}, tcp({}, kHello)), Anomaly::kBadIpv6Version);
  expectAnomaly(kEth, eth(0x86dd, ipv4({}, tcp({}, kHello))), Anomaly::kBadIpv6Version);
}

TEST(PacketDecoder, NullAndLoopFamilies) {
  const Frame ip4 = ipv4({}, tcp({}, kHello));
  const Frame ip6 = ipv6({}, tcp({}, kHello));
  PacketDecoder d;
  // DLT_NULL in either host order (little-endian writer, big-endian writer).
  EXPECT_EQ(run(d, kNull, nullLe(2, ip4)).pkt.src, v4({192, 0, 2, 1}));
  EXPECT_EQ(run(d, kNull, familyBe(2, ip4)).pkt.src, v4({192, 0, 2, 1}));
  for (uint32_t fam : {24u, 28u, 30u}) {
    const auto r = run(d, kNull, nullLe(fam, ip6));
    ASSERT_EQ(r.status, DecodeStatus::kPacket) << fam;
    EXPECT_EQ(r.pkt.src, v6(kV6Src));
    EXPECT_EQ(run(d, kNull, familyBe(fam, ip6)).status, DecodeStatus::kPacket) << fam;
    EXPECT_EQ(run(d, kLoop, familyBe(fam, ip6)).status, DecodeStatus::kPacket) << fam;
  }
  EXPECT_EQ(run(d, kLoop, familyBe(2, ip4)).payload, kHello);
  EXPECT_EQ(d.anomalies().total(), 0u);
  EXPECT_EQ(run(d, kNull, nullLe(7, ip4)).status, DecodeStatus::kConsumed);  // AF_APPLETALK-ish
  EXPECT_EQ(d.nonIpFrames(), 1u);
  expectAnomaly(kNull, Frame{2, 0, 0}, Anomaly::kTruncatedLoopback);
  expectAnomaly(kLoop, Frame{}, Anomaly::kTruncatedLoopback);
}

TEST(PacketDecoder, NonIpEthernetIsConsumedAndCounted) {
  PacketDecoder d;
  EXPECT_EQ(run(d, kEth, eth(0x0806, Frame(28, 0))).status, DecodeStatus::kConsumed);  // ARP
  EXPECT_EQ(run(d, kEth, eth(0x0026, Frame(38, 0))).status, DecodeStatus::kConsumed);  // 802.3
  EXPECT_EQ(run(d, kEth, eth(0x88cc, Frame(10, 0), {{0x8100, 5}})).status,
            DecodeStatus::kConsumed);  // LLDP under a tag
  EXPECT_EQ(d.nonIpFrames(), 3u);
  EXPECT_EQ(d.anomalies().total(), 0u);
}

TEST(PacketDecoder, UnknownLinkType) {
  EXPECT_TRUE(isSupportedLinkType(1));
  EXPECT_TRUE(isSupportedLinkType(276));
  EXPECT_TRUE(isSupportedLinkType(12));
  EXPECT_FALSE(isSupportedLinkType(105));  // 802.11
  EXPECT_FALSE(isSupportedLinkType(-1));
  expectAnomaly(105, eth(0x0800, ipv4({}, tcp({}, kHello))), Anomaly::kUnknownLinkType);
}

// ---- IPv4 ---------------------------------------------------------------------------------------

TEST(PacketDecoder, Ipv4HeaderChecks) {
  expectAnomaly(kRaw, Frame(19, 0x45), Anomaly::kTruncatedIpv4);
  expectAnomaly(kEth, eth(0x0800, ipv4({.version = 6}, tcp({}, kHello))), Anomaly::kBadIpv4Version);
  expectAnomaly(kDltIpv4, ipv4({.ihl = 4}, tcp({}, kHello)), Anomaly::kBadIpv4HeaderLength);
  // IHL 15 (60 bytes) on a 24-byte frame: the options run past the capture.
  expectAnomaly(kDltIpv4, ipv4({.ihl = 15}, Frame(4, 0)), Anomaly::kTruncatedIpv4);
  expectAnomaly(kDltIpv4, ipv4({.total = 19}, tcp({}, kHello)), Anomaly::kBadIpv4TotalLength);
  expectAnomaly(kDltIpv4, ipv4({.optionWords = 1, .total = 20}, tcp({}, kHello)),
                Anomaly::kBadIpv4TotalLength);
}

TEST(PacketDecoder, Ipv4OptionsAreSkipped) {
  PacketDecoder d;
  const auto r = run(d, kDltIpv4, ipv4({.optionWords = 3}, tcp({}, kHello)));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipLength, 32u + 20u + kHello.size());
  EXPECT_EQ(r.payload, kHello);
}

TEST(PacketDecoder, SnappedIpv4KeepsHeaderLengthAndDecodesWhatIsThere) {
  PacketDecoder d;
  const Frame full = eth(0x0800, ipv4({}, tcp({}, Frame(1400, 0x5a))));
  const Frame snapped(full.begin(), full.begin() + 96);
  const auto r = run(d, kEth, snapped);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipLength, 20u + 20u + 1400u);
  EXPECT_EQ(r.payload.size(), 96u - 14u - 20u - 20u);
  EXPECT_EQ(d.anomalies().total(), 0u);
}

TEST(PacketDecoder, ZeroIpv4TotalLengthMeansAsCaptured) {
  // TSO: the sending host's capture shows a total length of 0 for a large segment.
  PacketDecoder d;
  const Frame payload(3000, 0x11);
  const auto r = run(d, kEth, eth(0x0800, ipv4({.total = 0}, tcp({}, payload))));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipLength, 20u + 20u + 3000u);
  EXPECT_EQ(r.payload, payload);
}

// ---- IPv6 extension headers ---------------------------------------------------------------------

TEST(PacketDecoder, Ipv6EveryExtensionHeaderKind) {
  struct Case {
    const char* name;
    uint8_t first;
    Frame headers;  // extension headers ending with next = TCP
    size_t headerBytes;
  };
  const std::vector<Case> cases = {
      {"hop-by-hop", 0, ext6(6, 0), 8},
      {"routing", 43, ext6(6, 2), 24},
      {"destination options", 60, ext6(6, 1), 16},
      {"mobility", 135, ext6(6, 0), 8},
      {"authentication (4-octet units)", 51, ah6(6, 4), 24},
      {"atomic fragment", 44, frag6(6, 0, false, 99), 8},
      {"HIP", 139, ext6(6, 0), 8},
      {"shim6", 140, ext6(6, 0), 8},
      {"experimental", 253, ext6(6, 0), 8},
      {"all in a chain", 0, cat({ext6(60, 0), ext6(43, 0), ext6(51, 0), ah6(60, 1), ext6(6, 0)}),
       8 + 8 + 8 + 12 + 8},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(c.headers.size(), c.headerBytes) << c.name;
    PacketDecoder d;
    const Frame f = ipv6({.next = c.first}, cat({c.headers, tcp({}, kHello)}));
    const auto r = run(d, kDltIpv6, f);
    ASSERT_EQ(r.status, DecodeStatus::kPacket) << c.name;
    EXPECT_EQ(r.pkt.ipProto, 6) << c.name;
    EXPECT_EQ(r.pkt.dport, 443) << c.name;
    EXPECT_EQ(r.pkt.ipLength, 40u + c.headerBytes + 20u + kHello.size()) << c.name;
    EXPECT_EQ(r.payload, kHello) << c.name;
    EXPECT_EQ(d.anomalies().total(), 0u) << c.name;
  }
}

TEST(PacketDecoder, Ipv6EspAndNoNextHeaderAreOpaque) {
  PacketDecoder d;
  const Frame esp = cat({counting(8), kHello});  // SPI + sequence + ciphertext
  auto r = run(d, kDltIpv6, ipv6({.next = 60}, cat({ext6(50, 0), esp})));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipProto, 50);
  EXPECT_EQ(r.pkt.sport, 0);
  EXPECT_EQ(r.pkt.dport, 0);
  EXPECT_EQ(r.payload, esp);
  r = run(d, kDltIpv6, ipv6({.next = 59}, {}));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipProto, 59);
  EXPECT_TRUE(r.payload.empty());
}

TEST(PacketDecoder, Ipv6ExtensionChainBound) {
  auto chain = [](size_t n) {
    Frame headers;
    for (size_t i = 0; i < n; ++i) {
      append(headers, ext6(i + 1 == n ? 17 : 60, 0));
    }
    return ipv6({.next = 60}, cat({headers, udp(1, 2, kHello)}));
  };
  PacketDecoder d;
  const auto r = run(d, kDltIpv6, chain(16));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, kHello);
  expectAnomaly(kDltIpv6, chain(17), Anomaly::kIpv6ExtHeaderChainTooLong);
}

TEST(PacketDecoder, Ipv6HeaderChecks) {
  expectAnomaly(kDltIpv6, Frame(39, 0x60), Anomaly::kTruncatedIpv6);
  expectAnomaly(kDltIpv6, ipv6({.version = 4}, {}), Anomaly::kBadIpv6Version);
  // Routing header claiming 3 * 8 bytes more than the datagram holds.
  Frame routing = ext6(6, 0);
  routing[1] = 3;
  expectAnomaly(kDltIpv6, ipv6({.next = 43}, routing), Anomaly::kTruncatedIpv6ExtHeader);
  expectAnomaly(kDltIpv6, ipv6({.next = 0}, Frame{6}), Anomaly::kTruncatedIpv6ExtHeader);
  expectAnomaly(kDltIpv6, ipv6({.next = 44}, Frame(7, 0)), Anomaly::kTruncatedIpv6ExtHeader);
}

TEST(PacketDecoder, Ipv6PaddingAfterPayloadLengthIsIgnored) {
  PacketDecoder d;
  Frame f = eth(0x86dd, ipv6({.next = 17}, udp(1, 2, kHello)));
  f.resize(f.size() + 10, 0xee);
  const auto r = run(d, kEth, f);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, kHello);
  EXPECT_EQ(r.pkt.ipLength, 40u + 8u + kHello.size());
}

// ---- transport ----------------------------------------------------------------------------------

TEST(PacketDecoder, TcpOptionsAndHeaderLength) {
  PacketDecoder d;
  const auto r = run(d, kDltIpv4, ipv4({}, tcp({.optionWords = 3}, kHello)));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, kHello);
  expectAnomaly(kDltIpv4, ipv4({}, tcp({.dataOffset = 4}, kHello)), Anomaly::kBadTcpHeaderLength);
  // Data offset 15 (60 bytes) in a segment the IP header says is 20 + 12 bytes long.
  expectAnomaly(kDltIpv4, ipv4({}, tcp({.dataOffset = 15}, kHello)), Anomaly::kBadTcpHeaderLength);
  // IP header declares the options, but the capture stops inside them: a snap, not a bad length.
  const Frame full = ipv4({}, tcp({.optionWords = 4}, kHello));
  expectAnomaly(kDltIpv4, Frame(full.begin(), full.begin() + 20 + 24), Anomaly::kTruncatedTcp);
  expectAnomaly(kDltIpv4, ipv4({}, Frame(19, 0)), Anomaly::kTruncatedTcp);
}

TEST(PacketDecoder, TcpFlagsOnTheWire) {
  PacketDecoder d;
  const uint8_t all = kTcpFin | kTcpSyn | kTcpRst | kTcpPsh | kTcpAck | kTcpUrg | kTcpEce | kTcpCwr;
  EXPECT_EQ(all, 0xff);
  EXPECT_EQ(run(d, kDltIpv4, ipv4({}, tcp({.flags = kTcpSyn}, {}))).pkt.tcpFlags, 0x02);
  EXPECT_EQ(run(d, kDltIpv4, ipv4({}, tcp({.flags = kTcpFin | kTcpAck}, {}))).pkt.tcpFlags, 0x11);
}

TEST(PacketDecoder, UdpLengthSanity) {
  PacketDecoder d;
  // UDP length shorter than the IP payload: the extra bytes are not UDP payload.
  const auto r = run(d, kDltIpv4, ipv4({.proto = 17}, udp(1, 2, kHello, 8 + 5)));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, bytesOf("hello"));
  expectAnomaly(kDltIpv4, ipv4({.proto = 17}, udp(1, 2, kHello, 7)), Anomaly::kBadUdpLength);
  expectAnomaly(kDltIpv4, ipv4({.proto = 17}, udp(1, 2, kHello, 8 + 13)), Anomaly::kBadUdpLength);
  expectAnomaly(kDltIpv6, ipv6({.next = 17}, udp(1, 2, kHello, 0)), Anomaly::kBadUdpLength);
  expectAnomaly(kDltIpv4, ipv4({.proto = 17}, Frame(7, 0)), Anomaly::kTruncatedUdp);
}

TEST(PacketDecoder, IcmpTypeAndCode) {
  PacketDecoder d;
  const Frame echo = icmp(8, 0, cat({Frame{0, 1, 0, 2}, kHello}));
  auto r = run(d, kDltIpv4, ipv4({.proto = 1}, echo));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipProto, 1);
  EXPECT_EQ(r.pkt.sport, 1);  // the echo identifier
  EXPECT_EQ(r.pkt.dport, 0x0800);
  EXPECT_EQ(r.payload, kHello);
  // Destination unreachable / port unreachable, header only.
  r = run(d, kDltIpv4, ipv4({.proto = 1}, icmp(3, 3, {})));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.sport, 0);  // not an echo: no identifier
  EXPECT_EQ(r.pkt.dport, 0x0303);
  EXPECT_TRUE(r.payload.empty());
  // ICMPv6 echo request (128) behind a destination options header.
  r = run(d, kDltIpv6, ipv6({.next = 60}, cat({ext6(58, 0), icmp(128, 0, Frame{0, 7, 0, 1})})));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipProto, 58);
  EXPECT_EQ(r.pkt.sport, 7);
  EXPECT_EQ(r.pkt.dport, 128 << 8);
  expectAnomaly(kDltIpv4, ipv4({.proto = 1}, Frame{8, 0, 0}), Anomaly::kTruncatedIcmp);
  expectAnomaly(kDltIpv6, ipv6({.next = 58}, Frame{128}), Anomaly::kTruncatedIcmp);
}

TEST(PacketDecoder, OtherProtocolsPassThrough) {
  PacketDecoder d;
  const Frame gre = cat({Frame{0, 0, 0x08, 0}, kHello});
  const auto r = run(d, kDltIpv4, ipv4({.proto = 47}, gre));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipProto, 47);
  EXPECT_EQ(r.pkt.sport, 0);
  EXPECT_EQ(r.pkt.dport, 0);
  EXPECT_EQ(r.payload, gre);
}

// ---- fragment reassembly ------------------------------------------------------------------------

// Splits `data` (the fragmentable part) into IPv4 fragments at the given [offset, end) pieces.
Frame v4Fragment(const Frame& data, size_t from, size_t to, uint16_t id = 0x4242,
                 uint8_t proto = 253) {
  const bool more = to < data.size();
  return ipv4({.proto = proto, .id = id, .more = more, .offset8 = static_cast<uint16_t>(from / 8)},
              Frame(data.begin() + static_cast<long>(from), data.begin() + static_cast<long>(to)));
}
Frame v4FragmentWithData(const Frame& piece, size_t from, bool more, uint16_t id = 0x4242) {
  return ipv4({.proto = 253, .id = id, .more = more, .offset8 = static_cast<uint16_t>(from / 8)},
              piece);
}

TEST(Reassembly, Ipv4InOrderTcp) {
  PacketDecoder d;
  const Frame seg = tcp({.sport = 1000, .dport = 80}, counting(100));
  ASSERT_EQ(seg.size(), 120u);
  EXPECT_EQ(run(d, kEth, eth(0x0800, v4Fragment(seg, 0, 48, 7, 6))).status,
            DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kEth, eth(0x0800, v4Fragment(seg, 48, 96, 7, 6))).status,
            DecodeStatus::kConsumed);
  const auto r = run(d, kEth, eth(0x0800, v4Fragment(seg, 96, 120, 7, 6)));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.sport, 1000);
  EXPECT_EQ(r.pkt.dport, 80);
  EXPECT_EQ(r.pkt.ipProto, 6);
  EXPECT_EQ(r.pkt.ipLength, 20u + 120u);
  EXPECT_EQ(r.pkt.src, v4({192, 0, 2, 1}));
  EXPECT_EQ(r.payload, counting(100));
  EXPECT_EQ(d.reassembledDatagrams(), 1u);
  EXPECT_EQ(d.anomalies().total(), 0u);
}

TEST(Reassembly, Ipv4OutOfOrderWithOptionsInFirstFragment) {
  PacketDecoder d;
  const Frame data = counting(40, 0x30);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 32, 40)).status, DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 16, 32)).status, DecodeStatus::kConsumed);
  const Frame first = ipv4({.proto = 253, .id = 0x4242, .more = true, .optionWords = 2},
                           Frame(data.begin(), data.begin() + 16));
  const auto r = run(d, kDltIpv4, first);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipProto, 253);
  EXPECT_EQ(r.pkt.ipLength, 28u + 40u);  // header of the first fragment + all data
  EXPECT_EQ(r.payload, data);
}

TEST(Reassembly, DuplicateFragmentIsNotAnOverlap) {
  PacketDecoder d;
  const Frame data = counting(24);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 16)).status, DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 16)).status, DecodeStatus::kConsumed);
  const auto r = run(d, kDltIpv4, v4Fragment(data, 16, 24));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, data);
  EXPECT_EQ(count(d, Anomaly::kFragmentOverlap), 0u);
}

TEST(Reassembly, OverlapKeepsFirstArrivedBytes) {
  PacketDecoder d;
  // [0,16) of 'A', then [8,24) of 'B' (overlapping 8..16), then the final [24,32) of 'C'.
  EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(16, 'A'), 0, true)).status,
            DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(16, 'B'), 8, true)).status,
            DecodeStatus::kConsumed);
  EXPECT_EQ(count(d, Anomaly::kFragmentOverlap), 1u);
  const auto r = run(d, kDltIpv4, v4FragmentWithData(Frame(8, 'C'), 24, false));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, cat({Frame(16, 'A'), Frame(8, 'B'), Frame(8, 'C')}));
  EXPECT_EQ(count(d, Anomaly::kFragmentOverlap), 1u);
}

TEST(Reassembly, OverlapSpanningSeveralPiecesAndHoles) {
  PacketDecoder d;
  // Pieces at [8,16) and [24,32); then one fragment [0,40) with different bytes fills the holes,
  // and the final [40,48) completes the datagram.
  EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(8, 'x'), 8, true)).status,
            DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(8, 'y'), 24, true)).status,
            DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(40, 'z'), 0, true)).status,
            DecodeStatus::kConsumed);
  EXPECT_EQ(count(d, Anomaly::kFragmentOverlap), 1u);
  const auto r = run(d, kDltIpv4, v4FragmentWithData(Frame(8, 'w'), 40, false));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, cat({Frame(8, 'z'), Frame(8, 'x'), Frame(8, 'z'), Frame(8, 'y'),
                            Frame(8, 'z'), Frame(8, 'w')}));
  EXPECT_EQ(count(d, Anomaly::kFragmentOverlap), 1u);
}

TEST(Reassembly, PartialOverlapWithSameBytesStillCounts) {
  // Same bytes, but a different cut of the datagram: a re-fragmentation that reassemblers on the
  // path may resolve differently, so it is reported.
  PacketDecoder d;
  const Frame data = counting(32);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 16)).status, DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 24)).status, DecodeStatus::kConsumed);
  const auto r = run(d, kDltIpv4, v4Fragment(data, 24, 32));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, data);
  EXPECT_EQ(count(d, Anomaly::kFragmentOverlap), 1u);
}

TEST(Reassembly, MissingPieceTimesOut) {
  DecoderLimits limits;
  limits.fragmentTimeoutMicros = 1000;
  PacketDecoder d(limits);
  const Frame data = counting(24);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 8), 10'000).status, DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 16, 24), 10'500).status, DecodeStatus::kConsumed);
  // Exactly at the timeout: still pending.
  EXPECT_EQ(run(d, kDltIpv4, ipv4({}, tcp({}, {})), 11'000).status, DecodeStatus::kPacket);
  EXPECT_EQ(count(d, Anomaly::kFragmentTimeout), 0u);
  // Any later packet moves the clock past it.
  EXPECT_EQ(run(d, kDltIpv4, ipv4({}, tcp({}, {})), 11'001).status, DecodeStatus::kPacket);
  EXPECT_EQ(count(d, Anomaly::kFragmentTimeout), 1u);
  // The missing piece arrives too late: it starts a new datagram that never completes.
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 16), 11'002).status, DecodeStatus::kConsumed);
  EXPECT_EQ(d.reassembledDatagrams(), 0u);
}

TEST(Reassembly, ClockDoesNotRunBackwards) {
  DecoderLimits limits;
  limits.fragmentTimeoutMicros = 1000;
  PacketDecoder d(limits);
  const Frame data = counting(16);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 8), 50'000).status, DecodeStatus::kConsumed);
  // A frame stamped far in the past (clock step) must not make the pending datagram look young
  // or old; the piece completes it.
  const auto r = run(d, kDltIpv4, v4Fragment(data, 8, 16), 1'000);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.payload, data);
  EXPECT_EQ(count(d, Anomaly::kFragmentTimeout), 0u);
}

TEST(Reassembly, FullTableEvictsOldest) {
  DecoderLimits limits;
  limits.maxPendingDatagrams = 2;
  PacketDecoder d(limits);
  const Frame data = counting(16);
  for (uint16_t id : {1, 2, 3}) {
    EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 8, id)).status, DecodeStatus::kConsumed);
  }
  EXPECT_EQ(count(d, Anomaly::kFragmentTableFull), 1u);  // id 1 was evicted for id 3
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 16, 3)).status, DecodeStatus::kPacket);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 16, 2)).status, DecodeStatus::kPacket);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 16, 1)).status, DecodeStatus::kConsumed);
  EXPECT_EQ(count(d, Anomaly::kFragmentTableFull), 1u);
  EXPECT_EQ(d.reassembledDatagrams(), 2u);
}

TEST(Reassembly, KeyIncludesAddressesIdAndProtocol) {
  PacketDecoder d;
  const Frame data = counting(16);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 8, 9, 253)).status, DecodeStatus::kConsumed);
  // Same id, different protocol: a different datagram.
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 16, 9, 254)).status, DecodeStatus::kConsumed);
  // Same id and protocol, different source.
  EXPECT_EQ(run(d, kDltIpv4,
                ipv4({.src = {192, 0, 2, 99}, .proto = 253, .id = 9, .offset8 = 1},
                     Frame(data.begin() + 8, data.end())))
                .status,
            DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 16, 9, 253)).status, DecodeStatus::kPacket);
}

TEST(Reassembly, BadFragments) {
  const Frame data = counting(64);
  // Non-final fragment whose length is not a multiple of 8.
  expectAnomaly(kDltIpv4, v4FragmentWithData(Frame(12, 1), 0, true), Anomaly::kBadFragment);
  // Non-final fragment without data.
  expectAnomaly(kDltIpv4, v4FragmentWithData({}, 8, true), Anomaly::kBadFragment);
  // Reaches past the largest datagram accepted.
  expectAnomaly(kDltIpv4, v4FragmentWithData(Frame(200, 1), size_t{8191} * 8, false),
                Anomaly::kBadFragment);
  DecoderLimits small;
  small.maxDatagramBytes = 100;
  expectAnomaly(kDltIpv4, v4FragmentWithData(Frame(96, 1), 8, true), Anomaly::kBadFragment, small);
  {
    // Data plus the first fragment's header exceed the limit.
    PacketDecoder d(small);
    EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(80, 1), 8, false)).status,
              DecodeStatus::kConsumed);
    EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(8, 1), 0, true)).status,
              DecodeStatus::kAnomaly);
    EXPECT_EQ(count(d, Anomaly::kBadFragment), 1u);
  }
  {
    // Two different ends: the datagram is dropped, so the missing middle cannot complete it.
    PacketDecoder d;
    EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 16)).status, DecodeStatus::kConsumed);
    EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(8, 1), 56, false)).status,
              DecodeStatus::kConsumed);
    EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(8, 1), 40, false)).status,
              DecodeStatus::kAnomaly);
    EXPECT_EQ(count(d, Anomaly::kBadFragment), 1u);
    EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 16, 56)).status, DecodeStatus::kConsumed);
  }
  {
    // Data beyond a known end.
    PacketDecoder d;
    EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 32, 64)).status, DecodeStatus::kConsumed);
    EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(8, 1), 64, true)).status,
              DecodeStatus::kAnomaly);
    EXPECT_EQ(count(d, Anomaly::kBadFragment), 1u);
  }
  {
    // A final fragment ending before data already held.
    PacketDecoder d;
    EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 32, 48)).status, DecodeStatus::kConsumed);
    EXPECT_EQ(run(d, kDltIpv4, v4FragmentWithData(Frame(8, 1), 16, false)).status,
              DecodeStatus::kAnomaly);
    EXPECT_EQ(count(d, Anomaly::kBadFragment), 1u);
  }
}

TEST(Reassembly, SnappedFragmentIsNotEntered) {
  PacketDecoder d;
  const Frame data = counting(32);
  const Frame whole = v4Fragment(data, 0, 16);
  const auto r = run(d, kDltIpv4, Frame(whole.begin(), whole.end() - 1));
  EXPECT_EQ(r.status, DecodeStatus::kAnomaly);
  EXPECT_EQ(count(d, Anomaly::kTruncatedIpv4), 1u);
  // Had the snapped piece been entered, this would be an overlap.
  EXPECT_EQ(run(d, kDltIpv4, whole).status, DecodeStatus::kConsumed);
  EXPECT_EQ(count(d, Anomaly::kFragmentOverlap), 0u);
}

TEST(Reassembly, Ipv6WithUnfragmentableAndFragmentableExtensions) {
  PacketDecoder d;
  // Unfragmentable: hop-by-hop. Fragmentable: destination options + UDP.
  const Frame fragmentable = cat({ext6(17, 0), udp(4500, 4500, counting(50))});
  ASSERT_EQ(fragmentable.size(), 66u);
  auto piece = [&](size_t from, size_t to) {
    const bool more = to < fragmentable.size();
    return ipv6({.next = 0},
                cat({ext6(44, 0), frag6(60, static_cast<uint16_t>(from / 8), more, 0xdeadbeef),
                     Frame(fragmentable.begin() + static_cast<long>(from),
                           fragmentable.begin() + static_cast<long>(to))}));
  };
  EXPECT_EQ(run(d, kEth, eth(0x86dd, piece(32, 66))).status, DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kEth, eth(0x86dd, piece(0, 32))).status, DecodeStatus::kPacket);
  PacketDecoder inOrder;
  EXPECT_EQ(run(inOrder, kEth, eth(0x86dd, piece(0, 16))).status, DecodeStatus::kConsumed);
  EXPECT_EQ(run(inOrder, kEth, eth(0x86dd, piece(16, 48))).status, DecodeStatus::kConsumed);
  const auto r = run(inOrder, kEth, eth(0x86dd, piece(48, 66)));
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.pkt.ipProto, 17);
  EXPECT_EQ(r.pkt.sport, 4500);
  EXPECT_EQ(r.pkt.src, v6(kV6Src));
  EXPECT_EQ(r.pkt.dst, v6(kV6Dst));
  // The datagram as it was before fragmentation: IPv6 + hop-by-hop + fragmentable part.
  EXPECT_EQ(r.pkt.ipLength, 40u + 8u + 66u);
  EXPECT_EQ(r.payload, counting(50));
  EXPECT_EQ(inOrder.reassembledDatagrams(), 1u);
  EXPECT_EQ(inOrder.anomalies().total(), 0u);
}

TEST(Reassembly, Ipv6IdsAreNotConfusedWithIpv4) {
  PacketDecoder d;
  const Frame data = counting(16);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 8, 5)).status, DecodeStatus::kConsumed);
  const auto r =
      run(d, kDltIpv6,
          ipv6({.next = 44}, cat({frag6(253, 1, false, 5), Frame(data.begin() + 8, data.end())})));
  EXPECT_EQ(r.status, DecodeStatus::kConsumed);
  EXPECT_EQ(d.reassembledDatagrams(), 0u);
}

TEST(Reassembly, Ipv6FragmentInsideReassembledDataIsBad) {
  PacketDecoder d;
  const Frame inner = cat({frag6(6, 3, true, 1), Frame(8, 0)});
  EXPECT_EQ(run(d, kDltIpv6, ipv6({.next = 44}, cat({frag6(44, 0, true, 2), inner}))).status,
            DecodeStatus::kConsumed);
  const auto r = run(d, kDltIpv6, ipv6({.next = 44}, cat({frag6(44, 2, false, 2), Frame(4, 0)})));
  EXPECT_EQ(r.status, DecodeStatus::kAnomaly);
  EXPECT_EQ(count(d, Anomaly::kBadFragment), 1u);
}

TEST(Reassembly, Ipv6SnappedFragment) {
  const Frame whole = ipv6({.next = 44}, cat({frag6(253, 0, true, 3), Frame(16, 0)}));
  expectAnomaly(kDltIpv6, Frame(whole.begin(), whole.end() - 3), Anomaly::kTruncatedIpv6);
}

TEST(Reassembly, ZeroSizeTableCountsFullAndHoldsNothing) {
  DecoderLimits limits;
  limits.maxPendingDatagrams = 0;
  PacketDecoder d(limits);
  const Frame data = counting(16);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 0, 8)).status, DecodeStatus::kConsumed);
  EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, 8, 16)).status, DecodeStatus::kConsumed);
  EXPECT_EQ(count(d, Anomaly::kFragmentTableFull), 2u);
}

TEST(Reassembly, ManyTinyFragmentsInReverse) {
  PacketDecoder d;
  const Frame data = counting(8 * 200 + 3);
  for (size_t i = 200; i-- > 0;) {
    const size_t end = i == 199 ? data.size() : (i + 1) * 8;
    EXPECT_EQ(run(d, kDltIpv4, v4Fragment(data, i * 8, end)).status,
              i == 0 ? DecodeStatus::kPacket : DecodeStatus::kConsumed);
  }
  EXPECT_EQ(d.reassembledDatagrams(), 1u);
}

// ---- robustness ---------------------------------------------------------------------------------

struct Valid {
  const char* name;
  int link;
  Frame frame;
  size_t minDecodable;  // shortest prefix that decodes to a packet
  size_t payloadStart;
};

std::vector<Valid> validFrames() {
  const Frame tcp4 = ipv4({}, tcp({.optionWords = 2}, kHello));
  // Hop-by-hop (16 bytes) → AH (24) → destination options (8) → UDP.
  const Frame udp6 =
      ipv6({.next = 0}, cat({ext6(51, 1), ah6(60, 4), ext6(17, 0), udp(53, 5353, kHello)}));
  const size_t udp6Hdr = 40 + 16 + 24 + 8 + 8;
  const Frame icmp4 = ipv4({.proto = 1}, icmp(8, 0, cat({Frame(4, 0), kHello})));
  const std::vector<std::pair<uint16_t, uint16_t>> tags = {{0x88a8, 10}, {0x8100, 20}};
  return {
      {"eth tcp4", kEth, eth(0x0800, tcp4), 14 + 48, 14 + 48},
      {"eth qinq udp6", kEth, eth(0x86dd, udp6, tags), 22 + udp6Hdr, 22 + udp6Hdr},
      {"eth icmp4", kEth, eth(0x0800, icmp4), 14 + 24, 14 + 28},
      {"sll tcp4", kSll, sll(0x0800, tcp4), 16 + 48, 16 + 48},
      {"sll2 udp6", kSll2, sll2(0x86dd, udp6), 20 + udp6Hdr, 20 + udp6Hdr},
      {"raw tcp4", kRaw, tcp4, 48, 48},
      {"raw12 udp6", kRawAlt, udp6, udp6Hdr, udp6Hdr},
      {"ipv4", kDltIpv4, icmp4, 24, 28},
      {"ipv6", kDltIpv6, udp6, udp6Hdr, udp6Hdr},
      {"null", kNull, nullLe(2, tcp4), 4 + 48, 4 + 48},
      {"loop", kLoop, familyBe(30, udp6), 4 + udp6Hdr, 4 + udp6Hdr},
  };
}

TEST(Robustness, EveryTruncationOfValidFrames) {
  for (const auto& v : validFrames()) {
    {
      PacketDecoder d;
      const auto r = run(d, v.link, v.frame);
      ASSERT_EQ(r.status, DecodeStatus::kPacket) << v.name;
      ASSERT_EQ(r.payload, kHello) << v.name;
    }
    for (size_t n = 0; n < v.frame.size(); ++n) {
      PacketDecoder d;
      const Frame prefix(v.frame.begin(), v.frame.begin() + static_cast<long>(n));
      const auto r = run(d, v.link, prefix);
      if (n < v.minDecodable) {
        // Cut inside a header: exactly one anomaly, and nothing leaks into the output.
        EXPECT_EQ(r.status, DecodeStatus::kAnomaly) << v.name << " at " << n;
        EXPECT_EQ(d.anomalies().total(), 1u) << v.name << " at " << n;
        EXPECT_TRUE(r.pkt.payload.empty());
        EXPECT_EQ(r.pkt.src, IpAddress{});
      } else {
        // Cut inside the payload: a snapped packet with what was captured.
        EXPECT_EQ(r.status, DecodeStatus::kPacket) << v.name << " at " << n;
        EXPECT_EQ(r.payload.size(), n > v.payloadStart ? n - v.payloadStart : 0)
            << v.name << " at " << n;
      }
    }
  }
}

TEST(Robustness, EveryTruncationOfFragments) {
  const Frame data = counting(40);
  for (size_t piece = 0; piece < 2; ++piece) {
    const Frame f =
        piece == 0 ? eth(0x0800, v4Fragment(data, 0, 24))
                   : eth(0x86dd, ipv6({.next = 44}, cat({frag6(6, 0, true, 1), Frame(24, 0)})));
    for (size_t n = 0; n < f.size(); ++n) {
      PacketDecoder d;
      const auto r = run(d, kEth, Frame(f.begin(), f.begin() + static_cast<long>(n)));
      EXPECT_EQ(r.status, DecodeStatus::kAnomaly) << piece << " at " << n;
    }
  }
}

TEST(Robustness, AllLinkTypesOnGarbage) {
  // Deterministic pseudo-random frames: no crash, no read outside the frame (ASan builds), and a
  // status that agrees with the counters.
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  PacketDecoder d;
  for (int i = 0; i < 20000; ++i) {
    const int links[] = {kEth, kSll, kSll2, kRaw, kRawAlt, kDltIpv4, kDltIpv6, kNull, kLoop};
    const int link = links[next() % 9];
    Frame f(next() % 120);
    for (auto& b : f) {
      b = static_cast<uint8_t>(next());
    }
    // Make IP headers likely so the deeper layers are reached.
    if (link == kEth && f.size() > 14) {
      f[12] = 0x86;
      f[13] = 0xdd;
      if (i % 2 == 0) {
        f[12] = 0x08;
        f[13] = 0x00;
        f[14] = 0x45;
      }
    }
    const uint64_t before = d.anomalies().total();
    const uint64_t nonIpBefore = d.nonIpFrames();
    DecodedPacket out;
    const DecodeStatus s = d.decode(link, f, i, out);
    if (s == DecodeStatus::kPacket) {
      uint64_t sum = 0;
      for (uint8_t b : out.payload) {
        sum += b;
      }
      EXPECT_LE(out.payload.size(), 65535u + 40u);
      (void)sum;
    }
    if (s == DecodeStatus::kAnomaly) {
      EXPECT_GT(d.anomalies().total(), before);
    }
    if (s == DecodeStatus::kConsumed && d.nonIpFrames() == nonIpBefore) {
      // A consumed IP frame can only be a fragment.
      EXPECT_TRUE(link != kEth || f.size() >= 34);
    }
  }
}

// Every anomaly in the vocabulary is produced by some frame (or frame sequence) above or here.
TEST(Robustness, EveryAnomalyIsReachable) {
  std::set<Anomaly> seen;
  auto note = [&](const PacketDecoder& d) {
    for (size_t i = 0; i < kAnomalyCount; ++i) {
      if (d.anomalies().counts[i] > 0) {
        seen.insert(static_cast<Anomaly>(i));
      }
    }
  };
  const std::vector<std::pair<int, Frame>> singles = {
      {kEth, Frame(10, 0)},
      {kEth, cat({eth(0x8100, {}), Frame{0}})},
      {kEth, eth(0x0800, {}, std::vector<std::pair<uint16_t, uint16_t>>(5, {0x8100, 1}))},
      {kSll, Frame(3, 0)},
      {kNull, Frame(3, 0)},
      {kDltIpv4, Frame(12, 0x45)},
      {kDltIpv4, ipv4({.version = 7}, {})},
      {kDltIpv4, ipv4({.ihl = 2}, {})},
      {kDltIpv4, ipv4({.total = 10}, {})},
      {kDltIpv6, Frame(12, 0x60)},
      {kDltIpv6, ipv6({.version = 9}, {})},
      {kDltIpv6, ipv6({.next = 60}, Frame{6, 9})},
      {kDltIpv6,
       [] {
         Frame h;
         for (int i = 0; i < 17; ++i) {
           append(h, ext6(60, 0));
         }
         return ipv6({.next = 60}, h);
       }()},
      {kDltIpv4, v4FragmentWithData(Frame(3, 0), 0, true)},
      {kDltIpv4, ipv4({}, Frame(10, 0))},
      {kDltIpv4, ipv4({}, tcp({.dataOffset = 2}, {}))},
      {kDltIpv4, ipv4({.proto = 17}, Frame(5, 0))},
      {kDltIpv4, ipv4({.proto = 17}, udp(1, 2, {}, 3))},
      {kDltIpv4, ipv4({.proto = 1}, Frame(2, 0))},
      {999, Frame(40, 0)},
  };
  for (const auto& [link, frame] : singles) {
    PacketDecoder d;
    EXPECT_EQ(run(d, link, frame).status, DecodeStatus::kAnomaly) << link;
    note(d);
  }
  {
    PacketDecoder d;  // overlap
    (void)run(d, kDltIpv4, v4FragmentWithData(Frame(16, 'a'), 0, true));
    (void)run(d, kDltIpv4, v4FragmentWithData(Frame(16, 'b'), 8, true));
    note(d);
  }
  {
    DecoderLimits limits;  // table full and timeout
    limits.maxPendingDatagrams = 1;
    limits.fragmentTimeoutMicros = 10;
    PacketDecoder d(limits);
    (void)run(d, kDltIpv4, v4FragmentWithData(Frame(8, 0), 0, true, 1), 0);
    (void)run(d, kDltIpv4, v4FragmentWithData(Frame(8, 0), 0, true, 2), 1);
    (void)run(d, kDltIpv4, ipv4({}, tcp({}, {})), 100);
    note(d);
  }
  for (size_t i = 0; i < kAnomalyCount; ++i) {
    EXPECT_TRUE(seen.count(static_cast<Anomaly>(i)) == 1)
        << "no frame produces " << anomalyName(static_cast<Anomaly>(i));
  }
}

// The committed fuzz seeds are valid inputs in the target's format (see packet_decoder_fuzz.cc):
// single frames decode to packets, `seq_*` files reassemble.
TEST(Robustness, FuzzSeedCorpusIsValid) {
  constexpr int kFuzzLinks[] = {1, 113, 276, 101, 12, 228, 229, 0, 108};
  const std::filesystem::path dir =
      std::filesystem::path(MAMORI_SOURCE_DIR) / "tests/fuzz/corpus/packet_decoder";
  size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("seed_", 0) != 0 && name.rfind("seq_", 0) != 0) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    const Frame input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(input.empty()) << name;
    const int link = kFuzzLinks[input[0] % 9];
    PacketDecoder d;
    if (name.rfind("seed_", 0) == 0) {
      EXPECT_EQ(run(d, link, Frame(input.begin() + 1, input.end())).status, DecodeStatus::kPacket)
          << name;
    } else {
      size_t pos = 1;
      while (input.size() - pos >= 3) {
        const size_t length = size_t{input[pos]} << 8 | input[pos + 1];
        pos += 3;
        const size_t take = std::min(length, input.size() - pos);
        (void)run(d, link,
                  Frame(input.begin() + static_cast<long>(pos),
                        input.begin() + static_cast<long>(pos + take)));
        pos += take;
      }
      EXPECT_EQ(d.reassembledDatagrams(), 1u) << name;
    }
    EXPECT_EQ(d.anomalies().total(), 0u) << name;
    ++seeds;
  }
  EXPECT_GE(seeds, 8u);
}

// ---- vocabulary and internals -------------------------------------------------------------------

TEST(Anomalies, NamesAreUniqueSnakeCase) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kAnomalyCount; ++i) {
    const auto name = anomalyName(static_cast<Anomaly>(i));
    ASSERT_FALSE(name.empty());
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    }
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(anomalyName(Anomaly::kTruncatedIpv4), "truncated_ipv4");
  EXPECT_EQ(anomalyName(Anomaly::kUnknownLinkType), "unknown_link_type");
}

TEST(Anomalies, TotalSumsAllCounters) {
  AnomalyCounters c;
  EXPECT_EQ(c.total(), 0u);
  c.add(Anomaly::kBadFragment);
  c.add(Anomaly::kBadFragment);
  c.add(Anomaly::kTruncatedTcp);
  EXPECT_EQ(c.total(), 3u);
  EXPECT_EQ(c.counts[static_cast<size_t>(Anomaly::kBadFragment)], 2u);
}

}  // namespace
}  // namespace mamori::sensor
