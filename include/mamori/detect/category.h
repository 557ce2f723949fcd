// Detection categories: each one a kind of attack an analyst recognises by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mamori::detect {

enum class Category : uint8_t {
  kSqli,              // SQL injection
  kPathTraversal,     // ../ climbing out of the web root
  kSensitiveFile,     // /etc/passwd, win.ini, .env, .git/, backups, private keys
  kCommandInjection,  // shell metacharacters with commands
  kXss,               // script injection into pages
  kSsti,              // server-side template injection ({{7*7}}, ${...}, OGNL)
  kLog4shell,         // JNDI lookups (CVE-2021-44228 and relatives)
  kSsrf,              // server-side request forgery (metadata addresses, internal schemes)
  kScanner,           // known tool fingerprints and pure reconnaissance probes
  kExploit,           // a known appliance/product exploit, with CVE ids
};
inline constexpr std::size_t kCategoryCount = 10;

// A set of categories as bits (1 << category).
using CategoryMask = uint16_t;

constexpr CategoryMask maskOf(Category c) {
  return static_cast<CategoryMask>(1U << static_cast<unsigned>(c));
}
constexpr bool hasCategory(CategoryMask m, Category c) { return (m & maskOf(c)) != 0; }

// The names used in every output: "sqli", "path-traversal", "sensitive-file",
// "command-injection", "xss", "ssti", "log4shell", "ssrf", "scanner", "exploit".
std::string_view categoryName(Category c);
std::optional<Category> parseCategory(std::string_view name);

}  // namespace mamori::detect
