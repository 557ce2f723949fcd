#include "mamori/core/domain_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace mamori {
namespace {

using Tags = std::vector<uint32_t>;

Tags matchesOf(const DomainSuffixSet& set, std::string_view name) {
  Tags out;
  set.forEachMatch(name, [&](uint32_t tag) { out.push_back(tag); });
  std::sort(out.begin(), out.end());
  return out;
}

void addOk(DomainSuffixSet& set, std::string_view name, uint32_t tag) {
  const auto r = set.add(name, tag);
  ASSERT_TRUE(r.ok()) << name << ": " << r.error().message;
}

std::string normalized(std::string_view name) {
  char buf[DomainSuffixSet::kMaxName];
  const int n = DomainSuffixSet::normalize(name, buf);
  if (n < 0) return "<invalid>";
  return std::string(buf, static_cast<size_t>(n));
}

TEST(DomainSuffixSet, EmptySetMatchesNothing) {
  const DomainSuffixSet set;
  EXPECT_FALSE(set.matches("example"));
  EXPECT_FALSE(set.matches("a.b.example"));
  EXPECT_EQ(set.size(), 0u);
}

TEST(DomainSuffixSet, MatchesTheNameAndItsSubdomainsOnly) {
  DomainSuffixSet set;
  addOk(set, "evil.example", 1);
  EXPECT_TRUE(set.matches("evil.example"));
  EXPECT_TRUE(set.matches("www.evil.example"));
  EXPECT_TRUE(set.matches("a.b.c.evil.example"));
  EXPECT_FALSE(set.matches("notevil.example"));  // a suffix of the text, not of the labels
  EXPECT_FALSE(set.matches("evil.example.com"));
  EXPECT_FALSE(set.matches("example"));
  EXPECT_FALSE(set.matches("vil.example"));
  EXPECT_FALSE(set.matches("evil.exampl"));
  EXPECT_FALSE(set.matches("evil-example"));
  EXPECT_FALSE(set.matches("evilexample"));
}

TEST(DomainSuffixSet, IgnoresAsciiCase) {
  DomainSuffixSet set;
  addOk(set, "Bad.EXAMPLE", 2);
  EXPECT_TRUE(set.matches("bad.example"));
  EXPECT_TRUE(set.matches("bAd.ExAmPlE"));  // DNS 0x20 randomization
  EXPECT_TRUE(set.matches("WWW.BAD.EXAMPLE"));
  EXPECT_EQ(normalized("MiXeD.Case.TEST"), "mixed.case.test");
  // Only A-Z fold; other bytes are compared exactly.
  EXPECT_EQ(normalized("\xC3\x84.test"), "\xC3\x84.test");
}

TEST(DomainSuffixSet, OneTrailingDotIsIgnored) {
  DomainSuffixSet set;
  addOk(set, "rooted.test.", 3);
  EXPECT_TRUE(set.matches("rooted.test"));
  EXPECT_TRUE(set.matches("rooted.test."));
  EXPECT_TRUE(set.matches("x.rooted.test."));
  EXPECT_FALSE(set.matches("rooted.test.."));  // the second dot leaves an empty label
  EXPECT_EQ(normalized("a.b."), "a.b");
  EXPECT_EQ(normalized("a.b"), "a.b");
}

TEST(DomainSuffixSet, ReportsEveryTagOfEveryMatchingAncestor) {
  DomainSuffixSet set;
  addOk(set, "example", 1);
  addOk(set, "evil.example", 2);
  addOk(set, "EVIL.example", 3);  // same name, another tag
  addOk(set, "evil.example", 2);  // exact duplicate
  addOk(set, "other.example", 4);
  EXPECT_EQ(set.size(), 4u);
  EXPECT_EQ(matchesOf(set, "a.evil.example"), (Tags{1, 2, 3}));
  EXPECT_EQ(matchesOf(set, "evil.example"), (Tags{1, 2, 3}));
  EXPECT_EQ(matchesOf(set, "other.example"), (Tags{1, 4}));
  EXPECT_EQ(matchesOf(set, "example"), Tags{1});
  EXPECT_TRUE(matchesOf(set, "example.org").empty());
}

TEST(DomainSuffixSet, RejectsInvalidNamesWithTheProblem) {
  DomainSuffixSet set;
  const auto expectError = [&](std::string_view name, std::string_view problem) {
    const auto r = set.add(name, 1);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.error().message.find(problem), std::string::npos) << r.error().message;
    EXPECT_FALSE(set.matches(name));
  };
  expectError("", "empty");
  expectError(".", "empty");
  expectError("a..b", "empty label");
  expectError(".a", "empty label");
  expectError("a..", "empty label");
  expectError(std::string(64, 'x') + ".test", "63");
  std::string longName;
  while (longName.size() < 254) longName += "abcdefg.";
  longName.resize(254);
  if (longName.back() == '.') longName.back() = 'h';
  expectError(longName, "253");
  EXPECT_EQ(set.size(), 0u);
}

TEST(DomainSuffixSet, AcceptsNamesAtTheLimits) {
  const std::string label63(63, 'a');
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 bytes, the longest name RFC 1035 allows.
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  DomainSuffixSet set;
  addOk(set, name253, 1);
  addOk(set, label63, 2);
  EXPECT_TRUE(set.matches(name253));
  EXPECT_TRUE(set.matches(name253 + "."));
  EXPECT_TRUE(set.matches("x." + label63));
  EXPECT_FALSE(set.matches("c." + name253));  // 255 bytes: not a valid name, matches nothing
  EXPECT_EQ(normalized(name253 + "."), name253);
  EXPECT_EQ(normalized(name253 + "x"), "<invalid>");
}

TEST(DomainSuffixSet, HundredThousandNames) {
  std::mt19937_64 rng(7);
  const auto randomLabel = [&](size_t length) {
    std::string s;
    for (size_t i = 0; i < length; ++i) s += static_cast<char>('a' + rng() % 26);
    return s;
  };
  std::vector<std::string> names;
  DomainSuffixSet set;
  for (uint32_t i = 0; i < 100000; ++i) {
    names.push_back(randomLabel(4 + rng() % 12) + std::to_string(i) + ".d" +
                    std::to_string(i % 97) + ".example");
    addOk(set, names.back(), i);
  }
  EXPECT_EQ(set.size(), 100000u);
  for (uint32_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(matchesOf(set, "www." + names[i]), Tags{i}) << names[i];
    // A look-alike that shares the parent labels but not the name matches nothing, since only the
    // full names are in the set.
    ASSERT_FALSE(set.matches("x" + names[i])) << names[i];
  }
  EXPECT_FALSE(set.matches("d1.example"));
  // 24-byte slots at load <= 0.5 plus the names themselves.
  EXPECT_LT(set.memoryBytes(), 100000u * (4 * 24 + 40));
}

}  // namespace
}  // namespace mamori
