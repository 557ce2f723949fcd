#include "mamori/detect/outcome.h"

#include <gtest/gtest.h>

#include <string>

#include "events_hash.h"

namespace mamori::detect {
namespace {

constexpr CategoryMask kSqli = maskOf(Category::kSqli);
constexpr CategoryMask kXss = maskOf(Category::kXss);
constexpr CategoryMask kTraversal = maskOf(Category::kPathTraversal);
constexpr CategoryMask kCommand = maskOf(Category::kCommandInjection);
constexpr CategoryMask kSsti = maskOf(Category::kSsti);
constexpr CategoryMask kExploit = maskOf(Category::kExploit);
constexpr CategoryMask kLog4shell = maskOf(Category::kLog4shell);
constexpr CategoryMask kScanner = maskOf(Category::kScanner);
constexpr int64_t kSecond = 1'000'000;

ResponseFacts response(int status, int64_t bytes = -1, int64_t durationMicros = -1) {
  ResponseFacts r;
  r.status = status;
  r.bytes = bytes;
  r.durationMicros = durationMicros;
  return r;
}

TEST(OutcomeName, NamesUsedInOutput) {
  EXPECT_EQ(outcomeName(Outcome::kUnknown), "unknown");
  EXPECT_EQ(outcomeName(Outcome::kFailed), "failed");
  EXPECT_EQ(outcomeName(Outcome::kBlocked), "blocked");
  EXPECT_EQ(outcomeName(Outcome::kPossiblySucceeded), "possibly-succeeded");
}

struct StatusCase {
  int status;
  CategoryMask categories;
  Outcome expected;
};

class OutcomeStatusTable : public ::testing::TestWithParam<StatusCase> {};

// Responses without a size, so only the status (and category) decides.
TEST_P(OutcomeStatusTable, JudgedFromStatusAndCategory) {
  const StatusCase& c = GetParam();
  OutcomeJudge judge;
  EXPECT_EQ(judge.judge("/p", c.categories, response(c.status)), c.expected)
      << "status " << c.status << " categories " << c.categories;
}

constexpr Outcome kU = Outcome::kUnknown;
constexpr Outcome kF = Outcome::kFailed;
constexpr Outcome kB = Outcome::kBlocked;
constexpr Outcome kP = Outcome::kPossiblySucceeded;

INSTANTIATE_TEST_SUITE_P(
    OutcomeStatuses, OutcomeStatusTable,
    ::testing::Values(
        // No answer recorded; 499 is nginx's "client closed": nothing was answered either.
        StatusCase{-1, kSqli, kU}, StatusCase{0, kSqli, kU}, StatusCase{499, kSqli, kU},
        StatusCase{600, kXss, kU},
        // Refusals by a filter, whatever the attack.
        StatusCase{403, kSqli, kB}, StatusCase{406, kXss, kB}, StatusCase{418, kTraversal, kB},
        StatusCase{429, kScanner, kB}, StatusCase{444, kExploit, kB},
        StatusCase{403, kLog4shell, kB},
        // Client errors: the server did not do what was asked.
        StatusCase{400, kSqli, kF}, StatusCase{401, kCommand, kF}, StatusCase{404, kTraversal, kF},
        StatusCase{405, kXss, kF}, StatusCase{408, kSqli, kF}, StatusCase{410, kSqli, kF},
        StatusCase{411, kSqli, kF}, StatusCase{413, kSsti, kF}, StatusCase{414, kSqli, kF},
        StatusCase{431, kExploit, kF}, StatusCase{501, kSqli, kF}, StatusCase{505, kSqli, kF},
        StatusCase{503, kSqli, kF},
        // A server error after a payload that runs in the application: it got there.
        StatusCase{500, kSqli, kP}, StatusCase{500, kCommand, kP}, StatusCase{500, kSsti, kP},
        StatusCase{500, kExploit, kP}, StatusCase{502, kSqli, kP}, StatusCase{504, kSqli, kP},
        StatusCase{500, kSqli | kXss, kP},
        // ... but not after one that does not run there.
        StatusCase{500, kXss, kF}, StatusCase{500, kTraversal, kF}, StatusCase{502, kScanner, kF},
        // Redirects fail, except appliance exploits that answer with one.
        StatusCase{302, kSqli, kF}, StatusCase{301, kXss, kF}, StatusCase{302, kExploit, kP},
        StatusCase{304, kExploit, kF},
        // JNDI lookups fire when the string is logged, whatever the answer.
        StatusCase{404, kLog4shell, kP}, StatusCase{400, kLog4shell, kP},
        // 2xx with no size known cannot be compared with anything: confirm.
        StatusCase{200, kSqli, kP}, StatusCase{204, kXss, kP}));

TEST(OutcomeJudge, ConnectionResetIsBlocked) {
  OutcomeJudge judge;
  ResponseFacts r;
  r.connectionReset = true;
  EXPECT_EQ(judge.judge("/p", kSqli, r), Outcome::kBlocked);
}

// The path's usual page came back: the attack changed nothing visible.
TEST(OutcomeBaseline, UsualSizeIsFailedDeviatingSizeIsPossiblySucceeded) {
  OutcomeJudge judge;
  for (int64_t size : {5120, 5130, 5100, 5125, 5118})
    judge.observeNormal("/item", response(200, size));
  EXPECT_EQ(judge.judge("/item", kSqli, response(200, 5121)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/item", kSqli, response(200, 5170)), Outcome::kFailed);
  // Rows dumped into the page, or an error page instead of it.
  EXPECT_EQ(judge.judge("/item", kSqli, response(200, 48'000)), Outcome::kPossiblySucceeded);
  EXPECT_EQ(judge.judge("/item", kSqli, response(200, 900)), Outcome::kPossiblySucceeded);
  // Another path has no baseline: conservative.
  EXPECT_EQ(judge.judge("/other", kSqli, response(200, 5121)), Outcome::kPossiblySucceeded);
  // No size logged.
  EXPECT_EQ(judge.judge("/item", kSqli, response(200)), Outcome::kPossiblySucceeded);
}

TEST(OutcomeBaseline, TooFewObservationsAreNoBaseline) {
  OutcomeJudge judge;
  judge.observeNormal("/a", response(200, 700));
  judge.observeNormal("/a", response(200, 700));
  EXPECT_EQ(judge.judge("/a", kXss, response(200, 700)), Outcome::kPossiblySucceeded);
  judge.observeNormal("/a", response(200, 700));
  EXPECT_EQ(judge.judge("/a", kXss, response(200, 700)), Outcome::kFailed);
}

TEST(OutcomeBaseline, OnlySuccessfulResponsesOfKnownSizeTeach) {
  OutcomeJudge judge;
  for (int i = 0; i < 5; ++i) {
    judge.observeNormal("/b", response(404, 300));
    judge.observeNormal("/b", response(302, 300));
    judge.observeNormal("/b", response(200, -1));
  }
  EXPECT_EQ(judge.judge("/b", kSqli, response(200, 300)), Outcome::kPossiblySucceeded);
}

// Sizes scattered everywhere are no "usual page": nothing can be ruled out.
TEST(OutcomeBaseline, ScatteredSizesGiveNoBaseline) {
  OutcomeJudge judge;
  for (int i = 0; i < 20; ++i) judge.observeNormal("/s", response(200, 1000 + i * 1000));
  EXPECT_EQ(judge.judge("/s", kSqli, response(200, 5000)), Outcome::kPossiblySucceeded);
}

TEST(OutcomeBaseline, SeveralUsualSizesAreAllKnown) {
  OutcomeJudge judge;
  for (int i = 0; i < 10; ++i) {
    judge.observeNormal("/home", response(200, 1000));    // anonymous
    judge.observeNormal("/home", response(200, 20'000));  // logged in
  }
  EXPECT_EQ(judge.judge("/home", kXss, response(200, 1010)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/home", kXss, response(200, 20'500)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/home", kXss, response(200, 10'000)), Outcome::kPossiblySucceeded);
}

// A size making up half the responses survives any amount of one-off sizes in between.
TEST(OutcomeBaseline, DominantSizeSurvivesNoise) {
  OutcomeJudge judge;
  for (int i = 0; i < 200; ++i) {
    judge.observeNormal("/d", response(200, 2000));
    judge.observeNormal("/d", response(200, 100'000 + i * 10'000));
  }
  EXPECT_EQ(judge.judge("/d", kSqli, response(200, 2000)), Outcome::kFailed);
}

TEST(OutcomeBaseline, ToleranceIsRelativeForLargePages) {
  OutcomeJudge judge;
  for (int i = 0; i < 5; ++i) judge.observeNormal("/big", response(200, 100'000));
  EXPECT_EQ(judge.judge("/big", kSqli, response(200, 104'000)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/big", kSqli, response(200, 106'000)), Outcome::kPossiblySucceeded);
}

TEST(OutcomeTiming, SlowInjectionIsPossiblySucceededWhateverTheSize) {
  OutcomeJudge judge;
  for (int i = 0; i < 5; ++i) judge.observeNormal("/q", response(200, 3000));
  EXPECT_EQ(judge.judge("/q", kSqli, response(200, 3000, 6 * kSecond)),
            Outcome::kPossiblySucceeded);
  EXPECT_EQ(judge.judge("/q", kSqli, response(200, 3000, 5 * kSecond)),
            Outcome::kPossiblySucceeded);
  EXPECT_EQ(judge.judge("/q", kSqli, response(200, 3000, 4 * kSecond)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/q", kCommand, response(404, 300, 6 * kSecond)),
            Outcome::kPossiblySucceeded);
  // Time says nothing about attacks that do not sleep, and a refusal stays a refusal.
  EXPECT_EQ(judge.judge("/q", kXss, response(200, 3000, 6 * kSecond)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/q", kSqli, response(403, 300, 6 * kSecond)), Outcome::kBlocked);
}

TEST(OutcomeJudge, MovedJudgeKeepsWhatItLearned) {
  OutcomeJudge a;
  for (int i = 0; i < 5; ++i) a.observeNormal("/m", response(200, 800));
  OutcomeJudge b(std::move(a));
  EXPECT_EQ(b.judge("/m", kSqli, response(200, 800)), Outcome::kFailed);
  OutcomeJudge c;
  c = std::move(b);
  EXPECT_EQ(c.judge("/m", kSqli, response(200, 800)), Outcome::kFailed);
}

// Memory is bounded: past kMaxPaths paths, new paths are not learned, old ones still are.
TEST(OutcomeJudge, PathTableIsBounded) {
  OutcomeJudge judge;
  std::string path;
  for (std::size_t i = 0; i < OutcomeJudge::kMaxPaths + 100; ++i) {
    path = "/p/" + std::to_string(i);
    for (int k = 0; k < 3; ++k) judge.observeNormal(path, response(200, 500));
  }
  EXPECT_EQ(judge.judge("/p/0", kSqli, response(200, 500)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/p/199999", kSqli, response(200, 500)), Outcome::kFailed);
  EXPECT_EQ(judge.judge("/p/200050", kSqli, response(200, 500)), Outcome::kPossiblySucceeded);
}

}  // namespace
}  // namespace mamori::detect
