#include "mamori/sensor/selection_order.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mamori/core/crypto.h"
#include "mamori/core/time.h"

namespace mamori::sensor {
namespace {

constexpr std::string_view kClassNames[kDirectionClassCount] = {
    "foreign-foreign", "foreign-domestic", "domestic-foreign", "domestic-domestic"};

using Json = nlohmann::json;

// Control-plane parsing: throw Failure with a message naming the field; caught at the API edge.
[[noreturn]] void fail(const std::string& message) {
  throw Failure(message);
}

std::string requireString(const Json& obj, const char* field, const std::string& where) {
  const auto it = obj.find(field);
  if (it == obj.end()) fail(fmt::format("{}: missing field '{}'", where, field));
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    fail(fmt::format("{}: field '{}' must be a non-empty string", where, field));
  }
  return it->get<std::string>();
}

std::vector<std::string> stringList(const Json& value, const std::string& where) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    out.reserve(value.size());
    for (const auto& v : value) {
      if (!v.is_string()) fail(where + ": list entries must be strings");
      out.push_back(v.get<std::string>());
    }
  } else {
    fail(where + ": must be a string or a list of strings");
  }
  if (out.empty()) fail(where + ": list is empty");
  return out;
}

Criterion::PortSpec parsePort(const Json& v, const std::string& where, uint8_t proto) {
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 65535) {
    fail(where + ": port must be an integer 1..65535");
  }
  return {static_cast<uint16_t>(v.get<int64_t>()), proto};
}

std::string parsePattern(const std::string& text, const std::string& where, bool& literal) {
  if (text.rfind("hex:", 0) == 0) {
    std::string hex;
    for (char c : text.substr(4)) {
      if (c != ' ') hex.push_back(c);
    }
    auto bytes = fromHex(hex);
    if (!bytes || bytes->empty()) fail(where + ": 'hex:' pattern must be non-empty hex bytes");
    literal = true;
    return std::string(bytes->begin(), bytes->end());
  }
  literal = false;
  std::string re = text.rfind("re:", 0) == 0 ? text.substr(3) : text;
  if (re.empty()) fail(where + ": empty pattern");
  return re;
}

Criterion parseCriterion(const Json& c, size_t index, std::set<std::string>& ids) {
  const std::string at = fmt::format("criteria[{}]", index);
  if (!c.is_object()) fail(at + ": must be an object");
  Criterion out;
  out.id = requireString(c, "id", at);
  if (!ids.insert(out.id).second) fail(fmt::format("{}: duplicate criterion id '{}'", at, out.id));
  const std::string where = fmt::format("{} ({})", at, out.id);

  static const std::set<std::string> kKinds = {"ip",      "ips",  "prefix", "prefixes", "domain",
                                               "domains", "port", "ports",  "ja4",      "pattern"};
  static const std::set<std::string> kModifiers = {"id", "transport", "nocase", "comment"};
  std::string kind;
  for (const auto& [key, value] : c.items()) {
    if (kKinds.count(key)) {
      if (!kind.empty())
        fail(fmt::format("{}: has both '{}' and '{}'; use one kind per criterion", where, kind,
                         key));
      kind = key;
    } else if (!kModifiers.count(key)) {
      fail(fmt::format("{}: unknown field '{}'", where, key));
    }
  }
  if (kind.empty()) {
    fail(where +
         ": needs one of ip, ips, prefix, prefixes, domain, domains, port, ports, ja4, pattern");
  }
  const Json& value = c.at(kind);
  const std::string field = where + "." + kind;
  uint8_t proto = 0;
  if (c.contains("transport")) {
    const Json& t = c.at("transport");
    if (t == "tcp") {
      proto = 6;
    } else if (t == "udp") {
      proto = 17;
    } else {
      fail(where + ".transport: must be \"tcp\" or \"udp\"");
    }
    if (kind != "port" && kind != "ports")
      fail(where + ".transport: only valid with port criteria");
  }
  if (c.contains("nocase") && (!c.at("nocase").is_boolean() || kind != "pattern")) {
    fail(where + ".nocase: must be a boolean on a pattern criterion");
  }

  if (kind == "ip" || kind == "ips" || kind == "prefix" || kind == "prefixes") {
    out.kind = Criterion::Kind::kAddress;
    const auto texts = stringList(value, field);
    out.prefixes.reserve(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      auto p = IpPrefix::parse(texts[i]);
      if (!p) fail(fmt::format("{}[{}]: {}", field, i, p.error().message));
      out.prefixes.push_back(*p);
    }
  } else if (kind == "domain" || kind == "domains") {
    out.kind = Criterion::Kind::kDomain;
    out.domains = stringList(value, field);
  } else if (kind == "port" || kind == "ports") {
    out.kind = Criterion::Kind::kPort;
    if (value.is_array()) {
      if (value.empty()) fail(field + ": list is empty");
      for (const auto& v : value) out.ports.push_back(parsePort(v, field, proto));
    } else {
      out.ports.push_back(parsePort(value, field, proto));
    }
  } else if (kind == "ja4") {
    out.kind = Criterion::Kind::kJa4;
    out.ja4 = stringList(value, field);
  } else {
    out.kind = Criterion::Kind::kPattern;
    if (!value.is_string()) fail(field + ": must be a string ('hex:...' or a regular expression)");
    out.pattern = parsePattern(value.get<std::string>(), field, out.patternIsLiteral);
    out.caseless = c.value("nocase", false);
  }
  return out;
}

SelectionOrder parseOrThrow(std::string_view text) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    fail(std::string("order is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) fail("order must be a JSON object");
  static const std::set<std::string> kFields = {
      "id", "purpose", "scopes", "valid_from", "valid_until", "criteria", "approved_by", "comment"};
  for (const auto& [key, value] : doc.items()) {
    if (!kFields.count(key)) fail("order: unknown field '" + key + "'");
  }
  SelectionOrder order;
  order.id = requireString(doc, "id", "order");
  order.purpose = requireString(doc, "purpose", "order");

  const auto scopes = doc.find("scopes");
  if (scopes == doc.end() || !scopes->is_array() || scopes->empty()) {
    fail("order: 'scopes' must be a non-empty list of direction classes");
  }
  for (const auto& s : *scopes) {
    if (!s.is_string()) fail("order.scopes: entries must be strings");
    auto c = parseDirectionClass(s.get<std::string>());
    if (!c) fail("order.scopes: " + c.error().message);
    if (*c == DirectionClass::kDomesticDomestic) {
      fail(
          "order.scopes: domestic-domestic communications may never be analysed; an order naming "
          "this scope is invalid");
    }
    order.scopeMask = static_cast<uint8_t>(order.scopeMask | (1U << static_cast<unsigned>(*c)));
  }

  auto from = parseRfc3339(requireString(doc, "valid_from", "order"));
  if (!from) fail("order.valid_from: " + from.error().message);
  auto until = parseRfc3339(requireString(doc, "valid_until", "order"));
  if (!until) fail("order.valid_until: " + until.error().message);
  order.validFrom = *from;
  order.validUntil = *until;
  if (order.validUntil <= order.validFrom) fail("order: valid_until must be after valid_from");

  const auto criteria = doc.find("criteria");
  if (criteria == doc.end() || !criteria->is_array() || criteria->empty()) {
    fail("order: 'criteria' must be a non-empty list");
  }
  if (criteria->size() > kMaxCriteria) {
    fail(
        fmt::format("order: {} criteria; at most {} are allowed (put many values in one list "
                    "criterion such as \"ips\" or \"domains\")",
                    criteria->size(), kMaxCriteria));
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < criteria->size(); ++i) {
    order.criteria.push_back(parseCriterion((*criteria)[i], i, ids));
  }
  order.sha256 = toHex(sha256(text));
  return order;
}

}  // namespace

std::string_view directionClassName(DirectionClass c) {
  return kClassNames[static_cast<size_t>(c)];
}

Result<DirectionClass> parseDirectionClass(std::string_view name) {
  for (size_t i = 0; i < kDirectionClassCount; ++i) {
    if (kClassNames[i] == name) return static_cast<DirectionClass>(i);
  }
  return makeError("unknown direction class '" + std::string(name) +
                   "' (expected foreign-foreign, foreign-domestic, domestic-foreign)");
}

Result<SelectionOrder> parseSelectionOrder(std::string_view json) {
  try {
    return parseOrThrow(json);
  } catch (const Failure& e) {
    return makeError(e.what());
  } catch (const nlohmann::json::exception& e) {
    return makeError(std::string("order: ") + e.what());
  }
}

Result<SelectionOrder> loadSignedOrder(const std::filesystem::path& path, const VerifyKey& trusted,
                                       int64_t atMicros) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(fmt::format("{}: cannot read order file", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto payload = dsseVerify(trusted, buffer.str(), kOrderPayloadType);
  if (!payload) {
    return makeError(fmt::format("{}: order refused: {}", path.string(), payload.error().message));
  }
  auto order = parseSelectionOrder(*payload);
  if (!order) {
    return makeError(fmt::format("{}: order refused: {}", path.string(), order.error().message));
  }
  if (!order->validAt(atMicros)) {
    return makeError(fmt::format("{}: order refused: '{}' is valid from {} until {}, not at {}",
                                 path.string(), order->id, formatRfc3339(order->validFrom),
                                 formatRfc3339(order->validUntil), formatRfc3339(atMicros)));
  }
  return order;
}

}  // namespace mamori::sensor
