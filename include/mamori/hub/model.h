// The hub's shared vocabulary: organisation types, sectors, roles, TLP labels and object kinds,
// with the exact names used in the API, the database and the audit ledger.
//
// Names are case-sensitive and exact: parse functions accept only the names listed here (no
// trimming, no case folding, no "TLP:" prefix), so a value read back from storage or a request
// either names one enum value or is rejected. Every enum has a k<Enum>s array listing all values
// in declaration order, for exhaustive tests and for listing choices in the console.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mamori::hub {

enum class OrgType : uint8_t {
  kCentre,          // the monitoring centre: the single reporting point
  kMinistry,        // a sector ministry; oversees organisations
  kGovernmentBody,  // a government body (府省庁 other than sector ministries)
  kAgency,          // an independent administrative agency
  kOperator,        // a critical-infrastructure operator (has a sector)
  kVendor,          // a product vendor
  kCeptoar,         // a sector's information-sharing function
  kCommission,      // the oversight commission
  kPolice,          // a police organisation
};
inline constexpr std::array<OrgType, 9> kOrgTypes = {
    OrgType::kCentre,  OrgType::kMinistry,   OrgType::kGovernmentBody,
    OrgType::kAgency,  OrgType::kOperator,   OrgType::kVendor,
    OrgType::kCeptoar, OrgType::kCommission, OrgType::kPolice};

// "centre", "ministry", "government-body", "agency", "operator", "vendor", "ceptoar",
// "commission", "police".
std::string_view orgTypeName(OrgType type);
std::optional<OrgType> parseOrgType(std::string_view name);

// The 15 critical-infrastructure sectors (operators only).
enum class Sector : uint8_t {
  kInformationCommunications,
  kFinance,
  kAviation,
  kAirports,
  kRailways,
  kElectricity,
  kGas,
  kGovernmentAdministrative,
  kMedical,
  kWater,
  kLogistics,
  kChemicals,
  kCreditCards,
  kPetroleum,
  kPorts,
};
inline constexpr std::array<Sector, 15> kSectors = {Sector::kInformationCommunications,
                                                    Sector::kFinance,
                                                    Sector::kAviation,
                                                    Sector::kAirports,
                                                    Sector::kRailways,
                                                    Sector::kElectricity,
                                                    Sector::kGas,
                                                    Sector::kGovernmentAdministrative,
                                                    Sector::kMedical,
                                                    Sector::kWater,
                                                    Sector::kLogistics,
                                                    Sector::kChemicals,
                                                    Sector::kCreditCards,
                                                    Sector::kPetroleum,
                                                    Sector::kPorts};

// "information-communications", "finance", "aviation", "airports", "railways", "electricity",
// "gas", "government-administrative", "medical", "water", "logistics", "chemicals",
// "credit-cards", "petroleum", "ports".
std::string_view sectorName(Sector sector);
std::optional<Sector> parseSector(std::string_view name);

// Ordered: viewer < analyst < admin (each role can do what the lower ones can).
enum class Role : uint8_t { kViewer, kAnalyst, kAdmin };
inline constexpr std::array<Role, 3> kRoles = {Role::kViewer, Role::kAnalyst, Role::kAdmin};

// "viewer", "analyst", "admin".
std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);

constexpr bool roleAtLeast(Role have, Role need) {
  return static_cast<uint8_t>(have) >= static_cast<uint8_t>(need);
}

// TLP 2.0 labels (FIRST, https://www.first.org/tlp/).
enum class Tlp : uint8_t { kClear, kGreen, kAmber, kAmberStrict, kRed };
inline constexpr std::array<Tlp, 5> kTlps = {Tlp::kClear, Tlp::kGreen, Tlp::kAmber,
                                             Tlp::kAmberStrict, Tlp::kRed};

// "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED" (upper case, without the "TLP:" prefix).
std::string_view tlpName(Tlp tlp);
std::optional<Tlp> parseTlp(std::string_view name);

// What an authorization decision is about. The first four are shared objects (TLP-labelled);
// the next three are oversight objects (commission only); kOrganisation is an organisation's
// record and its users and tokens.
enum class ObjectKind : uint8_t {
  kEvent,           // an event requiring confirmation
  kIncidentReport,  // a unified incident report (all stages, and its drafts)
  kNotification,    // what the target organisation sees when an event is notified
  kIndicator,       // a shared indicator
  kSelectionOrder,  // a selection order a sensor runs under
  kLedgerHead,      // a signed handling-ledger head a sensor sent
  kAuditLedger,     // the hub's own audit ledger
  kOrganisation,    // an organisation record, its users and tokens
};
inline constexpr std::array<ObjectKind, 8> kObjectKinds = {
    ObjectKind::kEvent,       ObjectKind::kIncidentReport, ObjectKind::kNotification,
    ObjectKind::kIndicator,   ObjectKind::kSelectionOrder, ObjectKind::kLedgerHead,
    ObjectKind::kAuditLedger, ObjectKind::kOrganisation};

// "event", "incident-report", "notification", "indicator", "selection-order", "ledger-head",
// "audit-ledger", "organisation".
std::string_view objectKindName(ObjectKind kind);
std::optional<ObjectKind> parseObjectKind(std::string_view name);

// Selection orders, ledger heads and the audit ledger: readable by the commission only.
constexpr bool isOversightKind(ObjectKind kind) {
  return kind == ObjectKind::kSelectionOrder || kind == ObjectKind::kLedgerHead ||
         kind == ObjectKind::kAuditLedger;
}
// Events, incident reports, notifications, indicators: TLP-labelled, shared by the rules in
// docs/sharing.md.
constexpr bool isSharedKind(ObjectKind kind) {
  return kind == ObjectKind::kEvent || kind == ObjectKind::kIncidentReport ||
         kind == ObjectKind::kNotification || kind == ObjectKind::kIndicator;
}

// A user's clearance and an object's sensitivity share one scale: 0 (none) .. 3 (highest).
inline constexpr int kMinLevel = 0;
inline constexpr int kMaxLevel = 3;
constexpr bool isValidLevel(int level) {
  return level >= kMinLevel && level <= kMaxLevel;
}

}  // namespace mamori::hub
