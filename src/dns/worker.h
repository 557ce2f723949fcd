// Worker: one thread's event loop of the DNS server (internal to src/dns). It owns its sockets,
// its pending upstream queries and its TCP connections; nothing in here is shared with other
// workers except the cache, the policy snapshot and the counters other threads only read.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <span>
#include <vector>

#include "mamori/dns/message.h"
#include "resolver.h"
#include "server_internal.h"

namespace mamori::dns {

class Worker {
 public:
  explicit Worker(Server::Impl& server);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Takes ownership of this worker's listening sockets (non-blocking) and sets up epoll.
  Result<void> init(const std::vector<int>& udpFds, const std::vector<int>& tcpFds);
  void run();
  void wake();  // from another thread: leave epoll_wait (used to stop)

  const WorkerCounters& counters() const { return counters_; }
  LockGuarded<std::vector<HitEvent>>& hitQueue() { return hitQueue_; }

 private:
  struct ClientRef {
    bool tcp = false;
    int udpFd = -1;
    const sockaddr_storage* address = nullptr;  // UDP
    socklen_t addressLength = 0;
    uint32_t connection = 0;  // TCP: slot and generation
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

  struct Pending {
    uint32_t gen = 0;
    bool active = false;
    bool tcpClient = false;
    int udpFd = -1;
    sockaddr_storage clientAddress{};
    socklen_t clientAddressLength = 0;
    uint32_t connection = 0, connectionGen = 0;
    IpAddress client;
    QueryInfo query;
    Name resolveName;  // what goes upstream: the question, or a policy CNAME's target
    bool cnameChase = false;
    uint32_t cnameTtl = 0;
    bool checkResponseIp = true;
    size_t sourceLimit = SIZE_MAX;
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
  void onUdpReadable(int fd);
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
  void deliver(uint32_t slot, std::span<uint8_t> buffer, size_t length, const Message& answer);
  // Sends `response` (none when empty) to the pending query's client; TCP bookkeeping either way.
  void replyPending(Pending& p, std::span<const uint8_t> response, bool count = true);
  void failPending(uint32_t slot, uint16_t rcode);
  void releasePending(uint32_t slot);
  void closeUpstreamFd(Pending& p);

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
  std::vector<int> udpFds_, tcpFds_;
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

  std::vector<Connection> connections_;
  std::vector<uint32_t> freeConnections_;
  std::vector<std::pair<uint32_t, uint32_t>> resume_;  // connections to read again (slot, gen)

  std::vector<HitEvent> localHits_;
  LockGuarded<std::vector<HitEvent>> hitQueue_;
};

}  // namespace mamori::dns
