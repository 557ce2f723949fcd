#include "mamori/sensor/http_transactions.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::sensor {
namespace {

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).valueOrThrow();
}

// One TCP connection on the wire, built as DecodedPackets the way the decoder yields them.
class Conn {
 public:
  Conn(HttpTransactionExtractor& x, std::vector<HttpTransaction>& out,
       std::string_view client = "198.51.100.7", uint16_t clientPort = 40000)
      : x_(x),
        out_(out),
        client_(ip(client)),
        server_(ip(client_.isV4() ? "192.0.2.80" : "2001:db8::80")),
        clientPort_(clientPort) {}

  int64_t now = 1'700'000'000'000'000;
  uint32_t next[2] = {1000, 700000};  // [0] client, [1] server

  DecodedPacket packet(bool fromClient, uint8_t flags, uint32_t seq, std::string_view payload) {
    payloads_.emplace_back(payload);
    const std::string& kept = payloads_.back();
    DecodedPacket p;
    p.tsMicros = now;
    p.src = fromClient ? client_ : server_;
    p.dst = fromClient ? server_ : client_;
    p.sport = fromClient ? clientPort_ : 80;
    p.dport = fromClient ? 80 : clientPort_;
    p.ipProto = 6;
    p.tcpFlags = flags;
    p.tcpSeq = seq;
    p.payload = {reinterpret_cast<const uint8_t*>(kept.data()), kept.size()};
    p.ipLength = static_cast<uint32_t>(40 + kept.size());
    return p;
  }
  void feed(const DecodedPacket& p) {
    x_.onPacket(p, out_);
    now += 1000;
  }
  void handshake() {
    feed(packet(true, kTcpSyn, next[0]++, ""));
    feed(packet(false, kTcpSyn | kTcpAck, next[1]++, ""));
    feed(packet(true, kTcpAck, next[0], ""));
  }
  // In-order data from one side.
  void send(bool fromClient, std::string_view data) {
    const int side = fromClient ? 0 : 1;
    feed(packet(fromClient, kTcpAck | kTcpPsh, next[side], data));
    next[side] += static_cast<uint32_t>(data.size());
  }
  // Data at `offset` bytes past the side's current sequence number, without advancing it.
  void sendAt(bool fromClient, uint32_t offset, std::string_view data) {
    feed(packet(fromClient, kTcpAck | kTcpPsh, next[fromClient ? 0 : 1] + offset, data));
  }
  void skip(bool fromClient, size_t n) { next[fromClient ? 0 : 1] += static_cast<uint32_t>(n); }
  void fin(bool fromClient) {
    const int side = fromClient ? 0 : 1;
    feed(packet(fromClient, kTcpFin | kTcpAck, next[side]++, ""));
  }
  void rst(bool fromClient) {
    feed(packet(fromClient, kTcpRst | kTcpAck, next[fromClient ? 0 : 1], ""));
  }
  void close() {
    fin(true);
    fin(false);
    feed(packet(true, kTcpAck, next[0], ""));
  }

 private:
  HttpTransactionExtractor& x_;
  std::vector<HttpTransaction>& out_;
  IpAddress client_;
  IpAddress server_;
  uint16_t clientPort_;
  std::deque<std::string> payloads_;
};

constexpr std::string_view kGet =
    "GET /index.php?id=1%27%20OR%201=1 HTTP/1.1\r\nHost: www.Example.jp\r\n"
    "User-Agent: sqlmap/1.8\r\nReferer: http://ref.example/a?b\r\nAccept: */*\r\n\r\n";
constexpr std::string_view kOk5 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

std::string get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: a.test\r\n\r\n";
}
std::string okBody(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

TEST(HttpTransactions, SimpleGet) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  const int64_t requestAt = c.now;
  c.send(true, kGet);
  EXPECT_TRUE(out.empty());
  const int64_t responseAt = c.now;
  c.send(false, kOk5);
  ASSERT_EQ(out.size(), 1U);  // emitted as soon as the body is complete
  const HttpTransaction& t = out[0];
  EXPECT_EQ(t.method, "GET");
  EXPECT_EQ(t.target, "/index.php?id=1%27%20OR%201=1");
  EXPECT_EQ(t.protocol, "HTTP/1.1");
  EXPECT_EQ(t.host, "www.example.jp");
  EXPECT_EQ(t.userAgent, "sqlmap/1.8");
  EXPECT_EQ(t.referer, "http://ref.example/a?b");
  EXPECT_EQ(t.client, ip("198.51.100.7"));
  EXPECT_EQ(t.server, ip("192.0.2.80"));
  EXPECT_EQ(t.clientPort, 40000);
  EXPECT_EQ(t.serverPort, 80);
  EXPECT_EQ(t.status, 200);
  EXPECT_EQ(t.responseBytes, 5);
  EXPECT_EQ(t.requestMicros, requestAt);
  EXPECT_EQ(t.durationMicros, responseAt - requestAt);
  EXPECT_FALSE(t.connectionReset);
  c.close();
  x.finish(out);
  EXPECT_EQ(out.size(), 1U);
  EXPECT_EQ(x.stats().connections, 1U);
  EXPECT_EQ(x.stats().transactions, 1U);
  EXPECT_EQ(x.stats().unanswered, 0U);
  EXPECT_EQ(x.stats().abandonedConnections, 0U);
}

TEST(HttpTransactions, PipelinedRequestsPairInOrder) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/one") + get("/two") + get("/three"));
  c.send(false, okBody("1"));
  c.send(false, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 500 Oops\r\nCont");
  ASSERT_EQ(out.size(), 2U);
  c.send(false, "ent-Length: 4\r\n\r\nwxyz");
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[0].target, "/one");
  EXPECT_EQ(out[0].status, 200);
  EXPECT_EQ(out[0].responseBytes, 1);
  EXPECT_EQ(out[1].target, "/two");
  EXPECT_EQ(out[1].status, 404);
  EXPECT_EQ(out[1].responseBytes, 3);
  EXPECT_EQ(out[2].target, "/three");
  EXPECT_EQ(out[2].status, 500);
  EXPECT_EQ(out[2].responseBytes, 4);
  // All three requests completed in the same packet.
  EXPECT_EQ(out[0].requestMicros, out[2].requestMicros);
}

TEST(HttpTransactions, ChunkedResponse) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/wiki"));
  // RFC 9112 7.1 framing: 4 + 5 + 14 data bytes, an extension, a trailer; cut at awkward places.
  c.send(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nWi");
  c.send(false, "ki\r\n5;name=val\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r");
  c.send(false, "\n0\r\nExpires: never\r\n");
  EXPECT_TRUE(out.empty());
  c.send(false, "\r\n");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].responseBytes, 23);
  // Framing ended in the right place: the next exchange pairs normally.
  c.send(true, get("/next"));
  c.send(false, okBody("ok"));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].target, "/next");
  EXPECT_EQ(out[1].responseBytes, 2);
}

TEST(HttpTransactions, ChunkedRequestBodyIsSkipped) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true,
         "POST /upload HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
         "16\r\nGET /inside HTTP/1.1\r\n\r\n0\r\n\r\n" +
             get("/after"));
  c.send(false, okBody("") + okBody("zz"));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].target, "/upload");
  EXPECT_EQ(out[0].responseBytes, 0);
  EXPECT_EQ(out[1].target, "/after");
  EXPECT_EQ(out[1].responseBytes, 2);
}

TEST(HttpTransactions, OutOfOrderSegments) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  const std::string req = get("/out-of-order/path");
  const std::string_view r(req);
  // Segments 3, 1, 2.
  c.sendAt(true, 20, r.substr(20));
  c.sendAt(true, 0, r.substr(0, 10));
  EXPECT_TRUE(out.empty());
  const int64_t completedAt = c.now;
  c.sendAt(true, 10, r.substr(10, 10));
  c.skip(true, req.size());
  // Response: second half first.
  c.sendAt(false, 10, std::string_view(kOk5).substr(10));
  c.sendAt(false, 0, std::string_view(kOk5).substr(0, 10));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].target, "/out-of-order/path");
  EXPECT_EQ(out[0].requestMicros, completedAt);
  EXPECT_EQ(out[0].responseBytes, 5);
  EXPECT_EQ(x.stats().abandonedConnections, 0U);
}

TEST(HttpTransactions, RetransmissionsAndOverlaps) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  const std::string req = get("/retransmitted");
  const std::string_view r(req);
  c.sendAt(true, 0, r.substr(0, 12));
  c.sendAt(true, 0, r.substr(0, 12));    // exact duplicate
  c.sendAt(true, 6, r.substr(6, 14));    // partial overlap, new bytes at the end
  c.sendAt(true, 30, r.substr(30));      // ahead...
  c.sendAt(true, 25, r.substr(25, 10));  // ...and overlapping the held one on both sides
  c.sendAt(true, 20, r.substr(20, 5));   // fills the gap
  c.sendAt(true, 0, r);                  // the whole thing again
  c.skip(true, req.size());
  c.send(false, kOk5);
  // A stale retransmission of the response start.
  c.feed(c.packet(false, kTcpAck, c.next[1] - static_cast<uint32_t>(kOk5.size()), "HTTP/1.1 200"));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].target, "/retransmitted");
  EXPECT_EQ(out[0].host, "a.test");
  c.send(true, get("/second"));
  c.send(false, okBody("abc"));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].target, "/second");
  EXPECT_EQ(x.stats().abandonedConnections, 0U);
}

TEST(HttpTransactions, RequestInOneByteSegments) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  const std::string req(kGet);
  int64_t lastByteAt = 0;
  for (const char ch : req) {
    lastByteAt = c.now;
    c.send(true, std::string_view(&ch, 1));
  }
  for (const char ch : kOk5) c.send(false, std::string_view(&ch, 1));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].target, "/index.php?id=1%27%20OR%201=1");
  EXPECT_EQ(out[0].userAgent, "sqlmap/1.8");
  EXPECT_EQ(out[0].requestMicros, lastByteAt);
  EXPECT_EQ(out[0].responseBytes, 5);
}

TEST(HttpTransactions, ConnectionSeenMidStream) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.next[0] = 0xfffffff0;                        // and the sequence numbers wrap inside the request
  c.send(false, "tail of an earlier response");  // ignored: no request yet
  c.send(true, "POST /mid HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nabc");
  c.send(false, "HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].method, "POST");
  EXPECT_EQ(out[0].target, "/mid");
  EXPECT_EQ(out[0].status, 302);
  EXPECT_EQ(out[0].responseBytes, 0);
  // The client is whoever sent the request.
  EXPECT_EQ(out[0].client, ip("198.51.100.7"));
  EXPECT_EQ(out[0].serverPort, 80);
}

TEST(HttpTransactions, PostBodyThenAnotherRequest) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  const std::string body = "GET /fake HTTP/1.1\r\n\r\n";  // a body that looks like a request
  c.send(true, "POST /submit HTTP/1.1\r\nHost: a.test\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 7));
  c.send(true, body.substr(7) + get("/real"));
  c.send(false, okBody("posted") + okBody("r"));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].target, "/submit");
  EXPECT_EQ(out[0].responseBytes, 6);
  EXPECT_EQ(out[1].target, "/real");
  EXPECT_EQ(out[1].responseBytes, 1);
}

TEST(HttpTransactions, HundredContinueIsInterim) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  const int64_t requestAt = c.now;
  c.send(true,
         "PUT /file HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  c.send(false, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_TRUE(out.empty());
  c.send(true, "data");
  const int64_t finalAt = c.now;
  c.send(false, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].status, 201);
  EXPECT_EQ(out[0].responseBytes, 2);
  EXPECT_EQ(out[0].durationMicros, finalAt - requestAt);
}

TEST(HttpTransactions, ResponsesWithoutBodies) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true,
         "HEAD /big HTTP/1.1\r\nHost: a.test\r\n\r\n" + get("/nc") + get("/nm") + get("/last"));
  // HEAD: Content-Length describes the GET response, no body follows; 204 and 304 have none.
  c.send(false,
         "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
         "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
         "HTTP/1.1 304 Not Modified\r\n\r\n" +
             okBody("end"));
  ASSERT_EQ(out.size(), 4U);
  EXPECT_EQ(out[0].method, "HEAD");
  EXPECT_EQ(out[0].status, 200);
  EXPECT_EQ(out[0].responseBytes, 0);
  EXPECT_EQ(out[1].status, 204);
  EXPECT_EQ(out[1].responseBytes, 0);
  EXPECT_EQ(out[2].status, 304);
  EXPECT_EQ(out[3].target, "/last");
  EXPECT_EQ(out[3].responseBytes, 3);
}

TEST(HttpTransactions, BodyUntilClose) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, "GET /old HTTP/1.0\r\n\r\n");
  c.send(false, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n0123456789");
  c.send(false, "abcdef");
  EXPECT_TRUE(out.empty());
  c.fin(false);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].protocol, "HTTP/1.0");
  EXPECT_EQ(out[0].responseBytes, 16);
}

TEST(HttpTransactions, ServerResetMarksPendingRequests) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/cgi-bin/.%2e/.%2e/bin/sh") + get("/second"));
  c.rst(false);
  ASSERT_EQ(out.size(), 2U);
  for (const auto& t : out) {
    EXPECT_TRUE(t.connectionReset);
    EXPECT_EQ(t.status, -1);
    EXPECT_EQ(t.responseBytes, -1);
    EXPECT_EQ(t.durationMicros, -1);
  }
  EXPECT_EQ(x.stats().unanswered, 2U);
  // The connection is gone: a late response is not paired with anything.
  c.send(false, kOk5);
  x.finish(out);
  EXPECT_EQ(out.size(), 2U);
}

TEST(HttpTransactions, ClientResetIsNotServerReset) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/"));
  c.rst(true);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_FALSE(out[0].connectionReset);
}

TEST(HttpTransactions, ResetOutsideTheWindowIsIgnored) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/"));
  c.feed(c.packet(false, kTcpRst, c.next[1] + 0x40000000, ""));
  EXPECT_TRUE(out.empty());
  c.send(false, kOk5);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].status, 200);
}

TEST(HttpTransactions, UnansweredAtFinish) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/.env"));
  EXPECT_TRUE(out.empty());
  x.finish(out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].target, "/.env");
  EXPECT_EQ(out[0].status, -1);
  EXPECT_FALSE(out[0].connectionReset);
  EXPECT_EQ(x.stats().unanswered, 1U);
}

TEST(HttpTransactions, ServerCloseLeavesRestUnanswered) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/a") + get("/b"));
  c.send(false, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx");
  c.fin(false);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].status, 200);
  EXPECT_EQ(out[1].target, "/b");
  EXPECT_EQ(out[1].status, -1);
}

TEST(HttpTransactions, IdleConnectionsExpire) {
  HttpTransactionExtractor::Limits limits;
  limits.idleTimeoutMicros = 10'000'000;
  HttpTransactionExtractor x(limits);
  std::vector<HttpTransaction> out;
  Conn a(x, out, "198.51.100.7", 40000);
  a.handshake();
  a.send(true, get("/idle"));
  Conn b(x, out, "198.51.100.8", 40001);
  b.now = a.now + 11'000'000;
  b.handshake();
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].target, "/idle");
  EXPECT_EQ(out[0].status, -1);
}

TEST(HttpTransactions, NotHttpIsDroppedQuietly) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11));
  c.send(true, get("/after-tls-bytes"));  // not at a message start: never parsed
  c.send(false, kOk5);
  x.finish(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(x.stats().connections, 0U);
  EXPECT_EQ(x.stats().abandonedConnections, 0U);
}

TEST(HttpTransactions, Ipv6AndNonTcpIgnored) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out, "2001:db8::5", 50000);
  DecodedPacket udp = c.packet(true, 0, 0, get("/udp"));
  udp.ipProto = 17;
  c.feed(udp);
  c.handshake();
  c.send(true, get("/v6"));
  c.send(false, kOk5);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].client, ip("2001:db8::5"));
  EXPECT_EQ(out[0].server, ip("2001:db8::80"));
  EXPECT_EQ(out[0].target, "/v6");
}

TEST(HttpTransactions, TableFullCountsDropped) {
  HttpTransactionExtractor::Limits limits;
  limits.maxConnections = 2;
  HttpTransactionExtractor x(limits);
  std::vector<HttpTransaction> out;
  Conn a(x, out, "198.51.100.1", 40000);
  Conn b(x, out, "198.51.100.2", 40000);
  Conn d(x, out, "198.51.100.3", 40000);
  a.handshake();
  b.handshake();
  d.handshake();  // SYN refused; its SYN-ACK is refused too
  EXPECT_EQ(x.stats().droppedConnections, 2U);
  for (Conn* c : {&a, &b, &d}) c->send(true, get("/x"));
  EXPECT_EQ(x.stats().droppedConnections, 3U);  // and its request would have started it
  x.finish(out);
  EXPECT_EQ(out.size(), 2U);
  // After a connection ends, its slot is free again.
  Conn e(x, out, "198.51.100.4", 40000);
  e.handshake();
  e.send(true, get("/y"));
  x.finish(out);
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[2].target, "/y");
}

TEST(HttpTransactions, GiantHeadIsAbandoned) {
  HttpTransactionExtractor::Limits limits;
  limits.maxHeadBytes = 1024;
  HttpTransactionExtractor x(limits);
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, "GET / HTTP/1.1\r\nCookie: " + std::string(600, 'c'));
  c.send(true, std::string(600, 'c') + "\r\n\r\n");
  EXPECT_EQ(x.stats().abandonedConnections, 1U);
  c.send(true, get("/later"));  // not followed any more
  c.send(false, kOk5);
  x.finish(out);
  EXPECT_TRUE(out.empty());
}

TEST(HttpTransactions, GapBeyondBufferIsAbandoned) {
  HttpTransactionExtractor::Limits limits;
  limits.maxBufferedBytes = 100;
  HttpTransactionExtractor x(limits);
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/first"));
  c.sendAt(false, 50, std::string(60, 'z'));  // would need bytes 0..110 buffered: over 100
  EXPECT_EQ(x.stats().abandonedConnections, 1U);
  ASSERT_EQ(out.size(), 1U);  // the request seen so far is not lost
  EXPECT_EQ(out[0].target, "/first");
  EXPECT_EQ(out[0].status, -1);
}

TEST(HttpTransactions, UnfilledGapAtEndIsCounted) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/g"));
  c.sendAt(false, 10, std::string_view(kOk5).substr(10));
  x.finish(out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].status, -1);
  EXPECT_EQ(x.stats().abandonedConnections, 1U);
}

TEST(HttpTransactions, PipelineLimit) {
  HttpTransactionExtractor::Limits limits;
  limits.maxPipelined = 2;
  HttpTransactionExtractor x(limits);
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/1") + get("/2") + get("/3"));
  EXPECT_EQ(x.stats().abandonedConnections, 1U);
  ASSERT_EQ(out.size(), 2U);  // the two queued ones leave unanswered
  EXPECT_EQ(out[1].target, "/2");
}

TEST(HttpTransactions, ResponseWithoutRequestAbandons) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(false, kOk5);
  EXPECT_EQ(x.stats().abandonedConnections, 1U);
}

TEST(HttpTransactions, PortReuseStartsNewConnection) {
  HttpTransactionExtractor x;
  std::vector<HttpTransaction> out;
  Conn c(x, out);
  c.handshake();
  c.send(true, get("/old"));
  c.next[0] += 100000;  // a new ISN on the same 4-tuple
  c.handshake();
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].target, "/old");
  c.send(true, get("/new"));
  c.send(false, kOk5);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].target, "/new");
  EXPECT_EQ(out[1].status, 200);
  EXPECT_EQ(x.stats().connections, 2U);
}

}  // namespace
}  // namespace mamori::sensor
