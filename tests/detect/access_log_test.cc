#include "mamori/detect/access_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace mamori::detect {
namespace {

using ::testing::HasSubstr;
using LineKind = AccessLogParser::LineKind;

constexpr int64_t kSecond = 1'000'000;

// Parses a line that must be a request.
HttpRequestLine request(AccessLogParser& parser, std::string_view line) {
  HttpRequestLine out;
  auto kind = parser.parse(line, out);
  EXPECT_TRUE(kind.ok()) << (kind.ok() ? "" : kind.error().message) << "\n  line: " << line;
  if (kind.ok()) EXPECT_EQ(*kind, LineKind::kRequest);
  return out;
}

std::string errorOf(AccessLogParser& parser, std::string_view line) {
  HttpRequestLine out;
  auto kind = parser.parse(line, out);
  EXPECT_FALSE(kind.ok()) << "accepted: " << line;
  return kind.ok() ? std::string() : kind.error().message;
}

TEST(ParseLogFormat, AcceptsTheFourNames) {
  EXPECT_EQ(*parseLogFormat("combined"), LogFormat::kCombined);
  EXPECT_EQ(*parseLogFormat("common"), LogFormat::kCommon);
  EXPECT_EQ(*parseLogFormat("w3c"), LogFormat::kW3c);
  EXPECT_EQ(*parseLogFormat("json"), LogFormat::kJson);
  for (auto f : {LogFormat::kCombined, LogFormat::kCommon, LogFormat::kW3c, LogFormat::kJson}) {
    EXPECT_EQ(*parseLogFormat(logFormatName(f)), f);
  }
}

TEST(ParseLogFormat, UnknownNameIsNamedWithTheAcceptedOnes) {
  auto r = parseLogFormat("apache");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("'apache'"));
  EXPECT_THAT(r.error().message, HasSubstr("combined, common, w3c, json"));
}

// The example line of the Apache httpd log-file documentation; 13:55:36 at -0700 is
// 2000-10-10T20:55:36Z = 971211336 (date -u -d).
TEST(CombinedLog, ApacheDocumentationExample) {
  AccessLogParser parser(LogFormat::kCombined);
  auto r = request(
      parser,
      R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" )"
      R"L(200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)")L");
  EXPECT_EQ(r.client, "127.0.0.1");
  EXPECT_EQ(r.timeMicros, 971211336 * kSecond);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/apache_pb.gif");
  EXPECT_EQ(r.protocol, "HTTP/1.0");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.responseBytes, 2326);
  EXPECT_EQ(r.referer, "http://www.example.com/start.html");
  EXPECT_EQ(r.userAgent, "Mozilla/4.08 [en] (Win98; I ;Nav)");
  EXPECT_EQ(r.host, "");
  EXPECT_EQ(r.durationMicros, -1);
}

TEST(CombinedLog, BackslashEscapedQuotesAreUndone) {
  AccessLogParser parser(LogFormat::kCombined);
  // 11:04:06 +0900 is 2024-03-05T02:04:06Z = 1709604246.
  auto r = request(
      parser,
      R"(203.0.113.7 - - [05/Mar/2024:11:04:06 +0900] "GET /search?q=\"1\"%20or%20\"1\"=\"1\" HTTP/1.1" )"
      R"(404 196 "-" "sqlmap/1.7.2#stable (\"https://sqlmap.org\") C:\\tmp")");
  EXPECT_EQ(r.timeMicros, 1709604246 * kSecond);
  EXPECT_EQ(r.target, R"(/search?q="1"%20or%20"1"="1")");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.referer, "");
  EXPECT_EQ(r.userAgent, R"(sqlmap/1.7.2#stable ("https://sqlmap.org") C:\tmp)");
}

TEST(CombinedLog, NginxLineWithHexEscapesAndTrailingFields) {
  AccessLogParser parser(LogFormat::kCombined);
  auto r = request(
      parser,
      R"(198.51.100.23 - - [15/Jan/2024:08:30:12 +0000] "GET /?q=\x22%3Cscript%3E\x22 HTTP/1.1" )"
      R"L(200 4523 "https://example.jp/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" "-" 0.012)L"
      "\r");
  EXPECT_EQ(r.timeMicros, 1705307412 * kSecond);
  EXPECT_EQ(r.target, "/?q=\"%3Cscript%3E\"");
  EXPECT_EQ(r.referer, "https://example.jp/");
  EXPECT_EQ(r.userAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
}

TEST(CombinedLog, MalformedRequestIsKeptAsTarget) {
  AccessLogParser parser(LogFormat::kCombined);
  auto dash = request(parser, R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "-" 408 0 "-" "-")");
  EXPECT_EQ(dash.method, "");
  EXPECT_EQ(dash.target, "-");
  EXPECT_EQ(dash.status, 408);

  // A TLS ClientHello sent to the plain-HTTP port, as nginx logs it.
  auto tls = request(
      parser,
      R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "\x16\x03\x01\x02\x00\x01\x00" 400 157 "-" "-")");
  EXPECT_EQ(tls.method, "");
  EXPECT_EQ(tls.target, std::string("\x16\x03\x01\x02\x00\x01\x00", 7));

  // HTTP/0.9 style, and a target with an unescaped space.
  auto old =
      request(parser, R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET /" 200 10 "-" "-")");
  EXPECT_EQ(old.method, "GET");
  EXPECT_EQ(old.target, "/");
  EXPECT_EQ(old.protocol, "");
  auto spaced = request(
      parser,
      R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET /a b.html HTTP/1.1" 400 0 "-" "-")");
  EXPECT_EQ(spaced.method, "GET");
  EXPECT_EQ(spaced.target, "/a b.html");
  EXPECT_EQ(spaced.protocol, "HTTP/1.1");
}

TEST(CombinedLog, MalformedLinesNameTheProblem) {
  AccessLogParser parser(LogFormat::kCombined);
  EXPECT_EQ(
      errorOf(
          parser,
          R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0)"),
      "missing closing quote in user agent");
  EXPECT_EQ(errorOf(parser, R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET / HTTP/1.1)"),
            "missing closing quote in request");
  EXPECT_EQ(errorOf(parser,
                    R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET / HTTP/1.1" abc 1 "-" "-")"),
            "bad status code 'abc'");
  EXPECT_EQ(
      errorOf(parser,
              R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET / HTTP/1.1" 200 x1 "-" "-")"),
      "bad response size 'x1'");
  EXPECT_EQ(errorOf(parser,
                    R"(192.0.2.1 - - [15/Foo/2024:08:30:12 +0000] "GET / HTTP/1.1" 200 1 "-" "-")"),
            "bad timestamp '15/Foo/2024:08:30:12 +0000'");
  EXPECT_EQ(errorOf(parser,
                    R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000 "GET / HTTP/1.1" 200 1 "-" "-")"),
            "missing ']' after the timestamp");
  EXPECT_EQ(errorOf(parser, R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET / HTTP/1.1" 200 1)"),
            "missing referer field");
  EXPECT_EQ(
      errorOf(parser, R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] GET / HTTP/1.1 200 1 "-" "-")"),
      "missing opening quote in request");
  EXPECT_EQ(errorOf(parser, "192.0.2.1"), "missing fields before the timestamp");
  HttpRequestLine out;
  ASSERT_FALSE(
      parser.parse(R"(192.0.2.1 - - [15/Jan/2024:08:30:12 +0000] "GET /x HTTP/1.1" 200 1)", out)
          .ok());
  EXPECT_EQ(out.client, "");  // reset, not half-filled
  EXPECT_EQ(out.target, "");
  EXPECT_EQ(out.status, -1);
}

TEST(CommonLog, SevenFieldsAndDashSize) {
  AccessLogParser parser(LogFormat::kCommon);
  auto r = request(
      parser,
      R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326)");
  EXPECT_EQ(r.timeMicros, 971211336 * kSecond);
  EXPECT_EQ(r.target, "/apache_pb.gif");
  EXPECT_EQ(r.responseBytes, 2326);
  EXPECT_EQ(r.userAgent, "");
  auto dash =
      request(parser, R"(10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "HEAD /x HTTP/1.1" 304 -)");
  EXPECT_EQ(dash.responseBytes, -1);
  EXPECT_EQ(dash.method, "HEAD");
  EXPECT_EQ(errorOf(parser, R"(10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "HEAD /x HTTP/1.1")"),
            "missing status code");
}

constexpr std::string_view kIisHeader =
    "#Software: Microsoft Internet Information Services 10.0\r\n"
    "#Version: 1.0\r\n"
    "#Date: 2024-01-15 08:30:00\r\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
    "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";

void feedLines(AccessLogParser& parser, std::string_view text) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    HttpRequestLine out;
    auto kind = parser.parse(line, out);
    ASSERT_TRUE(kind.ok()) << kind.error().message;
    EXPECT_EQ(*kind, LineKind::kDirective) << line;
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
}

TEST(W3cLog, IisRecord) {
  AccessLogParser parser(LogFormat::kW3c);
  feedLines(parser, kIisHeader);
  auto r =
      request(parser,
              "2024-01-15 08:30:12 10.0.0.5 GET /owa/auth/logon.aspx "
              "replaceCurrent=1&url=https%3a%2f%2fmail.example.go.jp%2fowa%2f 443 - 192.0.2.44 "
              "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 187\r");
  EXPECT_EQ(r.timeMicros, 1705307412 * kSecond);
  EXPECT_EQ(r.client, "192.0.2.44");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target,
            "/owa/auth/logon.aspx?replaceCurrent=1&url=https%3a%2f%2fmail.example.go.jp%2fowa%2f");
  EXPECT_EQ(r.userAgent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
  EXPECT_EQ(r.referer, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.responseBytes, -1);  // no sc-bytes column
  EXPECT_EQ(r.durationMicros, 187'000);

  auto noQuery = request(parser,
                         "2024-01-15 08:30:13 10.0.0.5 GET /etc/passwd - 443 - 192.0.2.44 "
                         "- https://x.example/ 404 0 2 15");
  EXPECT_EQ(noQuery.target, "/etc/passwd");
  EXPECT_EQ(noQuery.userAgent, "");
  EXPECT_EQ(noQuery.referer, "https://x.example/");
}

TEST(W3cLog, RecordBeforeFieldsIsAnError) {
  AccessLogParser parser(LogFormat::kW3c);
  EXPECT_EQ(errorOf(parser, "2024-01-15 08:30:12 10.0.0.5 GET / - 443"),
            "no #Fields directive before the first W3C record");
  HttpRequestLine out;
  EXPECT_EQ(*parser.parse("#Software: Microsoft Internet Information Services 10.0", out),
            LineKind::kDirective);
  EXPECT_EQ(errorOf(parser, "2024-01-15 08:30:12 10.0.0.5 GET / - 443"),
            "no #Fields directive before the first W3C record");
}

TEST(W3cLog, NewFieldsDirectiveChangesTheLayout) {
  AccessLogParser parser(LogFormat::kW3c);
  feedLines(parser, kIisHeader);
  feedLines(parser,
            "#Date: 2024-01-15 09:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status "
            "sc-bytes cs-host");
  // Date from #Date: 2024-01-15T09:00:00Z = 1705309200.
  auto r = request(parser, "09:00:00 192.0.2.9 POST /api/login 401 1234 www.example.jp");
  EXPECT_EQ(r.timeMicros, 1705309200 * kSecond);
  EXPECT_EQ(r.client, "192.0.2.9");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/api/login");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.responseBytes, 1234);
  EXPECT_EQ(r.host, "www.example.jp");
  // A record in the old layout no longer fits.
  EXPECT_EQ(
      errorOf(parser, "2024-01-15 08:30:13 10.0.0.5 GET /x - 443 - 192.0.2.44 - - 404 0 2 15"),
      "W3C record has 15 fields, #Fields declares 7");
}

TEST(W3cLog, MalformedRecordsNameTheProblem) {
  AccessLogParser parser(LogFormat::kW3c);
  feedLines(parser, "#Fields: date time c-ip cs-method cs-uri-stem sc-status time-taken");
  EXPECT_EQ(errorOf(parser, "2024-01-15 08:30:12 192.0.2.1 GET /"),
            "W3C record has 5 fields, #Fields declares 7");
  EXPECT_EQ(errorOf(parser, "2024-01-15 08:30:12 192.0.2.1 GET / abc 5"), "bad status code 'abc'");
  EXPECT_EQ(errorOf(parser, "2024-01-15 08:30:12 192.0.2.1 GET / 200 1.5"), "bad time-taken '1.5'");
  EXPECT_EQ(errorOf(parser, "2024-13-15 08:30:12 192.0.2.1 GET / 200 5"),
            "bad W3C date/time '2024-13-15T08:30:12Z'");
  EXPECT_EQ(errorOf(parser, "#Fields:"), "#Fields directive declares no fields");
  EXPECT_EQ(errorOf(parser, "2024-01-15 08:30:12 192.0.2.1 GET / 200 5"),
            "no #Fields directive before the first W3C record");
}

TEST(JsonLog, NginxEscapeJsonLine) {
  AccessLogParser parser(LogFormat::kJson);
  auto r = request(
      parser,
      R"({"time":"2024-03-05T11:04:06+09:00","remote_addr":"203.0.113.7","request_method":"GET",)"
      R"("request_uri":"/item.php?id=1%27%20OR%20%271%27=%271","status":200,"body_bytes_sent":5120,)"
      R"("http_referer":"","http_user_agent":"Mozilla/5.0 \"quoted\"","request_time":0.123,)"
      R"("http_host":"www.example.jp","server_protocol":"HTTP/2.0"})");
  EXPECT_EQ(r.timeMicros, 1709604246 * kSecond);
  EXPECT_EQ(r.client, "203.0.113.7");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/item.php?id=1%27%20OR%20%271%27=%271");
  EXPECT_EQ(r.protocol, "HTTP/2.0");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.responseBytes, 5120);
  EXPECT_EQ(r.referer, "");
  EXPECT_EQ(r.userAgent, "Mozilla/5.0 \"quoted\"");
  EXPECT_EQ(r.host, "www.example.jp");
  EXPECT_EQ(r.durationMicros, 123'000);
}

TEST(JsonLog, AlternativeKeysEpochSecondsAndStrings) {
  AccessLogParser parser(LogFormat::kJson);
  auto r = request(parser,
                   R"({"timestamp":1709604246.5,"client":"192.0.2.3","method":"GET","path":"/x",)"
                   R"("args":"a=1","status":"404","bytes":"-","request_time":"0.002"})");
  EXPECT_EQ(r.timeMicros, 1709604246 * kSecond + 500'000);
  EXPECT_EQ(r.target, "/x?a=1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.responseBytes, -1);
  EXPECT_EQ(r.durationMicros, 2'000);

  auto minimal = request(parser, R"({"c-ip":"192.0.2.4","request":"POST /cgi-bin/x HTTP/1.1"})");
  EXPECT_EQ(minimal.timeMicros, 0);
  EXPECT_EQ(minimal.method, "POST");
  EXPECT_EQ(minimal.target, "/cgi-bin/x");
  EXPECT_EQ(minimal.protocol, "HTTP/1.1");
  EXPECT_EQ(minimal.status, -1);
  EXPECT_EQ(minimal.responseBytes, -1);
  EXPECT_EQ(minimal.durationMicros, -1);

  auto local = request(parser, R"({"time_local":"10/Oct/2000:13:55:36 -0700","uri":"/"})");
  EXPECT_EQ(local.timeMicros, 971211336 * kSecond);
}

TEST(JsonLog, MalformedLinesNameTheProblem) {
  AccessLogParser parser(LogFormat::kJson);
  EXPECT_EQ(errorOf(parser, "[1,2,3]"), "JSON: not an object");
  EXPECT_EQ(errorOf(parser, "\"just a string\""), "JSON: not an object");
  EXPECT_EQ(errorOf(parser, R"({"uri":"/x")"), "JSON: invalid syntax");
  EXPECT_EQ(errorOf(parser, R"({"uri":"/x","status":"abc"})"), "bad status code 'abc'");
  EXPECT_EQ(errorOf(parser, R"({"uri":"/x","status":-5})"), "bad status code '-5'");
  EXPECT_EQ(errorOf(parser, R"({"uri":5.5})"), "JSON: field 'uri' is not a string");
  EXPECT_EQ(errorOf(parser, R"({"uri":"/","bytes":-1})"), "JSON: bad number in field 'bytes'");
  EXPECT_EQ(errorOf(parser, R"({"time":"yesterday"})"), "JSON: bad time 'yesterday'");
  EXPECT_EQ(errorOf(parser, R"({"time":1e300})"), "JSON: bad time in field 'time'");
  EXPECT_EQ(errorOf(parser, R"({"request_time":"fast"})"), "JSON: bad request_time '\"fast\"'");
  EXPECT_EQ(errorOf(parser, std::string(100, '[') + std::string(100, ']')),
            "JSON: nested too deeply");
}

TEST(AllFormats, BlankLines) {
  for (auto f : {LogFormat::kCombined, LogFormat::kCommon, LogFormat::kW3c, LogFormat::kJson}) {
    AccessLogParser parser(f);
    for (std::string_view line : {"", " ", "\t  ", "\r"}) {
      HttpRequestLine out;
      auto kind = parser.parse(line, out);
      ASSERT_TRUE(kind.ok());
      EXPECT_EQ(*kind, LineKind::kBlank);
    }
  }
}

TEST(AllFormats, BinaryGarbageAndHugeLinesAreErrorsNotCrashes) {
  std::string garbage;
  for (int i = 0; i < 512; ++i) garbage += static_cast<char>((i * 167 + 13) & 0xff);
  const std::string huge(1 << 20, 'A');
  const std::string hugeQuote = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"" + huge;
  for (auto f : {LogFormat::kCombined, LogFormat::kCommon, LogFormat::kW3c, LogFormat::kJson}) {
    AccessLogParser parser(f);
    HttpRequestLine out;
    EXPECT_FALSE(parser.parse(garbage, out).ok()) << logFormatName(f);
    EXPECT_FALSE(parser.parse(huge, out).ok()) << logFormatName(f);
    EXPECT_FALSE(parser.parse(hugeQuote, out).ok()) << logFormatName(f);
    EXPECT_FALSE(parser.parse(std::string_view("\0\0\0", 3), out).ok()) << logFormatName(f);
  }
  // Error messages quote a bounded, printable excerpt of the offending text.
  AccessLogParser parser(LogFormat::kCombined);
  const std::string message =
      errorOf(parser, "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" " + huge +
                          " 1 \"-\" \"-\"");
  EXPECT_LT(message.size(), 200u);
  EXPECT_THAT(message, HasSubstr("bad status code 'AAAA"));
}

}  // namespace
}  // namespace mamori::detect
