#include "mamori/core/crypto.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori {
namespace {

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// FIPS 180-2 appendix B / NIST CSRC example vectors.
TEST(Sha256Test, MatchesFipsVectors) {
  EXPECT_EQ(toHex(sha256(std::string_view(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(toHex(sha256(std::string_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      toHex(sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, IncrementalMillionAs) {
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(bytesOf(chunk));
  EXPECT_EQ(toHex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalEqualsOneShotAtEverySplitAndIsReusable) {
  const std::string msg = "The quick brown fox jumps over the lazy dog, then rests.";
  const Sha256Digest whole = sha256(std::string_view(msg));
  Sha256 h;
  for (size_t split = 0; split <= msg.size(); ++split) {
    h.update(bytesOf(std::string_view(msg).substr(0, split)));
    h.update(bytesOf(std::string_view(msg).substr(split)));
    EXPECT_EQ(h.finish(), whole) << "split at " << split;
  }
}

TEST(HexTest, EncodesLowercaseAndDecodesBothCases) {
  const std::vector<uint8_t> bytes = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(toHex(bytes), "00017f80abff");
  auto lower = fromHex("00017f80abff");
  auto upper = fromHex("00017F80ABFF");
  ASSERT_TRUE(lower.ok());
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*lower, bytes);
  EXPECT_EQ(*upper, bytes);
  EXPECT_TRUE(fromHex("").ok());
}

TEST(HexTest, RejectsOddLengthAndNonHex) {
  EXPECT_FALSE(fromHex("abc").ok());
  auto bad = fromHex("00zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("offset 2"), std::string::npos);
  EXPECT_FALSE(fromHex("0x00").ok());
  EXPECT_FALSE(fromHex(" 0").ok());
}

// RFC 4648 §10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(bytesOf(plain)), encoded);
    auto decoded = base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
}

TEST(Base64Test, UsesStandardAlphabet) {
  const std::vector<uint8_t> bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64Encode(bytes), "+/+/");
}

TEST(Base64Test, RoundTripsAllLengthsAndByteValues) {
  std::vector<uint8_t> all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t len = 0; len <= all.size(); ++len) {
    const std::span<const uint8_t> part(all.data(), len);
    auto back = base64Decode(base64Encode(part));
    ASSERT_TRUE(back.ok()) << len;
    EXPECT_TRUE(std::equal(back->begin(), back->end(), part.begin(), part.end())) << len;
  }
}

TEST(Base64Test, RejectsInvalidText) {
  const char* bad[] = {
      "Zg=",       // length not a multiple of 4
      "Zm9v!A==",  // character outside the alphabet
      "Zm9-",      // URL-safe alphabet is not accepted
      "Zm9_",      //
      "Zg==Zg==",  // padding before the end
      "Z===",      // too much padding
      "====",      //
      "Zm=v",      // '=' in the middle of a quantum
      "Zh==",      // non-zero bits under the padding (non-canonical)
      "Zm9=",      //
      "Zm9v\n",    // whitespace
      "Zm 9v",     //
  };
  for (const char* text : bad) EXPECT_FALSE(base64Decode(text).ok()) << '"' << text << '"';
}

TEST(RandomBytesTest, FillsAndDiffers) {
  std::array<uint8_t, 32> a{};
  std::array<uint8_t, 32> b{};
  randomBytes(a);
  randomBytes(b);
  // Equal 256-bit draws (or an all-zero one) would mean the RNG is not being used.
  EXPECT_NE(a, b);
  EXPECT_NE(a, (std::array<uint8_t, 32>{}));
  std::vector<uint8_t> none;
  randomBytes(none);  // empty span is fine
}

TEST(ConstantTimeEqualTest, ComparesContentsAndLengths) {
  const std::vector<uint8_t> a = {1, 2, 3, 4};
  std::vector<uint8_t> b = a;
  EXPECT_TRUE(constantTimeEqual(a, b));
  b[3] = 5;
  EXPECT_FALSE(constantTimeEqual(a, b));
  b = a;
  b[0] = 0;
  EXPECT_FALSE(constantTimeEqual(a, b));
  EXPECT_FALSE(constantTimeEqual(a, std::vector<uint8_t>{1, 2, 3}));
  EXPECT_TRUE(constantTimeEqual(std::vector<uint8_t>{}, std::vector<uint8_t>{}));
}

}  // namespace
}  // namespace mamori
