// `mamori detect`: web attack detection over access logs or captured HTTP traffic.
//
// Every request is normalized, classified and, when it carries an attack, judged from its response
// (failed / blocked / possibly-succeeded); the noise policy removes what needs no action and the
// rest is grouped into events requiring confirmation. Outputs are written under names ending in
// ".partial" and renamed only when the run completes, so a file named events.ndjson is always a
// complete result. Malformed input lines are counted and reported with their line numbers; they
// never stop the run.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "hub_client.h"
#include "mamori/core/crypto.h"
#include "mamori/core/json_writer.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/time.h"
#include "mamori/detect/access_log.h"
#include "mamori/detect/classifier.h"
#include "mamori/detect/events.h"
#include "mamori/detect/normalize.h"
#include "mamori/detect/outcome.h"
#include "mamori/sensor/decoder.h"
#include "mamori/sensor/http_transactions.h"
#include "mamori/sensor/packet_source.h"
#include "run_support.h"

namespace mamori::cli {
namespace {

using detect::Category;
using detect::Detection;
using detect::HttpRequestLine;

struct DetectOptions {
  std::string log;
  std::string pcap;
  std::string format = "auto";
  std::string out;
  std::string policy;
  std::string site;
  bool perRequest = false;
  bool quiet = false;
  HubCliOptions hub;
};

// A line longer than this is reported as malformed (its first kMaxLineBytes are kept for the
// sample) and the rest of it skipped: no log format has legitimate lines this long.
constexpr size_t kMaxLineBytes = size_t{1} << 20;
constexpr size_t kMaxReportedMalformed = 100;
constexpr size_t kMaxSampleBytes = 2048;

std::span<const uint8_t> asBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
}

// Reads the lines of a file (or standard input for "-") whatever they contain — NUL bytes, invalid
// UTF-8, no final newline, lines of any length — and hashes every byte read, for the summary.
class LineReader {
 public:
  explicit LineReader(const std::string& path)
      : name_(path == "-" ? "stdin" : path), buf_(2 * kMaxLineBytes) {
    if (path == "-") {
      file_ = stdin;
    } else {
      file_ = std::fopen(path.c_str(), "rb");
      if (file_ == nullptr) throw Failure(fmt::format("{}: {}", path, errnoText(errno)));
      owned_ = true;
    }
  }
  ~LineReader() {
    if (owned_) (void)std::fclose(file_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its '\n'; false at the end. `tooLong` is set for a line longer than
  // kMaxLineBytes: `line` then holds its beginning and the rest is skipped. The view stays valid
  // until the next call.
  bool next(std::string_view& line, bool& tooLong) {
    tooLong = false;
    for (;;) {
      const char* start = buf_.data() + begin_;
      const size_t avail = end_ - begin_;
      if (const void* nl = std::memchr(start, '\n', avail)) {
        const auto len = static_cast<size_t>(static_cast<const char*>(nl) - start);
        begin_ += len + 1;
        if (skipping_) {
          skipping_ = false;
          continue;
        }
        line = {start, len};
        return true;
      }
      if (skipping_) {
        begin_ = end_ = 0;
      } else if (avail >= kMaxLineBytes) {
        line = {start, kMaxLineBytes};
        tooLong = true;
        skipping_ = true;
        begin_ = end_ = 0;  // the bytes stay in place until the next fill()
        return true;
      } else if (eof_) {
        if (avail == 0) return false;
        line = {start, avail};
        begin_ = end_;
        return true;
      }
      if (eof_) return false;
      fill();
    }
  }

  const std::string& name() const { return name_; }
  uint64_t bytes() const { return bytes_; }
  std::string sha256() { return toHex(hash_.finish()); }

 private:
  void fill() {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    const size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
    if (n == 0) {
      if (std::ferror(file_) != 0) throw Failure(fmt::format("{}: read failed", name_));
      eof_ = true;
      return;
    }
    hash_.update(asBytes({buf_.data() + end_, n}));
    bytes_ += n;
    end_ += n;
  }

  std::string name_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;
  Sha256 hash_;
  uint64_t bytes_ = 0;
};

// The format of a log from its first non-blank line: W3C logs start with directives, JSON lines
// with '{'; otherwise combined if the line parses as combined, else common.
detect::LogFormat guessFormat(std::string_view firstLine) {
  const size_t i = firstLine.find_first_not_of(" \t");
  if (i != std::string_view::npos && firstLine[i] == '#') return detect::LogFormat::kW3c;
  if (i != std::string_view::npos && firstLine[i] == '{') return detect::LogFormat::kJson;
  HttpRequestLine scratch;
  if (detect::AccessLogParser(detect::LogFormat::kCombined).parse(firstLine, scratch)) {
    return detect::LogFormat::kCombined;
  }
  if (detect::AccessLogParser(detect::LogFormat::kCommon).parse(firstLine, scratch)) {
    return detect::LogFormat::kCommon;
  }
  return detect::LogFormat::kCombined;  // its parser names what is wrong with the line
}

// An output file written as NAME.partial and renamed to NAME by commit().
class PartialFile {
 public:
  PartialFile(const std::filesystem::path& dir, const std::string& name)
      : final_(dir / name), partial_(dir / (name + ".partial")) {
    out_.open(partial_, std::ios::binary | std::ios::trunc);
    if (!out_) throw Failure(partial_.string() + ": cannot write");
  }
  void write(std::string_view s) { out_.write(s.data(), static_cast<std::streamsize>(s.size())); }
  void commit() {
    out_.close();
    if (!out_) throw Failure(partial_.string() + ": write failed");
    syncFile(partial_);
    std::filesystem::rename(partial_, final_);
  }
  const std::filesystem::path& path() const { return final_; }

 private:
  std::filesystem::path final_;
  std::filesystem::path partial_;
  std::ofstream out_;
};

class DetectRun {
 public:
  explicit DetectRun(const DetectOptions& o)
      : opt_(o),
        policy_(o.policy.empty() ? detect::NoisePolicy{}
                                 : detect::loadNoisePolicy(o.policy).valueOrThrow()),
        classifier_(detect::Classifier::create(cacheDir()).valueOrThrow()),
        aggregator_(policy_) {}

  void run() {
    const std::filesystem::path outDir(opt_.out);
    for (const char* name : {"events.ndjson", "summary.json", "requests.ndjson"}) {
      if (std::filesystem::exists(outDir / name)) {
        throw Failure((outDir / name).string() +
                      " already exists: use a new --out directory for each run");
      }
    }
    std::filesystem::create_directories(outDir);
    events_.emplace(outDir, "events.ndjson");
    if (opt_.perRequest) requests_.emplace(outDir, "requests.ndjson");

    const int64_t start = nowMicros();
    Progress progress(opt_.quiet, opt_.log.empty() ? "frames" : "lines");
    if (!opt_.log.empty()) {
      readLog(progress);
    } else {
      readCapture(progress);
    }
    progress.done();
    const int64_t end = nowMicros();

    const std::vector<detect::Event> events = aggregator_.finish();
    for (const auto& e : events) {
      std::string line = detect::eventJson(e);
      line.push_back('\n');
      events_->write(line);
    }
    events_->commit();
    if (requests_) requests_->commit();

    auto summary = nlohmann::ordered_json::parse(detect::summaryJson(aggregator_.summary(), policy_));
    nlohmann::ordered_json doc;
    doc["input"] = input_;
    for (auto it = summary.begin(); it != summary.end(); ++it) doc[it.key()] = it.value();
    doc["malformed"] = {{"count", malformedCount_}, {"first", malformed_}};
    const double seconds = static_cast<double>(end - start) / 1e6;
    doc["timing"] = {{"seconds", seconds},
                     {"requests_per_second",
                      seconds > 0 ? static_cast<double>(aggregator_.summary().requests) / seconds
                                  : 0.0}};
    PartialFile summaryFile(outDir, "summary.json");
    summaryFile.write(doc.dump(2) + "\n");
    summaryFile.commit();
    syncDirectory(outDir);
    if (!opt_.quiet) printSummary(events, outDir);
  }

 private:
  void readLog(Progress& progress) {
    LineReader reader(opt_.log);
    std::optional<detect::AccessLogParser> parser;
    if (opt_.format != "auto") {
      parser.emplace(detect::parseLogFormat(opt_.format).valueOrThrow());
    }
    std::string_view line;
    bool tooLong = false;
    uint64_t lineNo = 0;
    while (reader.next(line, tooLong)) {
      ++lineNo;
      progress.tick(lineNo);
      if (tooLong) {
        malformed(lineNo, fmt::format("line longer than {} bytes", kMaxLineBytes));
        continue;
      }
      if (!parser) {
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        parser.emplace(guessFormat(line));
      }
      auto kind = parser->parse(line, request_);
      if (!kind) {
        malformed(lineNo, kind.error().message);
        continue;
      }
      if (*kind != detect::AccessLogParser::LineKind::kRequest) continue;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::string_view target =
          !request_.host.empty() ? std::string_view(request_.host) : siteName(reader.name());
      handle(lineNo, target, line.substr(0, kMaxSampleBytes), {});
    }
    input_ = {{"name", reader.name()},
              {"kind", "log"},
              {"format", parser ? std::string(detect::logFormatName(parser->format())) : opt_.format},
              {"bytes", reader.bytes()},
              {"sha256", reader.sha256()},
              {"lines", lineNo}};
  }

  void readCapture(Progress& progress) {
    auto source = sensor::openCaptureFile(opt_.pcap).valueOrThrow();
    const int link = source->linkType();
    sensor::PacketDecoder decoder;
    sensor::HttpTransactionExtractor extractor;
    std::vector<sensor::HttpTransaction> done;
    sensor::DecodedPacket packet;
    std::span<const uint8_t> frame;
    int64_t ts = 0;
    uint64_t frames = 0;
    sensor::PacketSource::Next next;
    while ((next = source->next(frame, ts)) == sensor::PacketSource::Next::kFrame) {
      ++frames;
      progress.tick(frames);
      if (decoder.decode(link, frame, ts, packet) != sensor::DecodeStatus::kPacket) continue;
      extractor.onPacket(packet, done);
      handleTransactions(done);
    }
    if (next == sensor::PacketSource::Next::kError) throw Failure(source->error());
    extractor.finish(done);
    handleTransactions(done);
    const auto identity = source->identity();
    const auto& st = extractor.stats();
    input_ = {{"name", identity.name},
              {"kind", "capture"},
              {"bytes", identity.bytes},
              {"sha256", identity.sha256},
              {"frames", frames},
              {"anomalies", decoder.anomalies().total()},
              {"http",
               {{"connections", st.connections},
                {"transactions", st.transactions},
                {"unanswered", st.unanswered},
                {"abandoned_connections", st.abandonedConnections},
                {"dropped_connections", st.droppedConnections}}}};
  }

  void handleTransactions(std::vector<sensor::HttpTransaction>& done) {
    for (auto& t : done) {
      request_ = HttpRequestLine{};
      request_.timeMicros = t.requestMicros;
      request_.client = t.client.toString();
      request_.method = std::move(t.method);
      request_.target = std::move(t.target);
      request_.protocol = std::move(t.protocol);
      request_.status = t.status;
      request_.responseBytes = t.responseBytes;
      request_.durationMicros = t.durationMicros;
      request_.referer = std::move(t.referer);
      request_.userAgent = std::move(t.userAgent);
      request_.host = std::move(t.host);
      // The server's address is the target: the Host header is whatever the client claimed.
      const std::string server = t.server.toString();
      sample_ = fmt::format("{} {} {} {}", request_.client, request_.method,
                            std::string_view(request_.target).substr(0, kMaxSampleBytes),
                            request_.protocol);
      if (!request_.host.empty()) sample_ += " host=" + request_.host;
      ++transactions_;
      handle(transactions_, server, sample_, {t.connectionReset});
    }
    done.clear();
  }

  struct Extra {
    bool reset = false;
  };

  void handle(uint64_t ordinal, std::string_view target, std::string_view sample, Extra extra) {
    detect::normalizeTarget(request_.target, normalized_);
    classifier_->classify(request_, normalized_, detection_);
    aggregator_.addRequest();
    detect::ResponseFacts facts;
    facts.status = request_.status;
    facts.bytes = request_.responseBytes;
    facts.durationMicros = request_.durationMicros;
    facts.connectionReset = extra.reset;
    if (detection_.categories == 0) {
      outcomeJudge_.observeNormal(normalized_.path, facts);
      if (requests_) writeRequestLine(ordinal, nullptr, false);
      return;
    }
    const detect::Outcome outcome =
        outcomeJudge_.judge(normalized_.path, detection_.categories, facts);
    detect::Observation o;
    o.line = ordinal;
    o.timeMicros = request_.timeMicros;
    o.source = request_.client;
    o.target = target;
    o.categories = detection_.categories;
    o.cves = std::span<const std::string_view>(detection_.cves.data(), detection_.cveCount);
    o.reconnaissanceOnly = detection_.reconnaissanceOnly;
    o.outcome = outcome;
    o.sample = sample;
    const bool kept = aggregator_.add(o);
    if (requests_) writeRequestLine(ordinal, &outcome, !kept);
  }

  // {"line":N,"categories":[...]} and for detected requests "outcome", "noise" and "cves".
  void writeRequestLine(uint64_t ordinal, const detect::Outcome* outcome, bool noise) {
    JsonWriter w;
    w.beginObject().field("line", ordinal).key("categories").beginArray();
    for (size_t c = 0; c < detect::kCategoryCount; ++c) {
      const auto cat = static_cast<Category>(c);
      if (detect::hasCategory(detection_.categories, cat)) w.value(detect::categoryName(cat));
    }
    w.endArray();
    if (outcome != nullptr) {
      w.field("outcome", detect::outcomeName(*outcome)).field("noise", noise);
      if (detection_.cveCount > 0) {
        w.key("cves").beginArray();
        for (size_t i = 0; i < detection_.cveCount; ++i) w.value(detection_.cves[i]);
        w.endArray();
      }
    }
    w.endObject();
    std::string line = w.take();
    line.push_back('\n');
    requests_->write(line);
  }

  void malformed(uint64_t lineNo, const std::string& why) {
    ++malformedCount_;
    if (malformed_.size() < kMaxReportedMalformed) {
      malformed_.push_back({{"line", lineNo}, {"error", why}});
    }
    if (requests_) {
      JsonWriter w;
      w.beginObject().field("line", lineNo).field("malformed", std::string_view(why)).endObject();
      std::string line = w.take();
      line.push_back('\n');
      requests_->write(line);
    }
  }

  // The target of requests in a log without a Host field: --site, else the log's file name.
  std::string_view siteName(const std::string& inputName) {
    if (site_.empty()) {
      site_ = !opt_.site.empty() ? opt_.site
                                 : std::filesystem::path(inputName).filename().string();
    }
    return site_;
  }

  void printSummary(const std::vector<detect::Event>& events,
                    const std::filesystem::path& outDir) const {
    const auto& s = aggregator_.summary();
    std::printf("%llu requests (%llu malformed lines): %llu detected, %llu noise, %llu events "
                "requiring confirmation -> %s\n",
                static_cast<unsigned long long>(s.requests),
                static_cast<unsigned long long>(malformedCount_),
                static_cast<unsigned long long>(s.detected), static_cast<unsigned long long>(s.noise),
                static_cast<unsigned long long>(events.size()),
                (outDir / "events.ndjson").c_str());
    constexpr size_t kShown = 10;
    for (size_t i = 0; i < events.size() && i < kShown; ++i) {
      const auto& e = events[i];
      std::string who = e.pattern == detect::BurstPattern::kOneToMany
                            ? fmt::format("{} -> {} targets", e.sources.front(), e.targetCount)
                        : e.pattern == detect::BurstPattern::kManyToOne
                            ? fmt::format("{} sources -> {}", e.sourceCount, e.targets.front())
                            : fmt::format("{} -> {}", e.sources.front(), e.targets.front());
      std::string cves;
      for (const auto& c : e.cves) cves += " " + c;
      std::printf("  %-8s %-17s %-11s %s, %llu requests%s\n",
                  std::string(detect::severityName(e.severity)).c_str(),
                  std::string(detect::categoryName(e.category)).c_str(),
                  std::string(detect::burstPatternName(e.pattern)).c_str(), who.c_str(),
                  static_cast<unsigned long long>(e.requests), cves.c_str());
    }
    if (events.size() > kShown) std::printf("  ... %zu more\n", events.size() - kShown);
  }

  const DetectOptions& opt_;
  detect::NoisePolicy policy_;
  std::unique_ptr<detect::Classifier> classifier_;
  detect::EventAggregator aggregator_;
  detect::OutcomeJudge outcomeJudge_;
  std::optional<PartialFile> events_;
  std::optional<PartialFile> requests_;
  HttpRequestLine request_;
  detect::NormalizedRequest normalized_;
  Detection detection_;
  std::string sample_;
  std::string site_;
  uint64_t transactions_ = 0;
  uint64_t malformedCount_ = 0;
  nlohmann::ordered_json malformed_ = nlohmann::ordered_json::array();
  nlohmann::ordered_json input_;
};

// After the run: events.ndjson is complete and synced, so what the hub gets never depends on the
// run and the run's result never depends on the hub.
void sendEvents(const HubTarget& hub, const DetectOptions& o) {
  const std::filesystem::path outDir(o.out);
  HubSendResult sent;
  try {
    sent = sendToHub(hub, outDir / "events.ndjson");
  } catch (const std::exception& e) {
    throw Failure(fmt::format("outputs are complete in {}; sending to the hub failed: {}",
                              outDir.string(), e.what()));
  }
  if (o.quiet) return;
  std::printf("hub %s: sent %llu events, %llu new, %llu already there\n",
              hubBaseUrl(hub.url).c_str(), static_cast<unsigned long long>(sent.sent),
              static_cast<unsigned long long>(sent.accepted),
              static_cast<unsigned long long>(sent.duplicates));
}

}  // namespace

void addDetectCommand(CLI::App& app) {
  static DetectOptions o;
  auto* cmd = app.add_subcommand(
      "detect",
      "Web attack detection: classify requests from access logs or captured HTTP traffic, remove "
      "noise, and write the events requiring confirmation");
  auto* log = cmd->add_option("--log", o.log,
                              "Access log (Apache/nginx combined or common, IIS W3C extended, "
                              "JSON lines); '-' for standard input");
  auto* pcap = cmd->add_option("--pcap", o.pcap,
                               "Capture file (pcap or pcapng) with HTTP/1.x traffic; '-' for "
                               "standard input");
  log->excludes(pcap);
  cmd->add_option("--format", o.format, "Log format; 'auto' guesses from the first line")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "combined", "common", "w3c", "json"}));
  cmd->add_option("--out", o.out,
                  "Output directory: events.ndjson, summary.json (and requests.ndjson)")
      ->required();
  cmd->add_flag("--per-request", o.perRequest,
                "Also write requests.ndjson: one line per input request with its categories and "
                "outcome, to measure detection request by request");
  cmd->add_option("--policy", o.policy, "Noise policy file (TOML; see docs/detect.md)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--site", o.site,
                  "Target name for requests of a log without a Host field (default: the log's "
                  "file name)");
  cmd->add_flag("--quiet,-q", o.quiet, "No summary or progress output");
  addHubOptions(cmd, o.hub);
  cmd->callback([] {
    if (o.log.empty() && o.pcap.empty()) {
      throw CLI::ValidationError("detect", "one of --log or --pcap is required");
    }
    if (!o.pcap.empty() && o.format != "auto") {
      throw CLI::ValidationError("detect", "--format applies to --log only");
    }
    const auto hub = hubTargetFromOptions(o.hub);
    DetectRun(o).run();
    if (hub) sendEvents(*hub, o);
  });
}

}  // namespace mamori::cli
