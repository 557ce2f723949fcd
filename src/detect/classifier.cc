#include "mamori/detect/classifier.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mamori/core/byte_cursor.h"
#include "mamori/core/secure_file.h"

#include "mamori/detect/sqli.h"
#include "ascii.h"
#include "rules.h"

namespace mamori::detect {
namespace {

using rules::Field;
using rules::Rule;

constexpr std::array<Field, rules::kFieldCount> kFields = {rules::kTarget,  rules::kPath,
                                                           rules::kQuery,   rules::kUserAgent,
                                                           rules::kReferer, rules::kHeader};

constexpr std::size_t fieldIndex(Field f) {
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (kFields[i] == f) return i;
  }
  return 0;
}

// Characters that cannot change how SQL parses a value on their own: a value made only of them
// (an id, a slug, a file name, a token, non-ASCII text) is not worth tokenizing. "--" is the one
// exception among them, since it starts a comment.
bool plainValue(std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                       c == '~' || c >= 0x80 || (c >= 'A' && c <= 'Z') ||
                       (c == '-' && !(i + 1 < v.size() && v[i + 1] == '-'));
    if (!plain) return false;
  }
  return true;
}

// The state one scan reports into.
struct MatchState {
  Detection* out = nullptr;
  std::string_view method;       // as logged
  CategoryMask harmful = 0;      // categories set by rules that are not reconnaissance
  bool apacheTraversal = false;  // rule kApacheTraversalRuleId matched
};

void setRule(Detection& d, Category c, uint32_t id) {
  uint32_t& slot = d.ruleIds[static_cast<std::size_t>(c)];
  // The lowest id wins, so evidence does not depend on which field was scanned first.
  if (slot == 0 || id < slot) slot = id;
  d.categories = static_cast<CategoryMask>(d.categories | maskOf(c));
}

void addCve(Detection& d, std::string_view cve) {
  if (cve.empty()) return;
  for (uint8_t i = 0; i < d.cveCount; ++i) {
    if (d.cves[i] == cve) return;
  }
  if (d.cveCount < kMaxDetectionCves) d.cves[d.cveCount++] = cve;
}

void applyRule(MatchState& st, const Rule& r) {
  if (!r.method.empty() && !equalsIgnoreCase(st.method, r.method)) return;
  Detection& d = *st.out;
  setRule(d, r.category, r.id);
  for (std::size_t c = 0; c < kCategoryCount; ++c) {
    if ((r.also & (1U << c)) != 0) setRule(d, static_cast<Category>(c), r.id);
  }
  if (!r.recon) st.harmful = static_cast<CategoryMask>(st.harmful | maskOf(r.category) | r.also);
  addCve(d, r.cve);
  if (r.id == rules::kApacheTraversalRuleId) st.apacheTraversal = true;
}

int onMatch(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
            unsigned int /*flags*/, void* context) {
  auto* st = static_cast<MatchState*>(context);
  const std::span<const Rule> all = rules::all();
  if (id < all.size()) applyRule(*st, all[id]);
  return 0;  // keep scanning: other rules in this field may match too
}

// The authority of an absolute-form target ("http://host:port/p"), or "" for any other form.
std::string_view absoluteFormAuthority(std::string_view target) {
  std::size_t start = 0;
  if (target.size() >= 7 && equalsIgnoreCase(target.substr(0, 7), "http://")) {
    start = 7;
  } else if (target.size() >= 8 && equalsIgnoreCase(target.substr(0, 8), "https://")) {
    start = 8;
  } else {
    return {};
  }
  const std::size_t end = target.find_first_of("/?#", start);
  return target.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// Where a vulnerable C-string server would see the target end: the first encoded NUL ("%00",
// double-encoded "%2500", "%u0000", overlong "%c0%80"). npos if there is none.
std::size_t encodedNulPosition(std::string_view target) {
  static constexpr std::array<std::string_view, 4> kForms = {"%00", "%2500", "%u0000", "%c0%80"};
  std::size_t best = std::string_view::npos;
  for (std::size_t i = 0; i + 2 < target.size() && i < best; ++i) {
    if (target[i] != '%') continue;
    for (const std::string_view f : kForms) {
      if (i + f.size() <= target.size() && equalsIgnoreCase(target.substr(i, f.size()), f)) {
        best = i;
        break;
      }
    }
  }
  return best;
}

}  // namespace

struct Classifier::Impl {
  std::array<hs_database_t*, rules::kFieldCount> dbs{};
  hs_scratch_t* scratch = nullptr;
  // Decoded header values, reused across requests so the steady state does not allocate.
  std::string userAgent;
  std::string referer;
  std::string host;
  std::string method;
  NormalizedRequest nulCut;  // the target up to its first encoded NUL

  ~Impl() {
    hs_free_scratch(scratch);
    for (hs_database_t* db : dbs) hs_free_database(db);
  }

  void scan(Field f, std::string_view text, MatchState& st) const {
    hs_database_t* db = dbs[fieldIndex(f)];
    if (db == nullptr || text.empty()) return;
    // A scan error (only possible on a build defect such as mismatched scratch) leaves the
    // request with whatever matched so far; the data plane never throws.
    (void)hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, onMatch, &st);
  }
};

Classifier::Classifier() : impl_(std::make_unique<Impl>()) {}
Classifier::~Classifier() = default;

namespace {

// The expressions of one field's database, in the order vectorscan numbers them.
struct FieldExpressions {
  std::vector<const char*> exprs;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;  // index into rules::all()
};

std::array<FieldExpressions, rules::kFieldCount> collectExpressions() {
  std::array<FieldExpressions, rules::kFieldCount> out;
  const std::span<const Rule> all = rules::all();
  for (std::size_t fi = 0; fi < kFields.size(); ++fi) {
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i].pattern == nullptr || (all[i].fields & kFields[fi]) == 0) continue;
      out[fi].exprs.push_back(all[i].pattern);
      // Text is already lowercase; CASELESS keeps a rule right if someone writes it in capitals.
      out[fi].flags.push_back(HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS);
      out[fi].ids.push_back(static_cast<unsigned>(i));
    }
  }
  return out;
}

std::span<const uint8_t> asBytes(const void* p, std::size_t n) {
  return {static_cast<const uint8_t*>(p), n};
}

// What a compiled database depends on: the vectorscan version, the CPU it was compiled for, and
// every expression with its flags and id. Equal keys mean the cached bytes are what compiling
// would produce.
Sha256Digest cacheKey(const std::array<FieldExpressions, rules::kFieldCount>& fields) {
  Sha256 h;
  const std::string_view version = hs_version();
  h.update(asBytes(version.data(), version.size() + 1));
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) {
    h.update(asBytes(&platform.tune, sizeof platform.tune));
    h.update(asBytes(&platform.cpu_features, sizeof platform.cpu_features));
  }
  for (const FieldExpressions& f : fields) {
    const auto n = static_cast<uint64_t>(f.exprs.size());
    h.update(asBytes(&n, sizeof n));
    for (std::size_t i = 0; i < f.exprs.size(); ++i) {
      h.update(asBytes(f.exprs[i], std::strlen(f.exprs[i]) + 1));
      h.update(asBytes(&f.flags[i], sizeof f.flags[i]));
      h.update(asBytes(&f.ids[i], sizeof f.ids[i]));
    }
  }
  return h.finish();
}

// Cache file: "mamori-hsdb-1\n", the key (32 bytes), per field a 32-bit big-endian length and
// vectorscan's serialized database (length 0: no database), then SHA-256 of everything before.
constexpr std::string_view kCacheMagic = "mamori-hsdb-1\n";
constexpr std::size_t kMaxCacheBytes = std::size_t{256} << 20;

void appendU32be(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

}  // namespace

bool Classifier::loadCache(const std::filesystem::path& file, const Sha256Digest& key) {
  auto bytes = readWholeFile(file, kMaxCacheBytes);
  if (!bytes || bytes->size() < kCacheMagic.size() + 2 * key.size()) return false;
  const std::string_view all(*bytes);
  const std::string_view body = all.substr(0, all.size() - key.size());
  const Sha256Digest digest = sha256(asBytes(body.data(), body.size()));
  if (!constantTimeEqual(asBytes(digest.data(), digest.size()),
                         asBytes(all.data() + body.size(), key.size()))) {
    return false;  // truncated or damaged
  }
  ByteCursor cur(asBytes(body.data(), body.size()));
  const auto magic = cur.bytes(kCacheMagic.size());
  const auto storedKey = cur.bytes(key.size());
  if (!cur.ok() || !std::equal(magic.begin(), magic.end(), kCacheMagic.begin()) ||
      !std::equal(storedKey.begin(), storedKey.end(), key.begin())) {
    return false;
  }
  std::array<hs_database_t*, rules::kFieldCount> dbs{};
  bool ok = true;
  for (std::size_t fi = 0; fi < dbs.size() && ok; ++fi) {
    const uint32_t n = cur.u32be();
    const auto db = cur.bytes(n);
    ok = cur.ok() && (n == 0 || hs_deserialize_database(reinterpret_cast<const char*>(db.data()),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): vectorscan takes bytes as char
                                                         n, &dbs[fi]) == HS_SUCCESS);
  }
  ok = ok && cur.remaining() == 0;
  for (std::size_t fi = 0; fi < dbs.size() && ok; ++fi) {
    ok = dbs[fi] == nullptr || hs_alloc_scratch(dbs[fi], &impl_->scratch) == HS_SUCCESS;
  }
  if (!ok) {
    for (hs_database_t* db : dbs) hs_free_database(db);
    return false;
  }
  impl_->dbs = dbs;
  return true;
}

void Classifier::saveCache(const std::filesystem::path& dir, const std::filesystem::path& file,
                           const Sha256Digest& key) const {
  std::string out(kCacheMagic);
  out.append(reinterpret_cast<const char*>(key.data()), key.size());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes as chars
  for (hs_database_t* db : impl_->dbs) {
    char* bytes = nullptr;
    std::size_t n = 0;
    if (db != nullptr && hs_serialize_database(db, &bytes, &n) != HS_SUCCESS) return;
    appendU32be(out, static_cast<uint32_t>(n));
    out.append(bytes == nullptr ? "" : bytes, n);
    std::free(bytes);  // NOLINT(cppcoreguidelines-no-malloc): vectorscan allocates with malloc
  }
  const Sha256Digest digest = sha256(asBytes(out.data(), out.size()));
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes as chars
  if (!createPrivateDirectories(dir)) return;
  // Databases of earlier rule sets or vectorscan versions are never read again.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("detect-") && name.ends_with(".hsdb")) std::filesystem::remove(entry, ec);
  }
  // A failure (read-only directory, a concurrent run writing the same file) only costs the next
  // run a compile.
  (void)writeNewPrivateFile(file, asBytes(out.data(), out.size()));
}

Result<std::unique_ptr<Classifier>> Classifier::create(const std::filesystem::path& cacheDir) {
  std::unique_ptr<Classifier> c(new Classifier());
  const auto fields = collectExpressions();
  const std::span<const Rule> all = rules::all();
  Sha256Digest key{};
  std::filesystem::path cacheFile;
  if (!cacheDir.empty()) {
    key = cacheKey(fields);
    cacheFile = cacheDir / ("detect-" + toHex(key).substr(0, 32) + ".hsdb");
    if (c->loadCache(cacheFile, key)) {
      c->fromCache_ = true;
      return c;
    }
  }
  for (std::size_t fi = 0; fi < kFields.size(); ++fi) {
    const FieldExpressions& f = fields[fi];
    if (f.exprs.empty()) continue;
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(f.exprs.data(), f.flags.data(), f.ids.data(),
                         static_cast<unsigned>(f.exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
      const std::string what = err != nullptr && err->message != nullptr ? err->message : "unknown";
      const int bad = err != nullptr ? err->expression : -1;
      hs_free_compile_error(err);
      const uint32_t ruleId = bad >= 0 ? all[f.ids[static_cast<std::size_t>(bad)]].id : 0;
      return makeError(
          fmt::format("classifier rule {}: pattern rejected by vectorscan: {}", ruleId, what));
    }
    c->impl_->dbs[fi] = db;
    if (hs_alloc_scratch(db, &c->impl_->scratch) != HS_SUCCESS) {
      return makeError("classifier: vectorscan cannot allocate scratch space");
    }
  }
  if (!cacheDir.empty()) c->saveCache(cacheDir, cacheFile, key);
  return c;
}

std::span<const RuleInfo> Classifier::rules() {
  return rules::infos();
}

namespace {

// Runs the tokenizer over one value; true (and evidence in `out`) on an injection.
bool sqliScalar(std::string_view v, Detection& out) {
  if (v.size() < 2 || plainValue(v)) return false;
  const SqliResult r = detectSqli(v);
  if (!r.injection) return false;
  setRule(out, Category::kSqli, kSqliTokenizerRuleId);
  if (out.sqliFingerprint[0] == '\0') {
    static_assert(sizeof(out.sqliFingerprint) >= kMaxSqliFingerprint);
    std::size_t n = 0;
    while (n < kMaxSqliFingerprint && r.fingerprint[n] != '\0') {
      out.sqliFingerprint[n] = r.fingerprint[n];
      ++n;
    }
    if (n < out.sqliFingerprint.size()) out.sqliFingerprint[n] = '\0';
  }
  return true;
}

// A JSON document in a parameter ({"select":["id"],"where":{...}}) is SQL-shaped punctuation
// by nature; what an application could splice into SQL are its string values, so those are what
// the tokenizer reads. Anything else is read whole.
bool sqliValue(std::string_view v, Detection& out) {
  const bool json = v.size() >= 2 && ((v.front() == '{' && v.back() == '}') ||
                                      (v.front() == '[' && v.back() == ']'));
  if (!json) return sqliScalar(v, out);
  std::size_t i = 0;
  while (i < v.size()) {
    if (v[i] != '"') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < v.size() && v[j] != '"') j += v[j] == '\\' ? 2 : 1;
    if (j > v.size()) j = v.size();
    if (sqliScalar(v.substr(i + 1, j - i - 1), out)) return true;
    i = j + 1;
  }
  return false;
}

// Each parameter value of a decoded query ("a=1&b=2"); a parameter without '=' is examined whole.
bool sqliQuery(std::string_view query, Detection& out) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    const std::size_t eq = param.find('=');
    const std::string_view value = eq == std::string_view::npos ? param : param.substr(eq + 1);
    if (sqliValue(value, out)) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

bool sqliPath(std::string_view path, Detection& out) {
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    if (sqliValue(path.substr(0, slash), out)) return true;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

}  // namespace

void Classifier::classify(const HttpRequestLine& request, const NormalizedRequest& normalized,
                          Detection& out) {
  out.clear();
  Impl& m = *impl_;
  MatchState st;
  st.out = &out;
  st.method = request.method;

  m.scan(rules::kTarget, normalized.combined, st);
  m.scan(rules::kPath, normalized.decodedPath, st);
  if (normalized.hasQuery) m.scan(rules::kQuery, normalized.query, st);

  DecodeStats stats;
  if (!request.userAgent.empty() && request.userAgent != "-") {
    normalizeValue(request.userAgent, ValueKind::kText, m.userAgent, stats);
    m.scan(rules::kUserAgent, m.userAgent, st);
  } else {
    m.userAgent.clear();
  }
  if (!request.referer.empty() && request.referer != "-") {
    normalizeValue(request.referer, ValueKind::kText, m.referer, stats);
    m.scan(rules::kReferer, m.referer, st);
  } else {
    m.referer.clear();
  }
  if (!request.host.empty()) {
    normalizeValue(request.host, ValueKind::kText, m.host, stats);
    m.scan(rules::kHeader, m.host, st);
  }
  // normalizeTarget() drops the scheme and authority of an absolute-form target ("GET
  // http://169.254.169.254/ HTTP/1.1", a proxy request); that authority is a Host header in all
  // but name, so it meets the Host rules.
  const std::string_view authority = absoluteFormAuthority(request.target);
  if (!authority.empty()) {
    normalizeValue(authority, ValueKind::kText, m.host, stats);
    m.scan(rules::kHeader, m.host, st);
  }
  if (!request.method.empty()) {
    m.method.assign(request.method);
    for (char& ch : m.method) ch = lowerAscii(ch);
    m.scan(rules::kHeader, m.method, st);
  }

  // "/backup.sql%00.html": the server's file API stops at the NUL, the log keeps the decoy
  // extension. Rules anchored at the end of the path ("\.sql$") must see the name the server saw.
  if (normalized.hadNullByte) {
    const std::size_t nul = encodedNulPosition(request.target);
    if (nul != std::string_view::npos) {
      normalizeTarget(std::string_view(request.target).substr(0, nul), m.nulCut);
      m.scan(rules::kTarget, m.nulCut.combined, st);
      m.scan(rules::kPath, m.nulCut.decodedPath, st);
      if (m.nulCut.hasQuery) m.scan(rules::kQuery, m.nulCut.query, st);
    }
  }

  // The same Apache traversal, encoded twice ("%%32%65"), is the bypass of the first fix.
  if (st.apacheTraversal && normalized.decodeRounds >= 2) addCve(out, "CVE-2021-42013");

  if (normalized.climbedAboveRoot) {
    setRule(out, Category::kPathTraversal, rules::kClimbedAboveRootRuleId);
    st.harmful = static_cast<CategoryMask>(st.harmful | maskOf(Category::kPathTraversal));
  }

  // SQL injection by tokenizing: query values and path segments; the Referer's query (a full URL:
  // its scheme and host are no SQL); the User-Agent only when it carries a quote or comment,
  // since ordinary agents never do and their punctuation would only cost time.
  bool sqli = (normalized.hasQuery && sqliQuery(normalized.query, out)) ||
              sqliPath(normalized.decodedPath, out);
  if (!sqli && !m.referer.empty()) {
    const std::size_t q = m.referer.find('?');
    const bool isUrl = m.referer.starts_with("http://") || m.referer.starts_with("https://");
    if (q != std::string::npos) {
      sqli = sqliQuery(std::string_view(m.referer).substr(q + 1), out);
    } else if (!isUrl) {
      sqli = sqliValue(m.referer, out);
    }
  }
  const std::string_view ua = m.userAgent;
  if (!sqli &&
      (ua.find_first_of("'\"") != std::string_view::npos ||
       ua.find("/*") != std::string_view::npos || ua.find("--") != std::string_view::npos)) {
    sqli = sqliValue(ua, out);
  }
  if (sqli) st.harmful = static_cast<CategoryMask>(st.harmful | maskOf(Category::kSqli));

  out.reconnaissanceOnly = out.categories != 0 && st.harmful == 0;
}

}  // namespace mamori::detect
