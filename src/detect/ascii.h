// ASCII case helpers shared by detect's parsers (private to src/detect). Attack text is matched
// in lowercase; only ASCII letters fold, so no locale and no multi-byte sequence is ever changed.
#pragma once

#include <cstddef>
#include <string_view>

namespace mamori::detect {

constexpr char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// `a` equals `lowerB` (already lowercase) ignoring ASCII case.
constexpr bool equalsIgnoreCase(std::string_view a, std::string_view lowerB) {
  if (a.size() != lowerB.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerB[i]) return false;
  }
  return true;
}

}  // namespace mamori::detect
