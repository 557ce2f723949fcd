// libFuzzer target for the HTTP/1.x request-head parser.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/proto/http/http.h"

using namespace mamori::sensor::http;

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
  return 0;
}
