// HTTP/1.x message-head parsing.
//
// For the selection sensor, parseHttpRequestHead extracts only the method and the Host; the
// request target is read past but never returned, since a URI can carry personal content.
// Web attack detection (HttpTransactionExtractor, mamori detect --pcap) needs the whole request
// line and the message framing, which parseRequestMessageHead / parseResponseHead /
// parseChunkSizeLine provide from the same line and token scanning. Pure functions over untrusted
// bytes: they never throw and never read out of bounds.
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

// ---- Whole message heads, for web attack detection ------------------------------------------

enum class HeadParse : uint8_t {
  kOk,        // complete head within the limit; `out` is filled
  kNeedMore,  // a consistent prefix, shorter than the limit
  kBad,       // cannot be an HTTP/1.x head of this kind, or its framing is invalid
  kTooLarge,  // consistent so far, but the head does not end within the limit
};

struct HttpRequestMessageHead {
  std::string method;
  std::string target;           // raw request target, as sent
  std::string protocol;         // "HTTP/1.1"
  std::string host;             // as HttpRequestHead::host (first Host header, normalized)
  std::string userAgent;        // first User-Agent value, surrounding blanks trimmed, bytes as sent
  std::string referer;          // first Referer value, likewise
  int64_t contentLength = -1;   // -1: no Content-Length
  bool chunked = false;         // Transfer-Encoding's final coding is chunked (overrides length)
  bool otherCoding = false;     // Transfer-Encoding present without final chunked: length unknown
  bool expectContinue = false;  // Expect: 100-continue
  size_t headBytes = 0;         // bytes of the head, request line to the empty line inclusive
};

struct HttpResponseHead {
  std::string protocol;  // "HTTP/1.1"
  int status = 0;        // 100-999
  int64_t contentLength = -1;
  bool chunked = false;
  bool connectionClose = false;  // Connection: close
  size_t headBytes = 0;
};

// Parses the request head at the start of `stream`: the request line as parseHttpRequestHead
// accepts it, then header lines up to the empty line (CRLF or bare LF). Framing per RFC 9112 6:
// a Content-Length that is not a decimal number (or a list of equal ones), or several differing
// ones, is kBad. Header lines without a colon are skipped. At most `maxHeadBytes` are examined.
HeadParse parseRequestMessageHead(std::span<const uint8_t> stream, size_t maxHeadBytes,
                                  HttpRequestMessageHead& out);

// Parses a response head: "HTTP/1." DIGIT SP 3DIGIT [SP reason] (CR)LF, then header lines.
HeadParse parseResponseHead(std::span<const uint8_t> stream, size_t maxHeadBytes,
                            HttpResponseHead& out);

// True when the first bytes are "HTTP/1." or a prefix of it (at least one byte).
bool looksLikeHttpResponse(std::span<const uint8_t> firstBytes);

// Parses a chunk-size line at the start of `stream` (RFC 9112 7.1): hex digits (at most 15),
// optional blanks and ";extensions", (CR)LF. On kOk, `size` is the chunk size and `lineBytes` the
// length of the line including its LF. kTooLarge: no line end within maxLineBytes.
HeadParse parseChunkSizeLine(std::span<const uint8_t> stream, size_t maxLineBytes, uint64_t& size,
                             size_t& lineBytes);

}  // namespace mamori::sensor::http
