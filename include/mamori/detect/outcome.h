// Outcome: from the server's response, was an attack stopped, did it fail, or might it have
// worked? Judged from the status code, the response size relative to that path's normal size, and
// the time taken where the log has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mamori/detect/category.h"

namespace mamori::detect {

enum class Outcome : uint8_t {
  kUnknown,            // no response recorded (e.g. a capture without the response)
  kFailed,             // the server answered, and not with what the attack wanted (404, 400, ...)
  kBlocked,            // a filter refused it (403, 406, 429, WAF block pages, connection reset)
  kPossiblySucceeded,  // the server answered as if the request worked: confirm
};
// "unknown", "failed", "blocked", "possibly-succeeded".
std::string_view outcomeName(Outcome o);

struct ResponseFacts {
  int status = -1;               // -1: none recorded
  int64_t bytes = -1;            // response body bytes; -1: unknown
  int64_t durationMicros = -1;   // -1: unknown
  bool connectionReset = false;  // the server reset the connection instead of answering (capture)
};

// Learns each path's normal response size from requests that carried no attack, and judges the
// outcome of attacks against that. Memory is bounded (kMaxPaths paths; later paths are not
// learned). Judgement uses what was learned so far, so a stream is judged in one pass.
class OutcomeJudge {
 public:
  static constexpr std::size_t kMaxPaths = 200'000;

  OutcomeJudge();
  ~OutcomeJudge();
  OutcomeJudge(OutcomeJudge&&) noexcept;
  OutcomeJudge& operator=(OutcomeJudge&&) noexcept;

  // A request with no detection: its response teaches the path's normal size. `path` is the
  // normalized path without the query (NormalizedRequest::path).
  void observeNormal(std::string_view path, const ResponseFacts& response);

  Outcome judge(std::string_view path, CategoryMask categories,
                const ResponseFacts& response) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::detect
