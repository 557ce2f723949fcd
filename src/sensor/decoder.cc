// Packet decoder: link layer → IP → transport, on untrusted capture bytes.
//
// Choices worth knowing when reading the counts:
// - The decoder sees only the captured bytes, not the original wire length, so an IP header whose
//   length field exceeds what was captured is treated as a snapped frame (a short snaplen), not as
//   malformed: the packet is decoded from the bytes there are and ipLength reports the header's
//   value. kBadIpv4TotalLength therefore means "total length smaller than the header itself".
//   A total length of 0 (TSO segments captured on the sending host) means "as captured".
//   Transport length checks (TCP data offset, UDP length) are made against the length the IP
//   header declares; running out of captured bytes before a transport header ends is a
//   truncation (kTruncatedTcp / kTruncatedUdp), exceeding the declared length is a bad length.
// - A fragment that was snapped cannot be reassembled faithfully, so it is counted as a
//   truncation (kTruncatedIpv4 / kTruncatedIpv6) and not entered into the fragment table.
// - For raw IP link types (101, 12) an empty frame counts as kTruncatedIpv4 and a version nibble
//   other than 4 or 6 as kBadIpv4Version.
// - An IPv6 payload length of zero with a hop-by-hop header is taken as a jumbogram (RFC 2675):
//   the captured bytes bound the datagram.
#include "mamori/sensor/decoder.h"

#include <algorithm>

#include "fragments.h"
#include "mamori/core/byte_cursor.h"

namespace mamori::sensor {

std::string_view anomalyName(Anomaly a) {
  switch (a) {
#define MAMORI_ANOMALY_NAME(id, name) \
  case Anomaly::k##id:                \
    return name;
    MAMORI_ANOMALIES(MAMORI_ANOMALY_NAME)
#undef MAMORI_ANOMALY_NAME
    case Anomaly::kCount:
      break;
  }
  return "unknown";
}

uint64_t AnomalyCounters::total() const {
  uint64_t sum = 0;
  for (const uint64_t c : counts) {
    sum += c;
  }
  return sum;
}

bool isSupportedLinkType(int dlt) {
  switch (static_cast<LinkType>(dlt)) {
    case LinkType::kNull:
    case LinkType::kEthernet:
    case LinkType::kRaw:
    case LinkType::kRawAlt:
    case LinkType::kLoop:
    case LinkType::kLinuxSll:
    case LinkType::kIpv4:
    case LinkType::kIpv6:
    case LinkType::kLinuxSll2:
      return true;
  }
  return false;
}

struct PacketDecoder::Reassembler {
  Reassembler(const DecoderLimits& limits, AnomalyCounters& anomalies) : table(limits, anomalies) {}
  FragmentTable table;
};

namespace {

using Bytes = std::span<const uint8_t>;

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQLegacy = 0x9100;

constexpr size_t kEthernetHeader = 14;
constexpr size_t kSllHeader = 16;
constexpr size_t kSll2Header = 20;
constexpr size_t kLoopbackHeader = 4;
constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kTcpMinHeader = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kIcmpHeader = 8;
constexpr int kMaxIpv6ExtHeaders = 16;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv6Fragment = 44;
constexpr uint8_t kProtoEsp = 50;
constexpr uint8_t kProtoAh = 51;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kProtoNoNext = 59;

// Extension headers in the RFC 8200 §4 / RFC 6564 uniform format (next header, length in 8-octet
// units not counting the first): hop-by-hop, routing, destination options, mobility, HIP, shim6,
// and the two experimental numbers.
bool isUniformExtHeader(uint8_t next) {
  switch (next) {
    case 0:
    case 43:
    case 60:
    case 135:
    case 139:
    case 140:
    case 253:
    case 254:
      return true;
    default:
      return false;
  }
}

// One decode call's state; lives on the stack so the per-packet path allocates nothing.
class FrameDecoder {
 public:
  FrameDecoder(const DecoderLimits& limits, AnomalyCounters& anomalies, FragmentTable& fragments,
               uint64_t& nonIp, uint64_t& reassembled, DecodedPacket& out)
      : limits_(limits),
        anomalies_(anomalies),
        fragments_(fragments),
        nonIp_(nonIp),
        reassembled_(reassembled),
        out_(out) {}

  DecodeStatus link(int linkType, Bytes frame) {
    switch (static_cast<LinkType>(linkType)) {
      case LinkType::kEthernet:
        return ethernet(frame);
      case LinkType::kLinuxSll:
        return sll(frame);
      case LinkType::kLinuxSll2:
        return sll2(frame);
      case LinkType::kRaw:
      case LinkType::kRawAlt:
        return rawIp(frame);
      case LinkType::kIpv4:
        return ipv4(frame);
      case LinkType::kIpv6:
        return ipv6(frame);
      case LinkType::kNull:
        return loopback(frame, /*networkOrder=*/false);
      case LinkType::kLoop:
        return loopback(frame, /*networkOrder=*/true);
    }
    return anomaly(Anomaly::kUnknownLinkType);
  }

 private:
  DecodeStatus anomaly(Anomaly a) {
    anomalies_.add(a);
    return DecodeStatus::kAnomaly;
  }
  DecodeStatus notIp() {
    ++nonIp_;
    return DecodeStatus::kConsumed;
  }

  DecodeStatus ethernet(Bytes frame) {
    ByteCursor c(frame);
    c.skip(kEthernetHeader - 2);  // destination and source MAC
    const uint16_t type = c.u16be();
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedEthernet);
    }
    return etherType(type, c);
  }

  DecodeStatus sll(Bytes frame) {
    ByteCursor c(frame);
    c.skip(kSllHeader - 2);  // packet type, ARPHRD, address length, address
    const uint16_t protocol = c.u16be();
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedSll);
    }
    return etherType(protocol, c);
  }

  DecodeStatus sll2(Bytes frame) {
    ByteCursor c(frame);
    const uint16_t protocol = c.u16be();
    c.skip(kSll2Header - 2);  // reserved, ifindex, ARPHRD, packet type, address length, address
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedSll);
    }
    return etherType(protocol, c);
  }

  // `c` stands just after the type field. libpcap re-inserts offloaded VLAN tags after SLL
  // headers too, so tags are walked for every link type that carries an EtherType.
  DecodeStatus etherType(uint16_t type, ByteCursor& c) {
    uint32_t depth = 0;
    while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQLegacy) {
      if (depth >= limits_.maxVlanDepth) {
        return anomaly(Anomaly::kVlanTooDeep);
      }
      const uint16_t tci = c.u16be();
      type = c.u16be();
      if (!c.ok()) {
        return anomaly(Anomaly::kTruncatedVlan);
      }
      if (depth == 0) {
        out_.vlan = static_cast<uint16_t>(tci & 0x0fff);
      }
      ++depth;
    }
    if (type == kEtherIpv4) {
      return ipv4(c.rest());
    }
    if (type == kEtherIpv6) {
      return ipv6(c.rest());
    }
    return notIp();
  }

  DecodeStatus loopback(Bytes frame, bool networkOrder) {
    ByteCursor c(frame);
    const auto b = c.bytes(kLoopbackHeader);
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedLoopback);
    }
    const uint32_t be =
        (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
    const uint32_t le =
        (uint32_t{b[3]} << 24) | (uint32_t{b[2]} << 16) | (uint32_t{b[1]} << 8) | uint32_t{b[0]};
    // DLT_NULL is in the capturing host's order, which the file does not record; families are
    // small numbers, so the reading that fits in 16 bits is the right one.
    const uint32_t family = networkOrder ? be : (le <= 0xffff ? le : be);
    switch (family) {
      case 2:
        return ipv4(c.rest());
      case 24:  // AF_INET6 on NetBSD/OpenBSD
      case 28:  // FreeBSD
      case 30:  // macOS
        return ipv6(c.rest());
      default:
        return notIp();
    }
  }

  DecodeStatus rawIp(Bytes frame) {
    if (frame.empty()) {
      return anomaly(Anomaly::kTruncatedIpv4);
    }
    switch (frame[0] >> 4) {
      case 4:
        return ipv4(frame);
      case 6:
        return ipv6(frame);
      default:
        return anomaly(Anomaly::kBadIpv4Version);
    }
  }

  DecodeStatus ipv4(Bytes frame) {
    ByteCursor c(frame);
    const uint8_t versionIhl = c.u8();
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedIpv4);
    }
    if ((versionIhl >> 4) != 4) {
      return anomaly(Anomaly::kBadIpv4Version);
    }
    c.skip(1);  // DSCP/ECN
    const uint16_t lengthField = c.u16be();
    const uint16_t id = c.u16be();
    const uint16_t flagsOffset = c.u16be();
    c.skip(1);  // TTL
    const uint8_t proto = c.u8();
    c.skip(2);  // checksum: offloading makes captured checksums unreliable, so it is not checked
    const auto src = c.bytes(4);
    const auto dst = c.bytes(4);
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedIpv4);
    }
    const size_t headerLength = size_t{versionIhl & 0x0fu} * 4;
    if (headerLength < kIpv4MinHeader) {
      return anomaly(Anomaly::kBadIpv4HeaderLength);
    }
    if (headerLength > frame.size()) {
      return anomaly(Anomaly::kTruncatedIpv4);
    }
    // A zero total length is what captures on a host doing TCP segmentation offload show for
    // segments handed to the NIC; the captured bytes are then the only length there is.
    const size_t totalLength = lengthField == 0 ? frame.size() : lengthField;
    if (totalLength < headerLength) {
      return anomaly(Anomaly::kBadIpv4TotalLength);
    }

    out_.src = IpAddress::v4Bytes(src.data());
    out_.dst = IpAddress::v4Bytes(dst.data());
    out_.ipProto = proto;
    out_.ipLength = static_cast<uint32_t>(std::min<size_t>(totalLength, UINT32_MAX));
    // Bytes past totalLength are link-layer padding; fewer bytes than totalLength is a snap.
    const size_t available = std::min(totalLength, frame.size());
    const Bytes body = frame.subspan(headerLength, available - headerLength);
    const size_t declaredBody = totalLength - headerLength;

    const bool more = (flagsOffset & 0x2000) != 0;
    const uint32_t offset = uint32_t{flagsOffset & 0x1fffu} * 8;
    if (!more && offset == 0) {
      return transport(proto, body, declaredBody);
    }

    if (available < totalLength) {
      return anomaly(Anomaly::kTruncatedIpv4);
    }
    ReassembledDatagram whole;
    if (const DecodeStatus st = addFragment(4, id, proto, body, offset, more, headerLength, proto, whole);
        st != DecodeStatus::kPacket) {
      return st;
    }
    return transport(whole.nextHeader, whole.data, whole.data.size());
  }

  DecodeStatus ipv6(Bytes frame) {
    ByteCursor c(frame);
    const uint8_t version = c.u8();
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedIpv6);
    }
    if ((version >> 4) != 6) {
      return anomaly(Anomaly::kBadIpv6Version);
    }
    c.skip(3);  // traffic class, flow label
    const uint16_t payloadLength = c.u16be();
    const uint8_t next = c.u8();
    c.skip(1);  // hop limit
    const auto src = c.bytes(16);
    const auto dst = c.bytes(16);
    if (!c.ok()) {
      return anomaly(Anomaly::kTruncatedIpv6);
    }

    out_.src = IpAddress::v6Bytes(src.data());
    out_.dst = IpAddress::v6Bytes(dst.data());
    const bool jumbo = payloadLength == 0 && next == 0;
    const size_t declaredEnd = jumbo ? frame.size() : kIpv6Header + payloadLength;
    out_.ipLength = static_cast<uint32_t>(std::min<size_t>(declaredEnd, UINT32_MAX));
    const Bytes region = frame.first(std::min(declaredEnd, frame.size()));
    return ipv6Chain(region, declaredEnd, kIpv6Header, next, /*reassembled=*/false);
  }

  // Walks extension headers from `pos` in `region` (the captured part of a datagram whose
  // declared end is `declaredEnd`), then decodes the upper layer.
  DecodeStatus ipv6Chain(Bytes region, size_t declaredEnd, size_t pos, uint8_t next,
                         bool reassembled) {
    for (int headers = 0;
         isUniformExtHeader(next) || next == kProtoAh || next == kProtoIpv6Fragment; ++headers) {
      if (headers == kMaxIpv6ExtHeaders) {
        return anomaly(Anomaly::kIpv6ExtHeaderChainTooLong);
      }
      ByteCursor c(region);
      c.seek(pos);
      if (next == kProtoIpv6Fragment) {
        const uint8_t fragmentNext = c.u8();
        c.skip(1);
        const uint16_t offsetFlags = c.u16be();
        const uint32_t id = c.u32be();
        if (!c.ok()) {
          return anomaly(Anomaly::kTruncatedIpv6ExtHeader);
        }
        const uint32_t offset = uint32_t{static_cast<uint16_t>(offsetFlags >> 3)} * 8;
        const bool more = (offsetFlags & 1) != 0;
        if (offset == 0 && !more) {
          // Atomic fragment: processed on its own, never mixed with other fragments (RFC 6946).
          pos = c.position();
          next = fragmentNext;
          continue;
        }
        if (reassembled) {
          return anomaly(Anomaly::kBadFragment);  // fragments inside fragments
        }
        if (region.size() < declaredEnd) {
          return anomaly(Anomaly::kTruncatedIpv6);
        }
        return ipv6Fragment(c.rest(), pos, fragmentNext, id, offset, more);
      }
      const uint8_t headerNext = c.u8();
      const uint8_t units = c.u8();
      if (!c.ok()) {
        return anomaly(Anomaly::kTruncatedIpv6ExtHeader);
      }
      // AH counts 4-octet units minus 2 (RFC 4302); the others 8-octet units minus 1.
      const size_t length = next == kProtoAh ? (size_t{units} + 2) * 4 : (size_t{units} + 1) * 8;
      c.seek(pos);
      c.skip(length);
      if (!c.ok()) {
        return anomaly(Anomaly::kTruncatedIpv6ExtHeader);
      }
      pos = c.position();
      next = headerNext;
    }
    out_.ipProto = next;
    const Bytes rest = region.subspan(pos);
    if (next == kProtoEsp || next == kProtoNoNext) {
      out_.payload = rest;  // encrypted or nothing: opaque, no ports
      return DecodeStatus::kPacket;
    }
    return transport(next, rest, declaredEnd - pos);
  }

  // Adds a fragment of the current packet (addresses already in out_) to the reassembly table.
  // kPacket with `whole` filled when its datagram is now complete; otherwise what decode returns.
  DecodeStatus addFragment(uint8_t family, uint32_t id, uint8_t keyProto, Bytes data,
                           uint32_t offset, bool more, size_t headerLength, uint8_t next,
                           ReassembledDatagram& whole) {
    Fragment f;
    f.key.src = out_.src.bytes();
    f.key.dst = out_.dst.bytes();
    f.key.id = id;
    f.key.proto = keyProto;
    f.key.family = family;
    f.data = data;
    f.offset = offset;
    f.more = more;
    f.headerLength = static_cast<uint32_t>(headerLength);
    f.nextHeader = next;
    switch (fragments_.add(f, whole)) {
      case FragmentVerdict::kHeld:
        return DecodeStatus::kConsumed;
      case FragmentVerdict::kRejected:
        return DecodeStatus::kAnomaly;
      case FragmentVerdict::kComplete:
        break;
    }
    ++reassembled_;
    out_.ipLength = static_cast<uint32_t>(whole.headerLength + whole.data.size());
    return DecodeStatus::kPacket;
  }

  DecodeStatus ipv6Fragment(Bytes data, size_t unfragmentableLength, uint8_t next, uint32_t id,
                            uint32_t offset, bool more) {
    // RFC 8200 keys reassembly on addresses and id only, hence protocol 0.
    ReassembledDatagram whole;
    if (const DecodeStatus st =
            addFragment(6, id, 0, data, offset, more, unfragmentableLength, next, whole);
        st != DecodeStatus::kPacket) {
      return st;
    }
    return ipv6Chain(whole.data, whole.data.size(), 0, whole.nextHeader, /*reassembled=*/true);
  }

  // `data` is the captured transport segment; `declared` its length per the IP header (>= size).
  DecodeStatus transport(uint8_t proto, Bytes data, size_t declared) {
    out_.ipProto = proto;
    ByteCursor c(data);
    switch (proto) {
      case kProtoTcp: {
        out_.sport = c.u16be();
        out_.dport = c.u16be();
        out_.tcpSeq = c.u32be();
        c.skip(4);  // acknowledgment number
        const uint8_t dataOffset = c.u8();
        out_.tcpFlags = c.u8();
        if (!c.ok() || data.size() < kTcpMinHeader) {
          return anomaly(Anomaly::kTruncatedTcp);
        }
        const size_t headerLength = size_t{static_cast<uint8_t>(dataOffset >> 4)} * 4;
        if (headerLength < kTcpMinHeader || headerLength > declared) {
          return anomaly(Anomaly::kBadTcpHeaderLength);
        }
        if (headerLength > data.size()) {
          return anomaly(Anomaly::kTruncatedTcp);
        }
        out_.payload = data.subspan(headerLength);
        return DecodeStatus::kPacket;
      }
      case kProtoUdp: {
        out_.sport = c.u16be();
        out_.dport = c.u16be();
        const uint16_t length = c.u16be();
        if (!c.ok() || data.size() < kUdpHeader) {
          return anomaly(Anomaly::kTruncatedUdp);
        }
        if (length < kUdpHeader || length > declared) {
          return anomaly(Anomaly::kBadUdpLength);
        }
        const size_t end = std::min<size_t>(length, data.size());
        out_.payload = data.subspan(kUdpHeader, end - kUdpHeader);
        return DecodeStatus::kPacket;
      }
      case kProtoIcmp:
      case kProtoIcmpv6: {
        const uint8_t type = c.u8();
        const uint8_t code = c.u8();
        c.skip(2);  // checksum
        if (!c.ok()) {
          return anomaly(Anomaly::kTruncatedIcmp);
        }
        // Echo request/reply carry an identifier that ties a reply to its request.
        const bool echo = proto == kProtoIcmp ? (type == 8 || type == 0) : (type == 128 || type == 129);
        out_.sport = echo && c.has(2) ? c.u16be() : 0;
        out_.dport = static_cast<uint16_t>((type << 8) | code);
        if (data.size() > kIcmpHeader) {
          out_.payload = data.subspan(kIcmpHeader);
        }
        return DecodeStatus::kPacket;
      }
      default:
        out_.payload = data;
        return DecodeStatus::kPacket;
    }
  }

  const DecoderLimits& limits_;
  AnomalyCounters& anomalies_;
  FragmentTable& fragments_;
  uint64_t& nonIp_;
  uint64_t& reassembled_;
  DecodedPacket& out_;
};

}  // namespace

PacketDecoder::PacketDecoder(DecoderLimits limits)
    : limits_(limits), reassembler_(std::make_unique<Reassembler>(limits_, anomalies_)) {}

PacketDecoder::~PacketDecoder() = default;

DecodeStatus PacketDecoder::decode(int linkType, std::span<const uint8_t> frame, int64_t tsMicros,
                                   DecodedPacket& out) {
  out = DecodedPacket{};
  out.tsMicros = tsMicros;
  reassembler_->table.expire(tsMicros);
  FrameDecoder decoder(limits_, anomalies_, reassembler_->table, nonIp_, reassembled_, out);
  const DecodeStatus status = decoder.link(linkType, frame);
  if (status != DecodeStatus::kPacket) {
    // Half-filled fields of a frame that did not decode must not be mistaken for a packet.
    out = DecodedPacket{};
    out.tsMicros = tsMicros;
  }
  return status;
}

}  // namespace mamori::sensor
