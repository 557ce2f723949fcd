#include "flow_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace mamori::sensor {
namespace {

FlowKey keyFor(uint32_t i, bool& fromA) {
  return makeFlowKey(IpAddress::v4(0x0a000000 + i), static_cast<uint16_t>(1024 + i % 50000),
                     IpAddress::v4(0xc6336400 + (i % 7)), 443, 6, fromA);
}

TEST(FlowKey, BothDirectionsShareOneKey) {
  const auto a = *IpAddress::parse("203.0.113.5");
  const auto b = *IpAddress::parse("192.0.2.10");
  bool fromA1 = false, fromA2 = false;
  const FlowKey k1 = makeFlowKey(a, 40001, b, 80, 6, fromA1);
  const FlowKey k2 = makeFlowKey(b, 80, a, 40001, 6, fromA2);
  EXPECT_EQ(k1, k2);
  EXPECT_NE(fromA1, fromA2);
  // Same addresses, ports swapped, is another conversation.
  bool fromA3 = false;
  EXPECT_FALSE(makeFlowKey(a, 80, b, 40001, 6, fromA3) == k1);
  // Transport is part of the key.
  EXPECT_FALSE(makeFlowKey(a, 40001, b, 80, 17, fromA3) == k1);
}

TEST(FlowTable, InsertFindRemoveAgainstReferenceMap) {
  FlowTable table(4096, 12345);
  std::map<uint32_t, uint32_t> present;  // i -> flow index
  std::mt19937 rng(7);
  for (int step = 0; step < 200000; ++step) {
    const uint32_t i = rng() % 6000;
    bool fromA = false;
    const FlowKey k = keyFor(i, fromA);
    const uint64_t h = table.hash(k);
    Flow* f = table.find(k, h);
    ASSERT_EQ(f != nullptr, present.count(i) == 1) << "step " << step;
    if (f != nullptr) {
      EXPECT_EQ(f->key, k);
      if (rng() % 3 == 0) {
        table.remove(f);
        present.erase(i);
      }
    } else if (!table.full()) {
      Flow* n = table.insert(k, h);
      present[i] = table.indexOf(n);
    }
    ASSERT_EQ(table.size(), present.size());
  }
}

TEST(FlowTable, LeastRecentlySeenIsOldestAndFullIsBounded) {
  FlowTable table(4, 1);
  std::vector<Flow*> flows;
  for (uint32_t i = 0; i < 4; ++i) {
    bool fromA = false;
    const FlowKey k = keyFor(i, fromA);
    flows.push_back(table.insert(k, table.hash(k)));
  }
  EXPECT_TRUE(table.full());
  EXPECT_EQ(table.oldest(FlowList::kActive), flows[0]);
  table.touch(flows[0], FlowList::kActive);
  EXPECT_EQ(table.oldest(FlowList::kActive), flows[1]);
  table.touch(flows[1], FlowList::kClosing);
  EXPECT_EQ(table.oldest(FlowList::kActive), flows[2]);
  EXPECT_EQ(table.oldest(FlowList::kClosing), flows[1]);
  table.remove(flows[1]);
  EXPECT_EQ(table.oldest(FlowList::kClosing), nullptr);
  EXPECT_FALSE(table.full());
}

TEST(FlowTable, SeedChangesHash) {
  FlowTable a(16, 1), b(16, 2);
  bool fromA = false;
  const FlowKey k = keyFor(1, fromA);
  EXPECT_NE(a.hash(k), b.hash(k));
}

}  // namespace
}  // namespace mamori::sensor
