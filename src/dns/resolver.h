// The parts of answering a query that need no sockets (internal to src/dns): building upstream
// queries with 0x20 case randomization and checking what comes back, policy answers (negative,
// local data, truncation), copying an upstream answer behind a policy CNAME, and response-IP
// checks. The server calls these; tests call them directly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mamori/dns/message.h"
#include "mamori/dns/name.h"
#include "mamori/dns/policy.h"
#include "mamori/dns/writer.h"

namespace mamori::dns {

// Random bits for ids and 0x20 from the system CSPRNG, drawn 4 KiB at a time so the query path
// pays for a system call only every few hundred queries. One per thread.
class RandomPool {
 public:
  uint16_t next16();
  uint64_t next64();

 private:
  void refill();
  std::array<uint8_t, 4096> bytes_{};
  size_t used_ = sizeof(bytes_);
};

// `name` with each ASCII letter's case chosen at random.
Name randomizeCase(const Name& name, RandomPool& random);

// The query sent upstream: RD set, CD as the client asked, an OPT advertising `udpPayloadSize`
// with the client's DO bit. Returns its length (0 if `out` is too small).
size_t writeUpstreamQuery(std::span<uint8_t> out, uint16_t id, const Name& qname, uint16_t qtype,
                          uint16_t qclass, bool checkingDisabled, bool dnssecOk,
                          uint16_t udpPayloadSize);

enum class UpstreamVerdict : uint8_t {
  kAccept,
  kNotResponse,    // QR clear or another opcode: not an answer at all
  kWrongId,        // a spoof attempt (or a very late answer to an earlier query)
  kWrongQuestion,  // another name, type or class
  kWrongCase,      // the right name in another case: 0x20 caught a spoof attempt
};
std::string_view upstreamVerdictName(UpstreamVerdict verdict);

// Whether `answer` (parsed) answers the query sent with `id` for exactly `sentName` (case
// included), `qtype`, `qclass`.
UpstreamVerdict verifyUpstreamAnswer(const Message& answer, uint16_t id, const Name& sentName,
                                     uint16_t qtype, uint16_t qclass);

// The SOA a negative policy answer carries: the policy zone's own, or for a source without one
// (a domain list) a made-up "NAME.rpz.invalid." whose TTL and minimum are the rule's TTL, so that
// clients cache the refusal as long as the policy says (RFC 2308 5).
struct NegativeSoa {
  Name owner;
  uint32_t ttl = 0;
  SoaData soa;
};
NegativeSoa negativeSoaFor(const PolicySourceInfo& source);

// NXDOMAIN or NODATA for `query` as policy `match` decided, into `out`; returns the length.
size_t writePolicyNegative(const Message& query, uint16_t rcode, const NegativeSoa& soa,
                           uint32_t ruleTtl, std::span<uint8_t> out, size_t limit,
                           const ResponseOptions& options);

// A response with TC set and no records: over UDP this sends the client to TCP (RPZ tcp-only,
// and the answer when not even the question fits).
size_t writeTruncated(const Message& query, std::span<uint8_t> out, size_t limit,
                      const ResponseOptions& options);

// Local data without a CNAME: the records of the query's type (all of them for ANY) with the
// query name as owner; when there are none, NODATA with `soa`. Records that do not fit set TC.
size_t writeLocalData(const Message& query, const LocalData& data, const NegativeSoa& soa,
                      uint32_t ruleTtl, std::span<uint8_t> out, size_t limit,
                      const ResponseOptions& options);

// The answer to `query` when the policy rewrote its name to `target` with a CNAME: the CNAME
// record, then the answer records of `upstream` (the answer for `target`; may be null when the
// query asked for the CNAME itself or the target could not be resolved), with upstream's rcode.
// Names inside well-known record data (CNAME, NS, PTR, MX, SOA) are decompressed and written
// again, since the upstream's compression pointers mean nothing in the new message.
size_t writeCnameAnswer(const Message& query, const Name& target, uint32_t cnameTtl,
                        const Message* upstream, std::span<uint8_t> out, size_t limit,
                        const ResponseOptions& options);

// The first response-IP decision for the A and AAAA records in `response`'s answer section,
// among sources before `sourceLimit`; action kNone when nothing matched.
PolicyMatch matchAnswerAddresses(const Message& response, const Policy& policy, size_t sourceLimit);

// Mnemonics for metrics and records: "A", "AAAA", ... "TYPE65" / "NOERROR", ... "RCODE11".
std::string_view qtypeName(uint16_t type);
std::string qtypeText(uint16_t type);
std::string_view rcodeName(uint16_t rcode);

}  // namespace mamori::dns
