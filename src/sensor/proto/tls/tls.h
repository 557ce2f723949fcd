// TLS ClientHello parsing and client fingerprints (JA3, JA4) for the selection sensor.
//
// Pure functions over untrusted bytes: they never throw and never read out of bounds. Only the
// ClientHello is read; nothing after it in the stream is looked at.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mamori::sensor::tls {

// Largest ClientHello body accepted (real ones, post-quantum key shares included, are < 4 KiB).
inline constexpr size_t kMaxClientHelloBytes = size_t{1} << 16;
// TLSPlaintext.length limit (RFC 8446 5.1).
inline constexpr size_t kMaxRecordPayload = size_t{1} << 14;
// At most this many ALPN protocol names are kept.
inline constexpr size_t kMaxAlpnValues = 16;
// SNI host names longer than this are not kept (the extension still counts as present).
inline constexpr size_t kMaxSniBytes = 255;

inline constexpr uint16_t kExtServerName = 0x0000;
inline constexpr uint16_t kExtSupportedGroups = 0x000a;
inline constexpr uint16_t kExtEcPointFormats = 0x000b;
inline constexpr uint16_t kExtSignatureAlgorithms = 0x000d;
inline constexpr uint16_t kExtAlpn = 0x0010;
inline constexpr uint16_t kExtSupportedVersions = 0x002b;

// RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ..., 0xfafa.
constexpr bool isGrease(uint16_t v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

// The fields of a ClientHello that fingerprints and selection use. Lists hold the wire values in
// wire order, GREASE included (the fingerprint functions drop GREASE themselves).
struct ClientHello {
  uint16_t legacyVersion = 0;
  std::vector<uint16_t> ciphers;
  std::vector<uint16_t> extensions;  // extension types, in wire order
  std::vector<uint16_t> supportedVersions;
  std::vector<uint16_t> signatureAlgorithms;
  std::vector<uint16_t> groups;
  std::vector<uint8_t> pointFormats;
  // ALPN protocol names as raw bytes (RFC 7301 names are opaque; may be non-ASCII or empty).
  // Escape before printing.
  std::vector<std::string> alpn;
  // The first host_name of server_name, printable (see dns::appendHostText); empty when absent,
  // empty, or longer than kMaxSniBytes. Whether the extension was sent at all is in `extensions`.
  std::string sni;
};

enum class TlsParse : uint8_t { kOk, kNeedMore, kNotTls, kMalformed };

// Parses the ClientHello at the start of a client-to-server TCP stream (TLS records).
//
// The handshake message may span several handshake records (type 22). Returns
//  - kOk: `out` holds the hello;
//  - kNeedMore: the bytes so far are a consistent prefix (record headers valid, handshake type 1,
//    length within kMaxClientHelloBytes) but the hello is not complete yet;
//  - kNotTls: the first record header is not a TLS handshake record (type 22, version 3.x with
//    x <= 4); SSL 2.0-format hellos are reported as kNotTls;
//  - kMalformed: TLS framing whose content is not a well-formed ClientHello (another handshake
//    type, bad lengths, a non-handshake record before the hello is complete, oversize).
// Extension framing must be exact; a known extension whose inner body is malformed is kept in
// `extensions` but its values are left empty (fingerprints remain computable, as Wireshark does).
// `out`'s vectors are cleared and reused. A hello that fits its first record is parsed in place;
// only a hello spread over several records is copied into one buffer.
TlsParse parseClientHello(std::span<const uint8_t> stream, ClientHello& out);

// Parses a ClientHello message body (after the 4-byte handshake header), e.g. reassembled from
// QUIC CRYPTO frames or DTLS fragments by the caller. Returns kOk or kMalformed.
TlsParse parseClientHelloBody(std::span<const uint8_t> body, ClientHello& out);

// JA4 (FoxIO specification, technical_details/JA4.md): e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1".
// transport: 't' TLS over TCP, 'q' QUIC, 'd' DTLS.
std::string ja4(const ClientHello& hello, char transport);

// The JA3 string "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats"
// (decimal values joined by '-', GREASE removed), and its MD5 as 32 lowercase hex digits.
std::string ja3String(const ClientHello& hello);
std::string ja3(const ClientHello& hello);

// The highest non-GREASE version offered: from supported_versions when present, else
// legacy_version. versionName() gives "1.3", "1.2", ..., "ssl3", or the hex value.
uint16_t offeredVersion(const ClientHello& hello);
std::string versionName(uint16_t version);

}  // namespace mamori::sensor::tls
