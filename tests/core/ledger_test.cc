#include "mamori/core/ledger.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/scratch_dir.h"

namespace mamori {
namespace {

using testing_util::ScratchDir;

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// ---- RFC 6962 §2.1 Merkle tree hash, composed by hand from the definition ----

Sha256Digest leaf(const std::string& d) {
  const std::string buf = std::string(1, '\0') + d;
  return sha256(std::string_view(buf));
}
Sha256Digest node(const Sha256Digest& l, const Sha256Digest& r) {
  std::string buf = "\x01";
  buf.append(reinterpret_cast<const char*>(l.data()), l.size());
  buf.append(reinterpret_cast<const char*>(r.data()), r.size());
  return sha256(std::string_view(buf));
}

TEST(MerkleRootTest, EmptyTreeIsHashOfEmptyString) {
  EXPECT_EQ(toHex(merkleRoot({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleRootTest, SingleLeafIsPrefixedHash) {
  EXPECT_EQ(merkleRoot({"abc"}), leaf("abc"));
  // 0x00 || "" hashed: the RFC 6962 hash of an empty leaf.
  EXPECT_EQ(toHex(merkleRoot({""})),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(MerkleRootTest, ThreeAndSevenLeavesMatchHandComposition) {
  const std::vector<std::string> d = {"a", "b", "c", "d", "e", "f", "g"};
  // n=3: k=2 -> MTH(d0,d1) | MTH(d2)
  const Sha256Digest three = node(node(leaf(d[0]), leaf(d[1])), leaf(d[2]));
  EXPECT_EQ(merkleRoot({d[0], d[1], d[2]}), three);
  // n=7: k=4 -> MTH(d0..d3) | MTH(d4..d6); the right part: k=2 -> MTH(d4,d5) | MTH(d6)
  const Sha256Digest left = node(node(leaf(d[0]), leaf(d[1])), node(leaf(d[2]), leaf(d[3])));
  const Sha256Digest right = node(node(leaf(d[4]), leaf(d[5])), leaf(d[6]));
  EXPECT_EQ(merkleRoot(d), node(left, right));
  // Leaf order matters.
  std::vector<std::string> swapped = d;
  std::swap(swapped[1], swapped[2]);
  EXPECT_NE(merkleRoot(swapped), merkleRoot(d));
}

// ---- helpers ----

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

std::string joinLines(const std::vector<std::string>& ls) {
  std::string out;
  for (const auto& l : ls) out += l + "\n";
  return out;
}

bool hasProblem(const LedgerVerification& v, const std::string& fragment) {
  for (const auto& p : v.problems) {
    if (p.find(fragment) != std::string::npos) return true;
  }
  return false;
}

std::string dump(const LedgerVerification& v) {
  std::string out;
  for (const auto& p : v.problems) out += "  " + p + "\n";
  return out;
}

class LedgerTest : public ::testing::Test {
 protected:
  std::filesystem::path ledgerDir() const { return dir_.path() / "ledger"; }
  std::filesystem::path entries() const { return ledgerDir() / "entries.ndjson"; }
  std::filesystem::path heads() const { return ledgerDir() / "heads.ndjson"; }

  // Appends n entries {"event":"run","n":i} and closes the ledger.
  void fill(int n) {
    auto ledger = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_TRUE(ledger.ok()) << ledger.error().message;
    for (int i = 0; i < n; ++i) {
      auto seq = ledger->append({{"event", "run"}, {"n", i}});
      ASSERT_TRUE(seq.ok()) << seq.error().message;
    }
  }

  LedgerVerification verify(const std::optional<SignedTreeHead>& witnessed = std::nullopt) const {
    return verifyLedger(ledgerDir(), key_.publicKey(), witnessed);
  }

  ScratchDir dir_;
  SigningKey key_ = SigningKey::generate();
};

TEST_F(LedgerTest, AppendReopenAndVerify) {
  {
    auto ledger = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_TRUE(ledger.ok()) << ledger.error().message;
    EXPECT_EQ(ledger->size(), 0u);
    EXPECT_EQ(ledger->latestHead().treeSize, 0u);
    EXPECT_EQ(ledger->latestHead().root, merkleRoot({}));
    auto s0 = ledger->append({{"event", "run_start"}});
    auto s1 = ledger->append({{"event", "run_end"}, {"selected", 3}});
    ASSERT_TRUE(s0.ok() && s1.ok());
    EXPECT_EQ(*s0, 0u);
    EXPECT_EQ(*s1, 1u);
    EXPECT_EQ(ledger->latestHead().treeSize, 2u);
  }
  struct stat st {};
  ASSERT_EQ(::stat(ledgerDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // Leaves are the exact lines; the head root is RFC 6962 over them.
  const std::vector<std::string> entryLines = lines(readFile(entries()));
  ASSERT_EQ(entryLines.size(), 2u);
  const std::vector<std::string> headLines = lines(readFile(heads()));
  ASSERT_EQ(headLines.size(), 2u);
  auto head = SignedTreeHead::fromJson(nlohmann::json::parse(headLines[1]));
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->treeSize, 2u);
  EXPECT_EQ(head->root, merkleRoot(entryLines));
  EXPECT_EQ(head->keyId, key_.publicKey().keyId());
  EXPECT_TRUE(key_.publicKey().verify(bytesOf(head->signedBytes()), head->signature));
  EXPECT_EQ(head->signedBytes(),
            "mamori-ledger-head-v1\n2\n" + toHex(head->root) + "\n" + head->time + "\n");

  const nlohmann::json e1 = nlohmann::json::parse(entryLines[1]);
  EXPECT_EQ(e1.at("seq"), 1);
  EXPECT_EQ(e1.at("selected"), 3);
  const std::string time = e1.at("time");
  ASSERT_GE(time.size(), 20u);
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_EQ(time[10], 'T');

  const LedgerVerification v = verify();
  EXPECT_TRUE(v.ok) << dump(v);
  EXPECT_EQ(v.entries, 2u);
  EXPECT_EQ(v.signedSize, 2u);

  // Reopen and continue: the tree continues where it stopped.
  {
    auto ledger = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_TRUE(ledger.ok()) << ledger.error().message;
    EXPECT_EQ(ledger->size(), 2u);
    EXPECT_EQ(ledger->latestHead().root, head->root);
    for (int i = 0; i < 9; ++i) ASSERT_TRUE(ledger->append({{"i", i}}).ok());
    EXPECT_EQ(ledger->latestHead().root, merkleRoot(lines(readFile(entries()))));
  }
  const LedgerVerification v2 = verify();
  EXPECT_TRUE(v2.ok) << dump(v2);
  EXPECT_EQ(v2.entries, 11u);

  auto read = readLedgerEntries(ledgerDir());
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 11u);
  EXPECT_EQ((*read)[0].at("event"), "run_start");
  EXPECT_EQ((*read)[10].at("i"), 8);
}

TEST_F(LedgerTest, IncrementalRootMatchesDefinitionAtEverySize) {
  auto ledger = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(ledger.ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(ledger->append({{"i", i}}).ok());
    ASSERT_EQ(ledger->latestHead().root, merkleRoot(lines(readFile(entries())))) << i;
  }
}

// ---- batches ----

std::vector<nlohmann::json> batchOf(int from, int count) {
  std::vector<nlohmann::json> out;
  for (int i = from; i < from + count; ++i) out.push_back({{"event", "audit"}, {"n", i}});
  return out;
}

TEST_F(LedgerTest, AppendBatchWritesAllLinesUnderOneHead) {
  {
    auto ledger = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_TRUE(ledger.ok()) << ledger.error().message;
    EXPECT_TRUE(ledger->lastBatch().empty());
    ASSERT_TRUE(ledger->append({{"event", "start"}}).ok());
    auto first = ledger->appendBatch(batchOf(0, 5));
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(*first, 1u);
    EXPECT_EQ(ledger->size(), 6u);
    EXPECT_EQ(ledger->latestHead().treeSize, 6u);
    const std::vector<nlohmann::json> last = ledger->lastBatch();
    ASSERT_EQ(last.size(), 5u);
    for (size_t i = 0; i < last.size(); ++i) {
      EXPECT_EQ(last[i].at("n"), i);
      EXPECT_EQ(last[i].at("seq"), i + 1);
      EXPECT_EQ(last[i].at("time"), last[0].at("time"));  // one time for the batch
    }
    ASSERT_TRUE(ledger->appendBatch(batchOf(5, 1)).ok());
    EXPECT_EQ(ledger->lastBatch().size(), 1u);
    // An empty batch writes nothing, not even a head.
    auto none = ledger->appendBatch({});
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(*none, 7u);
  }
  // One head per batch: start, the batch of five, the batch of one.
  const std::vector<std::string> entryLines = lines(readFile(entries()));
  const std::vector<std::string> headLines = lines(readFile(heads()));
  ASSERT_EQ(entryLines.size(), 7u);
  ASSERT_EQ(headLines.size(), 3u);
  std::vector<uint64_t> sizes;
  for (const std::string& h : headLines) {
    auto head = SignedTreeHead::fromJson(nlohmann::json::parse(h));
    ASSERT_TRUE(head.ok());
    sizes.push_back(head->treeSize);
    EXPECT_EQ(head->root, merkleRoot({entryLines.begin(), entryLines.begin() + head->treeSize}));
  }
  EXPECT_EQ(sizes, (std::vector<uint64_t>{1, 6, 7}));
  const LedgerVerification v = verify();
  EXPECT_TRUE(v.ok) << dump(v);
  EXPECT_EQ(v.entries, 7u);
  EXPECT_EQ(v.signedSize, 7u);

  // After a reopen the last batch is read from disk: what the latest head added.
  auto ledger = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(ledger.ok()) << ledger.error().message;
  const std::vector<nlohmann::json> last = ledger->lastBatch();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].at("n"), 5);
  EXPECT_EQ(last[0].at("seq"), 6);
}

TEST_F(LedgerTest, LastBatchAfterReopenIsTheWholeBatch) {
  {
    auto ledger = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_TRUE(ledger.ok());
    ASSERT_TRUE(ledger->appendBatch(batchOf(0, 3)).ok());
    ASSERT_TRUE(ledger->appendBatch(batchOf(3, 4)).ok());
  }
  auto ledger = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(ledger.ok());
  const std::vector<nlohmann::json> last = ledger->lastBatch();
  ASSERT_EQ(last.size(), 4u);
  EXPECT_EQ(last.front().at("n"), 3);
  EXPECT_EQ(last.back().at("n"), 6);
}

TEST_F(LedgerTest, BatchRootsMatchDefinitionForEveryBatchSize) {
  auto ledger = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(ledger.ok());
  int n = 0;
  for (int size = 1; size <= 17; ++size) {
    ASSERT_TRUE(ledger->appendBatch(batchOf(n, size)).ok());
    n += size;
    ASSERT_EQ(ledger->latestHead().root, merkleRoot(lines(readFile(entries())))) << size;
  }
  EXPECT_EQ(ledger->size(), static_cast<uint64_t>(n));
  const LedgerVerification v = verify();
  EXPECT_TRUE(v.ok) << dump(v);
  EXPECT_EQ(lines(readFile(heads())).size(), 17u);
}

TEST_F(LedgerTest, ABadEntryRefusesTheWholeBatchWithNothingWritten) {
  auto ledger = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(ledger.ok());
  ASSERT_TRUE(ledger->appendBatch(batchOf(0, 2)).ok());
  const std::string entriesBefore = readFile(entries());
  const std::string headsBefore = readFile(heads());

  std::vector<nlohmann::json> reserved = batchOf(2, 3);
  reserved[1]["seq"] = 9;
  auto r = ledger->appendBatch(reserved);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("entry 1 of the batch must not set the reserved field \"seq\""),
            std::string::npos)
      << r.error().message;

  std::vector<nlohmann::json> notObject = batchOf(2, 3);
  notObject[2] = nlohmann::json::array({1});
  EXPECT_FALSE(ledger->appendBatch(notObject).ok());

  std::vector<nlohmann::json> badUtf8 = batchOf(2, 3);
  badUtf8[2]["text"] = std::string("\xff\xfe");
  auto bad = ledger->appendBatch(badUtf8);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("cannot be serialized"), std::string::npos);

  auto tooMany =
      ledger->appendBatch(batchOf(2, static_cast<int>(HandlingLedger::kMaxBatchEntries) + 1));
  ASSERT_FALSE(tooMany.ok());
  EXPECT_NE(tooMany.error().message.find("at most"), std::string::npos);

  EXPECT_EQ(readFile(entries()), entriesBefore);
  EXPECT_EQ(readFile(heads()), headsBefore);
  EXPECT_EQ(ledger->size(), 2u);
  // The object still works: a refused batch is not a write failure.
  auto ok = ledger->appendBatch(batchOf(2, static_cast<int>(HandlingLedger::kMaxBatchEntries)));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok, 2u);
  EXPECT_TRUE(verify().ok);
}

TEST_F(LedgerTest, EmptyLedgerVerifies) {
  const LedgerVerification missing = verify();
  EXPECT_TRUE(missing.ok) << dump(missing);
  EXPECT_EQ(missing.entries, 0u);
  { ASSERT_TRUE(HandlingLedger::open(ledgerDir(), key_).ok()); }
  EXPECT_TRUE(verify().ok);
  auto read = readLedgerEntries(ledgerDir());
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST_F(LedgerTest, RejectsReservedFieldsAndNonObjects) {
  auto ledger = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(ledger.ok());
  EXPECT_FALSE(ledger->append({{"seq", 5}}).ok());
  EXPECT_FALSE(ledger->append({{"time", "now"}}).ok());
  EXPECT_FALSE(ledger->append(nlohmann::json::array({1, 2})).ok());
  EXPECT_EQ(ledger->size(), 0u);
  ASSERT_TRUE(ledger->append({{"ok", true}}).ok());
  EXPECT_TRUE(verify().ok);
}

TEST_F(LedgerTest, DetectsOneAlteredByte) {
  fill(5);
  std::string text = readFile(entries());
  const size_t pos = text.find("\"run\"", text.find('\n') + 1);  // in the second entry
  ASSERT_NE(pos, std::string::npos);
  text[pos + 1] = 'R';
  writeFile(entries(), text);
  const LedgerVerification v = verify();
  EXPECT_FALSE(v.ok);
  // Heads 1 covers only entry 1: still fine; heads 2..5 cover the altered entry.
  EXPECT_FALSE(hasProblem(v, "heads.ndjson line 1:")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 2: root does not match")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 5: root does not match")) << dump(v);
  EXPECT_EQ(v.signedSize, 1u);
  // Never append to a tampered ledger.
  auto reopened = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("refusing to append"), std::string::npos);
}

TEST_F(LedgerTest, DetectsRemovedLine) {
  fill(4);
  std::vector<std::string> ls = lines(readFile(entries()));
  ls.erase(ls.begin() + 1);
  writeFile(entries(), joinLines(ls));
  const LedgerVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(hasProblem(v, "entries.ndjson line 2: seq is 2, expected 1")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 4: tree_size 4 exceeds the 3 entries")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 2: root does not match")) << dump(v);
}

TEST_F(LedgerTest, DetectsSwappedLines) {
  fill(4);
  std::vector<std::string> ls = lines(readFile(entries()));
  std::swap(ls[1], ls[2]);
  writeFile(entries(), joinLines(ls));
  const LedgerVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(hasProblem(v, "entries.ndjson line 2: seq is 2, expected 1")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "entries.ndjson line 3: seq is 1, expected 2")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 2: root does not match")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 4: root does not match")) << dump(v);
}

TEST_F(LedgerTest, DetectsLineAppendedByHand) {
  fill(3);
  std::string text = readFile(entries());
  text += R"({"event":"forged","seq":3,"time":"2030-01-01T00:00:00.000000Z"})"
          "\n";
  writeFile(entries(), text);
  const LedgerVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.entries, 4u);
  EXPECT_EQ(v.signedSize, 3u);
  EXPECT_TRUE(hasProblem(v, "1 entries after the last signed head: appended outside the ledger"))
      << dump(v);
  EXPECT_EQ(v.problems.size(), 1u) << dump(v);
  EXPECT_FALSE(HandlingLedger::open(ledgerDir(), key_).ok());
}

TEST_F(LedgerTest, DetectsEditedHead) {
  fill(3);
  std::vector<std::string> hs = lines(readFile(heads()));
  nlohmann::json h = nlohmann::json::parse(hs[2]);
  h["time"] = "2001-01-01T00:00:00.000000Z";
  hs[2] = h.dump();
  writeFile(heads(), joinLines(hs));
  const LedgerVerification v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 3: signature does not verify")) << dump(v);
  EXPECT_EQ(v.signedSize, 2u);
  EXPECT_TRUE(hasProblem(v, "entries 3..3 are not covered by a valid signed head")) << dump(v);

  // A head re-signed by an attacker's own key is named by its key id.
  const SigningKey attacker = SigningKey::generate();
  SignedTreeHead forged = SignedTreeHead::fromJson(nlohmann::json::parse(hs[2])).valueOrThrow();
  forged.keyId = attacker.publicKey().keyId();
  forged.signature = attacker.sign(bytesOf(forged.signedBytes()));
  hs[2] = forged.toJson().dump();
  writeFile(heads(), joinLines(hs));
  const LedgerVerification v2 = verify();
  EXPECT_TRUE(hasProblem(v2, "heads.ndjson line 3: key_id " + attacker.publicKey().keyId()))
      << dump(v2);
}

TEST_F(LedgerTest, DetectsMalformedLines) {
  fill(2);
  writeFile(heads(), readFile(heads()) + "{broken\n");
  std::string text = readFile(entries());
  writeFile(entries(), text + "{\"seq\":2");  // torn final write, no newline
  const LedgerVerification v = verify();
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 3: not valid JSON")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "entries.ndjson line 3: incomplete")) << dump(v);
  EXPECT_TRUE(hasProblem(v, "entries.ndjson line 3: not valid JSON")) << dump(v);
  auto read = readLedgerEntries(ledgerDir());
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("line 3"), std::string::npos);
}

TEST_F(LedgerTest, TruncationDetectedOnlyAgainstWitnessedHead) {
  SignedTreeHead witnessed;
  {
    auto ledger = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_TRUE(ledger.ok());
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(ledger->append({{"i", i}}).ok());
    witnessed = ledger->latestHead();
  }
  EXPECT_TRUE(verify(witnessed).ok);

  // Cut the last two entries and their heads: internally consistent again.
  std::vector<std::string> es = lines(readFile(entries()));
  std::vector<std::string> hs = lines(readFile(heads()));
  es.resize(4);
  hs.resize(4);
  writeFile(entries(), joinLines(es));
  writeFile(heads(), joinLines(hs));
  EXPECT_TRUE(verify().ok) << dump(verify());
  const LedgerVerification v = verify(witnessed);
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(hasProblem(v, "witnessed head covers 6 entries but the ledger has only 4"))
      << dump(v);

  // A rewritten history of the same length does not match the witnessed root either.
  std::filesystem::remove(entries());
  std::filesystem::remove(heads());
  fill(6);
  const LedgerVerification rewritten = verify(witnessed);
  EXPECT_TRUE(hasProblem(rewritten, "witnessed head (tree size 6) does not match"))
      << dump(rewritten);

  // A witnessed head that was itself tampered with is reported as such.
  SignedTreeHead bad = witnessed;
  bad.treeSize = 3;
  EXPECT_TRUE(hasProblem(verify(bad), "witnessed head: signature does not verify"));
}

TEST_F(LedgerTest, WrongTrustKeyFailsEveryHead) {
  fill(2);
  const VerifyKey other = SigningKey::generate().publicKey();
  const LedgerVerification v = verifyLedger(ledgerDir(), other);
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 1: key_id " + key_.publicKey().keyId() +
                                " is not the trusted key " + other.keyId()))
      << dump(v);
  EXPECT_TRUE(hasProblem(v, "heads.ndjson line 2: key_id")) << dump(v);
  EXPECT_EQ(v.signedSize, 0u);
  // Opening with another signing key is refused too (its public half is the trust anchor).
  auto other_open = HandlingLedger::open(ledgerDir(), SigningKey::generate());
  ASSERT_FALSE(other_open.ok());
  EXPECT_NE(other_open.error().message.find("does not verify"), std::string::npos);
}

TEST_F(LedgerTest, SecondOpenWhileLockedFails) {
  auto first = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(first.ok());
  auto second = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message,
            "ledger " + ledgerDir().string() + " is in use by another process");

  // Moving the ledger keeps the lock; destroying it releases the lock.
  {
    HandlingLedger moved(std::move(*first));
    EXPECT_FALSE(HandlingLedger::open(ledgerDir(), key_).ok());
    ASSERT_TRUE(moved.append({{"after", "move"}}).ok());
    EXPECT_FALSE(first->append({{"from", "moved-out"}}).ok());
  }
  auto third = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_EQ(third->size(), 1u);
}

// ---- crash repair ----

constexpr const char* kRepairHint =
    "if the sensor crashed during a write, run `mamori ledger repair`";

std::string sha256Hex(const std::string& s) {
  return toHex(sha256(std::string_view(s)));
}

class LedgerRepairTest : public LedgerTest {
 protected:
  // A head for the first `size` entry lines on disk, signed with `key` (what append() would have
  // written had it not crashed).
  std::string headLine(uint64_t size, const SigningKey& key) const {
    std::vector<std::string> es = lines(readFile(entries()));
    es.resize(size);
    SignedTreeHead h;
    h.treeSize = size;
    h.root = merkleRoot(es);
    h.time = "2026-01-01T00:00:00.000000Z";
    h.keyId = key.publicKey().keyId();
    h.signature = key.sign(bytesOf(h.signedBytes()));
    return h.toJson().dump();
  }

  std::vector<std::filesystem::path> quarantineFiles() const {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(ledgerDir())) {
      if (e.path().filename().string().rfind("quarantine-", 0) == 0) out.push_back(e.path());
    }
    return out;
  }

  // Checks a repair that must remove `removed` (the exact tail bytes of entries then heads) and
  // `removedEntries` entry lines from a ledger of `kept` good entries, then that it works again.
  void expectRepaired(const std::string& removed, uint64_t removedEntries, uint64_t kept) {
    auto refused = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_FALSE(refused.ok());
    const std::string& msg = refused.error().message;
    EXPECT_TRUE(msg.ends_with(kRepairHint)) << msg;

    auto repair = repairLedger(ledgerDir(), key_);
    ASSERT_TRUE(repair.ok()) << repair.error().message;
    EXPECT_FALSE(repair->nothingToDo);
    EXPECT_EQ(repair->keptEntries, kept);
    EXPECT_EQ(repair->removedEntries, removedEntries);
    EXPECT_EQ(repair->removedBytes, removed.size());

    const std::filesystem::path q = ledgerDir() / repair->quarantineFile;
    EXPECT_EQ(quarantineFiles(), std::vector<std::filesystem::path>{q});
    EXPECT_EQ(readFile(q), removed);
    struct stat st {};
    ASSERT_EQ(::stat(q.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    const LedgerVerification v = verify();
    EXPECT_TRUE(v.ok) << dump(v);
    EXPECT_EQ(v.entries, kept + 1);
    auto read = readLedgerEntries(ledgerDir());
    ASSERT_TRUE(read.ok());
    const nlohmann::json& last = read->back();
    EXPECT_EQ(last.at("type"), "ledger-repair");
    EXPECT_EQ(last.at("seq"), kept);
    EXPECT_EQ(last.at("removed_entries"), removedEntries);
    EXPECT_EQ(last.at("removed_bytes"), removed.size());
    EXPECT_EQ(last.at("removed_sha256"), sha256Hex(removed));
    EXPECT_EQ(last.at("quarantine"), repair->quarantineFile);

    {
      auto reopened = HandlingLedger::open(ledgerDir(), key_);
      ASSERT_TRUE(reopened.ok()) << reopened.error().message;
      ASSERT_TRUE(reopened->append({{"after", "repair"}}).ok());
    }
    const LedgerVerification after = verify();
    EXPECT_TRUE(after.ok) << dump(after);
    EXPECT_EQ(after.entries, kept + 2);
  }

  // Tampering is refused with nothing touched.
  void expectRefused(const std::string& fragment) {
    const std::string entriesBefore = readFile(entries());
    const std::string headsBefore = readFile(heads());
    auto refused = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message.find(kRepairHint), std::string::npos)
        << refused.error().message;
    auto repair = repairLedger(ledgerDir(), key_);
    ASSERT_FALSE(repair.ok());
    const std::string& msg = repair.error().message;
    EXPECT_EQ(
        msg.rfind("ledger " + ledgerDir().string() + " does not verify in a way a crash explains: ",
                  0),
        0u)
        << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    EXPECT_TRUE(msg.ends_with("; not repairing")) << msg;
    EXPECT_EQ(readFile(entries()), entriesBefore);
    EXPECT_EQ(readFile(heads()), headsBefore);
    EXPECT_TRUE(quarantineFiles().empty());
  }
};

TEST_F(LedgerRepairTest, EntryWithoutHead) {
  fill(3);
  const std::string line = R"({"event":"run","n":3,"seq":3,"time":"2026-01-01T00:00:00.000000Z"})"
                           "\n";
  writeFile(entries(), readFile(entries()) + line);
  expectRepaired(line, 1, 3);
}

TEST_F(LedgerRepairTest, TornEntryLine) {
  fill(3);
  const std::string torn = R"({"event":"run","n":3,"se)";
  writeFile(entries(), readFile(entries()) + torn);
  expectRepaired(torn, 1, 3);
}

TEST_F(LedgerRepairTest, TornHeadLineAfterCompleteEntry) {
  fill(2);
  const std::string line = R"({"event":"run","n":2,"seq":2,"time":"2026-01-01T00:00:00.000000Z"})"
                           "\n";
  writeFile(entries(), readFile(entries()) + line);
  // A head cut in its middle, and one written whole but for its newline: both are torn.
  for (const std::string& tornHead : {headLine(3, key_).substr(0, 40), headLine(3, key_)}) {
    SCOPED_TRACE(tornHead);
    const std::string entriesBefore = readFile(entries());
    const std::string headsBefore = readFile(heads());
    writeFile(heads(), headsBefore + tornHead);
    expectRepaired(line + tornHead, 1, 2);
    // Back to the crash state for the next round (quarantine files removed).
    writeFile(entries(), entriesBefore);
    writeFile(heads(), headsBefore);
    for (const auto& q : quarantineFiles()) std::filesystem::remove(q);
  }
}

TEST_F(LedgerRepairTest, CrashInFirstAppend) {
  { ASSERT_TRUE(HandlingLedger::open(ledgerDir(), key_).ok()); }
  const std::string torn = R"({"type":"run-st)";
  writeFile(entries(), torn);
  expectRepaired(torn, 1, 0);
}

TEST_F(LedgerRepairTest, NothingToDo) {
  fill(2);
  const std::string entriesBefore = readFile(entries());
  const std::string headsBefore = readFile(heads());
  auto repair = repairLedger(ledgerDir(), key_);
  ASSERT_TRUE(repair.ok()) << repair.error().message;
  EXPECT_TRUE(repair->nothingToDo);
  EXPECT_EQ(repair->keptEntries, 2u);
  EXPECT_EQ(repair->removedEntries, 0u);
  EXPECT_TRUE(repair->quarantineFile.empty());
  EXPECT_EQ(readFile(entries()), entriesBefore);
  EXPECT_EQ(readFile(heads()), headsBefore);
  EXPECT_TRUE(quarantineFiles().empty());
}

TEST_F(LedgerRepairTest, TakesTheLedgerLock) {
  fill(1);
  auto open = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(open.ok());
  auto repair = repairLedger(ledgerDir(), key_);
  ASSERT_FALSE(repair.ok());
  EXPECT_NE(repair.error().message.find("in use by another process"), std::string::npos);
}

TEST_F(LedgerRepairTest, RefusesEditedEntry) {
  fill(4);
  std::string text = readFile(entries());
  text[text.find("\"n\":1") + 4] = '7';
  writeFile(entries(), text);
  expectRefused("heads.ndjson line 2: root does not match");
}

TEST_F(LedgerRepairTest, RefusesEditedEntryEvenWithACrashTail) {
  fill(4);
  std::string text = readFile(entries());
  text[text.find("\"n\":1") + 4] = '7';
  writeFile(entries(), text + R"({"event":"run","n":4,"se)");
  expectRefused("heads.ndjson line 2: root does not match");
}

TEST_F(LedgerRepairTest, RefusesSwappedEntries) {
  fill(4);
  std::vector<std::string> es = lines(readFile(entries()));
  std::swap(es[2], es[3]);
  writeFile(entries(), joinLines(es));
  expectRefused("seq is 3, expected 2");
}

TEST_F(LedgerRepairTest, RefusesForgedHead) {
  fill(3);
  // An entry added by hand, "covered" by a head signed with another key.
  writeFile(entries(), readFile(entries()) +
                           R"({"event":"forged","seq":3,"time":"2026-01-01T00:00:00.000000Z"})"
                           "\n");
  writeFile(heads(), readFile(heads()) + headLine(4, SigningKey::generate()) + "\n");
  expectRefused("heads.ndjson line 4: key_id");
}

TEST_F(LedgerRepairTest, RefusesBadHeadInTheMiddle) {
  fill(3);
  std::vector<std::string> hs = lines(readFile(heads()));
  nlohmann::json h = nlohmann::json::parse(hs[1]);
  h["time"] = "2001-01-01T00:00:00.000000Z";
  hs[1] = h.dump();
  writeFile(heads(), joinLines(hs));
  expectRefused("heads.ndjson line 2: signature does not verify");
}

// A line numbered on from `seq` as appendBatch() writes it.
std::string entryLine(uint64_t seq) {
  return R"({"event":"audit","seq":)" + std::to_string(seq) +
         R"(,"time":"2026-01-01T00:00:00.000000Z"})"
         "\n";
}

TEST_F(LedgerRepairTest, RefusesMoreUncoveredEntriesThanOneBatch) {
  fill(2);
  std::string text = readFile(entries());
  for (uint64_t i = 2; i < 2 + HandlingLedger::kMaxBatchEntries + 1; ++i) text += entryLine(i);
  writeFile(entries(), text);
  expectRefused(std::to_string(HandlingLedger::kMaxBatchEntries + 1) +
                " entries after the last signed head");
  expectRefused("a crash leaves at most " + std::to_string(HandlingLedger::kMaxBatchEntries) +
                " entries (one batch) without their head");
}

TEST_F(LedgerRepairTest, AWholeBatchWithoutItsHead) {
  fill(2);
  std::string tail;
  for (uint64_t i = 2; i < 2 + HandlingLedger::kMaxBatchEntries; ++i) tail += entryLine(i);
  writeFile(entries(), readFile(entries()) + tail);
  expectRepaired(tail, HandlingLedger::kMaxBatchEntries, 2);
}

TEST_F(LedgerRepairTest, RefusesATailAnAppendDoesNotWrite) {
  fill(2);
  const std::string good = readFile(entries());
  // Numbered wrongly (an entry of the batch missing): not a prefix of a batch.
  writeFile(entries(), good + entryLine(2) + entryLine(4));
  expectRefused("entries.ndjson line 4 after the last signed head is not an entry");
  // A complete line that is not an entry at all.
  writeFile(entries(), good + entryLine(2) + "not json\n" + R"({"seq":4,"ti)");
  expectRefused("entries.ndjson line 4 after the last signed head is not an entry");
}

// The crash itself: the bytes of a real batch cut at every line boundary and inside lines, with
// and without a torn head, each repaired to the entries before the batch.
TEST_F(LedgerRepairTest, CrashAnywhereInsideABatch) {
  fill(3);
  const std::string entriesBefore = readFile(entries());
  const std::string headsBefore = readFile(heads());
  {
    auto ledger = HandlingLedger::open(ledgerDir(), key_);
    ASSERT_TRUE(ledger.ok());
    ASSERT_TRUE(ledger->appendBatch(batchOf(3, 6)).ok());
  }
  const std::string batch = readFile(entries()).substr(entriesBefore.size());
  const std::string head = readFile(heads()).substr(headsBefore.size());
  ASSERT_EQ(std::count(batch.begin(), batch.end(), '\n'), 6);

  std::vector<size_t> cuts;
  for (size_t at = 0; at < batch.size(); at = batch.find('\n', at) + 1) {
    cuts.push_back(at);      // after a complete line (0: nothing of the batch written)
    cuts.push_back(at + 7);  // inside the next line
  }
  cuts.push_back(batch.size());  // every line written, the head not
  for (const size_t cut : cuts) {
    for (const bool tornHead : {false, true}) {
      if (cut == 0 && !tornHead) continue;  // nothing of the batch reached the disk
      SCOPED_TRACE("cut at " + std::to_string(cut) + (tornHead ? ", torn head" : ""));
      const std::string entryTail = batch.substr(0, cut);
      const std::string headTail = tornHead ? head.substr(0, head.size() / 2) : "";
      writeFile(entries(), entriesBefore + entryTail);
      writeFile(heads(), headsBefore + headTail);
      const uint64_t removed =
          static_cast<uint64_t>(std::count(entryTail.begin(), entryTail.end(), '\n') +
                                (entryTail.empty() || entryTail.back() == '\n' ? 0 : 1));
      expectRepaired(entryTail + headTail, removed, 3);
      for (const auto& q : quarantineFiles()) std::filesystem::remove(q);
    }
  }
  // Once the head is written whole the batch is signed: nothing to repair, and nothing lost.
  writeFile(entries(), entriesBefore + batch);
  writeFile(heads(), headsBefore + head);
  auto repair = repairLedger(ledgerDir(), key_);
  ASSERT_TRUE(repair.ok()) << repair.error().message;
  EXPECT_TRUE(repair->nothingToDo);
  EXPECT_EQ(repair->keptEntries, 9u);
}

TEST_F(LedgerRepairTest, AfterARepairTheLastBatchIsTheRepairEntry) {
  fill(2);
  writeFile(entries(), readFile(entries()) + entryLine(2) + entryLine(3));
  ASSERT_TRUE(repairLedger(ledgerDir(), key_).ok());
  auto ledger = HandlingLedger::open(ledgerDir(), key_);
  ASSERT_TRUE(ledger.ok()) << ledger.error().message;
  const std::vector<nlohmann::json> last = ledger->lastBatch();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].at("type"), "ledger-repair");
  EXPECT_EQ(last[0].at("removed_entries"), 2);
}

TEST(SignedTreeHeadTest, JsonRoundTripAndValidation) {
  const SigningKey key = SigningKey::generate();
  SignedTreeHead h;
  h.treeSize = 12;
  h.root = sha256(std::string_view("x"));
  h.time = "2026-01-02T03:04:05.000000Z";
  h.keyId = key.publicKey().keyId();
  h.signature = key.sign(bytesOf(h.signedBytes()));
  const nlohmann::json j = h.toJson();
  EXPECT_EQ(j.at("tree_size"), 12);
  EXPECT_EQ(j.at("root"), toHex(h.root));
  EXPECT_EQ(j.at("sig"), base64Encode(h.signature));
  auto back = SignedTreeHead::fromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->treeSize, h.treeSize);
  EXPECT_EQ(back->root, h.root);
  EXPECT_EQ(back->time, h.time);
  EXPECT_EQ(back->keyId, h.keyId);
  EXPECT_EQ(back->signature, h.signature);

  nlohmann::json bad = j;
  bad["tree_size"] = -1;
  EXPECT_FALSE(SignedTreeHead::fromJson(bad).ok());
  bad = j;
  bad["root"] = "abcd";
  EXPECT_FALSE(SignedTreeHead::fromJson(bad).ok());
  bad = j;
  bad.erase("sig");
  EXPECT_FALSE(SignedTreeHead::fromJson(bad).ok());
}

}  // namespace
}  // namespace mamori
