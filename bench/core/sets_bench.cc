// PrefixSet and DomainSuffixSet lookups at production sizes: every new flow looks up both of its
// addresses in the domestic and selection prefix sets, and every DNS name / SNI / Host goes
// through a domain suffix set.
//
// Link with benchmark::benchmark_main (no main() here). Define MAMORI_SOURCE_DIR to add the
// benchmark over the shipped Japanese prefix list.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "mamori/core/domain_set.h"
#include "mamori/core/prefix_set.h"

namespace mamori {
namespace {

constexpr size_t kPrefixes = 1000000;
constexpr size_t kProbes = 1 << 16;  // power of two: the benchmark loop masks the index

// A blocklist-like mix: mostly /24 and host routes, some /16../23 and /25../31. Few short
// prefixes, since a handful of /8s carrying every tag would collapse the set into a few intervals
// and flatter the numbers.
unsigned v4Length(std::mt19937_64& rng) {
  const auto r = static_cast<unsigned>(rng() % 100);
  if (r < 60) return 24;
  if (r < 85) return 32;
  if (r < 95) return 16 + r % 8;
  return 25 + r % 7;
}

IpPrefix randomV4(std::mt19937_64& rng) {
  const unsigned length = v4Length(rng);
  const uint32_t mask = ~0U << (32 - length);
  return IpPrefix{IpAddress::v4(static_cast<uint32_t>(rng()) & mask), static_cast<uint8_t>(length)};
}

// Global unicast 2000::/3, /29../48 like allocations and site prefixes, a few /64 and /128.
IpPrefix randomV6(std::mt19937_64& rng) {
  const auto r = static_cast<unsigned>(rng() % 100);
  const unsigned length = r < 90 ? 29 + r % 20 : (r < 97 ? 64 : 128);
  Uint128 v = (Uint128{rng()} << 64) | rng();
  v = (v >> 3) | (Uint128{1} << 125);
  const Uint128 mask = ~Uint128{0} << (128 - length);
  return IpPrefix{IpAddress::v6(v & mask), static_cast<uint8_t>(length)};
}

template <class Random>
PrefixSet buildRandom(Random random, std::vector<IpPrefix>* kept = nullptr) {
  std::mt19937_64 rng(42);
  PrefixSetBuilder b;
  for (size_t i = 0; i < kPrefixes; ++i) {
    const IpPrefix p = random(rng);
    b.add(p, static_cast<uint32_t>(i % 16));
    if (kept != nullptr && i % 16 == 0) kept->push_back(p);
  }
  return b.build();
}

// Half the probes fall in a prefix of the set, half are uniformly random (hit or miss by chance).
template <class Uniform>
std::vector<IpAddress> probes(const std::vector<IpPrefix>& kept, Uniform uniform) {
  std::mt19937_64 rng(7);
  std::vector<IpAddress> out;
  for (size_t i = 0; i < kProbes; ++i) {
    out.push_back(i % 2 == 0 ? kept[rng() % kept.size()].address : uniform(rng));
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

void lookupLoop(benchmark::State& state, const PrefixSet& set, const std::vector<IpAddress>& in) {
  size_t i = 0;
  size_t found = 0;
  for (auto _ : state) {
    const auto tags = set.lookup(in[i++ & (kProbes - 1)]);
    found += tags.size();
    benchmark::DoNotOptimize(tags.data());
  }
  benchmark::DoNotOptimize(found);
  state.counters["memMiB"] = static_cast<double>(set.memoryBytes()) / (1 << 20);
}

void BM_PrefixSetLookupV4(benchmark::State& state) {
  static std::vector<IpPrefix> kept;
  static const PrefixSet set = buildRandom(randomV4, &kept);
  static const auto in = probes(
      kept, [](std::mt19937_64& rng) { return IpAddress::v4(static_cast<uint32_t>(rng())); });
  lookupLoop(state, set, in);
}
BENCHMARK(BM_PrefixSetLookupV4);

void BM_PrefixSetLookupV6(benchmark::State& state) {
  static std::vector<IpPrefix> kept;
  static const PrefixSet set = buildRandom(randomV6, &kept);
  static const auto in = probes(kept, [](std::mt19937_64& rng) {
    return IpAddress::v6((Uint128{rng() >> 3 | (uint64_t{1} << 61)} << 64) | rng());
  });
  lookupLoop(state, set, in);
}
BENCHMARK(BM_PrefixSetLookupV6);

#ifdef MAMORI_SOURCE_DIR
// The set every flow meets: Japan's IPv4 space (about 3,000 prefixes, cache resident). Probes are
// half domestic, half foreign addresses.
void BM_PrefixSetLookupJapanV4(benchmark::State& state) {
  static const PrefixSet set =
      PrefixSet::loadFile(MAMORI_SOURCE_DIR "/data/domestic/jp-ipv4.txt").valueOrThrow();
  static const std::vector<IpAddress> in = [] {
    std::mt19937_64 rng(9);
    std::vector<IpAddress> out;
    size_t inside = 0;
    while (out.size() < kProbes) {
      const IpAddress a = IpAddress::v4(static_cast<uint32_t>(rng()));
      const bool domestic = set.contains(a);
      if (domestic && inside >= kProbes / 2) continue;
      if (!domestic && out.size() - inside >= kProbes / 2) continue;
      inside += domestic ? 1 : 0;
      out.push_back(a);
    }
    return out;
  }();
  lookupLoop(state, set, in);
}
BENCHMARK(BM_PrefixSetLookupJapanV4);
#endif

// Build time of the whole set from 1,000,000 prefixes already in a builder.
template <IpPrefix (*Random)(std::mt19937_64&)>
void BM_PrefixSetBuild(benchmark::State& state) {
  std::mt19937_64 rng(42);
  std::vector<IpPrefix> prefixes;
  for (size_t i = 0; i < kPrefixes; ++i) prefixes.push_back(Random(rng));
  size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    PrefixSetBuilder b;
    for (size_t i = 0; i < prefixes.size(); ++i) b.add(prefixes[i], static_cast<uint32_t>(i % 16));
    state.ResumeTiming();
    const PrefixSet set = b.build();
    bytes = set.memoryBytes();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["memMiB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["bytesPerPrefix"] = static_cast<double>(bytes) / kPrefixes;
}
BENCHMARK(BM_PrefixSetBuild<randomV4>)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrefixSetBuild<randomV6>)->Unit(benchmark::kMillisecond);

constexpr size_t kNames = 100000;

std::string randomLabel(std::mt19937_64& rng, size_t length) {
  std::string s;
  for (size_t i = 0; i < length; ++i) s += static_cast<char>('a' + rng() % 26);
  return s;
}

struct DomainFixture {
  DomainSuffixSet set;
  std::vector<std::string> hits;
  std::vector<std::string> misses;

  DomainFixture() {
    std::mt19937_64 rng(3);
    static constexpr const char* kTlds[] = {"com", "net", "jp", "co.jp", "org", "info"};
    std::vector<std::string> names;
    for (size_t i = 0; i < kNames; ++i) {
      names.push_back(randomLabel(rng, 5 + rng() % 12) + "." + kTlds[rng() % 6]);
      (void)set.add(names.back(), static_cast<uint32_t>(i));
    }
    // Queries look like real ones: a host under a listed domain, or an unlisted look-alike.
    for (size_t i = 0; i < kProbes; ++i) {
      const std::string& n = names[rng() % names.size()];
      hits.push_back("www." + randomLabel(rng, 4) + "." + n);
      misses.push_back("www." + randomLabel(rng, 4) + ".x" + n);
    }
  }
};

const DomainFixture& domains() {
  static const DomainFixture f;
  return f;
}

void domainLoop(benchmark::State& state, const std::vector<std::string>& names) {
  const DomainSuffixSet& set = domains().set;
  size_t i = 0;
  size_t found = 0;
  for (auto _ : state) {
    found += set.matches(names[i++ & (kProbes - 1)]) ? 1 : 0;
  }
  benchmark::DoNotOptimize(found);
  state.counters["memMiB"] = static_cast<double>(set.memoryBytes()) / (1 << 20);
}

void BM_DomainSetLookupHit(benchmark::State& state) {
  domainLoop(state, domains().hits);
}
BENCHMARK(BM_DomainSetLookupHit);

void BM_DomainSetLookupMiss(benchmark::State& state) {
  domainLoop(state, domains().misses);
}
BENCHMARK(BM_DomainSetLookupMiss);

}  // namespace
}  // namespace mamori
