#include "hub_client.h"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <vector>

#include "mamori/core/result.h"

namespace mamori::cli {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kApiPath = "/api/v1";
constexpr int kMaxRetryAfterSeconds = 30;
constexpr size_t kMaxQuotedBody = 200;
constexpr size_t kMaxSensorName = 128;  // as the hub accepts (docs/oversight.md)

struct ParsedUrl {
  std::string schemeHostPort;  // for httplib::Client
  std::string prefix;          // path before /api/v1, "" or "/..."
  std::string display;
};

ParsedUrl parseHubUrl(const std::string& url) {
  std::string_view u(url);
  std::string_view scheme;
  if (u.starts_with("http://")) {
    scheme = "http";
  } else if (u.starts_with("https://")) {
    scheme = "https";
  } else {
    throw Failure(fmt::format("--hub {}: expected http://HOST[:PORT] or https://HOST[:PORT]", url));
  }
  for (const char c : u) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      throw Failure("--hub: spaces or control characters in the URL");
    }
  }
  if (u.find_first_of("?#") != std::string_view::npos) {
    throw Failure(fmt::format("--hub {}: no query or fragment expected", url));
  }
  std::string_view rest = u.substr(scheme.size() + 3);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) throw Failure(fmt::format("--hub {}: no host", url));
  if (authority.find('@') != std::string_view::npos) {
    // Credentials in a URL end up in messages and process lists.
    throw Failure(
        "--hub: no credentials in the URL; pass the token with --token or "
        "MAMORI_HUB_TOKEN");
  }
  std::string_view path = rest.substr(authority.size());
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.ends_with(kApiPath)) path.remove_suffix(kApiPath.size());
  while (path.ends_with('/')) path.remove_suffix(1);
  ParsedUrl p;
  p.schemeHostPort = fmt::format("{}://{}", scheme, authority);
  p.prefix = std::string(path);
  p.display = p.schemeHostPort + p.prefix;
  return p;
}

void checkToken(const std::string& token) {
  if (token.empty()) throw Failure("no hub token: pass --token or set MAMORI_HUB_TOKEN");
  for (const char c : token) {
    // Anything else could split the header; the token itself is never shown.
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      throw Failure("the hub token contains spaces or characters that cannot go in a header");
    }
  }
}

// What a failed exchange means, in words; `final` for failures that trying again cannot cure.
std::string connectionProblem(httplib::Error e, bool& final) {
  final = false;
  switch (e) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "connection lost while waiting for the answer";
    case httplib::Error::Write:
      return "connection lost while sending";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      final = true;
      return "cannot load the trusted certificates";
    case httplib::Error::SSLServerVerification:
      final = true;
      return "the server's certificate could not be verified";
    default:
      return "request failed (" + httplib::to_string(e) + ")";
  }
}

bool transientStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Seconds from a Retry-After given in seconds (an HTTP date is ignored: the backoff applies).
int retryAfterSeconds(const httplib::Response& res) {
  const std::string v = res.get_header_value("Retry-After");
  int n = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n < 0) return -1;
  return std::min(n, kMaxRetryAfterSeconds);
}

// Printable, short: an error body that is not the hub's JSON (a proxy's HTML page, say).
std::string quoteBody(const std::string& body) {
  std::string out;
  for (const char c : body.substr(0, kMaxQuotedBody)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  if (body.size() > kMaxQuotedBody) out += "...";
  return out;
}

// "401 bad-token: missing, unknown, ..." from the hub's {"error": {code, message, details}}.
std::string hubErrorText(const httplib::Response& res) {
  const Json j = Json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return fmt::format("{} {}", res.status, quoteBody(res.body));
  }
  const Json& e = j["error"];
  return fmt::format("{} {}: {}", res.status, e.value("code", "?"),
                     e.value("message", "(no message)"));
}

// A client for the hub at `url`, with the caller's connect and read/write timeouts.
std::unique_ptr<httplib::Client> hubClient(const ParsedUrl& url, const HubSendOptions& options) {
  auto client = std::make_unique<httplib::Client>(url.schemeHostPort);
  if (!client->is_valid()) throw Failure(fmt::format("hub {}: not a usable URL", url.display));
  client->set_connection_timeout(options.connectTimeout);
  client->set_read_timeout(options.ioTimeout);
  client->set_write_timeout(options.ioTimeout);
  client->set_keep_alive(true);
  return client;
}

constexpr const char* kAbandoned = "request abandoned: stopping";

// Makes `client` the one `cancel` (if any) shuts down, for one exchange.
class CancelWatch {
 public:
  CancelWatch(HubCancel* cancel, httplib::Client& client) : cancel_(cancel) {
    if (cancel_ != nullptr) cancel_->watch(&client);
  }
  ~CancelWatch() {
    if (cancel_ != nullptr) cancel_->watch(nullptr);
  }
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;
  bool cancelled() const { return cancel_ != nullptr && cancel_->cancelled(); }

 private:
  HubCancel* cancel_;
};

// Sends a request (`exchange`, on `client`), trying again after connection failures and
// transient statuses (429/502/503/504) with a doubling backoff (a short Retry-After replaces it).
// Returns the first 2xx answer. Any other outcome, and options.cancel being cancelled, calls
// `fail` with the problem in words (`describe` words an answer), which must throw.
httplib::Response exchangeRetrying(
    httplib::Client& client, const std::function<httplib::Result()>& exchange,
    const HubSendOptions& options,
    const std::function<std::string(const httplib::Response&)>& describe,
    const std::function<void(const std::string&)>& fail) {
  HubCancel* const cancel = options.cancel;
  const int attempts = std::max(options.attempts, 1);
  auto delay = options.backoff;
  std::string lastProblem;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      if (cancel != nullptr) {
        (void)cancel->sleepFor(delay);
      } else {
        std::this_thread::sleep_for(delay);
      }
    }
    delay *= 2;
    const CancelWatch watch(cancel, client);
    if (watch.cancelled()) fail(kAbandoned);
    auto res = exchange();
    if (!res && watch.cancelled()) fail(kAbandoned);  // not "connection lost": a stop cut it
    if (!res) {
      bool final = false;
      lastProblem = connectionProblem(res.error(), final);
      if (final) fail(lastProblem);
      continue;
    }
    if (res->status >= 200 && res->status < 300) return *res;
    lastProblem = describe(*res);
    if (!transientStatus(res->status)) fail(lastProblem);
    if (const int s = retryAfterSeconds(*res); s >= 0) delay = std::chrono::seconds(s);
  }
  fail(attempts > 1 ? fmt::format("{} (after {} attempts)", lastProblem, attempts) : lastProblem);
  throw Failure(lastProblem);  // `fail` throws; this only tells the compiler
}

// POSTs `body` through exchangeRetrying().
httplib::Response postRetrying(httplib::Client& client, const std::string& path,
                               const httplib::Headers& headers, const std::string& body,
                               const char* contentType, const HubSendOptions& options,
                               const std::function<std::string(const httplib::Response&)>& describe,
                               const std::function<void(const std::string&)>& fail) {
  return exchangeRetrying(
      client, [&] { return client.Post(path, headers, body, contentType); }, options, describe,
      fail);
}

class Sender {
 public:
  Sender(const HubTarget& target, const std::filesystem::path& file, const HubSendOptions& options)
      : url_(parseHubUrl(target.url)),
        file_(file),
        options_(options),
        headers_{{"Authorization", "Bearer " + target.token}, {"Accept", "application/json"}} {
    checkToken(target.token);
    client_ = hubClient(url_, options);
  }

  HubSendResult run() {
    std::ifstream in(file_, std::ios::binary);
    if (!in) throw Failure(fmt::format("{}: cannot read", file_.string()));
    std::string line;
    uint64_t lineNo = 0;
    while (std::getline(in, line)) {
      ++lineNo;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (!lines_.empty() && (lines_.size() >= options_.maxLines ||
                              body_.size() + line.size() + 1 > options_.maxBytes)) {
        flush();
      }
      body_ += line;
      body_.push_back('\n');
      lines_.push_back(lineNo);
    }
    if (in.bad()) throw Failure(fmt::format("{}: read failed", file_.string()));
    if (!lines_.empty()) flush();
    return result_;
  }

 private:
  void flush() {
    const std::string path = url_.prefix + std::string(kApiPath) + "/events";
    accept(postRetrying(
        *client_, path, headers_, body_, "application/x-ndjson", options_,
        [this](const httplib::Response& res) { return errorText(res); },
        [this](const std::string& problem) { fail(problem); }));
  }

  void accept(const httplib::Response& res) {
    const Json j = Json::parse(res.body, nullptr, false);
    auto count = [&](const char* key) -> uint64_t {
      if (!j.is_object() || !j.contains(key) || !j[key].is_number_unsigned()) {
        fail(fmt::format("unexpected answer (no \"{}\"): {}", key, quoteBody(res.body)));
      }
      return j[key].get<uint64_t>();
    };
    const uint64_t received = count("received");
    const uint64_t accepted = count("accepted");
    const uint64_t duplicates = count("duplicates");
    if (received != lines_.size()) {
      fail(fmt::format("the hub received {} of the {} records sent", received, lines_.size()));
    }
    result_.sent += received;
    result_.accepted += accepted;
    result_.duplicates += duplicates;
    ++result_.requests;
    body_.clear();
    lines_.clear();
  }

  // "401 bad-token: missing, unknown, ..." from the hub's {"error": {code, message, details}}.
  std::string errorText(const httplib::Response& res) const {
    std::string text = hubErrorText(res);
    const Json j = Json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return text;
    const Json& e = j["error"];
    // The hub names lines of the batch; say which line of the file that is.
    if (e.contains("details") && e["details"].is_object() && e["details"].contains("line") &&
        e["details"]["line"].is_number_unsigned()) {
      const auto n = e["details"]["line"].get<uint64_t>();
      if (n >= 1 && n <= lines_.size()) {
        text += fmt::format(" (line {} of {})", lines_[n - 1], file_.string());
      }
    }
    return text;
  }

  [[noreturn]] void fail(const std::string& problem) const {
    std::string already;
    if (result_.sent > 0) {
      already = fmt::format("; {} records before line {} were sent ({} new)", result_.sent,
                            lines_.empty() ? 0 : lines_.front(), result_.accepted);
    }
    throw Failure(fmt::format("hub {}: {}{}", url_.display, problem, already));
  }

  ParsedUrl url_;
  std::filesystem::path file_;
  HubSendOptions options_;
  std::unique_ptr<httplib::Client> client_;
  httplib::Headers headers_;
  std::string body_;
  std::vector<uint64_t> lines_;  // file line number of each record in body_
  HubSendResult result_;
};

}  // namespace

std::string hubBaseUrl(const std::string& url) {
  return parseHubUrl(url).display;
}

void addHubOptions(CLI::App* cmd, HubCliOptions& o) {
  auto* hub = cmd->add_option("--hub", o.url,
                              "Send the records to this sharing hub once the outputs are complete "
                              "(http(s)://HOST[:PORT]; see docs/openapi.yaml)");
  cmd->add_option("--token", o.token,
                  "API token for --hub (default: $MAMORI_HUB_TOKEN, which keeps it out of `ps`)")
      ->needs(hub);
}

std::optional<HubTarget> hubTargetFromOptions(const HubCliOptions& o) {
  if (o.url.empty()) return std::nullopt;
  HubTarget t{o.url, o.token};
  if (t.token.empty()) {
    // Read in a command callback, before any thread starts.
    const char* env =
        std::getenv("MAMORI_HUB_TOKEN");  // NOLINT(concurrency-mt-unsafe): single-threaded here
    if (env != nullptr) t.token = env;
  }
  if (t.token.empty()) {
    throw CLI::ValidationError("--hub",
                               "needs an API token: pass --token TOKEN or set "
                               "MAMORI_HUB_TOKEN");
  }
  try {
    (void)parseHubUrl(t.url);
    checkToken(t.token);
  } catch (const Failure& e) {
    throw CLI::ValidationError("--hub", e.what());
  }
  return t;
}

HubSendResult sendToHub(const HubTarget& target, const std::filesystem::path& ndjsonFile,
                        const HubSendOptions& options) {
  return Sender(target, ndjsonFile, options).run();
}

SensorReportResult sendSensorReport(const HubTarget& target, const std::string& reportJson,
                                    const HubSendOptions& options) {
  const ParsedUrl url = parseHubUrl(target.url);
  checkToken(target.token);
  auto client = hubClient(url, options);
  const httplib::Headers headers{{"Authorization", "Bearer " + target.token},
                                 {"Accept", "application/json"}};
  auto fail = [&url](const std::string& problem) {
    throw Failure(fmt::format("hub {}: sensor report: {}", url.display, problem));
  };
  const httplib::Response res =
      postRetrying(*client, url.prefix + std::string(kApiPath) + "/sensor-reports", headers,
                   reportJson, "application/json", options, hubErrorText, fail);
  const Json j = Json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("duplicate") ||
      !j["duplicate"].is_boolean() || !j.contains("orders") || !j["orders"].is_array()) {
    fail("unexpected answer: " + quoteBody(res.body));
  }
  return {j["id"].get<std::string>(), j["duplicate"].get<bool>(), j["orders"].size()};
}

HubRefusal::HubRefusal(const std::string& what, int status, nlohmann::json error)
    : Failure(what), status_(status), error_(std::move(error)) {}

std::string hubRequest(const HubTarget& target, std::string_view method, const std::string& path,
                       const std::string& body, const HubSendOptions& options) {
  const ParsedUrl url = parseHubUrl(target.url);
  checkToken(target.token);
  auto client = hubClient(url, options);
  const httplib::Headers headers{{"Authorization", "Bearer " + target.token},
                                 {"Accept", "application/json"}};
  const std::string full = url.prefix + std::string(kApiPath) + path;
  std::optional<httplib::Response> answered;  // the last answer that was not a success
  auto describe = [&answered](const httplib::Response& res) {
    answered = res;
    return hubErrorText(res);
  };
  auto fail = [&](const std::string& problem) {
    const std::string what = fmt::format("hub {}: {}", url.display, problem);
    if (!answered) throw Failure(what);
    const Json j = Json::parse(answered->body, nullptr, false);
    throw HubRefusal(what, answered->status,
                     j.is_object() && j.contains("error") ? j["error"] : Json());
  };
  auto exchange = [&]() -> httplib::Result {
    answered.reset();
    if (method == "GET") return client->Get(full, headers);
    if (method == "DELETE") return client->Delete(full, headers, body, "application/json");
    return client->Post(full, headers, body, "application/json");
  };
  return exchangeRetrying(*client, exchange, options, describe, fail).body;
}

void HubCancel::cancel() {
  const std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  // Shuts the connection down under the request in flight, which then fails at once.
  if (client_ != nullptr) client_->stop();
  woken_.notify_all();
}

bool HubCancel::cancelled() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

void HubCancel::watch(httplib::Client* client) {
  const std::lock_guard<std::mutex> lock(mutex_);
  client_ = client;
}

bool HubCancel::sleepFor(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(mutex_);
  return woken_.wait_for(lock, delay, [this] { return cancelled_; });
}

std::string defaultSensorName() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return {};
  return name.data();
}

bool validSensorName(std::string_view name) {
  if (name.empty() || name.size() > kMaxSensorName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace mamori::cli
