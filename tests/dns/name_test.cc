#include "mamori/dns/name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/dns_test_util.h"

namespace mamori::dns {
namespace {

using testutil::Bytes;
using testutil::wireName;

Bytes wireOf(const Name& n) {
  return Bytes(n.wire().begin(), n.wire().end());
}

Name parse(std::string_view text, const Name* origin = nullptr) {
  auto r = Name::fromText(text, origin);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Name();
}

TEST(Name, RootIsOneZeroByte) {
  const Name root;
  EXPECT_TRUE(root.isRoot());
  EXPECT_EQ(wireOf(root), Bytes{0});
  EXPECT_EQ(root.toText(), ".");
  EXPECT_EQ(wireOf(parse(".")), Bytes{0});
}

TEST(Name, TextToWireKeepsCase) {
  const Name n = parse("www.Example.COM.");
  EXPECT_EQ(wireOf(n), wireName("www.Example.COM"));
  EXPECT_EQ(n.labelCount(), 3u);
  EXPECT_EQ(n.wireLength(), 17u);
  EXPECT_EQ(n.toText(), "www.Example.COM.");
}

TEST(Name, RelativeNamesTakeTheOrigin) {
  const Name origin = parse("rpz.example.");
  EXPECT_EQ(wireOf(parse("bad.test", &origin)), wireName("bad.test.rpz.example"));
  EXPECT_EQ(wireOf(parse("bad.test.", &origin)), wireName("bad.test"));
  EXPECT_EQ(wireOf(parse("@", &origin)), wireName("rpz.example"));
  // Without an origin a relative name is taken as absolute.
  EXPECT_EQ(wireOf(parse("bad.test")), wireName("bad.test"));
}

TEST(Name, Escapes) {
  // "\." is a dot inside a label; "\065" is 'A'; "\\" a backslash.
  const Name n = parse("a\\.b.\\065x\\\\.");
  EXPECT_EQ(wireOf(n), (Bytes{3, 'a', '.', 'b', 3, 'A', 'x', '\\', 0}));
  EXPECT_EQ(n.toText(), "a\\.b.Ax\\\\.");
  const Name binary = parse("\\000\\255.");
  EXPECT_EQ(wireOf(binary), (Bytes{2, 0, 255, 0}));
  EXPECT_EQ(binary.toText(), "\\000\\255.");
  EXPECT_TRUE(parse(binary.toText()).identical(binary));
}

TEST(Name, TextErrors) {
  EXPECT_FALSE(Name::fromText("").ok());
  EXPECT_FALSE(Name::fromText("a..b").ok());
  EXPECT_FALSE(Name::fromText(".a").ok());
  EXPECT_FALSE(Name::fromText("a\\").ok());
  EXPECT_FALSE(Name::fromText("a\\25").ok());
  EXPECT_FALSE(Name::fromText("a\\256").ok());
  const std::string label63(63, 'x');
  EXPECT_TRUE(Name::fromText(label63 + ".").ok());
  const auto tooLong = Name::fromText(std::string(64, 'x') + ".");
  ASSERT_FALSE(tooLong.ok());
  EXPECT_NE(tooLong.error().message.find("63"), std::string::npos);
  // 3 x 63-byte labels + one 61-byte label: 3*64 + 62 + 1 = 255 bytes, the maximum.
  const std::string max =
      label63 + "." + label63 + "." + label63 + "." + std::string(61, 'y') + ".";
  const auto atMax = Name::fromText(max);
  ASSERT_TRUE(atMax.ok());
  EXPECT_EQ(atMax->wireLength(), 255u);
  EXPECT_FALSE(Name::fromText("z" + max).ok());  // 256
  // The origin can push a name over the limit too.
  const Name origin = *atMax;
  EXPECT_FALSE(Name::fromText("a", &origin).ok());
}

TEST(Name, EqualityIgnoresCaseIdenticalDoesNot) {
  const Name a = parse("WWW.example.com.");
  const Name b = parse("www.EXAMPLE.com.");
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a.identical(b));
  EXPECT_TRUE(a.identical(parse("WWW.example.com.")));
  EXPECT_FALSE(a == parse("www.example.org."));
  EXPECT_FALSE(parse("ab.") == parse("a.b."));  // same letters, different labels
  EXPECT_EQ(wireOf(a.lowercased()), wireName("www.example.com"));
}

TEST(Name, CaseFoldingIsAsciiOnly) {
  // 0xC1 and 0xE1 differ by 0x20 like 'A'/'a' but are not letters: not equal (RFC 4343).
  EXPECT_FALSE(parse("\\193.") == parse("\\225."));
  EXPECT_TRUE(parse("[.") == parse("[."));
  EXPECT_FALSE(parse("[.") == parse("{."));  // '[' + 0x20 == '{'
}

TEST(Name, SuffixAndSubdomain) {
  const Name n = parse("a.b.example.com.");
  EXPECT_EQ(Bytes(n.suffix(0).begin(), n.suffix(0).end()), wireName("a.b.example.com"));
  EXPECT_EQ(Bytes(n.suffix(2).begin(), n.suffix(2).end()), wireName("example.com"));
  EXPECT_EQ(Bytes(n.suffix(4).begin(), n.suffix(4).end()), Bytes{0});
  EXPECT_TRUE(n.isSubdomainOf(parse("EXAMPLE.com.")));
  EXPECT_TRUE(n.isSubdomainOf(n));
  EXPECT_TRUE(n.isSubdomainOf(Name()));
  EXPECT_FALSE(n.isSubdomainOf(parse("ample.com.")));
  EXPECT_FALSE(parse("example.com.").isSubdomainOf(n));
  EXPECT_EQ(Bytes(n.firstLabel().begin(), n.firstLabel().end()), Bytes{'a'});
}

TEST(Name, FromWire) {
  const Bytes good = wireName("mail.example");
  const auto n = Name::fromWire(good);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->toText(), "mail.example.");
  EXPECT_FALSE(Name::fromWire(Bytes{}).ok());
  EXPECT_FALSE(Name::fromWire(Bytes{3, 'a', 'b'}).ok());   // runs past the end
  EXPECT_FALSE(Name::fromWire(Bytes{0xC0, 0x0C}).ok());    // a pointer
  EXPECT_FALSE(Name::fromWire(Bytes{1, 'a', 0, 0}).ok());  // bytes after the root
}

TEST(Name, AppendLabelRefusesBadLabels) {
  Name n;
  const Bytes empty;
  const Bytes label64(64, 'x');
  EXPECT_FALSE(n.appendLabel(empty));
  EXPECT_FALSE(n.appendLabel(label64));
  EXPECT_TRUE(n.isRoot());
  const Bytes label63(63, 'x');
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(n.appendLabel(label63));
  const Bytes label62(62, 'y');
  EXPECT_FALSE(n.appendLabel(label62));  // 193 + 63 + 1 = 257
  EXPECT_EQ(n.wireLength(), 193u);
}

}  // namespace
}  // namespace mamori::dns
