// `mamori ledger verify|show|head|repair`: the commission's view of the handling ledger, and the
// audited repair of what a crash during a write leaves.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "mamori/core/ledger.h"
#include "run_support.h"

namespace mamori::cli {
namespace {

struct LedgerOptions {
  std::string state;
  std::string ledger;
  std::string trust;
  std::string witness;
  bool json = false;
};

std::filesystem::path ledgerDir(const LedgerOptions& o) {
  if (!o.ledger.empty()) return o.ledger;
  return resolveStateDir(o.state) / "ledger";
}

void addLocationOptions(CLI::App* cmd, LedgerOptions& o) {
  cmd->add_option("--ledger", o.ledger, "Ledger directory (default STATE/ledger)");
  cmd->add_option("--state", o.state, "State directory (see `mamori select --help`)");
}

std::string countOf(const nlohmann::json& counts, const char* key) {
  const auto it = counts.find(key);
  return it == counts.end() ? "-" : it->dump();
}

void printEntry(const nlohmann::json& e) {
  const std::string type = e.value("type", "?");
  std::printf("#%-5llu %s  %-9s", e.value("seq", 0ULL), e.value("time", "?").c_str(), type.c_str());
  if (type == "run-start") {
    std::printf(" run %s order file %s\n", e.value("run", "?").substr(0, 8).c_str(),
                e.value("order_file", "?").c_str());
    return;
  }
  if (type == "run-end") {
    const bool done = e.value("completed", false);
    std::printf(" run %s %s", e.value("run", "?").substr(0, 8).c_str(),
                done ? "completed" : "INCOMPLETE");
    if (e.contains("order")) std::printf(" order %s", e["order"].value("id", "?").c_str());
    if (e.contains("counts")) {
      const auto& c = e["counts"];
      std::printf(" frames %s flows %s selected %s discarded %s undecodable %s",
                  countOf(c, "frames").c_str(), countOf(c, "flows").c_str(),
                  countOf(c, "selected").c_str(), countOf(c, "discarded").c_str(),
                  countOf(c, "undecodable").c_str());
    }
    if (e.contains("error")) std::printf("\n        error: %s", e["error"].get<std::string>().c_str());
    std::printf("\n");
    return;
  }
  std::printf(" %s\n", e.dump().c_str());
}

}  // namespace

void addLedgerCommand(CLI::App& app) {
  static LedgerOptions o;
  auto* ledger = app.add_subcommand("ledger", "Inspect and verify the handling ledger");
  ledger->require_subcommand(1);

  auto* verify = ledger->add_subcommand(
      "verify", "Verify offline that no entry was altered, removed, reordered or added outside "
                "the ledger");
  addLocationOptions(verify, o);
  verify->add_option("--trust", o.trust, "The ledger's public key (STATE/ledger.pub, as handed "
                                         "to the commission)")->required();
  verify->add_option("--witness", o.witness, "A signed tree head kept earlier (from `ledger head`); "
                                             "detects truncation");
  verify->callback([] {
    const auto key = VerifyKey::loadFile(o.trust).valueOrThrow();
    std::optional<SignedTreeHead> witnessed;
    if (!o.witness.empty()) {
      std::ifstream in(o.witness);
      if (!in) throw Failure(o.witness + ": cannot read witnessed head");
      nlohmann::json j;
      try {
        in >> j;
      } catch (const nlohmann::json::exception& e) {
        throw Failure(o.witness + ": not a signed tree head: " + e.what());
      }
      witnessed = SignedTreeHead::fromJson(j).valueOrThrow();
    }
    const auto dir = ledgerDir(o);
    const auto v = verifyLedger(dir, key, witnessed);
    for (const auto& p : v.problems) std::printf("problem: %s\n", p.c_str());
    std::printf("%s: %s — %llu entries, latest signed head covers %llu\n", dir.c_str(),
                v.ok ? "VERIFIED" : "FAILED", static_cast<unsigned long long>(v.entries),
                static_cast<unsigned long long>(v.signedSize));
    if (!v.ok) gExitCode = kExitFailure;
  });

  auto* show = ledger->add_subcommand("show", "Print the ledger's entries");
  addLocationOptions(show, o);
  show->add_flag("--json", o.json, "Print entries as NDJSON");
  show->callback([] {
    const auto entries = readLedgerEntries(ledgerDir(o)).valueOrThrow();
    for (const auto& e : entries) {
      if (o.json) {
        std::cout << e.dump() << "\n";
      } else {
        printEntry(e);
      }
    }
  });

  auto* head = ledger->add_subcommand(
      "head", "Print the latest signed tree head as JSON (for the commission to keep as a witness)");
  addLocationOptions(head, o);
  head->callback([] {
    const auto dir = ledgerDir(o);
    std::ifstream in(dir / "heads.ndjson");
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    if (last.empty()) throw Failure(dir.string() + ": the ledger has no signed head yet");
    std::cout << last << "\n";
  });

  auto* repair = ledger->add_subcommand(
      "repair", "After a crash during a write: quarantine the unsigned tail and record the repair");
  repair->footer(
      "Moves the entry lines left without a signed head (at most one batch) and any torn last "
      "line to "
      "DIR/quarantine-TIME.ndjson, cuts both ledger files back to what verifies, and appends a "
      "ledger-repair entry (counts, SHA-256 and name of the quarantined bytes), signed with the "
      "sensor's key STATE/ledger.key. A ledger that fails in any way a crash does not explain "
      "(an altered, removed or reordered entry, a bad head) is refused and left unchanged; exit "
      "status 1.");
  addLocationOptions(repair, o);
  repair->callback([] {
    const auto dir = ledgerDir(o);
    const LedgerRepair r =
        repairLedger(dir, loadLedgerKey(resolveStateDir(o.state))).valueOrThrow();
    if (r.nothingToDo) {
      std::printf("%s: verifies (%llu entries); nothing to repair\n", dir.c_str(),
                  static_cast<unsigned long long>(r.keptEntries));
      return;
    }
    std::printf(
        "%s: REPAIRED — kept %llu entries; moved %llu entry line(s) without a signed head and "
        "%llu bytes in all to %s; recorded as ledger-repair entry #%llu\n",
        dir.c_str(), static_cast<unsigned long long>(r.keptEntries),
        static_cast<unsigned long long>(r.removedEntries),
        static_cast<unsigned long long>(r.removedBytes), (dir / r.quarantineFile).c_str(),
        static_cast<unsigned long long>(r.keptEntries));
  });
}

}  // namespace mamori::cli
