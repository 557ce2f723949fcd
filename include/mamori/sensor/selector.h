// Selector: the selection pipeline of one run.
//
//   frames → decode → flow table → direction class → (in scope only) metadata + criteria
//          → at flow end: selected record (criteria matched, class in scope, inside the order's
//            window) or discarded (only counted)
//
// Nothing leaves a Selector except SelectedRecord values — which have no field that can hold payload
// bytes — and RunCounts. Flows that the order does not cover (domestic-domestic always, and every
// class outside the order's scopes or window) are never inspected at all: they are only counted.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/ip_address.h"
#include "mamori/core/prefix_set.h"
#include "mamori/core/pseudonymizer.h"
#include "mamori/core/result.h"
#include "mamori/sensor/frame_batch.h"
#include "mamori/sensor/packet.h"
#include "mamori/sensor/selection_order.h"

namespace mamori::sensor {

struct SelectorConfig {
  uint64_t flowMemoryBytes = uint64_t{512} << 20;  // bound on flow table + inspection state
  int64_t idleTimeoutMicros = 120'000'000;         // flow ends after this long without packets
  int64_t activeTimeoutMicros = 1'800'000'000;     // long flows are cut into records this long
  int64_t closeLingerMicros = 5'000'000;           // after FIN both ways / RST
  uint32_t inspectDepth = 1 << 20;                 // payload bytes per direction given to patterns
  uint64_t seed = 0;                               // hash seed; 0 = random
};

// Why a flow's record ended.
enum class FlowEnd : uint8_t { kFin, kRst, kIdle, kActiveTimeout, kEvicted, kEndOfInput };
std::string_view flowEndName(FlowEnd e);

// Machine information of one selected flow. Addresses here are already de-identified: domestic
// addresses are pseudonyms. There is deliberately no field for payload.
struct SelectedRecord {
  struct DnsQuery {
    std::string name;
    std::string type;
  };
  std::string id;  // stable record id (hash over pseudonymized key, order and first time)
  std::string order;
  std::vector<std::string> criteria;
  DirectionClass directionClass{};
  uint8_t ipProto = 0;
  IpAddress src, dst;  // initiator, responder
  bool srcDomestic = false, dstDomestic = false;
  uint16_t sport = 0, dport = 0;
  int64_t first = 0, last = 0;
  std::array<uint64_t, 2> pkts{}, bytes{};  // [0] initiator → responder
  std::array<uint8_t, 2> tcpFlags{};
  uint16_t vlan = 0;
  FlowEnd end{};
  std::string app;  // "dns", "tls", "http", "" unknown
  std::vector<DnsQuery> dnsQueries;
  std::vector<std::string> dnsRcodes;
  std::vector<IpAddress> dnsAnswers;  // domestic answers are pseudonyms
  std::string tlsSni, tlsJa4, tlsJa3, tlsVersion;
  std::string httpMethod, httpHost;
};

std::string toJsonLine(const SelectedRecord& r);  // one NDJSON line, no newline

struct RunCounts {
  uint64_t frames = 0;
  uint64_t frameBytes = 0;
  uint64_t packets = 0;          // decoded IP packets
  uint64_t undecodable = 0;      // frames with an anomaly
  uint64_t nonIp = 0;
  uint64_t fragmentsHeld = 0;
  uint64_t flows = 0;
  std::array<uint64_t, kDirectionClassCount> flowsByClass{};
  uint64_t notAnalysed = 0;      // flows outside scope or window: only counted
  uint64_t selected = 0;
  uint64_t discarded = 0;
  uint64_t outsideWindow = 0;
  uint64_t evicted = 0;          // flows ended early because the flow memory bound was reached
  uint64_t inspectionSkipped = 0;
  uint64_t streamGaps = 0;
  uint64_t appMalformed = 0;
  std::vector<uint64_t> perCriterion;  // selected flows each criterion matched
  AnomalyCounters anomalies;
};

// Counts as the ledger and summary.json record them (names in docs/selected-records.md).
nlohmann::ordered_json runCountsJson(const RunCounts& counts, const SelectionOrder& order);

class Selector {
 public:
  using Sink = std::function<void(const SelectedRecord&)>;
  static Result<std::unique_ptr<Selector>> create(const SelectionOrder& order,
                                                  const PrefixSet& domestic,
                                                  const Pseudonymizer& pseudonymizer,
                                                  SelectorConfig config, Sink sink);
  ~Selector();
  Selector(const Selector&) = delete;
  Selector& operator=(const Selector&) = delete;

  // One captured frame (copied; records may be emitted later, in batches). Never throws;
  // malformed frames are counted.
  void onFrame(int linkType, std::span<const uint8_t> frame, int64_t tsMicros);
  // A batch of frames, after any given through onFrame().
  void onBatch(const FrameBatch& batch);
  // Ends every open flow (end of input) and emits their records.
  void finish();

  const RunCounts& counts() const;
  uint32_t flowCapacity() const;

 private:
  struct Impl;
  explicit Selector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::sensor
