// Request normalization: bring evasive encodings of a request target to one canonical form, so
// that every classifier matches a single string and an evasion meets the same rule as the plain
// attack.
//
// Contract of normalizeTarget():
//  - An absolute-form target ("http://host/p?q", as sent to proxies) is reduced to its path and
//    query first ("/p?q"); other schemes are left whole for the classifiers to see.
//  - The raw target is split at its first raw '?' BEFORE decoding: an encoded "%3f" in the path
//    stays part of the path, as the server would see it.
//  - Each part is decoded in rounds until a round changes nothing (a fixed point) or
//    kMaxDecodeRounds rounds have changed it. One round: %XX and IIS %uXXXX (to UTF-8), then
//    overlong UTF-8 sequences folded to their shortest form (C0 AE -> '.'), then in the query
//    HTML entities (&lt; &gt; &quot; &apos; &amp; a few more, &#NN; &#xHH;, ';' optional for
//    numeric ones), then NUL bytes removed. '+' becomes a space in the query, once, on the raw
//    bytes only (a %2B stays a literal '+', as in form decoding). Invalid UTF-8 is kept as bytes.
//  - Afterwards ASCII is lowercased; all escape matching is case-insensitive, so lowercasing
//    never creates a new escape.
//  - Path: '\' becomes '/', runs of '/' collapse to one -> decodedPath (dot segments kept, so
//    "../../etc/passwd" stays visible). `path` additionally resolves "." and ".." segments as in
//    RFC 3986 section 5.2.4, never climbing above the root.
//  - combined = decodedPath, then "?" + query if the raw target had a '?'. Classifiers match this.
//  - Inputs longer than kMaxTargetBytes are truncated first (flag `truncated`).
//  - Never throws; the only allocations are the output strings (reused across calls when the
//    caller reuses the NormalizedRequest). Work is linear in the input length.
//
// Idempotence: if decodeLimitHit is false, decodedPath has no '?' and query has no '+', then
// normalizing `combined` again yields the same `combined`. ('+' from %2B would turn into a space,
// and a decoded '?' would move the split, on a second pass.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mamori::detect {

inline constexpr std::size_t kMaxTargetBytes = std::size_t{64} * 1024;
inline constexpr uint32_t kMaxDecodeRounds = 4;

// Which decoding rules apply to a value.
enum class ValueKind : uint8_t {
  kPath,   // %XX, %uXXXX, overlong UTF-8, NUL removal, lowercase
  kQuery,  // as kPath, plus raw '+' -> ' ' and HTML entities
  kText,   // as kPath, plus HTML entities ('+' is literal: headers, cookies, bodies that are not
           // forms)
};

struct DecodeStats {
  uint32_t decodeRounds = 0;    // rounds that changed the value (0 for a plain value)
  bool decodeLimitHit = false;  // kMaxDecodeRounds rounds all changed it: maybe no fixed point
  bool hadNullByte = false;
  bool hadOverlongUtf8 = false;
  bool hadPercentU = false;
  bool truncated = false;
};

struct NormalizedRequest {
  std::string decodedPath;    // decoded, lowercased, '\'->'/', '//' collapsed; dot segments kept
  std::string path;           // decodedPath with "." / ".." resolved, never above the root
  std::string query;          // decoded, '+'->' ', entities decoded, lowercased; "" if none
  std::string combined;       // decodedPath + ("?" + query if the target had a '?'): match this
  uint32_t decodeRounds = 0;  // max over path and query
  bool hasQuery = false;      // the raw target contained '?'
  bool decodeLimitHit = false;
  bool hadNullByte = false;
  bool hadOverlongUtf8 = false;
  bool hadPercentU = false;
  bool hadBackslash = false;
  bool hadDotSegments = false;     // any "." or ".." path segment (after decoding)
  bool hadParentSegments = false;  // any ".." path segment: traversal attempt or odd client
  bool climbedAboveRoot = false;   // a ".." had nothing left to remove
  bool truncated = false;          // raw target longer than kMaxTargetBytes
};

// Normalizes a request target (origin-form "/p?q"; other forms are treated as a path). Resets and
// fills `out`.
void normalizeTarget(std::string_view rawTarget, NormalizedRequest& out);

// Decodes one value (a path, query, header or parameter) into `out` (replaced), truncating at
// kMaxTargetBytes. Flags are OR-ed into `stats`, decodeRounds is max-ed.
void normalizeValue(std::string_view raw, ValueKind kind, std::string& out, DecodeStats& stats);

}  // namespace mamori::detect
