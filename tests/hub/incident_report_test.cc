#include "mamori/hub/incident_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "mamori/core/time.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kHour = 3600LL * 1'000'000;
constexpr int64_t kMinute = 60LL * 1'000'000;

int64_t at(const char* text) {
  return parseRfc3339(text).value();
}

// "Now" for every test: two days after discovery (2025-10-09T16:00:00Z).
const int64_t kNow = at("2025-10-11T16:00:00Z");

// A complete final ransomware report: every field the format defines, with consistent values.
Json fullRansomware() {
  return Json::parse(R"json({
    "type": "ransomware",
    "sector": "medical",
    "reporter": {"contact": {"name": "Sato Hanako", "email": "soc@hospital.example",
                             "phone": "+81 3-1234-5678"}},
    "discovered_at": "2025-10-10T01:00:00+09:00",
    "occurred_at": "2025-10-08T22:00:00Z",
    "systems_affected": [{"name": "electronic medical records", "kind": "server", "count": 4},
                         {"name": "file server", "kind": "storage"}],
    "services_affected": ["outpatient reception", "radiology"],
    "impact": {"level": "severe", "description": "Outpatient reception stopped for a day.",
               "service_stopped": true, "customers_affected": 1200},
    "initial_access_vector": "vpn-vulnerability",
    "indicators": [
      {"type": "ipv4", "value": "198.51.100.23"},
      {"type": "domain", "value": "c2.attacker.example"},
      {"type": "sha256",
       "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "description": "encryptor"}
    ],
    "contacts": [{"name": "Suzuki Ichiro", "organisation": "IR vendor", "role": "lead responder",
                  "phone": "03-9876-5432"}],
    "police": {"contacted": true, "include_in_sharing": true, "case_reference": "TKY-2025-0042"},
    "tlp": "AMBER+STRICT",
    "sensitivity": 2,
    "description": "Files on the EMR servers were encrypted; a ransom note was left.",
    "ransomware": {
      "group": "ExampleLocker",
      "ransom_note": {"excerpt": "Your files are encrypted.",
                      "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
      "encryption": {"scope": "partial", "systems_encrypted": 4},
      "exfiltration": {"suspected": true, "confirmed": true, "leak_site_listed": true,
                       "leak_site_url": "http://leaksiteexample.onion/hospital"},
      "ransom": {"demanded": true, "amount": 2.5, "currency": "BTC", "paid": false},
      "backups": {"status": "partially-affected", "restore_started": true}
    }
  })json");
}

// The least an initial report (速報) may contain.
Json minimalInitial() {
  return Json::parse(R"json({
    "type": "ransomware",
    "sector": "finance",
    "reporter": {"contact": {"name": "Tanaka", "email": "csirt@bank.example"}},
    "discovered_at": "2025-10-11T09:00:00Z",
    "impact": {"level": "moderate"},
    "description": "Ransom note found on two branch PCs."
  })json");
}

std::vector<std::string> fields(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

std::string dump(const std::vector<FieldError>& errors) {
  return fieldErrorsJson(errors).dump();
}

// Validates `doc` at `stage` and expects exactly one error, returning it.
FieldError onlyError(const Json& doc, Stage stage = Stage::kFinal,
                     const ValidationOptions& options = {}) {
  auto r = validateSubmission(doc, stage, kNow, options);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.errors().size(), 1U) << dump(r.errors());
  return r.errors().empty() ? FieldError{} : r.errors().front();
}

// ----- Complete documents ----------------------------------------------------------------------

TEST(IncidentReportSubmission, FullRansomwareReportIsValidAtEveryStage) {
  for (const auto stage : kStages) {
    auto r = validateSubmission(fullRansomware(), stage, kNow);
    ASSERT_TRUE(r.ok()) << stageName(stage) << ": " << dump(r.errors());
    EXPECT_EQ(r->stage, stage);
    EXPECT_EQ(r->type, ReportType::kRansomware);
    EXPECT_EQ(r->sector, Sector::kMedical);
    EXPECT_EQ(r->discoveredAt, at("2025-10-09T16:00:00Z"));
    EXPECT_EQ(r->occurredAt, at("2025-10-08T22:00:00Z"));
    EXPECT_EQ(r->impactLevel, "severe");
    EXPECT_EQ(r->tlp, Tlp::kAmberStrict);
    EXPECT_EQ(r->sensitivity, 2);
    EXPECT_TRUE(r->policeContacted);
    EXPECT_TRUE(r->includePoliceInSharing);
  }
}

TEST(IncidentReportSubmission, NormalizesTimesToUtcMicroseconds) {
  auto r = validateSubmission(fullRansomware(), Stage::kFinal, kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ(r->document["discovered_at"], "2025-10-09T16:00:00.000000Z");
  EXPECT_EQ(r->document["occurred_at"], "2025-10-08T22:00:00.000000Z");
  // Everything else given is kept.
  EXPECT_EQ(r->document["ransomware"]["backups"]["status"], "partially-affected");
  EXPECT_EQ(r->document["indicators"].size(), 3U);
  EXPECT_EQ(r->document["police"]["case_reference"], "TKY-2025-0042");
}

TEST(IncidentReportSubmission, MinimalInitialReportIsValidAndGetsDefaults) {
  auto r = validateSubmission(minimalInitial(), Stage::kInitial, kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ(r->tlp, Tlp::kAmber);
  EXPECT_EQ(r->document["tlp"], "AMBER");
  EXPECT_EQ(r->sensitivity, 1);
  EXPECT_EQ(r->document["sensitivity"], 1);
  EXPECT_FALSE(r->occurredAt.has_value());
  EXPECT_FALSE(r->includePoliceInSharing);
  EXPECT_FALSE(r->policeContacted);
}

TEST(IncidentReportSubmission, MinimalInitialReportListsEverythingTheInterimStageNeeds) {
  auto r = validateSubmission(minimalInitial(), Stage::kInterim, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(fields(r.errors()), ElementsAre("occurred_at", "systems_affected",
                                              "initial_access_vector", "indicators"));
  for (const auto& e : r.errors()) EXPECT_EQ(e.problem, "required at the interim stage");
}

TEST(IncidentReportSubmission, MinimalInitialReportListsEverythingTheFinalStageNeeds) {
  auto r = validateSubmission(minimalInitial(), Stage::kFinal, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(fields(r.errors()),
              ElementsAre("occurred_at", "systems_affected", "services_affected",
                          "impact.description", "impact.service_stopped", "initial_access_vector",
                          "indicators", "contacts", "police", "ransomware"));
}

// ----- Required fields, one at a time ----------------------------------------------------------

struct RequiredCase {
  const char* pointer;  // JSON pointer of the field to remove from the full report
  const char* field;    // the path the error must name
  Stage stage;          // the first stage that requires it
};

void PrintTo(const RequiredCase& c, std::ostream* os) {
  *os << c.pointer;
}

class IncidentReportRequired : public ::testing::TestWithParam<RequiredCase> {};

TEST_P(IncidentReportRequired, MissingFieldIsNamedAtTheStageThatRequiresIt) {
  const auto& c = GetParam();
  Json doc = fullRansomware();
  const Json::json_pointer ptr(c.pointer);
  doc[ptr.parent_pointer()].erase(ptr.back());

  const auto e = onlyError(doc, c.stage);
  EXPECT_EQ(e.field, c.field);
  EXPECT_EQ(e.problem, "required at the " + std::string(stageName(c.stage)) + " stage");
  // The stage before does not need it.
  if (c.stage != Stage::kInitial) {
    const auto before = static_cast<Stage>(static_cast<int>(c.stage) - 1);
    auto r = validateSubmission(doc, before, kNow);
    EXPECT_TRUE(r.ok()) << dump(r.errors());
  }
  // Later stages still need it.
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre(c.field));
}

INSTANTIATE_TEST_SUITE_P(
    IncidentReportRequiredFields, IncidentReportRequired,
    ::testing::Values(
        RequiredCase{"/type", "type", Stage::kInitial},
        RequiredCase{"/sector", "sector", Stage::kInitial},
        RequiredCase{"/reporter", "reporter", Stage::kInitial},
        RequiredCase{"/reporter/contact", "reporter.contact", Stage::kInitial},
        RequiredCase{"/reporter/contact/name", "reporter.contact.name", Stage::kInitial},
        RequiredCase{"/discovered_at", "discovered_at", Stage::kInitial},
        RequiredCase{"/impact", "impact", Stage::kInitial},
        RequiredCase{"/impact/level", "impact.level", Stage::kInitial},
        RequiredCase{"/description", "description", Stage::kInitial},
        RequiredCase{"/occurred_at", "occurred_at", Stage::kInterim},
        RequiredCase{"/systems_affected", "systems_affected", Stage::kInterim},
        RequiredCase{"/initial_access_vector", "initial_access_vector", Stage::kInterim},
        RequiredCase{"/indicators", "indicators", Stage::kInterim},
        RequiredCase{"/systems_affected/0/name", "systems_affected[0].name", Stage::kInitial},
        RequiredCase{"/indicators/1/value", "indicators[1].value", Stage::kInitial},
        RequiredCase{"/indicators/2/type", "indicators[2].type", Stage::kInitial},
        RequiredCase{"/services_affected", "services_affected", Stage::kFinal},
        RequiredCase{"/impact/description", "impact.description", Stage::kFinal},
        RequiredCase{"/impact/service_stopped", "impact.service_stopped", Stage::kFinal},
        RequiredCase{"/contacts", "contacts", Stage::kFinal},
        RequiredCase{"/police", "police", Stage::kFinal},
        RequiredCase{"/police/contacted", "police.contacted", Stage::kInitial},
        RequiredCase{"/police/include_in_sharing", "police.include_in_sharing", Stage::kInitial},
        RequiredCase{"/ransomware", "ransomware", Stage::kFinal},
        RequiredCase{"/ransomware/encryption", "ransomware.encryption", Stage::kFinal},
        RequiredCase{"/ransomware/encryption/scope", "ransomware.encryption.scope", Stage::kFinal},
        RequiredCase{"/ransomware/encryption/systems_encrypted",
                     "ransomware.encryption.systems_encrypted", Stage::kFinal},
        RequiredCase{"/ransomware/exfiltration", "ransomware.exfiltration", Stage::kFinal},
        RequiredCase{"/ransomware/exfiltration/suspected", "ransomware.exfiltration.suspected",
                     Stage::kFinal},
        RequiredCase{"/ransomware/exfiltration/confirmed", "ransomware.exfiltration.confirmed",
                     Stage::kFinal},
        RequiredCase{"/ransomware/exfiltration/leak_site_listed",
                     "ransomware.exfiltration.leak_site_listed", Stage::kFinal},
        RequiredCase{"/ransomware/ransom", "ransomware.ransom", Stage::kFinal},
        RequiredCase{"/ransomware/ransom/demanded", "ransomware.ransom.demanded", Stage::kFinal},
        RequiredCase{"/ransomware/ransom/paid", "ransomware.ransom.paid", Stage::kFinal},
        RequiredCase{"/ransomware/backups", "ransomware.backups", Stage::kFinal},
        RequiredCase{"/ransomware/backups/status", "ransomware.backups.status", Stage::kFinal},
        RequiredCase{"/ransomware/backups/restore_started", "ransomware.backups.restore_started",
                     Stage::kFinal}));

TEST(IncidentReportSubmission, OptionalFieldsMayBeLeftOut) {
  Json doc = fullRansomware();
  doc["reporter"]["contact"].erase("phone");
  doc["systems_affected"][0].erase("kind");
  doc["systems_affected"][0].erase("count");
  doc["impact"].erase("customers_affected");
  doc["police"].erase("case_reference");
  doc["indicators"][2].erase("description");
  doc.erase("tlp");
  doc.erase("sensitivity");
  doc["ransomware"].erase("group");
  doc["ransomware"].erase("ransom_note");
  doc["ransomware"]["exfiltration"].erase("leak_site_url");
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  EXPECT_TRUE(r.ok()) << dump(r.errors());
}

TEST(IncidentReportSubmission, EmptyListsAreAcceptedWhereTheyStateThatThereAreNone) {
  Json doc = fullRansomware();
  doc["indicators"] = Json::array();
  doc["contacts"] = Json::array();
  doc["services_affected"] = Json::array();
  EXPECT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());
  doc["systems_affected"] = Json::array();
  const auto e = onlyError(doc, Stage::kInterim);
  EXPECT_EQ(e.field, "systems_affected");
  EXPECT_EQ(e.problem, "needs at least 1 item at the interim stage");
}

TEST(IncidentReportSubmission, BlankAndNullCountAsMissing) {
  Json doc = minimalInitial();
  doc["description"] = "   \n ";
  auto e = onlyError(doc, Stage::kInitial);
  EXPECT_EQ(e.field, "description");
  EXPECT_EQ(e.problem, "must not be empty (required at the initial stage)");

  doc = minimalInitial();
  doc["sector"] = nullptr;
  e = onlyError(doc, Stage::kInitial);
  EXPECT_EQ(e.field, "sector");
  EXPECT_EQ(e.problem, "required at the initial stage");

  // Optional fields sent blank or null by a form are dropped, not stored.
  doc = minimalInitial();
  doc["occurred_at"] = "";
  doc["tlp"] = nullptr;
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_FALSE(r->document.contains("occurred_at"));
  EXPECT_EQ(r->document["tlp"], "AMBER");
}

TEST(IncidentReportSubmission, ContactNeedsEmailOrPhone) {
  Json doc = minimalInitial();
  doc["reporter"]["contact"].erase("email");
  auto e = onlyError(doc, Stage::kInitial);
  EXPECT_EQ(e.field, "reporter.contact.email");
  EXPECT_EQ(e.problem, "give an email address or a phone number");
  doc["reporter"]["contact"]["phone"] = "+81-3-0000-0000";
  EXPECT_TRUE(validateSubmission(doc, Stage::kInitial, kNow).ok());

  doc = fullRansomware();
  doc["contacts"][0].erase("phone");
  e = onlyError(doc);
  EXPECT_EQ(e.field, "contacts[0].email");
}

// ----- Unknown fields --------------------------------------------------------------------------

TEST(IncidentReportUnknown, TopLevelTypoIsNamedWithSuggestion) {
  Json doc = fullRansomware();
  doc["discoverd_at"] = doc["discovered_at"];
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "discoverd_at");
  EXPECT_EQ(e.problem, "unknown field; did you mean 'discovered_at'?");
}

TEST(IncidentReportUnknown, CamelCaseKeyIsSuggestedItsSnakeCaseForm) {
  Json doc = fullRansomware();
  doc["occurredAt"] = doc["occurred_at"];
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "occurredAt");
  EXPECT_THAT(e.problem, HasSubstr("did you mean 'occurred_at'?"));
}

TEST(IncidentReportUnknown, NestedUnknownFieldIsNamedWithItsPath) {
  Json doc = fullRansomware();
  doc["ransomware"]["backups"]["offsite"] = true;
  auto e = onlyError(doc);
  EXPECT_EQ(e.field, "ransomware.backups.offsite");
  EXPECT_EQ(e.problem, "unknown field");

  doc = fullRansomware();
  doc["indicators"][1]["valeu"] = "x";
  e = onlyError(doc);
  EXPECT_EQ(e.field, "indicators[1].valeu");
  EXPECT_THAT(e.problem, HasSubstr("did you mean 'value'?"));
}

TEST(IncidentReportUnknown, TypoOfARequiredFieldReportsBothTheTypoAndTheMissingField) {
  Json doc = minimalInitial();
  doc["impact"]["levle"] = doc["impact"]["level"];
  doc["impact"].erase("level");
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("impact.levle", "impact.level"));
}

TEST(IncidentReportUnknown, OddKeysAreQuotedSoTheyCannotForgeAPath) {
  Json doc = minimalInitial();
  doc["reporter"]["contact.name"] = "x";
  doc["a\"b"] = 1;
  doc[std::string(100, 'k')] = 1;
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  EXPECT_THAT(fields(r.errors()),
              ElementsAre("[\"a\\\"b\"]", "[\"" + std::string(64, 'k') + "...\"]",
                          "reporter[\"contact.name\"]"));
}

TEST(IncidentReportUnknown, PartOfAnotherTypeIsRejected) {
  Json doc = fullRansomware();
  doc["ddos"] = Json::parse(R"({"peak_bps": 1000})");
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "ddos");
  EXPECT_THAT(e.problem, HasSubstr("not allowed when type is ransomware"));
}

TEST(IncidentReportUnknown, StageAndIdAreNotDocumentFields) {
  Json doc = minimalInitial();
  doc["stage"] = "initial";
  doc["id"] = "rep_1";
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("id", "stage"));
}

// ----- Types and enums -------------------------------------------------------------------------

struct TypeCase {
  const char* pointer;
  const char* value;  // JSON text of the wrong value
  const char* field;
  const char* problem;
};

void PrintTo(const TypeCase& c, std::ostream* os) {
  *os << c.pointer << " = " << c.value;
}

class IncidentReportTypes : public ::testing::TestWithParam<TypeCase> {};

TEST_P(IncidentReportTypes, WrongTypeOrValueIsNamed) {
  const auto& c = GetParam();
  Json doc = fullRansomware();
  doc[Json::json_pointer(c.pointer)] = Json::parse(c.value);
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, c.field);
  EXPECT_EQ(e.problem, c.problem);
}

INSTANTIATE_TEST_SUITE_P(
    IncidentReportTypeValues, IncidentReportTypes,
    ::testing::Values(
        TypeCase{"/sector", "5", "sector", "expected string, got number"},
        TypeCase{"/reporter", "\"me\"", "reporter", "expected object, got string"},
        TypeCase{"/impact/service_stopped", "\"yes\"", "impact.service_stopped",
                 "expected boolean, got string"},
        TypeCase{"/impact/customers_affected", "12.5", "impact.customers_affected",
                 "expected integer, got number"},
        TypeCase{"/systems_affected", "{\"name\": \"x\"}", "systems_affected",
                 "expected array, got object"},
        TypeCase{"/systems_affected/1", "\"file server\"", "systems_affected[1]",
                 "expected object, got string"},
        TypeCase{"/services_affected/1", "7", "services_affected[1]",
                 "expected string, got number"},
        TypeCase{"/sensitivity", "\"2\"", "sensitivity", "expected integer, got string"},
        TypeCase{"/sensitivity", "4", "sensitivity", "must be between 0 and 3"},
        TypeCase{"/sensitivity", "-1", "sensitivity", "must be between 0 and 3"},
        TypeCase{"/discovered_at", "1760000000", "discovered_at",
                 "expected string (RFC 3339 time), got number"},
        TypeCase{"/discovered_at", "\"2025-10-10 01:00\"", "discovered_at",
                 "must be an RFC 3339 time such as 2025-10-01T09:30:00+09:00"},
        TypeCase{"/systems_affected/0/count", "0", "systems_affected[0].count",
                 "must be between 1 and 1000000000000000"},
        TypeCase{"/impact/customers_affected", "18446744073709551615", "impact.customers_affected",
                 "must be between 0 and 1000000000000000"},
        TypeCase{"/ransomware/encryption/systems_encrypted", "\"4\"",
                 "ransomware.encryption.systems_encrypted", "expected integer, got string"},
        TypeCase{"/ransomware/ransom/amount", "-1", "ransomware.ransom.amount",
                 "must be a number between 0 and 1e15"},
        TypeCase{"/ransomware/ransom/currency", "\"yen\"", "ransomware.ransom.currency",
                 "must be a currency code: 3 to 5 upper-case letters or digits (JPY, USD, BTC)"},
        TypeCase{"/ransomware/ransom_note/sha256", "\"abc\"", "ransomware.ransom_note.sha256",
                 "must be a SHA-256 digest: 64 hexadecimal digits"},
        TypeCase{"/ransomware/backups/status", "\"gone\"", "ransomware.backups.status",
                 "must be one of intact, partially-affected, encrypted, none, unknown"},
        TypeCase{"/ransomware/encryption/scope", "\"most\"", "ransomware.encryption.scope",
                 "must be one of none, partial, full"},
        TypeCase{"/tlp", "\"amber\"", "tlp",
                 "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED"},
        TypeCase{"/type", "\"malware\"", "type",
                 "must be one of ransomware, ddos, unauthorized-access, data-leak, "
                 "service-outage"},
        TypeCase{"/impact/level", "\"catastrophic\"", "impact.level",
                 "must be one of none, minor, moderate, severe, critical"},
        TypeCase{"/initial_access_vector", "\"usb\"", "initial_access_vector",
                 "must be one of phishing, vpn-vulnerability, rdp, exposed-service, "
                 "supply-chain, credential-stuffing, insider, unknown, other"},
        TypeCase{"/systems_affected/0/kind", "\"mainframe\"", "systems_affected[0].kind",
                 "must be one of server, workstation, network-device, ot-ics, cloud-service, "
                 "storage, database, mobile, identity, other"},
        TypeCase{"/reporter/contact/email", "\"not-an-address\"", "reporter.contact.email",
                 "must be an email address (local@domain.example)"},
        TypeCase{"/reporter/contact/phone", "\"call me\"", "reporter.contact.phone",
                 "must be a phone number: digits, spaces, '-', '.', '(', ')' and a leading '+'"},
        TypeCase{"/reporter/contact/name", "\"Sato\\nHanako\"", "reporter.contact.name",
                 "must not contain control characters or line breaks"},
        TypeCase{"/ransomware/exfiltration/leak_site_url", "\"leak site\"",
                 "ransomware.exfiltration.leak_site_url",
                 "must be a URL (scheme://host/...) without spaces"},
        TypeCase{"/services_affected/0", "null", "services_affected[0]", "must not be null"}));

TEST(IncidentReportFormat, SectorMustBeOneOfTheFifteen) {
  Json doc = fullRansomware();
  for (const char* sector :
       {"information-communications", "finance", "aviation", "airports", "railways", "electricity",
        "gas", "government-administrative", "medical", "water", "logistics", "chemicals",
        "credit-cards", "petroleum", "ports"}) {
    doc["sector"] = sector;
    EXPECT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok()) << sector;
  }
  doc["sector"] = "banking";
  EXPECT_EQ(onlyError(doc).field, "sector");
}

TEST(IncidentReportFormat, DescriptionKeepsLineBreaks) {
  Json doc = minimalInitial();
  doc["description"] = "Line one.\r\nLine two.\n\tIndented.";
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ(r->document["description"], "Line one.\r\nLine two.\n\tIndented.");
  doc["description"] = std::string("bell\a");
  EXPECT_EQ(onlyError(doc, Stage::kInitial).field, "description");
}

TEST(IncidentReportFormat, AllErrorsAreReportedAtOnce) {
  Json doc = fullRansomware();
  doc["sector"] = "banking";
  doc["impact"]["level"] = 3;
  doc["indicators"][0]["value"] = "300.1.2.3";
  doc["ransomware"]["backups"]["status"] = "gone";
  doc["extra"] = true;
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  EXPECT_THAT(fields(r.errors()),
              ::testing::UnorderedElementsAre("sector", "impact.level", "indicators[0].value",
                                              "ransomware.backups.status", "extra"));
}

TEST(IncidentReportFormat, DocumentThatIsNotAnObjectIsRejectedWithoutThrowing) {
  for (const Json& doc :
       {Json::array(), Json(nullptr), Json("text"), Json(3), Json(Json::value_t::discarded)}) {
    auto r = validateSubmission(doc, Stage::kInitial, kNow);
    ASSERT_EQ(r.errors().size(), 1U) << doc.type_name();
    EXPECT_EQ(r.errors()[0].field, "");
    EXPECT_THAT(r.errors()[0].problem, HasSubstr("expected object, got"));
    EXPECT_FALSE(validateDraft(doc, kNow).ok());
  }
}

TEST(IncidentReportFormat, InvalidUtf8BuiltInProcessIsAnErrorNotAnException) {
  Json doc = minimalInitial();
  doc["description"] = std::string("caf\xC3", 4);
  const auto e = onlyError(doc, Stage::kInitial);
  EXPECT_EQ(e.field, "description");
  EXPECT_EQ(e.problem, "is not valid UTF-8");
  doc = minimalInitial();
  doc[std::string("\xFF\xFE", 2)] = 1;  // an unknown key that is not UTF-8 either
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  ASSERT_EQ(r.errors().size(), 1U);
  EXPECT_NO_THROW((void)fieldErrorsJson(r.errors()).dump());
}

// ----- Indicators ------------------------------------------------------------------------------

struct IndicatorCase {
  const char* type;
  const char* value;
  bool valid;
  const char* normalized;  // when valid
};

void PrintTo(const IndicatorCase& c, std::ostream* os) {
  *os << c.type << " " << c.value;
}

class IncidentReportIndicators : public ::testing::TestWithParam<IndicatorCase> {};

TEST_P(IncidentReportIndicators, ValueIsCheckedAgainstItsType) {
  const auto& c = GetParam();
  Json doc = fullRansomware();
  doc["indicators"].push_back({{"type", c.type}, {"value", c.value}});
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  if (c.valid) {
    ASSERT_TRUE(r.ok()) << dump(r.errors());
    EXPECT_EQ(r->document["indicators"][3]["value"], c.normalized);
  } else {
    ASSERT_EQ(r.errors().size(), 1U) << dump(r.errors());
    EXPECT_EQ(r.errors()[0].field, "indicators[3].value");
  }
}

INSTANTIATE_TEST_SUITE_P(
    IncidentReportIndicatorValues, IncidentReportIndicators,
    ::testing::Values(
        IndicatorCase{"ipv4", "192.0.2.1", true, "192.0.2.1"},
        IndicatorCase{"ipv4", "300.1.2.3", false, ""}, IndicatorCase{"ipv4", "192.0.2", false, ""},
        IndicatorCase{"ipv4", "2001:db8::1", false, ""},
        IndicatorCase{"ipv6", "2001:DB8:0:0:0:0:0:1", true, "2001:db8::1"},  // RFC 5952 form
        IndicatorCase{"ipv6", "192.0.2.1", false, ""},
        IndicatorCase{"ipv6", "2001:db8::g", false, ""},
        IndicatorCase{"domain", "C2.Attacker.EXAMPLE.", true, "c2.attacker.example"},
        IndicatorCase{"domain", "xn--r8jz45g.example", true, "xn--r8jz45g.example"},
        IndicatorCase{"domain", "_dmarc.evil.example", true, "_dmarc.evil.example"},
        IndicatorCase{"domain", "localhost", false, ""},
        IndicatorCase{"domain", "-bad.example", false, ""},
        IndicatorCase{"domain", "bad-.example", false, ""},
        IndicatorCase{"domain", "two..dots.example", false, ""},
        IndicatorCase{"domain", "exa mple.com", false, ""},
        IndicatorCase{"domain", "1.2.3.4", false, ""},
        IndicatorCase{"domain", "例え.jp", false, ""},
        IndicatorCase{"url", "https://evil.example/path?q=1", true,
                      "https://evil.example/path?q=1"},
        IndicatorCase{"url", "evil.example/path", false, ""},
        IndicatorCase{"url", "https:///nohost", false, ""},
        IndicatorCase{"sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                      true, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        IndicatorCase{"sha256", "e3b0c44298fc1c149afbf4c8996fb924", false, ""},
        IndicatorCase{"sha256", "z3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                      false, ""},
        IndicatorCase{"md5", "D41D8CD98F00B204E9800998ECF8427E", true,
                      "d41d8cd98f00b204e9800998ecf8427e"},
        IndicatorCase{"md5", "d41d8cd98f00b204e9800998ecf8427", false, ""},
        IndicatorCase{"email", "Boss@Phish.Example", true, "Boss@phish.example"},
        IndicatorCase{"email", "no-at-sign.example", false, ""},
        IndicatorCase{"email", "a b@phish.example", false, ""},
        IndicatorCase{"filename", "invoice.pdf.exe", true, "invoice.pdf.exe"}));

TEST(IncidentReportIndicatorPaths, ListElementsAreNamedByIndex) {
  Json doc = fullRansomware();
  doc["indicators"][2]["value"] = "abc";
  doc["indicators"][0]["type"] = "ip";
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("indicators[0].type", "indicators[2].value"));
  EXPECT_EQ(r.errors()[1].problem, "must be 64 hexadecimal digits");
}

// ----- Times -----------------------------------------------------------------------------------

TEST(IncidentReportTimes, OccurredAfterDiscoveredIsRejected) {
  Json doc = fullRansomware();
  doc["occurred_at"] = "2025-10-09T16:00:01Z";
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "occurred_at");
  EXPECT_EQ(e.problem, "must not be after discovered_at");
  doc["occurred_at"] = "2025-10-09T16:00:00Z";  // the same instant is fine
  EXPECT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());
}

TEST(IncidentReportTimes, FutureBeyondSkewIsRejected) {
  Json doc = minimalInitial();
  doc["discovered_at"] = formatRfc3339(kNow + 4 * kMinute);  // within the default 5 min
  EXPECT_TRUE(validateSubmission(doc, Stage::kInitial, kNow).ok());
  doc["discovered_at"] = formatRfc3339(kNow + 6 * kMinute);
  auto e = onlyError(doc, Stage::kInitial);
  EXPECT_EQ(e.field, "discovered_at");
  EXPECT_EQ(e.problem, "is in the future");

  ValidationOptions strict;
  strict.clockSkewMicros = 0;
  doc["discovered_at"] = formatRfc3339(kNow + 1);
  EXPECT_EQ(onlyError(doc, Stage::kInitial, strict).field, "discovered_at");
}

TEST(IncidentReportTimes, OffsetsAreConvertedToUtc) {
  Json doc = minimalInitial();
  doc["discovered_at"] = "2025-10-11T18:30:00+09:00";
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ(r->discoveredAt, at("2025-10-11T09:30:00Z"));
}

TEST(IncidentReportTimes, BeforeTheEpochIsRejected) {
  Json doc = minimalInitial();
  doc["discovered_at"] = "1969-12-31T23:59:59Z";
  EXPECT_EQ(onlyError(doc, Stage::kInitial).problem, "must not be before 1970");
}

// ----- Cross-field rules -----------------------------------------------------------------------

TEST(IncidentReportRules, RansomPaidNeedsDemand) {
  Json doc = fullRansomware();
  doc["ransomware"]["ransom"] = {{"demanded", false}, {"paid", true}};
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "ransomware.ransom.paid");
  EXPECT_EQ(e.problem, "cannot be true when demanded is false");
}

TEST(IncidentReportRules, AmountOnlyWithDemandAndRequiredWithItAtFinal) {
  Json doc = fullRansomware();
  doc["ransomware"]["ransom"]["demanded"] = false;
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  EXPECT_THAT(fields(r.errors()),
              ElementsAre("ransomware.ransom.amount", "ransomware.ransom.currency"));

  doc = fullRansomware();
  doc["ransomware"]["ransom"].erase("amount");
  doc["ransomware"]["ransom"].erase("currency");
  r = validateSubmission(doc, Stage::kFinal, kNow);
  EXPECT_THAT(fields(r.errors()),
              ElementsAre("ransomware.ransom.amount", "ransomware.ransom.currency"));
  // Earlier stages may not know the amount yet.
  EXPECT_TRUE(validateSubmission(doc, Stage::kInterim, kNow).ok());
}

TEST(IncidentReportRules, EncryptionScopeNoneMeansNoEncryptedSystems) {
  Json doc = fullRansomware();
  doc["ransomware"]["encryption"] = {{"scope", "none"}, {"systems_encrypted", 3}};
  EXPECT_EQ(onlyError(doc).field, "ransomware.encryption.systems_encrypted");
  doc["ransomware"]["encryption"]["systems_encrypted"] = 0;
  EXPECT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());
}

TEST(IncidentReportRules, LeakSiteUrlOnlyWhenListed) {
  Json doc = fullRansomware();
  doc["ransomware"]["exfiltration"]["leak_site_listed"] = false;
  EXPECT_EQ(onlyError(doc).field, "ransomware.exfiltration.leak_site_url");
}

TEST(IncidentReportRules, CaseReferenceOnlyWhenPoliceContacted) {
  Json doc = fullRansomware();
  doc["police"]["contacted"] = false;
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "police.case_reference");
  doc["police"].erase("case_reference");
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->policeContacted);
  EXPECT_TRUE(r->includePoliceInSharing);  // the reporter may share with police without a case
}

TEST(IncidentReportRules, RansomNoteNeedsExcerptOrHash) {
  Json doc = fullRansomware();
  doc["ransomware"]["ransom_note"] = Json::object();
  EXPECT_EQ(onlyError(doc).field, "ransomware.ransom_note");
  doc["ransomware"]["ransom_note"] = {
      {"sha256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}};
  EXPECT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());
}

TEST(IncidentReportRules, ReporterOrganisationComesFromTheServer) {
  ValidationOptions opts;
  opts.organisationId = "org_0123456789abcdef";
  auto r = validateSubmission(minimalInitial(), Stage::kInitial, kNow, opts);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ(r->document["reporter"]["organisation"], "org_0123456789abcdef");

  Json doc = minimalInitial();
  doc["reporter"]["organisation"] = "org_0123456789abcdef";
  EXPECT_TRUE(validateSubmission(doc, Stage::kInitial, kNow, opts).ok());

  doc["reporter"]["organisation"] = "org_someoneelse";
  const auto e = onlyError(doc, Stage::kInitial, opts);
  EXPECT_EQ(e.field, "reporter.organisation");
  EXPECT_THAT(e.problem, HasSubstr("must be your own organisation"));

  // Drafts are held to the same rule.
  EXPECT_FALSE(validateDraft(doc, kNow, opts).ok());

  doc["reporter"]["organisation"] = 5;  // one problem, one error
  EXPECT_EQ(onlyError(doc, Stage::kInitial, opts).problem, "expected string, got number");
}

// ----- Limits ----------------------------------------------------------------------------------

TEST(IncidentReportLimits, StringLengthsAreBounded) {
  Json doc = minimalInitial();
  doc["description"] = std::string(kMaxDescriptionLength, 'x');
  EXPECT_TRUE(validateSubmission(doc, Stage::kInitial, kNow).ok());
  doc["description"] = std::string(kMaxDescriptionLength + 1, 'x');
  auto e = onlyError(doc, Stage::kInitial);
  EXPECT_EQ(e.field, "description");
  EXPECT_EQ(e.problem, "is 16385 bytes; at most 16384 are allowed");

  doc = minimalInitial();
  doc["reporter"]["contact"]["name"] = std::string(kMaxNameLength + 1, 'n');
  EXPECT_EQ(onlyError(doc, Stage::kInitial).field, "reporter.contact.name");
}

TEST(IncidentReportLimits, ListLengthsAreBounded) {
  Json doc = fullRansomware();
  doc["indicators"] = Json::array();
  for (size_t i = 0; i < kMaxIndicators; ++i) {
    doc["indicators"].push_back({{"type", "filename"}, {"value", "f" + std::to_string(i)}});
  }
  EXPECT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());
  doc["indicators"].push_back({{"type", "filename"}, {"value", "one too many"}});
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "indicators");
  EXPECT_EQ(e.problem, "has 5001 items; at most 5000 are allowed");

  doc = fullRansomware();
  doc["contacts"] = Json::array();
  for (size_t i = 0; i <= kMaxContacts; ++i) {
    doc["contacts"].push_back({{"name", "c"}, {"phone", "0000"}});
  }
  EXPECT_EQ(onlyError(doc).field, "contacts");
}

TEST(IncidentReportLimits, ErrorListIsCapped) {
  Json doc = fullRansomware();
  doc["indicators"] = Json::array();
  for (int i = 0; i < 300; ++i) doc["indicators"].push_back({{"type", "md5"}, {"value", "x"}});
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  ASSERT_EQ(r.errors().size(), kMaxErrors + 1);
  EXPECT_EQ(r.errors()[0].field, "indicators[0].value");
  EXPECT_EQ(r.errors().back().field, "");
  EXPECT_THAT(r.errors().back().problem, HasSubstr("only the first 100 are listed"));
}

// ----- Drafts ----------------------------------------------------------------------------------

TEST(IncidentReportDraft, EmptyAndPartialDraftsAreAccepted) {
  auto r = validateDraft(Json::object(), kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ(*r, Json::object());  // no defaults are filled into drafts

  Json draft = Json::parse(R"({"type": "ransomware", "sector": "gas",
                               "reporter": {"contact": {"name": ""}},
                               "indicators": [{"type": "ipv4"}],
                               "ransomware": {"backups": {"status": "intact"}}})");
  r = validateDraft(draft, kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ((*r)["ransomware"]["backups"]["status"], "intact");
  EXPECT_FALSE((*r)["reporter"]["contact"].contains("name"));  // blank dropped
}

TEST(IncidentReportDraft, DraftsStillRejectWrongTypesFormatsAndUnknownFields) {
  Json draft = Json::parse(R"({"sector": 3, "impact": {"level": "huge"},
                               "indicators": [{"type": "ipv4", "value": "1.2.3"}],
                               "ransomware": {"backups": {"stauts": "intact"}}})");
  auto r = validateDraft(draft, kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("sector", "impact.level", "indicators[0].value",
                                              "ransomware.backups.stauts"));
}

TEST(IncidentReportDraft, DraftWithoutTypeAcceptsOnePartOnly) {
  EXPECT_TRUE(validateDraft(Json::parse(R"({"ddos": {"peak_bps": 10}})"), kNow).ok());
  auto r = validateDraft(Json::parse(R"({"ddos": {}, "data_leak": {}})"), kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("data_leak"));
  r = validateDraft(Json::parse(R"({"type": "ddos", "ransomware": {}})"), kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("ransomware"));
}

TEST(IncidentReportDraft, DraftsCheckTimeOrder) {
  auto r = validateDraft(Json::parse(R"({"discovered_at": "2025-10-01T00:00:00Z",
                                         "occurred_at": "2025-10-02T00:00:00Z"})"),
                         kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("occurred_at"));
}

// ----- Other report types ----------------------------------------------------------------------

Json withPart(const char* type, const char* partKey, const char* partJson) {
  Json doc = fullRansomware();
  doc.erase("ransomware");
  doc["type"] = type;
  doc[partKey] = Json::parse(partJson);
  return doc;
}

TEST(IncidentReportTypesOther, DdosReport) {
  Json doc = withPart("ddos", "ddos", R"({"peak_bps": 412000000000, "peak_pps": 38000000,
      "duration_minutes": 95, "vectors": ["dns-amplification", "syn-flood"],
      "mitigation": "Upstream scrubbing enabled after 20 minutes."})");
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  ASSERT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_EQ(r->type, ReportType::kDdos);

  doc["ddos"]["vectors"] = Json::array();
  EXPECT_EQ(onlyError(doc).field, "ddos.vectors");
  doc["ddos"]["vectors"] = {"dns-amplification", "teardrop"};
  EXPECT_EQ(onlyError(doc).field, "ddos.vectors[1]");
  doc["ddos"]["vectors"] = {"udp-flood"};
  doc["ddos"].erase("peak_pps");
  EXPECT_EQ(onlyError(doc).field, "ddos.peak_pps");
  EXPECT_TRUE(validateSubmission(doc, Stage::kInterim, kNow).ok());
}

TEST(IncidentReportTypesOther, UnauthorizedAccessReport) {
  Json doc = withPart("unauthorized-access", "unauthorized_access",
                      R"({"accounts_compromised": 3, "privileged": true,
                          "lateral_movement": false})");
  ASSERT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());
  doc["unauthorized_access"]["privileged"] = "yes";
  const auto e = onlyError(doc);
  EXPECT_EQ(e.field, "unauthorized_access.privileged");
  EXPECT_EQ(e.problem, "expected boolean, got string");
  doc.erase("unauthorized_access");
  EXPECT_EQ(onlyError(doc).field, "unauthorized_access");
}

TEST(IncidentReportTypesOther, DataLeakReport) {
  Json doc = withPart("data-leak", "data_leak",
                      R"({"records_affected": 52000, "personal_data": true,
                          "data_categories": ["contact-details", "financial"]})");
  ASSERT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());
  doc["data_leak"]["records_affected"] = -5;
  EXPECT_EQ(onlyError(doc).field, "data_leak.records_affected");
  doc["data_leak"]["records_affected"] = 5;
  doc["data_leak"]["data_categories"] = "financial";
  EXPECT_EQ(onlyError(doc).problem, "expected array, got string");
}

TEST(IncidentReportTypesOther, ServiceOutageReport) {
  Json doc = withPart("service-outage", "service_outage",
                      R"({"outage_minutes": 240, "cause": "suspected-cyberattack",
                          "restored": true, "restored_at": "2025-10-10T05:00:00Z"})");
  ASSERT_TRUE(validateSubmission(doc, Stage::kFinal, kNow).ok());

  doc["service_outage"]["restored_at"] = "2025-10-08T21:00:00Z";  // before occurred_at
  EXPECT_EQ(onlyError(doc).field, "service_outage.restored_at");
  doc["service_outage"]["restored"] = false;
  doc["service_outage"]["restored_at"] = "2025-10-10T05:00:00Z";
  EXPECT_EQ(onlyError(doc).problem, "only allowed when restored is true");
  doc["service_outage"].erase("restored_at");
  doc["services_affected"] = Json::array();
  EXPECT_EQ(onlyError(doc).field, "services_affected");
  doc["service_outage"]["cause"] = "aliens";
  auto r = validateSubmission(doc, Stage::kFinal, kNow);
  EXPECT_THAT(fields(r.errors()), ElementsAre("service_outage.cause", "services_affected"));
}

TEST(IncidentReportTypesOther, NamesRoundTrip) {
  for (const auto t : kReportTypes) EXPECT_EQ(parseReportType(reportTypeName(t)), t);
  for (const auto s : kStages) EXPECT_EQ(parseStage(stageName(s)), s);
  EXPECT_EQ(reportTypePartKey(ReportType::kUnauthorizedAccess), "unauthorized_access");
  EXPECT_FALSE(parseReportType("unauthorized_access").has_value());
  EXPECT_FALSE(parseStage("draft").has_value());
}

// ----- Error format ----------------------------------------------------------------------------

TEST(IncidentReportErrors, JsonAndMessageForms) {
  Json doc = minimalInitial();
  doc.erase("sector");
  doc["impact"]["level"] = "big";
  auto r = validateSubmission(doc, Stage::kInitial, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fieldErrorsJson(r.errors()),
            Json::parse(R"([{"field": "sector", "problem": "required at the initial stage"},
                            {"field": "impact.level",
                             "problem": "must be one of none, minor, moderate, severe, critical"}])"));
  EXPECT_EQ(r.toError().message,
            "sector: required at the initial stage; impact.level: must be one of none, minor, "
            "moderate, severe, critical");
}

// ----- The documented examples ----------------------------------------------------------------

// The first ```json block after `heading` in docs/incident-reports.md.
Json docExample(const std::string& heading) {
  std::ifstream in(std::string(MAMORI_SOURCE_DIR) + "/docs/incident-reports.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string md = text.str();
  const size_t h = md.find(heading);
  EXPECT_NE(h, std::string::npos) << heading;
  const size_t open = md.find("```json\n", h);
  const size_t close = md.find("```\n", open + 8);
  if (h == std::string::npos || open == std::string::npos || close == std::string::npos) return {};
  return Json::parse(md.substr(open + 8, close - open - 8));
}

TEST(IncidentReportDocs, ExamplesAreValid) {
  const Json initial = docExample("An initial ransomware report");
  auto r = validateSubmission(initial, Stage::kInitial, kNow);
  EXPECT_TRUE(r.ok()) << dump(r.errors());
  EXPECT_FALSE(validateSubmission(initial, Stage::kInterim, kNow).ok());

  const Json finalDoc = docExample("The final report for the same incident");
  r = validateSubmission(finalDoc, Stage::kFinal, kNow);
  EXPECT_TRUE(r.ok()) << dump(r.errors());
}

// ----- Deadlines -------------------------------------------------------------------------------

const int64_t kDiscovered = at("2025-10-01T00:00:00Z");

TEST(IncidentReportDeadlines, DefaultsAre24h72h30Days) {
  const auto s = stageStatus(kDiscovered, {}, ReportDeadlines{}, kDiscovered);
  EXPECT_EQ(s[Stage::kInitial].dueAt, at("2025-10-02T00:00:00Z"));
  EXPECT_EQ(s[Stage::kInterim].dueAt, at("2025-10-04T00:00:00Z"));
  EXPECT_EQ(s[Stage::kFinal].dueAt, at("2025-10-31T00:00:00Z"));
  EXPECT_EQ(s.nextDue, Stage::kInitial);
  EXPECT_FALSE(s.overdueNow);
  for (const auto& d : s.stages) {
    EXPECT_FALSE(d.overdue);
    EXPECT_FALSE(d.submittedAt.has_value());
  }
}

TEST(IncidentReportDeadlines, OnTimeAndExactlyAtTheDeadline) {
  const SubmittedStages submitted = {{Stage::kInitial, at("2025-10-01T20:00:00Z")},
                                     {Stage::kInterim, at("2025-10-04T00:00:00Z")}};
  const auto s = stageStatus(kDiscovered, submitted, ReportDeadlines{}, at("2025-10-05T00:00:00Z"));
  EXPECT_FALSE(s[Stage::kInitial].overdue);
  EXPECT_FALSE(s[Stage::kInterim].overdue);  // at the due instant is on time
  EXPECT_EQ(s[Stage::kInterim].submittedAt, at("2025-10-04T00:00:00Z"));
  EXPECT_EQ(s[Stage::kInterim].satisfiedBy, Stage::kInterim);
  EXPECT_EQ(s.nextDue, Stage::kFinal);
  EXPECT_FALSE(s.overdueNow);
}

TEST(IncidentReportDeadlines, LateSubmissionStaysOverdueButIsNotOverdueNow) {
  const SubmittedStages submitted = {{Stage::kInitial, at("2025-10-02T00:00:01Z")}};
  const auto s = stageStatus(kDiscovered, submitted, ReportDeadlines{}, at("2025-10-03T00:00:00Z"));
  EXPECT_TRUE(s[Stage::kInitial].overdue);
  EXPECT_FALSE(s[Stage::kInterim].overdue);  // not yet due
  EXPECT_EQ(s.nextDue, Stage::kInterim);
  EXPECT_FALSE(s.overdueNow);
}

TEST(IncidentReportDeadlines, OverdueWithoutSubmission) {
  const auto s = stageStatus(kDiscovered, {}, ReportDeadlines{}, at("2025-10-02T00:00:01Z"));
  EXPECT_TRUE(s[Stage::kInitial].overdue);
  EXPECT_FALSE(s[Stage::kInterim].overdue);
  EXPECT_FALSE(s[Stage::kFinal].overdue);
  EXPECT_TRUE(s.overdueNow);
  EXPECT_EQ(s.nextDue, Stage::kInitial);

  const auto later = stageStatus(kDiscovered, {}, ReportDeadlines{}, at("2025-11-01T00:00:00Z"));
  for (const auto& d : later.stages) EXPECT_TRUE(d.overdue);
}

TEST(IncidentReportDeadlines, LaterStageSatisfiesEarlierOnes) {
  const SubmittedStages submitted = {{Stage::kFinal, at("2025-10-01T12:00:00Z")}};
  const auto s = stageStatus(kDiscovered, submitted, ReportDeadlines{}, at("2025-10-10T00:00:00Z"));
  for (const auto& d : s.stages) {
    EXPECT_EQ(d.satisfiedBy, Stage::kFinal);
    EXPECT_FALSE(d.overdue);
  }
  EXPECT_FALSE(s.nextDue.has_value());
  EXPECT_FALSE(s.overdueNow);

  // An interim report filed in time also meets the initial deadline, whenever the initial one came.
  const SubmittedStages mixed = {{Stage::kInitial, at("2025-10-03T00:00:00Z")},
                                 {Stage::kInterim, at("2025-10-01T23:00:00Z")}};
  const auto m = stageStatus(kDiscovered, mixed, ReportDeadlines{}, at("2025-10-05T00:00:00Z"));
  EXPECT_EQ(m[Stage::kInitial].satisfiedBy, Stage::kInterim);
  EXPECT_FALSE(m[Stage::kInitial].overdue);
}

TEST(IncidentReportDeadlines, CustomDeadlines) {
  ReportDeadlines d;
  d.initialMicros = 6 * kHour;
  d.interimMicros = 24 * kHour;
  d.finalMicros = 14 * 24 * kHour;
  ASSERT_TRUE(validateDeadlines(d).ok());
  const SubmittedStages submitted = {{Stage::kInitial, at("2025-10-01T07:00:00Z")}};
  const auto s = stageStatus(kDiscovered, submitted, d, at("2025-10-01T08:00:00Z"));
  EXPECT_EQ(s[Stage::kInitial].dueAt, at("2025-10-01T06:00:00Z"));
  EXPECT_TRUE(s[Stage::kInitial].overdue);
  EXPECT_EQ(s[Stage::kFinal].dueAt, at("2025-10-15T00:00:00Z"));

  d.interimMicros = 2 * kHour;  // before the initial deadline
  EXPECT_FALSE(validateDeadlines(d).ok());
  d.interimMicros = 0;
  EXPECT_FALSE(validateDeadlines(d).ok());
  EXPECT_TRUE(validateDeadlines(ReportDeadlines{}).ok());
}

TEST(IncidentReportDeadlines, HugeDeadlineSaturatesInsteadOfOverflowing) {
  ReportDeadlines d;
  d.finalMicros = std::numeric_limits<int64_t>::max();
  const auto s = stageStatus(kDiscovered, {}, d, kDiscovered);
  EXPECT_EQ(s[Stage::kFinal].dueAt, std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(s[Stage::kFinal].overdue);
}

TEST(IncidentReportDeadlines, Json) {
  const SubmittedStages submitted = {{Stage::kInitial, at("2025-10-01T20:00:00Z")}};
  const auto j = stageStatusJson(
      stageStatus(kDiscovered, submitted, ReportDeadlines{}, at("2025-10-05T00:00:00Z")));
  EXPECT_EQ(j["next_due"], "interim");
  EXPECT_EQ(j["overdue_now"], true);
  ASSERT_EQ(j["stages"].size(), 3U);
  EXPECT_EQ(j["stages"][0], Json::parse(R"({"stage": "initial",
      "due_at": "2025-10-02T00:00:00.000000Z", "submitted_at": "2025-10-01T20:00:00.000000Z",
      "satisfied_by": "initial", "overdue": false})"));
  EXPECT_EQ(j["stages"][1]["submitted_at"], nullptr);
  EXPECT_EQ(j["stages"][1]["overdue"], true);
}

}  // namespace
}  // namespace mamori::hub
