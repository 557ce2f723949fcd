// Selection orders: what the oversight commission approved the sensor to keep.
//
// An order is a JSON document signed by the commission in a DSSE envelope (payload type
// kOrderPayloadType). The sensor refuses any order that is unsigned or signed by another key,
// malformed, outside its validity window, or whose scopes include domestic-domestic (内内), which
// the law never allows to be analysed. docs/selection-order.md specifies the format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/ip_address.h"
#include "mamori/core/result.h"
#include "mamori/core/signing.h"

namespace mamori::sensor {

inline constexpr std::string_view kOrderPayloadType = "application/vnd.mamori.selection-order+json";

// Direction class of a flow, initiator → responder, by the domestic prefix set.
enum class DirectionClass : uint8_t {
  kForeignForeign = 0,    // 外外
  kForeignDomestic = 1,   // 外内
  kDomesticForeign = 2,   // 内外
  kDomesticDomestic = 3,  // 内内: never analysed
};
inline constexpr size_t kDirectionClassCount = 4;
std::string_view directionClassName(DirectionClass c);
Result<DirectionClass> parseDirectionClass(std::string_view name);

// A criterion selects flows by one kind of indicator; list forms ("ips", "domains", ...) hold many
// values under one id.
struct Criterion {
  enum class Kind : uint8_t { kAddress, kDomain, kPort, kJa4, kPattern };
  struct PortSpec {
    uint16_t port;
    uint8_t ipProto;  // 0 = any transport
  };
  std::string id;
  Kind kind = Kind::kAddress;
  std::vector<IpPrefix> prefixes;    // kAddress
  std::vector<std::string> domains;  // kDomain
  std::vector<PortSpec> ports;       // kPort: matches the responder's port
  std::vector<std::string> ja4;      // kJa4
  std::string pattern;               // kPattern: a vectorscan (PCRE-subset) expression
  bool patternIsLiteral = false;     // "hex:" patterns are exact byte strings
  bool caseless = false;
};

// At most this many criteria per order, so a flow's matches fit one 64-bit mask. Each criterion
// may carry any number of values.
inline constexpr size_t kMaxCriteria = 64;

struct SelectionOrder {
  std::string id;
  std::string purpose;
  uint8_t scopeMask = 0;  // bit (1 << DirectionClass)
  int64_t validFrom = 0;  // microseconds since epoch
  int64_t validUntil = 0;
  std::vector<Criterion> criteria;
  std::string sha256;     // hex SHA-256 of the exact order JSON bytes that were signed

  bool inScope(DirectionClass c) const { return (scopeMask >> static_cast<unsigned>(c)) & 1U; }
  bool validAt(int64_t micros) const { return micros >= validFrom && micros < validUntil; }
};

// Parses and validates an order document (no signature check). Errors name the field and the
// criterion, e.g. "criteria[3] (c4): port must be 1..65535".
Result<SelectionOrder> parseSelectionOrder(std::string_view json);

// Reads a signed order file, verifies its signature with `trusted`, parses it, and checks it is
// valid at `atMicros`. Every refusal says why, naming the file.
Result<SelectionOrder> loadSignedOrder(const std::filesystem::path& path, const VerifyKey& trusted,
                                       int64_t atMicros);

}  // namespace mamori::sensor
