// JsonWriter: NDJSON lines written straight into a string, for records emitted on hot paths (a DOM
// per record costs more than the work that produced it). Keys are written in call order.
//
// Strings are escaped per RFC 8259; bytes outside printable ASCII that are not valid in JSON
// strings as they are (controls) are written as \u00XX, and bytes >= 0x80 as U+FFFD, because the
// record fields are ASCII by construction (parsers escape names) and a record must always parse.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace mamori {

class JsonWriter {
 public:
  JsonWriter& beginObject() { return open('{'); }
  JsonWriter& endObject() { return close('}'); }
  JsonWriter& beginArray() { return open('['); }
  JsonWriter& endArray() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    separator();
    appendString(k);
    out_.push_back(':');
    afterKey_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view v) {
    separator();
    appendString(v);
    return *this;
  }
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(uint64_t v) {
    separator();
    fmt::format_to(std::back_inserter(out_), "{}", v);
    return *this;
  }
  JsonWriter& value(int64_t v) {
    separator();
    fmt::format_to(std::back_inserter(out_), "{}", v);
    return *this;
  }
  JsonWriter& value(uint32_t v) { return value(uint64_t{v}); }
  JsonWriter& value(uint16_t v) { return value(uint64_t{v}); }
  JsonWriter& value(bool v) {
    separator();
    out_.append(v ? "true" : "false");
    return *this;
  }
  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    return key(k).value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  JsonWriter& open(char c) {
    separator();
    out_.push_back(c);
    first_[++depth_] = true;
    return *this;
  }
  JsonWriter& close(char c) {
    out_.push_back(c);
    --depth_;
    return *this;
  }
  void separator() {
    if (afterKey_) {
      afterKey_ = false;
      return;
    }
    if (depth_ > 0 && !first_[depth_]) out_.push_back(',');
    first_[depth_] = false;
  }
  void appendString(std::string_view s) {
    out_.push_back('"');
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(ch);
      } else if (c < 0x20) {
        fmt::format_to(std::back_inserter(out_), "\\u{:04x}", c);
      } else if (c >= 0x80) {
        out_.append("\\ufffd");
      } else {
        out_.push_back(ch);
      }
    }
    out_.push_back('"');
  }

  std::string out_;
  std::array<bool, 32> first_{};  // nesting deeper than 31 is not used by any record
  int depth_ = 0;
  bool afterKey_ = false;
};

}  // namespace mamori
