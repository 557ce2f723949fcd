#include "mamori/hub/incident_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "mamori/core/crypto.h"
#include "mamori/core/ip_address.h"
#include "mamori/core/time.h"
#include "mamori/hub/model.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// The schema. One table drives validation, so the docs, the required-by-stage rules and the
// checks cannot drift apart field by field.

enum class Kind : uint8_t { kObject, kList, kString, kText, kBool, kInt, kNumber, kTime, kEnum };
// Extra syntax a string must have.
enum class Format : uint8_t { kNone, kId, kEmail, kPhone, kUrl, kSha256, kCurrency };
// The first stage at which a field is required (when its parent object is present).
enum class Req : uint8_t { kOptional, kInitial, kInterim, kFinal };
// Cross-field rules run on an object after its fields.
enum class Hook : uint8_t {
  kNone,
  kRoot,
  kReporter,
  kContact,
  kIndicator,
  kPolice,
  kRansomNote,
  kEncryption,
  kRansom,
  kExfiltration,
  kServiceOutage,
};

// Enumerations shared with the rest of the hub come from model.h, so there is one list of names.
enum class Vocabulary : uint8_t { kValues, kSector, kTlp };

struct Field;

struct Node {
  Kind kind = Kind::kString;
  Format format = Format::kNone;
  size_t maxLength = 0;  // strings: bytes; lists: items
  int64_t minInt = 0;
  int64_t maxInt = kMaxCount;
  std::span<const std::string_view> values{};  // enums with Vocabulary::kValues
  Vocabulary vocabulary = Vocabulary::kValues;
  std::span<const Field> fields{};  // objects
  const Node* element = nullptr;    // lists
  size_t minItemsWhenRequired = 0;  // lists
  Hook hook = Hook::kNone;
};

struct Field {
  std::string_view key;
  const Node* node = nullptr;
  Req req = Req::kOptional;
  // Set on the type-specific parts: allowed only when the document's type is this one.
  std::optional<ReportType> part{};
};

constexpr std::array<std::string_view, 5> kTypeNames = {"ransomware", "ddos", "unauthorized-access",
                                                        "data-leak", "service-outage"};
constexpr std::array<std::string_view, 5> kPartKeys = {"ransomware", "ddos", "unauthorized_access",
                                                       "data_leak", "service_outage"};
constexpr std::array<std::string_view, 3> kStageNames = {"initial", "interim", "final"};
constexpr std::array<std::string_view, 5> kImpactLevels = {"none", "minor", "moderate", "severe",
                                                           "critical"};
constexpr std::array<std::string_view, 9> kAccessVectors = {
    "phishing",        "vpn-vulnerability", "rdp",
    "exposed-service", "supply-chain",      "credential-stuffing",
    "insider",         "unknown",           "other"};
constexpr std::array<std::string_view, 10> kSystemKinds = {
    "server",  "workstation", "network-device", "ot-ics",   "cloud-service",
    "storage", "database",    "mobile",         "identity", "other"};
constexpr std::array<std::string_view, 3> kEncryptionScopes = {"none", "partial", "full"};
constexpr std::array<std::string_view, 5> kBackupStatuses = {"intact", "partially-affected",
                                                             "encrypted", "none", "unknown"};
constexpr std::array<std::string_view, 14> kDdosVectors = {
    "udp-flood",          "syn-flood",
    "ack-flood",          "icmp-flood",
    "gre-flood",          "dns-amplification",
    "ntp-amplification",  "memcached-amplification",
    "ssdp-amplification", "cldap-amplification",
    "http-flood",         "slow-http",
    "carpet-bombing",     "other"};
constexpr std::array<std::string_view, 11> kDataCategories = {"personal-identifiers",
                                                              "contact-details",
                                                              "credentials",
                                                              "financial",
                                                              "health",
                                                              "government-id",
                                                              "trade-secrets",
                                                              "customer-data",
                                                              "employee-data",
                                                              "technical",
                                                              "other"};
constexpr std::array<std::string_view, 7> kOutageCauses = {
    "cyberattack",    "suspected-cyberattack", "system-failure",
    "operator-error", "third-party",           "unknown",
    "other"};

// Leaves.
constexpr Node kIdNode{.kind = Kind::kString, .format = Format::kId, .maxLength = kMaxIdLength};
constexpr Node kNameNode{.kind = Kind::kString, .maxLength = kMaxNameLength};
constexpr Node kEmailNode{
    .kind = Kind::kString, .format = Format::kEmail, .maxLength = kMaxEmailLength};
constexpr Node kPhoneNode{
    .kind = Kind::kString, .format = Format::kPhone, .maxLength = kMaxPhoneLength};
constexpr Node kUrlNode{.kind = Kind::kString, .format = Format::kUrl, .maxLength = kMaxUrlLength};
constexpr Node kSha256Node{.kind = Kind::kString, .format = Format::kSha256, .maxLength = 64};
constexpr Node kCurrencyNode{.kind = Kind::kString, .format = Format::kCurrency, .maxLength = 5};
constexpr Node kCaseRefNode{.kind = Kind::kString, .maxLength = kMaxCaseReferenceLength};
constexpr Node kShortTextNode{.kind = Kind::kText, .maxLength = kMaxShortTextLength};
constexpr Node kDescriptionNode{.kind = Kind::kText, .maxLength = kMaxDescriptionLength};
constexpr Node kBoolNode{.kind = Kind::kBool};
constexpr Node kCountNode{.kind = Kind::kInt};
constexpr Node kPositiveCountNode{.kind = Kind::kInt, .minInt = 1};
constexpr Node kSensitivityNode{.kind = Kind::kInt, .minInt = kMinLevel, .maxInt = kMaxLevel};
constexpr Node kAmountNode{.kind = Kind::kNumber};
constexpr Node kTimeNode{.kind = Kind::kTime};
constexpr Node kTypeNode{.kind = Kind::kEnum, .values = kTypeNames};
constexpr Node kSectorNode{.kind = Kind::kEnum, .vocabulary = Vocabulary::kSector};
constexpr Node kImpactLevelNode{.kind = Kind::kEnum, .values = kImpactLevels};
constexpr Node kAccessVectorNode{.kind = Kind::kEnum, .values = kAccessVectors};
constexpr Node kIndicatorTypeNode{.kind = Kind::kEnum, .values = kIndicatorTypes};
constexpr Node kTlpNode{.kind = Kind::kEnum, .vocabulary = Vocabulary::kTlp};
constexpr Node kSystemKindNode{.kind = Kind::kEnum, .values = kSystemKinds};
constexpr Node kEncryptionScopeNode{.kind = Kind::kEnum, .values = kEncryptionScopes};
constexpr Node kBackupStatusNode{.kind = Kind::kEnum, .values = kBackupStatuses};
constexpr Node kDdosVectorNode{.kind = Kind::kEnum, .values = kDdosVectors};
constexpr Node kDataCategoryNode{.kind = Kind::kEnum, .values = kDataCategories};
constexpr Node kOutageCauseNode{.kind = Kind::kEnum, .values = kOutageCauses};
constexpr Node kIndicatorValueNode{.kind = Kind::kString, .maxLength = kMaxIndicatorValueLength};

// Core.
constexpr std::array kContactFields = {
    Field{"name", &kNameNode, Req::kInitial},
    Field{"email", &kEmailNode},
    Field{"phone", &kPhoneNode},
};
constexpr Node kReporterContactNode{
    .kind = Kind::kObject, .fields = kContactFields, .hook = Hook::kContact};
constexpr std::array kReporterFields = {
    Field{"organisation", &kIdNode},
    Field{"contact", &kReporterContactNode, Req::kInitial},
};
constexpr Node kReporterNode{
    .kind = Kind::kObject, .fields = kReporterFields, .hook = Hook::kReporter};

constexpr std::array kSystemFields = {
    Field{"name", &kNameNode, Req::kInitial},
    Field{"kind", &kSystemKindNode},
    Field{"count", &kPositiveCountNode},
};
constexpr Node kSystemNode{.kind = Kind::kObject, .fields = kSystemFields};
constexpr Node kSystemsNode{.kind = Kind::kList,
                            .maxLength = kMaxSystems,
                            .element = &kSystemNode,
                            .minItemsWhenRequired = 1};
constexpr Node kServicesNode{.kind = Kind::kList, .maxLength = kMaxServices, .element = &kNameNode};

constexpr std::array kImpactFields = {
    Field{"level", &kImpactLevelNode, Req::kInitial},
    Field{"description", &kShortTextNode, Req::kFinal},
    Field{"service_stopped", &kBoolNode, Req::kFinal},
    Field{"customers_affected", &kCountNode},
};
constexpr Node kImpactNode{.kind = Kind::kObject, .fields = kImpactFields};

constexpr std::array kIndicatorFields = {
    Field{"type", &kIndicatorTypeNode, Req::kInitial},
    Field{"value", &kIndicatorValueNode, Req::kInitial},
    Field{"description", &kShortTextNode},
};
constexpr Node kIndicatorNode{
    .kind = Kind::kObject, .fields = kIndicatorFields, .hook = Hook::kIndicator};
constexpr Node kIndicatorsNode{
    .kind = Kind::kList, .maxLength = kMaxIndicators, .element = &kIndicatorNode};

constexpr std::array kPersonFields = {
    Field{"name", &kNameNode, Req::kInitial},
    Field{"organisation", &kNameNode},
    Field{"role", &kNameNode},
    Field{"email", &kEmailNode},
    Field{"phone", &kPhoneNode},
};
constexpr Node kPersonNode{.kind = Kind::kObject, .fields = kPersonFields, .hook = Hook::kContact};
constexpr Node kContactsNode{
    .kind = Kind::kList, .maxLength = kMaxContacts, .element = &kPersonNode};

constexpr std::array kPoliceFields = {
    Field{"contacted", &kBoolNode, Req::kInitial},
    Field{"include_in_sharing", &kBoolNode, Req::kInitial},
    Field{"case_reference", &kCaseRefNode},
};
constexpr Node kPoliceNode{.kind = Kind::kObject, .fields = kPoliceFields, .hook = Hook::kPolice};

// Ransomware.
constexpr std::array kRansomNoteFields = {
    Field{"excerpt", &kShortTextNode},
    Field{"sha256", &kSha256Node},
};
constexpr Node kRansomNoteNode{
    .kind = Kind::kObject, .fields = kRansomNoteFields, .hook = Hook::kRansomNote};
constexpr std::array kEncryptionFields = {
    Field{"scope", &kEncryptionScopeNode, Req::kFinal},
    Field{"systems_encrypted", &kCountNode, Req::kFinal},
};
constexpr Node kEncryptionNode{
    .kind = Kind::kObject, .fields = kEncryptionFields, .hook = Hook::kEncryption};
constexpr std::array kExfiltrationFields = {
    Field{"suspected", &kBoolNode, Req::kFinal},
    Field{"confirmed", &kBoolNode, Req::kFinal},
    Field{"leak_site_listed", &kBoolNode, Req::kFinal},
    Field{"leak_site_url", &kUrlNode},
};
constexpr Node kExfiltrationNode{
    .kind = Kind::kObject, .fields = kExfiltrationFields, .hook = Hook::kExfiltration};
constexpr std::array kRansomFields = {
    Field{"demanded", &kBoolNode, Req::kFinal},
    Field{"amount", &kAmountNode},
    Field{"currency", &kCurrencyNode},
    Field{"paid", &kBoolNode, Req::kFinal},
};
constexpr Node kRansomNode{.kind = Kind::kObject, .fields = kRansomFields, .hook = Hook::kRansom};
constexpr std::array kBackupsFields = {
    Field{"status", &kBackupStatusNode, Req::kFinal},
    Field{"restore_started", &kBoolNode, Req::kFinal},
};
constexpr Node kBackupsNode{.kind = Kind::kObject, .fields = kBackupsFields};
constexpr std::array kRansomwareFields = {
    Field{"group", &kNameNode},
    Field{"ransom_note", &kRansomNoteNode},
    Field{"encryption", &kEncryptionNode, Req::kFinal},
    Field{"exfiltration", &kExfiltrationNode, Req::kFinal},
    Field{"ransom", &kRansomNode, Req::kFinal},
    Field{"backups", &kBackupsNode, Req::kFinal},
};
constexpr Node kRansomwareNode{.kind = Kind::kObject, .fields = kRansomwareFields};

// DDoS.
constexpr Node kDdosVectorsNode{.kind = Kind::kList,
                                .maxLength = kMaxEnumList,
                                .element = &kDdosVectorNode,
                                .minItemsWhenRequired = 1};
constexpr std::array kDdosFields = {
    Field{"peak_bps", &kCountNode, Req::kFinal},
    Field{"peak_pps", &kCountNode, Req::kFinal},
    Field{"duration_minutes", &kCountNode, Req::kFinal},
    Field{"vectors", &kDdosVectorsNode, Req::kFinal},
    Field{"mitigation", &kShortTextNode, Req::kFinal},
};
constexpr Node kDdosNode{.kind = Kind::kObject, .fields = kDdosFields};

// Unauthorized access.
constexpr std::array kUnauthorizedAccessFields = {
    Field{"accounts_compromised", &kCountNode, Req::kFinal},
    Field{"privileged", &kBoolNode, Req::kFinal},
    Field{"lateral_movement", &kBoolNode, Req::kFinal},
};
constexpr Node kUnauthorizedAccessNode{.kind = Kind::kObject, .fields = kUnauthorizedAccessFields};

// Data leak.
constexpr Node kDataCategoriesNode{.kind = Kind::kList,
                                   .maxLength = kMaxEnumList,
                                   .element = &kDataCategoryNode,
                                   .minItemsWhenRequired = 1};
constexpr std::array kDataLeakFields = {
    Field{"records_affected", &kCountNode, Req::kFinal},
    Field{"personal_data", &kBoolNode, Req::kFinal},
    Field{"data_categories", &kDataCategoriesNode, Req::kFinal},
};
constexpr Node kDataLeakNode{.kind = Kind::kObject, .fields = kDataLeakFields};

// Service outage.
constexpr std::array kServiceOutageFields = {
    Field{"outage_minutes", &kCountNode, Req::kFinal},
    Field{"cause", &kOutageCauseNode, Req::kFinal},
    Field{"restored", &kBoolNode, Req::kFinal},
    Field{"restored_at", &kTimeNode},
};
constexpr Node kServiceOutageNode{
    .kind = Kind::kObject, .fields = kServiceOutageFields, .hook = Hook::kServiceOutage};

constexpr std::array kRootFields = {
    Field{"type", &kTypeNode, Req::kInitial},
    Field{"sector", &kSectorNode, Req::kInitial},
    Field{"reporter", &kReporterNode, Req::kInitial},
    Field{"discovered_at", &kTimeNode, Req::kInitial},
    Field{"occurred_at", &kTimeNode, Req::kInterim},
    Field{"systems_affected", &kSystemsNode, Req::kInterim},
    Field{"services_affected", &kServicesNode, Req::kFinal},
    Field{"impact", &kImpactNode, Req::kInitial},
    Field{"initial_access_vector", &kAccessVectorNode, Req::kInterim},
    Field{"indicators", &kIndicatorsNode, Req::kInterim},
    Field{"contacts", &kContactsNode, Req::kFinal},
    Field{"police", &kPoliceNode, Req::kFinal},
    Field{"tlp", &kTlpNode},
    Field{"sensitivity", &kSensitivityNode},
    Field{"description", &kDescriptionNode, Req::kInitial},
    Field{"ransomware", &kRansomwareNode, Req::kFinal, ReportType::kRansomware},
    Field{"ddos", &kDdosNode, Req::kFinal, ReportType::kDdos},
    Field{"unauthorized_access", &kUnauthorizedAccessNode, Req::kFinal,
          ReportType::kUnauthorizedAccess},
    Field{"data_leak", &kDataLeakNode, Req::kFinal, ReportType::kDataLeak},
    Field{"service_outage", &kServiceOutageNode, Req::kFinal, ReportType::kServiceOutage},
};
constexpr Node kRootNode{.kind = Kind::kObject, .fields = kRootFields, .hook = Hook::kRoot};

// ---------------------------------------------------------------------------------------------
// Syntax helpers.

bool isAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char asciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = asciiLower(c);
  return out;
}

// Strings built in-process (not parsed) may hold invalid UTF-8; nlohmann's dump would throw on
// them, so validation refuses them rather than let a later write fail.
bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1FU;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0FU;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3FU);
    }
    const uint32_t minimum = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

bool hasControl(std::string_view s, bool allowLineBreaks) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (allowLineBreaks && (c == '\n' || c == '\r' || c == '\t')) continue;
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

bool allHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return hexDigitValue(c) >= 0; });
}

// A DNS host name in A-label form: labels of letters, digits, '-' and '_' (seen in malicious
// names), no label starting or ending with '-', at least two labels, a non-numeric TLD.
// `name` is already lower case without a trailing dot.
bool validDomain(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t labels = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      if (!isAsciiAlnum(c) && c != '-' && c != '_') return false;
    }
    ++labels;
    if (dot == std::string_view::npos) {
      // A numeric TLD means an IP address or a typo, never a domain.
      const bool numeric =
          std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
      return labels >= 2 && !numeric;
    }
    start = dot + 1;
  }
}

// Returns the canonical domain (lower case, no trailing dot) or nullopt.
std::optional<std::string> canonicalDomain(std::string_view text) {
  std::string d = lowerAscii(text);
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (!validDomain(d)) return std::nullopt;
  return d;
}

std::optional<std::string> canonicalEmail(std::string_view text) {
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return std::nullopt;
  const std::string_view local = text.substr(0, at);
  for (const char c : local) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '@' || c == '<' || c == '>' || c == ',' || c == ';') {
      return std::nullopt;
    }
  }
  auto domain = canonicalDomain(text.substr(at + 1));
  if (!domain) return std::nullopt;
  return std::string(local) + "@" + *domain;
}

bool validPhone(std::string_view s) {
  size_t digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '+') {
      if (i != 0) return false;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return false;
    }
  }
  return digits >= 4;
}

// scheme://host[...] with a syntactically valid scheme and a non-empty host; no spaces.
bool validUrl(std::string_view s) {
  const size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  const std::string_view scheme = s.substr(0, sep);
  const char first = asciiLower(scheme.front());
  if (first < 'a' || first > 'z') return false;
  for (const char c : scheme) {
    if (!isAsciiAlnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return false;
  }
  const std::string_view rest = s.substr(sep + 3);
  const size_t hostEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, hostEnd);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  return !authority.empty() && authority.front() != ':';
}

bool validId(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAsciiAlnum(c) || c == '_' || c == '-'; });
}

bool validCurrency(std::string_view s) {
  if (s.size() < 3 || s.size() > 5 || s.front() < 'A' || s.front() > 'Z') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

std::string joinValues(std::span<const std::string_view> values) {
  std::string out;
  for (const auto v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

template <class Enum, size_t N>
std::string joinNames(const std::array<Enum, N>& all, std::string_view (*name)(Enum)) {
  std::string out;
  for (const auto e : all) {
    if (!out.empty()) out += ", ";
    out += name(e);
  }
  return out;
}

int64_t saturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  if (b < 0 && a < std::numeric_limits<int64_t>::min() - b) {
    return std::numeric_limits<int64_t>::min();
  }
  return a + b;
}

// The path segment for a key: ".key" for plain identifiers, ["..."] (JSON-quoted, truncated) for
// anything else, so a hostile key can neither forge a path nor bloat the error list.
std::string keySegment(std::string_view key, bool atRoot) {
  constexpr size_t kMaxKeyShown = 64;
  const bool plain = !key.empty() && key.size() <= kMaxKeyShown && validId(key);
  if (plain) return atRoot ? std::string(key) : "." + std::string(key);
  std::string shown(key.substr(0, std::min(key.size(), kMaxKeyShown)));
  if (shown.size() < key.size()) {
    while (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xC0U) == 0x80U) {
      shown.pop_back();
    }
    if (!shown.empty() && static_cast<unsigned char>(shown.back()) >= 0xC0U) shown.pop_back();
    shown += "...";
  }
  return "[" + Json(shown).dump(-1, ' ', false, Json::error_handler_t::replace) + "]";
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (asciiLower(a[i - 1]) == asciiLower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The known key an unknown one was probably meant to be: same letters ignoring case and
// separators (discoveredAt → discovered_at), or within two edits.
std::optional<std::string_view> suggestKey(std::string_view key, std::span<const Field> fields) {
  if (key.size() > 64) return std::nullopt;
  auto squash = [](std::string_view s) {
    std::string out;
    for (const char c : s) {
      if (c != '_' && c != '-') out += asciiLower(c);
    }
    return out;
  };
  const std::string squashed = squash(key);
  std::optional<std::string_view> best;
  size_t bestDistance = key.size() < 5 ? 1 : 2;
  for (const auto& f : fields) {
    if (squash(f.key) == squashed) return f.key;
    const size_t d = editDistance(key, f.key);
    if (d <= bestDistance) {
      best = f.key;
      bestDistance = d;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The validator: walks a document against the schema, collecting every error and building the
// normalized copy from the fields that passed.

class Validator {
 public:
  Validator(bool draft, Stage stage, int64_t now, const ValidationOptions& options)
      : draft_(draft), stage_(stage), now_(now), options_(options) {}

  std::optional<Json> run(const Json& doc) {
    if (doc.is_object()) {
      if (const auto it = doc.find("type"); it != doc.end() && it->is_string()) {
        declaredType_ = parseReportType(it->get_ref<const std::string&>());
      }
    }
    auto out = check(doc, kRootNode);
    if (!errors_.empty()) return std::nullopt;
    return out;
  }

  std::vector<FieldError> takeErrors() { return std::move(errors_); }

 private:
  class PathScope {
   public:
    PathScope(std::string& path, std::string_view segment) : path_(path), length_(path.size()) {
      path_ += segment;
    }
    ~PathScope() { path_.resize(length_); }
    PathScope(const PathScope&) = delete;
    PathScope& operator=(const PathScope&) = delete;

   private:
    std::string& path_;
    size_t length_;
  };

  void error(std::string problem) { errorAt(path_, std::move(problem)); }

  void errorAt(std::string field, std::string problem) {
    if (errors_.size() < kMaxErrors) {
      errors_.push_back({std::move(field), std::move(problem)});
    } else if (!truncated_) {
      truncated_ = true;
      errors_.push_back({"", "more problems were found; only the first " +
                                 std::to_string(kMaxErrors) + " are listed"});
    }
  }

  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  bool required(Req req) const {
    if (draft_ || req == Req::kOptional) return false;
    return static_cast<int>(req) - 1 <= static_cast<int>(stage_);
  }

  std::string requiredProblem() const {
    return "required at the " + std::string(stageName(stage_)) + " stage";
  }

  // Absent, null, or a blank string: all mean "not given" (forms send "" for empty inputs).
  static bool given(const Json& v) {
    if (v.is_null()) return false;
    if (v.is_string()) return !blank(v.get_ref<const std::string&>());
    return true;
  }

  static bool givenIn(const Json& obj, std::string_view key) {
    const auto it = obj.find(key);
    return it != obj.end() && given(*it);
  }

  std::optional<Json> check(const Json& v, const Node& node) {
    switch (node.kind) {
      case Kind::kObject:
        return checkObject(v, node);
      case Kind::kList:
        return checkList(v, node);
      case Kind::kString:
      case Kind::kText:
        return checkString(v, node);
      case Kind::kEnum:
        return checkEnum(v, node);
      case Kind::kTime:
        return checkTime(v);
      case Kind::kBool:
        if (!v.is_boolean()) return typeError("boolean", v);
        return v;
      case Kind::kInt:
        return checkInt(v, node);
      case Kind::kNumber:
        return checkNumber(v);
    }
    return std::nullopt;
  }

  std::nullopt_t typeError(std::string_view expected, const Json& v) {
    error("expected " + std::string(expected) + ", got " + std::string(v.type_name()));
    return std::nullopt;
  }

  std::optional<Json> checkObject(const Json& v, const Node& node) {
    if (!v.is_object()) return typeError("object", v);
    for (auto entry = v.begin(); entry != v.end() && !truncated_; ++entry) {
      const std::string& key = entry.key();
      const auto known = std::find_if(node.fields.begin(), node.fields.end(),
                                      [&](const Field& f) { return f.key == key; });
      if (known != node.fields.end()) continue;
      std::string problem = "unknown field";
      if (auto suggestion = suggestKey(key, node.fields)) {
        problem += "; did you mean '" + std::string(*suggestion) + "'?";
      }
      errorAt(memberPath(path_, key), std::move(problem));
    }
    Json out = Json::object();
    const Field* firstPart = nullptr;
    for (const auto& field : node.fields) {
      const auto it = v.find(field.key);
      const bool present = it != v.end() && given(*it);
      PathScope scope(path_, path_.empty() ? std::string(field.key) : "." + std::string(field.key));
      if (field.part) {
        if (present && declaredType_ && *declaredType_ != *field.part) {
          error("not allowed when type is " + std::string(reportTypeName(*declaredType_)) +
                " (only the " + std::string(reportTypePartKey(*declaredType_)) +
                " part may be given)");
          continue;
        }
        if (present && !declaredType_) {
          if (firstPart != nullptr) {
            error("only one type-specific part may be given (" + std::string(firstPart->key) +
                  " is already)");
            continue;
          }
          firstPart = &field;
        }
        if (!present && (!declaredType_ || *declaredType_ != *field.part)) continue;
      }
      if (!present) {
        if (required(field.req)) {
          const bool blankString = it != v.end() && it->is_string();
          error(blankString ? "must not be empty (" + requiredProblem() + ")" : requiredProblem());
        }
        continue;
      }
      auto checked = check(*it, *field.node);
      if (!checked) continue;
      if (field.node->kind == Kind::kList && required(field.req) &&
          checked->size() < field.node->minItemsWhenRequired) {
        error("needs at least " + std::to_string(field.node->minItemsWhenRequired) + " item" +
              (field.node->minItemsWhenRequired == 1 ? "" : "s") + " at the " +
              std::string(stageName(stage_)) + " stage");
        continue;
      }
      out[std::string(field.key)] = std::move(*checked);
    }
    runHook(node.hook, v, out);
    return out;
  }

  std::optional<Json> checkList(const Json& v, const Node& node) {
    if (!v.is_array()) return typeError("array", v);
    if (v.size() > node.maxLength) {
      error("has " + std::to_string(v.size()) + " items; at most " +
            std::to_string(node.maxLength) + " are allowed");
      return std::nullopt;
    }
    Json out = Json::array();
    bool allOk = true;
    for (size_t i = 0; i < v.size(); ++i) {
      PathScope scope(path_, "[" + std::to_string(i) + "]");
      const Json& element = v[i];
      if (!given(element)) {
        error(element.is_null() ? "must not be null" : "must not be empty");
        allOk = false;
        continue;
      }
      auto checked = check(element, *node.element);
      if (!checked) {
        allOk = false;
        continue;
      }
      out.push_back(std::move(*checked));
    }
    if (!allOk) return std::nullopt;
    return out;
  }

  std::optional<Json> checkString(const Json& v, const Node& node) {
    if (!v.is_string()) return typeError("string", v);
    const auto& s = v.get_ref<const std::string&>();
    if (auto problem = textProblem(s, node.maxLength, node.kind == Kind::kText)) {
      error(std::move(*problem));
      return std::nullopt;
    }
    switch (node.format) {
      case Format::kNone:
        return v;
      case Format::kId:
        if (!validId(s)) {
          error("must contain only letters, digits, '_' and '-'");
          return std::nullopt;
        }
        return v;
      case Format::kEmail: {
        auto email = canonicalEmail(s);
        if (!email) {
          error("must be an email address (local@domain.example)");
          return std::nullopt;
        }
        return Json(*email);
      }
      case Format::kPhone:
        if (!validPhone(s)) {
          error("must be a phone number: digits, spaces, '-', '.', '(', ')' and a leading '+'");
          return std::nullopt;
        }
        return v;
      case Format::kUrl:
        if (!validUrl(s)) {
          error("must be a URL (scheme://host/...) without spaces");
          return std::nullopt;
        }
        return v;
      case Format::kSha256:
        if (s.size() != 64 || !allHex(s)) {
          error("must be a SHA-256 digest: 64 hexadecimal digits");
          return std::nullopt;
        }
        return Json(lowerAscii(s));
      case Format::kCurrency:
        if (!validCurrency(s)) {
          error("must be a currency code: 3 to 5 upper-case letters or digits (JPY, USD, BTC)");
          return std::nullopt;
        }
        return v;
    }
    return std::nullopt;
  }

  std::optional<Json> checkEnum(const Json& v, const Node& node) {
    if (!v.is_string()) return typeError("string", v);
    const auto& s = v.get_ref<const std::string&>();
    switch (node.vocabulary) {
      case Vocabulary::kValues:
        if (std::find(node.values.begin(), node.values.end(), s) != node.values.end()) return v;
        error("must be one of " + joinValues(node.values));
        return std::nullopt;
      case Vocabulary::kSector:
        if (parseSector(s)) return v;
        error("must be one of " + joinNames(kSectors, sectorName));
        return std::nullopt;
      case Vocabulary::kTlp:
        if (parseTlp(s)) return v;
        error("must be one of " + joinNames(kTlps, tlpName));
        return std::nullopt;
    }
    return std::nullopt;
  }

  std::optional<Json> checkTime(const Json& v) {
    if (!v.is_string()) return typeError("string (RFC 3339 time)", v);
    const auto& s = v.get_ref<const std::string&>();
    constexpr size_t kMaxTimeLength = 64;
    const auto parsed = s.size() <= kMaxTimeLength && !hasControl(s, false)
                            ? parseRfc3339(s)
                            : Result<int64_t>(makeError("too long"));
    if (!parsed.ok()) {
      error("must be an RFC 3339 time such as 2025-10-01T09:30:00+09:00");
      return std::nullopt;
    }
    if (*parsed < 0) {
      error("must not be before 1970");
      return std::nullopt;
    }
    if (*parsed > saturatingAdd(now_, std::max<int64_t>(options_.clockSkewMicros, 0))) {
      error("is in the future");
      return std::nullopt;
    }
    return Json(formatRfc3339(*parsed));
  }

  std::optional<Json> checkInt(const Json& v, const Node& node) {
    if (!v.is_number_integer()) {
      return typeError("integer", v);
    }
    int64_t n = 0;
    if (v.is_number_unsigned()) {
      const auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(node.maxInt)) {
        error("must be between " + std::to_string(node.minInt) + " and " +
              std::to_string(node.maxInt));
        return std::nullopt;
      }
      n = static_cast<int64_t>(u);
    } else {
      n = v.get<int64_t>();
    }
    if (n < node.minInt || n > node.maxInt) {
      error("must be between " + std::to_string(node.minInt) + " and " +
            std::to_string(node.maxInt));
      return std::nullopt;
    }
    return Json(n);
  }

  std::optional<Json> checkNumber(const Json& v) {
    if (!v.is_number()) return typeError("number", v);
    const double d = v.get<double>();
    constexpr double kMaxAmount = 1e15;
    if (!std::isfinite(d) || d < 0 || d > kMaxAmount) {
      error("must be a number between 0 and 1e15");
      return std::nullopt;
    }
    return v;
  }

  static std::optional<bool> boolIn(const Json& obj, std::string_view key) {
    const auto it = obj.find(key);
    if (it == obj.end() || !it->is_boolean()) return std::nullopt;
    return it->get<bool>();
  }

  static std::optional<int64_t> timeIn(const Json& normalized, std::string_view key) {
    const auto it = normalized.find(key);
    if (it == normalized.end() || !it->is_string()) return std::nullopt;
    const auto t = parseRfc3339(it->get_ref<const std::string&>());
    if (!t.ok()) return std::nullopt;
    return *t;
  }

  // Cross-field rules. `raw` is the input object, `out` its normalized fields that passed.
  void runHook(Hook hook, const Json& raw, Json& out) {
    switch (hook) {
      case Hook::kNone:
        return;
      case Hook::kRoot:
        return rootHook(out);
      case Hook::kReporter:
        return reporterHook(raw, out);
      case Hook::kContact:
        if (!draft_ && !givenIn(raw, "email") && !givenIn(raw, "phone")) {
          errorAt(child("email"), "give an email address or a phone number");
        }
        return;
      case Hook::kIndicator:
        return indicatorHook(out);
      case Hook::kPolice:
        if (boolIn(out, "contacted") == false && givenIn(raw, "case_reference")) {
          errorAt(child("case_reference"), "only allowed when contacted is true");
        }
        return;
      case Hook::kRansomNote:
        if (!draft_ && !givenIn(raw, "excerpt") && !givenIn(raw, "sha256")) {
          error("give an excerpt or the sha256 of the note file (or leave ransom_note out)");
        }
        return;
      case Hook::kEncryption: {
        const auto scope = out.find("scope");
        const auto count = out.find("systems_encrypted");
        if (scope != out.end() && *scope == "none" && count != out.end() && *count != 0) {
          errorAt(child("systems_encrypted"), "must be 0 when scope is none");
        }
        return;
      }
      case Hook::kRansom:
        return ransomHook(raw, out);
      case Hook::kExfiltration:
        if (boolIn(out, "leak_site_listed") == false && givenIn(raw, "leak_site_url")) {
          errorAt(child("leak_site_url"), "only allowed when leak_site_listed is true");
        }
        return;
      case Hook::kServiceOutage:
        if (boolIn(out, "restored") == false && givenIn(raw, "restored_at")) {
          errorAt(child("restored_at"), "only allowed when restored is true");
        }
        return;
    }
  }

  void rootHook(Json& out) {
    const auto discovered = timeIn(out, "discovered_at");
    const auto occurred = timeIn(out, "occurred_at");
    if (discovered && occurred && *occurred > *discovered) {
      errorAt("occurred_at", "must not be after discovered_at");
    }
    if (declaredType_ == ReportType::kServiceOutage) {
      if (const auto part = out.find("service_outage"); part != out.end()) {
        const auto restoredAt = timeIn(*part, "restored_at");
        if (restoredAt && occurred && *restoredAt < *occurred) {
          errorAt("service_outage.restored_at", "must not be before occurred_at");
        }
      }
      const auto services = out.find("services_affected");
      if (required(Req::kFinal) && services != out.end() && services->empty()) {
        errorAt("services_affected", "must name the services that stopped (service-outage report)");
      }
    }
    if (!draft_) {
      if (!out.contains("tlp")) out["tlp"] = std::string(tlpName(kDefaultTlp));
      if (!out.contains("sensitivity")) out["sensitivity"] = kDefaultSensitivity;
    }
  }

  void reporterHook(const Json& raw, Json& out) {
    if (options_.organisationId.empty()) return;
    if (givenIn(raw, "organisation")) {
      const auto named = raw.find("organisation");
      // A non-string was already reported by the type check.
      if (named->is_string() && named->get_ref<const std::string&>() != options_.organisationId) {
        errorAt(child("organisation"),
                "must be your own organisation; it is set from your credentials and may be left "
                "out");
        return;
      }
    }
    out["organisation"] = options_.organisationId;
  }

  void indicatorHook(Json& out) {
    const auto type = out.find("type");
    const auto value = out.find("value");
    if (type == out.end() || value == out.end()) return;
    auto canonical = canonicalIndicatorValue(type->get_ref<const std::string&>(),
                                             value->get_ref<const std::string&>());
    if (!canonical) return errorAt(child("value"), canonical.error().message);
    *value = std::move(*canonical);
  }

  void ransomHook(const Json& raw, const Json& out) {
    const auto demanded = boolIn(out, "demanded");
    if (demanded == false) {
      if (boolIn(out, "paid") == true)
        errorAt(child("paid"), "cannot be true when demanded is false");
      for (const std::string_view key : {"amount", "currency"}) {
        if (givenIn(raw, key)) errorAt(child(key), "only allowed when demanded is true");
      }
    }
    if (demanded == true && required(Req::kFinal)) {
      for (const std::string_view key : {"amount", "currency"}) {
        if (!givenIn(raw, key)) {
          errorAt(child(key), requiredProblem() + " when demanded is true");
        }
      }
    }
  }

  bool draft_;
  Stage stage_;
  int64_t now_;
  const ValidationOptions& options_;
  std::optional<ReportType> declaredType_;
  std::string path_;
  std::vector<FieldError> errors_;
  bool truncated_ = false;
};

std::string stringIn(const Json& obj, std::string_view key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ValidatedReport summarize(Json doc, Stage stage) {
  ValidatedReport r;
  r.type = parseReportType(stringIn(doc, "type")).value_or(ReportType::kRansomware);
  r.stage = stage;
  r.sector = parseSector(stringIn(doc, "sector")).value_or(Sector::kInformationCommunications);
  if (auto t = parseRfc3339(stringIn(doc, "discovered_at")); t.ok()) r.discoveredAt = *t;
  if (doc.contains("occurred_at")) {
    if (auto t = parseRfc3339(stringIn(doc, "occurred_at")); t.ok()) r.occurredAt = *t;
  }
  if (const auto impact = doc.find("impact"); impact != doc.end()) {
    r.impactLevel = stringIn(*impact, "level");
  }
  r.tlp = parseTlp(stringIn(doc, "tlp")).value_or(Tlp::kAmber);
  if (const auto s = doc.find("sensitivity"); s != doc.end() && s->is_number_integer()) {
    r.sensitivity = s->get<int>();
  }
  if (const auto police = doc.find("police"); police != doc.end()) {
    const auto contacted = police->find("contacted");
    r.policeContacted =
        contacted != police->end() && contacted->is_boolean() && contacted->get<bool>();
    const auto include = police->find("include_in_sharing");
    r.includePoliceInSharing =
        include != police->end() && include->is_boolean() && include->get<bool>();
  }
  r.document = std::move(doc);
  return r;
}

template <class T>
std::vector<FieldError> internalError(const T& e) {
  return {FieldError{"", std::string("could not be validated: ") + e.what()}};
}

}  // namespace

std::string_view reportTypeName(ReportType type) {
  return kTypeNames[static_cast<size_t>(type)];
}

std::string_view reportTypePartKey(ReportType type) {
  return kPartKeys[static_cast<size_t>(type)];
}

std::optional<ReportType> parseReportType(std::string_view name) {
  for (const auto t : kReportTypes) {
    if (reportTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view stageName(Stage stage) {
  return kStageNames[static_cast<size_t>(stage)];
}

std::optional<Stage> parseStage(std::string_view name) {
  for (const auto s : kStages) {
    if (stageName(s) == name) return s;
  }
  return std::nullopt;
}

Json fieldErrorsJson(const std::vector<FieldError>& errors) {
  Json out = Json::array();
  for (const auto& e : errors) out.push_back({{"field", e.field}, {"problem", e.problem}});
  return out;
}

std::string memberPath(std::string_view parent, std::string_view key) {
  return std::string(parent) + keySegment(key, parent.empty());
}

std::optional<std::string> textProblem(std::string_view s, size_t maxBytes, bool multiline) {
  if (!validUtf8(s)) return "is not valid UTF-8";
  if (s.size() > maxBytes) {
    return "is " + std::to_string(s.size()) + " bytes; at most " + std::to_string(maxBytes) +
           " are allowed";
  }
  if (hasControl(s, multiline)) {
    return multiline ? "must not contain control characters other than line breaks and tabs"
                     : "must not contain control characters or line breaks";
  }
  return std::nullopt;
}

Result<std::string> canonicalIndicatorValue(std::string_view type, std::string_view value,
                                            bool allowPrefix) {
  if (value.empty()) return Error{"must not be empty"};
  if (auto problem = textProblem(value, kMaxIndicatorValueLength, false)) return Error{*problem};
  if (type == "ipv4" || type == "ipv6") {
    const bool v4 = type == "ipv4";
    const Error wrong{
        allowPrefix ? (v4 ? "must be an IPv4 address or prefix (198.51.100.0/24, "
                            "host bits zero)"
                          : "must be an IPv6 address or prefix (2001:db8::/32, host "
                            "bits zero)")
                    : (v4 ? "must be an IPv4 address (dotted quad)" : "must be an IPv6 address")};
    if (allowPrefix && value.find('/') != std::string_view::npos) {
      const auto prefix = IpPrefix::parse(value);
      if (!prefix.ok() || prefix->address.isV4() != v4) return wrong;
      // A full-length prefix is the address itself: one spelling per indicator.
      if (prefix->length == (v4 ? 32 : 128)) return prefix->address.toString();
      return prefix->toString();
    }
    const auto ip = IpAddress::parse(value);
    if (!ip.ok() || ip->isV4() != v4) return wrong;
    return ip->toString();
  }
  if (type == "domain") {
    auto d = canonicalDomain(value);
    if (!d) {
      return Error{
          "must be a domain name: dot-separated labels of letters, digits, '-' or '_' "
          "(internationalized names in xn-- form)"};
    }
    return std::move(*d);
  }
  if (type == "url") {
    if (!validUrl(value)) return Error{"must be a URL (scheme://host/...) without spaces"};
    return std::string(value);
  }
  if (type == "sha256" || type == "md5") {
    const size_t digits = type == "sha256" ? 64 : 32;
    if (value.size() != digits || !allHex(value)) {
      return Error{"must be " + std::to_string(digits) + " hexadecimal digits"};
    }
    return lowerAscii(value);
  }
  if (type == "email") {
    auto e = canonicalEmail(value);
    if (!e) return Error{"must be an email address (local@domain.example)"};
    return std::move(*e);
  }
  if (type == "filename") {
    constexpr size_t kMaxFilename = 255;
    if (value.size() > kMaxFilename) return Error{"must be at most 255 bytes"};
    return std::string(value);
  }
  return Error{"unknown indicator type '" + std::string(type) + "'"};
}

Validation<ValidatedReport> validateSubmission(const Json& doc, Stage stage, int64_t nowMicros,
                                               const ValidationOptions& options) {
  try {
    Validator v(false, stage, nowMicros, options);
    auto out = v.run(doc);
    if (!out) return v.takeErrors();
    return summarize(std::move(*out), stage);
  } catch (const Json::exception& e) {  // defensive: the walker checks types before every access
    return internalError(e);
  }
}

Validation<Json> validateDraft(const Json& doc, int64_t nowMicros,
                               const ValidationOptions& options) {
  try {
    Validator v(true, Stage::kInitial, nowMicros, options);
    auto out = v.run(doc);
    if (!out) return v.takeErrors();
    return std::move(*out);
  } catch (const Json::exception& e) {
    return internalError(e);
  }
}

int64_t ReportDeadlines::forStage(Stage stage) const {
  switch (stage) {
    case Stage::kInitial:
      return initialMicros;
    case Stage::kInterim:
      return interimMicros;
    case Stage::kFinal:
      return finalMicros;
  }
  return finalMicros;
}

Result<void> validateDeadlines(const ReportDeadlines& d) {
  if (d.initialMicros <= 0 || d.interimMicros <= 0 || d.finalMicros <= 0) {
    return makeError("report deadlines must be positive");
  }
  if (d.initialMicros > d.interimMicros || d.interimMicros > d.finalMicros) {
    return makeError("report deadlines must not decrease: initial <= interim <= final");
  }
  return {};
}

StageStatus stageStatus(int64_t discoveredAt, const SubmittedStages& submitted,
                        const ReportDeadlines& deadlines, int64_t nowMicros) {
  StageStatus status;
  for (const auto stage : kStages) {
    StageDeadline& d = status.stages[static_cast<size_t>(stage)];
    d.stage = stage;
    d.dueAt = saturatingAdd(discoveredAt, deadlines.forStage(stage));
    // The earliest submission of this stage or a later one (map order is stage order, so on a
    // tie the stage's own submission wins).
    for (const auto& [s, at] : submitted) {
      if (s < stage) continue;
      if (!d.submittedAt || at < *d.submittedAt) {
        d.submittedAt = at;
        d.satisfiedBy = s;
      }
    }
    if (d.submittedAt) {
      d.overdue = *d.submittedAt > d.dueAt;
    } else {
      d.overdue = nowMicros > d.dueAt;
      if (!status.nextDue) status.nextDue = stage;
      if (d.overdue) status.overdueNow = true;
    }
  }
  return status;
}

Json stageStatusJson(const StageStatus& status) {
  Json stages = Json::array();
  for (const auto& d : status.stages) {
    stages.push_back({
        {"stage", stageName(d.stage)},
        {"due_at", formatRfc3339(d.dueAt)},
        {"submitted_at", d.submittedAt ? Json(formatRfc3339(*d.submittedAt)) : Json(nullptr)},
        {"satisfied_by", d.satisfiedBy ? Json(stageName(*d.satisfiedBy)) : Json(nullptr)},
        {"overdue", d.overdue},
    });
  }
  return {
      {"next_due", status.nextDue ? Json(stageName(*status.nextDue)) : Json(nullptr)},
      {"overdue_now", status.overdueNow},
      {"stages", std::move(stages)},
  };
}

}  // namespace mamori::hub
