// docs/openapi.yaml is kept true: it documents exactly the routes HubServer registers, its
// responses are consistent with what the server can answer, and a live hub (SQLite) answers every
// documented operation with a documented status, a body of the documented shape and, for errors,
// a documented error code.
//
// No YAML library is available, so the file is read by a small reader for the restricted style
// the file's header describes (block mappings and sequences, one-line scalars, one-line flow
// sequences, block scalars); anything outside it is a test failure naming the line.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "hub_server_fixture.h"
#include "mamori/core/time.h"
#include "mamori/hub/hub.h"
#include "mamori/hub/server.h"
#include "mamori/sensor/selection_order.h"

namespace mamori::hub {
namespace {

using Json = nlohmann::json;

// ------------------------------------------------------------------ a reader for the YAML subset

class MiniYaml {
 public:
  static Json parse(const std::string& text) {
    MiniYaml y;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      y.raw_.push_back(line);
      if (line.find('\t') != std::string::npos) y.fail(number, "tab character");
      const auto first = line.find_first_not_of(' ');
      if (first == std::string::npos || line[first] == '#') continue;
      y.lines_.push_back({static_cast<int>(first), line.substr(first), number});
    }
    if (y.lines_.empty()) return nullptr;
    Json out = y.node(y.lines_[0].indent);
    if (y.pos_ != y.lines_.size()) y.fail(y.lines_[y.pos_].number, "unexpected indentation");
    return out;
  }

 private:
  struct Line {
    int indent;
    std::string text;
    int number;
  };

  [[noreturn]] static void fail(int number, const std::string& why) {
    throw std::runtime_error(fmt::format("docs/openapi.yaml line {}: {}", number, why));
  }

  static bool isSequenceItem(const std::string& t) { return t == "-" || t.starts_with("- "); }

  Json node(int indent) {
    if (isSequenceItem(lines_[pos_].text)) return sequence(indent);
    return mapping(indent);
  }

  Json sequence(int indent) {
    Json out = Json::array();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent &&
           isSequenceItem(lines_[pos_].text)) {
      Line& l = lines_[pos_];
      const std::string rest = l.text == "-" ? "" : l.text.substr(2);
      if (rest.empty()) {
        ++pos_;
        if (pos_ >= lines_.size() || lines_[pos_].indent <= indent) fail(l.number, "empty item");
        out.push_back(node(lines_[pos_].indent));
      } else if (keyEnd(rest) != std::string::npos) {
        // "- key: value" opens a mapping whose keys are indented like `key`.
        l.indent = indent + 2;
        l.text = rest;
        out.push_back(mapping(indent + 2));
      } else {
        out.push_back(scalar(stripComment(rest), l.number));
        ++pos_;
      }
    }
    return out;
  }

  Json mapping(int indent) {
    Json out = Json::object();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
      const Line l = lines_[pos_];
      if (isSequenceItem(l.text)) fail(l.number, "sequence item where a key was expected");
      const std::size_t end = keyEnd(l.text);
      if (end == std::string::npos) fail(l.number, "expected 'key: value'");
      const std::string keyText = l.text.substr(0, end);
      const Json key = scalar(keyText, l.number);
      const std::string k = key.is_string() ? key.get<std::string>() : key.dump();
      if (out.contains(k)) fail(l.number, "duplicate key " + k);
      const std::string value = stripComment(l.text.substr(std::min(l.text.size(), end + 1)));
      ++pos_;
      if (value.empty()) {
        if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
          out[k] = node(lines_[pos_].indent);
        } else {
          out[k] = nullptr;
        }
      } else if (value[0] == '|' || value[0] == '>') {
        out[k] = blockScalar(value, indent, l.number);
      } else {
        out[k] = scalar(value, l.number);
      }
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
      fail(lines_[pos_].number, "unexpected indentation");
    }
    return out;
  }

  // Folded (>) or literal (|) text: the raw lines indented deeper than the key.
  std::string blockScalar(const std::string& header, int indent, int number) {
    const bool folded = header[0] == '>';
    const bool strip = header.find('-') != std::string::npos;
    std::vector<std::string> body;
    int blockIndent = -1;
    std::size_t row = static_cast<std::size_t>(number);  // raw_ index of the next line
    for (; row < raw_.size(); ++row) {
      const std::string& r = raw_[row];
      const auto first = r.find_first_not_of(' ');
      if (first == std::string::npos) {
        body.emplace_back();
        continue;
      }
      if (static_cast<int>(first) <= indent) break;
      if (blockIndent < 0) blockIndent = static_cast<int>(first);
      if (static_cast<int>(first) < blockIndent)
        fail(static_cast<int>(row) + 1, "block indentation");
      body.push_back(r.substr(static_cast<std::size_t>(blockIndent)));
    }
    while (!body.empty() && body.back().empty()) body.pop_back();
    // Skip the structured lines the block covered (comment-looking lines inside it included).
    while (pos_ < lines_.size() && lines_[pos_].number <= static_cast<int>(row)) ++pos_;
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (i > 0) out += folded && !body[i].empty() && !body[i - 1].empty() ? " " : "\n";
      out += body[i];
    }
    if (!strip) out += "\n";
    return out;
  }

  // Where the key of "key: value" / "key:" ends, outside quotes; npos when the line is not one.
  static std::size_t keyEnd(const std::string& t) {
    char quote = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const char c = t[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if ((c == '"' || c == '\'') && i == 0) {
        quote = c;
      } else if (c == ':' && (i + 1 == t.size() || t[i + 1] == ' ')) {
        return i;
      } else if ((c == '[' || c == '{') && i == 0) {
        return std::string::npos;  // a flow value, not a key
      }
    }
    return std::string::npos;
  }

  static std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(' ');
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(' ') - b + 1);
  }

  static std::string stripComment(const std::string& s) {
    char quote = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (quote != 0) {
        if (s[i] == quote) quote = 0;
      } else if (s[i] == '"' || s[i] == '\'') {
        quote = s[i];
      } else if (s[i] == '#' && (i == 0 || s[i - 1] == ' ')) {
        return trim(s.substr(0, i));
      }
    }
    return trim(s);
  }

  Json scalar(const std::string& raw, int number) const {
    const std::string s = trim(raw);
    if (s.empty()) return nullptr;
    if (s[0] == '"') {
      if (s.size() < 2 || s.back() != '"') fail(number, "unterminated double-quoted scalar");
      std::string out;
      for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        if (s[i] == '\\' && i + 2 < s.size()) {
          const char e = s[++i];
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          out += s[i];
        }
      }
      return out;
    }
    if (s[0] == '\'') {
      if (s.size() < 2 || s.back() != '\'') fail(number, "unterminated single-quoted scalar");
      std::string out;
      for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        out += s[i];
        if (s[i] == '\'' && s[i + 1] == '\'') ++i;
      }
      return out;
    }
    if (s == "{}") return Json::object();
    if (s[0] == '{') fail(number, "flow mappings are outside the supported style");
    if (s[0] == '[') {
      if (s.back() != ']') fail(number, "flow sequences must close on their line");
      Json out = Json::array();
      const std::string inner = trim(s.substr(1, s.size() - 2));
      if (inner.empty()) return out;
      std::string item;
      char quote = 0;
      for (const char c : inner) {
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == ',') {
          out.push_back(scalar(item, number));
          item.clear();
          continue;
        } else if (c == '[' || c == '{') {
          fail(number, "nested flow collections are outside the supported style");
        }
        item += c;
      }
      out.push_back(scalar(item, number));
      return out;
    }
    if (s[0] == '&' || s[0] == '*' || s[0] == '!' || s[0] == '%' || s[0] == '@' || s[0] == '`') {
      fail(number,
           "anchors, aliases, tags and reserved indicators are outside the supported style");
    }
    if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) {
      fail(number, "plain scalar containing ': ' or ' #' (quote it)");
    }
    if (s == "true") return true;
    if (s == "false") return false;
    if (s == "null" || s == "~") return nullptr;
    const bool integer =
        std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
        s != "-";
    if (integer && s.size() < 18) return std::stoll(s);
    return s;
  }

  std::vector<std::string> raw_;
  std::vector<Line> lines_;
  std::size_t pos_ = 0;
};

TEST(OpenApiYamlReader, ReadsTheSubsetLikeYaml) {
  const Json j = MiniYaml::parse(
      "# comment\n"
      "a: 1\n"
      "b: 'x: y'\n"
      "c:\n"
      "  - name: n\n"
      "    in: query\n"
      "  - $ref: \"#/r\"\n"
      "d: [x, 'y z', AMBER+STRICT]\n"
      "e: >-\n"
      "  folded\n"
      "  text\n"
      "f: |\n"
      "  lit\n"
      "  eral\n"
      "g:\n"
      "  '200':\n"
      "    h: true  # trailing\n"
      "i: {}\n"
      "j: 3.0.3\n");
  const Json want = Json::parse(R"({"a": 1, "b": "x: y",
    "c": [{"name": "n", "in": "query"}, {"$ref": "#/r"}], "d": ["x", "y z", "AMBER+STRICT"],
    "e": "folded text", "f": "lit\neral\n", "g": {"200": {"h": true}}, "i": {}, "j": "3.0.3"})");
  EXPECT_EQ(j, want) << j.dump(2);
  EXPECT_THROW(MiniYaml::parse("a: 1\n  b: 2\n"), std::runtime_error);
  EXPECT_THROW(MiniYaml::parse("a: {b: 1}\n"), std::runtime_error);
  EXPECT_THROW(MiniYaml::parse("a: 1\na: 2\n"), std::runtime_error);
}

// ------------------------------------------------------------------------------ the document

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const Json& spec() {
  static const Json kSpec =
      MiniYaml::parse(readFile(std::string(MAMORI_SOURCE_DIR) + "/docs/openapi.yaml"));
  return kSpec;
}

// Follows "$ref": "#/a/b" (local references only).
const Json* resolve(const Json& root, const Json& node) {
  const Json* cur = &node;
  for (int hops = 0; cur->is_object() && cur->contains("$ref"); ++hops) {
    if (hops > 16 || !(*cur)["$ref"].is_string()) return nullptr;
    const std::string ref = (*cur)["$ref"].get<std::string>();
    if (!ref.starts_with("#/")) return nullptr;
    const Json::json_pointer ptr(ref.substr(1));
    if (!root.contains(ptr)) return nullptr;
    cur = &root.at(ptr);
  }
  return cur;
}

const Json& resolved(const Json& node) {
  const Json* r = resolve(spec(), node);
  if (r == nullptr) throw std::runtime_error("unresolvable " + node.dump());
  return *r;
}

constexpr std::array<std::string_view, 5> kMethods = {"get", "post", "put", "patch", "delete"};

struct Operation {
  std::string method;  // upper case, as HubServer::routes() names it
  std::string path;    // full path, servers[0].url + the path key
  std::string key;     // the path key
  const Json* op;
};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<Operation> operations() {
  std::vector<Operation> out;
  const std::string base = spec()["servers"][0]["url"].get<std::string>();
  for (const auto& [key, item] : spec()["paths"].items()) {
    for (const auto& [m, op] : item.items()) {
      if (std::find(kMethods.begin(), kMethods.end(), m) == kMethods.end()) continue;
      out.push_back({upper(m), base + key, key, &op});
    }
  }
  return out;
}

const Operation* findOperation(const std::string& method, const std::string& path) {
  static const std::vector<Operation> kOps = operations();
  for (const auto& o : kOps) {
    if (o.method == method && o.path == path) return &o;
  }
  return nullptr;
}

bool secured(const Operation& o) {
  const Json& sec = o.op->contains("security") ? (*o.op)["security"] : spec()["security"];
  return sec.is_array() && !sec.empty();
}

// A response's schema for application/json, resolved; nullptr when it has none.
const Json* jsonSchemaOf(const Json& response) {
  const Json& r = resolved(response);
  if (!r.contains("content") || !r["content"].contains("application/json")) return nullptr;
  return &resolved(r["content"]["application/json"]["schema"]);
}

std::set<std::string> errorCodesOf(const Json& response) {
  const Json& r = resolved(response);
  std::set<std::string> out;
  if (r.contains("x-error-codes")) {
    for (const auto& c : r["x-error-codes"]) out.insert(c.get<std::string>());
  }
  return out;
}

// --------------------------------------------------------------- checking values against schemas

// Problems of `v` against `schema`, each naming its JSON path. Beyond JSON Schema, every member of
// a response object must be documented (a property of the schema or of one of its allOf parts)
// unless the schema allows additional properties explicitly: responses carry no hidden fields.
void conform(const Json& v, const Json& schemaIn, const std::string& at,
             std::vector<std::string>& problems) {
  const Json& schema = resolved(schemaIn);
  if (v.is_null()) {
    if (!schema.value("nullable", false)) problems.push_back(at + ": null but not nullable");
    return;
  }
  std::map<std::string, const Json*> properties;
  std::set<std::string> required;
  bool open = false;
  bool typed = false;
  std::function<void(const Json&)> collect = [&](const Json& sIn) {
    const Json& s = resolved(sIn);
    if (s.contains("properties")) {
      for (const auto& [k, p] : s["properties"].items()) properties[k] = &p;
    }
    if (s.contains("required")) {
      for (const auto& r : s["required"]) required.insert(r.get<std::string>());
    }
    if (s.contains("additionalProperties") &&
        !(s["additionalProperties"].is_boolean() && !s["additionalProperties"].get<bool>())) {
      open = true;
    }
    if (s.contains("allOf")) {
      for (const auto& part : s["allOf"]) {
        const Json& p = resolved(part);
        if (p.contains("type") || p.contains("properties") || p.contains("allOf")) {
          collect(part);
        }
      }
    }
    if (s.contains("type")) {
      typed = true;
      const std::string t = s["type"].get<std::string>();
      const bool ok = t == "object"    ? v.is_object()
                      : t == "array"   ? v.is_array()
                      : t == "string"  ? v.is_string()
                      : t == "integer" ? v.is_number_integer()
                      : t == "number"  ? v.is_number()
                      : t == "boolean" ? v.is_boolean()
                                       : false;
      if (!ok) problems.push_back(fmt::format("{}: {} is not of type {}", at, v.dump(), t));
    }
    if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end()) {
      problems.push_back(fmt::format("{}: {} is not one of {}", at, v.dump(), s["enum"].dump()));
    }
    if (s.value("format", "") == "date-time" && v.is_string() &&
        !parseRfc3339(v.get<std::string>())) {
      problems.push_back(fmt::format("{}: {} is not an RFC 3339 time", at, v.dump()));
    }
    if (v.is_number() && s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) {
      problems.push_back(fmt::format("{}: {} is below the minimum", at, v.dump()));
    }
    if (v.is_number() && s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) {
      problems.push_back(fmt::format("{}: {} is above the maximum", at, v.dump()));
    }
    if (v.is_array() && s.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        conform(v[i], s["items"], fmt::format("{}[{}]", at, i), problems);
      }
    }
  };
  collect(schema);
  // A schema with neither a type nor properties (Error.details) allows any value.
  if (!v.is_object() || (properties.empty() && !typed)) return;
  for (const auto& r : required) {
    if (!v.contains(r)) problems.push_back(fmt::format("{}: required member '{}' missing", at, r));
  }
  for (const auto& [k, member] : v.items()) {
    auto it = properties.find(k);
    if (it == properties.end()) {
      if (!open) problems.push_back(fmt::format("{}: undocumented member '{}'", at, k));
      continue;
    }
    conform(member, *it->second, fmt::format("{}.{}", at, k), problems);
  }
}

// ------------------------------------------------------------------------------ static checks

class OpenApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_THROW((void)spec());
    db_ = std::make_unique<test_support::TestDatabase>("sqlite");
    ASSERT_TRUE(db_->error().empty()) << db_->error();
    HubOptions options;
    options.maxEventsPerBatch = 100;
    ASSERT_TRUE(hut_.open(db_->url(), options));
    hut_.organisation({"NISC Centre", OrgType::kCentre});
    hut_.organisation({"Ministry of Health", OrgType::kMinistry});
    hut_.organisation({"Sakura Hospital",
                       OrgType::kOperator,
                       Sector::kMedical,
                       "Ministry of Health",
                       {"203.0.113.0/24"},
                       {"sakura-hp.example.jp"}});
    hut_.organisation({"Fuji Bank", OrgType::kOperator, Sector::kFinance, "", {"198.51.100.0/24"}, {}});
    analyst_ = hut_.userToken("centre-analyst", "NISC Centre", Role::kAnalyst, 2);
    hospital_ = hut_.userToken("hospital-analyst", "Sakura Hospital", Role::kAnalyst, 2);
    bank_ = hut_.userToken("bank-analyst", "Fuji Bank", Role::kAnalyst, 3);
    viewer_ = hut_.userToken("hospital-viewer", "Sakura Hospital", Role::kViewer, 2);
    hospitalAdmin_ = hut_.userToken("hospital-admin", "Sakura Hospital", Role::kAdmin, 2);
    // --- oversight: the commission, the only reader of /oversight/...
    hut_.organisation({"Oversight Commission", OrgType::kCommission});
    commissioner_ = hut_.userToken("commissioner", "Oversight Commission", Role::kViewer, 0);
    auto nurse = hut_.hub().createUser(
        {"nurse", "Sakura Hospital", Role::kAnalyst, 1, std::string(kNursePassword)});
    ASSERT_TRUE(nurse.ok()) << nurse.error().message;
    ASSERT_TRUE(hut_.serve(2));
  }

  void TearDown() override { hut_.stop(); }

  using Reply = test_support::HubUnderTest::Reply;
  Reply call(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "", const std::string& type = "application/json",
             const httplib::Headers& headers = {}) {
    return hut_.call(method, path, token, body, type, headers);
  }

  // Calls `path` (an instance of the documented `templ`) and checks the answer against the
  // document: a documented status, a body of the documented schema, a documented error code.
  Reply check(const std::string& method, const std::string& templ, const std::string& path,
              const std::string& token, const std::string& body = "",
              const std::string& type = "application/json", const httplib::Headers& headers = {}) {
    Reply r = call(method, path, token, body, type, headers);
    const Operation* o = findOperation(method, templ);
    if (o == nullptr) {
      ADD_FAILURE() << method << " " << templ << " is not documented";
      return r;
    }
    exercised_.insert({method, templ, r.status});
    const std::string status = std::to_string(r.status);
    const Json& responses = (*o->op)["responses"];
    if (!responses.contains(status)) {
      ADD_FAILURE() << method << " " << path << " answered " << status
                    << ", not documented: " << r.body.dump();
      return r;
    }
    if (r.status == 204) return r;  // no content, nothing to conform
    const Json* schema = jsonSchemaOf(responses[status]);
    if (schema == nullptr) {
      ADD_FAILURE() << method << " " << templ << " " << status << " documents no JSON schema";
      return r;
    }
    std::vector<std::string> problems;
    conform(r.body, *schema, "$", problems);
    for (const auto& p : problems)
      ADD_FAILURE() << method << " " << path << " " << status << ": " << p;
    if (r.status >= 400) {
      const std::string code = r.body["error"].value("code", "");
      const auto codes = errorCodesOf(responses[status]);
      EXPECT_TRUE(codes.contains(code)) << method << " " << templ << " " << status
                                        << " answered code '" << code << "', not in x-error-codes";
    }
    return r;
  }

  std::unique_ptr<test_support::TestDatabase> db_;
  test_support::HubUnderTest hut_;
  // A console session of the nurse, opened by the hub directly (HTTP replies here do not keep
  // headers): {Cookie header value, csrf token}.
  std::pair<std::string, std::string> session() {
    auto s = hut_.hub().login("nurse", kNursePassword);
    EXPECT_TRUE(s.ok());
    if (!s.ok()) return {};
    return {"mamori_session=" + s.value().secret, s.value().csrfToken};
  }

  static constexpr std::string_view kNursePassword = "a console password";
  std::string analyst_, hospital_, bank_, viewer_, hospitalAdmin_;
  std::set<std::tuple<std::string, std::string, int>> exercised_;

  // --- shared indicators and routes: every documented answer, with real items in the lists.
  void exerciseIndicators() {
    const std::string ind = "/api/v1/indicators";
    const std::string bankId = call("GET", "/api/v1/me", bank_).body["organisation"]["id"];
    const Json publish{{"indicators",
                        {{{"type", "domain"}, {"value", "Evil.Example.COM."}, {"tlp", "GREEN"}},
                         {{"type", "ipv4"},
                          {"value", "198.51.100.0/25"},
                          {"tlp", "AMBER"},
                          {"sensitivity", 1},
                          {"recipients", {bankId}},
                          {"action", "monitor"},
                          {"valid_until", "2030-01-01T00:00:00Z"},
                          {"description", "scanner range"}}}}};
    Reply r = check("POST", ind, ind, hospital_, publish.dump());
    ASSERT_EQ(r.status, 201) << r.body.dump();
    ASSERT_EQ(r.body["items"].size(), 2U);
    const std::string green = r.body["items"][0]["id"];
    EXPECT_EQ(check("POST", ind, ind, hospital_, R"({"indicators":[{"type":"domain"}]})").status,
              400);
    EXPECT_EQ(check("POST", ind, ind, hospital_, "{").status, 400);
    EXPECT_EQ(check("POST", ind, ind, viewer_, publish.dump()).status, 403);
    r = check("GET", ind, ind + "?after=0&limit=10&type=domain&type=ipv4", bank_);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["items"].size(), 2U);  // the schema of real items is checked too
    for (const char* q : {"?limit=0", "?limit=x", "?after=-1", "?type=colour", "?colour=red"}) {
      EXPECT_EQ(check("GET", ind, ind + q, bank_).status, 400) << q;
    }
    const std::string one = "/api/v1/indicators/{id}";
    EXPECT_EQ(check("DELETE", one, ind + "/" + green, viewer_).status, 403);  // role-below-analyst
    EXPECT_EQ(check("DELETE", one, ind + "/" + green, bank_).status, 403);    // not-own-org
    EXPECT_EQ(check("DELETE", one, ind + "/ind_nope", hospital_).status, 404);
    r = check("DELETE", one, ind + "/" + green, hospital_);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body["revoked"], true);
    const std::string routes = "/api/v1/routes";
    r = check("GET", routes, routes, viewer_);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["items"].size(), 2U);  // the hospital's and the bank's prefixes
  }

  // --- oversight: every documented answer of the oversight operations, for a centre sensor, the
  // commission and others; the audit ledger download is checked here since it is not JSON.
  std::string commissioner_;
  void exerciseOversight() {
    const SigningKey sensorKey = SigningKey::generate();
    const SigningKey commissionKey = SigningKey::generate();
    ASSERT_TRUE(hut_.hub().setCommissionKey(commissionKey.publicKey().toPem()).ok());
    SignedTreeHead head;
    head.treeSize = 4;
    head.root = sha256(std::string_view("root"));
    head.time = "2026-11-26T01:00:00Z";
    head.keyId = sensorKey.publicKey().keyId();
    const std::string signedBytes = head.signedBytes();
    head.signature = sensorKey.sign(std::span(
        reinterpret_cast<const uint8_t*>(signedBytes.data()),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
        signedBytes.size()));
    const Json order = Json::parse(
        dsseSign(commissionKey, sensor::kOrderPayloadType, R"({"id":"o1","criteria":[]})"));
    const Json report{{"sensor", "sensor-1"},
                      {"ledger_public_key", sensorKey.publicKey().toPem()},
                      {"head", head.toJson()},
                      {"orders", Json::array({order})}};
    const std::string sr = "/api/v1/sensor-reports";
    Reply r = check("POST", sr, sr, analyst_, report.dump());
    ASSERT_EQ(r.status, 201) << r.body.dump();
    const std::string headId = r.body["id"];
    EXPECT_EQ(check("POST", sr, sr, analyst_, R"({"sensor":"s","extra":1})").status, 400);
    EXPECT_EQ(check("POST", sr, sr, hospital_, report.dump()).status, 403);
    for (const std::string path : {"/api/v1/oversight/orders", "/api/v1/oversight/ledger-heads"}) {
      r = check("GET", path, path, commissioner_);
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.body["items"].size(), 1U);  // the schema of a real item is checked too
      EXPECT_EQ(check("GET", path, path + "?limit=0", commissioner_).status, 400);
      EXPECT_EQ(check("GET", path, path, analyst_).status, 403);
    }
    const std::string ver = "/api/v1/oversight/ledger-heads/{id}/verification";
    const std::string one = "/api/v1/oversight/ledger-heads/" + headId + "/verification";
    r = check("POST", ver, one, commissioner_);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body["signature_valid"], true);
    EXPECT_EQ(check("POST", ver, "/api/v1/oversight/ledger-heads/lhd_nope/verification",
                    commissioner_)
                  .status,
              404);
    EXPECT_EQ(check("POST", ver, one, analyst_).status, 403);
    const std::string al = "/api/v1/oversight/audit-ledger";
    EXPECT_EQ(check("GET", al, al, analyst_).status, 403);
    httplib::Client cli("127.0.0.1", hut_.port());
    auto d = cli.Get(al, {{"Authorization", "Bearer " + commissioner_}});
    ASSERT_TRUE(d);
    ASSERT_EQ(d->status, 200) << d->body;
    const Json& documented = resolved((*findOperation("GET", al)->op)["responses"]["200"]);
    EXPECT_TRUE(documented["content"].contains(d->get_header_value("Content-Type")));
    for (const auto& [name, header] : documented["headers"].items()) {
      EXPECT_TRUE(d->has_header(name)) << name;
    }
    EXPECT_EQ(d->body.size() % 512, 0U);  // whole tar blocks
    exercised_.insert({"GET", al, d->status});
  }
};

TEST_F(OpenApi, IsOpenApi303UnderApiV1) {
  EXPECT_EQ(spec()["openapi"], "3.0.3");
  EXPECT_EQ(spec()["servers"][0]["url"], "/api/v1");
  ASSERT_TRUE(spec()["components"]["securitySchemes"].contains("bearerAuth"));
  EXPECT_EQ(spec()["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  ASSERT_TRUE(spec()["components"]["securitySchemes"].contains("cookieAuth"));
  EXPECT_EQ(spec()["components"]["securitySchemes"]["cookieAuth"]["in"], "cookie");
  EXPECT_EQ(spec()["components"]["securitySchemes"]["cookieAuth"]["name"], "mamori_session");
  EXPECT_EQ(spec()["security"], Json::parse(R"([{"bearerAuth": []}, {"cookieAuth": []}])"));
}

TEST_F(OpenApi, DocumentsExactlyTheRoutesTheServerRegisters) {
  std::set<std::pair<std::string, std::string>> served(hut_.server().routes().begin(),
                                                       hut_.server().routes().end());
  ASSERT_EQ(served.size(), hut_.server().routes().size()) << "a route is registered twice";
  ASSERT_FALSE(served.empty());
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& o : operations()) documented.insert({o.method, o.path});
  for (const auto& r : served) {
    EXPECT_TRUE(documented.contains(r))
        << r.first << " " << r.second << " is served but not documented";
  }
  for (const auto& d : documented) {
    EXPECT_TRUE(served.contains(d))
        << d.first << " " << d.second << " is documented but not served";
  }
  // routes() is complete only if every handler goes through Impl::route(), which registers each
  // method with httplib exactly once.
  const std::string source = readFile(std::string(MAMORI_SOURCE_DIR) + "/src/hub/server.cc");
  for (const char* call : {"server.Get(", "server.Post(", "server.Put(", "server.Patch(",
                           "server.Delete(", "server.Options("}) {
    std::size_t n = 0;
    for (auto at = source.find(call); at != std::string::npos; at = source.find(call, at + 1)) ++n;
    EXPECT_LE(n, 1U) << call << " outside HubServer::Impl::route() in src/hub/server.cc";
  }
  // Every path key belongs to an operation (no empty path items, no stray keys).
  for (const auto& [key, item] : spec()["paths"].items()) {
    for (const auto& [k, v] : item.items()) {
      EXPECT_TRUE(std::find(kMethods.begin(), kMethods.end(), k) != kMethods.end() ||
                  k == "parameters" || k == "summary" || k == "description")
          << key << ": unexpected key " << k;
    }
  }
}

TEST_F(OpenApi, EveryOperationDocumentsTheStatusesItCanAnswer) {
  // The statuses the server produces: success, and ApiError kinds (server.cc statusOf) plus
  // httplib's 404 and 413 in the same JSON shape.
  const std::set<std::string> possible = {"200", "201", "204", "400", "401", "403",
                                          "404", "409", "413", "429", "503"};
  std::set<std::string> operationIds;
  for (const auto& o : operations()) {
    SCOPED_TRACE(o.method + " " + o.path);
    const Json& op = *o.op;
    ASSERT_TRUE(op.contains("operationId"));
    EXPECT_TRUE(operationIds.insert(op["operationId"].get<std::string>()).second)
        << "duplicate operationId";
    ASSERT_TRUE(op.contains("responses") && op["responses"].is_object());
    int successes = 0;
    for (const auto& [status, response] : op["responses"].items()) {
      EXPECT_TRUE(possible.contains(status)) << "status " << status << " is never answered";
      if (status == "204") {
        EXPECT_FALSE(resolved(response).contains("content")) << "204 has no content";
        ++successes;
        continue;
      }
      if (status.starts_with('2') && resolved(response).contains("content") &&
          resolved(response)["content"].contains("application/x-tar")) {
        // A download (the oversight audit ledger): binary, checked live by exerciseOversight().
        EXPECT_EQ(resolved(response)["content"]["application/x-tar"]["schema"]["format"], "binary");
        ++successes;
        continue;
      }
      const Json* schema = jsonSchemaOf(response);
      ASSERT_NE(schema, nullptr) << status << ": no application/json schema";
      if (status.starts_with('2')) {
        ++successes;
        EXPECT_TRUE(errorCodesOf(response).empty());
      } else {
        EXPECT_EQ(*schema, resolved(spec()["components"]["schemas"]["Error"]))
            << status << ": errors use the Error schema";
        EXPECT_FALSE(errorCodesOf(response).empty()) << status << ": no x-error-codes";
      }
    }
    EXPECT_EQ(successes, 1) << "one success status per operation";
    const bool hasBody = op.contains("requestBody");
    const bool hasPathParam = o.path.find('{') != std::string::npos;
    // Authentication: a token or session checked against the database, so 401 and 503 go
    // together. The session routes are unsecured but answer 401 about the login or the cookie.
    EXPECT_EQ(secured(o) || o.path == "/api/v1/session", op["responses"].contains("401"));
    EXPECT_EQ(secured(o) || o.path == "/api/v1/session", op["responses"].contains("503"));
    if (secured(o)) {
      EXPECT_EQ(errorCodesOf(op["responses"]["401"]),
                (std::set<std::string>{"missing-token", "bad-token", "no-session",
                                       "session-expired"}));
      // With the cookie, a state change needs the session's CSRF token.
      if (o.method != "GET") {
        ASSERT_TRUE(op["responses"].contains("403"));
        const auto codes = errorCodesOf(op["responses"]["403"]);
        EXPECT_TRUE(codes.contains("csrf-token-missing") && codes.contains("csrf-token-mismatch"));
      }
    }
    // An id that does not match the route's pattern is httplib's 404.
    if (hasPathParam) EXPECT_TRUE(op["responses"].contains("404"));
    if (hasBody) {
      EXPECT_TRUE(op["responses"].contains("413")) << "bodies over the server limit are 413";
      EXPECT_TRUE(errorCodesOf(op["responses"]["413"]).contains("body-too-large"));
      const Json& content = resolved(op["requestBody"])["content"];
      ASSERT_EQ(content.size(), 1U);
      EXPECT_NE(resolve(spec(), content.begin().value()["schema"]), nullptr);
    }
    // Every {param} of the path is declared as a path parameter.
    std::set<std::string> declared;
    if (op.contains("parameters")) {
      for (const auto& p : op["parameters"]) {
        const Json& param = resolved(p);
        ASSERT_TRUE(param.contains("name") && param.contains("in") && param.contains("schema"));
        if (param["in"] == "path") {
          EXPECT_TRUE(param.value("required", false));
          declared.insert(param["name"].get<std::string>());
        }
      }
    }
    std::set<std::string> inPath;
    for (std::size_t b = o.path.find('{'); b != std::string::npos; b = o.path.find('{', b + 1)) {
      inPath.insert(o.path.substr(b + 1, o.path.find('}', b) - b - 1));
    }
    EXPECT_EQ(declared, inPath);
  }
  // The NDJSON ingest is documented as such.
  const Operation* ingest = findOperation("POST", "/api/v1/events");
  ASSERT_NE(ingest, nullptr);
  EXPECT_TRUE((*ingest->op)["requestBody"]["content"].contains("application/x-ndjson"));
  EXPECT_FALSE(secured(*findOperation("GET", "/api/v1/health")));
}

TEST_F(OpenApi, EveryReferenceResolves) {
  int refs = 0;
  std::function<void(const Json&, const std::string&)> walk = [&](const Json& j,
                                                                  const std::string& at) {
    if (j.is_object()) {
      if (j.contains("$ref")) {
        ++refs;
        EXPECT_NE(resolve(spec(), j), nullptr) << at << ": " << j["$ref"];
      }
      for (const auto& [k, v] : j.items()) walk(v, fmt::format("{}/{}", at, k));
    } else if (j.is_array()) {
      for (std::size_t i = 0; i < j.size(); ++i) walk(j[i], at + "/" + std::to_string(i));
    }
  };
  walk(spec(), "#");
  EXPECT_GT(refs, 20);
  for (const char* name : {"Error", "Event", "EventList", "IngestResult", "Transition",
                           "Notification", "Me", "Organisation", "Report", "ReportList"}) {
    EXPECT_TRUE(spec()["components"]["schemas"].contains(name)) << name;
  }
}

// -------------------------------------------------------------------------------- live checks

TEST_F(OpenApi, EveryListWithoutPathParametersAnswersAsDocumented) {
  for (const auto& o : operations()) {
    if (o.method != "GET" || o.path.find('{') != std::string::npos) continue;
    if (o.path == "/api/v1/session") continue;  // needs a cookie: EveryOperationSucceeds...
    if (o.path.starts_with("/api/v1/oversight/")) continue;  // commission only: exerciseOversight()
    SCOPED_TRACE(o.path);
    for (const std::string& token : {analyst_, hospital_}) {
      const Reply r = check("GET", o.path, o.path, secured(o) ? token : "");
      EXPECT_TRUE(r.status >= 200 && r.status < 300) << r.body.dump();
      const std::string ok = std::to_string(r.status);
      EXPECT_TRUE((*o.op)["responses"].contains(ok));
    }
  }
}

TEST_F(OpenApi, EverySecuredOperationRefusesMissingAndBadTokensAsDocumented) {
  for (const auto& o : operations()) {
    SCOPED_TRACE(o.method + " " + o.path);
    std::string path = o.path;
    for (auto b = path.find('{'); b != std::string::npos; b = path.find('{')) {
      path.replace(b, path.find('}', b) - b + 1, "x1");
    }
    if (!secured(o)) continue;
    Reply r = check(o.method, o.path, path, "", "{}");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body["error"]["code"], "missing-token");
    r = check(o.method, o.path, path, "mamori_" + std::string(64, '0'), "{}");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body["error"]["code"], "bad-token");
  }
}

TEST_F(OpenApi, EveryStateChangeWithTheSessionCookieNeedsItsCsrfToken) {
  const auto [cookie, csrf] = session();
  ASSERT_FALSE(csrf.empty());
  for (const auto& o : operations()) {
    if (!secured(o) || o.method == "GET") continue;
    SCOPED_TRACE(o.method + " " + o.path);
    std::string path = o.path;
    for (auto b = path.find('{'); b != std::string::npos; b = path.find('{')) {
      path.replace(b, path.find('}', b) - b + 1, "x1");
    }
    Reply r = check(o.method, o.path, path, "", "{}", "application/json", {{"Cookie", cookie}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body["error"]["code"], "csrf-token-missing");
    r = check(o.method, o.path, path, "", "{}", "application/json",
              {{"Cookie", cookie}, {"X-CSRF-Token", std::string(csrf.size(), '0')}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body["error"]["code"], "csrf-token-mismatch");
  }
  // Reads need no CSRF token, and the cookie authenticates them.
  Reply me = check("GET", "/api/v1/me", "/api/v1/me", "", "", "application/json",
                   {{"Cookie", cookie}});
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.body["user"]["name"], "nurse");
}

std::string detectEvent(const std::string& id, const std::string& target) {
  return Json{{"id", id},
              {"category", "exploit"},
              {"pattern", "single"},
              {"severity", "high"},
              {"first_seen", "2026-11-26T01:00:00Z"},
              {"targets", {target}}}
      .dump();
}

// A success of every documented operation and the documented errors of each, against the document.
TEST_F(OpenApi, EveryOperationSucceedsAndFailsAsDocumented) {
  const std::string ev = "/api/v1/events/{id}";
  const std::string tr = "/api/v1/events/{id}/transitions";
  EXPECT_EQ(check("GET", "/api/v1/me", "/api/v1/me", hospital_).status, 200);
  EXPECT_EQ(check("GET", "/api/v1/organisations", "/api/v1/organisations", bank_).status, 200);
  // Events.
  Reply r = check("POST", "/api/v1/events", "/api/v1/events", analyst_,
                  detectEvent("e1", "portal.sakura-hp.example.jp") + "\n" +
                      detectEvent("e2", "unrouted.example.org") + "\n",
                  "application/x-ndjson");
  EXPECT_EQ(r.status, 200);
  check("POST", "/api/v1/events", "/api/v1/events", analyst_, "{not json\n",
        "application/x-ndjson");
  check("POST", "/api/v1/events", "/api/v1/events", analyst_, R"({"id":"a","x":1})",
        "application/x-ndjson");
  check("POST", "/api/v1/events", "/api/v1/events", bank_, detectEvent("b1", "x.example"),
        "application/x-ndjson");
  std::string many;
  for (int i = 0; i < 101; ++i) many += detectEvent(fmt::format("m{}", i), "x.example") + "\n";
  EXPECT_EQ(
      check("POST", "/api/v1/events", "/api/v1/events", analyst_, many, "application/x-ndjson")
          .status,
      413);
  EXPECT_EQ(check("POST", "/api/v1/events", "/api/v1/events", analyst_, std::string(2 << 20, 'x'),
                  "application/x-ndjson")
                .status,
            413);
  for (const char* q :
       {"?limit=abc", "?limit=0", "?state=odd", "?cursor=zz", "?colour=red", "?since=yesterday"}) {
    EXPECT_EQ(check("GET", "/api/v1/events", std::string("/api/v1/events") + q, analyst_).status,
              400)
        << q;
  }
  r = check("GET", "/api/v1/events", "/api/v1/events?limit=1&state=new", analyst_);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body["next_cursor"].is_string());
  EXPECT_EQ(check("GET", ev, "/api/v1/events/e1", analyst_).status, 200);
  EXPECT_EQ(check("GET", ev, "/api/v1/events/e1", bank_).status, 404);
  EXPECT_EQ(check("GET", ev, "/api/v1/events/bad%20id", analyst_).status, 404);
  auto move = [&](const std::string& id, const std::string& body, const std::string& token) {
    return check("POST", tr, "/api/v1/events/" + id + "/transitions", token, body).status;
  };
  EXPECT_EQ(move("e1", R"({"to":"in-review"})", analyst_), 200);
  EXPECT_EQ(move("e1", R"({"to":"closed"})", analyst_), 400);  // reason-required
  EXPECT_EQ(move("e1", R"({"to":"notified"})", analyst_), 409);
  EXPECT_EQ(move("e1", R"({"to":"confirmed","x":1})", analyst_), 400);
  EXPECT_EQ(move("e1", "{nope", analyst_), 400);
  EXPECT_EQ(move("e1", R"({"to":"confirmed"})", bank_), 403);
  EXPECT_EQ(move("nope", R"({"to":"confirmed"})", analyst_), 404);
  EXPECT_EQ(move("e1", R"({"to":"confirmed"})", analyst_), 200);
  EXPECT_EQ(move("e1", R"({"to":"notified","reason":"check the portal"})", analyst_), 200);
  EXPECT_EQ(move("e2", R"({"to":"in-review"})", analyst_), 200);
  EXPECT_EQ(move("e2", R"({"to":"confirmed"})", analyst_), 200);
  EXPECT_EQ(move("e2", R"({"to":"notified"})", analyst_), 409);  // no-target-organisation
  r = check("GET", "/api/v1/notifications", "/api/v1/notifications", hospital_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["items"].size(), 1U);  // the schema of a real item is checked too

  // Incident reports.
  const Json initial = {
      {"type", "ransomware"},
      {"sector", "medical"},
      {"reporter", {{"contact", {{"name", "Sato Hanako"}, {"email", "soc@hospital.example"}}}}},
      {"discovered_at", "2025-10-10T01:00:00+09:00"},
      {"impact", {{"level", "severe"}}},
      {"description", "EMR servers encrypted overnight."}};
  r = check("POST", "/api/v1/reports", "/api/v1/reports", hospital_,
            Json{{"stage", "initial"}, {"document", initial}}.dump());
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string id = r.body["id"].get<std::string>();
  const std::string one = "/api/v1/reports/" + id;
  r = check("POST", "/api/v1/reports", "/api/v1/reports", hospital_,
            Json{{"type", "ddos"}, {"draft", {{"sector", "medical"}}}}.dump());
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(check("POST", "/api/v1/reports", "/api/v1/reports", hospital_,
                  Json{{"stage", "initial"}, {"document", {{"type", "ransomware"}}}}.dump())
                .status,
            400);
  EXPECT_EQ(check("POST", "/api/v1/reports", "/api/v1/reports", hospital_, R"({"stage":"initial"})")
                .status,
            400);
  EXPECT_EQ(
      check("POST", "/api/v1/reports", "/api/v1/reports", hospital_, R"({"colour":1})").status,
      400);
  EXPECT_EQ(check("POST", "/api/v1/reports", "/api/v1/reports", hospital_, "[1]").status, 400);
  EXPECT_EQ(check("POST", "/api/v1/reports", "/api/v1/reports", hospital_, "{").status, 400);
  EXPECT_EQ(check("POST", "/api/v1/reports", "/api/v1/reports", viewer_,
                  Json{{"stage", "initial"}, {"document", initial}}.dump())
                .status,
            403);
  for (const char* q : {"", "?type=ransomware&sector=medical&stage=initial&overdue=true&limit=5",
                        "?stage=draft", "?overdue=false"}) {
    EXPECT_EQ(check("GET", "/api/v1/reports", std::string("/api/v1/reports") + q, hospital_).status,
              200)
        << q;
    EXPECT_EQ(check("GET", "/api/v1/reports", std::string("/api/v1/reports") + q, analyst_).status,
              200)
        << q;
  }
  for (const char* q :
       {"?type=flood", "?overdue=maybe", "?limit=x", "?limit=100000", "?cursor=x", "?nope=1"}) {
    EXPECT_EQ(check("GET", "/api/v1/reports", std::string("/api/v1/reports") + q, hospital_).status,
              400)
        << q;
  }
  const std::string rid = "/api/v1/reports/{id}";
  EXPECT_EQ(check("GET", rid, one, hospital_).status, 200);
  EXPECT_EQ(check("GET", rid, one, analyst_).status, 200);
  EXPECT_EQ(check("GET", rid, one, bank_).status, 404);
  EXPECT_EQ(check("GET", rid, "/api/v1/reports/nope", hospital_).status, 404);

  const std::string draft = "/api/v1/reports/{id}/draft";
  EXPECT_EQ(check("PUT", draft, one + "/draft", hospital_,
                  Json{{"occurred_at", "2025-10-08T22:00:00Z"}}.dump())
                .status,
            200);
  EXPECT_EQ(check("PUT", draft, one + "/draft", hospital_, R"({"impact":{"level":"huge"}})").status,
            400);
  EXPECT_EQ(check("PUT", draft, one + "/draft", hospital_, "{").status, 400);
  EXPECT_EQ(check("PUT", draft, one + "/draft", analyst_, "{}").status, 403);
  EXPECT_EQ(check("PUT", draft, one + "/draft", bank_, "{}").status, 404);
  r = check("GET", rid, one, hospital_);
  EXPECT_TRUE(r.body["draft"].is_object());

  const std::string sub = "/api/v1/reports/{id}/submissions";
  EXPECT_EQ(check("POST", sub, one + "/submissions", hospital_,
                  Json{{"stage", "initial"}, {"document", initial}}.dump())
                .status,
            200);
  Json interim = initial;
  interim["occurred_at"] = "2025-10-08T22:00:00Z";
  interim["systems_affected"] = Json::array({{{"name", "EMR"}, {"kind", "server"}, {"count", 4}}});
  interim["initial_access_vector"] = "vpn-vulnerability";
  interim["indicators"] = Json::array();
  EXPECT_EQ(check("POST", sub, one + "/submissions", hospital_,
                  Json{{"stage", "interim"}, {"document", interim}}.dump())
                .status,
            200);
  EXPECT_EQ(check("POST", sub, one + "/submissions", hospital_,
                  Json{{"stage", "initial"}, {"document", interim}}.dump())
                .status,
            409);
  EXPECT_EQ(check("POST", sub, one + "/submissions", hospital_,
                  Json{{"stage", "interim"}, {"document", initial}}.dump())
                .status,
            400);
  EXPECT_EQ(check("POST", sub, one + "/submissions", hospital_, R"({"document":{}})").status, 400);
  EXPECT_EQ(check("POST", sub, one + "/submissions", analyst_,
                  Json{{"stage", "initial"}, {"document", initial}}.dump())
                .status,
            403);
  EXPECT_EQ(check("POST", sub, one + "/submissions", bank_,
                  Json{{"stage", "initial"}, {"document", initial}}.dump())
                .status,
            404);
  r = check("GET", rid, one, hospital_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["timeline"].size(), 3U);
  EXPECT_EQ(r.body["stage"], "interim");

  // Console sessions.
  const std::string ses = "/api/v1/session";
  EXPECT_EQ(check("POST", ses, ses, "",
                  Json{{"username", "nurse"}, {"password", kNursePassword}}.dump())
                .status,
            201);
  EXPECT_EQ(check("POST", ses, ses, "", R"({"username":"nurse"})").status, 400);
  EXPECT_EQ(check("POST", ses, ses, "", "{").status, 400);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(check("POST", ses, ses, "", R"({"username":"ghost","password":"guess"})").status,
              401);
  }
  EXPECT_EQ(check("POST", ses, ses, "", R"({"username":"ghost","password":"guess"})").status, 429);
  {
    const auto [cookie, csrf] = session();
    EXPECT_EQ(check("GET", ses, ses, "", "", "application/json", {{"Cookie", cookie}}).status,
              200);
    EXPECT_EQ(check("DELETE", ses, ses, "", "", "application/json", {{"Cookie", cookie}}).status,
              403);
    EXPECT_EQ(check("DELETE", ses, ses, "", "", "application/json",
                    {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})
                  .status,
              204);
    EXPECT_EQ(check("GET", ses, ses, "", "", "application/json", {{"Cookie", cookie}}).status,
              401);
  }

  // Organisation administration.
  const std::string org = "/api/v1/organisations/{id}";
  const std::string hospitalId = call("GET", "/api/v1/me", hospital_).body["organisation"]["id"];
  const std::string orgPath = "/api/v1/organisations/" + hospitalId;
  r = check("GET", org, orgPath, hospitalAdmin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.contains("users"));
  EXPECT_EQ(check("GET", org, "/api/v1/organisations/nope", bank_).status, 404);
  const std::string users = "/api/v1/organisations/{id}/users";
  r = check("POST", users, orgPath + "/users", hospitalAdmin_,
            R"({"name":"ward-2","role":"viewer","clearance":0})");
  ASSERT_EQ(r.status, 201);
  const std::string newUser = r.body["id"];
  EXPECT_EQ(check("POST", users, orgPath + "/users", hospitalAdmin_,
                  R"({"name":"ward-2","role":"viewer","clearance":0})")
                .status,
            409);
  EXPECT_EQ(check("POST", users, orgPath + "/users", hospitalAdmin_, R"({"name":"x","role":1})")
                .status,
            400);
  EXPECT_EQ(check("POST", users, orgPath + "/users", bank_,
                  R"({"name":"x","role":"viewer","clearance":0})")
                .status,
            403);
  EXPECT_EQ(check("POST", users, "/api/v1/organisations/nope/users", hospitalAdmin_,
                  R"({"name":"x","role":"viewer","clearance":0})")
                .status,
            404);
  const std::string tokens = "/api/v1/organisations/{id}/users/{user}/tokens";
  r = check("POST", tokens, orgPath + "/users/" + newUser + "/tokens", hospitalAdmin_,
            R"({"expires_in_days":7})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(call("GET", "/api/v1/me", r.body["token"].get<std::string>()).status, 200);
  EXPECT_EQ(check("POST", tokens, orgPath + "/users/" + newUser + "/tokens", hospitalAdmin_,
                  R"({"expires_in_days":-1})")
                .status,
            400);
  EXPECT_EQ(check("POST", tokens, orgPath + "/users/" + newUser + "/tokens", viewer_, "{}").status,
            403);
  EXPECT_EQ(check("POST", tokens, orgPath + "/users/usr_nope/tokens", hospitalAdmin_, "{}").status,
            404);

  // The dashboard.
  const std::string dash = "/api/v1/dashboard";
  EXPECT_EQ(check("GET", dash, dash + "?days=7", analyst_).status, 200);
  EXPECT_EQ(check("GET", dash, dash + "?days=400", analyst_).status, 400);

  // Oversight.
  exerciseOversight();

  // Shared indicators and routes.
  exerciseIndicators();

  // Bodies over the server's limit, on every operation that takes one.
  for (const auto& o : operations()) {
    if (!o.op->contains("requestBody")) continue;
    std::string path = o.path;
    for (auto b = path.find('{'); b != std::string::npos; b = path.find('{')) {
      path.replace(b, path.find('}', b) - b + 1, "e1");
    }
    EXPECT_EQ(check(o.method, o.path, path, analyst_, std::string(2 << 20, ' ')).status, 413)
        << o.path;
  }

  // Every documented operation was seen to succeed with its documented success status.
  for (const auto& o : operations()) {
    bool succeeded = false;
    for (const auto& [method, path, status] : exercised_) {
      succeeded =
          succeeded || (method == o.method && path == o.path && status >= 200 && status < 300);
    }
    if (o.path == "/api/v1/health") continue;  // EveryListWithoutPathParameters... covers it
    EXPECT_TRUE(succeeded) << o.method << " " << o.path << ": no successful call in this test";
  }
  // And every documented error status of every operation was seen, except those no request
  // can provoke against a healthy hub (503) or that need a deleted user (404 of /me).
  for (const auto& o : operations()) {
    for (const auto& [status, response] : (*o.op)["responses"].items()) {
      const int s = std::stoi(status);
      if (s < 400 || s == 401 || s == 503 || (o.path == "/api/v1/me" && s == 404)) continue;
      EXPECT_TRUE(exercised_.contains({o.method, o.path, s}))
          << o.method << " " << o.path << " documents " << s << ", never seen in this test";
    }
  }
}

}  // namespace
}  // namespace mamori::hub
