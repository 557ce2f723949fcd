// HTTP/1.x request-head parsing for the selection sensor.
//
// Extracts only the method and the Host; the request target is read past but never returned,
// since a URI can carry personal content. Pure functions over untrusted bytes: they never throw
// and never read out of bounds.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace mamori::sensor::http {

// Only this much of the start of a stream is examined.
inline constexpr size_t kMaxHeadBytes = size_t{8} * 1024;
// RFC 9110 methods are tokens; the ones in use are short upper-case words.
inline constexpr size_t kMaxMethodBytes = 16;
// Host values longer than this are not kept.
inline constexpr size_t kMaxHostBytes = 255;

struct HttpRequestHead {
  std::string method;  // e.g. "GET"
  // The first Host header's value: trimmed, port removed, brackets of an IPv6 literal removed,
  // ASCII-lowercased, non-printable bytes written as \DDD (see dns::appendHostText). Empty when
  // there is no Host header (HTTP/1.0), the value is empty or longer than kMaxHostBytes, or the
  // header only appears after the first kMaxHeadBytes.
  std::string host;
};

enum class HttpParse : uint8_t { kOk, kNeedMore, kNotHttp };

// Parses the request head at the start of a client-to-server stream.
//
// The request line must be METHOD SP TARGET SP "HTTP/1." DIGIT, with METHOD an upper-case token
// ([A-Z][A-Z_-]*, at most kMaxMethodBytes) and TARGET free of controls and spaces. Lines end in
// CRLF or a bare LF. Returns
//  - kOk: the head ended (empty line) within the first kMaxHeadBytes, or it is longer than that
//    but its request line was complete; `out` holds the method and any Host seen;
//  - kNeedMore: fewer than kMaxHeadBytes so far and no end of head yet, and what is there is a
//    consistent prefix;
//  - kNotHttp: the first bytes cannot be an HTTP/1.x request line (including a request line that
//    does not end within kMaxHeadBytes).
// Header lines that are not "name: value" are skipped, not rejected.
HttpParse parseHttpRequestHead(std::span<const uint8_t> stream, HttpRequestHead& out);

// True when the first bytes start like a request: an upper-case method token as above, one space,
// and a request-target character. Cheap enough for protocol detection on a flow's first segment.
bool looksLikeHttpRequest(std::span<const uint8_t> firstBytes);

}  // namespace mamori::sensor::http
