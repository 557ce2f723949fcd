// Keyed, prefix-preserving pseudonymization of IP addresses (Crypto-PAn, Xu et al. 2002, with
// AES-128 as the pseudorandom function; IPv6 by the same construction over 128 bits).
//
// Two addresses sharing a k-bit prefix map to pseudonyms sharing a k-bit prefix, so analysts can
// still see that hosts are in one network without learning which. Without the key the mapping
// cannot be inverted or recomputed; the key never appears in any output.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "mamori/core/ip_address.h"
#include "mamori/core/result.h"

namespace mamori {

class Pseudonymizer {
 public:
  static constexpr size_t kKeySize = 32;  // 16 bytes AES key + 16 bytes pad secret
  explicit Pseudonymizer(const std::array<uint8_t, kKeySize>& key);
  ~Pseudonymizer();
  Pseudonymizer(Pseudonymizer&&) noexcept;
  Pseudonymizer& operator=(Pseudonymizer&&) noexcept;
  Pseudonymizer(const Pseudonymizer&) = delete;
  Pseudonymizer& operator=(const Pseudonymizer&) = delete;

  // Maps an IPv4 address to an IPv4 pseudonym and an IPv6 address to an IPv6 pseudonym; an unset
  // address is returned unchanged. Not safe for concurrent calls on one object (it reuses one
  // cipher context): give each thread its own Pseudonymizer.
  IpAddress pseudonymize(const IpAddress& address) const;

  // Loads the 32-byte key from `path`, or creates it (random, mode 0600, parent directories 0700)
  // if the file does not exist. A file of the wrong size is an error, never silently replaced.
  static Result<Pseudonymizer> loadOrCreate(const std::filesystem::path& path);

 private:
  void* cipher_;                 // EVP_CIPHER_CTX* keyed with the first 16 key bytes
  std::array<uint8_t, 16> pad_;  // AES_K(second 16 key bytes)
};

}  // namespace mamori
