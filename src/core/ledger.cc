#include "mamori/core/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>

#include "mamori/core/secure_file.h"
#include "mamori/core/time.h"

namespace mamori {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEntriesFile = "entries.ndjson";
constexpr const char* kHeadsFile = "heads.ndjson";
constexpr const char* kLockFile = ".lock";
constexpr std::string_view kHeadDomain = "mamori-ledger-head-v1\n";

std::span<const uint8_t> asBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// RFC 6962 §2.1 domain separation: 0x00 prefixes leaves, 0x01 interior nodes, so a leaf can
// never be passed off as an interior node (second-preimage attacks on the tree).
Sha256Digest leafHash(std::string_view leaf) {
  Sha256 h;
  const uint8_t prefix = 0x00;
  h.update({&prefix, 1});
  h.update(asBytes(leaf));
  return h.finish();
}

Sha256Digest nodeHash(const Sha256Digest& left, const Sha256Digest& right) {
  Sha256 h;
  const uint8_t prefix = 0x01;
  h.update({&prefix, 1});
  h.update(left);
  h.update(right);
  return h.finish();
}

// The RFC 6962 tree of n leaves is the fold, right to left, of the perfect subtrees given by the
// binary digits of n (largest first). Keeping just those subtree roots makes an append O(log n)
// and lets the verifier check every head in one pass over the entries.
class MerkleFrontier {
 public:
  void add(const Sha256Digest& leaf) {
    stack_.push_back(leaf);
    for (uint64_t m = size_; (m & 1) != 0; m >>= 1) {
      const Sha256Digest right = stack_.back();
      stack_.pop_back();
      stack_.back() = nodeHash(stack_.back(), right);
    }
    ++size_;
  }
  uint64_t size() const { return size_; }
  Sha256Digest root() const {
    if (stack_.empty()) return sha256(std::string_view());
    Sha256Digest r = stack_.back();
    for (size_t i = stack_.size() - 1; i-- > 0;) r = nodeHash(stack_[i], r);
    return r;
  }
  const std::vector<Sha256Digest>& subtrees() const { return stack_; }
  static MerkleFrontier fromSubtrees(std::vector<Sha256Digest> stack, uint64_t size) {
    MerkleFrontier f;
    f.stack_ = std::move(stack);
    f.size_ = size;
    return f;
  }

 private:
  std::vector<Sha256Digest> stack_;
  uint64_t size_ = 0;
};

// Splits NDJSON text into lines without their '\n'. A final line lacking its newline (a torn
// write) is still returned, and reported through `incomplete`.
std::vector<std::string_view> splitLines(std::string_view text, bool& incomplete) {
  std::vector<std::string_view> lines;
  incomplete = false;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      incomplete = true;
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// A missing file is an empty ledger file (a ledger that never had an append).
Result<std::string> readLedgerFile(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) return makeError("cannot access " + path.string() + ": " + ec.message());
    return std::string();
  }
  return readWholeFile(path, std::numeric_limits<size_t>::max());
}

struct LedgerFiles {
  std::string entries;
  std::string heads;
};

Result<LedgerFiles> readLedgerFiles(const fs::path& dir) {
  auto entries = readLedgerFile(dir / kEntriesFile);
  if (!entries) return entries.error();
  auto heads = readLedgerFile(dir / kHeadsFile);
  if (!heads) return heads.error();
  return LedgerFiles{std::move(*entries), std::move(*heads)};
}

std::string lineRef(const char* file, size_t index) {
  return std::string(file) + " line " + std::to_string(index + 1);
}

Result<void> writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return makeError(errnoText(n < 0 ? errno : EIO));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// `keyId` is key.publicKey().keyId(), computed once by the caller: deriving it costs more than
// the signature.
SignedTreeHead makeHead(const SigningKey& key, const std::string& keyId, uint64_t size,
                        const Sha256Digest& root) {
  SignedTreeHead head;
  head.treeSize = size;
  head.root = root;
  head.time = formatRfc3339(nowMicros());
  head.keyId = keyId;
  head.signature = key.sign(asBytes(head.signedBytes()));
  return head;
}

// What verification learned, kept so that open() does not read the files twice.
// `lines` are views into the scanned text, which the caller keeps.
struct ScannedLedger {
  LedgerVerification verification;
  std::vector<std::string_view> lines;
  MerkleFrontier frontier;
  std::optional<SignedTreeHead> lastHead;
  uint64_t previousSignedSize = 0;  // tree size of the valid head before lastHead
  uint64_t entriesBytes = 0;
};

std::string headProblem(const std::string& where, const SignedTreeHead& head,
                        const VerifyKey& trusted) {
  if (head.keyId != trusted.keyId()) {
    return where + ": key_id " + head.keyId + " is not the trusted key " + trusted.keyId();
  }
  if (!trusted.verify(asBytes(head.signedBytes()), head.signature)) {
    return where + ": signature does not verify under the trusted key";
  }
  return {};
}

ScannedLedger scanLedger(std::string_view entriesText, std::string_view headsText,
                         const VerifyKey& trusted,
                         const std::optional<SignedTreeHead>& witnessed = std::nullopt) {
  ScannedLedger out;
  LedgerVerification& v = out.verification;
  auto problem = [&v](std::string p) { v.problems.push_back(std::move(p)); };
  out.entriesBytes = entriesText.size();

  bool incomplete = false;
  out.lines = splitLines(entriesText, incomplete);
  const std::vector<std::string_view>& lines = out.lines;
  if (incomplete) {
    problem(lineRef(kEntriesFile, lines.size() - 1) + ": incomplete (no newline at end of file)");
  }
  v.entries = lines.size();
  std::vector<Sha256Digest> leafHashes;
  leafHashes.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    leafHashes.push_back(leafHash(lines[i]));
    const nlohmann::json entry = nlohmann::json::parse(lines[i], nullptr, false);
    if (entry.is_discarded()) {
      problem(lineRef(kEntriesFile, i) + ": not valid JSON");
      continue;
    }
    if (!entry.is_object()) {
      problem(lineRef(kEntriesFile, i) + ": not a JSON object");
      continue;
    }
    // seq is checked on its own so that a removed or reordered entry is named directly, not only
    // through a root mismatch of some later head.
    const auto seq = entry.find("seq");
    if (seq == entry.end() || !seq->is_number_unsigned()) {
      problem(lineRef(kEntriesFile, i) + ": no unsigned integer \"seq\"");
    } else if (seq->get<uint64_t>() != i) {
      problem(lineRef(kEntriesFile, i) + ": seq is " + std::to_string(seq->get<uint64_t>()) +
              ", expected " + std::to_string(i) + " (entries removed or reordered)");
    }
  }

  bool headsIncomplete = false;
  const std::vector<std::string_view> headLines = splitLines(headsText, headsIncomplete);
  if (headsIncomplete) {
    problem(lineRef(kHeadsFile, headLines.size() - 1) + ": incomplete (no newline at end of file)");
  }
  MerkleFrontier frontier;
  std::optional<uint64_t> previousSize;
  uint64_t lastListedSize = 0;
  for (size_t k = 0; k < headLines.size(); ++k) {
    const std::string where = lineRef(kHeadsFile, k);
    const nlohmann::json j = nlohmann::json::parse(headLines[k], nullptr, false);
    if (j.is_discarded()) {
      problem(where + ": not valid JSON");
      continue;
    }
    auto head = SignedTreeHead::fromJson(j);
    if (!head) {
      problem(where + ": " + head.error().message);
      continue;
    }
    bool good = true;
    if (std::string p = headProblem(where, *head, trusted); !p.empty()) {
      problem(std::move(p));
      good = false;
    }
    if (previousSize && head->treeSize <= *previousSize) {
      problem(where + ": tree_size " + std::to_string(head->treeSize) +
              " is not greater than the previous head's " + std::to_string(*previousSize));
      good = false;
    }
    previousSize = head->treeSize;
    lastListedSize = head->treeSize;
    if (head->treeSize > v.entries) {
      problem(where + ": tree_size " + std::to_string(head->treeSize) + " exceeds the " +
              std::to_string(v.entries) + " entries (entries were removed)");
      continue;
    }
    if (frontier.size() > head->treeSize) frontier = MerkleFrontier();  // out-of-order head
    while (frontier.size() < head->treeSize) frontier.add(leafHashes[frontier.size()]);
    if (frontier.root() != head->root) {
      problem(where + ": root does not match the first " + std::to_string(head->treeSize) +
              " entries (an entry was altered, removed or reordered)");
      good = false;
    }
    if (good) {
      out.previousSignedSize = v.signedSize;
      v.signedSize = head->treeSize;
      out.lastHead = *head;
    }
  }

  if (v.entries > lastListedSize) {
    problem(std::to_string(v.entries - lastListedSize) +
            " entries after the last signed head: appended outside the ledger");
  } else if (v.entries > v.signedSize) {
    problem("entries " + std::to_string(v.signedSize + 1) + ".." + std::to_string(v.entries) +
            " are not covered by a valid signed head");
  }

  if (witnessed) {
    if (std::string p = headProblem("witnessed head", *witnessed, trusted); !p.empty()) {
      problem(std::move(p));
    } else if (witnessed->treeSize > v.entries) {
      problem("witnessed head covers " + std::to_string(witnessed->treeSize) +
              " entries but the ledger has only " + std::to_string(v.entries) +
              ": entries were removed");
    } else {
      MerkleFrontier w;
      for (uint64_t i = 0; i < witnessed->treeSize; ++i) w.add(leafHashes[i]);
      if (w.root() != witnessed->root) {
        problem("witnessed head (tree size " + std::to_string(witnessed->treeSize) +
                ") does not match the ledger's first entries: the ledger was rewritten");
      }
    }
  }

  while (frontier.size() < leafHashes.size()) frontier.add(leafHashes[frontier.size()]);
  out.frontier = std::move(frontier);
  v.ok = v.problems.empty();
  return out;
}

// What a crash inside an append leaves: appendBatch() writes and fsyncs all the lines of a batch
// before it writes the head, and a failed write stops the object, so a crash leaves at most one
// batch of entry lines past the last signed head — a prefix of the batch: complete lines with
// consecutive seqs, the last perhaps torn — and perhaps a torn head line. Everything else must
// verify.
struct CrashTail {
  size_t entriesKeep = 0;  // bytes of entries.ndjson that stay
  size_t headsKeep = 0;    // bytes of heads.ndjson that stay
  uint64_t keptEntries = 0;
  uint64_t removedEntries = 0;
};

// `scanned` is the scan of the whole of `files`; an error lists its problems, and why a crash
// does not explain them when that is not already plain from the problems.
Result<CrashTail> findCrashTail(const LedgerFiles& files, const ScannedLedger& scanned,
                                const VerifyKey& trusted) {
  auto refuse = [&scanned](const std::string& why) {
    std::string message;
    for (const std::string& p : scanned.verification.problems) {
      message += (message.empty() ? "" : "; ") + p;
    }
    return makeError(why.empty() ? message : message + "; " + why);
  };
  CrashTail tail;
  const size_t lastNewline = files.heads.rfind('\n');
  tail.headsKeep = lastNewline == std::string::npos ? 0 : lastNewline + 1;
  const std::string_view heads = std::string_view(files.heads).substr(0, tail.headsKeep);
  tail.keptEntries = scanLedger(files.entries, heads, trusted).verification.signedSize;
  tail.removedEntries = scanned.verification.entries - tail.keptEntries;
  for (uint64_t i = 0; i < tail.keptEntries; ++i) tail.entriesKeep += scanned.lines[i].size() + 1;
  // substr clamps: a head covering a torn line keeps that line, and the rest fails to verify.
  if (!scanLedger(std::string_view(files.entries).substr(0, tail.entriesKeep), heads, trusted)
           .verification.ok) {
    return refuse("");
  }
  if (tail.removedEntries > HandlingLedger::kMaxBatchEntries) {
    return refuse("a crash leaves at most " + std::to_string(HandlingLedger::kMaxBatchEntries) +
                  " entries (one batch) without their head");
  }
  // The complete lines of the tail must be what appendBatch() writes: objects numbered on from
  // the kept entries. Only the last line may be torn (its bytes are quarantined as they are).
  const bool tornLast = !files.entries.empty() && files.entries.back() != '\n';
  for (uint64_t i = tail.keptEntries; i < scanned.verification.entries; ++i) {
    if (tornLast && i + 1 == scanned.verification.entries) break;
    const nlohmann::json entry = nlohmann::json::parse(scanned.lines[i], nullptr, false);
    const auto seq = entry.is_object() ? entry.find("seq") : entry.end();
    if (!entry.is_object() || seq == entry.end() || !seq->is_number_unsigned() ||
        seq->get<uint64_t>() != i) {
      return refuse(lineRef(kEntriesFile, i) +
                    " after the last signed head is not an entry an interrupted append writes");
    }
  }
  return tail;
}

// Cuts a ledger file to `size` bytes, durably; one already that long (or missing and empty) is
// left alone.
Result<void> truncateFile(const fs::path& path, size_t size, size_t current) {
  if (size == current) return {};
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return makeError("cannot open " + path.string() + ": " + errnoText(errno));
  const bool done = ::ftruncate(fd, static_cast<off_t>(size)) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!done) return makeError("cannot truncate " + path.string() + ": " + errnoText(err));
  return {};
}

Sha256Digest merkleRange(const std::vector<std::string>& leaves, size_t begin, size_t end) {
  const size_t n = end - begin;
  if (n == 1) return leafHash(leaves[begin]);
  size_t k = 1;
  while (k * 2 < n) k *= 2;  // largest power of two smaller than n (RFC 6962 §2.1)
  return nodeHash(merkleRange(leaves, begin, begin + k), merkleRange(leaves, begin + k, end));
}

int openAppend(const fs::path& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

}  // namespace

// ---- SignedTreeHead ----

std::string SignedTreeHead::signedBytes() const {
  std::string out(kHeadDomain);
  out += std::to_string(treeSize);
  out += '\n';
  out += toHex(root);
  out += '\n';
  out += time;
  out += '\n';
  return out;
}

nlohmann::json SignedTreeHead::toJson() const {
  return {{"tree_size", treeSize},
          {"root", toHex(root)},
          {"time", time},
          {"key_id", keyId},
          {"sig", base64Encode(signature)}};
}

Result<SignedTreeHead> SignedTreeHead::fromJson(const nlohmann::json& j) {
  if (!j.is_object()) return makeError("signed tree head is not a JSON object");
  auto field = [&j](const char* name) -> const nlohmann::json* {
    const auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  };
  SignedTreeHead head;
  const nlohmann::json* size = field("tree_size");
  if (size == nullptr || !size->is_number_unsigned()) {
    return makeError("signed tree head: \"tree_size\" missing or not an unsigned integer");
  }
  head.treeSize = size->get<uint64_t>();
  const nlohmann::json* root = field("root");
  if (root == nullptr || !root->is_string()) {
    return makeError("signed tree head: \"root\" missing or not a string");
  }
  auto rootBytes = fromHex(root->get_ref<const std::string&>());
  if (!rootBytes || rootBytes->size() != head.root.size()) {
    return makeError("signed tree head: \"root\" is not 64 hex digits");
  }
  std::copy(rootBytes->begin(), rootBytes->end(), head.root.begin());
  const nlohmann::json* time = field("time");
  if (time == nullptr || !time->is_string()) {
    return makeError("signed tree head: \"time\" missing or not a string");
  }
  head.time = time->get<std::string>();
  const nlohmann::json* keyId = field("key_id");
  if (keyId == nullptr || !keyId->is_string()) {
    return makeError("signed tree head: \"key_id\" missing or not a string");
  }
  head.keyId = keyId->get<std::string>();
  const nlohmann::json* sig = field("sig");
  if (sig == nullptr || !sig->is_string()) {
    return makeError("signed tree head: \"sig\" missing or not a string");
  }
  auto sigBytes = base64Decode(sig->get_ref<const std::string&>());
  if (!sigBytes) return makeError("signed tree head: \"sig\" is not base64");
  head.signature = std::move(*sigBytes);
  return head;
}

Sha256Digest merkleRoot(const std::vector<std::string>& leaves) {
  if (leaves.empty()) return sha256(std::string_view());
  return merkleRange(leaves, 0, leaves.size());
}

// ---- HandlingLedger ----

Result<HandlingLedger> HandlingLedger::open(const fs::path& dir, SigningKey key) {
  if (auto r = createPrivateDirectories(dir); !r) return r.error();
  auto ledger = lock(dir);
  if (!ledger) return ledger;
  if (auto r = ledger->load(std::move(key)); !r) return r.error();
  return ledger;
}

Result<HandlingLedger> HandlingLedger::lock(const fs::path& dir) {
  HandlingLedger ledger;
  ledger.dir_ = dir;
  ledger.lockFd_ = ::open((dir / kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (ledger.lockFd_ < 0) {
    return makeError("cannot open lock file in ledger " + dir.string() + ": " + errnoText(errno));
  }
  // flock belongs to the open file description, so a second open() in this process conflicts
  // too, as it must: two writers would interleave lines and fork the tree.
  if (::flock(ledger.lockFd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return makeError("ledger " + dir.string() + " is in use by another process");
    }
    return makeError("cannot lock ledger " + dir.string() + ": " + errnoText(errno));
  }
  return ledger;
}

Result<void> HandlingLedger::load(SigningKey key) {
  auto files = readLedgerFiles(dir_);
  if (!files) return files.error();
  const VerifyKey publicKey = key.publicKey();
  ScannedLedger scanned = scanLedger(files->entries, files->heads, publicKey);
  if (!scanned.verification.ok) {
    std::string message = "ledger " + dir_.string() + " does not verify with key " +
                          publicKey.keyId() + "; refusing to append to it:";
    for (const std::string& p : scanned.verification.problems) message += "\n  " + p;
    if (findCrashTail(*files, scanned, publicKey)) {
      message +=
          "\nthese are the problems an interrupted append leaves; if the sensor crashed during a "
          "write, run `mamori ledger repair`";
    }
    return makeError(std::move(message));
  }

  std::error_code ec;
  const bool entriesExisted = fs::exists(dir_ / kEntriesFile, ec);
  const bool headsExisted = fs::exists(dir_ / kHeadsFile, ec);
  entriesFd_ = openAppend(dir_ / kEntriesFile);
  if (entriesFd_ < 0) {
    return makeError("cannot open " + (dir_ / kEntriesFile).string() + ": " + errnoText(errno));
  }
  headsFd_ = openAppend(dir_ / kHeadsFile);
  if (headsFd_ < 0) {
    return makeError("cannot open " + (dir_ / kHeadsFile).string() + ": " + errnoText(errno));
  }
  if (!entriesExisted || !headsExisted) {
    if (auto r = fsyncDirectory(dir_); !r) return r;
  }

  size_ = scanned.lines.size();
  lastBatch_.assign(scanned.lines.begin() + static_cast<std::ptrdiff_t>(scanned.previousSignedSize),
                    scanned.lines.begin() + static_cast<std::ptrdiff_t>(size_));
  frontier_ = scanned.frontier.subtrees();
  entriesBytes_ = scanned.entriesBytes;
  head_ = scanned.lastHead;
  keyId_ = publicKey.keyId();
  if (!head_) head_ = makeHead(key, keyId_, 0, sha256(std::string_view()));
  key_ = std::move(key);
  return {};
}

HandlingLedger::~HandlingLedger() {
  if (entriesFd_ >= 0) ::close(entriesFd_);
  if (headsFd_ >= 0) ::close(headsFd_);
  if (lockFd_ >= 0) ::close(lockFd_);  // releases the flock
}

HandlingLedger::HandlingLedger(HandlingLedger&& other) noexcept
    : dir_(std::move(other.dir_)),
      key_(std::move(other.key_)),
      keyId_(std::move(other.keyId_)),
      size_(other.size_),
      lastBatch_(std::move(other.lastBatch_)),
      head_(std::move(other.head_)),
      lockFd_(other.lockFd_),
      entriesFd_(other.entriesFd_),
      headsFd_(other.headsFd_),
      entriesBytes_(other.entriesBytes_),
      frontier_(std::move(other.frontier_)),
      failed_(other.failed_) {
  other.lockFd_ = -1;
  other.entriesFd_ = -1;
  other.headsFd_ = -1;
  other.failed_ = true;
}

Result<uint64_t> HandlingLedger::append(nlohmann::json entry) {
  std::vector<nlohmann::json> one;
  one.push_back(std::move(entry));
  return appendBatch(std::move(one));
}

Result<uint64_t> HandlingLedger::appendBatch(std::vector<nlohmann::json> entries) {
  if (failed_ || !key_) {
    return makeError("ledger " + dir_.string() +
                     " refuses appends after an earlier write failure; reopen it to verify");
  }
  if (entries.empty()) return size_;
  if (entries.size() > kMaxBatchEntries) {
    return makeError("a ledger batch holds at most " + std::to_string(kMaxBatchEntries) +
                     " entries, not " + std::to_string(entries.size()));
  }
  // Everything is checked and serialized before a byte is written: a refused batch leaves no
  // trace, so the caller may fix it and try again.
  const uint64_t first = size_;
  const std::string time = formatRfc3339(nowMicros());
  std::vector<std::string> lines;
  lines.reserve(entries.size());
  std::string block;
  for (size_t i = 0; i < entries.size(); ++i) {
    nlohmann::json& entry = entries[i];
    const std::string what = entries.size() == 1
                                 ? "ledger entry"
                                 : "ledger entry " + std::to_string(i) + " of the batch";
    if (!entry.is_object()) return makeError(what + " must be a JSON object");
    for (const char* reserved : {"seq", "time"}) {
      if (entry.contains(reserved)) {
        return makeError(what + " must not set the reserved field \"" + reserved + "\"");
      }
    }
    entry["seq"] = first + i;
    entry["time"] = time;
    try {
      lines.push_back(entry.dump());
    } catch (const nlohmann::json::exception& e) {
      return makeError(what + " cannot be serialized: " + e.what());
    }
    block += lines.back();
    block += '\n';
  }
  const fs::path entriesPath = dir_ / kEntriesFile;

  if (auto w = writeAll(entriesFd_, block); !w) {
    // Roll torn lines back so the file still ends at a complete batch; if that fails too the
    // on-disk state is unknown and only a re-verification may decide.
    if (::ftruncate(entriesFd_, static_cast<off_t>(entriesBytes_)) != 0) failed_ = true;
    return makeError("cannot write " + entriesPath.string() + ": " + w.error().message);
  }
  if (::fsync(entriesFd_) != 0) {
    failed_ = true;  // after a failed fsync the page cache may no longer match the disk
    return makeError("cannot fsync " + entriesPath.string() + ": " + errnoText(errno));
  }

  MerkleFrontier frontier = MerkleFrontier::fromSubtrees(frontier_, first);
  for (const std::string& line : lines) frontier.add(leafHash(line));
  SignedTreeHead head = makeHead(*key_, keyId_, first + lines.size(), frontier.root());
  const std::string headLine = head.toJson().dump() + "\n";
  const fs::path headsPath = dir_ / kHeadsFile;
  // The entries are on disk now: any failure from here leaves them without a head, which
  // verification reports, so the object stops accepting appends rather than build on unsigned
  // entries.
  if (auto w = writeAll(headsFd_, headLine); !w) {
    failed_ = true;
    return makeError("entries " + std::to_string(first) + ".." +
                     std::to_string(first + lines.size() - 1) +
                     " were written but their signed head could not be: " + headsPath.string() +
                     ": " + w.error().message);
  }
  if (::fsync(headsFd_) != 0) {
    failed_ = true;
    return makeError("cannot fsync " + headsPath.string() + ": " + errnoText(errno));
  }

  entriesBytes_ += block.size();
  size_ += lines.size();
  lastBatch_ = std::move(lines);
  frontier_ = frontier.subtrees();
  head_ = std::move(head);
  return first;
}

std::vector<nlohmann::json> HandlingLedger::lastBatch() const {
  std::vector<nlohmann::json> out;
  out.reserve(lastBatch_.size());
  for (const std::string& line : lastBatch_) {
    out.push_back(nlohmann::json::parse(line, nullptr, false));  // verified when read or written
  }
  return out;
}

SignedTreeHead HandlingLedger::latestHead() const {
  return head_.value_or(SignedTreeHead{});
}

// ---- offline verification ----

LedgerVerification verifyLedger(const fs::path& dir, const VerifyKey& trusted,
                                const std::optional<SignedTreeHead>& witnessed) {
  auto files = readLedgerFiles(dir);
  if (!files) {
    LedgerVerification v;
    v.problems.push_back(files.error().message);
    return v;
  }
  return scanLedger(files->entries, files->heads, trusted, witnessed).verification;
}

// ---- crash repair ----

Result<LedgerRepair> repairLedger(const fs::path& dir, SigningKey key) {
  auto ledger = HandlingLedger::lock(dir);
  if (!ledger) return ledger.error();
  auto files = readLedgerFiles(dir);
  if (!files) return files.error();
  const VerifyKey publicKey = key.publicKey();
  const ScannedLedger scanned = scanLedger(files->entries, files->heads, publicKey);
  LedgerRepair repair;
  if (scanned.verification.ok) {
    repair.keptEntries = scanned.verification.entries;
    repair.nothingToDo = true;
    return repair;
  }
  auto tail = findCrashTail(*files, scanned, publicKey);
  if (!tail) {
    return makeError("ledger " + dir.string() + " does not verify in a way a crash explains: " +
                     tail.error().message + "; not repairing");
  }

  // The removed bytes are kept, not destroyed: a crash cannot be told apart from an entry added
  // by hand, so the commission must be able to look at what was cut.
  const std::string removed =
      files->entries.substr(tail->entriesKeep) + files->heads.substr(tail->headsKeep);
  std::string stamp = formatRfc3339(nowMicros());
  std::erase_if(stamp, [](char c) { return c == '-' || c == ':'; });
  repair.quarantineFile = "quarantine-" + stamp + ".ndjson";
  if (auto r = writeNewPrivateFile(dir / repair.quarantineFile, asBytes(removed)); !r) {
    return r.error();
  }
  if (auto r = truncateFile(dir / kEntriesFile, tail->entriesKeep, files->entries.size()); !r) {
    return r.error();
  }
  if (auto r = truncateFile(dir / kHeadsFile, tail->headsKeep, files->heads.size()); !r) {
    return r.error();
  }
  if (auto r = fsyncDirectory(dir); !r) return r.error();

  repair.keptEntries = tail->keptEntries;
  repair.removedEntries = tail->removedEntries;
  repair.removedBytes = removed.size();
  if (auto r = ledger->load(std::move(key)); !r) return r.error();
  auto seq = ledger->append({{"type", "ledger-repair"},
                             {"removed_entries", repair.removedEntries},
                             {"removed_bytes", repair.removedBytes},
                             {"removed_sha256", toHex(sha256(std::string_view(removed)))},
                             {"quarantine", repair.quarantineFile}});
  if (!seq) {
    return makeError("ledger " + dir.string() + " was cut back (removed bytes in " +
                     repair.quarantineFile +
                     ") but the repair could not be recorded: " + seq.error().message);
  }
  return repair;
}

Result<std::vector<nlohmann::json>> readLedgerEntries(const fs::path& dir) {
  auto text = readLedgerFile(dir / kEntriesFile);
  if (!text) return text.error();
  bool incomplete = false;
  const std::vector<std::string_view> lines = splitLines(*text, incomplete);
  std::vector<nlohmann::json> entries;
  entries.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i], nullptr, false);
    if (j.is_discarded()) return makeError(lineRef(kEntriesFile, i) + ": not valid JSON");
    entries.push_back(std::move(j));
  }
  return entries;
}

}  // namespace mamori
