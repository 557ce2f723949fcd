// Worker: one thread's event loop of the DNS server (internal to src/dns). It owns its sockets,
// its pending upstream queries and its TCP connections; nothing in here is shared with other
// workers except the cache, the policy snapshot and the counters other threads only read.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <span>
#include <vector>

#include "mamori/core/siphash.h"
#include "mamori/dns/message.h"
#include "resolver.h"
#include "server_internal.h"

namespace mamori::dns {

// A UDP listening socket. `pktinfo`: bound to a wildcard address (0.0.0.0 or ::) with IP_PKTINFO
// or IPV6_RECVPKTINFO on, so that each answer can leave from the address its query was sent to (a
// client drops an answer from another address). Sockets bound to one address skip all of this.
struct UdpListener {
  int fd = -1;
  bool pktinfo = false;
};

// The control message that makes a UDP answer leave from the address its query came to
// (IP_PKTINFO or IPV6_PKTINFO for sendmsg); length 0 when there is none to give (a listener on a
// specific address, whose answers leave from that address anyway).
struct ReplySource {
  alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo))> control{};
  size_t length = 0;
};

class Worker {
 public:
  explicit Worker(Server::Impl& server);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Takes ownership of this worker's listening sockets (non-blocking) and sets up epoll.
  Result<void> init(const std::vector<UdpListener>& udp, const std::vector<int>& tcpFds);
  void run();
  void wake();  // from another thread: leave epoll_wait (used to stop)

  const WorkerCounters& counters() const { return counters_; }
  LockGuarded<std::vector<HitEvent>>& hitQueue() { return hitQueue_; }

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  struct ClientRef {
    bool tcp = false;
    int udpFd = -1;
    const sockaddr_storage* address = nullptr;  // UDP
    socklen_t addressLength = 0;
    const ReplySource* source = nullptr;  // UDP on a wildcard listener
    uint32_t connection = 0;              // TCP: slot and generation
    uint32_t connectionGen = 0;
  };

  // What an answer to a query needs once the query's bytes are gone.
  struct QueryInfo {
    Header header;
    Question question;
    bool ednsPresent = false;
    bool dnssecOk = false;
    size_t limit = kMinUdpPayload;
    Message asMessage() const;
  };

  // A client waiting for an upstream answer: what its answer needs once its query's bytes are
  // gone. An upstream query has one or more (coalescing: later clients asking the same question
  // join the query in flight instead of sending their own).
  struct Waiter {
    sockaddr_storage clientAddress{};  // UDP
    socklen_t clientAddressLength = 0;
    int udpFd = -1;
    bool tcpClient = false;
    bool cnameChase = false;  // asked for a name the policy rewrote to the resolved one
    bool checkResponseIp = true;
    uint32_t connection = 0, connectionGen = 0;  // TCP
    uint32_t cnameTtl = 0;
    size_t sourceLimit = SIZE_MAX;
    ReplySource replySource;
    IpAddress client;
    QueryInfo query;
  };

  struct Pending {
    uint32_t gen = 0;
    bool active = false;
    // The first client, then those that joined; the capacity stays with the slot when it is
    // reused, so joining allocates nothing after warm-up.
    std::vector<Waiter> waiters;
    // The question sent upstream, the same for every waiter: the client's question or a policy
    // CNAME's target. In-flight queries are found by it (see findInFlight).
    Name resolveName;
    uint16_t qtype = 0;
    uint16_t qclass = 0;
    bool checkingDisabled = false;
    bool dnssecOk = false;
    uint64_t questionHash = 0;
    uint32_t nextInFlight = 0;  // the next slot in this one's in-flight bucket chain
    // Upstream attempt.
    int fd = -1;
    uint16_t upstream = 0;
    uint16_t attempts = 0;
    uint32_t triedMask = 0;
    uint16_t upstreamId = 0;
    Name sentName;  // resolveName in its 0x20 spelling
    int64_t attemptStart = 0;
    int64_t deadline = 0;
    bool upstreamTcp = false;
    bool tcpSent = false;
    std::vector<uint8_t> tcpBuffer;
    size_t tcpHave = 0;
  };

  struct Connection {
    uint32_t gen = 0;
    bool active = false;
    int fd = -1;
    IpAddress client;
    std::vector<uint8_t> in;
    size_t inLength = 0;
    std::vector<uint8_t> out;
    size_t outOffset = 0;
    size_t inFlight = 0;
    int64_t lastActive = 0;
    bool readClosed = false;
    bool readPaused = false;
    bool writeArmed = false;
  };

  struct Deadline {
    int64_t at;
    uint32_t slot;
    uint32_t gen;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };

  enum class Disposition : uint8_t { kReply, kNoReply, kPending };

  // Event sources.
  void onUdpReadable(const UdpListener& listener);
  void onTcpAccept(int fd);
  void onConnectionEvent(uint32_t slot, uint32_t events);
  void onUpstreamEvent(uint32_t slot, uint32_t events);

  // The query path. Writes a response into out_ and sets length for kReply.
  Disposition handleQuery(std::span<const uint8_t> wire, const ClientRef& client, size_t& length);
  Disposition resolve(const Message& query, const ClientRef& client, const Name& resolveName,
                      bool checkResponseIp, size_t sourceLimit, const PolicyMatch* cname,
                      size_t& length);
  Disposition answerResponseIp(const PolicyMatch& match, const Message& query, bool tcp,
                               const IpAddress& client, size_t& length);
  void recordHit(const IpAddress& client, const Name& qname, uint16_t qtype, bool tcp,
                 const PolicyMatch& match, bool newDomain = false);
  void countAnswer(bool tcp, uint16_t qtype, std::span<const uint8_t> response);

  // Upstreams.
  bool sendUpstream(uint32_t slot);
  void startTcpFallback(uint32_t slot);
  void upstreamFailed(uint32_t slot, bool timeout);
  void onUpstreamAnswer(uint32_t slot, std::span<uint8_t> buffer, size_t length);
  // Answers every waiter from the accepted upstream answer `wire` (parsed: `answer`).
  void deliver(uint32_t slot, std::span<const uint8_t> wire, const Message& answer);
  void answerWaiter(Waiter& w, const Name& resolved, std::span<const uint8_t> wire,
                    const Message& answer);
  void fillWaiter(Waiter& w, const Message& query, const ClientRef& client, size_t limit,
                  bool checkResponseIp, size_t sourceLimit, const PolicyMatch* cname) const;
  // Sends `response` (none when empty) to a waiting client; TCP bookkeeping either way.
  void replyWaiter(Waiter& w, std::span<const uint8_t> response, bool count = true);
  void failPending(uint32_t slot, uint16_t rcode);
  void releasePending(uint32_t slot);
  void closeUpstreamFd(Pending& p);

  // Upstream queries in flight, by question: a chained hash table over pending_ slots keyed by
  // SipHash of (name lowercased, type, class, CD, DO) under a per-worker random key.
  uint64_t questionHash(const Name& name, uint16_t qtype, uint16_t qclass, bool cd,
                        bool dnssecOk) const;
  // The slot of an upstream query in flight for exactly this question with room for another
  // waiter, or kNoSlot.
  uint32_t findInFlight(uint64_t hash, const Name& name, uint16_t qtype, uint16_t qclass, bool cd,
                        bool dnssecOk) const;
  void unlinkInFlight(uint32_t slot);

  // TCP clients.
  void processConnectionInput(uint32_t slot);
  void sendOnConnection(uint32_t slot, std::span<const uint8_t> response);
  void flushConnection(uint32_t slot);
  void closeConnection(uint32_t slot);
  void updateConnectionEvents(Connection& c);
  void sweepConnections();
  void resumeConnections();

  void expireDeadlines();
  void refreshPolicy();
  void flushHits();
  IpAddress clientAddress(const ClientRef& client) const;

  Server::Impl& server_;
  int epoll_ = -1;
  int wakeFd_ = -1;
  std::vector<UdpListener> udp_;
  std::vector<int> tcpFds_;
  WorkerCounters counters_;
  RandomPool random_;
  size_t upstreamCursor_ = 0;

  int64_t now_ = 0;      // steady clock, microseconds: deadlines, cache ages
  int64_t wallNow_ = 0;  // system clock, microseconds: hit records
  int64_t lastSweep_ = 0;

  std::shared_ptr<const Policy> policy_;
  uint64_t policyGen_ = 0;
  std::vector<NegativeSoa> soas_;  // per policy source

  Message query_;                  // the query being handled
  Message answer_;                 // an upstream or cached answer being handled
  std::vector<uint8_t> out_;       // responses are built here
  std::vector<uint8_t> upstream_;  // upstream answers are read here
  std::vector<uint8_t> chase_;     // a cached answer for a policy CNAME's target

  std::vector<Pending> pending_;
  std::vector<uint32_t> freePending_;
  size_t pendingCount_ = 0;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::vector<uint32_t> inFlight_;  // bucket heads (kNoSlot: empty); size a power of two
  SipKey inFlightKey_;

  std::vector<Connection> connections_;
  std::vector<uint32_t> freeConnections_;
  std::vector<std::pair<uint32_t, uint32_t>> resume_;  // connections to read again (slot, gen)

  std::vector<HitEvent> localHits_;
  LockGuarded<std::vector<HitEvent>> hitQueue_;
};

}  // namespace mamori::dns
