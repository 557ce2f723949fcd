// PacketSource: where frames come from — a capture file (pcap or pcapng, or standard input) or a
// live interface, both through libpcap.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mamori/core/result.h"
#include "mamori/sensor/frame_batch.h"

namespace mamori::sensor {

// What a run read, for the ledger: the input's name, and for files the SHA-256 and size of every
// byte of the file (hashed as libpcap reads it, so standard input is covered too).
struct InputIdentity {
  std::string name;
  std::string sha256;  // empty for live interfaces
  uint64_t bytes = 0;
};

class PacketSource {
 public:
  enum class Next : uint8_t { kFrame, kEnd, kError };
  virtual ~PacketSource() = default;

  virtual int linkType() const = 0;
  // Reads the next frame; `frame` stays valid until the next call. On kError, error() says what
  // went wrong, naming the input.
  virtual Next next(std::span<const uint8_t>& frame, int64_t& tsMicros) = 0;
  virtual std::string error() const = 0;
  // Frames the kernel or interface dropped (live capture only).
  virtual uint64_t dropped() const { return 0; }
  // Valid after kEnd or kError (files are hashed to the end even after an error).
  virtual InputIdentity identity() = 0;
};

// Opens a capture file, or standard input for "-". Fails with a message naming the file for a
// missing file, a file that is not pcap/pcapng, or a link type the decoder does not support.
Result<std::unique_ptr<PacketSource>> openCaptureFile(const std::string& path);

// Opens a live interface (needs CAP_NET_RAW). Stops at requestCaptureStop() or when `deadline`
// (microseconds since epoch, 0 = none) passes.
Result<std::unique_ptr<PacketSource>> openLiveCapture(const std::string& interface,
                                                      int64_t deadlineMicros);

// Async-signal-safe: makes live sources end at their next poll (SIGINT / SIGTERM handlers).
void requestCaptureStop();

// Reads a source on its own thread into FrameBatch buffers, so that reading (libpcap, hashing the
// input, copying frames) overlaps with selection on another core. For capture files; a live
// source would hold frames in a half-full batch while the interface is quiet.
class BatchReader {
 public:
  explicit BatchReader(PacketSource& source);
  ~BatchReader();
  BatchReader(const BatchReader&) = delete;
  BatchReader& operator=(const BatchReader&) = delete;

  // The next batch in input order, or nullptr when the input has ended; then error() is empty at a
  // clean end, or names what went wrong. Each batch must be release()d before it can be reused.
  const FrameBatch* next();
  void release(const FrameBatch* batch);
  std::string error() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mamori::sensor
