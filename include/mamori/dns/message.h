// DNS messages from untrusted bytes (RFC 1035 4, RFC 3596, RFC 6891 EDNS0).
//
// parseMessage() validates a whole message in one pass and records where each resource record
// sits instead of copying it: a Record is a few offsets into the caller's buffer, so parsing a
// query allocates nothing once the Message's vector has grown to the usual size (reuse one
// Message per thread). Everything a resolver must refuse with FORMERR is a named ParseError.
//
// Name compression (RFC 1035 4.1.4) is followed only backwards, and each jump must land before
// the start of the run of labels it leaves, so every name terminates in at most 127 jumps and
// no message can make the parser loop. A pointer must also land on a label of a name read
// earlier (question, owners, names inside CNAME/NS/PTR/DNAME/MX/SRV/SOA data): never inside a
// TTL, a length or opaque data, so the cache can age TTLs without changing any name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mamori/dns/name.h"

namespace mamori::dns {

// Record types used by the resolver (IANA "Resource Record (RR) TYPEs").
inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNs = 2;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypePtr = 12;
inline constexpr uint16_t kTypeMx = 15;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeSrv = 33;
inline constexpr uint16_t kTypeDname = 39;
inline constexpr uint16_t kTypeOpt = 41;
inline constexpr uint16_t kTypeRrsig = 46;
inline constexpr uint16_t kTypeTsig = 250;
inline constexpr uint16_t kTypeAny = 255;
inline constexpr uint16_t kClassIn = 1;

// RCODEs (RFC 1035, RFC 6891: values above 15 need an OPT record for their upper 8 bits).
inline constexpr uint16_t kRcodeNoError = 0;
inline constexpr uint16_t kRcodeFormErr = 1;
inline constexpr uint16_t kRcodeServFail = 2;
inline constexpr uint16_t kRcodeNxDomain = 3;
inline constexpr uint16_t kRcodeNotImp = 4;
inline constexpr uint16_t kRcodeRefused = 5;
inline constexpr uint16_t kRcodeBadVers = 16;

inline constexpr uint8_t kOpcodeQuery = 0;
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxMessage = 65535;   // the TCP length prefix bounds every message
inline constexpr size_t kMinUdpPayload = 512;  // RFC 6891 6.2.5: smaller advertised sizes mean 512

struct Header {
  uint16_t id = 0;
  bool qr = false;  // response
  uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false, z = false, ad = false, cd = false;
  uint8_t rcode = 0;  // the header's 4 bits; Message::rcode() adds the EDNS upper bits
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
};

enum class Section : uint8_t { kAnswer, kAuthority, kAdditional };

struct Question {
  Name name;  // as sent, case preserved
  uint16_t type = 0;
  uint16_t qclass = 0;
};

// One resource record, located in Message::wire. The owner name may be compressed: read it with
// readName(message.wire, record.offset, ...).
struct Record {
  uint32_t ttl = 0;
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint16_t offset = 0;     // first byte of the owner name
  uint16_t ttlOffset = 0;  // the 4 TTL bytes (patched by the cache)
  uint16_t rdataOffset = 0;
  uint16_t rdataLength = 0;
  Section section = Section::kAnswer;

  size_t end() const { return size_t{rdataOffset} + rdataLength; }
};

// The OPT pseudo-record (RFC 6891 6.1), decoded. Options stay raw (a view into the message).
struct Edns {
  bool present = false;
  bool dnssecOk = false;             // DO bit (RFC 3225)
  uint8_t version = 0;               // anything but 0 is answered BADVERS
  uint8_t extendedRcode = 0;         // upper 8 bits of the 12-bit RCODE
  uint16_t udpPayloadSize = 0;       // as advertised; see effectiveUdpSize()
  uint16_t flags = 0;                // all 16 flag bits (DO is 0x8000)
  uint16_t recordOffset = 0;         // the OPT RR's first byte in the message
  uint16_t recordEnd = 0;            // one past its last byte
  std::span<const uint8_t> options;  // raw option TLVs, validated to be well formed

  // The UDP payload size the requester can take: advertised sizes below 512 count as 512 and
  // a requester without EDNS gets 512 (RFC 6891 6.2.3, 6.2.5).
  size_t effectiveUdpSize() const {
    return present && udpPayloadSize > kMinUdpPayload ? udpPayloadSize : kMinUdpPayload;
  }
};

// Why a message was refused. Each is a reason for FORMERR (or for dropping a message too short to
// answer). Names are stable: they are counter labels.
enum class ParseError : uint8_t {
  kNone,
  kTooLong,              // over 65535 bytes
  kTruncatedHeader,      // under 12 bytes: nothing to answer, drop
  kTooManyQuestions,     // QDCOUNT over 1 (no server answers several)
  kCountsExceedMessage,  // the section counts need more bytes than the message has
  kTruncatedName,        // a name runs past the end of the message
  kBadLabelType,         // label type 0x40 / 0x80 (RFC 6891 deprecated them)
  kNameTooLong,          // over 255 bytes once decompressed
  kForwardPointer,       // a compression pointer to itself or later in the message
  kPointerLoop,          // a pointer that would revisit bytes already read for this name
  kPointerIntoHeader,    // a pointer into the 12-byte header
  kBadPointer,           // a pointer to a byte where no earlier name has a label
  kTruncatedQuestion,
  kTruncatedRecord,  // fixed fields of a record missing
  kRdataOverrun,     // RDLENGTH past the end of the message
  kBadRdata,         // rdata of a known type with the wrong shape (A not 4 bytes, ...)
  kOptNotRoot,       // OPT owner name not the root
  kOptNotInAdditional,
  kMultipleOpt,     // RFC 6891 6.1.1
  kBadEdnsOptions,  // option TLVs that do not add up to the rdata
  kTrailingBytes,   // bytes after the last record the counts announce
};

std::string_view parseErrorName(ParseError error);     // "dns_pointer_loop", ...
std::string_view parseErrorMessage(ParseError error);  // a sentence for logs

struct Message {
  std::span<const uint8_t> wire;  // the parsed bytes (not owned)
  Header header;
  bool hasQuestion = false;
  Question question;
  uint16_t questionEnd = kHeaderSize;  // one past the question (== 12 without one)
  // Answer, authority and additional records in message order, the OPT record excluded.
  std::vector<Record> records;
  Edns edns;

  uint16_t rcode() const { return static_cast<uint16_t>(header.rcode | (edns.extendedRcode << 4)); }
  std::span<const uint8_t> rdata(const Record& r) const {
    return wire.subspan(r.rdataOffset, r.rdataLength);
  }
  // Records of one section (a view into `records`).
  std::span<const Record> section(Section s) const;
};

// Parses `wire` into `out` (cleared first; its vector keeps its capacity). On an error `out` keeps
// what was read before it: the header whenever the message has 12 bytes, the question when it
// parsed, the EDNS record when it came before the error, so a FORMERR can echo them.
ParseError parseMessage(std::span<const uint8_t> wire, Message& out);

// Reads the possibly compressed name starting at `offset` in `message` into `out` (case kept) and
// sets *next to the offset just after the name as it sits at `offset` (after the first pointer).
ParseError readName(std::span<const uint8_t> message, size_t offset, Name& out, size_t* next);

}  // namespace mamori::dns
