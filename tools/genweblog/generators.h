// Benign and attack request generators for mamori-genweblog.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rng.h"
#include "site.h"

namespace mamori::genweblog {

// The category names of issue 3, in a fixed order.
inline const std::vector<std::string>& categoryNames() {
  static const std::vector<std::string> kNames = {
      "sqli", "path-traversal", "sensitive-file", "command-injection", "xss",
      "ssti", "log4shell",      "ssrf",           "scanner",           "exploit"};
  return kNames;
}

// Where a payload goes in the request.
enum class Placement { kParam, kPath, kUserAgent, kReferer, kAny };

// One line of bench/detect/corpus/attacks/<category>.txt.
struct AttackPayload {
  std::string category;
  std::vector<std::string> extraCategories;
  Placement placement = Placement::kParam;
  std::string text;  // decoded parameter value, raw request target, or header value
  // exploit.txt only:
  std::vector<std::string> cves;
  std::string method;
  std::string userAgent;
};

// Reads <dir>/<category>.txt for every category; throws mamori::Failure naming the file and
// line on a malformed line or a category with no payloads.
std::vector<std::vector<AttackPayload>> loadAttackLibrary(const std::string& dir);

// Counts of the evasions applied, for the generator's summary.
struct EvasionStats {
  uint64_t evaded = 0;
  uint64_t notEvaded = 0;
};

class AttackGenerator {
 public:
  explicit AttackGenerator(uint32_t evasionPercent) : evasionPercent_(evasionPercent) {}
  // Fills `e` (client and time are set by the caller) with the payload placed in a request,
  // evaded with probability evasionPercent, and its truth labels and response.
  void make(const AttackPayload& payload, std::string_view attackerAgent, Rng& rng, Entry& e);
  const EvasionStats& stats() const { return stats_; }

 private:
  std::string placeInParam(const AttackPayload& payload, bool evade, Rng& rng, Entry& e);
  std::string evadePath(const std::string& category, std::string target, Rng& rng);
  void respond(const AttackPayload& payload, const std::string& path, bool knownPath, Rng& rng,
               Entry& e);

  uint32_t evasionPercent_;
  EvasionStats stats_;
};

class BenignGenerator {
 public:
  // Draws the pool of visitor addresses.
  explicit BenignGenerator(Rng& rng);
  // Fills `e` (everything but the time) with one benign request and its response.
  void make(Rng& rng, Entry& e);

 private:
  void pageView(Rng& rng, Entry& e);
  void asset(Rng& rng, Entry& e);
  void endpoint(Rng& rng, Entry& e, Client client);
  void bot(Rng& rng, Entry& e);
  void monitor(Rng& rng, Entry& e);
  std::string referer(Rng& rng);

  std::vector<std::string> visitors_;
};

// A random public-looking IPv4 address (no private, loopback, link-local or multicast space).
std::string randomPublicIpv4(Rng& rng);

}  // namespace mamori::genweblog
