// Result<T>: the error model of mamori's data planes (sensor, detect, dns).
//
// Functions on the packet path never throw; they return a [[nodiscard]] Result that holds either
// a value or an Error naming the problem. Control planes (CLI, config loading, hub requests) may
// throw mamori::Failure and catch it at the edge of a command or request.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace mamori {

struct Error {
  std::string message;
};

// Exception used by control planes; caught at the edge of each command / request.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT(google-explicit-constructor): implicit by design, like std::expected
  Result(Error error) : state_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // Control-plane bridge: the value, or throw Failure with the error message.
  T valueOrThrow() && {
    if (!ok()) throw Failure(error().message);
    return std::get<0>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  void valueOrThrow() const {
    if (!ok_) throw Failure(error_.message);
  }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error makeError(std::string message) { return Error{std::move(message)}; }

}  // namespace mamori
