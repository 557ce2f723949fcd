#include "mamori/dns/cache.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "lock_guarded.h"
#include "mamori/core/siphash.h"

namespace mamori::dns {

namespace {

// Rough heap cost of one unordered_map node plus its bucket pointer, charged to every entry so
// that the bound covers bookkeeping and not just payload bytes.
constexpr size_t kNodeOverhead = 64;
constexpr size_t kMaxKey = kMaxNameWire + 5;  // name, type, class, DO

void store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Writes the key for (name, type, class, DO) into buf; returns its length.
size_t makeKey(const Name& name, uint16_t qtype, uint16_t qclass, bool dnssecOk,
               uint8_t (&buf)[kMaxKey]) {
  const auto wire = name.wire();
  for (size_t i = 0; i < wire.size(); ++i) buf[i] = lowerAscii(wire[i]);
  size_t n = wire.size();
  buf[n++] = static_cast<uint8_t>(qtype >> 8);
  buf[n++] = static_cast<uint8_t>(qtype);
  buf[n++] = static_cast<uint8_t>(qclass >> 8);
  buf[n++] = static_cast<uint8_t>(qclass);
  buf[n++] = dnssecOk ? 1 : 0;
  return n;
}

std::string_view asView(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p),
          n};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): key bytes as a map key
}

struct Entry {
  Entry* prev = nullptr;  // towards the most recently used
  Entry* next = nullptr;
  int64_t insertedMicros = 0;
  uint32_t ttl = 0;
  uint16_t keyLength = 0;
  uint16_t messageLength = 0;
  uint16_t ttlCount = 0;
  bool negative = false;
  size_t charge = 0;
  std::unique_ptr<uint8_t[]> data;  // key | message | TTL offsets (uint16_t, native order)

  std::string_view key() const { return asView(data.get(), keyLength); }
  const uint8_t* message() const { return data.get() + keyLength; }
  uint16_t ttlOffset(size_t i) const {
    uint16_t v;
    std::memcpy(&v, data.get() + keyLength + messageLength + 2 * i, 2);
    return v;
  }
};

struct KeyHash {
  SipKey key;
  size_t operator()(std::string_view s) const { return sipHash24(key, s); }
};

struct ShardState {
  explicit ShardState(SipKey key) : map(16, KeyHash{key}) {}

  std::unordered_map<std::string_view, std::unique_ptr<Entry>, KeyHash> map;
  Entry* head = nullptr;  // most recently used
  Entry* tail = nullptr;
  size_t bytes = 0;
  uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0, expired = 0;

  void unlink(Entry* e) {
    (e->prev != nullptr ? e->prev->next : head) = e->next;
    (e->next != nullptr ? e->next->prev : tail) = e->prev;
    e->prev = e->next = nullptr;
  }
  void pushFront(Entry* e) {
    e->prev = nullptr;
    e->next = head;
    if (head != nullptr) head->prev = e;
    head = e;
    if (tail == nullptr) tail = e;
  }
  void erase(Entry* e) {
    unlink(e);
    bytes -= e->charge;
    map.erase(e->key());  // destroys e
  }
};

}  // namespace

struct Cache::Shard {
  explicit Shard(SipKey key) : state(key) {}
  LockGuarded<ShardState> state;
};

Cache::Cache(const CacheOptions& options) : options_(options) {
  options_.shards = std::max<size_t>(1, options_.shards);
  shardKey_ = randomSipKey();
  shards_.reserve(options_.shards);
  for (size_t i = 0; i < options_.shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(randomSipKey()));
  }
}

Cache::~Cache() = default;

namespace {

uint32_t clampTtl(uint32_t ttl, const CacheOptions& o) {
  return std::min(std::max(ttl, o.minTtl), o.maxTtl);
}

// NXDOMAIN, or NOERROR without a record of the asked type (NODATA, possibly after a CNAME chain).
bool isNegative(const Message& m) {
  if (m.rcode() == kRcodeNxDomain) return true;
  for (const Record& r : m.section(Section::kAnswer)) {
    if (r.type == m.question.type || m.question.type == kTypeAny) return false;
  }
  return true;
}

}  // namespace

bool Cache::insert(const Message& response, bool dnssecOk, int64_t nowMicros) {
  const Header& h = response.header;
  const uint16_t rcode = response.rcode();
  bool ok = h.qr && !h.tc && h.opcode == kOpcodeQuery && response.hasQuestion &&
            (rcode == kRcodeNoError || rcode == kRcodeNxDomain) &&
            // An uncompressed question, so that lookup() can write the client's spelling over it.
            response.questionEnd == kHeaderSize + response.question.name.wireLength() + 4;
  // The OPT record is the client's business, not the cache's: it must be the last record so
  // that cutting it off leaves every compression pointer valid.
  if (ok && response.edns.present && response.edns.recordEnd != response.wire.size()) ok = false;
  for (size_t i = 0; ok && i < response.records.size(); ++i) {
    if (response.records[i].type == kTypeTsig) ok = false;
  }
  const bool negative = ok && isNegative(response);
  uint32_t negativeTtl = 0;
  if (ok && negative) {
    // RFC 2308 5: a negative answer is cached for min(SOA TTL, SOA MINIMUM), and only with an SOA.
    bool haveSoa = false;
    for (const Record& r : response.section(Section::kAuthority)) {
      if (r.type != kTypeSoa || r.rdataLength < 20) continue;
      const uint32_t minimum = load32(&response.wire[r.end() - 4]);
      negativeTtl = std::min(r.ttl, minimum);
      haveSoa = true;
      break;
    }
    ok = haveSoa;
    negativeTtl = std::min(std::max(negativeTtl, options_.minTtl), options_.maxNegativeTtl);
  }
  if (ok && !negative && response.section(Section::kAnswer).empty()) ok = false;  // a referral

  uint32_t ttl = negative ? negativeTtl : options_.maxTtl;
  for (size_t i = 0; ok && i < response.records.size(); ++i) {
    uint32_t t = clampTtl(response.records[i].ttl, options_);
    if (negative) t = std::min(t, negativeTtl);
    ttl = std::min(ttl, t);
  }
  const size_t messageLength =
      response.edns.present ? response.edns.recordOffset : response.wire.size();
  const size_t ttlCount = response.records.size();
  uint8_t keyBuf[kMaxKey];
  const size_t keyLength = ok ? makeKey(response.question.name, response.question.type,
                                        response.question.qclass, dnssecOk, keyBuf)
                              : 0;
  const size_t dataSize = keyLength + messageLength + 2 * ttlCount;
  const size_t charge = sizeof(Entry) + dataSize + kNodeOverhead;
  const size_t budget = options_.maxBytes / options_.shards;
  if (!ok || ttl == 0 || charge > budget) {
    uncacheable_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  auto entry = std::make_unique<Entry>();
  entry->insertedMicros = nowMicros;
  entry->ttl = ttl;
  entry->negative = negative;
  entry->keyLength = static_cast<uint16_t>(keyLength);
  entry->messageLength = static_cast<uint16_t>(messageLength);
  entry->ttlCount = static_cast<uint16_t>(ttlCount);
  entry->charge = charge;
  entry->data = std::make_unique<uint8_t[]>(dataSize);
  uint8_t* d = entry->data.get();
  std::memcpy(d, keyBuf, keyLength);
  uint8_t* m = d + keyLength;
  std::memcpy(m, response.wire.data(), messageLength);
  m[0] = m[1] = 0;                      // id: each hit gets the client's
  m[2] &= static_cast<uint8_t>(~0x04);  // AA: a cached answer is not authoritative
  if (response.edns.present) {
    const uint16_t arcount = static_cast<uint16_t>(h.arcount - 1);
    m[10] = static_cast<uint8_t>(arcount >> 8);
    m[11] = static_cast<uint8_t>(arcount);
  }
  for (size_t i = 0; i < ttlCount; ++i) {
    const Record& r = response.records[i];
    uint32_t t = clampTtl(r.ttl, options_);
    if (negative) t = std::min(t, negativeTtl);
    store32(m + r.ttlOffset, t);
    std::memcpy(d + keyLength + messageLength + 2 * i, &r.ttlOffset, 2);
  }

  const uint64_t h64 = sipHash24(shardKey_, std::span<const uint8_t>(keyBuf, keyLength));
  Shard& shard = *shards_[h64 % shards_.size()];
  shard.state.with([&](ShardState& s) {
    if (const auto it = s.map.find(entry->key()); it != s.map.end()) s.erase(it->second.get());
    Entry* e = entry.get();
    s.map.emplace(e->key(), std::move(entry));
    s.pushFront(e);
    s.bytes += charge;
    ++s.inserts;
    while (s.bytes > budget && s.tail != nullptr && s.tail != e) {
      s.erase(s.tail);
      ++s.evictions;
    }
  });
  return true;
}

std::optional<CacheHit> Cache::lookup(const Name& qname, uint16_t qtype, uint16_t qclass,
                                      bool dnssecOk, uint16_t id, int64_t nowMicros,
                                      std::span<uint8_t> out) {
  uint8_t keyBuf[kMaxKey];
  const size_t keyLength = makeKey(qname, qtype, qclass, dnssecOk, keyBuf);
  const uint64_t h64 = sipHash24(shardKey_, std::span<const uint8_t>(keyBuf, keyLength));
  Shard& shard = *shards_[h64 % shards_.size()];
  const std::string_view key = asView(keyBuf, keyLength);
  std::optional<CacheHit> hit;
  shard.state.with([&](ShardState& s) {
    const auto it = s.map.find(key);
    if (it == s.map.end()) {
      ++s.misses;
      return;
    }
    Entry* e = it->second.get();
    const int64_t age = nowMicros > e->insertedMicros ? nowMicros - e->insertedMicros : 0;
    const auto elapsed = static_cast<uint64_t>(age / 1000000);
    if (elapsed >= e->ttl) {
      s.erase(e);
      ++s.expired;
      ++s.misses;
      return;
    }
    if (out.size() < e->messageLength) {
      ++s.misses;
      return;
    }
    const auto aged = static_cast<uint32_t>(elapsed);
    std::memcpy(out.data(), e->message(), e->messageLength);
    for (size_t i = 0; i < e->ttlCount; ++i) {
      uint8_t* p = out.data() + e->ttlOffset(i);
      store32(p, load32(p) - aged);  // stored TTLs are all >= the entry's TTL > aged
    }
    s.unlink(e);
    s.pushFront(e);
    ++s.hits;
    hit = CacheHit{e->messageLength, e->ttl - aged, e->negative};
  });
  if (!hit) return hit;
  out[0] = static_cast<uint8_t>(id >> 8);
  out[1] = static_cast<uint8_t>(id);
  // The stored question is the same name (the key says so), so of the same length: the client's
  // spelling goes over it, and answer names compressed against it follow.
  const auto wire = qname.wire();
  if (kHeaderSize + wire.size() <= hit->length)
    std::memcpy(&out[kHeaderSize], wire.data(), wire.size());
  return hit;
}

CacheStats Cache::stats() const {
  CacheStats total;
  for (const auto& shard : shards_) {
    shard->state.with([&](const ShardState& s) {
      total.hits += s.hits;
      total.misses += s.misses;
      total.inserts += s.inserts;
      total.evictions += s.evictions;
      total.expired += s.expired;
      total.entries += s.map.size();
      total.bytes += s.bytes;
    });
  }
  total.uncacheable = uncacheable_.load(std::memory_order_relaxed);
  return total;
}

void Cache::clear() {
  for (auto& shard : shards_) {
    shard->state.with([](ShardState& s) {
      s.head = s.tail = nullptr;
      s.map.clear();
      s.bytes = 0;
    });
  }
}

}  // namespace mamori::dns
