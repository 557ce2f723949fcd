// detect-score: compares per-request detections with the corpus truth.
//
//   detect-score --truth labels.ndjson --run NAME=requests.ndjson [--run ...] [--json FILE]
//
// Truth lines: {"line": N, "categories": [...]} ([] = benign). Run lines: the same, optionally
// with "blocked": true (the CRS anomaly threshold). A run line counts as a detection when it has
// any category (including "other") or is blocked; a line missing from a run is not detected.
// Definitions are in bench/detect/README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace {

const std::vector<std::string> kCategories = {
    "sqli", "path-traversal", "sensitive-file", "command-injection", "xss",
    "ssti", "log4shell",      "ssrf",           "scanner",           "exploit"};

struct Verdict {
  std::set<std::string> categories;
  bool detected = false;
};

using Table = std::map<uint64_t, Verdict>;

Table readFile(const std::string& path, bool truth) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  Table table;
  std::string text;
  uint64_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
    }
    if (!j.is_object() || !j.contains("line") || !j["line"].is_number_unsigned()) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": no \"line\"");
    }
    Verdict v;
    if (j.contains("categories") && j["categories"].is_array()) {
      for (const auto& c : j["categories"]) {
        if (c.is_string()) v.categories.insert(c.get<std::string>());
      }
    }
    const bool blocked =
        j.contains("blocked") && j["blocked"].is_boolean() && j["blocked"].get<bool>();
    v.detected = !v.categories.empty() || blocked;
    if (truth) {
      for (const auto& c : v.categories) {
        if (std::find(kCategories.begin(), kCategories.end(), c) == kCategories.end()) {
          throw std::runtime_error(path + ":" + std::to_string(number) + ": unknown category " + c);
        }
      }
    }
    table[j["line"].get<uint64_t>()] = std::move(v);
  }
  return table;
}

struct CategoryScore {
  uint64_t attacks = 0;        // truth lines with the category
  uint64_t detectedAny = 0;    // ... the tool flagged at all
  uint64_t detectedRight = 0;  // ... the tool flagged with this category
  uint64_t claimed = 0;        // lines the tool gave this category
  uint64_t claimedRight = 0;   // ... whose truth has it
  uint64_t benignClaimed = 0;  // benign lines the tool gave this category
};

struct RunScore {
  std::string name;
  std::vector<CategoryScore> categories = std::vector<CategoryScore>(kCategories.size());
  uint64_t attackLines = 0;
  uint64_t attackDetected = 0;
  uint64_t attackRight = 0;  // at least one of the line's true categories reported
  uint64_t benignLines = 0;
  uint64_t benignDetected = 0;
  uint64_t missingLines = 0;  // truth lines the run has no record for
  std::vector<uint64_t> falsePositives;
  std::vector<std::vector<uint64_t>> misses =
      std::vector<std::vector<uint64_t>>(kCategories.size());
};

RunScore score(const std::string& name, const Table& truth, const Table& run) {
  RunScore s;
  s.name = name;
  static const Verdict kNothing;
  for (const auto& [line, t] : truth) {
    const auto it = run.find(line);
    if (it == run.end()) ++s.missingLines;
    const Verdict& r = it == run.end() ? kNothing : it->second;
    const bool attack = !t.categories.empty();
    if (attack) {
      ++s.attackLines;
      if (r.detected) ++s.attackDetected;
      bool right = false;
      for (const auto& c : t.categories) right = right || r.categories.count(c) > 0;
      if (right) ++s.attackRight;
    } else {
      ++s.benignLines;
      if (r.detected) {
        ++s.benignDetected;
        s.falsePositives.push_back(line);
      }
    }
    for (size_t i = 0; i < kCategories.size(); ++i) {
      const std::string& c = kCategories[i];
      CategoryScore& cs = s.categories[i];
      const bool isC = t.categories.count(c) > 0;
      const bool saidC = r.categories.count(c) > 0;
      if (isC) {
        ++cs.attacks;
        if (r.detected) ++cs.detectedAny;
        if (saidC) ++cs.detectedRight;
        if (!r.detected) s.misses[i].push_back(line);
      }
      if (saidC) {
        ++cs.claimed;
        if (isC) ++cs.claimedRight;
        if (!attack) ++cs.benignClaimed;
      }
    }
  }
  return s;
}

double ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

std::string pct(uint64_t a, uint64_t b) {
  if (b == 0) return "    -";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%5.1f", 100.0 * ratio(a, b));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string truthPath;
  std::vector<std::string> runSpecs;
  std::string jsonPath;
  size_t listErrors = 0;
  CLI::App app{"detect-score: per-category recall, precision and false positives per tool"};
  app.add_option("--truth", truthPath, "labels.ndjson from mamori-genweblog")->required();
  app.add_option("--run", runSpecs, "NAME=requests.ndjson (repeatable)")->required();
  app.add_option("--json", jsonPath, "Also write the scores as JSON here (- for stdout)");
  app.add_option("--list-errors", listErrors,
                 "Print up to N line numbers of false positives and misses per tool");
  CLI11_PARSE(app, argc, argv);

  try {
    const Table truth = readFile(truthPath, true);
    std::vector<RunScore> scores;
    for (const auto& spec : runSpecs) {
      const size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "detect-score: --run wants NAME=FILE, got " << spec << '\n';
        return 2;
      }
      scores.push_back(score(spec.substr(0, eq), truth, readFile(spec.substr(eq + 1), false)));
    }

    // Table: one row per category; per tool recall (any / right category), precision and the
    // benign lines given that category.
    std::printf("%-18s %6s", "category", "lines");
    for (const auto& s : scores) std::printf(" | %-26.26s", s.name.c_str());
    std::printf("\n%-18s %6s", "", "");
    for (size_t k = 0; k < scores.size(); ++k)
      std::printf(" | %5s %5s %5s %6s", "any%", "cat%", "prec%", "fp");
    std::printf("\n");
    for (size_t i = 0; i < kCategories.size(); ++i) {
      std::printf(
          "%-18s %6llu", kCategories[i].c_str(),
          static_cast<unsigned long long>(scores.empty() ? 0 : scores[0].categories[i].attacks));
      for (const auto& s : scores) {
        const CategoryScore& c = s.categories[i];
        std::printf(" | %s %s %s %6llu", pct(c.detectedAny, c.attacks).c_str(),
                    pct(c.detectedRight, c.attacks).c_str(), pct(c.claimedRight, c.claimed).c_str(),
                    static_cast<unsigned long long>(c.benignClaimed));
      }
      std::printf("\n");
    }
    std::printf("%-18s %6llu", "all attacks",
                static_cast<unsigned long long>(scores.empty() ? 0 : scores[0].attackLines));
    for (const auto& s : scores) {
      std::printf(" | %s %s %s %6s", pct(s.attackDetected, s.attackLines).c_str(),
                  pct(s.attackRight, s.attackLines).c_str(),
                  pct(s.attackDetected, s.attackDetected + s.benignDetected).c_str(), "");
    }
    std::printf("\n\nbenign lines: %llu\n",
                static_cast<unsigned long long>(scores.empty() ? 0 : scores[0].benignLines));
    for (const auto& s : scores) {
      std::printf("%-20s false positives %6llu = %.2f%% of benign lines", s.name.c_str(),
                  static_cast<unsigned long long>(s.benignDetected),
                  100.0 * ratio(s.benignDetected, s.benignLines));
      if (s.missingLines > 0) {
        std::printf(" (%llu truth lines absent from the run)",
                    static_cast<unsigned long long>(s.missingLines));
      }
      std::printf("\n");
    }
    std::printf(
        "\nany%% = attack lines of the category flagged at all; cat%% = flagged with that "
        "category;\nprec%% = lines the tool gave the category that truly have it; fp = benign "
        "lines given the category.\n");

    if (listErrors > 0) {
      for (const auto& s : scores) {
        std::printf("\n%s: false positives:", s.name.c_str());
        for (size_t k = 0; k < std::min(listErrors, s.falsePositives.size()); ++k) {
          std::printf(" %llu", static_cast<unsigned long long>(s.falsePositives[k]));
        }
        std::printf("\n");
        for (size_t i = 0; i < kCategories.size(); ++i) {
          if (s.misses[i].empty()) continue;
          std::printf("%s: missed %s:", s.name.c_str(), kCategories[i].c_str());
          for (size_t k = 0; k < std::min(listErrors, s.misses[i].size()); ++k) {
            std::printf(" %llu", static_cast<unsigned long long>(s.misses[i][k]));
          }
          std::printf("\n");
        }
      }
    }

    if (!jsonPath.empty()) {
      nlohmann::ordered_json out;
      for (const auto& s : scores) {
        nlohmann::ordered_json r;
        r["attack_lines"] = s.attackLines;
        r["recall_any"] = ratio(s.attackDetected, s.attackLines);
        r["recall_category"] = ratio(s.attackRight, s.attackLines);
        r["benign_lines"] = s.benignLines;
        r["false_positives"] = s.benignDetected;
        r["false_positive_rate"] = ratio(s.benignDetected, s.benignLines);
        r["precision"] = ratio(s.attackDetected, s.attackDetected + s.benignDetected);
        r["missing_lines"] = s.missingLines;
        for (size_t i = 0; i < kCategories.size(); ++i) {
          const CategoryScore& c = s.categories[i];
          nlohmann::ordered_json cj;
          cj["lines"] = c.attacks;
          cj["recall_any"] = ratio(c.detectedAny, c.attacks);
          cj["recall_category"] = ratio(c.detectedRight, c.attacks);
          cj["precision"] = ratio(c.claimedRight, c.claimed);
          cj["claimed"] = c.claimed;
          cj["benign_claimed"] = c.benignClaimed;
          cj["false_positive_rate"] = ratio(c.benignClaimed, s.benignLines);
          r["categories"][kCategories[i]] = cj;
        }
        out[s.name] = r;
      }
      if (jsonPath == "-") {
        std::cout << out.dump(2) << '\n';
      } else {
        std::ofstream f(jsonPath, std::ios::binary | std::ios::trunc);
        f << out.dump(2) << '\n';
        if (!f) throw std::runtime_error("cannot write " + jsonPath);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "detect-score: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
