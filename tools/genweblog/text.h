// Text helpers for mamori-genweblog: URL encoding in the styles clients really use, the
// evasions attackers apply on top, and Apache's escaping of logged fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rng.h"

namespace mamori::genweblog {

// How a client percent-encodes a query value.
enum class EncodeStyle {
  kBrowser,  // form submission: unreserved and ! * ( ) kept, space as '+', the rest %XX
  kMinimal,  // hand-made/tool requests: only what breaks the request line is encoded
  kPlus,     // like kMinimal, but every space becomes '+'
  kFull,     // evasion: every byte that is not a letter or digit as %XX
  kDouble,   // evasion: every special byte as %25XX (decodes to %XX, then to the byte)
  kUnicode,  // evasion: every special byte as IIS-style %u00XX
  kOverlong  // evasion: '.' and '/' as overlong UTF-8 (%c0%ae, %c0%af), the rest kMinimal
};

// Encodes a decoded query value. A '%' already followed by two hex digits (or 'u' and four)
// is kept: such payloads were written pre-encoded on purpose.
std::string encodeValue(std::string_view value, EncodeStyle style, Rng& rng);

// Percent-encodes UTF-8 text the way a browser does in a query (space as '+').
std::string encodeUtf8Query(std::string_view value);

// Makes a request target that was written by hand sendable: space as %20, control and
// non-ASCII bytes as %XX; everything else verbatim.
std::string sanitizeTarget(std::string_view target);

// Apache's ap_escape_logitem: '"' and '\' get a backslash, other non-printable bytes \xhh.
std::string escapeLogField(std::string_view field);

// "[03/Jun/2024:09:15:02 +0900]" for UNIX seconds and a fixed UTC offset in minutes.
std::string apacheTime(int64_t unixSeconds, int offsetMinutes);

// Random letters in upper or lower case (SeLeCt), for case-insensitive languages.
std::string mixCase(std::string_view text, Rng& rng);

// Random characters from an alphabet.
std::string randomToken(Rng& rng, size_t length, std::string_view alphabet);
inline constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
inline constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr std::string_view kHexLower = "0123456789abcdef";

// Replaces every occurrence of `from` by `to`.
std::string replaceAll(std::string_view text, std::string_view from, std::string_view to);

}  // namespace mamori::genweblog
