#include "criteria_matcher.h"

#include <fmt/format.h>
#include <hs/hs.h>

namespace mamori::sensor {
namespace {

int onMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
            unsigned int /*flags*/, void* context) {
  *static_cast<uint64_t*>(context) |= uint64_t{1} << id;
  return 0;  // keep scanning: other criteria may match later in the same bytes
}

std::string escapeLiteral(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 4);
  for (unsigned char c : bytes) out += fmt::format("\\x{:02x}", c);
  return out;
}

}  // namespace

CriteriaMatcher::~CriteriaMatcher() {
  hs_free_scratch(scratch_);
  hs_free_database(streamDb_);
  hs_free_database(blockDb_);
}

Result<std::unique_ptr<CriteriaMatcher>> CriteriaMatcher::build(const SelectionOrder& order) {
  std::unique_ptr<CriteriaMatcher> m(new CriteriaMatcher());
  m->portAny_.assign(65536, 0);
  m->portTcp_.assign(65536, 0);
  m->portUdp_.assign(65536, 0);
  PrefixSetBuilder addresses;
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < order.criteria.size(); ++i) {
    const Criterion& c = order.criteria[i];
    const auto tag = static_cast<uint32_t>(i);
    const uint64_t bit = uint64_t{1} << i;
    switch (c.kind) {
      case Criterion::Kind::kAddress:
        for (const auto& p : c.prefixes) addresses.add(p, tag);
        break;
      case Criterion::Kind::kDomain:
        for (const auto& d : c.domains) {
          auto added = m->domains_.add(d, tag);
          if (!added)
            return makeError(fmt::format("criterion {}: {}", c.id, added.error().message));
        }
        break;
      case Criterion::Kind::kPort:
        for (const auto& p : c.ports) {
          auto& table = p.ipProto == 6 ? m->portTcp_ : p.ipProto == 17 ? m->portUdp_ : m->portAny_;
          table[p.port] |= bit;
        }
        break;
      case Criterion::Kind::kJa4:
        for (const auto& j : c.ja4) m->ja4_[j] |= bit;
        break;
      case Criterion::Kind::kPattern:
        expressions.push_back(c.patternIsLiteral ? escapeLiteral(c.pattern) : c.pattern);
        flags.push_back(HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL |
                        (c.caseless ? HS_FLAG_CASELESS : 0U));
        ids.push_back(tag);
        break;
    }
  }
  m->addresses_ = addresses.build();

  if (!expressions.empty()) {
    std::vector<const char*> exprs;
    exprs.reserve(expressions.size());
    for (const auto& e : expressions) exprs.push_back(e.c_str());
    for (const unsigned mode : {HS_MODE_STREAM, HS_MODE_BLOCK}) {
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                           static_cast<unsigned>(exprs.size()), mode, nullptr, &db,
                           &err) != HS_SUCCESS) {
        std::string what = err && err->message ? err->message : "unknown error";
        const int bad = err ? err->expression : -1;
        hs_free_compile_error(err);
        const std::string id =
            bad >= 0 ? order.criteria[ids[static_cast<size_t>(bad)]].id : std::string("?");
        return makeError(fmt::format("criterion {}: pattern rejected by vectorscan: {}", id, what));
      }
      (mode == HS_MODE_STREAM ? m->streamDb_ : m->blockDb_) = db;
      if (hs_alloc_scratch(db, &m->scratch_) != HS_SUCCESS) {
        return makeError("vectorscan: cannot allocate scratch space");
      }
    }
    hs_stream_size(m->streamDb_, &m->streamSize_);
  }
  return m;
}

uint64_t CriteriaMatcher::matchJa4(std::string_view ja4) const {
  if (ja4_.empty()) return 0;
  const auto it = ja4_.find(std::string(ja4));
  return it == ja4_.end() ? 0 : it->second;
}

hs_stream* CriteriaMatcher::openStream() const {
  hs_stream_t* s = nullptr;
  if (hs_open_stream(streamDb_, 0, &s) != HS_SUCCESS) return nullptr;
  return s;
}

void CriteriaMatcher::scanStream(hs_stream* stream, std::span<const uint8_t> bytes,
                                 uint64_t& mask) const {
  // Chunks are bounded by the caller's inspection depth, far below 4 GiB.
  hs_scan_stream(stream,
                 reinterpret_cast<const char*>(
                     bytes.data()),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast):
                                     // vectorscan's API takes char
                 static_cast<unsigned>(bytes.size()), 0, scratch_, onMatch, &mask);
}

void CriteriaMatcher::closeStream(hs_stream* stream, uint64_t& mask) const {
  hs_close_stream(stream, scratch_, onMatch, &mask);
}

void CriteriaMatcher::scanBlock(std::span<const uint8_t> bytes, uint64_t& mask) const {
  if (blockDb_ == nullptr) return;
  hs_scan(blockDb_,
          reinterpret_cast<const char*>(
              bytes.data()),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast):
                              // vectorscan's API takes char
          static_cast<unsigned>(bytes.size()), 0, scratch_, onMatch, &mask);
}

size_t CriteriaMatcher::memoryBytes() const {
  size_t n = addresses_.memoryBytes() + domains_.memoryBytes() + size_t{3} * 65536 * sizeof(uint64_t);
  size_t dbSize = 0;
  if (streamDb_ && hs_database_size(streamDb_, &dbSize) == HS_SUCCESS) n += dbSize;
  if (blockDb_ && hs_database_size(blockDb_, &dbSize) == HS_SUCCESS) n += dbSize;
  return n;
}

}  // namespace mamori::sensor
