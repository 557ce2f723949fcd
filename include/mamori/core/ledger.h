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
// Entries can be appended in batches (appendBatch): all lines written, one fsync, and ONE signed
// head covering them, so a busy writer (the hub's audit drain) pays two fsyncs and one signature
// per batch instead of per entry. A head then covers several new entries; verification is the
// same (every head's root is checked against the entries it covers).
//
// A crash inside an append can leave the entries of that batch without their head (any number of
// them up to the batch, the last perhaps torn) and a torn last head line; repairLedger() removes
// exactly that tail — at most kMaxBatchEntries entry lines — into a quarantine file and records
// the repair as an entry, and refuses anything a crash does not explain.
#pragma once

#include <cstddef>
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

  // The most entries one appendBatch() takes, and so the most entry lines a crash inside an
  // append can leave without a head: the bound repairLedger() accepts.
  static constexpr std::size_t kMaxBatchEntries = 4096;

  // Appends entries in order as one batch: adds "seq" (0-based index) and "time" fields to each,
  // writes all lines, fsyncs once, then writes and fsyncs ONE new signed tree head covering them
  // all. Returns the seq of the first entry. Durable on return. Each entry must be a JSON object
  // without "seq" or "time" (those are the ledger's) that serializes; at most kMaxBatchEntries.
  // A batch that fails these checks is refused whole, with nothing written. If a write or fsync
  // fails after lines reached the file, the object refuses further appends (reopen to verify,
  // repair if a crash explains the state). An empty batch writes nothing and returns size().
  Result<uint64_t> appendBatch(std::vector<nlohmann::json> entries);
  // appendBatch() of one entry.
  Result<uint64_t> append(nlohmann::json entry);
  uint64_t size() const { return size_; }
  // The head covering all entries; before the first append, a signed head of the empty tree
  // (not written to disk).
  SignedTreeHead latestHead() const;
  // The entries of the last batch, as written (with "seq" and "time"): those the latest head
  // added over the head before it — after open(), read from disk. Lets a writer that records
  // its own ids in entries find out, after a crash, which of them reached the ledger last.
  // Empty for an empty ledger.
  std::vector<nlohmann::json> lastBatch() const;

 private:
  friend Result<LedgerRepair> repairLedger(const std::filesystem::path& dir, SigningKey key);
  HandlingLedger() = default;
  // Takes the directory lock; the object returned holds it and nothing else yet.
  static Result<HandlingLedger> lock(const std::filesystem::path& dir);
  // Verifies the locked ledger and opens its files for appending.
  Result<void> load(SigningKey key);
  std::filesystem::path dir_;
  std::optional<SigningKey> key_;
  std::string keyId_;  // key_'s public key id
  uint64_t size_ = 0;
  std::vector<std::string> lastBatch_;  // lines of the last batch
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

// Repairs what a crash inside an append leaves, and nothing else. Takes the lock open() takes.
// Accepted only when removing the tail explains every problem: at most kMaxBatchEntries entry
// lines after the last valid signed head — each complete one a JSON object with the next "seq",
// as an interrupted appendBatch() writes them, the last perhaps torn (no newline) — and/or a
// torn last line of heads.ndjson, with everything before verifying. The removed bytes (entry tail,
// then head tail) go to DIR/quarantine-<UTC time>.ndjson (0600, fsynced, never overwritten), both
// files are truncated and fsynced, and an entry
// {"type":"ledger-repair","removed_entries","removed_bytes", "removed_sha256","quarantine"} is
// appended so the commission sees the repair. Any other problem (an altered, removed or reordered
// entry, a bad head before the end) is an error and nothing is changed. A ledger that verifies is
// left alone (nothingToDo).
Result<LedgerRepair> repairLedger(const std::filesystem::path& dir, SigningKey key);

// Reads all entries (for `ledger show`); errors name the line.
Result<std::vector<nlohmann::json>> readLedgerEntries(const std::filesystem::path& dir);

}  // namespace mamori
