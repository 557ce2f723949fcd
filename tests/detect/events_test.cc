#include "mamori/detect/events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "mamori/core/time.h"

namespace mamori::detect {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kHour = 3600 * kSecond;
// 2024-03-05T10:00:00Z, a whole hour (1709632800 = 474898 * 3600).
constexpr int64_t kT0 = int64_t{1709632800} * kSecond;

// Builds observations whose views point into strings the test then destroys or overwrites.
struct Feed {
  EventAggregator aggregator;
  uint64_t line = 0;
  explicit Feed(NoisePolicy p = {}) : aggregator(p) {}

  bool add(std::string source, std::string target, Category category,
           Outcome outcome = Outcome::kPossiblySucceeded, int64_t time = kT0,
           std::string sample = "", bool recon = false, CategoryMask extra = 0,
           std::vector<std::string_view> cves = {}) {
    ++line;
    aggregator.addRequest();
    if (sample.empty()) sample = "GET /attack?n=" + std::to_string(line);
    Observation o;
    o.line = line;
    o.timeMicros = time;
    o.source = source;
    o.target = target;
    o.categories = static_cast<CategoryMask>(maskOf(category) | extra);
    o.cves = cves;
    o.reconnaissanceOnly = recon;
    o.outcome = outcome;
    o.sample = sample;
    const bool kept = aggregator.add(o);
    // The aggregator must have copied what it keeps.
    std::fill(source.begin(), source.end(), 'X');
    std::fill(target.begin(), target.end(), 'X');
    std::fill(sample.begin(), sample.end(), 'X');
    return kept;
  }
};

void expectSummaryAddsUp(const DetectionSummary& s) {
  EXPECT_EQ(s.detected, s.noise + s.raised);
  EXPECT_EQ(s.detected, std::accumulate(s.byOutcome.begin(), s.byOutcome.end(), uint64_t{0}));
  EXPECT_EQ(s.noise, std::accumulate(s.noiseByReason.begin(), s.noiseByReason.end(), uint64_t{0}));
  for (std::size_t c = 0; c < kCategoryCount; ++c) {
    EXPECT_LE(s.noiseByCategory[c], s.detectedByCategory[c]) << c;
  }
}

TEST(EventNames, PatternsAndSeverities) {
  EXPECT_EQ(burstPatternName(BurstPattern::kSingle), "single");
  EXPECT_EQ(burstPatternName(BurstPattern::kOneToMany), "one-to-many");
  EXPECT_EQ(burstPatternName(BurstPattern::kManyToOne), "many-to-one");
  for (auto s : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    EXPECT_EQ(parseSeverity(severityName(s)), s);
  }
  EXPECT_EQ(severityName(Severity::kCritical), "critical");
  EXPECT_FALSE(parseSeverity("urgent"));
  EXPECT_FALSE(parseSeverity("High"));
}

TEST(EventPrimaryCategory, Precedence) {
  auto mask = [](std::initializer_list<Category> cs) {
    CategoryMask m = 0;
    for (auto c : cs) m = static_cast<CategoryMask>(m | maskOf(c));
    return m;
  };
  EXPECT_EQ(primaryCategory(mask({Category::kSqli, Category::kExploit})), Category::kExploit);
  EXPECT_EQ(primaryCategory(mask({Category::kSqli, Category::kLog4shell})), Category::kLog4shell);
  EXPECT_EQ(primaryCategory(mask({Category::kSqli, Category::kCommandInjection})),
            Category::kCommandInjection);
  EXPECT_EQ(primaryCategory(mask({Category::kSqli, Category::kPathTraversal})), Category::kSqli);
  EXPECT_EQ(primaryCategory(mask({Category::kSensitiveFile, Category::kPathTraversal})),
            Category::kPathTraversal);
  EXPECT_EQ(primaryCategory(mask({Category::kXss, Category::kSsrf})), Category::kSsrf);
  EXPECT_EQ(primaryCategory(mask({Category::kXss, Category::kScanner})), Category::kXss);
  EXPECT_EQ(primaryCategory(mask({Category::kScanner})), Category::kScanner);
}

TEST(EventGrouping, OneSourceManyTargetsIsOneToMany) {
  Feed f;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(f.add("198.51.100.7", "site" + std::to_string(i) + ".example", Category::kSqli,
                      Outcome::kUnknown, kT0 + i * kSecond));
  }
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  const Event& e = events[0];
  EXPECT_EQ(e.pattern, BurstPattern::kOneToMany);
  EXPECT_EQ(e.category, Category::kSqli);
  EXPECT_EQ(e.requests, 5u);
  EXPECT_EQ(e.sourceCount, 1u);
  EXPECT_EQ(e.sources, std::vector<std::string>{"198.51.100.7"});
  EXPECT_EQ(e.targetCount, 5u);
  EXPECT_EQ(e.targets.front(), "site0.example");
  EXPECT_EQ(e.targets.back(), "site4.example");
  EXPECT_EQ(e.firstMicros, kT0);
  EXPECT_EQ(e.lastMicros, kT0 + 4 * kSecond);
  EXPECT_EQ(e.outcomes[static_cast<std::size_t>(Outcome::kUnknown)], 5u);
  EXPECT_EQ(f.aggregator.summary().events, 1u);
  EXPECT_EQ(f.aggregator.summary().raised, 5u);
}

TEST(EventGrouping, ManySourcesOneTargetIsManyToOne) {
  Feed f;
  for (int i = 0; i < 5; ++i) {
    f.add("203.0.113." + std::to_string(i + 1), "vpn.example.go.jp", Category::kExploit,
          Outcome::kUnknown);
  }
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pattern, BurstPattern::kManyToOne);
  EXPECT_EQ(events[0].sourceCount, 5u);
  EXPECT_EQ(events[0].targets, std::vector<std::string>{"vpn.example.go.jp"});
  EXPECT_EQ(events[0].requests, 5u);
}

TEST(EventGrouping, OnePairIsSingle) {
  Feed f;
  f.add("192.0.2.1", "www.example", Category::kXss);
  f.add("192.0.2.1", "www.example", Category::kXss);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pattern, BurstPattern::kSingle);
  EXPECT_EQ(events[0].requests, 2u);
  EXPECT_EQ(events[0].sourceCount, 1u);
  EXPECT_EQ(events[0].targetCount, 1u);
}

// A source that is one-to-many takes all its pairs; the target's other sources are counted
// without it, and two (below three) stay single events.
TEST(EventGrouping, OneToManyIsDecidedFirstAndTakesItsPairs) {
  Feed f;
  for (const char* t : {"a.example", "b.example", "c.example"})
    f.add("10.0.0.1", t, Category::kSqli);
  f.add("10.0.0.2", "a.example", Category::kSqli);
  f.add("10.0.0.3", "a.example", Category::kSqli);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 3u);
  int oneToMany = 0, single = 0;
  for (const auto& e : events) {
    if (e.pattern == BurstPattern::kOneToMany) {
      ++oneToMany;
      EXPECT_EQ(e.requests, 3u);
    } else if (e.pattern == BurstPattern::kSingle) {
      ++single;
      EXPECT_EQ(e.targets, std::vector<std::string>{"a.example"});
    }
  }
  EXPECT_EQ(oneToMany, 1);
  EXPECT_EQ(single, 2);
}

TEST(EventGrouping, ThresholdsComeFromThePolicy) {
  NoisePolicy p;
  p.oneToManyTargets = 6;
  Feed f(p);
  for (int i = 0; i < 5; ++i) f.add("10.0.0.1", "t" + std::to_string(i), Category::kSqli);
  auto events = f.aggregator.finish();
  EXPECT_EQ(events.size(), 5u);  // five targets are not "many" when six are needed
  for (const auto& e : events) EXPECT_EQ(e.pattern, BurstPattern::kSingle);
}

TEST(EventGrouping, WindowBoundarySplitsEvents) {
  Feed f;  // one-hour windows aligned to the epoch
  f.add("192.0.2.1", "www.example", Category::kSqli, Outcome::kUnknown, kT0 + kHour - 1);
  f.add("192.0.2.1", "www.example", Category::kSqli, Outcome::kUnknown, kT0 + kHour);
  f.add("192.0.2.1", "www.example", Category::kSqli, Outcome::kUnknown, kT0 + 2 * kHour - 1);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].requests, 1u);
  EXPECT_EQ(events[1].requests, 2u);
  EXPECT_EQ(events[1].firstMicros, kT0 + kHour);
  EXPECT_NE(events[0].id, events[1].id);
}

TEST(EventGrouping, EachRequestCountsOnceUnderItsPrimaryCategory) {
  Feed f;
  f.add("192.0.2.1", "www.example", Category::kSqli, Outcome::kUnknown, kT0, "", false,
        maskOf(Category::kPathTraversal));
  f.add("192.0.2.1", "www.example", Category::kXss);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 2u);
  uint64_t total = 0;
  for (const auto& e : events) {
    total += e.requests;
    EXPECT_NE(e.category, Category::kPathTraversal);
  }
  EXPECT_EQ(total, 2u);
  // The summary counts every category a request carried.
  const auto& s = f.aggregator.summary();
  EXPECT_EQ(s.detectedByCategory[static_cast<std::size_t>(Category::kPathTraversal)], 1u);
  EXPECT_EQ(s.detectedByCategory[static_cast<std::size_t>(Category::kSqli)], 1u);
}

TEST(EventGrouping, UnknownTargetIsOneTargetButNotListed) {
  Feed f;
  for (int i = 0; i < 4; ++i) f.add("10.1.0." + std::to_string(i), "", Category::kSqli);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pattern, BurstPattern::kManyToOne);
  EXPECT_TRUE(events[0].targets.empty());
  EXPECT_EQ(events[0].targetCount, 0u);
}

TEST(EventGrouping, CvesAreTheUnionSorted) {
  Feed f;
  f.add("10.0.0.1", "vpn", Category::kExploit, Outcome::kUnknown, kT0, "", false, 0,
        {"CVE-2024-21887", "CVE-2023-46805"});
  f.add("10.0.0.1", "vpn", Category::kExploit, Outcome::kUnknown, kT0, "", false, 0,
        {"CVE-2023-46805"});
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].cves, (std::vector<std::string>{"CVE-2023-46805", "CVE-2024-21887"}));
}

TEST(EventGrouping, ListsAreCappedButCountsAreNot) {
  Feed f;
  for (int i = 0; i < 30; ++i) f.add("10.2.0." + std::to_string(i), "t", Category::kXss);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sources.size(), kMaxListed);
  EXPECT_EQ(events[0].sourceCount, 30u);
  EXPECT_EQ(events[0].sources.front(), "10.2.0.0");  // listed in order of appearance
}

TEST(EventNoise, FailedIsNoiseByDefaultAndRaisedWhenTurnedOff) {
  {
    Feed f;
    EXPECT_FALSE(f.add("192.0.2.1", "www", Category::kSqli, Outcome::kFailed));
    EXPECT_FALSE(f.add("192.0.2.1", "www", Category::kSqli, Outcome::kBlocked));
    EXPECT_TRUE(f.aggregator.finish().empty());
    const auto& s = f.aggregator.summary();
    EXPECT_EQ(s.detected, 2u);
    EXPECT_EQ(s.noise, 2u);
    EXPECT_EQ(s.raised, 0u);
    EXPECT_EQ(s.noiseByReason[0], 1u);
    EXPECT_EQ(s.noiseByReason[1], 1u);
    EXPECT_EQ(s.noiseByCategory[static_cast<std::size_t>(Category::kSqli)], 2u);
    expectSummaryAddsUp(s);
  }
  {
    NoisePolicy p;
    p.failedIsNoise = false;
    Feed f(p);
    EXPECT_TRUE(f.add("192.0.2.1", "www", Category::kSqli, Outcome::kFailed));
    EXPECT_FALSE(f.add("192.0.2.1", "www", Category::kSqli, Outcome::kBlocked));
    auto events = f.aggregator.finish();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].outcomes[static_cast<std::size_t>(Outcome::kFailed)], 1u);
    EXPECT_EQ(f.aggregator.summary().raised, 1u);
  }
  {
    NoisePolicy p;
    p.blockedIsNoise = false;
    Feed f(p);
    EXPECT_TRUE(f.add("192.0.2.1", "www", Category::kSqli, Outcome::kBlocked));
  }
}

TEST(EventNoise, ReconnaissanceIsNoiseUnlessSomethingMayHaveLeaked) {
  Feed f;
  EXPECT_FALSE(f.add("192.0.2.1", "www", Category::kScanner, Outcome::kUnknown, kT0, "", true));
  EXPECT_FALSE(
      f.add("192.0.2.1", "www", Category::kScanner, Outcome::kPossiblySucceeded, kT0, "", true));
  EXPECT_FALSE(
      f.add("192.0.2.1", "www", Category::kSensitiveFile, Outcome::kUnknown, kT0, "", true));
  // /.env answered with something unusual: a leak to confirm.
  EXPECT_TRUE(f.add("192.0.2.1", "www", Category::kSensitiveFile, Outcome::kPossiblySucceeded, kT0,
                    "", true));
  // Failed reconnaissance is counted under the first reason: failed.
  EXPECT_FALSE(f.add("192.0.2.1", "www", Category::kScanner, Outcome::kFailed, kT0, "", true));
  const auto& s = f.aggregator.summary();
  EXPECT_EQ(s.noiseByReason[2], 3u);
  EXPECT_EQ(s.noiseByReason[0], 1u);

  NoisePolicy p;
  p.reconnaissanceIsNoise = false;
  Feed g(p);
  EXPECT_TRUE(g.add("192.0.2.1", "www", Category::kScanner, Outcome::kUnknown, kT0, "", true));
}

TEST(EventSeverity, Table) {
  struct Case {
    Category category;
    Outcome outcome;
    int requests;
    Severity expected;
  };
  const Case cases[] = {
      {Category::kExploit, Outcome::kPossiblySucceeded, 1, Severity::kCritical},
      {Category::kLog4shell, Outcome::kPossiblySucceeded, 1, Severity::kCritical},
      {Category::kCommandInjection, Outcome::kPossiblySucceeded, 1, Severity::kCritical},
      {Category::kExploit, Outcome::kUnknown, 1, Severity::kHigh},
      {Category::kExploit, Outcome::kUnknown, 150, Severity::kHigh},  // a burst is not success
      {Category::kSqli, Outcome::kUnknown, 1, Severity::kMedium},
      {Category::kSqli, Outcome::kPossiblySucceeded, 1, Severity::kHigh},
      {Category::kSqli, Outcome::kUnknown, 100, Severity::kHigh},
      {Category::kPathTraversal, Outcome::kUnknown, 1, Severity::kMedium},
      {Category::kXss, Outcome::kUnknown, 1, Severity::kMedium},
      {Category::kSsrf, Outcome::kPossiblySucceeded, 1, Severity::kHigh},
      {Category::kScanner, Outcome::kUnknown, 1, Severity::kLow},
      {Category::kScanner, Outcome::kUnknown, 100, Severity::kMedium},
      {Category::kScanner, Outcome::kPossiblySucceeded, 1, Severity::kMedium},
  };
  for (const Case& c : cases) {
    Feed f;
    for (int i = 0; i < c.requests; ++i) f.add("192.0.2.1", "www", c.category, c.outcome);
    auto events = f.aggregator.finish();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].severity, c.expected)
        << categoryName(c.category) << " " << outcomeName(c.outcome) << " x" << c.requests;
  }
}

TEST(EventSeverity, OneSucceededRequestRaisesTheWholeEvent) {
  Feed f;
  f.add("192.0.2.1", "www", Category::kSqli, Outcome::kUnknown);
  f.add("192.0.2.1", "www", Category::kSqli, Outcome::kPossiblySucceeded);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].severity, Severity::kHigh);
}

TEST(EventNoise, EventsBelowMinimumSeverityAreNoise) {
  NoisePolicy p;
  p.minimumSeverity = Severity::kHigh;
  Feed f(p);
  f.add("192.0.2.1", "www", Category::kScanner, Outcome::kUnknown);  // low
  f.add("192.0.2.2", "www", Category::kSqli, Outcome::kUnknown, kT0, "", false,
        maskOf(Category::kXss));                                            // medium
  f.add("192.0.2.3", "www", Category::kSqli, Outcome::kPossiblySucceeded);  // high
  f.add("192.0.2.4", "www", Category::kSqli, Outcome::kFailed);             // failed
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sources, std::vector<std::string>{"192.0.2.3"});
  const auto& s = f.aggregator.summary();
  EXPECT_EQ(s.detected, 4u);
  EXPECT_EQ(s.noise, 3u);
  EXPECT_EQ(s.raised, 1u);
  EXPECT_EQ(s.events, 1u);
  EXPECT_EQ(s.noiseByReason[3], 2u);
  EXPECT_EQ(s.noiseByReason[0], 1u);
  EXPECT_EQ(s.noiseByCategory[static_cast<std::size_t>(Category::kXss)], 1u);
  EXPECT_EQ(s.noiseByCategory[static_cast<std::size_t>(Category::kScanner)], 1u);
  EXPECT_EQ(s.noiseByCategory[static_cast<std::size_t>(Category::kSqli)], 2u);
  expectSummaryAddsUp(s);
}

TEST(EventSamples, CappedDistinctCopiedAndInLineOrder) {
  Feed f;  // maxSamples 3
  f.add("192.0.2.1", "www", Category::kSqli, Outcome::kUnknown, kT0, "GET /a?id=1'--");
  f.add("192.0.2.1", "www", Category::kSqli, Outcome::kUnknown, kT0, "GET /a?id=1'--");
  f.add("192.0.2.1", "www", Category::kSqli, Outcome::kUnknown, kT0, "GET /a?id=2 or 1=1");
  f.add("192.0.2.1", "www", Category::kSqli, Outcome::kUnknown, kT0, "GET /a?id=3 union select");
  f.add("192.0.2.1", "www", Category::kSqli, Outcome::kUnknown, kT0, "GET /a?id=4 sleep(5)");
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  const auto& s = events[0].samples;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].line, 1u);
  EXPECT_EQ(s[0].text, "GET /a?id=1'--");
  EXPECT_EQ(s[1].line, 3u);
  EXPECT_EQ(s[1].text, "GET /a?id=2 or 1=1");
  EXPECT_EQ(s[2].line, 4u);
}

TEST(EventSamples, LongSamplesAreCut) {
  Feed f;
  f.add("192.0.2.1", "www", Category::kXss, Outcome::kUnknown, kT0,
        "GET /?q=" + std::string(10'000, 'a'));
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].samples.size(), 1u);
  EXPECT_EQ(events[0].samples[0].text.size(), 2048u);
  EXPECT_EQ(events[0].samples[0].text.substr(0, 8), "GET /?q=");
}

// Samples of a one-to-many event are the earliest over all its targets, before and after the
// source was recognised as one-to-many.
TEST(EventSamples, OneToManyKeepsTheEarliest) {
  NoisePolicy p;
  p.maxSamples = 2;
  Feed f(p);
  f.add("10.0.0.1", "b", Category::kSqli, Outcome::kUnknown, kT0, "s1");
  f.add("10.0.0.1", "a", Category::kSqli, Outcome::kUnknown, kT0, "s2");
  f.add("10.0.0.1", "a", Category::kSqli, Outcome::kUnknown, kT0, "s3");
  f.add("10.0.0.1", "c", Category::kSqli, Outcome::kUnknown, kT0, "s1");
  f.add("10.0.0.1", "d", Category::kSqli, Outcome::kUnknown, kT0, "s4");
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].samples.size(), 2u);
  EXPECT_EQ(events[0].samples[0].text, "s1");
  EXPECT_EQ(events[0].samples[1].text, "s2");
}

TEST(EventSamples, ManyToOneKeepsTheEarliest) {
  NoisePolicy p;
  p.maxSamples = 2;
  Feed f(p);
  f.add("10.0.0.3", "vpn", Category::kExploit, Outcome::kUnknown, kT0, "x1");
  f.add("10.0.0.1", "vpn", Category::kExploit, Outcome::kUnknown, kT0, "x1");
  f.add("10.0.0.2", "vpn", Category::kExploit, Outcome::kUnknown, kT0, "x2");
  f.add("10.0.0.3", "vpn", Category::kExploit, Outcome::kUnknown, kT0, "x3");
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].samples.size(), 2u);
  EXPECT_EQ(events[0].samples[0].line, 1u);
  EXPECT_EQ(events[0].samples[1].line, 3u);
}

std::vector<Event> standardRun() {
  Feed f;
  for (int i = 0; i < 4; ++i) f.add("10.0.0.1", "t" + std::to_string(i), Category::kSqli);
  for (int i = 0; i < 4; ++i) f.add("10.9.0." + std::to_string(i), "vpn", Category::kExploit);
  f.add("10.5.0.1", "www", Category::kXss, Outcome::kUnknown, kT0 + 5 * kHour);
  f.add("10.5.0.1", "www", Category::kXss, Outcome::kUnknown, kT0 + 6 * kHour);
  return f.aggregator.finish();
}

TEST(EventIds, StableAcrossRunsAndDistinct) {
  const auto a = standardRun();
  const auto b = standardRun();
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].id.size(), 32u);
    EXPECT_EQ(a[i].id.find_first_not_of("0123456789abcdef"), std::string::npos);
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(a[i].id, a[j].id);
  }
  // Ordered by first time: the two xss events (5 h and 6 h later) come last.
  EXPECT_EQ(a[2].category, Category::kXss);
  EXPECT_EQ(a[3].category, Category::kXss);
  EXPECT_LT(a[2].firstMicros, a[3].firstMicros);
}

TEST(EventJson, ParsesWithTheDocumentedFields) {
  NoisePolicy p;
  p.blockedIsNoise = false;
  Feed g(p);
  g.add("10.0.0.1", "vpn.example", Category::kExploit, Outcome::kPossiblySucceeded, kT0,
        "POST /ssl-vpn/hipreport.esp \"quoted\"", false, 0, {"CVE-2024-3400"});
  g.add("10.0.0.1", "vpn.example", Category::kExploit, Outcome::kBlocked, kT0 + kSecond);
  auto events = g.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  const std::string line = eventJson(events[0]);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["id"], events[0].id);
  EXPECT_EQ(j["category"], "exploit");
  EXPECT_EQ(j["pattern"], "single");
  EXPECT_EQ(j["severity"], "critical");
  EXPECT_EQ(j["first_seen"], "2024-03-05T10:00:00.000000Z");
  EXPECT_EQ(j["last_seen"], "2024-03-05T10:00:01.000000Z");
  EXPECT_EQ(j["requests"], 2);
  EXPECT_EQ(j["sources"], nlohmann::json::array({"10.0.0.1"}));
  EXPECT_EQ(j["source_count"], 1);
  EXPECT_EQ(j["targets"], nlohmann::json::array({"vpn.example"}));
  EXPECT_EQ(j["target_count"], 1);
  EXPECT_EQ(j["outcomes"]["possibly-succeeded"], 1);
  EXPECT_EQ(j["outcomes"]["blocked"], 1);
  EXPECT_EQ(j["outcomes"]["failed"], 0);
  EXPECT_EQ(j["outcomes"]["unknown"], 0);
  EXPECT_EQ(j["cves"], nlohmann::json::array({"CVE-2024-3400"}));
  ASSERT_EQ(j["samples"].size(), 2u);
  EXPECT_EQ(j["samples"][0]["line"], 1);
  EXPECT_EQ(j["samples"][0]["request"], "POST /ssl-vpn/hipreport.esp \"quoted\"");
  EXPECT_EQ(j.size(), 14u);
}

TEST(EventJson, NoTimesMeansNoTimeFields) {
  Feed f;
  f.add("10.0.0.1", "www", Category::kSqli, Outcome::kUnknown, 0);
  auto events = f.aggregator.finish();
  ASSERT_EQ(events.size(), 1u);
  const auto j = nlohmann::json::parse(eventJson(events[0]));
  EXPECT_FALSE(j.contains("first_seen"));
  EXPECT_FALSE(j.contains("last_seen"));
}

TEST(EventSummary, CountsAddUpAndJsonHasThem) {
  Feed f;
  f.aggregator.addRequest();  // a request with no detection
  f.add("10.0.0.1", "www", Category::kSqli, Outcome::kFailed);
  f.add("10.0.0.1", "www", Category::kSqli, Outcome::kPossiblySucceeded);
  f.add("10.0.0.2", "www", Category::kScanner, Outcome::kUnknown, kT0, "", true);
  f.add("10.0.0.3", "www", Category::kXss, Outcome::kBlocked);
  f.add("10.0.0.3", "www", Category::kXss, Outcome::kUnknown);
  auto events = f.aggregator.finish();
  const auto& s = f.aggregator.summary();
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.detected, 5u);
  EXPECT_EQ(s.noise, 3u);
  EXPECT_EQ(s.raised, 2u);
  EXPECT_EQ(s.events, events.size());
  EXPECT_EQ(s.events, 2u);
  expectSummaryAddsUp(s);

  NoisePolicy policy;
  const auto j = nlohmann::json::parse(summaryJson(s, policy));
  EXPECT_EQ(j["requests"], 6);
  EXPECT_EQ(j["detected"], 5);
  EXPECT_EQ(j["noise"], 3);
  EXPECT_EQ(j["raised"], 2);
  EXPECT_EQ(j["events"], 2);
  EXPECT_EQ(j["by_category"].size(), kCategoryCount);
  EXPECT_EQ(j["by_category"]["sqli"]["detected"], 2);
  EXPECT_EQ(j["by_category"]["sqli"]["noise"], 1);
  EXPECT_EQ(j["by_category"]["sqli"]["raised"], 1);
  EXPECT_EQ(j["by_category"]["scanner"]["noise"], 1);
  EXPECT_EQ(j["by_category"]["log4shell"]["detected"], 0);
  EXPECT_EQ(j["by_outcome"]["failed"], 1);
  EXPECT_EQ(j["by_outcome"]["blocked"], 1);
  EXPECT_EQ(j["by_outcome"]["unknown"], 2);
  EXPECT_EQ(j["by_outcome"]["possibly-succeeded"], 1);
  EXPECT_EQ(j["noise_by_reason"]["failed"], 1);
  EXPECT_EQ(j["noise_by_reason"]["blocked"], 1);
  EXPECT_EQ(j["noise_by_reason"]["reconnaissance"], 1);
  EXPECT_EQ(j["noise_by_reason"]["below_severity"], 0);
  EXPECT_EQ(j["policy"]["failed_is_noise"], true);
  EXPECT_EQ(j["policy"]["window_seconds"], 3600);
  EXPECT_EQ(j["policy"]["one_to_many_targets"], 3);
  EXPECT_EQ(j["policy"]["many_to_one_sources"], 3);
  EXPECT_EQ(j["policy"]["max_samples"], 3);
  EXPECT_EQ(j["policy"]["minimum_severity"], "low");
}

// --- loadNoisePolicy ---

class NoisePolicyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "mamori-policy-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(std::string_view text) {
    auto path = dir_ / "policy.toml";
    std::ofstream(path) << text;
    return path;
  }
  std::string errorOf(std::string_view text) {
    auto r = loadNoisePolicy(write(text));
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.error().message;
  }
  std::filesystem::path dir_;
};

TEST_F(NoisePolicyFile, EveryKey) {
  auto r = loadNoisePolicy(write(R"(# a comment
failed_is_noise = false
blocked_is_noise = false
reconnaissance_is_noise = false
window_seconds = 600
one_to_many_targets = 5
many_to_one_sources = 10
max_samples = 0
minimum_severity = "medium"
)"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->failedIsNoise);
  EXPECT_FALSE(r->blockedIsNoise);
  EXPECT_FALSE(r->reconnaissanceIsNoise);
  EXPECT_EQ(r->windowMicros, 600 * kSecond);
  EXPECT_EQ(r->oneToManyTargets, 5u);
  EXPECT_EQ(r->manyToOneSources, 10u);
  EXPECT_EQ(r->maxSamples, 0u);
  EXPECT_EQ(r->minimumSeverity, Severity::kMedium);
}

TEST_F(NoisePolicyFile, AbsentKeysKeepDefaults) {
  auto r = loadNoisePolicy(write("max_samples = 5\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const NoisePolicy defaults;
  EXPECT_EQ(r->maxSamples, 5u);
  EXPECT_EQ(r->failedIsNoise, defaults.failedIsNoise);
  EXPECT_EQ(r->windowMicros, defaults.windowMicros);
  EXPECT_EQ(r->minimumSeverity, defaults.minimumSeverity);
  auto empty = loadNoisePolicy(write(""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->oneToManyTargets, defaults.oneToManyTargets);
}

TEST_F(NoisePolicyFile, UnknownKeyIsNamedWithItsLine) {
  const auto e = errorOf("failed_is_noise = true\nfailed_is_nosie = false\n");
  EXPECT_THAT(e, HasSubstr("unknown key 'failed_is_nosie'"));
  EXPECT_THAT(e, HasSubstr("policy.toml:2:"));
  EXPECT_THAT(errorOf("[noise]\nfailed_is_noise = true\n"), HasSubstr("unknown key 'noise'"));
}

TEST_F(NoisePolicyFile, WrongTypeNamesKeyAndExpectation) {
  EXPECT_THAT(errorOf("window_seconds = \"10m\"\n"),
              HasSubstr("'window_seconds' must be an integer from 1 to"));
  EXPECT_THAT(errorOf("failed_is_noise = \"yes\"\n"),
              HasSubstr("'failed_is_noise' must be true or false"));
  EXPECT_THAT(errorOf("one_to_many_targets = 1\n"),
              HasSubstr("'one_to_many_targets' must be an integer from 2 to"));
  EXPECT_THAT(errorOf("max_samples = -1\n"), HasSubstr("'max_samples' must be"));
  EXPECT_THAT(errorOf("window_seconds = 0\n"), HasSubstr("'window_seconds'"));
  EXPECT_THAT(errorOf("many_to_one_sources = 3.5\n"), HasSubstr("'many_to_one_sources'"));
  EXPECT_THAT(errorOf("minimum_severity = \"urgent\"\n"),
              HasSubstr("'minimum_severity' must be one of \"low\", \"medium\""));
}

TEST_F(NoisePolicyFile, InvalidTomlGivesLineAndColumn) {
  const auto e = errorOf("max_samples = 3\nwindow_seconds = = 5\n");
  EXPECT_THAT(e, HasSubstr("invalid TOML"));
  EXPECT_THAT(e, HasSubstr("policy.toml:2:"));
}

TEST_F(NoisePolicyFile, MissingFileIsAnError) {
  auto r = loadNoisePolicy(dir_ / "absent.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("absent.toml"));
}

}  // namespace
}  // namespace mamori::detect
