// Policy store at the size: 1,000,000 blocked domains. Measures resident bytes per
// domain (the memory target is Unbound's figure for the same list) and QNAME lookups per
// second on one core for misses (the ~90% of queries that are allowed), hits, and the 90/10 mix.
//
// The domains are synthetic but shaped like blocklist feeds: a random registrable label of 6-14
// characters under a common TLD, a third of them with one more label in front (a host or a
// DGA-style subdomain), 17 characters on average. Fixed seed: the same list on every run.
//
// For scale, the same names are also put in a std::unordered_set<std::string> (what a first
// implementation would use) and in core's DomainSuffixSet, and their resident bytes reported.
//
// Link with benchmark::benchmark_main (no main() here).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "mamori/core/domain_set.h"
#include "mamori/dns/policy.h"

namespace mamori::dns {
namespace {

constexpr size_t kDomains = 1000000;
constexpr size_t kProbes = 1 << 16;  // power of two: the loops mask the index

// Resident set size from /proc (what the memory target is about), in bytes. Free heap
// memory is handed back first: glibc keeps freed chunks of an earlier build resident (its mmap
// threshold rises after the first large free), which would charge one build's garbage to the next.
size_t residentBytes() {
  malloc_trim(0);
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long pages = 0;
  unsigned long resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &pages, &resident);
  std::fclose(f);
  return n == 2 ? resident * 4096 : 0;
}

std::string randomLabel(std::mt19937_64& rng, size_t minLength, size_t maxLength) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  const size_t length = minLength + rng() % (maxLength - minLength + 1);
  std::string s;
  for (size_t i = 0; i < length; ++i) s.push_back(kChars[rng() % 36]);
  return s;
}

std::string randomDomain(std::mt19937_64& rng) {
  static constexpr const char* kTlds[] = {"com", "net", "org",    "info", "xyz",  "top",  "ru",
                                          "cn",  "io",  "online", "site", "club", "shop", "de"};
  std::string d;
  if (rng() % 3 == 0) d = randomLabel(rng, 3, 10) + ".";
  d += randomLabel(rng, 6, 14) + "." + kTlds[rng() % std::size(kTlds)];
  return d;
}

struct Fixture {
  Policy policy;
  std::vector<Name> hits;
  std::vector<Name> misses;
  std::vector<Name> mix;  // 9 misses to 1 hit
  size_t policyResident = 0;
  size_t policyAccounted = 0;
  size_t textBytes = 0;
  double averageLength = 0;
  double buildSeconds = 0;
};

// The list as exact names, or (subdomains) each name also covering everything below it, the way
// most blocklists are meant: then every query probes its parents too.
Fixture* makeFixture(bool subdomains) {
  {
    auto* fx = new Fixture;  // NOLINT: lives for the whole run
    std::mt19937_64 rng(42);
    std::vector<std::string> kept;
    const size_t before = residentBytes();
    const auto start = std::chrono::steady_clock::now();
    {
      std::string text;
      for (size_t i = 0; i < kDomains; ++i) {
        std::string d = randomDomain(rng);
        fx->averageLength += static_cast<double>(d.size());
        if (i % 16 == 0 && kept.size() < kProbes) kept.push_back(d);
        text += d;
        text += '\n';
      }
      fx->textBytes = text.size();
      PolicyBuilder b;
      auto r = b.addDomainListText("bench", text, "bench", PolicyAction::kNxdomain, subdomains);
      if (!r.ok()) std::abort();
      fx->policy = b.build();
    }
    fx->buildSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fx->policyResident = residentBytes() - before;
    fx->policyAccounted = fx->policy.memoryBytes();
    fx->averageLength /= kDomains;
    std::mt19937_64 other(7);
    for (size_t i = 0; i < kProbes; ++i) {
      fx->hits.push_back(*Name::fromText(kept[i % kept.size()]));
      // Allowed names: three labels, like "www.<site>.<tld>" queries.
      fx->misses.push_back(*Name::fromText("www." + randomDomain(other)));
      fx->mix.push_back(i % 10 == 0 ? fx->hits.back() : fx->misses.back());
    }
    return fx;
  }
}

const Fixture& fixture() {
  static const Fixture* f = makeFixture(false);
  return *f;
}
const Fixture& subdomainFixture() {
  static const Fixture* f = makeFixture(true);
  return *f;
}

void lookups(benchmark::State& state, const Fixture& f, const std::vector<Name>& names,
             bool expectHit) {
  size_t i = 0;
  size_t matched = 0;
  for (auto _ : state) {
    const PolicyMatch m = f.policy.matchQname(names[i++ & (kProbes - 1)]);
    matched += m.matched() ? 1 : 0;
    benchmark::DoNotOptimize(m);
  }
  if (expectHit && matched != static_cast<size_t>(state.iterations())) state.SkipWithError("miss");
  state.SetItemsProcessed(state.iterations());
  state.counters["domains"] = static_cast<double>(f.policy.qnameTriggerCount());
  state.counters["resident_bytes_per_domain"] =
      static_cast<double>(f.policyResident) / static_cast<double>(kDomains);
  state.counters["accounted_bytes_per_domain"] =
      static_cast<double>(f.policyAccounted) / static_cast<double>(kDomains);
  state.counters["average_name_length"] = f.averageLength;
  state.counters["build_seconds"] = f.buildSeconds;
}

void BM_PolicyLookupMiss(benchmark::State& state) {
  lookups(state, fixture(), fixture().misses, false);
}
void BM_PolicyLookupHit(benchmark::State& state) {
  lookups(state, fixture(), fixture().hits, true);
}
void BM_PolicyLookupMix90_10(benchmark::State& state) {
  lookups(state, fixture(), fixture().mix, false);
}
void BM_PolicySubdomainsLookupMix90_10(benchmark::State& state) {
  lookups(state, subdomainFixture(), subdomainFixture().mix, false);
}
BENCHMARK(BM_PolicyLookupMiss);
BENCHMARK(BM_PolicyLookupHit);
BENCHMARK(BM_PolicyLookupMix90_10);
BENCHMARK(BM_PolicySubdomainsLookupMix90_10);

// The same million names in the obvious container and in core's suffix set, for scale.
void BM_BaselineMemory(benchmark::State& state) {
  std::mt19937_64 rng(42);
  std::vector<std::string> names;
  names.reserve(kDomains);
  for (size_t i = 0; i < kDomains; ++i) names.push_back(randomDomain(rng));
  for (auto _ : state) {
    const size_t before = residentBytes();
    {
      std::unordered_set<std::string> set;
      for (const auto& n : names) set.insert(n);
      state.counters["unordered_set_bytes_per_domain"] =
          static_cast<double>(residentBytes() - before) / static_cast<double>(kDomains);
    }
    const size_t before2 = residentBytes();
    {
      DomainSuffixSet set;
      for (const auto& n : names) {
        if (!set.add(n, 0).ok()) std::abort();
      }
      state.counters["domain_suffix_set_bytes_per_domain"] =
          static_cast<double>(residentBytes() - before2) / static_cast<double>(kDomains);
    }
  }
}
BENCHMARK(BM_BaselineMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mamori::dns
