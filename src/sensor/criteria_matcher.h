// CriteriaMatcher: an order's criteria compiled for the packet path.
//
// Every match is reported as a bit in a 64-bit mask (bit i = criterion i). Payload patterns run on
// vectorscan and report only the criterion index: matched bytes are never copied out.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mamori/core/domain_set.h"
#include "mamori/core/prefix_set.h"
#include "mamori/core/result.h"
#include "mamori/sensor/selection_order.h"

struct hs_database;
struct hs_scratch;
struct hs_stream;

namespace mamori::sensor {

class CriteriaMatcher {
 public:
  // Compiles the order's criteria; errors name the criterion (e.g. a pattern vectorscan rejects).
  static Result<std::unique_ptr<CriteriaMatcher>> build(const SelectionOrder& order);
  ~CriteriaMatcher();
  CriteriaMatcher(const CriteriaMatcher&) = delete;
  CriteriaMatcher& operator=(const CriteriaMatcher&) = delete;

  uint64_t matchAddress(const IpAddress& a) const {
    uint64_t m = 0;
    for (uint32_t tag : addresses_.lookup(a)) m |= uint64_t{1} << tag;
    return m;
  }
  uint64_t matchDomain(std::string_view name) const {
    uint64_t m = 0;
    domains_.forEachMatch(name, [&](uint32_t tag) { m |= uint64_t{1} << tag; });
    return m;
  }
  uint64_t matchPort(uint16_t responderPort, uint8_t ipProto) const {
    return portAny_[responderPort] | (ipProto == 6 ? portTcp_[responderPort] : 0) |
           (ipProto == 17 ? portUdp_[responderPort] : 0);
  }
  uint64_t matchJa4(std::string_view ja4) const;

  bool hasPatterns() const { return streamDb_ != nullptr; }
  bool hasDomains() const { return domains_.size() > 0; }
  bool hasJa4() const { return !ja4_.empty(); }

  // Stream-mode scanning for TCP: one stream per flow direction.
  hs_stream* openStream() const;
  // Scans more in-order bytes of a stream, OR-ing matched criteria into `mask`.
  void scanStream(hs_stream* stream, std::span<const uint8_t> bytes, uint64_t& mask) const;
  // Ends a stream (reporting end-anchored matches) and frees it.
  void closeStream(hs_stream* stream, uint64_t& mask) const;
  // Block-mode scanning for one datagram (UDP, ICMP).
  void scanBlock(std::span<const uint8_t> bytes, uint64_t& mask) const;
  size_t streamStateBytes() const { return streamSize_; }

  size_t memoryBytes() const;

 private:
  CriteriaMatcher() = default;

  PrefixSet addresses_;
  DomainSuffixSet domains_;
  std::vector<uint64_t> portAny_, portTcp_, portUdp_;
  std::unordered_map<std::string, uint64_t> ja4_;
  hs_database* streamDb_ = nullptr;
  hs_database* blockDb_ = nullptr;
  hs_scratch* scratch_ = nullptr;  // single-threaded pipeline: one scratch
  size_t streamSize_ = 0;
};

}  // namespace mamori::sensor
