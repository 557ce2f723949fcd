#include "mamori/sensor/selector.h"

namespace mamori::sensor {

nlohmann::ordered_json runCountsJson(const RunCounts& c, const SelectionOrder& order) {
  nlohmann::ordered_json j;
  j["frames"] = c.frames;
  j["frame_bytes"] = c.frameBytes;
  j["packets"] = c.packets;
  j["undecodable"] = c.undecodable;
  j["non_ip"] = c.nonIp;
  j["flows"] = c.flows;
  nlohmann::ordered_json byClass;
  for (size_t i = 0; i < kDirectionClassCount; ++i) {
    byClass[std::string(directionClassName(static_cast<DirectionClass>(i)))] = c.flowsByClass[i];
  }
  j["flows_by_class"] = byClass;
  j["not_analysed"] = c.notAnalysed;
  j["outside_window"] = c.outsideWindow;
  j["selected"] = c.selected;
  j["discarded"] = c.discarded;
  nlohmann::ordered_json perCriterion;
  for (size_t i = 0; i < order.criteria.size() && i < c.perCriterion.size(); ++i) {
    perCriterion[order.criteria[i].id] = c.perCriterion[i];
  }
  j["per_criterion"] = perCriterion;
  j["evicted"] = c.evicted;
  j["inspection_skipped"] = c.inspectionSkipped;
  j["stream_gaps"] = c.streamGaps;
  j["app_malformed"] = c.appMalformed;
  nlohmann::ordered_json anomalies = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kAnomalyCount; ++i) {
    if (c.anomalies.counts[i] != 0) {
      anomalies[std::string(anomalyName(static_cast<Anomaly>(i)))] = c.anomalies.counts[i];
    }
  }
  j["anomalies"] = anomalies;
  return j;
}

}  // namespace mamori::sensor
