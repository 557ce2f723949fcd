#include "mamori/hub/model.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::hub {
namespace {

// The spellings from the hub design notes and the issue, written out independently of the
// implementation's tables, in enum order.
TEST(ModelNames, OrgTypesAreTheDocumentedSpellings) {
  const std::vector<std::string_view> expected = {"centre",  "ministry",   "government-body",
                                                  "agency",  "operator",   "vendor",
                                                  "ceptoar", "commission", "police"};
  ASSERT_EQ(kOrgTypes.size(), expected.size());
  for (size_t i = 0; i < kOrgTypes.size(); ++i) {
    EXPECT_EQ(orgTypeName(kOrgTypes[i]), expected[i]);
    EXPECT_EQ(parseOrgType(expected[i]), kOrgTypes[i]);
  }
}

TEST(ModelNames, SectorsAreTheFifteenCriticalInfrastructureSectors) {
  const std::vector<std::string_view> expected = {"information-communications",
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
  ASSERT_EQ(kSectors.size(), 15U);
  ASSERT_EQ(kSectors.size(), expected.size());
  for (size_t i = 0; i < kSectors.size(); ++i) {
    EXPECT_EQ(sectorName(kSectors[i]), expected[i]);
    EXPECT_EQ(parseSector(expected[i]), kSectors[i]);
  }
}

TEST(ModelNames, RolesAreOrderedViewerAnalystAdmin) {
  EXPECT_EQ(roleName(Role::kViewer), "viewer");
  EXPECT_EQ(roleName(Role::kAnalyst), "analyst");
  EXPECT_EQ(roleName(Role::kAdmin), "admin");
  EXPECT_TRUE(roleAtLeast(Role::kAdmin, Role::kAnalyst));
  EXPECT_TRUE(roleAtLeast(Role::kAnalyst, Role::kAnalyst));
  EXPECT_FALSE(roleAtLeast(Role::kViewer, Role::kAnalyst));
  EXPECT_FALSE(roleAtLeast(Role::kAnalyst, Role::kAdmin));
}

TEST(ModelNames, TlpLabelsAreTlp2UpperCase) {
  EXPECT_EQ(tlpName(Tlp::kClear), "CLEAR");
  EXPECT_EQ(tlpName(Tlp::kGreen), "GREEN");
  EXPECT_EQ(tlpName(Tlp::kAmber), "AMBER");
  EXPECT_EQ(tlpName(Tlp::kAmberStrict), "AMBER+STRICT");
  EXPECT_EQ(tlpName(Tlp::kRed), "RED");
}

TEST(ModelNames, ObjectKinds) {
  const std::vector<std::string_view> expected = {"event",        "incident-report", "notification",
                                                  "indicator",    "selection-order", "ledger-head",
                                                  "audit-ledger", "organisation"};
  ASSERT_EQ(kObjectKinds.size(), expected.size());
  for (size_t i = 0; i < kObjectKinds.size(); ++i) {
    EXPECT_EQ(objectKindName(kObjectKinds[i]), expected[i]);
  }
  EXPECT_TRUE(isOversightKind(ObjectKind::kAuditLedger));
  EXPECT_TRUE(isOversightKind(ObjectKind::kLedgerHead));
  EXPECT_TRUE(isOversightKind(ObjectKind::kSelectionOrder));
  EXPECT_FALSE(isOversightKind(ObjectKind::kEvent));
  EXPECT_FALSE(isOversightKind(ObjectKind::kOrganisation));
  EXPECT_FALSE(isSharedKind(ObjectKind::kOrganisation));
  EXPECT_TRUE(isSharedKind(ObjectKind::kIncidentReport));
}

template <class E, size_t N, class NameFn, class ParseFn>
void expectRoundTrip(const std::array<E, N>& all, NameFn name, ParseFn parse) {
  std::set<std::string_view> seen;
  for (E value : all) {
    const std::string_view n = name(value);
    EXPECT_FALSE(n.empty());
    EXPECT_TRUE(seen.insert(n).second) << "duplicate name " << n;
    const auto back = parse(n);
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, value) << n;
  }
}

TEST(ModelRoundTrip, EveryValueParsesBackFromItsName) {
  expectRoundTrip(kOrgTypes, orgTypeName, parseOrgType);
  expectRoundTrip(kSectors, sectorName, parseSector);
  expectRoundTrip(kRoles, roleName, parseRole);
  expectRoundTrip(kTlps, tlpName, parseTlp);
  expectRoundTrip(kObjectKinds, objectKindName, parseObjectKind);
}

TEST(ModelParse, RejectsAnythingButTheExactName) {
  for (std::string_view bad : {"", "Centre", "CENTRE", " centre", "centre ", "center",
                               "government_body", "governmentbody"}) {
    EXPECT_FALSE(parseOrgType(bad).has_value()) << '"' << bad << '"';
  }
  EXPECT_FALSE(parseOrgType(std::string_view("centre\0", 7)).has_value());
  for (std::string_view bad : {"", "amber", "Amber", "TLP:AMBER", "AMBER+strict", "AMBER STRICT",
                               "AMBER-STRICT", "WHITE", "RED "}) {
    EXPECT_FALSE(parseTlp(bad).has_value()) << '"' << bad << '"';
  }
  for (std::string_view bad : {"", "Admin", "administrator", "reader", "owner"}) {
    EXPECT_FALSE(parseRole(bad).has_value()) << '"' << bad << '"';
  }
  for (std::string_view bad : {"", "information_communications", "Finance", "telecom", "port"}) {
    EXPECT_FALSE(parseSector(bad).has_value()) << '"' << bad << '"';
  }
  for (std::string_view bad : {"", "incident_report", "report", "events", "organization"}) {
    EXPECT_FALSE(parseObjectKind(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(ModelNames, OutOfRangeValuesHaveNoName) {
  // A corrupted stored value must not print as a real one.
  EXPECT_EQ(orgTypeName(static_cast<OrgType>(200)), "unknown");
  EXPECT_EQ(tlpName(static_cast<Tlp>(200)), "unknown");
  EXPECT_EQ(roleName(static_cast<Role>(200)), "unknown");
}

TEST(ModelLevels, ClearanceAndSensitivityRunZeroToThree) {
  EXPECT_FALSE(isValidLevel(-1));
  for (int level = 0; level <= 3; ++level) EXPECT_TRUE(isValidLevel(level));
  EXPECT_FALSE(isValidLevel(4));
}

}  // namespace
}  // namespace mamori::hub
