#include "proto/tls/tls.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Reference vectors (all published by third parties, not produced by this code):
//  - FoxIO JA4 specification (technical_details/JA4.md): the worked example
//    t13d1516h2_8daaf6152771_e5627efa2ab1, its no-signature-algorithms variant ending in
//    6d807ffa2a79, and the ALPN examples 0xAB -> "ab", 0xAB 0xCD -> "ad", 0x30 0xAB -> "3b",
//    0x30 0x31 0xAB 0xCD -> "3d", 0x30 0xAB 0xCD 0x31 -> "01".
//  - salesforce/ja3 README: "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
//    -> ada70206e40642a3e4461f35503241d5 and "769,4-5-10-9-100-98-3-6-19-18-99,,," ->
//    de350869b8c85de67a350c8d186f11e6. FoxIO-LLC/ja4 issue #198 gives the JA4 of such an
//    extension-less TLS 1.0 hello: t10i110000_3609b414f052_000000000000.
//  - browserleaks.com's decoded ClientHello of Chrome 143 on Android (every field, GREASE
//    placement included) with its JA4 t13d1516h2_8daaf6152771_d8a2da3f94cd and JA3
//    98487aa16281980e7d1120d399efb6a4 (the JSON is kept in service0427/v2_cp_app, tls.md).
//  - FoxIO-LLC/ja4-nginx-module test/testdata/tls12_h11.txt: a TLS 1.2 hello with ALPN
//    http/1.1, JA4 t12d2708h1_a2460661a67a_eed5f1524d5c and its raw (sorted) lists.
// The hellos are rebuilt byte by byte from those field values.

namespace mamori::sensor::tls {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v & 0xff));
}
void put24(Bytes& b, size_t v) {
  b.push_back(static_cast<uint8_t>(v >> 16));
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void append(Bytes& b, const Bytes& more) {
  b.insert(b.end(), more.begin(), more.end());
}

Bytes fromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Extension bodies (RFC 8446 4.2, RFC 6066 3, RFC 7301 3.1, RFC 8422 5.1).
Bytes u16List(const std::vector<uint16_t>& values) {
  Bytes b;
  put16(b, static_cast<uint16_t>(values.size() * 2));
  for (const uint16_t v : values) put16(b, v);
  return b;
}
Bytes sniBody(std::string_view host) {
  Bytes b;
  put16(b, static_cast<uint16_t>(host.size() + 3));
  b.push_back(0);
  put16(b, static_cast<uint16_t>(host.size()));
  b.insert(b.end(), host.begin(), host.end());
  return b;
}
Bytes alpnBody(const std::vector<std::string>& names) {
  Bytes list;
  for (const auto& n : names) {
    list.push_back(static_cast<uint8_t>(n.size()));
    list.insert(list.end(), n.begin(), n.end());
  }
  Bytes b;
  put16(b, static_cast<uint16_t>(list.size()));
  append(b, list);
  return b;
}
Bytes versionsBody(const std::vector<uint16_t>& versions) {
  Bytes b{static_cast<uint8_t>(versions.size() * 2)};
  for (const uint16_t v : versions) put16(b, v);
  return b;
}
Bytes pointFormatsBody(const Bytes& formats) {
  Bytes b{static_cast<uint8_t>(formats.size())};
  append(b, formats);
  return b;
}

struct HelloBuilder {
  uint16_t version = 0x0303;
  Bytes random = Bytes(32, 0x42);
  Bytes sessionId;
  std::vector<uint16_t> ciphers;
  std::vector<std::pair<uint16_t, Bytes>> extensions;
  bool extensionsBlock = true;

  HelloBuilder& ext(uint16_t type, Bytes body = {}) {
    extensions.emplace_back(type, std::move(body));
    return *this;
  }

  Bytes body() const {
    Bytes b;
    put16(b, version);
    append(b, random);
    b.push_back(static_cast<uint8_t>(sessionId.size()));
    append(b, sessionId);
    put16(b, static_cast<uint16_t>(ciphers.size() * 2));
    for (const uint16_t c : ciphers) put16(b, c);
    b.push_back(1);  // one compression method: null
    b.push_back(0);
    if (extensionsBlock) {
      Bytes exts;
      for (const auto& [type, data] : extensions) {
        put16(exts, type);
        put16(exts, static_cast<uint16_t>(data.size()));
        append(exts, data);
      }
      put16(b, static_cast<uint16_t>(exts.size()));
      append(b, exts);
    }
    return b;
  }
  Bytes handshake() const {
    const Bytes payload = body();
    Bytes h{1};
    put24(h, payload.size());
    append(h, payload);
    return h;
  }
};

// TLS records of at most `fragment` handshake bytes each.
Bytes records(const Bytes& handshake, size_t fragment = 16384) {
  Bytes out;
  for (size_t at = 0; at < handshake.size(); at += fragment) {
    const size_t n = std::min(fragment, handshake.size() - at);
    out.push_back(22);
    put16(out, 0x0301);
    put16(out, static_cast<uint16_t>(n));
    out.insert(out.end(), handshake.begin() + static_cast<long>(at),
               handshake.begin() + static_cast<long>(at + n));
  }
  return out;
}

// Records with the given fragment sizes, then the rest in one record.
Bytes recordsSplit(const Bytes& handshake, const std::vector<size_t>& sizes) {
  Bytes out;
  size_t at = 0;
  for (const size_t n : sizes) {
    const Bytes part(handshake.begin() + static_cast<long>(at),
                     handshake.begin() + static_cast<long>(at + n));
    const Bytes rec = records(part);
    append(out, rec);
    at += n;
  }
  append(out, records(Bytes(handshake.begin() + static_cast<long>(at), handshake.end())));
  return out;
}

const std::vector<uint16_t> kSpecCiphers = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                            0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                            0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
const std::vector<uint16_t> kSpecSigAlgs = {0x0403, 0x0804, 0x0401, 0x0503,
                                            0x0805, 0x0501, 0x0806, 0x0601};

// The FoxIO JA4 specification's example: its cipher list, its extensions in the listed order
// (001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015), its
// signature algorithms, ALPN h2, and supported_versions offering TLS 1.3.
HelloBuilder specHello(const std::vector<uint16_t>& sigAlgs = kSpecSigAlgs) {
  HelloBuilder h;
  h.ciphers = kSpecCiphers;
  h.ext(0x001b, {0x02, 0x00, 0x02})
      .ext(0x0000, sniBody("example.com"))
      .ext(0x0033, Bytes{0x00, 0x00})
      .ext(0x0010, alpnBody({"h2", "http/1.1"}))
      .ext(0x4469, Bytes{0x00, 0x03, 0x02, 'h', '2'})
      .ext(0x0017)
      .ext(0x002d, Bytes{0x01, 0x01})
      .ext(0x000d, u16List(sigAlgs))
      .ext(0x0005, Bytes{0x01, 0x00, 0x00, 0x00, 0x00})
      .ext(0x0023)
      .ext(0x0012)
      .ext(0x002b, versionsBody({0x0304, 0x0303}))
      .ext(0xff01, Bytes{0x00})
      .ext(0x000b, pointFormatsBody({0}))
      .ext(0x000a, u16List({0x001d, 0x0017, 0x0018}))
      .ext(0x0015, Bytes(20, 0));
  return h;
}

// Chrome 143 (Android) as decoded by browserleaks.com, GREASE values where Chrome put them.
HelloBuilder chrome143Hello() {
  HelloBuilder h;
  h.random = fromHex("65428825bd3030d23fc6d8dcb95b6d68aba7c3310c7db2cef588f07b6b26cb99");
  h.sessionId = fromHex("26c4ed1789251c138e9fac1ee6cf415c5c3da06f38f90fdb404fda0afb799e7d");
  h.ciphers = {0xaaaa, 4865,  4866,  4867,  49195, 49199, 49196, 49200,
               52393,  52392, 49171, 49172, 156,   157,   47,    53};
  Bytes keyShare;
  put16(keyShare, 0);  // length, patched below
  for (const auto& [group, size] :
       {std::pair<uint16_t, size_t>{14906, 1}, {4588, 1216}, {29, 32}}) {
    put16(keyShare, group);
    put16(keyShare, static_cast<uint16_t>(size));
    keyShare.insert(keyShare.end(), size, 0x5a);
  }
  keyShare[0] = static_cast<uint8_t>((keyShare.size() - 2) >> 8);
  keyShare[1] = static_cast<uint8_t>((keyShare.size() - 2) & 0xff);
  Bytes ech{0x00, 0x00, 0x01, 0x00, 0x01, 254, 0x00, 32};  // outer, HKDF-SHA256, AES-128-GCM
  ech.insert(ech.end(), 32, 0x11);
  put16(ech, 144);
  ech.insert(ech.end(), 144, 0x22);
  h.ext(19018)
      .ext(45, Bytes{0x01, 0x01})
      .ext(51, keyShare)
      .ext(16, alpnBody({"h2", "http/1.1"}))
      .ext(65037, ech)
      .ext(23)
      .ext(17613, Bytes{0x00, 0x03, 0x02, 'h', '2'})
      .ext(0, sniBody("tls-outer.browserleaks.com"))
      .ext(11, pointFormatsBody({0}))
      .ext(10, u16List({14906, 4588, 29, 23, 24}))
      .ext(43, versionsBody({27242, 772, 771}))
      .ext(65281, Bytes{0x00})
      .ext(35)
      .ext(18)
      .ext(5, Bytes{0x01, 0x00, 0x00, 0x00, 0x00})
      .ext(13, u16List(kSpecSigAlgs))
      .ext(27, Bytes{0x02, 0x00, 0x02})
      .ext(27242, Bytes{0x00});
  return h;
}

// The TLS 1.2 hello of ja4-nginx-module's tls12_h11 vector: 27 ciphers, SNI, ALPN http/1.1,
// no supported_versions, extensions 000a,000b,000d,0016,0017,ff01 and its signature algorithms.
HelloBuilder tls12H11Hello() {
  HelloBuilder h;
  h.ciphers = {0x002f, 0x0033, 0x0035, 0x0039, 0x003c, 0x003d, 0x0067, 0x006b, 0x009c,
               0x009d, 0x009e, 0x009f, 0xc009, 0xc00a, 0xc013, 0xc014, 0xc023, 0xc024,
               0xc027, 0xc028, 0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9, 0xccaa};
  h.ext(0x0000, sniBody("localhost"))
      .ext(0x000b, pointFormatsBody({0, 1, 2}))
      .ext(0x000a, u16List({0x001d, 0x0017, 0x001e, 0x0019, 0x0018}))
      .ext(0x0010, alpnBody({"http/1.1"}))
      .ext(0x0016)
      .ext(0x0017)
      .ext(0x000d, u16List({0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
                            0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
                            0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602}))
      .ext(0xff01, Bytes{0x00});
  return h;
}

ClientHello parsed(const Bytes& stream) {
  ClientHello hello;
  EXPECT_EQ(parseClientHello(stream, hello), TlsParse::kOk);
  return hello;
}

TEST(TlsJa4, FoxioSpecExample) {
  const ClientHello hello = parsed(records(specHello().handshake()));
  EXPECT_EQ(ja4(hello, 't'), "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(ja4(hello, 'q'), "q13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(TlsJa4, FoxioSpecExampleWithoutSignatureAlgorithms) {
  // The extension list keeps 000d (an empty list), so only the "_<sigalgs>" tail goes away.
  const ClientHello hello = parsed(records(specHello({}).handshake()));
  EXPECT_TRUE(hello.signatureAlgorithms.empty());
  EXPECT_EQ(ja4(hello, 't'), "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

TEST(TlsJa4, GreaseIsIgnoredEverywhere) {
  HelloBuilder h =
      specHello({0x0403, 0x0804, 0x1a1a, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601});
  h.ciphers.insert(h.ciphers.begin(), 0x5a5a);
  h.ciphers.push_back(0xfafa);
  h.extensions.insert(h.extensions.begin(), std::pair<uint16_t, Bytes>{0x2a2a, {}});
  h.ext(0xdada, {0x00});
  for (auto& [type, body] : h.extensions) {
    if (type == 0x002b) body = versionsBody({0x7a7a, 0x0304, 0x0303});
    if (type == 0x000a) body = u16List({0x8a8a, 0x001d, 0x0017, 0x0018});
  }
  const ClientHello hello = parsed(records(h.handshake()));
  EXPECT_EQ(ja4(hello, 't'), "t13d1516h2_8daaf6152771_e5627efa2ab1");
  // GREASE stays visible in the parsed lists; only the fingerprints drop it.
  EXPECT_EQ(hello.ciphers.front(), 0x5a5a);
  EXPECT_EQ(hello.extensions.front(), 0x2a2a);
}

TEST(TlsJa4, Chrome143FromBrowserleaks) {
  const ClientHello hello = parsed(records(chrome143Hello().handshake()));
  EXPECT_EQ(hello.sni, "tls-outer.browserleaks.com");
  ASSERT_EQ(hello.alpn.size(), 2u);
  EXPECT_EQ(hello.alpn[0], "h2");
  EXPECT_EQ(hello.alpn[1], "http/1.1");
  EXPECT_EQ(ja4(hello, 't'), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
  EXPECT_EQ(ja3String(hello),
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0");
  EXPECT_EQ(ja3(hello), "98487aa16281980e7d1120d399efb6a4");
}

TEST(TlsJa4, Tls12WithHttp11Alpn) {
  const ClientHello hello = parsed(records(tls12H11Hello().handshake()));
  EXPECT_EQ(ja4(hello, 't'), "t12d2708h1_a2460661a67a_eed5f1524d5c");
}

TEST(TlsJa3, ReadmeExamples) {
  HelloBuilder h;
  h.version = 769;
  h.ciphers = {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4};
  h.ext(0, sniBody("example.com")).ext(10, u16List({23, 24, 25})).ext(11, pointFormatsBody({0}));
  const ClientHello first = parsed(records(h.handshake()));
  EXPECT_EQ(ja3String(first),
            "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  EXPECT_EQ(ja3(first), "ada70206e40642a3e4461f35503241d5");

  HelloBuilder bare;
  bare.version = 769;
  bare.ciphers = {4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99};
  bare.extensionsBlock = false;
  const ClientHello second = parsed(records(bare.handshake()));
  EXPECT_EQ(ja3String(second), "769,4-5-10-9-100-98-3-6-19-18-99,,,");
  EXPECT_EQ(ja3(second), "de350869b8c85de67a350c8d186f11e6");
  // No extensions at all: JA4_c is the all-zero marker (FoxIO-LLC/ja4 issue #198).
  EXPECT_EQ(ja4(second, 't'), "t10i110000_3609b414f052_000000000000");
}

TEST(TlsJa4, AlpnCodesFromTheSpec) {
  const auto code = [](std::vector<std::string> alpn) {
    HelloBuilder h;
    h.ciphers = {0x1301};
    h.ext(0x0010, alpnBody(alpn));
    ClientHello hello;
    EXPECT_EQ(parseClientHello(records(h.handshake()), hello), TlsParse::kOk);
    return ja4(hello, 't').substr(8, 2);
  };
  EXPECT_EQ(code({"h2"}), "h2");
  EXPECT_EQ(code({"http/1.1", "h2"}), "h1");
  EXPECT_EQ(code({"\xab"}), "ab");
  EXPECT_EQ(code({"\xab\xcd"}), "ad");
  EXPECT_EQ(code({"0\xab"}), "3b");
  EXPECT_EQ(code({"01\xab\xcd"}), "3d");
  EXPECT_EQ(code({"0\xab\xcd"
                  "1"}),
            "01");
  EXPECT_EQ(code({"z"}), "zz");       // a single character is both first and last
  EXPECT_EQ(code({"", "h2"}), "00");  // empty first value
  EXPECT_EQ(code({}), "00");          // extension without values
  HelloBuilder none;
  none.ciphers = {0x1301};
  EXPECT_EQ(ja4(parsed(records(none.handshake())), 't').substr(8, 2), "00");
}

TEST(TlsJa4, VersionSelection) {
  const auto version = [](uint16_t legacy, std::vector<uint16_t> supported, char transport) {
    HelloBuilder h;
    h.version = legacy;
    h.ciphers = {0x002f};
    if (!supported.empty()) h.ext(0x002b, versionsBody(supported));
    ClientHello hello;
    EXPECT_EQ(parseClientHelloBody(h.body(), hello), TlsParse::kOk);
    return ja4(hello, transport).substr(0, 3);
  };
  EXPECT_EQ(version(0x0303, {}, 't'), "t12");
  EXPECT_EQ(version(0x0302, {}, 't'), "t11");
  EXPECT_EQ(version(0x0301, {}, 't'), "t10");
  EXPECT_EQ(version(0x0300, {}, 't'), "ts3");
  EXPECT_EQ(version(0x0002, {}, 't'), "ts2");
  EXPECT_EQ(version(0x1234, {}, 't'), "t00");
  EXPECT_EQ(version(0x0303, {0x0303, 0x0304}, 't'), "t13");  // highest, not first
  EXPECT_EQ(version(0x0303, {0x0a0a}, 't'), "t12");          // only GREASE: legacy version
  EXPECT_EQ(version(0xfefd, {}, 'd'), "dd2");
  EXPECT_EQ(version(0xfeff, {}, 'd'), "dd1");
  EXPECT_EQ(version(0xfefd, {0xfefc}, 'd'), "dd3");
}

TEST(TlsJa4, CountsAreCappedAt99) {
  HelloBuilder h;
  for (uint16_t c = 1; c <= 120; ++c) h.ciphers.push_back(c);
  for (uint16_t e = 0x100; e < 0x100 + 105; ++e) h.ext(e);
  const ClientHello hello = parsed(records(h.handshake()));
  EXPECT_EQ(ja4(hello, 't').substr(0, 10), "t12i999900");
}

TEST(TlsParse, MultiRecordHello) {
  const HelloBuilder h = chrome143Hello();
  const Bytes hs = h.handshake();
  const std::string expected = "t13d1516h2_8daaf6152771_d8a2da3f94cd";
  for (const size_t fragment : {1u, 3u, 100u, 517u, 1000u}) {
    const ClientHello hello = parsed(records(hs, fragment));
    EXPECT_EQ(ja4(hello, 't'), expected) << "fragment " << fragment;
    EXPECT_EQ(ja3(hello), "98487aa16281980e7d1120d399efb6a4");
  }
  // The handshake header itself split across records.
  for (const auto& sizes : std::vector<std::vector<size_t>>{{1}, {2}, {3}, {1, 1, 1}, {4}, {5}}) {
    const ClientHello hello = parsed(recordsSplit(hs, sizes));
    EXPECT_EQ(ja4(hello, 't'), expected);
    EXPECT_EQ(hello.sni, "tls-outer.browserleaks.com");
  }
}

TEST(TlsParse, EveryPrefixNeedsMore) {
  for (const Bytes& stream :
       {records(specHello().handshake()), records(chrome143Hello().handshake(), 300),
        recordsSplit(tls12H11Hello().handshake(), {2, 1})}) {
    ClientHello hello;
    for (size_t n = 0; n < stream.size(); ++n) {
      ASSERT_EQ(parseClientHello(std::span<const uint8_t>(stream).first(n), hello),
                TlsParse::kNeedMore)
          << "prefix " << n << " of " << stream.size();
    }
    EXPECT_EQ(parseClientHello(stream, hello), TlsParse::kOk);
  }
}

TEST(TlsParse, BytesAfterTheHelloAreIgnored) {
  Bytes stream = records(specHello().handshake());
  const Bytes more = {23, 3, 3, 0, 3, 1, 2, 3};  // early application data
  append(stream, more);
  EXPECT_EQ(ja4(parsed(stream), 't'), "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(TlsParse, NotTls) {
  ClientHello hello;
  for (const std::string_view text : {"GET / HTTP/1.1\r\n", "SSH-2.0-OpenSSH_9.6\r\n", "\x16\x02",
                                      "\x16\x03\x05", "\x17\x03\x03\x00\x10"}) {
    const Bytes b(text.begin(), text.end());
    EXPECT_EQ(parseClientHello(b, hello), TlsParse::kNotTls) << text;
  }
  // An SSL 2.0-format hello (RFC 6101 E.2) is not parsed.
  const Bytes sslv2 = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15};
  EXPECT_EQ(parseClientHello(sslv2, hello), TlsParse::kNotTls);
  EXPECT_EQ(parseClientHello({}, hello), TlsParse::kNeedMore);
}

TEST(TlsParse, Malformed) {
  ClientHello hello;
  const Bytes good = records(specHello().handshake());
  const auto expectMalformed = [&](Bytes b, const char* what) {
    EXPECT_EQ(parseClientHello(b, hello), TlsParse::kMalformed) << what;
  };
  {
    Bytes b = good;
    b[5] = 2;  // ServerHello
    expectMalformed(b, "handshake type");
  }
  expectMalformed({22, 3, 1, 0, 0}, "empty record");
  expectMalformed({22, 3, 1, 0x40, 0x01}, "record over 2^14");
  {
    // A ClientHello longer than the cap.
    Bytes b = {22, 3, 1, 0, 4, 1, 0x02, 0x00, 0x00};
    expectMalformed(b, "oversize hello");
  }
  {
    // An alert record where the rest of the hello should be.
    Bytes b = records(Bytes(good.begin() + 5, good.begin() + 50));
    append(b, {21, 3, 1, 0, 2, 2, 40});
    expectMalformed(b, "alert between fragments");
  }
  {
    // One byte more than the extensions block announces, inside the handshake length.
    Bytes body = specHello().body();
    body.push_back(0);
    Bytes hs{1};
    put24(hs, body.size());
    append(hs, body);
    expectMalformed(records(hs), "trailing byte after extensions");
  }
  {
    HelloBuilder h = specHello();
    h.sessionId = Bytes(33, 1);
    expectMalformed(records(h.handshake()), "session id over 32");
  }
  {
    HelloBuilder h = specHello();
    h.ciphers.clear();
    expectMalformed(records(h.handshake()), "no ciphers");
  }
  {
    // An extension whose length runs past the block.
    HelloBuilder h;
    h.ciphers = {0x1301};
    h.ext(0x0017);
    Bytes hs = h.handshake();
    hs[hs.size() - 1] = 9;
    expectMalformed(records(hs), "extension overrun");
  }
}

TEST(TlsParse, MalformedInnerExtensionLeavesItsValuesEmpty) {
  HelloBuilder h;
  h.ciphers = {0x1301};
  h.ext(0x000d, Bytes{0x00, 0x03, 0x04, 0x03, 0x08})   // odd list length
      .ext(0x0000, Bytes{0x00})                        // truncated server_name list
      .ext(0x0010, Bytes{0x00, 0x04, 0x05, 'h', '2'})  // name overruns the list
      .ext(0x002b, Bytes{});
  ClientHello hello;
  ASSERT_EQ(parseClientHello(records(h.handshake()), hello), TlsParse::kOk);
  EXPECT_EQ(hello.extensions, (std::vector<uint16_t>{0x000d, 0x0000, 0x0010, 0x002b}));
  EXPECT_TRUE(hello.signatureAlgorithms.empty());
  EXPECT_TRUE(hello.sni.empty());
  EXPECT_TRUE(hello.alpn.empty());
  EXPECT_TRUE(hello.supportedVersions.empty());
  // Still fingerprinted: SNI sent (d), ALPN sent but unreadable (00).
  EXPECT_EQ(ja4(hello, 't').substr(0, 10), "t12d010400");
}

TEST(TlsParse, SniIsPrintable) {
  HelloBuilder h;
  h.ciphers = {0x1301};
  h.ext(0x0000, sniBody(std::string_view("ex\x01mple.com\xff", 12)));
  const ClientHello hello = parsed(records(h.handshake()));
  EXPECT_EQ(hello.sni, "ex\\001mple.com\\255");

  HelloBuilder longName;
  longName.ciphers = {0x1301};
  longName.ext(0x0000, sniBody(std::string(300, 'a')));
  const ClientHello tooLong = parsed(records(longName.handshake()));
  EXPECT_TRUE(tooLong.sni.empty());
  EXPECT_EQ(ja4(tooLong, 't')[3], 'd');
}

TEST(TlsParse, ReusedHelloIsCleared) {
  ClientHello hello;
  ASSERT_EQ(parseClientHello(records(chrome143Hello().handshake()), hello), TlsParse::kOk);
  HelloBuilder h;
  h.ciphers = {0x002f};
  h.extensionsBlock = false;
  ASSERT_EQ(parseClientHello(records(h.handshake()), hello), TlsParse::kOk);
  EXPECT_EQ(hello.ciphers, std::vector<uint16_t>{0x002f});
  EXPECT_TRUE(hello.extensions.empty());
  EXPECT_TRUE(hello.groups.empty());
  EXPECT_TRUE(hello.pointFormats.empty());
  EXPECT_TRUE(hello.alpn.empty());
  EXPECT_TRUE(hello.sni.empty());
}

// The committed fuzz seed corpus (tests/fuzz/corpus/<name>/<file>).
std::vector<uint8_t> seed(const char* dir, const char* file) {
  std::ifstream in(std::string(MAMORI_SOURCE_DIR) + "/tests/fuzz/corpus/" + dir + "/" + file,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << dir << "/" << file;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(TlsCorpus, SeedsParseAsExpected) {
  // The spec-example seeds carry GREASE, a session id and (in one) 150-byte records.
  EXPECT_EQ(ja4(parsed(seed("tls", "tls13_spec_example")), 't'),
            "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(ja4(parsed(seed("tls", "tls13_spec_example_split_records")), 't'),
            "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(ja4(parsed(seed("tls", "tls10_no_extensions")), 't'),
            "t10i110000_3609b414f052_000000000000");
  EXPECT_EQ(parsed(seed("tls", "tls12_alpn_http11")).sni, "localhost");
}

}  // namespace
}  // namespace mamori::sensor::tls
