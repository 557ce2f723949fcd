#include "mamori/detect/normalize.h"
#include "mamori/core/crypto.h"
#include "ascii.h"

#include <array>

namespace mamori::detect {
namespace {

// Every decoding step below rewrites the string in place: each escape is at least as long as the
// bytes it stands for, so the write index never passes the read index and no scratch buffer is
// needed.

bool isSurrogate(uint32_t cp) {
  return cp >= 0xD800 && cp <= 0xDFFF;
}

// Writes the shortest UTF-8 form of cp (valid scalar value) at s[w]; returns the bytes written.
std::size_t putUtf8(std::string& s, std::size_t w, uint32_t cp) {
  auto byte = [](uint32_t v) { return static_cast<char>(static_cast<unsigned char>(v)); };
  if (cp < 0x80) {
    s[w] = byte(cp);
    return 1;
  }
  if (cp < 0x800) {
    s[w] = byte(0xC0 | (cp >> 6));
    s[w + 1] = byte(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    s[w] = byte(0xE0 | (cp >> 12));
    s[w + 1] = byte(0x80 | ((cp >> 6) & 0x3F));
    s[w + 2] = byte(0x80 | (cp & 0x3F));
    return 3;
  }
  s[w] = byte(0xF0 | (cp >> 18));
  s[w + 1] = byte(0x80 | ((cp >> 12) & 0x3F));
  s[w + 2] = byte(0x80 | ((cp >> 6) & 0x3F));
  s[w + 3] = byte(0x80 | (cp & 0x3F));
  return 4;
}

std::size_t utf8Length(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

// %XX and IIS-style %uXXXX. Malformed escapes stay literal.
bool percentDecode(std::string& s, DecodeStats& stats) {
  const std::size_t n = s.size();
  std::size_t w = 0;
  bool changed = false;
  for (std::size_t r = 0; r < n;) {
    if (s[r] == '%') {
      if (r + 2 < n) {
        const int hi = hexDigitValue(s[r + 1]);
        const int lo = hexDigitValue(s[r + 2]);
        if (hi >= 0 && lo >= 0) {
          s[w++] = static_cast<char>(static_cast<unsigned char>(hi * 16 + lo));
          r += 3;
          changed = true;
          continue;
        }
      }
      if (r + 5 < n && (s[r + 1] == 'u' || s[r + 1] == 'U')) {
        uint32_t cp = 0;
        bool ok = true;
        for (std::size_t k = 2; k < 6; ++k) {
          const int v = hexDigitValue(s[r + k]);
          if (v < 0) {
            ok = false;
            break;
          }
          cp = cp * 16 + static_cast<uint32_t>(v);
        }
        if (ok && !isSurrogate(cp)) {
          w += putUtf8(s, w, cp);
          r += 6;
          changed = true;
          stats.hadPercentU = true;
          continue;
        }
      }
    }
    s[w++] = s[r++];
  }
  s.resize(w);
  return changed;
}

// Overlong UTF-8 (a code point encoded in more bytes than needed, e.g. C0 AE for '.') is what old
// IIS and Tomcat decoders accepted; fold it to the shortest form. Lead bytes F8/FC (5- and 6-byte
// forms of the original UTF-8 definition) are folded too. Anything else stays byte for byte.
bool foldOverlongUtf8(std::string& s, DecodeStats& stats) {
  static constexpr std::array<uint32_t, 7> kMinForLength = {0,       0,        0x80,     0x800,
                                                            0x10000, 0x200000, 0x4000000};
  const std::size_t n = s.size();
  std::size_t w = 0;
  bool changed = false;
  for (std::size_t r = 0; r < n;) {
    const auto lead = static_cast<unsigned char>(s[r]);
    std::size_t len = 0;
    uint32_t cp = 0;
    if ((lead & 0xE0) == 0xC0) {
      len = 2;
      cp = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3;
      cp = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4;
      cp = lead & 0x07u;
    } else if ((lead & 0xFC) == 0xF8) {
      len = 5;
      cp = lead & 0x03u;
    } else if ((lead & 0xFE) == 0xFC) {
      len = 6;
      cp = lead & 0x01u;
    }
    if (len != 0 && len <= n - r) {
      bool ok = true;
      for (std::size_t k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(s[r + k]);
        if ((c & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (c & 0x3Fu);
      }
      if (ok && cp < kMinForLength[len] && cp <= 0x10FFFF && !isSurrogate(cp) &&
          utf8Length(cp) < len) {
        w += putUtf8(s, w, cp);
        r += len;
        changed = true;
        stats.hadOverlongUtf8 = true;
        continue;
      }
    }
    s[w++] = s[r++];
  }
  s.resize(w);
  return changed;
}

struct NamedEntity {
  std::string_view name;  // lowercase, without '&' and ';'
  char value;
};

// The entities that matter for XSS / SQLi payloads; matched case-insensitively (browsers accept
// &LT; and friends) so that lowercasing afterwards cannot create a new entity.
constexpr std::array<NamedEntity, 12> kEntities = {{{"lt", '<'},
                                                    {"gt", '>'},
                                                    {"quot", '"'},
                                                    {"apos", '\''},
                                                    {"amp", '&'},
                                                    {"colon", ':'},
                                                    {"sol", '/'},
                                                    {"lpar", '('},
                                                    {"rpar", ')'},
                                                    {"tab", '\t'},
                                                    {"newline", '\n'},
                                                    {"semi", ';'}}};

// Tries to decode an entity starting at s[r] == '&'. On success writes at s[w], sets the bytes
// consumed and written and returns true.
bool decodeEntityAt(std::string& s, std::size_t r, std::size_t w, std::size_t& consumed,
                    std::size_t& written) {
  const std::size_t n = s.size();
  if (r + 1 < n && s[r + 1] == '#') {
    std::size_t i = r + 2;
    bool hex = false;
    if (i < n && (s[i] == 'x' || s[i] == 'X')) {
      hex = true;
      ++i;
    }
    const std::size_t digitsStart = i;
    uint32_t cp = 0;
    bool tooBig = false;
    for (; i < n; ++i) {
      const int v = hex ? hexDigitValue(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
      if (v < 0) break;
      if (!tooBig) {
        cp = cp * (hex ? 16u : 10u) + static_cast<uint32_t>(v);
        if (cp > 0x10FFFF) tooBig = true;
      }
    }
    if (i == digitsStart || tooBig || isSurrogate(cp)) return false;
    if (i < n && s[i] == ';') ++i;
    consumed = i - r;
    written = putUtf8(s, w, cp);
    return true;
  }
  // Named: "&name;" with ';' required (a bare "&lt" is too common in real query strings).
  for (const NamedEntity& e : kEntities) {
    const std::size_t end = r + 1 + e.name.size();
    if (end < n && s[end] == ';' &&
        equalsIgnoreCase(std::string_view(s).substr(r + 1, e.name.size()), e.name)) {
      s[w] = e.value;
      consumed = e.name.size() + 2;
      written = 1;
      return true;
    }
  }
  return false;
}

bool decodeEntities(std::string& s) {
  const std::size_t n = s.size();
  std::size_t w = 0;
  bool changed = false;
  for (std::size_t r = 0; r < n;) {
    std::size_t consumed = 0;
    std::size_t written = 0;
    if (s[r] == '&' && decodeEntityAt(s, r, w, consumed, written)) {
      w += written;
      r += consumed;
      changed = true;
      continue;
    }
    s[w++] = s[r++];
  }
  s.resize(w);
  return changed;
}

bool removeNul(std::string& s, DecodeStats& stats) {
  std::size_t w = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    if (s[r] != '\0') s[w++] = s[r];
  }
  const bool changed = w != s.size();
  if (changed) stats.hadNullByte = true;
  s.resize(w);
  return changed;
}

}  // namespace

void normalizeValue(std::string_view raw, ValueKind kind, std::string& out, DecodeStats& stats) {
  if (raw.size() > kMaxTargetBytes) {
    raw = raw.substr(0, kMaxTargetBytes);
    stats.truncated = true;
  }
  out.assign(raw);
  if (kind == ValueKind::kQuery) {
    for (char& c : out) {
      if (c == '+') c = ' ';
    }
  }
  uint32_t rounds = 0;
  while (rounds < kMaxDecodeRounds) {
    bool changed = percentDecode(out, stats);
    changed = foldOverlongUtf8(out, stats) || changed;
    if (kind != ValueKind::kPath) changed = decodeEntities(out) || changed;
    changed = removeNul(out, stats) || changed;
    if (!changed) break;
    ++rounds;
  }
  // Conservative: the last allowed round changed the value, so a further one might too.
  if (rounds == kMaxDecodeRounds) stats.decodeLimitHit = true;
  if (rounds > stats.decodeRounds) stats.decodeRounds = rounds;
  for (char& c : out) c = lowerAscii(c);
}

namespace {
// "http://host:port/p?q" (absolute-form, sent to proxies) -> "/p?q"; "http://host?q" -> "?q".
// Only the two web schemes: anything else is left for the classifiers to see whole.
std::string_view stripAbsoluteForm(std::string_view t) {
  std::size_t schemeEnd = 0;
  if (t.size() >= 7 && equalsIgnoreCase(t.substr(0, 7), "http://")) {
    schemeEnd = 7;
  } else if (t.size() >= 8 && equalsIgnoreCase(t.substr(0, 8), "https://")) {
    schemeEnd = 8;
  } else {
    return t;
  }
  const std::size_t end = t.find_first_of("/?", schemeEnd);
  return end == std::string_view::npos ? std::string_view("/") : t.substr(end);
}
}  // namespace

void normalizeTarget(std::string_view rawTarget, NormalizedRequest& out) {
  out.decodedPath.clear();
  out.path.clear();
  out.query.clear();
  out.combined.clear();
  DecodeStats stats;
  if (rawTarget.size() > kMaxTargetBytes) {
    rawTarget = rawTarget.substr(0, kMaxTargetBytes);
    stats.truncated = true;
  }
  rawTarget = stripAbsoluteForm(rawTarget);
  const std::size_t q = rawTarget.find('?');
  out.hasQuery = q != std::string_view::npos;
  const std::string_view rawPath = out.hasQuery ? rawTarget.substr(0, q) : rawTarget;

  // decodedPath: decode (into `path` as scratch), then fold backslashes and '/' runs.
  normalizeValue(rawPath, ValueKind::kPath, out.path, stats);
  out.hadBackslash = false;
  out.decodedPath.reserve(out.path.size());
  for (const char c0 : out.path) {
    char c = c0;
    if (c == '\\') {
      c = '/';
      out.hadBackslash = true;
    }
    if (c == '/' && !out.decodedPath.empty() && out.decodedPath.back() == '/') continue;
    out.decodedPath.push_back(c);
  }

  // path: RFC 3986 remove_dot_segments over decodedPath. Invariant: before each segment, `path`
  // is empty or ends with '/'. Popping scans back only over the segment being removed, so the
  // whole loop stays linear.
  out.hadDotSegments = false;
  out.hadParentSegments = false;
  out.climbedAboveRoot = false;
  std::string& res = out.path;
  const std::string& dp = out.decodedPath;
  res.clear();
  std::size_t i = 0;
  if (!dp.empty() && dp[0] == '/') {
    res.push_back('/');
    i = 1;
  }
  while (i <= dp.size()) {
    std::size_t j = dp.find('/', i);
    if (j == std::string::npos) j = dp.size();
    const std::string_view seg = std::string_view(dp).substr(i, j - i);
    const bool last = j == dp.size();
    if (seg == ".") {
      out.hadDotSegments = true;
    } else if (seg == "..") {
      out.hadDotSegments = true;
      out.hadParentSegments = true;
      if (res.empty() || res == "/") {
        out.climbedAboveRoot = true;
      } else {
        const std::size_t k = res.size() >= 2 ? res.rfind('/', res.size() - 2) : std::string::npos;
        if (k == std::string::npos) {
          res.clear();
        } else {
          res.resize(k + 1);
        }
      }
    } else {
      res.append(seg);
      if (!last) res.push_back('/');
    }
    i = j + 1;
  }

  if (out.hasQuery) {
    normalizeValue(rawTarget.substr(q + 1), ValueKind::kQuery, out.query, stats);
  }

  out.combined.reserve(out.decodedPath.size() + (out.hasQuery ? 1 + out.query.size() : 0));
  out.combined.append(out.decodedPath);
  if (out.hasQuery) {
    out.combined.push_back('?');
    out.combined.append(out.query);
  }

  out.decodeRounds = stats.decodeRounds;
  out.decodeLimitHit = stats.decodeLimitHit;
  out.hadNullByte = stats.hadNullByte;
  out.hadOverlongUtf8 = stats.hadOverlongUtf8;
  out.hadPercentU = stats.hadPercentU;
  out.truncated = stats.truncated;
}

}  // namespace mamori::detect
