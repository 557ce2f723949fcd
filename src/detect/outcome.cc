#include "mamori/detect/outcome.h"

#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include "events_hash.h"

namespace mamori::detect {

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kUnknown:
      return "unknown";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kBlocked:
      return "blocked";
    case Outcome::kPossiblySucceeded:
      return "possibly-succeeded";
  }
  return "unknown";
}

namespace {

// Up to this many distinct "usual" sizes per path: a page with a few variants (logged in or not,
// a language switch) still has a baseline.
constexpr std::size_t kSizeClusters = 4;
// A path needs this many normal 2xx responses before its sizes mean anything.
constexpr uint32_t kMinNormalResponses = 3;
// A size counts as usual only once seen (net of Misra-Gries decrements) at least this often.
constexpr uint32_t kMinClusterHits = 2;
// Sizes within max(64 bytes, 5 %) of a usual size are that size: dynamic pages vary a little
// (timestamps, session tokens, user names) without meaning anything.
constexpr int64_t kToleranceBytes = 64;
constexpr int64_t kTolerancePercent = 5;
// Time-based blind injection (SLEEP, BENCHMARK, WAITFOR DELAY, `sleep 5`) shows as a response at
// least this slow.
constexpr int64_t kSlowMicros = 5'000'000;
// 2^18 slots hold kMaxPaths at a load of 0.76; the table starts small and doubles up to this.
constexpr std::size_t kMaxSlots = std::size_t{1} << 18;
constexpr std::size_t kInitialSlots = 1024;
static_assert(OutcomeJudge::kMaxPaths < kMaxSlots);

constexpr bool isBlockStatus(int status) {
  // 403 forbidden, 406 not acceptable (mod_security's classic), 418 (some WAFs' joke refusal),
  // 429 rate limited, 444 nginx "close without answer".
  return status == 403 || status == 406 || status == 418 || status == 429 || status == 444;
}

// Categories whose payload runs in the application: a server error shows it got there.
constexpr CategoryMask kCodeReaching = maskOf(Category::kSqli) |
                                       maskOf(Category::kCommandInjection) |
                                       maskOf(Category::kSsti) | maskOf(Category::kExploit);
constexpr CategoryMask kTimeBased = maskOf(Category::kSqli) | maskOf(Category::kCommandInjection);

uint32_t clampSize(int64_t bytes) {
  return bytes > int64_t{std::numeric_limits<uint32_t>::max()}
             ? std::numeric_limits<uint32_t>::max()
             : static_cast<uint32_t>(bytes);
}

bool near(uint32_t center, uint32_t size) {
  const int64_t c = center;
  const int64_t tolerance = std::max(kToleranceBytes, c * kTolerancePercent / 100);
  const int64_t d = int64_t{size} - c;
  return d <= tolerance && -d <= tolerance;
}

}  // namespace

struct OutcomeJudge::Impl {
  // 48 bytes; the path itself is never stored, only its seeded 64-bit hash (a collision would
  // merge two paths' baselines, at odds of about 2^-30 with a full table).
  struct PathStats {
    uint64_t hash = 0;    // 0: empty slot
    uint32_t normal = 0;  // normal 2xx responses of known size
    std::array<uint32_t, kSizeClusters> center{};
    std::array<uint32_t, kSizeClusters> hits{};  // 0: cluster free
  };

  SipKey key = processSipKey();
  std::vector<PathStats> slots;
  std::size_t count = 0;

  uint64_t hashOf(std::string_view path) const {
    const uint64_t h = sipHash24(key, path);
    return h == 0 ? 1 : h;
  }

  const PathStats* find(uint64_t h) const {
    if (slots.empty()) return nullptr;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots[i].hash == h) return &slots[i];
      if (slots[i].hash == 0) return nullptr;
    }
  }

  PathStats* findOrInsert(uint64_t h) {
    if (slots.empty()) slots.resize(kInitialSlots);
    if (count * 4 >= slots.size() * 3 && slots.size() < kMaxSlots) grow();
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots[i].hash == h) return &slots[i];
      if (slots[i].hash == 0) {
        if (count >= kMaxPaths) return nullptr;  // full: later paths are not learned
        ++count;
        slots[i].hash = h;
        return &slots[i];
      }
    }
  }

  void grow() {
    std::vector<PathStats> old = std::move(slots);
    slots.assign(old.size() * 2, PathStats{});
    const std::size_t mask = slots.size() - 1;
    for (const PathStats& s : old) {
      if (s.hash == 0) continue;
      std::size_t i = s.hash & mask;
      while (slots[i].hash != 0) i = (i + 1) & mask;
      slots[i] = s;
    }
  }

  // Misra-Gries over size clusters: any size making up more than a fifth of a path's normal
  // responses keeps a cluster, whatever the order they came in, in constant space per path.
  static void learn(PathStats& s, uint32_t size) {
    if (s.normal < std::numeric_limits<uint32_t>::max()) ++s.normal;
    for (std::size_t k = 0; k < kSizeClusters; ++k) {
      if (s.hits[k] > 0 && near(s.center[k], size)) {
        if (s.hits[k] < std::numeric_limits<uint32_t>::max()) ++s.hits[k];
        return;
      }
    }
    for (std::size_t k = 0; k < kSizeClusters; ++k) {
      if (s.hits[k] == 0) {
        s.center[k] = size;
        s.hits[k] = 1;
        return;
      }
    }
    for (auto& h : s.hits) --h;
  }

  static bool usual(const PathStats& s, uint32_t size) {
    if (s.normal < kMinNormalResponses) return false;
    for (std::size_t k = 0; k < kSizeClusters; ++k) {
      if (s.hits[k] >= kMinClusterHits && near(s.center[k], size)) return true;
    }
    return false;
  }
};

OutcomeJudge::OutcomeJudge() : impl_(std::make_unique<Impl>()) {}
OutcomeJudge::~OutcomeJudge() = default;
OutcomeJudge::OutcomeJudge(OutcomeJudge&&) noexcept = default;
OutcomeJudge& OutcomeJudge::operator=(OutcomeJudge&&) noexcept = default;

void OutcomeJudge::observeNormal(std::string_view path, const ResponseFacts& response) {
  if (!impl_ || response.status < 200 || response.status > 299 || response.bytes < 0) return;
  Impl::PathStats* s = impl_->findOrInsert(impl_->hashOf(path));
  if (s != nullptr) Impl::learn(*s, clampSize(response.bytes));
}

Outcome OutcomeJudge::judge(std::string_view path, CategoryMask categories,
                            const ResponseFacts& response) const {
  const int status = response.status;
  // 499 is nginx's "client closed the request": no answer was sent, so nothing is known.
  if (status < 100 || status > 599 || status == 499) {
    return response.connectionReset ? Outcome::kBlocked : Outcome::kUnknown;
  }
  if (isBlockStatus(status)) return Outcome::kBlocked;
  if ((categories & kTimeBased) != 0 && response.durationMicros >= kSlowMicros) {
    return Outcome::kPossiblySucceeded;
  }
  // A JNDI lookup fires when a vulnerable logger writes the string down, whatever the server
  // then answers; only a refusal before the application is evidence it did not.
  if (hasCategory(categories, Category::kLog4shell)) return Outcome::kPossiblySucceeded;
  if (status >= 200 && status <= 299) {
    if (response.bytes < 0 || !impl_) return Outcome::kPossiblySucceeded;
    const Impl::PathStats* s = impl_->find(impl_->hashOf(path));
    if (s != nullptr && Impl::usual(*s, clampSize(response.bytes))) return Outcome::kFailed;
    return Outcome::kPossiblySucceeded;
  }
  if (status >= 300 && status <= 399) {
    // Some appliance exploits answer with a redirect carrying the result (Confluence
    // CVE-2022-26134 returns command output in a header of a 302).
    return hasCategory(categories, Category::kExploit) && status != 304
               ? Outcome::kPossiblySucceeded
               : Outcome::kFailed;
  }
  if (status == 500 || status == 502 || status == 504) {
    return (categories & kCodeReaching) != 0 ? Outcome::kPossiblySucceeded : Outcome::kFailed;
  }
  return Outcome::kFailed;  // 1xx, other 4xx, 501, 503, 505..599
}

}  // namespace mamori::detect
