// A `mamori hub` child process on a free local port, for end-to-end tests (tests/e2e/*_test.cc
// that talk to a real hub), and the admin command that sets its organisations up.
#pragma once

#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "e2e_support.h"

namespace mamori::e2e {

// `mamori admin --db DB ARGS`: how the e2e suites create organisations, users and tokens.
inline CommandResult hubAdmin(const std::string& db, const std::string& args) {
  return run(std::string(MAMORI_BIN) + " admin --db " + quote(db) + " " + args);
}

// A command's output without its trailing newline and spaces (an id, a token, a key id).
inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// A port nothing listens on right now (the kernel's choice for port 0).
inline int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
          0 &&  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockets API
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) ==
          0) {  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): sockets API
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// A `mamori hub` child process, stopped and reaped by the destructor whatever the test did (and
// killed by the kernel if this test binary dies first).
class HubProcess {
 public:
  HubProcess(const std::string& db, const std::filesystem::path& dir) {
    // Another process may take the free port between the check and the hub's bind: try again.
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) start(db, dir);
  }
  ~HubProcess() { stop(); }
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  std::string log() const { return readFile(log_); }

  // kill -9: no chance to finish anything.
  void crash() {
    if (pid_ <= 0) return;
    (void)::kill(pid_, SIGKILL);
    (void)::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  void stop() {
    if (pid_ <= 0) return;
    (void)::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    (void)::kill(pid_, SIGKILL);
    (void)::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  void start(const std::string& db, const std::filesystem::path& dir) {
    port_ = freePort();
    if (port_ <= 0) return;
    log_ = dir / "hub.log";
    const std::string listen = fmt::format("127.0.0.1:{}", port_);
    const std::string state = (dir / "hub-state").string();
    const std::string logPath = log_.string();
    const pid_t pid = ::fork();
    if (pid < 0) return;
    if (pid == 0) {
      (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* out = std::freopen(logPath.c_str(), "a", stdout);
      if (out != nullptr) (void)::dup2(::fileno(stdout), STDERR_FILENO);
      ::execl(MAMORI_BIN, "mamori", "hub", "--db", db.c_str(), "--listen", listen.c_str(),
              "--state", state.c_str(), "--threads", "2", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pid_ = pid;
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1);
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // exited: the port was taken, or worse
        pid_ = -1;
        return;
      }
      auto res = client.Get("/api/v1/health");
      if (res && res->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
  }

  pid_t pid_ = -1;
  int port_ = -1;
  std::filesystem::path log_;
};

}  // namespace mamori::e2e
