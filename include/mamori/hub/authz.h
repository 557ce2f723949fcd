// The hub's single authorization function.
//
// Every read and write of a shared object, an oversight object or an organisation's users goes
// through authorize(): one place that turns (who, what action, which labelled object) into
// allow/deny plus a stable reason code. The full rule table, and what list queries must
// pre-filter, are in docs/sharing.md; the matrix test (tests/hub/authz_test.cc) checks every
// combination of role, organisation type, TLP label, sensitivity, clearance, relationship,
// object kind and action against an independent reading of that table.
//
// Pure and cheap: no database, no I/O, no allocation, no exceptions. The only lookups are the
// OrgDirectory calls, and only for the rules that need them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/hub/model.h"

namespace mamori::hub {

// An authenticated user, as the request handler knows it from the session or API token.
// A principal with an empty userId or orgId is treated as unauthenticated (every action denied).
struct Principal {
  std::string userId;
  std::string orgId;
  OrgType orgType = OrgType::kOperator;
  // The ministry overseeing the principal's organisation; empty when none.
  std::string overseeingMinistryId;
  Role role = Role::kViewer;
  // 0..3; anything else denies every action ("invalid-clearance").
  int clearance = 0;
};

// What the rules need to know about the object acted on. The caller builds it from the stored
// row (or, for kCreate, from the object about to be stored).
struct ObjectLabel {
  ObjectKind kind = ObjectKind::kEvent;
  // The organisation that created / shares the object: the centre for events and notifications,
  // the reporter for incident reports, the publisher of an indicator, the uploading (centre)
  // organisation for selection orders and ledger heads. For kOrganisation: the organisation
  // record itself (the target of kAdminister).
  std::string ownerOrgId;
  // The organisation the object is about: the routed target organisation of an event or
  // notification, the reporter of an incident report (== ownerOrgId). May be empty (indicators).
  std::string subjectOrgId;
  Tlp tlp = Tlp::kRed;
  // 0..3; anything else denies every action ("invalid-sensitivity").
  int sensitivity = kMaxLevel;
  // Explicit recipients (organisation ids). For incident reports only police organisations gain
  // access by being listed (the reporter's choice to include the police); see docs/sharing.md.
  std::vector<std::string> recipientOrgIds;
  // False while the object is still its owner's working copy: an event before it is `notified`,
  // an incident report draft that was never submitted. Unreleased objects are read by the owner
  // organisation only (and, for events, by the centre). Defaults to false so that a forgotten
  // flag fails closed. Ignored for oversight objects and organisations.
  bool released = false;
};

// Organisation facts the rules need that the principal does not carry. Implementations answer
// from the database or a cache; answers must be current (an organisation moved to another
// ministry stops reaching its old ministry's reports at once).
class OrgDirectory {
 public:
  virtual ~OrgDirectory() = default;
  // The id of the ministry overseeing `orgId`; empty when it has none or is unknown. The view
  // must stay valid until the next call on this directory.
  virtual std::string_view overseeingMinistryOf(std::string_view orgId) const = 0;
  // The organisation's type; empty when unknown.
  virtual std::optional<OrgType> orgTypeOf(std::string_view orgId) const = 0;
};

enum class Action : uint8_t {
  kRead,    // read / list / download the object
  kCreate,  // store a new object (ObjectLabel describes the object to be stored)
  kUpdate,  // change an object's content: edit a draft, submit a report's next stage
  kTriage,  // move an event through new → in-review → confirmed → notified → closed / noise
  kAdminister,  // manage an organisation's users and API tokens (kind kOrganisation)
};
inline constexpr std::array<Action, 5> kActions = {Action::kRead, Action::kCreate, Action::kUpdate,
                                                   Action::kTriage, Action::kAdminister};

// "read", "create", "update", "triage", "administer" (audit ledger entries).
std::string_view actionName(Action action);

struct Decision {
  bool allowed = false;
  // A stable machine-readable code (points at a string literal; never dangles). When allowed:
  // the basis of the access ("owner", "recipient", "centre-reporting-point", ...); when denied:
  // the first rule that failed ("tlp-red-not-recipient", "clearance-below-sensitivity", ...).
  // Returned in 403 bodies and written to the audit ledger. All codes: docs/sharing.md.
  std::string_view reason;

  explicit operator bool() const { return allowed; }
};

// Decides one action of `principal` on the object described by `label`. Deterministic; never
// throws; fails closed on anything out of range.
Decision authorize(const Principal& principal, Action action, const ObjectLabel& label,
                   const OrgDirectory& directory);

// A small in-memory OrgDirectory: tests, tools, and a cache the server can fill from the
// database.
class StaticOrgDirectory final : public OrgDirectory {
 public:
  // Adds or replaces an organisation. `overseeingMinistryId` may be empty.
  void add(std::string orgId, OrgType type, std::string overseeingMinistryId = {});

  std::string_view overseeingMinistryOf(std::string_view orgId) const override;
  std::optional<OrgType> orgTypeOf(std::string_view orgId) const override;

 private:
  struct Entry {
    std::string id;
    OrgType type;
    std::string ministry;
  };
  const Entry* find(std::string_view orgId) const;
  std::vector<Entry> entries_;  // sorted by id
};

// The reason codes, for callers that branch on them (e.g. "unauthenticated" → 401).
namespace reason {
// Allowed.
inline constexpr std::string_view kOwner = "owner";
inline constexpr std::string_view kSubject = "subject";
inline constexpr std::string_view kRecipient = "recipient";
inline constexpr std::string_view kRecipientMinistryClient = "recipient-ministry-client";
inline constexpr std::string_view kTlpClear = "tlp-clear";
inline constexpr std::string_view kTlpGreen = "tlp-green";
inline constexpr std::string_view kCentreReportingPoint = "centre-reporting-point";
inline constexpr std::string_view kOverseeingMinistry = "overseeing-ministry";
inline constexpr std::string_view kPoliceIncluded = "police-included";
inline constexpr std::string_view kCommissionOversight = "commission-oversight";
inline constexpr std::string_view kCommunityDirectory = "community-directory";
inline constexpr std::string_view kOwnOrg = "own-org";
inline constexpr std::string_view kCentreTriage = "centre-triage";
inline constexpr std::string_view kCentreUpload = "centre-upload";
inline constexpr std::string_view kSameOrgAdmin = "same-org-admin";
inline constexpr std::string_view kCentreAdmin = "centre-admin";
// Denied.
inline constexpr std::string_view kUnauthenticated = "unauthenticated";
inline constexpr std::string_view kInvalidClearance = "invalid-clearance";
inline constexpr std::string_view kInvalidSensitivity = "invalid-sensitivity";
inline constexpr std::string_view kInvalidRequest = "invalid-request";
inline constexpr std::string_view kClearanceBelowSensitivity = "clearance-below-sensitivity";
inline constexpr std::string_view kNotReleased = "not-released";
inline constexpr std::string_view kTlpRedViewer = "tlp-red-viewer";
inline constexpr std::string_view kTlpRedNotRecipient = "tlp-red-not-recipient";
inline constexpr std::string_view kTlpAmberStrictNotRecipient = "tlp-amber-strict-not-recipient";
inline constexpr std::string_view kTlpAmberNotRecipient = "tlp-amber-not-recipient";
inline constexpr std::string_view kReportNotAddressee = "report-not-addressee";
inline constexpr std::string_view kOversightCommissionOnly = "oversight-commission-only";
inline constexpr std::string_view kOversightReadOnly = "oversight-read-only";
inline constexpr std::string_view kAuditLedgerHubOnly = "audit-ledger-hub-only";
inline constexpr std::string_view kOrganisationCliOnly = "organisation-cli-only";
inline constexpr std::string_view kKindNotUpdatable = "kind-not-updatable";
inline constexpr std::string_view kActionNotApplicable = "action-not-applicable";
inline constexpr std::string_view kCentreOnly = "centre-only";
inline constexpr std::string_view kRoleBelowAnalyst = "role-below-analyst";
inline constexpr std::string_view kRoleBelowAdmin = "role-below-admin";
inline constexpr std::string_view kNotOwnOrg = "not-own-org";
inline constexpr std::string_view kNotReporter = "not-reporter";
inline constexpr std::string_view kCommissionSelfAdministered = "commission-self-administered";
inline constexpr std::string_view kUnknownOrganisation = "unknown-organisation";
}  // namespace reason

}  // namespace mamori::hub
