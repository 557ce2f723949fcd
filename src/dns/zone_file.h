// Master-file reading for policy zones (RFC 1035 5.1, RFC 2308 4 for $TTL): internal to src/dns.
//
// Handles $ORIGIN, $TTL, '@', relative and absolute owner names, a blank owner meaning "the
// previous one", TTL and class in either order, TTL units (1h30m), ';' comments, parentheses
// spanning lines and quoted strings. $INCLUDE and $GENERATE are refused: a policy is the files
// the operator names, nothing else. Tokens are views into the text (nothing copied).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/result.h"
#include "mamori/dns/name.h"

namespace mamori::dns {

struct ZoneToken {
  std::string_view text;  // for a quoted string: the raw text between the quotes
  bool quoted = false;
};

struct ZoneRecord {
  size_t line = 0;  // where the record starts
  Name owner;
  uint32_t ttl = 0;
  uint16_t type = 0;
  std::string_view typeText;
  std::vector<ZoneToken> rdata;
  Name origin;  // $ORIGIN in effect: relative names in the rdata are relative to it
};

// Calls onRecord for each record in order; an error from onRecord stops the reading and is
// returned as is. Syntax errors are "origin:line: what".
Result<void> readZoneFile(std::string_view text, std::string_view origin, const Name& initialOrigin,
                          const std::function<Result<void>(const ZoneRecord&)>& onRecord);

// "3600", "1h30m", "2d", "1w" -> seconds; RFC 2181 8 caps TTLs at 2^31 - 1.
Result<uint32_t> parseTtl(std::string_view text);

// Mnemonic ("A", "cname", "TYPE65") -> type number; 0 when unknown.
uint16_t recordTypeFromText(std::string_view text);

// The bytes of a <character-string> token (RFC 1035 5.1: "\X" and "\DDD" escapes).
Result<std::string> unescapeCharacterString(std::string_view raw);

}  // namespace mamori::dns
