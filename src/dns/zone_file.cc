#include "zone_file.h"

#include <charconv>
#include <optional>

#include "mamori/dns/message.h"

namespace mamori::dns {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(static_cast<uint8_t>(a[i])) != lowerAscii(static_cast<uint8_t>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// Splits the text into logical lines: a record's tokens, which parentheses may spread over
// several physical lines.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // Reads the next logical line with at least one token; false at the end. *blankOwner is set
  // when the line starts with white space (the owner is the previous record's).
  Result<bool> next(std::vector<ZoneToken>& tokens, size_t* startLine, bool* blankOwner) {
    tokens.clear();
    int depth = 0;
    bool atLineStart = true;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (atLineStart && depth == 0 && tokens.empty()) {
        *startLine = line_;
        *blankOwner = isBlank(c);
        atLineStart = false;
      }
      if (isBlank(c)) {
        ++pos_;
        continue;
      }
      if (c == ';') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        continue;
      }
      if (c == '\n') {
        ++pos_;
        ++line_;
        if (depth == 0) {
          if (!tokens.empty()) return true;
          atLineStart = true;
        }
        continue;
      }
      if (c == '(') {
        ++depth;
        ++pos_;
        continue;
      }
      if (c == ')') {
        if (depth == 0) return makeError(where() + "')' without '('");
        --depth;
        ++pos_;
        continue;
      }
      if (c == '"') {
        const size_t begin = ++pos_;
        while (pos_ < text_.size() && text_[pos_] != '"') {
          if (text_[pos_] == '\n') return makeError(where() + "unterminated quoted string");
          if (text_[pos_] == '\\') ++pos_;
          ++pos_;
        }
        if (pos_ >= text_.size()) return makeError(where() + "unterminated quoted string");
        tokens.push_back(ZoneToken{text_.substr(begin, pos_ - begin), true});
        ++pos_;
        continue;
      }
      const size_t begin = pos_;
      while (pos_ < text_.size()) {
        const char d = text_[pos_];
        if (isBlank(d) || d == '\n' || d == ';' || d == '(' || d == ')' || d == '"') break;
        if (d == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') ++pos_;
        ++pos_;
      }
      tokens.push_back(ZoneToken{text_.substr(begin, pos_ - begin), false});
    }
    if (depth != 0) return makeError(where() + "'(' not closed by the end of the file");
    return !tokens.empty();
  }

  size_t line() const { return line_; }
  void setOrigin(std::string_view origin) { origin_ = origin; }

 private:
  std::string where() const { return std::string(origin_) + ":" + std::to_string(line_) + ": "; }

  std::string_view text_;
  std::string_view origin_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

bool isClass(std::string_view t) {
  return iequals(t, "IN") || iequals(t, "CH") || iequals(t, "HS") || iequals(t, "CS") ||
         iequals(t, "ANY");
}

}  // namespace

Result<uint32_t> parseTtl(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '9')
    return makeError("bad TTL '" + std::string(text) + "'");
  uint64_t total = 0;
  uint64_t number = 0;
  bool digits = false;
  bool units = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      number = number * 10 + static_cast<uint64_t>(c - '0');
      digits = true;
      if (number > 0xFFFFFFFFULL) return makeError("TTL too large: '" + std::string(text) + "'");
      continue;
    }
    uint64_t scale = 0;
    switch (lowerAscii(static_cast<uint8_t>(c))) {
      case 's':
        scale = 1;
        break;
      case 'm':
        scale = 60;
        break;
      case 'h':
        scale = 3600;
        break;
      case 'd':
        scale = 86400;
        break;
      case 'w':
        scale = 604800;
        break;
      default:
        return makeError("bad TTL '" + std::string(text) + "'");
    }
    if (!digits) return makeError("bad TTL '" + std::string(text) + "'");
    total += number * scale;
    number = 0;
    digits = false;
    units = true;
    if (total > 0x7FFFFFFFULL) return makeError("TTL over 2^31-1: '" + std::string(text) + "'");
  }
  if (digits) {
    if (units) return makeError("bad TTL '" + std::string(text) + "' (a number without a unit)");
    total = number;
  }
  if (total > 0x7FFFFFFFULL) return makeError("TTL over 2^31-1: '" + std::string(text) + "'");
  return static_cast<uint32_t>(total);
}

uint16_t recordTypeFromText(std::string_view t) {
  struct Known {
    std::string_view name;
    uint16_t type;
  };
  static constexpr Known kKnown[] = {
      {"A", kTypeA},         {"NS", kTypeNs},     {"CNAME", kTypeCname},
      {"SOA", kTypeSoa},     {"PTR", kTypePtr},   {"MX", kTypeMx},
      {"TXT", kTypeTxt},     {"AAAA", kTypeAaaa}, {"SRV", kTypeSrv},
      {"DNAME", kTypeDname}, {"OPT", kTypeOpt},   {"RRSIG", kTypeRrsig},
      {"HINFO", 13},         {"NAPTR", 35},       {"DS", 43},
      {"NSEC", 47},          {"DNSKEY", 48},      {"SVCB", 64},
      {"HTTPS", 65},         {"CAA", 257},
  };
  for (const Known& k : kKnown) {
    if (iequals(t, k.name)) return k.type;
  }
  if (t.size() > 4 && iequals(t.substr(0, 4), "TYPE")) {
    unsigned value = 0;
    const auto digits = t.substr(4);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size() && value > 0 && value <= 0xFFFF) {
      return static_cast<uint16_t>(value);
    }
  }
  return 0;
}

Result<std::string> unescapeCharacterString(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\') {
      if (i + 1 >= raw.size()) return makeError("string ends with a lone backslash");
      const auto isDigit = [](char d) { return d >= '0' && d <= '9'; };
      if (isDigit(raw[i + 1])) {
        if (i + 3 >= raw.size() || !isDigit(raw[i + 2]) || !isDigit(raw[i + 3])) {
          return makeError("bad \\DDD escape in a string");
        }
        const int v = (raw[i + 1] - '0') * 100 + (raw[i + 2] - '0') * 10 + (raw[i + 3] - '0');
        if (v > 255) return makeError("\\DDD escape over 255 in a string");
        c = static_cast<char>(v);
        i += 3;
      } else {
        c = raw[++i];
      }
    }
    out.push_back(c);
  }
  if (out.size() > 255) return makeError("character string longer than 255 bytes");
  return out;
}

Result<void> readZoneFile(std::string_view text, std::string_view origin, const Name& initialOrigin,
                          const std::function<Result<void>(const ZoneRecord&)>& onRecord) {
  Scanner scanner(text);
  scanner.setOrigin(origin);
  std::vector<ZoneToken> tokens;
  ZoneRecord record;
  record.origin = initialOrigin;
  bool haveOwner = false;
  std::optional<uint32_t> defaultTtl;  // $TTL
  std::optional<uint32_t> lastTtl;     // the last TTL written out (RFC 1035 default)
  size_t line = 0;
  bool blankOwner = false;
  const auto fail = [&](const std::string& what) -> Result<void> {
    return makeError(std::string(origin) + ":" + std::to_string(line) + ": " + what);
  };
  while (true) {
    auto more = scanner.next(tokens, &line, &blankOwner);
    if (!more.ok()) return more.error();
    if (!*more) break;
    size_t i = 0;
    const std::string_view first = tokens[0].text;
    if (!blankOwner && !tokens[0].quoted && !first.empty() && first[0] == '$') {
      if (iequals(first, "$ORIGIN")) {
        if (tokens.size() != 2) return fail("$ORIGIN takes one name");
        auto o = Name::fromText(tokens[1].text, &record.origin);
        if (!o.ok()) return fail(o.error().message);
        record.origin = *o;
      } else if (iequals(first, "$TTL")) {
        if (tokens.size() != 2) return fail("$TTL takes one value");
        auto t = parseTtl(tokens[1].text);
        if (!t.ok()) return fail(t.error().message);
        defaultTtl = *t;
      } else {
        return fail("directive " + std::string(first) +
                    " is not supported (a policy is the files named in its configuration)");
      }
      continue;
    }
    if (!blankOwner) {
      auto owner = Name::fromText(tokens[0].text, &record.origin);
      if (!owner.ok()) return fail("owner name: " + owner.error().message);
      record.owner = *owner;
      haveOwner = true;
      i = 1;
    } else if (!haveOwner) {
      return fail("record without an owner name (the line starts with white space)");
    }
    std::optional<uint32_t> ttl;
    bool sawClass = false;
    for (int field = 0; field < 2 && i < tokens.size(); ++field) {
      const std::string_view t = tokens[i].text;
      if (!t.empty() && t[0] >= '0' && t[0] <= '9' && !ttl) {
        auto parsed = parseTtl(t);
        if (!parsed.ok()) return fail(parsed.error().message);
        ttl = *parsed;
        ++i;
      } else if (!sawClass && isClass(t)) {
        if (!iequals(t, "IN"))
          return fail("class " + std::string(t) + " is not supported (IN only)");
        sawClass = true;
        ++i;
      } else {
        break;
      }
    }
    if (i >= tokens.size()) return fail("record without a type");
    record.typeText = tokens[i].text;
    record.type = recordTypeFromText(record.typeText);
    if (record.type == 0) return fail("unknown record type '" + std::string(record.typeText) + "'");
    ++i;
    record.rdata.assign(tokens.begin() + static_cast<std::ptrdiff_t>(i), tokens.end());
    if (ttl) {
      lastTtl = ttl;
    } else if (defaultTtl) {
      ttl = defaultTtl;
    } else if (lastTtl) {
      ttl = lastTtl;
    } else if (record.type == kTypeSoa && record.rdata.size() == 7) {
      // No $TTL and no TTL yet: the SOA's own MINIMUM, as BIND does.
      auto minimum = parseTtl(record.rdata[6].text);
      if (!minimum.ok()) return fail("SOA minimum: " + minimum.error().message);
      ttl = *minimum;
      lastTtl = ttl;
    } else {
      return fail("no TTL for this record (add a $TTL line)");
    }
    record.ttl = *ttl;
    record.line = line;
    auto r = onRecord(record);
    if (!r.ok()) return r;
  }
  return {};
}

}  // namespace mamori::dns
