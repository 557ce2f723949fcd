#include "dns_hub_sync.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <utility>

#include "mamori/core/json_writer.h"
#include "mamori/core/result.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/time.h"

namespace mamori::cli {
namespace {

using Json = nlohmann::json;

constexpr const char* kSnapshotFormat = "mamori-dns-hub-indicators/1";
constexpr size_t kMaxSnapshotBytes = size_t{1} << 30;
constexpr const char* kRoutesFormat = "mamori-dns-hub-routes/1";
constexpr size_t kPageLimit = 10000;  // the most the hub gives per page
// A full listing this often: the incremental feed tells what changed, not what the token may no
// longer read (a recipient list or a clearance changed); a full listing replaces the set.
constexpr auto kFullListingEvery = std::chrono::hours(1);
constexpr size_t kMaxPages = 100000;  // 1e9 indicators: a hub answering "more" forever is wrong
constexpr int kMaxLoggedPerRound = 10;

// The policy's types, in the order of the counters.
constexpr std::array<const char*, 3> kTypes = {"domain", "ipv4", "ipv6"};

std::optional<size_t> typeSlot(std::string_view type) {
  for (size_t i = 0; i < kTypes.size(); ++i) {
    if (type == kTypes[i]) return i;
  }
  return std::nullopt;
}

std::string printable(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// What one listed indicator means for the set.
struct ItemChange {
  std::string id;
  std::optional<HubIndicator> entry;  // nullopt: remove the id
  bool ignoredType = false;           // a type the policy does not use
  std::string problem;                // not usable (dropped): why
};

ItemChange readItem(const Json& item, int64_t now) {
  ItemChange change;
  if (!item.is_object() || !item.contains("id") || !item["id"].is_string() ||
      item["id"].get_ref<const std::string&>().empty()) {
    change.problem = "an item without an id";
    return change;
  }
  change.id = item["id"].get<std::string>();
  const auto str = [&](const char* key) -> std::optional<std::string> {
    if (!item.contains(key) || !item[key].is_string()) return std::nullopt;
    return item[key].get<std::string>();
  };
  const auto flag = [&](const char* key) {
    return item.contains(key) && item[key].is_boolean() && item[key].get<bool>();
  };
  if (flag("revoked") || flag("expired")) return change;  // remove
  const auto type = str("type");
  const auto value = str("value");
  const auto action = str("action");
  if (!type || !value || !action || !item.contains("seq") || !item["seq"].is_number_unsigned()) {
    change.problem = "type, value, action or seq missing";
    return change;
  }
  HubIndicator entry;
  entry.seq = item["seq"].get<uint64_t>();
  entry.type = *type;
  entry.value = *value;
  if (item.contains("valid_until") && !item["valid_until"].is_null()) {
    const auto until = str("valid_until");
    auto parsed = until ? parseRfc3339(*until) : Result<int64_t>(makeError("not a string"));
    if (!parsed.ok()) {
      change.problem = "valid_until: " + parsed.error().message;
      return change;
    }
    if (*parsed <= now) return change;  // expired since the hub last changed it
    entry.validUntil = *parsed;
  }
  if (!typeSlot(entry.type)) {
    change.ignoredType = true;
    return change;
  }
  if (*action != "block" && *action != "monitor") {
    change.problem = "unknown action '" + printable(*action) + "'";
    return change;
  }
  entry.monitor = *action == "monitor";
  if (auto ok = dns::checkIndicator({entry.type, entry.value, dns::PolicyAction::kNxdomain});
      !ok.ok()) {
    change.problem = ok.error().message;
    return change;
  }
  change.entry = std::move(entry);
  return change;
}

// Opens the object of a file saved for the next start: its format, the hub and when.
void beginSavedFile(JsonWriter& w, const char* format, const std::string& hub) {
  w.beginObject();
  w.field("format", format);
  w.field("hub", hub);
  w.field("saved_at", formatRfc3339(nowMicros()));
}

std::string snapshotText(const HubIndicatorSet& set, const std::string& hub) {
  JsonWriter w;
  beginSavedFile(w, kSnapshotFormat, hub);
  w.key("indicators").beginArray();
  for (const auto& [id, e] : set) {
    w.beginObject();
    w.field("id", id).field("seq", e.seq).field("type", e.type).field("value", e.value);
    w.field("action", e.monitor ? "monitor" : "block");
    if (e.validUntil != 0) w.field("valid_until", formatRfc3339(e.validUntil));
    w.endObject();
  }
  w.endArray();
  w.endObject();
  std::string text = w.take();
  text.push_back('\n');
  return text;
}

// The snapshot at `path`: an error saying what is wrong (the caller names the file).
Result<HubIndicatorSet> parseSnapshot(const std::string& text) {
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return makeError("not JSON");
  if (!j.is_object() || !j.contains("format") || j["format"] != kSnapshotFormat) {
    return makeError(fmt::format("\"format\" is not \"{}\"", kSnapshotFormat));
  }
  if (!j.contains("indicators") || !j["indicators"].is_array()) {
    return makeError("no \"indicators\" array");
  }
  HubIndicatorSet set;
  const Json& list = j["indicators"];
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& item = list[i];
    const auto fail = [&](const std::string& what) {
      return makeError(fmt::format("indicators[{}]: {}", i, what));
    };
    if (!item.is_object()) return fail("not an object");
    if (item.contains("revoked") || item.contains("expired")) return fail("not a stored entry");
    // Read as the hub's items are (expiry is the caller's), but nothing may be missing or
    // unusable in a file this program wrote: any such thing means the file is damaged.
    ItemChange c = readItem(item, INT64_MIN);
    if (!c.problem.empty()) return fail(c.problem);
    if (c.ignoredType || !c.entry) return fail("type is not domain, ipv4 or ipv6");
    if (!set.emplace(c.id, std::move(*c.entry)).second)
      return fail("id " + printable(c.id) + " twice");
  }
  return set;
}

// Routes from prefix texts: one entry per usable prefix, keyed by its canonical text, sorted by
// it, so that equal sets compare equal whatever order the hub listed them in. A prefix of one
// address is left out: it would put the client's own address in the record.
std::vector<dns::ClientRoute> routesFrom(const std::vector<std::string>& prefixes) {
  std::vector<dns::ClientRoute> routes;
  for (const std::string& text : prefixes) {
    auto prefix = IpPrefix::parse(text);
    if (!prefix.ok()) continue;
    if (prefix->length == (prefix->address.isV4() ? 32 : 128)) continue;
    routes.push_back({*prefix, prefix->toString()});
  }
  std::sort(routes.begin(), routes.end(),
            [](const dns::ClientRoute& a, const dns::ClientRoute& b) { return a.key < b.key; });
  routes.erase(std::unique(routes.begin(), routes.end(),
                           [](const dns::ClientRoute& a, const dns::ClientRoute& b) {
                             return a.key == b.key;
                           }),
               routes.end());
  return routes;
}

std::string routesText(const std::vector<dns::ClientRoute>& routes, const std::string& hub) {
  JsonWriter w;
  beginSavedFile(w, kRoutesFormat, hub);
  w.key("prefixes").beginArray();
  for (const auto& r : routes) w.value(r.key);
  w.endArray();
  w.endObject();
  std::string text = w.take();
  text.push_back('\n');
  return text;
}

Result<std::vector<dns::ClientRoute>> parseRoutes(const std::string& text) {
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return makeError("not JSON");
  if (!j.is_object() || !j.contains("format") || j["format"] != kRoutesFormat) {
    return makeError(fmt::format("\"format\" is not \"{}\"", kRoutesFormat));
  }
  if (!j.contains("prefixes") || !j["prefixes"].is_array()) return makeError("no \"prefixes\"");
  std::vector<std::string> prefixes;
  for (const Json& p : j["prefixes"]) {
    if (!p.is_string() || !IpPrefix::parse(p.get<std::string>()).ok()) {
      return makeError("a prefix that is not one: " + printable(p.dump()));
    }
    prefixes.push_back(p.get<std::string>());
  }
  return routesFrom(prefixes);
}

// Reads a file this resolver saved earlier (nothing happens when there is none) and hands its
// text to `apply`. A file that cannot be read or applied is a Failure naming it — never silently
// an empty set — and saying what starting without it means.
void loadSaved(const std::filesystem::path& path, std::string_view what, std::string_view without,
               const std::function<Result<void>(const std::string&)>& apply) {
  if (path.empty() || !std::filesystem::exists(path)) return;
  auto text = readWholeFile(path, kMaxSnapshotBytes);
  if (!text.ok()) throw Failure(text.error().message);
  if (auto applied = apply(*text); !applied.ok()) {
    throw Failure(fmt::format("{}: not a valid {} ({}); move it away to start without {}",
                              path.string(), what, applied.error().message, without));
  }
}

// Writes `text` at `path` so that a reader (or a crash) sees the old file or the new one whole.
Result<void> replaceFile(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  if (auto r = createPrivateDirectories(dir); !r.ok()) return r;
  const std::filesystem::path next = path.string() + ".next";
  std::error_code ec;
  std::filesystem::remove(next, ec);  // left by a crash between writing and renaming
  const auto* bytes =
      reinterpret_cast<const uint8_t*>(  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast):
                                         // text as bytes
          text.data());
  if (auto r = writeNewPrivateFile(next, std::span<const uint8_t>(bytes, text.size())); !r.ok()) {
    return r;
  }
  std::filesystem::rename(next, path, ec);
  if (ec) return makeError("cannot replace " + path.string() + ": " + ec.message());
  return fsyncDirectory(dir);
}

}  // namespace

std::vector<dns::PolicyIndicator> policyIndicators(const HubIndicatorSet& set,
                                                   dns::PolicyAction blockAction) {
  std::vector<dns::PolicyIndicator> out;
  out.reserve(set.size());
  for (const auto& entry : set) {
    const HubIndicator& e = entry.second;
    out.push_back({e.type, e.value, e.monitor ? dns::PolicyAction::kPassthru : blockAction});
  }
  return out;
}

struct HubSync::Counters {
  // [kind: 0 indicators, 1 routes][result: 0 ok, 1 failed]
  std::array<std::array<std::atomic<uint64_t>, 2>, 2> syncs{};
  std::array<std::atomic<uint64_t>, kTypes.size()> inForce{};
  std::atomic<uint64_t> ignored{0};   // types the policy does not use
  std::atomic<uint64_t> rejected{0};  // values or items it cannot use
  std::atomic<uint64_t> routes{0};
};

HubSync::HubSync(HubSyncOptions options, IndicatorsChanged indicatorsChanged,
                 RoutesChanged routesChanged)
    : options_(std::move(options)),
      indicatorsChanged_(std::move(indicatorsChanged)),
      routesChanged_(std::move(routesChanged)),
      counters_(std::make_unique<Counters>()) {
  loadSaved(options_.routesFile, "hub routes file", "the last known routes",
            [this](const std::string& text) -> Result<void> {
              auto routes = parseRoutes(text);
              if (!routes.ok()) return routes.error();
              routes_ = std::move(routes).value();
              counters_->routes = routes_.size();
              return {};
            });
  if (!options_.indicators) return;
  loadSaved(options_.snapshot, "hub indicator snapshot", "the last known hub indicators",
            [this](const std::string& text) -> Result<void> {
              auto set = parseSnapshot(text);
              if (!set.ok()) return set.error();
              set_ = std::move(set).value();
              return {};
            });
  (void)dropExpired(nowMicros());
  for (const auto& entry : set_) ++counters_->inForce[*typeSlot(entry.second.type)];
}

HubSync::~HubSync() {
  {
    const std::lock_guard<std::mutex> lock(stopMutex_);
    stop_ = true;
  }
  wake_.notify_all();
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
}

HubIndicatorSet HubSync::indicators() const {
  const std::lock_guard<std::mutex> lock(setMutex_);
  return set_;
}

std::shared_ptr<const dns::ClientRouteTable> HubSync::routeTable() const {
  if (routes_.empty()) return nullptr;
  return std::make_shared<const dns::ClientRouteTable>(routes_);
}

void HubSync::start() {
  thread_ = std::thread([this] { loop(); });
}

void HubSync::loop() {
  std::unique_lock<std::mutex> lock(stopMutex_);
  for (;;) {
    if (wake_.wait_for(lock, options_.refresh, [this] { return stop_; })) return;
    lock.unlock();
    (void)syncNow();
    lock.lock();
  }
}

bool HubSync::syncNow() {
  const int64_t now = nowMicros();
  std::string problem;
  bool changed = false;
  if (options_.indicators) {
    try {
      changed = syncIndicators(now);
      ++counters_->syncs[0][0];
    } catch (const std::exception& e) {
      ++counters_->syncs[0][1];
      problem = std::string("indicators: ") + e.what();
    }
    // Also while the hub is away: an indicator's validity ends on time.
    changed = dropExpired(now) || changed;
    if (changed) publish();
  }
  // In the first round the first answer waits: a hub that failed once is not asked again.
  if (!firstRound_ || problem.empty()) {
    try {
      if (syncRoutes()) {
        routesChanged_(std::make_shared<const dns::ClientRouteTable>(routes_));
      }
      ++counters_->syncs[1][0];
    } catch (const std::exception& e) {
      ++counters_->syncs[1][1];
      if (problem.empty()) problem = std::string("routes: ") + e.what();
    }
  }
  firstRound_ = false;
  report(problem.empty(), problem);
  return problem.empty();
}

bool HubSync::syncIndicators(int64_t now) {
  const auto started = std::chrono::steady_clock::now();
  const bool full = !listed_ || started - lastFullListing_ >= kFullListingEvery;
  uint64_t after = full ? 0 : nextAfter_;
  HubIndicatorSet listing;          // full
  std::vector<ItemChange> changes;  // incremental
  int logged = 0;
  for (size_t page = 0;; ++page) {
    if (page == kMaxPages) throw Failure("the hub's indicator listing does not end");
    const std::string body =
        hubRequest(options_.target, "GET",
                   fmt::format("/indicators?after={}&limit={}&type=domain&type=ipv4&type=ipv6",
                               after, kPageLimit),
                   {}, requestOptions());
    const Json j = Json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("items") || !j["items"].is_array() ||
        !j.contains("next_after") || !j["next_after"].is_number_unsigned() || !j.contains("more") ||
        !j["more"].is_boolean()) {
      throw Failure("unexpected answer: " + printable(body));
    }
    for (const Json& item : j["items"]) {
      ItemChange c = readItem(item, now);
      if (c.ignoredType) ++counters_->ignored;
      if (!c.problem.empty()) {
        ++counters_->rejected;
        if (logged++ < kMaxLoggedPerRound && !options_.quiet) {
          (void)std::fprintf(stderr, "mamori dns: hub: indicator %s (%s '%s') not used: %s\n",
                             c.id.empty() ? "?" : printable(c.id).c_str(),
                             item.is_object() ? printable(item.value("type", "?")).c_str() : "?",
                             item.is_object() ? printable(item.value("value", "?")).c_str() : "?",
                             c.problem.c_str());
        }
      }
      if (c.id.empty()) continue;
      if (full) {
        if (c.entry) {
          listing.insert_or_assign(c.id, std::move(*c.entry));
        } else {
          listing.erase(c.id);
        }
      } else {
        changes.push_back(std::move(c));
      }
    }
    const auto next = j["next_after"].get<uint64_t>();
    if (!j["more"].get<bool>()) {
      after = next;
      break;
    }
    if (next <= after) throw Failure("next_after does not advance");
    after = next;
  }

  // Every page arrived: apply them all, or (a request failed above) nothing.
  bool changed = false;
  {
    const std::lock_guard<std::mutex> lock(setMutex_);
    if (full) {
      changed = listing != set_;
      set_ = std::move(listing);
    } else {
      for (ItemChange& c : changes) {
        if (!c.entry) {
          changed = set_.erase(c.id) > 0 || changed;
          continue;
        }
        auto [it, inserted] = set_.try_emplace(c.id, *c.entry);
        if (!inserted && !(it->second == *c.entry)) {
          it->second = std::move(*c.entry);
          changed = true;
        }
        changed = changed || inserted;
      }
    }
  }
  nextAfter_ = after;
  if (full) {
    listed_ = true;
    lastFullListing_ = started;
  }
  return changed;
}

bool HubSync::dropExpired(int64_t now) {
  const std::lock_guard<std::mutex> lock(setMutex_);
  return std::erase_if(set_, [now](const auto& entry) {
           return entry.second.validUntil != 0 && entry.second.validUntil <= now;
         }) > 0;
}

void HubSync::publish() {
  const HubIndicatorSet set = indicators();
  std::array<uint64_t, kTypes.size()> byType{};
  for (const auto& entry : set) ++byType[*typeSlot(entry.second.type)];
  for (size_t i = 0; i < byType.size(); ++i) counters_->inForce[i] = byType[i];
  // Saved before it is applied: a crash between the two applies it at the next start.
  saveForRestart(options_.snapshot, snapshotText(set, hubBaseUrl(options_.target.url)),
                 "the indicators", "from an older set");
  indicatorsChanged_(set);
}

bool HubSync::syncRoutes() {
  const std::string body = hubRequest(options_.target, "GET", "/routes", {}, requestOptions());
  const Json j = Json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("items") || !j["items"].is_array()) {
    throw Failure("unexpected answer: " + printable(body));
  }
  std::vector<std::string> prefixes;
  for (const Json& org : j["items"]) {
    if (!org.is_object() || !org.contains("prefixes") || !org["prefixes"].is_array()) continue;
    for (const Json& p : org["prefixes"]) {
      if (p.is_string()) prefixes.push_back(p.get<std::string>());
    }
  }
  std::vector<dns::ClientRoute> routes = routesFrom(prefixes);
  counters_->routes = routes.size();
  if (std::equal(
          routes.begin(), routes.end(), routes_.begin(), routes_.end(),
          [](const dns::ClientRoute& a, const dns::ClientRoute& b) { return a.key == b.key; })) {
    return false;
  }
  routes_ = std::move(routes);
  saveRoutes();
  return true;
}

void HubSync::saveRoutes() {
  if (options_.routesFile.empty()) return;
  saveForRestart(options_.routesFile, routesText(routes_, hubBaseUrl(options_.target.url)),
                 "the routes", "without them");
}

// A file for the next start; failing to write it changes nothing now, so it is only logged.
void HubSync::saveForRestart(const std::filesystem::path& path, const std::string& text,
                             std::string_view what, std::string_view otherwise) const {
  if (auto saved = replaceFile(path, text); !saved.ok() && !options_.quiet) {
    (void)std::fprintf(stderr,
                       "mamori dns: hub: cannot save %.*s (a restart while the hub is away would "
                       "start %.*s): %s\n",
                       static_cast<int>(what.size()), what.data(),
                       static_cast<int>(otherwise.size()), otherwise.data(),
                       saved.error().message.c_str());
  }
}

void HubSync::report(bool ok, const std::string& problem) {
  if (!ok) {
    if (!failing_ && !options_.quiet) {
      (void)std::fprintf(stderr,
                         "mamori dns: hub: %s (the indicators and routes in force stay; trying "
                         "again every %llds)\n",
                         problem.c_str(), static_cast<long long>(options_.refresh.count()));
    }
    failing_ = true;
  } else if (failing_) {
    if (!options_.quiet) (void)std::fprintf(stderr, "mamori dns: hub: synchronised again\n");
    failing_ = false;
  }
}

std::string HubSync::metricsText() const {
  std::string out;
  auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  header("mamori_dns_hub_syncs_total", "counter",
         "Synchronisations with the hub, by what was fetched and result.");
  for (size_t kind = 0; kind < 2; ++kind) {
    if (kind == 0 && !options_.indicators) continue;
    for (size_t result = 0; result < 2; ++result) {
      fmt::format_to(std::back_inserter(out),
                     "mamori_dns_hub_syncs_total{{kind=\"{}\",result=\"{}\"}} {}\n",
                     kind == 0 ? "indicators" : "routes", result == 0 ? "ok" : "failed",
                     counters_->syncs[kind][result].load());
    }
  }
  if (options_.indicators) {
    header("mamori_dns_hub_indicators", "gauge", "Hub indicators in the policy, by type.");
    for (size_t i = 0; i < kTypes.size(); ++i) {
      fmt::format_to(std::back_inserter(out), "mamori_dns_hub_indicators{{type=\"{}\"}} {}\n",
                     kTypes[i], counters_->inForce[i].load());
    }
    header("mamori_dns_hub_indicators_skipped_total", "counter",
           "Hub indicators not used, by reason (a type the policy does not use, or a value or "
           "item it cannot use).");
    fmt::format_to(std::back_inserter(out),
                   "mamori_dns_hub_indicators_skipped_total{{reason=\"type\"}} {}\n"
                   "mamori_dns_hub_indicators_skipped_total{{reason=\"invalid\"}} {}\n",
                   counters_->ignored.load(), counters_->rejected.load());
  }
  header("mamori_dns_hub_routes", "gauge", "Prefixes registered at the hub used to route hits.");
  fmt::format_to(std::back_inserter(out), "mamori_dns_hub_routes {}\n", counters_->routes.load());
  return out;
}

}  // namespace mamori::cli
