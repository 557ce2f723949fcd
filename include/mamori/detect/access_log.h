// Access-log line parsers: turn one line of a web server access log into an HttpRequestLine.
//
// Formats: Apache/nginx "combined" and "common", IIS W3C extended, and JSON lines. Lines are
// attacker-influenced (the request target, referer and user agent are whatever the client sent),
// so parse() never throws, never reads outside the line, and reports a malformed line as an Error
// naming the problem; the caller counts it with its line number and carries on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.h"

namespace mamori::detect {

enum class LogFormat { kCombined, kCommon, kW3c, kJson };

// Accepts "combined", "common", "w3c", "json"; any other text is an error naming the value and
// the accepted ones.
Result<LogFormat> parseLogFormat(std::string_view name);
std::string_view logFormatName(LogFormat format);

// One request as recorded by the server. Absent fields keep the defaults below.
struct HttpRequestLine {
  int64_t timeMicros = 0;      // UTC microseconds since the epoch; 0 if the line has no time
  std::string client;          // client address as logged (not validated)
  std::string method;          // empty if the request line was malformed
  std::string target;          // raw request target (log escaping undone, URL encoding kept);
                               // the whole request text when it could not be split
  std::string protocol;        // e.g. "HTTP/1.1"; empty if absent
  int status = -1;             // response status; -1 if absent
  int64_t responseBytes = -1;  // response size; -1 if absent or "-"
  std::string referer;
  std::string userAgent;
  std::string host;             // requested host (W3C cs-host, JSON host); empty if absent
  int64_t durationMicros = -1;  // time taken; -1 if absent
};

// Parses lines of one log, in order. Not thread-safe: a W3C parser keeps the field layout of the
// latest "#Fields:" directive (and the date of "#Date:" for records without a date field).
class AccessLogParser {
 public:
  enum class LineKind { kRequest, kDirective, kBlank };

  explicit AccessLogParser(LogFormat format);

  // Parses one line (without its newline; a trailing '\r' is ignored). On kRequest `out` holds
  // the request; on kDirective/kBlank and on error `out` is reset to defaults and must be ignored.
  // Directives exist only in W3C; a blank line is empty or whitespace only.
  Result<LineKind> parse(std::string_view line, HttpRequestLine& out);

  LogFormat format() const { return format_; }

  // Implementation detail (a W3C column the parser understands); defined in the .cc file.
  enum class W3cField : uint8_t;

 private:
  Result<LineKind> parseApache(std::string_view line, HttpRequestLine& out) const;
  Result<LineKind> parseW3cDirective(std::string_view line);
  Result<LineKind> parseW3cRecord(std::string_view line, HttpRequestLine& out) const;
  static Result<LineKind> parseJson(std::string_view line, HttpRequestLine& out);

  LogFormat format_;
  bool haveFields_ = false;
  std::vector<W3cField> fields_;
  std::string w3cDate_;  // "YYYY-MM-DD" from the latest #Date directive
};

}  // namespace mamori::detect
