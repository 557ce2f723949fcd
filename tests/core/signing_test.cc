#include "mamori/core/signing.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/scratch_dir.h"
#include "mamori/core/crypto.h"

namespace mamori {
namespace {

using testing_util::ScratchDir;

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<uint8_t> hex(std::string_view h) {
  return fromHex(h).valueOrThrow();
}

// RFC 8410 §7 / §10: an Ed25519 PKCS#8 private key is a fixed DER prefix followed by the 32-byte
// seed, and a SubjectPublicKeyInfo a fixed prefix followed by the raw public key. Both fit one PEM
// line, so the expected files can be composed by hand, independently of OpenSSL's encoder.
std::string pemOf(const char* label, std::string_view derPrefixHex, std::string_view rawHex) {
  const std::vector<uint8_t> der = hex(std::string(derPrefixHex) + std::string(rawHex));
  return std::string("-----BEGIN ") + label + "-----\n" + base64Encode(der) + "\n-----END " +
         label + "-----\n";
}
std::string privatePem(std::string_view seedHex) {
  return pemOf("PRIVATE KEY", "302e020100300506032b657004220420", seedHex);
}
std::string publicPem(std::string_view pubHex) {
  return pemOf("PUBLIC KEY", "302a300506032b6570032100", pubHex);
}

struct Rfc8032Vector {
  const char* secret;
  const char* publicKey;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, TEST 1-3.
const Rfc8032Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(SigningTest, Rfc8032VectorsSignAndVerify) {
  for (const auto& v : kRfc8032) {
    auto key = SigningKey::fromPem(privatePem(v.secret));
    ASSERT_TRUE(key.ok()) << key.error().message;
    const VerifyKey pub = key->publicKey();
    EXPECT_EQ(toHex(pub.raw()), v.publicKey);
    const std::vector<uint8_t> message = hex(v.message);
    const std::vector<uint8_t> sig = key->sign(message);
    EXPECT_EQ(toHex(sig), v.signature);
    EXPECT_TRUE(pub.verify(message, sig));

    auto parsedPub = VerifyKey::fromPem(publicPem(v.publicKey));
    ASSERT_TRUE(parsedPub.ok()) << parsedPub.error().message;
    EXPECT_TRUE(parsedPub->verify(message, hex(v.signature)));
  }
}

TEST(SigningTest, PemEncodingIsPkcs8AndSpki) {
  const auto& v = kRfc8032[0];
  auto key = SigningKey::fromPem(privatePem(v.secret));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->toPem(), privatePem(v.secret));
  EXPECT_EQ(key->publicKey().toPem(), publicPem(v.publicKey));
}

TEST(SigningTest, KeyIdIsFirst16HexOfSha256OfRawPublicKey) {
  const auto& v = kRfc8032[0];
  auto pub = VerifyKey::fromPem(publicPem(v.publicKey));
  ASSERT_TRUE(pub.ok());
  const std::string expected = toHex(sha256(hex(v.publicKey))).substr(0, 16);
  EXPECT_EQ(pub->keyId(), expected);
  EXPECT_EQ(pub->keyId().size(), 16u);
}

TEST(SigningTest, GeneratedKeysRoundTripAndDiffer) {
  const SigningKey a = SigningKey::generate();
  const SigningKey b = SigningKey::generate();
  EXPECT_NE(a.publicKey().raw(), b.publicKey().raw());
  auto again = SigningKey::fromPem(a.toPem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->publicKey().raw(), a.publicKey().raw());
  auto pub = VerifyKey::fromPem(a.publicKey().toPem());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->keyId(), a.publicKey().keyId());
}

TEST(SigningTest, VerifyRejectsAlteredMessageSignatureOrKey) {
  const SigningKey key = SigningKey::generate();
  const VerifyKey pub = key.publicKey();
  const std::string message = "selection order 42";
  std::vector<uint8_t> sig = key.sign(bytesOf(message));
  ASSERT_TRUE(pub.verify(bytesOf(message), sig));

  EXPECT_FALSE(pub.verify(bytesOf("selection order 43"), sig));
  std::vector<uint8_t> flipped = sig;
  flipped[10] ^= 0x01;
  EXPECT_FALSE(pub.verify(bytesOf(message), flipped));
  EXPECT_FALSE(pub.verify(bytesOf(message), std::span(sig).first(63)));
  std::vector<uint8_t> longer = sig;
  longer.push_back(0);
  EXPECT_FALSE(pub.verify(bytesOf(message), longer));
  EXPECT_FALSE(SigningKey::generate().publicKey().verify(bytesOf(message), sig));
}

TEST(SigningTest, FromPemRejectsGarbageWrongKindAndWrongAlgorithm) {
  EXPECT_FALSE(SigningKey::fromPem("not a key").ok());
  EXPECT_FALSE(VerifyKey::fromPem("").ok());
  const SigningKey key = SigningKey::generate();
  EXPECT_FALSE(VerifyKey::fromPem(key.toPem()).ok());  // a private key is not a verify key
  EXPECT_FALSE(SigningKey::fromPem(key.publicKey().toPem()).ok());

  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec, nullptr);
  BIO* privBio = BIO_new(BIO_s_mem());
  BIO* pubBio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(privBio, ec, nullptr, nullptr, 0, nullptr, nullptr), 1);
  ASSERT_EQ(PEM_write_bio_PUBKEY(pubBio, ec), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(privBio, &data);
  const std::string ecPriv(data, static_cast<size_t>(len));
  len = BIO_get_mem_data(pubBio, &data);
  const std::string ecPub(data, static_cast<size_t>(len));
  BIO_free(privBio);
  BIO_free(pubBio);
  EVP_PKEY_free(ec);

  auto priv = SigningKey::fromPem(ecPriv);
  ASSERT_FALSE(priv.ok());
  EXPECT_NE(priv.error().message.find("Ed25519"), std::string::npos);
  auto pub = VerifyKey::fromPem(ecPub);
  ASSERT_FALSE(pub.ok());
  EXPECT_NE(pub.error().message.find("Ed25519"), std::string::npos);
}

TEST(SigningTest, SaveFileIsPrivateAtomicAndRefusesToOverwrite) {
  ScratchDir dir;
  const auto path = dir / "commission.key";
  const SigningKey key = SigningKey::generate();
  ASSERT_TRUE(key.saveFile(path).ok());

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto loaded = SigningKey::loadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->publicKey().raw(), key.publicKey().raw());

  const SigningKey other = SigningKey::generate();
  auto again = other.saveFile(path);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("refusing to overwrite"), std::string::npos);
  auto still = SigningKey::loadFile(path);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->publicKey().raw(), key.publicKey().raw());

  // No temp files are left behind, on success or on refusal.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(SigningTest, LoadFileErrorsNameThePath) {
  ScratchDir dir;
  auto missing = SigningKey::loadFile(dir / "absent.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("absent.key"), std::string::npos);

  const auto junk = dir / "junk.pem";
  {
    std::FILE* f = std::fopen(junk.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("hello\n", f);
    std::fclose(f);
  }
  auto bad = VerifyKey::loadFile(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("junk.pem"), std::string::npos);
}

// DSSE protocol.md test vector.
TEST(DsseTest, PaeMatchesSpecVector) {
  EXPECT_EQ(dssePae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  // LEN counts bytes, not characters.
  EXPECT_EQ(dssePae("t", "\xc3\xa9"), "DSSEv1 1 t 2 \xc3\xa9");
  EXPECT_EQ(dssePae("", ""), "DSSEv1 0  0 ");
}

constexpr const char* kType = "application/vnd.mamori.selection-order+json";

TEST(DsseTest, EnvelopeHasSpecShapeAndSignsPae) {
  const SigningKey key = SigningKey::generate();
  const std::string payload = R"({"order":"demo"})";
  const nlohmann::json env = nlohmann::json::parse(dsseSign(key, kType, payload));
  EXPECT_EQ(env.at("payloadType"), kType);
  EXPECT_EQ(env.at("payload"), base64Encode(bytesOf(payload)));
  ASSERT_EQ(env.at("signatures").size(), 1u);
  EXPECT_EQ(env["signatures"][0].at("keyid"), key.publicKey().keyId());
  auto sig = base64Decode(env["signatures"][0].at("sig").get<std::string>());
  ASSERT_TRUE(sig.ok());
  // The signature is over PAE, not the bare payload.
  EXPECT_TRUE(key.publicKey().verify(bytesOf(dssePae(kType, payload)), *sig));
  EXPECT_FALSE(key.publicKey().verify(bytesOf(payload), *sig));
}

TEST(DsseTest, VerifyReturnsPayload) {
  const SigningKey key = SigningKey::generate();
  const std::string payload = std::string("binary\0payload\n", 15);
  auto out = dsseVerify(key.publicKey(), dsseSign(key, kType, payload), kType);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, payload);
}

void expectError(const Result<std::string>& r, const std::string& fragment) {
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(DsseTest, VerifyErrorsNameWhatFailed) {
  const SigningKey key = SigningKey::generate();
  const VerifyKey pub = key.publicKey();
  const std::string envText = dsseSign(key, kType, "payload");

  expectError(dsseVerify(pub, "{not json", kType), "not valid JSON");
  expectError(dsseVerify(pub, "[1,2]", kType), "not a JSON object");
  expectError(dsseVerify(pub, envText, "application/other"), "payload type");
  expectError(dsseVerify(SigningKey::generate().publicKey(), envText, kType),
              "no signature by key");

  nlohmann::json env = nlohmann::json::parse(envText);
  nlohmann::json altered = env;
  altered["payload"] = base64Encode(bytesOf("PAYLOAD"));
  expectError(dsseVerify(pub, altered.dump(), kType), "does not verify");

  // The payload type is inside the signed bytes: relabelling breaks the signature.
  altered = env;
  altered["payloadType"] = "application/other";
  expectError(dsseVerify(pub, altered.dump(), "application/other"), "does not verify");

  altered = env;
  altered["payload"] = "not base64!";
  expectError(dsseVerify(pub, altered.dump(), kType), "base64");

  altered = env;
  altered["signatures"] = nlohmann::json::array();
  expectError(dsseVerify(pub, altered.dump(), kType), "no signatures");

  altered = env;
  altered.erase("payloadType");
  expectError(dsseVerify(pub, altered.dump(), kType), "payloadType");
}

TEST(DsseTest, AnySignatureByTrustedKeyIsAccepted) {
  const SigningKey trusted = SigningKey::generate();
  const SigningKey other = SigningKey::generate();
  nlohmann::json env = nlohmann::json::parse(dsseSign(other, kType, "p"));
  const nlohmann::json mine = nlohmann::json::parse(dsseSign(trusted, kType, "p"));
  env["signatures"].push_back(mine["signatures"][0]);
  auto out = dsseVerify(trusted.publicKey(), env.dump(), kType);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, "p");

  // keyid is only a hint: a wrong hint does not stop a valid signature from verifying.
  nlohmann::json relabelled = mine;
  relabelled["signatures"][0]["keyid"] = "0000000000000000";
  EXPECT_TRUE(dsseVerify(trusted.publicKey(), relabelled.dump(), kType).ok());
}

}  // namespace
}  // namespace mamori
