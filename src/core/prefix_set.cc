#include "mamori/core/prefix_set.h"

#include "mamori/core/secure_file.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

namespace mamori {

namespace {

// Interned, sorted-unique tag lists shared by both families, stored as [count, tags...] in one
// pool and named by their offset, so that a lookup reads the count and the tags from one cache
// line. Offset 0 is the empty list, so an interval that no prefix covers needs no special case.
class TagLists {
 public:
  TagLists() : pool_{0} {}

  uint32_t intern(std::span<const uint32_t> tags) {
    if (tags.empty()) return 0;
    if (table_.size() < 2 * (lists_ + 1)) rehash(std::max<size_t>(64, table_.size() * 2));
    const uint64_t h = hashTags(tags);
    const size_t mask = table_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint32_t id = table_[i];
      if (id == 0) {
        if (pool_.size() + tags.size() + 1 > std::numeric_limits<uint32_t>::max()) {
          throw Failure("prefix set: too many distinct tag combinations");
        }
        const auto newId = static_cast<uint32_t>(pool_.size());
        pool_.push_back(static_cast<uint32_t>(tags.size()));
        pool_.insert(pool_.end(), tags.begin(), tags.end());
        table_[i] = newId;
        ++lists_;
        return newId;
      }
      const auto existing = list(id);
      if (existing.size() == tags.size() &&
          std::equal(tags.begin(), tags.end(), existing.begin())) {
        return id;
      }
    }
  }

  // The list of every tag in `a` or `b`, memoized: a prefix nested in another inherits the outer
  // prefix's tags, and the same (outer, own) pair recurs for most prefixes.
  uint32_t merge(uint32_t a, uint32_t b) {
    if (a == 0 || a == b) return b;
    if (b == 0) return a;
    const uint64_t key = (uint64_t{a} << 32) | b;
    const auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    const auto la = list(a);
    const auto lb = list(b);
    scratch_.clear();
    std::set_union(la.begin(), la.end(), lb.begin(), lb.end(), std::back_inserter(scratch_));
    const uint32_t id = intern(scratch_);
    memo_.emplace(key, id);
    return id;
  }

  std::span<const uint32_t> list(uint32_t id) const { return {&pool_[id + 1], pool_[id]}; }

  // Moves the finished pool out; the build-time tables go with this object.
  std::vector<uint32_t> release() {
    pool_.shrink_to_fit();
    return std::move(pool_);
  }

 private:
  static uint64_t hashTags(std::span<const uint32_t> tags) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ tags.size();
    for (uint32_t t : tags) {
      h ^= t;
      h *= 0xBF58476D1CE4E5B9ULL;
      h ^= h >> 31;
    }
    return h;
  }

  void rehash(size_t size) {
    std::vector<uint32_t> table(size, 0);
    const size_t mask = size - 1;
    for (size_t id = 1; id < pool_.size(); id += pool_[id] + 1) {
      size_t i = hashTags(list(static_cast<uint32_t>(id))) & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      table[i] = static_cast<uint32_t>(id);
    }
    table_ = std::move(table);
  }

  std::vector<uint32_t> pool_;
  size_t lists_ = 0;
  std::vector<uint32_t> table_;  // open addressing over list offsets, 0 = empty
  std::unordered_map<uint64_t, uint32_t> memo_;
  std::vector<uint32_t> scratch_;
};

// One address family: disjoint intervals covering [base, top] (the hull of all prefixes), each
// starting at starts[i] and ending where the next one starts, with the tag list lists[i].
template <class T>
struct Family {
  // Not std::numeric_limits: strict -std=c++20 does not specialize it for __int128.
  static constexpr unsigned kBits = sizeof(T) * 8;
  static constexpr T kMax = static_cast<T>(~T{0});
  static constexpr unsigned kIndexBits = 16;

  T base = 0;
  T top = 0;
  unsigned shift = 0;  // bucket = (address - base) >> shift
  std::vector<T> starts;
  std::vector<uint32_t> lists;
  std::vector<uint32_t> index;  // bucket -> interval containing the bucket's first address
  size_t prefixes = 0;

  // Buckets split the hull [base, top] rather than the whole address space. That skips the
  // leading bits every prefix shares: an IPv6 set lives in 2000::/3 (Japan's in 2001:200:: ..
  // 2a14::), so a top-16-bit index would leave 7/8 of its buckets unused, and a set inside one /16
  // (a customer list, one allocation) would get a single bucket. For a set spanning the space
  // (any IPv4 set with prefixes on both sides of 128.0.0.0) this is exactly a top-16-bit index.
  uint32_t find(T a) const {
    const T off = a - base;
    const auto bucket = static_cast<size_t>(off >> shift);
    // The interval holding `a` is one of index[bucket] ..= index[bucket + 1]; find the last one
    // starting at or before `a`. Branch-free halving: the comparisons are unpredictable.
    uint32_t lo = index[bucket];
    uint32_t n = index[bucket + 1] - lo + 1;
    while (n > 1) {
      const uint32_t half = n / 2;
      lo = starts[lo + half] <= a ? lo + half : lo;
      n -= half;
    }
    return lists[lo];
  }

  uint32_t lookup(T a) const {
    if (prefixes == 0 || a < base || a > top) return 0;
    return find(a);
  }

  size_t memoryBytes() const {
    return starts.capacity() * sizeof(T) + lists.capacity() * sizeof(uint32_t) +
           index.capacity() * sizeof(uint32_t);
  }

  template <class Entry>
  void build(std::vector<Entry>& entries, TagLists& tagLists) {
    prefixes = entries.size();
    if (entries.empty()) return;
    // Prefixes either nest or are disjoint, so sorting by (start, wider first) turns the sweep
    // into a stack walk: the stack holds the prefixes covering the current position.
    std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
      if (x.lo != y.lo) return x.lo < y.lo;
      if (x.hi != y.hi) return x.hi > y.hi;
      return x.tag < y.tag;
    });
    base = entries.front().lo;
    top = base;
    for (const Entry& e : entries) top = std::max(top, e.hi);

    struct Frame {
      T hi;
      uint32_t list;  // tags of this prefix and of every prefix around it
    };
    std::vector<Frame> stack;
    // Each prefix opens at most one interval and its end reopens at most one more.
    starts.reserve(2 * entries.size() + 1);
    lists.reserve(2 * entries.size() + 1);
    std::vector<uint32_t> own;
    const auto current = [&] { return stack.empty() ? 0U : stack.back().list; };
    const auto emit = [&](T start, uint32_t list) {
      if (!lists.empty() && lists.back() == list) return;  // same tags as the interval before
      starts.push_back(start);
      lists.push_back(list);
    };

    T pos = base;  // first address whose interval is not yet emitted
    bool done = false;
    // Emits up to and including the top frame's end and pops it.
    const auto close = [&] {
      const T hi = stack.back().hi;
      if (!done && pos <= hi) {
        emit(pos, current());
        if (hi == kMax) {
          done = true;
        } else {
          pos = hi + 1;
        }
      }
      stack.pop_back();
    };

    for (size_t i = 0; i < entries.size();) {
      const T lo = entries[i].lo;
      const T hi = entries[i].hi;
      own.clear();
      for (; i < entries.size() && entries[i].lo == lo && entries[i].hi == hi; ++i) {
        if (own.empty() || own.back() != entries[i].tag) own.push_back(entries[i].tag);
      }
      while (!stack.empty() && stack.back().hi < lo) close();
      if (pos < lo) {
        emit(pos, current());
        pos = lo;
      }
      stack.push_back({hi, tagLists.merge(current(), tagLists.intern(own))});
    }
    while (!stack.empty()) close();

    starts.shrink_to_fit();
    lists.shrink_to_fit();

    const T span = top - base;
    const unsigned width = span == 0 ? 0U : kBits - static_cast<unsigned>(countlZero(span));
    shift = width > kIndexBits ? width - kIndexBits : 0;
    const auto buckets = static_cast<size_t>(span >> shift) + 1;
    index.resize(buckets + 1);
    uint32_t k = 0;
    const auto last = static_cast<uint32_t>(starts.size() - 1);
    for (size_t b = 0; b < buckets; ++b) {
      const T first = base + (static_cast<T>(b) << shift);
      while (k < last && starts[k + 1] <= first) ++k;
      index[b] = k;
    }
    index[buckets] = last;
  }

  static int countlZero(T v) {
    if constexpr (kBits == 32) {
      return std::countl_zero(v);
    } else {
      const auto high = static_cast<uint64_t>(v >> 64);
      return high != 0 ? std::countl_zero(high) : 64 + std::countl_zero(static_cast<uint64_t>(v));
    }
  }
};

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

}  // namespace

struct PrefixSet::Impl {
  Family<uint32_t> v4;
  Family<Uint128> v6;
  std::vector<uint32_t> tagPool;  // see TagLists

  std::span<const uint32_t> list(uint32_t id) const {
    const uint32_t* p = tagPool.data() + id;
    return {p + 1, p[0]};
  }
};

PrefixSet::PrefixSet() : impl_(nullptr) {}
PrefixSet::~PrefixSet() {
  delete impl_;
}
PrefixSet::PrefixSet(PrefixSet&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
PrefixSet& PrefixSet::operator=(PrefixSet&& other) noexcept {
  if (this != &other) {
    delete impl_;
    impl_ = std::exchange(other.impl_, nullptr);
  }
  return *this;
}

std::span<const uint32_t> PrefixSet::lookup(const IpAddress& a) const {
  if (impl_ == nullptr) return {};
  uint32_t id = 0;
  if (a.isV4()) {
    id = impl_->v4.lookup(a.v4Value());
  } else if (a.isV6()) {
    const uint8_t* b = a.bytes().data();
    id = impl_->v6.lookup((Uint128{load64(b)} << 64) | load64(b + 8));
  }
  return impl_->list(id);
}

size_t PrefixSet::prefixCount() const {
  return impl_ == nullptr ? 0 : impl_->v4.prefixes + impl_->v6.prefixes;
}

size_t PrefixSet::memoryBytes() const {
  if (impl_ == nullptr) return sizeof(PrefixSet);
  return sizeof(PrefixSet) + sizeof(Impl) + impl_->v4.memoryBytes() + impl_->v6.memoryBytes() +
         impl_->tagPool.capacity() * sizeof(uint32_t);
}

void PrefixSetBuilder::add(const IpPrefix& prefix, uint32_t tag) {
  if (prefix.address.isV4()) {
    const uint32_t lo = prefix.address.v4Value();
    const uint32_t hostMask =
        prefix.length == 0 ? ~0U : (prefix.length >= 32 ? 0U : ~0U >> prefix.length);
    v4_.push_back({lo & ~hostMask, lo | hostMask, tag});
  } else if (prefix.address.isV6()) {
    const Uint128 lo = prefix.address.v6Value();
    const Uint128 all = ~Uint128{0};
    const Uint128 hostMask =
        prefix.length == 0 ? all : (prefix.length >= 128 ? 0 : all >> prefix.length);
    v6_.push_back({lo & ~hostMask, lo | hostMask, tag});
  }
}

PrefixSet PrefixSetBuilder::build() {
  PrefixSet set;
  set.impl_ = new PrefixSet::Impl();
  TagLists tagLists;
  set.impl_->v4.build(v4_, tagLists);
  set.impl_->v6.build(v6_, tagLists);
  set.impl_->tagPool = tagLists.release();
  v4_ = {};
  v6_ = {};
  return set;
}

Result<void> PrefixSetBuilder::addFile(const std::filesystem::path& path, uint32_t tag) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(name + ": cannot open: " + errnoText(errno));
  std::string line;
  size_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) {
      text.remove_suffix(1);
    }
    if (text.empty() || text.front() == '#') continue;
    auto prefix = IpPrefix::parse(text);
    if (!prefix) return makeError(name + ":" + std::to_string(lineNo) + ": " + prefix.error().message);
    add(*prefix, tag);
  }
  if (in.bad()) return makeError(name + ": read error");
  return {};
}

Result<PrefixSet> PrefixSet::loadFile(const std::filesystem::path& path) {
  return loadFiles({path});
}

Result<PrefixSet> PrefixSet::loadFiles(const std::vector<std::filesystem::path>& paths) {
  PrefixSetBuilder builder;
  for (const auto& path : paths) {
    if (auto added = builder.addFile(path, 0); !added) return added.error();
  }
  return builder.build();
}

}  // namespace mamori
