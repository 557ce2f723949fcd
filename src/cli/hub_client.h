// Sending the NDJSON records that `mamori select` and `mamori detect` write to the sharing hub
// (POST /api/v1/events, docs/openapi.yaml).
//
// The hub stores a batch all-or-nothing and answers only after it is durable, and ingestion is
// idempotent by record id: a batch whose answer was lost can be sent again, and a whole file can be
// sent twice, without duplicating anything. That is what makes retrying safe. `mamori select`
// then sends a sensor report (POST /api/v1/sensor-reports, docs/oversight.md): its ledger's
// signed head and the order it ran under, for the oversight commission.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "mamori/core/result.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}
namespace httplib {  // NOLINT(readability-identifier-naming): cpp-httplib's namespace
class Client;
}

namespace mamori::cli {

struct HubTarget {
  // http:// or https://HOST[:PORT][/PREFIX], with or without a trailing slash or "/api/v1".
  std::string url;
  // API token (`mamori admin token create`); sent as "Authorization: Bearer", never printed.
  std::string token;
};

// Lets another thread abandon hub requests, for a stop that must not wait for a hub that stopped
// answering: after cancel(), the request in flight fails at once (its connection is shut down),
// a backoff wait ends, and every later attempt fails without connecting. Requests opt in through
// HubSendOptions::cancel. Thread-safe.
class HubCancel {
 public:
  void cancel();
  bool cancelled() const;

  // For the hub client's own use: the connection a request is using (null when it ends), and a
  // backoff wait that cancel() cuts short (true if cancelled).
  void watch(httplib::Client* client);
  bool sleepFor(std::chrono::milliseconds delay);

 private:
  mutable std::mutex mutex_;
  std::condition_variable woken_;
  bool cancelled_ = false;
  httplib::Client* client_ = nullptr;  // guarded by mutex_
};

struct HubSendOptions {
  std::size_t maxLines = 1000;                  // records per request
  std::size_t maxBytes = std::size_t{4} << 20;  // body bytes per request (a longer line goes alone)
  int attempts = 3;                             // per batch, for transient failures
  std::chrono::milliseconds backoff{500};       // before the 2nd attempt; doubles after that
  // Per read or write on the connection: a hub that stops answering is given up after this.
  std::chrono::seconds ioTimeout{120};
  std::chrono::seconds connectTimeout{10};
  HubCancel* cancel = nullptr;  // not owned; null: the request runs to its timeouts
};

struct HubSendResult {
  uint64_t sent = 0;        // records the hub received and stored or already had
  uint64_t accepted = 0;    // new to the hub
  uint64_t duplicates = 0;  // already stored (an earlier send of the same records)
  uint64_t requests = 0;    // batches sent
};

// The hub's base URL as messages show it: scheme://authority[/prefix], without "/api/v1" or a
// trailing slash. Throws Failure naming the problem for a URL that is not http(s)://HOST[...], has
// a query, a fragment or credentials in it.
std::string hubBaseUrl(const std::string& url);

// Sends every non-blank line of `ndjsonFile` in batches. Connection failures and 429/502/503/504
// are retried with backoff (honouring a short Retry-After); any other non-2xx answer is final.
// Throws Failure with "hub URL: STATUS CODE: MESSAGE" (or the connection error) and, when earlier
// batches went through, how many records were already sent.
HubSendResult sendToHub(const HubTarget& target, const std::filesystem::path& ndjsonFile,
                        const HubSendOptions& options = {});

// What the hub answered to a sensor report (POST /api/v1/sensor-reports, docs/oversight.md).
struct SensorReportResult {
  std::string id;          // the stored ledger head's id
  bool duplicate = false;  // the hub already had this head from this sensor (a retried report)
  std::size_t orders = 0;  // selection orders stored or matched
};

// Sends one sensor report: `reportJson` is {"sensor", "ledger_public_key", "head", "orders"}.
// Retried like sendToHub(); throws Failure "hub URL: sensor report: STATUS CODE: MESSAGE" (or
// the connection error) when the hub does not accept it.
SensorReportResult sendSensorReport(const HubTarget& target, const std::string& reportJson,
                                    const HubSendOptions& options = {});

// A final non-2xx answer of the hub: what() is "hub URL: STATUS CODE: MESSAGE"; error() is the
// answer's {"code", "message", "details"} (null when the body was not the hub's JSON).
class HubRefusal : public Failure {
 public:
  HubRefusal(const std::string& what, int status, nlohmann::json error);
  int status() const { return status_; }
  const nlohmann::json& error() const { return error_; }

 private:
  int status_;
  nlohmann::json error_;
};

// One request to the hub's JSON API: `method` (GET, POST or DELETE) of `path` below /api/v1
// ("/indicators?after=3"), with `body` sent as application/json. Retried like sendToHub(), so
// use it for requests that may safely arrive twice. Returns the body of the 2xx answer; throws
// HubRefusal for any other final answer, Failure when the hub cannot be reached.
std::string hubRequest(const HubTarget& target, std::string_view method, const std::string& path,
                       const std::string& body = {}, const HubSendOptions& options = {});

// The name a sensor reports under when none is given: the host name ("" if unavailable).
std::string defaultSensorName();
// Sensor names the hub accepts: 1-128 letters, digits, '-', '_', '.'.
bool validSensorName(std::string_view name);

// --hub URL and --token TOKEN on a command that writes records (select, detect).
struct HubCliOptions {
  std::string url;
  std::string token;
};
void addHubOptions(CLI::App* cmd, HubCliOptions& o);
// The target from the options, the token falling back to $MAMORI_HUB_TOKEN (so that it need not
// appear in `ps`); nullopt without --hub. A missing token or a bad URL is a CLI::ValidationError,
// raised before the command does any work.
std::optional<HubTarget> hubTargetFromOptions(const HubCliOptions& o);

}  // namespace mamori::cli
