// Hub indicators as a policy source: PolicyBuilder::addIndicators() and checkIndicator().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mamori/dns/policy.h"

namespace mamori::dns {
namespace {

Name name(std::string_view text) {
  return *Name::fromText(text);
}

IpAddress address(std::string_view text) {
  return *IpAddress::parse(text);
}

Policy buildIndicators(const std::vector<PolicyIndicator>& indicators) {
  PolicyBuilder b;
  const auto r = b.addIndicators("hub", indicators, "hub http://hub.test");
  EXPECT_TRUE(r.ok()) << r.error().message;
  return b.build();
}

std::string indicatorError(const std::vector<PolicyIndicator>& indicators) {
  PolicyBuilder b;
  const auto r = b.addIndicators("hub", indicators, "hub http://hub.test");
  return r.ok() ? "ok" : r.error().message;
}

TEST(IndicatorPolicy, DomainCoversTheNameAndEveryNameBelowIt) {
  const Policy p = buildIndicators({{"domain", "bad.example", PolicyAction::kNxdomain}});
  const PolicyMatch exact = p.matchQname(name("BAD.example."));
  EXPECT_EQ(exact.action, PolicyAction::kNxdomain);
  EXPECT_EQ(exact.trigger, TriggerKind::kQname);
  EXPECT_EQ(exact.triggerText(name("BAD.example.")), "bad.example.");
  const PolicyMatch below = p.matchQname(name("a.b.bad.example."));
  EXPECT_EQ(below.action, PolicyAction::kNxdomain);
  EXPECT_EQ(below.trigger, TriggerKind::kWildcard);
  EXPECT_EQ(below.triggerText(name("a.b.bad.example.")), "*.bad.example.");
  EXPECT_FALSE(p.matchQname(name("example.")).matched());
  EXPECT_FALSE(p.matchQname(name("notbad.example.")).matched());
  EXPECT_FALSE(p.matchQname(name("bad.example.org.")).matched());
  ASSERT_EQ(p.sources().size(), 1u);
  EXPECT_EQ(p.sources()[0].name, "hub");
  EXPECT_EQ(p.sources()[0].qnameTriggers, 1u);
  EXPECT_FALSE(p.sources()[0].allowlist);
}

TEST(IndicatorPolicy, AddressesAndPrefixesAreResponseIpTriggers) {
  const Policy p = buildIndicators({{"ipv4", "192.0.2.66", PolicyAction::kNxdomain},
                                    {"ipv4", "198.51.100.0/24", PolicyAction::kNodata},
                                    {"ipv6", "2001:db8:bad::/48", PolicyAction::kDrop}});
  EXPECT_EQ(p.ipTriggerCount(), 3u);
  EXPECT_EQ(p.qnameTriggerCount(), 0u);
  const PolicyMatch host = p.matchResponseIp(address("192.0.2.66"));
  EXPECT_EQ(host.action, PolicyAction::kNxdomain);
  EXPECT_EQ(host.trigger, TriggerKind::kResponseIp);
  EXPECT_EQ(host.prefix.toString(), "192.0.2.66/32");
  EXPECT_FALSE(p.matchResponseIp(address("192.0.2.67")).matched());
  EXPECT_EQ(p.matchResponseIp(address("198.51.100.200")).action, PolicyAction::kNodata);
  EXPECT_EQ(p.matchResponseIp(address("2001:db8:bad:1::1")).action, PolicyAction::kDrop);
  EXPECT_FALSE(p.matchResponseIp(address("2001:db8:bae::1")).matched());
  // Addresses never become name triggers.
  EXPECT_FALSE(p.matchQname(name("192.0.2.66.")).matched());
}

TEST(IndicatorPolicy, EveryIndicatorActionAndOtherTypesSkippedAndCounted) {
  const Policy p = buildIndicators({{"domain", "nx.example", PolicyAction::kNxdomain},
                                    {"domain", "nodata.example", PolicyAction::kNodata},
                                    {"domain", "drop.example", PolicyAction::kDrop},
                                    {"domain", "tcp.example", PolicyAction::kTcpOnly},
                                    {"domain", "watch.example", PolicyAction::kPassthru},
                                    {"url", "http://bad.example/x", PolicyAction::kNxdomain},
                                    {"sha256", std::string(64, 'a'), PolicyAction::kNxdomain},
                                    {"email", "x@bad.example", PolicyAction::kPassthru}});
  EXPECT_EQ(p.matchQname(name("nx.example.")).action, PolicyAction::kNxdomain);
  EXPECT_EQ(p.matchQname(name("nodata.example.")).action, PolicyAction::kNodata);
  EXPECT_EQ(p.matchQname(name("drop.example.")).action, PolicyAction::kDrop);
  EXPECT_EQ(p.matchQname(name("tcp.example.")).action, PolicyAction::kTcpOnly);
  EXPECT_EQ(p.matchQname(name("www.watch.example.")).action, PolicyAction::kPassthru);
  EXPECT_EQ(p.sources()[0].qnameTriggers, 5u);
  EXPECT_EQ(p.sources()[0].skippedTriggers, 3u);
  EXPECT_EQ(p.sources()[0].ipTriggers, 0u);
}

TEST(IndicatorPolicy, BlockingWinsOverMonitoringWhateverTheOrder) {
  for (const bool monitorFirst : {true, false}) {
    std::vector<PolicyIndicator> list = {{"domain", "both.example", PolicyAction::kNxdomain},
                                         {"ipv4", "192.0.2.1", PolicyAction::kNodata}};
    const std::vector<PolicyIndicator> monitors = {
        {"domain", "Both.Example.", PolicyAction::kPassthru},
        {"ipv4", "192.0.2.1/32", PolicyAction::kPassthru}};
    list.insert(monitorFirst ? list.begin() : list.end(), monitors.begin(), monitors.end());
    const Policy p = buildIndicators(list);
    EXPECT_EQ(p.matchQname(name("both.example.")).action, PolicyAction::kNxdomain) << monitorFirst;
    EXPECT_EQ(p.matchQname(name("x.both.example.")).action, PolicyAction::kNxdomain);
    EXPECT_EQ(p.matchResponseIp(address("192.0.2.1")).action, PolicyAction::kNodata);
    // One trigger per value, not one per indicator.
    EXPECT_EQ(p.sources()[0].qnameTriggers, 1u);
    EXPECT_EQ(p.sources()[0].ipTriggers, 1u);
    EXPECT_EQ(p.qnameTriggerCount(), 1u);
    EXPECT_EQ(p.ipTriggerCount(), 1u);
  }
  // Of two blocking actions for one value, the first given.
  const Policy p = buildIndicators({{"domain", "twice.example", PolicyAction::kNodata},
                                    {"domain", "twice.example", PolicyAction::kNxdomain}});
  EXPECT_EQ(p.matchQname(name("twice.example.")).action, PolicyAction::kNodata);
}

TEST(IndicatorPolicy, TheMostSpecificIndicatorDecidesBelowAnother) {
  // As in RPZ: within one source the longest matching name wins, so a monitored subdomain of a
  // blocked domain is monitored, and names beside it stay blocked.
  const Policy p = buildIndicators({{"domain", "example.net", PolicyAction::kNxdomain},
                                    {"domain", "cdn.example.net", PolicyAction::kPassthru}});
  EXPECT_EQ(p.matchQname(name("img.cdn.example.net.")).action, PolicyAction::kPassthru);
  EXPECT_EQ(p.matchQname(name("www.example.net.")).action, PolicyAction::kNxdomain);
}

TEST(IndicatorPolicy, ComesAfterFileSourcesAndAllowlistsStillWin) {
  PolicyBuilder b;
  ASSERT_TRUE(
      b.addDomainListText("local", "both.example\n", "local.txt", PolicyAction::kNodata, true)
          .ok());
  ASSERT_TRUE(
      b.addDomainListText("allow", "good.example\n", "allow.txt", PolicyAction::kAllow, true).ok());
  ASSERT_TRUE(b.addIndicators("hub",
                              std::vector<PolicyIndicator>{
                                  {"domain", "both.example", PolicyAction::kNxdomain},
                                  {"domain", "www.good.example", PolicyAction::kNxdomain},
                                  {"domain", "hub-only.example", PolicyAction::kNxdomain}},
                              "hub")
                  .ok());
  const Policy p = b.build();
  const PolicyMatch both = p.matchQname(name("both.example."));
  EXPECT_EQ(both.action, PolicyAction::kNodata);
  EXPECT_EQ(p.sources()[both.source].name, "local");
  EXPECT_EQ(p.matchQname(name("www.good.example.")).action, PolicyAction::kAllow);
  const PolicyMatch hubOnly = p.matchQname(name("hub-only.example."));
  EXPECT_EQ(hubOnly.action, PolicyAction::kNxdomain);
  EXPECT_EQ(p.sources()[hubOnly.source].name, "hub");
  // Without an SOA of its own: negative answers get the made-up one, with this TTL.
  EXPECT_FALSE(p.sources()[hubOnly.source].hasSoa);
  EXPECT_EQ(hubOnly.ttl, 300u);
}

TEST(IndicatorPolicy, BadIndicatorsAreErrorsNamingTheIndicator) {
  EXPECT_EQ(indicatorError({{"domain", "fine.example", PolicyAction::kNxdomain},
                            {"domain", "a..b.example", PolicyAction::kNxdomain}}),
            "hub http://hub.test: indicator 1 (domain 'a..b.example'): empty label in name "
            "'a..b.example.'");
  EXPECT_NE(indicatorError({{"domain", std::string(64, 'x') + ".example", PolicyAction::kDrop}})
                .find("indicator 0 (domain 'xxx"),
            std::string::npos);
  for (const std::string bad : {"*.bad.example", "*", ".", "", "@", "bad example", "bad\\.example",
                                "a.b\n", "b\u00e4d.example"}) {
    const std::string e = indicatorError({{"domain", bad, PolicyAction::kNxdomain}});
    EXPECT_NE(e, "ok") << "'" << bad << "'";
    EXPECT_EQ(e.rfind("hub http://hub.test: indicator 0 (domain '", 0), 0u) << e;
  }
  EXPECT_NE(indicatorError({{"ipv4", "2001:db8::1", PolicyAction::kNxdomain}})
                .find("not an IPv4 address or prefix"),
            std::string::npos);
  EXPECT_NE(indicatorError({{"ipv6", "192.0.2.1", PolicyAction::kNxdomain}})
                .find("not an IPv6 address or prefix"),
            std::string::npos);
  // Host bits past the prefix length: a typo would silently widen or shift the block.
  EXPECT_NE(indicatorError({{"ipv4", "192.0.2.1/24", PolicyAction::kNxdomain}}), "ok");
  EXPECT_NE(indicatorError({{"ipv4", "not-an-address", PolicyAction::kNxdomain}}), "ok");
  EXPECT_NE(indicatorError({{"domain", "x.example", PolicyAction::kAllow}}).find("action"),
            std::string::npos);
  EXPECT_NE(indicatorError({{"ipv4", "192.0.2.1", PolicyAction::kLocalData}}), "ok");
  // A type the policy does not use is skipped, whatever its value.
  EXPECT_EQ(indicatorError({{"filename", "", PolicyAction::kNxdomain}}), "ok");
}

TEST(IndicatorPolicy, CheckIndicatorAgreesWithTheBuilder) {
  const std::vector<PolicyIndicator> cases = {
      {"domain", "ok.example", PolicyAction::kNxdomain},
      {"domain", "OK.Example.", PolicyAction::kPassthru},
      {"domain", "*.x.example", PolicyAction::kNxdomain},
      {"domain", "a..example", PolicyAction::kNxdomain},
      {"ipv4", "192.0.2.0/24", PolicyAction::kNodata},
      {"ipv4", "192.0.2.1/24", PolicyAction::kNodata},
      {"ipv6", "2001:db8::/32", PolicyAction::kDrop},
      {"ipv6", "10.0.0.1", PolicyAction::kDrop},
      {"domain", "ok.example", PolicyAction::kNone},
      {"md5", "whatever", PolicyAction::kNxdomain},
  };
  for (const PolicyIndicator& c : cases) {
    const bool builds = indicatorError({c}) == "ok";
    EXPECT_EQ(checkIndicator(c).ok(), builds) << c.type << " '" << c.value << "'";
  }
  EXPECT_TRUE(checkIndicator(cases[0]).ok());
  EXPECT_FALSE(checkIndicator(cases[3]).ok());
}

TEST(IndicatorPolicy, NameUsedByAnotherSourceIsAnError) {
  PolicyBuilder b;
  ASSERT_TRUE(b.addDomainListText("hub", "x.example\n", "hub.txt", PolicyAction::kNxdomain).ok());
  const auto r = b.addIndicators("hub", std::vector<PolicyIndicator>{}, "hub");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'hub' used twice"), std::string::npos) << r.error().message;
}

TEST(IndicatorPolicy, AddSourceTextReadsLikeAddSource) {
  PolicySourceSpec list;
  list.name = "list";
  list.path = "/nonexistent/list.txt";  // names the text in errors; never opened
  list.format = PolicyFormat::kDomainList;
  list.listAction = PolicyAction::kNodata;
  list.includeSubdomains = true;
  PolicySourceSpec rpz;
  rpz.name = "rpz";
  rpz.path = "/nonexistent/zone.rpz";
  PolicyBuilder b;
  ASSERT_TRUE(b.addSourceText(list, "listed.example\n").ok());
  ASSERT_TRUE(
      b.addSourceText(rpz, "$ORIGIN rpz.local.\n$TTL 60\nzoned.example CNAME rpz-drop.\n").ok());
  const Policy p = b.build();
  EXPECT_EQ(p.matchQname(name("sub.listed.example.")).action, PolicyAction::kNodata);
  EXPECT_EQ(p.matchQname(name("zoned.example.")).action, PolicyAction::kDrop);
  EXPECT_EQ(p.sources()[0].origin, "/nonexistent/list.txt");
  PolicyBuilder bad;
  const auto r = bad.addSourceText(list, "ok.example\ntwo names.example\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("/nonexistent/list.txt:2: ", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace mamori::dns
