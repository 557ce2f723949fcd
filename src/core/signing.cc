#include "mamori/core/signing.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "mamori/core/crypto.h"
#include "mamori/core/secure_file.h"

namespace mamori {
namespace {

// PEM key files are a few hundred bytes; anything much larger is not a key.
constexpr size_t kMaxKeyFileBytes = size_t{64} * 1024;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::span<const uint8_t> asBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

BioPtr memoryBio(std::string_view text) {
  if (text.size() > kMaxKeyFileBytes) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(len));
}

PkeyPtr privateKey(const std::array<uint8_t, 32>& seed) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!pkey) throw Failure("Ed25519: cannot load private key into OpenSSL");
  return pkey;
}

}  // namespace

// ---- VerifyKey ----

Result<VerifyKey> VerifyKey::fromPem(std::string_view pem) {
  BioPtr bio = memoryBio(pem);
  if (!bio) return makeError("public key PEM is too large");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return makeError("not a PEM public key (expected -----BEGIN PUBLIC KEY-----)");
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return makeError("public key is not an Ed25519 key");
  }
  VerifyKey key;
  size_t len = key.raw_.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), key.raw_.data(), &len) != 1 ||
      len != key.raw_.size()) {
    return makeError("cannot extract the raw Ed25519 public key");
  }
  return key;
}

Result<VerifyKey> VerifyKey::loadFile(const std::filesystem::path& path) {
  auto text = readWholeFile(path, kMaxKeyFileBytes);
  if (!text) return text.error();
  auto key = fromPem(*text);
  if (!key) return makeError(path.string() + ": " + key.error().message);
  return key;
}

bool VerifyKey::verify(std::span<const uint8_t> message, std::span<const uint8_t> signature) const {
  if (signature.size() != 64) return false;
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  if (!pkey) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  // Ed25519 is "pure": no separate digest, the whole message goes through the one-shot call.
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

std::string VerifyKey::keyId() const {
  return toHex(sha256(raw_)).substr(0, 16);
}

std::string VerifyKey::toPem() const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!pkey || !bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
    throw Failure("Ed25519: cannot encode public key as PEM");
  }
  return bioContents(bio.get());
}

// ---- SigningKey ----

SigningKey::~SigningKey() {
  OPENSSL_cleanse(seed_.data(), seed_.size());
}

SigningKey SigningKey::generate() {
  // An RFC 8032 private key is 32 uniformly random bytes; OpenSSL derives the rest.
  SigningKey key;
  randomBytes(key.seed_);
  return key;
}

Result<SigningKey> SigningKey::fromPem(std::string_view pem) {
  BioPtr bio = memoryBio(pem);
  if (!bio) return makeError("private key PEM is too large");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return makeError("not a PEM private key (expected -----BEGIN PRIVATE KEY-----)");
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return makeError("private key is not an Ed25519 key");
  }
  SigningKey key;
  size_t len = key.seed_.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), key.seed_.data(), &len) != 1 ||
      len != key.seed_.size()) {
    return makeError("cannot extract the raw Ed25519 private key");
  }
  return key;
}

Result<SigningKey> SigningKey::loadFile(const std::filesystem::path& path) {
  auto text = readWholeFile(path, kMaxKeyFileBytes);
  if (!text) return text.error();
  auto key = fromPem(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!key) return makeError(path.string() + ": " + key.error().message);
  return key;
}

Result<void> SigningKey::saveFile(const std::filesystem::path& path) const {
  std::string pem = toPem();
  auto r = writeNewPrivateFile(path, asBytes(pem));
  OPENSSL_cleanse(pem.data(), pem.size());
  return r;
}

std::vector<uint8_t> SigningKey::sign(std::span<const uint8_t> message) const {
  PkeyPtr pkey = privateKey(seed_);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::vector<uint8_t> sig(64);
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 ||
      len != sig.size()) {
    throw Failure("Ed25519: signing failed");
  }
  return sig;
}

VerifyKey SigningKey::publicKey() const {
  PkeyPtr pkey = privateKey(seed_);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
    throw Failure("Ed25519: cannot derive public key");
  }
  // Going through the SPKI encoding keeps VerifyKey's only constructor the validated one.
  return VerifyKey::fromPem(bioContents(bio.get())).valueOrThrow();
}

std::string SigningKey::toPem() const {
  PkeyPtr pkey = privateKey(seed_);
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey emits unencrypted PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw Failure("Ed25519: cannot encode private key as PEM");
  }
  return bioContents(bio.get());
}

// ---- DSSE ----

std::string dssePae(std::string_view payloadType, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payloadType.size());
  out += ' ';
  out += payloadType;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

std::string dsseSign(const SigningKey& key, std::string_view payloadType,
                     std::string_view payload) {
  const std::vector<uint8_t> sig = key.sign(asBytes(dssePae(payloadType, payload)));
  nlohmann::json envelope = {
      {"payloadType", std::string(payloadType)},
      {"payload", base64Encode(asBytes(payload))},
      {"signatures",
       nlohmann::json::array({{{"keyid", key.publicKey().keyId()}, {"sig", base64Encode(sig)}}})},
  };
  return envelope.dump();
}

Result<std::string> dsseVerify(const VerifyKey& trusted, std::string_view envelopeJson,
                               std::string_view expectedPayloadType) {
  const nlohmann::json envelope = nlohmann::json::parse(envelopeJson, nullptr, false);
  if (envelope.is_discarded()) return makeError("DSSE envelope is not valid JSON");
  if (!envelope.is_object()) return makeError("DSSE envelope is not a JSON object");

  const auto typeIt = envelope.find("payloadType");
  if (typeIt == envelope.end() || !typeIt->is_string()) {
    return makeError("DSSE envelope has no string field 'payloadType'");
  }
  const std::string& payloadType = typeIt->get_ref<const std::string&>();
  if (payloadType != expectedPayloadType) {
    return makeError("DSSE payload type is '" + payloadType + "', expected '" +
                     std::string(expectedPayloadType) + "'");
  }

  const auto payloadIt = envelope.find("payload");
  if (payloadIt == envelope.end() || !payloadIt->is_string()) {
    return makeError("DSSE envelope has no string field 'payload'");
  }
  auto payloadBytes = base64Decode(payloadIt->get_ref<const std::string&>());
  if (!payloadBytes)
    return makeError("DSSE payload is not valid base64: " + payloadBytes.error().message);
  std::string payload(payloadBytes->begin(), payloadBytes->end());

  const auto sigsIt = envelope.find("signatures");
  if (sigsIt == envelope.end() || !sigsIt->is_array() || sigsIt->empty()) {
    return makeError("DSSE envelope has no signatures");
  }

  // keyid is an unauthenticated hint (DSSE protocol.md), so every signature is tried against the
  // trusted key; the hint only decides which error message fits.
  const std::string trustedId = trusted.keyId();
  const std::string pae = dssePae(payloadType, payload);
  bool claimedByTrusted = false;
  for (const auto& s : *sigsIt) {
    if (!s.is_object()) continue;
    const auto keyIdIt = s.find("keyid");
    if (keyIdIt != s.end() && keyIdIt->is_string() &&
        keyIdIt->get_ref<const std::string&>() == trustedId) {
      claimedByTrusted = true;
    }
    const auto sigIt = s.find("sig");
    if (sigIt == s.end() || !sigIt->is_string()) continue;
    auto sig = base64Decode(sigIt->get_ref<const std::string&>());
    if (!sig) continue;
    if (trusted.verify(asBytes(pae), *sig)) return payload;
  }
  if (claimedByTrusted) return makeError("DSSE signature by key " + trustedId + " does not verify");
  return makeError("DSSE envelope has no signature by key " + trustedId);
}

}  // namespace mamori
