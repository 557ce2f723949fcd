// Application payloads for mamori-gencap: HTTP/1.1 messages, TLS 1.3 ClientHello and server
// flight, DNS messages. Each function appends to `out` (never clears it).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "rng.h"
#include "wire.h"

namespace mamori::gencap {

// TLS extension type carrying the canary in ClientHellos: from the IANA "Reserved for Private
// Use" range 65280-65535 (0xFF01 renegotiation_info excepted) and not a GREASE value (RFC 8701
// GREASE values are 0x?A?A, so 0xFAFA would be ignored as GREASE by JA3/JA4 fingerprinting).
inline constexpr uint16_t kCanaryTlsExtension = 0xFF5A;
// EDNS(0) option code carrying the canary in DNS messages: RFC 6891 "Local/Experimental Use"
// range 65001-65534.
inline constexpr uint16_t kCanaryEdnsOption = 65001;

// ---- HTTP/1.1 ---------------------------------------------------------------------------------

// "METHOD target HTTP/1.1", Host, User-Agent, then `extraHeaders` (complete "Name: value\r\n"
// lines), Content-Length when `body` is non-empty, blank line, body.
void appendHttpRequest(Bytes& out, std::string_view method, std::string_view target,
                       std::string_view host, std::string_view userAgent,
                       std::string_view extraHeaders, std::string_view body);
// Status line, `extraHeaders`, Content-Type, Content-Length, blank line, body.
void appendHttpResponse(Bytes& out, std::string_view statusLine, std::string_view contentType,
                        std::string_view extraHeaders, std::string_view body);

// ---- TLS --------------------------------------------------------------------------------------

struct ClientHelloParams {
  std::string_view sni;
  std::string_view canary;
  // 2 puts two back-to-back canary copies in the canary extension so that a split at
  // ClientHelloLayout::canarySplit leaves a whole canary in each TCP segment.
  int canaryCopies = 1;
  const uint8_t* random = nullptr;     // 32 bytes
  const uint8_t* sessionId = nullptr;  // 32 bytes
  const uint8_t* keyShare = nullptr;   // 32 bytes (x25519 public key)
  size_t padRecordTo = 0;  // if larger than the natural size, add a padding extension (21)
};

struct ClientHelloLayout {
  size_t recordLength = 0;  // bytes appended (5-byte record header + handshake)
  size_t canarySplit = 0;   // offset, from the record start, between the two canary copies
};

// A TLS 1.3 ClientHello record: ciphers with one GREASE value, extensions in this order:
// supported_groups, ec_point_formats, signature_algorithms, canary (kCanaryTlsExtension),
// server_name, ALPN (h2, http/1.1), supported_versions (0x0304, 0x0303), psk_key_exchange_modes,
// key_share (x25519), [padding]. SNI sits after the canary extension on purpose: when the record
// is split at canarySplit the SNI is only readable after TCP reassembly.
ClientHelloLayout appendClientHello(Bytes& out, const ClientHelloParams& p);

// ServerHello (TLS 1.3, TLS_AES_128_GCM_SHA256, x25519) + ChangeCipherSpec + one
// application_data record holding `appData`.
void appendServerFlight(Bytes& out, const uint8_t* random32, const uint8_t* sessionId32,
                        const uint8_t* keyShare32, std::span<const uint8_t> appData);
void appendTlsRecord(Bytes& out, uint8_t contentType, std::span<const uint8_t> body);

// ---- DNS --------------------------------------------------------------------------------------

inline constexpr uint16_t kDnsA = 1;
inline constexpr uint16_t kDnsSoa = 6;
inline constexpr uint16_t kDnsPtr = 12;
inline constexpr uint16_t kDnsMx = 15;
inline constexpr uint16_t kDnsTxt = 16;
inline constexpr uint16_t kDnsAaaa = 28;
inline constexpr uint16_t kDnsOpt = 41;
inline constexpr uint16_t kDnsQuestionOffset = 12;  // where the question name starts

void appendDnsHeader(Bytes& out, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                     uint16_t ar);
// Uncompressed name ("a.b.example" -> labels + root). Throws on empty or over-long labels.
void appendDnsName(Bytes& out, std::string_view name);
// Labels of `prefix` followed by a compression pointer to `offset` (prefix may be empty).
void appendDnsNameWithPointer(Bytes& out, std::string_view prefix, uint16_t offset);
void appendDnsQuestion(Bytes& out, std::string_view name, uint16_t type);
// Resource record whose owner is a compression pointer; rdata follows via the returned offset
// (the rdlength is patched by finishDnsRecord).
size_t beginDnsRecord(Bytes& out, uint16_t ownerOffset, uint16_t type, uint32_t ttl);
void finishDnsRecord(Bytes& out, size_t rdlengthAt);
// OPT pseudo-record (UDP size 1232); with a non-empty canary, one EDNS option carrying it.
void appendDnsOpt(Bytes& out, std::string_view canary);
// TXT rdata of one character-string (<= 255 bytes).
void appendTxtString(Bytes& out, std::string_view text);

// ---- filler -----------------------------------------------------------------------------------

// Printable ASCII filler of exactly `n` bytes that contains `canary` at a position chosen by rng
// (the canary alone if n is too small for filler).
void appendTextWithCanary(Bytes& out, size_t n, std::string_view canary, Rng& rng);
// Random bytes of exactly max(n, canary.size()) bytes with the canary embedded at a random offset.
void appendRandomWithCanary(Bytes& out, size_t n, std::string_view canary, Rng& rng);

}  // namespace mamori::gencap
