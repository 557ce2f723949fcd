#include "mamori/dns/writer.h"

#include <algorithm>
#include <cstring>

namespace mamori::dns {

namespace {

constexpr int kQuestionSection = 0;
constexpr int kAdditionalSection = 3;
constexpr size_t kMaxPointerTarget = 0x3FFF;  // 14 bits of offset in a compression pointer

void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

uint16_t load16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

int sectionIndex(Section s) {
  return 1 + static_cast<int>(s);
}

}  // namespace

MessageWriter::MessageWriter(std::span<uint8_t> buffer, size_t limit)
    : buffer_(buffer), limit_(std::min(limit, buffer.size())) {}

bool MessageWriter::start(const Header& h) {
  if (limit_ < kHeaderSize) return false;
  uint16_t flags = static_cast<uint16_t>((h.opcode & 0x0F) << 11);
  if (h.qr) flags |= 0x8000;
  if (h.aa) flags |= 0x0400;
  if (h.tc) flags |= 0x0200;
  if (h.rd) flags |= 0x0100;
  if (h.ra) flags |= 0x0080;
  if (h.ad) flags |= 0x0020;
  if (h.cd) flags |= 0x0010;
  flags |= h.rcode & 0x0F;
  store16(&buffer_[0], h.id);
  store16(&buffer_[2], flags);
  std::memset(&buffer_[4], 0, 8);
  size_ = pos_ = kHeaderSize;
  reserved_ = 0;
  targetCount_ = committedTargets_ = 0;
  std::fill(std::begin(counts_), std::end(counts_), uint16_t{0});
  section_ = kQuestionSection;
  optWritten_ = false;
  return true;
}

bool MessageWriter::beginItem(int section) {
  if (size_ < kHeaderSize || section < section_ || optWritten_) return false;
  if (counts_[section] == 0xFFFF) return false;
  pos_ = size_;
  return true;
}

void MessageWriter::commit(int section) {
  section_ = section;
  ++counts_[section];
  patchCount(section);
  size_ = pos_;
  committedTargets_ = targetCount_;
}

void MessageWriter::rollback() {
  pos_ = size_;
  targetCount_ = committedTargets_;
}

void MessageWriter::patchCount(int section) {
  store16(&buffer_[4 + 2 * static_cast<size_t>(section)], counts_[section]);
}

bool MessageWriter::put16(uint16_t v) {
  if (!fits(2)) return false;
  store16(&buffer_[pos_], v);
  pos_ += 2;
  return true;
}

bool MessageWriter::put32(uint32_t v) {
  return put16(static_cast<uint16_t>(v >> 16)) && put16(static_cast<uint16_t>(v));
}

bool MessageWriter::putBytes(std::span<const uint8_t> bytes) {
  if (!fits(bytes.size())) return false;
  if (!bytes.empty()) std::memcpy(&buffer_[pos_], bytes.data(), bytes.size());
  pos_ += bytes.size();
  return true;
}

bool MessageWriter::writeName(const Name& name) {
  // Find the longest suffix of `name` already in the message: each earlier label offset is a
  // candidate; the first byte (that label's length) filters most of them before a full compare.
  const std::span<const uint8_t> written = buffer_.first(pos_);
  size_t matchLabel = name.labelCount();  // labels written in full before the pointer
  size_t matchTarget = 0;
  for (size_t skip = 0; skip < name.labelCount() && matchLabel == name.labelCount(); ++skip) {
    const auto suffix = name.suffix(skip);
    for (size_t t = 0; t < targetCount_; ++t) {
      const size_t offset = targets_[t];
      if (written[offset] != suffix[0]) continue;
      Name candidate;
      size_t next = 0;
      if (readName(written, offset, candidate, &next) != ParseError::kNone) continue;
      if (wireNamesEqual(candidate.wire(), suffix)) {
        matchLabel = skip;
        matchTarget = offset;
        break;
      }
    }
  }
  const auto wire = name.wire();
  size_t at = 0;
  for (size_t label = 0; label < matchLabel; ++label) {
    const size_t length = wire[at];
    if (!fits(1 + length)) return false;
    if (pos_ <= kMaxPointerTarget && targetCount_ < kMaxTargets) {
      targets_[targetCount_++] = static_cast<uint16_t>(pos_);
    }
    std::memcpy(&buffer_[pos_], &wire[at], 1 + length);
    pos_ += 1 + length;
    at += 1 + length;
  }
  if (matchLabel < name.labelCount()) return put16(static_cast<uint16_t>(0xC000 | matchTarget));
  if (!fits(1)) return false;
  buffer_[pos_++] = 0;
  return true;
}

bool MessageWriter::addQuestion(const Name& name, uint16_t type, uint16_t qclass) {
  if (!beginItem(kQuestionSection)) return false;
  if (!writeName(name) || !put16(type) || !put16(qclass)) {
    rollback();
    return false;
  }
  commit(kQuestionSection);
  return true;
}

bool MessageWriter::addRecord(Section section, const Name& owner, uint16_t type, uint16_t rclass,
                              uint32_t ttl, std::span<const uint8_t> rdata) {
  const int s = sectionIndex(section);
  if (rdata.size() > 0xFFFF || !beginItem(s)) return false;
  if (!writeName(owner) || !put16(type) || !put16(rclass) || !put32(ttl) ||
      !put16(static_cast<uint16_t>(rdata.size())) || !putBytes(rdata)) {
    rollback();
    return false;
  }
  commit(s);
  return true;
}

bool MessageWriter::addNameRecord(Section section, const Name& owner, uint16_t type,
                                  uint16_t rclass, uint32_t ttl, const Name& target) {
  const int s = sectionIndex(section);
  if (!beginItem(s)) return false;
  if (!writeName(owner) || !put16(type) || !put16(rclass) || !put32(ttl) || !put16(0)) {
    rollback();
    return false;
  }
  const size_t rdataStart = pos_;
  if (!writeName(target)) {
    rollback();
    return false;
  }
  store16(&buffer_[rdataStart - 2], static_cast<uint16_t>(pos_ - rdataStart));
  commit(s);
  return true;
}

bool MessageWriter::addSoa(Section section, const Name& owner, uint32_t ttl, const SoaData& soa) {
  const int s = sectionIndex(section);
  if (!beginItem(s)) return false;
  if (!writeName(owner) || !put16(kTypeSoa) || !put16(kClassIn) || !put32(ttl) || !put16(0)) {
    rollback();
    return false;
  }
  const size_t rdataStart = pos_;
  if (!writeName(soa.mname) || !writeName(soa.rname) || !put32(soa.serial) || !put32(soa.refresh) ||
      !put32(soa.retry) || !put32(soa.expire) || !put32(soa.minimum)) {
    rollback();
    return false;
  }
  store16(&buffer_[rdataStart - 2], static_cast<uint16_t>(pos_ - rdataStart));
  commit(s);
  return true;
}

bool MessageWriter::reserve(size_t bytes) {
  if (size_ + bytes > limit_) return false;
  reserved_ = bytes;
  return true;
}

bool MessageWriter::addOpt(uint16_t udpPayloadSize, uint16_t rcode, bool dnssecOk,
                           std::span<const uint8_t> options) {
  if (options.size() > 0xFFFF || !beginItem(kAdditionalSection)) return false;
  const size_t reserved = reserved_;
  reserved_ = 0;  // the OPT record is what the reservation was for
  const uint32_t ttl = (uint32_t{static_cast<uint8_t>(rcode >> 4)} << 24) |  // version 0
                       (dnssecOk ? 0x8000u : 0u);
  if (!fits(1)) {
    reserved_ = reserved;
    return false;
  }
  buffer_[pos_++] = 0;  // owner: the root
  if (!put16(kTypeOpt) || !put16(udpPayloadSize) || !put32(ttl) ||
      !put16(static_cast<uint16_t>(options.size())) || !putBytes(options)) {
    rollback();
    reserved_ = reserved;
    return false;
  }
  commit(kAdditionalSection);
  optWritten_ = true;
  return true;
}

void MessageWriter::setTruncated() {
  if (size_ >= kHeaderSize) buffer_[2] |= 0x02;
}

void MessageWriter::setRcode(uint16_t rcode) {
  if (size_ >= kHeaderSize) buffer_[3] = static_cast<uint8_t>((buffer_[3] & 0xF0) | (rcode & 0x0F));
}

void MessageWriter::setAuthoritative(bool aa) {
  if (size_ < kHeaderSize) return;
  buffer_[2] = static_cast<uint8_t>(aa ? (buffer_[2] | 0x04) : (buffer_[2] & ~0x04));
}

size_t responseLimit(const Message& query, bool tcp, size_t serverMax) {
  if (tcp) return kMaxMessage;
  return std::max(kMinUdpPayload, std::min(query.edns.effectiveUdpSize(), serverMax));
}

bool beginResponse(MessageWriter& w, const Message& query, uint16_t rcode,
                   const ResponseOptions& options) {
  Header h;
  h.id = query.header.id;
  h.qr = true;
  h.opcode = query.header.opcode;
  h.rd = query.header.rd;
  h.cd = query.header.cd;
  h.ra = options.recursionAvailable;
  h.rcode = static_cast<uint8_t>(rcode & 0x0F);
  if (!w.start(h)) return false;
  if (query.edns.present && !w.reserve(MessageWriter::optSize(0))) return false;
  if (query.hasQuestion) {
    return w.addQuestion(query.question.name, query.question.type, query.question.qclass);
  }
  return true;
}

bool finishResponse(MessageWriter& w, const Message& query, uint16_t rcode,
                    const ResponseOptions& options) {
  if (!query.edns.present) return true;
  return w.addOpt(options.udpPayloadSize, rcode, query.edns.dnssecOk);
}

size_t writeErrorResponse(const Message& query, uint16_t rcode, std::span<uint8_t> out,
                          size_t limit, const ResponseOptions& options) {
  // Never answer a response: two servers would bounce errors at each other forever.
  if (query.wire.size() < kHeaderSize || query.header.qr) return 0;
  MessageWriter w(out, limit);
  if (!beginResponse(w, query, rcode, options)) return 0;
  if (!finishResponse(w, query, rcode, options)) return 0;
  return w.size();
}

size_t writeNegativeResponse(const Message& query, uint16_t rcode, const Name& soaOwner,
                             uint32_t soaTtl, const SoaData& soa, std::span<uint8_t> out,
                             size_t limit, const ResponseOptions& options) {
  if (query.wire.size() < kHeaderSize || query.header.qr) return 0;
  MessageWriter w(out, limit);
  if (!beginResponse(w, query, rcode, options)) return 0;
  if (!w.addSoa(Section::kAuthority, soaOwner, soaTtl, soa)) w.setTruncated();
  if (!finishResponse(w, query, rcode, options)) return 0;
  return w.size();
}

namespace {

// Offset just past the (possibly compressed) name at `pos`, or 0 if it runs past `end` or uses a
// reserved label type. Only skips: fitResponse works on messages already validated by the parser.
size_t skipName(std::span<const uint8_t> m, size_t pos) {
  while (pos < m.size()) {
    const uint8_t b = m[pos];
    if ((b & 0xC0) == 0xC0) return pos + 2 <= m.size() ? pos + 2 : 0;
    if ((b & 0xC0) != 0) return 0;
    if (b == 0) return pos + 1;
    pos += 1 + size_t{b};
  }
  return 0;
}

}  // namespace

size_t fitResponse(std::span<uint8_t> buf, size_t length, const Message& query, size_t limit,
                   const ResponseOptions& options) {
  if (length < kHeaderSize || length > buf.size()) return 0;
  const std::span<uint8_t> m = buf.first(length);
  const uint16_t qd = load16(&m[4]);
  const uint16_t an = load16(&m[6]);
  const uint16_t ns = load16(&m[8]);
  const uint16_t ar = load16(&m[10]);
  if (qd > 1) return 0;
  size_t pos = kHeaderSize;
  if (qd == 1) {
    pos = skipName(m, pos);
    if (pos == 0 || pos + 4 > m.size()) return 0;
    pos += 4;
  }
  const size_t questionEnd = pos;
  const size_t total = size_t{an} + ns + ar;
  size_t optStart = 0;
  size_t optEnd = 0;
  uint8_t upstreamExtendedRcode = 0;
  for (size_t i = 0; i < total; ++i) {
    const size_t start = pos;
    pos = skipName(m, pos);
    if (pos == 0 || pos + 10 > m.size()) return 0;
    const uint16_t type = load16(&m[pos]);
    const size_t rdlength = load16(&m[pos + 8]);
    const size_t end = pos + 10 + rdlength;
    if (end > m.size()) return 0;
    if (type == kTypeOpt) {
      // Removing a record in the middle would move bytes that later pointers may address.
      if (i + 1 != total || i < size_t{an} + ns) return 0;
      optStart = start;
      optEnd = end;
      upstreamExtendedRcode = m[pos + 4];
    }
    pos = end;
  }
  if (pos != m.size()) return 0;

  size_t kept = length;
  uint16_t additional = ar;
  if (optEnd != 0) {
    kept = optStart;
    --additional;
  }
  const size_t optBytes = query.edns.present ? MessageWriter::optSize(0) : 0;
  const size_t budget = limit > optBytes ? limit - optBytes : 0;
  uint16_t keptAn = an;
  uint16_t keptNs = ns;
  uint16_t keptAr = additional;
  bool truncated = false;
  if (kept > budget) {
    // Walk again and stop at the last record boundary inside the budget.
    pos = questionEnd;
    size_t records = 0;
    const size_t candidates = size_t{an} + ns + additional;
    while (records < candidates) {
      size_t next = skipName(m, pos);
      next += 10 + load16(&m[next + 8]);
      if (next > budget) break;
      pos = next;
      ++records;
    }
    if (questionEnd > budget) {  // not even the question fits: header alone, truncated
      pos = kHeaderSize;
      records = 0;
      store16(&m[4], 0);
    }
    kept = pos;
    keptAn = static_cast<uint16_t>(std::min<size_t>(an, records));
    keptNs = static_cast<uint16_t>(std::min<size_t>(ns, records - keptAn));
    keptAr = static_cast<uint16_t>(records - keptAn - keptNs);
    truncated = keptAn < an || keptNs < ns;
  }
  store16(&m[6], keptAn);
  store16(&m[8], keptNs);
  store16(&m[10], keptAr);
  if (truncated) m[2] |= 0x02;
  if (query.edns.present) {
    if (kept + optBytes > buf.size()) return 0;
    uint8_t* p = &buf[kept];
    p[0] = 0;
    store16(p + 1, kTypeOpt);
    store16(p + 3, options.udpPayloadSize);
    p[5] = upstreamExtendedRcode;
    p[6] = 0;  // version
    store16(p + 7, query.edns.dnssecOk ? 0x8000 : 0);
    store16(p + 9, 0);
    kept += optBytes;
    store16(&m[10], static_cast<uint16_t>(keptAr + 1));
  }
  return kept;
}

}  // namespace mamori::dns
