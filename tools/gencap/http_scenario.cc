// Scenario "http": one TCP connection per access-log line, so that `mamori detect --pcap` on the
// capture can be compared with `mamori detect --log` on the log (README.md, "Scenario http").
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "capture_writer.h"
#include "mamori/core/ip_address.h"
#include "mamori/core/result.h"
#include "mamori/detect/access_log.h"
#include "rng.h"
#include "scenarios.h"
#include "tcp_conversation.h"
#include "wire.h"

namespace mamori::gencap {

namespace {

constexpr uint64_t kSaltHttp = 0x4877;
constexpr size_t kMaxBodyBytes = 64 * 1024;
constexpr uint64_t kPacketSpacingMicros = 10;
constexpr int64_t kMaxDelayMicros = 60'000'000;
constexpr std::string_view kServerV4 = "192.0.2.80";
constexpr std::string_view kServerV6 = "2001:db8:1::80";
constexpr uint16_t kServerPort = 80;

// Streams the packets of one connection straight into the capture, 10 µs apart.
struct HttpFlow {
  CaptureWriter& writer;
  uint64_t& clock;
  IpAddress src;  // client
  IpAddress dst;
  uint16_t sport = 0;
  uint16_t dport = kServerPort;

  IpParams ipParams(bool forward, uint16_t ipId, uint32_t flowLabel) const {
    IpParams p;
    p.src = forward ? src : dst;
    p.dst = forward ? dst : src;
    p.ipId = ipId;
    p.ttl = forward ? 58 : 64;
    p.flowLabel = flowLabel;
    return p;
  }
  void add(bool /*forward*/, Bytes ip) {
    writer.write(clock, ip);
    clock += kPacketSpacingMicros;
  }
};

// A client that is not an address (a host name, "-", garbage) gets a stable 10.x.y.z.
IpAddress clientAddress(std::string_view logged) {
  if (auto parsed = IpAddress::parse(logged); parsed.ok()) return parsed.value();
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (const char c : logged) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return IpAddress::v4(0x0a000000U | static_cast<uint32_t>((h >> 8) & 0xffff00U) |
                       static_cast<uint32_t>(h % 254 + 1));
}

// Bytes a request line cannot carry (controls, space, DEL) are percent-encoded.
void putTarget(Bytes& out, std::string_view target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : target) {
    const auto b = static_cast<uint8_t>(c);
    if (b <= 0x20 || b == 0x7f) {
      put8(out, '%');
      put8(out, static_cast<uint8_t>(kHex[b >> 4]));
      put8(out, static_cast<uint8_t>(kHex[b & 15]));
    } else {
      put8(out, b);
    }
  }
}

// Header values end at a line break; one inside a logged value becomes a space.
void putHeader(Bytes& out, std::string_view name, std::string_view value) {
  putStr(out, name);
  putStr(out, ": ");
  for (const char c : value)
    put8(out, (c == '\r' || c == '\n') ? uint8_t{' '} : static_cast<uint8_t>(c));
  putStr(out, "\r\n");
}

std::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

template <typename Conversation>
void sendSegmented(Conversation& c, bool forward, const Bytes& data, size_t mss) {
  for (size_t at = 0; at < data.size(); at += mss) {
    const size_t n = std::min(mss, data.size() - at);
    c.data(forward, std::span<const uint8_t>(data).subspan(at, n), at + n == data.size());
  }
}

}  // namespace

void runHttp(const CommonOptions& common, const HttpOptions& options) {
  std::ifstream in(options.requests, std::ios::binary);
  if (!in) throw Failure("cannot read --requests " + options.requests);
  CaptureWriter writer(common.out, common.format, common.link);
  detect::AccessLogParser parser(detect::LogFormat::kCombined);
  detect::HttpRequestLine req;
  const IpAddress serverV4 = IpAddress::parse(kServerV4).valueOrThrow();
  const IpAddress serverV6 = IpAddress::parse(kServerV6).valueOrThrow();
  const std::string filler(kMaxBodyBytes, 'x');
  uint64_t clock = 0;  // set by the first line: its log time, else --base-time
  uint64_t lineNo = 0;
  uint64_t connections = 0;
  uint64_t unparsed = 0;
  uint64_t noMethod = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++lineNo;
    const auto kind = parser.parse(line, req);
    if (!kind.ok()) {
      ++unparsed;
      continue;
    }
    if (kind.value() != detect::AccessLogParser::LineKind::kRequest) continue;
    if (req.method.empty()) {
      ++noMethod;  // a request line that was not "METHOD target [protocol]" cannot be sent as one
      continue;
    }
    // Log times have one-second resolution and may go backwards; the capture never does.
    if (req.timeMicros > 0) {
      clock = std::max(clock, static_cast<uint64_t>(req.timeMicros));
    } else if (clock == 0) {
      clock = common.baseTime * 1'000'000;
    }

    HttpFlow flow{writer, clock, clientAddress(req.client), {}, 0, kServerPort};
    flow.dst = flow.src.isV4() ? serverV4 : serverV6;
    flow.sport = static_cast<uint16_t>(10000 + (lineNo - 1) % 50000);
    Rng rng(deriveSeed(common.seed, kSaltHttp, lineNo));
    BasicTcpConversation<HttpFlow> c(flow, rng);
    const size_t mss = flow.src.isV4() ? 1460 : 1440;

    Bytes request;
    putStr(request, req.method);
    put8(request, ' ');
    putTarget(request, req.target.empty() ? "/" : req.target);
    put8(request, ' ');
    putStr(request, req.protocol.starts_with("HTTP/1.") && req.protocol.size() == 8
                        ? std::string_view(req.protocol)
                        : std::string_view("HTTP/1.1"));
    putStr(request, "\r\n");
    putHeader(request, "Host", req.host.empty() ? kServerV4 : std::string_view(req.host));
    if (!req.userAgent.empty()) putHeader(request, "User-Agent", req.userAgent);
    if (!req.referer.empty()) putHeader(request, "Referer", req.referer);
    putStr(request, "Connection: close\r\n\r\n");

    const int status = req.status >= 100 && req.status <= 999 ? req.status : 200;
    const size_t logged = req.responseBytes > 0 ? static_cast<size_t>(req.responseBytes) : 0;
    const size_t size = std::min(logged, kMaxBodyBytes);
    const bool noBody = req.method == "HEAD" || status < 200 || status == 204 || status == 304;
    Bytes response;
    putStr(response, "HTTP/1.1 " + std::to_string(status) + " ");
    putStr(response, reason(status));
    putStr(response, "\r\nServer: mamori-gencap\r\nX-Request-Id: ");
    putStr(response, common.canary);
    putStr(response, "\r\nConnection: close\r\n");
    if (status != 204 && status != 304 && status >= 200) {
      putStr(response, "Content-Length: " + std::to_string(size) + "\r\n");
    }
    putStr(response, "\r\n");
    if (!noBody) putStr(response, std::string_view(filler).substr(0, size));

    c.syn();
    c.synAck();
    c.ack(true);
    sendSegmented(c, true, request, mss);
    c.ack(false);
    if (req.durationMicros > 0)
      clock += static_cast<uint64_t>(std::min(req.durationMicros, kMaxDelayMicros));
    sendSegmented(c, false, response, mss);
    c.ack(true);
    c.fin(true);
    c.fin(false);
    c.ack(true);
    ++connections;
  }
  if (in.bad()) throw Failure("error reading --requests " + options.requests);
  writer.finish();
  std::fprintf(
      stderr,
      "http: %llu lines, %llu connections, %llu lines skipped (unparseable), %llu skipped "
      "(no method)\n",
      static_cast<unsigned long long>(lineNo), static_cast<unsigned long long>(connections),
      static_cast<unsigned long long>(unparsed), static_cast<unsigned long long>(noMethod));
}

}  // namespace mamori::gencap
