#include "mamori/dns/policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "mamori/core/prefix_set.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/siphash.h"
#include "name_table.h"
#include "zone_file.h"

namespace mamori::dns {

namespace {

// Payload of a NameTable entry: the rule index and which kinds of trigger the entry is.
constexpr uint32_t kExact = 1;     // the name itself
constexpr uint32_t kWildcard = 2;  // names below it ("*.name")
constexpr uint32_t kKindBits = 2;
constexpr uint32_t kMaxRules = (1u << (32 - kKindBits)) - 1;
constexpr uint32_t kNoLocalData = 0xFFFFFFFF;
constexpr size_t kMaxSources = 0xFFFF;

// Labels counts are tracked in 64 bits; deeper names share the last bit.
constexpr uint64_t depthBit(size_t labels) {
  return uint64_t{1} << std::min<size_t>(labels, 63);
}

struct Rule {
  uint32_t ttl = 0;
  uint32_t localData = kNoLocalData;
  uint16_t source = 0;
  PolicyAction action = PolicyAction::kNone;
  bool allowlist = false;
};

struct IpRule {
  IpPrefix prefix;
  uint32_t rule = 0;
};

// The lowercased wire form without its root byte: the NameTable key.
std::span<const uint8_t> tableKey(const Name& lower) {
  const auto w = lower.wire();
  return w.first(w.size() - 1);
}

bool labelIs(std::span<const uint8_t> label, std::string_view text) {
  if (label.size() != text.size()) return false;
  for (size_t i = 0; i < label.size(); ++i) {
    if (lowerAscii(label[i]) != static_cast<uint8_t>(text[i])) return false;
  }
  return true;
}

std::string labelText(std::span<const uint8_t> label) {
  return std::string(
      reinterpret_cast<const char*>(label.data()),
      label.size());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes as text
}

// The labels of `name`, first to last (no root).
size_t splitLabels(const Name& name, std::span<const uint8_t> (&out)[kMaxLabels]) {
  const auto w = name.wire();
  size_t count = 0;
  for (size_t pos = 0; w[pos] != 0; pos += 1 + w[pos]) out[count++] = w.subspan(pos + 1, w[pos]);
  return count;
}

// "32.1.2.0.192" (reversed labels under rpz-ip) -> 192.0.2.1/32; IPv6 uses 'zz' for "::".
Result<IpPrefix> parseRpzIp(std::span<const std::span<const uint8_t>> labels) {
  if (labels.size() < 2) return makeError("rpz-ip trigger needs a prefix length and an address");
  unsigned length = 0;
  const std::string lengthText = labelText(labels[0]);
  const auto [end, ec] =
      std::from_chars(lengthText.data(), lengthText.data() + lengthText.size(), length);
  if (ec != std::errc() || end != lengthText.data() + lengthText.size()) {
    return makeError("rpz-ip trigger: bad prefix length '" + lengthText + "'");
  }
  std::string text;
  // Four all-decimal labels make an IPv4 address; anything else is IPv6 ("zz" or 8 words).
  bool v4 = labels.size() == 5;
  for (size_t i = 1; v4 && i < labels.size(); ++i) {
    for (const uint8_t c : labels[i]) v4 = v4 && c >= '0' && c <= '9';
  }
  bool sawZz = false;
  for (size_t i = labels.size() - 1; i >= 1; --i) {
    const std::string part = labelText(labels[i]);
    if (v4) {
      if (!text.empty()) text += '.';
      text += part;
    } else if (labelIs(labels[i], "zz")) {
      if (sawZz) return makeError("rpz-ip trigger: 'zz' twice");
      sawZz = true;
      text += "::";
    } else {
      if (!text.empty() && text.back() != ':') text += ':';
      text += part;
    }
  }
  if (!v4 && !sawZz && labels.size() != 9) {
    return makeError("rpz-ip trigger: an IPv4 address needs 4 labels, an IPv6 one 8 or 'zz'");
  }
  const unsigned maxLength = v4 ? 32 : 128;
  if (length == 0 || length > maxLength) {
    return makeError("rpz-ip trigger: prefix length " + lengthText + " out of range");
  }
  auto prefix = IpPrefix::parse(text + "/" + std::to_string(length));
  if (!prefix.ok()) return makeError("rpz-ip trigger: " + prefix.error().message);
  if (v4 != prefix->address.isV4()) return makeError("rpz-ip trigger: bad address '" + text + "'");
  return *prefix;
}

// What an indicator becomes: nothing (a type the policy does not use), a name or a prefix.
struct IndicatorTrigger {
  enum class Kind : uint8_t { kSkip, kName, kPrefix } kind = Kind::kSkip;
  Name name;  // lowercased
  IpPrefix prefix;
};

Result<IndicatorTrigger> parseIndicator(const PolicyIndicator& indicator) {
  IndicatorTrigger out;
  const bool v4 = indicator.type == "ipv4";
  if (indicator.type != "domain" && !v4 && indicator.type != "ipv6") return out;
  switch (indicator.action) {
    case PolicyAction::kNxdomain:
    case PolicyAction::kNodata:
    case PolicyAction::kDrop:
    case PolicyAction::kTcpOnly:
    case PolicyAction::kPassthru:
      break;
    default:
      return makeError(
          "an indicator's action must be nxdomain, nodata, drop, tcp-only or "
          "passthru, not " +
          std::string(policyActionName(indicator.action)));
  }
  const std::string_view value = indicator.value;
  if (indicator.type == "domain") {
    // Plain ASCII host names only (IDNs in their xn-- form): the hub normalizes them, so
    // escapes, "@", other bytes or a wildcard label are not a spelling of some name but a sign
    // of something wrong.
    for (const char c : value) {
      if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
          c == '\\' || c == '@') {
        return makeError("not a plain domain name");
      }
    }
    if (value == "." || value.empty()) return makeError("the root is not a domain indicator");
    if (value == "*" || value.starts_with("*.")) {
      return makeError("no wildcard: a domain indicator covers the names below it already");
    }
    auto name = Name::fromText(value.ends_with('.') ? value : std::string(value) + ".");
    if (!name.ok()) return name.error();
    out.kind = IndicatorTrigger::Kind::kName;
    out.name = name->lowercased();
    return out;
  }
  auto prefix = IpPrefix::parse(value);
  if (!prefix.ok()) return prefix.error();
  if (prefix->address.isV4() != v4) {
    return makeError(v4 ? "not an IPv4 address or prefix" : "not an IPv6 address or prefix");
  }
  out.kind = IndicatorTrigger::Kind::kPrefix;
  out.prefix = *prefix;
  return out;
}

}  // namespace

Result<void> checkIndicator(const PolicyIndicator& indicator) {
  auto parsed = parseIndicator(indicator);
  if (!parsed.ok()) return parsed.error();
  return {};
}

struct Policy::Impl {
  Impl() : names(randomSipKey()) {}

  NameTable names;
  std::vector<Rule> rules;
  std::vector<LocalData> localData;
  std::vector<IpRule>
      ipRules;  // sorted: source, then longest prefix; the PrefixSet tag is the index
  PrefixSet ipSet;
  std::vector<PolicySourceInfo> sources;
  uint64_t exactDepths = 0;     // bit k: an exact trigger with k labels exists
  uint64_t wildcardDepths = 0;  // bit k: a wildcard whose parent has k labels exists

  // Build state, dropped by build().
  std::map<std::tuple<uint16_t, PolicyAction, uint32_t, bool>, uint32_t> sharedRules;
  // (source, family, address bytes, length) -> rule. A key of plain bytes rather than IpPrefix:
  // ordering needs no more than byte order, and the prefix is rebuilt from it in build().
  using IpKey = std::tuple<uint16_t, uint8_t, std::array<uint8_t, 16>, uint8_t>;
  std::map<IpKey, std::pair<IpPrefix, uint32_t>> ipDraft;
  static IpKey ipKey(uint16_t source, const IpPrefix& p) {
    return {source, p.address.family(), p.address.bytes(), p.length};
  }

  Result<uint32_t> addRule(const Rule& r) {
    if (rules.size() >= kMaxRules) return makeError("too many policy rules");
    rules.push_back(r);
    return static_cast<uint32_t>(rules.size() - 1);
  }
  Result<uint32_t> sharedRule(uint16_t source, PolicyAction action, uint32_t ttl, bool allow) {
    const auto key = std::make_tuple(source, action, ttl, allow);
    if (const auto it = sharedRules.find(key); it != sharedRules.end()) return it->second;
    auto id = addRule(Rule{ttl, kNoLocalData, source, action, allow});
    if (id.ok()) sharedRules.emplace(key, *id);
    return id;
  }
  Result<uint16_t> addSource(std::string_view name, std::string_view origin, bool allowlist) {
    if (name.empty()) return makeError(std::string(origin) + ": policy source without a name");
    for (const auto& s : sources) {
      if (s.name == name)
        return makeError("policy source name '" + std::string(name) + "' used twice");
    }
    if (sources.size() >= kMaxSources) return makeError("too many policy sources");
    PolicySourceInfo info;
    info.name = name;
    info.origin = origin;
    info.allowlist = allowlist;
    sources.push_back(std::move(info));
    return static_cast<uint16_t>(sources.size() - 1);
  }

  // The entry of `source` for `lower` with kind `kind`, if any: its rule index.
  std::optional<uint32_t> findEntry(const Name& lower, uint16_t source, uint32_t kind) const {
    const auto key = tableKey(lower);
    std::optional<uint32_t> found;
    names.forEach(key, names.hash(key), [&](uint32_t payload) {
      const uint32_t rule = payload >> kKindBits;
      if ((payload & kind) != 0 && rules[rule].source == source) found = rule;
    });
    return found;
  }

  // Adds (or widens) the entry for `lower` with `kinds`; an entry of the same source and rule
  // gains the kinds instead of a second copy (a list naming a domain twice costs nothing).
  Result<void> addEntry(const Name& lower, uint32_t rule, uint32_t kinds) {
    const auto key = tableKey(lower);
    const uint64_t h = names.hash(key);
    bool merged = false;
    names.update(key, h, [&](uint32_t& payload) {
      if (!merged && (payload >> kKindBits) == rule) {
        payload |= kinds;
        merged = true;
      }
    });
    if ((kinds & kExact) != 0) exactDepths |= depthBit(lower.labelCount());
    if ((kinds & kWildcard) != 0) wildcardDepths |= depthBit(lower.labelCount());
    if (merged) return {};
    return names.insert(key, h, (rule << kKindBits) | kinds);
  }

  Result<void> loadRpz(uint16_t source, std::string_view text, std::string_view origin);
  Result<void> loadDomainList(uint16_t source, std::string_view text, std::string_view origin,
                              uint32_t rule, bool includeSubdomains);
};

Result<void> Policy::Impl::loadDomainList(uint16_t source, std::string_view text,
                                          std::string_view origin, uint32_t rule,
                                          bool includeSubdomains) {
  size_t lineNumber = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNumber;
    const auto fail = [&](const std::string& what) -> Result<void> {
      return makeError(std::string(origin) + ":" + std::to_string(lineNumber) + ": " + what);
    };
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    if (line.find_first_of(" \t") != std::string_view::npos) {
      return fail("more than one name on the line ('" + std::string(line.substr(0, 100)) + "')");
    }
    uint32_t kinds = kExact;
    if (line == "*" || line == "*.") {
      line = ".";
      kinds = kWildcard;
    } else if (line.size() > 2 && line[0] == '*' && line[1] == '.') {
      line.remove_prefix(2);
      kinds = kWildcard;
    } else if (includeSubdomains) {
      kinds = kExact | kWildcard;
    }
    if (line[0] == '.' && line.size() > 1)
      return fail("name starts with a dot: '" + std::string(line) + "'");
    auto name = Name::fromText(line);
    if (!name.ok()) return fail(name.error().message);
    auto added = addEntry(name->lowercased(), rule, kinds);
    if (!added.ok()) return fail(added.error().message);
    ++sources[source].qnameTriggers;
  }
  return {};
}

Result<void> Policy::Impl::loadRpz(uint16_t source, std::string_view text,
                                   std::string_view origin) {
  bool haveApex = false;
  Name apex;
  return readZoneFile(text, origin, Name(), [&](const ZoneRecord& rec) -> Result<void> {
    const auto fail = [&](const std::string& what) -> Result<void> {
      return makeError(std::string(origin) + ":" + std::to_string(rec.line) + ": " + what);
    };
    if (!haveApex) {
      apex = rec.type == kTypeSoa ? rec.owner : rec.origin;
      haveApex = true;
    }
    PolicySourceInfo& info = sources[source];
    if (!rec.owner.isSubdomainOf(apex)) {
      return fail("owner " + rec.owner.toText() + " is outside the policy zone " + apex.toText());
    }
    if (rec.owner == apex) {
      if (rec.type == kTypeNs) return {};
      if (rec.type != kTypeSoa) {
        return fail(std::string(rec.typeText) + " record at the zone apex " + apex.toText() +
                    " (triggers are names below it)");
      }
      if (info.hasSoa) return fail("second SOA record");
      if (rec.rdata.size() != 7)
        return fail("SOA needs 7 fields: mname rname serial refresh retry expire minimum");
      auto mname = Name::fromText(rec.rdata[0].text, &rec.origin);
      if (!mname.ok()) return fail("SOA mname: " + mname.error().message);
      auto rname = Name::fromText(rec.rdata[1].text, &rec.origin);
      if (!rname.ok()) return fail("SOA rname: " + rname.error().message);
      uint32_t numbers[5];
      for (size_t k = 0; k < 5; ++k) {
        // The serial is a plain 32-bit number; the timers may use units.
        auto v = parseTtl(rec.rdata[2 + k].text);
        if (!v.ok() && k == 0) {
          unsigned long long serial = 0;
          const auto t = rec.rdata[2].text;
          const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), serial);
          if (ec != std::errc() || p != t.data() + t.size() || serial > 0xFFFFFFFFULL) {
            return fail("SOA serial: bad number '" + std::string(t) + "'");
          }
          numbers[0] = static_cast<uint32_t>(serial);
          continue;
        }
        if (!v.ok()) return fail("SOA: " + v.error().message);
        numbers[k] = *v;
      }
      info.hasSoa = true;
      info.soaOwner = rec.owner;
      info.soaTtl = rec.ttl;
      info.soa =
          SoaData{*mname, *rname, numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]};
      return {};
    }
    if (rec.type == kTypeSoa || rec.type == kTypeNs) {
      return fail(std::string(rec.typeText) + " record below the zone apex (not a policy record)");
    }

    // The trigger: the owner without the apex labels.
    std::span<const uint8_t> labels[kMaxLabels];
    const size_t ownerLabels = splitLabels(rec.owner, labels);
    const size_t triggerLabels = ownerLabels - apex.labelCount();
    const auto last = labels[triggerLabels - 1];  // the label next to the apex
    bool ipTrigger = false;
    IpPrefix prefix;
    if (labelIs(last, "rpz-ip")) {
      auto parsed = parseRpzIp(std::span(labels, triggerLabels - 1));
      if (!parsed.ok()) return fail(parsed.error().message);
      prefix = *parsed;
      ipTrigger = true;
    } else if (labelIs(last, "rpz-nsdname") || labelIs(last, "rpz-nsip") ||
               labelIs(last, "rpz-client-ip")) {
      ++info.skippedTriggers;
      return {};
    }
    Name trigger;  // lowercased, wildcard label removed
    uint32_t kind = kExact;
    size_t firstLabel = 0;
    if (!ipTrigger && labelIs(labels[0], "*")) {
      kind = kWildcard;
      firstLabel = 1;
    }
    for (size_t k = firstLabel; k < triggerLabels && !ipTrigger; ++k) {
      (void)trigger.appendLabel(labels[k]);
    }
    trigger = trigger.lowercased();

    // Existing rule of this source for the same trigger (several records form local data).
    std::optional<uint32_t> existing;
    if (ipTrigger) {
      if (const auto it = ipDraft.find(ipKey(source, prefix)); it != ipDraft.end()) {
        existing = it->second.second;
      }
    } else {
      existing = findEntry(trigger, source, kind);
    }

    if (rec.type == kTypeCname) {
      if (existing)
        return fail(rec.owner.toText() + " has a CNAME and other records (or two CNAMEs)");
      if (rec.rdata.size() != 1) return fail("CNAME takes one name");
      auto target = Name::fromText(rec.rdata[0].text, &rec.origin);
      if (!target.ok()) return fail("CNAME target: " + target.error().message);
      PolicyAction action = PolicyAction::kLocalData;
      const auto targetFirst = target->firstLabel();
      const bool single = target->labelCount() == 1;
      if (target->isRoot()) {
        action = PolicyAction::kNxdomain;
      } else if (single && labelIs(targetFirst, "*")) {
        action = PolicyAction::kNodata;
      } else if ((single && labelIs(targetFirst, "rpz-passthru")) ||
                 (!ipTrigger && kind == kExact && *target == trigger)) {
        action = PolicyAction::kPassthru;  // the older spelling: a CNAME to the name itself
      } else if (single && labelIs(targetFirst, "rpz-drop")) {
        action = PolicyAction::kDrop;
      } else if (single && labelIs(targetFirst, "rpz-tcp-only")) {
        action = PolicyAction::kTcpOnly;
      }
      uint32_t rule = 0;
      if (action == PolicyAction::kLocalData) {
        LocalData data;
        data.hasCname = true;
        data.cnameTtl = rec.ttl;
        if (labelIs(targetFirst, "*")) {
          data.cnameWildcard = true;
          std::span<const uint8_t> targetLabels[kMaxLabels];
          const size_t n = splitLabels(*target, targetLabels);
          for (size_t k = 1; k < n; ++k) (void)data.cnameTarget.appendLabel(targetLabels[k]);
        } else {
          data.cnameTarget = *target;
        }
        localData.push_back(std::move(data));
        auto id = addRule(
            Rule{rec.ttl, static_cast<uint32_t>(localData.size() - 1), source, action, false});
        if (!id.ok()) return fail(id.error().message);
        rule = *id;
      } else {
        auto id = sharedRule(source, action, rec.ttl, false);
        if (!id.ok()) return fail(id.error().message);
        rule = *id;
      }
      if (ipTrigger) {
        ipDraft.emplace(ipKey(source, prefix), std::make_pair(prefix, rule));
        ++info.ipTriggers;
        return {};
      }
      auto added = addEntry(trigger, rule, kind);
      if (!added.ok()) return fail(added.error().message);
      ++info.qnameTriggers;
      return {};
    }

    // Local data records.
    LocalRecord local;
    local.type = rec.type;
    local.ttl = rec.ttl;
    if (rec.type == kTypeA || rec.type == kTypeAaaa) {
      if (rec.rdata.size() != 1) return fail(std::string(rec.typeText) + " takes one address");
      auto address = IpAddress::parse(rec.rdata[0].text);
      if (!address.ok() || address->isV4() != (rec.type == kTypeA)) {
        return fail("bad " + std::string(rec.typeText) + " address '" +
                    std::string(rec.rdata[0].text) + "'");
      }
      const auto& bytes = address->bytes();
      local.rdata.assign(bytes.begin(), bytes.begin() + (address->isV4() ? 4 : 16));
    } else if (rec.type == kTypeTxt) {
      if (rec.rdata.empty()) return fail("TXT needs at least one string");
      for (const ZoneToken& token : rec.rdata) {
        auto s = unescapeCharacterString(token.text);
        if (!s.ok()) return fail("TXT: " + s.error().message);
        local.rdata.push_back(static_cast<uint8_t>(s->size()));
        local.rdata.insert(local.rdata.end(), s->begin(), s->end());
      }
      if (local.rdata.size() > 0xFFFF) return fail("TXT data longer than 65535 bytes");
    } else {
      return fail("record type " + std::string(rec.typeText) +
                  " is not supported in a policy zone (CNAME, A, AAAA and TXT are)");
    }
    if (existing) {
      const Rule& r = rules[*existing];
      if (r.action != PolicyAction::kLocalData || localData[r.localData].hasCname) {
        return fail(rec.owner.toText() + " has a CNAME and other records");
      }
      localData[r.localData].records.push_back(std::move(local));
      return {};
    }
    LocalData data;
    data.records.push_back(std::move(local));
    localData.push_back(std::move(data));
    auto id = addRule(Rule{rec.ttl, static_cast<uint32_t>(localData.size() - 1), source,
                           PolicyAction::kLocalData, false});
    if (!id.ok()) return fail(id.error().message);
    if (ipTrigger) {
      ipDraft.emplace(ipKey(source, prefix), std::make_pair(prefix, *id));
      ++info.ipTriggers;
      return {};
    }
    auto added = addEntry(trigger, *id, kind);
    if (!added.ok()) return fail(added.error().message);
    ++info.qnameTriggers;
    return {};
  });
}

// ---- Policy ----

Policy::Policy() : impl_(std::make_unique<Impl>()) {}
Policy::~Policy() = default;
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;

Result<Policy> Policy::load(const std::vector<PolicySourceSpec>& specs) {
  PolicyBuilder builder;
  for (const auto& spec : specs) {
    auto r = builder.addSource(spec);
    if (!r.ok()) return r.error();
  }
  return builder.build();
}

PolicyMatch Policy::matchQname(const Name& qname) const {
  const Impl& p = *impl_;
  PolicyMatch best;
  if (p.names.size() == 0) return best;
  const Name lower = qname.lowercased();
  const auto wire = lower.wire();
  const size_t labels = lower.labelCount();

  // Candidate keys: the whole name (exact triggers), then each parent (wildcards), longest first.
  // Depth masks skip parents at depths no trigger has; the rest are hashed and their slots
  // prefetched together so the cache misses overlap.
  struct Candidate {
    uint64_t hash;
    uint16_t start;
    uint8_t skip;  // labels dropped from the front
  };
  Candidate candidates[kMaxLabels + 1];
  size_t count = 0;
  size_t pos = 0;
  for (size_t skip = 0; skip <= labels; ++skip) {
    const size_t depth = labels - skip;
    const uint64_t mask = skip == 0 ? p.exactDepths : p.wildcardDepths;
    if ((mask & depthBit(depth)) != 0) {
      const auto key = wire.subspan(pos, wire.size() - 1 - pos);
      const uint64_t h = p.names.hash(key);
      p.names.prefetch(h);
      candidates[count++] = Candidate{h, static_cast<uint16_t>(pos), static_cast<uint8_t>(skip)};
    }
    if (skip < labels) pos += 1 + wire[pos];
  }

  // Rank: allowlists first, then source order, then exact before the longest wildcard.
  uint32_t bestRank[3] = {2, 0xFFFFFFFF, 0xFFFFFFFF};
  uint32_t bestRule = 0;
  uint8_t bestSkip = 0;
  bool found = false;
  for (size_t c = 0; c < count; ++c) {
    const Candidate& cand = candidates[c];
    const auto key = wire.subspan(cand.start, wire.size() - 1 - cand.start);
    const uint32_t wanted = cand.skip == 0 ? kExact : kWildcard;
    p.names.forEach(key, cand.hash, [&](uint32_t payload) {
      if ((payload & wanted) == 0) return;
      const uint32_t ruleIndex = payload >> kKindBits;
      const Rule& rule = p.rules[ruleIndex];
      const uint32_t rank[3] = {rule.allowlist ? 0u : 1u, rule.source, cand.skip};
      if (std::lexicographical_compare(rank, rank + 3, bestRank, bestRank + 3)) {
        std::copy(rank, rank + 3, bestRank);
        bestRule = ruleIndex;
        bestSkip = cand.skip;
        found = true;
      }
    });
  }
  if (!found) return best;
  const Rule& rule = p.rules[bestRule];
  best.action = rule.allowlist ? PolicyAction::kAllow : rule.action;
  best.trigger = bestSkip == 0 ? TriggerKind::kQname : TriggerKind::kWildcard;
  best.source = rule.source;
  best.wildcardLabels = static_cast<uint8_t>(bestSkip == 0 ? 0 : labels - bestSkip);
  best.ttl = rule.ttl;
  if (rule.localData != kNoLocalData) best.localData = &p.localData[rule.localData];
  return best;
}

PolicyMatch Policy::matchResponseIp(const IpAddress& address, size_t sourceLimit) const {
  const Impl& p = *impl_;
  PolicyMatch best;
  if (p.ipRules.empty()) return best;
  const auto tags = p.ipSet.lookup(address);
  if (tags.empty()) return best;
  // Tags are indexes into ipRules, sorted so that the smallest is the winner.
  const IpRule& ip = p.ipRules[tags.front()];
  const Rule& rule = p.rules[ip.rule];
  if (rule.source >= sourceLimit) return best;
  best.action = rule.action;
  best.trigger = TriggerKind::kResponseIp;
  best.source = rule.source;
  best.ttl = rule.ttl;
  best.prefix = ip.prefix;
  if (rule.localData != kNoLocalData) best.localData = &p.localData[rule.localData];
  return best;
}

bool Policy::hasResponseIpTriggers() const {
  return !impl_->ipRules.empty();
}
std::span<const PolicySourceInfo> Policy::sources() const {
  return impl_->sources;
}
size_t Policy::qnameTriggerCount() const {
  return impl_->names.size();
}
size_t Policy::ipTriggerCount() const {
  return impl_->ipRules.size();
}

size_t Policy::memoryBytes() const {
  const Impl& p = *impl_;
  size_t bytes = sizeof(Impl) + p.names.memoryBytes() + p.rules.capacity() * sizeof(Rule) +
                 p.localData.capacity() * sizeof(LocalData) +
                 p.ipRules.capacity() * sizeof(IpRule) + p.ipSet.memoryBytes() +
                 p.sources.capacity() * sizeof(PolicySourceInfo);
  for (const auto& d : p.localData) {
    bytes += d.records.capacity() * sizeof(LocalRecord);
    for (const auto& r : d.records) bytes += r.rdata.capacity();
  }
  return bytes;
}

std::string PolicyMatch::triggerText(const Name& qname) const {
  switch (trigger) {
    case TriggerKind::kQname:
      return qname.lowercased().toText();
    case TriggerKind::kWildcard: {
      Name parent;
      auto suffix = Name::fromWire(qname.suffix(qname.labelCount() - wildcardLabels));
      if (suffix.ok()) parent = suffix->lowercased();
      return parent.isRoot() ? "*." : "*." + parent.toText();
    }
    case TriggerKind::kResponseIp:
      return prefix.toString();
  }
  return {};
}

Result<Name> PolicyMatch::cnameTarget(const Name& qname) const {
  if (localData == nullptr || !localData->hasCname) return makeError("no CNAME in this match");
  if (!localData->cnameWildcard) return localData->cnameTarget;
  Name target = qname;
  if (!target.appendName(localData->cnameTarget)) {
    return makeError("CNAME target longer than 255 bytes once the query name is prepended");
  }
  return target;
}

std::string_view policyActionName(PolicyAction action) {
  switch (action) {
    case PolicyAction::kNone:
      return "none";
    case PolicyAction::kAllow:
      return "allow";
    case PolicyAction::kPassthru:
      return "passthru";
    case PolicyAction::kNxdomain:
      return "nxdomain";
    case PolicyAction::kNodata:
      return "nodata";
    case PolicyAction::kDrop:
      return "drop";
    case PolicyAction::kTcpOnly:
      return "tcp-only";
    case PolicyAction::kLocalData:
      return "local-data";
  }
  return "unknown";
}

// ---- PolicyBuilder ----

PolicyBuilder::PolicyBuilder() : impl_(std::make_unique<Policy::Impl>()) {}
PolicyBuilder::~PolicyBuilder() = default;

Result<void> PolicyBuilder::addSource(const PolicySourceSpec& spec) {
  auto text = readWholeFile(spec.path, kMaxPolicyFileBytes);
  if (!text.ok()) return text.error();
  return addSourceText(spec, *text);
}

Result<void> PolicyBuilder::addSourceText(const PolicySourceSpec& spec, std::string_view text) {
  const std::string origin = spec.path.string();
  if (spec.format == PolicyFormat::kRpz) return addRpzText(spec.name, text, origin);
  return addDomainListText(spec.name, text, origin, spec.listAction, spec.includeSubdomains,
                           spec.ttl);
}

Result<void> PolicyBuilder::addIndicators(std::string_view name,
                                          std::span<const PolicyIndicator> indicators,
                                          std::string_view origin, uint32_t ttl) {
  Policy::Impl& p = *impl_;
  auto source = p.addSource(name, origin, false);
  if (!source.ok()) return source.error();
  PolicySourceInfo& info = p.sources[*source];
  // Two passes so that the outcome does not depend on the order the hub listed things in:
  // blocking actions first (the first one given for a value wins), then kPassthru for values
  // that no blocking indicator names.
  for (const bool passthruPass : {false, true}) {
    for (size_t i = 0; i < indicators.size(); ++i) {
      const PolicyIndicator& indicator = indicators[i];
      if ((indicator.action == PolicyAction::kPassthru) != passthruPass) continue;
      auto trigger = parseIndicator(indicator);
      if (!trigger.ok()) {
        return makeError(std::string(origin) + ": indicator " + std::to_string(i) + " (" +
                         indicator.type + " '" + indicator.value.substr(0, 300) +
                         "'): " + trigger.error().message);
      }
      if (trigger->kind == IndicatorTrigger::Kind::kSkip) {
        ++info.skippedTriggers;
        continue;
      }
      auto rule = p.sharedRule(*source, indicator.action, ttl, false);
      if (!rule.ok()) return rule.error();
      if (trigger->kind == IndicatorTrigger::Kind::kPrefix) {
        if (p.ipDraft
                .emplace(Policy::Impl::ipKey(*source, trigger->prefix),
                         std::make_pair(trigger->prefix, *rule))
                .second) {
          ++info.ipTriggers;
        }
        continue;
      }
      if (p.findEntry(trigger->name, *source, kExact)) continue;  // named before
      auto added = p.addEntry(trigger->name, *rule, kExact | kWildcard);
      if (!added.ok()) return makeError(std::string(origin) + ": " + added.error().message);
      ++info.qnameTriggers;
    }
  }
  return {};
}

Result<void> PolicyBuilder::addRpzText(std::string_view name, std::string_view text,
                                       std::string_view origin) {
  auto source = impl_->addSource(name, origin, false);
  if (!source.ok()) return source.error();
  return impl_->loadRpz(*source, text, origin);
}

Result<void> PolicyBuilder::addDomainListText(std::string_view name, std::string_view text,
                                              std::string_view origin, PolicyAction action,
                                              bool includeSubdomains, uint32_t ttl) {
  if (action == PolicyAction::kNone || action == PolicyAction::kLocalData) {
    return makeError(std::string(origin) + ": a domain list's action must be allow, passthru, " +
                     "nxdomain, nodata, drop or tcp-only");
  }
  const bool allow = action == PolicyAction::kAllow;
  auto source = impl_->addSource(name, origin, allow);
  if (!source.ok()) return source.error();
  auto rule = impl_->sharedRule(*source, allow ? PolicyAction::kPassthru : action, ttl, allow);
  if (!rule.ok()) return rule.error();
  return impl_->loadDomainList(*source, text, origin, *rule, includeSubdomains);
}

Policy PolicyBuilder::build() {
  Policy::Impl& p = *impl_;
  p.names.compact();
  // Order response-IP triggers so that the smallest PrefixSet tag wins: earlier source first,
  // then the longer prefix, then the smaller address (BIND's tie-break).
  std::vector<IpRule> ip;
  ip.reserve(p.ipDraft.size());
  for (const auto& entry : p.ipDraft) ip.push_back(IpRule{entry.second.first, entry.second.second});
  std::sort(ip.begin(), ip.end(), [&](const IpRule& a, const IpRule& b) {
    const auto ka = std::make_tuple(p.rules[a.rule].source, -int{a.prefix.length},
                                    a.prefix.address.family(), a.prefix.address.bytes());
    const auto kb = std::make_tuple(p.rules[b.rule].source, -int{b.prefix.length},
                                    b.prefix.address.family(), b.prefix.address.bytes());
    return ka < kb;
  });
  PrefixSetBuilder prefixes;
  for (size_t i = 0; i < ip.size(); ++i) prefixes.add(ip[i].prefix, static_cast<uint32_t>(i));
  p.ipSet = prefixes.build();
  p.ipRules = std::move(ip);
  p.ipDraft.clear();
  p.sharedRules.clear();
  p.rules.shrink_to_fit();
  p.localData.shrink_to_fit();
  Policy policy;
  policy.impl_ = std::move(impl_);
  impl_ = std::make_unique<Policy::Impl>();
  return policy;
}

}  // namespace mamori::dns
