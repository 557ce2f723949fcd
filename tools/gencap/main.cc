// mamori-gencap: deterministic capture generator for the end-to-end tests and the benchmark.
// Exit status: 0 success, 1 runtime failure (I/O), 2 bad arguments.
#include <CLI/CLI.hpp>
#include <exception>
#include <initializer_list>
#include <iostream>
#include <string>

#include "mamori/core/result.h"
#include "scenarios.h"

namespace {

using mamori::gencap::CaptureFormat;
using mamori::gencap::LinkType;

// The canary goes into URI paths, header values, TLS extensions and DNS TXT/EDNS data; limiting it
// to URI-unreserved characters keeps it verbatim in all of them.
bool validCanary(const std::string& c) {
  if (c.empty() || c.size() > 200) return false;
  for (char ch : c) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  mamori::gencap::CommonOptions common;
  mamori::gencap::E2eOptions e2e;
  mamori::gencap::LoadOptions load;
  mamori::gencap::HttpOptions http;
  std::string scenario;

  CLI::App app{
      "mamori-gencap: writes a deterministic pcap/pcapng capture (same arguments, same bytes).\n"
      "Every packet with a transport payload carries the canary string."};
  app.set_help_flag("--help,-h", "Print this help and exit");
  app.add_option("--scenario", scenario,
                 "e2e (eleven fixed flows), load (benchmark traffic) or http (one connection per "
                 "access-log line)")
      ->required()
      ->check(CLI::IsMember({"e2e", "load", "http"}));
  app.add_option("--out", common.out, "Output capture file")->required();
  std::string format = "pcap";
  std::string link = "ethernet";
  app.add_option("--format", format, "pcap or pcapng")
      ->check(CLI::IsMember({"pcap", "pcapng"}))
      ->capture_default_str();
  app.add_option("--link", link, "ethernet, sll (Linux cooked v1) or raw (LINKTYPE_RAW)")
      ->check(CLI::IsMember({"ethernet", "sll", "raw"}))
      ->capture_default_str();
  app.add_option("--canary", common.canary,
                 "String put in every payload (1-200 chars of A-Z a-z 0-9 - . _ ~)")
      ->capture_default_str();
  app.add_option("--base-time", common.baseTime, "Timestamp of the first packet, UNIX seconds")
      ->check(CLI::Range(uint64_t{0}, uint64_t{4000000000}))
      ->capture_default_str();
  app.add_option("--seed", common.seed, "PRNG seed")->capture_default_str();
  auto* manifest =
      app.add_option("--manifest", e2e.manifest, "e2e: write a JSON manifest of the flows here");

  auto* packets =
      app.add_option("--packets", load.packets, "load: total packets")->capture_default_str();
  auto* flows =
      app.add_option("--flows", load.flows, "load: distinct flows")->capture_default_str();
  auto* concurrent =
      app.add_option("--concurrent", load.concurrent, "load: flows open at the same time")
          ->capture_default_str();
  auto* domestic =
      app.add_option("--domestic", load.domestic,
                     "load: domestic prefix file, one CIDR per line (repeatable; "
                     "default: the shipped data/domestic/jp-ipv4.txt and jp-ipv6.txt)");
  auto* indicatorsOut = app.add_option("--indicators-out", load.indicatorsOut,
                                       "load: write an unsigned selection order JSON here");
  auto* indicatorIps =
      app.add_option("--indicator-ips", load.indicatorIps, "load: IP criteria in the order")
          ->capture_default_str();
  auto* indicatorDomains = app.add_option("--indicator-domains", load.indicatorDomains,
                                          "load: domain criteria in the order")
                               ->capture_default_str();

  auto* requests = app.add_option("--requests", http.requests,
                                  "http: Apache/nginx combined access log to replay as traffic");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "mamori-gencap: " << e.what() << "\n(run with --help for usage)\n";
    return 2;
  }

  common.format = format == "pcapng" ? CaptureFormat::kPcapng : CaptureFormat::kPcap;
  common.link =
      link == "sll" ? LinkType::kSll : (link == "raw" ? LinkType::kRaw : LinkType::kEthernet);
  if (!validCanary(common.canary)) {
    std::cerr << "mamori-gencap: --canary must be 1-200 characters from A-Z a-z 0-9 - . _ ~\n";
    return 2;
  }
  const std::initializer_list<const CLI::Option*> loadOnly = {
      packets, flows, concurrent, domestic, indicatorsOut, indicatorIps, indicatorDomains};
  if (scenario != "http" && requests->count() > 0) {
    std::cerr << "mamori-gencap: --requests applies only to --scenario http\n";
    return 2;
  }
  if (scenario == "http") {
    for (const CLI::Option* o : loadOnly) {
      if (o->count() > 0) {
        std::cerr << "mamori-gencap: " << o->get_name() << " applies only to --scenario load\n";
        return 2;
      }
    }
    if (manifest->count() > 0) {
      std::cerr << "mamori-gencap: --manifest applies only to --scenario e2e\n";
      return 2;
    }
    if (requests->count() == 0) {
      std::cerr << "mamori-gencap: --scenario http needs --requests LOG\n";
      return 2;
    }
  } else if (scenario == "e2e") {
    for (const CLI::Option* o : loadOnly) {
      if (o->count() > 0) {
        std::cerr << "mamori-gencap: " << o->get_name() << " applies only to --scenario load\n";
        return 2;
      }
    }
  } else if (manifest->count() > 0) {
    std::cerr << "mamori-gencap: --manifest applies only to --scenario e2e\n";
    return 2;
  } else if (load.packets == 0 || load.flows == 0 || load.concurrent == 0) {
    std::cerr << "mamori-gencap: --packets, --flows and --concurrent must be at least 1\n";
    return 2;
  }

  try {
    if (scenario == "e2e") {
      mamori::gencap::runE2e(common, e2e);
    } else if (scenario == "http") {
      mamori::gencap::runHttp(common, http);
    } else {
      mamori::gencap::runLoad(common, load);
    }
  } catch (const mamori::gencap::UsageError& e) {
    std::cerr << "mamori-gencap: " << e.what() << '\n';
    return 2;
  } catch (const mamori::Failure& e) {
    std::cerr << "mamori-gencap: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mamori-gencap: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
