#include "mamori/hub/authz.h"

#include <algorithm>
#include <utility>

namespace mamori::hub {
namespace {

constexpr Decision allow(std::string_view why) {
  return Decision{true, why};
}
constexpr Decision deny(std::string_view why) {
  return Decision{false, why};
}

// Enum values come from parsed requests and stored rows; a value outside the enum (a corrupted
// row, a bad cast) must deny rather than fall through a switch.
bool enumsInRange(const Principal& p, Action action, const ObjectLabel& label) {
  return static_cast<size_t>(p.role) < kRoles.size() &&
         static_cast<size_t>(p.orgType) < kOrgTypes.size() &&
         static_cast<size_t>(label.tlp) < kTlps.size() &&
         static_cast<size_t>(label.kind) < kObjectKinds.size() &&
         static_cast<size_t>(action) < kActions.size();
}

bool listed(const std::vector<std::string>& ids, std::string_view id) {
  // An empty id never matches, so a blank recipient entry cannot admit a principal whose
  // ministry is unset.
  if (id.empty()) return false;
  return std::any_of(ids.begin(), ids.end(), [id](const std::string& r) { return r == id; });
}

bool cleared(const Principal& p, const ObjectLabel& label) {
  return p.clearance >= label.sensitivity;
}

// The basis on which a released event, notification or indicator reaches the principal under
// its TLP label; empty when it does not.
std::string_view tlpBasis(const Principal& p, const ObjectLabel& label,
                          const OrgDirectory& directory) {
  const bool owner = p.orgId == label.ownerOrgId;
  const bool subject = p.orgId == label.subjectOrgId;
  const bool recipient = listed(label.recipientOrgIds, p.orgId);
  switch (label.tlp) {
    case Tlp::kClear:
    case Tlp::kGreen:
      if (owner) return reason::kOwner;
      if (subject) return reason::kSubject;
      if (recipient) return reason::kRecipient;
      // Every principal is an authenticated user of a registered organisation, i.e. a member of
      // the hub community, so GREEN reaches everyone the hub serves. CLEAR differs only outside
      // the hub (public feeds), which authorize() never sees.
      return label.tlp == Tlp::kClear ? reason::kTlpClear : reason::kTlpGreen;
    case Tlp::kAmber:
      if (owner) return reason::kOwner;
      if (subject) return reason::kSubject;
      if (recipient) return reason::kRecipient;
      // TLP:AMBER lets a recipient share with its clients; a ministry's clients are the
      // organisations it oversees. Only a listed organisation that really is a ministry counts.
      if (listed(label.recipientOrgIds, p.overseeingMinistryId) &&
          directory.orgTypeOf(p.overseeingMinistryId) == OrgType::kMinistry) {
        return reason::kRecipientMinistryClient;
      }
      return {};
    case Tlp::kAmberStrict:
      if (owner) return reason::kOwner;
      if (subject) return reason::kSubject;
      if (recipient) return reason::kRecipient;
      return {};
    case Tlp::kRed:
      // The subject is not implied: events are routed to their subject automatically (from
      // address ownership), and RED must only reach organisations someone named.
      if (owner) return reason::kOwner;
      if (recipient) return reason::kRecipient;
      return {};
  }
  return {};
}

std::string_view tlpDenial(Tlp tlp) {
  switch (tlp) {
    case Tlp::kAmber:
      return reason::kTlpAmberNotRecipient;
    case Tlp::kAmberStrict:
      return reason::kTlpAmberStrictNotRecipient;
    case Tlp::kRed:
      return reason::kTlpRedNotRecipient;
    case Tlp::kClear:
    case Tlp::kGreen:
      break;
  }
  return reason::kInvalidRequest;  // unreachable: CLEAR and GREEN always have a basis
}

// A submitted incident report reaches its statutory addressees whatever its label: the reporter,
// the ministry overseeing the reporter and the centre (handled by the caller), plus police
// organisations the reporter listed. The label never widens this (no AMBER "clients", no GREEN
// community): "other operators never".
std::string_view reportBasis(const Principal& p, const ObjectLabel& label,
                             const OrgDirectory& directory) {
  if (p.orgId == label.ownerOrgId) return reason::kOwner;
  if (p.orgId == label.subjectOrgId) return reason::kSubject;
  if (p.orgType == OrgType::kMinistry &&
      directory.overseeingMinistryOf(label.subjectOrgId) == p.orgId) {
    return reason::kOverseeingMinistry;
  }
  if (p.orgType == OrgType::kPolice && listed(label.recipientOrgIds, p.orgId)) {
    return reason::kPoliceIncluded;
  }
  return {};
}

Decision readShared(const Principal& p, const ObjectLabel& label, const OrgDirectory& directory) {
  std::string_view basis;
  std::string_view denial;
  if (!label.released) {
    if (p.orgId == label.ownerOrgId) {
      basis = reason::kOwner;
    } else {
      denial = reason::kNotReleased;
    }
  } else if (label.kind == ObjectKind::kIncidentReport) {
    basis = reportBasis(p, label, directory);
    denial = reason::kReportNotAddressee;
  } else {
    basis = tlpBasis(p, label, directory);
    denial = tlpDenial(label.tlp);
  }
  if (basis.empty()) {
    // The centre is the single reporting point: it reads every event (triage works on
    // unreleased ones) and every submitted incident report, whatever the recipients. Drafts stay
    // with the reporter.
    const bool centreReads = p.orgType == OrgType::kCentre &&
                             (label.kind == ObjectKind::kEvent ||
                              (label.kind == ObjectKind::kIncidentReport && label.released));
    if (!centreReads) return deny(denial);
    basis = reason::kCentreReportingPoint;
  }
  if (label.tlp == Tlp::kRed && !roleAtLeast(p.role, Role::kAnalyst)) {
    return deny(reason::kTlpRedViewer);
  }
  if (!cleared(p, label)) return deny(reason::kClearanceBelowSensitivity);
  return allow(basis);
}

Decision read(const Principal& p, const ObjectLabel& label, const OrgDirectory& directory) {
  if (isOversightKind(label.kind)) {
    // The commission's audience is fixed by law, so TLP and release do not apply; sensitivity
    // still does.
    if (p.orgType != OrgType::kCommission) return deny(reason::kOversightCommissionOnly);
    if (!cleared(p, label)) return deny(reason::kClearanceBelowSensitivity);
    return allow(reason::kCommissionOversight);
  }
  if (label.kind == ObjectKind::kOrganisation) {
    // Names and types of the community's organisations: needed to choose recipients.
    if (!cleared(p, label)) return deny(reason::kClearanceBelowSensitivity);
    return allow(reason::kCommunityDirectory);
  }
  return readShared(p, label, directory);
}

// The common tail of a write by the principal's own organisation: at least analyst, and no
// object labelled above what the writer could read back.
Decision ownWrite(const Principal& p, const ObjectLabel& label, std::string_view basis) {
  if (!roleAtLeast(p.role, Role::kAnalyst)) return deny(reason::kRoleBelowAnalyst);
  if (!cleared(p, label)) return deny(reason::kClearanceBelowSensitivity);
  return allow(basis);
}

bool isReporter(const Principal& p, const ObjectLabel& label) {
  return p.orgId == label.ownerOrgId && p.orgId == label.subjectOrgId;
}

Decision create(const Principal& p, const ObjectLabel& label) {
  switch (label.kind) {
    case ObjectKind::kEvent:
    case ObjectKind::kNotification:
    case ObjectKind::kSelectionOrder:
    case ObjectKind::kLedgerHead:
      // Sensors send events, orders and ledger heads with centre-owned tokens; notifications
      // come from the centre's triage.
      if (p.orgType != OrgType::kCentre) return deny(reason::kCentreOnly);
      if (p.orgId != label.ownerOrgId) return deny(reason::kNotOwnOrg);
      return ownWrite(p, label,
                      isOversightKind(label.kind) ? reason::kCentreUpload : reason::kOwnOrg);
    case ObjectKind::kIncidentReport:
      if (!isReporter(p, label)) return deny(reason::kNotReporter);
      return ownWrite(p, label, reason::kOwnOrg);
    case ObjectKind::kIndicator:
      if (p.orgId != label.ownerOrgId) return deny(reason::kNotOwnOrg);
      return ownWrite(p, label, reason::kOwnOrg);
    case ObjectKind::kAuditLedger:
      return deny(reason::kAuditLedgerHubOnly);
    case ObjectKind::kOrganisation:
      return deny(reason::kOrganisationCliOnly);
  }
  return deny(reason::kInvalidRequest);
}

Decision update(const Principal& p, const ObjectLabel& label) {
  switch (label.kind) {
    case ObjectKind::kIncidentReport:
      if (!isReporter(p, label)) return deny(reason::kNotReporter);
      return ownWrite(p, label, reason::kOwnOrg);
    case ObjectKind::kIndicator:
      if (p.orgId != label.ownerOrgId) return deny(reason::kNotOwnOrg);
      return ownWrite(p, label, reason::kOwnOrg);
    case ObjectKind::kEvent:         // changes only by triage
    case ObjectKind::kNotification:  // a record of what was sent
      return deny(reason::kKindNotUpdatable);
    case ObjectKind::kSelectionOrder:
    case ObjectKind::kLedgerHead:
    case ObjectKind::kAuditLedger:
      return deny(reason::kOversightReadOnly);
    case ObjectKind::kOrganisation:
      return deny(reason::kOrganisationCliOnly);
  }
  return deny(reason::kInvalidRequest);
}

Decision triage(const Principal& p, const ObjectLabel& label) {
  if (label.kind != ObjectKind::kEvent) return deny(reason::kActionNotApplicable);
  if (p.orgType != OrgType::kCentre) return deny(reason::kCentreOnly);
  if (!roleAtLeast(p.role, Role::kAnalyst)) return deny(reason::kRoleBelowAnalyst);
  if (!cleared(p, label)) return deny(reason::kClearanceBelowSensitivity);
  return allow(reason::kCentreTriage);
}

Decision administer(const Principal& p, const ObjectLabel& label, const OrgDirectory& directory) {
  if (label.kind != ObjectKind::kOrganisation) return deny(reason::kActionNotApplicable);
  std::string_view basis;
  if (p.orgId == label.ownerOrgId) {
    basis = reason::kSameOrgAdmin;
  } else if (p.orgType == OrgType::kCentre) {
    const std::optional<OrgType> target = directory.orgTypeOf(label.ownerOrgId);
    if (!target) return deny(reason::kUnknownOrganisation);
    // A centre admin able to create commission users could grant the centre oversight of
    // itself; the commission's users are managed by its own admins (and `mamori admin`).
    if (*target == OrgType::kCommission) return deny(reason::kCommissionSelfAdministered);
    basis = reason::kCentreAdmin;
  } else {
    return deny(reason::kNotOwnOrg);
  }
  if (!roleAtLeast(p.role, Role::kAdmin)) return deny(reason::kRoleBelowAdmin);
  if (!cleared(p, label)) return deny(reason::kClearanceBelowSensitivity);
  return allow(basis);
}

}  // namespace

std::string_view actionName(Action action) {
  switch (action) {
    case Action::kRead:
      return "read";
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kTriage:
      return "triage";
    case Action::kAdminister:
      return "administer";
  }
  return "unknown";
}

Decision authorize(const Principal& principal, Action action, const ObjectLabel& label,
                   const OrgDirectory& directory) {
  if (principal.userId.empty() || principal.orgId.empty()) {
    return deny(reason::kUnauthenticated);
  }
  if (!enumsInRange(principal, action, label)) return deny(reason::kInvalidRequest);
  if (!isValidLevel(principal.clearance)) return deny(reason::kInvalidClearance);
  if (!isValidLevel(label.sensitivity)) return deny(reason::kInvalidSensitivity);
  switch (action) {
    case Action::kRead:
      return read(principal, label, directory);
    case Action::kCreate:
      return create(principal, label);
    case Action::kUpdate:
      return update(principal, label);
    case Action::kTriage:
      return triage(principal, label);
    case Action::kAdminister:
      return administer(principal, label, directory);
  }
  return deny(reason::kInvalidRequest);
}

void StaticOrgDirectory::add(std::string orgId, OrgType type, std::string overseeingMinistryId) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), orgId,
                             [](const Entry& e, const std::string& id) { return e.id < id; });
  if (it != entries_.end() && it->id == orgId) {
    it->type = type;
    it->ministry = std::move(overseeingMinistryId);
    return;
  }
  entries_.insert(it, Entry{std::move(orgId), type, std::move(overseeingMinistryId)});
}

const StaticOrgDirectory::Entry* StaticOrgDirectory::find(std::string_view orgId) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), orgId,
                             [](const Entry& e, std::string_view id) { return e.id < id; });
  return it != entries_.end() && it->id == orgId ? &*it : nullptr;
}

std::string_view StaticOrgDirectory::overseeingMinistryOf(std::string_view orgId) const {
  const Entry* e = find(orgId);
  return e != nullptr ? std::string_view(e->ministry) : std::string_view();
}

std::optional<OrgType> StaticOrgDirectory::orgTypeOf(std::string_view orgId) const {
  const Entry* e = find(orgId);
  if (e == nullptr) return std::nullopt;
  return e->type;
}

}  // namespace mamori::hub
