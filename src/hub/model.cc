#include "mamori/hub/model.h"

#include <array>
#include <cstddef>

namespace mamori::hub {
namespace {

// Each table is indexed by the enum value; model_test walks every value and checks the names
// against the documented spellings, so a reordered enum cannot silently rename values.
constexpr std::array<std::string_view, kOrgTypes.size()> kOrgTypeNames = {
    "centre", "ministry", "government-body", "agency", "operator",
    "vendor", "ceptoar",  "commission",      "police"};

constexpr std::array<std::string_view, kSectors.size()> kSectorNames = {
    "information-communications",
    "finance",
    "aviation",
    "airports",
    "railways",
    "electricity",
    "gas",
    "government-administrative",
    "medical",
    "water",
    "logistics",
    "chemicals",
    "credit-cards",
    "petroleum",
    "ports"};

constexpr std::array<std::string_view, kRoles.size()> kRoleNames = {"viewer", "analyst", "admin"};

constexpr std::array<std::string_view, kTlps.size()> kTlpNames = {"CLEAR", "GREEN", "AMBER",
                                                                  "AMBER+STRICT", "RED"};

constexpr std::array<std::string_view, kObjectKinds.size()> kObjectKindNames = {
    "event",           "incident-report", "notification", "indicator",
    "selection-order", "ledger-head",     "audit-ledger", "organisation"};

template <class E, std::size_t N>
std::string_view nameOf(const std::array<std::string_view, N>& names, E value) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view("unknown");
}

template <class E, std::size_t N>
std::optional<E> parseName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view orgTypeName(OrgType type) {
  return nameOf(kOrgTypeNames, type);
}
std::optional<OrgType> parseOrgType(std::string_view name) {
  return parseName<OrgType>(kOrgTypeNames, name);
}

std::string_view sectorName(Sector sector) {
  return nameOf(kSectorNames, sector);
}
std::optional<Sector> parseSector(std::string_view name) {
  return parseName<Sector>(kSectorNames, name);
}

std::string_view roleName(Role role) {
  return nameOf(kRoleNames, role);
}
std::optional<Role> parseRole(std::string_view name) {
  return parseName<Role>(kRoleNames, name);
}

std::string_view tlpName(Tlp tlp) {
  return nameOf(kTlpNames, tlp);
}
std::optional<Tlp> parseTlp(std::string_view name) {
  return parseName<Tlp>(kTlpNames, name);
}

std::string_view objectKindName(ObjectKind kind) {
  return nameOf(kObjectKindNames, kind);
}
std::optional<ObjectKind> parseObjectKind(std::string_view name) {
  return parseName<ObjectKind>(kObjectKindNames, name);
}

}  // namespace mamori::hub
