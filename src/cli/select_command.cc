// `mamori select`: run the selection sensor over captures or a live interface under a signed order.
//
// The run is bracketed by ledger entries: run-start before anything is read, run-end after, with
// counts and input hashes — also when the run fails, so the commission sees refused orders and
// broken inputs too. Output is written to DIR/selected.ndjson.partial and renamed only when the run
// completes; a failed run leaves DIR/selected.ndjson absent and summary.json saying why. With --hub,
// a completed run's records go to the hub, then a sensor report for the oversight commission (the
// ledger's signed head and the order, docs/oversight.md).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "hub_client.h"
#include "mamori/core/crypto.h"
#include "mamori/core/ledger.h"
#include "mamori/core/prefix_set.h"
#include "mamori/core/pseudonymizer.h"
#include "mamori/core/time.h"
#include "mamori/sensor/packet_source.h"
#include "mamori/sensor/selector.h"
#include "run_support.h"

namespace mamori::cli {
namespace {

struct SelectOptions {
  std::string order;
  std::string trust;
  std::vector<std::string> inputs;
  std::string iface;
  double duration = 0;
  std::string out;
  std::vector<std::string> domestic;
  std::string state;
  std::string ledger;
  std::string pseudonymKey;
  uint64_t flowMemoryMiB = 512;
  double idleTimeout = 120;
  double activeTimeout = 1800;
  uint32_t inspectDepth = 1 << 20;
  bool quiet = false;
  HubCliOptions hub;
  std::string sensorName;  // with --hub: the name sensor reports carry (default: host name)
};

void onSignal(int) { sensor::requestCaptureStop(); }

bool isInside(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  const auto a = std::filesystem::weakly_canonical(inner);
  const auto b = std::filesystem::weakly_canonical(outer);
  auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return ib == b.end();
}

PrefixSet loadDomestic(const std::vector<std::string>& files) {
  std::vector<std::filesystem::path> paths(files.begin(), files.end());
  if (paths.empty()) {
    const auto dir = dataDir() / "domestic";
    paths = {dir / "jp-ipv4.txt", dir / "jp-ipv6.txt"};
  }
  return PrefixSet::loadFiles(paths).valueOrThrow();
}

void writeFileSynced(const std::filesystem::path& path, const std::string& text) {
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Failure(tmp + ": cannot write");
  }
  syncFile(tmp);
  std::filesystem::rename(tmp, path);
}

class SelectRun {
 public:
  explicit SelectRun(const SelectOptions& o) : opt_(o) {}

  int run() {
    const auto state = resolveStateDir(opt_.state);
    const std::filesystem::path outDir(opt_.out);
    const std::filesystem::path keyPath =
        opt_.pseudonymKey.empty() ? state / "pseudonym.key" : std::filesystem::path(opt_.pseudonymKey);
    if (isInside(keyPath, outDir) || isInside(state, outDir)) {
      throw Failure(fmt::format("--out {} must not contain the state directory or the "
                                "pseudonymization key: outputs are shared, secrets are not",
                                outDir.string()));
    }
    ledger_.emplace(openSensorLedger(state, opt_.ledger));
    runId_ = newRunId();
    appendStart();
    try {
      execute(outDir, keyPath);
    } catch (const std::exception& e) {
      finishFailed(outDir, e.what());
      throw;
    }
    return 0;
  }

  // After a completed run (selected.ndjson complete and synced): send the records to the hub.
  // The ledger records where they went, or that sending failed, for the commission.
  void sendSelected(const HubTarget& hub) {
    const std::filesystem::path outDir(opt_.out);
    nlohmann::json entry{{"type", "hub-send"},
                         {"component", "sensor"},
                         {"run", runId_},
                         {"hub", hubBaseUrl(hub.url)},
                         {"file", (outDir / "selected.ndjson").string()}};
    HubSendResult sent;
    try {
      sent = sendToHub(hub, outDir / "selected.ndjson");
    } catch (const std::exception& e) {
      entry["completed"] = false;
      entry["error"] = e.what();
      (void)ledger_->append(entry);  // the failure is reported below either way
      throw Failure(fmt::format("outputs are complete in {}; sending to the hub failed: {}",
                                outDir.string(), e.what()));
    }
    entry["completed"] = true;
    entry["records"] = sent.sent;
    entry["accepted"] = sent.accepted;
    entry["duplicates"] = sent.duplicates;
    ledger_->append(entry).valueOrThrow();
    if (opt_.quiet) return;
    std::printf("hub %s: sent %llu records, %llu new, %llu already there\n",
                hubBaseUrl(hub.url).c_str(), static_cast<unsigned long long>(sent.sent),
                static_cast<unsigned long long>(sent.accepted),
                static_cast<unsigned long long>(sent.duplicates));
  }

  // After the records: the sensor report for the oversight commission (docs/oversight.md) — the
  // ledger's signed tree head now, which covers this run and the sending, with the ledger's
  // public key and the order the run was under, as the run read it.
  void sendReport(const HubTarget& hub, const std::string& sensorName) {
    nlohmann::json envelope = nlohmann::json::parse(orderBytes_, nullptr, false);
    if (envelope.is_discarded()) throw Failure(opt_.order + ": the signed order is not JSON");
    const nlohmann::json report{
        {"sensor", sensorName},
        {"ledger_public_key", loadLedgerKey(resolveStateDir(opt_.state)).publicKey().toPem()},
        {"head", ledger_->latestHead().toJson()},
        {"orders", nlohmann::json::array({envelope})}};
    SensorReportResult r;
    try {
      r = sendSensorReport(hub, report.dump());
    } catch (const std::exception& e) {
      throw Failure(fmt::format("outputs are complete in {} and the records were sent; {}",
                                opt_.out, e.what()));
    }
    if (opt_.quiet) return;
    std::printf("hub %s: sensor report %s as %s (ledger tree size %llu)%s\n",
                hubBaseUrl(hub.url).c_str(), r.id.c_str(), sensorName.c_str(),
                static_cast<unsigned long long>(ledger_->size()),
                r.duplicate ? ", already there" : "");
  }

 private:
  void appendStart() {
    nlohmann::json entry;
    entry["type"] = "run-start";
    entry["component"] = "sensor";
    entry["run"] = runId_;
    entry["order_file"] = opt_.order;
    std::ifstream in(opt_.order, std::ios::binary);
    if (in) {
      orderBytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      entry["order_file_sha256"] = toHex(sha256(orderBytes_));
    }
    entry["inputs"] = opt_.iface.empty() ? nlohmann::json(opt_.inputs)
                                         : nlohmann::json::array({"iface:" + opt_.iface});
    entry["out"] = opt_.out;
    ledger_->append(entry).valueOrThrow();
  }

  void execute(const std::filesystem::path& outDir, const std::filesystem::path& keyPath) {
    const int64_t setupStart = nowMicros();
    const auto trust = VerifyKey::loadFile(opt_.trust).valueOrThrow();
    order_ = sensor::loadSignedOrder(opt_.order, trust, nowMicros()).valueOrThrow();
    const PrefixSet domestic = loadDomestic(opt_.domestic);
    const auto pseudonymizer = Pseudonymizer::loadOrCreate(keyPath).valueOrThrow();

    std::filesystem::create_directories(outDir);
    const auto finalPath = outDir / "selected.ndjson";
    partialPath_ = outDir / "selected.ndjson.partial";
    if (std::filesystem::exists(finalPath)) {
      throw Failure(finalPath.string() + " already exists: use a new --out directory for each run");
    }
    std::ofstream out(partialPath_, std::ios::binary | std::ios::trunc);
    if (!out) throw Failure(partialPath_.string() + ": cannot write");
    Sha256 outputHash;
    uint64_t records = 0;
    auto sink = [&](const sensor::SelectedRecord& r) {
      std::string line = sensor::toJsonLine(r);
      line.push_back('\n');
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
      outputHash.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(line.data()), line.size()));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes of a string
      ++records;
    };
    sensor::SelectorConfig config;
    config.flowMemoryBytes = opt_.flowMemoryMiB << 20;
    config.idleTimeoutMicros = static_cast<int64_t>(opt_.idleTimeout * 1e6);
    config.activeTimeoutMicros = static_cast<int64_t>(opt_.activeTimeout * 1e6);
    config.inspectDepth = opt_.inspectDepth;
    selector_ = sensor::Selector::create(*order_, domestic, pseudonymizer, config, sink).valueOrThrow();

    Progress progress(opt_.quiet);
    const int64_t processStart = nowMicros();
    if (!opt_.iface.empty()) {
      (void)std::signal(SIGINT, onSignal);
      (void)std::signal(SIGTERM, onSignal);
      const int64_t deadline = opt_.duration > 0 ? nowMicros() + static_cast<int64_t>(opt_.duration * 1e6) : 0;
      readSource(sensor::openLiveCapture(opt_.iface, deadline).valueOrThrow(), progress, true);
    }
    for (const auto& input : opt_.inputs) {
      readSource(sensor::openCaptureFile(input).valueOrThrow(), progress, false);
    }
    selector_->finish();
    const int64_t processEnd = nowMicros();
    progress.done();
    out.close();
    if (!out) throw Failure(partialPath_.string() + ": write failed");
    syncFile(partialPath_);
    std::filesystem::rename(partialPath_, finalPath);
    syncDirectory(outDir);

    auto summary = summaryJson(true, "");
    summary["records"] = records;
    summary["output_sha256"] = toHex(outputHash.finish());
    const double processSeconds = static_cast<double>(processEnd - processStart) / 1e6;
    summary["timing"] = {
        {"setup_seconds", static_cast<double>(processStart - setupStart) / 1e6},
        {"process_seconds", processSeconds},
        {"frames_per_second",
         processSeconds > 0 ? static_cast<double>(selector_->counts().frames) / processSeconds : 0.0}};
    writeFileSynced(outDir / "summary.json", summary.dump(2) + "\n");
    appendEnd(summary);
    printSummary(summary, finalPath);
  }

  void readSource(std::unique_ptr<sensor::PacketSource> source, Progress& progress, bool live) {
    std::string error;
    if (live) {
      const int link = source->linkType();
      std::span<const uint8_t> frame;
      int64_t ts = 0;
      sensor::PacketSource::Next next;
      while ((next = source->next(frame, ts)) == sensor::PacketSource::Next::kFrame) {
        selector_->onFrame(link, frame, ts);
        progress.tick(selector_->counts().frames);
      }
      if (next == sensor::PacketSource::Next::kError) error = source->error();
    } else {
      sensor::BatchReader reader(*source);
      while (const sensor::FrameBatch* batch = reader.next()) {
        selector_->onBatch(*batch);
        reader.release(batch);
        progress.tick(selector_->counts().frames);
      }
      error = reader.error();
    }
    dropped_ += source->dropped();
    inputs_.push_back(source->identity());
    if (!error.empty()) throw Failure(error);
  }

  nlohmann::ordered_json summaryJson(bool completed, const std::string& error) const {
    nlohmann::ordered_json s;
    s["run"] = runId_;
    s["completed"] = completed;
    if (!error.empty()) s["error"] = error;
    if (order_) {
      s["order"] = {{"id", order_->id}, {"sha256", order_->sha256}, {"purpose", order_->purpose}};
    }
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (const auto& in : inputs_) {
      nlohmann::ordered_json i;
      i["name"] = in.name;
      if (!in.sha256.empty()) {
        i["sha256"] = in.sha256;
        i["bytes"] = in.bytes;
      }
      inputs.push_back(i);
    }
    s["inputs"] = inputs;
    if (selector_ && order_) {
      s["counts"] = sensor::runCountsJson(selector_->counts(), *order_);
      s["counts"]["dropped"] = dropped_;
      s["flow_capacity"] = selector_->flowCapacity();
    }
    return s;
  }

  static nlohmann::json endEntry(const nlohmann::ordered_json& summary) {
    nlohmann::json entry = nlohmann::json::parse(summary.dump());
    entry["type"] = "run-end";
    entry["component"] = "sensor";
    return entry;
  }

  void appendEnd(const nlohmann::ordered_json& summary) {
    ledger_->append(endEntry(summary)).valueOrThrow();
  }

  void finishFailed(const std::filesystem::path& outDir, const std::string& error) {
    auto summary = summaryJson(false, error);
    std::error_code ec;
    if (!partialPath_.empty() && std::filesystem::exists(partialPath_, ec)) {
      // Keep what was selected before the failure, under a name that cannot be taken for a
      // complete result.
      std::filesystem::rename(partialPath_, outDir / "selected.ndjson.incomplete", ec);
      summary["incomplete_output"] = "selected.ndjson.incomplete";
    }
    if (std::filesystem::is_directory(outDir, ec)) {
      try {
        writeFileSynced(outDir / "summary.json", summary.dump(2) + "\n");
      } catch (const std::exception&) {
        // The ledger entry below is the record that matters.
      }
    }
    // A ledger that cannot be written is reported by the exception already on its way.
    (void)ledger_->append(endEntry(summary));
  }

  void printSummary(const nlohmann::ordered_json& s, const std::filesystem::path& path) const {
    if (opt_.quiet) return;
    const auto& c = s["counts"];
    std::printf("order %s: %llu frames, %llu flows (ff %llu, fd %llu, df %llu, dd %llu)\n"
                "selected %llu flows -> %s; discarded %llu; undecodable %llu\n",
                order_->id.c_str(), c["frames"].get<unsigned long long>(),
                c["flows"].get<unsigned long long>(),
                c["flows_by_class"]["foreign-foreign"].get<unsigned long long>(),
                c["flows_by_class"]["foreign-domestic"].get<unsigned long long>(),
                c["flows_by_class"]["domestic-foreign"].get<unsigned long long>(),
                c["flows_by_class"]["domestic-domestic"].get<unsigned long long>(),
                c["selected"].get<unsigned long long>(), path.c_str(),
                c["discarded"].get<unsigned long long>(), c["undecodable"].get<unsigned long long>());
  }

  const SelectOptions& opt_;
  std::optional<HandlingLedger> ledger_;
  std::optional<sensor::SelectionOrder> order_;
  std::unique_ptr<sensor::Selector> selector_;
  std::vector<sensor::InputIdentity> inputs_;
  std::filesystem::path partialPath_;
  std::string runId_;
  std::string orderBytes_;  // the order file as the run-start entry hashed it
  uint64_t dropped_ = 0;
};

}  // namespace

void addSelectCommand(CLI::App& app) {
  static SelectOptions o;
  auto* cmd = app.add_subcommand(
      "select",
      "Selection sensor: keep only the machine information of flows that a signed order covers");
  cmd->add_option("--order", o.order, "Signed selection order (DSSE envelope)")->required();
  cmd->add_option("--trust", o.trust, "The oversight commission's public key (PEM)")->required();
  auto* in = cmd->add_option("--in", o.inputs, "Capture file (pcap or pcapng); '-' for standard "
                                               "input; repeatable");
  auto* iface = cmd->add_option("--iface", o.iface, "Capture live from this interface");
  cmd->add_option("--duration", o.duration, "With --iface: stop after this many seconds "
                                            "(default: until SIGINT/SIGTERM)");
  in->excludes(iface);
  cmd->add_option("--out", o.out, "Output directory (selected.ndjson, summary.json)")->required();
  cmd->add_option("--domestic", o.domestic,
                  "Domestic prefix file (one CIDR per line); repeatable; replaces the shipped "
                  "Japanese set");
  cmd->add_option("--state", o.state, "State directory for keys and the ledger");
  cmd->add_option("--ledger", o.ledger, "Handling ledger directory (default STATE/ledger)");
  cmd->add_option("--pseudonym-key", o.pseudonymKey,
                  "Pseudonymization key file (default STATE/pseudonym.key; created on first use)");
  cmd->add_option("--flow-memory", o.flowMemoryMiB, "Memory bound for flow state, MiB")
      ->capture_default_str()->check(CLI::Range(8, 1 << 20));
  cmd->add_option("--idle-timeout", o.idleTimeout, "Seconds without packets before a flow ends")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--active-timeout", o.activeTimeout, "Seconds after which long flows are cut")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--inspect-depth", o.inspectDepth,
                  "Payload bytes per direction given to pattern criteria")
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", o.quiet, "No summary or progress output");
  addHubOptions(cmd, o.hub);
  cmd->add_option("--sensor-name", o.sensorName,
                  "With --hub: the name this sensor's reports to the oversight commission carry "
                  "(default: the host name)")
      ->needs("--hub");
  cmd->callback([] {
    if (o.inputs.empty() && o.iface.empty()) {
      throw CLI::ValidationError("select", "one of --in or --iface is required");
    }
    const auto hub = hubTargetFromOptions(o.hub);
    std::string sensorName = o.sensorName.empty() ? defaultSensorName() : o.sensorName;
    if (hub && !validSensorName(sensorName)) {
      throw CLI::ValidationError(
          "--sensor-name", fmt::format("'{}': 1-128 letters, digits, '-', '_', '.'", sensorName));
    }
    SelectRun run(o);
    run.run();
    if (hub) {
      run.sendSelected(*hub);
      run.sendReport(*hub, sensorName);
    }
  });
}

}  // namespace mamori::cli
