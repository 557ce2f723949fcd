// libFuzzer target for policy loading: the same text as an RPZ zone file and as a domain list.
// Loading either succeeds or fails with an error naming the file and line; a loaded policy
// answers lookups for names taken from the input without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/dns/policy.h"

namespace {

using namespace mamori::dns;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

void probe(const Policy& policy, std::string_view text) {
  (void)policy.matchQname(Name());
  // Every whitespace-separated token that is a name is looked up, with a label in front too.
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find_first_of(" \t\r\n", pos);
    const std::string_view token =
        text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    const auto name = Name::fromText(token);
    if (!name.ok()) continue;
    const PolicyMatch m = policy.matchQname(*name);
    if (m.matched()) {
      require(m.source < policy.sources().size());
      (void)m.triggerText(*name);
      if (m.localData != nullptr && m.localData->hasCname) (void)m.cnameTarget(*name);
    }
    auto child = Name::fromText("x", &*name);
    if (child.ok()) (void)policy.matchQname(*child);
  }
  for (const char* ip : {"192.0.2.1", "10.0.0.1", "2001:db8::1", "::"}) {
    const PolicyMatch m = policy.matchResponseIp(*mamori::IpAddress::parse(ip));
    if (m.matched()) require(m.trigger == TriggerKind::kResponseIp);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  {
    PolicyBuilder b;
    const auto r = b.addRpzText("fuzz", text, "fuzz.rpz");
    if (r.ok()) {
      probe(b.build(), text);
    } else {
      require(r.error().message.rfind("fuzz.rpz:", 0) == 0);
    }
  }
  {
    PolicyBuilder b;
    const auto r = b.addDomainListText("list", text, "fuzz.txt", PolicyAction::kNxdomain, true);
    if (r.ok()) {
      probe(b.build(), text);
    } else {
      require(r.error().message.rfind("fuzz.txt:", 0) == 0);
    }
  }
  return 0;
}
