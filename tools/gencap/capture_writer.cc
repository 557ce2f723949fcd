#include "capture_writer.h"

#include <cerrno>
#include <cstring>

#include "mamori/core/result.h"

namespace mamori::gencap {

namespace {

constexpr size_t kBufferBytes = 1 << 20;
constexpr uint32_t kSnapLength = 262144;

// Link-layer header type values as registered for pcap/pcapng files (tcpdump.org linktypes).
constexpr uint16_t kLinktypeEthernet = 1;
constexpr uint16_t kLinktypeRaw = 101;
constexpr uint16_t kLinktypeLinuxSll = 113;

uint16_t linktype(LinkType link) {
  switch (link) {
    case LinkType::kEthernet:
      return kLinktypeEthernet;
    case LinkType::kSll:
      return kLinktypeLinuxSll;
    case LinkType::kRaw:
      return kLinktypeRaw;
  }
  return kLinktypeRaw;
}

// A stable, locally administered unicast MAC for an IP address, so each host keeps one MAC.
void macFor(std::span<const uint8_t> ipBytes, uint8_t* mac) {
  uint32_t h = 2166136261U;
  for (uint8_t b : ipBytes) h = (h ^ b) * 16777619U;
  mac[0] = 0x02;
  mac[1] = 0x00;
  mac[2] = static_cast<uint8_t>(h >> 24);
  mac[3] = static_cast<uint8_t>(h >> 16);
  mac[4] = static_cast<uint8_t>(h >> 8);
  mac[5] = static_cast<uint8_t>(h);
}

}  // namespace

CaptureWriter::CaptureWriter(const std::string& path, CaptureFormat format, LinkType link)
    : path_(path), format_(format), link_(link) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    throw Failure("cannot open output file '" + path + "': " + std::strerror(errno));
  }
  buffer_.reserve(kBufferBytes + kSnapLength + 64);
  if (format_ == CaptureFormat::kPcap) {
    appendLe32(0xA1B2C3D4);  // microsecond-resolution magic
    appendLe16(2);
    appendLe16(4);
    appendLe32(0);  // thiszone
    appendLe32(0);  // sigfigs
    appendLe32(kSnapLength);
    appendLe32(linktype(link_));
    return;
  }
  // pcapng Section Header Block with one option, shb_userappl (code 4).
  static constexpr char kApp[] = "mamori-gencap";  // 13 bytes, padded to 16
  // Fixed part 28 + option header 4 + value 16 + opt_endofopt 4.
  constexpr uint32_t kShbLength = 28 + 4 + 16 + 4;
  // Fixed part 20 + if_tsresol (header 4 + value padded to 4) + opt_endofopt 4.
  constexpr uint32_t kIdbLength = 20 + 4 + 4 + 4;
  appendLe32(0x0A0D0D0A);
  appendLe32(kShbLength);
  appendLe32(0x1A2B3C4D);
  appendLe16(1);
  appendLe16(0);
  appendLe32(0xFFFFFFFF);  // section length unknown (-1)
  appendLe32(0xFFFFFFFF);
  appendLe16(4);
  appendLe16(sizeof kApp - 1);
  const uint8_t pad[4] = {0, 0, 0, 0};
  append({reinterpret_cast<const uint8_t*>(kApp), sizeof kApp - 1});  // NOLINT: char to bytes
  append({pad, 16 - (sizeof kApp - 1)});
  appendLe32(0);  // opt_endofopt
  appendLe32(kShbLength);
  // Interface Description Block with if_tsresol = 6 (microseconds).
  appendLe32(1);
  appendLe32(kIdbLength);
  appendLe16(linktype(link_));
  appendLe16(0);
  appendLe32(kSnapLength);
  appendLe16(9);
  appendLe16(1);
  const uint8_t tsresol[4] = {6, 0, 0, 0};
  append(tsresol);
  appendLe32(0);
  appendLe32(kIdbLength);
}

CaptureWriter::~CaptureWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void CaptureWriter::append(std::span<const uint8_t> data) {
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

void CaptureWriter::appendLe16(uint16_t v) {
  buffer_.push_back(static_cast<uint8_t>(v));
  buffer_.push_back(static_cast<uint8_t>(v >> 8));
}

void CaptureWriter::appendLe32(uint32_t v) {
  appendLe16(static_cast<uint16_t>(v));
  appendLe16(static_cast<uint16_t>(v >> 16));
}

void CaptureWriter::flush() {
  if (buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    throw Failure("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  bytesWritten_ += buffer_.size();
  buffer_.clear();
}

void CaptureWriter::write(uint64_t timestampMicros, std::span<const uint8_t> ipPacket,
                          const VlanTags& vlans) {
  if (ipPacket.empty()) throw Failure("internal: empty packet");
  const bool v6 = (ipPacket[0] >> 4) == 6;
  const uint16_t ethertype = v6 ? 0x86DD : 0x0800;
  // The link header is built in a small array, then header + packet are copied once.
  uint8_t link[32];
  size_t linkLen = 0;
  const size_t srcAt = v6 ? 8 : 12;
  const size_t addrLen = v6 ? 16 : 4;
  if (ipPacket.size() < srcAt + 2 * addrLen) throw Failure("internal: short IP header");
  auto be16 = [&](uint16_t x) {
    link[linkLen++] = static_cast<uint8_t>(x >> 8);
    link[linkLen++] = static_cast<uint8_t>(x);
  };
  if (link_ == LinkType::kEthernet) {
    // The MACs follow the IP endpoints, so each host keeps one MAC across flows.
    macFor(ipPacket.subspan(srcAt + addrLen, addrLen), link);
    macFor(ipPacket.subspan(srcAt, addrLen), link + 6);
    linkLen = 12;
    for (uint8_t i = 0; i < vlans.count && i < 2; ++i) {
      be16(vlans.tpid[i]);
      be16(static_cast<uint16_t>(vlans.vid[i] & 0x0FFF));
    }
    be16(ethertype);
  } else if (link_ == LinkType::kSll) {
    // Linux cooked header v1: packet type 3 (to another host, as seen by a tap), ARPHRD_ETHER,
    // 6-byte source address padded to 8, protocol.
    be16(3);
    be16(1);
    be16(6);
    macFor(ipPacket.subspan(srcAt, addrLen), link + linkLen);
    linkLen += 6;
    link[linkLen++] = 0;
    link[linkLen++] = 0;
    be16(ethertype);
  }
  size_t frameLen = linkLen + ipPacket.size();
  const size_t padding = link_ == LinkType::kEthernet && frameLen < 60 ? 60 - frameLen : 0;
  frameLen += padding;
  if (frameLen > kSnapLength) throw Failure("internal: frame larger than the snap length");
  const auto len = static_cast<uint32_t>(frameLen);

  if (format_ == CaptureFormat::kPcap) {
    appendLe32(static_cast<uint32_t>(timestampMicros / 1000000));
    appendLe32(static_cast<uint32_t>(timestampMicros % 1000000));
    appendLe32(len);
    appendLe32(len);
  } else {
    appendLe32(6);  // Enhanced Packet Block
    appendLe32(32 + ((len + 3) & ~3U));
    appendLe32(0);  // interface 0
    appendLe32(static_cast<uint32_t>(timestampMicros >> 32));
    appendLe32(static_cast<uint32_t>(timestampMicros));
    appendLe32(len);
    appendLe32(len);
  }
  const size_t at = buffer_.size();
  const size_t blockPad = format_ == CaptureFormat::kPcapng ? ((len + 3) & ~3U) - len : 0;
  buffer_.resize(at + frameLen + blockPad);  // zero-fills Ethernet and block padding
  std::memcpy(buffer_.data() + at, link, linkLen);
  std::memcpy(buffer_.data() + at + linkLen, ipPacket.data(), ipPacket.size());
  if (format_ == CaptureFormat::kPcapng) appendLe32(32 + ((len + 3) & ~3U));
  ++packets_;
  if (buffer_.size() >= kBufferBytes) flush();
}

void CaptureWriter::finish() {
  flush();
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fflush(f) != 0 || std::ferror(f) != 0) {
    const int err = errno;
    std::fclose(f);
    throw Failure("cannot write '" + path_ + "': " + std::strerror(err));
  }
  if (std::fclose(f) != 0) throw Failure("cannot close '" + path_ + "': " + std::strerror(errno));
}

}  // namespace mamori::gencap
