// modsec_runner: the detection benchmark's peer. Feeds every request of an access log through
// libmodsecurity3 with the OWASP CRS (bench/detect/modsec.conf) and writes, per log line, the
// categories of the CRS rules that matched, in the format of `mamori detect --per-request`:
//   {"line": N, "categories": [...], "blocked": bool, "rules": [ids]}
// "blocked" is rule 949110 (inbound anomaly score over the threshold): what the CRS would have
// blocked in its default configuration. A second file holds only the blocked lines' detections.
//
// Timing covers the processing loop only (transactions), not reading or parsing the log.
#include <modsecurity/modsecurity.h>
#include <modsecurity/rule_message.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mamori/detect/access_log.h"

namespace {

// The rule ids are read from the transaction's messages after processing; the library still
// wants a server log callback (without one it prints every match to stderr), and asking for the
// RuleMessage object rather than text spares it formatting a log line per match.
void ignoreRuleMessage(void* /*data*/, const void* /*message*/) {}

// CRS rule id -> benchmark category (see bench/detect/README.md for the reasoning). Returns
// nullptr for rules that are not detections (initialisation, scoring, correlation) and "other"
// for detections outside the categories (protocol enforcement, session fixation, methods).
const char* categoryOf(int id) {
  if (id == 930100 || id == 930110) return "path-traversal";
  if (id == 930120 || id == 930130) return "sensitive-file";
  if (id == 944150 || id == 944151 || id == 944152) return "log4shell";
  switch (id / 1000) {
    case 942:
      return "sqli";
    case 932:
      return "command-injection";
    case 933:
      return "command-injection";  // PHP code injection: remote code execution
    case 934:
      return "command-injection";  // Node.js code injection: remote code execution
    case 941:
      return "xss";
    case 944:
      return "ssti";  // Java/OGNL/expression injection
    case 931:
      return "ssrf";  // remote file inclusion: the server fetching a foreign URL
    case 913:
      return "scanner";
    case 911:
    case 920:
    case 921:
    case 943:
      return "other";
    case 930:
      return "path-traversal";
    default:
      return nullptr;
  }
}

std::string httpVersion(const std::string& protocol) {
  if (protocol.rfind("HTTP/", 0) == 0) return protocol.substr(5);
  return "1.1";
}

}  // namespace

int main(int argc, char** argv) {
  std::string logPath;
  std::string formatName = "combined";
  std::string conf = MAMORI_SOURCE_DIR "/bench/detect/modsec.conf";
  std::string outPath;
  std::string blockingPath;
  std::string summaryPath;
  std::string host = "www.agency.example.go.jp";
  CLI::App app{"modsec_runner: every access-log request through libmodsecurity3 + OWASP CRS"};
  app.add_option("--log", logPath, "Access log")->required();
  app.add_option("--format", formatName, "combined, common, w3c or json")->capture_default_str();
  app.add_option("--conf", conf, "ModSecurity configuration")->capture_default_str();
  app.add_option("--out", outPath, "requests.ndjson: every CRS detection per line")->required();
  app.add_option("--out-blocking", blockingPath,
                 "same, but only for lines over the anomaly threshold (949110)");
  app.add_option("--summary", summaryPath, "JSON summary with the timing");
  app.add_option("--host", host, "Host header to send (access logs do not record it)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto format = mamori::detect::parseLogFormat(formatName);
  if (!format) {
    std::cerr << "modsec_runner: " << format.error().message << '\n';
    return 2;
  }

  // Read and parse the whole log first: only the CRS work is timed.
  std::ifstream in(logPath, std::ios::binary);
  if (!in) {
    std::cerr << "modsec_runner: cannot read " << logPath << '\n';
    return 1;
  }
  struct Item {
    uint64_t line;
    mamori::detect::HttpRequestLine request;
  };
  std::vector<Item> items;
  uint64_t malformed = 0;
  {
    mamori::detect::AccessLogParser parser(*format);
    std::string text;
    uint64_t number = 0;
    while (std::getline(in, text)) {
      ++number;
      Item item{number, {}};
      const auto kind = parser.parse(text, item.request);
      if (!kind) {
        ++malformed;
        continue;
      }
      if (*kind == mamori::detect::AccessLogParser::LineKind::kRequest) {
        items.push_back(std::move(item));
      }
    }
  }

  const auto setupStart = std::chrono::steady_clock::now();
  modsecurity::ModSecurity modsec;
  modsec.setConnectorInformation("mamori-bench modsec_runner");
  modsec.setServerLogCb(ignoreRuleMessage, modsecurity::RuleMessageLogProperty);
  modsecurity::RulesSet rules;
  if (rules.loadFromUri(conf.c_str()) < 0) {
    std::cerr << "modsec_runner: cannot load " << conf << ": " << rules.getParserError() << '\n';
    return 1;
  }
  const double setupSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - setupStart).count();

  std::vector<std::vector<int>> results(items.size());
  uint64_t interventions = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& r = items[i].request;
    modsecurity::Transaction tx(&modsec, &rules, nullptr);
    tx.processConnection(r.client.c_str(), 50000, "192.0.2.1", 443);
    const std::string method = r.method.empty() ? "GET" : r.method;
    tx.processURI(r.target.c_str(), method.c_str(), httpVersion(r.protocol).c_str());
    tx.addRequestHeader("Host", r.host.empty() ? host : r.host);
    tx.addRequestHeader("Accept", "*/*");
    if (!r.userAgent.empty() && r.userAgent != "-") tx.addRequestHeader("User-Agent", r.userAgent);
    if (!r.referer.empty() && r.referer != "-") tx.addRequestHeader("Referer", r.referer);
    // The request had a body length the log does not record; without one the CRS flags every
    // POST (920180), which would be an artefact of replaying a log, not a CRS false positive.
    if (method == "POST" || method == "PUT" || method == "PATCH") {
      tx.addRequestHeader("Content-Length", "0");
    }
    tx.processRequestHeaders();
    tx.processRequestBody();
    modsecurity::ModSecurityIntervention it;
    it.status = 200;
    it.pause = 0;
    it.url = nullptr;
    it.log = nullptr;
    it.disruptive = 0;
    if (tx.intervention(&it) != 0) ++interventions;
    std::free(it.url);
    std::free(it.log);
    // Every rule that matched and logs leaves a message here, including 949110 (which, being
    // disruptive, never reaches a server log callback).
    std::vector<int>& ids = results[i];
    for (const auto& m : tx.m_rulesMessages) ids.push_back(m.m_ruleId);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::ofstream out(outPath, std::ios::binary | std::ios::trunc);
  std::ofstream blockingOut;
  if (!blockingPath.empty()) blockingOut.open(blockingPath, std::ios::binary | std::ios::trunc);
  uint64_t detected = 0;
  uint64_t blocked = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    std::vector<std::string> categories;
    std::vector<int> ids;
    bool overThreshold = false;
    for (int id : results[i]) {
      if (id == 949110) overThreshold = true;
      const char* c = categoryOf(id);
      if (c == nullptr) continue;
      ids.push_back(id);
      if (std::find(categories.begin(), categories.end(), c) == categories.end()) {
        categories.emplace_back(c);
      }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (!categories.empty() || overThreshold) ++detected;
    if (overThreshold) ++blocked;
    nlohmann::ordered_json j;
    j["line"] = items[i].line;
    j["categories"] = categories;
    j["blocked"] = overThreshold;
    j["rules"] = ids;
    out << j.dump() << '\n';
    if (blockingOut.is_open()) {
      if (!overThreshold) {
        j["categories"] = nlohmann::json::array();
      }
      blockingOut << j.dump() << '\n';
    }
  }
  out.flush();
  if (!out) {
    std::cerr << "modsec_runner: cannot write " << outPath << '\n';
    return 1;
  }
  const double rate = seconds > 0 ? static_cast<double>(items.size()) / seconds : 0.0;
  nlohmann::ordered_json summary;
  summary["requests"] = items.size();
  summary["malformed"] = malformed;
  summary["detected"] = detected;
  summary["blocked"] = blocked;
  summary["interventions"] = interventions;
  summary["setup_seconds"] = setupSeconds;
  summary["process_seconds"] = seconds;
  summary["requests_per_second"] = rate;
  if (!summaryPath.empty()) {
    std::ofstream s(summaryPath, std::ios::binary | std::ios::trunc);
    s << summary.dump(2) << '\n';
  }
  std::fprintf(stderr,
               "modsec_runner: %zu requests in %.3f s (%.0f req/s; rule load %.2f s), "
               "%llu detected, %llu over the anomaly threshold, %llu malformed\n",
               items.size(), seconds, rate, setupSeconds, static_cast<unsigned long long>(detected),
               static_cast<unsigned long long>(blocked),
               static_cast<unsigned long long>(malformed));
  return 0;
}
