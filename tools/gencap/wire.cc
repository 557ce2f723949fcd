#include "wire.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "mamori/core/result.h"

namespace mamori::gencap {

uint16_t checkedU16(size_t v, const char* what) {
  if (v > 0xFFFF) throw Failure(std::string(what) + " too large (" + std::to_string(v) + ")");
  return static_cast<uint16_t>(v);
}

uint8_t checkedU8(size_t v, const char* what) {
  if (v > 0xFF) throw Failure(std::string(what) + " too large (" + std::to_string(v) + ")");
  return static_cast<uint8_t>(v);
}

uint64_t checksumAdd(uint64_t sum, std::span<const uint8_t> data) {
  // The one's-complement sum does not depend on byte order (RFC 1071 section 2): add native
  // 32-bit words, fold to 16 bits, and swap the result into big-endian order on little-endian
  // hosts. Several times faster than assembling 16-bit words byte by byte.
  const size_t n = data.size();
  const uint8_t* p = data.data();
  uint64_t native = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    native += w;
  }
  for (; i + 1 < n; i += 2) {
    uint16_t w;
    std::memcpy(&w, p + i, 2);
    native += w;
  }
  while (native >> 16) native = (native & 0xFFFF) + (native >> 16);
  auto folded = static_cast<uint16_t>(native);
  if constexpr (std::endian::native == std::endian::little) {
    folded = static_cast<uint16_t>((folded >> 8) | (folded << 8));
  }
  sum += folded;
  if (i < n) sum += uint32_t{p[i]} << 8;
  return sum;
}

uint16_t checksumFold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xFFFF);
}

namespace {

size_t addressLength(const IpAddress& a) {
  return a.isV4() ? 4 : 16;
}

std::span<const uint8_t> addressBytes(const IpAddress& a) {
  return {a.bytes().data(), addressLength(a)};
}

void requireSameFamily(const IpParams& ip) {
  if (ip.src.family() != ip.dst.family() || ip.src.family() == 0) {
    throw Failure("internal: packet endpoints must be two addresses of one family");
  }
}

// Appends the IPv4 header; `fragment` holds the flags+offset field (DF is added from ip).
void appendIpv4Header(Bytes& out, const IpParams& ip, uint8_t proto, size_t payloadLen,
                      uint16_t fragment) {
  const size_t start = out.size();
  put8(out, 0x45);
  put8(out, 0);
  put16(out, checkedU16(20 + payloadLen, "IPv4 total length"));
  put16(out, ip.ipId);
  put16(out, static_cast<uint16_t>(fragment | (ip.dontFragment ? 0x4000 : 0)));
  put8(out, ip.ttl);
  put8(out, proto);
  put16(out, 0);
  putBytes(out, addressBytes(ip.src));
  putBytes(out, addressBytes(ip.dst));
  set16(out, start + 10, checksumFold(checksumAdd(0, {out.data() + start, 20})));
}

void appendIpv6Header(Bytes& out, const IpParams& ip, uint8_t nextHeader, size_t payloadLen) {
  put32(out, 0x60000000U | (ip.flowLabel & 0xFFFFF));
  put16(out, checkedU16(payloadLen, "IPv6 payload length"));
  put8(out, nextHeader);
  put8(out, ip.ttl);
  putBytes(out, addressBytes(ip.src));
  putBytes(out, addressBytes(ip.dst));
}

// Writes the IP header(s) for an unfragmented packet carrying `l4Len` bytes of protocol `proto`;
// returns the offset where the L4 header starts.
size_t appendIpHeaders(Bytes& out, const IpParams& ip, uint8_t proto, size_t l4Len) {
  requireSameFamily(ip);
  if (ip.src.isV4()) {
    appendIpv4Header(out, ip, proto, l4Len, 0);
    return out.size();
  }
  if (!ip.hopByHop) {
    appendIpv6Header(out, ip, proto, l4Len);
    return out.size();
  }
  // Hop-by-Hop header of 8 bytes: next header, length 0 (= 8 bytes), PadN option of 4 zero bytes.
  appendIpv6Header(out, ip, kProtoHopByHop, l4Len + 8);
  const uint8_t hbh[8] = {proto, 0, 1, 4, 0, 0, 0, 0};
  putBytes(out, hbh);
  return out.size();
}

}  // namespace

uint16_t transportChecksum(const IpAddress& src, const IpAddress& dst, uint8_t proto,
                           std::span<const uint8_t> segment) {
  uint64_t sum = checksumAdd(0, addressBytes(src));
  sum = checksumAdd(sum, addressBytes(dst));
  sum += proto;
  sum += segment.size();  // IPv4: 16-bit length; IPv6: 32-bit length, same sum for < 2^32
  return checksumFold(checksumAdd(sum, segment));
}

void buildTcp(Bytes& out, const IpParams& ip, const TcpParams& t,
              std::span<const uint8_t> payload) {
  out.clear();
  const size_t headerLen = t.mss != 0 ? 32 : 20;
  const size_t l4 = appendIpHeaders(out, ip, kProtoTcp, headerLen + payload.size());
  put16(out, t.sport);
  put16(out, t.dport);
  put32(out, t.seq);
  put32(out, t.ack);
  put8(out, static_cast<uint8_t>((headerLen / 4) << 4));
  put8(out, t.flags);
  put16(out, t.window);
  put16(out, 0);  // checksum
  put16(out, 0);  // urgent pointer
  if (t.mss != 0) {
    const uint8_t options[12] = {2,
                                 4,
                                 static_cast<uint8_t>(t.mss >> 8),
                                 static_cast<uint8_t>(t.mss),
                                 1,
                                 1,
                                 4,
                                 2,  // NOP, NOP, SACK permitted
                                 1,
                                 3,
                                 3,
                                 7};  // NOP, window scale 7
    putBytes(out, options);
  }
  putBytes(out, payload);
  set16(out, l4 + 16,
        transportChecksum(ip.src, ip.dst, kProtoTcp, {out.data() + l4, out.size() - l4}));
}

void buildUdp(Bytes& out, const IpParams& ip, uint16_t sport, uint16_t dport,
              std::span<const uint8_t> payload) {
  out.clear();
  const size_t udpLen = 8 + payload.size();
  const size_t l4 = appendIpHeaders(out, ip, kProtoUdp, udpLen);
  put16(out, sport);
  put16(out, dport);
  put16(out, checkedU16(udpLen, "UDP length"));
  put16(out, 0);
  putBytes(out, payload);
  uint16_t sum = transportChecksum(ip.src, ip.dst, kProtoUdp, {out.data() + l4, udpLen});
  if (sum == 0) sum = 0xFFFF;  // zero means "no checksum" in UDP
  set16(out, l4 + 6, sum);
}

void buildIcmpEcho(Bytes& out, const IpParams& ip, bool reply, uint16_t id, uint16_t seq,
                   std::span<const uint8_t> data) {
  out.clear();
  const bool v6 = ip.src.isV6();
  const uint8_t proto = v6 ? kProtoIcmpv6 : kProtoIcmp;
  const size_t len = 8 + data.size();
  const size_t l4 = appendIpHeaders(out, ip, proto, len);
  uint8_t type = reply ? 0 : 8;
  if (v6) type = reply ? 129 : 128;
  put8(out, type);
  put8(out, 0);
  put16(out, 0);
  put16(out, id);
  put16(out, seq);
  putBytes(out, data);
  const std::span<const uint8_t> msg{out.data() + l4, len};
  // ICMPv6 covers the pseudo-header; ICMPv4 covers only the message.
  set16(out, l4 + 2,
        v6 ? transportChecksum(ip.src, ip.dst, proto, msg) : checksumFold(checksumAdd(0, msg)));
}

std::vector<Bytes> buildUdpFragments(const IpParams& ip, uint32_t fragmentId, uint16_t sport,
                                     uint16_t dport, std::span<const uint8_t> payload,
                                     size_t maxFragmentData) {
  requireSameFamily(ip);
  // Build the whole datagram once so the UDP checksum covers the reassembled payload.
  Bytes whole;
  buildUdp(whole, IpParams{ip.src, ip.dst, 0, 64, 0, false, false}, sport, dport, payload);
  const size_t ipHeader = ip.src.isV4() ? 20 : 40;
  const std::span<const uint8_t> datagram{whole.data() + ipHeader, whole.size() - ipHeader};

  const size_t chunk = maxFragmentData / 8 * 8;
  if (chunk == 0) throw Failure("internal: fragment size below 8 bytes");
  std::vector<Bytes> fragments;
  for (size_t offset = 0; offset < datagram.size(); offset += chunk) {
    const size_t len = std::min(chunk, datagram.size() - offset);
    const bool more = offset + len < datagram.size();
    const uint16_t units = checkedU16(offset / 8, "fragment offset");
    if (units > 0x1FFF) throw Failure("fragment offset too large");
    Bytes frag;
    if (ip.src.isV4()) {
      IpParams p = ip;
      p.dontFragment = false;
      appendIpv4Header(frag, p, kProtoUdp, len, static_cast<uint16_t>(units | (more ? 0x2000 : 0)));
    } else {
      appendIpv6Header(frag, ip, kProtoIpv6Fragment, 8 + len);
      put8(frag, kProtoUdp);
      put8(frag, 0);
      put16(frag, static_cast<uint16_t>((units << 3) | (more ? 1 : 0)));
      put32(frag, fragmentId);
    }
    putBytes(frag, datagram.subspan(offset, len));
    fragments.push_back(std::move(frag));
  }
  return fragments;
}

}  // namespace mamori::gencap
