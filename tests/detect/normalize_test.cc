// Expected strings below are what the escapes mean (RFC 3986 percent-encoding, RFC 3629 UTF-8,
// HTML character references), worked out by hand, not copied from the implementation.
#include "mamori/detect/normalize.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori::detect {
namespace {

NormalizedRequest norm(std::string_view target) {
  NormalizedRequest r;
  normalizeTarget(target, r);
  return r;
}

TEST(NormalizeTest, TraversalEvasionsMeetThePlainForm) {
  const std::string plain = "/a/../../etc/passwd";
  const std::vector<std::string> evasions = {
      "/a/../../etc/passwd",
      "/a/%2e%2e/%2e%2e/etc/passwd",
      "/a/%2E%2E%2F%2e%2E%2fetc%2Fpasswd",
      "/a/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
      "/a/..%c0%af..%c0%afetc%c0%afpasswd",
      "/a/%c0%ae%c0%ae/%e0%80%ae%e0%80%ae/etc/passwd",
      "/a/%f0%80%80%ae./../etc/passwd",
      "/a/%u002e%u002e/%U002E%u002e%u002fetc/passwd",
      "/a/..\\..\\etc\\passwd",
      "/a/..%5c..%5cetc%5cpasswd",
      "/a//..//..///etc/passwd",
      "/A/../../ETC/PASSWD",
      "/a/../../etc/pass%00wd",
  };
  for (const std::string& e : evasions) {
    const NormalizedRequest r = norm(e);
    EXPECT_EQ(r.decodedPath, plain) << e;
    EXPECT_EQ(r.combined, plain) << e;
    EXPECT_EQ(r.path, "/etc/passwd") << e;
    EXPECT_TRUE(r.hadDotSegments) << e;
    EXPECT_TRUE(r.hadParentSegments) << e;
    EXPECT_TRUE(r.climbedAboveRoot) << e;
    EXPECT_FALSE(r.hasQuery) << e;
  }
}

TEST(NormalizeTest, FlagsNameTheEvasion) {
  EXPECT_EQ(norm("/a/%2e%2e/x").decodeRounds, 1u);
  EXPECT_EQ(norm("/a/%252e%252e/x").decodeRounds, 2u);
  EXPECT_EQ(norm("/a/../x").decodeRounds, 0u);
  EXPECT_TRUE(norm("/..%c0%af").hadOverlongUtf8);
  EXPECT_FALSE(norm("/%2e%2e/").hadOverlongUtf8);
  EXPECT_TRUE(norm("/%u002e").hadPercentU);
  EXPECT_TRUE(norm("/a\\b").hadBackslash);
  EXPECT_FALSE(norm("/a/b").hadBackslash);
  EXPECT_TRUE(norm("/a%00b").hadNullByte);
  EXPECT_TRUE(norm("/a?b=%00").hadNullByte);
  EXPECT_TRUE(norm("/a?b=&#0;").hadNullByte);
  EXPECT_TRUE(norm("/a%c0%80b").hadNullByte);  // overlong NUL (Java's modified UTF-8)
  EXPECT_FALSE(norm("/a/b?c=d").hadNullByte);
  const NormalizedRequest dot = norm("/a/./b");
  EXPECT_TRUE(dot.hadDotSegments);
  EXPECT_FALSE(dot.hadParentSegments);
  EXPECT_EQ(dot.decodedPath, "/a/./b");
  EXPECT_EQ(dot.path, "/a/b");
  // "..." and "..a" are ordinary names, not dot segments.
  const NormalizedRequest names = norm("/.../..a/.b");
  EXPECT_FALSE(names.hadDotSegments);
  EXPECT_EQ(names.path, "/.../..a/.b");
}

TEST(NormalizeTest, NullByteIsRemoved) {
  const NormalizedRequest r = norm("/shell.php%00.jpg");
  EXPECT_EQ(r.combined, "/shell.php.jpg");
  EXPECT_TRUE(r.hadNullByte);
  // A raw NUL as well as %u0000.
  EXPECT_EQ(norm(std::string_view("/a\0b", 4)).combined, "/ab");
  EXPECT_EQ(norm("/a%u0000b").combined, "/ab");
}

// RFC 3986 section 5.2.4 examples, plus the "never above the root" rule.
TEST(NormalizeTest, DotSegmentsResolveAsRfc3986) {
  EXPECT_EQ(norm("/a/b/c/./../../g").path, "/a/g");
  EXPECT_EQ(norm("mid/content=5/../6").path, "mid/6");
  EXPECT_EQ(norm("/a/b/..").path, "/a/");
  EXPECT_EQ(norm("/a/b/.").path, "/a/b/");
  EXPECT_EQ(norm("/..").path, "/");
  EXPECT_EQ(norm("/../../../x").path, "/x");
  EXPECT_EQ(norm("../../x").path, "x");
  EXPECT_FALSE(norm("/a/b/../c").climbedAboveRoot);
  EXPECT_TRUE(norm("/a/../../c").climbedAboveRoot);
  EXPECT_EQ(norm("/a/./b/../c").decodedPath, "/a/./b/../c");
  EXPECT_EQ(norm("//a///b").path, "/a/b");
  EXPECT_EQ(norm("").combined, "");
  EXPECT_EQ(norm("/").path, "/");
}

TEST(NormalizeTest, QueryPlusAndForms) {
  EXPECT_EQ(norm("/s?q=1+OR+1=1").combined, "/s?q=1 or 1=1");
  EXPECT_EQ(norm("/s?q=1%20or%201=1").combined, "/s?q=1 or 1=1");
  // %2B is a literal plus in form encoding.
  EXPECT_EQ(norm("/s?q=1%2B1").query, "q=1+1");
  // '+' is not a space in the path.
  EXPECT_EQ(norm("/a+b").path, "/a+b");
}

TEST(NormalizeTest, HtmlEntitiesInQueryOnly) {
  const std::string want = "q=<script>alert(\"x\")</script>";
  const std::vector<std::string> evasions = {
      "/?q=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E",
      "/?q=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;",
      "/?q=&LT;SCRIPT&GT;alert&lpar;&QUOT;x&quot;&rpar;&lt;&sol;script&gt;",
      "/?q=&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;",
      "/?q=&#x3c;script&#X3E;alert(&#x22;x&#x22;)&#0000060/script&#62",
      "/?q=%26lt%3Bscript%26gt%3Balert(%26quot%3Bx%26quot%3B)%26lt%3B/script%26gt%3B",
      "/?q=%25253Cscript%25253Ealert(%252522x%252522)%25253C%25252Fscript%25253E",
      "/?q=%u003cscript%u003ealert(%u0022x%u0022)%u003c/script%u003e",
      "/?q=&amp;lt;script&amp;gt;alert(&quot;x&quot;)&lt;/script&gt;",
  };
  for (const std::string& e : evasions) {
    const NormalizedRequest r = norm(e);
    EXPECT_EQ(r.query, want) << e;
    EXPECT_EQ(r.combined, "/?" + want) << e;
  }
  EXPECT_EQ(norm("/?q=%25253Cscript%25253E").decodeRounds, 3u);
  EXPECT_EQ(norm("/?q=&apos;").query, "q='");
  // Path: entities are not decoded (a server does not decode them there).
  EXPECT_EQ(norm("/a&lt;b").path, "/a&lt;b");
  // Named entities need ';' (query strings are full of "&lt=..." style parameters).
  EXPECT_EQ(norm("/?a=1&lt=2&gt=3").query, "a=1&lt=2&gt=3");
  // Out of range and surrogate code points stay literal.
  EXPECT_EQ(norm("/?a=&#x110000;").query, "a=&#x110000;");
  EXPECT_EQ(norm("/?a=&#xd800;").query, "a=&#xd800;");
}

TEST(NormalizeTest, PercentUAndUtf8) {
  // %uXXXX becomes UTF-8: U+65E5 is E6 97 A5.
  EXPECT_EQ(norm("/%u65e5").path, "/\xe6\x97\xa5");
  EXPECT_EQ(norm("/%E6%97%A5%E6%9C%AC").path, "/\xe6\x97\xa5\xe6\x9c\xac");
  // Overlong forms of a non-ASCII code point fold to the shortest form: E0 82 A9 is U+00A9.
  EXPECT_EQ(norm("/%e0%82%a9").path, "/\xc2\xa9");
  // Invalid UTF-8 stays as bytes: C0 followed by '/' is no sequence at all.
  const NormalizedRequest r = norm("/..%c0%2f..");
  EXPECT_EQ(r.decodedPath, "/..\xc0/..");
  EXPECT_FALSE(r.hadOverlongUtf8);
  EXPECT_EQ(norm("/%ff%fe").path, "/\xff\xfe");
  // Surrogates from %u stay literal (then lowercased).
  EXPECT_EQ(norm("/%uD800").path, "/%ud800");
}

TEST(NormalizeTest, MalformedEscapesStayLiteral) {
  EXPECT_EQ(norm("/100%").path, "/100%");
  EXPECT_EQ(norm("/a%zz").path, "/a%zz");
  EXPECT_EQ(norm("/a%4").path, "/a%4");
  EXPECT_EQ(norm("/a%u12").path, "/a%u12");
  EXPECT_EQ(norm("/?a=&#;&#x;&").query, "a=&#;&#x;&");
}

TEST(NormalizeTest, SplitsOnRawQuestionMark) {
  const NormalizedRequest r = norm("/a%3Fb?c=%3F");
  EXPECT_EQ(r.decodedPath, "/a?b");
  EXPECT_EQ(r.query, "c=?");
  EXPECT_TRUE(r.hasQuery);
  EXPECT_EQ(r.combined, "/a?b?c=?");
  EXPECT_EQ(norm("/a?").combined, "/a?");
  EXPECT_FALSE(norm("/a").hasQuery);
}

TEST(NormalizeTest, DecodeRoundsAreBounded) {
  // Five layers of %25: four rounds peel four, the fifth stays.
  const NormalizedRequest r = norm("/%252525252e");
  EXPECT_EQ(r.decodeRounds, kMaxDecodeRounds);
  EXPECT_TRUE(r.decodeLimitHit);
  EXPECT_EQ(r.path, "/%2e");
  // Four layers need all four rounds; the flag is conservative (a fifth might have changed it).
  EXPECT_EQ(norm("/%2525252e").decodedPath, "/.");
  EXPECT_TRUE(norm("/%2525252e").decodeLimitHit);
  const NormalizedRequest three = norm("/%25252e");
  EXPECT_EQ(three.decodeRounds, 3u);
  EXPECT_FALSE(three.decodeLimitHit);
  EXPECT_EQ(three.decodedPath, "/.");
  EXPECT_EQ(three.path, "/");
}

TEST(NormalizeTest, BenignUrlsOnlyLowercased) {
  const std::vector<std::string> benign = {
      "/",
      "/index.html",
      "/Products/Item-42/index.html?id=5&sort=ASC&lang=ja",
      "/search?q=O'Reilly&page=2",
      "/api/v1/Users/123/orders?from=2024-01-01&to=2024-12-31",
      "/static/js/app.min.js?v=3.2.1",
      "/docs/select-from-where.html?q=select",
  };
  for (const std::string& b : benign) {
    std::string lower = b;
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    const NormalizedRequest r = norm(b);
    EXPECT_EQ(r.combined, lower) << b;
    EXPECT_EQ(r.decodeRounds, 0u) << b;
    EXPECT_FALSE(r.hadDotSegments || r.hadNullByte || r.hadBackslash || r.hadOverlongUtf8) << b;
  }
}

TEST(NormalizeTest, Idempotent) {
  const std::vector<std::string> inputs = {
      "/a/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
      "/a/..%c0%af..%c0%afetc/passwd",
      "/x\\y//z/./../w?q=%25253Cscript%25253E",
      "/?q=&amp;lt;img src=x onerror=alert(1)&amp;gt;",
      "/?q=%26%2335%3B60;",
      "/?a=%c0%a541",
      "/a%00/%u002e%u002e?x=1+union+select+1,2--",
      "/%E6%97%A5?%ff%fe",
      "/${jndi:ldap://x/a}?a=${${lower:j}ndi:ldap://e/}",
  };
  for (const std::string& in : inputs) {
    const NormalizedRequest once = norm(in);
    ASSERT_FALSE(once.decodeLimitHit) << in;
    const NormalizedRequest twice = norm(once.combined);
    EXPECT_EQ(twice.combined, once.combined) << in;
    EXPECT_EQ(twice.decodeRounds, 0u) << in;
  }
}

TEST(NormalizeTest, LongInputIsTruncated) {
  std::string big = "/";
  big.append(kMaxTargetBytes + 100, 'a');
  const NormalizedRequest r = norm(big);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.combined.size(), kMaxTargetBytes);
  EXPECT_FALSE(norm("/a").truncated);
}

TEST(NormalizeTest, ReusedOutputIsReset) {
  NormalizedRequest r;
  normalizeTarget("/a/../%00\\b?x=%2e", r);
  normalizeTarget("/c", r);
  EXPECT_EQ(r.combined, "/c");
  EXPECT_EQ(r.query, "");
  EXPECT_FALSE(r.hasQuery || r.hadNullByte || r.hadBackslash || r.hadDotSegments ||
               r.hadParentSegments || r.climbedAboveRoot);
  EXPECT_EQ(r.decodeRounds, 0u);
}

TEST(NormalizeTest, ValueKinds) {
  std::string out;
  DecodeStats stats;
  normalizeValue("Mozilla/5.0+(X11)%20&lt;x&gt;", ValueKind::kText, out, stats);
  EXPECT_EQ(out, "mozilla/5.0+(x11) <x>");
  normalizeValue("a+b&lt;", ValueKind::kQuery, out, stats);
  EXPECT_EQ(out, "a b<");
  normalizeValue("a+b&lt;", ValueKind::kPath, out, stats);
  EXPECT_EQ(out, "a+b&lt;");
  EXPECT_EQ(stats.decodeRounds, 1u);
}

}  // namespace
}  // namespace mamori::detect

namespace mamori::detect {
namespace {

TEST(NormalizeTest, AbsoluteFormIsReducedToPathAndQuery) {
  EXPECT_EQ(norm("http://www.example.jp:8080/a/../../etc/passwd?x=1").combined,
            "/a/../../etc/passwd?x=1");
  EXPECT_EQ(norm("HTTPS://example.jp").combined, "/");
  EXPECT_EQ(norm("http://example.jp?q=%27").combined, "?q='");
  // Other schemes stay whole: "gopher://" in a target is itself worth a classifier's look.
  EXPECT_EQ(norm("gopher://127.0.0.1:6379/_info").decodedPath, "gopher:/127.0.0.1:6379/_info");
  EXPECT_EQ(norm("/p?next=http://evil.example/").combined, "/p?next=http://evil.example/");
}

}  // namespace
}  // namespace mamori::detect
