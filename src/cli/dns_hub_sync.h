// `mamori dns` keeping up with the sharing hub (docs/dns.md, "Policy from the hub" and "To the
// hub"): the indicators the token may read become a policy source, and the prefixes
// organisations registered become the routes of hit records.
//
// Indicators: a full listing (GET /api/v1/indicators?after=0, paged) first, then only what
// changed (after=<the last next_after>), every refresh; a full listing again every hour, which
// also notices indicators the token may no longer read. The set is kept in memory (id -> entry)
// and, after every change, in a snapshot file in the state directory (atomically replaced), which
// the next start loads, so a restart while the hub is down still enforces the last known
// indicators. Revoked and expired ones (the hub's flag, or valid_until past) are removed; types
// other than domain/ipv4/ipv6 are not asked for (and counted if sent anyway); an indicator whose
// value the policy cannot take is dropped and logged. A failed request keeps everything as it
// is and is tried again at the next refresh; the first failure of a streak is logged, and the
// recovery.
//
// Routes: GET /api/v1/routes at start and every refresh; each registered prefix is its own
// routing key (the hub routes a prefix target to the organisation that registered it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hub_client.h"
#include "mamori/dns/hits.h"
#include "mamori/dns/policy.h"

namespace mamori::cli {

// One hub indicator as the resolver keeps it.
struct HubIndicator {
  uint64_t seq = 0;
  std::string type;  // domain, ipv4, ipv6
  std::string value;
  bool monitor = false;    // action "monitor" (resolve, record the hit); otherwise "block"
  int64_t validUntil = 0;  // microseconds since the epoch; 0: no end

  friend bool operator==(const HubIndicator&, const HubIndicator&) = default;
};
using HubIndicatorSet = std::map<std::string, HubIndicator>;  // by indicator id

// The set as policy triggers: "block" takes `blockAction`, "monitor" kPassthru.
std::vector<dns::PolicyIndicator> policyIndicators(const HubIndicatorSet& set,
                                                   dns::PolicyAction blockAction);

struct HubSyncOptions {
  HubTarget target;
  bool indicators = false;  // --hub-indicators: also fetch the indicators
  std::chrono::seconds refresh{60};
  std::filesystem::path snapshot;    // the indicator snapshot (indicators only)
  std::filesystem::path routesFile;  // the registered prefixes as last fetched; empty: not kept
  bool quiet = false;
};

class HubSync {
 public:
  // Called on the sync thread (or in syncNow()) after the set changed, with the whole new set.
  using IndicatorsChanged = std::function<void(const HubIndicatorSet&)>;
  // Called likewise with a new route table (each registered prefix its own key).
  using RoutesChanged = std::function<void(std::shared_ptr<const dns::ClientRouteTable>)>;

  // With indicators, loads the snapshot if there is one, and the routes file if there is one: a
  // file that is not valid is a Failure naming it (never silently an empty set). Starts no thread.
  HubSync(HubSyncOptions options, IndicatorsChanged indicatorsChanged, RoutesChanged routesChanged);
  ~HubSync();  // stops the thread, abandoning a request in flight
  HubSync(const HubSync&) = delete;
  HubSync& operator=(const HubSync&) = delete;

  // The set in force: the snapshot's until the first successful fetch.
  HubIndicatorSet indicators() const;
  // The route table as last known (the routes file's until the first successful fetch); null
  // when there is none. For the caller to install before the first syncNow().
  std::shared_ptr<const dns::ClientRouteTable> routeTable() const;
  // One round on the caller's thread (at start, before the server answers): true if every
  // request succeeded. Calls the callbacks for what changed.
  bool syncNow();
  // Rounds every `refresh` on a thread of its own from now on.
  void start();

  // Prometheus text lines: syncs by kind and result, indicators in force by type, indicators
  // skipped, routes.
  std::string metricsText() const;

 private:
  struct Counters;
  bool syncIndicators(int64_t now);
  bool syncRoutes();
  void saveRoutes();
  void saveForRestart(const std::filesystem::path& path, const std::string& text,
                      std::string_view what, std::string_view otherwise) const;
  bool dropExpired(int64_t now);
  void publish();
  void loop();
  void report(bool ok, const std::string& problem);

  HubSyncOptions options_;
  IndicatorsChanged indicatorsChanged_;
  RoutesChanged routesChanged_;
  std::unique_ptr<Counters> counters_;

  // Touched by the one thread that syncs (the caller of syncNow(), then the sync thread); the
  // set is also read by indicators(), hence the mutex.
  mutable std::mutex setMutex_;
  HubIndicatorSet set_;  // guarded by setMutex_
  uint64_t nextAfter_ = 0;
  bool listed_ = false;  // a full listing succeeded at least once
  std::chrono::steady_clock::time_point lastFullListing_;
  std::vector<dns::ClientRoute> routes_;  // each prefix its own key; sorted by key, unique
  bool failing_ = false;
  bool firstRound_ = true;  // no syncNow() has ended yet

  // One attempt per round (the next round is the retry), and a hub that stops answering is given
  // up after 30 s rather than the 2 minutes a bulk upload allows; in the first round, which the
  // first answer waits for, after 3 s to connect and 5 s per read.
  HubSendOptions requestOptions() {
    using std::chrono::seconds;
    return {.attempts = 1,
            .ioTimeout = firstRound_ ? seconds(5) : seconds(30),
            .connectTimeout = firstRound_ ? seconds(3) : seconds(10),
            .cancel = &cancel_};
  }

  HubCancel cancel_;  // a stop abandons the request in flight
  std::mutex stopMutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by stopMutex_
  std::thread thread_;
};

}  // namespace mamori::cli
