// libFuzzer target for the HTTP/1.x head parsers: the selection sensor's request head, and the
// whole request/response heads and chunk-size lines used by web attack detection.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/proto/http/http.h"

using namespace mamori::sensor::http;

namespace {

// For a limit `max`: kOk consumes at most the window; a result on a prefix is never worse.
void checkMessageHeads(std::span<const uint8_t> input) {
  const size_t max = 1024;
  HttpRequestMessageHead request;
  const HeadParse r = parseRequestMessageHead(input, max, request);
  if (r == HeadParse::kOk) {
    if (request.headBytes == 0 || request.headBytes > std::min(input.size(), max)) __builtin_trap();
    if (request.target.empty() || request.protocol.size() != 8) __builtin_trap();
    if (!looksLikeHttpRequest(input)) __builtin_trap();
  }
  if (r == HeadParse::kTooLarge && input.size() < max) __builtin_trap();
  if (r != HeadParse::kBad) {
    HttpRequestMessageHead shorter;
    if (parseRequestMessageHead(input.first(input.size() / 2), max, shorter) == HeadParse::kBad)
      __builtin_trap();
  }
  HttpResponseHead response;
  const HeadParse s = parseResponseHead(input, max, response);
  if (s == HeadParse::kOk) {
    if (response.headBytes == 0 || response.headBytes > std::min(input.size(), max))
      __builtin_trap();
    if (response.status < 100 || response.status > 999) __builtin_trap();
    if (!looksLikeHttpResponse(input)) __builtin_trap();
  }
  if (s != HeadParse::kBad) {
    HttpResponseHead shorter;
    if (parseResponseHead(input.first(input.size() / 2), max, shorter) == HeadParse::kBad)
      __builtin_trap();
  }
  uint64_t chunk = 0;
  size_t lineBytes = 0;
  if (parseChunkSizeLine(input, 64, chunk, lineBytes) == HeadParse::kOk) {
    if (lineBytes == 0 || lineBytes > std::min<size_t>(input.size(), 64)) __builtin_trap();
    if (chunk >= (uint64_t{1} << 60)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  HttpRequestHead head;
  const HttpParse result = parseHttpRequestHead(input, head);
  if (result == HttpParse::kOk) {
    if (head.method.empty() || head.method.size() > kMaxMethodBytes) __builtin_trap();
    for (const char c : head.method) {
      if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) __builtin_trap();
    }
    for (const char c : head.host) {
      if (c < 0x21 || c > 0x7e || (c >= 'A' && c <= 'Z')) __builtin_trap();
    }
    if (!looksLikeHttpRequest(input)) __builtin_trap();
  }
  // A prefix of a consistent prefix, or of a complete head, is never judged worse.
  if (result != HttpParse::kNotHttp) {
    HttpRequestHead shorter;
    const HttpParse half = parseHttpRequestHead(input.first(size / 2), shorter);
    if (half == HttpParse::kNotHttp) __builtin_trap();
    if (result == HttpParse::kNeedMore && half != HttpParse::kNeedMore) __builtin_trap();
  }
  checkMessageHeads(input);
  return 0;
}
