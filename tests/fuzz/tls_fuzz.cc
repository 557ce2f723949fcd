// libFuzzer target for the TLS ClientHello parser and the JA3 / JA4 fingerprints.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "sensor/proto/tls/tls.h"

namespace {

using namespace mamori::sensor::tls;

bool isLowerHex(const std::string& s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void checkFingerprints(const ClientHello& hello) {
  const std::string j4 = ja4(hello, 't');
  if (j4.size() != 36 || j4[0] != 't' || j4[10] != '_' || j4[23] != '_') __builtin_trap();
  if (!isLowerHex(j4.substr(11, 12)) || !isLowerHex(j4.substr(24, 12))) __builtin_trap();
  const std::string j3 = ja3(hello);
  if (j3.size() != 32 || !isLowerHex(j3)) __builtin_trap();
  for (const char c : hello.sni) {
    if (c < 0x21 || c > 0x7e) __builtin_trap();
  }
  if (hello.alpn.size() > kMaxAlpnValues) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  ClientHello hello;
  const TlsParse result = parseClientHello(input, hello);
  if (result == TlsParse::kOk) checkFingerprints(hello);

  // A prefix of a consistent prefix, or of a complete hello, is never judged worse.
  if (result == TlsParse::kNeedMore || result == TlsParse::kOk) {
    ClientHello shorter;
    const TlsParse half = parseClientHello(input.first(size / 2), shorter);
    if (half != TlsParse::kNeedMore && half != TlsParse::kOk) __builtin_trap();
    if (result == TlsParse::kNeedMore && half != TlsParse::kNeedMore) __builtin_trap();
  }

  // The same bytes as a bare ClientHello body (the QUIC / DTLS entry point).
  if (parseClientHelloBody(input, hello) == TlsParse::kOk) checkFingerprints(hello);
  return 0;
}
