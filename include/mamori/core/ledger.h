// HandlingLedger: the append-only, tamper-evident record of how data was handled.
//
// Entries are JSON objects, one per line in DIR/entries.ndjson. They are the leaves of a Merkle
// tree hashed as in Certificate Transparency (RFC 6962 §2.1: leaf = SHA-256(0x00 || entry bytes),
// node = SHA-256(0x01 || left || right)). After every append the ledger writes a signed tree head
// (tree size, root hash, time, Ed25519 signature by the ledger's key) to DIR/heads.ndjson. Anyone
// holding the public key can verify offline that no entry was altered, removed, reordered, or
// appended outside the ledger (an entry not covered by a signed head). Truncating the tail together
// with its heads is detectable against a head the verifier kept earlier (a witnessed head), which
// is why `ledger head` exports the latest one for the commission to keep.
//
// A crash inside append() can leave the last entry without its head, or a torn last line;
// repairLedger() removes exactly that tail into a quarantine file and records the repair as an
// entry, and refuses anything a crash does not explain.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/crypto.h"
#include "mamori/core/result.h"
#include "mamori/core/signing.h"

namespace mamori {

struct SignedTreeHead {
  uint64_t treeSize = 0;
  Sha256Digest root{};
  std::string time;  // RFC 3339 UTC
  std::string keyId;
  std::vector<uint8_t> signature;

  // The exact bytes the signature covers.
  std::string signedBytes() const;
  nlohmann::json toJson() const;
  static Result<SignedTreeHead> fromJson(const nlohmann::json& j);
};

// Merkle tree hash of RFC 6962 over leaf byte strings (exposed for tests and for the hub).
Sha256Digest merkleRoot(const std::vector<std::string>& leaves);

struct LedgerRepair;

class HandlingLedger {
 public:
  // Opens (creating if needed) the ledger in `dir`, signing heads with `key`. Takes an exclusive
  // lock on the directory for the lifetime of the object so that two runs cannot interleave.
  // An existing ledger must verify under key.publicKey() (see verifyLedger); a ledger that does
  // not is never appended to, and open() returns an error listing the problems (ending with a
  // hint to run `mamori ledger repair` when they are the ones an interrupted append leaves).
  static Result<HandlingLedger> open(const std::filesystem::path& dir, SigningKey key);
  ~HandlingLedger();
  HandlingLedger(HandlingLedger&&) noexcept;
  HandlingLedger& operator=(HandlingLedger&&) = delete;
  HandlingLedger(const HandlingLedger&) = delete;
  HandlingLedger& operator=(const HandlingLedger&) = delete;

  // Appends one entry: adds "seq" (0-based index) and "time" fields, writes the line, fsyncs,
  // then writes and fsyncs a new signed tree head. Returns the entry's seq. Durable on return.
  // `entry` must be a JSON object without "seq" or "time" (those are the ledger's). If a write or
  // fsync fails after the entry line reached the file, the object refuses further appends.
  Result<uint64_t> append(nlohmann::json entry);
  uint64_t size() const { return leaves_.size(); }
  // The head covering all entries; before the first append, a signed head of the empty tree
  // (not written to disk).
  SignedTreeHead latestHead() const;

 private:
  friend Result<LedgerRepair> repairLedger(const std::filesystem::path& dir, SigningKey key);
  HandlingLedger() = default;
  // Takes the directory lock; the object returned holds it and nothing else yet.
  static Result<HandlingLedger> lock(const std::filesystem::path& dir);
  // Verifies the locked ledger and opens its files for appending.
  Result<void> load(SigningKey key);
  std::filesystem::path dir_;
  std::optional<SigningKey> key_;
  std::vector<std::string> leaves_;
  std::optional<SignedTreeHead> head_;
  int lockFd_ = -1;
  int entriesFd_ = -1;                  // O_APPEND
  int headsFd_ = -1;                    // O_APPEND
  uint64_t entriesBytes_ = 0;           // size of entries.ndjson after the last complete append
  std::vector<Sha256Digest> frontier_;  // roots of the perfect subtrees making up the tree
  bool failed_ = false;                 // a write failed midway: refuse further appends
};

struct LedgerVerification {
  bool ok = false;
  uint64_t entries = 0;
  uint64_t signedSize = 0;            // tree size of the latest valid head
  std::vector<std::string> problems;  // each names the line/entry and what is wrong
};

// Offline verification of DIR/entries.ndjson and DIR/heads.ndjson against the trusted key, and
// optionally against a head the verifier kept from earlier (detects tail truncation).
LedgerVerification verifyLedger(const std::filesystem::path& dir, const VerifyKey& trusted,
                                const std::optional<SignedTreeHead>& witnessed = std::nullopt);

struct LedgerRepair {
  uint64_t keptEntries = 0;     // entries left in place (before the ledger-repair entry)
  uint64_t removedEntries = 0;  // entry lines quarantined (a torn line counts as one)
  uint64_t removedBytes = 0;    // bytes quarantined, from both files
  std::string quarantineFile;   // file name inside the ledger directory
  bool nothingToDo = false;     // the ledger verified; nothing was changed
};

// Repairs what a crash inside append() leaves, and nothing else. Takes the lock open() takes.
// Accepted only when removing the tail explains every problem: at most one entry line after the
// last valid signed head (complete, or torn without its newline) and/or a torn last line of
// heads.ndjson, with everything before verifying. The removed bytes (entry tail, then head tail)
// go to DIR/quarantine-<UTC time>.ndjson (0600, fsynced, never overwritten), both files are
// truncated and fsynced, and an entry {"type":"ledger-repair","removed_entries","removed_bytes",
// "removed_sha256","quarantine"} is appended so the commission sees the repair. Any other problem
// (an altered, removed or reordered entry, a bad head before the end) is an error and nothing
// is changed. A ledger that verifies is left alone (nothingToDo).
Result<LedgerRepair> repairLedger(const std::filesystem::path& dir, SigningKey key);

// Reads all entries (for `ledger show`); errors name the line.
Result<std::vector<nlohmann::json>> readLedgerEntries(const std::filesystem::path& dir);

}  // namespace mamori
