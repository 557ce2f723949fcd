// The simulated web estate: a government agency site, an online shop and a JSON API behind one
// logging front end. Benign traffic and attacks both use these endpoints, so an attack lands in
// a parameter a real application has, and a path has one normal response size across the log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rng.h"

namespace mamori::genweblog {

// One log line and its truth.
struct Entry {
  std::string client;
  std::string user = "-";
  std::string method = "GET";
  std::string target;
  std::string protocol = "HTTP/1.1";
  int status = 200;
  int64_t bytes = -1;  // -1 is logged as "-"
  std::string referer = "-";
  std::string userAgent = "-";
  std::vector<std::string> categories;  // empty: benign
  std::vector<std::string> cves;
};

// What a parameter carries; decides both the benign values and which attacks fit in it.
enum class ValueKind {
  kSearch,
  kId,
  kPage,
  kSort,
  kFile,
  kUrl,
  kLang,
  kYear,
  kJwt,
  kJson,
  kName,
  kEmail,
  kSlug,
  kHost,
  kTemplate,
  kRedirect,
  kMessage,
  kFormat,
  kBase64,
  kDate
};

struct Param {
  std::string_view name;
  ValueKind kind;
  uint32_t presentPercent = 100;  // benign requests include the parameter this often
};

enum class Client { kBrowser, kApi };

struct Endpoint {
  std::string_view path;
  std::vector<Param> params;
  uint32_t weight;
  std::string_view method = "GET";
  Client client = Client::kBrowser;
};

const std::vector<Endpoint>& endpoints();
const std::vector<std::string_view>& staticPages();
const std::vector<std::string_view>& assets();
const std::vector<std::string_view>& browserAgents();
const std::vector<std::string_view>& botAgents();
const std::vector<std::string_view>& monitorAgents();
const std::vector<std::string_view>& apiAgents();
const std::vector<std::string_view>& toolAgents();  // curl & co. used by attackers and admins

// A benign decoded value of the given kind.
std::string benignValue(ValueKind kind, Rng& rng);
// Encodes a benign decoded value as the client would.
std::string encodeBenign(std::string_view value, Client client, Rng& rng);

// The site's normal response size for a path (query excluded): stable across the log.
int64_t normalSize(std::string_view path);
// Size of the site's 404 page.
inline constexpr int64_t kNotFoundSize = 5123;
inline constexpr int64_t kForbiddenSize = 199;
inline constexpr int64_t kBadRequestSize = 226;
inline constexpr int64_t kServerErrorSize = 531;

// The site's own address, for referers.
inline constexpr std::string_view kSiteOrigin = "https://www.agency.example.go.jp";

}  // namespace mamori::genweblog
