// BackgroundHasher: SHA-256 of a byte stream computed on another thread.
//
// Every capture is hashed for the ledger as it is read. SHA-256 runs at about 1.8 GB/s with SHA
// extensions, a quarter of the selection pipeline's time if done inline; here the reader only
// copies each chunk into a bounded queue and a second core hashes it (bench/RESULTS.md).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "mamori/core/crypto.h"

namespace mamori::sensor {

class BackgroundHasher {
 public:
  BackgroundHasher() : worker_([this] { run(); }) {}
  ~BackgroundHasher() {
    if (worker_.joinable()) finish();
  }
  BackgroundHasher(const BackgroundHasher&) = delete;
  BackgroundHasher& operator=(const BackgroundHasher&) = delete;

  // Queues a copy of `bytes`; blocks while kMaxQueued chunks are waiting.
  void update(std::span<const uint8_t> bytes) {
    if (bytes.empty()) return;
    std::unique_lock lock(mutex_);
    spaceFree_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
    std::vector<uint8_t> chunk;
    if (!spare_.empty()) {
      chunk = std::move(spare_.back());
      spare_.pop_back();
    }
    chunk.assign(bytes.begin(), bytes.end());
    queue_.push_back(std::move(chunk));
    bytes_ += bytes.size();
    dataReady_.notify_one();
  }

  // Waits for every queued chunk and returns the digest. Call once.
  Sha256Digest finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
      dataReady_.notify_one();
    }
    worker_.join();
    return hash_.finish();
  }

  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kMaxQueued = 16;

  void run() {
    while (true) {
      std::vector<uint8_t> chunk;
      {
        std::unique_lock lock(mutex_);
        dataReady_.wait(lock, [this] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        chunk = std::move(queue_.front());
        queue_.pop_front();
        spaceFree_.notify_one();
      }
      hash_.update(chunk);
      std::lock_guard lock(mutex_);
      if (spare_.size() < kMaxQueued) spare_.push_back(std::move(chunk));
    }
  }

  std::mutex mutex_;
  std::condition_variable dataReady_;
  std::condition_variable spaceFree_;
  std::deque<std::vector<uint8_t>> queue_;   // guarded by mutex_
  std::vector<std::vector<uint8_t>> spare_;  // guarded by mutex_: reused chunk buffers
  bool done_ = false;                        // guarded by mutex_
  Sha256 hash_;                              // used by the worker only, until finish()
  uint64_t bytes_ = 0;                       // producer side only
  std::thread worker_;
};

}  // namespace mamori::sensor
