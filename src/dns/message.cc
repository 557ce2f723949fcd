#include "mamori/dns/message.h"

#include <algorithm>
#include <array>

#include "mamori/core/byte_cursor.h"

namespace mamori::dns {

namespace {

// One bit per message byte: where a label of a name already read begins. Only the words the
// message needs are cleared, so a 40-byte query costs one word.
class LabelStarts {
 public:
  explicit LabelStarts(size_t size) : words_((size + 63) / 64) {
    std::fill_n(bits_.begin(), words_, uint64_t{0});
  }
  void mark(size_t pos) { bits_[pos >> 6] |= uint64_t{1} << (pos & 63); }
  bool has(size_t pos) const { return ((bits_[pos >> 6] >> (pos & 63)) & 1) != 0; }

 private:
  std::array<uint64_t, (kMaxMessage + 64) / 64> bits_;  // filled up to words_ by the constructor
  size_t words_;
};

ParseError readNameTracked(std::span<const uint8_t> message, size_t offset, Name& out, size_t* next,
                           LabelStarts* starts);

// The smallest possible question (root name, type, class) and record (root owner, 10 fixed bytes):
// a message announcing more than its length can hold is refused before any per-record work.
constexpr size_t kMinQuestion = 5;
constexpr size_t kMinRecord = 11;

// Rdata of the types whose shape the resolver relies on (addresses for response-IP policy, names
// for CNAME chains and negative caching) is checked here, once; other types stay opaque.
ParseError checkRdata(std::span<const uint8_t> wire, const Record& r, LabelStarts& starts) {
  Name scratch;
  size_t next = 0;
  const size_t end = r.end();
  const auto nameAt = [&](size_t offset) -> ParseError {
    if (offset >= end) return ParseError::kBadRdata;
    const ParseError e = readNameTracked(wire, offset, scratch, &next, &starts);
    if (e != ParseError::kNone) return e;
    return next > end ? ParseError::kBadRdata : ParseError::kNone;
  };
  switch (r.type) {
    case kTypeA:
      if (r.rclass == kClassIn && r.rdataLength != 4) return ParseError::kBadRdata;
      return ParseError::kNone;
    case kTypeAaaa:
      if (r.rclass == kClassIn && r.rdataLength != 16) return ParseError::kBadRdata;
      return ParseError::kNone;
    case kTypeCname:
    case kTypeNs:
    case kTypePtr:
    case kTypeDname: {
      const ParseError e = nameAt(r.rdataOffset);
      if (e != ParseError::kNone) return e;
      return next == end ? ParseError::kNone : ParseError::kBadRdata;
    }
    case kTypeMx:
    case kTypeSrv: {
      const size_t fixed = r.type == kTypeMx ? 2 : 6;
      const ParseError e = nameAt(r.rdataOffset + fixed);
      if (e != ParseError::kNone) return e;
      return next == end ? ParseError::kNone : ParseError::kBadRdata;
    }
    case kTypeSoa: {
      ParseError e = nameAt(r.rdataOffset);
      if (e != ParseError::kNone) return e;
      e = nameAt(next);
      if (e != ParseError::kNone) return e;
      return next + 20 == end ? ParseError::kNone : ParseError::kBadRdata;
    }
    default:
      return ParseError::kNone;
  }
}

ParseError checkEdnsOptions(std::span<const uint8_t> options) {
  ByteCursor c(options);
  while (c.remaining() > 0) {
    c.u16be();  // option code
    const uint16_t length = c.u16be();
    c.skip(length);
    if (!c.ok()) return ParseError::kBadEdnsOptions;
  }
  return ParseError::kNone;
}

ParseError readNameTracked(std::span<const uint8_t> message, size_t offset, Name& out, size_t* next,
                           LabelStarts* starts) {
  out.clear();
  size_t pos = offset;
  size_t segmentStart = offset;  // where the current run of labels began
  bool jumped = false;
  size_t hops = 0;
  while (true) {
    if (pos >= message.size()) return ParseError::kTruncatedName;
    const uint8_t length = message[pos];
    if ((length & 0xC0) == 0xC0) {
      if (pos + 1 >= message.size()) return ParseError::kTruncatedName;
      const size_t target = (size_t{length & 0x3Fu} << 8) | message[pos + 1];
      if (!jumped) {
        *next = pos + 2;
        jumped = true;
      }
      if (target >= pos) return ParseError::kForwardPointer;
      if (target < kHeaderSize) return ParseError::kPointerIntoHeader;
      if (starts != nullptr && !starts->has(target)) return ParseError::kBadPointer;
      // Landing inside the labels this run already read would repeat them forever; requiring
      // each jump to go below the run's start makes the positions strictly decrease.
      if (target >= segmentStart || ++hops > kMaxLabels) return ParseError::kPointerLoop;
      pos = target;
      segmentStart = target;
      continue;
    }
    if ((length & 0xC0) != 0) return ParseError::kBadLabelType;
    if (length == 0) {
      if (!jumped) *next = pos + 1;
      return ParseError::kNone;
    }
    if (pos + 1 + length > message.size()) return ParseError::kTruncatedName;
    if (!out.appendLabel(message.subspan(pos + 1, length))) return ParseError::kNameTooLong;
    if (starts != nullptr) starts->mark(pos);
    pos += 1 + size_t{length};
  }
}

}  // namespace

ParseError readName(std::span<const uint8_t> message, size_t offset, Name& out, size_t* next) {
  return readNameTracked(message, offset, out, next, nullptr);
}

ParseError parseMessage(std::span<const uint8_t> wire, Message& out) {
  out.wire = wire;
  out.header = Header{};
  out.hasQuestion = false;
  out.question.name.clear();
  out.question.type = 0;
  out.question.qclass = 0;
  out.questionEnd = kHeaderSize;
  out.records.clear();
  out.edns = Edns{};

  if (wire.size() > kMaxMessage) return ParseError::kTooLong;
  if (wire.size() < kHeaderSize) return ParseError::kTruncatedHeader;
  ByteCursor c(wire);
  Header& h = out.header;
  h.id = c.u16be();
  const uint16_t flags = c.u16be();
  h.qr = (flags & 0x8000) != 0;
  h.opcode = static_cast<uint8_t>((flags >> 11) & 0x0F);
  h.aa = (flags & 0x0400) != 0;
  h.tc = (flags & 0x0200) != 0;
  h.rd = (flags & 0x0100) != 0;
  h.ra = (flags & 0x0080) != 0;
  h.z = (flags & 0x0040) != 0;
  h.ad = (flags & 0x0020) != 0;
  h.cd = (flags & 0x0010) != 0;
  h.rcode = static_cast<uint8_t>(flags & 0x0F);
  h.qdcount = c.u16be();
  h.ancount = c.u16be();
  h.nscount = c.u16be();
  h.arcount = c.u16be();

  if (h.qdcount > 1) return ParseError::kTooManyQuestions;
  const size_t recordCount = size_t{h.ancount} + h.nscount + h.arcount;
  if (h.qdcount * kMinQuestion + recordCount * kMinRecord > c.remaining()) {
    return ParseError::kCountsExceedMessage;
  }

  LabelStarts starts(wire.size());
  size_t pos = kHeaderSize;
  if (h.qdcount == 1) {
    size_t next = 0;
    const ParseError e = readNameTracked(wire, pos, out.question.name, &next, &starts);
    if (e != ParseError::kNone) return e;
    if (next + 4 > wire.size()) return ParseError::kTruncatedQuestion;
    out.question.type = static_cast<uint16_t>((wire[next] << 8) | wire[next + 1]);
    out.question.qclass = static_cast<uint16_t>((wire[next + 2] << 8) | wire[next + 3]);
    pos = next + 4;
    out.hasQuestion = true;
    out.questionEnd = static_cast<uint16_t>(pos);
  }

  Name owner;
  for (size_t i = 0; i < recordCount; ++i) {
    Record r;
    r.section = i < h.ancount                       ? Section::kAnswer
                : i < size_t{h.ancount} + h.nscount ? Section::kAuthority
                                                    : Section::kAdditional;
    r.offset = static_cast<uint16_t>(pos);
    size_t next = 0;
    const ParseError e = readNameTracked(wire, pos, owner, &next, &starts);
    if (e != ParseError::kNone) return e;
    if (next + 10 > wire.size()) return ParseError::kTruncatedRecord;
    ByteCursor f(wire.subspan(next, 10));
    r.type = f.u16be();
    r.rclass = f.u16be();
    r.ttlOffset = static_cast<uint16_t>(next + 4);
    r.ttl = f.u32be();
    r.rdataLength = f.u16be();
    r.rdataOffset = static_cast<uint16_t>(next + 10);
    if (r.end() > wire.size()) return ParseError::kRdataOverrun;
    pos = r.end();

    if (r.type == kTypeOpt) {
      if (r.section != Section::kAdditional) return ParseError::kOptNotInAdditional;
      if (out.edns.present) return ParseError::kMultipleOpt;
      if (!owner.isRoot()) return ParseError::kOptNotRoot;
      const auto options = wire.subspan(r.rdataOffset, r.rdataLength);
      const ParseError oe = checkEdnsOptions(options);
      if (oe != ParseError::kNone) return oe;
      Edns& edns = out.edns;
      edns.present = true;
      edns.udpPayloadSize = r.rclass;
      edns.extendedRcode = static_cast<uint8_t>(r.ttl >> 24);
      edns.version = static_cast<uint8_t>(r.ttl >> 16);
      edns.flags = static_cast<uint16_t>(r.ttl);
      edns.dnssecOk = (edns.flags & 0x8000) != 0;
      edns.recordOffset = r.offset;
      edns.recordEnd = static_cast<uint16_t>(r.end());
      edns.options = options;
      continue;
    }
    const ParseError re = checkRdata(wire, r, starts);
    if (re != ParseError::kNone) return re;
    out.records.push_back(r);
  }
  if (pos != wire.size()) return ParseError::kTrailingBytes;
  return ParseError::kNone;
}

std::span<const Record> Message::section(Section s) const {
  const std::span<const Record> all(records);
  const size_t answers = std::min<size_t>(header.ancount, all.size());
  const size_t authority = std::min<size_t>(header.nscount, all.size() - answers);
  switch (s) {
    case Section::kAnswer:
      return all.first(answers);
    case Section::kAuthority:
      return all.subspan(answers, authority);
    case Section::kAdditional:
      return all.subspan(answers + authority);
  }
  return {};
}

std::string_view parseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "ok";
    case ParseError::kTooLong:
      return "dns_message_too_long";
    case ParseError::kTruncatedHeader:
      return "dns_truncated_header";
    case ParseError::kTooManyQuestions:
      return "dns_too_many_questions";
    case ParseError::kCountsExceedMessage:
      return "dns_counts_exceed_message";
    case ParseError::kTruncatedName:
      return "dns_truncated_name";
    case ParseError::kBadLabelType:
      return "dns_bad_label_type";
    case ParseError::kNameTooLong:
      return "dns_name_too_long";
    case ParseError::kForwardPointer:
      return "dns_forward_pointer";
    case ParseError::kPointerLoop:
      return "dns_pointer_loop";
    case ParseError::kPointerIntoHeader:
      return "dns_pointer_into_header";
    case ParseError::kBadPointer:
      return "dns_bad_pointer";
    case ParseError::kTruncatedQuestion:
      return "dns_truncated_question";
    case ParseError::kTruncatedRecord:
      return "dns_truncated_record";
    case ParseError::kRdataOverrun:
      return "dns_rdata_overrun";
    case ParseError::kBadRdata:
      return "dns_bad_rdata";
    case ParseError::kOptNotRoot:
      return "dns_opt_not_root";
    case ParseError::kOptNotInAdditional:
      return "dns_opt_not_in_additional";
    case ParseError::kMultipleOpt:
      return "dns_multiple_opt";
    case ParseError::kBadEdnsOptions:
      return "dns_bad_edns_options";
    case ParseError::kTrailingBytes:
      return "dns_trailing_bytes";
  }
  return "dns_unknown_error";
}

std::string_view parseErrorMessage(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "no error";
    case ParseError::kTooLong:
      return "message longer than 65535 bytes";
    case ParseError::kTruncatedHeader:
      return "message shorter than the 12-byte header";
    case ParseError::kTooManyQuestions:
      return "more than one question";
    case ParseError::kCountsExceedMessage:
      return "section counts announce more records than the message can hold";
    case ParseError::kTruncatedName:
      return "a name runs past the end of the message";
    case ParseError::kBadLabelType:
      return "a label uses the reserved types 0x40 or 0x80";
    case ParseError::kNameTooLong:
      return "a name is longer than 255 bytes";
    case ParseError::kForwardPointer:
      return "a compression pointer points forward";
    case ParseError::kPointerLoop:
      return "compression pointers form a loop";
    case ParseError::kPointerIntoHeader:
      return "a compression pointer points into the header";
    case ParseError::kBadPointer:
      return "a compression pointer does not point at a label of an earlier name";
    case ParseError::kTruncatedQuestion:
      return "the question's type and class are missing";
    case ParseError::kTruncatedRecord:
      return "a record's fixed fields are missing";
    case ParseError::kRdataOverrun:
      return "a record's data runs past the end of the message";
    case ParseError::kBadRdata:
      return "a record's data does not have the shape of its type";
    case ParseError::kOptNotRoot:
      return "the OPT record's owner is not the root";
    case ParseError::kOptNotInAdditional:
      return "an OPT record outside the additional section";
    case ParseError::kMultipleOpt:
      return "more than one OPT record";
    case ParseError::kBadEdnsOptions:
      return "EDNS options do not add up to the OPT data";
    case ParseError::kTrailingBytes:
      return "bytes after the last record";
  }
  return "unknown error";
}

}  // namespace mamori::dns
