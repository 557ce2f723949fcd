// Policy: what the protective resolver does with a query name or an answer address, built from
// Response Policy Zones (draft-vixie-dnsop-dns-rpz), plain domain lists and allowlists.
//
// Sources are named and ordered. A query name is decided by, in this order:
//   1. any allowlist entry (exact or wildcard) -> kAllow: allowlists win over everything;
//   2. the first source, in the order given, with a match (RPZ's "first zone wins");
//   3. within that source, an exact QNAME trigger before any wildcard, and the wildcard with the
//      longest parent before shorter ones ("*.b.example" before "*.example").
// Response-IP triggers ("32.1.2.0.192.rpz-ip") decide answers the same way: first source, then
// the longest prefix.
//
// A Policy is immutable once built and safe to share between threads; loading builds a new one
// (a bad file is an error naming file:line and the previous policy stays in force). Memory is one
// arena of lowercased wire-form names and one open-addressing table of 8-byte slots holding a
// hash fingerprint and an arena offset (docs/dns.md: about 11 + name length bytes per domain).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/ip_address.h"
#include "mamori/core/result.h"
#include "mamori/dns/name.h"
#include "mamori/dns/writer.h"

namespace mamori::dns {

enum class PolicyAction : uint8_t {
  kNone,       // no trigger matched: resolve normally
  kAllow,      // an allowlist matched: resolve normally, and no later check applies
  kPassthru,   // RPZ "CNAME rpz-passthru.": resolve normally, lower-priority sources skipped
  kNxdomain,   // "CNAME ."
  kNodata,     // "CNAME *."
  kDrop,       // "CNAME rpz-drop.": send nothing
  kTcpOnly,    // "CNAME rpz-tcp-only.": over UDP answer TC=1 so the client retries over TCP
  kLocalData,  // answer from the policy's own records (a sinkhole A/AAAA, TXT, or a CNAME)
};
std::string_view policyActionName(PolicyAction action);  // "nxdomain", "local-data", ...

enum class PolicyFormat : uint8_t {
  kRpz,         // an RPZ zone file (RFC 1035 master file syntax)
  kDomainList,  // one name per line, '#' comments, "*.example.com" for subdomains only
};

// A policy file larger than this is refused (16 GiB: beyond any real list, and the whole text
// is held while the policy is built).
inline constexpr size_t kMaxPolicyFileBytes = size_t{1} << 34;

struct PolicySourceSpec {
  std::string name;  // the list's name in hit records; must be unique
  std::filesystem::path path;
  PolicyFormat format = PolicyFormat::kRpz;
  // Domain lists only: what every entry does (kAllow makes the list an allowlist; kLocalData is
  // not available for lists), whether "example.com" also covers its subdomains, and the TTL of
  // the negative answers the action produces.
  PolicyAction listAction = PolicyAction::kNxdomain;
  bool includeSubdomains = false;
  uint32_t ttl = 300;
};

// An indicator shared through the hub (docs/dns.md, "Policy from the hub indicators"), as a
// trigger: the hub's vocabulary for what a resolver can act on.
struct PolicyIndicator {
  // "domain": the name and every name below it; "ipv4" / "ipv6": an address or a CIDR prefix,
  // a response-IP trigger. Other types (url, sha256, ...) are skipped and counted
  // (PolicySourceInfo::skippedTriggers).
  std::string type;
  std::string value;  // "bad.example" (no wildcard), "192.0.2.1", "198.51.100.0/24"
  // kNxdomain, kNodata, kDrop, kTcpOnly, or kPassthru (resolve, but record the hit).
  PolicyAction action = PolicyAction::kNxdomain;
};

// Checks one indicator as PolicyBuilder::addIndicators() reads it: an error saying what is wrong
// with its value or action; ok for a type it skips. Lets a caller drop a bad indicator alone
// instead of failing the whole source.
Result<void> checkIndicator(const PolicyIndicator& indicator);

// One record of local data, rdata in uncompressed wire form.
struct LocalRecord {
  uint16_t type = 0;  // A, AAAA or TXT
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
};

struct LocalData {
  // A CNAME rewrite: the answer is a CNAME to `cnameTarget`. When `cnameWildcard` is set the
  // policy said "CNAME *.garden.example." and the target is the query name with garden.example.
  // appended (see PolicyMatch::cnameTarget()).
  bool hasCname = false;
  bool cnameWildcard = false;
  uint32_t cnameTtl = 0;
  Name cnameTarget;  // for a wildcard: the part after "*."
  std::vector<LocalRecord> records;
};

enum class TriggerKind : uint8_t { kQname, kWildcard, kResponseIp };

struct PolicyMatch {
  PolicyAction action = PolicyAction::kNone;
  TriggerKind trigger = TriggerKind::kQname;
  uint16_t source = 0;         // index into Policy::sources()
  uint8_t wildcardLabels = 0;  // kWildcard: labels of the parent ("*.example.com" -> 2)
  uint32_t ttl = 0;            // of the policy record (negative answers use it for their SOA)
  const LocalData* localData = nullptr;  // kLocalData only; owned by the Policy
  IpPrefix prefix;                       // kResponseIp: the listed prefix that matched

  bool matched() const { return action != PolicyAction::kNone; }
  // The trigger as text for hit records: "bad.example.", "*.example.", "192.0.2.0/24".
  std::string triggerText(const Name& qname) const;
  // kLocalData with a CNAME: the target to answer with (a wildcard target is expanded against
  // the query name); an error if the expansion is longer than 255 bytes.
  Result<Name> cnameTarget(const Name& qname) const;
};

struct PolicySourceInfo {
  std::string name;
  std::string origin;  // file path, or the label given to addRpzText/addDomainListText
  bool allowlist = false;
  size_t qnameTriggers = 0;
  size_t ipTriggers = 0;
  size_t skippedTriggers = 0;  // rpz-nsdname, rpz-nsip, rpz-client-ip: not implemented
  bool hasSoa = false;
  Name soaOwner;  // the zone's SOA, for negative answers (the zone apex otherwise)
  SoaData soa;
  uint32_t soaTtl = 0;
};

class Policy {
 public:
  Policy();
  ~Policy();
  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;

  // Reads every source (in order) into a new Policy; the first problem is an error naming
  // "file:line: what".
  static Result<Policy> load(const std::vector<PolicySourceSpec>& specs);

  // The decision for a query name (any case). Allocation-free.
  PolicyMatch matchQname(const Name& qname) const;
  // The decision for an address in an answer, among the sources before `sourceLimit` (a query
  // name that matched PASSTHRU in source k stops sources after k: pass k).
  PolicyMatch matchResponseIp(const IpAddress& address, size_t sourceLimit = SIZE_MAX) const;
  bool hasResponseIpTriggers() const;

  std::span<const PolicySourceInfo> sources() const;
  size_t qnameTriggerCount() const;  // exact and wildcard entries, all sources
  size_t ipTriggerCount() const;
  // Heap bytes held (tables, arena, rules, local data, prefix set).
  size_t memoryBytes() const;

 private:
  friend class PolicyBuilder;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds a Policy from sources added in priority order. Each add validates its whole input; on
// an error the builder must be discarded (nothing half-built is ever returned by build()).
class PolicyBuilder {
 public:
  PolicyBuilder();
  ~PolicyBuilder();
  PolicyBuilder(const PolicyBuilder&) = delete;
  PolicyBuilder& operator=(const PolicyBuilder&) = delete;

  Result<void> addSource(const PolicySourceSpec& spec);
  // `spec` with its file's contents already read (`text`): the caller keeps the text, e.g. to
  // rebuild the policy later without reading files that may have changed since.
  Result<void> addSourceText(const PolicySourceSpec& spec, std::string_view text);
  // The same from text in memory (hub indicators, tests); `origin` stands in for the file name
  // in error messages.
  Result<void> addRpzText(std::string_view name, std::string_view text, std::string_view origin);
  Result<void> addDomainListText(std::string_view name, std::string_view text,
                                 std::string_view origin, PolicyAction action,
                                 bool includeSubdomains = false, uint32_t ttl = 300);
  // A source of hub indicators (see PolicyIndicator). A value given twice takes the first
  // blocking action given for it, and kPassthru only when no blocking action is; an indicator
  // that checkIndicator() refuses is an error "origin: indicator N (TYPE 'VALUE'): problem".
  // `ttl` is the TTL of the negative answers the actions produce.
  Result<void> addIndicators(std::string_view name, std::span<const PolicyIndicator> indicators,
                             std::string_view origin, uint32_t ttl = 300);
  Policy build();

 private:
  std::unique_ptr<Policy::Impl> impl_;
};

}  // namespace mamori::dns
