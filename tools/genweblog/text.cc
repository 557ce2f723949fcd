#include "text.h"

#include <array>
#include <chrono>
#include <cstdio>

namespace mamori::genweblog {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool isAlnum(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void appendPct(std::string& out, unsigned char c) {
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// Length of a pre-encoded escape starting at text[i] ('%' followed by 2 hex or u+4 hex), or 0.
size_t escapeLength(std::string_view text, size_t i) {
  if (text[i] != '%') return 0;
  if (i + 2 < text.size() && isHex(text[i + 1]) && isHex(text[i + 2])) {
    return 3;
  }
  if (i + 5 < text.size() && (text[i + 1] == 'u' || text[i + 1] == 'U') && isHex(text[i + 2]) &&
      isHex(text[i + 3]) && isHex(text[i + 4]) && isHex(text[i + 5])) {
    return 6;
  }
  return 0;
}

// Bytes a tool must encode so the request line stays one line and the query stays parseable.
bool minimalMustEncode(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '#' || c == '&' || c == '"' || c == '%' || c == '+';
}

}  // namespace

std::string encodeValue(std::string_view value, EncodeStyle style, Rng& rng) {
  std::string out;
  out.reserve(value.size() * 2);
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (const size_t n = escapeLength(value, i); n > 0 && style != EncodeStyle::kDouble) {
      out.append(value.substr(i, n));
      i += n - 1;
      continue;
    }
    switch (style) {
      case EncodeStyle::kBrowser:
        if (isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '!' || c == '*' ||
            c == '(' || c == ')') {
          out += static_cast<char>(c);
        } else if (c == ' ') {
          out += '+';
        } else {
          appendPct(out, c);
        }
        break;
      case EncodeStyle::kMinimal:
      case EncodeStyle::kPlus:
        if (c == ' ') {
          if (style == EncodeStyle::kPlus || rng.percent(30)) {
            out += '+';
          } else {
            out += "%20";
          }
        } else if (minimalMustEncode(c)) {
          appendPct(out, c);
        } else {
          out += static_cast<char>(c);
        }
        break;
      case EncodeStyle::kFull:
        // Tools that "encode everything" sometimes encode letters too.
        if (isAlnum(c) && !rng.percent(15)) {
          out += static_cast<char>(c);
        } else {
          appendPct(out, c);
        }
        break;
      case EncodeStyle::kDouble:
        if (isAlnum(c) || c == '-' || c == '_') {
          out += static_cast<char>(c);
        } else {
          out += "%25";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
        break;
      case EncodeStyle::kUnicode:
        if (isAlnum(c) || c == '-' || c == '_') {
          out += static_cast<char>(c);
        } else if (c < 0x80) {
          out += "%u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          appendPct(out, c);
        }
        break;
      case EncodeStyle::kOverlong:
        if (c == '.') {
          out += "%c0%ae";
        } else if (c == '/') {
          out += "%c0%af";
        } else if (c == '\\') {
          out += "%c1%9c";
        } else if (minimalMustEncode(c)) {
          appendPct(out, c);
        } else {
          out += static_cast<char>(c);
        }
        break;
    }
  }
  return out;
}

std::string encodeUtf8Query(std::string_view value) {
  Rng unused(0);
  return encodeValue(value, EncodeStyle::kBrowser, unused);
}

std::string sanitizeTarget(std::string_view target) {
  std::string out;
  out.reserve(target.size());
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) {
      appendPct(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string escapeLogField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char ch : field) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += static_cast<char>(kHex[c >> 4] | 0x20);  // Apache writes lower-case hex
      out += static_cast<char>(kHex[c & 15] | 0x20);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string apacheTime(int64_t unixSeconds, int offsetMinutes) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t local = unixSeconds + int64_t{offsetMinutes} * 60;
  const sys_days day = floor<days>(sys_seconds{seconds{local}});
  const year_month_day ymd{day};
  const int64_t secOfDay = local - duration_cast<seconds>(day.time_since_epoch()).count();
  const int offAbs = offsetMinutes < 0 ? -offsetMinutes : offsetMinutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%02u/%s/%04d:%02d:%02d:%02d %c%02d%02d]",
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(secOfDay / 3600),
                static_cast<int>(secOfDay / 60 % 60), static_cast<int>(secOfDay % 60),
                offsetMinutes < 0 ? '-' : '+', offAbs / 60, offAbs % 60);
  return buf;
}

std::string mixCase(std::string_view text, Rng& rng) {
  std::string out(text);
  for (char& ch : out) {
    if (ch >= 'a' && ch <= 'z' && rng.percent(50)) {
      ch = static_cast<char>(ch - 'a' + 'A');
    } else if (ch >= 'A' && ch <= 'Z' && rng.percent(50)) {
      ch = static_cast<char>(ch - 'A' + 'a');
    }
  }
  return out;
}

std::string randomToken(Rng& rng, size_t length, std::string_view alphabet) {
  std::string out(length, ' ');
  for (char& ch : out) ch = alphabet[rng.index(alphabet.size())];
  return out;
}

std::string replaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace mamori::genweblog
