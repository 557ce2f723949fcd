// Ed25519 keys and signatures, and DSSE envelopes for signed documents (selection orders).
//
// Key files are PEM (PKCS#8 private key, SubjectPublicKeyInfo public key), so that standard tools
// (openssl pkey) can read them. A key id is the first 16 hex digits of SHA-256 over the raw 32-byte
// public key.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.h"

namespace mamori {

class VerifyKey {
 public:
  static Result<VerifyKey> fromPem(std::string_view pem);
  static Result<VerifyKey> loadFile(const std::filesystem::path& path);
  bool verify(std::span<const uint8_t> message, std::span<const uint8_t> signature) const;
  std::string keyId() const;
  std::string toPem() const;
  const std::array<uint8_t, 32>& raw() const { return raw_; }

 private:
  std::array<uint8_t, 32> raw_{};
};

class SigningKey {
 public:
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;
  ~SigningKey();  // wipes the seed

  static SigningKey generate();
  static Result<SigningKey> fromPem(std::string_view pem);
  static Result<SigningKey> loadFile(const std::filesystem::path& path);
  // Writes the PEM private key with mode 0600, atomically (temp file + rename); refuses to
  // overwrite an existing file.
  Result<void> saveFile(const std::filesystem::path& path) const;
  std::vector<uint8_t> sign(std::span<const uint8_t> message) const;
  VerifyKey publicKey() const;
  std::string toPem() const;

 private:
  SigningKey() = default;
  std::array<uint8_t, 32> seed_{};  // the Ed25519 private key (RFC 8032 seed)
};

// DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1): the signature covers
//   PAE(payloadType, payload) =
//       "DSSEv1 " + len(type) + " " + type + " " + len(payload) + " " + payload
// (lengths in bytes, decimal), so the signed bytes are exact and no JSON canonicalization is
// needed. The envelope: {"payloadType": T, "payload": base64(payload),
// "signatures": [{"keyid", "sig"}]}.
std::string dsseSign(const SigningKey& key, std::string_view payloadType, std::string_view payload);

// Verifies an envelope against a trusted key and expected payload type; returns the payload bytes.
// Errors name what failed (not JSON, wrong payload type, no signature by this key, bad signature).
Result<std::string> dsseVerify(const VerifyKey& trusted, std::string_view envelopeJson,
                               std::string_view expectedPayloadType);

// The exact bytes a DSSE v1 signature covers (exposed so tests can check the spec's vector).
std::string dssePae(std::string_view payloadType, std::string_view payload);

}  // namespace mamori
