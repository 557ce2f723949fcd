// A TCP connection for mamori-gencap scenarios: handshake, data, teardown with consistent
// sequence and acknowledgement numbers.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

#include "rng.h"
#include "wire.h"

namespace mamori::gencap {

// Drives one TCP connection, keeping sequence and acknowledgement numbers consistent.
//
// `Flow` supplies the endpoints and takes the packets: members `sport`, `dport`,
// `IpParams ipParams(bool forward, uint16_t ipId, uint32_t flowLabel) const` and
// `void add(bool forward, Bytes ipPacket)`. "forward" is the initiator's direction. The random
// draws (ISNs, IP IDs, flow labels) happen in the constructor, in a fixed order.
template <typename Flow>
class BasicTcpConversation {
 public:
  BasicTcpConversation(Flow& flow, Rng& rng) : flow_(flow) {
    next_[0] = rng.next32();
    next_[1] = rng.next32();
    ipId_[0] = static_cast<uint16_t>(rng.next32());
    ipId_[1] = static_cast<uint16_t>(rng.next32());
    flowLabel_[0] = rng.next32() & 0xFFFFF;
    flowLabel_[1] = rng.next32() & 0xFFFFF;
  }

  void syn(bool hopByHop = false) { send(true, tcp::kSyn, {}, hopByHop); }
  void synAck() { send(false, tcp::kSyn | tcp::kAck, {}); }
  void ack(bool forward) { send(forward, tcp::kAck, {}); }
  void data(bool forward, std::span<const uint8_t> payload, bool push = true) {
    send(forward, static_cast<uint8_t>(tcp::kAck | (push ? tcp::kPsh : 0)), payload);
  }
  void fin(bool forward) { send(forward, tcp::kFin | tcp::kAck, {}); }
  void rst(bool forward) { send(forward, tcp::kRst | tcp::kAck, {}); }

 private:
  void send(bool forward, uint8_t flags, std::span<const uint8_t> payload, bool hopByHop = false) {
    const int side = forward ? 0 : 1;
    IpParams ip = flow_.ipParams(forward, ipId_[side]++, flowLabel_[side]);
    ip.hopByHop = hopByHop;
    TcpParams t;
    t.sport = forward ? flow_.sport : flow_.dport;
    t.dport = forward ? flow_.dport : flow_.sport;
    t.seq = next_[side];
    const bool syn = (flags & tcp::kSyn) != 0;
    t.ack = (flags & tcp::kAck) != 0 ? next_[1 - side] : 0;
    t.flags = flags;
    t.window = syn ? (forward ? 64240 : 65160) : 502;
    if (syn) t.mss = ip.src.isV4() ? 1460 : 1440;
    Bytes packet;
    buildTcp(packet, ip, t, payload);
    flow_.add(forward, std::move(packet));
    next_[side] +=
        static_cast<uint32_t>(payload.size()) + ((flags & (tcp::kSyn | tcp::kFin)) != 0 ? 1U : 0U);
  }

  Flow& flow_;
  uint32_t next_[2];
  uint16_t ipId_[2];
  uint32_t flowLabel_[2];
};

}  // namespace mamori::gencap
