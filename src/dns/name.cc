#include "mamori/dns/name.h"

#include <cstring>

namespace mamori::dns {

bool wireNamesEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  // Length octets are at most 63 and so never change under lowerAscii: one loop over all bytes
  // compares the structure and the letters at once.
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

bool Name::appendLabel(std::span<const uint8_t> label) {
  if (label.empty() || label.size() > kMaxLabel) return false;
  const size_t newLength = length_ + 1 + label.size();
  if (newLength > kMaxNameWire) return false;
  const size_t at = length_ - 1;  // overwrite the root byte
  wire_[at] = static_cast<uint8_t>(label.size());
  std::memcpy(&wire_[at + 1], label.data(), label.size());
  wire_[newLength - 1] = 0;
  length_ = static_cast<uint8_t>(newLength);
  ++labels_;
  return true;
}

bool Name::appendName(const Name& tail) {
  const size_t newLength = length_ - 1 + tail.length_;
  if (newLength > kMaxNameWire) return false;
  std::memcpy(&wire_[length_ - 1], tail.wire_.data(), tail.length_);
  length_ = static_cast<uint8_t>(newLength);
  labels_ = static_cast<uint8_t>(labels_ + tail.labels_);
  return true;
}

std::span<const uint8_t> Name::suffix(size_t skip) const {
  size_t pos = 0;
  for (size_t i = 0; i < skip && wire_[pos] != 0; ++i) pos += 1 + wire_[pos];
  return {&wire_[pos], length_ - pos};
}

Result<Name> Name::fromWire(std::span<const uint8_t> wire) {
  Name name;
  size_t pos = 0;
  while (true) {
    if (pos >= wire.size()) return makeError("name runs past its end");
    const uint8_t len = wire[pos];
    if (len == 0) break;
    if (len > kMaxLabel)
      return makeError("label length byte over 63 (compression is not allowed here)");
    if (pos + 1 + len > wire.size()) return makeError("label runs past the end of the name");
    if (!name.appendLabel(wire.subspan(pos + 1, len)))
      return makeError("name longer than 255 bytes");
    pos += 1 + len;
  }
  if (pos + 1 != wire.size()) return makeError("bytes after the root label");
  return name;
}

Result<Name> Name::fromText(std::string_view text, const Name* origin) {
  if (text.empty()) return makeError("empty name");
  if (text == "@") return origin != nullptr ? *origin : Name();
  if (text == ".") return Name();
  Name name;
  uint8_t label[kMaxLabel + 1];
  size_t labelLength = 0;
  bool absolute = false;
  const auto quoted = [&] { return "'" + std::string(text.substr(0, 300)) + "'"; };
  for (size_t i = 0; i < text.size(); ++i) {
    uint8_t c = static_cast<uint8_t>(text[i]);
    if (c == '.') {
      if (labelLength == 0) return makeError("empty label in name " + quoted());
      if (!name.appendLabel(std::span<const uint8_t>(label, labelLength))) {
        return makeError("name longer than 255 bytes: " + quoted());
      }
      labelLength = 0;
      if (i + 1 == text.size()) absolute = true;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) return makeError("name ends with a lone backslash: " + quoted());
      const auto isDigit = [](char d) { return d >= '0' && d <= '9'; };
      if (isDigit(text[i + 1])) {
        if (i + 3 >= text.size() || !isDigit(text[i + 2]) || !isDigit(text[i + 3])) {
          return makeError("bad \\DDD escape in name " + quoted());
        }
        const int value =
            (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (value > 255) return makeError("\\DDD escape over 255 in name " + quoted());
        c = static_cast<uint8_t>(value);
        i += 3;
      } else {
        c = static_cast<uint8_t>(text[i + 1]);
        i += 1;
      }
    }
    if (labelLength == kMaxLabel)
      return makeError("label longer than 63 bytes in name " + quoted());
    label[labelLength++] = c;
  }
  if (labelLength > 0 && !name.appendLabel(std::span<const uint8_t>(label, labelLength))) {
    return makeError("name longer than 255 bytes: " + quoted());
  }
  if (!absolute && origin != nullptr && !name.appendName(*origin)) {
    return makeError("name longer than 255 bytes once the origin is appended: " + quoted());
  }
  return name;
}

void Name::appendText(std::string& out) const {
  if (isRoot()) {
    out.push_back('.');
    return;
  }
  for (size_t pos = 0; wire_[pos] != 0; pos += 1 + wire_[pos]) {
    const size_t len = wire_[pos];
    for (size_t i = pos + 1; i <= pos + len; ++i) {
      const uint8_t c = wire_[i];
      if (c < 0x21 || c > 0x7e) {
        char buf[5];
        buf[0] = '\\';
        buf[1] = static_cast<char>('0' + c / 100);
        buf[2] = static_cast<char>('0' + (c / 10) % 10);
        buf[3] = static_cast<char>('0' + c % 10);
        out.append(buf, 4);
        continue;
      }
      switch (c) {
        case '.':
        case '\\':
        case '"':
        case '(':
        case ')':
        case ';':
        case '@':
        case '$':
          out.push_back('\\');
          break;
        default:
          break;
      }
      out.push_back(static_cast<char>(c));
    }
    out.push_back('.');
  }
}

std::string Name::toText() const {
  std::string out;
  appendText(out);
  return out;
}

Name Name::lowercased() const {
  Name out = *this;
  for (size_t i = 0; i < length_; ++i) out.wire_[i] = lowerAscii(wire_[i]);
  return out;
}

bool Name::isSubdomainOf(const Name& ancestor) const {
  if (ancestor.labels_ > labels_) return false;
  return wireNamesEqual(suffix(labels_ - ancestor.labels_), ancestor.wire());
}

}  // namespace mamori::dns
