// The scenarios of mamori-gencap and the options they share. See README.md beside this file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture_writer.h"
#include "mamori/core/result.h"

namespace mamori::gencap {

struct CommonOptions {
  std::string out;
  CaptureFormat format = CaptureFormat::kPcap;
  LinkType link = LinkType::kEthernet;
  std::string canary = "MAMORI-CANARY-7f3a9c";
  uint64_t baseTime = 1790000000;  // 2026-09-21T14:13:20Z
  uint64_t seed = 1;
};

struct E2eOptions {
  std::string manifest;  // empty: no manifest
};

struct LoadOptions {
  uint64_t packets = 2000000;
  uint64_t flows = 200000;
  uint64_t concurrent = 100000;
  std::vector<std::string> domestic;  // prefix files; empty: the shipped data/domestic set
  std::string indicatorsOut;          // empty: no order JSON
  uint64_t indicatorIps = 1000000;
  uint64_t indicatorDomains = 100000;
};

struct HttpOptions {
  std::string requests;  // Apache/nginx combined access log
};

// A parameter combination that cannot be honoured (exit status 2, like a parse error).
class UsageError : public Failure {
 public:
  using Failure::Failure;
};

// Both throw UsageError for impossible parameter combinations and mamori::Failure for I/O errors.
void runE2e(const CommonOptions& common, const E2eOptions& options);
void runLoad(const CommonOptions& common, const LoadOptions& options);
// One TCP connection per parseable log line; prints a count line to stderr.
void runHttp(const CommonOptions& common, const HttpOptions& options);

}  // namespace mamori::gencap
