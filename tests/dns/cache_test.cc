#include "mamori/dns/cache.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "dns/dns_test_util.h"

namespace mamori::dns {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace): test helpers

constexpr int64_t kSecond = 1000000;
constexpr int64_t kT0 = 1700000000LL * kSecond;

Name name(std::string_view text) {
  return *Name::fromText(text);
}

// An upstream answer for `qname` A: one A record per TTL, owners compressed to the question.
Bytes positive(std::string_view qname, std::vector<uint32_t> ttls, uint16_t flags = 0x8180,
               bool opt = false) {
  Bytes b = header(0xAAAA, flags, 1, static_cast<uint16_t>(ttls.size()), 0, opt ? 1 : 0);
  putBytes(b, wireName(qname));
  put16(b, kTypeA);
  put16(b, kClassIn);
  uint8_t n = 1;
  for (const uint32_t ttl : ttls)
    putRecord(b, pointer(12), kTypeA, kClassIn, ttl, Bytes{192, 0, 2, n++});
  if (opt) putOpt(b, 4096, false);
  return b;
}

// NXDOMAIN (or NODATA with rcode 0) with an SOA in the authority section.
Bytes negative(std::string_view qname, uint16_t rcode, uint32_t soaTtl, uint32_t minimum,
               bool withSoa = true) {
  Bytes b = header(0xAAAA, static_cast<uint16_t>(0x8180 | rcode), 1, 0, withSoa ? 1 : 0, 0);
  putBytes(b, wireName(qname));
  put16(b, kTypeA);
  put16(b, kClassIn);
  if (withSoa) {
    Bytes soa = wireName("ns.test");
    putBytes(soa, wireName("hostmaster.test"));
    for (const uint32_t v : {1u, 7200u, 900u, 1209600u, minimum}) put32(soa, v);
    putRecord(b, wireName("test"), kTypeSoa, kClassIn, soaTtl, soa);
  }
  return b;
}

bool insert(Cache& c, const Bytes& wire, int64_t now, bool dnssecOk = false) {
  Message m;
  EXPECT_EQ(parseMessage(wire, m), ParseError::kNone);
  return c.insert(m, dnssecOk, now);
}

struct Lookup {
  std::optional<CacheHit> hit;
  Bytes bytes;
};

Lookup lookup(Cache& c, std::string_view qname, int64_t now, uint16_t id = 0x1111,
              bool dnssecOk = false, uint16_t qtype = kTypeA) {
  std::array<uint8_t, 4096> out{};
  Lookup r;
  r.hit = c.lookup(name(qname), qtype, kClassIn, dnssecOk, id, now, out);
  if (r.hit) r.bytes.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.hit->length));
  return r;
}

uint32_t ttlAt(const Bytes& b, size_t offset) {
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16) |
         (uint32_t{b[offset + 2]} << 8) | b[offset + 3];
}

TEST(Cache, HitGivesClientIdAndSpellingAndAgedTtls) {
  Cache c;
  // The upstream saw a 0x20-randomized question; the client asks in its own spelling.
  ASSERT_TRUE(insert(c, positive("wWw.ExaMPle.cOm", {300, 100}), kT0));
  const Lookup r = lookup(c, "WWW.example.COM.", kT0 + 10 * kSecond + 500000, 0x4321);
  ASSERT_TRUE(r.hit);
  EXPECT_EQ(r.hit->remainingTtl, 90u);
  EXPECT_FALSE(r.hit->negative);
  // Expected: the upstream answer with the client's id (AA cleared, it was not set), the client's
  // question spelling and both TTLs 10 s lower.
  Bytes want = positive("WWW.example.COM", {290, 90});
  want[0] = 0x43;
  want[1] = 0x21;
  EXPECT_EQ(r.bytes, want);
}

TEST(Cache, ExpiresAtTheSmallestTtl) {
  Cache c;
  ASSERT_TRUE(insert(c, positive("a.test", {300, 100}), kT0));
  const Lookup before = lookup(c, "a.test.", kT0 + 99 * kSecond + 999999);
  ASSERT_TRUE(before.hit);
  EXPECT_EQ(before.hit->remainingTtl, 1u);
  // The first A record's TTL sits at 12 + 8 (name) + 4 + 2 + 4 = 30.
  EXPECT_EQ(ttlAt(before.bytes, 30), 201u);
  EXPECT_FALSE(lookup(c, "a.test.", kT0 + 100 * kSecond).hit);
  EXPECT_EQ(c.stats().expired, 1u);
  EXPECT_EQ(c.stats().entries, 0u);  // removed when found expired
}

TEST(Cache, KeyIsNameTypeClassAndDo) {
  Cache c;
  ASSERT_TRUE(insert(c, positive("k.test", {60}), kT0, /*dnssecOk=*/true));
  EXPECT_TRUE(lookup(c, "K.TEST.", kT0, 1, true).hit);
  EXPECT_FALSE(lookup(c, "k.test.", kT0, 1, false).hit);
  EXPECT_FALSE(lookup(c, "k.test.", kT0, 1, true, kTypeAaaa).hit);
  EXPECT_FALSE(lookup(c, "kk.test.", kT0, 1, true).hit);
  std::array<uint8_t, 512> out{};
  EXPECT_FALSE(c.lookup(name("k.test."), kTypeA, 3, true, 1, kT0, out));  // class CH
}

TEST(Cache, NegativeAnswersUseTheSoaMinimum) {
  Cache c;
  // RFC 2308 5: min(SOA TTL 3600, MINIMUM 300) = 300.
  ASSERT_TRUE(insert(c, negative("gone.test", kRcodeNxDomain, 3600, 300), kT0));
  const Lookup r = lookup(c, "gone.test.", kT0 + 100 * kSecond);
  ASSERT_TRUE(r.hit);
  EXPECT_TRUE(r.hit->negative);
  EXPECT_EQ(r.hit->remainingTtl, 200u);
  // The SOA's TTL, served, is the remaining negative TTL: offset 12 + 11 + 4 + 6 (owner) + 4.
  EXPECT_EQ(ttlAt(r.bytes, 37), 200u);
  EXPECT_EQ(r.bytes[3] & 0x0F, kRcodeNxDomain);
  EXPECT_FALSE(lookup(c, "gone.test.", kT0 + 300 * kSecond).hit);

  // The SOA's own TTL when it is the smaller one.
  ASSERT_TRUE(insert(c, negative("short.test", kRcodeNxDomain, 30, 300), kT0));
  EXPECT_EQ(lookup(c, "short.test.", kT0).hit->remainingTtl, 30u);

  // NODATA: NOERROR, no answer, an SOA.
  ASSERT_TRUE(insert(c, negative("empty.test", kRcodeNoError, 600, 120), kT0));
  const Lookup nodata = lookup(c, "empty.test.", kT0);
  ASSERT_TRUE(nodata.hit);
  EXPECT_TRUE(nodata.hit->negative);
  EXPECT_EQ(nodata.hit->remainingTtl, 120u);
}

TEST(Cache, NegativeTtlIsCapped) {
  CacheOptions o;
  o.maxNegativeTtl = 900;
  Cache c(o);
  ASSERT_TRUE(insert(c, negative("long.test", kRcodeNxDomain, 86400, 86400), kT0));
  EXPECT_EQ(lookup(c, "long.test.", kT0).hit->remainingTtl, 900u);
}

TEST(Cache, RefusesWhatMustNotBeCached) {
  Cache c;
  EXPECT_FALSE(insert(c, negative("nosoa.test", kRcodeNxDomain, 0, 0, false), kT0));
  EXPECT_FALSE(insert(c, positive("tc.test", {60}, 0x8380), kT0));     // TC
  EXPECT_FALSE(insert(c, positive("fail.test", {60}, 0x8182), kT0));   // SERVFAIL
  EXPECT_FALSE(insert(c, positive("query.test", {60}, 0x0100), kT0));  // not a response
  EXPECT_FALSE(insert(c, positive("zero.test", {0}), kT0));            // TTL 0
  // A referral: NOERROR, no answer, NS in authority and no SOA.
  Bytes referral = header(1, 0x8180, 1, 0, 1, 0);
  putBytes(referral, wireName("deleg.test"));
  put16(referral, kTypeA);
  put16(referral, kClassIn);
  putRecord(referral, wireName("deleg.test"), kTypeNs, kClassIn, 3600, wireName("ns.deleg.test"));
  EXPECT_FALSE(insert(c, referral, kT0));
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.stats().uncacheable, 6u);
}

TEST(Cache, TtlClamps) {
  CacheOptions o;
  o.minTtl = 60;
  o.maxTtl = 3600;
  Cache c(o);
  ASSERT_TRUE(insert(c, positive("low.test", {5}), kT0));
  EXPECT_EQ(lookup(c, "low.test.", kT0).hit->remainingTtl, 60u);
  ASSERT_TRUE(insert(c, positive("high.test", {1000000}), kT0));
  const Lookup high = lookup(c, "high.test.", kT0);
  EXPECT_EQ(high.hit->remainingTtl, 3600u);
  EXPECT_EQ(ttlAt(high.bytes, 12 + 11 + 4 + 6), 3600u);
  ASSERT_TRUE(insert(c, positive("zero.test", {0}), kT0));  // raised to 60
  EXPECT_TRUE(lookup(c, "zero.test.", kT0 + 59 * kSecond).hit);
}

TEST(Cache, StripsTheUpstreamOpt) {
  Cache c;
  const Bytes withOpt = positive("opt.test", {60}, 0x8180, true);
  ASSERT_TRUE(insert(c, withOpt, kT0));
  const Lookup r = lookup(c, "opt.test.", kT0);
  ASSERT_TRUE(r.hit);
  Bytes want = positive("opt.test", {60});
  want[0] = 0x11;
  want[1] = 0x11;
  EXPECT_EQ(r.bytes, want);
  EXPECT_EQ(r.bytes.size(), withOpt.size() - 11);
}

TEST(Cache, SmallOutputBufferIsAMiss) {
  Cache c;
  ASSERT_TRUE(insert(c, positive("big.test", {60, 60, 60}), kT0));
  std::array<uint8_t, 20> tiny{};
  EXPECT_FALSE(c.lookup(name("big.test."), kTypeA, kClassIn, false, 1, kT0, tiny));
  EXPECT_TRUE(lookup(c, "big.test.", kT0).hit);
}

TEST(Cache, MemoryBoundEvictsLeastRecentlyUsed) {
  // Every entry has the same shape, so each costs the same: measure it on a probe cache.
  size_t charge = 0;
  {
    Cache probe;
    ASSERT_TRUE(insert(probe, positive("n0.test", {600}), kT0));
    charge = probe.stats().bytes;
  }
  ASSERT_GT(charge, 0u);
  CacheOptions o;
  o.shards = 1;
  o.maxBytes = 3 * charge + charge / 2;  // room for three
  Cache c(o);
  ASSERT_TRUE(insert(c, positive("n0.test", {600}), kT0));
  ASSERT_TRUE(insert(c, positive("n1.test", {600}), kT0));
  ASSERT_TRUE(insert(c, positive("n2.test", {600}), kT0));
  EXPECT_TRUE(lookup(c, "n0.test.", kT0).hit);  // n0 is now the most recently used
  ASSERT_TRUE(insert(c, positive("n3.test", {600}), kT0));
  EXPECT_TRUE(lookup(c, "n0.test.", kT0).hit);
  EXPECT_FALSE(lookup(c, "n1.test.", kT0).hit);  // the least recently used went
  EXPECT_TRUE(lookup(c, "n2.test.", kT0).hit);
  EXPECT_TRUE(lookup(c, "n3.test.", kT0).hit);
  const CacheStats s = c.stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.entries, 3u);
  EXPECT_LE(s.bytes, o.maxBytes);

  // An entry bigger than the whole bound is refused rather than emptying the cache.
  std::vector<uint32_t> many(200, 600);
  EXPECT_FALSE(insert(c, positive("huge.test", many), kT0));
  EXPECT_EQ(c.stats().entries, 3u);
}

TEST(Cache, ReinsertReplaces) {
  Cache c;
  ASSERT_TRUE(insert(c, positive("r.test", {60}), kT0));
  ASSERT_TRUE(insert(c, positive("r.test", {600}), kT0 + 30 * kSecond));
  EXPECT_EQ(c.stats().entries, 1u);
  EXPECT_EQ(lookup(c, "r.test.", kT0 + 90 * kSecond).hit->remainingTtl, 540u);
  c.clear();
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.stats().bytes, 0u);
  EXPECT_FALSE(lookup(c, "r.test.", kT0).hit);
}

TEST(Cache, ThreadsShareItThroughShards) {
  Cache c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string n = "t" + std::to_string(t) + "-" + std::to_string(i) + ".test";
        Message m;
        const Bytes wire = positive(n, {600});
        if (parseMessage(wire, m) != ParseError::kNone || !c.insert(m, false, kT0)) return;
        std::array<uint8_t, 512> out{};
        (void)c.lookup(name(n + "."), kTypeA, kClassIn, false, 1, kT0, out);
      }
    });
  }
  for (auto& th : threads) th.join();
  const CacheStats s = c.stats();
  EXPECT_EQ(s.entries, 2000u);
  EXPECT_EQ(s.hits, 2000u);
}

}  // namespace
}  // namespace mamori::dns
