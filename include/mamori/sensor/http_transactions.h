// HTTP/1.x transactions from traffic: requests paired with their responses, reassembled from TCP.
//
// For web attack detection (mamori detect --pcap), which needs what the selection sensor never
// keeps: the request target, user agent and referer. The selection path does not use this.
//
// Feed decoded packets in capture order; each completed request/response pair (or a request whose
// response never came, at finish() or when its connection ends) is appended to the output. Bounded
// memory: at most Limits::maxConnections connections and maxBufferedBytes of out-of-order or
// incomplete data per direction; a connection over its limits stops being followed (counted).
// Never throws; all bytes are untrusted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mamori/core/ip_address.h"
#include "mamori/sensor/packet.h"

namespace mamori::sensor {

struct HttpTransaction {
  int64_t requestMicros = 0;  // time of the packet that completed the request head
  IpAddress client;
  IpAddress server;
  uint16_t clientPort = 0;
  uint16_t serverPort = 0;
  std::string method;
  std::string target;  // raw request target as sent
  std::string protocol;  // "HTTP/1.1"
  std::string host;
  std::string userAgent;
  std::string referer;
  int status = -1;              // -1: no response seen
  int64_t responseBytes = -1;   // response body bytes (Content-Length, chunked or until close)
  int64_t durationMicros = -1;  // request head complete -> response head seen
  bool connectionReset = false;  // the server reset the connection instead of answering
};

struct HttpTransactionStats {
  uint64_t connections = 0;         // TCP connections that carried HTTP requests
  uint64_t transactions = 0;        // transactions emitted
  uint64_t unanswered = 0;          // emitted without a response
  uint64_t abandonedConnections = 0;  // stopped following: limits, gaps, unparseable data
  uint64_t droppedConnections = 0;    // not followed: table full
};

class HttpTransactionExtractor {
 public:
  struct Limits {
    uint32_t maxConnections = 65536;
    uint32_t maxBufferedBytes = 64 * 1024;    // per direction
    uint32_t maxHeadBytes = 16 * 1024;        // a request/response head larger than this is abandoned
    uint32_t maxPipelined = 64;               // requests awaiting responses per connection
    int64_t idleTimeoutMicros = int64_t{300} * 1'000'000;
  };

  HttpTransactionExtractor();
  explicit HttpTransactionExtractor(Limits limits);
  ~HttpTransactionExtractor();
  HttpTransactionExtractor(const HttpTransactionExtractor&) = delete;
  HttpTransactionExtractor& operator=(const HttpTransactionExtractor&) = delete;

  // One decoded packet (non-TCP packets are ignored). Completed transactions are appended to out.
  void onPacket(const DecodedPacket& packet, std::vector<HttpTransaction>& out);
  // Emits every pending request (without a response if none came) and forgets all connections.
  void finish(std::vector<HttpTransaction>& out);

  const HttpTransactionStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::sensor
