// SQL injection detection by tokenizing the input as SQL would (the approach of libinjection):
// the value is read in each context an application might splice it into (as is, after a single
// quote, after a double quote), each reading is reduced to a short fingerprint of token types, and
// the fingerprint is looked up in a set of shapes that only injections take. Words alone ("select",
// "union", an apostrophe in "O'Reilly") do not make a shape; a structure does ("1' or '1'='1",
// "1 union select", "';drop table").
//
// Pure function over untrusted bytes: never throws, never reads outside the input, linear time,
// no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace mamori::detect {

// Token types of the fingerprint alphabet.
//  n bare word/identifier   1 number       s string literal   o operator       & logic (AND/OR/&&/||)
//  k keyword                U UNION        E statement start (SELECT, INSERT, DROP, ...)
//  f function call name     ( )  open/close parenthesis       , comma          ; semicolon
//  c comment                v variable (@x, @@x)              B GROUP BY / ORDER BY
//  W CASE WHEN (a conditional expression)
//  ? any other byte ({ } : \ control bytes ...)
// NULL/TRUE/FALSE read as '1'; function names read as 'f' only when called ("sleep(" not "sleep");
// multi-word keywords are one token ("union all" U, "waitfor delay" E, "not like" o); 'c' appears
// only as the last token (comments between tokens only separate them). Reserved, not produced
// yet: T (dialect-specific type), X (evil).
inline constexpr std::size_t kMaxSqliFingerprint = 5;

struct SqliResult {
  bool injection = false;
  // The fingerprint that matched (NUL-terminated, at most kMaxSqliFingerprint chars), for evidence.
  std::array<char, kMaxSqliFingerprint + 1> fingerprint{};
  // Which reading matched: 0 as is, '\'' after a single quote, '"' after a double quote.
  char context = 0;
};

// Examines one decoded value (a query parameter value, a path segment, a header value).
SqliResult detectSqli(std::string_view value);

}  // namespace mamori::detect
