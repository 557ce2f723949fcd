// `mamori indicators publish|list|revoke`: shared indicators on the sharing hub (docs/hub.md
// "Indicators"; POST/GET /api/v1/indicators, DELETE /api/v1/indicators/{id}).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "hub_client.h"
#include "mamori/core/result.h"
#include "mamori/hub/incident_report.h"

namespace mamori::cli {
namespace {

using Json = nlohmann::json;

// The hub takes at most this many per request (each request is stored all or nothing).
constexpr std::size_t kMaxPerRequest = 10'000;
// Problems of a refused request shown, at most.
constexpr std::size_t kMaxProblemsShown = 20;

struct PublishOptions {
  HubCliOptions hub;
  std::string file;
  std::string type;  // a plain list of values of this type
  std::string tlp;
  std::string action;
  int sensitivity = 0;
  std::vector<std::string> recipients;
};

struct ListOptions {
  HubCliOptions hub;
  std::vector<std::string> types;
  int64_t after = 0;
};

struct RevokeOptions {
  HubCliOptions hub;
  std::vector<std::string> ids;
};

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

bool knownType(std::string_view type) {
  return std::find(hub::kIndicatorTypes.begin(), hub::kIndicatorTypes.end(), type) !=
         hub::kIndicatorTypes.end();
}

// One item to publish and the line of FILE it came from (0 for a JSON document).
struct Source {
  Json item;
  std::size_t line = 0;
};

// FILE as items: with --type, one value per line ('#' starts a comment line); otherwise a JSON
// document {"indicators": [...]} or NDJSON, one item per line.
std::vector<Source> readItems(const PublishOptions& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) throw Failure(fmt::format("{}: cannot read", o.file));
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  std::vector<Source> out;
  if (o.type.empty()) {
    const Json doc = Json::parse(all, nullptr, false);
    if (doc.is_object() && doc.contains("indicators")) {
      if (!doc["indicators"].is_array()) {
        throw Failure(fmt::format("{}: \"indicators\" must be an array", o.file));
      }
      for (const auto& i : doc["indicators"]) out.push_back({i, 0});
      return out;
    }
  }
  std::istringstream lines(all);
  std::string line;
  std::size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const std::string value = trim(line);
    if (value.empty()) continue;
    if (!o.type.empty()) {
      if (value.front() == '#') continue;
      Json item{{"type", o.type}, {"value", value}, {"tlp", o.tlp}};
      if (!o.action.empty()) item["action"] = o.action;
      if (o.sensitivity != 0) item["sensitivity"] = o.sensitivity;
      if (!o.recipients.empty()) item["recipients"] = o.recipients;
      out.push_back({std::move(item), number});
      continue;
    }
    Json item = Json::parse(value, nullptr, false);
    if (item.is_discarded() || !item.is_object()) {
      throw Failure(
          fmt::format("{} line {}: not a JSON object (give a JSON document "
                      "{{\"indicators\": [...]}}, NDJSON, or --type for a plain list)",
                      o.file, number));
    }
    out.push_back({std::move(item), number});
  }
  return out;
}

// The hub's field problems ("indicators[3].value") with the line of FILE each item came from.
std::string explain(const HubRefusal& refusal, const std::vector<Source>& items, std::size_t offset,
                    const std::string& file) {
  std::string out = refusal.what();
  const Json& details = refusal.error().is_object() && refusal.error().contains("details")
                            ? refusal.error()["details"]
                            : Json();
  std::vector<Json> problems;
  if (details.is_array()) {
    problems.assign(details.begin(), details.end());
  } else if (details.is_object()) {
    problems.push_back(details);
  }
  std::size_t shown = 0;
  for (const auto& p : problems) {
    if (shown++ == kMaxProblemsShown) {
      out += fmt::format("\n  ... {} more", problems.size() - kMaxProblemsShown);
      break;
    }
    const std::string field = p.value("field", "");
    std::string where;
    constexpr std::string_view kPrefix = "indicators[";
    std::size_t index = 0;
    if (field.starts_with(kPrefix) &&
        std::from_chars(field.data() + kPrefix.size(), field.data() + field.size(), index).ec ==
            std::errc() &&
        offset + index < items.size() && items[offset + index].line > 0) {
      where = fmt::format(" ({} line {})", file, items[offset + index].line);
    }
    out += fmt::format("\n  {}{}{}{}", field, p.contains("problem") ? ": " : "",
                       p.value("problem", ""), where);
  }
  return out;
}

void publish(const PublishOptions& o) {
  const auto target = hubTargetFromOptions(o.hub);
  const std::vector<Source> items = readItems(o);
  if (items.empty()) throw Failure(fmt::format("{}: no indicators", o.file));
  std::size_t sent = 0;
  while (sent < items.size()) {
    const std::size_t n = std::min(kMaxPerRequest, items.size() - sent);
    Json batch = Json::array();
    for (std::size_t k = 0; k < n; ++k) batch.push_back(items[sent + k].item);
    try {
      (void)hubRequest(*target, "POST", "/indicators", Json{{"indicators", batch}}.dump());
    } catch (const HubRefusal& refusal) {
      std::string message = explain(refusal, items, sent, o.file);
      if (sent > 0) message += fmt::format("\n({} indicators before these were published)", sent);
      throw Failure(message);
    }
    sent += n;
  }
  std::printf("published %zu indicators\n", sent);
}

// Every page after --after, as NDJSON on stdout; where to go on from, on stderr.
void list(const ListOptions& o) {
  const auto target = hubTargetFromOptions(o.hub);
  std::string query;
  for (const auto& t : o.types) query += "&type=" + t;
  int64_t after = o.after;
  std::size_t count = 0;
  for (;;) {
    const std::string body =
        hubRequest(*target, "GET", fmt::format("/indicators?after={}{}", after, query));
    const Json page = Json::parse(body, nullptr, false);
    if (!page.is_object() || !page.contains("items") || !page["items"].is_array() ||
        !page.contains("next_after") || !page["next_after"].is_number_integer() ||
        !page.contains("more") || !page["more"].is_boolean()) {
      throw Failure("hub: unexpected answer to GET /indicators");
    }
    for (const auto& i : page["items"]) std::printf("%s\n", i.dump().c_str());
    count += page["items"].size();
    after = page["next_after"].get<int64_t>();
    if (!page["more"].get<bool>()) break;
  }
  (void)std::fflush(stdout);
  (void)std::fprintf(stderr, "%zu indicators; next time: --after %lld\n", count,
                     static_cast<long long>(after));
}

void revoke(const RevokeOptions& o) {
  const auto target = hubTargetFromOptions(o.hub);
  for (const auto& id : o.ids) {
    const Json r = Json::parse(hubRequest(*target, "DELETE", "/indicators/" + id), nullptr, false);
    std::printf("revoked %s (seq %s)\n", id.c_str(),
                r.is_object() && r.contains("seq") ? r["seq"].dump().c_str() : "?");
  }
}

void addHub(CLI::App* cmd, HubCliOptions& o) {
  addHubOptions(cmd, o);
  cmd->get_option("--hub")
      ->description("The sharing hub: http(s)://HOST[:PORT] (see docs/openapi.yaml)")
      ->required();
}

}  // namespace

void addIndicatorsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "indicators", "Shared indicators on the sharing hub: publish, list (sync by seq), revoke");
  cmd->require_subcommand(1);

  static PublishOptions p;
  auto* pub = cmd->add_subcommand(
      "publish",
      "Publish the indicators in FILE: a JSON document {\"indicators\": [...]}, NDJSON (one "
      "indicator per line), or with --type a plain list of values (one per line, '#' comments). "
      "Publishing one again updates it. Prints the count");
  addHub(pub, p.hub);
  pub->add_option("FILE", p.file, "The indicators")->required()->check(CLI::ExistingFile);
  auto* type = pub->add_option(
      "--type", p.type,
      "FILE is a plain list of values of this type: ipv4, ipv6, domain, url, sha256, md5, email, "
      "filename");
  pub->add_option("--tlp", p.tlp, "With --type: CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
      ->needs(type);
  pub->add_option("--action", p.action, "With --type: block (the hub's default) or monitor")
      ->needs(type)
      ->check(CLI::IsMember({"block", "monitor"}));
  pub->add_option("--sensitivity", p.sensitivity, "With --type: sensitivity 0-3")
      ->needs(type)
      ->check(CLI::Range(0, 3));
  pub->add_option("--recipient", p.recipients,
                  "With --type: an organisation id that receives them (AMBER, RED); repeatable")
      ->needs(type);
  pub->callback([] {
    if (!p.type.empty() && !knownType(p.type)) {
      throw CLI::ValidationError("--type", p.type + ": not an indicator type");
    }
    if (!p.type.empty() && p.tlp.empty()) {
      throw CLI::ValidationError("--tlp", "required with --type (the hub has no default label)");
    }
    publish(p);
  });

  static ListOptions l;
  auto* lst = cmd->add_subcommand(
      "list",
      "Print the indicators this token may read that changed after --after, as NDJSON (revoked "
      "and expired ones included); the --after to go on from next time goes to stderr");
  addHub(lst, l.hub);
  lst->add_option("--type", l.types, "Only this type; repeatable");
  lst->add_option("--after", l.after, "Only changes after this seq (the last run's)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  lst->callback([] {
    for (const auto& t : l.types) {
      if (!knownType(t)) throw CLI::ValidationError("--type", t + ": not an indicator type");
    }
    list(l);
  });

  static RevokeOptions r;
  auto* rev = cmd->add_subcommand(
      "revoke", "Revoke indicators your organisation published (syncing clients drop them)");
  addHub(rev, r.hub);
  rev->add_option("ID", r.ids, "Indicator ids (from publish or list)")->required();
  rev->callback([] {
    for (const auto& id : r.ids) {
      // Ids go into the request path: only what the hub's ids are made of.
      const bool plain =
          !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                   c == '.';
          });
      if (!plain) throw CLI::ValidationError("ID", id + ": not an indicator id");
    }
    revoke(r);
  });
}

}  // namespace mamori::cli
