// DNS message parsing for the selection sensor (RFC 1035 wire format).
//
// Pure functions over untrusted bytes: they never throw, never read out of bounds, and report a
// malformed message as data (a named reason) rather than an error. Only the header, the question
// section and the A / AAAA / CNAME records of the answer section are extracted; authority and
// additional sections are not looked at.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/ip_address.h"

namespace mamori::sensor::dns {

// At most this many questions and answer values are kept; further ones are skipped (not an error).
inline constexpr size_t kMaxQuestions = 8;
inline constexpr size_t kMaxAnswers = 32;
inline constexpr size_t kMaxCnames = 32;
// RFC 1035 limits on the wire form of a name.
inline constexpr size_t kMaxLabelBytes = 63;
inline constexpr size_t kMaxNameWireBytes = 255;
// Upper bound on compression pointers followed while reading one name.
inline constexpr size_t kMaxPointerJumps = 128;

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kClassIn = 1;

struct DnsQuestion {
  // Presentation format: labels joined by '.', no trailing dot ("." for the root). Bytes that are
  // not printable ASCII are written as \DDD, and the characters . \ " ( ) ; @ $ inside a label as
  // \c, the way dig prints names. Case is preserved.
  std::string name;
  uint16_t type = 0;
};

struct DnsMessage {
  uint16_t id = 0;
  bool isResponse = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;                   // the 4-bit header RCODE (EDNS extended bits are not read)
  std::vector<DnsQuestion> questions;  // first kMaxQuestions questions
  // A and AAAA rdata (class IN) from the answer section, in message order, first kMaxAnswers.
  std::vector<mamori::IpAddress> answers;
  // CNAME targets (class IN) from the answer section, in message order, first kMaxCnames.
  std::vector<std::string> cnames;
};

enum class DnsParse : uint8_t { kOk, kMalformed };

// Parses one DNS message (a UDP payload, or a TCP message without its length prefix).
//
// `out` is cleared first (its vectors keep their capacity, so a reused DnsMessage does not
// reallocate). On kMalformed, `out` holds what was parsed before the problem (the header fields
// whenever the message has at least 12 bytes) and, if `reason` is non-null, *reason names the
// problem with a static string such as "dns_truncated_header", "dns_name_loop",
// "dns_label_too_long", "dns_name_too_long", "dns_rdlength_mismatch". On kOk *reason is empty.
DnsParse parseDnsMessage(std::span<const uint8_t> msg, DnsMessage& out,
                         std::string_view* reason = nullptr);

// DNS over TCP (RFC 1035 4.2.2, RFC 7766): the first complete length-prefixed message of
// `stream`, without its 2-byte prefix; empty when the stream does not yet hold a complete message
// or the prefix announces a zero-length message.
std::span<const uint8_t> dnsTcpFrame(std::span<const uint8_t> stream);

// Appends a host name that arrived as raw bytes outside DNS (TLS SNI, HTTP Host) in a printable,
// unambiguous form: bytes 0x21-0x7e are kept (a backslash is doubled), every other byte becomes
// \DDD. Dots are kept as separators. The result is always ASCII, so it is safe in logs and JSON.
void appendHostText(std::string& out, std::span<const uint8_t> bytes);

// "NOERROR", "NXDOMAIN", ... for RCODEs 0-11 and 16-23 (RFC 6895 registry); "RCODE<n>" otherwise.
// Returned by value: the fallback text needs storage; it fits the small-string buffer.
std::string rcodeName(uint8_t rcode);
// "A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SOA", "SRV", "HTTPS", "SVCB", "ANY", ...;
// "TYPE<n>" (RFC 3597) otherwise.
std::string typeName(uint16_t type);

}  // namespace mamori::sensor::dns
