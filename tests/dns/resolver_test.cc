// The socket-free parts of answering: 0x20, upstream answer checks, policy answers, the CNAME
// rewrite with copied records, response-IP matching. Expected bytes come from dns_test_util.h.
#include "resolver.h"

#include <gtest/gtest.h>

#include <set>

#include "dns_test_util.h"
#include "mamori/dns/message.h"
#include "mamori/dns/policy.h"

namespace mamori::dns {
namespace {

using testutil::Bytes;

Name name(std::string_view text) {
  return *Name::fromText(text);
}

// `m` points into `wire`, which must outlive it (hence no temporaries).
void parse(const Bytes& wire, Message& m) {
  EXPECT_EQ(parseMessage(wire, m), ParseError::kNone);
}
void parse(Bytes&& wire, Message& m) = delete;

TEST(RandomizeCase, KeepsTheNameAndMixesTheCase) {
  RandomPool random;
  const Name original = name("abcdefghijklmnopqrstuvwxyz.abcdefghijklmnopqrstuvwxyz.example.");
  const Name a = randomizeCase(original, random);
  const Name b = randomizeCase(original, random);
  EXPECT_TRUE(a == original);  // case-insensitively the same name
  EXPECT_TRUE(b == original);
  // 59 letters: all lowercase by chance, or two equal draws, has probability 2^-59.
  EXPECT_FALSE(a.identical(original));
  EXPECT_FALSE(a.identical(b));
  // Digits and hyphens are left alone.
  const Name digits = randomizeCase(name("123-456.example."), random);
  EXPECT_EQ(digits.lowercased().toText(), "123-456.example.");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(digits.wire().data()) + 1, 7), "123-456");
}

TEST(RandomPool, DrawsDifferentValues) {
  RandomPool random;
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random.next64());  // crosses several refills
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UpstreamQuery, HasRdTheQuestionAndAnOptWithDo) {
  std::array<uint8_t, 512> buf{};
  const Name q = name("wWw.ExAmple.");
  const size_t n = writeUpstreamQuery(buf, 0xBEEF, q, kTypeAaaa, kClassIn, true, true, 1232);
  ASSERT_GT(n, 0u);
  Message m;
  ASSERT_EQ(parseMessage(std::span<const uint8_t>(buf.data(), n), m), ParseError::kNone);
  EXPECT_EQ(m.header.id, 0xBEEF);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.cd);
  EXPECT_FALSE(m.header.qr);
  EXPECT_TRUE(m.question.name.identical(q));
  EXPECT_EQ(m.question.type, kTypeAaaa);
  EXPECT_TRUE(m.edns.present);
  EXPECT_TRUE(m.edns.dnssecOk);
  EXPECT_EQ(m.edns.udpPayloadSize, 1232);
}

Bytes answerFor(uint16_t id, std::string_view qname, uint16_t type = kTypeA,
                uint16_t flags = 0x8180) {
  Bytes b = testutil::header(id, flags, 1, 1, 0, 0);
  testutil::putBytes(b, testutil::wireName(qname));
  testutil::put16(b, type);
  testutil::put16(b, 1);
  testutil::putRecord(b, testutil::pointer(12), type, 1, 300, Bytes{192, 0, 2, 1});
  return b;
}

TEST(VerifyUpstreamAnswer, AcceptsOnlyTheExactIdQuestionAndCase) {
  const Name sent = name("wWw.eXample.");
  Message m;
  const Bytes wire1 = answerFor(7, "wWw.eXample");
  parse(wire1, m);
  EXPECT_EQ(verifyUpstreamAnswer(m, 7, sent, kTypeA, kClassIn), UpstreamVerdict::kAccept);
  EXPECT_EQ(verifyUpstreamAnswer(m, 8, sent, kTypeA, kClassIn), UpstreamVerdict::kWrongId);
  EXPECT_EQ(verifyUpstreamAnswer(m, 7, sent, kTypeAaaa, kClassIn), UpstreamVerdict::kWrongQuestion);
  const Bytes wire2 = answerFor(7, "www.example");
  parse(wire2, m);
  EXPECT_EQ(verifyUpstreamAnswer(m, 7, sent, kTypeA, kClassIn), UpstreamVerdict::kWrongCase);
  const Bytes wire3 = answerFor(7, "other.example");
  parse(wire3, m);
  EXPECT_EQ(verifyUpstreamAnswer(m, 7, sent, kTypeA, kClassIn), UpstreamVerdict::kWrongQuestion);
  const Bytes query = answerFor(7, "wWw.eXample", kTypeA, 0x0100);  // QR clear: not an answer
  parse(query, m);
  EXPECT_EQ(verifyUpstreamAnswer(m, 7, sent, kTypeA, kClassIn), UpstreamVerdict::kNotResponse);
  EXPECT_EQ(upstreamVerdictName(UpstreamVerdict::kWrongCase), "wrong_case");
}

Policy policyFrom(std::string_view rpz, std::string_view list = "") {
  PolicyBuilder b;
  EXPECT_TRUE(b.addRpzText("zone", rpz, "zone.rpz").ok());
  if (!list.empty()) {
    EXPECT_TRUE(
        b.addDomainListText("list", list, "list.txt", PolicyAction::kNxdomain, true, 120).ok());
  }
  return b.build();
}

constexpr std::string_view kRpz = R"($ORIGIN rpz.test.
$TTL 60
@ SOA ns.rpz.test. admin.rpz.test. 7 3600 600 86400 30
sink.example A 10.9.9.9
sink.example A 10.9.9.8
txt.example TXT "blocked by policy"
garden.example CNAME walled.garden.test.
24.0.2.0.192.rpz-ip CNAME .
)";

TEST(PolicyAnswers, NegativeAnswersCarryTheZoneSoaOrAMadeUpOne) {
  const Policy p = policyFrom(kRpz, "bad.example\n");
  const NegativeSoa zone = negativeSoaFor(p.sources()[0]);
  EXPECT_EQ(zone.owner.toText(), "rpz.test.");
  EXPECT_EQ(zone.soa.serial, 7u);
  const NegativeSoa list = negativeSoaFor(p.sources()[1]);
  EXPECT_EQ(list.owner.toText(), "list.rpz.invalid.");

  Message q;
  const Bytes wire4 = testutil::query("bad.example", kTypeA, 0x4321, true);
  parse(wire4, q);
  std::array<uint8_t, 1232> out{};
  const PolicyMatch match = p.matchQname(q.question.name);
  ASSERT_EQ(match.action, PolicyAction::kNxdomain);
  const size_t n = writePolicyNegative(q, kRcodeNxDomain, list, match.ttl, out, out.size(), {});
  Message r;
  ASSERT_EQ(parseMessage(std::span<const uint8_t>(out.data(), n), r), ParseError::kNone);
  EXPECT_EQ(r.header.id, 0x4321);
  EXPECT_EQ(r.rcode(), kRcodeNxDomain);
  ASSERT_EQ(r.section(Section::kAuthority).size(), 1u);
  const Record& soa = r.section(Section::kAuthority)[0];
  EXPECT_EQ(soa.type, kTypeSoa);
  EXPECT_EQ(soa.ttl, 120u);  // the list's TTL, not the made-up SOA's
  EXPECT_TRUE(r.edns.present);
}

TEST(PolicyAnswers, LocalDataAnswersItsTypeAndNodataOtherwise) {
  const Policy p = policyFrom(kRpz);
  const PolicyMatch match = p.matchQname(name("SINK.example."));
  ASSERT_EQ(match.action, PolicyAction::kLocalData);
  const NegativeSoa soa = negativeSoaFor(p.sources()[0]);
  std::array<uint8_t, 512> out{};
  Message q;
  const Bytes wire5 = testutil::query("SINK.example", kTypeA);
  parse(wire5, q);
  size_t n = writeLocalData(q, *match.localData, soa, match.ttl, out, out.size(), {});
  Message r;
  ASSERT_EQ(parseMessage(std::span<const uint8_t>(out.data(), n), r), ParseError::kNone);
  ASSERT_EQ(r.section(Section::kAnswer).size(), 2u);
  EXPECT_EQ(r.rdata(r.records[0])[3], 9);
  EXPECT_EQ(r.rdata(r.records[1])[3], 8);
  Name owner;
  size_t next = 0;
  ASSERT_EQ(readName(r.wire, r.records[0].offset, owner, &next), ParseError::kNone);
  EXPECT_TRUE(owner.identical(name("SINK.example.")));  // the client's spelling

  const Bytes wire6 = testutil::query("sink.example", kTypeAaaa);
  parse(wire6, q);
  n = writeLocalData(q, *match.localData, soa, match.ttl, out, out.size(), {});
  ASSERT_EQ(parseMessage(std::span<const uint8_t>(out.data(), n), r), ParseError::kNone);
  EXPECT_EQ(r.rcode(), kRcodeNoError);
  EXPECT_TRUE(r.section(Section::kAnswer).empty());
  EXPECT_EQ(r.section(Section::kAuthority).size(), 1u);
}

TEST(PolicyAnswers, TruncatedAnswerHasTcAndNoRecords) {
  Message q;
  const Bytes wire7 = testutil::query("x.example", kTypeA, 9, true);
  parse(wire7, q);
  std::array<uint8_t, 512> out{};
  const size_t n = writeTruncated(q, out, out.size(), {});
  Message r;
  ASSERT_EQ(parseMessage(std::span<const uint8_t>(out.data(), n), r), ParseError::kNone);
  EXPECT_TRUE(r.header.tc);
  EXPECT_TRUE(r.records.empty());
}

TEST(CnameAnswer, CopiesTheTargetsRecordsWithNamesWrittenAgain) {
  // Upstream's answer for walled.garden.test: a compressed CNAME chain, then an A and an MX.
  Bytes up = testutil::header(1, 0x8180, 1, 3, 0, 0);
  testutil::putBytes(up, testutil::wireName("walled.garden.test"));
  testutil::put16(up, kTypeA);
  testutil::put16(up, 1);
  Bytes target = testutil::wireName("www");
  target.pop_back();
  const Bytes tail = testutil::pointer(12);
  target.insert(target.end(), tail.begin(), tail.end());  // www.walled.garden.test (compressed)
  testutil::putRecord(up, testutil::pointer(12), kTypeCname, 1, 100, target);
  testutil::putRecord(up, Bytes{3, 'w', 'w', 'w', 0xC0, 12}, kTypeA, 1, 50, Bytes{192, 0, 2, 7});
  Bytes mx = {0, 10};
  mx.insert(mx.end(), tail.begin(), tail.end());
  testutil::putRecord(up, testutil::pointer(12), kTypeMx, 1, 40, mx);
  Message upstream;
  ASSERT_EQ(parseMessage(up, upstream), ParseError::kNone);

  Message q;
  const Bytes wire8 = testutil::query("Garden.example", kTypeA, 0x7777);
  parse(wire8, q);
  std::array<uint8_t, 1024> out{};
  const size_t n =
      writeCnameAnswer(q, name("walled.garden.test."), 60, &upstream, out, out.size(), {});
  Message r;
  ASSERT_EQ(parseMessage(std::span<const uint8_t>(out.data(), n), r), ParseError::kNone);
  EXPECT_EQ(r.header.id, 0x7777);
  ASSERT_EQ(r.section(Section::kAnswer).size(), 4u);
  Name n0;
  Name n1;
  size_t next = 0;
  ASSERT_EQ(readName(r.wire, r.records[0].rdataOffset, n0, &next), ParseError::kNone);
  EXPECT_EQ(n0.toText(), "walled.garden.test.");
  ASSERT_EQ(readName(r.wire, r.records[1].rdataOffset, n1, &next), ParseError::kNone);
  EXPECT_EQ(n1.toText(), "www.walled.garden.test.");
  EXPECT_EQ(r.records[2].type, kTypeA);
  EXPECT_EQ(r.rdata(r.records[2])[3], 7);
  Name exchange;
  ASSERT_EQ(readName(r.wire, r.records[3].rdataOffset + 2u, exchange, &next), ParseError::kNone);
  EXPECT_EQ(exchange.toText(), "walled.garden.test.");

  // Without an upstream answer (qtype CNAME): the CNAME alone.
  const size_t m =
      writeCnameAnswer(q, name("walled.garden.test."), 60, nullptr, out, out.size(), {});
  ASSERT_EQ(parseMessage(std::span<const uint8_t>(out.data(), m), r), ParseError::kNone);
  EXPECT_EQ(r.section(Section::kAnswer).size(), 1u);
}

TEST(ResponseIp, MatchesAddressesInTheAnswerSection) {
  const Policy p = policyFrom(kRpz);
  Message m;
  const Bytes inside = answerFor(1, "x.example");  // 192.0.2.1, inside 192.0.2.0/24
  parse(inside, m);
  const PolicyMatch match = matchAnswerAddresses(m, p, SIZE_MAX);
  EXPECT_EQ(match.action, PolicyAction::kNxdomain);
  EXPECT_EQ(match.trigger, TriggerKind::kResponseIp);
  EXPECT_EQ(match.prefix.toString(), "192.0.2.0/24");
  // A PASSTHRU in source 0 stops response-IP checks of source 0 and later.
  EXPECT_FALSE(matchAnswerAddresses(m, p, 0).matched());
  Bytes other = answerFor(1, "x.example");
  other[other.size() - 2] = 3;  // 192.0.3.1
  parse(other, m);
  EXPECT_FALSE(matchAnswerAddresses(m, p, SIZE_MAX).matched());
}

TEST(Names, TypesAndRcodes) {
  EXPECT_EQ(qtypeText(kTypeAaaa), "AAAA");
  EXPECT_EQ(qtypeText(65), "HTTPS");
  EXPECT_EQ(qtypeText(999), "TYPE999");
  EXPECT_EQ(rcodeName(kRcodeNxDomain), "NXDOMAIN");
  EXPECT_EQ(rcodeName(11), "OTHER");
}

}  // namespace
}  // namespace mamori::dns
