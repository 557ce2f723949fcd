// `mamori dns`: the protective DNS resolver (docs/dns.md, "Running the server").
//
// Forwards queries to upstream resolvers through a cache and the policy (RPZ zones, domain lists,
// allowlists, and with --hub-indicators the hub's indicators); every policy hit becomes a record
// with the client pseudonymized, written to --hits and, with --hub, sent to the sharing hub,
// routed by the client's prefix. SIGHUP reloads the policy files (a bad file keeps the policy in
// force); SIGINT/SIGTERM stop. Prometheus metrics on --metrics.
#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "cli.h"
#include "dns_hub_sync.h"
#include "hub_client.h"
#include "mamori/core/pseudonymizer.h"
#include "mamori/core/secure_file.h"
#include "mamori/dns/hits.h"
#include "mamori/dns/server.h"

namespace mamori::cli {
namespace {

struct DnsOptions {
  std::vector<std::string> listen;
  std::vector<std::string> upstreams;
  std::vector<std::string> policies;
  std::vector<std::string> lists;
  std::vector<std::string> allowlists;
  uint32_t listTtl = 300;
  std::string hits;
  std::string newDomains;
  size_t newDomainMemory = 1000000;
  HubCliOptions hub;
  bool hubIndicators = false;
  unsigned hubRefresh = 60;
  std::string hubAction = "nxdomain";
  std::vector<std::string> clientRoutes;
  std::vector<std::string> allow;
  std::string sensorName;
  std::string state;
  std::string pseudonymKey;
  std::string metrics;
  size_t threads = 0;
  unsigned udpHold = 100;
  std::string cacheSize = "64M";
  uint16_t udpSize = 1232;
  unsigned upstreamTimeoutMs = 1000;
  unsigned attempts = 3;
  double tcpIdleTimeout = 10;
  size_t maxTcpConnections = 1000;
  bool quiet = false;
};

// "NAME=REST" -> {NAME, REST}; without '=' (or with a '/' before it: a path) the name is empty.
std::pair<std::string, std::string> splitName(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || spec.find('/') < eq) return {"", spec};
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

std::string stemOf(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

std::optional<dns::PolicyAction> listAction(std::string_view text) {
  using dns::PolicyAction;
  if (text == "nxdomain") return PolicyAction::kNxdomain;
  if (text == "nodata") return PolicyAction::kNodata;
  if (text == "drop") return PolicyAction::kDrop;
  if (text == "tcp-only") return PolicyAction::kTcpOnly;
  if (text == "passthru") return PolicyAction::kPassthru;
  return std::nullopt;
}

// The policy sources in the order the options were given on the command line: that order is the
// policy's precedence (allowlists win regardless).
std::vector<dns::PolicySourceSpec> policySpecs(const CLI::App& cmd, const DnsOptions& o) {
  std::vector<dns::PolicySourceSpec> specs;
  size_t nextPolicy = 0;
  size_t nextList = 0;
  size_t nextAllow = 0;
  for (const CLI::Option* opt : cmd.parse_order()) {
    const std::string name = opt->get_name();
    dns::PolicySourceSpec spec;
    spec.ttl = o.listTtl;
    if (name == "--policy" && nextPolicy < o.policies.size()) {
      auto [n, path] = splitName(o.policies[nextPolicy++]);
      spec.name = n.empty() ? stemOf(path) : n;
      spec.path = path;
      spec.format = dns::PolicyFormat::kRpz;
    } else if (name == "--list" && nextList < o.lists.size()) {
      const std::string& text = o.lists[nextList++];
      auto [n, rest] = splitName(text);
      std::string path = rest;
      spec.listAction = dns::PolicyAction::kNxdomain;
      if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
        if (auto action = listAction(std::string_view(rest).substr(colon + 1))) {
          spec.listAction = *action;
          path = rest.substr(0, colon);
        }
      }
      spec.name = n.empty() ? stemOf(path) : n;
      spec.path = path;
      spec.format = dns::PolicyFormat::kDomainList;
      spec.includeSubdomains = true;
    } else if (name == "--allowlist" && nextAllow < o.allowlists.size()) {
      auto [n, path] = splitName(o.allowlists[nextAllow++]);
      spec.name = n.empty() ? stemOf(path) : n;
      spec.path = path;
      spec.format = dns::PolicyFormat::kDomainList;
      spec.listAction = dns::PolicyAction::kAllow;
      spec.includeSubdomains = true;
    } else {
      continue;
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

size_t parseSize(const std::string& text) {
  size_t value = 0;
  size_t pos = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + static_cast<size_t>(text[pos] - '0');
    ++pos;
  }
  const std::string unit = text.substr(pos);
  size_t shift = 0;
  if (unit == "K" || unit == "k" || unit == "KiB") {
    shift = 10;
  } else if (unit == "M" || unit == "m" || unit == "MiB") {
    shift = 20;
  } else if (unit == "G" || unit == "g" || unit == "GiB") {
    shift = 30;
  } else if (!unit.empty() || pos == 0) {
    throw CLI::ValidationError("--cache-size",
                               fmt::format("'{}': a number of bytes, or with K, M or G", text));
  }
  return value << shift;
}

std::vector<dns::Endpoint> endpoints(const std::vector<std::string>& texts, const char* option) {
  std::vector<dns::Endpoint> out;
  for (const auto& t : texts) {
    auto e = dns::Endpoint::parse(t);
    if (!e.ok()) throw CLI::ValidationError(option, e.error().message);
    out.push_back(*e);
  }
  return out;
}

std::string describePolicy(const dns::Policy& p) {
  return fmt::format("{} name triggers and {} response-IP triggers in {} sources, {:.1f} MiB",
                     p.qnameTriggerCount(), p.ipTriggerCount(), p.sources().size(),
                     static_cast<double>(p.memoryBytes()) / (1 << 20));
}

// The one place the policy is put together: the policy files as last read, then (with
// --hub-indicators) the hub's indicators as last received, as the source "hub". A SIGHUP re-reads
// the files and keeps the hub set; a hub update keeps the files as read (a file edited since
// waits for its SIGHUP), which is why their text stays in memory — only with --hub-indicators:
// without a hub source nothing composes between two reloads, and a big list's text would cost
// about a third more memory per blocked domain. Composing and swapping happen under one lock, so
// a reload and a hub update never undo each other.
class PolicyComposer {
 public:
  static constexpr std::string_view kHubSource = "hub";

  PolicyComposer(std::string hubOrigin, uint32_t hubTtl, bool hubSource)
      : hubOrigin_(std::move(hubOrigin)), hubTtl_(hubTtl), keepTexts_(hubSource) {}

  // Reads every file anew and composes; on an error (the file and line) the previous files and
  // policy stay.
  Result<std::shared_ptr<const dns::Policy>> reloadFiles(std::vector<dns::PolicySourceSpec> specs) {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> texts;
    texts.reserve(specs.size());
    for (const auto& spec : specs) {
      auto text = readWholeFile(spec.path, dns::kMaxPolicyFileBytes);
      if (!text.ok()) return text.error();
      texts.push_back(std::move(text).value());
    }
    auto composed = compose(specs, texts, hub_);
    if (!composed.ok()) return composed.error();
    specs_ = std::move(specs);
    if (keepTexts_) texts_ = std::move(texts);
    install(*composed);
    return composed;
  }

  // Replaces the hub's indicators and composes (files as last read); nullopt: no hub source.
  Result<std::shared_ptr<const dns::Policy>> setHubIndicators(
      std::optional<std::vector<dns::PolicyIndicator>> indicators) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!keepTexts_) return makeError("the policy has no hub source (--hub-indicators)");
    auto composed = compose(specs_, texts_, indicators);
    if (!composed.ok()) return composed.error();
    hub_ = std::move(indicators);
    install(*composed);
    return composed;
  }

  // The hub's indicators for the next composition, without composing now (at start, before the
  // files are read).
  void presetHubIndicators(std::vector<dns::PolicyIndicator> indicators) {
    const std::lock_guard<std::mutex> lock(mutex_);
    hub_ = std::move(indicators);
  }

  // From now on every composed policy goes to `server` (which is given the latest at once).
  void attach(dns::Server* server) {
    const std::lock_guard<std::mutex> lock(mutex_);
    server_ = server;
    if (current_ != nullptr && server_->policy() != current_) server_->setPolicy(current_);
  }

  std::shared_ptr<const dns::Policy> current() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

 private:
  Result<std::shared_ptr<const dns::Policy>> compose(
      const std::vector<dns::PolicySourceSpec>& specs, const std::vector<std::string>& texts,
      const std::optional<std::vector<dns::PolicyIndicator>>& hub) const {
    dns::PolicyBuilder builder;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (auto r = builder.addSourceText(specs[i], texts[i]); !r.ok()) return r.error();
    }
    if (hub) {
      if (auto r = builder.addIndicators(kHubSource, *hub, hubOrigin_, hubTtl_); !r.ok()) {
        return r.error();
      }
    }
    return std::make_shared<const dns::Policy>(builder.build());
  }

  void install(const std::shared_ptr<const dns::Policy>& policy) {
    current_ = policy;
    if (server_ != nullptr) server_->setPolicy(policy);
  }

  const std::string hubOrigin_;
  const uint32_t hubTtl_;
  const bool keepTexts_;
  mutable std::mutex mutex_;
  // All guarded by mutex_.
  std::vector<dns::PolicySourceSpec> specs_;
  std::vector<std::string> texts_;
  std::optional<std::vector<dns::PolicyIndicator>> hub_;
  std::shared_ptr<const dns::Policy> current_;
  dns::Server* server_ = nullptr;
};

// Sends policy-hit records to the hub from its own thread, in batches (every few seconds or
// 1000 records). A batch that fails stays queued (bounded) and goes with the next attempt; the
// hub's ingestion is idempotent by record id, so a batch sent twice is stored once.
class HubForwarder {
 public:
  HubForwarder(HubTarget target, std::filesystem::path spool, bool quiet)
      : target_(std::move(target)),
        spool_(std::move(spool)),
        quiet_(quiet),
        thread_([this] { loop(); }) {}
  // Sends what is queued, giving a hub that does not answer kFinalSendWait before abandoning it.
  ~HubForwarder() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      stop_ = true;
      wake_.notify_all();
      if (!wake_.wait_for(lock, kFinalSendWait, [this] { return finished_; })) {
        lock.unlock();
        cancel_.cancel();
      }
    }
    thread_.join();
  }
  HubForwarder(const HubForwarder&) = delete;
  HubForwarder& operator=(const HubForwarder&) = delete;

  void push(std::string_view line) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      queue_.pop_front();  // the oldest goes: the hits file keeps every record anyway
      ++dropped_;
    }
    queue_.emplace_back(line);
    if (queue_.size() >= kBatch) wake_.notify_all();
  }

 private:
  static constexpr size_t kBatch = 1000;
  static constexpr size_t kMaxQueued = 100000;
  static constexpr std::chrono::seconds kFinalSendWait{10};

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait_for(lock, std::chrono::seconds(2),
                     [&] { return stop_ || queue_.size() >= kBatch; });
      const bool last = stop_;
      if (!queue_.empty()) {
        std::vector<std::string> batch(queue_.begin(), queue_.end());
        lock.unlock();
        const bool ok = send(batch, last);
        lock.lock();
        if (ok)
          queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(
                                                            std::min(batch.size(), queue_.size())));
      }
      if (last) {
        finished_ = true;
        wake_.notify_all();
        return;
      }
    }
  }

  // `last`: the stop's final try, after which the batch is gone (from the hub's view).
  bool send(const std::vector<std::string>& batch, bool last) {
    {
      std::ofstream out(spool_, std::ios::binary | std::ios::trunc);
      for (const auto& line : batch) out << line << '\n';
      if (!out) {
        report(spool_.string() + ": cannot write", batch.size(), last);
        return false;
      }
    }
    try {
      HubSendOptions options;
      options.attempts = 2;
      options.cancel = &cancel_;
      (void)sendToHub(target_, spool_, options);
      if (failing_ && !quiet_) (void)std::fprintf(stderr, "mamori dns: hub: sending again\n");
      failing_ = false;
      return true;
    } catch (const std::exception& e) {
      report(e.what(), batch.size(), last);
      return false;
    }
  }

  void report(const std::string& problem, size_t records, bool last) {
    if (last && !quiet_) {
      (void)std::fprintf(stderr, "mamori dns: %s: %zu sightings not sent to the hub at the stop\n",
                         problem.c_str(), records);
    } else if (!failing_ && !quiet_) {
      (void)std::fprintf(stderr, "mamori dns: %s (records stay queued)\n", problem.c_str());
    }
    failing_ = true;
  }

  HubTarget target_;
  std::filesystem::path spool_;
  bool quiet_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  uint64_t dropped_ = 0;
  bool stop_ = false;
  bool finished_ = false;  // the loop sent its last batch (or gave up) and returned
  bool failing_ = false;
  HubCancel cancel_;
  std::thread thread_;
};

void raiseFileLimit() {
  // Every upstream query in flight holds a socket; the default soft limit of 1024 is too low.
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &r);
  }
}

int runDns(const CLI::App& cmd, const DnsOptions& o) {
  dns::ServerOptions options;
  options.listen = endpoints(o.listen, "--listen");
  options.upstreams = endpoints(o.upstreams, "--upstream");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  options.threads = o.threads > 0 ? o.threads : cores;
  options.udpHold = std::chrono::microseconds(o.udpHold);
  options.cache.maxBytes = parseSize(o.cacheSize);
  options.response.udpPayloadSize = o.udpSize;
  options.upstreamTimeout = std::chrono::milliseconds(o.upstreamTimeoutMs);
  options.attempts = o.attempts;
  options.tcpIdleTimeout = std::chrono::milliseconds(static_cast<int64_t>(o.tcpIdleTimeout * 1000));
  options.maxTcpConnections = o.maxTcpConnections;
  options.newDomainMemory = o.newDomains.empty() ? 0 : o.newDomainMemory;
  for (const auto& a : o.allow) {
    auto prefix = IpPrefix::parse(a);
    if (!prefix.ok()) throw CLI::ValidationError("--allow", prefix.error().message);
    options.allowedClients.push_back(*prefix);
  }

  std::vector<dns::ClientRoute> routes;
  for (const auto& r : o.clientRoutes) {
    const size_t eq = r.find('=');
    auto prefix = IpPrefix::parse(eq == std::string::npos ? r : r.substr(0, eq));
    if (eq == std::string::npos || !prefix.ok() || eq + 1 == r.size()) {
      throw CLI::ValidationError("--client-route", fmt::format("'{}': expected PREFIX=KEY", r));
    }
    routes.push_back({*prefix, r.substr(eq + 1)});
  }
  const auto hub = hubTargetFromOptions(o.hub);
  if (o.hubIndicators && !hub) throw CLI::ValidationError("--hub-indicators", "needs --hub");
  const std::optional<dns::PolicyAction> hubAction = listAction(o.hubAction);
  if (!hubAction || *hubAction == dns::PolicyAction::kTcpOnly ||
      *hubAction == dns::PolicyAction::kPassthru) {
    throw CLI::ValidationError("--hub-action", "nxdomain, nodata or drop");
  }

  PolicyComposer composer(hub ? "hub " + hubBaseUrl(hub->url) : "hub", o.listTtl, o.hubIndicators);
  // Set once the hit log exists (before the sync thread starts); hub routes go to it.
  dns::HitLog* routedLog = nullptr;
  std::unique_ptr<HubSync> sync;
  if (hub) {
    HubSyncOptions syncOptions;
    syncOptions.target = *hub;
    syncOptions.indicators = o.hubIndicators;
    syncOptions.refresh = std::chrono::seconds(o.hubRefresh);
    syncOptions.snapshot = resolveStateDir(o.state) / "dns-hub-indicators.json";
    syncOptions.routesFile = resolveStateDir(o.state) / "dns-hub-routes.json";
    syncOptions.quiet = o.quiet;
    const bool quiet = o.quiet;
    const dns::PolicyAction action = *hubAction;
    sync = std::make_unique<HubSync>(
        syncOptions,
        [&composer, action, quiet](const HubIndicatorSet& set) {
          auto composed = composer.setHubIndicators(policyIndicators(set, action));
          if (!composed.ok()) {
            (void)std::fprintf(stderr,
                               "mamori dns: policy update from the hub failed, the previous "
                               "policy stays in force: %s\n",
                               composed.error().message.c_str());
          } else if (!quiet) {
            (void)std::fprintf(stderr,
                               "mamori dns: policy updated from the hub: %zu indicators; %s\n",
                               set.size(), describePolicy(**composed).c_str());
          }
        },
        [&routedLog](std::shared_ptr<const dns::ClientRouteTable> table) {
          if (routedLog != nullptr) routedLog->setFallbackRoutes(std::move(table));
        });
    if (o.hubIndicators) {
      // The last known set until the hub answers (empty on the first start).
      composer.presetHubIndicators(policyIndicators(sync->indicators(), action));
    }
  }

  // A bad policy at start is a usage problem: exit 2 with the file and line.
  const std::vector<dns::PolicySourceSpec> specs = policySpecs(cmd, o);
  if (o.hubIndicators) {
    for (const auto& spec : specs) {
      if (spec.name == PolicyComposer::kHubSource) {
        throw CLI::ValidationError("--hub-indicators",
                                   fmt::format("the policy source name '{}' is the hub's: name {} "
                                               "otherwise (NAME=FILE)",
                                               spec.name, spec.path.string()));
      }
    }
  }
  if (auto loaded = composer.reloadFiles(specs); !loaded.ok()) {
    (void)std::fprintf(stderr, "mamori: error: policy: %s\n", loaded.error().message.c_str());
    return kExitUsage;
  }

  std::unique_ptr<dns::HitLog> hitLog;
  std::unique_ptr<HubForwarder> forwarder;
  if (!o.hits.empty() || !o.newDomains.empty() || hub) {
    const auto state = resolveStateDir(o.state);
    const std::filesystem::path keyPath =
        o.pseudonymKey.empty() ? state / "pseudonym.key" : std::filesystem::path(o.pseudonymKey);
    auto pseudonymizer = Pseudonymizer::loadOrCreate(keyPath).valueOrThrow();
    dns::HitLogOptions logOptions;
    logOptions.hitsFile = o.hits;
    logOptions.newDomainsFile = o.newDomains;
    logOptions.sensor = o.sensorName.empty() ? defaultSensorName() : o.sensorName;
    logOptions.routes = routes;
    if (hub) {
      std::filesystem::create_directories(state);
      forwarder = std::make_unique<HubForwarder>(*hub, state / "dns-hub-batch.ndjson", o.quiet);
      HubForwarder* f = forwarder.get();
      logOptions.forward = [f](std::string_view line) { f->push(line); };
    }
    hitLog = dns::HitLog::open(std::move(logOptions), std::move(pseudonymizer)).valueOrThrow();
  }
  routedLog = hitLog.get();
  if (sync) {
    // The routes last known until the hub answers (none on the first start).
    if (auto table = sync->routeTable(); table != nullptr && routedLog != nullptr) {
      routedLog->setFallbackRoutes(std::move(table));
    }
    // The first round before answering anyone: with the hub up, the first query already sees
    // its indicators and the first hit its route; with the hub away, the snapshot's set stands.
    (void)sync->syncNow();
  }
  const std::shared_ptr<const dns::Policy> policy = composer.current();

  // Signals are taken by sigwait() below; every thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  raiseFileLimit();

  auto server = dns::Server::start(options, policy, hitLog.get()).valueOrThrow();
  composer.attach(server.get());
  // The sync thread updates the server and the hit log: it ends before either, also when
  // something below throws.
  struct SyncStopper {
    std::unique_ptr<HubSync>& sync;
    ~SyncStopper() { sync.reset(); }
  } const syncStopper{sync};
  if (sync) sync->start();

  std::unique_ptr<httplib::Server> metrics;
  std::thread metricsThread;
  if (!o.metrics.empty()) {
    auto at = dns::Endpoint::parse(o.metrics, 9153);
    if (!at.ok()) throw Failure("--metrics " + at.error().message);
    metrics = std::make_unique<httplib::Server>();
    dns::Server* s = server.get();
    HubSync* hubSync = sync.get();
    metrics->Get("/metrics", [s, hubSync](const httplib::Request&, httplib::Response& res) {
      std::string text = s->metricsText();
      if (hubSync != nullptr) text += hubSync->metricsText();
      res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
    });
    if (!metrics->bind_to_port(at->address.toString(), at->port)) {
      throw Failure("--metrics: cannot listen on " + at->toString());
    }
    metricsThread = std::thread([m = metrics.get()] { m->listen_after_bind(); });
  }

  if (!o.quiet) {
    std::string where;
    for (const auto& e : server->udpEndpoints())
      where += (where.empty() ? "" : ", ") + e.toString();
    (void)std::fprintf(stderr,
                       "mamori dns: listening on %s (UDP and TCP), %zu threads, %zu upstreams\n"
                       "mamori dns: policy: %s\n",
                       where.c_str(), options.threads, options.upstreams.size(),
                       describePolicy(*policy).c_str());
    const bool outside =
        std::any_of(options.listen.begin(), options.listen.end(), [](const dns::Endpoint& e) {
          return !(e.address.isV4() ? (e.address.v4Value() >> 24) == 127
                                    : e.address.toString() == "::1");
        });
    if (outside && options.allowedClients.empty()) {
      (void)std::fprintf(stderr,
                         "mamori dns: warning: no --allow: every client that can reach the "
                         "listen addresses may query (an open resolver reflects attacks)\n");
    }
  }

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGHUP) break;
    // The new policy is built here, off the query path (files read anew, the hub's indicators
    // as last received); the workers switch between two batches.
    auto reloaded = composer.reloadFiles(policySpecs(cmd, o));
    if (!reloaded.ok()) {
      server->noteReload(false);
      (void)std::fprintf(
          stderr, "mamori dns: policy reload failed, the previous policy stays in force: %s\n",
          reloaded.error().message.c_str());
      continue;
    }
    server->noteReload(true);
    if (!o.quiet) {
      (void)std::fprintf(stderr, "mamori dns: policy reloaded: %s\n",
                         describePolicy(**reloaded).c_str());
    }
  }

  if (metrics) {
    metrics->stop();
    metricsThread.join();
  }
  sync.reset();
  server->stop();
  const dns::ServerCounters c = server->counters();
  if (!o.quiet) {
    (void)std::fprintf(stderr,
                       "mamori dns: stopped: %llu UDP and %llu TCP responses, %llu policy hits, "
                       "%llu malformed, %llu upstream timeouts\n",
                       static_cast<unsigned long long>(c.udpQueries),
                       static_cast<unsigned long long>(c.tcpQueries),
                       static_cast<unsigned long long>(c.policyHits),
                       static_cast<unsigned long long>(c.malformed),
                       static_cast<unsigned long long>(c.upstreamTimeouts));
  }
  return 0;
}

}  // namespace

void addDnsCommand(CLI::App& app) {
  static DnsOptions o;
  auto* cmd = app.add_subcommand(
      "dns",
      "Protective DNS resolver: forward through a cache and a blocking policy (RPZ, domain "
      "lists), record every policy hit with the client pseudonymized");
  cmd->add_option("--listen", o.listen,
                  "Address to answer on, UDP and TCP (ADDR:PORT, [IPv6]:PORT); repeatable")
      ->required();
  cmd->add_option("--upstream", o.upstreams,
                  "Resolver to forward to (ADDR[:PORT], default port 53); repeatable, up to 16")
      ->required();
  cmd->add_option("--policy", o.policies,
                  "RPZ zone file, [NAME=]FILE (NAME defaults to the file name without extension); "
                  "repeatable: earlier sources win");
  cmd->add_option(
      "--list", o.lists,
      "Domain list, [NAME=]FILE[:ACTION]: one domain per line, each covering its "
      "subdomains; ACTION nxdomain (default), nodata, drop, tcp-only or passthru; repeatable");
  cmd->add_option("--allowlist", o.allowlists,
                  "Domains never blocked (with their subdomains), [NAME=]FILE; repeatable");
  cmd->add_option("--allow", o.allow,
                  "Client prefix allowed to query (e.g. 10.0.0.0/8); repeatable; default: every "
                  "client (then keep the listen address unreachable from outside)");
  cmd->add_option("--list-ttl", o.listTtl, "TTL of the negative answers a --list produces, seconds")
      ->capture_default_str();
  cmd->add_option("--hits", o.hits, "Append a record for every policy hit to this NDJSON file");
  cmd->add_option("--new-domains", o.newDomains,
                  "Append a record for every first sighting of a name (NOERROR from upstream) to "
                  "this NDJSON file");
  cmd->add_option("--new-domain-memory", o.newDomainMemory,
                  "Names remembered for --new-domains (a name is new again after this many others)")
      ->capture_default_str();
  addHubOptions(cmd, o.hub);
  cmd->get_option("--hub")->description(
      "Also send the hit records to this sharing hub as they come, in batches, routed to the "
      "organisation that registered the client's prefix (http(s)://HOST[:PORT]; see "
      "docs/openapi.yaml)");
  cmd->add_flag("--hub-indicators", o.hubIndicators,
                "With --hub: block with the indicators the token may read (domain: the name and "
                "its subdomains; ipv4/ipv6: answers with such addresses), after the policy files; "
                "kept up to date every --hub-refresh, saved in the state directory for restarts "
                "while the hub is away");
  cmd->add_option("--hub-refresh", o.hubRefresh,
                  "With --hub: seconds between fetches of the indicators and of the prefixes "
                  "organisations registered (hits are routed to the client's organisation)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400u));
  cmd->add_option("--hub-action", o.hubAction,
                  "What a hub indicator with action \"block\" does: nxdomain, nodata or drop "
                  "(\"monitor\" indicators resolve and are recorded as hits)")
      ->capture_default_str();
  cmd->add_option("--client-route", o.clientRoutes,
                  "With --hub: PREFIX=KEY, hits from clients in PREFIX go to the organisation the "
                  "hub routes KEY to (its domain); longest prefix wins, and these come before the "
                  "prefixes registered at the hub; repeatable");
  cmd->add_option("--sensor-name", o.sensorName,
                  "This resolver's name in records (default: the host name)");
  cmd->add_option("--state", o.state,
                  "State directory (pseudonymization key, the hub indicators last received)");
  cmd->add_option("--pseudonym-key", o.pseudonymKey,
                  "Pseudonymization key file (default STATE/pseudonym.key; created on first use)");
  cmd->add_option("--metrics", o.metrics, "Serve Prometheus metrics at http://ADDR:PORT/metrics");
  cmd->add_option("--threads", o.threads, "Worker threads (default: one per core)");
  cmd->add_option("--udp-hold", o.udpHold,
                  "Microseconds a worker waits for more datagrams after answering a batch")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1000u));
  cmd->add_option("--cache-size", o.cacheSize, "Cache memory bound: BYTES, or with K, M or G")
      ->capture_default_str();
  cmd->add_option("--udp-size", o.udpSize,
                  "EDNS UDP payload size advertised and the largest UDP response")
      ->capture_default_str()
      ->check(CLI::Range(512, 4096));
  cmd->add_option("--upstream-timeout", o.upstreamTimeoutMs,
                  "Milliseconds before an upstream attempt is given up")
      ->capture_default_str()
      ->check(CLI::Range(10u, 60000u));
  cmd->add_option("--attempts", o.attempts,
                  "Upstream attempts per query (each to the next upstream)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10u));
  cmd->add_option("--tcp-idle-timeout", o.tcpIdleTimeout,
                  "Seconds before an idle client TCP connection is closed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-tcp-connections", o.maxTcpConnections, "Client TCP connections at once")
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", o.quiet, "No start, reload and stop messages");
  cmd->callback([cmd] { gExitCode = runDns(*cmd, o); });
}

}  // namespace mamori::cli
