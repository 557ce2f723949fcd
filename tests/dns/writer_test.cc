#include "mamori/dns/writer.h"

#include <gtest/gtest.h>

#include <array>

#include "dns/dns_test_util.h"

namespace mamori::dns {
namespace {

using namespace testutil;  // NOLINT(google-build-using-namespace): test helpers

Name name(std::string_view text) {
  return *Name::fromText(text);
}

Message parsed(const Bytes& b) {
  Message m;
  EXPECT_EQ(parseMessage(b, m), ParseError::kNone);
  return m;
}

Bytes asBytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

TEST(MessageWriter, CompressesNamesAgainstEarlierOnes) {
  const Bytes q = query("www.example.com", kTypeA);
  const Message m = parsed(q);
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, 512);
  ASSERT_TRUE(beginResponse(w, m, kRcodeNoError, ResponseOptions{}));
  ASSERT_TRUE(w.addNameRecord(Section::kAnswer, m.question.name, kTypeCname, kClassIn, 300,
                              name("cdn.example.com.")));
  ASSERT_TRUE(w.addRecord(Section::kAnswer, name("cdn.example.com."), kTypeA, kClassIn, 60,
                          Bytes{192, 0, 2, 1}));
  ASSERT_TRUE(finishResponse(w, m, kRcodeNoError, ResponseOptions{}));

  // Expected, by hand: the CNAME owner points at the question (12), the target is "cdn" plus a
  // pointer to "example.com" (12 + 4 = 16), and the A owner points at that "cdn" label (45).
  Bytes want = header(0x1234, 0x8180, 1, 2, 0, 0);
  putBytes(want, wireName("www.example.com"));
  put16(want, kTypeA);
  put16(want, kClassIn);
  putRecord(want, pointer(12), kTypeCname, kClassIn, 300, Bytes{3, 'c', 'd', 'n', 0xC0, 16});
  putRecord(want, pointer(45), kTypeA, kClassIn, 60, Bytes{192, 0, 2, 1});
  EXPECT_EQ(asBytes(w.message()), want);
  EXPECT_EQ(w.size(), 67u);

  const Message back = parsed(asBytes(w.message()));
  EXPECT_EQ(back.records.size(), 2u);
}

TEST(MessageWriter, CompressionIgnoresCase) {
  const Message m = parsed(query("www.example.com", kTypeA));
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, 512);
  ASSERT_TRUE(beginResponse(w, m, kRcodeNoError, ResponseOptions{}));
  ASSERT_TRUE(w.addNameRecord(Section::kAnswer, name("WWW.EXAMPLE.COM."), kTypeCname, kClassIn, 1,
                              name("CDN.Example.Com.")));
  const auto out = w.message();
  // Owner: pointer to the question; rdata: "CDN" then a pointer to "example.com".
  const Bytes tail = {0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 6, 3, 'C', 'D', 'N', 0xC0, 16};
  ASSERT_GE(out.size(), tail.size());
  EXPECT_EQ(asBytes(out.last(tail.size())), tail);
}

TEST(MessageWriter, ErrorResponsesEchoQuestionAndEdns) {
  const Message m = parsed(query("example.org", kTypeA, 7, true, 4096, true));
  std::array<uint8_t, 512> buf{};
  const size_t n = writeErrorResponse(m, kRcodeRefused, buf, 512);
  Bytes want = header(7, 0x8185, 1, 0, 0, 1);  // QR, RD copied, RA, REFUSED
  putBytes(want, wireName("example.org"));
  put16(want, kTypeA);
  put16(want, kClassIn);
  putOpt(want, 1232, true);  // our payload size, the client's DO bit
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), want);

  // BADVERS (16): header RCODE 0, upper bits 1 in the OPT.
  const size_t b = writeErrorResponse(m, kRcodeBadVers, buf, 512);
  Bytes badvers = header(7, 0x8180, 1, 0, 0, 1);
  putBytes(badvers, wireName("example.org"));
  put16(badvers, kTypeA);
  put16(badvers, kClassIn);
  putOpt(badvers, 1232, true, {}, 1);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(b)), badvers);
  EXPECT_EQ(parsed(badvers).rcode(), kRcodeBadVers);
}

TEST(MessageWriter, FormErrFromAPartlyParsedQuery) {
  Bytes q = query("a.test", kTypeTxt, 0xBEEF);
  q.push_back(0xFF);  // trailing garbage
  Message m;
  ASSERT_EQ(parseMessage(q, m), ParseError::kTrailingBytes);
  std::array<uint8_t, 512> buf{};
  const size_t n = writeErrorResponse(m, kRcodeFormErr, buf, 512);
  Bytes want = header(0xBEEF, 0x8181, 1, 0, 0, 0);
  putBytes(want, wireName("a.test"));
  put16(want, kTypeTxt);
  put16(want, kClassIn);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), want);

  // A header alone (question broken) still gets an answer with the id.
  Bytes broken = header(0x0102, 0x0100, 1, 0, 0, 0);
  putList(broken, {0x40, 0, 0, 1, 0, 1});
  ASSERT_EQ(parseMessage(broken, m), ParseError::kBadLabelType);
  const size_t h = writeErrorResponse(m, kRcodeFormErr, buf, 512);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(h)),
            header(0x0102, 0x8181, 0, 0, 0, 0));
}

TEST(MessageWriter, NeverAnswersResponsesOrScraps) {
  std::array<uint8_t, 512> buf{};
  Message m;
  (void)parseMessage(Bytes(5, 0), m);
  EXPECT_EQ(writeErrorResponse(m, kRcodeFormErr, buf, 512), 0u);
  Bytes response = query("x.test", kTypeA);
  response[2] |= 0x80;
  ASSERT_EQ(parseMessage(response, m), ParseError::kNone);
  EXPECT_EQ(writeErrorResponse(m, kRcodeFormErr, buf, 512), 0u);
}

TEST(MessageWriter, NegativeResponseCarriesTheSoa) {
  const Message m = parsed(query("bad.test", kTypeA, 5));
  SoaData soa{name("ns.test."), name("hostmaster.test."), 1, 3600, 600, 86400, 60};
  std::array<uint8_t, 512> buf{};
  const size_t n = writeNegativeResponse(m, kRcodeNxDomain, name("test."), 60, soa, buf, 512);
  Bytes want = header(5, 0x8183, 1, 0, 1, 0);
  putBytes(want, wireName("bad.test"));  // "test" at 12 + 4 = 16
  put16(want, kTypeA);
  put16(want, kClassIn);
  Bytes rdata = {2,   'n', 's', 0xC0, 16,  10,  'h', 'o',  's',
                 't', 'm', 'a', 's',  't', 'e', 'r', 0xC0, 16};
  for (const uint32_t v : {1u, 3600u, 600u, 86400u, 60u}) put32(rdata, v);
  putRecord(want, pointer(16), kTypeSoa, kClassIn, 60, rdata);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), want);
  EXPECT_EQ(n, 76u);
}

// Fills the answer section with A records for the question name until one does not fit.
size_t fillAnswers(MessageWriter& w, const Message& m) {
  size_t added = 0;
  while (w.addRecord(Section::kAnswer, m.question.name, kTypeA, kClassIn, 1,
                     Bytes{10, 0, 0, static_cast<uint8_t>(added)})) {
    ++added;
  }
  return added;
}

TEST(MessageWriter, TruncatesAtRecordBoundariesAndKeepsRoomForOpt) {
  // "example.org" question ends at 12 + 13 + 4 = 29; each A record with a compressed owner is
  // 2 + 10 + 4 = 16 bytes. Without EDNS: (512 - 29) / 16 = 30 records (509 bytes).
  const Message plain = parsed(query("example.org", kTypeA));
  std::array<uint8_t, 4096> buf{};
  EXPECT_EQ(responseLimit(plain, false, 4096), 512u);
  MessageWriter w(buf, responseLimit(plain, false, 4096));
  ASSERT_TRUE(beginResponse(w, plain, kRcodeNoError, ResponseOptions{}));
  EXPECT_EQ(fillAnswers(w, plain), 30u);
  w.setTruncated();
  ASSERT_TRUE(finishResponse(w, plain, kRcodeNoError, ResponseOptions{}));
  EXPECT_EQ(w.size(), 509u);
  const Message back = parsed(asBytes(w.message()));
  EXPECT_TRUE(back.header.tc);
  EXPECT_EQ(back.header.ancount, 30);

  // With EDNS at 512, 11 bytes stay free for the OPT: (512 - 11 - 29) / 16 = 29 records.
  const Message edns = parsed(query("example.org", kTypeA, 1, true, 512));
  MessageWriter e(buf, responseLimit(edns, false, 4096));
  ASSERT_TRUE(beginResponse(e, edns, kRcodeNoError, ResponseOptions{}));
  EXPECT_EQ(fillAnswers(e, edns), 29u);
  e.setTruncated();
  ASSERT_TRUE(finishResponse(e, edns, kRcodeNoError, ResponseOptions{}));
  EXPECT_EQ(e.size(), 29u + 29 * 16 + 11);
  const Message eback = parsed(asBytes(e.message()));
  EXPECT_TRUE(eback.header.tc);
  EXPECT_TRUE(eback.edns.present);

  // The server's own maximum caps a large client size; TCP gets 65535.
  const Message big = parsed(query("example.org", kTypeA, 1, true, 65000));
  EXPECT_EQ(responseLimit(big, false, 1232), 1232u);
  EXPECT_EQ(responseLimit(big, true, 1232), 65535u);
}

TEST(MessageWriter, RefusesOutOfOrderSections) {
  const Message m = parsed(query("example.org", kTypeA));
  std::array<uint8_t, 512> buf{};
  MessageWriter w(buf, 512);
  ASSERT_TRUE(beginResponse(w, m, kRcodeNoError, ResponseOptions{}));
  ASSERT_TRUE(
      w.addRecord(Section::kAuthority, m.question.name, kTypeA, kClassIn, 1, Bytes{1, 1, 1, 1}));
  EXPECT_FALSE(
      w.addRecord(Section::kAnswer, m.question.name, kTypeA, kClassIn, 1, Bytes{1, 1, 1, 1}));
  EXPECT_FALSE(w.addQuestion(m.question.name, kTypeA, kClassIn));
  EXPECT_EQ(w.count(Section::kAnswer), 0);
  EXPECT_EQ(w.count(Section::kAuthority), 1);
}

// An upstream response: `answers` A records for example.org, `additional` more A records in the
// additional section, and the upstream's OPT (payload 4096) last.
Bytes upstreamResponse(size_t answers, size_t additional, bool opt) {
  Bytes b = header(0x4242, 0x8180, 1, static_cast<uint16_t>(answers), 0,
                   static_cast<uint16_t>(additional + (opt ? 1 : 0)));
  putBytes(b, wireName("example.org"));
  put16(b, kTypeA);
  put16(b, kClassIn);
  for (size_t i = 0; i < answers + additional; ++i) {
    putRecord(b, pointer(12), kTypeA, kClassIn, 300, Bytes{10, 0, 1, static_cast<uint8_t>(i)});
  }
  if (opt) putOpt(b, 4096, false);
  return b;
}

TEST(FitResponse, TruncatesToTheClientSize) {
  Bytes buf = upstreamResponse(40, 0, true);
  EXPECT_EQ(buf.size(), 29u + 40 * 16 + 11);
  const size_t length = buf.size();
  buf.resize(4096);
  const Message q = parsed(query("example.org", kTypeA, 1, true, 512, true));
  const size_t n = fitResponse(buf, length, q, responseLimit(q, false, 4096));
  // (512 - 11 - 29) / 16 = 29 answers, then our OPT: 1232 bytes advertised, the client's DO.
  EXPECT_EQ(n, 29u + 29 * 16 + 11);
  const Bytes out(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  const Message back = parsed(out);
  EXPECT_TRUE(back.header.tc);
  EXPECT_EQ(back.header.ancount, 29);
  EXPECT_EQ(back.header.arcount, 1);
  Bytes opt;
  putOpt(opt, 1232, true);
  EXPECT_EQ(Bytes(out.end() - 11, out.end()), opt);
}

TEST(FitResponse, ReplacesTheOptWhenEverythingFits) {
  Bytes buf = upstreamResponse(3, 0, true);
  const size_t length = buf.size();
  buf.resize(1024);
  const Message q = parsed(query("example.org", kTypeA, 1, true, 1232, false));
  const size_t n = fitResponse(buf, length, q, 1232);
  EXPECT_EQ(n, length);  // same size: their OPT out, ours in
  const Message back = parsed(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)));
  EXPECT_FALSE(back.header.tc);
  EXPECT_EQ(back.edns.udpPayloadSize, 1232);
  EXPECT_FALSE(back.edns.dnssecOk);

  // A client without EDNS gets no OPT at all.
  Bytes again = upstreamResponse(3, 0, true);
  const size_t againLength = again.size();
  const Message plain = parsed(query("example.org", kTypeA));
  const size_t m = fitResponse(again, againLength, plain, 512);
  EXPECT_EQ(m, againLength - 11);
  const Message noOpt =
      parsed(Bytes(again.begin(), again.begin() + static_cast<std::ptrdiff_t>(m)));
  EXPECT_FALSE(noOpt.edns.present);
  EXPECT_EQ(noOpt.header.arcount, 0);
}

TEST(FitResponse, DroppingAdditionalRecordsDoesNotSetTc) {
  Bytes buf = upstreamResponse(1, 40, false);
  const size_t length = buf.size();
  const Message q = parsed(query("example.org", kTypeA));
  const size_t n = fitResponse(buf, length, q, 512);
  // 29 + 16 for the answer, then (512 - 45) / 16 = 29 additional records.
  EXPECT_EQ(n, 45u + 29 * 16);
  const Message back = parsed(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)));
  EXPECT_FALSE(back.header.tc);
  EXPECT_EQ(back.header.ancount, 1);
  EXPECT_EQ(back.header.arcount, 29);
}

TEST(FitResponse, RefusesWhatDoesNotParse) {
  Bytes buf = upstreamResponse(2, 0, false);
  const Message q = parsed(query("example.org", kTypeA));
  EXPECT_EQ(fitResponse(buf, buf.size() - 1, q, 512), 0u);
  EXPECT_EQ(fitResponse(buf, 5, q, 512), 0u);
  // An OPT in the middle of the additional section cannot be cut out safely.
  Bytes mid = header(1, 0x8180, 0, 0, 0, 2);
  putOpt(mid, 4096, false);
  putRecord(mid, Bytes{0}, kTypeA, kClassIn, 1, Bytes{1, 2, 3, 4});
  EXPECT_EQ(fitResponse(mid, mid.size(), q, 512), 0u);
}

}  // namespace
}  // namespace mamori::dns
