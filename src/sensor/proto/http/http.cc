#include "proto/http/http.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "mamori/core/crypto.h"
#include "proto/dns/dns.h"

namespace mamori::sensor::http {
namespace {

enum class Step : uint8_t { kOk, kNeedMore, kBad };

bool isMethodChar(uint8_t b, size_t index) {
  return (b >= 'A' && b <= 'Z') || (index > 0 && (b == '-' || b == '_'));
}

// Raw UTF-8 in targets is common in the wild, so only controls, space and DEL are refused.
bool isTargetChar(uint8_t b) {
  return b > 0x20 && b != 0x7f;
}

// Length of the method token that starts `w`, stopping at the first space.
Step methodToken(std::span<const uint8_t> w, size_t& length) {
  size_t i = 0;
  while (i < w.size() && w[i] != ' ') {
    if (i >= kMaxMethodBytes || !isMethodChar(w[i], i)) {
      return Step::kBad;
    }
    ++i;
  }
  if (i == w.size()) {
    return Step::kNeedMore;
  }
  if (i == 0) {
    return Step::kBad;
  }
  length = i;
  return Step::kOk;
}

// "HTTP/1." DIGIT starting at w[i]; advances i past it.
Step httpVersion(std::span<const uint8_t> w, size_t& i) {
  constexpr std::string_view kVersion = "HTTP/1.";
  for (const char expected : kVersion) {
    if (i == w.size()) {
      return Step::kNeedMore;
    }
    if (w[i] != static_cast<uint8_t>(expected)) {
      return Step::kBad;
    }
    ++i;
  }
  if (i == w.size()) {
    return Step::kNeedMore;
  }
  if (w[i] < '0' || w[i] > '9') {
    return Step::kBad;
  }
  ++i;
  return Step::kOk;
}

// (CR)LF at w[i]; on kOk i is just past the LF.
Step lineEnd(std::span<const uint8_t> w, size_t& i) {
  if (i == w.size()) {
    return Step::kNeedMore;
  }
  if (w[i] == '\r') {
    ++i;
    if (i == w.size()) {
      return Step::kNeedMore;
    }
  }
  if (w[i] != '\n') {
    return Step::kBad;
  }
  ++i;
  return Step::kOk;
}

// METHOD SP TARGET SP HTTP/1.D (CR)LF; the target is [methodBytes + 1, targetEnd), lineEnd is the
// offset just past the LF.
Step requestLine(std::span<const uint8_t> w, size_t& methodBytes, size_t& targetEnd,
                 size_t& lineEndOffset) {
  const Step method = methodToken(w, methodBytes);
  if (method != Step::kOk) {
    return method;
  }
  size_t i = methodBytes + 1;
  const size_t targetStart = i;
  while (i < w.size() && w[i] != ' ') {
    if (!isTargetChar(w[i])) {
      return Step::kBad;
    }
    ++i;
  }
  if (i == w.size()) {
    return Step::kNeedMore;
  }
  if (i == targetStart) {
    return Step::kBad;
  }
  targetEnd = i;
  ++i;
  if (const Step version = httpVersion(w, i); version != Step::kOk) {
    return version;
  }
  if (const Step end = lineEnd(w, i); end != Step::kOk) {
    return end;
  }
  lineEndOffset = i;
  return Step::kOk;
}

bool isBlank(uint8_t b) {
  return b == ' ' || b == '\t';
}

uint8_t asciiLower(uint8_t b) {
  return (b >= 'A' && b <= 'Z') ? static_cast<uint8_t>(b - 'A' + 'a') : b;
}

// Case-insensitive comparison with a lower-case ASCII name.
bool equalsLower(std::span<const uint8_t> text, std::string_view lowerName) {
  if (text.size() != lowerName.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (asciiLower(text[i]) != static_cast<uint8_t>(lowerName[i])) {
      return false;
    }
  }
  return true;
}

std::span<const uint8_t> trimBlanks(std::span<const uint8_t> value) {
  while (!value.empty() && isBlank(value.front())) {
    value = value.subspan(1);
  }
  while (!value.empty() && isBlank(value.back())) {
    value = value.first(value.size() - 1);
  }
  return value;
}

// The line that starts at w[pos], without its (CR)LF; advances pos past the LF. False when no LF
// follows within w.
bool nextLine(std::span<const uint8_t> w, size_t& pos, std::span<const uint8_t>& line) {
  const auto rest = w.subspan(pos);
  const auto lf = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
  if (lf == rest.end()) {
    return false;
  }
  line = rest.first(static_cast<size_t>(lf - rest.begin()));
  pos += line.size() + 1;
  if (!line.empty() && line.back() == '\r') {
    line = line.first(line.size() - 1);
  }
  return true;
}

// "name: value" (no whitespace before the colon, RFC 9112 5.1); false for lines without a colon.
bool splitHeader(std::span<const uint8_t> line, std::span<const uint8_t>& name,
                 std::span<const uint8_t>& value) {
  const auto colon = std::find(line.begin(), line.end(), uint8_t{':'});
  if (colon == line.end()) {
    return false;
  }
  const size_t nameBytes = static_cast<size_t>(colon - line.begin());
  name = line.first(nameBytes);
  value = line.subspan(nameBytes + 1);
  return true;
}

// Calls onHeader(name, value) for each "name: value" line from w[pos] up to the empty line.
// kOk: the empty line was found and pos is just past it; kNeedMore: w ended first.
template <typename OnHeader>
Step scanHeaders(std::span<const uint8_t> w, size_t& pos, OnHeader&& onHeader) {
  std::span<const uint8_t> line;
  while (nextLine(w, pos, line)) {
    if (line.empty()) {
      return Step::kOk;
    }
    std::span<const uint8_t> name;
    std::span<const uint8_t> value;
    if (splitHeader(line, name, value) && !onHeader(name, value)) {
      return Step::kBad;
    }
  }
  return Step::kNeedMore;
}

// Next comma-separated element of a list value, trimmed; false when the list is exhausted.
bool nextListElement(std::span<const uint8_t>& list, std::span<const uint8_t>& element) {
  if (list.empty()) {
    return false;
  }
  const auto comma = std::find(list.begin(), list.end(), uint8_t{','});
  const size_t n = static_cast<size_t>(comma - list.begin());
  element = trimBlanks(list.first(n));
  list = n < list.size() ? list.subspan(n + 1) : list.subspan(n);
  return true;
}

bool listContains(std::span<const uint8_t> list, std::string_view lowerToken) {
  std::span<const uint8_t> element;
  while (nextListElement(list, element)) {
    if (equalsLower(element, lowerToken)) {
      return true;
    }
  }
  return false;
}

// Content-Length: a decimal number, or a list of identical ones (RFC 9110 8.6); merged with any
// earlier value, which must agree. 18 digits keep the value inside int64_t.
bool mergeContentLength(std::span<const uint8_t> value, int64_t& length) {
  std::span<const uint8_t> element;
  bool any = false;
  while (nextListElement(value, element)) {
    if (element.empty() || element.size() > 18) {
      return false;
    }
    int64_t n = 0;
    for (const uint8_t b : element) {
      if (b < '0' || b > '9') {
        return false;
      }
      n = n * 10 + (b - '0');
    }
    if (length >= 0 && length != n) {
      return false;
    }
    length = n;
    any = true;
  }
  return any;
}

// Transfer-Encoding: only the final coding decides the framing (RFC 9112 6.3); a later header
// line continues the list, so its last coding wins.
void mergeTransferEncoding(std::span<const uint8_t> value, bool& chunked, bool& other) {
  std::span<const uint8_t> element;
  std::span<const uint8_t> last;
  while (nextListElement(value, element)) {
    if (!element.empty()) {
      last = element;
    }
  }
  const auto semicolon = std::find(last.begin(), last.end(), uint8_t{';'});
  last = trimBlanks(last.first(static_cast<size_t>(semicolon - last.begin())));
  chunked = equalsLower(last, "chunked");
  other = !chunked;
}

void assignValue(std::span<const uint8_t> value, std::string& out) {
  value = trimBlanks(value);
  out.assign(value.begin(), value.end());
}

// Host value -> host: trimmed, port and IPv6 brackets removed, lowercased, printable.
void setHost(std::span<const uint8_t> value, std::string& host) {
  value = trimBlanks(value);
  if (value.empty()) {
    return;
  }
  std::span<const uint8_t> name;
  if (value.front() == '[') {
    const auto close = std::find(value.begin(), value.end(), ']');
    if (close == value.end()) {
      return;
    }
    name = value.subspan(1, static_cast<size_t>(close - value.begin()) - 1);
  } else if (std::count(value.begin(), value.end(), ':') == 1) {
    const auto colon = std::find(value.begin(), value.end(), ':');
    name = value.first(static_cast<size_t>(colon - value.begin()));
  } else {
    // No port, or an unbracketed IPv6 literal (not valid in Host, but kept whole).
    name = value;
  }
  if (name.empty() || name.size() > kMaxHostBytes) {
    return;
  }
  std::array<uint8_t, kMaxHostBytes> lower{};
  std::transform(name.begin(), name.end(), lower.begin(), asciiLower);
  dns::appendHostText(host, std::span<const uint8_t>(lower.data(), name.size()));
}

}  // namespace

HttpParse parseHttpRequestHead(std::span<const uint8_t> stream, HttpRequestHead& out) {
  out.method.clear();
  out.host.clear();
  const bool windowFull = stream.size() >= kMaxHeadBytes;
  const auto w = stream.first(std::min(stream.size(), kMaxHeadBytes));

  size_t methodBytes = 0;
  size_t targetEnd = 0;
  size_t pos = 0;
  switch (requestLine(w, methodBytes, targetEnd, pos)) {
    case Step::kBad:
      return HttpParse::kNotHttp;
    case Step::kNeedMore:
      return windowFull ? HttpParse::kNotHttp : HttpParse::kNeedMore;
    case Step::kOk:
      break;
  }
  out.method.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(methodBytes));

  bool hostSeen = false;
  const Step headers =
      scanHeaders(w, pos, [&](std::span<const uint8_t> name, std::span<const uint8_t> value) {
        // RFC 9112 3.2: a second Host makes the request invalid; the first is kept
        if (!hostSeen && equalsLower(name, "host")) {
          hostSeen = true;
          setHost(value, out.host);
        }
        return true;
      });
  if (headers == Step::kOk) {
    return HttpParse::kOk;
  }
  // An oversized head still yields the method and whatever Host came in the window.
  return windowFull ? HttpParse::kOk : HttpParse::kNeedMore;
}

HeadParse parseRequestMessageHead(std::span<const uint8_t> stream, size_t maxHeadBytes,
                                  HttpRequestMessageHead& out) {
  out = HttpRequestMessageHead{};
  const bool windowFull = stream.size() >= maxHeadBytes;
  const auto w = stream.first(std::min(stream.size(), maxHeadBytes));
  const HeadParse incomplete = windowFull ? HeadParse::kTooLarge : HeadParse::kNeedMore;

  size_t methodBytes = 0;
  size_t targetEnd = 0;
  size_t pos = 0;
  switch (requestLine(w, methodBytes, targetEnd, pos)) {
    case Step::kBad:
      return HeadParse::kBad;
    case Step::kNeedMore:
      return incomplete;
    case Step::kOk:
      break;
  }
  const auto line = w.first(pos);
  out.method.assign(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(methodBytes));
  out.target.assign(line.begin() + static_cast<std::ptrdiff_t>(methodBytes + 1),
                    line.begin() + static_cast<std::ptrdiff_t>(targetEnd));
  constexpr size_t kVersionBytes = 8;  // "HTTP/1.D"
  out.protocol.assign(line.begin() + static_cast<std::ptrdiff_t>(targetEnd + 1),
                      line.begin() + static_cast<std::ptrdiff_t>(targetEnd + 1 + kVersionBytes));

  bool hostSeen = false;
  bool userAgentSeen = false;
  bool refererSeen = false;
  const Step headers =
      scanHeaders(w, pos, [&](std::span<const uint8_t> name, std::span<const uint8_t> value) {
        if (equalsLower(name, "host")) {
          if (!hostSeen) setHost(value, out.host);
          hostSeen = true;
        } else if (equalsLower(name, "user-agent")) {
          if (!userAgentSeen) assignValue(value, out.userAgent);
          userAgentSeen = true;
        } else if (equalsLower(name, "referer")) {
          if (!refererSeen) assignValue(value, out.referer);
          refererSeen = true;
        } else if (equalsLower(name, "content-length")) {
          return mergeContentLength(value, out.contentLength);
        } else if (equalsLower(name, "transfer-encoding")) {
          mergeTransferEncoding(value, out.chunked, out.otherCoding);
        } else if (equalsLower(name, "expect")) {
          out.expectContinue = equalsLower(trimBlanks(value), "100-continue");
        }
        return true;
      });
  switch (headers) {
    case Step::kBad:
      return HeadParse::kBad;
    case Step::kNeedMore:
      return incomplete;
    case Step::kOk:
      break;
  }
  out.headBytes = pos;
  return HeadParse::kOk;
}

HeadParse parseResponseHead(std::span<const uint8_t> stream, size_t maxHeadBytes,
                            HttpResponseHead& out) {
  out = HttpResponseHead{};
  const bool windowFull = stream.size() >= maxHeadBytes;
  const auto w = stream.first(std::min(stream.size(), maxHeadBytes));
  const HeadParse incomplete = windowFull ? HeadParse::kTooLarge : HeadParse::kNeedMore;

  size_t pos = 0;
  switch (httpVersion(w, pos)) {
    case Step::kBad:
      return HeadParse::kBad;
    case Step::kNeedMore:
      return incomplete;
    case Step::kOk:
      break;
  }
  out.protocol.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(pos));
  // SP 3DIGIT
  for (size_t k = 0; k < 4; ++k, ++pos) {
    if (pos == w.size()) {
      return incomplete;
    }
    const uint8_t b = w[pos];
    if (k == 0 ? b != ' ' : (b < '0' || b > '9' || (k == 1 && b == '0'))) {
      return HeadParse::kBad;
    }
    if (k > 0) {
      out.status = out.status * 10 + (b - '0');
    }
  }
  // The reason phrase is free text (and some servers leave out the space before it).
  if (pos == w.size()) {
    return incomplete;
  }
  if (w[pos] == ' ') {
    std::span<const uint8_t> reason;
    if (!nextLine(w, pos, reason)) {
      return incomplete;
    }
  } else {
    switch (lineEnd(w, pos)) {
      case Step::kBad:
        return HeadParse::kBad;
      case Step::kNeedMore:
        return incomplete;
      case Step::kOk:
        break;
    }
  }

  bool otherCoding = false;
  const Step headers =
      scanHeaders(w, pos, [&](std::span<const uint8_t> name, std::span<const uint8_t> value) {
        if (equalsLower(name, "content-length")) {
          return mergeContentLength(value, out.contentLength);
        }
        if (equalsLower(name, "transfer-encoding")) {
          mergeTransferEncoding(value, out.chunked, otherCoding);
        } else if (equalsLower(name, "connection")) {
          out.connectionClose = out.connectionClose || listContains(value, "close");
        }
        return true;
      });
  switch (headers) {
    case Step::kBad:
      return HeadParse::kBad;
    case Step::kNeedMore:
      return incomplete;
    case Step::kOk:
      break;
  }
  // A response with a non-chunked final coding is delimited by the close (RFC 9112 6.3 item 4).
  if (otherCoding) {
    out.contentLength = -1;
  }
  out.headBytes = pos;
  return HeadParse::kOk;
}

bool looksLikeHttpResponse(std::span<const uint8_t> firstBytes) {
  constexpr std::string_view kPrefix = "HTTP/1.";
  if (firstBytes.empty()) {
    return false;
  }
  const size_t n = std::min(firstBytes.size(), kPrefix.size());
  return std::equal(firstBytes.begin(), firstBytes.begin() + static_cast<std::ptrdiff_t>(n),
                    kPrefix.begin());
}

HeadParse parseChunkSizeLine(std::span<const uint8_t> stream, size_t maxLineBytes, uint64_t& size,
                             size_t& lineBytes) {
  constexpr size_t kMaxHexDigits = 15;  // keeps the size below 2^60: no overflow when added up
  const bool windowFull = stream.size() >= maxLineBytes;
  const auto w = stream.first(std::min(stream.size(), maxLineBytes));
  const HeadParse incomplete = windowFull ? HeadParse::kTooLarge : HeadParse::kNeedMore;
  size = 0;
  size_t i = 0;
  while (i < w.size() && hexDigitValue(static_cast<char>(w[i])) >= 0) {
    if (i == kMaxHexDigits) {
      return HeadParse::kBad;
    }
    size = size * 16 + static_cast<uint64_t>(hexDigitValue(static_cast<char>(w[i])));
    ++i;
  }
  if (i == w.size()) {
    return incomplete;
  }
  if (i == 0) {
    return HeadParse::kBad;
  }
  while (i < w.size() && isBlank(w[i])) {
    ++i;
  }
  if (i < w.size() && w[i] == ';') {
    // Chunk extensions carry nothing detection needs; skip to the line end.
    std::span<const uint8_t> extensions;
    if (!nextLine(w, i, extensions)) {
      return incomplete;
    }
    lineBytes = i;
    return HeadParse::kOk;
  }
  switch (lineEnd(w, i)) {
    case Step::kBad:
      return HeadParse::kBad;
    case Step::kNeedMore:
      return incomplete;
    case Step::kOk:
      break;
  }
  lineBytes = i;
  return HeadParse::kOk;
}

bool looksLikeHttpRequest(std::span<const uint8_t> firstBytes) {
  size_t methodBytes = 0;
  if (methodToken(firstBytes, methodBytes) != Step::kOk) {
    return false;
  }
  return methodBytes + 1 < firstBytes.size() && isTargetChar(firstBytes[methodBytes + 1]);
}

}  // namespace mamori::sensor::http
