#include "mamori/core/prefix_set.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace mamori {
namespace {

using Tags = std::vector<uint32_t>;

IpPrefix prefix(std::string_view text) {
  return IpPrefix::parse(text).valueOrThrow();
}
IpAddress addr(std::string_view text) {
  return IpAddress::parse(text).valueOrThrow();
}

Tags tagsOf(const PrefixSet& set, const IpAddress& a) {
  const auto span = set.lookup(a);
  return Tags(span.begin(), span.end());
}
Tags tagsOf(const PrefixSet& set, std::string_view a) {
  return tagsOf(set, addr(a));
}

struct Tagged {
  IpPrefix prefix;
  uint32_t tag;
};

PrefixSet buildSet(const std::vector<Tagged>& entries) {
  PrefixSetBuilder b;
  for (const auto& e : entries) b.add(e.prefix, e.tag);
  return b.build();
}

// The reference: every prefix that contains the address, by IpPrefix::contains alone.
Tags naiveLookup(const std::vector<Tagged>& entries, const IpAddress& a) {
  Tags out;
  for (const auto& e : entries) {
    if (e.prefix.contains(a)) out.push_back(e.tag);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

IpPrefix maskedV4(uint32_t value, unsigned length) {
  const uint32_t mask = length == 0 ? 0 : ~0U << (32 - length);
  return IpPrefix{IpAddress::v4(value & mask), static_cast<uint8_t>(length)};
}
IpPrefix maskedV6(Uint128 value, unsigned length) {
  const Uint128 mask = length == 0 ? 0 : ~Uint128{0} << (128 - length);
  return IpPrefix{IpAddress::v6(value & mask), static_cast<uint8_t>(length)};
}
uint32_t lastV4(const IpPrefix& p) {
  const uint32_t host = p.length == 0 ? ~0U : (p.length == 32 ? 0 : ~0U >> p.length);
  return p.address.v4Value() | host;
}
Uint128 lastV6(const IpPrefix& p) {
  const Uint128 host =
      p.length == 0 ? ~Uint128{0} : (p.length == 128 ? 0 : ~Uint128{0} >> p.length);
  return p.address.v6Value() | host;
}

TEST(PrefixSet, EmptySetMatchesNothing) {
  PrefixSet unbuilt;
  EXPECT_TRUE(unbuilt.lookup(addr("1.2.3.4")).empty());
  EXPECT_EQ(unbuilt.prefixCount(), 0u);
  const PrefixSet built = PrefixSetBuilder().build();
  EXPECT_TRUE(built.lookup(addr("0.0.0.0")).empty());
  EXPECT_TRUE(built.lookup(addr("255.255.255.255")).empty());
  EXPECT_TRUE(built.lookup(addr("::")).empty());
  EXPECT_TRUE(built.lookup(IpAddress()).empty());
  EXPECT_EQ(built.prefixCount(), 0u);
}

TEST(PrefixSet, DefaultRouteV4CoversAllOfV4AndNoV6) {
  const PrefixSet set = buildSet({{prefix("0.0.0.0/0"), 7}});
  EXPECT_EQ(tagsOf(set, "0.0.0.0"), Tags{7});
  EXPECT_EQ(tagsOf(set, "128.0.0.0"), Tags{7});
  EXPECT_EQ(tagsOf(set, "255.255.255.255"), Tags{7});
  EXPECT_TRUE(tagsOf(set, "::").empty());
  EXPECT_TRUE(tagsOf(set, "::ffff:1.2.3.4").empty());
}

TEST(PrefixSet, DefaultRouteV6CoversAllOfV6AndNoV4) {
  const PrefixSet set = buildSet({{prefix("::/0"), 3}});
  EXPECT_EQ(tagsOf(set, "::"), Tags{3});
  EXPECT_EQ(tagsOf(set, "2001:db8::1"), Tags{3});
  EXPECT_EQ(tagsOf(set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Tags{3});
  EXPECT_TRUE(tagsOf(set, "0.0.0.0").empty());
}

TEST(PrefixSet, HostPrefixesAtTheEndsOfTheSpace) {
  const PrefixSet set = buildSet({{prefix("255.255.255.255/32"), 1},
                                  {prefix("0.0.0.0/32"), 2},
                                  {prefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 3},
                                  {prefix("::/128"), 4}});
  EXPECT_EQ(tagsOf(set, "255.255.255.255"), Tags{1});
  EXPECT_TRUE(tagsOf(set, "255.255.255.254").empty());
  EXPECT_EQ(tagsOf(set, "0.0.0.0"), Tags{2});
  EXPECT_TRUE(tagsOf(set, "0.0.0.1").empty());
  EXPECT_EQ(tagsOf(set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Tags{3});
  EXPECT_TRUE(tagsOf(set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe").empty());
  EXPECT_EQ(tagsOf(set, "::"), Tags{4});
  EXPECT_TRUE(tagsOf(set, "::1").empty());
  EXPECT_TRUE(tagsOf(set, "8000::").empty());
}

TEST(PrefixSet, AdjacentIntervalsKeepTheirOwnTags) {
  const PrefixSet set = buildSet(
      {{prefix("10.0.0.0/25"), 1}, {prefix("10.0.0.128/25"), 2}, {prefix("10.0.1.0/24"), 1}});
  EXPECT_TRUE(tagsOf(set, "9.255.255.255").empty());
  EXPECT_EQ(tagsOf(set, "10.0.0.0"), Tags{1});
  EXPECT_EQ(tagsOf(set, "10.0.0.127"), Tags{1});
  EXPECT_EQ(tagsOf(set, "10.0.0.128"), Tags{2});
  EXPECT_EQ(tagsOf(set, "10.0.0.255"), Tags{2});
  EXPECT_EQ(tagsOf(set, "10.0.1.0"), Tags{1});
  EXPECT_EQ(tagsOf(set, "10.0.1.255"), Tags{1});
  EXPECT_TRUE(tagsOf(set, "10.0.2.0").empty());
}

TEST(PrefixSet, AdjacentSameTagIntervalsStillAnswerPerAddress) {
  const PrefixSet set = buildSet({{prefix("10.0.0.0/25"), 1}, {prefix("10.0.0.128/25"), 1}});
  EXPECT_EQ(tagsOf(set, "10.0.0.0"), Tags{1});
  EXPECT_EQ(tagsOf(set, "10.0.0.255"), Tags{1});
  EXPECT_TRUE(tagsOf(set, "10.0.1.0").empty());
  EXPECT_EQ(set.prefixCount(), 2u);
}

TEST(PrefixSet, NestedPrefixesReportEveryCoveringTag) {
  const PrefixSet set = buildSet({{prefix("10.1.2.3/32"), 3},
                                  {prefix("10.0.0.0/8"), 9},
                                  {prefix("10.1.0.0/16"), 2},
                                  {prefix("10.1.2.0/24"), 9}});
  EXPECT_EQ(tagsOf(set, "10.1.2.3"), (Tags{2, 3, 9}));
  EXPECT_EQ(tagsOf(set, "10.1.2.4"), (Tags{2, 9}));
  EXPECT_EQ(tagsOf(set, "10.1.3.0"), (Tags{2, 9}));
  EXPECT_EQ(tagsOf(set, "10.2.0.0"), Tags{9});
  EXPECT_EQ(tagsOf(set, "10.255.255.255"), Tags{9});
  EXPECT_TRUE(tagsOf(set, "11.0.0.0").empty());
}

TEST(PrefixSet, DuplicatesAreReportedOncePerTag) {
  const PrefixSet set = buildSet({{prefix("192.0.2.0/24"), 5},
                                  {prefix("192.0.2.0/24"), 5},
                                  {prefix("192.0.2.0/24"), 3},
                                  {prefix("2001:db8::/32"), 5},
                                  {prefix("2001:db8::/32"), 5}});
  EXPECT_EQ(tagsOf(set, "192.0.2.77"), (Tags{3, 5}));
  EXPECT_EQ(tagsOf(set, "2001:db8:1::"), Tags{5});
  EXPECT_EQ(set.prefixCount(), 5u);
}

TEST(PrefixSet, FamiliesAreSeparate) {
  // ::ffff:10.0.0.0/104 is the IPv4-mapped form of 10/8, but an IPv6 address is never an IPv4 one.
  const PrefixSet set = buildSet({{prefix("10.0.0.0/8"), 1}, {prefix("::ffff:10.0.0.0/104"), 2}});
  EXPECT_EQ(tagsOf(set, "10.1.1.1"), Tags{1});
  EXPECT_EQ(tagsOf(set, "::ffff:10.1.1.1"), Tags{2});
  EXPECT_TRUE(tagsOf(set, "::10.1.1.1").empty());
  EXPECT_TRUE(set.contains(addr("10.0.0.0")));
  EXPECT_FALSE(set.contains(addr("11.0.0.0")));
}

TEST(PrefixSet, MoveTransfersTheSet) {
  PrefixSet a = buildSet({{prefix("198.51.100.0/24"), 4}});
  PrefixSet b(std::move(a));
  EXPECT_EQ(tagsOf(b, "198.51.100.1"), Tags{4});
  PrefixSet c;
  c = std::move(b);
  EXPECT_EQ(tagsOf(c, "198.51.100.1"), Tags{4});
  EXPECT_EQ(c.prefixCount(), 1u);
}

// Random prefixes drawn from a few narrow regions so that they nest, overlap and touch often;
// probes at every prefix's first and last address and one past each end hit every boundary.
template <class MakePrefix, class First, class Last, class Make>
void checkAgainstReference(uint64_t seed, MakePrefix makePrefix, First first, Last last,
                           Make makeAddr) {
  std::mt19937_64 rng(seed);
  std::vector<Tagged> entries;
  for (int i = 0; i < 1500; ++i) {
    entries.push_back({makePrefix(rng), static_cast<uint32_t>(rng() % 24)});
  }
  for (int i = 0; i < 30; ++i) entries.push_back(entries[rng() % entries.size()]);  // duplicates
  const PrefixSet set = buildSet(entries);
  ASSERT_EQ(set.prefixCount(), entries.size());

  std::vector<IpAddress> probes;
  for (const auto& e : entries) {
    probes.push_back(makeAddr(first(e.prefix)));
    probes.push_back(makeAddr(last(e.prefix)));
    probes.push_back(makeAddr(first(e.prefix) - 1));
    probes.push_back(makeAddr(last(e.prefix) + 1));
  }
  for (int i = 0; i < 5000; ++i) probes.push_back(makeAddr(first(makePrefix(rng))));
  size_t hits = 0;
  for (const auto& a : probes) {
    const Tags expected = naiveLookup(entries, a);
    ASSERT_EQ(tagsOf(set, a), expected) << a.toString();
    hits += expected.empty() ? 0 : 1;
  }
  // The generator must produce both outcomes, or the comparison proves little.
  EXPECT_GT(hits, probes.size() / 10);
  EXPECT_LT(hits, probes.size() - probes.size() / 10);
}

TEST(PrefixSet, MatchesBruteForceV4) {
  for (uint64_t seed : {1u, 2u}) {
    checkAgainstReference(
        seed,
        [](std::mt19937_64& rng) {
          static constexpr uint32_t kRegions[] = {0x00000000, 0x0A000000, 0xC0000000, 0xFF000000};
          const size_t region = rng() % 4;
          const unsigned r = static_cast<unsigned>(rng() % 1000);
          // Short prefixes only in the low two regions, so the high ones keep misses.
          if (r < 5 && region < 2) {
            return maskedV4(kRegions[region] | (static_cast<uint32_t>(rng()) & 0x00FFFFFF),
                            1 + r % 11);
          }
          // A third crowd into a small corner, so long prefixes nest and touch there too.
          const uint32_t bits = r < 300 ? 0x00000FFF : 0x00FFFFFF;
          const uint32_t value = kRegions[region] | (static_cast<uint32_t>(rng()) & bits);
          return maskedV4(value, 16 + static_cast<unsigned>(rng() % 17));
        },
        [](const IpPrefix& p) { return p.address.v4Value(); }, lastV4,
        [](uint32_t v) { return IpAddress::v4(v); });
  }
}

TEST(PrefixSet, MatchesBruteForceV6) {
  for (uint64_t seed : {11u, 12u}) {
    checkAgainstReference(
        seed,
        [](std::mt19937_64& rng) {
          // The upper 40 bits name a region; prefixes vary the bits below.
          static constexpr uint64_t kRegions[] = {0x0000000000000000ULL, 0x2400000000000000ULL,
                                                  0x20010DB800000000ULL, 0xFFFFFFFFFF000000ULL};
          const size_t region = rng() % 4;
          const unsigned r = static_cast<unsigned>(rng() % 1000);
          if (r < 5 && region < 2) {
            const Uint128 v = (Uint128{kRegions[region] | (rng() & 0xFFFFFF)} << 64) | rng();
            return maskedV6(v, 8 + r * 8);  // 8, 16, .. 40
          }
          if (r < 700) {
            const Uint128 v = Uint128{kRegions[region] | (rng() & 0xFFFFFF)} << 64;
            return maskedV6(v, 46 + static_cast<unsigned>(rng() % 19));
          }
          // Host-ish prefixes in four /64s per region, so they nest in each other.
          const Uint128 v = (Uint128{kRegions[region] | (rng() & 3)} << 64) | (rng() & 0xFFFF);
          return maskedV6(v, 112 + static_cast<unsigned>(rng() % 17));
        },
        [](const IpPrefix& p) { return p.address.v6Value(); }, lastV6,
        [](Uint128 v) { return IpAddress::v6(v); });
  }
}

TEST(PrefixSet, MixedFamiliesMatchBruteForce) {
  std::mt19937_64 rng(99);
  // Default routes too, so every address has at least one tag from them.
  std::vector<Tagged> entries = {{prefix("0.0.0.0/0"), 100}, {prefix("::/0"), 101}};
  for (int i = 0; i < 2000; ++i) {
    const auto tag = static_cast<uint32_t>(rng() % 8);
    if (rng() % 2 == 0) {
      entries.push_back(
          {maskedV4(static_cast<uint32_t>(rng()), 8 + static_cast<unsigned>(rng() % 25)), tag});
    } else {
      const Uint128 v = (Uint128{rng()} << 64) | rng();
      entries.push_back({maskedV6(v, 4 + static_cast<unsigned>(rng() % 40)), tag});
    }
  }
  const PrefixSet set = buildSet(entries);
  for (const auto& e : entries) {
    const IpAddress a = e.prefix.address;
    ASSERT_EQ(tagsOf(set, a), naiveLookup(entries, a)) << a.toString();
  }
  for (int i = 0; i < 20000; ++i) {
    const IpAddress a = rng() % 2 == 0 ? IpAddress::v4(static_cast<uint32_t>(rng()))
                                       : IpAddress::v6((Uint128{rng() >> 40} << 104) | rng());
    ASSERT_EQ(tagsOf(set, a), naiveLookup(entries, a)) << a.toString();
  }
}

TEST(PrefixSet, MillionPrefixesStayCompact) {
  std::mt19937_64 rng(5);
  PrefixSetBuilder b;
  std::vector<IpPrefix> sample;
  for (int i = 0; i < 1000000; ++i) {
    const IpPrefix p =
        maskedV4(static_cast<uint32_t>(rng()), 16 + static_cast<unsigned>(rng() % 17));
    b.add(p, static_cast<uint32_t>(i % 4));
    if (i % 1000 == 0) sample.push_back(p);
  }
  const PrefixSet set = b.build();
  EXPECT_EQ(set.prefixCount(), 1000000u);
  // Two intervals per prefix at most (the prefix and the gap after it), 8 bytes each, plus the
  // index and the tag lists.
  EXPECT_LT(set.memoryBytes(), 20u * 1000000u);
  for (const auto& p : sample) {
    EXPECT_TRUE(set.contains(p.address));
    EXPECT_TRUE(set.contains(IpAddress::v4(lastV4(p))));
  }
}

class PrefixSetFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mamori_prefix_set_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(PrefixSetFile, LoadsCommentsBlankLinesAndCrlf) {
  const auto path = write("ok.txt",
                          "# a comment\r\n"
                          "\r\n"
                          "192.0.2.0/24\r\n"
                          "   \n"
                          "198.51.100.7  \t\n"
                          "2001:db8::/32\r\n"
                          "#2001:db9::/32\n"
                          "203.0.113.0/25");
  auto set = PrefixSet::loadFile(path);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->prefixCount(), 4u);
  EXPECT_EQ(tagsOf(*set, "192.0.2.255"), Tags{0});
  EXPECT_EQ(tagsOf(*set, "198.51.100.7"), Tags{0});
  EXPECT_TRUE(tagsOf(*set, "198.51.100.8").empty());
  EXPECT_EQ(tagsOf(*set, "2001:db8:ffff::1"), Tags{0});
  EXPECT_TRUE(tagsOf(*set, "2001:db9::").empty());
  EXPECT_TRUE(set->contains(addr("203.0.113.127")));
  EXPECT_FALSE(set->contains(addr("203.0.113.128")));
}

TEST_F(PrefixSetFile, ErrorsNameFileAndLine) {
  const auto path = write("bad.txt", "# header\n192.0.2.0/24\n\n10.0.0.1/8\n");
  auto set = PrefixSet::loadFile(path);
  ASSERT_FALSE(set.ok());
  const std::string& msg = set.error().message;
  EXPECT_EQ(msg.rfind(path.string() + ":4: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("10.0.0.1/8"), std::string::npos) << msg;

  auto garbage = PrefixSet::loadFile(write("garbage.txt", "192.0.2.0/24\r\nnot-an-address\r\n"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("garbage.txt:2: "), std::string::npos)
      << garbage.error().message;

  auto tooLong = PrefixSet::loadFile(write("len.txt", "2001:db8::/129\n"));
  ASSERT_FALSE(tooLong.ok());
  EXPECT_NE(tooLong.error().message.find("len.txt:1: "), std::string::npos);
}

TEST_F(PrefixSetFile, MissingFileIsAnError) {
  auto set = PrefixSet::loadFile(dir_ / "absent.txt");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find("absent.txt"), std::string::npos);
}

// Reads the shipped list independently of the loader: the prefixes on non-comment lines.
std::vector<IpPrefix> readList(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<IpPrefix> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(prefix(line));
  }
  return out;
}

const std::filesystem::path kDomestic = std::filesystem::path(MAMORI_SOURCE_DIR) / "data/domestic";

TEST(PrefixSetDomestic, JapanIpv4) {
  const auto listed = readList(kDomestic / "jp-ipv4.txt");
  ASSERT_GT(listed.size(), 1000u);
  auto set = PrefixSet::loadFile(kDomestic / "jp-ipv4.txt");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->prefixCount(), listed.size());
  EXPECT_TRUE(set->contains(listed.front().address));
  EXPECT_TRUE(set->contains(IpAddress::v4(lastV4(listed.back()))));
  // 133.0.0.0/8 was assigned to Japanese academic networks before the RIRs existed.
  EXPECT_TRUE(set->contains(addr("133.11.0.1")));
  for (const auto& p : listed) {
    ASSERT_TRUE(set->contains(p.address)) << p.toString();
    ASSERT_TRUE(set->contains(IpAddress::v4(lastV4(p)))) << p.toString();
  }
  EXPECT_FALSE(set->contains(addr("8.8.8.8")));      // Google, US
  EXPECT_FALSE(set->contains(addr("1.1.1.1")));      // Cloudflare/APNIC research, AU
  EXPECT_FALSE(set->contains(addr("2001:200::1")));  // IPv6 is not in the IPv4 file
}

TEST(PrefixSetDomestic, JapanIpv6) {
  const auto listed = readList(kDomestic / "jp-ipv6.txt");
  ASSERT_GT(listed.size(), 100u);
  auto set = PrefixSet::loadFile(kDomestic / "jp-ipv6.txt");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->prefixCount(), listed.size());
  EXPECT_TRUE(set->contains(listed.front().address));
  EXPECT_TRUE(set->contains(IpAddress::v6(lastV6(listed.back()))));
  EXPECT_TRUE(set->contains(addr("2001:200::1")));  // WIDE project
  for (const auto& p : listed) {
    ASSERT_TRUE(set->contains(p.address)) << p.toString();
    ASSERT_TRUE(set->contains(IpAddress::v6(lastV6(p)))) << p.toString();
  }
  EXPECT_FALSE(set->contains(addr("2001:4860:4860::8888")));  // Google, US
  EXPECT_FALSE(set->contains(addr("8.8.8.8")));
}

}  // namespace
}  // namespace mamori
