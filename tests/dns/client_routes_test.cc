// Client routes: ClientRouteTable (longest prefix) and HitLog's configured and fallback routes,
// including a swap of the fallback table while the collector is writing records.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/scratch_dir.h"
#include "mamori/dns/hits.h"

namespace mamori::dns {
namespace {

IpAddress address(std::string_view text) {
  return *IpAddress::parse(text);
}

ClientRoute route(std::string_view prefix, std::string key) {
  return {*IpPrefix::parse(prefix), std::move(key)};
}

TEST(ClientRouteTable, LongestPrefixWins) {
  const ClientRouteTable table({route("10.0.0.0/8", "wide"), route("10.1.0.0/16", "narrow"),
                                route("10.1.2.0/24", "narrowest"), route("2001:db8::/32", "v6"),
                                route("2001:db8:1::/48", "v6-narrow")});
  EXPECT_EQ(table.size(), 5u);
  EXPECT_EQ(table.lookup(address("10.9.9.9")), "wide");
  EXPECT_EQ(table.lookup(address("10.1.9.9")), "narrow");
  EXPECT_EQ(table.lookup(address("10.1.2.3")), "narrowest");
  EXPECT_EQ(table.lookup(address("11.0.0.1")), "");
  EXPECT_EQ(table.lookup(address("2001:db8:2::1")), "v6");
  EXPECT_EQ(table.lookup(address("2001:db8:1::1")), "v6-narrow");
  EXPECT_EQ(table.lookup(address("2001:db9::1")), "");
  // IPv4 prefixes do not cover IPv4-mapped IPv6 addresses or the other way round.
  EXPECT_EQ(table.lookup(address("::ffff:10.1.2.3")), "");
}

TEST(ClientRouteTable, OrderGivenDoesNotMatterExceptForEqualPrefixes) {
  const ClientRouteTable table({route("10.1.2.0/24", "narrowest"), route("10.0.0.0/8", "wide"),
                                route("10.0.0.0/8", "second"), route("10.1.0.0/16", "narrow")});
  EXPECT_EQ(table.lookup(address("10.1.2.3")), "narrowest");
  EXPECT_EQ(table.lookup(address("10.1.3.3")), "narrow");
  EXPECT_EQ(table.lookup(address("10.2.3.3")), "wide");  // the first of two equal prefixes
}

TEST(ClientRouteTable, EmptyTableRoutesNothing) {
  const ClientRouteTable empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.lookup(address("192.0.2.1")), "");
  const ClientRouteTable alsoEmpty(std::vector<ClientRoute>{});
  EXPECT_EQ(alsoEmpty.lookup(address("2001:db8::1")), "");
}

class HitLogRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    PolicyBuilder b;
    ASSERT_TRUE(
        b.addDomainListText("blocklist", "bad.example\n", "test", PolicyAction::kNxdomain, true)
            .ok());
    policy_ = std::make_shared<const Policy>(b.build());
  }

  std::unique_ptr<HitLog> open(std::vector<ClientRoute> routes) {
    std::array<uint8_t, Pseudonymizer::kKeySize> key{};
    key.fill(3);
    HitLogOptions options;
    options.hitsFile = dir_ / "hits.ndjson";
    options.sensor = "resolver-1";
    options.routes = std::move(routes);
    options.forward = [this](std::string_view line) { lines_.emplace_back(line); };
    auto log = HitLog::open(std::move(options), Pseudonymizer(key));
    EXPECT_TRUE(log.ok()) << log.error().message;
    return log.ok() ? std::move(log).value() : nullptr;
  }

  HitEvent hitFrom(std::string_view client) const {
    HitEvent e;
    e.timeMicros = 1764115200000000;
    e.client = address(client);
    e.qname = *Name::fromText("www.bad.example.");
    e.qtype = 1;
    e.match = policy_->matchQname(e.qname);
    e.policy = policy_;
    return e;
  }

  // The "targets" of the record written for a hit from `client`.
  std::string targetsFor(HitLog& log, std::string_view client) {
    const HitEvent e = hitFrom(client);
    lines_.clear();
    log.consume(std::span<const HitEvent>(&e, 1));
    if (lines_.size() != 1) return "no record";
    const std::string& line = lines_[0];
    EXPECT_EQ(line.find(std::string(client) + "\""), std::string::npos) << line;
    const size_t at = line.find("\"targets\":");
    return at == std::string::npos ? "no targets"
                                   : line.substr(at + 10, line.find(']', at) - at - 9);
  }

  testing_util::ScratchDir dir_;
  std::shared_ptr<const Policy> policy_;
  std::vector<std::string> lines_;
};

TEST_F(HitLogRoutes, ConfiguredRoutesComeBeforeTheFallback) {
  auto log = open({route("10.1.0.0/16", "branch.example")});
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(targetsFor(*log, "10.1.2.3"), "[\"branch.example\"]");
  EXPECT_EQ(targetsFor(*log, "10.2.2.3"), "[]");

  // The hub's registered prefixes, each its own key. A longer fallback prefix does not beat a
  // configured route: --client-route says where its clients belong.
  log->setFallbackRoutes(std::make_shared<const ClientRouteTable>(std::vector<ClientRoute>{
      route("10.0.0.0/8", "10.0.0.0/8"), route("10.1.2.0/24", "10.1.2.0/24")}));
  EXPECT_EQ(targetsFor(*log, "10.1.2.3"), "[\"branch.example\"]");
  EXPECT_EQ(targetsFor(*log, "10.2.2.3"), "[\"10.0.0.0/8\"]");
  EXPECT_EQ(targetsFor(*log, "192.0.2.1"), "[]");

  // A newer table replaces the old one whole; null removes it.
  log->setFallbackRoutes(std::make_shared<const ClientRouteTable>(
      std::vector<ClientRoute>{route("192.0.2.0/24", "192.0.2.0/24")}));
  EXPECT_EQ(targetsFor(*log, "10.2.2.3"), "[]");
  EXPECT_EQ(targetsFor(*log, "192.0.2.1"), "[\"192.0.2.0/24\"]");
  log->setFallbackRoutes(nullptr);
  EXPECT_EQ(targetsFor(*log, "192.0.2.1"), "[]");
  EXPECT_EQ(targetsFor(*log, "10.1.200.1"), "[\"branch.example\"]");
}

TEST_F(HitLogRoutes, SwappingTheFallbackWhileTheCollectorWritesKeepsEveryRecordWhole) {
  auto log = open({});
  ASSERT_NE(log, nullptr);
  const auto a = std::make_shared<const ClientRouteTable>(
      std::vector<ClientRoute>{route("10.0.0.0/8", "10.0.0.0/8")});
  const auto b = std::make_shared<const ClientRouteTable>(
      std::vector<ClientRoute>{route("10.1.0.0/16", "10.1.0.0/16")});
  log->setFallbackRoutes(a);
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    for (int i = 0; !stop.load(); ++i) log->setFallbackRoutes(i % 2 == 0 ? b : a);
  });
  const std::vector<HitEvent> batch(50, hitFrom("10.1.2.3"));
  for (int i = 0; i < 200; ++i) log->consume(batch);
  stop = true;
  swapper.join();
  ASSERT_EQ(lines_.size(), 200u * 50u);
  for (const std::string& line : lines_) {
    const bool wide = line.find("\"targets\":[\"10.0.0.0/8\"]") != std::string::npos;
    const bool narrow = line.find("\"targets\":[\"10.1.0.0/16\"]") != std::string::npos;
    ASSERT_TRUE(wide != narrow) << line;
  }
  std::ifstream in(dir_ / "hits.ndjson");
  size_t written = 0;
  for (std::string line; std::getline(in, line);) ++written;
  EXPECT_EQ(written, lines_.size());
}

}  // namespace
}  // namespace mamori::dns
