#include "mamori/core/domain_set.h"

#include <cstring>
#include <limits>
#include <span>

#include "mamori/core/crypto.h"

namespace mamori {

namespace {

enum class NameProblem { kNone, kEmpty, kTooLong, kEmptyLabel, kLabelTooLong };

constexpr size_t kMaxNameLength = 253;  // RFC 1035 255 octets on the wire, minus length octets
constexpr size_t kMaxLabelLength = 63;

// Normalizes into buf (lowercase, one trailing dot removed) and validates; *length is set when the
// name is valid.
NameProblem normalizeInto(std::string_view name, char* buf, size_t* length) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return NameProblem::kEmpty;
  if (name.size() > kMaxNameLength) return NameProblem::kTooLong;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return NameProblem::kEmptyLabel;
      label = 0;
    } else {
      if (++label > kMaxLabelLength) return NameProblem::kLabelTooLong;
      // ASCII only: DNS compares names case-insensitively for A-Z alone (RFC 4343).
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    buf[i] = c;
  }
  if (label == 0) return NameProblem::kEmptyLabel;  // "a..": one dot stripped, one left
  *length = name.size();
  return NameProblem::kNone;
}

// The seed is drawn once per process: the names hashed come from the network, and a seed an
// attacker cannot learn keeps them from choosing names that all land in one probe chain.
uint64_t processSeed() {
  static const uint64_t seed = [] {
    uint8_t bytes[8];
    randomBytes(std::span<uint8_t>(bytes));
    uint64_t s;
    std::memcpy(&s, bytes, sizeof s);
    return s;
  }();
  return seed;
}

// __extension__: -Wpedantic rejects __int128, which GCC and Clang both provide on 64-bit targets.
__extension__ typedef unsigned __int128 Wide;

constexpr uint64_t kMul0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kMul1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kMul2 = 0x8ebc6af09c88c6e3ULL;

// 64x64 -> 128 multiply folded to 64 bits: every input bit reaches every output bit in one step.
inline uint64_t fold(uint64_t a, uint64_t b) {
  const Wide r = Wide{a} * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t load(const char* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

}  // namespace

DomainSuffixSet::DomainSuffixSet() : seed_(processSeed()) {}

int DomainSuffixSet::normalize(std::string_view name, char (&buf)[kMaxName]) {
  size_t length = 0;
  if (normalizeInto(name, buf, &length) != NameProblem::kNone) return -1;
  return static_cast<int>(length);
}

uint64_t DomainSuffixSet::hash(std::string_view s) const {
  // The seed enters every round, so no chunk value known to an attacker can zero a multiplier
  // and cancel the state (the weakness of plain multiply-fold hashes).
  uint64_t h = seed_ ^ (s.size() * kMul0);
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; n -= 8, p += 8) h = fold(load(p, 8) ^ seed_ ^ kMul1, h ^ kMul2);
  if (n > 0) h = fold(load(p, n) ^ seed_ ^ kMul1, h ^ kMul0);
  h = fold(h ^ kMul1, s.size() ^ seed_ ^ kMul2);
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}

void DomainSuffixSet::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{0, 0, 0, 0});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.hash == 0) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

Result<void> DomainSuffixSet::add(std::string_view domain, uint32_t tag) {
  char buf[kMaxName];
  size_t length = 0;
  switch (normalizeInto(domain, buf, &length)) {
    case NameProblem::kNone:
      break;
    case NameProblem::kEmpty:
      return makeError("empty domain name");
    case NameProblem::kTooLong:
      return makeError("domain name longer than 253 bytes: '" + std::string(domain.substr(0, 64)) +
                       "...'");
    case NameProblem::kEmptyLabel:
      return makeError("domain name with an empty label: '" + std::string(domain) + "'");
    case NameProblem::kLabelTooLong:
      return makeError("domain name with a label longer than 63 bytes: '" + std::string(domain) +
                       "'");
  }
  const std::string_view key(buf, length);
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const uint64_t h = hash(key);
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  bool known = false;
  uint32_t offset = 0;
  for (; slots_[i].hash != 0; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.hash == h && slot.length == length &&
        std::string_view(arena_.data() + slot.offset, slot.length) == key) {
      if (slot.tag == tag) return {};  // already present: reporting a tag twice helps nobody
      known = true;                    // same name, another tag: share the arena bytes
      offset = slot.offset;
    }
  }
  if (!known) {
    if (arena_.size() + length > std::numeric_limits<uint32_t>::max())
      return makeError("domain set too large");
    offset = static_cast<uint32_t>(arena_.size());
    arena_.append(key);
  }
  slots_[i] = Slot{h, offset, tag, static_cast<uint8_t>(length)};
  ++count_;
  return {};
}

size_t DomainSuffixSet::memoryBytes() const {
  return sizeof(*this) + slots_.capacity() * sizeof(Slot) + arena_.capacity();
}

}  // namespace mamori
