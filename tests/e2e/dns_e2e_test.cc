// End-to-end tests of `mamori dns`: a real authoritative server (NSD) on loopback serves a test
// zone, `mamori dns` runs in front of it with an RPZ zone, a domain list and an allowlist, and
// queries go through `dig` (and raw sockets where dig cannot say what is needed: malformed
// queries, pipelined TCP). Skipped when nsd or dig is not installed (scripts/setup.sh --test).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "hub_process.h"

namespace mamori::e2e {
namespace {

const std::string kMamori = MAMORI_BIN;

bool haveTool(const std::string& tool) {
  return run("command -v " + tool + " >/dev/null").exitCode == 0;
}

// A port free for both UDP and TCP right now.
int freeDnsPort() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int port = freePort();
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
                    0;  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockets API
    ::close(fd);
    if (ok) return port;
  }
  return -1;
}

// A child process with its output in a log file; stopped (SIGTERM, then SIGKILL) and reaped by
// the destructor, killed by the kernel if the test binary dies first.
class Child {
 public:
  Child(std::vector<std::string> args, const std::filesystem::path& log) : log_(log) {
    const pid_t pid = ::fork();
    if (pid < 0) return;
    if (pid == 0) {
      (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* out = std::freopen(log.c_str(), "a", stdout);
      if (out != nullptr) (void)::dup2(::fileno(stdout), STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
  }
  ~Child() { (void)stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  std::string log() const { return readFile(log_); }
  void signal(int sig) const {
    if (pid_ > 0) (void)::kill(pid_, sig);
  }
  // Exit status if the process has ended (reaped), -1 while it runs.
  int exited() {
    if (pid_ <= 0) return status_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    return -1;
  }
  int waitExit(int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
      if (exited() >= 0) return status_;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  int stop() {
    if (pid_ <= 0) return status_;
    signal(SIGTERM);
    if (waitExit(5) >= 0) return status_;
    signal(SIGKILL);
    (void)::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return status_;
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = -1;
};

struct DigResult {
  std::string status;                // "NOERROR", "NXDOMAIN", ... ("" when no answer)
  std::string flags;                 // "qr rd ra", ...
  std::vector<std::string> answers;  // "name ttl IN type data" lines of the answer section
  std::string output;
};

DigResult dig(int port, const std::string& args) {
  DigResult r;
  r.output = run(fmt::format("dig @127.0.0.1 -p {} +tries=1 +time=3 {}", port, args)).output;
  std::istringstream in(r.output);
  std::string line;
  bool inAnswer = false;
  while (std::getline(in, line)) {
    if (auto p = line.find("status: "); p != std::string::npos) {
      r.status = line.substr(p + 8, line.find(',', p) - p - 8);
    }
    if (auto p = line.find(";; flags: "); p != std::string::npos) {
      r.flags = line.substr(p + 10, line.find(';', p + 10) - p - 10);
    }
    if (line.rfind(";; ANSWER SECTION:", 0) == 0) {
      inAnswer = true;
      continue;
    }
    if (inAnswer) {
      if (line.empty()) {
        inAnswer = false;
        continue;
      }
      r.answers.push_back(line);
    }
  }
  return r;
}

// Raw DNS over sockets, for what dig cannot send.
std::vector<uint8_t> query(uint16_t id, const std::string& name, uint16_t type) {
  std::vector<uint8_t> q = {
      static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.insert(q.end(), {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  return q;
}

std::optional<std::vector<uint8_t>> udpExchange(int port, const std::vector<uint8_t>& message,
                                                int timeoutMs = 3000) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::optional<std::vector<uint8_t>> out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
          0 &&  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockets API
      ::send(fd, message.data(), message.size(), 0) == static_cast<ssize_t>(message.size())) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) == 1) {
      std::vector<uint8_t> buf(65535);
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        buf.resize(static_cast<size_t>(n));
        out = std::move(buf);
      }
    }
  }
  ::close(fd);
  return out;
}

constexpr const char* kZone = R"($ORIGIN test.example.
$TTL 300
@ IN SOA ns.test.example. admin.test.example. 1 3600 600 86400 60
@ IN NS ns.test.example.
ns IN A 192.0.2.1
www IN A 192.0.2.10
allowed IN A 192.0.2.20
blocked IN A 192.0.2.21
later IN A 192.0.2.22
evil-ip IN A 192.0.2.66
a.wild IN A 192.0.2.11
sub.listed IN A 192.0.2.12
hub-blocked IN A 192.0.2.30
hub-watched IN A 192.0.2.31
hub-ip IN A 192.0.2.77
)";

constexpr const char* kRpz = R"($ORIGIN rpz.test.
$TTL 60
@ IN SOA localhost. root.localhost. 1 3600 600 86400 60
  IN NS localhost.
blocked.test.example CNAME .
*.wild.test.example CNAME *.
sink.test.example A 10.9.9.9
allowed.test.example CNAME .
32.66.2.0.192.rpz-ip CNAME .
)";

// Asks for www.test.example over UDP in a loop on its own thread until finish(), counting the
// answers that are missing or not NOERROR: a policy swap must not cost a single query.
class QueryLoop {
 public:
  explicit QueryLoop(int port)
      : thread_([this, port] {
          uint16_t id = 1;
          while (!stop_.load()) {
            const auto r = udpExchange(port, query(id++, "www.test.example", 1));
            ++asked_;
            if (!r || r->size() < 12 || ((*r)[3] & 0x0F) != 0) ++failed_;
          }
        }) {}
  ~QueryLoop() { finish(); }
  QueryLoop(const QueryLoop&) = delete;
  QueryLoop& operator=(const QueryLoop&) = delete;

  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int asked() const { return asked_.load(); }
  int failed() const { return failed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> asked_{0};
  std::atomic<int> failed_{0};
  std::thread thread_;
};

class DnsE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!haveTool("nsd") || !haveTool("dig")) return;
    dir_ = new ScratchDir("dns");
    const auto& d = dir_->path();
    std::string zone = kZone;
    // 40 TXT records of 200 bytes: far over any UDP size, so upstream and client both see TC.
    for (int i = 0; i < 40; ++i)
      zone += fmt::format("big IN TXT \"{}-{}\"\n", std::string(200, 'x'), i);
    writeFile(d / "test.example.zone", zone);
    // The port may be taken between the check and NSD's bind (tests run in parallel): try again.
    for (int attempt = 0; attempt < 5; ++attempt) {
      authPort_ = freeDnsPort();
      writeFile(d / "nsd.conf",
                fmt::format("server:\n  ip-address: 127.0.0.1\n  port: {}\n  username: \"\"\n"
                            "  chroot: \"\"\n  zonesdir: \"{}\"\n  database: \"\"\n"
                            "  pidfile: \"{}/nsd.pid\"\n  xfrdfile: \"{}/xfrd.state\"\n"
                            "  zonelistfile: \"{}/zone.list\"\n  logfile: \"{}/nsd.log\"\n"
                            "  server-count: 1\nremote-control:\n  control-enable: no\n"
                            "zone:\n  name: test.example\n  zonefile: test.example.zone\n",
                            authPort_, d.string(), d.string(), d.string(), d.string(), d.string()));
      nsd_ = new Child({"nsd", "-d", "-c", (d / "nsd.conf").string()}, d / "nsd.out");
      for (int i = 0; i < 100 && nsd_->exited() < 0; ++i) {
        if (dig(authPort_, "www.test.example").status == "NOERROR") return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      // Running but not answering, or the last attempt: SetUp fails with NSD's log.
      if (nsd_->exited() < 0 || attempt == 4) return;
      delete nsd_;
      nsd_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete nsd_;
    nsd_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (nsd_ == nullptr) GTEST_SKIP() << "nsd and dig are needed (scripts/setup.sh --test)";
    ASSERT_EQ(dig(authPort_, "www.test.example").status, "NOERROR") << nsd_->log();
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    work_ = dir_->path() / name;
    std::filesystem::create_directories(work_);
    writeFile(work_ / "block.rpz", kRpz);
    writeFile(work_ / "malware.txt", "listed.test.example\n");
    writeFile(work_ / "allow.txt", "allowed.test.example\n");
  }

  std::vector<std::string> dnsArgs(int port) const {
    return {kMamori,       "dns",
            "--listen",    fmt::format("127.0.0.1:{}", port),
            "--upstream",  fmt::format("127.0.0.1:{}", authPort_),
            "--policy",    (work_ / "block.rpz").string(),
            "--list",      "malware=" + (work_ / "malware.txt").string(),
            "--allowlist", (work_ / "allow.txt").string(),
            "--hits",      (work_ / "hits.ndjson").string(),
            "--state",     (work_ / "state").string(),
            "--threads",   "2"};
  }

  // Starts `mamori dns` (extra arguments appended) and waits until it answers.
  void startDns(const std::vector<std::string>& extra = {}) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = freeDnsPort();
      auto args = dnsArgs(port_);
      args.insert(args.end(), extra.begin(), extra.end());
      dns_ = std::make_unique<Child>(args, work_ / "dns.log");
      for (int i = 0; i < 100; ++i) {
        if (dns_->exited() >= 0) break;
        if (dig(port_, "www.test.example").status == "NOERROR") return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      dns_.reset();
    }
    FAIL() << "mamori dns did not start: " << readFile(work_ / "dns.log");
  }

  // A hub with organisations "centre" (the resolver's user and token, also publishing) and
  // "agency" (registering `agencyPrefix` when not empty); the token in token_, agency's id in
  // agency_.
  void startHub(const std::string& agencyPrefix = "") {
    const std::string db = "sqlite:" + (work_ / "hub.db").string();
    auto admin = [&db](const std::string& args) { return hubAdmin(db, args); };
    ASSERT_EQ(admin("org add --name centre --type centre").exitCode, 0);
    const auto op = admin("org add --name agency --type government-body --domain agency.example" +
                          (agencyPrefix.empty() ? "" : " --prefix " + agencyPrefix));
    ASSERT_EQ(op.exitCode, 0) << op.output;
    agency_ = trim(op.output);
    ASSERT_EQ(admin("user add --name resolver --org centre --role analyst --clearance 2").exitCode,
              0);
    const auto token = admin("token create --user resolver");
    ASSERT_EQ(token.exitCode, 0) << token.output;
    token_ = trim(token.output);
    hub_ = std::make_unique<HubProcess>(db, work_);
    ASSERT_TRUE(hub_->running()) << hub_->log();
  }

  // `mamori dns` with --hub and the token (through the environment, as an operator would).
  void startDnsWithHub(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--hub", hub_->url()};
    args.insert(args.end(), extra.begin(), extra.end());
    ::setenv("MAMORI_HUB_TOKEN", token_.c_str(), 1);
    startDns(args);
    ::unsetenv("MAMORI_HUB_TOKEN");
  }

  httplib::Result hubCall(const std::string& method, const std::string& path,
                          const std::string& body = "") const {
    httplib::Client client("127.0.0.1", hub_->port());
    const httplib::Headers auth{{"Authorization", "Bearer " + token_}};
    if (method == "POST") return client.Post(path, auth, body, "application/json");
    if (method == "DELETE") return client.Delete(path, auth);
    return client.Get(path, auth);
  }

  // Publishes indicators ({"type","value",...} objects, TLP GREEN added); their ids in order.
  std::vector<std::string> publish(const std::vector<nlohmann::json>& indicators) const {
    nlohmann::json body = {{"indicators", nlohmann::json::array()}};
    for (auto i : indicators) {
      i["tlp"] = "GREEN";
      body["indicators"].push_back(i);
    }
    const auto res = hubCall("POST", "/api/v1/indicators", body.dump());
    std::vector<std::string> ids;
    EXPECT_TRUE(res);
    if (!res) return ids;
    EXPECT_EQ(res->status, 201) << res->body;
    for (const auto& item :
         nlohmann::json::parse(res->body).value("items", nlohmann::json::array()))
      ids.push_back(item["id"].get<std::string>());
    return ids;
  }

  // Asks for `name` until the status is `status` (the hub refreshes every second in these
  // tests; give it a generous while on a loaded machine). The last status seen.
  std::string waitForStatus(const std::string& name, const std::string& status) const {
    std::string seen;
    for (int i = 0; i < 300; ++i) {
      seen = dig(port_, name + " A").status;
      if (seen == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return seen;
  }

  static inline ScratchDir* dir_ = nullptr;
  static inline Child* nsd_ = nullptr;
  static inline int authPort_ = -1;
  std::filesystem::path work_;
  std::unique_ptr<Child> dns_;
  int port_ = -1;
  std::unique_ptr<HubProcess> hub_;
  std::string token_;
  std::string agency_;
};

TEST_F(DnsE2E, AllowedNamesResolveThroughTheUpstream) {
  startDns();
  const DigResult r = dig(port_, "www.test.example A");
  EXPECT_EQ(r.status, "NOERROR");
  ASSERT_EQ(r.answers.size(), 1u) << r.output;
  EXPECT_NE(r.answers[0].find("192.0.2.10"), std::string::npos);
  // Forwarded, so recursion available and not authoritative.
  EXPECT_NE(r.flags.find("ra"), std::string::npos) << r.flags;
  EXPECT_EQ(r.flags.find("aa"), std::string::npos) << r.flags;
  // A name the zone does not have: the upstream's NXDOMAIN, with its SOA.
  const DigResult missing = dig(port_, "nothere.test.example A");
  EXPECT_EQ(missing.status, "NXDOMAIN");
  EXPECT_NE(missing.output.find("admin.test.example."), std::string::npos) << missing.output;
}

TEST_F(DnsE2E, PolicyBlocksByNameWildcardListAndLocalData) {
  startDns();
  const DigResult blocked = dig(port_, "blocked.test.example A");
  EXPECT_EQ(blocked.status, "NXDOMAIN");
  EXPECT_TRUE(blocked.answers.empty());
  // The policy zone's SOA in the authority section, so clients cache the refusal for its TTL.
  EXPECT_NE(blocked.output.find("rpz.test."), std::string::npos) << blocked.output;

  // "*.wild.test.example CNAME *." is NODATA for names below it.
  const DigResult wild = dig(port_, "a.wild.test.example A");
  EXPECT_EQ(wild.status, "NOERROR");
  EXPECT_TRUE(wild.answers.empty()) << wild.output;

  // A domain list entry covers its subdomains.
  EXPECT_EQ(dig(port_, "listed.test.example A").status, "NXDOMAIN");
  EXPECT_EQ(dig(port_, "sub.listed.test.example A").status, "NXDOMAIN");

  // Local data: the sinkhole address instead of the real answer; NODATA for other types.
  const DigResult sink = dig(port_, "sink.test.example A");
  EXPECT_EQ(sink.status, "NOERROR");
  ASSERT_EQ(sink.answers.size(), 1u) << sink.output;
  EXPECT_NE(sink.answers[0].find("10.9.9.9"), std::string::npos);
  const DigResult sinkAaaa = dig(port_, "sink.test.example AAAA");
  EXPECT_EQ(sinkAaaa.status, "NOERROR");
  EXPECT_TRUE(sinkAaaa.answers.empty());
}

TEST_F(DnsE2E, AllowlistWinsOverTheBlockingPolicy) {
  startDns();
  const DigResult r = dig(port_, "allowed.test.example A");
  EXPECT_EQ(r.status, "NOERROR") << r.output;
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_NE(r.answers[0].find("192.0.2.20"), std::string::npos);
}

TEST_F(DnsE2E, ResponseIpTriggerBlocksAnswersPointingIntoTheListedPrefix) {
  startDns();
  EXPECT_EQ(dig(port_, "evil-ip.test.example A").status, "NXDOMAIN");
  // Served from the cache the second time: the policy still applies.
  EXPECT_EQ(dig(port_, "evil-ip.test.example A").status, "NXDOMAIN");
}

TEST_F(DnsE2E, LargeAnswerIsTruncatedOverUdpAndCompleteOverTcp) {
  startDns();
  const DigResult udp = dig(port_, "+ignore +bufsize=1232 big.test.example TXT");
  EXPECT_EQ(udp.status, "NOERROR");
  EXPECT_NE(udp.flags.find("tc"), std::string::npos) << udp.output;
  EXPECT_LT(udp.answers.size(), 40u);
  const DigResult tcp = dig(port_, "+tcp big.test.example TXT");
  EXPECT_EQ(tcp.status, "NOERROR");
  EXPECT_EQ(tcp.flags.find("tc"), std::string::npos) << tcp.output;
  EXPECT_EQ(tcp.answers.size(), 40u) << tcp.output;
  // dig's own fallback: UDP, TC, then TCP, ends with the whole answer.
  EXPECT_EQ(dig(port_, "big.test.example TXT").answers.size(), 40u);
}

TEST_F(DnsE2E, TcpPipelinedQueriesAllGetTheirAnswers) {
  startDns();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port_));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a),
            0);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockets API
  // Blocked names answer at once, others wait for the upstream: answers may come out of order.
  const std::vector<std::string> names = {
      "www.test.example",    "blocked.test.example", "later.test.example",  "sink.test.example",
      "a.wild.test.example", "ns.test.example",      "listed.test.example", "allowed.test.example"};
  std::vector<uint8_t> stream;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto q = query(static_cast<uint16_t>(0x100 + i), names[i], 1);
    stream.push_back(static_cast<uint8_t>(q.size() >> 8));
    stream.push_back(static_cast<uint8_t>(q.size()));
    stream.insert(stream.end(), q.begin(), q.end());
  }
  ASSERT_EQ(::send(fd, stream.data(), stream.size(), 0), static_cast<ssize_t>(stream.size()));
  std::set<uint16_t> ids;
  std::vector<uint8_t> in;
  while (ids.size() < names.size()) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "answers so far: " << ids.size();
    uint8_t buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    in.insert(in.end(), buf, buf + n);
    while (in.size() >= 2 && in.size() >= 2u + ((in[0] << 8) | in[1])) {
      const size_t length = (in[0] << 8) | in[1];
      ASSERT_GE(length, 12u);
      ids.insert(static_cast<uint16_t>((in[2] << 8) | in[3]));
      in.erase(in.begin(), in.begin() + 2 + static_cast<std::ptrdiff_t>(length));
    }
  }
  ::close(fd);
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(ids.count(static_cast<uint16_t>(0x100 + i)), 1u);
}

TEST_F(DnsE2E, MalformedQueriesGetFormerrAndTheServerKeepsRunning) {
  startDns();
  // A question whose name runs past the end of the message.
  std::vector<uint8_t> bad = {0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 10, 'a', 'b'};
  auto r = udpExchange(port_, bad);
  ASSERT_TRUE(r.has_value());
  ASSERT_GE(r->size(), 12u);
  EXPECT_EQ((*r)[0], 0xAB);
  EXPECT_EQ((*r)[1], 0xCD);
  EXPECT_EQ((*r)[3] & 0x0F, 1) << "FORMERR";
  // A compression loop in the question.
  std::vector<uint8_t> loop = {0x12, 0x34, 0x01, 0x00, 0,  1, 0, 0, 0,
                               0,    0,    0,    0xC0, 12, 0, 1, 0, 1};
  r = udpExchange(port_, loop);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[3] & 0x0F, 1);
  // Under 12 bytes: nothing to answer, dropped.
  EXPECT_FALSE(udpExchange(port_, {1, 2, 3}, 500).has_value());
  // Another opcode (STATUS): NOTIMP.
  auto status = query(0x4242, "www.test.example", 1);
  status[2] = 0x10;
  r = udpExchange(port_, status);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[3] & 0x0F, 4);
  EXPECT_EQ(dig(port_, "www.test.example A").status, "NOERROR");
  EXPECT_EQ(dns_->exited(), -1);
}

TEST_F(DnsE2E, ReloadUnderLoadDropsNoQueryAndAppliesTheNewPolicy) {
  startDns();
  EXPECT_EQ(dig(port_, "later.test.example A").status, "NOERROR");
  QueryLoop load(port_);
  for (int i = 0; i < 5; ++i) {
    writeFile(work_ / "malware.txt",
              fmt::format("listed.test.example\nlater.test.example\n# {}\n", i));
    dns_->signal(SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  load.finish();
  EXPECT_GT(load.asked(), 10);
  EXPECT_EQ(load.failed(), 0) << "of " << load.asked();
  EXPECT_EQ(dig(port_, "later.test.example A").status, "NXDOMAIN");
  EXPECT_NE(dns_->log().find("policy reloaded"), std::string::npos) << dns_->log();
}

TEST_F(DnsE2E, BadPolicyAtReloadKeepsThePreviousPolicy) {
  startDns();
  EXPECT_EQ(dig(port_, "blocked.test.example A").status, "NXDOMAIN");
  writeFile(work_ / "block.rpz", std::string(kRpz) + "bad.test.example CNAME\n");
  dns_->signal(SIGHUP);
  for (int i = 0; i < 50 && dns_->log().find("reload failed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string log = dns_->log();
  EXPECT_NE(log.find("reload failed"), std::string::npos) << log;
  EXPECT_NE(log.find("block.rpz:10"), std::string::npos) << log;
  EXPECT_EQ(dig(port_, "blocked.test.example A").status, "NXDOMAIN");
  EXPECT_EQ(dig(port_, "www.test.example A").status, "NOERROR");
  EXPECT_EQ(dns_->exited(), -1);
}

TEST_F(DnsE2E, BadPolicyAtStartIsAnErrorNamingFileAndLine) {
  writeFile(work_ / "block.rpz",
            "$ORIGIN rpz.test.\n$TTL 60\nfine.test.example CNAME .\n"
            "broken.test.example A not-an-address\n");
  const int port = freeDnsPort();
  std::string command;
  for (const auto& a : dnsArgs(port)) command += quote(a) + " ";
  const CommandResult r = run(command);
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("block.rpz:4"), std::string::npos) << r.output;
}

TEST_F(DnsE2E, HitsAreRecordedWithThePseudonymNeverTheClientAddress) {
  const int metricsPort = freePort();
  startDns({"--metrics", fmt::format("127.0.0.1:{}", metricsPort)});
  EXPECT_EQ(dig(port_, "blocked.test.example A").status, "NXDOMAIN");
  EXPECT_EQ(dig(port_, "+tcp sub.listed.test.example AAAA").status, "NXDOMAIN");
  EXPECT_EQ(dig(port_, "evil-ip.test.example A").status, "NXDOMAIN");
  EXPECT_EQ(dig(port_, "www.test.example A").status, "NOERROR");  // not a hit
  std::vector<nlohmann::json> hits;
  for (int i = 0; i < 50 && hits.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    hits = readNdjson(work_ / "hits.ndjson");
  }
  ASSERT_EQ(hits.size(), 3u) << readFile(work_ / "hits.ndjson");
  std::set<std::string> names;
  for (const auto& h : hits) {
    names.insert(h["query"]["name"].get<std::string>());
    EXPECT_EQ(h["category"], "dns-policy-hit");
    EXPECT_TRUE(h["pattern"].is_string());
    EXPECT_TRUE(h["id"].is_string());
    EXPECT_EQ(h["action"], "nxdomain");
    EXPECT_NE(h["client"], "127.0.0.1");
  }
  EXPECT_EQ(names, (std::set<std::string>{"blocked.test.example.", "sub.listed.test.example.",
                                          "evil-ip.test.example."}));
  const auto byName = [&](const std::string& n) {
    for (const auto& h : hits) {
      if (h["query"]["name"] == n) return h;
    }
    return nlohmann::json();
  };
  EXPECT_EQ(byName("blocked.test.example.")["list"], "block");
  EXPECT_EQ(byName("blocked.test.example.")["trigger_kind"], "qname");
  EXPECT_EQ(byName("sub.listed.test.example.")["list"], "malware");
  EXPECT_EQ(byName("sub.listed.test.example.")["trigger"], "*.listed.test.example.");
  EXPECT_EQ(byName("sub.listed.test.example.")["query"]["type"], "AAAA");
  EXPECT_EQ(byName("sub.listed.test.example.")["query"]["transport"], "tcp");
  EXPECT_EQ(byName("evil-ip.test.example.")["trigger"], "192.0.2.66/32");
  // The same client always has the same pseudonym.
  EXPECT_EQ(hits[0]["client"], hits[1]["client"]);
  // Nowhere in the records: the client's address.
  EXPECT_EQ(readFile(work_ / "hits.ndjson").find("127.0.0.1"), std::string::npos);

  // The metrics count them too.
  httplib::Client client("127.0.0.1", metricsPort);
  const auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("mamori_dns_policy_hits_total{list=\"block\",action=\"nxdomain\"} 2"),
            std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find("mamori_dns_policy_hits_total{list=\"malware\",action=\"nxdomain\"} 1"),
            std::string::npos);
  EXPECT_NE(
      res->body.find(
          "mamori_dns_responses_total{transport=\"tcp\",qtype=\"AAAA\",rcode=\"NXDOMAIN\"} 1"),
      std::string::npos);
}

// Hits sent to a real hub: accepted as events, routed to the organisation the client's prefix is
// configured for, never carrying the client's address.
TEST_F(DnsE2E, HitsReachTheHubRoutedToTheClientsOrganisation) {
  startHub();
  startDnsWithHub(
      {"--client-route", "127.0.0.0/8=agency.example", "--sensor-name", "resolver-e2e"});
  EXPECT_EQ(dig(port_, "blocked.test.example A").status, "NXDOMAIN");
  EXPECT_EQ(dig(port_, "x.listed.test.example A").status, "NXDOMAIN");
  // Stopping sends what is queued.
  EXPECT_EQ(dns_->stop(), 0) << dns_->log();

  const auto res = hubCall("GET", "/api/v1/events?limit=100");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto items = nlohmann::json::parse(res->body)["items"];
  ASSERT_EQ(items.size(), 2u) << res->body;
  std::set<std::string> patterns;
  for (const auto& e : items) {
    EXPECT_EQ(e["category"], "dns-policy-hit");
    EXPECT_EQ(e["target_organisation"], agency_) << e.dump();
    EXPECT_EQ(e["record"]["sensor"], "resolver-e2e");
    EXPECT_EQ(e.dump().find("127.0.0.1"), std::string::npos) << e.dump();
    patterns.insert(e["record"]["pattern"].get<std::string>());
  }
  EXPECT_EQ(patterns, (std::set<std::string>{"block:blocked.test.example.",
                                             "malware:*.listed.test.example."}));
}

// Indicators published to the hub become policy while the resolver runs: blocked within a few
// refreshes, resolving again after a revoke, and no query of a loop running throughout fails
// while the policy is swapped.
TEST_F(DnsE2E, HubIndicatorsBlockWhilePublishedAndNotAfterARevokeWithoutDroppingQueries) {
  startHub();
  const int metricsPort = freePort();
  startDnsWithHub({"--hub-indicators", "--hub-refresh", "1", "--metrics",
                   fmt::format("127.0.0.1:{}", metricsPort)});
  ASSERT_EQ(dig(port_, "hub-blocked.test.example A").status, "NOERROR");
  ASSERT_EQ(dig(port_, "hub-ip.test.example A").status, "NOERROR");

  QueryLoop load(port_);

  const auto ids =
      publish({{{"type", "domain"}, {"value", "hub-blocked.test.example"}},
               {{"type", "ipv4"}, {"value", "192.0.2.77"}},
               {{"type", "domain"}, {"value", "hub-watched.test.example"}, {"action", "monitor"}},
               {{"type", "sha256"}, {"value", std::string(64, 'a')}}});
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(waitForStatus("hub-blocked.test.example", "NXDOMAIN"), "NXDOMAIN") << dns_->log();
  // The other indicators arrived with it: a response-IP trigger and a monitored name, which
  // resolves and is recorded.
  EXPECT_EQ(dig(port_, "hub-ip.test.example A").status, "NXDOMAIN");
  const DigResult watched = dig(port_, "hub-watched.test.example A");
  EXPECT_EQ(watched.status, "NOERROR");
  ASSERT_EQ(watched.answers.size(), 1u) << watched.output;
  EXPECT_NE(watched.answers[0].find("192.0.2.31"), std::string::npos);
  // The local policy still comes first and still works.
  EXPECT_EQ(dig(port_, "blocked.test.example A").status, "NXDOMAIN");

  // Revoked at the hub: resolves again.
  const auto revoked = hubCall("DELETE", "/api/v1/indicators/" + ids[0]);
  ASSERT_TRUE(revoked);
  ASSERT_EQ(revoked->status, 200) << revoked->body;
  EXPECT_EQ(waitForStatus("hub-blocked.test.example", "NOERROR"), "NOERROR") << dns_->log();
  EXPECT_EQ(dig(port_, "hub-ip.test.example A").status, "NXDOMAIN");

  load.finish();
  EXPECT_GT(load.asked(), 10);
  EXPECT_EQ(load.failed(), 0) << "of " << load.asked();

  std::vector<nlohmann::json> hits;
  for (int i = 0; i < 50; ++i) {
    hits = readNdjson(work_ / "hits.ndjson");
    if (std::any_of(hits.begin(), hits.end(), [](const nlohmann::json& h) {
          return h["query"]["name"] == "hub-watched.test.example.";
        })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::set<std::string> seen;
  for (const auto& h : hits) {
    if (h["list"] != "hub") continue;
    seen.insert(h["query"]["name"].get<std::string>() + " " + h["action"].get<std::string>() + " " +
                h["trigger"].get<std::string>());
  }
  EXPECT_EQ(seen,
            (std::set<std::string>{"hub-blocked.test.example. nxdomain hub-blocked.test.example.",
                                   "hub-ip.test.example. nxdomain 192.0.2.77/32",
                                   "hub-watched.test.example. passthru hub-watched.test.example."}))
      << readFile(work_ / "hits.ndjson");

  httplib::Client metrics("127.0.0.1", metricsPort);
  const auto res = metrics.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("mamori_dns_hub_indicators{type=\"domain\"} 1"), std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find("mamori_dns_hub_indicators{type=\"ipv4\"} 1"), std::string::npos);
  EXPECT_EQ(res->body.find("mamori_dns_hub_syncs_total{kind=\"indicators\",result=\"ok\"} 0"),
            std::string::npos);
  EXPECT_NE(dns_->log().find("policy updated from the hub"), std::string::npos) << dns_->log();
}

// Without --client-route, a hit goes to the organisation that registered the client's prefix at
// the hub: the record names that prefix, never the client's address.
TEST_F(DnsE2E, HitsRouteToTheOrganisationRegisteringTheClientsPrefix) {
  startHub("127.0.0.0/8");
  startDnsWithHub({"--sensor-name", "resolver-e2e"});
  EXPECT_EQ(dig(port_, "blocked.test.example A").status, "NXDOMAIN");
  EXPECT_EQ(dns_->stop(), 0) << dns_->log();  // stopping sends what is queued

  const auto hits = readNdjson(work_ / "hits.ndjson");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["targets"], nlohmann::json::array({"127.0.0.0/8"}));
  const auto res = hubCall("GET", "/api/v1/events?limit=100");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto items = nlohmann::json::parse(res->body)["items"];
  ASSERT_EQ(items.size(), 1u) << res->body;
  EXPECT_EQ(items[0]["category"], "dns-policy-hit");
  EXPECT_EQ(items[0]["target_organisation"], agency_) << items[0].dump();
  EXPECT_EQ(items[0]["record"]["targets"], nlohmann::json::array({"127.0.0.0/8"}));
  EXPECT_EQ(items[0].dump().find("127.0.0.1"), std::string::npos) << items[0].dump();
  EXPECT_EQ(readFile(work_ / "hits.ndjson").find("127.0.0.1"), std::string::npos);
}

// The last indicator set is kept in the state directory: a resolver restarted while the hub is
// down still blocks what the hub last said; a damaged snapshot stops the start, naming the file.
// The indicators and the registered prefixes are kept in the state directory: a resolver
// restarted while the hub is away blocks and routes as it did.
// A hub that takes connections and never answers: a listening socket nobody accepts from (the
// kernel completes the handshakes, the requests sit unread). The resolver must start answering
// within seconds, not after the 30 s per request that later rounds allow, and a stop must abandon
// the sync request in flight and give the queued sighting a bounded last try (10 s).
TEST_F(DnsE2E, AHubThatDoesNotAnswerDelaysNeitherTheStartNorTheStop) {
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(silent, 64), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string hubUrl = fmt::format("http://127.0.0.1:{}", ntohs(a.sin_port));

  port_ = freeDnsPort();
  auto args = dnsArgs(port_);
  for (const char* extra : {"--hub", hubUrl.c_str(), "--token", "mamori_t_silent",
                            "--hub-indicators", "--hub-refresh", "1"}) {
    args.emplace_back(extra);
  }
  const auto started = std::chrono::steady_clock::now();
  dns_ = std::make_unique<Child>(args, work_ / "dns.log");
  std::string status;
  while (status != "NOERROR" && dns_->exited() < 0 &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(60)) {
    status = dig(port_, "www.test.example").status;
    if (status != "NOERROR") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(status, "NOERROR") << dns_->log();
  // The first round gives up after 5 s (one read timeout) instead of 30 s per request.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20)) << dns_->log();

  EXPECT_EQ(dig(port_, "blocked.test.example A").status, "NXDOMAIN");  // a sighting for the hub
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a later round, now waiting on the hub
  const auto stopping = std::chrono::steady_clock::now();
  dns_->signal(SIGTERM);
  EXPECT_EQ(dns_->waitExit(60), 0) << dns_->log();
  // 10 s for the sighting's last try, then both requests are abandoned (not 2 x 120 s and 30 s).
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(25)) << dns_->log();
  EXPECT_NE(dns_->log().find("request abandoned: stopping"), std::string::npos) << dns_->log();
  ::close(silent);
}

TEST_F(DnsE2E, RestartWithTheHubDownStillBlocksTheLastKnownIndicators) {
  startHub("127.0.0.0/8");
  ASSERT_EQ(publish({{{"type", "domain"}, {"value", "hub-blocked.test.example"}}}).size(), 1u);
  startDnsWithHub({"--hub-indicators", "--hub-refresh", "1"});
  EXPECT_EQ(waitForStatus("hub-blocked.test.example", "NXDOMAIN"), "NXDOMAIN") << dns_->log();
  EXPECT_EQ(dns_->stop(), 0) << dns_->log();
  const std::filesystem::path snapshot = work_ / "state" / "dns-hub-indicators.json";
  ASSERT_TRUE(std::filesystem::exists(snapshot));
  ASSERT_TRUE(std::filesystem::exists(work_ / "state" / "dns-hub-routes.json"));
  std::filesystem::remove(work_ / "hits.ndjson");

  hub_->stop();
  startDnsWithHub({"--hub-indicators", "--hub-refresh", "1"});
  // At once, not eventually: the snapshot is in force before the first query is answered.
  EXPECT_EQ(dig(port_, "hub-blocked.test.example A").status, "NXDOMAIN") << dns_->log();
  EXPECT_EQ(dig(port_, "x.hub-blocked.test.example A").status, "NXDOMAIN");
  EXPECT_EQ(dig(port_, "hub-watched.test.example A").status, "NOERROR");
  const std::string log = dns_->log();
  EXPECT_NE(log.find("mamori dns: hub: indicators: "), std::string::npos) << log;
  EXPECT_EQ(dns_->stop(), 0) << dns_->log();
  // The hits while the hub was away still name the client's registered prefix.
  const auto hits = readNdjson(work_ / "hits.ndjson");
  ASSERT_EQ(hits.size(), 2u) << readFile(work_ / "hits.ndjson");
  for (const auto& h : hits) EXPECT_EQ(h["targets"], nlohmann::json::array({"127.0.0.0/8"}));

  writeFile(snapshot, "{\"format\":\"mamori-dns-hub-indicators/1\",\"indicators\":[{\"id\":");
  std::string command;
  for (const auto& a : dnsArgs(freeDnsPort())) command += quote(a) + " ";
  const CommandResult r =
      run(command + "--hub " + hub_->url() + " --token " + quote(token_) + " --hub-indicators");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find(snapshot.string() + ": not a valid hub indicator snapshot"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace mamori::e2e
