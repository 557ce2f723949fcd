// Per-flow inspection state: in-order TCP delivery, application metadata, payload patterns.
//
// Held only for flows the order covers, and only in memory. Application parsers see bytes and
// return names (DNS questions, SNI, Host); pattern matching returns criterion bits. Bytes kept for
// an incomplete ClientHello or request head are bounded and freed when the parser is done.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mamori/core/ip_address.h"

struct hs_stream;

namespace mamori::sensor {

enum class AppProto : uint8_t { kUnknown, kDns, kTls, kHttp, kUndetermined };

struct HeldSegment {
  uint32_t seq;
  std::vector<uint8_t> bytes;
};

struct DirectionStream {
  hs_stream* patterns = nullptr;
  std::vector<uint8_t> appBuffer;
  std::vector<HeldSegment> held;  // out-of-order segments waiting for a gap to fill
  uint32_t nextSeq = 0;
  uint32_t inspected = 0;
  bool seqKnown = false;
  bool appDone = false;
  bool patternsDone = false;
};

struct Inspection {
  DirectionStream dir[2];
  AppProto app = AppProto::kUndetermined;
  // Metadata (machine information only).
  struct Question {
    std::string name;
    uint16_t type;
  };
  std::vector<Question> dnsQuestions;
  std::vector<uint8_t> dnsRcodes;
  std::vector<IpAddress> dnsAnswers;
  std::string tlsSni, tlsJa4, tlsJa3;
  uint16_t tlsVersion = 0;
  std::string httpMethod, httpHost;

  void reset() {
    for (auto& d : dir) {
      d.patterns = nullptr;
      d.appBuffer.clear();
      d.held.clear();
      d.nextSeq = d.inspected = 0;
      d.seqKnown = d.appDone = d.patternsDone = false;
    }
    app = AppProto::kUndetermined;
    dnsQuestions.clear();
    dnsRcodes.clear();
    dnsAnswers.clear();
    tlsSni.clear();
    tlsJa4.clear();
    tlsJa3.clear();
    tlsVersion = 0;
    httpMethod.clear();
    httpHost.clear();
  }
};

}  // namespace mamori::sensor
