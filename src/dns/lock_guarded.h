// LockGuarded<T>: a value reachable only through the mutex that guards it (internal to src/dns).
//
// with(fn) runs fn(T&) under the lock; there is no other way to reach the value, so no code
// path can forget to lock.
#pragma once

#include <mutex>
#include <utility>

namespace mamori::dns {

template <class T>
class LockGuarded {
 public:
  template <class... Args>
  explicit LockGuarded(Args&&... args) : value_(std::forward<Args>(args)...) {}

  template <class Fn>
  decltype(auto) with(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::forward<Fn>(fn)(value_);
  }
  template <class Fn>
  decltype(auto) with(Fn&& fn) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::forward<Fn>(fn)(static_cast<const T&>(value_));
  }

 private:
  mutable std::mutex mutex_;
  T value_;
};

}  // namespace mamori::dns
