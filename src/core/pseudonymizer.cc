#include "mamori/core/pseudonymizer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <system_error>

#include "mamori/core/crypto.h"
#include "mamori/core/secure_file.h"

namespace mamori {
namespace {

constexpr size_t kBlock = 16;
// Only bounds the read; any size other than kKeySize is rejected with its actual size.
constexpr size_t kMaxKeyFileBytes = 4096;

EVP_CIPHER_CTX* cipherCtx(void* p) {
  return static_cast<EVP_CIPHER_CTX*>(p);
}

// AES-128-ECB over `len` bytes (a multiple of 16) in one call, so the whole batch of
// per-bit blocks goes through OpenSSL's pipelined AES-NI path instead of one call per block.
void encryptBlocks(EVP_CIPHER_CTX* ctx, const uint8_t* in, uint8_t* out, size_t len) {
  int outLen = 0;
  if (EVP_EncryptUpdate(ctx, out, &outLen, in, static_cast<int>(len)) != 1 ||
      static_cast<size_t>(outLen) != len) {
    throw Failure("Crypto-PAn: AES encryption failed");
  }
}

}  // namespace

Pseudonymizer::Pseudonymizer(const std::array<uint8_t, kKeySize>& key)
    : cipher_(EVP_CIPHER_CTX_new()), pad_{} {
  if (cipher_ == nullptr ||
      EVP_EncryptInit_ex(cipherCtx(cipher_), EVP_aes_128_ecb(), nullptr, key.data(), nullptr) !=
          1 ||
      EVP_CIPHER_CTX_set_padding(cipherCtx(cipher_), 0) != 1) {
    EVP_CIPHER_CTX_free(cipherCtx(cipher_));
    throw Failure("Crypto-PAn: cannot initialise AES-128");
  }
  // The pad is the fixed filler for the bits not yet taken from the address (Xu et al. §4).
  encryptBlocks(cipherCtx(cipher_), key.data() + kBlock, pad_.data(), kBlock);
}

Pseudonymizer::~Pseudonymizer() {
  EVP_CIPHER_CTX_free(cipherCtx(cipher_));
  OPENSSL_cleanse(pad_.data(), pad_.size());
}

Pseudonymizer::Pseudonymizer(Pseudonymizer&& other) noexcept
    : cipher_(other.cipher_), pad_(other.pad_) {
  other.cipher_ = nullptr;
}

Pseudonymizer& Pseudonymizer::operator=(Pseudonymizer&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(cipherCtx(cipher_));
    cipher_ = other.cipher_;
    pad_ = other.pad_;
    other.cipher_ = nullptr;
  }
  return *this;
}

IpAddress Pseudonymizer::pseudonymize(const IpAddress& address) const {
  size_t bits = 0;
  if (address.isV4()) {
    bits = 32;
  } else if (address.isV6()) {
    bits = 128;
  } else {
    return address;
  }
  const std::array<uint8_t, 16>& orig = address.bytes();

  // Block i = the first i bits of the address followed by pad bits i..127. IPv4 uses the same
  // 128-bit layout with the address in the top 32 bits, which is what the reference
  // implementation does and what its published sample vectors require.
  alignas(16) uint8_t in[128 * kBlock];
  alignas(16) uint8_t out[128 * kBlock];
  uint8_t* block = in;
  std::memcpy(block, pad_.data(), kBlock);
  for (size_t i = 1; i < bits; ++i) {
    uint8_t* next = block + kBlock;
    std::memcpy(next, block, kBlock);
    // Going from prefix length i-1 to i replaces pad bit i-1 with address bit i-1.
    const size_t byte = (i - 1) / 8;
    const auto mask = static_cast<uint8_t>(0x80u >> ((i - 1) % 8));
    next[byte] = static_cast<uint8_t>((next[byte] & ~mask) | (orig[byte] & mask));
    block = next;
  }
  encryptBlocks(cipherCtx(cipher_), in, out, bits * kBlock);

  std::array<uint8_t, 16> result = orig;
  for (size_t i = 0; i < bits; ++i) {
    // Only the most significant bit of each AES output is used: it flips address bit i.
    const auto flip = static_cast<uint8_t>((out[i * kBlock] & 0x80u) >> (i % 8));
    result[i / 8] = static_cast<uint8_t>(result[i / 8] ^ flip);
  }
  OPENSSL_cleanse(in, bits * kBlock);
  return address.isV4() ? IpAddress::v4Bytes(result.data()) : IpAddress::v6Bytes(result.data());
}

Result<Pseudonymizer> Pseudonymizer::loadOrCreate(const std::filesystem::path& path) {
  std::array<uint8_t, kKeySize> key{};
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (ec)
    return makeError("cannot access pseudonymization key " + path.string() + ": " + ec.message());
  if (!exists) {
    if (path.has_parent_path()) {
      if (auto r = createPrivateDirectories(path.parent_path()); !r) return r.error();
    }
    randomBytes(key);
    auto written = writeNewPrivateFile(path, key);
    OPENSSL_cleanse(key.data(), key.size());
    // Another process may have created the key between the check and the write; its key wins.
    if (!written && !std::filesystem::exists(path, ec)) {
      return makeError("cannot create pseudonymization key: " + written.error().message);
    }
  }
  // Read back even after creating, so a freshly created key is used exactly as stored.
  auto text = readWholeFile(path, kMaxKeyFileBytes);
  if (!text) return makeError("cannot read pseudonymization key: " + text.error().message);
  if (text->size() != kKeySize) {
    const size_t got = text->size();
    OPENSSL_cleanse(text->data(), text->size());
    return makeError("pseudonymization key " + path.string() + " has " + std::to_string(got) +
                     " bytes, expected " + std::to_string(kKeySize) +
                     " (refusing to use or replace it)");
  }
  std::memcpy(key.data(), text->data(), kKeySize);
  OPENSSL_cleanse(text->data(), text->size());
  Pseudonymizer p(key);
  OPENSSL_cleanse(key.data(), key.size());
  return p;
}

}  // namespace mamori
