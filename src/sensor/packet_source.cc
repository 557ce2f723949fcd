#include "mamori/sensor/packet_source.h"

#include <fmt/format.h>
#include <pcap/pcap.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mamori/core/crypto.h"
#include "mamori/core/secure_file.h"
#include "mamori/core/time.h"
#include "mamori/sensor/decoder.h"

namespace mamori::sensor {
namespace {

std::atomic<bool> gStop{false};

// A FILE* over a file descriptor that hashes every byte libpcap reads, so the ledger can name the
// exact input (including standard input) without reading it twice. Reads go straight from the
// descriptor into stdio's buffer (1 MiB, set at open), and are hashed there, on the reading thread:
// handing chunks to another thread cost more in copies than it saved (bench/RESULTS.md).
struct HashingStream {
  int fd;
  bool ownsFd;
  Sha256 hash;
  uint64_t bytes = 0;
};

ssize_t hashingRead(void* cookie, char* buf, size_t size) {
  auto* s = static_cast<HashingStream*>(cookie);
  ssize_t n;
  do {
    n = ::read(s->fd, buf, size);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  s->hash.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): stdio's char buffer
                                          static_cast<size_t>(n)));
  s->bytes += static_cast<uint64_t>(n);
  return n;
}

int hashingClose(void* cookie) {
  auto* s = static_cast<HashingStream*>(cookie);
  if (s->ownsFd) ::close(s->fd);
  return 0;
}

// pcap_next_ex, with the frame and its time in our types; returns pcap_next_ex's code.
int nextFrame(pcap_t* pcap, std::span<const uint8_t>& frame, int64_t& ts) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(pcap, &hdr, &data);
  if (rc == 1) {
    frame = std::span<const uint8_t>(data, hdr->caplen);
    ts = int64_t{hdr->ts.tv_sec} * 1'000'000 + hdr->ts.tv_usec;
  }
  return rc;
}

std::string linkTypeName(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return name ? fmt::format("{} ({})", name, dlt) : fmt::format("{}", dlt);
}

class FileSource final : public PacketSource {
 public:
  FileSource(std::string name, pcap_t* pcap, std::unique_ptr<HashingStream> stream)
      : name_(std::move(name)), pcap_(pcap), stream_(std::move(stream)) {}
  ~FileSource() override {
    pcap_close(pcap_);  // closes the hashing stream and with it the file
  }

  int linkType() const override { return pcap_datalink(pcap_); }

  Next next(std::span<const uint8_t>& frame, int64_t& ts) override {
    const int rc = nextFrame(pcap_, frame, ts);
    if (rc == 1) return Next::kFrame;
    if (rc == PCAP_ERROR_BREAK) return Next::kEnd;
    error_ = fmt::format("{}: {}", name_, pcap_geterr(pcap_));
    return Next::kError;
  }

  std::string error() const override { return error_; }

  InputIdentity identity() override {
    if (!finished_) {
      // Hash whatever libpcap did not read (after an error), so the identity is of the whole file.
      std::vector<char> buf(1 << 16);
      while (hashingRead(stream_.get(), buf.data(), buf.size()) > 0) {
      }
      digest_ = toHex(stream_->hash.finish());
      finished_ = true;
    }
    return InputIdentity{name_, digest_, stream_->bytes};
  }

 private:
  std::string name_;
  pcap_t* pcap_;
  std::unique_ptr<HashingStream> stream_;
  std::string error_;
  std::string digest_;
  bool finished_ = false;
};

class LiveSource final : public PacketSource {
 public:
  LiveSource(std::string name, pcap_t* pcap, int64_t deadline)
      : name_(std::move(name)), pcap_(pcap), deadline_(deadline) {}
  ~LiveSource() override { pcap_close(pcap_); }

  int linkType() const override { return pcap_datalink(pcap_); }

  Next next(std::span<const uint8_t>& frame, int64_t& ts) override {
    while (true) {
      if (gStop.load(std::memory_order_relaxed)) return Next::kEnd;
      if (deadline_ != 0 && nowMicros() >= deadline_) return Next::kEnd;
      const int rc = nextFrame(pcap_, frame, ts);
      if (rc == 1) return Next::kFrame;
      if (rc == 0) {
        // Non-blocking: nothing captured yet. Wait briefly so stop requests and the deadline are
        // noticed even on a silent interface (in immediate mode a blocking read never times out).
        pollfd p{pcap_get_selectable_fd(pcap_), POLLIN, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      if (rc == PCAP_ERROR_BREAK) return Next::kEnd;
      error_ = fmt::format("{}: {}", name_, pcap_geterr(pcap_));
      return Next::kError;
    }
  }

  std::string error() const override { return error_; }
  uint64_t dropped() const override {
    pcap_stat st{};
    if (pcap_stats(pcap_, &st) != 0) return 0;
    return uint64_t{st.ps_drop} + st.ps_ifdrop;
  }
  InputIdentity identity() override { return InputIdentity{"iface:" + name_, "", 0}; }

 private:
  std::string name_;
  pcap_t* pcap_;
  int64_t deadline_;
  std::string error_;
};

}  // namespace

void requestCaptureStop() {
  gStop.store(true, std::memory_order_relaxed);
}

struct BatchReader::State {
  static constexpr size_t kBatches = 4;

  explicit State(PacketSource& s) : source(s), batches(kBatches) {
    for (auto& b : batches) free.push_back(&b);
    worker = std::thread([this] { run(); });
  }

  void run() {
    const int link = source.linkType();
    std::span<const uint8_t> frame;
    int64_t ts = 0;
    FrameBatch* batch = take();
    while (batch != nullptr) {
      const auto n = source.next(frame, ts);
      if (n == PacketSource::Next::kFrame) {
        if (batch->add(link, frame, ts)) continue;
        publish(batch);
        batch = take();
        if (batch != nullptr) (void)batch->add(link, frame, ts);  // an empty batch takes any frame
        continue;
      }
      if (n == PacketSource::Next::kError) {
        std::lock_guard lock(mutex);
        failure = source.error();
      }
      publish(batch);
      break;
    }
    std::lock_guard lock(mutex);
    ended = true;
    changed.notify_all();
  }

  // A free batch, or nullptr if the consumer went away.
  FrameBatch* take() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [this] { return !free.empty() || stopping; });
    if (stopping) return nullptr;
    FrameBatch* b = free.back();
    free.pop_back();
    b->clear();
    return b;
  }

  void publish(FrameBatch* b) {
    std::lock_guard lock(mutex);
    if (b->empty()) {
      free.push_back(b);
    } else {
      filled.push_back(b);
    }
    changed.notify_all();
  }

  PacketSource& source;
  std::vector<FrameBatch> batches;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<FrameBatch*> free;   // guarded by mutex
  std::deque<FrameBatch*> filled;  // guarded by mutex
  std::string failure;             // guarded by mutex
  bool ended = false;              // guarded by mutex
  bool stopping = false;           // guarded by mutex
  std::thread worker;
};

BatchReader::BatchReader(PacketSource& source) : state_(std::make_unique<State>(source)) {}

BatchReader::~BatchReader() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    state_->changed.notify_all();
  }
  state_->worker.join();
}

const FrameBatch* BatchReader::next() {
  std::unique_lock lock(state_->mutex);
  state_->changed.wait(lock, [this] { return !state_->filled.empty() || state_->ended; });
  if (state_->filled.empty()) return nullptr;
  FrameBatch* b = state_->filled.front();
  state_->filled.pop_front();
  return b;
}

void BatchReader::release(const FrameBatch* batch) {
  std::lock_guard lock(state_->mutex);
  for (auto& b : state_->batches) {
    if (&b == batch) state_->free.push_back(&b);
  }
  state_->changed.notify_all();
}

std::string BatchReader::error() const {
  std::lock_guard lock(state_->mutex);
  return state_->failure;
}

Result<std::unique_ptr<PacketSource>> openCaptureFile(const std::string& path) {
  const bool isStdin = path == "-";
  const std::string name = isStdin ? "<stdin>" : path;
  const int fd = isStdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return makeError(fmt::format("{}: cannot open capture: {}", name, errnoText(errno)));
  }
  auto stream = std::make_unique<HashingStream>();
  stream->fd = fd;
  stream->ownsFd = !isStdin;
  FILE* wrapped = fopencookie(stream.get(), "rb",
                              cookie_io_functions_t{hashingRead, nullptr, nullptr, hashingClose});
  if (wrapped == nullptr) {
    if (!isStdin) ::close(fd);
    return makeError(fmt::format("{}: cannot open capture stream", name));
  }
  (void)std::setvbuf(wrapped, nullptr, _IOFBF, 1 << 20);  // read (and hash) in 1 MiB chunks
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap =
      pcap_fopen_offline_with_tstamp_precision(wrapped, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (pcap == nullptr) {
    (void)std::fclose(wrapped);
    return makeError(fmt::format("{}: not a readable pcap or pcapng capture: {}", name, errbuf));
  }
  const int dlt = pcap_datalink(pcap);
  auto source = std::make_unique<FileSource>(name, pcap, std::move(stream));
  if (!isSupportedLinkType(dlt)) {
    return makeError(fmt::format("{}: unsupported link type {}", name, linkTypeName(dlt)));
  }
  return std::unique_ptr<PacketSource>(std::move(source));
}

Result<std::unique_ptr<PacketSource>> openLiveCapture(const std::string& interface,
                                                      int64_t deadlineMicros) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_create(interface.c_str(), errbuf);
  if (pcap == nullptr) return makeError(fmt::format("{}: {}", interface, errbuf));
  pcap_set_snaplen(pcap, 65535);
  pcap_set_promisc(pcap, 1);
  pcap_set_timeout(pcap, 100);
  pcap_set_immediate_mode(pcap, 1);
  pcap_set_buffer_size(pcap, 64 << 20);
  pcap_set_tstamp_precision(pcap, PCAP_TSTAMP_PRECISION_MICRO);
  const int rc = pcap_activate(pcap);
  if (rc < 0) {
    std::string why = pcap_geterr(pcap);
    pcap_close(pcap);
    return makeError(fmt::format("{}: cannot capture: {}", interface, why));
  }
  const int dlt = pcap_datalink(pcap);
  if (!isSupportedLinkType(dlt)) {
    pcap_close(pcap);
    return makeError(fmt::format("{}: unsupported link type {}", interface, linkTypeName(dlt)));
  }
  if (pcap_setnonblock(pcap, 1, errbuf) != 0 || pcap_get_selectable_fd(pcap) < 0) {
    pcap_close(pcap);
    return makeError(fmt::format("{}: cannot poll the capture: {}", interface, errbuf));
  }
  return std::unique_ptr<PacketSource>(
      std::make_unique<LiveSource>(interface, pcap, deadlineMicros));
}

}  // namespace mamori::sensor
