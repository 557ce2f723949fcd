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

void pushBe16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}

}  // namespace

CaptureWriter::CaptureWriter(const std::string& path, CaptureFormat format, LinkType link)
    : path_(path), format_(format), link_(link) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    throw Failure("cannot open output file '" + path + "': " + std::strerror(errno));
  }
  buffer_.reserve(kBufferBytes + 70000);
  frame_.reserve(70000);
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
  frame_.clear();
  if (link_ == LinkType::kEthernet) {
    // The MACs follow the IP endpoints (v4 at header offset 12/16, v6 at 8/24).
    const size_t srcAt = v6 ? 8 : 12;
    const size_t addrLen = v6 ? 16 : 4;
    uint8_t src[6];
    uint8_t dst[6];
    if (ipPacket.size() < srcAt + 2 * addrLen) throw Failure("internal: short IP header");
    macFor(ipPacket.subspan(srcAt, addrLen), src);
    macFor(ipPacket.subspan(srcAt + addrLen, addrLen), dst);
    frame_.insert(frame_.end(), dst, dst + 6);
    frame_.insert(frame_.end(), src, src + 6);
    for (uint8_t i = 0; i < vlans.count && i < 2; ++i) {
      pushBe16(frame_, vlans.tpid[i]);
      pushBe16(frame_, static_cast<uint16_t>(vlans.vid[i] & 0x0FFF));
    }
    pushBe16(frame_, ethertype);
  } else if (link_ == LinkType::kSll) {
    // Linux cooked header v1: packet type 3 (to another host, as seen by a tap), ARPHRD_ETHER,
    // 6-byte source address padded to 8, protocol.
    pushBe16(frame_, 3);
    pushBe16(frame_, 1);
    pushBe16(frame_, 6);
    uint8_t src[6];
    macFor(ipPacket.subspan(v6 ? 8 : 12, v6 ? 16 : 4), src);
    frame_.insert(frame_.end(), src, src + 6);
    frame_.push_back(0);
    frame_.push_back(0);
    pushBe16(frame_, ethertype);
  }
  frame_.insert(frame_.end(), ipPacket.begin(), ipPacket.end());
  if (link_ == LinkType::kEthernet && frame_.size() < 60) frame_.resize(60, 0);

  const auto len = static_cast<uint32_t>(frame_.size());
  if (format_ == CaptureFormat::kPcap) {
    appendLe32(static_cast<uint32_t>(timestampMicros / 1000000));
    appendLe32(static_cast<uint32_t>(timestampMicros % 1000000));
    appendLe32(len);
    appendLe32(len);
    append(frame_);
  } else {
    const uint32_t padded = (len + 3) & ~3U;
    const uint32_t total = 32 + padded;
    appendLe32(6);  // Enhanced Packet Block
    appendLe32(total);
    appendLe32(0);  // interface 0
    appendLe32(static_cast<uint32_t>(timestampMicros >> 32));
    appendLe32(static_cast<uint32_t>(timestampMicros));
    appendLe32(len);
    appendLe32(len);
    append(frame_);
    buffer_.resize(buffer_.size() + (padded - len), 0);
    appendLe32(total);
  }
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
