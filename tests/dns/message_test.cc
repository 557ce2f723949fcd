#include "mamori/dns/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dns/dns_test_util.h"

namespace mamori::dns {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace): test helpers

ParseError parse(const Bytes& b, Message& m) {
  return parseMessage(b, m);
}

std::string nameAt(const Message& m, size_t offset) {
  Name n;
  size_t next = 0;
  const ParseError e = readName(m.wire, offset, n, &next);
  return e == ParseError::kNone ? n.toText() : std::string(parseErrorName(e));
}

// The query dig sends for "www.example.com A" without EDNS, written out byte by byte.
const Bytes kQuery = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x03, 'w',  'w',  'w',  0x07, 'e',  'x',  'a',  'm',  'p',
                      'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};

TEST(Message, ParsesAPlainQuery) {
  Message m;
  ASSERT_EQ(parse(kQuery, m), ParseError::kNone);
  EXPECT_EQ(m.header.id, 0x1234);
  EXPECT_FALSE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_EQ(m.header.opcode, 0);
  ASSERT_TRUE(m.hasQuestion);
  EXPECT_EQ(m.question.name.toText(), "www.example.com.");
  EXPECT_EQ(m.question.type, kTypeA);
  EXPECT_EQ(m.question.qclass, kClassIn);
  EXPECT_EQ(m.questionEnd, 33);
  EXPECT_TRUE(m.records.empty());
  EXPECT_FALSE(m.edns.present);
  EXPECT_EQ(m.edns.effectiveUdpSize(), 512u);
  EXPECT_EQ(kQuery, query("www.example.com", kTypeA));  // the helper writes the same bytes
}

TEST(Message, ParsesACompressedAnswer) {
  // Response: the answer's owner is a pointer to the question name at offset 12.
  Bytes b = header(0x1234, 0x8180, 1, 1, 0, 0);
  putBytes(b, wireName("www.example.com"));
  put16(b, kTypeA);
  put16(b, kClassIn);
  putRecord(b, pointer(12), kTypeA, kClassIn, 3600, Bytes{93, 184, 216, 34});
  Message m;
  ASSERT_EQ(parse(b, m), ParseError::kNone);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.ra);
  ASSERT_EQ(m.records.size(), 1u);
  const Record& r = m.records[0];
  EXPECT_EQ(r.section, Section::kAnswer);
  EXPECT_EQ(r.offset, 33);
  EXPECT_EQ(r.ttlOffset, 39);    // 33 + 2 (pointer) + 2 (type) + 2 (class)
  EXPECT_EQ(r.rdataOffset, 45);  // + 4 (TTL) + 2 (RDLENGTH)
  EXPECT_EQ(r.rdataLength, 4);
  EXPECT_EQ(r.ttl, 3600u);
  EXPECT_EQ(Bytes(m.rdata(r).begin(), m.rdata(r).end()), (Bytes{93, 184, 216, 34}));
  EXPECT_EQ(nameAt(m, r.offset), "www.example.com.");
  EXPECT_EQ(m.section(Section::kAnswer).size(), 1u);
  EXPECT_TRUE(m.section(Section::kAuthority).empty());
}

TEST(Message, Rfc1035CompressionExample) {
  // RFC 1035 4.1.4: F.ISI.ARPA, then FOO.F.ISI.ARPA as "FOO" + pointer, then ARPA as a pointer
  // into the middle of the first name, and a pointer to a pointer.
  Bytes b = header(1, 0x8000, 1, 3, 0, 0);
  putBytes(b, wireName("F.ISI.ARPA"));  // at 12; "ISI" at 14, "ARPA" at 18
  put16(b, kTypeA);
  put16(b, kClassIn);
  const Bytes rdata = {10, 0, 0, 1};
  Bytes foo = {3, 'F', 'O', 'O'};
  putBytes(foo, pointer(12));
  const size_t fooOffset = b.size();
  putRecord(b, foo, kTypeA, kClassIn, 60, rdata);
  putRecord(b, pointer(18), kTypeA, kClassIn, 60, rdata);
  putRecord(b, pointer(static_cast<uint16_t>(fooOffset)), kTypeA, kClassIn, 60, rdata);
  Message m;
  ASSERT_EQ(parse(b, m), ParseError::kNone);
  ASSERT_EQ(m.records.size(), 3u);
  EXPECT_EQ(nameAt(m, m.records[0].offset), "FOO.F.ISI.ARPA.");
  EXPECT_EQ(nameAt(m, m.records[1].offset), "ARPA.");
  EXPECT_EQ(nameAt(m, m.records[2].offset), "FOO.F.ISI.ARPA.");
}

TEST(Message, PointerLoopsAreRefused) {
  // The question name "a" followed by a pointer back to its own start: a.a.a.a...
  Bytes b = header(1, 0, 1, 0, 0, 0);
  putList(b, {1, 'a'});
  putBytes(b, pointer(12));
  put16(b, 1);
  put16(b, 1);
  Message m;
  EXPECT_EQ(parse(b, m), ParseError::kPointerLoop);

  // A pointer to itself is a forward pointer (not strictly backwards).
  Bytes self = header(1, 0, 1, 0, 0, 0);
  putBytes(self, pointer(12));
  put16(self, 1);
  put16(self, 1);
  EXPECT_EQ(parse(self, m), ParseError::kForwardPointer);
}

TEST(Message, ForwardPointerAndPointerIntoHeader) {
  Bytes b = header(1, 0, 1, 0, 0, 0);
  putBytes(b, pointer(20));
  put16(b, 1);
  put16(b, 1);
  putList(b, {0, 0, 0, 0});
  Message m;
  EXPECT_EQ(parse(b, m), ParseError::kForwardPointer);

  Bytes h = header(1, 0x8000, 1, 1, 0, 0);
  putBytes(h, wireName("a"));
  put16(h, 1);
  put16(h, 1);
  putRecord(h, pointer(2), kTypeA, kClassIn, 1, Bytes{1, 2, 3, 4});
  EXPECT_EQ(parse(h, m), ParseError::kPointerIntoHeader);
}

TEST(Message, PointersMustLandOnALabel) {
  Message m;
  // Into the middle of a label: "www" starts at 12, its letters at 13-15.
  Bytes mid = header(1, 0x8000, 1, 1, 0, 0);
  putBytes(mid, wireName("www.example"));
  put16(mid, 1);
  put16(mid, 1);
  putRecord(mid, pointer(13), kTypeA, kClassIn, 1, Bytes{1, 2, 3, 4});
  EXPECT_EQ(parse(mid, m), ParseError::kBadPointer);

  // Into a TTL field (found by the fuzzer): a later owner name read from the bytes of an earlier
  // record's class and TTL would change meaning when the cache ages the TTL.
  Bytes ttl = header(1, 0x8000, 1, 2, 0, 0);
  putBytes(ttl, wireName("a.test"));  // 12..19, question ends at 24
  put16(ttl, 1);
  put16(ttl, 1);
  putRecord(ttl, pointer(12), kTypeA, kClassIn, 0x0161006F, Bytes{1, 2, 3, 4});  // TTL at 30
  putRecord(ttl, pointer(30), kTypeA, kClassIn, 1, Bytes{1, 2, 3, 4});
  EXPECT_EQ(parse(ttl, m), ParseError::kBadPointer);

  // Onto a label inside a CNAME's data: allowed (names in known rdata count as names).
  Bytes cname = header(1, 0x8000, 1, 2, 0, 0);
  putBytes(cname, wireName("a.test"));
  put16(cname, 1);
  put16(cname, 1);
  putRecord(cname, pointer(12), kTypeCname, kClassIn, 1, wireName("b.example"));  // rdata at 36
  putRecord(cname, pointer(36), kTypeA, kClassIn, 1, Bytes{1, 2, 3, 4});
  ASSERT_EQ(parse(cname, m), ParseError::kNone);
  EXPECT_EQ(nameAt(m, m.records[1].offset), "b.example.");

  // Onto a name inside opaque data (TXT): refused.
  Bytes txt = header(1, 0x8000, 1, 2, 0, 0);
  putBytes(txt, wireName("a.test"));
  put16(txt, 1);
  put16(txt, 1);
  putRecord(txt, pointer(12), kTypeTxt, kClassIn, 1, wireName("b.example"));  // rdata at 36
  putRecord(txt, pointer(36), kTypeA, kClassIn, 1, Bytes{1, 2, 3, 4});
  EXPECT_EQ(parse(txt, m), ParseError::kBadPointer);
}

// The fuzzer's crasher, kept in the corpus: its CNAME data points into its own class/TTL bytes.
TEST(Message, RegressionPointerIntoTtl) {
  std::ifstream in(MAMORI_SOURCE_DIR "/tests/fuzz/corpus/dns_message/regression_pointer_into_ttl",
                   std::ios::binary);
  const Bytes crasher((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(crasher.size(), 106u);
  Message m;
  EXPECT_EQ(parse(crasher, m), ParseError::kBadPointer);
}

TEST(Message, LabelTypesAndLimits) {
  Message m;
  for (const int bad : {0x40, 0x80}) {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    putList(b, {bad, 'a', 0});
    put16(b, 1);
    put16(b, 1);
    EXPECT_EQ(parse(b, m), ParseError::kBadLabelType) << bad;
  }
  // A 63-byte label is fine; four of them (257 bytes on the wire) are too long.
  const std::string l63(63, 'q');
  Bytes ok = header(1, 0, 1, 0, 0, 0);
  putBytes(ok, wireName(l63 + ".b"));
  put16(ok, 1);
  put16(ok, 1);
  EXPECT_EQ(parse(ok, m), ParseError::kNone);
  Bytes longName = header(1, 0, 1, 0, 0, 0);
  putBytes(longName, wireName(l63 + "." + l63 + "." + l63 + "." + l63));
  put16(longName, 1);
  put16(longName, 1);
  EXPECT_EQ(parse(longName, m), ParseError::kNameTooLong);

  // Too long only once decompressed: 3 x 63 in the question, then an answer owner adding a
  // 63-byte label in front of a pointer to it.
  Bytes viaPointer = header(1, 0x8000, 1, 1, 0, 0);
  putBytes(viaPointer, wireName(l63 + "." + l63 + "." + l63));  // 193 bytes: fine
  put16(viaPointer, 1);
  put16(viaPointer, 1);
  Bytes owner = wireName(l63);
  owner.pop_back();  // drop the root byte, continue with a pointer
  putBytes(owner, pointer(12));
  putRecord(viaPointer, owner, kTypeA, kClassIn, 1, Bytes{1, 2, 3, 4});
  EXPECT_EQ(parse(viaPointer, m), ParseError::kNameTooLong);
}

TEST(Message, TruncatedMessages) {
  Message m;
  EXPECT_EQ(parse(Bytes(11, 0), m), ParseError::kTruncatedHeader);
  EXPECT_EQ(parse(Bytes{}, m), ParseError::kTruncatedHeader);
  // Every proper prefix of a valid query fails, and none crashes.
  for (size_t n = 12; n < kQuery.size(); ++n) {
    const Bytes prefix(kQuery.begin(), kQuery.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(parse(prefix, m), ParseError::kNone) << n;
  }
  // The name complete but type/class missing.
  Bytes noType(kQuery.begin(), kQuery.end() - 3);  // one byte of the type left
  EXPECT_EQ(parse(noType, m), ParseError::kTruncatedQuestion);
  // Header survives a failure: a FORMERR can echo the id.
  EXPECT_EQ(m.header.id, 0x1234);

  // A record whose RDLENGTH runs past the end.
  Bytes overrun = header(1, 0x8000, 0, 1, 0, 0);
  putRecord(overrun, Bytes{0}, kTypeTxt, kClassIn, 1, Bytes{3, 'a', 'b', 'c'});
  overrun[overrun.size() - 5] = 10;  // RDLENGTH low byte: 10 instead of 4
  EXPECT_EQ(parse(overrun, m), ParseError::kRdataOverrun);

  // Record fixed fields cut short (the counts allow 11 bytes, the fields need 10 after the name).
  Bytes fixed = header(1, 0x8000, 0, 1, 0, 0);
  putBytes(fixed, wireName("abc"));
  putList(fixed, {0, 1, 0, 1, 0, 0});
  EXPECT_EQ(parse(fixed, m), ParseError::kTruncatedRecord);
}

TEST(Message, CountsAreCheckedAgainstTheLength) {
  Message m;
  Bytes many = kQuery;
  many[6] = 0xFF;  // ANCOUNT 65280 in a 33-byte message
  EXPECT_EQ(parse(many, m), ParseError::kCountsExceedMessage);
  Bytes questions = kQuery;
  questions[5] = 2;
  EXPECT_EQ(parse(questions, m), ParseError::kTooManyQuestions);
  Bytes trailing = kQuery;
  trailing.push_back(0);
  EXPECT_EQ(parse(trailing, m), ParseError::kTrailingBytes);
  // 21 bytes after the header hold a question (5 at least) and one record (11 at least), so one
  // missing record is only found when reading it; two cannot fit at all.
  Bytes one = kQuery;
  one[11] = 1;
  EXPECT_EQ(parse(one, m), ParseError::kTruncatedName);
  Bytes two = kQuery;
  two[11] = 2;
  EXPECT_EQ(parse(two, m), ParseError::kCountsExceedMessage);
}

TEST(Message, EdnsOpt) {
  Message m;
  const Bytes q = query("example.org", kTypeAaaa, 7, true, 1232, true);
  ASSERT_EQ(parse(q, m), ParseError::kNone);
  ASSERT_TRUE(m.edns.present);
  EXPECT_TRUE(m.edns.dnssecOk);
  EXPECT_EQ(m.edns.udpPayloadSize, 1232);
  EXPECT_EQ(m.edns.version, 0);
  EXPECT_EQ(m.edns.flags, 0x8000);
  EXPECT_EQ(m.edns.effectiveUdpSize(), 1232u);
  EXPECT_TRUE(m.records.empty());  // the OPT record is not among the records
  EXPECT_EQ(m.edns.recordOffset, 12 + 13 + 4);
  EXPECT_EQ(m.edns.recordEnd, q.size());

  // A payload size under 512 counts as 512.
  ASSERT_EQ(parse(query("example.org", kTypeA, 7, true, 100), m), ParseError::kNone);
  EXPECT_EQ(m.edns.effectiveUdpSize(), 512u);

  // Options stay raw: a COOKIE option (code 10) with an 8-byte client cookie.
  Bytes withCookie = header(9, 0x0100, 1, 0, 0, 1);
  putBytes(withCookie, wireName("a.test"));
  put16(withCookie, 1);
  put16(withCookie, 1);
  const Bytes cookie = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  putOpt(withCookie, 4096, false, cookie);
  ASSERT_EQ(parse(withCookie, m), ParseError::kNone);
  EXPECT_EQ(Bytes(m.edns.options.begin(), m.edns.options.end()), cookie);
  EXPECT_FALSE(m.edns.dnssecOk);

  // The same with an option length one byte too long.
  Bytes badOption = withCookie;
  badOption[badOption.size() - 9] = 9;
  EXPECT_EQ(parse(badOption, m), ParseError::kBadEdnsOptions);

  // Extended RCODE: upper bits 1 and header 0 make BADVERS (16).
  Bytes badvers = header(9, 0x8000, 0, 0, 0, 1);
  putOpt(badvers, 1232, false, {}, 1);
  ASSERT_EQ(parse(badvers, m), ParseError::kNone);
  EXPECT_EQ(m.rcode(), kRcodeBadVers);

  // Version 1 parses (the server answers it BADVERS).
  Bytes v1 = header(9, 0, 0, 0, 0, 1);
  putOpt(v1, 1232, false, {}, 0, 1);
  ASSERT_EQ(parse(v1, m), ParseError::kNone);
  EXPECT_EQ(m.edns.version, 1);
}

TEST(Message, BadOptPlacement) {
  Message m;
  Bytes two = header(1, 0, 0, 0, 0, 2);
  putOpt(two, 512, false);
  putOpt(two, 512, false);
  EXPECT_EQ(parse(two, m), ParseError::kMultipleOpt);

  Bytes inAnswer = header(1, 0, 0, 1, 0, 0);
  putOpt(inAnswer, 512, false);
  EXPECT_EQ(parse(inAnswer, m), ParseError::kOptNotInAdditional);

  Bytes named = header(1, 0, 0, 0, 0, 1);
  putRecord(named, wireName("x"), kTypeOpt, 512, 0, Bytes{});
  EXPECT_EQ(parse(named, m), ParseError::kOptNotRoot);
}

TEST(Message, RdataShapes) {
  Message m;
  const auto one = [&](uint16_t type, const Bytes& rdata) {
    Bytes b = header(1, 0x8000, 0, 1, 0, 0);
    putRecord(b, wireName("x"), type, kClassIn, 1, rdata);
    return parse(b, m);
  };
  EXPECT_EQ(one(kTypeA, Bytes{1, 2, 3, 4}), ParseError::kNone);
  EXPECT_EQ(one(kTypeA, Bytes{1, 2, 3, 4, 5}), ParseError::kBadRdata);
  EXPECT_EQ(one(kTypeAaaa, Bytes(16, 1)), ParseError::kNone);
  EXPECT_EQ(one(kTypeAaaa, Bytes(4, 1)), ParseError::kBadRdata);
  EXPECT_EQ(one(kTypeCname, wireName("target.example")), ParseError::kNone);
  // The CNAME target's labels run past the RDLENGTH (the name ends two bytes after it).
  Bytes longer = header(1, 0x8000, 0, 1, 0, 0);
  putBytes(longer, wireName("x"));
  put16(longer, kTypeCname);
  put16(longer, kClassIn);
  put32(longer, 1);
  const Bytes target = wireName("abc.de");
  put16(longer, static_cast<uint32_t>(target.size() - 2));
  putBytes(longer, target);
  EXPECT_NE(parse(longer, m), ParseError::kNone);
  // Two names where one is expected.
  Bytes twice = wireName("a");
  putBytes(twice, wireName("b"));
  EXPECT_EQ(one(kTypeCname, twice), ParseError::kBadRdata);
  // SOA: two names and exactly 20 bytes.
  Bytes soa = wireName("ns.x");
  putBytes(soa, wireName("root.x"));
  for (int i = 0; i < 5; ++i) put32(soa, 1);
  EXPECT_EQ(one(kTypeSoa, soa), ParseError::kNone);
  soa.pop_back();
  EXPECT_EQ(one(kTypeSoa, soa), ParseError::kBadRdata);
  EXPECT_EQ(one(kTypeMx, Bytes{0, 10, 0}), ParseError::kNone);  // preference + root
  EXPECT_EQ(one(kTypeMx, Bytes{0}), ParseError::kBadRdata);
  // Unknown types stay opaque.
  EXPECT_EQ(one(65280, Bytes{1, 2, 3}), ParseError::kNone);
  // A is only checked for class IN (CH A records have another shape).
  Bytes chaos = header(1, 0x8000, 0, 1, 0, 0);
  putRecord(chaos, wireName("x"), kTypeA, 3, 1, Bytes{1, 2});
  EXPECT_EQ(parse(chaos, m), ParseError::kNone);
}

TEST(Message, SectionsAndCounts) {
  Bytes b = header(1, 0x8000, 1, 1, 1, 2);
  putBytes(b, wireName("q.test"));
  put16(b, 1);
  put16(b, 1);
  putRecord(b, pointer(12), kTypeA, kClassIn, 10, Bytes{1, 1, 1, 1});
  Bytes soa = wireName("ns");
  putBytes(soa, wireName("h"));
  for (int i = 0; i < 5; ++i) put32(soa, 7);
  putRecord(b, wireName("test"), kTypeSoa, kClassIn, 20, soa);
  putRecord(b, wireName("ns"), kTypeA, kClassIn, 30, Bytes{2, 2, 2, 2});
  putOpt(b, 1232, false);
  Message m;
  ASSERT_EQ(parse(b, m), ParseError::kNone);
  EXPECT_EQ(m.records.size(), 3u);
  EXPECT_EQ(m.section(Section::kAnswer).size(), 1u);
  EXPECT_EQ(m.section(Section::kAuthority).size(), 1u);
  EXPECT_EQ(m.section(Section::kAuthority)[0].type, kTypeSoa);
  ASSERT_EQ(m.section(Section::kAdditional).size(), 1u);
  EXPECT_EQ(m.section(Section::kAdditional)[0].ttl, 30u);
  EXPECT_TRUE(m.edns.present);
}

TEST(Message, ErrorNamesAreDistinct) {
  std::vector<std::string> names;
  for (int e = 0; e <= static_cast<int>(ParseError::kTrailingBytes); ++e) {
    const auto error = static_cast<ParseError>(e);
    names.emplace_back(parseErrorName(error));
    EXPECT_FALSE(parseErrorMessage(error).empty());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
}

}  // namespace
}  // namespace mamori::dns
