// Noise removal and aggregation. Kept requests are folded, as they arrive, into one record per
// (category, window, source, target) pair, so memory grows with distinct pairs, not requests;
// finish() then partitions each (category, window) cell's pairs into events.
#include "mamori/detect/events.h"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "events_hash.h"
#include "mamori/core/crypto.h"
#include "mamori/core/json_writer.h"
#include "mamori/core/time.h"

namespace mamori::detect {

std::string_view burstPatternName(BurstPattern p) {
  switch (p) {
    case BurstPattern::kSingle:
      return "single";
    case BurstPattern::kOneToMany:
      return "one-to-many";
    case BurstPattern::kManyToOne:
      return "many-to-one";
  }
  return "single";
}

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "low";
}

std::optional<Severity> parseSeverity(std::string_view name) {
  for (auto s : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (severityName(s) == name) return s;
  }
  return std::nullopt;
}

namespace {

// Most specific and most dangerous first: a request carrying an appliance exploit and a traversal
// is the exploit; a scanner fingerprint never hides a payload.
constexpr std::array<Category, kCategoryCount> kPrecedence{
    Category::kExploit, Category::kLog4shell,     Category::kCommandInjection, Category::kSqli,
    Category::kSsti,    Category::kPathTraversal, Category::kSensitiveFile,    Category::kSsrf,
    Category::kXss,     Category::kScanner};

// Evidence is for a human to read; a 2 KiB prefix of a request line shows what it was.
constexpr std::size_t kMaxSampleBytes = 2048;
// Sources and targets come from the input (a Host header can be anything); longer ones are cut.
constexpr std::size_t kMaxNameBytes = 256;
// A burst this large raises severity one step (up to high) even if nothing possibly succeeded.
constexpr uint64_t kLargeBurstRequests = 100;
constexpr uint64_t kLargeBurstSpread = 10;  // distinct sources or targets

constexpr std::size_t index(Outcome o) {
  return static_cast<std::size_t>(o);
}

Severity baseSeverity(Category c) {
  switch (c) {
    case Category::kExploit:
    case Category::kLog4shell:
    case Category::kCommandInjection:
      return Severity::kHigh;
    case Category::kSqli:
    case Category::kSsti:
    case Category::kPathTraversal:
    case Category::kSensitiveFile:
    case Category::kXss:
    case Category::kSsrf:
      return Severity::kMedium;
    case Category::kScanner:
      return Severity::kLow;
  }
  return Severity::kLow;
}

Severity raise(Severity s) {
  return s == Severity::kCritical ? s : static_cast<Severity>(static_cast<uint8_t>(s) + 1);
}

template <class Fn>
void forEachCategory(CategoryMask mask, Fn&& fn) {
  for (std::size_t c = 0; c < kCategoryCount; ++c) {
    if ((mask & (1U << c)) != 0) fn(c);
  }
}

std::string_view prefix(std::string_view s, std::size_t max) {
  return s.substr(0, max);
}

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

// Observations arrive in input order, so a list that is full already holds the earliest texts.
void addSample(std::vector<EventSample>& list, std::size_t max, uint64_t line,
               std::string_view text) {
  if (list.size() >= max) return;
  for (const EventSample& s : list) {
    if (s.text == text) return;
  }
  list.push_back(EventSample{line, std::string(text)});
}

// The first `max` distinct texts, by line, of several pairs' sample lists. Each list holds its
// pair's first `max` distinct texts, which include every text among the union's first `max`.
std::vector<EventSample> mergeSamples(std::vector<EventSample> all, std::size_t max) {
  std::stable_sort(all.begin(), all.end(),
                   [](const EventSample& a, const EventSample& b) { return a.line < b.line; });
  std::vector<EventSample> out;
  for (EventSample& s : all) {
    if (out.size() >= max) break;
    if (std::none_of(out.begin(), out.end(),
                     [&](const EventSample& o) { return o.text == s.text; })) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

class Interner {
 public:
  uint32_t intern(std::string_view s) {
    if (auto it = ids_.find(s); it != ids_.end()) return it->second;
    const auto id = static_cast<uint32_t>(strings_.size());
    strings_.emplace_back(s);
    ids_.emplace(strings_.back(), id);  // a deque never moves its elements: the view stays valid
    return id;
  }
  const std::string& operator[](uint32_t id) const { return strings_[id]; }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, uint32_t, SeededTextHash> ids_;
};

struct IdHash {
  std::size_t operator()(uint32_t id) const { return static_cast<std::size_t>(mixSeeded(id)); }
};

}  // namespace

Category primaryCategory(CategoryMask categories) {
  for (Category c : kPrecedence) {
    if (hasCategory(categories, c)) return c;
  }
  return Category::kScanner;
}

struct EventAggregator::Impl {
  struct Pair {
    uint32_t cell = 0;
    uint32_t source = 0;
    uint32_t target = 0;
    bool taken = false;  // finish(): already in an event
    uint64_t firstLine = 0;
    uint64_t requests = 0;
    int64_t firstMicros = 0;  // 0: no request had a time
    int64_t lastMicros = 0;
    std::array<uint64_t, 4> outcomes{};
    std::array<uint64_t, kCategoryCount> categories{};  // for the summary if it ends as noise
    std::vector<uint32_t> cves;
    std::vector<EventSample> samples;  // emptied once the source is one-to-many
  };
  struct SourceInCell {
    std::vector<uint32_t> pairs;
    std::vector<EventSample> samples;  // used once one-to-many
    bool oneToMany = false;
  };
  struct Cell {
    Category category = Category::kSqli;
    int64_t window = 0;
    std::vector<uint32_t> pairs;
    std::unordered_map<uint32_t, SourceInCell, IdHash> sources;
  };
  struct CellKey {
    int64_t window;
    Category category;
    bool operator==(const CellKey&) const = default;
  };
  struct CellKeyHash {
    std::size_t operator()(const CellKey& k) const {
      return static_cast<std::size_t>(mixSeeded(
          static_cast<uint64_t>(k.window) ^ (uint64_t{static_cast<uint8_t>(k.category)} << 59)));
    }
  };
  struct PairKey {
    uint32_t cell, source, target;
    bool operator==(const PairKey&) const = default;
  };
  struct PairKeyHash {
    std::size_t operator()(const PairKey& k) const {
      return static_cast<std::size_t>(
          mixSeeded((uint64_t{k.cell} << 32 | k.source) ^ mixSeeded(k.target)));
    }
  };

  Interner sources;
  Interner targets;
  Interner cves;
  std::vector<Cell> cells;
  std::unordered_map<CellKey, uint32_t, CellKeyHash> cellIndex;
  std::vector<Pair> pairs;
  std::unordered_map<PairKey, uint32_t, PairKeyHash> pairIndex;

  void keep(const Observation& o, const NoisePolicy& policy);
  Event build(const Cell& cell, std::vector<uint32_t> ids, BurstPattern pattern,
              std::vector<EventSample> samples, int64_t windowMicros) const;
};

void EventAggregator::Impl::keep(const Observation& o, const NoisePolicy& policy) {
  const Category category = primaryCategory(o.categories);
  const int64_t window = floorDiv(o.timeMicros, policy.windowMicros);
  const auto [cellIt, newCell] =
      cellIndex.try_emplace(CellKey{window, category}, static_cast<uint32_t>(cells.size()));
  if (newCell) cells.push_back(Cell{category, window, {}, {}});
  const uint32_t cellId = cellIt->second;
  Cell& cell = cells[cellId];

  const uint32_t source = sources.intern(prefix(o.source, kMaxNameBytes));
  const uint32_t target = targets.intern(prefix(o.target, kMaxNameBytes));
  const auto [pairIt, newPair] =
      pairIndex.try_emplace(PairKey{cellId, source, target}, static_cast<uint32_t>(pairs.size()));
  const uint32_t pairId = pairIt->second;
  SourceInCell& perSource = cell.sources[source];
  if (newPair) {
    Pair p;
    p.cell = cellId;
    p.source = source;
    p.target = target;
    p.firstLine = o.line;
    pairs.push_back(std::move(p));
    cell.pairs.push_back(pairId);
    perSource.pairs.push_back(pairId);
    // Reaching the threshold is final (a source's targets only grow), so from here on its samples
    // are kept once for the source rather than once per pair.
    if (!perSource.oneToMany && perSource.pairs.size() >= policy.oneToManyTargets) {
      perSource.oneToMany = true;
      std::vector<EventSample> all;
      for (uint32_t id : perSource.pairs) {
        auto& s = pairs[id].samples;
        std::move(s.begin(), s.end(), std::back_inserter(all));
        std::vector<EventSample>().swap(s);
      }
      perSource.samples = mergeSamples(std::move(all), policy.maxSamples);
    }
  }

  Pair& p = pairs[pairId];
  ++p.requests;
  ++p.outcomes[index(o.outcome)];
  forEachCategory(o.categories, [&](std::size_t c) { ++p.categories[c]; });
  if (o.timeMicros != 0) {
    if (p.firstMicros == 0 || o.timeMicros < p.firstMicros) p.firstMicros = o.timeMicros;
    if (p.lastMicros == 0 || o.timeMicros > p.lastMicros) p.lastMicros = o.timeMicros;
  }
  for (std::string_view cve : o.cves) {
    if (cve.empty()) continue;
    const uint32_t id = cves.intern(prefix(cve, kMaxNameBytes));
    if (std::find(p.cves.begin(), p.cves.end(), id) == p.cves.end()) p.cves.push_back(id);
  }
  addSample(perSource.oneToMany ? perSource.samples : p.samples, policy.maxSamples, o.line,
            prefix(o.sample, kMaxSampleBytes));
}

Event EventAggregator::Impl::build(const Cell& cell, std::vector<uint32_t> ids,
                                   BurstPattern pattern, std::vector<EventSample> samples,
                                   int64_t windowMicros) const {
  std::sort(ids.begin(), ids.end(),
            [&](uint32_t a, uint32_t b) { return pairs[a].firstLine < pairs[b].firstLine; });
  Event e;
  e.category = cell.category;
  e.pattern = pattern;
  std::unordered_set<uint32_t, IdHash> seenSources;
  std::unordered_set<uint32_t, IdHash> seenTargets;
  std::vector<std::string> cveNames;
  for (uint32_t id : ids) {
    const Pair& p = pairs[id];
    e.requests += p.requests;
    for (std::size_t k = 0; k < e.outcomes.size(); ++k) e.outcomes[k] += p.outcomes[k];
    if (p.firstMicros != 0 && (e.firstMicros == 0 || p.firstMicros < e.firstMicros)) {
      e.firstMicros = p.firstMicros;
    }
    if (p.lastMicros != 0 && (e.lastMicros == 0 || p.lastMicros > e.lastMicros)) {
      e.lastMicros = p.lastMicros;
    }
    if (seenSources.insert(p.source).second && e.sources.size() < kMaxListed) {
      e.sources.push_back(sources[p.source]);
    }
    // An unknown target (a log without Host) is still one target for grouping, but not a name.
    if (!targets[p.target].empty() && seenTargets.insert(p.target).second &&
        e.targets.size() < kMaxListed) {
      e.targets.push_back(targets[p.target]);
    }
    for (uint32_t c : p.cves) cveNames.push_back(cves[c]);
  }
  e.sourceCount = seenSources.size();
  e.targetCount = seenTargets.size();
  std::sort(cveNames.begin(), cveNames.end());
  cveNames.erase(std::unique(cveNames.begin(), cveNames.end()), cveNames.end());
  e.cves = std::move(cveNames);
  e.samples = std::move(samples);

  const bool possiblySucceeded = e.outcomes[index(Outcome::kPossiblySucceeded)] > 0;
  const bool largeBurst = e.requests >= kLargeBurstRequests || e.sourceCount >= kLargeBurstSpread ||
                          e.targetCount >= kLargeBurstSpread;
  e.severity = baseSeverity(e.category);
  // Only a possible success reaches critical; a burst alone lifts at most to high.
  if (possiblySucceeded || (largeBurst && e.severity < Severity::kHigh)) {
    e.severity = raise(e.severity);
  }

  // Netstrings ("<length>:<bytes>,") keep the fields apart whatever bytes a Host header holds.
  std::string material;
  auto put = [&](std::string_view field) {
    material += std::to_string(field.size());
    material += ':';
    material += field;
    material += ',';
  };
  put(categoryName(e.category));
  put(burstPatternName(pattern));
  const Pair& first = pairs[ids.front()];
  if (pattern != BurstPattern::kManyToOne) put(sources[first.source]);
  if (pattern != BurstPattern::kOneToMany) put(targets[first.target]);
  put(std::to_string(cell.window * windowMicros));
  const Sha256Digest digest = sha256(material);
  e.id = toHex(std::span<const uint8_t>(digest.data(), 16));
  return e;
}

EventAggregator::EventAggregator(NoisePolicy policy)
    : policy_(policy), impl_(std::make_unique<Impl>()) {
  // A policy from code rather than from loadNoisePolicy gets the same floor.
  policy_.windowMicros = std::max<int64_t>(policy_.windowMicros, 1);
  policy_.oneToManyTargets = std::max<uint32_t>(policy_.oneToManyTargets, 2);
  policy_.manyToOneSources = std::max<uint32_t>(policy_.manyToOneSources, 2);
}

EventAggregator::~EventAggregator() = default;

bool EventAggregator::add(const Observation& o) {
  if (o.categories == 0) return false;  // not a detection: the caller counts it with addRequest()
  ++summary_.detected;
  ++summary_.byOutcome[index(o.outcome)];
  forEachCategory(o.categories, [&](std::size_t c) { ++summary_.detectedByCategory[c]; });

  // Reconnaissance that may have worked and touched more than a fingerprint (a /.env or
  // /.git/config that answered with something unusual) is a leak to confirm, not noise.
  const bool reconToKeep =
      o.outcome == Outcome::kPossiblySucceeded && (o.categories & ~maskOf(Category::kScanner)) != 0;
  int reason = -1;
  if (o.outcome == Outcome::kFailed && policy_.failedIsNoise) {
    reason = 0;
  } else if (o.outcome == Outcome::kBlocked && policy_.blockedIsNoise) {
    reason = 1;
  } else if (o.reconnaissanceOnly && policy_.reconnaissanceIsNoise && !reconToKeep) {
    reason = 2;
  }
  if (reason >= 0) {
    ++summary_.noise;
    ++summary_.noiseByReason[static_cast<std::size_t>(reason)];
    forEachCategory(o.categories, [&](std::size_t c) { ++summary_.noiseByCategory[c]; });
    return false;
  }
  impl_->keep(o, policy_);
  return true;
}

std::vector<Event> EventAggregator::finish() {
  std::vector<Event> events;
  auto settle = [&](Event e, const std::vector<uint32_t>& ids) {
    if (e.severity < policy_.minimumSeverity) {
      summary_.noise += e.requests;
      summary_.noiseByReason[3] += e.requests;
      for (uint32_t id : ids) {
        const auto& counts = impl_->pairs[id].categories;
        for (std::size_t c = 0; c < kCategoryCount; ++c) summary_.noiseByCategory[c] += counts[c];
      }
      return;
    }
    summary_.raised += e.requests;
    ++summary_.events;
    events.push_back(std::move(e));
  };

  for (Impl::Cell& cell : impl_->cells) {
    for (auto& [source, perSource] : cell.sources) {
      if (!perSource.oneToMany) continue;
      for (uint32_t id : perSource.pairs) impl_->pairs[id].taken = true;
      settle(impl_->build(cell, perSource.pairs, BurstPattern::kOneToMany,
                          std::move(perSource.samples), policy_.windowMicros),
             perSource.pairs);
    }
    std::unordered_map<uint32_t, std::vector<uint32_t>, IdHash> byTarget;
    for (uint32_t id : cell.pairs) {
      if (!impl_->pairs[id].taken) byTarget[impl_->pairs[id].target].push_back(id);
    }
    for (auto& [target, ids] : byTarget) {
      // Each remaining pair of a target has its own source, so ids.size() is its source count.
      if (ids.size() >= policy_.manyToOneSources) {
        std::vector<EventSample> all;
        for (uint32_t id : ids) {
          auto& s = impl_->pairs[id].samples;
          std::move(s.begin(), s.end(), std::back_inserter(all));
        }
        settle(impl_->build(cell, ids, BurstPattern::kManyToOne,
                            mergeSamples(std::move(all), policy_.maxSamples), policy_.windowMicros),
               ids);
        continue;
      }
      for (uint32_t id : ids) {
        const std::vector<uint32_t> one{id};
        settle(impl_->build(cell, one, BurstPattern::kSingle, std::move(impl_->pairs[id].samples),
                            policy_.windowMicros),
               one);
      }
    }
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.firstMicros != b.firstMicros ? a.firstMicros < b.firstMicros : a.id < b.id;
  });
  impl_ = std::make_unique<Impl>();  // everything is in the events now
  return events;
}

std::string eventJson(const Event& e) {
  JsonWriter w;
  w.beginObject();
  w.field("id", e.id);
  w.field("category", categoryName(e.category));
  w.field("pattern", burstPatternName(e.pattern));
  w.field("severity", severityName(e.severity));
  if (e.firstMicros != 0 || e.lastMicros != 0) {
    w.field("first_seen", formatRfc3339(e.firstMicros));
    w.field("last_seen", formatRfc3339(e.lastMicros));
  }
  w.field("requests", e.requests);
  w.key("sources").beginArray();
  for (const auto& s : e.sources) w.value(s);
  w.endArray();
  w.field("source_count", e.sourceCount);
  w.key("targets").beginArray();
  for (const auto& t : e.targets) w.value(t);
  w.endArray();
  w.field("target_count", e.targetCount);
  w.key("outcomes").beginObject();
  for (auto o :
       {Outcome::kUnknown, Outcome::kFailed, Outcome::kBlocked, Outcome::kPossiblySucceeded}) {
    w.field(outcomeName(o), e.outcomes[index(o)]);
  }
  w.endObject();
  w.key("cves").beginArray();
  for (const auto& c : e.cves) w.value(c);
  w.endArray();
  w.key("samples").beginArray();
  for (const auto& s : e.samples) {
    w.beginObject().field("line", s.line).field("request", s.text).endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

std::string summaryJson(const DetectionSummary& s, const NoisePolicy& policy) {
  JsonWriter w;
  w.beginObject();
  w.field("requests", s.requests);
  w.field("detected", s.detected);
  w.field("noise", s.noise);
  w.field("raised", s.raised);
  w.field("events", s.events);
  w.key("by_category").beginObject();
  for (std::size_t c = 0; c < kCategoryCount; ++c) {
    w.key(categoryName(static_cast<Category>(c))).beginObject();
    w.field("detected", s.detectedByCategory[c]);
    w.field("noise", s.noiseByCategory[c]);
    w.field("raised", s.detectedByCategory[c] - s.noiseByCategory[c]);
    w.endObject();
  }
  w.endObject();
  w.key("by_outcome").beginObject();
  for (auto o :
       {Outcome::kUnknown, Outcome::kFailed, Outcome::kBlocked, Outcome::kPossiblySucceeded}) {
    w.field(outcomeName(o), s.byOutcome[index(o)]);
  }
  w.endObject();
  w.key("noise_by_reason").beginObject();
  w.field("failed", s.noiseByReason[0]);
  w.field("blocked", s.noiseByReason[1]);
  w.field("reconnaissance", s.noiseByReason[2]);
  w.field("below_severity", s.noiseByReason[3]);
  w.endObject();
  w.key("policy").beginObject();
  w.field("failed_is_noise", policy.failedIsNoise);
  w.field("blocked_is_noise", policy.blockedIsNoise);
  w.field("reconnaissance_is_noise", policy.reconnaissanceIsNoise);
  w.field("window_seconds", policy.windowMicros / 1'000'000);
  w.field("one_to_many_targets", policy.oneToManyTargets);
  w.field("many_to_one_sources", policy.manyToOneSources);
  w.field("max_samples", policy.maxSamples);
  w.field("minimum_severity", severityName(policy.minimumSeverity));
  w.endObject();
  w.endObject();
  return w.take();
}

}  // namespace mamori::detect
