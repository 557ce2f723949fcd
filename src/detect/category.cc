#include "mamori/detect/category.h"

#include <array>

namespace mamori::detect {
namespace {

// Indexed by the enum value; the order is checked by a test that walks every category.
constexpr std::array<std::string_view, kCategoryCount> kNames = {
    "sqli", "path-traversal", "sensitive-file", "command-injection", "xss",
    "ssti", "log4shell",      "ssrf",           "scanner",           "exploit",
};

}  // namespace

std::string_view categoryName(Category c) {
  const auto i = static_cast<std::size_t>(c);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

std::optional<Category> parseCategory(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Category>(i);
  }
  return std::nullopt;
}

}  // namespace mamori::detect
