// CaptureWriter: streams IP packets into a classic pcap or a pcapng file, adding the link layer.
//
// Written by hand (no libpcap) so the bytes are fully determined by the inputs: fixed little-endian
// byte order, microsecond timestamps, no host name or OS string in the pcapng section header.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace mamori::gencap {

enum class CaptureFormat { kPcap, kPcapng };
enum class LinkType { kEthernet, kSll, kRaw };

// 802.1Q / 802.1ad tags, outermost first. Only written on Ethernet; other links drop them, as a
// Linux cooked capture does.
struct VlanTags {
  uint8_t count = 0;
  uint16_t tpid[2] = {0, 0};
  uint16_t vid[2] = {0, 0};
};

class CaptureWriter {
 public:
  // Opens (truncates) `path` and writes the file header. Throws mamori::Failure naming the path.
  CaptureWriter(const std::string& path, CaptureFormat format, LinkType link);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // `ipPacket` starts with the IPv4 or IPv6 header. Ethernet frames shorter than 60 bytes are
  // zero-padded the way a NIC delivers them, so readers must use the IP length, not the frame's.
  void write(uint64_t timestampMicros, std::span<const uint8_t> ipPacket,
             const VlanTags& vlans = {});
  // Flushes and closes; throws on any write error. Must be called for a complete file.
  void finish();

  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytesWritten_; }

 private:
  void append(std::span<const uint8_t> data);
  void appendLe16(uint16_t v);
  void appendLe32(uint32_t v);
  void flush();

  std::string path_;
  std::FILE* file_ = nullptr;
  CaptureFormat format_;
  LinkType link_;
  std::vector<uint8_t> buffer_;
  uint64_t packets_ = 0;
  uint64_t bytesWritten_ = 0;
};

}  // namespace mamori::gencap
