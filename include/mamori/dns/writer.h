// Building DNS messages into a caller's buffer: name compression, EDNS0, and truncation at record
// boundaries (RFC 1035 4.1.4 and 4.2.1, RFC 2181 9, RFC 6891 7).
//
// A MessageWriter never writes past `limit` (the client's UDP payload size, or 65535 over TCP): a
// record that does not fit leaves the message exactly as it was and the add call returns false,
// so the caller sets TC and sends what fits. Space for the OPT record is reserved up front when
// the message will carry one, so truncation never costs the EDNS record. Nothing allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "mamori/dns/message.h"
#include "mamori/dns/name.h"

namespace mamori::dns {

// The fields of an SOA record's data (RFC 1035 3.3.13).
struct SoaData {
  Name mname;
  Name rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

// What the server says about itself in every response it builds.
struct ResponseOptions {
  uint16_t udpPayloadSize = 1232;  // advertised in our OPT (the DNS flag day 2020 value)
  bool recursionAvailable = true;
};

class MessageWriter {
 public:
  // Writes into `buffer`; the message never exceeds min(limit, buffer.size()) bytes.
  MessageWriter(std::span<uint8_t> buffer, size_t limit);

  // Writes the header (id, flags, rcode's low 4 bits); counts are kept by the writer. Starts a
  // new message: anything written before is discarded. False only if the buffer is under 12.
  bool start(const Header& header);

  // Each add returns false, leaving the message unchanged, when the item does not fit. Items must
  // come in section order (question, answer, authority, additional); out of order is refused.
  bool addQuestion(const Name& name, uint16_t type, uint16_t qclass);
  bool addRecord(Section section, const Name& owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                 std::span<const uint8_t> rdata);
  // CNAME, NS, PTR: the target name in the rdata is compressed too.
  bool addNameRecord(Section section, const Name& owner, uint16_t type, uint16_t rclass,
                     uint32_t ttl, const Name& target);
  bool addSoa(Section section, const Name& owner, uint32_t ttl, const SoaData& soa);

  // Keeps `bytes` free at the end for a record added later with addOpt(); false if the message
  // already uses them.
  bool reserve(size_t bytes);
  // The OPT record (RFC 6891 6.1.2): payload size, extended rcode (upper 8 bits of `rcode`),
  // version 0, DO, raw options. May use the reserved bytes. Always the last record.
  bool addOpt(uint16_t udpPayloadSize, uint16_t rcode, bool dnssecOk,
              std::span<const uint8_t> options = {});

  void setTruncated();
  void setRcode(uint16_t rcode);  // low 4 bits into the header
  void setAuthoritative(bool aa);

  size_t size() const { return size_; }
  std::span<const uint8_t> message() const { return buffer_.first(size_); }
  uint16_t count(Section section) const { return counts_[1 + static_cast<int>(section)]; }

  // Bytes an OPT record with `optionBytes` of options takes.
  static constexpr size_t optSize(size_t optionBytes) { return 11 + optionBytes; }

 private:
  bool beginItem(int section);
  bool writeName(const Name& name);
  bool put16(uint16_t v);
  bool put32(uint32_t v);
  bool putBytes(std::span<const uint8_t> bytes);
  void commit(int section);
  void rollback();
  void patchCount(int section);
  bool fits(size_t n) const { return pos_ + n <= limit_ - reserved_; }

  // Offsets of labels written uncompressed, to compress later names against. 64 covers every
  // answer the resolver builds (a question plus a few records of a few labels each); when it is
  // full, names are still written, just not offered as targets.
  static constexpr size_t kMaxTargets = 64;

  std::span<uint8_t> buffer_;
  size_t limit_;
  size_t reserved_ = 0;
  size_t size_ = 0;  // committed bytes
  size_t pos_ = 0;   // write position of the item in progress
  uint16_t targets_[kMaxTargets] = {};
  size_t targetCount_ = 0;
  size_t committedTargets_ = 0;
  uint16_t counts_[4] = {};  // question, answer, authority, additional
  int section_ = 0;          // 0 question, 1 answer, 2 authority, 3 additional
  bool optWritten_ = false;
};

// The largest response a client may receive for `query`: 65535 over TCP; over UDP its EDNS
// payload size (512 without EDNS), capped by `serverMax`.
size_t responseLimit(const Message& query, bool tcp, size_t serverMax);

// Starts a response to `query` in `w`: id, opcode, RD and CD copied, QR set, RA as configured,
// the question echoed as the client spelled it, and room reserved for an OPT when the query had
// EDNS. Finish with finishResponse(). False if the question does not fit (never at 512 bytes).
bool beginResponse(MessageWriter& w, const Message& query, uint16_t rcode,
                   const ResponseOptions& options);
// Adds the OPT record (when the query had one) carrying `rcode`'s upper bits and the query's DO
// bit.
bool finishResponse(MessageWriter& w, const Message& query, uint16_t rcode,
                    const ResponseOptions& options);

// A complete response with no records: FORMERR, SERVFAIL, REFUSED, NOTIMP, NXDOMAIN or a NOERROR
// NODATA. Works from a partially parsed query (a FORMERR echoes what parsed); returns the size
// written into `out`, or 0 when there is nothing to answer (under 12 bytes, or a response).
size_t writeErrorResponse(const Message& query, uint16_t rcode, std::span<uint8_t> out,
                          size_t limit, const ResponseOptions& options = {});
// NXDOMAIN or NODATA carrying an SOA in the authority section, so the client caches the negative
// answer for min(soaTtl, soa.minimum) (RFC 2308 3, 5).
size_t writeNegativeResponse(const Message& query, uint16_t rcode, const Name& soaOwner,
                             uint32_t soaTtl, const SoaData& soa, std::span<uint8_t> out,
                             size_t limit, const ResponseOptions& options = {});

// Makes the response in buf[0, length) fit `limit` for the client of `query`: removes any OPT
// record it carries, appends the server's OPT when the query had EDNS, and when the whole does
// not fit keeps the leading records that do (records are never cut) and sets TC if an answer or
// authority record had to go (dropping additional records alone does not need TC: RFC 2181 9).
// The response must be a valid message (compression pointers point backwards, as parseMessage
// enforces). Returns the new length; 0 if the response does not parse.
size_t fitResponse(std::span<uint8_t> buf, size_t length, const Message& query, size_t limit,
                   const ResponseOptions& options = {});

}  // namespace mamori::dns
