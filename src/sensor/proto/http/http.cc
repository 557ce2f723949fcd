#include "proto/http/http.h"

#include <algorithm>
#include <array>
#include <string_view>

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

// METHOD SP TARGET SP HTTP/1.D (CR)LF; lineEnd is the offset just past the LF.
Step requestLine(std::span<const uint8_t> w, size_t& methodBytes, size_t& lineEnd) {
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
  ++i;
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
  lineEnd = i + 1;
  return Step::kOk;
}

bool isBlank(uint8_t b) {
  return b == ' ' || b == '\t';
}

uint8_t asciiLower(uint8_t b) {
  return (b >= 'A' && b <= 'Z') ? static_cast<uint8_t>(b - 'A' + 'a') : b;
}

bool isHostName(std::span<const uint8_t> name) {
  constexpr std::string_view kHost = "host";
  if (name.size() != kHost.size()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (asciiLower(name[i]) != static_cast<uint8_t>(kHost[i])) {
      return false;
    }
  }
  return true;
}

// Host value -> host: trimmed, port and IPv6 brackets removed, lowercased, printable.
void setHost(std::span<const uint8_t> value, std::string& host) {
  while (!value.empty() && isBlank(value.front())) {
    value = value.subspan(1);
  }
  while (!value.empty() && isBlank(value.back())) {
    value = value.first(value.size() - 1);
  }
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
  size_t pos = 0;
  switch (requestLine(w, methodBytes, pos)) {
    case Step::kBad:
      return HttpParse::kNotHttp;
    case Step::kNeedMore:
      return windowFull ? HttpParse::kNotHttp : HttpParse::kNeedMore;
    case Step::kOk:
      break;
  }
  out.method.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(methodBytes));

  bool hostSeen = false;
  for (;;) {
    const auto rest = w.subspan(pos);
    const auto lf = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
    if (lf == rest.end()) {
      // An oversized head still yields the method and whatever Host came in the window.
      return windowFull ? HttpParse::kOk : HttpParse::kNeedMore;
    }
    auto line = rest.first(static_cast<size_t>(lf - rest.begin()));
    pos += line.size() + 1;
    if (!line.empty() && line.back() == '\r') {
      line = line.first(line.size() - 1);
    }
    if (line.empty()) {
      return HttpParse::kOk;
    }
    if (hostSeen) {
      continue;
    }
    const auto colon = std::find(line.begin(), line.end(), uint8_t{':'});
    if (colon == line.end()) {
      continue;
    }
    const size_t nameBytes = static_cast<size_t>(colon - line.begin());
    if (!isHostName(line.first(nameBytes))) {
      continue;
    }
    hostSeen = true;  // RFC 9112 3.2: a second Host makes the request invalid; the first is kept
    setHost(line.subspan(nameBytes + 1), out.host);
  }
}

bool looksLikeHttpRequest(std::span<const uint8_t> firstBytes) {
  size_t methodBytes = 0;
  if (methodToken(firstBytes, methodBytes) != Step::kOk) {
    return false;
  }
  return methodBytes + 1 < firstBytes.size() && isTargetChar(firstBytes[methodBytes + 1]);
}

}  // namespace mamori::sensor::http
