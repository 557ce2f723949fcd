#include "mamori/hub/authz.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::hub {
namespace {

// ---------------------------------------------------------------------------------------------
// The matrix. The principal's organisation "org-p" stands in one of these relationships to the
// object; the other organisations are fixed:
//   org-o  owner (operator)            org-s  subject (operator, overseen by org-sm)
//   org-r  listed recipient (operator) org-rm a ministry, listed only in kClientOfRecipientMinistry
//   org-pm the principal's own ministry (never listed)
enum class Rel : uint8_t {
  kOwner,                      // owner = P, subject = S
  kOwnerAndSubject,            // owner = subject = P (the reporter of an incident report)
  kSubject,                    // owner = O, subject = P
  kRecipient,                  // P listed as a recipient
  kClientOfRecipientMinistry,  // P's overseeing ministry (org-rm) is a listed recipient
  kMinistryOfSubject,          // P oversees the subject
  kMinistryOfRecipient,        // P oversees a listed recipient
  kUnrelated,
};
constexpr std::array<Rel, 8> kRels = {Rel::kOwner,
                                      Rel::kOwnerAndSubject,
                                      Rel::kSubject,
                                      Rel::kRecipient,
                                      Rel::kClientOfRecipientMinistry,
                                      Rel::kMinistryOfSubject,
                                      Rel::kMinistryOfRecipient,
                                      Rel::kUnrelated};

const char* relName(Rel rel) {
  switch (rel) {
    case Rel::kOwner:
      return "owner";
    case Rel::kOwnerAndSubject:
      return "owner-and-subject";
    case Rel::kSubject:
      return "subject";
    case Rel::kRecipient:
      return "recipient";
    case Rel::kClientOfRecipientMinistry:
      return "client-of-recipient-ministry";
    case Rel::kMinistryOfSubject:
      return "ministry-of-subject";
    case Rel::kMinistryOfRecipient:
      return "ministry-of-recipient";
    case Rel::kUnrelated:
      return "unrelated";
  }
  return "?";
}

// The expected decision, written from the rule table in docs/sharing.md in terms of the
// relationship, without calling or mirroring the implementation.
bool expectedAllowed(Role role, OrgType type, Tlp tlp, int sensitivity, int clearance, Rel rel,
                     ObjectKind kind, Action action, bool released) {
  const bool owner = rel == Rel::kOwner || rel == Rel::kOwnerAndSubject;
  const bool subject = rel == Rel::kSubject || rel == Rel::kOwnerAndSubject;
  const bool reporter = rel == Rel::kOwnerAndSubject;
  const bool recipient = rel == Rel::kRecipient;
  const bool client = rel == Rel::kClientOfRecipientMinistry;
  const bool ministryOfSubject = rel == Rel::kMinistryOfSubject && type == OrgType::kMinistry;
  const bool centre = type == OrgType::kCentre;
  const bool commission = type == OrgType::kCommission;
  const bool police = type == OrgType::kPolice;
  const bool analyst = role == Role::kAnalyst || role == Role::kAdmin;
  const bool admin = role == Role::kAdmin;
  const bool cleared = clearance >= sensitivity;

  if (action == Action::kRead) {
    if (kind == ObjectKind::kSelectionOrder || kind == ObjectKind::kLedgerHead ||
        kind == ObjectKind::kAuditLedger) {
      return commission && cleared;
    }
    if (kind == ObjectKind::kOrganisation) return cleared;
    bool audience = false;
    if (kind == ObjectKind::kEvent && centre) {
      audience = true;
    } else if (!released) {
      audience = owner;
    } else if (kind == ObjectKind::kIncidentReport) {
      audience = owner || subject || centre || ministryOfSubject || (recipient && police);
    } else if (tlp == Tlp::kClear || tlp == Tlp::kGreen) {
      audience = true;
    } else if (tlp == Tlp::kAmber) {
      audience = owner || subject || recipient || client;
    } else if (tlp == Tlp::kAmberStrict) {
      audience = owner || subject || recipient;
    } else {  // RED
      audience = owner || recipient;
    }
    if (tlp == Tlp::kRed && !analyst) return false;
    return audience && cleared;
  }
  if (action == Action::kCreate) {
    switch (kind) {
      case ObjectKind::kEvent:
      case ObjectKind::kNotification:
      case ObjectKind::kSelectionOrder:
      case ObjectKind::kLedgerHead:
        return centre && owner && analyst && cleared;
      case ObjectKind::kIncidentReport:
        return reporter && analyst && cleared;
      case ObjectKind::kIndicator:
        return owner && analyst && cleared;
      case ObjectKind::kAuditLedger:
      case ObjectKind::kOrganisation:
        return false;
    }
  }
  if (action == Action::kUpdate) {
    if (kind == ObjectKind::kIncidentReport) return reporter && analyst && cleared;
    if (kind == ObjectKind::kIndicator) return owner && analyst && cleared;
    return false;
  }
  if (action == Action::kTriage) {
    return kind == ObjectKind::kEvent && centre && analyst && cleared;
  }
  // kAdminister: the target organisation is the owner (org-p itself, or org-o, an operator).
  return kind == ObjectKind::kOrganisation && admin && cleared && (owner || centre);
}

std::string principalMinistry(Rel rel) {
  return rel == Rel::kClientOfRecipientMinistry ? "org-rm" : "org-pm";
}

Principal makePrincipal(Role role, OrgType type, int clearance, Rel rel) {
  return Principal{"user-p", "org-p", type, principalMinistry(rel), role, clearance};
}

ObjectLabel makeLabel(Rel rel, ObjectKind kind, Tlp tlp, int sensitivity, bool released) {
  ObjectLabel l;
  l.kind = kind;
  l.tlp = tlp;
  l.sensitivity = sensitivity;
  l.released = released;
  l.ownerOrgId = (rel == Rel::kOwner || rel == Rel::kOwnerAndSubject) ? "org-p" : "org-o";
  l.subjectOrgId = (rel == Rel::kSubject || rel == Rel::kOwnerAndSubject) ? "org-p" : "org-s";
  l.recipientOrgIds = {"org-r"};
  if (rel == Rel::kRecipient) l.recipientOrgIds.emplace_back("org-p");
  if (rel == Rel::kClientOfRecipientMinistry) l.recipientOrgIds.emplace_back("org-rm");
  return l;
}

StaticOrgDirectory makeDirectory(OrgType type, Rel rel) {
  StaticOrgDirectory d;
  d.add("org-p", type, principalMinistry(rel));
  d.add("org-o", OrgType::kOperator, "org-sm");
  d.add("org-s", OrgType::kOperator, rel == Rel::kMinistryOfSubject ? "org-p" : "org-sm");
  d.add("org-r", OrgType::kOperator, rel == Rel::kMinistryOfRecipient ? "org-p" : "org-sm");
  d.add("org-rm", OrgType::kMinistry);
  d.add("org-pm", OrgType::kMinistry);
  d.add("org-sm", OrgType::kMinistry);
  return d;
}

// Every reason code that docs/sharing.md documents (as `code` in its reason table).
std::set<std::string, std::less<>> documentedReasons() {
  std::ifstream in(std::string(MAMORI_SOURCE_DIR) + "/docs/sharing.md");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string, std::less<>> codes;
  size_t pos = 0;
  while ((pos = text.find('`', pos)) != std::string::npos) {
    const size_t end = text.find('`', pos + 1);
    if (end == std::string::npos) break;
    codes.insert(text.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return codes;
}

TEST(AuthzMatrix, EveryCombinationMatchesTheRuleTable) {
  const auto documented = documentedReasons();
  ASSERT_FALSE(documented.empty()) << "docs/sharing.md not found";
  std::set<std::string_view> undocumented;
  uint64_t checked = 0;
  uint64_t allowed = 0;
  uint64_t mismatches = 0;
  for (ObjectKind kind : kObjectKinds) {
    for (Action action : kActions) {
      for (Rel rel : kRels) {
        for (OrgType type : kOrgTypes) {
          const StaticOrgDirectory directory = makeDirectory(type, rel);
          for (Role role : kRoles) {
            for (Tlp tlp : kTlps) {
              for (int sensitivity = 0; sensitivity <= 3; ++sensitivity) {
                for (int clearance = 0; clearance <= 3; ++clearance) {
                  const Principal principal = makePrincipal(role, type, clearance, rel);
                  for (bool released : {false, true}) {
                    const ObjectLabel label = makeLabel(rel, kind, tlp, sensitivity, released);
                    const Decision d = authorize(principal, action, label, directory);
                    const bool want = expectedAllowed(role, type, tlp, sensitivity, clearance, rel,
                                                      kind, action, released);
                    ++checked;
                    if (d.allowed) ++allowed;
                    EXPECT_FALSE(d.reason.empty());
                    if (!documented.contains(d.reason)) undocumented.insert(d.reason);
                    if (d.allowed != want) {
                      ++mismatches;
                      // Cap the noise: the first few mismatches say enough.
                      EXPECT_LE(mismatches, 20U) << "too many mismatches";
                      if (mismatches <= 20) {
                        ADD_FAILURE() << "kind=" << objectKindName(kind)
                                      << " action=" << actionName(action) << " rel=" << relName(rel)
                                      << " type=" << orgTypeName(type) << " role=" << roleName(role)
                                      << " tlp=" << tlpName(tlp) << " sensitivity=" << sensitivity
                                      << " clearance=" << clearance << " released=" << released
                                      << ": expected " << (want ? "allow" : "deny") << ", got "
                                      << (d.allowed ? "allow" : "deny") << " (" << d.reason << ")";
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  for (std::string_view r : undocumented) ADD_FAILURE() << "reason not in docs/sharing.md: " << r;
  // 8 kinds × 5 actions × 8 relationships × 9 org types × 3 roles × 5 labels × 4 sensitivities
  // × 4 clearances × 2 release states.
  EXPECT_EQ(checked, 8U * 5 * 8 * 9 * 3 * 5 * 4 * 4 * 2);
  EXPECT_GT(allowed, 0U);
  std::cout << "[authz matrix] " << checked << " combinations checked, " << allowed << " allowed, "
            << mismatches << " mismatches\n";
}

// The main matrix keeps the administered organisation an operator; this one varies the target's
// type, since the rule depends on it (the centre administers every organisation but the
// commission).
TEST(AuthzMatrix, AdministerEveryTargetType) {
  uint64_t checked = 0;
  for (OrgType type : kOrgTypes) {
    for (OrgType targetType : kOrgTypes) {
      for (bool sameOrg : {false, true}) {
        if (sameOrg && targetType != type) continue;  // one organisation has one type
        StaticOrgDirectory directory;
        directory.add("org-p", type);
        if (!sameOrg) directory.add("org-t", targetType);
        for (Role role : kRoles) {
          for (int sensitivity = 0; sensitivity <= 3; ++sensitivity) {
            for (int clearance = 0; clearance <= 3; ++clearance) {
              const Principal p{"user-p", "org-p", type, "", role, clearance};
              ObjectLabel target;
              target.kind = ObjectKind::kOrganisation;
              target.ownerOrgId = sameOrg ? "org-p" : "org-t";
              target.sensitivity = sensitivity;
              const bool want =
                  role == Role::kAdmin && clearance >= sensitivity &&
                  (sameOrg || (type == OrgType::kCentre && targetType != OrgType::kCommission));
              const Decision d = authorize(p, Action::kAdminister, target, directory);
              EXPECT_EQ(d.allowed, want)
                  << orgTypeName(type) << " " << roleName(role) << " -> "
                  << (sameOrg ? "own org" : orgTypeName(targetType)) << " s=" << sensitivity
                  << " c=" << clearance << " (" << d.reason << ")";
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, (9U * 9 + 9) * 3 * 16);
  std::cout << "[authz administer matrix] " << checked << " combinations checked\n";
}

// ---------------------------------------------------------------------------------------------
// Named cases: a small national setup, each case saying what the rules are for.

class AuthzCase : public ::testing::Test {
 protected:
  AuthzCase() {
    dir_.add("centre", OrgType::kCentre);
    dir_.add("commission", OrgType::kCommission);
    dir_.add("police", OrgType::kPolice);
    dir_.add("police-2", OrgType::kPolice);
    dir_.add("meti", OrgType::kMinistry);
    dir_.add("mhlw", OrgType::kMinistry);
    dir_.add("power-co", OrgType::kOperator, "meti");
    dir_.add("gas-co", OrgType::kOperator, "meti");
    dir_.add("hospital", OrgType::kOperator, "mhlw");
    dir_.add("vendor", OrgType::kVendor);
    dir_.add("ceptoar-e", OrgType::kCeptoar, "meti");
  }

  static Principal user(std::string org, OrgType type, Role role, int clearance,
                        std::string ministry = {}) {
    return Principal{"u-" + org, std::move(org), type, std::move(ministry), role, clearance};
  }

  static ObjectLabel report(std::string reporter, Tlp tlp, int sensitivity,
                            std::vector<std::string> recipients = {}) {
    ObjectLabel l;
    l.kind = ObjectKind::kIncidentReport;
    l.ownerOrgId = reporter;
    l.subjectOrgId = std::move(reporter);
    l.tlp = tlp;
    l.sensitivity = sensitivity;
    l.recipientOrgIds = std::move(recipients);
    l.released = true;
    return l;
  }

  static ObjectLabel event(std::string target, Tlp tlp, int sensitivity, bool notified,
                           std::vector<std::string> recipients = {}) {
    ObjectLabel l;
    l.kind = ObjectKind::kEvent;
    l.ownerOrgId = "centre";
    l.subjectOrgId = std::move(target);
    l.tlp = tlp;
    l.sensitivity = sensitivity;
    l.recipientOrgIds = std::move(recipients);
    l.released = notified;
    return l;
  }

  static ObjectLabel oversight(ObjectKind kind, int sensitivity = 0) {
    ObjectLabel l;
    l.kind = kind;
    l.ownerOrgId = "centre";
    l.tlp = Tlp::kRed;
    l.sensitivity = sensitivity;
    return l;
  }

  static ObjectLabel organisation(std::string id) {
    ObjectLabel l;
    l.kind = ObjectKind::kOrganisation;
    l.ownerOrgId = std::move(id);
    l.tlp = Tlp::kGreen;
    l.sensitivity = 0;
    return l;
  }

  Decision read(const Principal& p, const ObjectLabel& l) const {
    return authorize(p, Action::kRead, l, dir_);
  }

  StaticOrgDirectory dir_;
};

TEST_F(AuthzCase, AnOperatorNeverReadsAnotherOperatorsRansomwareReport) {
  const Principal gas = user("gas-co", OrgType::kOperator, Role::kAdmin, 3, "meti");
  for (Tlp tlp : kTlps) {
    // Even CLEAR and GREEN, even listed as a recipient, even under the same ministry.
    const Decision d = read(gas, report("power-co", tlp, 0, {"gas-co"}));
    EXPECT_FALSE(d.allowed) << tlpName(tlp);
    EXPECT_EQ(d.reason, "report-not-addressee");
  }
}

TEST_F(AuthzCase, AReportReachesTheReporterItsMinistryAndTheCentre) {
  const ObjectLabel r = report("power-co", Tlp::kAmber, 2);
  const Decision own = read(user("power-co", OrgType::kOperator, Role::kViewer, 2, "meti"), r);
  EXPECT_TRUE(own.allowed);
  EXPECT_EQ(own.reason, "owner");
  const Decision ministry = read(user("meti", OrgType::kMinistry, Role::kViewer, 2), r);
  EXPECT_TRUE(ministry.allowed);
  EXPECT_EQ(ministry.reason, "overseeing-ministry");
  const Decision centre = read(user("centre", OrgType::kCentre, Role::kAnalyst, 2), r);
  EXPECT_TRUE(centre.allowed);
  EXPECT_EQ(centre.reason, "centre-reporting-point");
  // Another ministry does not.
  EXPECT_EQ(read(user("mhlw", OrgType::kMinistry, Role::kAdmin, 3), r).reason,
            "report-not-addressee");
}

TEST_F(AuthzCase, PoliceReadAReportOnlyWhenTheReporterIncludedThem) {
  const Principal police = user("police", OrgType::kPolice, Role::kAnalyst, 3);
  EXPECT_FALSE(read(police, report("power-co", Tlp::kAmber, 1)).allowed);
  EXPECT_FALSE(read(police, report("power-co", Tlp::kAmber, 1, {"police-2"})).allowed);
  const Decision d = read(police, report("power-co", Tlp::kAmber, 1, {"police"}));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "police-included");
}

TEST_F(AuthzCase, AReportDraftStaysWithTheReporter) {
  ObjectLabel draft = report("power-co", Tlp::kAmber, 0);
  draft.released = false;
  EXPECT_TRUE(read(user("power-co", OrgType::kOperator, Role::kViewer, 0), draft).allowed);
  EXPECT_EQ(read(user("centre", OrgType::kCentre, Role::kAdmin, 3), draft).reason, "not-released");
  EXPECT_EQ(read(user("meti", OrgType::kMinistry, Role::kAdmin, 3), draft).reason, "not-released");
}

TEST_F(AuthzCase, TheCommissionReadsTheAuditLedgerTheCentreAdminCannot) {
  const ObjectLabel ledger = oversight(ObjectKind::kAuditLedger, 2);
  const Decision c = read(user("commission", OrgType::kCommission, Role::kViewer, 2), ledger);
  EXPECT_TRUE(c.allowed);
  EXPECT_EQ(c.reason, "commission-oversight");
  const Decision centre = read(user("centre", OrgType::kCentre, Role::kAdmin, 3), ledger);
  EXPECT_FALSE(centre.allowed);
  EXPECT_EQ(centre.reason, "oversight-commission-only");
}

TEST_F(AuthzCase, SensorsUploadLedgerHeadsButCannotReadThemBack) {
  const Principal sensor = user("centre", OrgType::kCentre, Role::kAnalyst, 3);
  const ObjectLabel head = oversight(ObjectKind::kLedgerHead);
  EXPECT_EQ(authorize(sensor, Action::kCreate, head, dir_).reason, "centre-upload");
  EXPECT_EQ(read(sensor, head).reason, "oversight-commission-only");
  // Nobody rewrites oversight objects, the commission included.
  const Principal commission = user("commission", OrgType::kCommission, Role::kAdmin, 3);
  EXPECT_EQ(authorize(commission, Action::kUpdate, head, dir_).reason, "oversight-read-only");
  EXPECT_EQ(
      authorize(commission, Action::kCreate, oversight(ObjectKind::kAuditLedger), dir_).reason,
      "audit-ledger-hub-only");
}

TEST_F(AuthzCase, TheCommissionIsStillBoundByClearance) {
  const Decision d = read(user("commission", OrgType::kCommission, Role::kAdmin, 1),
                          oversight(ObjectKind::kSelectionOrder, 2));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "clearance-below-sensitivity");
}

TEST_F(AuthzCase, ViewerCannotReadRedEvenAsRecipient) {
  const ObjectLabel red = event("power-co", Tlp::kRed, 0, true, {"gas-co"});
  const Decision viewer = read(user("gas-co", OrgType::kOperator, Role::kViewer, 3), red);
  EXPECT_FALSE(viewer.allowed);
  EXPECT_EQ(viewer.reason, "tlp-red-viewer");
  EXPECT_TRUE(read(user("gas-co", OrgType::kOperator, Role::kAnalyst, 3), red).allowed);
  // The centre's viewers neither.
  EXPECT_EQ(read(user("centre", OrgType::kCentre, Role::kViewer, 3), red).reason, "tlp-red-viewer");
}

TEST_F(AuthzCase, Clearance1CannotReadSensitivity2EvenAsOwner) {
  const Principal p = user("power-co", OrgType::kOperator, Role::kAdmin, 1);
  const Decision d = read(p, report("power-co", Tlp::kClear, 2));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "clearance-below-sensitivity");
  // Nor label something above what it could read back.
  EXPECT_EQ(authorize(p, Action::kCreate, report("power-co", Tlp::kClear, 2), dir_).reason,
            "clearance-below-sensitivity");
}

TEST_F(AuthzCase, RedDoesNotReachTheRoutedSubjectUnlessNamed) {
  const Principal target = user("power-co", OrgType::kOperator, Role::kAdmin, 3);
  EXPECT_EQ(read(target, event("power-co", Tlp::kRed, 0, true)).reason, "tlp-red-not-recipient");
  EXPECT_EQ(read(target, event("power-co", Tlp::kRed, 0, true, {"power-co"})).reason, "recipient");
  EXPECT_EQ(read(target, event("power-co", Tlp::kAmberStrict, 0, true)).reason, "subject");
}

TEST_F(AuthzCase, TheTargetSeesAnEventOnlyOnceNotified) {
  const Principal target = user("power-co", OrgType::kOperator, Role::kViewer, 3, "meti");
  EXPECT_EQ(read(target, event("power-co", Tlp::kAmber, 1, false)).reason, "not-released");
  // Not even a CLEAR event in triage: it may be noise.
  EXPECT_EQ(read(target, event("power-co", Tlp::kClear, 0, false)).reason, "not-released");
  EXPECT_EQ(read(target, event("power-co", Tlp::kAmber, 1, true)).reason, "subject");
  // The centre triages it throughout.
  const Principal analyst = user("centre", OrgType::kCentre, Role::kAnalyst, 1);
  EXPECT_TRUE(read(analyst, event("power-co", Tlp::kAmber, 1, false)).allowed);
  EXPECT_EQ(
      authorize(analyst, Action::kTriage, event("power-co", Tlp::kAmber, 1, false), dir_).reason,
      "centre-triage");
}

TEST_F(AuthzCase, OnlyCentreAnalystsTriage) {
  const ObjectLabel e = event("power-co", Tlp::kAmber, 0, false);
  EXPECT_EQ(authorize(user("centre", OrgType::kCentre, Role::kViewer, 3), Action::kTriage, e, dir_)
                .reason,
            "role-below-analyst");
  EXPECT_EQ(
      authorize(user("power-co", OrgType::kOperator, Role::kAdmin, 3), Action::kTriage, e, dir_)
          .reason,
      "centre-only");
  EXPECT_EQ(authorize(user("centre", OrgType::kCentre, Role::kAdmin, 3), Action::kTriage,
                      report("power-co", Tlp::kAmber, 0), dir_)
                .reason,
            "action-not-applicable");
}

TEST_F(AuthzCase, AmberReachesTheClientsOfARecipientMinistryButStrictDoesNot) {
  const Principal gas = user("gas-co", OrgType::kOperator, Role::kViewer, 1, "meti");
  ObjectLabel indicator;
  indicator.kind = ObjectKind::kIndicator;
  indicator.ownerOrgId = "centre";
  indicator.tlp = Tlp::kAmber;
  indicator.sensitivity = 1;
  indicator.recipientOrgIds = {"meti"};
  indicator.released = true;
  EXPECT_EQ(read(gas, indicator).reason, "recipient-ministry-client");
  // A hospital under another ministry is not a client.
  EXPECT_EQ(read(user("hospital", OrgType::kOperator, Role::kAdmin, 3, "mhlw"), indicator).reason,
            "tlp-amber-not-recipient");
  indicator.tlp = Tlp::kAmberStrict;
  EXPECT_EQ(read(gas, indicator).reason, "tlp-amber-strict-not-recipient");
  // Only a listed *ministry* has clients: listing the centre does not open AMBER to everyone
  // whose overseer field happens to name it.
  indicator.tlp = Tlp::kAmber;
  indicator.recipientOrgIds = {"centre"};
  EXPECT_FALSE(
      read(user("gas-co", OrgType::kOperator, Role::kViewer, 1, "centre"), indicator).allowed);
}

TEST_F(AuthzCase, GreenReachesTheWholeCommunity) {
  ObjectLabel indicator;
  indicator.kind = ObjectKind::kIndicator;
  indicator.ownerOrgId = "gas-co";
  indicator.tlp = Tlp::kGreen;
  indicator.sensitivity = 0;
  indicator.released = true;
  EXPECT_EQ(read(user("vendor", OrgType::kVendor, Role::kViewer, 0), indicator).reason,
            "tlp-green");
  indicator.released = false;
  EXPECT_EQ(read(user("vendor", OrgType::kVendor, Role::kViewer, 0), indicator).reason,
            "not-released");
}

TEST_F(AuthzCase, ReportersFileAndEditOnlyTheirOwnReports) {
  const Principal analyst = user("power-co", OrgType::kOperator, Role::kAnalyst, 1);
  const Principal viewer = user("power-co", OrgType::kOperator, Role::kViewer, 1);
  const ObjectLabel own = report("power-co", Tlp::kAmber, 1);
  EXPECT_TRUE(authorize(analyst, Action::kCreate, own, dir_).allowed);
  EXPECT_TRUE(authorize(analyst, Action::kUpdate, own, dir_).allowed);
  EXPECT_EQ(authorize(viewer, Action::kCreate, own, dir_).reason, "role-below-analyst");
  // Filing in another organisation's name.
  EXPECT_EQ(authorize(analyst, Action::kCreate, report("gas-co", Tlp::kAmber, 1), dir_).reason,
            "not-reporter");
  // The ministry and the centre read reports but do not edit them.
  EXPECT_EQ(authorize(user("meti", OrgType::kMinistry, Role::kAdmin, 3), Action::kUpdate, own, dir_)
                .reason,
            "not-reporter");
  EXPECT_EQ(authorize(user("centre", OrgType::kCentre, Role::kAdmin, 3), Action::kUpdate, own, dir_)
                .reason,
            "not-reporter");
}

TEST_F(AuthzCase, OnlyTheCentreCreatesEvents) {
  ObjectLabel e = event("power-co", Tlp::kAmber, 0, false);
  EXPECT_TRUE(
      authorize(user("centre", OrgType::kCentre, Role::kAnalyst, 0), Action::kCreate, e, dir_)
          .allowed);
  EXPECT_EQ(
      authorize(user("power-co", OrgType::kOperator, Role::kAdmin, 3), Action::kCreate, e, dir_)
          .reason,
      "centre-only");
  EXPECT_EQ(
      authorize(user("centre", OrgType::kCentre, Role::kAdmin, 3), Action::kUpdate, e, dir_).reason,
      "kind-not-updatable");
}

TEST_F(AuthzCase, AdminsManageTheirOwnOrganisationAndTheCentreManagesAllButTheCommission) {
  const ObjectLabel power = organisation("power-co");
  EXPECT_EQ(authorize(user("power-co", OrgType::kOperator, Role::kAdmin, 0), Action::kAdminister,
                      power, dir_)
                .reason,
            "same-org-admin");
  EXPECT_EQ(authorize(user("power-co", OrgType::kOperator, Role::kAnalyst, 3), Action::kAdminister,
                      power, dir_)
                .reason,
            "role-below-admin");
  EXPECT_EQ(authorize(user("gas-co", OrgType::kOperator, Role::kAdmin, 3), Action::kAdminister,
                      power, dir_)
                .reason,
            "not-own-org");
  EXPECT_EQ(
      authorize(user("meti", OrgType::kMinistry, Role::kAdmin, 3), Action::kAdminister, power, dir_)
          .reason,
      "not-own-org");
  const Principal centreAdmin = user("centre", OrgType::kCentre, Role::kAdmin, 0);
  EXPECT_EQ(authorize(centreAdmin, Action::kAdminister, power, dir_).reason, "centre-admin");
  EXPECT_EQ(authorize(centreAdmin, Action::kAdminister, organisation("commission"), dir_).reason,
            "commission-self-administered");
  EXPECT_EQ(authorize(centreAdmin, Action::kAdminister, organisation("no-such-org"), dir_).reason,
            "unknown-organisation");
  EXPECT_EQ(authorize(user("commission", OrgType::kCommission, Role::kAdmin, 0),
                      Action::kAdminister, organisation("commission"), dir_)
                .reason,
            "same-org-admin");
  // Organisation records themselves change only through `mamori admin`.
  EXPECT_EQ(authorize(centreAdmin, Action::kCreate, organisation("new-co"), dir_).reason,
            "organisation-cli-only");
}

TEST_F(AuthzCase, MalformedPrincipalsAndLabelsFailClosed) {
  const ObjectLabel open = organisation("power-co");
  Principal p = user("power-co", OrgType::kOperator, Role::kAdmin, 3);
  p.userId.clear();
  EXPECT_EQ(read(p, open).reason, "unauthenticated");
  p = user("", OrgType::kOperator, Role::kAdmin, 3);
  p.userId = "u";
  EXPECT_EQ(read(p, open).reason, "unauthenticated");
  p = user("power-co", OrgType::kOperator, Role::kAdmin, 4);
  EXPECT_EQ(read(p, open).reason, "invalid-clearance");
  p.clearance = -1;
  EXPECT_EQ(read(p, open).reason, "invalid-clearance");
  p.clearance = 3;
  ObjectLabel l = open;
  l.sensitivity = 4;
  EXPECT_EQ(read(p, l).reason, "invalid-sensitivity");
  l.sensitivity = -1;
  EXPECT_EQ(read(p, l).reason, "invalid-sensitivity");
  l = open;
  l.tlp = static_cast<Tlp>(9);
  EXPECT_EQ(read(p, l).reason, "invalid-request");
  l = open;
  l.kind = static_cast<ObjectKind>(42);
  EXPECT_EQ(read(p, l).reason, "invalid-request");
  p.role = static_cast<Role>(7);
  EXPECT_EQ(read(p, open).reason, "invalid-request");
  p = user("power-co", OrgType::kOperator, Role::kAdmin, 3);
  EXPECT_EQ(authorize(p, static_cast<Action>(9), open, dir_).reason, "invalid-request");
}

TEST_F(AuthzCase, BlankIdsNeverMatch) {
  // A principal without a ministry must not match a blank recipient entry, and a subject-less
  // object has no subject to match.
  ObjectLabel l;
  l.kind = ObjectKind::kIndicator;
  l.ownerOrgId = "centre";
  l.tlp = Tlp::kAmber;
  l.sensitivity = 0;
  l.recipientOrgIds = {""};
  l.released = true;
  EXPECT_FALSE(read(user("vendor", OrgType::kVendor, Role::kAdmin, 3), l).allowed);
}

TEST_F(AuthzCase, DefaultLabelFailsClosed) {
  // A label nobody filled in is RED, sensitivity 3 and unreleased.
  const ObjectLabel blank;
  EXPECT_FALSE(read(user("power-co", OrgType::kOperator, Role::kAdmin, 3), blank).allowed);
}

TEST(AuthzDirectory, AddReplacesAndLooksUp) {
  StaticOrgDirectory d;
  d.add("b", OrgType::kOperator, "m1");
  d.add("a", OrgType::kMinistry);
  d.add("b", OrgType::kVendor, "m2");
  EXPECT_EQ(d.orgTypeOf("a"), OrgType::kMinistry);
  EXPECT_EQ(d.orgTypeOf("b"), OrgType::kVendor);
  EXPECT_EQ(d.overseeingMinistryOf("b"), "m2");
  EXPECT_EQ(d.overseeingMinistryOf("a"), "");
  EXPECT_FALSE(d.orgTypeOf("c").has_value());
  EXPECT_EQ(d.overseeingMinistryOf("c"), "");
}

TEST(AuthzNames, Actions) {
  EXPECT_EQ(actionName(Action::kRead), "read");
  EXPECT_EQ(actionName(Action::kCreate), "create");
  EXPECT_EQ(actionName(Action::kUpdate), "update");
  EXPECT_EQ(actionName(Action::kTriage), "triage");
  EXPECT_EQ(actionName(Action::kAdminister), "administer");
}

}  // namespace
}  // namespace mamori::hub
