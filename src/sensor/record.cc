// Record and count formats (docs/selected-records.md).
#include <utility>

#include "mamori/core/json_writer.h"
#include "mamori/core/time.h"
#include "mamori/sensor/selector.h"

namespace mamori::sensor {
namespace {

std::string protoName(uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmp6";
    default: return std::to_string(p);
  }
}

std::string tcpFlagLetters(uint8_t f) {
  constexpr std::pair<uint8_t, char> kLetters[] = {{kTcpSyn, 'S'}, {kTcpAck, 'A'}, {kTcpPsh, 'P'},
                                                   {kTcpFin, 'F'}, {kTcpRst, 'R'}, {kTcpUrg, 'U'},
                                                   {kTcpEce, 'E'}, {kTcpCwr, 'C'}};
  std::string s;
  for (const auto& [bit, letter] : kLetters) {
    if (f & bit) s.push_back(letter);
  }
  return s;
}

void directions(JsonWriter& w, std::string_view key, const auto& pair) {
  w.key(key).beginObject().field("orig", pair[0]).field("resp", pair[1]).endObject();
}

}  // namespace

std::string toJsonLine(const SelectedRecord& r) {
  JsonWriter w;
  w.beginObject().field("id", r.id).field("order", r.order);
  w.key("criteria").beginArray();
  for (const auto& c : r.criteria) w.value(c);
  w.endArray();
  w.field("class", directionClassName(r.directionClass))
      .field("proto", protoName(r.ipProto))
      .field("src", r.src.toString())
      .field("sport", r.sport)
      .field("dst", r.dst.toString())
      .field("dport", r.dport)
      .field("src_domestic", r.srcDomestic)
      .field("dst_domestic", r.dstDomestic)
      .field("first", formatRfc3339(r.first))
      .field("last", formatRfc3339(r.last));
  directions(w, "pkts", r.pkts);
  directions(w, "bytes", r.bytes);
  if (r.ipProto == 6) {
    directions(w, "tcp_flags", std::array<std::string, 2>{tcpFlagLetters(r.tcpFlags[0]),
                                                          tcpFlagLetters(r.tcpFlags[1])});
  }
  if (r.vlan != 0) w.field("vlan", r.vlan);
  w.field("end", flowEndName(r.end));
  if (!r.app.empty()) w.field("app", r.app);
  if (r.app == "dns") {
    w.key("dns").beginObject().key("queries").beginArray();
    for (const auto& q : r.dnsQueries) w.beginObject().field("name", q.name).field("type", q.type).endObject();
    w.endArray().key("rcodes").beginArray();
    for (const auto& rc : r.dnsRcodes) w.value(rc);
    w.endArray().key("answers").beginArray();
    for (const auto& a : r.dnsAnswers) w.value(a.toString());
    w.endArray().endObject();
  } else if (r.app == "tls") {
    w.key("tls").beginObject().field("sni", r.tlsSni).field("version", r.tlsVersion)
        .field("ja4", r.tlsJa4).field("ja3", r.tlsJa3).endObject();
  } else if (r.app == "http") {
    w.key("http").beginObject().field("method", r.httpMethod).field("host", r.httpHost).endObject();
  }
  w.endObject();
  return w.take();
}

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
