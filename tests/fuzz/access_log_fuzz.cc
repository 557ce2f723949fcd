// libFuzzer target for the access-log line parsers: the first byte selects the format, the rest
// is split into lines and fed to one parser (so W3C #Fields state carries across lines).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/detect/access_log.h"

using namespace mamori::detect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr LogFormat kFormats[] = {LogFormat::kCombined, LogFormat::kCommon,
                                           LogFormat::kW3c, LogFormat::kJson};
  AccessLogParser parser(kFormats[data[0] % 4]);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  HttpRequestLine out;
  while (true) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    auto kind = parser.parse(line, out);
    if (kind.ok() && *kind == AccessLogParser::LineKind::kRequest) {
      if (out.status < -1 || out.status > 999) __builtin_trap();
      if (out.responseBytes < -1 || out.durationMicros < -1) __builtin_trap();
      if (out.target.size() > line.size() + 1 || out.userAgent.size() > line.size()) {
        __builtin_trap();
      }
    } else if (!out.target.empty() || out.status != -1) {
      // Anything but a request leaves the output at its defaults.
      __builtin_trap();
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return 0;
}
