#include "mamori/dns/policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/scratch_dir.h"

namespace mamori::dns {
namespace {

Name name(std::string_view text) {
  return *Name::fromText(text);
}

Policy buildRpz(std::string_view text) {
  PolicyBuilder b;
  const auto r = b.addRpzText("rpz", text, "test.rpz");
  EXPECT_TRUE(r.ok()) << r.error().message;
  return b.build();
}

std::string rpzError(std::string_view text) {
  PolicyBuilder b;
  const auto r = b.addRpzText("rpz", text, "test.rpz");
  return r.ok() ? "ok" : r.error().message;
}

PolicyAction actionFor(const Policy& p, std::string_view qname) {
  return p.matchQname(name(qname)).action;
}

constexpr std::string_view kZone = R"($TTL 300
@ IN SOA localhost. hostmaster.localhost. ( 2024010101 3600 600 86400 60 )
  IN NS localhost.
$ORIGIN rpz.local.
nx.example.com        CNAME .
nodata.example.com    CNAME *.
pass.example.com      CNAME rpz-passthru.
drop.example.com      CNAME rpz-drop.
tcp.example.com       CNAME rpz-tcp-only.
garden.example.com    CNAME walled.garden.example.
*.wild.example.com    CNAME *.garden.example.
sink.example.com      A 192.0.2.1
                      AAAA 2001:db8::1
                      TXT "blocked by policy" "see \"intranet\""
legacy.example.com    CNAME legacy.example.com.
)";

TEST(Policy, EveryRpzAction) {
  // The zone's origin comes first, as in real RPZ files: "@" (the SOA owner) is the apex and
  // triggers are the owners without it.
  const std::string zone = "$ORIGIN rpz.local.\n" + std::string(kZone);
  const Policy p = buildRpz(zone);
  EXPECT_EQ(actionFor(p, "nx.example.com."), PolicyAction::kNxdomain);
  EXPECT_EQ(actionFor(p, "nodata.example.com."), PolicyAction::kNodata);
  EXPECT_EQ(actionFor(p, "pass.example.com."), PolicyAction::kPassthru);
  EXPECT_EQ(actionFor(p, "drop.example.com."), PolicyAction::kDrop);
  EXPECT_EQ(actionFor(p, "tcp.example.com."), PolicyAction::kTcpOnly);
  EXPECT_EQ(actionFor(p, "legacy.example.com."), PolicyAction::kPassthru);
  EXPECT_EQ(actionFor(p, "other.example.com."), PolicyAction::kNone);
  EXPECT_EQ(actionFor(p, "example.com."), PolicyAction::kNone);

  const PolicyMatch garden = p.matchQname(name("garden.example.com."));
  ASSERT_EQ(garden.action, PolicyAction::kLocalData);
  ASSERT_NE(garden.localData, nullptr);
  EXPECT_TRUE(garden.localData->hasCname);
  EXPECT_EQ(garden.cnameTarget(name("garden.example.com."))->toText(), "walled.garden.example.");

  // Wildcard CNAME target: the query name with the target's suffix appended.
  const PolicyMatch wild = p.matchQname(name("X.wild.example.com."));
  ASSERT_EQ(wild.action, PolicyAction::kLocalData);
  EXPECT_EQ(wild.trigger, TriggerKind::kWildcard);
  EXPECT_EQ(wild.triggerText(name("X.wild.example.com.")), "*.wild.example.com.");
  EXPECT_EQ(wild.cnameTarget(name("X.wild.example.com."))->toText(),
            "X.wild.example.com.garden.example.");
  EXPECT_EQ(actionFor(p, "wild.example.com."), PolicyAction::kNone);  // the parent itself is not

  // Local data: A, AAAA and TXT at one owner form one answer set.
  const PolicyMatch sink = p.matchQname(name("SINK.Example.COM."));
  ASSERT_EQ(sink.action, PolicyAction::kLocalData);
  ASSERT_NE(sink.localData, nullptr);
  EXPECT_FALSE(sink.localData->hasCname);
  ASSERT_EQ(sink.localData->records.size(), 3u);
  EXPECT_EQ(sink.localData->records[0].type, 1);
  EXPECT_EQ(sink.localData->records[0].rdata, (std::vector<uint8_t>{192, 0, 2, 1}));
  EXPECT_EQ(sink.localData->records[0].ttl, 300u);
  EXPECT_EQ(sink.localData->records[1].type, 28);
  EXPECT_EQ(sink.localData->records[1].rdata.size(), 16u);
  EXPECT_EQ(sink.localData->records[1].rdata[0], 0x20);
  EXPECT_EQ(sink.localData->records[1].rdata[15], 0x01);
  const std::string txt = std::string("\x11") + "blocked by policy" + "\x0e" + "see \"intranet\"";
  EXPECT_EQ(
      std::string(sink.localData->records[2].rdata.begin(), sink.localData->records[2].rdata.end()),
      txt);
  EXPECT_EQ(sink.triggerText(name("SINK.Example.COM.")), "sink.example.com.");

  ASSERT_EQ(p.sources().size(), 1u);
  const PolicySourceInfo& info = p.sources()[0];
  EXPECT_EQ(info.name, "rpz");
  EXPECT_TRUE(info.hasSoa);
  EXPECT_EQ(info.soaOwner.toText(), "rpz.local.");
  EXPECT_EQ(info.soa.minimum, 60u);
  EXPECT_EQ(info.soa.serial, 2024010101u);
  EXPECT_EQ(info.soa.mname.toText(), "localhost.");
  EXPECT_EQ(info.qnameTriggers, 9u);
}

TEST(Policy, RelativeAndAbsoluteOwners) {
  const Policy p = buildRpz(R"($ORIGIN rpz.example.
$TTL 1h
@ SOA ns hostmaster 1 1h 10m 1w 5m
bad.test CNAME .
worse.test.rpz.example. CNAME .
$ORIGIN sub.rpz.example.
deeper CNAME .
)");
  EXPECT_EQ(actionFor(p, "bad.test."), PolicyAction::kNxdomain);
  EXPECT_EQ(actionFor(p, "worse.test."), PolicyAction::kNxdomain);
  EXPECT_EQ(actionFor(p, "deeper.sub."), PolicyAction::kNxdomain);
  EXPECT_EQ(p.matchQname(name("bad.test.")).ttl, 3600u);
  EXPECT_EQ(p.sources()[0].soa.minimum, 300u);
  EXPECT_EQ(p.sources()[0].soa.mname.toText(), "ns.rpz.example.");
}

TEST(Policy, ExactBeatsWildcardAndLongestWildcardWins) {
  const Policy p = buildRpz(R"($TTL 60
$ORIGIN rpz.
*.example.com CNAME .
*.b.example.com CNAME *.
a.b.example.com CNAME rpz-drop.
*.a.b.example.com CNAME rpz-tcp-only.
)");
  EXPECT_EQ(actionFor(p, "a.b.example.com."), PolicyAction::kDrop);         // exact
  EXPECT_EQ(actionFor(p, "x.a.b.example.com."), PolicyAction::kTcpOnly);    // *.a.b
  EXPECT_EQ(actionFor(p, "y.x.a.b.example.com."), PolicyAction::kTcpOnly);  // *.a.b, deeper
  EXPECT_EQ(actionFor(p, "c.b.example.com."), PolicyAction::kNodata);       // *.b
  EXPECT_EQ(actionFor(p, "b.example.com."), PolicyAction::kNxdomain);       // *.example.com
  EXPECT_EQ(actionFor(p, "example.com."), PolicyAction::kNone);
  const PolicyMatch m = p.matchQname(name("y.x.a.b.example.com."));
  EXPECT_EQ(m.wildcardLabels, 4);
  EXPECT_EQ(m.triggerText(name("y.x.a.b.example.com.")), "*.a.b.example.com.");
}

TEST(Policy, RootWildcardMatchesEverything) {
  const Policy p = buildRpz("$TTL 60\n$ORIGIN rpz.\n* CNAME .\nok.test CNAME rpz-passthru.\n");
  EXPECT_EQ(actionFor(p, "anything.at.all."), PolicyAction::kNxdomain);
  EXPECT_EQ(actionFor(p, "ok.test."), PolicyAction::kPassthru);
  EXPECT_EQ(p.matchQname(name("x.")).triggerText(name("x.")), "*.");
}

TEST(Policy, SourcesInOrderAndAllowlistsFirst) {
  PolicyBuilder b;
  ASSERT_TRUE(
      b.addRpzText("first", "$TTL 60\n$ORIGIN r1.\n*.example.com CNAME rpz-drop.\n", "r1").ok());
  ASSERT_TRUE(b.addRpzText("second",
                           "$TTL 60\n$ORIGIN r2.\nwww.example.com CNAME .\n"
                           "only.second.test CNAME .\n",
                           "r2")
                  .ok());
  ASSERT_TRUE(b.addDomainListText("feed", "good.example.com\nonly.feed.test\n", "feed.txt",
                                  PolicyAction::kNodata)
                  .ok());
  ASSERT_TRUE(b.addDomainListText("allow", "# ours\ngood.example.com\n*.trusted.test\n",
                                  "allow.txt", PolicyAction::kAllow)
                  .ok());
  const Policy p = b.build();
  // The first source's wildcard beats the second source's exact trigger: source order first.
  const PolicyMatch www = p.matchQname(name("www.example.com."));
  EXPECT_EQ(www.action, PolicyAction::kDrop);
  EXPECT_EQ(www.source, 0);
  EXPECT_EQ(p.sources()[www.source].name, "first");
  EXPECT_EQ(actionFor(p, "only.second.test."), PolicyAction::kNxdomain);
  EXPECT_EQ(p.matchQname(name("only.feed.test.")).source, 2);
  EXPECT_EQ(actionFor(p, "only.feed.test."), PolicyAction::kNodata);
  // The allowlist, added last, wins over everything.
  const PolicyMatch good = p.matchQname(name("good.example.com."));
  EXPECT_EQ(good.action, PolicyAction::kAllow);
  EXPECT_EQ(p.sources()[good.source].name, "allow");
  EXPECT_TRUE(p.sources()[good.source].allowlist);
  EXPECT_EQ(actionFor(p, "a.trusted.test."), PolicyAction::kAllow);
  EXPECT_EQ(actionFor(p, "trusted.test."), PolicyAction::kNone);
}

TEST(Policy, DomainLists) {
  PolicyBuilder b;
  const auto r = b.addDomainListText("list", R"(# a comment
Evil.Example.   # trailing comment
*.cdn.example
  spaced.example	
phish.test
phish.test
)",
                                     "list.txt", PolicyAction::kNxdomain, false, 120);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(
      b.addDomainListText("subs", "whole.test\n", "subs.txt", PolicyAction::kDrop, true).ok());
  const Policy p = b.build();
  EXPECT_EQ(actionFor(p, "evil.example."), PolicyAction::kNxdomain);
  EXPECT_EQ(actionFor(p, "www.evil.example."), PolicyAction::kNone);  // exact only
  EXPECT_EQ(actionFor(p, "a.cdn.example."), PolicyAction::kNxdomain);
  EXPECT_EQ(actionFor(p, "cdn.example."), PolicyAction::kNone);
  EXPECT_EQ(actionFor(p, "spaced.example."), PolicyAction::kNxdomain);
  EXPECT_EQ(p.matchQname(name("phish.test.")).ttl, 120u);
  // includeSubdomains: the name and everything below it.
  EXPECT_EQ(actionFor(p, "whole.test."), PolicyAction::kDrop);
  EXPECT_EQ(actionFor(p, "deep.down.whole.test."), PolicyAction::kDrop);
  // A duplicate line costs no second entry.
  EXPECT_EQ(p.qnameTriggerCount(), 5u);
}

TEST(Policy, DomainListErrorsNameTheLine) {
  const auto error = [](std::string_view text, PolicyAction action = PolicyAction::kNxdomain) {
    PolicyBuilder b;
    const auto r = b.addDomainListText("l", text, "bad.txt", action);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(error("ok.test\n\n0.0.0.0 ads.test\n"),
            "bad.txt:3: more than one name on the line ('0.0.0.0 ads.test')");
  EXPECT_EQ(error("a..b\n"), "bad.txt:1: empty label in name 'a..b'");
  EXPECT_EQ(error("ok\n" + std::string(64, 'x') + ".test\n").substr(0, 10), "bad.txt:2:");
  EXPECT_NE(error("x.test\n", PolicyAction::kLocalData).find("action"), std::string::npos);
  EXPECT_EQ(error(".leading.dot\n"), "bad.txt:1: name starts with a dot: '.leading.dot'");
}

TEST(Policy, ResponseIpTriggers) {
  const Policy p = buildRpz(R"($TTL 60
$ORIGIN rpz.
24.0.2.0.192.rpz-ip        CNAME .
32.7.2.0.192.rpz-ip        CNAME rpz-passthru.
16.0.0.168.192.rpz-ip      A 10.0.0.1
48.zz.db8.2001.rpz-ip      CNAME *.
128.1.zz.db8.2001.rpz-ip   CNAME rpz-drop.
64.zz.1.0.db8.2001.rpz-ip  CNAME rpz-drop.
)");
  ASSERT_TRUE(p.hasResponseIpTriggers());
  EXPECT_EQ(p.ipTriggerCount(), 6u);
  const auto at = [&](std::string_view ip) { return p.matchResponseIp(*IpAddress::parse(ip)); };
  EXPECT_EQ(at("192.0.2.9").action, PolicyAction::kNxdomain);
  EXPECT_EQ(at("192.0.2.9").prefix.toString(), "192.0.2.0/24");
  EXPECT_EQ(at("192.0.2.9").trigger, TriggerKind::kResponseIp);
  EXPECT_EQ(at("192.0.2.9").triggerText(name("x.")), "192.0.2.0/24");
  EXPECT_EQ(at("192.0.2.7").action, PolicyAction::kPassthru);  // the longer prefix wins
  EXPECT_EQ(at("192.0.3.1").action, PolicyAction::kNone);
  const PolicyMatch local = at("192.168.44.1");
  EXPECT_EQ(local.action, PolicyAction::kLocalData);
  ASSERT_NE(local.localData, nullptr);
  EXPECT_EQ(local.localData->records[0].rdata, (std::vector<uint8_t>{10, 0, 0, 1}));
  EXPECT_EQ(at("2001:db8::5").action, PolicyAction::kNodata);
  EXPECT_EQ(at("2001:db8::1").action, PolicyAction::kDrop);
  EXPECT_EQ(at("2001:db8::1").prefix.toString(), "2001:db8::1/128");
  EXPECT_EQ(at("2001:db8:0:1::99").prefix.toString(), "2001:db8:0:1::/64");
  EXPECT_EQ(at("2001:db9::1").action, PolicyAction::kNone);
  // Sources after a PASSTHRU'd query name's source are not consulted.
  EXPECT_EQ(p.matchResponseIp(*IpAddress::parse("192.0.2.9"), 0).action, PolicyAction::kNone);
}

TEST(Policy, ResponseIpSourceOrder) {
  PolicyBuilder b;
  ASSERT_TRUE(
      b.addRpzText("a", "$TTL 60\n$ORIGIN a.\n8.0.0.0.10.rpz-ip CNAME rpz-drop.\n", "a").ok());
  ASSERT_TRUE(b.addRpzText("b", "$TTL 60\n$ORIGIN b.\n32.1.0.0.10.rpz-ip CNAME .\n", "b").ok());
  const Policy p = b.build();
  // The first source wins even though the second has the longer prefix.
  const PolicyMatch m = p.matchResponseIp(*IpAddress::parse("10.0.0.1"));
  EXPECT_EQ(m.action, PolicyAction::kDrop);
  EXPECT_EQ(m.source, 0);
}

TEST(Policy, SkipsTriggersItDoesNotImplement) {
  const Policy p = buildRpz(R"($TTL 60
$ORIGIN rpz.
ns.evil.rpz-nsdname CNAME .
32.1.2.0.192.rpz-nsip CNAME .
32.1.2.0.192.rpz-client-ip CNAME .
real.test CNAME .
)");
  EXPECT_EQ(p.sources()[0].skippedTriggers, 3u);
  EXPECT_EQ(p.qnameTriggerCount(), 1u);
  EXPECT_EQ(p.ipTriggerCount(), 0u);
}

TEST(Policy, RpzErrorsNameFileAndLine) {
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test CNAME .\nx.test A 192.0.2.1\n"),
            "test.rpz:4: x.test.rpz. has a CNAME and other records");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test A 192.0.2.1\nx.test CNAME .\n"),
            "test.rpz:4: x.test.rpz. has a CNAME and other records (or two CNAMEs)");
  EXPECT_EQ(
      rpzError("$TTL 60\n$ORIGIN rpz.\nx.test MX 10 mail.test.\n"),
      "test.rpz:3: record type MX is not supported in a policy zone (CNAME, A, AAAA and TXT are)");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test A 2001:db8::1\n"),
            "test.rpz:3: bad A address '2001:db8::1'");
  EXPECT_EQ(rpzError("$ORIGIN rpz.\nx.test CNAME .\n"),
            "test.rpz:2: no TTL for this record (add a $TTL line)");
  EXPECT_EQ(rpzError("$TTL 60\n$INCLUDE other.zone\n"),
            "test.rpz:2: directive $INCLUDE is not supported (a policy is the files named in its "
            "configuration)");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test CH CNAME .\n"),
            "test.rpz:3: class CH is not supported (IN only)");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test BOGUS .\n"),
            "test.rpz:3: unknown record type 'BOGUS'");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test CNAME .\nelsewhere.org. CNAME .\n"),
            "test.rpz:4: owner elsewhere.org. is outside the policy zone rpz.");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\n33.1.2.0.192.rpz-ip CNAME .\n"),
            "test.rpz:3: rpz-ip trigger: prefix length 33 out of range");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\n24.1.2.0.192.rpz-ip CNAME .\n"),
            "test.rpz:3: rpz-ip trigger: prefix '192.0.2.1/24' has bits set past its length");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\n64.zz.1.zz.2001.rpz-ip CNAME .\n"),
            "test.rpz:3: rpz-ip trigger: 'zz' twice");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test TXT \"open\n"),
            "test.rpz:3: unterminated quoted string");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test SOA ( a b 1 2 3 4 5\n"),
            "test.rpz:4: '(' not closed by the end of the file");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\n  A 192.0.2.1\n"),
            "test.rpz:3: record without an owner name (the line starts with white space)");
  EXPECT_EQ(rpzError("$TTL 60\n$ORIGIN rpz.\nx.test A 1.2.3.4\n@ A 1.2.3.4\n"),
            "test.rpz:4: A record at the zone apex rpz. (triggers are names below it)");
  EXPECT_EQ(rpzError("$TTL 1x\n"), "test.rpz:1: bad TTL '1x'");
}

TEST(Policy, TtlSyntax) {
  const Policy p = buildRpz(
      "$TTL 1h30m\n$ORIGIN rpz.\na.test CNAME .\nb.test 2d IN CNAME .\n"
      "c.test IN 45 CNAME .\n");
  EXPECT_EQ(p.matchQname(name("a.test.")).ttl, 5400u);
  EXPECT_EQ(p.matchQname(name("b.test.")).ttl, 172800u);
  EXPECT_EQ(p.matchQname(name("c.test.")).ttl, 45u);
}

TEST(Policy, EmptyPolicyMatchesNothing) {
  PolicyBuilder b;
  const Policy p = b.build();
  EXPECT_EQ(actionFor(p, "anything."), PolicyAction::kNone);
  EXPECT_FALSE(p.hasResponseIpTriggers());
  EXPECT_EQ(p.matchResponseIp(*IpAddress::parse("192.0.2.1")).action, PolicyAction::kNone);
}

TEST(Policy, LoadsFilesAndNeverHalfApplies) {
  testing_util::ScratchDir dir;
  {
    std::ofstream(dir / "block.rpz") << "$TTL 60\n$ORIGIN rpz.\nbad.test CNAME .\n";
    std::ofstream(dir / "list.txt") << "listed.test\n";
    std::ofstream(dir / "broken.txt") << "fine.test\nnot fine.test\n";
  }
  PolicySourceSpec rpz{"block", dir / "block.rpz"};
  PolicySourceSpec list{"list", dir / "list.txt", PolicyFormat::kDomainList, PolicyAction::kNodata};
  auto p = Policy::load({rpz, list});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->matchQname(name("bad.test.")).action, PolicyAction::kNxdomain);
  EXPECT_EQ(p->matchQname(name("listed.test.")).action, PolicyAction::kNodata);
  EXPECT_EQ(p->sources()[1].origin, (dir / "list.txt").string());
  EXPECT_GT(p->memoryBytes(), 0u);

  PolicySourceSpec broken{"broken", dir / "broken.txt", PolicyFormat::kDomainList};
  const auto bad = Policy::load({rpz, broken});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            (dir / "broken.txt").string() + ":2: more than one name on the line ('not fine.test')");
  const auto missing = Policy::load({PolicySourceSpec{"gone", dir / "nope.rpz"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope.rpz"), std::string::npos);
  const auto twice = Policy::load({rpz, rpz});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "policy source name 'block' used twice");
}

TEST(Policy, ManyNamesStayExact) {
  // Enough entries to grow and compact the table several times; every one found, no neighbour.
  std::string list;
  for (int i = 0; i < 20000; ++i) list += "host" + std::to_string(i) + ".example\n";
  PolicyBuilder b;
  ASSERT_TRUE(b.addDomainListText("big", list, "big.txt", PolicyAction::kNxdomain).ok());
  const Policy p = b.build();
  EXPECT_EQ(p.qnameTriggerCount(), 20000u);
  for (int i = 0; i < 20000; i += 7) {
    EXPECT_EQ(actionFor(p, "host" + std::to_string(i) + ".example."), PolicyAction::kNxdomain) << i;
    EXPECT_EQ(actionFor(p, "host" + std::to_string(i) + ".example.org."), PolicyAction::kNone);
    EXPECT_EQ(actionFor(p, "x.host" + std::to_string(i) + ".example."), PolicyAction::kNone);
  }
  EXPECT_EQ(actionFor(p, "host20000.example."), PolicyAction::kNone);
}

}  // namespace
}  // namespace mamori::dns
