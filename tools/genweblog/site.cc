#include "site.h"

#include "text.h"

namespace mamori::genweblog {
namespace {

using V = ValueKind;

// Weighted phrase lists: the first entries are everyday searches; the later ones are the hard
// benign cases (SQL words, quotes, apostrophes, shell-looking text) that a careless detector
// flags. They are rarer, as in real logs, but always present.
struct Weighted {
  uint32_t weight;
  std::string_view text;
};

const std::vector<Weighted> kSearches = {
    {30, "annual report"},
    {25, "budget"},
    {20, "press release"},
    {20, "passport renewal"},
    {20, "tax return deadline"},
    {15, "job openings"},
    {15, "contact"},
    {12, "opening hours"},
    {12, "subsidy application form"},
    {10, "public comment"},
    {10, "covid vaccine"},
    {10, "privacy policy"},
    {8, "disaster preparedness"},
    {8, "procurement notice 2024"},
    {25, "\xE4\xBA\x88\xE7\xAE\x97"},                          // 予算
    {20, "\xE7\x94\xB3\xE8\xAB\x8B\xE6\x96\xB9\xE6\xB3\x95"},  // 申請方法
    {20,
     "\xE3\x83\x9E\xE3\x82\xA4\xE3\x83\x8A\xE3\x83\xB3\xE3\x83\x90\xE3\x83\xBC"
     "\xE3\x82\xAB\xE3\x83\xBC\xE3\x83\x89"},  // マイナンバーカード
    {12,
     "\xE4\xBB\xA4\xE5\x92\x8C"
     "6\xE5\xB9\xB4\xE5\xBA\xA6 \xE8\xA3\x9C\xE6\xAD\xA3"
     "\xE4\xBA\x88\xE7\xAE\x97"},                              // 令和6年度 補正予算
    {12, "\xE7\xA2\xBA\xE5\xAE\x9A\xE7\x94\xB3\xE5\x91\x8A"},  // 確定申告
    {10,
     "\xE3\x82\xBB\xE3\x82\xAD\xE3\x83\xA5\xE3\x83\xAA\xE3\x83\x86\xE3\x82\xA3 "
     "\xE5\xAF\xBE\xE7\xAD\x96"},                              // セキュリティ 対策
    {10, "\xE6\x8E\xA1\xE7\x94\xA8\xE6\x83\x85\xE5\xA0\xB1"},  // 採用情報
    // Hard cases: SQL keywords in ordinary English.
    {6, "select committee report"},
    {6, "union budget 2024"},
    {6, "drop shipping"},
    {5, "order by date"},
    {5, "delete account help"},
    {5, "where to apply"},
    {4, "update my address"},
    {4, "insert coin"},
    {4, "union station parking"},
    {4, "select all from the list"},
    {3, "having trouble logging in"},
    {3, "null and void"},
    {3, "between 10 and 20 employees"},
    {3, "case study"},
    {3, "table of contents"},
    {3, "exec summary template"},
    {3, "sleep study clinic"},
    {3, "benchmark results 2023"},
    {2, "information schema standard"},
    {2, "true or false quiz"},
    {2, "1 or 2 bedroom"},
    {2, "like or dislike"},
    {2, "count of employees by year"},
    {2, "group by region"},
    // Quotes and apostrophes.
    {5, "O'Brien"},
    {4, "d'Artagnan"},
    {4, "\"tax return\" deadline"},
    {3, "rock 'n' roll"},
    {3, "children's allowance"},
    {3, "what's new"},
    {3, "minister's statement"},
    {2, "\"select committee\" minutes"},
    {2, "it's 'free' or not"},
    {2, "O'Neil's report"},
    // Symbols and code-looking text.
    {3, "R&D grants"},
    {3, "50% off"},
    {2, "100% cotton"},
    {2, "C++ course"},
    {2, "AT&T"},
    {2, "email@example.com"},
    {2, "<3"},
    {2, "a < b and b > c"},
    {2, "java script tutorial"},
    {2, "onload event"},
    {2, "alert settings"},
    {2, "script writing workshop"},
    {2, "how to use grep -r"},
    {2, "ping command windows"},
    {1, "cat /etc/hosts"},
    {1, "wget vs curl"},
    {1, "bash if then else"},
    {1, "powershell get-childitem"},
    {1, "{{ template }} syntax"},
    {1, "${HOME} variable"},
    {1, "dollar sign $ meaning"},
    {1, "windows\\system32 folder"},
    {1, "../ relative path"},
    {1, "etc passwd permissions"},
    {1, "how do I reset my password?"},
    {1, "file:// links not opening"},
};

const std::vector<Weighted> kNames = {
    {10, "Tanaka"},
    {10, "Sato Hanako"},
    {8, "John Smith"},
    {6, "O'Brien"},
    {4, "d'Artagnan"},
    {4, "O'Neil"},
    {4, "D'Angelo"},
    {3,
     "Ren\xC3\xA9"
     "e"},
    {3, "Jos\xC3\xA9"},
    {3, "Anne-Marie"},
    {3, "Smith-Jones"},
    {3, "McDonald"},
    {6, "\xE5\xB1\xB1\xE7\x94\xB0 \xE5\xA4\xAA\xE9\x83\x8E"},
    {1, "Null"},
    {1, "Will Select"},
};

const std::vector<Weighted> kMessages = {
    {10, "Happy birthday!"},
    {8, "Thanks for everything :)"},
    {6, "Merry Christmas & Happy New Year"},
    {5, "See you @ 7pm"},
    {4, "Love you <3"},
    {4, "It's a gift; enjoy"},
    {3, "You're #1"},
    {3, "10/10 would recommend"},
    {3, "Don't forget: dinner at 8"},
    {3, "\"Best\" mom ever"},
    {6,
     "\xE3\x81\x8A\xE8\xAA\x95\xE7\x94\x9F\xE6\x97\xA5\xE3\x81\x8A\xE3\x82\x81\xE3\x81\xA7"
     "\xE3\x81\xA8\xE3\x81\x86"},
    {2, "Congrats -- from all of us"},
    {2, "Good luck! (you won't need it)"},
    {1, "order #1234 & #1235 arrived damaged"},
    {1, "Please delete my account; thanks"},
    {1, "Where is my order? It's been 2 weeks"},
    {1, "1+1=2, right?"},
};

const std::vector<std::string_view> kFiles = {
    "annual-report-2023.pdf",
    "guide_v2.1.pdf",
    "form-A12.xlsx",
    "R6_budget_summary.pdf",
    "press/2024/0603.pdf",
    "docs/manual/chapter-3.html",
    "data/statistics_2023.csv",
    "templates/application.docx",
    "minutes/2024-05-28.pdf",
    "en/overview.pdf",
    "\xE7\x94\xB3\xE8\xAB\x8B\xE6\x9B\xB8.pdf",
    "images/map_tokyo.png",
    "manual v3 (final).pdf",
};

const std::vector<std::string_view> kSorts = {
    "date",
    "-created_at",
    "price_asc",
    "price_desc",
    "name",
    "relevance",
    "newest",
    "created_at desc",
    "updated_at DESC, id ASC",
    "popularity",
    "name,asc",
};

const std::vector<std::string_view> kSlugs = {
    "press", "policy",      "events", "recruit", "budget",      "statistics",  "kitchen", "outdoor",
    "books", "electronics", "garden", "toys",    "rock-n-roll", "men's-shoes", "sale",
};

const std::vector<std::string_view> kUrls = {
    "https://www.agency.example.go.jp/news/",
    "https://cdn.example.net/img/p/123.jpg",
    "https://partner.example.com/hooks/order",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://shop.example.jp/product/view.php?id=42",
    "https://example.org/feed.xml",
    "https://images.example.net/banners/summer.png",
    "https://news.example.co.jp/rss?cat=it",
    "http://www.example.com/",
    "https://hooks.slack.example/services/T000/B000/XXXX",
};

const std::vector<std::string_view> kRedirects = {
    "/account/orders",
    "/mypage/",
    "/apply/form?step=2",
    "/cart",
    "/en/",
    "/news/?page=3",
    "https://www.agency.example.go.jp/mypage/",
    "../list.html",
    "/docs/guide/../api/",
};

const std::vector<std::string_view> kTemplates = {
    "default", "summer", "birthday", "minimal", "dark", "print", "invoice_v2", "letter-a4",
};

const std::vector<std::string_view> kHosts = {
    "example.com",     "8.8.8.8",    "www.agency.example.go.jp", "2001:db8::1",
    "mail.example.jp", "192.0.2.10", "ns1.example.net",          "shop.example.jp",
};

const std::vector<std::string_view> kJson = {
    R"({"status":"open"})",
    R"({"status":"open","tags":["a","b"]})",
    R"({"price":{"gte":100,"lte":500}})",
    R"({"q":"O'Reilly","limit":20})",
    R"({"and":[{"field":"year","eq":2024},{"field":"type","in":["press","notice"]}]})",
    R"({"select":["id","name"],"where":{"active":true}})",
    R"({"sort":{"date":"desc"}})",
};

std::string pickWeighted(const std::vector<Weighted>& list, Rng& rng) {
  std::vector<uint32_t> weights;
  weights.reserve(list.size());
  for (const auto& w : list) weights.push_back(w.weight);
  return std::string(list[rng.weighted(weights)].text);
}

std::string base64Of(size_t bytes, Rng& rng, bool url) {
  std::string out = randomToken(rng, (bytes * 4 + 2) / 3, url ? kBase64Url : kBase64);
  if (!url) {
    while (out.size() % 4 != 0) out += '=';
  }
  return out;
}

std::string jwt(Rng& rng) {
  // Header {"alg":"HS256","typ":"JWT"}; payload and signature random base64url.
  return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ" + randomToken(rng, 60, kBase64Url) + "." +
         randomToken(rng, 43, kBase64Url);
}

}  // namespace

const std::vector<Endpoint>& endpoints() {
  static const std::vector<Endpoint> kEndpoints = {
      // Agency site.
      {"/search", {{"q", V::kSearch}, {"page", V::kPage, 30}, {"lang", V::kLang, 20}}, 60},
      {"/news/list", {{"cat", V::kSlug}, {"year", V::kYear, 60}, {"page", V::kPage, 40}}, 25},
      {"/news/detail", {{"id", V::kId}, {"lang", V::kLang, 30}}, 30},
      {"/download", {{"file", V::kFile}}, 20},
      {"/viewer", {{"doc", V::kFile}, {"page", V::kPage, 50}}, 10},
      {"/apply/form", {{"step", V::kPage}, {"lang", V::kLang, 50}, {"back", V::kRedirect, 10}}, 15},
      {"/contact", {{"name", V::kName}, {"email", V::kEmail}, {"subject", V::kMessage}}, 5, "POST"},
      {"/login", {{"next", V::kRedirect, 70}}, 12},
      {"/events/calendar", {{"date", V::kDate}, {"view", V::kSlug, 50}}, 10},
      {"/preview", {{"template", V::kTemplate}, {"id", V::kId}}, 4},
      {"/proxy/image", {{"url", V::kUrl}, {"w", V::kPage, 60}}, 6},
      {"/share/preview", {{"url", V::kUrl}}, 4},
      // Shop.
      {"/products", {{"category", V::kSlug}, {"sort", V::kSort, 50}, {"page", V::kPage, 40}}, 40},
      {"/product/view.php", {{"id", V::kId}, {"ref", V::kSlug, 20}}, 45},
      {"/catalog/search", {{"keyword", V::kSearch}, {"sort", V::kSort, 30}}, 25},
      {"/review/list", {{"product_id", V::kId}, {"order", V::kSort, 60}}, 12},
      {"/gift/card/preview",
       {{"name", V::kName}, {"message", V::kMessage}, {"template", V::kTemplate, 60}},
       6},
      {"/img/resize", {{"src", V::kUrl}, {"w", V::kPage}}, 8},
      {"/cart/add", {{"item", V::kId}, {"qty", V::kPage}}, 10, "POST"},
      {"/account/orders", {{"page", V::kPage, 50}, {"since", V::kDate, 30}}, 10},
      {"/track", {{"order", V::kId}, {"email", V::kEmail}}, 6},
      // JSON API.
      {"/api/v1/orders",
       {{"status", V::kSlug, 70},
        {"page", V::kPage},
        {"per_page", V::kPage},
        {"sort", V::kSort, 60}},
       30,
       "GET",
       Client::kApi},
      {"/api/v1/users", {{"id", V::kId}, {"fields", V::kSlug, 30}}, 15, "GET", Client::kApi},
      {"/api/v1/search", {{"q", V::kSearch}, {"filter", V::kJson, 60}}, 20, "GET", Client::kApi},
      {"/api/v1/diagnostics/ping", {{"host", V::kHost}}, 3, "GET", Client::kApi},
      {"/api/v1/export", {{"format", V::kFormat}, {"file", V::kFile, 50}}, 5, "GET", Client::kApi},
      {"/api/v1/webhooks/test", {{"url", V::kUrl}}, 3, "POST", Client::kApi},
      {"/api/v1/auth/callback", {{"code", V::kBase64}, {"state", V::kJwt}}, 8, "GET", Client::kApi},
      {"/api/v1/session", {{"token", V::kJwt}}, 10, "GET", Client::kApi},
      {"/api/v1/templates/render",
       {{"name", V::kTemplate}, {"greeting", V::kMessage}},
       4,
       "POST",
       Client::kApi},
      {"/api/v1/upload/status", {{"data", V::kBase64}}, 4, "GET", Client::kApi},
  };
  return kEndpoints;
}

const std::vector<std::string_view>& staticPages() {
  static const std::vector<std::string_view> kPages = {
      "/",
      "/index.html",
      "/about/",
      "/about/organization.html",
      "/ja/policy/budget/r6.html",
      "/ja/policy/budget/r5.html",
      "/news/",
      "/news/2024/06/03/press-0603.html",
      "/news/2024/05/28/minister-statement.html",
      "/news/2024/05/17/public-comment.html",
      "/news/2023/12/01/year-end-notice.html",
      "/en/",
      "/en/policy/digital.html",
      "/en/about/access.html",
      "/recruit/",
      "/recruit/2025/new-graduates.html",
      "/procedures/passport/",
      "/procedures/mynumber/faq.html",
      "/docs/guide/install.html",
      "/docs/guide/configuration.html",
      "/docs/api/index.html",
      "/statistics/2023/population.html",
      "/sitemap.html",
      "/privacy.html",
      "/accessibility.html",
      "/shop/",
      "/shop/sale/summer-2024",
      "/shop/about-us",
      "/shop/faq",
      "/cart",
      "/checkout",
      "/mypage/",
      "/news",                                        // no trailing slash: 301
      "/%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B/2024/",  // /お知らせ/2024/
      "/docs/v2.1/release-notes.html",
      "/downloads/forms/",
  };
  return kPages;
}

const std::vector<std::string_view>& assets() {
  static const std::vector<std::string_view> kAssets = {
      "/assets/css/site.css?v=20240601",
      "/assets/css/print.css",
      "/assets/js/app.min.js?v=3.4.1",
      "/assets/js/vendor/jquery-3.7.1.min.js",
      "/assets/js/analytics.js",
      "/img/logo.svg",
      "/img/hero/summer-2024.jpg",
      "/img/icons/sprite.svg",
      "/favicon.ico",
      "/apple-touch-icon.png",
      "/robots.txt",
      "/sitemap.xml",
      "/fonts/NotoSansJP-Regular.woff2",
      "/fonts/NotoSansJP-Bold.woff2",
      "/img/products/42/main.webp",
      "/img/products/87/thumb.webp",
      "/static/js/main.3f9a2c1e.chunk.js",
      "/static/css/main.8e1b77d0.css",
      "/manifest.webmanifest",
      "/assets/img/banner_%E6%96%B0%E7%9D%80.png",
  };
  return kAssets;
}

const std::vector<std::string_view>& browserAgents() {
  static const std::vector<std::string_view> kAgents = {
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/125.0.0.0 Safari/537.36",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/124.0.0.0 Safari/537.36",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.4.1 Safari/605.1.15",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/125.0.0.0 Safari/537.36",
      "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
      "like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/125.0.6422.53 Mobile Safari/537.36",
      "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
      "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
      "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "CriOS/125.0.6422.80 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Mobile/15E148 Line/14.7.0",
  };
  return kAgents;
}

const std::vector<std::string_view>& botAgents() {
  static const std::vector<std::string_view> kAgents = {
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
      "Gecko) Chrome/125.0.6422.60 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
      "+http://www.google.com/bot.html)",
      "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
      "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
      "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
      "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
      "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
      "Twitterbot/1.0",
      "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
  };
  return kAgents;
}

const std::vector<std::string_view>& monitorAgents() {
  static const std::vector<std::string_view> kAgents = {
      "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
      "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
      "Datadog Agent/7.52.0",
      "kube-probe/1.28",
      "Zabbix",
      "ELB-HealthChecker/2.0",
      "Blackbox Exporter/0.24.0",
      "Mackerel-Check-HTTP/0.1",
  };
  return kAgents;
}

const std::vector<std::string_view>& apiAgents() {
  static const std::vector<std::string_view> kAgents = {
      "python-requests/2.31.0",
      "okhttp/4.12.0",
      "Go-http-client/2.0",
      "axios/1.6.7",
      "PostmanRuntime/7.36.1",
      "Apache-HttpClient/4.5.14 (Java/17.0.9)",
      "AgencyApp/3.2.1 (iPhone; iOS 17.4; Scale/3.00)",
      "AgencyApp/3.2.0 (Android 14; Pixel 7)",
      "curl/8.5.0",
      "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
  };
  return kAgents;
}

const std::vector<std::string_view>& toolAgents() {
  static const std::vector<std::string_view> kAgents = {
      "curl/7.88.1",
      "curl/8.4.0",
      "python-requests/2.28.1",
      "Python-urllib/3.10",
      "Go-http-client/1.1",
      "Wget/1.21.3",
      "Mozilla/5.0",
      "-",
      "libwww-perl/6.68",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/109.0.0.0 Safari/537.36",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
      "Safari/537.36",
      "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:45.0) Gecko/20100101 Firefox/45.0",
  };
  return kAgents;
}

std::string benignValue(ValueKind kind, Rng& rng) {
  switch (kind) {
    case V::kSearch:
      return pickWeighted(kSearches, rng);
    case V::kId:
      return std::to_string(rng.between(1, rng.percent(80) ? 999 : 250000));
    case V::kPage:
      return std::to_string(rng.between(1, rng.percent(85) ? 10 : 200));
    case V::kSort:
      return std::string(rng.pick(kSorts));
    case V::kFile:
      return std::string(rng.pick(kFiles));
    case V::kUrl:
      return std::string(rng.pick(kUrls));
    case V::kLang:
      return rng.percent(60) ? "ja" : (rng.percent(70) ? "en" : "zh-CN");
    case V::kYear:
      return std::to_string(rng.between(2015, 2024));
    case V::kJwt:
      return jwt(rng);
    case V::kJson:
      return std::string(rng.pick(kJson));
    case V::kName:
      return pickWeighted(kNames, rng);
    case V::kEmail: {
      static const std::vector<std::string_view> kLocal = {"taro.yamada", "hanako",  "j.smith",
                                                           "taro+news",   "o'brien", "info"};
      static const std::vector<std::string_view> kDomain = {"example.jp", "example.co.jp",
                                                            "mail.example.com"};
      return std::string(rng.pick(kLocal)) + "@" + std::string(rng.pick(kDomain));
    }
    case V::kSlug:
      return std::string(rng.pick(kSlugs));
    case V::kHost:
      return std::string(rng.pick(kHosts));
    case V::kTemplate:
      return std::string(rng.pick(kTemplates));
    case V::kRedirect:
      return std::string(rng.pick(kRedirects));
    case V::kMessage:
      return pickWeighted(kMessages, rng);
    case V::kFormat:
      return rng.percent(50) ? "csv" : (rng.percent(50) ? "json" : "xlsx");
    case V::kBase64:
      return base64Of(static_cast<size_t>(rng.between(12, 90)), rng, false);
    case V::kDate: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "2024-%02d-%02d", static_cast<int>(rng.between(1, 12)),
                    static_cast<int>(rng.between(1, 28)));
      return buf;
    }
  }
  return "1";
}

std::string encodeBenign(std::string_view value, Client client, Rng& rng) {
  // Browsers submit forms with '+' for spaces; some clients leave apostrophes, slashes, colons
  // and commas raw, which is legal in a query and common in logs.
  if (client == Client::kApi || rng.percent(35)) {
    std::string out;
    for (char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      const bool raw = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~' || c == '\'' || c == '/' ||
                       c == ':' || c == ',' || c == '(' || c == ')' || c == '@' || c == '!' ||
                       c == '*';
      if (raw) {
        out += ch;
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }
  return encodeUtf8Query(value);
}

int64_t normalSize(std::string_view path) {
  const uint64_t h = stableHash(path);
  auto range = [h](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(h % static_cast<uint64_t>(hi - lo));
  };
  auto endsWith = [path](std::string_view s) {
    return path.size() >= s.size() && path.substr(path.size() - s.size()) == s;
  };
  if (path.rfind("/api/", 0) == 0) return range(180, 6000);
  if (endsWith(".css")) return range(4000, 90000);
  if (endsWith(".js")) return range(15000, 420000);
  if (endsWith(".jpg") || endsWith(".png") || endsWith(".webp")) return range(3000, 350000);
  if (endsWith(".svg") || endsWith(".ico")) return range(800, 20000);
  if (endsWith(".woff2")) return range(80000, 2000000);
  if (endsWith(".pdf") || endsWith(".xlsx") || endsWith(".docx")) return range(90000, 3000000);
  if (endsWith(".txt") || endsWith(".xml") || endsWith(".webmanifest")) return range(300, 9000);
  return range(7000, 65000);
}

}  // namespace mamori::genweblog
