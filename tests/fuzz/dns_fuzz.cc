// libFuzzer target for the DNS message parser and the DNS-over-TCP framing.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sensor/proto/dns/dns.h"

namespace {

using namespace mamori::sensor::dns;

bool printable(const std::string& s) {
  for (const char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x21 || b > 0x7e) return false;
  }
  return true;
}

void check(std::span<const uint8_t> msg) {
  DnsMessage m;
  std::string_view why;
  const DnsParse result = parseDnsMessage(msg, m, &why);
  if ((result == DnsParse::kOk) != why.empty()) __builtin_trap();
  if (m.questions.size() > kMaxQuestions || m.answers.size() > kMaxAnswers ||
      m.cnames.size() > kMaxCnames) {
    __builtin_trap();
  }
  // Names are presentation text: printable ASCII only, at most 4 characters per wire byte.
  for (const auto& q : m.questions) {
    if (q.name.empty() || !printable(q.name) || q.name.size() > 4 * kMaxNameWireBytes) {
      __builtin_trap();
    }
  }
  for (const auto& c : m.cnames) {
    if (c.empty() || !printable(c) || c.size() > 4 * kMaxNameWireBytes) __builtin_trap();
  }
  (void)rcodeName(m.rcode);
  if (!m.questions.empty()) (void)typeName(m.questions.front().type);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  check(input);
  const auto frame = dnsTcpFrame(input);
  if (!frame.empty()) {
    if (frame.data() != data + 2 || frame.size() + 2 > size) __builtin_trap();
    check(frame);
  }
  return 0;
}
