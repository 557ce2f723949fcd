// The server's Prometheus text exposition (format 0.0.4): per-worker counters summed at scrape
// time, so the query path never touches a shared cache line for its statistics.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "resolver.h"
#include "server_internal.h"
#include "worker.h"

namespace mamori::dns {

size_t qtypeSlot(uint16_t qtype) {
  for (size_t i = 0; i < kCountedQtypes.size(); ++i) {
    if (kCountedQtypes[i] == qtype) return i;
  }
  return kCountedQtypes.size();
}

size_t rcodeSlot(uint16_t rcode) {
  for (size_t i = 0; i < kCountedRcodes.size(); ++i) {
    if (kCountedRcodes[i] == rcode) return i;
  }
  return kCountedRcodes.size();
}

std::string_view dropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kShortHeader:
      return "short_header";
    case DropReason::kResponse:
      return "response";
    case DropReason::kOversize:
      return "oversize";
    case DropReason::kPolicy:
      return "policy_drop";
    case DropReason::kClientGone:
      return "client_gone";
    case DropReason::kNotAllowed:
      return "not_allowed";
    case DropReason::kCount:
      break;
  }
  return "other";
}

namespace {

// Prometheus label values: backslash, quote and newline escaped.
std::string labelValue(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  void header(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  void sample(std::string_view name, std::string_view labels, uint64_t value) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string Server::metricsText() const {
  const Impl& s = *impl_;
  const auto sum = [&](auto&& pick) {
    uint64_t total = 0;
    for (const auto& w : s.workers) total += pick(workerCounters(*w)).get();
    return total;
  };
  Exposition x;

  x.header("mamori_dns_responses_total", "counter",
           "Responses sent, by transport, query type and response code.");
  for (size_t tcp = 0; tcp < 2; ++tcp) {
    for (size_t t = 0; t < kQtypeSlots; ++t) {
      for (size_t r = 0; r < kRcodeSlots; ++r) {
        const uint64_t v =
            sum([&](const WorkerCounters& c) -> const Counter& { return c.answers[tcp][t][r]; });
        if (v == 0) continue;
        const std::string qtype =
            t < kCountedQtypes.size() ? qtypeText(kCountedQtypes[t]) : "other";
        const std::string_view rcode =
            r < kCountedRcodes.size() ? rcodeName(kCountedRcodes[r]) : "OTHER";
        x.sample("mamori_dns_responses_total",
                 fmt::format("transport=\"{}\",qtype=\"{}\",rcode=\"{}\"", tcp != 0 ? "tcp" : "udp",
                             qtype, rcode),
                 v);
      }
    }
  }

  x.header("mamori_dns_dropped_total", "counter", "Queries that got no response, by reason.");
  for (size_t d = 0; d < static_cast<size_t>(DropReason::kCount); ++d) {
    x.sample("mamori_dns_dropped_total",
             fmt::format("reason=\"{}\"", dropReasonName(static_cast<DropReason>(d))),
             sum([&](const WorkerCounters& c) -> const Counter& { return c.drops[d]; }));
  }

  x.header("mamori_dns_malformed_total", "counter",
           "Malformed queries (answered FORMERR, or dropped without a header), by problem.");
  for (size_t e = 1; e < kParseErrorSlots; ++e) {
    const uint64_t v =
        sum([&](const WorkerCounters& c) -> const Counter& { return c.malformed[e]; });
    if (v == 0) continue;
    x.sample("mamori_dns_malformed_total",
             fmt::format("reason=\"{}\"", parseErrorName(static_cast<ParseError>(e))), v);
  }

  x.header("mamori_dns_overload_total", "counter",
           "Queries answered SERVFAIL because too many were waiting for upstreams.");
  x.sample("mamori_dns_overload_total", "",
           sum([](const WorkerCounters& c) -> const Counter& { return c.overload; }));
  x.header("mamori_dns_upstream_coalesced_total", "counter",
           "Queries that joined an identical upstream query already in flight instead of sending "
           "their own.");
  x.sample("mamori_dns_upstream_coalesced_total", "",
           sum([](const WorkerCounters& c) -> const Counter& { return c.coalesced; }));

  x.header("mamori_dns_policy_hits_total", "counter", "Policy decisions, by list and action.");
  s.hitsByList.with([&](const std::map<std::string, std::array<uint64_t, 8>>& counts) {
    for (const auto& [list, actions] : counts) {
      for (size_t a = 0; a < actions.size(); ++a) {
        if (actions[a] == 0) continue;
        x.sample("mamori_dns_policy_hits_total",
                 fmt::format("list=\"{}\",action=\"{}\"", labelValue(list),
                             policyActionName(static_cast<PolicyAction>(a))),
                 actions[a]);
      }
    }
  });
  x.header("mamori_dns_hit_records_dropped_total", "counter",
           "Policy hits not recorded because the collector fell behind.");
  x.sample("mamori_dns_hit_records_dropped_total", "",
           sum([](const WorkerCounters& c) -> const Counter& { return c.hitsDropped; }));
  x.header("mamori_dns_new_domains_total", "counter", "First sightings of a name.");
  x.sample("mamori_dns_new_domains_total", "", s.newDomains.load());

  const std::shared_ptr<const Policy> policy = s.currentPolicy();
  x.header("mamori_dns_policy_triggers", "gauge", "Triggers in the policy in force, by kind.");
  x.sample("mamori_dns_policy_triggers", "kind=\"qname\"",
           static_cast<uint64_t>(policy->qnameTriggerCount()));
  x.sample("mamori_dns_policy_triggers", "kind=\"response_ip\"",
           static_cast<uint64_t>(policy->ipTriggerCount()));
  x.header("mamori_dns_policy_memory_bytes", "gauge", "Heap bytes held by the policy in force.");
  x.sample("mamori_dns_policy_memory_bytes", "", static_cast<uint64_t>(policy->memoryBytes()));
  x.header("mamori_dns_policy_reloads_total", "counter", "Policy reloads, by result.");
  x.sample("mamori_dns_policy_reloads_total", "result=\"ok\"", s.reloadsOk.load());
  x.sample("mamori_dns_policy_reloads_total", "result=\"failed\"", s.reloadsFailed.load());

  const CacheStats cache = s.cache.stats();
  x.header("mamori_dns_cache_hits_total", "counter", "Cache lookups answered from the cache.");
  x.sample("mamori_dns_cache_hits_total", "", cache.hits);
  x.header("mamori_dns_cache_misses_total", "counter", "Cache lookups that went upstream.");
  x.sample("mamori_dns_cache_misses_total", "", cache.misses);
  x.header("mamori_dns_cache_evictions_total", "counter", "Entries evicted for the memory bound.");
  x.sample("mamori_dns_cache_evictions_total", "", cache.evictions);
  x.header("mamori_dns_cache_entries", "gauge", "Entries in the cache.");
  x.sample("mamori_dns_cache_entries", "", static_cast<uint64_t>(cache.entries));
  x.header("mamori_dns_cache_bytes", "gauge", "Bytes charged to the cache's memory bound.");
  x.sample("mamori_dns_cache_bytes", "", static_cast<uint64_t>(cache.bytes));

  x.header("mamori_dns_upstream_up", "gauge", "1 when the upstream is in use, 0 when marked down.");
  for (const auto& u : s.upstreams) {
    x.sample("mamori_dns_upstream_up", fmt::format("upstream=\"{}\"", u->endpoint.toString()),
             uint64_t{u->up.load() ? 1u : 0u});
  }
  struct Series {
    const char* name;
    const char* help;
    Counter (WorkerCounters::*field)[kMaxUpstreams];
  };
  const Series series[] = {
      {"mamori_dns_upstream_queries_total", "Queries sent to the upstream (each attempt).",
       &WorkerCounters::upQueries},
      {"mamori_dns_upstream_timeouts_total", "Attempts the upstream did not answer in time.",
       &WorkerCounters::upTimeouts},
      {"mamori_dns_upstream_spoofed_total",
       "Answers dropped for a wrong id, question or 0x20 case.", &WorkerCounters::upSpoofed},
      {"mamori_dns_upstream_malformed_total", "Answers that did not parse.",
       &WorkerCounters::upMalformed},
      {"mamori_dns_upstream_errors_total",
       "SERVFAIL/REFUSED/NOTIMP answers and refused or broken exchanges.",
       &WorkerCounters::upErrors},
      {"mamori_dns_upstream_tcp_fallbacks_total", "Truncated answers fetched again over TCP.",
       &WorkerCounters::upTcp},
  };
  for (const Series& ser : series) {
    x.header(ser.name, "counter", ser.help);
    for (size_t i = 0; i < s.upstreams.size(); ++i) {
      x.sample(ser.name, fmt::format("upstream=\"{}\"", s.upstreams[i]->endpoint.toString()),
               sum([&](const WorkerCounters& c) -> const Counter& { return (c.*ser.field)[i]; }));
    }
  }
  x.header("mamori_dns_upstream_latency_seconds", "histogram",
           "Time from sending a query upstream to its accepted answer.");
  for (size_t i = 0; i < s.upstreams.size(); ++i) {
    const std::string up = s.upstreams[i]->endpoint.toString();
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kLatencyBoundsMicros.size(); ++b) {
      cumulative += sum([&](const WorkerCounters& c) -> const Counter& { return c.latency[i][b]; });
      const std::string le =
          b < kLatencyBoundsMicros.size()
              ? fmt::format("{}", static_cast<double>(kLatencyBoundsMicros[b]) / 1e6)
              : "+Inf";
      x.sample("mamori_dns_upstream_latency_seconds_bucket",
               fmt::format("upstream=\"{}\",le=\"{}\"", up, le), cumulative);
    }
    const uint64_t micros =
        sum([&](const WorkerCounters& c) -> const Counter& { return c.latencySumMicros[i]; });
    x.sample("mamori_dns_upstream_latency_seconds_sum", fmt::format("upstream=\"{}\"", up),
             static_cast<double>(micros) / 1e6);
    x.sample("mamori_dns_upstream_latency_seconds_count", fmt::format("upstream=\"{}\"", up),
             cumulative);
  }

  x.header("mamori_dns_tcp_connections", "gauge", "Open client TCP connections.");
  x.sample("mamori_dns_tcp_connections", "", static_cast<uint64_t>(s.tcpConnections.load()));
  x.header("mamori_dns_tcp_connections_total", "counter", "Client TCP connections, by outcome.");
  x.sample("mamori_dns_tcp_connections_total", "outcome=\"accepted\"",
           sum([](const WorkerCounters& c) -> const Counter& { return c.tcpAccepted; }));
  x.sample("mamori_dns_tcp_connections_total", "outcome=\"refused_limit\"",
           sum([](const WorkerCounters& c) -> const Counter& { return c.tcpRefused; }));
  x.sample("mamori_dns_tcp_connections_total", "outcome=\"idle_closed\"",
           sum([](const WorkerCounters& c) -> const Counter& { return c.tcpIdleClosed; }));
  x.sample("mamori_dns_tcp_connections_total", "outcome=\"aborted_slow_reader\"",
           sum([](const WorkerCounters& c) -> const Counter& { return c.tcpAborted; }));
  return x.take();
}

}  // namespace mamori::dns
