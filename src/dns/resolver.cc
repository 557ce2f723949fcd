#include "resolver.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "mamori/core/crypto.h"

namespace mamori::dns {

namespace {

constexpr uint16_t kTypeMinfo = 14;
constexpr uint16_t kTypeMb = 7;
constexpr uint16_t kTypeMg = 8;
constexpr uint16_t kTypeMr = 9;

// Types whose rdata is exactly one (possibly compressed) name (RFC 1035 3.3, RFC 3597 4).
bool isNameRdata(uint16_t type) {
  return type == kTypeCname || type == kTypeNs || type == kTypePtr || type == kTypeMb ||
         type == kTypeMg || type == kTypeMr;
}

}  // namespace

// ---- randomness ----

void RandomPool::refill() {
  randomBytes(bytes_);
  used_ = 0;
}

uint16_t RandomPool::next16() {
  if (used_ + 2 > bytes_.size()) refill();
  const auto v = static_cast<uint16_t>((bytes_[used_] << 8) | bytes_[used_ + 1]);
  used_ += 2;
  return v;
}

uint64_t RandomPool::next64() {
  if (used_ + 8 > bytes_.size()) refill();
  uint64_t v = 0;
  std::memcpy(&v, &bytes_[used_], 8);
  used_ += 8;
  return v;
}

Name randomizeCase(const Name& name, RandomPool& random) {
  const auto wire = name.wire();
  std::array<uint8_t, kMaxNameWire> bytes{};
  std::copy(wire.begin(), wire.end(), bytes.begin());
  uint64_t bits = random.next64();
  int left = 64;
  size_t pos = 0;
  while (bytes[pos] != 0) {
    const size_t length = bytes[pos];
    for (size_t i = pos + 1; i <= pos + length; ++i) {
      const uint8_t lower = lowerAscii(bytes[i]);
      if (lower < 'a' || lower > 'z') continue;
      if (left == 0) {
        bits = random.next64();
        left = 64;
      }
      bytes[i] = (bits & 1) != 0 ? static_cast<uint8_t>(lower - ('a' - 'A')) : lower;
      bits >>= 1;
      --left;
    }
    pos += 1 + length;
  }
  auto out = Name::fromWire(std::span<const uint8_t>(bytes.data(), wire.size()));
  return out.ok() ? *out : name;  // cannot fail: same labels, same lengths
}

size_t writeUpstreamQuery(std::span<uint8_t> out, uint16_t id, const Name& qname, uint16_t qtype,
                          uint16_t qclass, bool checkingDisabled, bool dnssecOk,
                          uint16_t udpPayloadSize) {
  MessageWriter w(out, out.size());
  Header h;
  h.id = id;
  h.rd = true;
  h.cd = checkingDisabled;
  if (!w.start(h) || !w.addQuestion(qname, qtype, qclass) ||
      !w.addOpt(udpPayloadSize, 0, dnssecOk)) {
    return 0;
  }
  return w.size();
}

std::string_view upstreamVerdictName(UpstreamVerdict verdict) {
  switch (verdict) {
    case UpstreamVerdict::kAccept:
      return "accept";
    case UpstreamVerdict::kNotResponse:
      return "not_response";
    case UpstreamVerdict::kWrongId:
      return "wrong_id";
    case UpstreamVerdict::kWrongQuestion:
      return "wrong_question";
    case UpstreamVerdict::kWrongCase:
      return "wrong_case";
  }
  return "unknown";
}

UpstreamVerdict verifyUpstreamAnswer(const Message& answer, uint16_t id, const Name& sentName,
                                     uint16_t qtype, uint16_t qclass) {
  if (!answer.header.qr || answer.header.opcode != kOpcodeQuery) {
    return UpstreamVerdict::kNotResponse;
  }
  if (answer.header.id != id) return UpstreamVerdict::kWrongId;
  if (!answer.hasQuestion || answer.question.type != qtype || answer.question.qclass != qclass ||
      !(answer.question.name == sentName)) {
    return UpstreamVerdict::kWrongQuestion;
  }
  if (!answer.question.name.identical(sentName)) return UpstreamVerdict::kWrongCase;
  return UpstreamVerdict::kAccept;
}

// ---- policy answers ----

NegativeSoa negativeSoaFor(const PolicySourceInfo& source) {
  NegativeSoa out;
  if (source.hasSoa) {
    out.owner = source.soaOwner;
    out.ttl = source.soaTtl;
    out.soa = source.soa;
    return out;
  }
  auto owner = Name::fromText(source.name + ".rpz.invalid.");
  out.owner = owner.ok() ? *owner : *Name::fromText("rpz.invalid.");
  out.soa.mname = *Name::fromText("localhost.");
  out.soa.rname = *Name::fromText("nobody.invalid.");
  out.soa.serial = 1;
  out.soa.refresh = 3600;
  out.soa.retry = 600;
  out.soa.expire = 86400;
  out.soa.minimum = UINT32_MAX;  // the rule's TTL decides (writePolicyNegative)
  out.ttl = UINT32_MAX;
  return out;
}

size_t writePolicyNegative(const Message& query, uint16_t rcode, const NegativeSoa& soa,
                           uint32_t ruleTtl, std::span<uint8_t> out, size_t limit,
                           const ResponseOptions& options) {
  SoaData data = soa.soa;
  data.minimum = std::min(data.minimum, ruleTtl);
  return writeNegativeResponse(query, rcode, soa.owner, std::min(soa.ttl, ruleTtl), data, out,
                               limit, options);
}

size_t writeTruncated(const Message& query, std::span<uint8_t> out, size_t limit,
                      const ResponseOptions& options) {
  if (query.wire.size() < kHeaderSize || query.header.qr) return 0;
  MessageWriter w(out, limit);
  if (!beginResponse(w, query, kRcodeNoError, options)) return 0;
  w.setTruncated();
  if (!finishResponse(w, query, kRcodeNoError, options)) return 0;
  return w.size();
}

size_t writeLocalData(const Message& query, const LocalData& data, const NegativeSoa& soa,
                      uint32_t ruleTtl, std::span<uint8_t> out, size_t limit,
                      const ResponseOptions& options) {
  const uint16_t qtype = query.question.type;
  const bool any = qtype == kTypeAny;
  const bool have = std::any_of(data.records.begin(), data.records.end(),
                                [&](const LocalRecord& r) { return any || r.type == qtype; });
  if (!have) return writePolicyNegative(query, kRcodeNoError, soa, ruleTtl, out, limit, options);
  MessageWriter w(out, limit);
  if (!beginResponse(w, query, kRcodeNoError, options)) return 0;
  w.setAuthoritative(false);
  for (const LocalRecord& r : data.records) {
    if (!any && r.type != qtype) continue;
    if (!w.addRecord(Section::kAnswer, query.question.name, r.type, kClassIn, r.ttl, r.rdata)) {
      w.setTruncated();
      break;
    }
  }
  if (!finishResponse(w, query, kRcodeNoError, options)) return 0;
  return w.size();
}

namespace {

// Copies one record of `from` into `w`, writing names in the data afresh. False when it does not
// fit or cannot be read.
bool copyRecord(MessageWriter& w, const Message& from, const Record& r) {
  Name owner;
  size_t next = 0;
  if (readName(from.wire, r.offset, owner, &next) != ParseError::kNone) return false;
  const auto rdata = from.rdata(r);
  if (isNameRdata(r.type)) {
    Name target;
    if (readName(from.wire, r.rdataOffset, target, &next) != ParseError::kNone) return false;
    return w.addNameRecord(Section::kAnswer, owner, r.type, r.rclass, r.ttl, target);
  }
  if (r.type == kTypeMx && r.rdataLength > 2) {
    Name exchange;
    if (readName(from.wire, r.rdataOffset + 2u, exchange, &next) != ParseError::kNone) {
      return false;
    }
    std::array<uint8_t, 2 + kMaxNameWire> data{};
    data[0] = rdata[0];
    data[1] = rdata[1];
    const auto ew = exchange.wire();
    std::copy(ew.begin(), ew.end(), data.begin() + 2);
    return w.addRecord(Section::kAnswer, owner, r.type, r.rclass, r.ttl,
                       std::span<const uint8_t>(data.data(), 2 + ew.size()));
  }
  if (r.type == kTypeSoa || r.type == kTypeMinfo) {
    // Two names (and for SOA five numbers): rare in an answer section behind a policy CNAME.
    Name first;
    Name second;
    size_t afterFirst = 0;
    size_t afterSecond = 0;
    if (readName(from.wire, r.rdataOffset, first, &afterFirst) != ParseError::kNone ||
        readName(from.wire, afterFirst, second, &afterSecond) != ParseError::kNone) {
      return false;
    }
    std::vector<uint8_t> data(first.wire().begin(), first.wire().end());
    data.insert(data.end(), second.wire().begin(), second.wire().end());
    data.insert(data.end(), from.wire.begin() + static_cast<std::ptrdiff_t>(afterSecond),
                from.wire.begin() + static_cast<std::ptrdiff_t>(r.end()));
    return w.addRecord(Section::kAnswer, owner, r.type, r.rclass, r.ttl, data);
  }
  // Every other type carries no compressed names (RFC 3597 4).
  return w.addRecord(Section::kAnswer, owner, r.type, r.rclass, r.ttl, rdata);
}

}  // namespace

size_t writeCnameAnswer(const Message& query, const Name& target, uint32_t cnameTtl,
                        const Message* upstream, std::span<uint8_t> out, size_t limit,
                        const ResponseOptions& options) {
  if (query.wire.size() < kHeaderSize || query.header.qr) return 0;
  const uint16_t rcode = upstream != nullptr ? upstream->rcode() : kRcodeNoError;
  MessageWriter w(out, limit);
  if (!beginResponse(w, query, rcode, options)) return 0;
  bool truncated = !w.addNameRecord(Section::kAnswer, query.question.name, kTypeCname, kClassIn,
                                    cnameTtl, target);
  if (upstream != nullptr && !truncated) {
    for (const Record& r : upstream->section(Section::kAnswer)) {
      if (!copyRecord(w, *upstream, r)) {
        truncated = true;
        break;
      }
    }
  }
  if (truncated) w.setTruncated();
  if (!finishResponse(w, query, rcode, options)) return 0;
  return w.size();
}

PolicyMatch matchAnswerAddresses(const Message& response, const Policy& policy,
                                 size_t sourceLimit) {
  PolicyMatch best;
  for (const Record& r : response.section(Section::kAnswer)) {
    IpAddress address;
    if (r.type == kTypeA && r.rdataLength == 4) {
      address = IpAddress::v4Bytes(&response.wire[r.rdataOffset]);
    } else if (r.type == kTypeAaaa && r.rdataLength == 16) {
      address = IpAddress::v6Bytes(&response.wire[r.rdataOffset]);
    } else {
      continue;
    }
    const PolicyMatch m = policy.matchResponseIp(address, sourceLimit);
    if (!m.matched()) continue;
    // The earliest source wins; within one source the first address answered decides.
    if (!best.matched() || m.source < best.source) best = m;
  }
  return best;
}

// ---- names for metrics and records ----

std::string_view qtypeName(uint16_t type) {
  switch (type) {
    case kTypeA:
      return "A";
    case kTypeNs:
      return "NS";
    case kTypeCname:
      return "CNAME";
    case kTypeSoa:
      return "SOA";
    case kTypePtr:
      return "PTR";
    case kTypeMx:
      return "MX";
    case kTypeTxt:
      return "TXT";
    case kTypeAaaa:
      return "AAAA";
    case kTypeSrv:
      return "SRV";
    case kTypeDname:
      return "DNAME";
    case 43:
      return "DS";
    case kTypeRrsig:
      return "RRSIG";
    case 48:
      return "DNSKEY";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 252:
      return "AXFR";
    case kTypeAny:
      return "ANY";
    case 257:
      return "CAA";
    default:
      return {};
  }
}

std::string qtypeText(uint16_t type) {
  const std::string_view name = qtypeName(type);
  return name.empty() ? "TYPE" + std::to_string(type) : std::string(name);
}

std::string_view rcodeName(uint16_t rcode) {
  switch (rcode) {
    case kRcodeNoError:
      return "NOERROR";
    case kRcodeFormErr:
      return "FORMERR";
    case kRcodeServFail:
      return "SERVFAIL";
    case kRcodeNxDomain:
      return "NXDOMAIN";
    case kRcodeNotImp:
      return "NOTIMP";
    case kRcodeRefused:
      return "REFUSED";
    case kRcodeBadVers:
      return "BADVERS";
    default:
      return "OTHER";
  }
}

}  // namespace mamori::dns
