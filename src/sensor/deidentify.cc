#include "deidentify.h"
#include "mamori/core/crypto.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace mamori::sensor {
namespace {

bool endsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(),
                    s.end() - static_cast<std::ptrdiff_t>(suffix.size()), [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

std::vector<std::string_view> labels(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t dot = s.find('.', start);
    const size_t end = dot == std::string_view::npos ? s.size() : dot;
    out.push_back(s.substr(start, end - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace

Result<IpAddress> addressFromReverseName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (endsWithNoCase(name, ".in-addr.arpa")) {
    const auto parts = labels(name.substr(0, name.size() - 13));
    if (parts.size() != 4) return makeError("not a full IPv4 reverse name");
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      const auto part = parts[3 - i];
      if (part.empty() || part.size() > 3) return makeError("bad IPv4 reverse label");
      unsigned octet = 0;
      for (char c : part) {
        if (c < '0' || c > '9') return makeError("bad IPv4 reverse label");
        octet = octet * 10 + static_cast<unsigned>(c - '0');
      }
      if (octet > 255) return makeError("bad IPv4 reverse label");
      v = (v << 8) | octet;
    }
    return IpAddress::v4(v);
  }
  if (endsWithNoCase(name, ".ip6.arpa")) {
    const auto parts = labels(name.substr(0, name.size() - 9));
    if (parts.size() != 32) return makeError("not a full IPv6 reverse name");
    Uint128 v = 0;
    for (size_t i = 0; i < 32; ++i) {
      const auto part = parts[31 - i];
      if (part.size() != 1 || hexDigitValue(part[0]) < 0) return makeError("bad IPv6 reverse label");
      v = (v << 4) | static_cast<Uint128>(hexDigitValue(part[0]));
    }
    return IpAddress::v6(v);
  }
  return makeError("not a reverse-lookup name");
}

std::string reverseName(const IpAddress& a) {
  std::string out;
  const auto& b = a.bytes();
  if (a.isV4()) {
    return fmt::format("{}.{}.{}.{}.in-addr.arpa", b[3], b[2], b[1], b[0]);
  }
  for (size_t i = 16; i > 0; --i) {
    out += fmt::format("{:x}.{:x}.", b[i - 1] & 0x0f, b[i - 1] >> 4);
  }
  return out + "ip6.arpa";
}

std::string Deidentifier::name(std::string_view n) const {
  if (auto reverse = addressFromReverseName(n); reverse && domestic.contains(*reverse)) {
    return reverseName(pseudonymizer.pseudonymize(*reverse));
  }
  std::string_view literal = n;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (auto ip = IpAddress::parse(literal); ip && domestic.contains(*ip)) {
    return pseudonymizer.pseudonymize(*ip).toString();
  }
  return std::string(n);
}

}  // namespace mamori::sensor
