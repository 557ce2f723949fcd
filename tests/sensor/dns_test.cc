#include "proto/dns/dns.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::sensor::dns {
namespace {

// Builds DNS messages byte by byte, following RFC 1035 section 4.
class Wire {
 public:
  Wire& u8(uint8_t v) {
    bytes.push_back(v);
    return *this;
  }
  Wire& u16(uint16_t v) {
    bytes.push_back(static_cast<uint8_t>(v >> 8));
    bytes.push_back(static_cast<uint8_t>(v & 0xff));
    return *this;
  }
  Wire& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  Wire& raw(std::initializer_list<uint8_t> v) {
    bytes.insert(bytes.end(), v.begin(), v.end());
    return *this;
  }
  Wire& label(std::string_view text) {
    u8(static_cast<uint8_t>(text.size()));
    bytes.insert(bytes.end(), text.begin(), text.end());
    return *this;
  }
  // Uncompressed name from dotted text ("" is the root).
  Wire& name(std::string_view dotted) {
    while (!dotted.empty()) {
      const size_t dot = dotted.find('.');
      label(dotted.substr(0, dot));
      dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    return u8(0);
  }
  Wire& pointer(uint16_t offset) { return u16(static_cast<uint16_t>(0xc000 | offset)); }
  Wire& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0,
               uint16_t ar = 0) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  size_t size() const { return bytes.size(); }

  std::vector<uint8_t> bytes;
};

constexpr uint16_t kFlagsQuery = 0x0100;     // RD
constexpr uint16_t kFlagsResponse = 0x8180;  // QR RD RA, NOERROR
constexpr uint16_t kFlagsNxdomain = 0x8183;  // QR RD RA, NXDOMAIN

DnsParse parse(const Wire& w, DnsMessage& m, std::string_view* why = nullptr) {
  return parseDnsMessage(w.bytes, m, why);
}

// A response to www.example.com/A using every compression form: the answer owners point at the
// question name, and the CNAME target "cdn.example.com" reuses the question's "example.com".
Wire compressedResponse() {
  Wire w;
  w.header(0xbeef, kFlagsResponse, 1, 3);
  w.name("www.example.com").u16(kTypeA).u16(kClassIn);  // name at offset 12, "example" at 16
  // CNAME www.example.com -> cdn.example.com
  w.pointer(12).u16(kTypeCname).u16(kClassIn).u32(300).u16(6);
  const size_t cnameTarget = w.size();
  w.label("cdn").pointer(16);
  // cdn.example.com A 93.184.216.34
  w.pointer(static_cast<uint16_t>(cnameTarget)).u16(kTypeA).u16(kClassIn).u32(60).u16(4);
  w.raw({93, 184, 216, 34});
  // cdn.example.com AAAA 2001:db8::1
  w.pointer(static_cast<uint16_t>(cnameTarget)).u16(kTypeAaaa).u16(kClassIn).u32(60).u16(16);
  w.raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  return w;
}

TEST(DnsParse, Query) {
  Wire w;
  w.header(0x1234, kFlagsQuery, 1, 0).name("www.Example.com").u16(kTypeAaaa).u16(kClassIn);
  DnsMessage m;
  std::string_view why = "unset";
  ASSERT_EQ(parse(w, m, &why), DnsParse::kOk);
  EXPECT_TRUE(why.empty());
  EXPECT_EQ(m.id, 0x1234);
  EXPECT_FALSE(m.isResponse);
  EXPECT_EQ(m.opcode, 0);
  EXPECT_EQ(m.rcode, 0);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, "www.Example.com");  // case preserved
  EXPECT_EQ(m.questions[0].type, kTypeAaaa);
  EXPECT_TRUE(m.answers.empty());
  EXPECT_TRUE(m.cnames.empty());
}

TEST(DnsParse, CompressedResponseWithCnameAAndAaaa) {
  const Wire w = compressedResponse();
  DnsMessage m;
  ASSERT_EQ(parse(w, m), DnsParse::kOk);
  EXPECT_EQ(m.id, 0xbeef);
  EXPECT_TRUE(m.isResponse);
  EXPECT_EQ(m.rcode, 0);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, "www.example.com");
  EXPECT_EQ(m.questions[0].type, kTypeA);
  ASSERT_EQ(m.cnames.size(), 1u);
  EXPECT_EQ(m.cnames[0], "cdn.example.com");
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0], IpAddress::parse("93.184.216.34").value());
  EXPECT_EQ(m.answers[1], IpAddress::parse("2001:db8::1").value());
}

TEST(DnsParse, EveryTruncationOfAValidResponseIsMalformed) {
  const Wire w = compressedResponse();
  DnsMessage m;
  for (size_t n = 0; n < w.size(); ++n) {
    std::string_view why;
    const std::vector<uint8_t> cut(w.bytes.begin(), w.bytes.begin() + static_cast<long>(n));
    EXPECT_EQ(parseDnsMessage(cut, m, &why), DnsParse::kMalformed) << "length " << n;
    EXPECT_FALSE(why.empty()) << "length " << n;
    if (n < 12) EXPECT_EQ(why, "dns_truncated_header");
  }
}

TEST(DnsParse, MalformedKeepsWhatWasParsed) {
  Wire w = compressedResponse();
  w.bytes.resize(w.size() - 3);  // cut into the AAAA rdata
  DnsMessage m;
  std::string_view why;
  ASSERT_EQ(parse(w, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_truncated_rdata");
  EXPECT_EQ(m.id, 0xbeef);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, "www.example.com");
  EXPECT_EQ(m.answers.size(), 1u);
}

TEST(DnsParse, PointerToItselfIsALoop) {
  Wire w;
  w.header(1, kFlagsQuery, 1, 0).pointer(12).u16(kTypeA).u16(kClassIn);
  DnsMessage m;
  std::string_view why;
  EXPECT_EQ(parse(w, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_name_loop");
}

TEST(DnsParse, PointerBackIntoTheSameNameIsALoop) {
  // Offset 12: label "a", then a pointer to 12: each pointer points backwards, yet it cycles.
  Wire w;
  w.header(1, kFlagsQuery, 1, 0).label("a").pointer(12).u16(kTypeA).u16(kClassIn);
  DnsMessage m;
  std::string_view why;
  EXPECT_EQ(parse(w, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_name_loop");
}

TEST(DnsParse, TwoNamesPointingAtEachOtherAreRefused) {
  // Name A at 12 is "a" + pointer to name B at 20; B is "b" + pointer back to A. A's pointer
  // goes forward, so the cycle is cut where it is entered.
  Wire w;
  w.header(1, kFlagsQuery, 2, 0);
  w.label("a").pointer(20).u16(kTypeA).u16(kClassIn);  // 12..15 name, 16..19 type/class
  w.label("b").pointer(12).u16(kTypeA).u16(kClassIn);  // 20..23 name
  DnsMessage m;
  std::string_view why;
  EXPECT_EQ(parse(w, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_name_forward_pointer");
}

TEST(DnsParse, ForwardPointerIsRefused) {
  Wire w;
  w.header(1, kFlagsQuery, 1, 0).pointer(40).u16(kTypeA).u16(kClassIn);
  w.bytes.resize(60, 0);
  DnsMessage m;
  std::string_view why;
  EXPECT_EQ(parse(w, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_name_forward_pointer");
}

TEST(DnsParse, PointerChainMustStrictlyDescend) {
  // Name at 12 "b.c"; the question at 19 is "a" + pointer to 14 ("c"): valid, descending.
  Wire w;
  w.header(1, kFlagsQuery, 2, 0);
  w.name("b.c").u16(kTypeA).u16(kClassIn);             // 12..16 name, 17..20
  w.label("a").pointer(14).u16(kTypeA).u16(kClassIn);  // 21..
  DnsMessage m;
  ASSERT_EQ(parse(w, m), DnsParse::kOk);
  ASSERT_EQ(m.questions.size(), 2u);
  EXPECT_EQ(m.questions[0].name, "b.c");
  EXPECT_EQ(m.questions[1].name, "a.c");
}

TEST(DnsParse, LabelLengthLimit) {
  const std::string label63(63, 'x');
  Wire ok;
  ok.header(1, kFlagsQuery, 1, 0).label(label63).label("com").u8(0).u16(kTypeA).u16(kClassIn);
  DnsMessage m;
  ASSERT_EQ(parse(ok, m), DnsParse::kOk);
  EXPECT_EQ(m.questions[0].name, label63 + ".com");

  Wire bad;
  bad.header(1, kFlagsQuery, 1, 0).u8(64);
  bad.bytes.insert(bad.bytes.end(), 64, 'x');
  bad.u8(0).u16(kTypeA).u16(kClassIn);
  std::string_view why;
  EXPECT_EQ(parse(bad, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_label_too_long");
}

TEST(DnsParse, NameWireLengthLimit) {
  // 3 x 63-byte labels (192 wire bytes) + a 61-byte label (62) + root (1) = 255: allowed.
  const std::string l63(63, 'a');
  Wire ok;
  ok.header(1, kFlagsQuery, 1, 0).label(l63).label(l63).label(l63).label(std::string(61, 'b'));
  ok.u8(0).u16(kTypeA).u16(kClassIn);
  DnsMessage m;
  ASSERT_EQ(parse(ok, m), DnsParse::kOk);
  EXPECT_EQ(m.questions[0].name.size(), 63u * 3 + 61 + 3);

  Wire bad;  // one byte more: 256
  bad.header(1, kFlagsQuery, 1, 0).label(l63).label(l63).label(l63).label(std::string(62, 'b'));
  bad.u8(0).u16(kTypeA).u16(kClassIn);
  std::string_view why;
  EXPECT_EQ(parse(bad, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_name_too_long");
}

TEST(DnsParse, NameTooLongThroughCompression) {
  // Each name adds a 63-byte label in front of the previous one via a pointer; the fourth
  // expansion passes 255 wire bytes although every name is short in place.
  Wire w;
  const std::string l63(63, 'q');
  w.header(1, kFlagsQuery, 4, 0);
  size_t previous = w.size();
  w.label(l63).u8(0).u16(kTypeA).u16(kClassIn);
  for (int i = 0; i < 3; ++i) {
    const size_t here = w.size();
    w.label(l63).pointer(static_cast<uint16_t>(previous)).u16(kTypeA).u16(kClassIn);
    previous = here;
  }
  DnsMessage m;
  std::string_view why;
  EXPECT_EQ(parse(w, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_name_too_long");
  EXPECT_EQ(m.questions.size(), 3u);  // 65, 129 and 193 wire bytes were fine
}

TEST(DnsParse, ExtendedLabelTypeIsRefused) {
  Wire w;
  w.header(1, kFlagsQuery, 1, 0).u8(0x41).u8(0).u16(kTypeA).u16(kClassIn);
  DnsMessage m;
  std::string_view why;
  EXPECT_EQ(parse(w, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_label_too_long");
}

TEST(DnsParse, RdlengthMismatch) {
  Wire a;  // A with 5 bytes of rdata
  a.header(1, kFlagsResponse, 0, 1).name("x.test").u16(kTypeA).u16(kClassIn).u32(1).u16(5);
  a.raw({1, 2, 3, 4, 5});
  DnsMessage m;
  std::string_view why;
  EXPECT_EQ(parse(a, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_rdlength_mismatch");

  Wire aaaa;  // AAAA with 4 bytes
  aaaa.header(1, kFlagsResponse, 0, 1).name("x.test").u16(kTypeAaaa).u16(kClassIn).u32(1);
  aaaa.u16(4).raw({1, 2, 3, 4});
  EXPECT_EQ(parse(aaaa, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_rdlength_mismatch");

  Wire longer;  // CNAME rdata with a byte after the name
  longer.header(1, kFlagsResponse, 0, 1).name("x.test").u16(kTypeCname).u16(kClassIn).u32(1);
  longer.u16(9).name("y.test").u8(0);
  EXPECT_EQ(parse(longer, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_rdlength_mismatch");

  Wire shorter;  // CNAME rdata that ends inside the name, followed by more bytes in the message
  shorter.header(1, kFlagsResponse, 0, 1).name("x.test").u16(kTypeCname).u16(kClassIn).u32(1);
  shorter.u16(3).name("y.test");
  EXPECT_EQ(parse(shorter, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_rdlength_mismatch");

  Wire overrun;  // rdlength past the end of the message
  overrun.header(1, kFlagsResponse, 0, 1).name("x.test").u16(kTypeA).u16(kClassIn).u32(1);
  overrun.u16(40).raw({1, 2, 3, 4});
  EXPECT_EQ(parse(overrun, m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_truncated_rdata");
}

TEST(DnsParse, OtherClassesAndTypesAreSkipped) {
  Wire w;
  w.header(1, kFlagsResponse, 0, 3);
  w.name("version.bind").u16(kTypeA).u16(3).u32(0).u16(3).raw({1, 2, 3});  // CH: not checked
  w.name("x.test").u16(16).u16(kClassIn).u32(0).u16(2).raw({1, 'z'});      // TXT
  w.name("x.test").u16(kTypeA).u16(kClassIn).u32(0).u16(4).raw({192, 0, 2, 7});
  DnsMessage m;
  ASSERT_EQ(parse(w, m), DnsParse::kOk);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].toString(), "192.0.2.7");
}

TEST(DnsParse, CapsAreNotErrors) {
  Wire w;
  w.header(7, kFlagsResponse, 10, 40);
  for (int i = 0; i < 10; ++i) w.name("q" + std::to_string(i) + ".test").u16(kTypeA).u16(kClassIn);
  for (int i = 0; i < 40; ++i) {
    w.pointer(12).u16(kTypeA).u16(kClassIn).u32(5).u16(4).raw({10, 0, 0, static_cast<uint8_t>(i)});
  }
  DnsMessage m;
  ASSERT_EQ(parse(w, m), DnsParse::kOk);
  ASSERT_EQ(m.questions.size(), kMaxQuestions);
  EXPECT_EQ(m.questions[7].name, "q7.test");
  ASSERT_EQ(m.answers.size(), kMaxAnswers);
  EXPECT_EQ(m.answers[31].toString(), "10.0.0.31");
}

TEST(DnsParse, RcodeOpcodeAndNames) {
  Wire w;
  w.header(9, kFlagsNxdomain, 1, 0).name("nope.example").u16(kTypeA).u16(kClassIn);
  DnsMessage m;
  ASSERT_EQ(parse(w, m), DnsParse::kOk);
  EXPECT_EQ(m.rcode, 3);
  EXPECT_EQ(rcodeName(m.rcode), "NXDOMAIN");

  Wire n;  // NOTIFY (opcode 4), SERVFAIL
  n.header(9, static_cast<uint16_t>(0x8000 | (4 << 11) | 2), 0, 0);
  ASSERT_EQ(parse(n, m), DnsParse::kOk);
  EXPECT_EQ(m.opcode, 4);
  EXPECT_EQ(rcodeName(m.rcode), "SERVFAIL");

  EXPECT_EQ(rcodeName(0), "NOERROR");
  EXPECT_EQ(rcodeName(5), "REFUSED");
  EXPECT_EQ(rcodeName(13), "RCODE13");
  EXPECT_EQ(rcodeName(16), "BADVERS");
  EXPECT_EQ(rcodeName(255), "RCODE255");
}

TEST(DnsNames, TypeNames) {
  EXPECT_EQ(typeName(1), "A");
  EXPECT_EQ(typeName(28), "AAAA");
  EXPECT_EQ(typeName(5), "CNAME");
  EXPECT_EQ(typeName(15), "MX");
  EXPECT_EQ(typeName(16), "TXT");
  EXPECT_EQ(typeName(2), "NS");
  EXPECT_EQ(typeName(12), "PTR");
  EXPECT_EQ(typeName(6), "SOA");
  EXPECT_EQ(typeName(33), "SRV");
  EXPECT_EQ(typeName(65), "HTTPS");
  EXPECT_EQ(typeName(64), "SVCB");
  EXPECT_EQ(typeName(255), "ANY");
  EXPECT_EQ(typeName(999), "TYPE999");  // RFC 3597 generic form
  EXPECT_EQ(typeName(65535), "TYPE65535");
}

TEST(DnsNames, PresentationEscapes) {
  Wire w;
  w.header(1, kFlagsQuery, 2, 0);
  w.label("a.b").label("c d").label(std::string_view("\x01\x7f\xff", 3)).u8(0);
  w.u16(kTypeA).u16(kClassIn);
  w.u8(0).u16(2).u16(kClassIn);  // the root
  DnsMessage m;
  ASSERT_EQ(parse(w, m), DnsParse::kOk);
  ASSERT_EQ(m.questions.size(), 2u);
  EXPECT_EQ(m.questions[0].name, "a\\.b.c\\032d.\\001\\127\\255");
  EXPECT_EQ(m.questions[1].name, ".");
}

TEST(DnsNames, HostText) {
  std::string out;
  constexpr char kRaw[] = "Ex\\am ple.\xc3\xa9";
  const std::string_view raw(kRaw, sizeof(kRaw) - 1);
  appendHostText(
      out, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
  EXPECT_EQ(out, "Ex\\\\am\\032ple.\\195\\169");
}

TEST(DnsTcp, Framing) {
  const Wire msg = compressedResponse();
  std::vector<uint8_t> stream = {static_cast<uint8_t>(msg.size() >> 8),
                                 static_cast<uint8_t>(msg.size() & 0xff)};
  stream.insert(stream.end(), msg.bytes.begin(), msg.bytes.end());
  stream.insert(stream.end(), {0x00, 0x0c, 1, 2});  // start of a second message

  for (size_t n = 0; n < msg.size() + 2; ++n) {
    EXPECT_TRUE(dnsTcpFrame(std::span<const uint8_t>(stream).first(n)).empty()) << n;
  }
  const auto frame = dnsTcpFrame(stream);
  ASSERT_EQ(frame.size(), msg.size());
  DnsMessage m;
  ASSERT_EQ(parseDnsMessage(frame, m), DnsParse::kOk);
  EXPECT_EQ(m.cnames.at(0), "cdn.example.com");

  const std::vector<uint8_t> empty = {0, 0, 1, 2};
  EXPECT_TRUE(dnsTcpFrame(empty).empty());
}

TEST(DnsParse, ReusedMessageIsCleared) {
  DnsMessage m;
  ASSERT_EQ(parse(compressedResponse(), m), DnsParse::kOk);
  Wire q;
  q.header(2, kFlagsQuery, 0, 0);
  ASSERT_EQ(parse(q, m), DnsParse::kOk);
  EXPECT_EQ(m.id, 2);
  EXPECT_FALSE(m.isResponse);
  EXPECT_TRUE(m.questions.empty());
  EXPECT_TRUE(m.answers.empty());
  EXPECT_TRUE(m.cnames.empty());
}

// The committed fuzz seed corpus (tests/fuzz/corpus/<name>/<file>).
std::vector<uint8_t> seed(const char* dir, const char* file) {
  std::ifstream in(std::string(MAMORI_SOURCE_DIR) + "/tests/fuzz/corpus/" + dir + "/" + file,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << dir << "/" << file;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(DnsCorpus, SeedsParseAsExpected) {
  DnsMessage m;
  std::string_view why;
  for (const char* ok : {"query_a", "response_cname_a_aaaa", "nxdomain_https"}) {
    EXPECT_EQ(parseDnsMessage(seed("dns", ok), m, &why), DnsParse::kOk) << ok;
  }
  const auto framed = seed("dns", "tcp_framed_response");
  ASSERT_EQ(parseDnsMessage(dnsTcpFrame(framed), m), DnsParse::kOk);
  EXPECT_EQ(m.cnames.at(0), "cdn.example.com");
  EXPECT_EQ(parseDnsMessage(seed("dns", "pointer_loop"), m, &why), DnsParse::kMalformed);
  EXPECT_EQ(why, "dns_name_loop");
}

}  // namespace
}  // namespace mamori::sensor::dns
