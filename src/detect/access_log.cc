#include "mamori/detect/access_log.h"
#include "mamori/core/crypto.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "mamori/core/time.h"

namespace mamori::detect {

enum class AccessLogParser::W3cField : uint8_t {
  kIgnored,
  kDate,
  kTime,
  kClientIp,
  kMethod,
  kUriStem,
  kUriQuery,
  kUri,
  kVersion,
  kStatus,
  kBytes,
  kUserAgent,
  kReferer,
  kHost,
  kTimeTaken,
};

namespace {

using LineKind = AccessLogParser::LineKind;
using W3cField = AccessLogParser::W3cField;

// Error messages quote the offending text; a cap keeps one huge garbage line from producing a
// huge message.
std::string quoteText(std::string_view s) {
  constexpr size_t kMaxQuoted = 80;
  std::string out = "'";
  for (const char c : s.substr(0, kMaxQuoted)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  if (s.size() > kMaxQuoted) out += "...";
  out += "'";
  return out;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (isSpace(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (isSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Non-negative decimal integer of at most 18 digits (so it always fits in int64_t).
std::optional<int64_t> parseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Result<int> parseStatus(std::string_view s) {
  if (s.size() == 3) {
    if (auto v = parseDecimal(s)) return static_cast<int>(*v);
  }
  return makeError("bad status code " + quoteText(s));
}

Result<int64_t> parseBytes(std::string_view s) {
  if (s == "-") return int64_t{-1};
  if (auto v = parseDecimal(s)) return *v;
  return makeError("bad response size " + quoteText(s));
}

// Undoes the escaping Apache (\" \\ \xhh) and nginx (\xhh) apply to quoted fields, giving back
// the bytes the client sent. Other backslash sequences (\n, \t) are kept as written.
std::string unescapeLogField(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    const char next = s[i + 1];
    if (next == '"' || next == '\\') {
      out += next;
      ++i;
    } else if (next == 'x' && i + 3 < s.size() && hexDigitValue(s[i + 2]) >= 0 &&
               hexDigitValue(s[i + 3]) >= 0) {
      out += static_cast<char>(hexDigitValue(s[i + 2]) * 16 + hexDigitValue(s[i + 3]));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Apache "%t" without brackets: "10/Oct/2000:13:55:36 -0700". Converted to RFC 3339 text so the
// calendar arithmetic lives in one place (core/time).
Result<int64_t> parseApacheTime(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  auto bad = [&] { return makeError("bad timestamp " + quoteText(s)); };
  auto digitsAt = [&](size_t pos, size_t n) {
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  // dd/Mon/yyyy:HH:MM:SS +zzzz
  if (s.size() != 26 || !digitsAt(0, 2) || s[2] != '/' || s[6] != '/' || !digitsAt(7, 4) ||
      s[11] != ':' || !digitsAt(12, 2) || s[14] != ':' || !digitsAt(15, 2) || s[17] != ':' ||
      !digitsAt(18, 2) || s[20] != ' ' || (s[21] != '+' && s[21] != '-') || !digitsAt(22, 4)) {
    return bad();
  }
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (equalsNoCase(s.substr(3, 3), kMonths[m])) month = m + 1;
  }
  if (month == 0) return bad();
  std::string rfc;
  rfc.reserve(25);
  rfc.append(s.substr(7, 4)).append("-");
  rfc += static_cast<char>('0' + month / 10);
  rfc += static_cast<char>('0' + month % 10);
  rfc.append("-").append(s.substr(0, 2)).append("T").append(s.substr(12, 8));
  rfc.append(s.substr(21, 3)).append(":").append(s.substr(24, 2));
  auto micros = parseRfc3339(rfc);
  if (!micros.ok()) return bad();
  return *micros;
}

// Splits Apache "%r" ("GET /path HTTP/1.1"). Garbage (a scanner's raw bytes, "-") is kept whole as
// the target with an empty method, because detection still wants to look at it.
void splitRequest(std::string_view request, HttpRequestLine& out) {
  auto isTokenChar = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
  };
  const size_t firstSpace = request.find(' ');
  bool methodOk = firstSpace != std::string_view::npos && firstSpace > 0 && firstSpace <= 32;
  for (size_t i = 0; methodOk && i < firstSpace; ++i) methodOk = isTokenChar(request[i]);
  if (!methodOk) {
    out.target = std::string(request);
    return;
  }
  out.method = std::string(request.substr(0, firstSpace));
  std::string_view rest = request.substr(firstSpace + 1);
  // The protocol is the last word if it looks like one; the target is everything between, so a
  // target with unescaped spaces stays whole.
  const size_t lastSpace = rest.rfind(' ');
  if (lastSpace != std::string_view::npos && rest.substr(lastSpace + 1).starts_with("HTTP/")) {
    out.protocol = std::string(rest.substr(lastSpace + 1));
    rest = rest.substr(0, lastSpace);
  }
  out.target = std::string(rest);
}

// Reads the text of a quoted field starting at line[pos] == '"'. The closing quote is a quote
// not escaped by a backslash and followed by whitespace or the end of the line, which also copes
// with servers that log a bare quote inside the field.
Result<std::string_view> quotedField(std::string_view line, size_t& pos, std::string_view name) {
  if (pos >= line.size()) return makeError("missing " + std::string(name) + " field");
  if (line[pos] != '"') return makeError("missing opening quote in " + std::string(name));
  const size_t start = pos + 1;
  for (size_t i = start; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
      continue;
    }
    if (line[i] == '"' && (i + 1 == line.size() || isSpace(line[i + 1]))) {
      pos = i + 1;
      return line.substr(start, i - start);
    }
  }
  return makeError("missing closing quote in " + std::string(name));
}

void skipSpaces(std::string_view line, size_t& pos) {
  while (pos < line.size() && isSpace(line[pos])) ++pos;
}

std::string_view bareField(std::string_view line, size_t& pos) {
  const size_t start = pos;
  while (pos < line.size() && !isSpace(line[pos])) ++pos;
  return line.substr(start, pos - start);
}

W3cField w3cFieldFromName(std::string_view name) {
  struct Entry {
    std::string_view name;
    W3cField field;
  };
  static constexpr Entry kEntries[] = {
      {"date", W3cField::kDate},
      {"time", W3cField::kTime},
      {"c-ip", W3cField::kClientIp},
      {"cs-method", W3cField::kMethod},
      {"cs-uri-stem", W3cField::kUriStem},
      {"cs-uri-query", W3cField::kUriQuery},
      {"cs-uri", W3cField::kUri},
      {"cs-version", W3cField::kVersion},
      {"sc-status", W3cField::kStatus},
      {"sc-bytes", W3cField::kBytes},
      {"cs(user-agent)", W3cField::kUserAgent},
      {"cs(referer)", W3cField::kReferer},
      {"cs-host", W3cField::kHost},
      {"time-taken", W3cField::kTimeTaken},
  };
  for (const auto& e : kEntries) {
    if (equalsNoCase(name, e.name)) return e.field;
  }
  return W3cField::kIgnored;
}

// nlohmann parses iteratively, but refusing absurd nesting up front keeps the cost of a hostile
// line bounded and independent of library internals.
bool jsonNestingWithin(std::string_view s, int limit) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

using Json = nlohmann::json;

const Json* findKey(const Json& object, std::initializer_list<std::string_view> keys,
                    std::string_view& foundName) {
  for (const auto key : keys) {
    const auto it = object.find(key);
    if (it != object.end() && !it->is_null()) {
      foundName = key;
      return &*it;
    }
  }
  return nullptr;
}

Result<std::string> jsonString(const Json& v, std::string_view name) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  return makeError("JSON: field '" + std::string(name) + "' is not a string");
}

// A number of seconds (JSON number or numeric string) as microseconds.
std::optional<int64_t> secondsToMicros(const Json& v) {
  double seconds = 0;
  if (v.is_number()) {
    seconds = v.get<double>();
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > 32) return std::nullopt;
    bool dot = false;
    for (const char c : s) {
      if (c == '.' && !dot) {
        dot = true;
      } else if (c < '0' || c > '9') {
        return std::nullopt;
      }
    }
    if (s == ".") return std::nullopt;
    seconds = std::strtod(s.c_str(), nullptr);
  } else {
    return std::nullopt;
  }
  // Bounded well inside int64 microseconds (year ~5000), so the conversion cannot overflow.
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e11) return std::nullopt;
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

Result<int64_t> jsonInteger(const Json& v, std::string_view name) {
  if (v.is_number_unsigned() || v.is_number_integer()) {
    const auto n = v.get<int64_t>();
    if (n >= 0) return n;
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d >= 0 && d < 1e18 && d == std::floor(d)) {
      return static_cast<int64_t>(d);
    }
  } else if (v.is_string()) {
    if (auto n = parseDecimal(v.get_ref<const std::string&>())) return *n;
  }
  return makeError("JSON: bad number in field '" + std::string(name) + "'");
}

}  // namespace

Result<LogFormat> parseLogFormat(std::string_view name) {
  if (name == "combined") return LogFormat::kCombined;
  if (name == "common") return LogFormat::kCommon;
  if (name == "w3c") return LogFormat::kW3c;
  if (name == "json") return LogFormat::kJson;
  return makeError("unknown log format " + quoteText(name) +
                   " (accepted: combined, common, w3c, json)");
}

std::string_view logFormatName(LogFormat format) {
  switch (format) {
    case LogFormat::kCombined:
      return "combined";
    case LogFormat::kCommon:
      return "common";
    case LogFormat::kW3c:
      return "w3c";
    case LogFormat::kJson:
      return "json";
  }
  return "unknown";
}

AccessLogParser::AccessLogParser(LogFormat format) : format_(format) {}

Result<LineKind> AccessLogParser::parse(std::string_view line, HttpRequestLine& out) {
  out = HttpRequestLine{};
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (trim(line).empty()) return LineKind::kBlank;
  Result<LineKind> result = makeError("unknown log format");
  switch (format_) {
    case LogFormat::kCombined:
    case LogFormat::kCommon:
      result = parseApache(line, out);
      break;
    case LogFormat::kW3c:
      result = line.front() == '#' ? parseW3cDirective(line) : parseW3cRecord(line, out);
      break;
    case LogFormat::kJson:
      result = parseJson(line, out);
      break;
  }
  // A half-filled record must not look like a request to a caller that ignores the error.
  if (!result.ok()) out = HttpRequestLine{};
  return result;
}

Result<LineKind> AccessLogParser::parseApache(std::string_view line, HttpRequestLine& out) const {
  size_t pos = 0;
  skipSpaces(line, pos);
  out.client = std::string(bareField(line, pos));
  skipSpaces(line, pos);
  const std::string_view ident = bareField(line, pos);
  skipSpaces(line, pos);
  const std::string_view user = bareField(line, pos);
  skipSpaces(line, pos);
  if (ident.empty() || user.empty() || pos >= line.size()) {
    return makeError("missing fields before the timestamp");
  }
  if (line[pos] != '[') return makeError("missing '[' before the timestamp");
  const size_t close = line.find(']', pos);
  if (close == std::string_view::npos) return makeError("missing ']' after the timestamp");
  auto time = parseApacheTime(line.substr(pos + 1, close - pos - 1));
  if (!time.ok()) return time.error();
  out.timeMicros = *time;
  pos = close + 1;
  skipSpaces(line, pos);

  auto request = quotedField(line, pos, "request");
  if (!request.ok()) return request.error();
  splitRequest(unescapeLogField(*request), out);
  skipSpaces(line, pos);

  const std::string_view statusText = bareField(line, pos);
  if (statusText.empty()) return makeError("missing status code");
  auto status = parseStatus(statusText);
  if (!status.ok()) return status.error();
  out.status = *status;
  skipSpaces(line, pos);
  const std::string_view bytesText = bareField(line, pos);
  if (bytesText.empty()) return makeError("missing response size");
  auto bytes = parseBytes(bytesText);
  if (!bytes.ok()) return bytes.error();
  out.responseBytes = *bytes;
  if (format_ == LogFormat::kCommon) return LineKind::kRequest;

  skipSpaces(line, pos);
  auto referer = quotedField(line, pos, "referer");
  if (!referer.ok()) return referer.error();
  out.referer = unescapeLogField(*referer);
  if (out.referer == "-") out.referer.clear();
  skipSpaces(line, pos);
  auto agent = quotedField(line, pos, "user agent");
  if (!agent.ok()) return agent.error();
  out.userAgent = unescapeLogField(*agent);
  if (out.userAgent == "-") out.userAgent.clear();
  // Anything after the user agent (nginx's $http_x_forwarded_for, request time, ...) varies by
  // site and is ignored.
  return LineKind::kRequest;
}

Result<LineKind> AccessLogParser::parseW3cDirective(std::string_view line) {
  line.remove_prefix(1);
  const size_t colon = line.find(':');
  const std::string_view name = colon == std::string_view::npos ? line : line.substr(0, colon);
  const std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : trim(line.substr(colon + 1));
  if (equalsNoCase(trim(name), "Fields")) {
    std::vector<W3cField> fields;
    size_t pos = 0;
    while (true) {
      skipSpaces(value, pos);
      if (pos >= value.size()) break;
      fields.push_back(w3cFieldFromName(bareField(value, pos)));
    }
    if (fields.empty()) {
      haveFields_ = false;
      fields_.clear();
      return makeError("#Fields directive declares no fields");
    }
    fields_ = std::move(fields);
    haveFields_ = true;
  } else if (equalsNoCase(trim(name), "Date")) {
    // "#Date: 2024-01-02 03:04:05": the date applies to records that log only a time.
    w3cDate_ = std::string(value.substr(0, value.find(' ')));
  }
  return LineKind::kDirective;
}

Result<LineKind> AccessLogParser::parseW3cRecord(std::string_view line,
                                                 HttpRequestLine& out) const {
  if (!haveFields_) return makeError("no #Fields directive before the first W3C record");
  // Count first, so a record in a stale layout is reported as such rather than as whichever of
  // its values first fails to parse.
  size_t count = 0;
  for (size_t scan = 0;;) {
    skipSpaces(line, scan);
    if (scan >= line.size()) break;
    bareField(line, scan);
    ++count;
  }
  if (count != fields_.size()) {
    return makeError("W3C record has " + std::to_string(count) + " fields, #Fields declares " +
                     std::to_string(fields_.size()));
  }
  std::string_view date = w3cDate_;
  std::string_view time;
  std::string_view stem;
  std::string_view query = "-";
  std::string_view uri;
  size_t pos = 0;
  size_t index = 0;
  while (true) {
    skipSpaces(line, pos);
    if (pos >= line.size()) break;
    const std::string_view value = bareField(line, pos);
    const W3cField field = fields_[index++];
    if (value == "-" && field != W3cField::kUriQuery) continue;
    switch (field) {
      case W3cField::kIgnored:
        break;
      case W3cField::kDate:
        date = value;
        break;
      case W3cField::kTime:
        time = value;
        break;
      case W3cField::kClientIp:
        out.client = std::string(value);
        break;
      case W3cField::kMethod:
        out.method = std::string(value);
        break;
      case W3cField::kUriStem:
        stem = value;
        break;
      case W3cField::kUriQuery:
        query = value;
        break;
      case W3cField::kUri:
        uri = value;
        break;
      case W3cField::kVersion:
        out.protocol = std::string(value);
        break;
      case W3cField::kStatus: {
        auto status = parseStatus(value);
        if (!status.ok()) return status.error();
        out.status = *status;
        break;
      }
      case W3cField::kBytes: {
        auto bytes = parseBytes(value);
        if (!bytes.ok()) return bytes.error();
        out.responseBytes = *bytes;
        break;
      }
      case W3cField::kUserAgent:
        // IIS writes spaces in the user agent as '+'.
        out.userAgent = std::string(value);
        for (char& c : out.userAgent) {
          if (c == '+') c = ' ';
        }
        break;
      case W3cField::kReferer:
        out.referer = std::string(value);
        break;
      case W3cField::kHost:
        out.host = std::string(value);
        break;
      case W3cField::kTimeTaken: {
        // IIS logs milliseconds.
        const auto millis = parseDecimal(value);
        if (!millis || *millis > std::numeric_limits<int64_t>::max() / 1000) {
          return makeError("bad time-taken " + quoteText(value));
        }
        out.durationMicros = *millis * 1000;
        break;
      }
    }
  }
  if (!stem.empty()) {
    out.target = std::string(stem);
    if (query != "-") out.target.append("?").append(query);
  } else {
    out.target = std::string(uri);
  }
  if (!time.empty()) {
    if (date.empty()) return makeError("W3C record has a time but no date");
    std::string rfc;
    rfc.append(date).append("T").append(time).append("Z");
    auto micros = parseRfc3339(rfc);
    if (!micros.ok()) return makeError("bad W3C date/time " + quoteText(rfc));
    out.timeMicros = *micros;
  }
  return LineKind::kRequest;
}

Result<LineKind> AccessLogParser::parseJson(std::string_view line, HttpRequestLine& out) {
  constexpr int kMaxNesting = 32;
  if (!jsonNestingWithin(line, kMaxNesting)) return makeError("JSON: nested too deeply");
  Json doc = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return makeError("JSON: invalid syntax");
  if (!doc.is_object()) return makeError("JSON: not an object");
  try {
    std::string_view name;
    if (const Json* v = findKey(doc, {"time", "timestamp", "time_iso8601", "time_local"}, name)) {
      if (auto micros = secondsToMicros(*v)) {
        out.timeMicros = *micros;
      } else if (v->is_string()) {
        const auto& s = v->get_ref<const std::string&>();
        auto rfc = parseRfc3339(s);
        auto apache = rfc.ok() ? rfc : parseApacheTime(s);
        if (!apache.ok()) return makeError("JSON: bad time " + quoteText(s));
        out.timeMicros = *apache;
      } else {
        return makeError("JSON: bad time in field '" + std::string(name) + "'");
      }
    }
    if (const Json* v = findKey(doc, {"remote_addr", "client", "c-ip", "client_ip"}, name)) {
      auto s = jsonString(*v, name);
      if (!s.ok()) return s.error();
      out.client = std::move(*s);
    }
    if (const Json* v = findKey(doc, {"method", "request_method"}, name)) {
      auto s = jsonString(*v, name);
      if (!s.ok()) return s.error();
      out.method = std::move(*s);
    }
    if (const Json* v = findKey(doc, {"protocol", "server_protocol"}, name)) {
      auto s = jsonString(*v, name);
      if (!s.ok()) return s.error();
      out.protocol = std::move(*s);
    }
    if (const Json* v = findKey(doc, {"uri", "request_uri", "target", "path"}, name)) {
      auto s = jsonString(*v, name);
      if (!s.ok()) return s.error();
      out.target = std::move(*s);
      // nginx's $uri carries no query; a log that records $args separately gets it re-attached.
      std::string_view argsName;
      if (const Json* a = findKey(doc, {"args", "query_string", "query"}, argsName)) {
        if (a->is_string() && !a->get_ref<const std::string&>().empty() &&
            out.target.find('?') == std::string::npos) {
          out.target.append("?").append(a->get_ref<const std::string&>());
        }
      }
    } else if (const Json* r = findKey(doc, {"request"}, name)) {
      // A whole "%r" request line, as in nginx's $request.
      auto s = jsonString(*r, name);
      if (!s.ok()) return s.error();
      HttpRequestLine split;
      splitRequest(*s, split);
      out.target = std::move(split.target);
      if (out.method.empty()) out.method = std::move(split.method);
      if (out.protocol.empty()) out.protocol = std::move(split.protocol);
    }
    if (const Json* v = findKey(doc, {"status"}, name)) {
      int64_t status = -1;
      if (v->is_string()) {
        auto parsed = parseStatus(v->get_ref<const std::string&>());
        if (!parsed.ok()) return parsed.error();
        status = *parsed;
      } else {
        auto n = jsonInteger(*v, name);
        if (!n.ok() || *n > 999) return makeError("bad status code " + quoteText(v->dump()));
        status = *n;
      }
      out.status = static_cast<int>(status);
    }
    if (const Json* v = findKey(doc, {"body_bytes_sent", "bytes", "bytes_sent"}, name)) {
      if (!(v->is_string() && v->get_ref<const std::string&>() == "-")) {
        auto n = jsonInteger(*v, name);
        if (!n.ok()) return n.error();
        out.responseBytes = *n;
      }
    }
    if (const Json* v = findKey(doc, {"http_user_agent", "user_agent"}, name)) {
      auto s = jsonString(*v, name);
      if (!s.ok()) return s.error();
      out.userAgent = *s == "-" ? std::string() : std::move(*s);
    }
    if (const Json* v = findKey(doc, {"http_referer", "referer"}, name)) {
      auto s = jsonString(*v, name);
      if (!s.ok()) return s.error();
      out.referer = *s == "-" ? std::string() : std::move(*s);
    }
    if (const Json* v = findKey(doc, {"host", "http_host"}, name)) {
      auto s = jsonString(*v, name);
      if (!s.ok()) return s.error();
      out.host = std::move(*s);
    }
    if (const Json* v = findKey(doc, {"request_time"}, name)) {
      const auto micros = secondsToMicros(*v);
      if (!micros) return makeError("JSON: bad request_time " + quoteText(v->dump()));
      out.durationMicros = *micros;
    }
  } catch (const Json::exception& e) {
    // Type checks above should make this unreachable; an unexpected shape is still only a bad
    // line, never a crash.
    return makeError(std::string("JSON: ") + e.what());
  }
  return LineKind::kRequest;
}

}  // namespace mamori::detect
