#include "mamori/core/pseudonymizer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <random>
#include <set>
#include <span>

#include "core/scratch_dir.h"

namespace mamori {
namespace {

using testing_util::ScratchDir;
using Key = std::array<uint8_t, Pseudonymizer::kKeySize>;

// The sample key of the Crypto-PAn reference distribution (Xu, Fan, Ammar, Moon).
constexpr Key kSampleKey = {21,  34, 23,  141, 51, 164, 207, 128, 19,  10,  91,
                            22,  73, 144, 125, 16, 216, 152, 143, 131, 121, 121,
                            101, 39, 98,  87,  76, 45,  42,  132, 34,  2};
// Further keys used by the node-cryptopan test data (github.com/noinkling/node-cryptopan).
constexpr Key kKey2 = {0x80, 0x09, 0xAB, 0x3A, 0x60, 0x54, 0x35, 0xBE, 0xA0, 0xC3, 0x85,
                       0xBE, 0xA1, 0x84, 0x85, 0xD8, 0xB0, 0xA1, 0x10, 0x3D, 0x65, 0x90,
                       0xBD, 0xF4, 0x8C, 0x96, 0x8B, 0xE5, 0xDE, 0x53, 0x83, 0x6E};
constexpr Key kKey3 = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

struct Vector {
  const char* in;
  const char* out;
};

// sample_trace_raw.dat -> sample_trace_sanitized.dat of the Crypto-PAn 1.0 distribution, as
// extracted into the tests of github.com/Yawning/cryptopan (every distinct address pair).
const Vector kReferenceTrace[] = {
    {"128.11.68.132", "135.242.180.132"},   {"129.118.74.4", "134.136.186.123"},
    {"130.132.252.244", "133.68.164.234"},  {"141.223.7.43", "141.167.8.160"},
    {"141.233.145.108", "141.129.237.235"}, {"152.163.225.39", "151.140.114.167"},
    {"156.29.3.236", "147.225.12.42"},      {"165.247.96.84", "162.9.99.234"},
    {"166.107.77.190", "160.132.178.185"},  {"192.102.249.13", "252.138.62.131"},
    {"192.215.32.125", "252.43.47.189"},    {"192.233.80.103", "252.25.108.8"},
    {"192.41.57.43", "252.222.221.184"},    {"193.150.244.223", "253.169.52.216"},
    {"195.205.63.100", "255.186.223.5"},    {"198.200.171.101", "249.199.68.213"},
    {"198.26.132.101", "249.36.123.202"},   {"198.36.213.5", "249.7.21.132"},
    {"198.51.77.238", "249.18.186.254"},    {"199.217.79.101", "248.38.184.213"},
    {"202.49.198.20", "245.206.7.234"},     {"203.12.160.252", "244.248.163.4"},
    {"204.184.162.189", "243.192.77.90"},   {"204.202.136.230", "243.178.4.198"},
    {"204.29.20.4", "243.33.20.123"},       {"205.178.38.67", "242.108.198.51"},
    {"205.188.147.153", "242.96.16.101"},   {"205.188.248.25", "242.96.88.27"},
    {"205.245.121.43", "242.21.121.163"},   {"207.105.49.5", "241.118.205.138"},
    {"207.135.65.238", "241.202.129.222"},  {"207.155.9.214", "241.220.250.22"},
    {"207.188.7.45", "241.255.249.220"},    {"207.25.71.27", "241.33.119.156"},
    {"207.33.151.131", "241.1.233.131"},    {"208.147.89.59", "227.237.98.191"},
    {"208.234.120.210", "227.154.67.17"},   {"208.28.185.184", "227.39.94.90"},
    {"208.52.56.122", "227.8.63.165"},      {"209.12.231.7", "226.243.167.8"},
    {"209.238.72.3", "226.6.119.243"},      {"209.246.74.109", "226.22.124.76"},
    {"209.68.60.238", "226.184.220.233"},   {"209.85.249.6", "226.170.70.6"},
    {"212.120.124.31", "228.135.163.231"},  {"212.146.8.236", "228.19.4.234"},
    {"212.186.227.154", "228.59.98.98"},    {"212.204.172.118", "228.71.195.169"},
    {"212.206.130.201", "228.69.242.193"},  {"216.148.237.145", "235.84.194.111"},
    {"216.157.30.252", "235.89.31.26"},     {"216.184.159.48", "235.96.225.78"},
    {"216.227.10.221", "235.28.253.36"},    {"216.254.18.172", "235.7.16.162"},
    {"216.32.132.250", "235.192.139.38"},   {"216.35.217.178", "235.195.157.81"},
    {"24.0.250.221", "100.15.198.226"},     {"24.13.62.231", "100.2.192.247"},
    {"24.14.213.138", "100.1.42.141"},      {"24.5.0.80", "100.9.15.210"},
    {"24.7.198.88", "100.10.6.25"},         {"24.94.26.44", "100.88.228.35"},
    {"38.15.67.68", "64.3.66.187"},         {"4.3.88.225", "124.60.155.63"},
    {"63.14.55.111", "95.9.215.7"},         {"63.195.241.44", "95.179.238.44"},
    {"63.97.7.140", "95.97.9.123"},         {"64.14.118.196", "0.255.183.58"},
    {"64.34.154.117", "0.221.154.117"},     {"64.39.15.238", "0.219.7.41"},
    {"10.185.25.118", "117.161.29.118"},
};

IpAddress ip(const char* text) {
  return IpAddress::parse(text).valueOrThrow();
}

void expectVectors(const Key& key, std::span<const Vector> vectors) {
  const Pseudonymizer p(key);
  for (const Vector& v : vectors) {
    EXPECT_EQ(p.pseudonymize(ip(v.in)), ip(v.out)) << v.in << " -> " << v.out;
  }
}

TEST(PseudonymizerTest, CryptoPanReferenceTraceIpv4) {
  ASSERT_EQ(std::size(kReferenceTrace), 71u);
  expectVectors(kSampleKey, kReferenceTrace);
}

// Additional IPv4 vectors from node-cryptopan's test data (edge addresses, other keys).
TEST(PseudonymizerTest, NodeCryptoPanIpv4Vectors) {
  const Vector sample[] = {
      {"129.69.205.36", "134.182.53.212"},   {"129.69.215.37", "134.182.41.43"},
      {"127.0.0.1", "33.0.243.129"},         {"0.0.0.0", "120.255.240.1"},
      {"10.0.1.128", "117.15.1.129"},        {"169.254.100.50", "169.251.68.45"},
      {"255.255.255.255", "206.120.97.255"},
  };
  expectVectors(kSampleKey, sample);
  const Vector key2[] = {
      {"123.123.123.123", "117.8.135.123"}, {"131.159.1.42", "162.112.255.43"},
      {"8.8.8.8", "55.21.62.136"},          {"255.8.1.100", "240.232.0.156"},
      {"0.0.0.0", "56.131.176.115"},        {"255.255.255.255", "240.15.248.0"},
  };
  expectVectors(kKey2, key2);
  const Vector key3[] = {
      {"192.0.2.1", "2.90.93.17"},          {"0.0.0.0", "254.152.65.220"},
      {"10.0.1.128", "246.35.190.47"},      {"127.0.0.1", "168.227.160.61"},
      {"165.254.100.50", "90.1.157.13"},    {"255.255.255.255", "56.0.15.254"},
      {"148.88.132.153", "106.38.130.153"}, {"148.88.132.64", "106.38.130.64"},
      {"148.88.133.200", "106.38.131.223"},
  };
  expectVectors(kKey3, key3);
}

// IPv6 vectors: the sample-key ones appear identically in Yawning/cryptopan (Go) and
// node-cryptopan, two independent implementations; the other keys are from node-cryptopan.
TEST(PseudonymizerTest, PublishedIpv6Vectors) {
  const Vector sample[] = {
      {"::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed"},
      {"::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef"},
      {"::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838"},
      {"2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e"},
      {"2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c"},
  };
  expectVectors(kSampleKey, sample);
  const Vector key2[] = {
      {"2a02:db8:85a3::8a2e:370:7344", "1482:f447:75b3:f1f9:fbdf:622e:34f:ff7b"},
      {"2a02:0db8:85a3:08d3:1319:8a2e:0370:7344", "1482:f447:75b3:f904:c1d9:ba2e:489:1346"},
      {"2001:b8:a3:00:00:2e:70:44", "1f18:b37b:1cc3:8118:41f:9fd1:f875:fab8"},
      {"fc00::", "f33c:8ca3:ef0f:e019:e7ff:f1e3:f91f:f800"},
  };
  expectVectors(kKey2, key2);
  const Vector key3[] = {{"2001:db8::1", "dd92:2c44:3fc0:ff1e:7ff9:c7f0:8180:7e00"}};
  expectVectors(kKey3, key3);
}

int commonPrefix(const IpAddress& a, const IpAddress& b) {
  const int bits = a.isV4() ? 32 : 128;
  for (int i = 0; i < bits; ++i) {
    const auto byte = static_cast<size_t>(i / 8);
    const int mask = 0x80 >> (i % 8);
    if ((a.bytes()[byte] & mask) != (b.bytes()[byte] & mask)) return i;
  }
  return bits;
}

// Builds b from a by keeping the first k bits, flipping bit k and randomising the rest, so the
// pair shares exactly k prefix bits.
IpAddress withSharedPrefix(const IpAddress& a, int k, std::mt19937_64& rng) {
  const int bits = a.isV4() ? 32 : 128;
  std::array<uint8_t, 16> b = a.bytes();
  for (int i = k; i < bits; ++i) {
    const auto byte = static_cast<size_t>(i / 8);
    const auto mask = static_cast<uint8_t>(0x80 >> (i % 8));
    const bool bit = i == k ? (a.bytes()[byte] & mask) == 0 : (rng() & 1) != 0;
    b[byte] = static_cast<uint8_t>(bit ? (b[byte] | mask) : (b[byte] & ~mask));
  }
  return a.isV4() ? IpAddress::v4Bytes(b.data()) : IpAddress::v6Bytes(b.data());
}

TEST(PseudonymizerTest, PreservesPrefixesExactly) {
  std::mt19937_64 rng(20240601);
  const Pseudonymizer p(kSampleKey);
  for (int family : {4, 6}) {
    const int bits = family == 4 ? 32 : 128;
    for (int trial = 0; trial < 2000; ++trial) {
      std::array<uint8_t, 16> raw{};
      for (auto& byte : raw) byte = static_cast<uint8_t>(rng());
      const IpAddress a =
          family == 4 ? IpAddress::v4Bytes(raw.data()) : IpAddress::v6Bytes(raw.data());
      const int k = static_cast<int>(rng() % static_cast<uint64_t>(bits));
      const IpAddress b = withSharedPrefix(a, k, rng);
      ASSERT_EQ(commonPrefix(a, b), k);
      const IpAddress pa = p.pseudonymize(a);
      const IpAddress pb = p.pseudonymize(b);
      EXPECT_EQ(pa.family(), family);
      ASSERT_EQ(commonPrefix(pa, pb), k) << a.toString() << " / " << b.toString();
    }
  }
}

TEST(PseudonymizerTest, IsInjectiveOnWholeIpv4Slash16) {
  const Pseudonymizer p(kSampleKey);
  std::set<uint32_t> seen;
  const uint32_t base = ip("198.51.0.0").v4Value();
  for (uint32_t i = 0; i < 65536; ++i)
    seen.insert(p.pseudonymize(IpAddress::v4(base + i)).v4Value());
  EXPECT_EQ(seen.size(), 65536u);
  // Prefix preservation also means the whole /16 lands in one /16.
  EXPECT_EQ(seen.size(), *seen.rbegin() - *seen.begin() + 1);
}

TEST(PseudonymizerTest, IsInjectiveOnIpv6Sample) {
  const Pseudonymizer p(kSampleKey);
  std::mt19937_64 rng(7);
  std::set<IpAddress> in;
  std::set<IpAddress> out;
  for (int i = 0; i < 5000; ++i) {
    // Many addresses inside one /64 plus random ones, so collisions would show in the low bits.
    Uint128 v = (Uint128{0x20010db800000000ULL} << 64) | (rng() & 0xffff);
    if (i % 2 == 1) v = (Uint128{rng()} << 64) | rng();
    const IpAddress a = IpAddress::v6(v);
    if (in.insert(a).second) out.insert(p.pseudonymize(a));
  }
  EXPECT_EQ(out.size(), in.size());
}

TEST(PseudonymizerTest, DependsOnKeyAndKeepsUnsetAddresses) {
  const Pseudonymizer a(kSampleKey);
  Key otherPad = kSampleKey;
  otherPad[31] ^= 1;  // only the pad secret differs
  const Pseudonymizer b(otherPad);
  EXPECT_NE(a.pseudonymize(ip("192.0.2.1")), b.pseudonymize(ip("192.0.2.1")));
  EXPECT_EQ(a.pseudonymize(IpAddress()), IpAddress());
}

TEST(PseudonymizerTest, MovedObjectKeepsMapping) {
  Pseudonymizer a(kSampleKey);
  Pseudonymizer b(std::move(a));
  EXPECT_EQ(b.pseudonymize(ip("128.11.68.132")), ip("135.242.180.132"));
  Pseudonymizer c(kKey3);
  c = std::move(b);
  EXPECT_EQ(c.pseudonymize(ip("129.118.74.4")), ip("134.136.186.123"));
}

TEST(PseudonymizerTest, LoadOrCreateMakesPrivateKeyAndReusesIt) {
  ScratchDir dir;
  const auto path = dir.path() / "state" / "keys" / "pseudonym.key";
  auto first = Pseudonymizer::loadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.error().message;

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  for (const auto& d : {dir.path() / "state", dir.path() / "state" / "keys"}) {
    ASSERT_EQ(::stat(d.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
  }

  auto second = Pseudonymizer::loadOrCreate(path);
  ASSERT_TRUE(second.ok()) << second.error().message;
  const IpAddress probe = ip("203.0.113.7");
  EXPECT_EQ(first->pseudonymize(probe), second->pseudonymize(probe));

  // A key written as bytes is used exactly as given.
  const auto known = dir.path() / "known.key";
  std::FILE* f = std::fopen(known.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(kSampleKey.data(), 1, kSampleKey.size(), f), kSampleKey.size());
  std::fclose(f);
  auto loaded = Pseudonymizer::loadOrCreate(known);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->pseudonymize(ip("128.11.68.132")), ip("135.242.180.132"));
}

TEST(PseudonymizerTest, LoadOrCreateRejectsWrongSizeWithoutReplacingIt) {
  ScratchDir dir;
  const auto path = dir.path() / "short.key";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("sixteen-bytes!!!", f);
  std::fclose(f);
  auto r = Pseudonymizer::loadOrCreate(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("short.key"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("16 bytes"), std::string::npos) << r.error().message;
  EXPECT_EQ(std::filesystem::file_size(path), 16u);
}

}  // namespace
}  // namespace mamori
