// Oversight in the hub: sensor reports (ledger heads and the selection orders a run was under),
// the commission's lists of them, re-verification of heads, and the download of the hub's own
// audit ledger (docs/oversight.md).
//
// Who may do what is authorize()'s decision on the oversight kinds (docs/sharing.md, rule 3 and
// the create rows): centre analysts and admins upload, the commission reads, nobody updates.
// Every call — refused, malformed or not — leaves an audit entry, committed with the write it
// describes.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <span>

#include "hub_internal.h"
#include "mamori/core/crypto.h"
#include "mamori/core/ledger.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"
#include "mamori/sensor/selection_order.h"  // kOrderPayloadType only: the hub does not link the sensor

namespace mamori::hub {

using internal::audit;
using internal::auditEntry;
using internal::forbidden;
using internal::invalid;
using internal::newId;
using internal::notFound;
using internal::unavailable;

namespace {

using Json = nlohmann::json;

// Oversight objects are labelled 0: their audience (the commission) is fixed by law, not by
// clearance, and the sensors that upload them are centre service accounts of any clearance.
constexpr int kOversightSensitivity = 0;
constexpr std::size_t kMaxOrdersPerReport = 16;
constexpr std::size_t kMaxSignaturesPerOrder = 8;
constexpr std::size_t kMaxSensorName = 128;
constexpr std::size_t kMaxPublicKeyPem = 4096;
constexpr std::size_t kDefaultListLimit = 100;

constexpr std::string_view kHeadKind = "ledger-head";
constexpr std::string_view kReportKind = "sensor-report";
constexpr std::string_view kAuditLedgerKind = "audit-ledger";

ObjectLabel oversightLabel(ObjectKind kind, std::string_view ownerOrg) {
  ObjectLabel l;
  l.kind = kind;
  l.ownerOrgId = ownerOrg;
  l.tlp = Tlp::kRed;  // not consulted for oversight kinds
  l.sensitivity = kOversightSensitivity;
  l.released = true;
  return l;
}

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()),
          s.size()};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
}

bool validSensorName(std::string_view s) {
  if (s.empty() || s.size() > kMaxSensorName) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

ApiError fieldError(std::string_view field, std::string message,
                    std::string code = "invalid-field") {
  return invalid(std::move(code), fmt::format("\"{}\": {}", field, message),
                 Json{{"field", field}});
}

// Refuses members outside `allowed`, naming the first (with its path, e.g. "head.extra").
std::optional<ApiError> onlyFields(const Json& object,
                                   std::initializer_list<std::string_view> allowed,
                                   std::string_view prefix) {
  for (const auto& [k, v] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      const std::string field = prefix.empty() ? k : fmt::format("{}.{}", prefix, k);
      return invalid("unknown-field", fmt::format("unknown field \"{}\"", field),
                     Json{{"field", field}});
    }
  }
  return std::nullopt;
}

// One selection order as a sensor reported it: the envelope (structure checked), what the hub
// could read from its payload, and the result of checking its signature.
struct ReportedOrder {  // NOLINT(bugprone-exception-escape): only allocation can throw
  Json envelope;
  std::string canonical;  // envelope.dump(): what is stored and hashed
  std::string envelopeSha256;
  std::string payloadSha256;
  std::string envelopeKeyId;  // the first signature's keyid hint (unauthenticated)
  Json payload;               // the order document
  std::string signature;      // "valid", "invalid" or "unchecked"
  std::string signatureKeyId;
  std::string signatureProblem;
};

struct ParsedReport {  // NOLINT(bugprone-exception-escape): only allocation can throw
  std::string sensor;
  std::string publicKeyPem;
  SignedTreeHead head;
  Json headJson;
  std::vector<ReportedOrder> orders;
};

std::optional<int64_t> timeOf(const Json& payload, const char* key) {
  if (!payload.contains(key) || !payload[key].is_string()) return std::nullopt;
  auto t = parseRfc3339(payload[key].get<std::string>());
  return t ? std::optional(*t) : std::nullopt;
}

std::optional<std::string> textOf(const Json& payload, const char* key) {
  if (!payload.contains(key) || !payload[key].is_string()) return std::nullopt;
  return payload[key].get<std::string>();
}

std::optional<ApiError> parseHead(const Json& j, const VerifyKey& key, ParsedReport& out) {
  if (!j.is_object()) return fieldError("head", "a signed tree head object");
  if (auto e = onlyFields(j, {"tree_size", "root", "time", "key_id", "sig"}, "head")) return e;
  if (!j.contains("tree_size") || !j["tree_size"].is_number_unsigned() ||
      j["tree_size"].get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return fieldError("head.tree_size", "required, an unsigned integer");
  }
  if (!j.contains("root") || !j["root"].is_string() || j["root"].get<std::string>().size() != 64 ||
      !fromHex(j["root"].get<std::string>())) {
    return fieldError("head.root", "required, 64 hex digits");
  }
  if (!j.contains("time") || !j["time"].is_string() ||
      !parseRfc3339(j["time"].get<std::string>())) {
    return fieldError("head.time", "required, an RFC 3339 time");
  }
  if (!j.contains("key_id") || !j["key_id"].is_string()) {
    return fieldError("head.key_id", "required, a string");
  }
  if (!j.contains("sig") || !j["sig"].is_string() || !base64Decode(j["sig"].get<std::string>())) {
    return fieldError("head.sig", "required, a base64 signature");
  }
  auto head = SignedTreeHead::fromJson(j);
  if (!head) return fieldError("head", head.error().message);
  if (head->keyId != key.keyId()) {
    return fieldError(
        "head.key_id",
        fmt::format("'{}' is not the key id of ledger_public_key ({})", head->keyId, key.keyId()),
        "head-key-mismatch");
  }
  if (!key.verify(bytesOf(head->signedBytes()), head->signature)) {
    return fieldError("head.sig", "does not verify under ledger_public_key",
                      "head-signature-invalid");
  }
  out.head = std::move(*head);
  out.headJson = j;
  return std::nullopt;
}

std::optional<ApiError> parseOrder(const Json& j, std::size_t index,
                                   const std::optional<VerifyKey>& commissionKey,
                                   ReportedOrder& out) {
  const std::string at = fmt::format("orders[{}]", index);
  if (!j.is_object()) return fieldError(at, "a DSSE envelope object");
  if (auto e = onlyFields(j, {"payloadType", "payload", "signatures"}, at)) return e;
  if (!j.contains("payloadType") || !j["payloadType"].is_string() ||
      j["payloadType"].get<std::string>() != sensor::kOrderPayloadType) {
    return fieldError(at + ".payloadType",
                      fmt::format("required, \"{}\"", sensor::kOrderPayloadType));
  }
  if (!j.contains("payload") || !j["payload"].is_string()) {
    return fieldError(at + ".payload", "required, base64 of the order document");
  }
  auto payloadBytes = base64Decode(j["payload"].get<std::string>());
  if (!payloadBytes) return fieldError(at + ".payload", "not valid base64");
  const std::string payload(payloadBytes->begin(), payloadBytes->end());
  out.payload = Json::parse(payload, nullptr, false);
  if (out.payload.is_discarded() || !out.payload.is_object() || !out.payload.contains("id") ||
      !out.payload["id"].is_string() || out.payload["id"].get<std::string>().empty()) {
    return fieldError(at + ".payload",
                      "not a selection order document (a JSON object with an \"id\")");
  }
  if (!j.contains("signatures") || !j["signatures"].is_array() || j["signatures"].empty() ||
      j["signatures"].size() > kMaxSignaturesPerOrder) {
    return fieldError(at + ".signatures",
                      fmt::format("required, 1 to {} signatures", kMaxSignaturesPerOrder));
  }
  for (std::size_t k = 0; k < j["signatures"].size(); ++k) {
    const Json& s = j["signatures"][k];
    const std::string sat = fmt::format("{}.signatures[{}]", at, k);
    if (!s.is_object()) return fieldError(sat, "an object {\"keyid\", \"sig\"}");
    if (auto e = onlyFields(s, {"keyid", "sig"}, sat)) return e;
    if (s.contains("keyid") && !s["keyid"].is_string())
      return fieldError(sat + ".keyid", "a string");
    if (!s.contains("sig") || !s["sig"].is_string() || !base64Decode(s["sig"].get<std::string>())) {
      return fieldError(sat + ".sig", "required, a base64 signature");
    }
  }
  const Json& first = j["signatures"][0];
  out.envelopeKeyId = first.contains("keyid") ? first["keyid"].get<std::string>() : "";
  out.envelope = j;
  out.canonical = j.dump();
  out.envelopeSha256 = toHex(sha256(out.canonical));
  out.payloadSha256 = toHex(sha256(payload));
  if (!commissionKey) {
    out.signature = "unchecked";
    out.signatureProblem = "the hub has no commission key (mamori admin commission-key set)";
    return std::nullopt;
  }
  auto verified = dsseVerify(*commissionKey, out.canonical, sensor::kOrderPayloadType);
  if (verified) {
    out.signature = "valid";
    out.signatureKeyId = commissionKey->keyId();
  } else {
    out.signature = "invalid";
    out.signatureProblem = verified.error().message;
  }
  return std::nullopt;
}

std::optional<ApiError> parseReport(std::string_view body,
                                    const std::optional<VerifyKey>& commissionKey,
                                    ParsedReport& out) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return invalid("invalid-json", "the body is not valid JSON");
  if (!j.is_object()) return invalid("invalid-json", "the body is not a JSON object");
  if (auto e = onlyFields(j, {"sensor", "ledger_public_key", "head", "orders"}, "")) return e;
  if (!j.contains("sensor") || !j["sensor"].is_string() ||
      !validSensorName(j["sensor"].get<std::string>())) {
    return fieldError("sensor", "required, 1-128 letters, digits, '-', '_', '.'");
  }
  out.sensor = j["sensor"].get<std::string>();
  if (!j.contains("ledger_public_key") || !j["ledger_public_key"].is_string() ||
      j["ledger_public_key"].get<std::string>().size() > kMaxPublicKeyPem) {
    return fieldError("ledger_public_key", "required, the sensor ledger's public key (PEM)");
  }
  out.publicKeyPem = j["ledger_public_key"].get<std::string>();
  auto key = VerifyKey::fromPem(out.publicKeyPem);
  if (!key) return fieldError("ledger_public_key", "not an Ed25519 public key in PEM");
  if (!j.contains("head")) return fieldError("head", "required, a signed tree head object");
  if (auto e = parseHead(j["head"], *key, out)) return e;
  if (!j.contains("orders") || !j["orders"].is_array() ||
      j["orders"].size() > kMaxOrdersPerReport) {
    return fieldError("orders", fmt::format("required, an array of at most {} DSSE envelopes",
                                            kMaxOrdersPerReport));
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < j["orders"].size(); ++i) {
    ReportedOrder o;
    if (auto e = parseOrder(j["orders"][i], i, commissionKey, o)) return e;
    // The same envelope twice in one report is one order.
    if (seen.insert(o.envelopeSha256).second) out.orders.push_back(std::move(o));
  }
  return std::nullopt;
}

// The latest commission key, or nullopt when none was set (orders are then "unchecked").
Result<std::optional<VerifyKey>> commissionKeyOf(Connection& c) {
  auto rows =
      c.query("SELECT public_key FROM commission_keys ORDER BY set_at DESC, key_id DESC LIMIT 1");
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<VerifyKey>();
  auto key = VerifyKey::fromPem((*rows)[0].text(0));
  if (!key) return Error{"the stored commission key is unreadable: " + key.error().message};
  return std::optional<VerifyKey>(*key);
}

// A list page request: sensor filter, limit, and the cursor "received_at:id" of the last item of
// the previous page.
struct ListQuery {
  std::string sensor;
  std::size_t limit = kDefaultListLimit;
  bool hasCursor = false;
  int64_t cursorAt = 0;
  std::string cursorId;
};

ApiError badParam(std::string_view name, std::string_view why) {
  return invalid("invalid-parameter", fmt::format("parameter '{}': {}", name, why),
                 Json{{"parameter", name}});
}

std::optional<ApiError> parseListQuery(const Hub::QueryParams& params, std::size_t maxLimit,
                                       ListQuery& q) {
  for (const auto& [k, v] : params) {
    if (k == "sensor") {
      if (!validSensorName(v)) return badParam(k, "not a sensor name");
      q.sensor = v;
    } else if (k == "limit") {
      std::size_t n = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || ptr != v.data() + v.size() || n == 0 || n > maxLimit) {
        return badParam(k, fmt::format("a number from 1 to {}", maxLimit));
      }
      q.limit = n;
    } else if (k == "cursor") {
      const auto colon = v.find(':');
      if (colon == std::string::npos || colon + 1 == v.size() ||
          std::from_chars(v.data(), v.data() + colon, q.cursorAt).ec != std::errc()) {
        return badParam(k, "use next_cursor from the previous page");
      }
      q.hasCursor = true;
      q.cursorId = v.substr(colon + 1);
    } else {
      return badParam(k, "unknown parameter");
    }
  }
  return std::nullopt;
}

// " WHERE ..." of a list over a table with sensor, received_at and id columns, newest first.
std::string listSql(std::string_view columns, std::string_view table, const ListQuery& q,
                    std::vector<SqlValue>& params) {
  std::string sql = fmt::format("SELECT {} FROM {} WHERE 1 = 1", columns, table);
  if (!q.sensor.empty()) {
    sql += " AND sensor = ?";
    params.emplace_back(q.sensor);
  }
  if (q.hasCursor) {
    sql += " AND (received_at < ? OR (received_at = ? AND id < ?))";
    params.emplace_back(q.cursorAt);
    params.emplace_back(q.cursorAt);
    params.emplace_back(q.cursorId);
  }
  sql += fmt::format(" ORDER BY received_at DESC, id DESC LIMIT {}", q.limit);
  return sql;
}

Json nullableText(const std::optional<std::string>& s) {
  return s ? Json(*s) : Json();
}
Json nullableTime(const std::optional<int64_t>& t) {
  return t ? Json(formatRfc3339(*t)) : Json();
}

constexpr std::string_view kOrderColumns =
    "id, sensor, order_id, purpose, approved_by, scopes, valid_from, valid_until, "
    "criteria_count, payload_sha256, envelope_key_id, signature, signature_key_id, "
    "signature_problem, received_at, last_reported_at, reports, envelope, owner_org_id";

Json orderJson(const Rows::Row& r) {
  Json scopes = Json::parse(r.text(5), nullptr, false);
  Json envelope = Json::parse(r.text(17), nullptr, false);
  const std::string signature = r.text(11);
  return Json{{"id", r.text(0)},
              {"sensor", r.text(1)},
              {"order_id", r.text(2)},
              {"purpose", nullableText(r.optText(3))},
              {"approved_by", nullableText(r.optText(4))},
              {"scopes", scopes.is_array() ? scopes : Json()},
              {"valid_from", nullableTime(r.optInt64(6))},
              {"valid_until", nullableTime(r.optInt64(7))},
              {"criteria_count", r.optInt64(8) ? Json(*r.optInt64(8)) : Json()},
              {"payload_sha256", r.text(9)},
              {"key_id", nullableText(r.optText(10))},
              {"signature", signature},
              {"issued_by", signature == "valid" ? nullableText(r.optText(12)) : Json()},
              {"signature_problem", nullableText(r.optText(13))},
              {"received_at", formatRfc3339(r.int64(14))},
              {"last_reported_at", formatRfc3339(r.int64(15))},
              {"reports", r.int64(16)},
              {"organisation", r.text(18)},
              {"envelope", envelope.is_discarded() ? Json() : envelope}};
}

constexpr std::string_view kHeadColumns =
    "id, sensor, tree_size, root, head_time, key_id, received_at, owner_org_id";

Json headItemJson(const Rows::Row& r) {
  return Json{{"id", r.text(0)},
              {"sensor", r.text(1)},
              {"tree_size", r.int64(2)},
              {"root", r.text(3)},
              {"time", r.text(4)},
              {"key_id", r.text(5)},
              {"received_at", formatRfc3339(r.int64(6))},
              {"organisation", r.text(7)},
              {"orders", Json::array()}};
}

// An oversight list: its object kind, its query (`id` first), and where in a row its received
// time and owner organisation are.
struct OversightList {
  ObjectKind kind;
  std::string_view columns;
  std::string_view table;
  std::size_t atColumn;
  std::size_t ownerColumn;
  Json (*item)(const Rows::Row&);
};
constexpr OversightList kOrderList{
    ObjectKind::kSelectionOrder, kOrderColumns, "selection_orders", 14, 18, orderJson};
constexpr OversightList kHeadList{
    ObjectKind::kLedgerHead, kHeadColumns, "ledger_heads", 6, 7, headItemJson};

struct OversightPage {  // NOLINT(bugprone-exception-escape): only allocation can throw
  Json items = Json::array();
  Json ids = Json::array();
  Json nextCursor;
};

// What both lists do: authorize() (commission only), the parameters, the page, and authorize()
// again on every row (the second line of defence every list has, docs/sharing.md). `entry` is
// set to the audit entry the caller writes, refused or not — except on kUnavailable.
ApiResult<OversightPage> oversightPage(Connection& c, const Principal& p, const OversightList& list,
                                       const Hub::QueryParams& params, std::size_t maxLimit,
                                       Json& entry) {
  auto dir = DbDirectory::load(c);
  if (!dir) return unavailable(dir.error());
  const Decision d = authorize(p, Action::kRead, oversightLabel(list.kind, ""), *dir);
  entry = auditEntry(p, "read", objectKindName(list.kind), "list", d);
  if (!d) return forbidden(d);
  ListQuery q;
  if (auto e = parseListQuery(params, maxLimit, q)) {
    entry["rejected"] = e->code;
    return *e;
  }
  std::vector<SqlValue> sqlParams;
  const std::string sql = listSql(list.columns, list.table, q, sqlParams);
  auto rows = c.query(sql, sqlParams);
  if (!rows) return unavailable(rows.error());
  OversightPage page;
  std::string last;
  for (const auto& r : *rows) {
    last = fmt::format("{}:{}", r.int64(list.atColumn), r.text(0));
    if (!authorize(p, Action::kRead, oversightLabel(list.kind, r.text(list.ownerColumn)), *dir)) {
      continue;
    }
    page.items.push_back(list.item(r));
    page.ids.push_back(r.text(0));
  }
  if (rows->size() == q.limit) page.nextCursor = last;
  entry["ids"] = page.ids;
  return page;
}

// ------------------------------------------------------------------ the audit ledger as a tar

// POSIX ustar (IEEE Std 1003.1, pax "ustar Interchange Format"): 512-byte headers, data padded
// to 512 bytes, two zero blocks at the end. Chosen because entries must reach the verifier
// byte for byte (they are Merkle leaves) and `tar -x` is on every system the commission uses.
constexpr std::size_t kBlock = 512;
constexpr std::string_view kArchiveDir = "hub-audit/";

// An octal numeric field of `width` bytes (digits, then NUL); sizes too large for it use the
// base-256 form GNU tar and bsdtar read (high bit of the first byte set, big-endian value).
void putNumber(std::array<char, kBlock>& h, std::size_t at, std::size_t width, uint64_t value) {
  uint64_t limit = 1;
  for (std::size_t i = 0; i + 1 < width; ++i) limit *= 8;
  if (value < limit) {
    for (std::size_t i = width - 1; i-- > 0;) {
      h[at + i] = static_cast<char>('0' + (value & 7U));
      value >>= 3;
    }
    h[at + width - 1] = '\0';
    return;
  }
  for (std::size_t i = width; i-- > 1;) {
    h[at + i] = static_cast<char>(value & 0xffU);
    value >>= 8;
  }
  h[at] = static_cast<char>(0x80);
}

std::string tarHeader(std::string_view name, char type, uint64_t size, unsigned mode,
                      int64_t mtimeSeconds) {
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  putNumber(h, 100, 8, mode);
  putNumber(h, 108, 8, 0);  // uid
  putNumber(h, 116, 8, 0);  // gid
  putNumber(h, 124, 12, size);
  putNumber(h, 136, 12, static_cast<uint64_t>(std::max<int64_t>(mtimeSeconds, 0)));
  h[156] = type;
  std::memcpy(h.data() + 257, "ustar", 6);  // magic, NUL-terminated
  std::memcpy(h.data() + 263, "00", 2);     // version
  std::fill(h.begin() + 148, h.begin() + 156, ' ');
  unsigned sum = 0;
  for (const char c : h) sum += static_cast<unsigned char>(c);
  putNumber(h, 148, 7, sum);  // six digits and NUL, then the space already there
  h[155] = ' ';
  return {h.begin(), h.end()};
}

std::string padding(uint64_t size) {
  return std::string((kBlock - size % kBlock) % kBlock, '\0');
}

class TarLedgerArchive final : public Hub::AuditLedgerArchive {
 public:
  // Pieces of the archive in order: bytes held here, or the first `length` bytes of a file.
  struct Piece {
    std::string bytes;
    std::ifstream* file = nullptr;
    uint64_t length = 0;
  };

  static Result<std::shared_ptr<TarLedgerArchive>> snapshot(const std::filesystem::path& state) {
    auto a = std::make_shared<TarLedgerArchive>();
    const auto dir = state / "audit-ledger";
    auto pem = readWholeFile(state / "audit.pub", kMaxPublicKeyPem);
    if (!pem) return pem.error();
    auto key = VerifyKey::fromPem(*pem);
    if (!key) return key.error();
    a->keyId_ = key->keyId();
    // Heads are written after the entries they cover, so the last complete head line read now
    // covers entries already complete on disk: the snapshot ends there.
    a->heads_.open(dir / "heads.ndjson", std::ios::binary);
    a->entries_.open(dir / "entries.ndjson", std::ios::binary);
    if (!a->heads_ || !a->entries_) return Error{"cannot open the audit ledger files"};
    auto headsBytes = a->lastCompleteLine(a->heads_);
    if (!headsBytes) return headsBytes.error();
    auto entriesBytes = a->prefixOfLines(a->entries_, a->treeSize_);
    if (!entriesBytes) return entriesBytes.error();
    const int64_t now = nowMicros() / 1'000'000;
    const std::string dirName(kArchiveDir);
    a->pieces_.push_back({tarHeader(dirName, '5', 0, 0755, now)});
    a->addFile(dirName + "entries.ndjson", &a->entries_, *entriesBytes, now);
    a->addFile(dirName + "heads.ndjson", &a->heads_, *headsBytes, now);
    a->pieces_.push_back({tarHeader(dirName + "audit.pub", '0', pem->size(), 0644, now) + *pem +
                          padding(pem->size())});
    a->pieces_.push_back({std::string(2 * kBlock, '\0')});
    for (const auto& p : a->pieces_) a->size_ += p.file != nullptr ? p.length : p.bytes.size();
    return a;
  }

  uint64_t size() const override { return size_; }
  uint64_t treeSize() const override { return treeSize_; }
  std::string keyId() const override { return keyId_; }

  Result<std::size_t> read(uint64_t offset, std::span<char> out) override {
    std::size_t copied = 0;
    uint64_t start = 0;
    for (const auto& p : pieces_) {
      const uint64_t length = p.file != nullptr ? p.length : p.bytes.size();
      if (copied == out.size()) break;
      if (offset + copied >= start + length) {
        start += length;
        continue;
      }
      const uint64_t within = offset + copied - start;
      const std::size_t n =
          static_cast<std::size_t>(std::min<uint64_t>(length - within, out.size() - copied));
      if (p.file == nullptr) {
        std::memcpy(out.data() + copied, p.bytes.data() + within, n);
      } else {
        p.file->clear();
        p.file->seekg(static_cast<std::streamoff>(within));
        p.file->read(out.data() + copied, static_cast<std::streamsize>(n));
        if (p.file->gcount() != static_cast<std::streamsize>(n)) {
          return Error{"an audit ledger file became shorter while it was read"};
        }
      }
      copied += n;
      start += length;
    }
    return copied;
  }

 private:
  void addFile(const std::string& name, std::ifstream* file, uint64_t length, int64_t now) {
    pieces_.push_back({tarHeader(name, '0', length, 0644, now)});
    pieces_.push_back({"", file, length});
    pieces_.push_back({padding(length)});
  }

  // Bytes of `in` up to and including its last newline; sets treeSize_ from that last line (a
  // head). Reads backwards in blocks: heads.ndjson grows as long as the ledger does.
  Result<uint64_t> lastCompleteLine(std::ifstream& in) {
    in.seekg(0, std::ios::end);
    const auto end = static_cast<uint64_t>(std::max<std::streamoff>(in.tellg(), 0));
    constexpr uint64_t kStep = 4096;
    std::string tail;  // the bytes [from, end)
    uint64_t from = end;
    for (;;) {
      const auto last = tail.rfind('\n');
      if (last != std::string::npos) {
        const auto prev = last == 0 ? std::string::npos : tail.rfind('\n', last - 1);
        if (prev != std::string::npos || from == 0) {
          const std::size_t begin = prev == std::string::npos ? 0 : prev + 1;
          auto head = SignedTreeHead::fromJson(
              Json::parse(std::string_view(tail).substr(begin, last - begin), nullptr, false));
          if (!head) {
            return Error{"the last head of the audit ledger is unreadable: " +
                         head.error().message};
          }
          treeSize_ = head->treeSize;
          return from + last + 1;
        }
      } else if (from == 0) {
        return uint64_t{0};  // no complete head yet: an empty snapshot
      }
      const uint64_t next = from > kStep ? from - kStep : 0;
      std::string block(static_cast<std::size_t>(from - next), '\0');
      in.clear();
      in.seekg(static_cast<std::streamoff>(next));
      in.read(block.data(), static_cast<std::streamsize>(block.size()));
      if (in.gcount() != static_cast<std::streamsize>(block.size())) {
        return Error{"cannot read the audit ledger's heads"};
      }
      tail.insert(0, block);
      from = next;
    }
  }

  // Bytes of `in` up to and including its `lines`-th newline.
  static Result<uint64_t> prefixOfLines(std::ifstream& in, uint64_t lines) {
    in.seekg(0);
    std::array<char, 65536> buf{};
    uint64_t seen = 0;
    uint64_t offset = 0;
    while (seen < lines) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      if (n == 0) return Error{"the audit ledger has fewer entries than its last head covers"};
      for (std::size_t i = 0; i < n; ++i) {
        if (buf[i] == '\n' && ++seen == lines) return offset + i + 1;
      }
      offset += n;
    }
    return uint64_t{0};
  }

  std::ifstream entries_;
  std::ifstream heads_;
  std::vector<Piece> pieces_;
  uint64_t size_ = 0;
  uint64_t treeSize_ = 0;
  std::string keyId_;
};

}  // namespace

// ------------------------------------------------------------------------ administration

Result<std::string> Hub::setCommissionKey(std::string_view publicKeyPem) {
  auto key = VerifyKey::fromPem(publicKeyPem);
  if (!key) return Error{"not an Ed25519 public key in PEM: " + key.error().message};
  const std::string keyId = key->keyId();
  auto c = db_->acquire();
  if (!c) return c.error();
  auto r = c->transaction([&](Connection& tx) -> Result<int64_t> {
    auto ins = tx.execute(
        "INSERT INTO commission_keys (key_id, public_key, set_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key_id) DO UPDATE SET set_at = excluded.set_at",
        keyId, key->toPem(), nowMicros());
    if (!ins) return ins;
    if (auto a =
            audit(tx, Json{{"type", "admin"}, {"action", "set-commission-key"}, {"object", keyId}});
        !a) {
      return a.error();
    }
    return ins;
  });
  if (!r) return r.error();
  state_->notifyDrain();
  return keyId;
}

// ------------------------------------------------------------------------------ requests

ApiResult<Json> Hub::createSensorReport(const Principal& p, std::string_view body) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  // A report creates a ledger head and selection orders: both must be allowed (the rules are
  // the same for the two kinds; asking for both keeps that a fact of authorize(), not of this).
  Decision d =
      authorize(p, Action::kCreate, oversightLabel(ObjectKind::kLedgerHead, p.orgId), *dir);
  if (d)
    d = authorize(p, Action::kCreate, oversightLabel(ObjectKind::kSelectionOrder, p.orgId), *dir);
  if (!d) {
    if (auto a = state_->commitAudit(*c, auditEntry(p, "create", kReportKind, "new", d)); !a) {
      return unavailable(a.error());
    }
    return forbidden(d);
  }
  auto commissionKey = commissionKeyOf(*c);
  if (!commissionKey) return unavailable(commissionKey.error());
  ParsedReport report;
  if (auto err = parseReport(body, *commissionKey, report)) {
    Json entry = auditEntry(p, "create", kReportKind, "new", d);
    entry["rejected"] = err->code;
    if (err->details.is_object() && err->details.contains("field")) {
      entry["field"] = err->details["field"];
    }
    if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
    return *err;
  }
  const std::string rootHex = toHex(report.head.root);
  const auto treeSize = static_cast<int64_t>(report.head.treeSize);
  auto r = c->transaction([&](Connection& tx) -> Result<Json> {
    const int64_t now = nowMicros();
    auto existing = tx.query(
        "SELECT id FROM ledger_heads WHERE sensor = ? AND key_id = ? AND tree_size = ? AND root = "
        "?",
        report.sensor, report.head.keyId, treeSize, rootHex);
    if (!existing) return existing.error();
    Json orderIds = Json::array();
    std::string headId;
    const bool duplicate = !existing->empty();
    if (duplicate) {
      // A retried report: answer with what the first one stored, store nothing again.
      headId = (*existing)[0].text(0);
      auto linked = tx.query(
          "SELECT order_ref FROM ledger_head_orders WHERE head_id = ? ORDER BY order_ref", headId);
      if (!linked) return linked.error();
      for (const auto& row : *linked) orderIds.push_back(row.text(0));
    } else {
      headId = newId("lhd_");
      auto ins = tx.execute(
          "INSERT INTO ledger_heads (id, sensor, owner_org_id, user_id, key_id, public_key, "
          "tree_size, root, head_time, head, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          headId, report.sensor, p.orgId, p.userId, report.head.keyId, report.publicKeyPem,
          treeSize, rootHex, report.head.time, report.headJson.dump(), now);
      if (!ins) return ins.error();
      for (const auto& o : report.orders) {
        auto found =
            tx.query("SELECT id FROM selection_orders WHERE sensor = ? AND envelope_sha256 = ?",
                     report.sensor, o.envelopeSha256);
        if (!found) return found.error();
        std::string orderRef;
        const auto orNull = [](const std::string& s) {
          return s.empty() ? SqlValue() : SqlValue(s);
        };
        if (!found->empty()) {
          orderRef = (*found)[0].text(0);
          // The signature is checked again with the key the hub has now.
          auto u = tx.execute(
              "UPDATE selection_orders SET last_reported_at = ?, reports = reports + 1, "
              "signature = ?, signature_key_id = ?, signature_problem = ? WHERE id = ?",
              now, o.signature, orNull(o.signatureKeyId), orNull(o.signatureProblem), orderRef);
          if (!u) return u.error();
        } else {
          orderRef = newId("ord_");
          const Json& doc = o.payload;
          Json scopes = doc.contains("scopes") && doc["scopes"].is_array() ? doc["scopes"] : Json();
          const bool hasCriteria = doc.contains("criteria") && doc["criteria"].is_array();
          auto ins2 = tx.execute(
              "INSERT INTO selection_orders (id, sensor, envelope_sha256, owner_org_id, order_id, "
              "payload_sha256, purpose, approved_by, scopes, valid_from, valid_until, "
              "criteria_count, envelope_key_id, signature, signature_key_id, signature_problem, "
              "envelope, received_at, last_reported_at, reports) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
              std::array<SqlValue, 19>{
                  SqlValue(orderRef), SqlValue(report.sensor), SqlValue(o.envelopeSha256),
                  SqlValue(p.orgId), SqlValue(doc["id"].get<std::string>()),
                  SqlValue(o.payloadSha256), SqlValue(textOf(doc, "purpose")),
                  SqlValue(textOf(doc, "approved_by")),
                  scopes.is_null() ? SqlValue() : SqlValue(scopes.dump()),
                  SqlValue(timeOf(doc, "valid_from")), SqlValue(timeOf(doc, "valid_until")),
                  hasCriteria ? SqlValue(doc["criteria"].size()) : SqlValue(),
                  orNull(o.envelopeKeyId), SqlValue(o.signature), orNull(o.signatureKeyId),
                  orNull(o.signatureProblem), SqlValue(o.canonical), SqlValue(now), SqlValue(now)});
          if (!ins2) return ins2.error();
        }
        auto link = tx.execute("INSERT INTO ledger_head_orders (head_id, order_ref) VALUES (?, ?)",
                               headId, orderRef);
        if (!link) return link.error();
        orderIds.push_back(orderRef);
      }
    }
    Json entry = auditEntry(p, "create", kReportKind, headId, d);
    entry["sensor"] = report.sensor;
    entry["tree_size"] = report.head.treeSize;
    entry["root"] = rootHex;
    entry["orders"] = orderIds;
    entry["duplicate"] = duplicate;
    Json signatures = Json::array();
    for (const auto& o : report.orders) signatures.push_back(o.signature);
    entry["order_signatures"] = signatures;
    if (auto a = audit(tx, entry); !a) return a.error();
    return Json{{"id", headId}, {"orders", orderIds}, {"duplicate", duplicate}};
  });
  if (!r) return unavailable(r.error());
  state_->notifyDrain();
  return std::move(*r);
}

ApiResult<Json> Hub::listOversightOrders(const Principal& p, const QueryParams& params) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  Json entry;
  auto page = oversightPage(*c, p, kOrderList, params, options_.maxListLimit, entry);
  if (!page.ok() && page.error().kind == ApiError::Kind::kUnavailable) return page.error();
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  if (!page.ok()) return page.error();
  return Json{{"items", page.value().items}, {"next_cursor", page.value().nextCursor}};
}

ApiResult<Json> Hub::listLedgerHeads(const Principal& p, const QueryParams& params) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  Json entry;
  auto page = oversightPage(*c, p, kHeadList, params, options_.maxListLimit, entry);
  if (!page.ok() && page.error().kind == ApiError::Kind::kUnavailable) return page.error();
  if (page.ok() && !page.value().ids.empty()) {
    // The orders each head was reported under, in one query for the page.
    Json& items = page.value().items;
    std::string sql = "SELECT head_id, order_ref FROM ledger_head_orders WHERE head_id IN (";
    std::vector<SqlValue> ids;
    for (const auto& id : page.value().ids) {
      sql += ids.empty() ? "?" : ", ?";
      ids.emplace_back(id.get<std::string>());
    }
    sql += ") ORDER BY head_id, order_ref";
    auto links = c->query(sql, ids);
    if (!links) return unavailable(links.error());
    for (const auto& l : *links) {
      for (auto& item : items) {
        if (item["id"] == l.text(0)) item["orders"].push_back(l.text(1));
      }
    }
  }
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  if (!page.ok()) return page.error();
  return Json{{"items", page.value().items}, {"next_cursor", page.value().nextCursor}};
}

ApiResult<Json> Hub::verifyLedgerHead(const Principal& p, std::string_view id) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  // Decided before the lookup: outside the commission, a head's existence is not told either.
  const Decision d = authorize(p, Action::kRead, oversightLabel(ObjectKind::kLedgerHead, ""), *dir);
  Json entry = auditEntry(p, "verify", kHeadKind, id, d);
  auto finish = [&](ApiResult<Json> result) -> ApiResult<Json> {
    if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
    return result;
  };
  if (!d) return finish(forbidden(d));
  auto rows = c->query(
      "SELECT id, sensor, key_id, public_key, tree_size, root, head, received_at, owner_org_id "
      "FROM ledger_heads WHERE id = ?",
      id);
  if (!rows) return unavailable(rows.error());
  if (rows->empty()) {
    entry["rejected"] = "not-found";
    return finish(notFound("ledger head", id));
  }
  const auto row = (*rows)[0];
  const std::string sensor = row.text(1);
  const std::string keyId = row.text(2);
  const int64_t treeSize = row.int64(4);
  const std::string root = row.text(5);
  const int64_t receivedAt = row.int64(7);
  Json problems = Json::array();

  // The signature, from the stored head and key (a row edited in the database fails here).
  bool signatureValid = false;
  auto key = VerifyKey::fromPem(row.text(3));
  auto head = SignedTreeHead::fromJson(Json::parse(row.text(6), nullptr, false));
  if (!key) {
    problems.push_back("the stored public key is unreadable");
  } else if (!head) {
    problems.push_back("the stored head is unreadable: " + head.error().message);
  } else if (head->keyId != key->keyId() || head->keyId != keyId) {
    problems.push_back(
        fmt::format("the head's key id {} is not the key's {}", head->keyId, key->keyId()));
  } else if (!key->verify(bytesOf(head->signedBytes()), head->signature)) {
    problems.push_back("the signature does not verify under the sensor's ledger key");
  } else if (static_cast<int64_t>(head->treeSize) != treeSize || toHex(head->root) != root) {
    problems.push_back("the stored tree size or root differs from the signed head");
  } else {
    signatureValid = true;
  }

  // Consistency with what the same sensor and key reported before: an append-only ledger never
  // shrinks, and one tree size has one root.
  auto earlier = c->query(
      "SELECT id, tree_size, root, received_at FROM ledger_heads WHERE sensor = ? AND key_id = ? "
      "AND (received_at < ? OR (received_at = ? AND id < ?)) ORDER BY received_at, id",
      sensor, keyId, receivedAt, receivedAt, id);
  if (!earlier) return unavailable(earlier.error());
  bool consistent = true;
  Json previous;
  for (const auto& e : *earlier) {
    const int64_t size = e.int64(1);
    if (size > treeSize) {
      consistent = false;
      problems.push_back(
          fmt::format("the tree shrank: head {} received {} covers {} entries, this one only {}",
                      e.text(0), formatRfc3339(e.int64(3)), size, treeSize));
    } else if (size == treeSize && e.text(2) != root) {
      consistent = false;
      problems.push_back(
          fmt::format("two roots for tree size {}: head {} received {} has root {}, this one {}",
                      treeSize, e.text(0), formatRfc3339(e.int64(3)), e.text(2), root));
    }
    previous = Json{{"id", e.text(0)},
                    {"tree_size", size},
                    {"root", e.text(2)},
                    {"received_at", formatRfc3339(e.int64(3))}};
  }
  Json result{{"id", row.text(0)},
              {"sensor", sensor},
              {"key_id", keyId},
              {"tree_size", treeSize},
              {"root", root},
              {"signature_valid", signatureValid},
              {"consistent_with_previous", consistent},
              {"previous", previous},
              {"problems", problems},
              {"checked_at", formatRfc3339(nowMicros())}};
  entry["signature_valid"] = signatureValid;
  entry["consistent_with_previous"] = consistent;
  entry["problems"] = problems.size();
  return finish(std::move(result));
}

ApiResult<std::shared_ptr<Hub::AuditLedgerArchive>> Hub::auditLedgerArchive(const Principal& p) {
  auto c = db_->acquire();
  if (!c) return unavailable(c.error());
  auto dir = DbDirectory::load(*c);
  if (!dir) return unavailable(dir.error());
  const Decision d =
      authorize(p, Action::kRead, oversightLabel(ObjectKind::kAuditLedger, ""), *dir);
  Json entry = auditEntry(p, "read", kAuditLedgerKind, "download", d);
  const bool held = state_->ledger.has_value();
  if (d && !held) entry["rejected"] = "audit-ledger-unavailable";
  if (auto a = state_->commitAudit(*c, entry); !a) return unavailable(a.error());
  // Moved into the ledger now, so that the archive holds the record of its own download.
  if (d && held) (void)state_->drain(*db_);
  if (!d) return forbidden(d);
  if (!held) {
    return ApiError{ApiError::Kind::kUnavailable, "audit-ledger-unavailable",
                    "this hub process holds no audit ledger", nullptr};
  }
  auto archive = TarLedgerArchive::snapshot(options_.stateDir);
  if (!archive) {
    return ApiError{ApiError::Kind::kUnavailable, "audit-ledger-unavailable",
                    archive.error().message, nullptr};
  }
  return std::shared_ptr<AuditLedgerArchive>(std::move(*archive));
}

}  // namespace mamori::hub
