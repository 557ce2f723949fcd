// libFuzzer target for the tokenizing SQL injection detector (mamori::detect::detectSqli): any
// bytes are read in all three contexts without crashing, and every fingerprint stays within its
// bounds.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "detect/sqli_internal.h"
#include "mamori/detect/sqli.h"

using namespace mamori::detect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  const SqliResult r = detectSqli(value);
  if (r.fingerprint.back() != '\0') __builtin_trap();
  const size_t len = std::strlen(r.fingerprint.data());
  if (len > kMaxSqliFingerprint) __builtin_trap();
  if (r.injection != (len > 0)) __builtin_trap();
  if (r.context != 0 && r.context != '\'' && r.context != '"') __builtin_trap();
  if (r.context != 0 && value.find(r.context) == std::string_view::npos) __builtin_trap();
  for (const char context : {'\0', '\'', '"'}) {
    const auto reading = sqli_internal::readSqli(value, context);
    if (reading.size > kMaxSqliFingerprint || reading.fingerprint[reading.size] != '\0') {
      __builtin_trap();
    }
    // A quoted reading always starts with the string the application opened.
    if (context != 0 && (reading.size == 0 || reading.fingerprint[0] != 's')) __builtin_trap();
  }
  // Detection is a function of the value alone.
  const SqliResult again = detectSqli(value);
  if (again.injection != r.injection || again.context != r.context ||
      std::memcmp(again.fingerprint.data(), r.fingerprint.data(), r.fingerprint.size()) != 0) {
    __builtin_trap();
  }
  return 0;
}
