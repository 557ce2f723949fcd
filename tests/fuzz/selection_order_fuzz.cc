// Fuzz target: the selection order parser and the DSSE envelope verifier (untrusted documents).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/core/signing.h"
#include "mamori/sensor/selection_order.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto order = mamori::sensor::parseSelectionOrder(text);
  if (order.ok()) {
    // Invariants of every accepted order.
    if (order->inScope(mamori::sensor::DirectionClass::kDomesticDomestic)) __builtin_trap();
    if (order->criteria.empty() || order->criteria.size() > mamori::sensor::kMaxCriteria) __builtin_trap();
    if (order->validUntil <= order->validFrom) __builtin_trap();
  }
  static const mamori::SigningKey key = mamori::SigningKey::generate();
  static const mamori::VerifyKey trusted = key.publicKey();
  auto payload = mamori::dsseVerify(trusted, text, mamori::sensor::kOrderPayloadType);
  if (payload.ok()) __builtin_trap();  // nothing the fuzzer writes carries this fresh key's signature
  return 0;
}
