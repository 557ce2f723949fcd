#include "proto/http/http.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::sensor::http {
namespace {

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

HttpParse parse(std::string_view s, HttpRequestHead& out) {
  return parseHttpRequestHead(bytesOf(s), out);
}

std::string hostOf(std::string_view hostLine) {
  const std::string req = "GET / HTTP/1.1\r\n" + std::string(hostLine) + "\r\nAccept: */*\r\n\r\n";
  HttpRequestHead h;
  EXPECT_EQ(parse(req, h), HttpParse::kOk) << hostLine;
  return h.host;
}

TEST(HttpParse, SimpleGet) {
  HttpRequestHead h;
  ASSERT_EQ(parse("GET /search?q=secret HTTP/1.1\r\nHost: www.example.com\r\n"
                  "User-Agent: curl/8.5.0\r\n\r\n",
                  h),
            HttpParse::kOk);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.host, "www.example.com");
}

TEST(HttpParse, TargetIsNeverReturned) {
  // The struct has no field for it; make sure it does not leak into the ones it has.
  HttpRequestHead h;
  ASSERT_EQ(parse("POST /login?user=alice HTTP/1.1\r\nHost: a.test\r\n\r\n", h), HttpParse::kOk);
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.host.find("alice"), std::string::npos);
  EXPECT_EQ(h.method.find("alice"), std::string::npos);
}

TEST(HttpParse, HostVariants) {
  EXPECT_EQ(hostOf("Host: example.com"), "example.com");
  EXPECT_EQ(hostOf("host: example.com"), "example.com");
  EXPECT_EQ(hostOf("HOST:example.com"), "example.com");
  EXPECT_EQ(hostOf("Host: \t Example.COM \t"), "example.com");
  EXPECT_EQ(hostOf("Host: example.com:8080"), "example.com");
  EXPECT_EQ(hostOf("Host: 192.0.2.1:80"), "192.0.2.1");
  EXPECT_EQ(hostOf("Host: [2001:DB8::1]:8443"), "2001:db8::1");
  EXPECT_EQ(hostOf("Host: [2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(hostOf("Host: [2001:db8::1"), "");            // unclosed bracket
  EXPECT_EQ(hostOf("Host: 2001:db8::1"), "2001:db8::1");  // unbracketed: kept whole
  EXPECT_EQ(hostOf("Host:"), "");
  EXPECT_EQ(hostOf("Host: :80"), "");
  EXPECT_EQ(hostOf("Host: ex ample\x01.com"), "ex\\032ample\\001.com");
  EXPECT_EQ(hostOf("Host: " + std::string(256, 'a')), "");
  EXPECT_EQ(hostOf("Host: " + std::string(255, 'a')), std::string(255, 'a'));
  // Not the Host header.
  EXPECT_EQ(hostOf("X-Host: evil.test"), "");
  EXPECT_EQ(hostOf("Hostname: evil.test"), "");
  EXPECT_EQ(hostOf("Host : evil.test"), "");  // whitespace before the colon is invalid
}

TEST(HttpParse, FirstHostWins) {
  HttpRequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: first.test\r\nHost: second.test\r\n\r\n", h),
            HttpParse::kOk);
  EXPECT_EQ(h.host, "first.test");
}

TEST(HttpParse, MissingHost) {
  HttpRequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", h), HttpParse::kOk);
  EXPECT_EQ(h.method, "GET");
  EXPECT_TRUE(h.host.empty());
  ASSERT_EQ(parse("HEAD / HTTP/1.0\r\n\r\n", h), HttpParse::kOk);
  EXPECT_EQ(h.method, "HEAD");
}

TEST(HttpParse, BareLineFeeds) {
  HttpRequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.1\nHost: lf.test\n\n", h), HttpParse::kOk);
  EXPECT_EQ(h.host, "lf.test");
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: mixed.test\n\r\n", h), HttpParse::kOk);
  EXPECT_EQ(h.host, "mixed.test");
}

TEST(HttpParse, Methods) {
  HttpRequestHead h;
  for (const std::string_view m : {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH",
                                   "TRACE", "PROPFIND", "MKCOL", "VERSION-CONTROL"}) {
    const std::string req = std::string(m) + " / HTTP/1.1\r\nHost: x.test\r\n\r\n";
    ASSERT_EQ(parse(req, h), HttpParse::kOk) << m;
    EXPECT_EQ(h.method, m);
  }
  ASSERT_EQ(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", h),
            HttpParse::kOk);
  EXPECT_EQ(h.method, "CONNECT");
  EXPECT_EQ(h.host, "example.com");
  ASSERT_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: x.test\r\n\r\n", h), HttpParse::kOk);
}

TEST(HttpParse, NotHttp) {
  HttpRequestHead h;
  for (const std::string_view s : {
           "get / HTTP/1.1\r\n\r\n",            // lower-case method
           " GET / HTTP/1.1\r\n\r\n",           // leading space
           "GET  / HTTP/1.1\r\n\r\n",           // empty target
           "GET / HTTP/2.0\r\n\r\n",            // not HTTP/1.x
           "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  // HTTP/2 prior-knowledge preface
           "GET / HTTP/1.1 \r\n\r\n",           // junk after the version
           "GET /a\x01 HTTP/1.1\r\n\r\n",       // control character in the target
           "GET / HTTP/1.x\r\n\r\n",
           "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n",  // 17-letter method
           "-GET / HTTP/1.1\r\n\r\n",
           "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  // a TLS ClientHello
           "SSH-2.0-OpenSSH_9.6\r\n",
       }) {
    EXPECT_EQ(parse(s, h), HttpParse::kNotHttp) << s;
  }
}

TEST(HttpParse, EveryPrefixNeedsMore) {
  const std::string req =
      "GET /index.html HTTP/1.1\r\nHost: www.example.com:8080\r\nAccept: */*\r\n\r\n";
  HttpRequestHead h;
  for (size_t n = 0; n < req.size(); ++n) {
    ASSERT_EQ(parse(std::string_view(req).substr(0, n), h), HttpParse::kNeedMore) << n;
  }
  ASSERT_EQ(parse(req, h), HttpParse::kOk);
  EXPECT_EQ(h.host, "www.example.com");
}

TEST(HttpParse, BodyAfterHeadIsNotRead) {
  HttpRequestHead h;
  ASSERT_EQ(parse("POST /f HTTP/1.1\r\nHost: a.test\r\nContent-Length: 20\r\n\r\n"
                  "Host: body.test\r\n\r\n",
                  h),
            HttpParse::kOk);
  EXPECT_EQ(h.host, "a.test");
  ASSERT_EQ(parse("POST /f HTTP/1.1\r\nContent-Length: 20\r\n\r\nHost: body.test\r\n\r\n", h),
            HttpParse::kOk);
  EXPECT_TRUE(h.host.empty());
}

TEST(HttpParse, OversizedHead) {
  HttpRequestHead h;
  // Host early, then a cookie that pushes the end of the head past 8 KiB.
  const std::string big =
      "GET / HTTP/1.1\r\nHost: early.test\r\nCookie: " + std::string(kMaxHeadBytes, 'c') +
      "\r\n\r\n";
  EXPECT_EQ(parse(std::string_view(big).substr(0, kMaxHeadBytes - 1), h), HttpParse::kNeedMore);
  ASSERT_EQ(parse(big, h), HttpParse::kOk);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.host, "early.test");

  // A Host that only starts after the first 8 KiB is not seen.
  const std::string late = "GET / HTTP/1.1\r\nCookie: " + std::string(kMaxHeadBytes, 'c') +
                           "\r\nHost: late.test\r\n\r\n";
  ASSERT_EQ(parse(late, h), HttpParse::kOk);
  EXPECT_TRUE(h.host.empty());

  // A request line that does not end within 8 KiB cannot be confirmed as HTTP.
  const std::string longLine = "GET /" + std::string(kMaxHeadBytes, 'u') + " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(parse(longLine, h), HttpParse::kNotHttp);
  EXPECT_EQ(parse(std::string_view(longLine).substr(0, 100), h), HttpParse::kNeedMore);

  // A head that ends exactly at the 8 KiB boundary is complete.
  std::string exact = "GET / HTTP/1.1\r\nHost: edge.test\r\nX: ";
  exact += std::string(kMaxHeadBytes - exact.size() - 4, 'x') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), kMaxHeadBytes);
  ASSERT_EQ(parse(exact + "trailing", h), HttpParse::kOk);
  EXPECT_EQ(h.host, "edge.test");
}

TEST(HttpParse, HeaderLinesWithoutColonAreSkipped) {
  HttpRequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nnonsense line\r\n folded\r\nHost: ok.test\r\n\r\n", h),
            HttpParse::kOk);
  EXPECT_EQ(h.host, "ok.test");
}

TEST(HttpLooksLike, Detection) {
  EXPECT_TRUE(looksLikeHttpRequest(bytesOf("GET / HTTP/1.1\r\n")));
  EXPECT_TRUE(looksLikeHttpRequest(bytesOf("POST /")));
  EXPECT_TRUE(looksLikeHttpRequest(bytesOf("CONNECT example.com:443 HTTP/1.1")));
  EXPECT_TRUE(looksLikeHttpRequest(bytesOf("OPTIONS *")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("GET")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("GET ")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("GET  /")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("get / HTTP/1.1")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("HTTP/1.1 200 OK\r\n")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("\x16\x03\x01\x00\xa5\x01")));
  EXPECT_FALSE(looksLikeHttpRequest(bytesOf("ABCDEFGHIJKLMNOPQ /")));
}

// ---- whole message heads -------------------------------------------------------------------

HeadParse request(std::string_view s, HttpRequestMessageHead& out, size_t max = 16384) {
  return parseRequestMessageHead(bytesOf(s), max, out);
}
HeadParse response(std::string_view s, HttpResponseHead& out, size_t max = 16384) {
  return parseResponseHead(bytesOf(s), max, out);
}

TEST(HttpMessageHead, RequestFields) {
  HttpRequestMessageHead h;
  const std::string_view req =
      "GET /a/../etc/passwd?x=%27 HTTP/1.0\r\nHOST: Www.Example.com:8080\r\n"
      "user-agent:  Mozilla/5.0 (X11) \t\r\nReferer: http://r.test/?q=1\r\n"
      "User-Agent: second\r\n\r\nBODY";
  ASSERT_EQ(request(req, h), HeadParse::kOk);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a/../etc/passwd?x=%27");
  EXPECT_EQ(h.protocol, "HTTP/1.0");
  EXPECT_EQ(h.host, "www.example.com");
  EXPECT_EQ(h.userAgent, "Mozilla/5.0 (X11)");  // the first one, trimmed
  EXPECT_EQ(h.referer, "http://r.test/?q=1");
  EXPECT_EQ(h.contentLength, -1);
  EXPECT_FALSE(h.chunked);
  EXPECT_EQ(h.headBytes, req.size() - 4);  // up to and including the empty line
}

TEST(HttpMessageHead, RequestFraming) {
  HttpRequestMessageHead h;
  ASSERT_EQ(request("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n", h), HeadParse::kOk);
  EXPECT_EQ(h.contentLength, 42);
  // RFC 9110 8.6: a list of identical values is the same length.
  ASSERT_EQ(request("POST / HTTP/1.1\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n", h),
            HeadParse::kOk);
  EXPECT_EQ(h.contentLength, 7);
  ASSERT_EQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
                    "Transfer-Encoding: Chunked\r\nContent-Length: 3\r\n\r\n",
                    h),
            HeadParse::kOk);
  EXPECT_TRUE(h.chunked);
  EXPECT_FALSE(h.otherCoding);
  ASSERT_EQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", h),
            HeadParse::kOk);
  EXPECT_FALSE(h.chunked);
  EXPECT_TRUE(h.otherCoding);
  ASSERT_EQ(request("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n", h), HeadParse::kOk);
  EXPECT_TRUE(h.expectContinue);
  // Smuggling-shaped lengths are refused, not guessed.
  for (const std::string_view bad : {
           "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n",
       }) {
    EXPECT_EQ(request(bad, h), HeadParse::kBad) << bad;
  }
}

TEST(HttpMessageHead, RequestLimitsAndPrefixes) {
  HttpRequestMessageHead h;
  const std::string req = "GET /x HTTP/1.1\r\nHost: a.test\r\nCookie: c=1\r\n\r\n";
  for (size_t n = 0; n < req.size(); ++n) {
    ASSERT_EQ(request(std::string_view(req).substr(0, n), h), HeadParse::kNeedMore) << n;
  }
  EXPECT_EQ(request(req, h, req.size()), HeadParse::kOk);  // exactly at the limit
  EXPECT_EQ(request(req, h, req.size() - 1), HeadParse::kTooLarge);
  EXPECT_EQ(request("get / HTTP/1.1\r\n\r\n", h), HeadParse::kBad);
  EXPECT_EQ(request("GET / HTTP/2.0\r\n\r\n", h), HeadParse::kBad);
}

TEST(HttpMessageHead, Response) {
  HttpResponseHead h;
  const std::string_view notFound =
      "HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\nConnection: keep-alive, Close\r\n\r\n"
      "not found...";
  ASSERT_EQ(response(notFound, h), HeadParse::kOk);
  EXPECT_EQ(h.protocol, "HTTP/1.1");
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.contentLength, 12);
  EXPECT_TRUE(h.connectionClose);
  EXPECT_EQ(h.headBytes, notFound.find("not found"));
  ASSERT_EQ(response("HTTP/1.0 200\n\n", h), HeadParse::kOk);  // no reason phrase, bare LF
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.contentLength, -1);
  EXPECT_FALSE(h.connectionClose);
  ASSERT_EQ(response("HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n", h), HeadParse::kOk);
  EXPECT_TRUE(h.chunked);
  // A non-chunked final coding: the body runs to the close, whatever Content-Length says.
  ASSERT_EQ(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 9\r\n\r\n", h),
            HeadParse::kOk);
  EXPECT_FALSE(h.chunked);
  EXPECT_EQ(h.contentLength, -1);
  for (const std::string_view bad :
       {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"}) {
    EXPECT_EQ(response(bad, h), HeadParse::kBad) << bad;
  }
  const std::string ok = "HTTP/1.1 301 Moved\r\nLocation: /\r\n\r\n";
  for (size_t n = 0; n < ok.size(); ++n) {
    ASSERT_EQ(response(std::string_view(ok).substr(0, n), h), HeadParse::kNeedMore) << n;
  }
  EXPECT_EQ(response(ok, h, 10), HeadParse::kTooLarge);
}

TEST(HttpMessageHead, LooksLikeResponse) {
  EXPECT_TRUE(looksLikeHttpResponse(bytesOf("HTTP/1.1 200 OK")));
  EXPECT_TRUE(looksLikeHttpResponse(bytesOf("HT")));
  EXPECT_FALSE(looksLikeHttpResponse(bytesOf("")));
  EXPECT_FALSE(looksLikeHttpResponse(bytesOf("HTTP/2 200")));
  EXPECT_FALSE(looksLikeHttpResponse(bytesOf("GET / HTTP/1.1")));
}

TEST(HttpMessageHead, ChunkSizeLines) {
  uint64_t size = 0;
  size_t line = 0;
  const auto chunk = [&](std::string_view s, size_t max = 64) {
    return parseChunkSizeLine(bytesOf(s), max, size, line);
  };
  ASSERT_EQ(chunk("1a\r\nxyz"), HeadParse::kOk);
  EXPECT_EQ(size, 26U);
  EXPECT_EQ(line, 4U);
  ASSERT_EQ(chunk("FF ; name=\"v\"\r\n"), HeadParse::kOk);  // RFC 9112 7.1.1 extension, BWS
  EXPECT_EQ(size, 255U);
  EXPECT_EQ(line, 15U);
  ASSERT_EQ(chunk("0\n"), HeadParse::kOk);
  EXPECT_EQ(size, 0U);
  EXPECT_EQ(line, 2U);
  ASSERT_EQ(chunk("fffffffffffffff\r\n"), HeadParse::kOk);  // 15 digits: the largest accepted
  EXPECT_EQ(size, 0xfffffffffffffffULL);
  EXPECT_EQ(chunk("1000000000000000\r\n"), HeadParse::kBad);  // 16 digits
  EXPECT_EQ(chunk("\r\n"), HeadParse::kBad);
  EXPECT_EQ(chunk("-1\r\n"), HeadParse::kBad);
  EXPECT_EQ(chunk("1g\r\n"), HeadParse::kBad);
  EXPECT_EQ(chunk("1a"), HeadParse::kNeedMore);
  EXPECT_EQ(chunk("1a\r"), HeadParse::kNeedMore);
  EXPECT_EQ(chunk("1a;" + std::string(100, 'e') + "\r\n"), HeadParse::kTooLarge);
}

// The committed fuzz seed corpus (tests/fuzz/corpus/<name>/<file>).
std::vector<uint8_t> seed(const char* dir, const char* file) {
  std::ifstream in(std::string(MAMORI_SOURCE_DIR) + "/tests/fuzz/corpus/" + dir + "/" + file,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << dir << "/" << file;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(HttpCorpus, SeedsParseAsExpected) {
  const auto host = [](const char* file) {
    HttpRequestHead h;
    EXPECT_EQ(parseHttpRequestHead(seed("http", file), h), HttpParse::kOk) << file;
    return h.host;
  };
  EXPECT_EQ(host("get_host"), "www.example.com");
  EXPECT_EQ(host("lf_only"), "2001:db8::1");
  EXPECT_EQ(host("connect"), "example.com");
  EXPECT_EQ(host("no_host"), "");
}

}  // namespace
}  // namespace mamori::sensor::http
