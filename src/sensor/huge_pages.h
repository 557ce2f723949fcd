// HugePageVector: a fixed-size array backed by anonymous memory advised for transparent huge
// pages. The flow table's index and pool are hundreds of MB touched at random; with 4 KiB pages
// almost every lookup also misses the TLB.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <type_traits>

namespace mamori::sensor {

template <class T>
class HugePageVector {
 public:
  HugePageVector() = default;
  ~HugePageVector() { release(); }
  HugePageVector(const HugePageVector&) = delete;
  HugePageVector& operator=(const HugePageVector&) = delete;

  // Replaces the contents with `n` zero-filled elements (T must be valid as all-zero bytes, or be
  // assigned before it is read). Anonymous memory is zero until written, so pages that are never
  // used are never backed. Throws std::bad_alloc if the memory cannot be mapped.
  void allocateZeroed(size_t n) {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    release();
    if (n == 0) return;
    bytes_ = n * sizeof(T);
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::madvise(p, bytes_, MADV_HUGEPAGE);  // advisory: fine if the kernel declines
    data_ = static_cast<T*>(p);
    size_ = n;
  }

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void release() {
    if (data_ != nullptr) ::munmap(data_, bytes_);
    data_ = nullptr;
    size_ = bytes_ = 0;
  }
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace mamori::sensor
