// libFuzzer target for policy loading: the same text as an RPZ zone file, as a domain list, and
// as hub indicators (one "TYPE VALUE" per line, as `mamori dns --hub-indicators` receives them).
// Loading either succeeds or fails with an error naming the file and line (the indicator); a
// loaded policy answers lookups for names taken from the input without crashing; an indicator
// source is accepted exactly when checkIndicator() accepts every indicator in it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

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
  {
    std::vector<PolicyIndicator> indicators;
    bool allValid = true;
    size_t pos = 0;
    while (pos < text.size() && indicators.size() < 64) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      const size_t space = line.find(' ');
      PolicyIndicator& i = indicators.emplace_back();
      i.type = std::string(line.substr(0, space));
      i.value = space == std::string_view::npos ? "" : std::string(line.substr(space + 1));
      i.action = indicators.size() % 2 == 0 ? PolicyAction::kPassthru : PolicyAction::kNxdomain;
      allValid = allValid && checkIndicator(i).ok();
    }
    PolicyBuilder b;
    const auto r = b.addIndicators("hub", indicators, "hub");
    require(r.ok() == allValid);
    if (r.ok()) {
      probe(b.build(), text);
    } else {
      require(r.error().message.rfind("hub: indicator ", 0) == 0);
    }
  }
  return 0;
}
