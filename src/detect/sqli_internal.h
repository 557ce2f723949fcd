// Internals of the SQL injection detector, exposed to its unit tests only: the folded fingerprint
// of one reading, so that tests can check the tokenizer and folder on values that are not
// injections (detectSqli reports a fingerprint only when it matched).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "mamori/detect/sqli.h"

namespace mamori::detect::sqli_internal {

struct Reading {
  // Token types of the folded fingerprint, NUL-terminated, at most kMaxSqliFingerprint.
  std::array<char, kMaxSqliFingerprint + 1> fingerprint{};
  std::size_t size = 0;
  bool injection = false;

  std::string_view text() const { return {fingerprint.data(), size}; }
};

// Reads `value` as SQL in one context: 0 as is, '\'' or '"' as if the application had opened a
// string with that quote just before the value.
Reading readSqli(std::string_view value, char context);

}  // namespace mamori::detect::sqli_internal
