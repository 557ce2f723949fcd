// Attack requests: payloads from the hand-written files placed where real attacks put them
// (parameters the application has, path segments, user agent, referer), with a fixed share of
// them evaded the way scanners and hand exploitation do.
#include <algorithm>
#include <fstream>

#include "generators.h"
#include "mamori/core/result.h"
#include "text.h"

namespace mamori::genweblog {
namespace {

using V = ValueKind;

// Parameters each category's payloads are sent in.
std::vector<ValueKind> kindsFor(std::string_view category) {
  if (category == "sqli")
    return {V::kId, V::kSearch, V::kSort, V::kSlug, V::kYear, V::kPage, V::kName, V::kEmail};
  if (category == "xss") return {V::kSearch, V::kName, V::kMessage, V::kRedirect, V::kSlug};
  if (category == "path-traversal" || category == "sensitive-file") {
    return {V::kFile, V::kTemplate, V::kLang, V::kRedirect};
  }
  if (category == "command-injection") return {V::kHost, V::kFile, V::kEmail, V::kFormat};
  if (category == "ssti") return {V::kName, V::kMessage, V::kTemplate, V::kSearch};
  if (category == "ssrf") return {V::kUrl, V::kRedirect};
  return {V::kSearch, V::kName, V::kMessage, V::kId};  // log4shell and anything else
}

std::vector<std::string> splitOn(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(sep, pos);
    out.emplace_back(text.substr(pos, hit == std::string_view::npos ? text.npos : hit - pos));
    if (hit == std::string_view::npos) break;
    pos = hit + 1;
  }
  return out;
}

bool knownCategory(std::string_view name) {
  const auto& names = categoryNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

AttackPayload parsePayloadLine(const std::string& category, std::string_view line,
                               const std::string& where) {
  AttackPayload p;
  p.category = category;
  if (category == "exploit") {
    const auto fields = splitOn(line, '\t');
    if (fields.size() < 4 || fields.size() > 5) {
      throw Failure(where + ": expected CVEs<TAB>categories<TAB>method<TAB>target[<TAB>agent]");
    }
    p.cves = splitOn(fields[0], ',');
    for (const auto& cve : p.cves) {
      if (cve.rfind("CVE-", 0) != 0) throw Failure(where + ": not a CVE id: " + cve);
    }
    if (fields[1] != "-") {
      for (const auto& c : splitOn(fields[1], ',')) {
        if (!knownCategory(c)) throw Failure(where + ": unknown category " + c);
        p.extraCategories.push_back(c);
      }
    }
    p.method = fields[2];
    p.placement = Placement::kPath;
    p.text = fields[3];
    if (fields.size() == 5) p.userAgent = fields[4];
    return p;
  }
  if (line.size() > 2 && line[0] == '[' && line[1] == '+') {
    const size_t close = line.find("] ");
    if (close == std::string_view::npos) throw Failure(where + ": unterminated [+category]");
    for (auto c : splitOn(line.substr(1, close - 1), ',')) {
      if (c.empty() || c[0] != '+' || !knownCategory(c.substr(1))) {
        throw Failure(where + ": bad extra category " + c);
      }
      p.extraCategories.push_back(c.substr(1));
    }
    line.remove_prefix(close + 2);
  }
  static const std::vector<std::pair<std::string_view, Placement>> kPrefixes = {
      {"ua:", Placement::kUserAgent},
      {"ref:", Placement::kReferer},
      {"any:", Placement::kAny},
      {"param:", Placement::kParam}};
  bool explicitPlacement = false;
  p.placement = Placement::kParam;
  for (const auto& [prefix, placement] : kPrefixes) {
    if (line.substr(0, prefix.size()) == prefix) {
      p.placement = placement;
      line.remove_prefix(prefix.size());
      explicitPlacement = true;
      break;
    }
  }
  if (!explicitPlacement && !line.empty() && line[0] == '/') p.placement = Placement::kPath;
  if (line.empty()) throw Failure(where + ": empty payload");
  p.text = line;
  return p;
}

// Text-level evasions: they change the payload before it is encoded.
std::string evadeText(std::string_view category, std::string text, Rng& rng) {
  const bool caseFree = category == "sqli" || category == "xss";
  const bool fileish = category == "path-traversal" || category == "sensitive-file";
  const uint32_t r = rng.below(100);
  if (caseFree && r < 35) return mixCase(text, rng);
  if (category == "sqli" && r < 65 && text.find(' ') != text.npos) {
    return replaceAll(text, " ", rng.percent(70) ? "/**/" : (rng.percent(50) ? "\t" : "\n"));
  }
  if (category == "command-injection" && r < 50 && text.find(' ') != text.npos) {
    return replaceAll(text, " ", rng.percent(60) ? "${IFS}" : "\t");
  }
  if (fileish && r < 30) return replaceAll(text, "/", "\\");
  if (fileish && r < 55) {
    static const std::vector<std::string_view> kExts = {".png", ".html", ".jpg", ".pdf"};
    return text + std::string(1, '\0') + std::string(rng.pick(kExts));
  }
  if (fileish && r < 70) return replaceAll(text, "../", "....//");
  return text;
}

EncodeStyle evasiveStyle(std::string_view category, Rng& rng) {
  const bool fileish = category == "path-traversal" || category == "sensitive-file";
  const uint32_t r = rng.below(100);
  if (fileish && r < 25) return EncodeStyle::kOverlong;
  if (r < 45) return EncodeStyle::kFull;
  if (r < 70) return EncodeStyle::kDouble;
  if (r < 85) return EncodeStyle::kUnicode;
  return EncodeStyle::kPlus;
}

}  // namespace

std::vector<std::vector<AttackPayload>> loadAttackLibrary(const std::string& dir) {
  std::vector<std::vector<AttackPayload>> library;
  for (const auto& category : categoryNames()) {
    const std::string path = dir + "/" + category + ".txt";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure("cannot read " + path);
    std::vector<AttackPayload> payloads;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      payloads.push_back(parsePayloadLine(category, line, path + ":" + std::to_string(number)));
    }
    if (payloads.empty()) throw Failure(path + ": no payloads");
    library.push_back(std::move(payloads));
  }
  return library;
}

void AttackGenerator::make(const AttackPayload& payload, std::string_view attackerAgent, Rng& rng,
                           Entry& e) {
  e.categories.clear();
  e.categories.push_back(payload.category);
  for (const auto& c : payload.extraCategories) {
    if (std::find(e.categories.begin(), e.categories.end(), c) == e.categories.end()) {
      e.categories.push_back(c);
    }
  }
  e.cves = payload.cves;
  e.method = payload.method.empty() ? "GET" : payload.method;
  e.protocol = rng.percent(90) ? "HTTP/1.1" : "HTTP/1.0";
  e.userAgent = payload.userAgent.empty() ? std::string(attackerAgent) : payload.userAgent;
  e.referer = rng.percent(85) ? "-" : std::string(kSiteOrigin) + "/";

  Placement placement = payload.placement;
  if (placement == Placement::kAny) {
    const uint32_t r = rng.below(100);
    placement = r < 50 ? Placement::kUserAgent : (r < 65 ? Placement::kReferer : Placement::kParam);
  }
  // Exploits are sent as their tools send them, scanners by definition unaltered; header values
  // carry their obfuscation in the payload file.
  const bool evadable = payload.category != "exploit" && payload.category != "scanner" &&
                        (placement == Placement::kParam || placement == Placement::kPath);
  const bool evade = evadable && rng.percent(evasionPercent_);
  if (evadable) ++(evade ? stats_.evaded : stats_.notEvaded);
  std::string path;
  bool knownPath = true;
  switch (placement) {
    case Placement::kParam:
      path = placeInParam(payload, evade, rng, e);
      break;
    case Placement::kPath: {
      std::string target = sanitizeTarget(payload.text);
      if (evade) target = evadePath(payload.category, std::move(target), rng);
      e.target = target;
      path = target.substr(0, target.find('?'));
      knownPath = false;
      break;
    }
    case Placement::kUserAgent:
    case Placement::kReferer:
    case Placement::kAny: {
      if (placement == Placement::kUserAgent) {
        e.userAgent = payload.text;
      } else {
        e.referer = payload.text;
      }
      // The request itself is an ordinary one: a page or a search.
      if (rng.percent(60)) {
        e.target = rng.pick(staticPages());
      } else {
        e.target = "/search?q=" + encodeUtf8Query(benignValue(ValueKind::kSearch, rng));
      }
      path = e.target.substr(0, e.target.find('?'));
      break;
    }
  }
  respond(payload, path, knownPath, rng, e);
}

std::string AttackGenerator::placeInParam(const AttackPayload& payload, bool evade, Rng& rng,
                                          Entry& e) {
  const auto kinds = kindsFor(payload.category);
  std::vector<std::pair<const Endpoint*, size_t>> slots;
  for (const auto& ep : endpoints()) {
    for (size_t i = 0; i < ep.params.size(); ++i) {
      if (std::find(kinds.begin(), kinds.end(), ep.params[i].kind) != kinds.end()) {
        slots.emplace_back(&ep, i);
      }
    }
  }
  const auto& [ep, slot] = slots[rng.index(slots.size())];
  if (ep->method != "GET" && payload.method.empty()) e.method = ep->method;
  std::string value = payload.text;
  EncodeStyle style = rng.percent(50) ? EncodeStyle::kMinimal : EncodeStyle::kBrowser;
  if (evade) {
    // One or two evasions: a text-level one, an encoding-level one, or both.
    const uint32_t r = rng.below(100);
    if (r < 40 || r >= 70) value = evadeText(payload.category, value, rng);
    if (r >= 40) style = evasiveStyle(payload.category, rng);
  }
  std::string query;
  for (size_t i = 0; i < ep->params.size(); ++i) {
    const Param& p = ep->params[i];
    if (i != slot && !rng.percent(p.presentPercent)) continue;
    if (!query.empty()) query += '&';
    query += p.name;
    query += '=';
    query += i == slot ? encodeValue(value, style, rng)
                       : encodeBenign(benignValue(p.kind, rng), ep->client, rng);
  }
  e.target = std::string(ep->path) + "?" + query;
  return std::string(ep->path);
}

std::string AttackGenerator::evadePath(const std::string& category, std::string target, Rng& rng) {
  const size_t q = target.find('?');
  std::string path = target.substr(0, q);
  const std::string rest = q == std::string::npos ? "" : target.substr(q);
  const uint32_t r = rng.below(100);
  if (path.find("../") != std::string::npos) {
    if (r < 20) {
      path = replaceAll(path, "../", "%2e%2e/");
    } else if (r < 40) {
      path = replaceAll(path, "../", "%252e%252e%252f");
    } else if (r < 55) {
      path = replaceAll(path, "../", "%c0%ae%c0%ae/");
    } else if (r < 70) {
      path = replaceAll(path, "../", "..%5c");
    } else if (r < 85) {
      path = replaceAll(path, "../", "..\\");
    } else {
      path = replaceAll(path, "../", "%2e%2e%2f");
    }
  } else if (r < 25) {
    path = "/." + path;  // "/./.env"
  } else if (r < 45) {
    path = "/" + path;  // "//.git/config"
  } else if (r < 70) {
    // Encode the dots: "/%2eenv", "/%2egit/config".
    path = replaceAll(path, ".", "%2e");
  } else if (r < 85 && category == "sensitive-file") {
    path = "/" + mixCase(path.substr(1), rng);  // case-insensitive servers (IIS)
  } else if (rest.empty()) {
    path += "%00.html";
  } else {
    path = replaceAll(path, "/", "%2f");
    path[0] = '/';
    if (path.size() >= 3 && path.substr(0, 3) == "/2f") path.erase(1, 2);
  }
  return path + rest;
}

void AttackGenerator::respond(const AttackPayload& payload, const std::string& path, bool knownPath,
                              Rng& rng, Entry& e) {
  // Percent weights: 403, 404, 400, 200 normal, 200 unusual size, 500.
  std::vector<uint32_t> w;
  if (payload.category == "sqli") {
    w = {20, 5, 10, 40, 10, 15};
  } else if (payload.category == "exploit") {
    w = {25, 45, 10, 10, 5, 5};
  } else if (!knownPath) {
    w = {25, 57, 8, 6, 3, 1};
  } else if (payload.category == "path-traversal" || payload.category == "sensitive-file") {
    w = {25, 25, 15, 25, 8, 2};
  } else {
    w = {25, 15, 10, 38, 7, 5};
  }
  const int64_t normal = knownPath ? normalSize(path) : normalSize("/");
  switch (rng.weighted(w)) {
    case 0:
      e.status = 403;
      e.bytes = kForbiddenSize;
      break;
    case 1:
      e.status = 404;
      e.bytes = kNotFoundSize;
      break;
    case 2:
      e.status = 400;
      e.bytes = kBadRequestSize;
      break;
    case 3:
      e.status = 200;
      e.bytes = normal;  // the application ignored the payload (or an SPA served its index)
      break;
    case 4:
      e.status = 200;
      e.bytes = rng.percent(50) ? normal * 3 + rng.between(20000, 200000) : rng.between(600, 3000);
      break;
    default:
      e.status = 500;
      e.bytes = kServerErrorSize;
      break;
  }
}

}  // namespace mamori::genweblog
