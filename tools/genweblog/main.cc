// mamori-genweblog: writes a labelled Apache combined access log for the detection benchmark.
// The same arguments give byte-identical output. Exit status: 0 success, 1 runtime failure
// (I/O, bad payload file), 2 bad arguments.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "generators.h"
#include "mamori/core/result.h"
#include "text.h"

namespace {

using namespace mamori::genweblog;

struct Options {
  std::string log;
  std::string labels;
  std::string attacksDir = MAMORI_SOURCE_DIR "/bench/detect/corpus/attacks";
  uint64_t lines = 20000;
  double attackRatio = 0.2;
  uint32_t evasionPercent = 40;
  uint64_t seed = 1;
  int64_t startTime = 1717340400;  // 2024-06-03 00:00:00 +0900
  int64_t span = 86400;
};

// Attack share per category (percent of attack lines), roughly what a government monitoring
// centre sees: injection and traversal attempts most, appliance exploits a steady tenth.
const std::vector<uint32_t> kCategoryWeights = {20, 12, 14, 10, 11, 6, 6, 6, 6, 9};

// A run of attack lines from one source: tools send several requests in a row.
struct Burst {
  std::string client;
  std::string agent;
  size_t category;
  uint64_t remaining;
  bool mixed;  // a scanner-like source that probes several categories
};

std::string writeLine(const Entry& e, int64_t unixSeconds) {
  std::string line;
  line.reserve(256);
  line += e.client;
  line += " - ";
  line += e.user;
  line += ' ';
  line += apacheTime(unixSeconds, 9 * 60);
  line += " \"";
  line += escapeLogField(e.method + " " + e.target + " " + e.protocol);
  line += "\" ";
  line += std::to_string(e.status);
  line += ' ';
  line += e.bytes < 0 ? std::string("-") : std::to_string(e.bytes);
  line += " \"";
  line += escapeLogField(e.referer);
  line += "\" \"";
  line += escapeLogField(e.userAgent);
  line += '"';
  return line;
}

int run(const Options& opt) {
  const auto library = loadAttackLibrary(opt.attacksDir);
  std::ofstream log(opt.log, std::ios::binary | std::ios::trunc);
  std::ofstream labels(opt.labels, std::ios::binary | std::ios::trunc);
  if (!log || !labels) throw mamori::Failure("cannot write " + opt.log + " or " + opt.labels);

  Rng rng(opt.seed);
  BenignGenerator benign(rng);
  AttackGenerator attacks(opt.evasionPercent);
  std::vector<std::string> attackers;
  for (int i = 0; i < 180; ++i) attackers.push_back(randomPublicIpv4(rng));

  uint64_t attacksLeft =
      static_cast<uint64_t>(std::llround(static_cast<double>(opt.lines) * opt.attackRatio));
  const uint64_t attackTotal = attacksLeft;
  Burst burst{"", "", 0, 0, false};
  std::vector<uint64_t> perCategory(categoryNames().size(), 0);
  double clock = static_cast<double>(opt.startTime);
  const double meanGap = static_cast<double>(opt.span) / static_cast<double>(opt.lines);

  for (uint64_t n = 1; n <= opt.lines; ++n) {
    clock += rng.exponential(meanGap);
    Entry e;
    // Selection sampling: exactly attackTotal attack lines, spread over the whole log.
    const uint64_t linesLeft = opt.lines - n + 1;
    const bool attack = attacksLeft > 0 && rng.below64(linesLeft) < attacksLeft;
    if (attack) {
      --attacksLeft;
      if (burst.remaining == 0) {
        const uint32_t r = rng.below(100);
        burst.remaining = r < 30 ? 1
                                 : (r < 70 ? static_cast<uint64_t>(rng.between(2, 5))
                                           : static_cast<uint64_t>(rng.between(6, 15)));
        burst.category = rng.weighted(kCategoryWeights);
        burst.mixed = rng.percent(15);
        // A few sources are very active (many-to-one); most appear once or twice.
        burst.client = rng.percent(40) ? attackers[rng.index(12)] : rng.pick(attackers);
        burst.agent = rng.pick(toolAgents());
      }
      --burst.remaining;
      const size_t category = burst.mixed ? rng.weighted(kCategoryWeights) : burst.category;
      const AttackPayload& payload = rng.pick(library[category]);
      e.client = burst.client;
      attacks.make(payload, burst.agent, rng, e);
      for (const auto& c : e.categories) {
        for (size_t i = 0; i < categoryNames().size(); ++i) {
          if (categoryNames()[i] == c) ++perCategory[i];
        }
      }
    } else {
      benign.make(rng, e);
    }
    log << writeLine(e, static_cast<int64_t>(clock)) << '\n';
    nlohmann::ordered_json label;
    label["line"] = n;
    label["categories"] = e.categories;
    if (!e.cves.empty()) label["cves"] = e.cves;
    labels << label.dump() << '\n';
  }
  log.flush();
  labels.flush();
  if (!log || !labels) throw mamori::Failure("write failed: " + opt.log + " or " + opt.labels);

  std::fprintf(stderr, "genweblog: %llu lines, %llu attack lines (%llu evaded, %llu not)\n",
               static_cast<unsigned long long>(opt.lines),
               static_cast<unsigned long long>(attackTotal),
               static_cast<unsigned long long>(attacks.stats().evaded),
               static_cast<unsigned long long>(attacks.stats().notEvaded));
  for (size_t i = 0; i < categoryNames().size(); ++i) {
    std::fprintf(stderr, "  %-18s %llu\n", categoryNames()[i].c_str(),
                 static_cast<unsigned long long>(perCategory[i]));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{
      "mamori-genweblog: writes a labelled Apache combined access log (benign traffic of an "
      "agency site, a shop and an API, plus attacks with evasions) and its truth file, one JSON "
      "line per log line. Same arguments, same bytes."};
  app.set_help_flag("--help,-h", "Print this help and exit");
  app.add_option("--log", opt.log, "Access log to write")->required();
  app.add_option("--labels", opt.labels, "Truth file to write (labels.ndjson)")->required();
  app.add_option("--lines", opt.lines, "Number of log lines")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100000000}))
      ->capture_default_str();
  app.add_option("--attack-ratio", opt.attackRatio, "Share of attack lines")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--evasion-percent", opt.evasionPercent,
                 "Percent of evadable attack lines (parameters, paths) that get evasions")
      ->check(CLI::Range(0U, 100U))
      ->capture_default_str();
  app.add_option("--seed", opt.seed, "PRNG seed")->capture_default_str();
  app.add_option("--start-time", opt.startTime, "UNIX time of the first line")
      ->check(CLI::Range(int64_t{0}, int64_t{4000000000}))
      ->capture_default_str();
  app.add_option("--span", opt.span, "Seconds the log covers (on average)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
      ->capture_default_str();
  app.add_option("--attacks", opt.attacksDir, "Directory with the <category>.txt payload files")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return e.get_exit_code() == 0 ? 0 : (rc == 0 ? 0 : 2);
  }
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::cerr << "mamori-genweblog: " << e.what() << '\n';
    return 1;
  }
}
