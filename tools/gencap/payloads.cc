#include "payloads.h"

#include <algorithm>
#include <string>

#include "mamori/core/result.h"

namespace mamori::gencap {

// ---- HTTP ---------------------------------------------------------------------------------------

void appendHttpRequest(Bytes& out, std::string_view method, std::string_view target,
                       std::string_view host, std::string_view userAgent,
                       std::string_view extraHeaders, std::string_view body) {
  putStr(out, method);
  put8(out, ' ');
  putStr(out, target);
  putStr(out, " HTTP/1.1\r\nHost: ");
  putStr(out, host);
  putStr(out, "\r\nUser-Agent: ");
  putStr(out, userAgent);
  putStr(out, "\r\n");
  putStr(out, extraHeaders);
  if (!body.empty()) {
    putStr(out, "Content-Length: ");
    putStr(out, std::to_string(body.size()));
    putStr(out, "\r\n");
  }
  putStr(out, "\r\n");
  putStr(out, body);
}

void appendHttpResponse(Bytes& out, std::string_view statusLine, std::string_view contentType,
                        std::string_view extraHeaders, std::string_view body) {
  putStr(out, statusLine);
  putStr(out, "\r\n");
  putStr(out, extraHeaders);
  putStr(out, "Content-Type: ");
  putStr(out, contentType);
  putStr(out, "\r\nContent-Length: ");
  putStr(out, std::to_string(body.size()));
  putStr(out, "\r\n\r\n");
  putStr(out, body);
}

// ---- TLS ----------------------------------------------------------------------------------------

namespace {

// Starts a length-prefixed block; returns where the length goes.
size_t open16(Bytes& out) {
  const size_t at = out.size();
  put16(out, 0);
  return at;
}
void close16(Bytes& out, size_t at, const char* what) {
  set16(out, at, checkedU16(out.size() - at - 2, what));
}

size_t beginExtension(Bytes& out, uint16_t type) {
  put16(out, type);
  return open16(out);
}

}  // namespace

void appendTlsRecord(Bytes& out, uint8_t contentType, std::span<const uint8_t> body) {
  put8(out, contentType);
  put16(out, 0x0303);
  put16(out, checkedU16(body.size(), "TLS record length"));
  putBytes(out, body);
}

ClientHelloLayout appendClientHello(Bytes& out, const ClientHelloParams& p) {
  static constexpr uint16_t kCiphers[] = {0x2A2A,  // GREASE
                                          0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F,
                                          0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013,
                                          0xC014, 0x009C, 0x009D, 0x002F, 0x0035};
  static constexpr uint16_t kGroups[] = {0x001D, 0x0017, 0x0018};
  static constexpr uint16_t kSigAlgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                          0x0805, 0x0501, 0x0806, 0x0601};
  ClientHelloLayout layout;
  const size_t record = out.size();
  put8(out, 0x16);
  put16(out, 0x0301);  // legacy record version used by ClientHellos
  const size_t recordLen = open16(out);
  put8(out, 1);  // client_hello
  const size_t handshakeLen = out.size();
  put24(out, 0);
  put16(out, 0x0303);
  putBytes(out, {p.random, 32});
  put8(out, 32);
  putBytes(out, {p.sessionId, 32});
  put16(out, static_cast<uint16_t>(sizeof kCiphers));
  for (uint16_t c : kCiphers) put16(out, c);
  put8(out, 1);
  put8(out, 0);
  const size_t extensionsLen = open16(out);

  size_t ext = beginExtension(out, 10);  // supported_groups
  put16(out, static_cast<uint16_t>(sizeof kGroups));
  for (uint16_t g : kGroups) put16(out, g);
  close16(out, ext, "extension");

  ext = beginExtension(out, 11);  // ec_point_formats: uncompressed
  put8(out, 1);
  put8(out, 0);
  close16(out, ext, "extension");

  ext = beginExtension(out, 13);  // signature_algorithms
  put16(out, static_cast<uint16_t>(sizeof kSigAlgs));
  for (uint16_t s : kSigAlgs) put16(out, s);
  close16(out, ext, "extension");

  ext = beginExtension(out, kCanaryTlsExtension);
  for (int i = 0; i < p.canaryCopies; ++i) {
    if (i == 1) layout.canarySplit = out.size() - record;
    putStr(out, p.canary);
  }
  close16(out, ext, "canary extension");

  ext = beginExtension(out, 0);  // server_name
  const size_t list = open16(out);
  put8(out, 0);  // host_name
  put16(out, checkedU16(p.sni.size(), "SNI"));
  putStr(out, p.sni);
  close16(out, list, "SNI list");
  close16(out, ext, "extension");

  ext = beginExtension(out, 16);  // ALPN
  const size_t protocols = open16(out);
  for (std::string_view proto : {std::string_view("h2"), std::string_view("http/1.1")}) {
    put8(out, static_cast<uint8_t>(proto.size()));
    putStr(out, proto);
  }
  close16(out, protocols, "ALPN list");
  close16(out, ext, "extension");

  ext = beginExtension(out, 43);  // supported_versions
  put8(out, 4);
  put16(out, 0x0304);
  put16(out, 0x0303);
  close16(out, ext, "extension");

  ext = beginExtension(out, 45);  // psk_key_exchange_modes: psk_dhe_ke
  put8(out, 1);
  put8(out, 1);
  close16(out, ext, "extension");

  ext = beginExtension(out, 51);  // key_share
  const size_t shares = open16(out);
  put16(out, 0x001D);
  put16(out, 32);
  putBytes(out, {p.keyShare, 32});
  close16(out, shares, "key_share list");
  close16(out, ext, "extension");

  const size_t natural = out.size() - record;
  if (p.padRecordTo >= natural + 4) {
    ext = beginExtension(out, 21);  // padding
    out.resize(out.size() + (p.padRecordTo - natural - 4), 0);
    close16(out, ext, "padding extension");
  }

  close16(out, extensionsLen, "extensions");
  const size_t hsBody = out.size() - handshakeLen - 3;
  if (hsBody > 0xFFFFFF) throw Failure("ClientHello too large");
  set24(out, handshakeLen, static_cast<uint32_t>(hsBody));
  close16(out, recordLen, "TLS record length");
  layout.recordLength = out.size() - record;
  return layout;
}

void appendServerFlight(Bytes& out, const uint8_t* random32, const uint8_t* sessionId32,
                        const uint8_t* keyShare32, std::span<const uint8_t> appData) {
  put8(out, 0x16);
  put16(out, 0x0303);
  const size_t recordLen = open16(out);
  put8(out, 2);  // server_hello
  const size_t handshakeLen = out.size();
  put24(out, 0);
  put16(out, 0x0303);
  putBytes(out, {random32, 32});
  put8(out, 32);
  putBytes(out, {sessionId32, 32});
  put16(out, 0x1301);
  put8(out, 0);
  const size_t extensions = open16(out);
  size_t ext = beginExtension(out, 43);  // supported_versions: selected version
  put16(out, 0x0304);
  close16(out, ext, "extension");
  ext = beginExtension(out, 51);  // key_share: one server share
  put16(out, 0x001D);
  put16(out, 32);
  putBytes(out, {keyShare32, 32});
  close16(out, ext, "extension");
  close16(out, extensions, "extensions");
  set24(out, handshakeLen, static_cast<uint32_t>(out.size() - handshakeLen - 3));
  close16(out, recordLen, "TLS record length");

  const uint8_t ccs = 1;
  appendTlsRecord(out, 0x14, {&ccs, 1});
  appendTlsRecord(out, 0x17, appData);
}

// ---- DNS ----------------------------------------------------------------------------------------

void appendDnsHeader(Bytes& out, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                     uint16_t ar) {
  put16(out, id);
  put16(out, flags);
  put16(out, qd);
  put16(out, an);
  put16(out, ns);
  put16(out, ar);
}

namespace {
void appendLabels(Bytes& out, std::string_view name) {
  while (!name.empty()) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      throw Failure("invalid DNS label in '" + std::string(name) + "'");
    }
    put8(out, static_cast<uint8_t>(label.size()));
    putStr(out, label);
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
}
}  // namespace

void appendDnsName(Bytes& out, std::string_view name) {
  if (name.empty() || name.size() > 253)
    throw Failure("invalid DNS name '" + std::string(name) + "'");
  appendLabels(out, name);
  put8(out, 0);
}

void appendDnsNameWithPointer(Bytes& out, std::string_view prefix, uint16_t offset) {
  appendLabels(out, prefix);
  put16(out, static_cast<uint16_t>(0xC000 | (offset & 0x3FFF)));
}

void appendDnsQuestion(Bytes& out, std::string_view name, uint16_t type) {
  appendDnsName(out, name);
  put16(out, type);
  put16(out, 1);  // IN
}

size_t beginDnsRecord(Bytes& out, uint16_t ownerOffset, uint16_t type, uint32_t ttl) {
  appendDnsNameWithPointer(out, {}, ownerOffset);
  put16(out, type);
  put16(out, 1);
  put32(out, ttl);
  return open16(out);
}

void finishDnsRecord(Bytes& out, size_t rdlengthAt) {
  close16(out, rdlengthAt, "DNS rdata");
}

void appendDnsOpt(Bytes& out, std::string_view canary) {
  put8(out, 0);  // root owner
  put16(out, kDnsOpt);
  put16(out, 1232);  // requestor's UDP payload size
  put32(out, 0);     // extended rcode, version 0, no DO bit
  const size_t rdlength = open16(out);
  if (!canary.empty()) {
    put16(out, kCanaryEdnsOption);
    put16(out, checkedU16(canary.size(), "EDNS option"));
    putStr(out, canary);
  }
  close16(out, rdlength, "OPT rdata");
}

void appendTxtString(Bytes& out, std::string_view text) {
  put8(out, checkedU8(text.size(), "TXT string"));
  putStr(out, text);
}

// ---- filler -------------------------------------------------------------------------------------

namespace {
constexpr std::string_view kText =
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco "
    "laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in "
    "voluptate velit esse cillum dolore eu fugiat nulla pariatur. ";

void appendText(Bytes& out, size_t n, size_t start) {
  while (n > 0) {
    start %= kText.size();
    const size_t take = std::min(n, kText.size() - start);
    putStr(out, kText.substr(start, take));
    n -= take;
    start += take;
  }
}
}  // namespace

void appendTextWithCanary(Bytes& out, size_t n, std::string_view canary, Rng& rng) {
  const size_t filler = n > canary.size() ? n - canary.size() : 0;
  const size_t before = filler == 0 ? 0 : rng.below(static_cast<uint32_t>(filler + 1));
  const size_t start = rng.below(static_cast<uint32_t>(kText.size()));
  appendText(out, before, start);
  putStr(out, canary);
  appendText(out, filler - before, start + before);
}

void appendRandomWithCanary(Bytes& out, size_t n, std::string_view canary, Rng& rng) {
  const size_t total = std::max(n, canary.size());
  const size_t at = out.size();
  out.resize(at + total);
  rng.fill(out.data() + at, total);
  const size_t pos = rng.below(static_cast<uint32_t>(total - canary.size() + 1));
  std::copy(canary.begin(), canary.end(), out.begin() + static_cast<std::ptrdiff_t>(at + pos));
}

}  // namespace mamori::gencap
