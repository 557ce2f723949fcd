// Hashing and encodings (OpenSSL 3 underneath).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.h"

namespace mamori {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::span<const uint8_t> data);
Sha256Digest sha256(std::string_view data);

// Incremental SHA-256 (for hashing capture files as they are read).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const uint8_t> data);
  Sha256Digest finish();

 private:
  void* ctx_;  // EVP_MD_CTX*
};

std::string toHex(std::span<const uint8_t> bytes);
// The value of one hex digit (either case), or -1 if `c` is not one.
constexpr int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
Result<std::vector<uint8_t>> fromHex(std::string_view hex);
std::string base64Encode(std::span<const uint8_t> bytes);
Result<std::vector<uint8_t>> base64Decode(std::string_view text);

// Cryptographically secure random bytes; throws Failure if the system RNG fails.
void randomBytes(std::span<uint8_t> out);

// Constant-time equality of secrets and MACs.
bool constantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace mamori
