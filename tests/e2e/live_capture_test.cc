// Live capture end to end: `mamori select --iface lo` while this test sends datagrams over
// loopback. Needs CAP_NET_RAW (CI runs as root); skipped, saying so, without it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "e2e_support.h"

namespace mamori::e2e {
namespace {

const std::string kBin = MAMORI_BIN;

bool canCapture() {
  const int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

void sendDatagrams(uint16_t port, const std::string& payload, int count) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < count; ++i) {
    ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::close(fd);
}

TEST(LiveCapture, SelectsFromALiveInterfaceAndKeepsNoPayload) {
  if (!canCapture()) GTEST_SKIP() << "no CAP_NET_RAW: live capture cannot be tested here";
  ScratchDir dir("live");
  const std::string canary = "MAMORI-LIVE-CANARY-51c2";
  ASSERT_EQ(run(kBin + " keys gen --out " + quote((dir / "k").string())).exitCode, 0);
  // 127.0.0.0/8 is not in the domestic set below, so loopback traffic is foreign-foreign.
  writeFile(dir / "domestic.txt", "192.0.2.0/24\n");
  writeFile(dir / "order.json", R"({"id":"live","purpose":"live capture test",
    "scopes":["foreign-foreign"],"valid_from":"2026-01-01T00:00:00Z","valid_until":"2099-01-01T00:00:00Z",
    "criteria":[{"id":"port","port":47999,"transport":"udp"}]})");
  ASSERT_EQ(run(kBin + " order sign --key " + quote((dir / "k/signing.key").string()) + " " +
                quote((dir / "order.json").string()) + " > " + quote((dir / "order.signed.json").string()))
                .exitCode,
            0);
  auto sensor = std::async(std::launch::async, [&] {
    return run(kBin + " select --iface lo --duration 3 --order " + quote((dir / "order.signed.json").string()) +
               " --trust " + quote((dir / "k/signing.pub").string()) + " --domestic " +
               quote((dir / "domestic.txt").string()) + " --state " + quote((dir / "state").string()) +
               " --out " + quote((dir / "out").string()));
  });
  // The sensor creates its partial output just before it opens the capture: wait for that (a slow
  // start, e.g. under ASan, must not lose the first datagrams), then give the open a moment.
  const auto partial = dir / "out/selected.ndjson.partial";
  for (int i = 0; i < 3000 && !std::filesystem::exists(partial); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  sendDatagrams(47999, "payload " + canary, 10);
  sendDatagrams(47998, "other " + canary, 5);  // not covered by the order
  const auto result = sensor.get();
  ASSERT_EQ(result.exitCode, 0) << result.output;
  const auto records = readNdjson(dir / "out/selected.ndjson");
  ASSERT_EQ(records.size(), 1U) << result.output;
  EXPECT_EQ(records[0]["dport"], 47999);
  EXPECT_EQ(records[0]["class"], "foreign-foreign");
  EXPECT_EQ(records[0]["pkts"]["orig"], 10);
  const auto entries = readNdjson(dir / "state/ledger/entries.ndjson");
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_TRUE(entries[1]["completed"].get<bool>());
  EXPECT_EQ(entries[1]["inputs"][0]["name"], "iface:lo");
  for (const auto& d : {dir / "out", dir / "state"}) {
    for (const auto& f : filesUnder(d)) EXPECT_EQ(readFile(f).find(canary), std::string::npos) << f;
  }
  EXPECT_EQ(result.output.find(canary), std::string::npos);
}

}  // namespace
}  // namespace mamori::e2e
