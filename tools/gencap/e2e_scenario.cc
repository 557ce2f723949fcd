// Scenario "e2e": eleven small, exactly specified flows (README.md has the table). The end-to-end
// tests are written against this list, so changing a flow means changing those tests too.
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "address_space.h"
#include "capture_writer.h"
#include "mamori/core/result.h"
#include "payloads.h"
#include "rng.h"
#include "scenarios.h"
#include "tcp_conversation.h"
#include "wire.h"

namespace mamori::gencap {

namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kFlowSpacingMicros = 4001;  // odd spacing so no two packets share a timestamp
constexpr uint64_t kPacketSpacingMicros = 1000;
constexpr uint64_t kSaltE2e = 0xE2E;

IpAddress addr(std::string_view text) {
  return IpAddress::parse(text).valueOrThrow();
}

struct Packet {
  uint64_t offsetMicros = 0;
  int flow = 0;
  int index = 0;
  bool forward = true;
  Bytes ip;
  VlanTags vlans;
};

struct Flow {
  Flow(int n, std::string protocol, IpAddress source, IpAddress destination, uint16_t sourcePort,
       uint16_t destinationPort, std::string application)
      : number(n),
        proto(std::move(protocol)),
        src(source),
        dst(destination),
        sport(sourcePort),
        dport(destinationPort),
        app(std::move(application)) {}

  int number = 0;  // 1-based: "F<number>"
  std::string proto;
  IpAddress src;  // initiator
  IpAddress dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  std::string app;
  Json details = Json::object();  // app-level fields merged into the manifest entry
  std::vector<Packet> packets;

  void add(bool forward, Bytes ip, VlanTags vlans = {}) {
    Packet p;
    p.index = static_cast<int>(packets.size());
    p.offsetMicros = static_cast<uint64_t>(number - 1) * kFlowSpacingMicros +
                     static_cast<uint64_t>(p.index) * kPacketSpacingMicros;
    p.flow = number;
    p.forward = forward;
    p.ip = std::move(ip);
    p.vlans = vlans;
    packets.push_back(std::move(p));
  }
  IpParams ipParams(bool forward, uint16_t ipId, uint32_t flowLabel) const {
    IpParams p;
    p.src = forward ? src : dst;
    p.dst = forward ? dst : src;
    p.ipId = ipId;
    p.ttl = forward ? 58 : 52;  // seen a few hops into the path
    p.flowLabel = flowLabel;
    return p;
  }
};

using TcpConversation = BasicTcpConversation<Flow>;

struct TlsRandoms {
  uint8_t clientRandom[32];
  uint8_t sessionId[32];
  uint8_t clientShare[32];
  uint8_t serverRandom[32];
  uint8_t serverShare[32];
  explicit TlsRandoms(Rng& rng) {
    rng.fill(clientRandom, 32);
    rng.fill(sessionId, 32);
    rng.fill(clientShare, 32);
    rng.fill(serverRandom, 32);
    rng.fill(serverShare, 32);
  }
};

// A datagram of `size` bytes of text that has the canary at the start of every IP fragment's
// data, so each fragment on its own carries it (fragment k > 0 starts k*chunk - 8 bytes into the
// UDP payload, behind the 8-byte UDP header that the first fragment holds).
Bytes fragmentedPayload(size_t size, size_t chunk, std::string_view canary, Rng& rng) {
  Bytes data;
  appendTextWithCanary(data, size, canary, rng);
  for (size_t at = 0; at < size; at += (at == 0 ? chunk - 8 : chunk)) {
    const size_t pos = std::min(at, size - canary.size());
    std::copy(canary.begin(), canary.end(), data.begin() + static_cast<std::ptrdiff_t>(pos));
  }
  return data;
}

Bytes serverFlight(const TlsRandoms& r, std::string_view canary, Rng& rng) {
  Bytes appData;
  appendRandomWithCanary(appData, 96, canary, rng);
  Bytes out;
  appendServerFlight(out, r.serverRandom, r.sessionId, r.serverShare, appData);
  return out;
}

std::string htmlBody(std::string_view title, std::string_view canary) {
  return "<!DOCTYPE html>\n<html><head><title>" + std::string(title) +
         "</title></head><body><p>session " + std::string(canary) + "</p></body></html>\n";
}

// ---- the flows ----------------------------------------------------------------------------------

Flow f1Http(std::string_view canary, Rng rng) {
  Flow f{1, "tcp", addr("203.0.113.5"), addr("192.0.2.10"), 40001, 80, "http"};
  f.details = {{"http_method", "GET"}, {"http_host", "www.victim.example"}};
  TcpConversation c(f, rng);
  c.syn();
  c.synAck();
  c.ack(true);
  Bytes request;
  appendHttpRequest(request, "GET", "/" + std::string(canary) + "/index.html", "www.victim.example",
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 " +
                        std::string(canary),
                    "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
                    "Accept-Language: ja,en-US;q=0.7,en;q=0.3\r\nConnection: close\r\n",
                    "");
  c.data(true, request);
  c.ack(false);
  Bytes response;
  appendHttpResponse(
      response, "HTTP/1.1 200 OK", "text/html; charset=utf-8",
      "Server: nginx\r\nX-Request-Id: " + std::string(canary) + "\r\nConnection: close\r\n",
      htmlBody("victim", canary));
  c.data(false, response);
  c.ack(true);
  c.fin(true);
  c.fin(false);
  c.ack(true);
  return f;
}

Flow f2TlsSplit(std::string_view canary, Rng rng) {
  Flow f{2, "tcp", addr("192.0.2.20"), addr("198.51.100.7"), 50000, 443, "tls"};
  f.details = {{"sni", "c2.evil.example"}, {"alpn", {"h2", "http/1.1"}}, {"tls_segments", 2}};
  TcpConversation c(f, rng);
  const TlsRandoms r(rng);
  c.syn();
  c.synAck();
  c.ack(true);
  Bytes hello;
  ClientHelloParams p;
  p.sni = "c2.evil.example";
  p.canary = canary;
  p.canaryCopies = 2;
  p.random = r.clientRandom;
  p.sessionId = r.sessionId;
  p.keyShare = r.clientShare;
  const ClientHelloLayout layout = appendClientHello(hello, p);
  const std::span<const uint8_t> all(hello);
  c.data(true, all.first(layout.canarySplit), false);
  c.data(true, all.subspan(layout.canarySplit));
  c.ack(false);
  c.data(false, serverFlight(r, canary, rng));
  c.rst(true);
  return f;
}

// One DNS query datagram and its response.
void addDnsExchange(Flow& f, uint16_t queryIpId, const Bytes& query, const Bytes& response) {
  Bytes packet;
  buildUdp(packet, f.ipParams(true, queryIpId, 0), f.sport, f.dport, query);
  f.add(true, packet);
  buildUdp(packet, f.ipParams(false, 0x0000, 0), f.dport, f.sport, response);
  f.add(false, packet);
}

Flow f3Dns(std::string_view canary) {
  Flow f{3, "udp", addr("192.0.2.20"), addr("198.51.100.53"), 53000, 53, "dns"};
  f.details = {{"dns_id", 0x1234},
               {"dns_qname", "c2.evil.example"},
               {"dns_qtype", "A"},
               {"dns_rcode", "NOERROR"},
               {"dns_answers", {"198.51.100.7"}}};
  Bytes query;
  appendDnsHeader(query, 0x1234, 0x0100, 1, 0, 0, 1);
  appendDnsQuestion(query, "c2.evil.example", kDnsA);
  appendDnsOpt(query, canary);
  Bytes response;
  appendDnsHeader(response, 0x1234, 0x8180, 1, 2, 0, 1);
  appendDnsQuestion(response, "c2.evil.example", kDnsA);
  size_t rd = beginDnsRecord(response, kDnsQuestionOffset, kDnsA, 300);
  const uint8_t a[4] = {198, 51, 100, 7};
  putBytes(response, a);
  finishDnsRecord(response, rd);
  rd = beginDnsRecord(response, kDnsQuestionOffset, kDnsTxt, 300);
  appendTxtString(response, "v=mamori1 " + std::string(canary));
  finishDnsRecord(response, rd);
  appendDnsOpt(response, "");
  addDnsExchange(f, 0x3a01, query, response);
  return f;
}

Flow f4Telnet(std::string_view canary, Rng rng) {
  Flow f{4, "tcp", addr("203.0.113.9"), addr("198.51.100.23"), 41000, 23, "none"};
  f.details = {{"markers", {"MIRAI-BOTNET-HELLO"}}};
  TcpConversation c(f, rng);
  c.syn();
  c.synAck();
  c.ack(true);
  c.data(true, asBytes("MIRAI-BOTNET-HELLO " + std::string(canary) + "\r\n"));
  c.data(false,
         asBytes("\r\nBusyBox v1.19.4 built-in shell " + std::string(canary) + "\r\nlogin: "));
  c.ack(true);
  c.fin(true);
  c.fin(false);
  c.ack(true);
  return f;
}

Flow f5DomesticHttp(std::string_view canary, Rng rng) {
  Flow f{5, "tcp", addr("192.0.2.30"), addr("192.0.2.40"), 42000, 80, "http"};
  f.details = {{"http_method", "POST"}, {"http_host", "c2.evil.example"}};
  TcpConversation c(f, rng);
  c.syn();
  c.synAck();
  c.ack(true);
  Bytes request;
  appendHttpRequest(request, "POST", "/" + std::string(canary) + "/beacon", "c2.evil.example",
                    "curl/8.5.0",
                    "Accept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                    "id=" + std::string(canary) + "&status=ok");
  c.data(true, request);
  Bytes response;
  appendHttpResponse(response, "HTTP/1.1 200 OK", "text/plain", "Server: nginx\r\n",
                     "ok " + std::string(canary) + "\n");
  c.data(false, response);
  c.ack(true);
  c.fin(true);
  c.fin(false);
  c.ack(true);
  return f;
}

// A single-segment TLS connection: handshake, ClientHello, server flight, FIN teardown.
Flow tlsSimple(int number, IpAddress src, uint16_t sport, IpAddress dst, std::string_view sni,
               std::string_view canary, Rng rng, bool hopByHopOnSyn) {
  Flow f{number, "tcp", src, dst, sport, 443, "tls"};
  f.details = {{"sni", sni}, {"alpn", {"h2", "http/1.1"}}};
  TcpConversation c(f, rng);
  const TlsRandoms r(rng);
  c.syn(hopByHopOnSyn);
  c.synAck();
  c.ack(true);
  Bytes hello;
  ClientHelloParams p;
  p.sni = sni;
  p.canary = canary;
  p.random = r.clientRandom;
  p.sessionId = r.sessionId;
  p.keyShare = r.clientShare;
  (void)appendClientHello(hello, p);
  c.data(true, hello);
  c.data(false, serverFlight(r, canary, rng));
  c.ack(true);
  c.fin(true);
  c.fin(false);
  c.ack(true);
  return f;
}

Flow f6TlsV6(std::string_view canary, Rng rng) {
  Flow f = tlsSimple(6, addr("2001:db8:2::5"), 40100, addr("2001:db8:1::10"), "www.victim.example",
                     canary, rng, true);
  f.details["ipv6_extension_headers"] = "hop-by-hop on the first packet";
  return f;
}

Flow f7FragmentedV4(std::string_view canary, Rng rng) {
  Flow f{7, "udp", addr("203.0.113.5"), addr("192.0.2.10"), 5000, 9999, "none"};
  f.details = {
      {"fragmented", true}, {"fragment_order", "last, first, middle"}, {"datagram_bytes", 3000}};
  const Bytes datagram = fragmentedPayload(3000, 1480, canary, rng);
  auto fragments =
      buildUdpFragments(f.ipParams(true, 0x7a7a, 0), 0, f.sport, f.dport, datagram, 1480);
  if (fragments.size() != 3) throw Failure("internal: F7 expected 3 fragments");
  f.add(true, fragments[2]);
  f.add(true, fragments[0]);
  f.add(true, fragments[1]);
  Bytes reply;
  appendTextWithCanary(reply, 64, canary, rng);
  Bytes packet;
  buildUdp(packet, f.ipParams(false, 0x1b1b, 0), f.dport, f.sport, reply);
  f.add(false, packet);
  return f;
}

Flow f8IcmpVlan(std::string_view canary, Rng rng, bool ethernet) {
  Flow f{8, "icmp", addr("203.0.113.5"), addr("192.0.2.10"), 0, 0, "none"};
  constexpr uint16_t kEchoId = 0x4d47;
  f.details = {{"icmp_id", kEchoId}};
  VlanTags request;
  VlanTags reply;
  if (ethernet) {
    request.count = 1;
    request.tpid[0] = 0x8100;
    request.vid[0] = 100;
    reply.count = 2;
    reply.tpid[0] = 0x88A8;
    reply.vid[0] = 200;
    reply.tpid[1] = 0x8100;
    reply.vid[1] = 100;
    f.details["vlan_requests"] = {100};
    f.details["vlan_replies"] = {200, 100};
  }
  Bytes data;
  appendTextWithCanary(data, 56, canary, rng);
  Bytes packet;
  for (uint16_t seq = 1; seq <= 2; ++seq) {
    buildIcmpEcho(packet, f.ipParams(true, static_cast<uint16_t>(0x2200 + seq), 0), false, kEchoId,
                  seq, data);
    f.add(true, packet, request);
    buildIcmpEcho(packet, f.ipParams(false, static_cast<uint16_t>(0x9900 + seq), 0), true, kEchoId,
                  seq, data);
    f.add(false, packet, reply);
  }
  return f;
}

Flow f10DnsPtr(std::string_view canary) {
  Flow f{10, "udp", addr("192.0.2.20"), addr("198.51.100.53"), 53001, 53, "dns"};
  const std::string qname = "10.2.0.192.in-addr.arpa";
  f.details = {
      {"dns_id", 0x5678}, {"dns_qname", qname}, {"dns_qtype", "PTR"}, {"dns_rcode", "NXDOMAIN"}};
  Bytes query;
  appendDnsHeader(query, 0x5678, 0x0100, 1, 0, 0, 1);
  appendDnsQuestion(query, qname, kDnsPtr);
  appendDnsOpt(query, canary);
  Bytes response;
  appendDnsHeader(response, 0x5678, 0x8183, 1, 0, 1, 1);
  appendDnsQuestion(response, qname, kDnsPtr);
  // Authority SOA owned by "192.in-addr.arpa", which starts after the labels "10", "2", "0".
  const auto zone = static_cast<uint16_t>(kDnsQuestionOffset + 3 + 2 + 2);
  const size_t rd = beginDnsRecord(response, zone, kDnsSoa, 3600);
  const auto mname = static_cast<uint16_t>(response.size());
  appendDnsName(response, "ns.rir.example");
  appendDnsNameWithPointer(response, "hostmaster", static_cast<uint16_t>(mname + 3));
  for (uint32_t v : {2026092101U, 7200U, 3600U, 604800U, 3600U}) put32(response, v);
  finishDnsRecord(response, rd);
  appendDnsOpt(response, canary);
  addDnsExchange(f, 0x3a02, query, response);
  return f;
}

Flow f11FragmentedV6(std::string_view canary, Rng rng) {
  Flow f{11, "udp", addr("2001:db8:2::5"), addr("2001:db8:1::10"), 5001, 9999, "none"};
  f.details = {{"fragmented", true}, {"fragment_order", "in order"}, {"datagram_bytes", 2000}};
  const Bytes datagram = fragmentedPayload(2000, 1448, canary, rng);
  IpParams ip = f.ipParams(true, 0, rng.next32() & 0xFFFFF);
  // 1448 bytes of fragmentable data: 40 + 8 + 1448 = 1496 fits a 1500-byte MTU.
  auto fragments = buildUdpFragments(ip, rng.next32(), f.sport, f.dport, datagram, 1448);
  if (fragments.size() != 2) throw Failure("internal: F11 expected 2 fragments");
  for (auto& frag : fragments) f.add(true, frag);
  return f;
}

std::string classify(const AddressSpace& domestic, const IpAddress& src, const IpAddress& dst) {
  const bool s = domestic.isDomestic(src);
  const bool d = domestic.isDomestic(dst);
  if (s && d) return "domestic-domestic";
  if (s) return "domestic-foreign";
  if (d) return "foreign-domestic";
  return "foreign-foreign";
}

const char* linkName(LinkType l) {
  switch (l) {
    case LinkType::kEthernet:
      return "ethernet";
    case LinkType::kSll:
      return "sll";
    case LinkType::kRaw:
      return "raw";
  }
  return "raw";
}

}  // namespace

void runE2e(const CommonOptions& common, const E2eOptions& options) {
  const std::string_view canary = common.canary;
  auto rng = [&](int flow) {
    return Rng(deriveSeed(common.seed, kSaltE2e, static_cast<uint64_t>(flow)));
  };
  std::vector<Flow> flows;
  flows.push_back(f1Http(canary, rng(1)));
  flows.push_back(f2TlsSplit(canary, rng(2)));
  flows.push_back(f3Dns(canary));
  flows.push_back(f4Telnet(canary, rng(4)));
  flows.push_back(f5DomesticHttp(canary, rng(5)));
  flows.push_back(f6TlsV6(canary, rng(6)));
  flows.push_back(f7FragmentedV4(canary, rng(7)));
  flows.push_back(f8IcmpVlan(canary, rng(8), common.link == LinkType::kEthernet));
  flows.push_back(tlsSimple(9, addr("198.51.100.99"), 40200, addr("192.0.2.50"),
                            "www.benign.example", canary, rng(9), false));
  flows.push_back(f10DnsPtr(canary));
  flows.push_back(f11FragmentedV6(canary, rng(11)));

  std::vector<const Packet*> order;
  for (const auto& f : flows) {
    for (const auto& p : f.packets) order.push_back(&p);
  }
  std::sort(order.begin(), order.end(), [](const Packet* a, const Packet* b) {
    if (a->offsetMicros != b->offsetMicros) return a->offsetMicros < b->offsetMicros;
    if (a->flow != b->flow) return a->flow < b->flow;
    return a->index < b->index;
  });

  const uint64_t base = common.baseTime * 1000000;
  CaptureWriter writer(common.out, common.format, common.link);
  for (const Packet* p : order) writer.write(base + p->offsetMicros, p->ip, p->vlans);
  writer.finish();

  if (options.manifest.empty()) return;
  AddressSpace domestic;
  domestic.add(IpPrefix::parse("192.0.2.0/24").valueOrThrow());
  domestic.add(IpPrefix::parse("2001:db8:1::/48").valueOrThrow());
  domestic.finalize();

  Json manifest;
  manifest["scenario"] = "e2e";
  manifest["canary"] = common.canary;
  manifest["seed"] = common.seed;
  manifest["base_time"] = common.baseTime;
  manifest["format"] = common.format == CaptureFormat::kPcap ? "pcap" : "pcapng";
  manifest["link"] = linkName(common.link);
  manifest["domestic"] = {"192.0.2.0/24", "2001:db8:1::/48"};
  manifest["packets"] = order.size();
  Json list = Json::array();
  for (const auto& f : flows) {
    uint64_t packets[2] = {0, 0};
    uint64_t bytes[2] = {0, 0};
    for (const auto& p : f.packets) {
      packets[p.forward ? 0 : 1] += 1;
      bytes[p.forward ? 0 : 1] += p.ip.size();
    }
    Json e;
    e["id"] = "F" + std::to_string(f.number);
    e["proto"] = f.proto;
    e["ip_version"] = f.src.isV4() ? 4 : 6;
    e["src"] = f.src.toString();
    e["sport"] = f.sport;
    e["dst"] = f.dst.toString();
    e["dport"] = f.dport;
    e["class"] = classify(domestic, f.src, f.dst);
    e["app"] = f.app;
    for (const auto& [key, value] : f.details.items()) e[key] = value;
    e["packets"] = {{"fwd", packets[0]}, {"rev", packets[1]}};
    e["ip_bytes"] = {{"fwd", bytes[0]}, {"rev", bytes[1]}};
    e["first_ts_us"] = base + f.packets.front().offsetMicros;
    e["last_ts_us"] = base + f.packets.back().offsetMicros;
    list.push_back(std::move(e));
  }
  manifest["flows"] = std::move(list);
  std::ofstream out(options.manifest, std::ios::binary | std::ios::trunc);
  if (!out) throw Failure("cannot open manifest file '" + options.manifest + "'");
  out << manifest.dump(2) << '\n';
  out.close();
  if (!out) throw Failure("cannot write manifest file '" + options.manifest + "'");
}

}  // namespace mamori::gencap
