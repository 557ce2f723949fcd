#include "mamori/dns/hits.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "mamori/core/crypto.h"
#include "mamori/core/json_writer.h"
#include "mamori/core/time.h"
#include "resolver.h"

namespace mamori::dns {

namespace {

std::string_view triggerKindName(TriggerKind kind) {
  switch (kind) {
    case TriggerKind::kQname:
      return "qname";
    case TriggerKind::kWildcard:
      return "wildcard";
    case TriggerKind::kResponseIp:
      return "response-ip";
  }
  return "unknown";
}

Result<std::FILE*> openAppend(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return makeError(path.string() + ": " +
                     std::error_code(errno, std::generic_category()).message());
  }
  std::FILE* f = ::fdopen(fd, "a");
  if (f == nullptr) {
    ::close(fd);
    return makeError(path.string() + ": cannot open");
  }
  return f;
}

std::string recordId() {
  std::array<uint8_t, 16> bytes{};
  randomBytes(bytes);
  return "dns-" + toHex(bytes);
}

}  // namespace

std::string formatHitRecord(const HitEvent& e, const IpAddress& client, std::string_view id,
                            std::string_view sensor, std::string_view route) {
  const std::string time = formatRfc3339(e.timeMicros);
  const std::string qname = e.qname.lowercased().toText();
  JsonWriter w;
  w.beginObject();
  w.field("id", id);
  if (e.newDomain) {
    w.field("type", "dns-new-domain");
    w.field("time", time);
    w.field("sensor", sensor);
    w.field("client", client.toString());
    w.key("query").beginObject();
    w.field("name", qname)
        .field("type", qtypeText(e.qtype))
        .field("transport", e.tcp ? "tcp" : "udp");
    w.endObject();
    w.endObject();
    return w.take();
  }
  const auto& sources = e.policy->sources();
  const std::string list = e.match.source < sources.size() ? sources[e.match.source].name : "";
  const std::string trigger = e.match.triggerText(e.qname);
  // The hub's event shape (docs/openapi.yaml, Event): category + pattern make it a detect-style
  // event; first_seen orders it; targets route it.
  w.field("type", "dns-policy-hit");
  w.field("category", "dns-policy-hit");
  w.field("pattern", list + ":" + trigger);
  w.field("severity", e.match.action == PolicyAction::kPassthru ? "info" : "medium");
  w.field("first_seen", time);
  w.field("time", time);
  w.field("sensor", sensor);
  w.field("client", client.toString());
  w.key("query").beginObject();
  w.field("name", qname)
      .field("type", qtypeText(e.qtype))
      .field("transport", e.tcp ? "tcp" : "udp");
  w.endObject();
  w.field("list", list);
  w.field("trigger", trigger);
  w.field("trigger_kind", triggerKindName(e.match.trigger));
  w.field("action", policyActionName(e.match.action));
  w.key("targets").beginArray();
  if (!route.empty()) w.value(route);
  w.endArray();
  w.endObject();
  return w.take();
}

HitLog::HitLog(HitLogOptions options, Pseudonymizer pseudonymizer)
    : options_(std::move(options)),
      pseudonymizer_(std::move(pseudonymizer)),
      routes_(options_.routes) {}

HitLog::~HitLog() {
  if (hits_ != nullptr) (void)std::fclose(hits_);
  if (newDomains_ != nullptr) (void)std::fclose(newDomains_);
}

Result<std::unique_ptr<HitLog>> HitLog::open(HitLogOptions options, Pseudonymizer pseudonymizer) {
  std::unique_ptr<HitLog> log(new HitLog(std::move(options), std::move(pseudonymizer)));
  if (!log->options_.hitsFile.empty()) {
    auto f = openAppend(log->options_.hitsFile);
    if (!f.ok()) return f.error();
    log->hits_ = *f;
  }
  if (!log->options_.newDomainsFile.empty()) {
    auto f = openAppend(log->options_.newDomainsFile);
    if (!f.ok()) return f.error();
    log->newDomains_ = *f;
  }
  return log;
}

ClientRouteTable::ClientRouteTable() = default;

ClientRouteTable::ClientRouteTable(const std::vector<ClientRoute>& routes) {
  // PrefixSet::lookup lists the tags of every covering prefix in ascending order: numbering the
  // routes longest prefix first makes the first tag the longest match (stable: of two equal
  // prefixes, the first given).
  std::vector<size_t> order(routes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return routes[a].prefix.length > routes[b].prefix.length;
  });
  PrefixSetBuilder builder;
  keys_.reserve(routes.size());
  for (const size_t i : order) {
    builder.add(routes[i].prefix, static_cast<uint32_t>(keys_.size()));
    keys_.push_back(routes[i].key);
  }
  prefixes_ = builder.build();
}

std::string_view ClientRouteTable::lookup(const IpAddress& client) const {
  if (keys_.empty()) return {};
  const auto tags = prefixes_.lookup(client);
  return tags.empty() ? std::string_view() : std::string_view(keys_[tags.front()]);
}

void HitLog::setFallbackRoutes(std::shared_ptr<const ClientRouteTable> routes) {
  fallback_.store(std::move(routes));
}

void HitLog::consume(std::span<const HitEvent> events) {
  const std::shared_ptr<const ClientRouteTable> fallback = fallback_.load();
  for (const HitEvent& e : events) {
    const IpAddress pseudonym = pseudonymizer_.pseudonymize(e.client);
    std::string_view route = routes_.lookup(e.client);
    if (route.empty() && fallback != nullptr) route = fallback->lookup(e.client);
    const std::string line = formatHitRecord(e, pseudonym, recordId(), options_.sensor, route);
    std::FILE* f = e.newDomain ? newDomains_ : hits_;
    if (f != nullptr) {
      if (std::fwrite(line.data(), 1, line.size(), f) != line.size() ||
          std::fputc('\n', f) == EOF) {
        ++writeErrors_;
      }
    }
    if (e.newDomain) {
      ++newDomainsWritten_;
    } else {
      ++hitsWritten_;
      if (options_.forward) options_.forward(line);
    }
  }
  // One flush per batch: a crash loses at most the last 100 ms of records.
  if (hits_ != nullptr && std::fflush(hits_) != 0) ++writeErrors_;
  if (newDomains_ != nullptr && std::fflush(newDomains_) != 0) ++writeErrors_;
}

}  // namespace mamori::dns
