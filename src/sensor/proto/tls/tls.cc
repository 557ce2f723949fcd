#include "proto/tls/tls.h"

#include <fmt/format.h>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "mamori/core/byte_cursor.h"
#include "proto/dns/dns.h"

namespace mamori::sensor::tls {
namespace {

constexpr uint8_t kContentHandshake = 22;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr size_t kRecordHeaderBytes = 5;
constexpr size_t kHandshakeHeaderBytes = 4;
constexpr size_t kRandomBytes = 32;
constexpr size_t kMaxSessionIdBytes = 32;

// Checks the record header at the start of `rest`, as far as it is present.
TlsParse recordHeader(std::span<const uint8_t> rest, bool first, size_t& length) {
  // Only the first record decides whether the stream is TLS at all; a bad header later, in a
  // stream that started as a ClientHello, is a malformed hello.
  const TlsParse bad = first ? TlsParse::kNotTls : TlsParse::kMalformed;
  if (!rest.empty() && rest[0] != kContentHandshake) {
    return bad;
  }
  if (rest.size() > 1 && rest[1] != 3) {
    return bad;
  }
  if (rest.size() > 2 && rest[2] > 4) {
    return bad;
  }
  if (rest.size() < kRecordHeaderBytes) {
    return TlsParse::kNeedMore;
  }
  length = (size_t{rest[3]} << 8) | rest[4];
  if (length == 0 || length > kMaxRecordPayload) {
    return TlsParse::kMalformed;
  }
  return TlsParse::kOk;
}

// Type and length from a complete handshake header; nullopt (malformed) unless a ClientHello
// within the size limit.
std::optional<size_t> helloLength(std::span<const uint8_t> header) {
  if (header[0] != kHandshakeClientHello) {
    return std::nullopt;
  }
  const size_t length = (size_t{header[1]} << 16) | (size_t{header[2]} << 8) | header[3];
  if (length > kMaxClientHelloBytes) {
    return std::nullopt;
  }
  return length;
}

void readU16List(ByteCursor& c, size_t bytes, std::vector<uint16_t>& out) {
  for (size_t i = 0; i + 1 < bytes; i += 2) {
    out.push_back(c.u16be());
  }
}

// Inner bodies of the extensions that fingerprints use. A body that does not parse leaves its
// list empty rather than half-filled: the hello's outer framing was already valid.
void parseServerName(std::span<const uint8_t> data, ClientHello& out) {
  ByteCursor c(data);
  const uint16_t listBytes = c.u16be();
  if (!c.ok() || listBytes != c.remaining()) {
    return;
  }
  while (c.remaining() > 0) {
    const uint8_t nameType = c.u8();
    const uint16_t nameBytes = c.u16be();
    const auto name = c.bytes(nameBytes);
    if (!c.ok()) {
      return;
    }
    if (nameType == 0) {  // host_name
      if (!name.empty() && name.size() <= kMaxSniBytes) {
        dns::appendHostText(out.sni, name);
      }
      return;
    }
  }
}

void parseAlpn(std::span<const uint8_t> data, ClientHello& out) {
  ByteCursor c(data);
  const uint16_t listBytes = c.u16be();
  if (!c.ok() || listBytes != c.remaining()) {
    return;
  }
  std::vector<std::string>& names = out.alpn;
  while (c.remaining() > 0) {
    const uint8_t nameBytes = c.u8();
    const auto name = c.bytes(nameBytes);
    if (!c.ok()) {
      names.clear();
      return;
    }
    if (names.size() < kMaxAlpnValues) {
      names.emplace_back(name.begin(), name.end());
    }
  }
}

// A list of u16 values behind a length of `prefixBytes` (1 or 2) bytes.
void parseU16Vector(std::span<const uint8_t> data, size_t prefixBytes, std::vector<uint16_t>& out) {
  ByteCursor c(data);
  const size_t listBytes = prefixBytes == 1 ? c.u8() : c.u16be();
  if (!c.ok() || listBytes != c.remaining() || listBytes % 2 != 0) {
    return;
  }
  readU16List(c, listBytes, out);
}

void parsePointFormats(std::span<const uint8_t> data, ClientHello& out) {
  ByteCursor c(data);
  const uint8_t listBytes = c.u8();
  if (!c.ok() || listBytes != c.remaining()) {
    return;
  }
  const auto formats = c.bytes(listBytes);
  out.pointFormats.assign(formats.begin(), formats.end());
}

void clearHello(ClientHello& out) {
  out.legacyVersion = 0;
  out.ciphers.clear();
  out.extensions.clear();
  out.supportedVersions.clear();
  out.signatureAlgorithms.clear();
  out.groups.clear();
  out.pointFormats.clear();
  out.alpn.clear();
  out.sni.clear();
}

constexpr char kHexDigits[] = "0123456789abcdef";

void appendHex4(std::string& out, uint16_t v) {
  out.push_back(kHexDigits[(v >> 12) & 0xf]);
  out.push_back(kHexDigits[(v >> 8) & 0xf]);
  out.push_back(kHexDigits[(v >> 4) & 0xf]);
  out.push_back(kHexDigits[v & 0xf]);
}

std::string digestHex(const EVP_MD* md, std::string_view data, size_t hexChars) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, md, nullptr) != 1) {
    // Only an OpenSSL misconfiguration (no default provider) gets here; a fixed marker keeps the
    // packet path free of exceptions and is visibly not a real fingerprint.
    return std::string(hexChars, 'x');
  }
  std::string hex;
  hex.reserve(hexChars);
  for (unsigned int i = 0; i < size && hex.size() < hexChars; ++i) {
    hex.push_back(kHexDigits[digest[i] >> 4]);
    if (hex.size() < hexChars) {
      hex.push_back(kHexDigits[digest[i] & 0xf]);
    }
  }
  return hex;
}

std::vector<uint16_t> withoutGrease(const std::vector<uint16_t>& values) {
  std::vector<uint16_t> kept;
  kept.reserve(values.size());
  for (const uint16_t v : values) {
    if (!isGrease(v)) {
      kept.push_back(v);
    }
  }
  return kept;
}

std::string_view ja4Version(uint16_t version) {
  switch (version) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

void appendCount(std::string& out, size_t n) {
  n = std::min<size_t>(n, 99);
  out.push_back(static_cast<char>('0' + n / 10));
  out.push_back(static_cast<char>('0' + n % 10));
}

bool isAsciiAlnum(uint8_t b) {
  return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

// JA4 "ALPN Extension Value": the first and last characters of the first ALPN value, or, when
// either end is not ASCII alphanumeric, the first and last characters of its hex form (the high
// nibble of the first byte and the low nibble of the last byte).
void appendAlpnCode(std::string& out, const ClientHello& hello) {
  const bool sent = std::find(hello.extensions.begin(), hello.extensions.end(), kExtAlpn) !=
                    hello.extensions.end();
  if (!sent || hello.alpn.empty() || hello.alpn.front().empty()) {
    out.append("00");
    return;
  }
  const auto first = static_cast<uint8_t>(hello.alpn.front().front());
  const auto last = static_cast<uint8_t>(hello.alpn.front().back());
  if (isAsciiAlnum(first) && isAsciiAlnum(last)) {
    out.push_back(static_cast<char>(first));
    out.push_back(static_cast<char>(last));
  } else {
    out.push_back(kHexDigits[first >> 4]);
    out.push_back(kHexDigits[last & 0xf]);
  }
}

// sha256 of the comma-joined 4-hex-digit list (plus an optional "_"-joined tail), truncated to
// 12 hex digits; "000000000000" for an empty list.
std::string ja4Hash(const std::vector<uint16_t>& sorted, const std::vector<uint16_t>& tail) {
  if (sorted.empty()) {
    return "000000000000";
  }
  std::string text;
  text.reserve((sorted.size() + tail.size()) * 5);
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) {
      text.push_back(',');
    }
    appendHex4(text, sorted[i]);
  }
  if (!tail.empty()) {
    text.push_back('_');
    for (size_t i = 0; i < tail.size(); ++i) {
      if (i > 0) {
        text.push_back(',');
      }
      appendHex4(text, tail[i]);
    }
  }
  return digestHex(EVP_sha256(), text, 12);
}

template <class T>
void appendDecimalList(std::string& out, const std::vector<T>& values, bool skipGrease) {
  bool firstValue = true;
  for (const T v : values) {
    if (skipGrease && isGrease(static_cast<uint16_t>(v))) {
      continue;
    }
    if (!firstValue) {
      out.push_back('-');
    }
    out.append(std::to_string(v));
    firstValue = false;
  }
}

}  // namespace

TlsParse parseClientHelloBody(std::span<const uint8_t> body, ClientHello& out) {
  clearHello(out);
  ByteCursor c(body);
  out.legacyVersion = c.u16be();
  c.skip(kRandomBytes);
  const uint8_t sessionIdBytes = c.u8();
  if (!c.ok() || sessionIdBytes > kMaxSessionIdBytes) {
    return TlsParse::kMalformed;
  }
  c.skip(sessionIdBytes);
  const uint16_t cipherBytes = c.u16be();
  if (!c.ok() || cipherBytes == 0 || cipherBytes % 2 != 0 || !c.has(cipherBytes)) {
    return TlsParse::kMalformed;
  }
  out.ciphers.reserve(cipherBytes / 2);
  readU16List(c, cipherBytes, out.ciphers);
  const uint8_t compressionBytes = c.u8();
  c.skip(compressionBytes);
  if (!c.ok() || compressionBytes == 0) {
    return TlsParse::kMalformed;
  }
  if (c.remaining() == 0) {
    return TlsParse::kOk;  // no extensions block (pre-TLS 1.2 clients)
  }

  const uint16_t extensionBytes = c.u16be();
  if (!c.ok() || extensionBytes != c.remaining()) {
    return TlsParse::kMalformed;
  }
  bool seenSni = false, seenAlpn = false, seenVersions = false, seenSigAlgs = false;
  bool seenGroups = false, seenPoints = false;
  while (c.remaining() > 0) {
    const uint16_t type = c.u16be();
    const uint16_t length = c.u16be();
    const auto data = c.bytes(length);
    if (!c.ok()) {
      return TlsParse::kMalformed;
    }
    out.extensions.push_back(type);
    // RFC 8446 forbids repeating an extension; if a client does, its first copy is the one used.
    switch (type) {
      case kExtServerName:
        if (!std::exchange(seenSni, true)) {
          parseServerName(data, out);
        }
        break;
      case kExtAlpn:
        if (!std::exchange(seenAlpn, true)) {
          parseAlpn(data, out);
        }
        break;
      case kExtSupportedVersions:
        if (!std::exchange(seenVersions, true)) {
          parseU16Vector(data, 1, out.supportedVersions);
        }
        break;
      case kExtSignatureAlgorithms:
        if (!std::exchange(seenSigAlgs, true)) {
          parseU16Vector(data, 2, out.signatureAlgorithms);
        }
        break;
      case kExtSupportedGroups:
        if (!std::exchange(seenGroups, true)) {
          parseU16Vector(data, 2, out.groups);
        }
        break;
      case kExtEcPointFormats:
        if (!std::exchange(seenPoints, true)) {
          parsePointFormats(data, out);
        }
        break;
      default:
        break;
    }
  }
  return TlsParse::kOk;
}

TlsParse parseClientHello(std::span<const uint8_t> stream, ClientHello& out) {
  clearHello(out);
  size_t recordBytes = 0;
  const TlsParse firstHeader = recordHeader(stream, true, recordBytes);
  if (firstHeader != TlsParse::kOk) {
    return firstHeader;
  }

  const size_t available = std::min(recordBytes, stream.size() - kRecordHeaderBytes);
  const auto fragment = stream.subspan(kRecordHeaderBytes, available);
  if (fragment.empty()) {
    return TlsParse::kNeedMore;
  }
  if (fragment[0] != kHandshakeClientHello) {
    return TlsParse::kMalformed;
  }
  std::optional<size_t> total;
  if (fragment.size() >= kHandshakeHeaderBytes) {
    const auto length = helloLength(fragment);
    if (!length) {
      return TlsParse::kMalformed;
    }
    total = kHandshakeHeaderBytes + *length;
    // The usual case: the whole hello sits in the first record.
    if (fragment.size() >= *total) {
      return parseClientHelloBody(fragment.subspan(kHandshakeHeaderBytes, *length), out);
    }
  }
  if (available < recordBytes) {
    return TlsParse::kNeedMore;
  }

  // The hello continues in further handshake records: join the fragments.
  std::vector<uint8_t> joined(fragment.begin(), fragment.end());
  size_t pos = kRecordHeaderBytes + recordBytes;
  while (!total || joined.size() < *total) {
    const auto rest = stream.subspan(pos);
    const TlsParse header = recordHeader(rest, false, recordBytes);
    if (header != TlsParse::kOk) {
      return header;
    }
    const size_t inRecord = std::min(recordBytes, rest.size() - kRecordHeaderBytes);
    const size_t wanted = total ? *total - joined.size() : kHandshakeHeaderBytes - joined.size();
    const auto piece = rest.subspan(kRecordHeaderBytes, std::min(inRecord, wanted));
    joined.insert(joined.end(), piece.begin(), piece.end());
    if (!total && joined.size() >= kHandshakeHeaderBytes) {
      const auto length = helloLength(joined);
      if (!length) {
        return TlsParse::kMalformed;
      }
      total = kHandshakeHeaderBytes + *length;
      // The rest of this record may hold more of the hello.
      const size_t more = std::min(inRecord - piece.size(), *total - joined.size());
      const auto extra = rest.subspan(kRecordHeaderBytes + piece.size(), more);
      joined.insert(joined.end(), extra.begin(), extra.end());
    }
    if (total && joined.size() >= *total) {
      break;
    }
    if (inRecord < recordBytes) {
      return TlsParse::kNeedMore;
    }
    pos += kRecordHeaderBytes + recordBytes;
  }
  return parseClientHelloBody(std::span<const uint8_t>(joined).subspan(
                                  kHandshakeHeaderBytes, *total - kHandshakeHeaderBytes),
                              out);
}

uint16_t offeredVersion(const ClientHello& hello) {
  uint16_t version = hello.legacyVersion;
  bool fromExtension = false;
  for (const uint16_t v : hello.supportedVersions) {
    if (isGrease(v)) {
      continue;
    }
    version = fromExtension ? std::max(version, v) : v;
    fromExtension = true;
  }
  return version;
}

std::string versionName(uint16_t version) {
  switch (version) {
    case 0x0304:
      return "1.3";
    case 0x0303:
      return "1.2";
    case 0x0302:
      return "1.1";
    case 0x0301:
      return "1.0";
    case 0x0300:
      return "ssl3";
    default:
      return version == 0 ? "" : fmt::format("0x{:04x}", version);
  }
}

std::string ja4(const ClientHello& hello, char transport) {
  const uint16_t version = offeredVersion(hello);
  std::vector<uint16_t> ciphers = withoutGrease(hello.ciphers);
  const std::vector<uint16_t> extensions = withoutGrease(hello.extensions);
  const bool sni =
      std::find(extensions.begin(), extensions.end(), kExtServerName) != extensions.end();

  std::string out;
  out.reserve(36);
  out.push_back(transport);
  out.append(ja4Version(version));
  out.push_back(sni ? 'd' : 'i');
  appendCount(out, ciphers.size());
  appendCount(out, extensions.size());
  appendAlpnCode(out, hello);

  std::sort(ciphers.begin(), ciphers.end());
  out.push_back('_');
  out.append(ja4Hash(ciphers, {}));

  std::vector<uint16_t> sortedExtensions;
  sortedExtensions.reserve(extensions.size());
  for (const uint16_t e : extensions) {
    if (e != kExtServerName && e != kExtAlpn) {
      sortedExtensions.push_back(e);
    }
  }
  std::sort(sortedExtensions.begin(), sortedExtensions.end());
  out.push_back('_');
  out.append(ja4Hash(sortedExtensions, withoutGrease(hello.signatureAlgorithms)));
  return out;
}

std::string ja3String(const ClientHello& hello) {
  std::string out = std::to_string(hello.legacyVersion);
  out.push_back(',');
  appendDecimalList(out, hello.ciphers, true);
  out.push_back(',');
  appendDecimalList(out, hello.extensions, true);
  out.push_back(',');
  appendDecimalList(out, hello.groups, true);
  out.push_back(',');
  appendDecimalList(out, hello.pointFormats, false);
  return out;
}

std::string ja3(const ClientHello& hello) {
  return digestHex(EVP_md5(), ja3String(hello), 32);
}

}  // namespace mamori::sensor::tls
