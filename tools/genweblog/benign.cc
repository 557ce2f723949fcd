// Benign traffic: page views with their assets, searches and forms, API clients, crawlers and
// monitoring. Sizes come from normalSize() so a path keeps one normal size across the log.
#include <cstdio>

#include "generators.h"
#include "text.h"

namespace mamori::genweblog {
namespace {

const std::vector<std::string_view> kDeadPages = {
    "/news/2019/04/01/old-page.html",    "/en/policy/old.html", "/recruit/2022/", "/shop/item/9981",
    "/wp-content/uploads/2019/logo.png",  // an old CMS link still in someone's bookmarks
};

const std::vector<std::string_view> kExternalReferers = {
    "https://www.google.com/",
    "https://www.google.co.jp/",
    "https://search.yahoo.co.jp/",
    "https://www.bing.com/",
    "https://t.co/Ab3xYz9Q",
    "https://www.facebook.com/",
    "https://news.example.co.jp/articles/2024/06/03/budget?utm_source=rss",
    "https://search.yahoo.co.jp/search?p=%E4%BA%88%E7%AE%97+%E4%BB%A4%E5%92%8C6%E5%B9%B4&ei=UTF-8",
    "https://www.google.com/url?sa=t&rct=j&q=&esrc=s&source=web&cd=&ved=2ahUKEwi",
    "android-app://com.google.android.gm/",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.agency.example.go.jp%2F",
};

std::string trackingParams(Rng& rng) {
  static const std::vector<std::string_view> kSources = {"newsletter", "google",   "twitter",
                                                         "line",       "facebook", "mail_magazine"};
  static const std::vector<std::string_view> kMediums = {"email", "cpc", "social", "referral"};
  static const std::vector<std::string_view> kCampaigns = {"summer_sale_2024", "r6-budget",
                                                           "recruit%202025", "june-news"};
  switch (rng.below(3)) {
    case 0:
      return "utm_source=" + std::string(rng.pick(kSources)) +
             "&utm_medium=" + std::string(rng.pick(kMediums)) +
             "&utm_campaign=" + std::string(rng.pick(kCampaigns));
    case 1:
      return "gclid=Cj0KCQjw" + randomToken(rng, 80, kBase64Url);
    default:
      return "fbclid=IwAR" + randomToken(rng, 59, kBase64Url);
  }
}

int64_t jitter(int64_t size, uint64_t salt, int percent) {
  const int64_t span = size * percent / 100 + 1;
  return size - span / 2 + static_cast<int64_t>(salt % static_cast<uint64_t>(span));
}

}  // namespace

std::string randomPublicIpv4(Rng& rng) {
  while (true) {
    const auto a = static_cast<unsigned>(rng.between(1, 223));
    const auto b = static_cast<unsigned>(rng.between(0, 255));
    if (a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && b >= 16 && b < 32) ||
        (a == 192 && b == 168) || (a == 100 && b >= 64 && b < 128)) {
      continue;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a, b, static_cast<unsigned>(rng.between(0, 255)),
                  static_cast<unsigned>(rng.between(1, 254)));
    return buf;
  }
}

BenignGenerator::BenignGenerator(Rng& rng) {
  for (int i = 0; i < 3000; ++i) {
    if (rng.percent(12)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "240%x:%x:%x:%x::%x",
                    static_cast<unsigned>(rng.between(0, 15)),
                    static_cast<unsigned>(rng.between(0x1000, 0xffff)),
                    static_cast<unsigned>(rng.between(0, 0xffff)),
                    static_cast<unsigned>(rng.between(0, 0xffff)),
                    static_cast<unsigned>(rng.between(1, 0xffff)));
      visitors_.emplace_back(buf);
    } else {
      visitors_.push_back(randomPublicIpv4(rng));
    }
  }
}

std::string BenignGenerator::referer(Rng& rng) {
  const uint32_t r = rng.below(100);
  if (r < 35) return "-";
  if (r < 70) return std::string(kSiteOrigin) + std::string(rng.pick(staticPages()));
  if (r < 72) return std::string(rng.pick(staticPages()));  // a relative referer (rare, legal)
  return std::string(rng.pick(kExternalReferers));
}

void BenignGenerator::make(Rng& rng, Entry& e) {
  e.client = rng.pick(visitors_);
  e.protocol = rng.percent(45) ? "HTTP/2.0" : "HTTP/1.1";
  const uint32_t r = rng.below(100);
  if (r < 27) {
    pageView(rng, e);
  } else if (r < 56) {
    asset(rng, e);
  } else if (r < 80) {
    endpoint(rng, e, Client::kBrowser);
  } else if (r < 91) {
    endpoint(rng, e, Client::kApi);
  } else if (r < 97) {
    bot(rng, e);
  } else if (rng.percent(5)) {
    // A link checker or script fetching a documentation link written with a dot segment.
    // Browsers and curl resolve "../" before sending; these clients send it as written.
    e.userAgent =
        rng.percent(50) ? "python-requests/2.31.0" : "W3C-checklink/5.0.0 libwww-perl/6.68";
    e.target = rng.percent(50) ? "/docs/guide/../api/" : "/docs/v2.1/../guide/install.html";
    e.status = 200;
    e.bytes = normalSize(e.target);
  } else {
    monitor(rng, e);
  }
}

void BenignGenerator::pageView(Rng& rng, Entry& e) {
  e.userAgent = rng.pick(browserAgents());
  e.referer = referer(rng);
  if (rng.percent(2)) {
    e.target = rng.pick(kDeadPages);
    e.status = 404;
    e.bytes = kNotFoundSize;
    return;
  }
  const std::string_view page = rng.pick(staticPages());
  e.target = page;
  if (rng.percent(15)) e.target += "?" + trackingParams(rng);
  if (page == "/news") {
    e.status = 301;
    e.bytes = 233;
  } else if (rng.percent(6)) {
    e.status = 304;
    e.bytes = -1;
  } else {
    e.status = 200;
    e.bytes = jitter(normalSize(page), rng.next(), 2);
  }
}

void BenignGenerator::asset(Rng& rng, Entry& e) {
  e.userAgent = rng.pick(browserAgents());
  e.referer = std::string(kSiteOrigin) + std::string(rng.pick(staticPages()));
  const std::string_view path = rng.pick(assets());
  e.target = path;
  const std::string_view bare = path.substr(0, path.find('?'));
  if (bare == "/apple-touch-icon.png") {
    e.status = 404;
    e.bytes = kNotFoundSize;
  } else if (rng.percent(25)) {
    e.status = 304;
    e.bytes = -1;
  } else {
    e.status = 200;
    e.bytes = normalSize(bare);
  }
}

void BenignGenerator::endpoint(Rng& rng, Entry& e, Client client) {
  std::vector<const Endpoint*> candidates;
  std::vector<uint32_t> weights;
  for (const auto& ep : endpoints()) {
    if (ep.client != client) continue;
    candidates.push_back(&ep);
    weights.push_back(ep.weight);
  }
  const Endpoint& ep = *candidates[rng.weighted(weights)];
  e.method = ep.method;
  e.userAgent = client == Client::kApi ? rng.pick(apiAgents()) : rng.pick(browserAgents());
  e.referer = client == Client::kApi ? "-" : referer(rng);
  std::string query;
  // POST forms carry their fields in the body, which the log does not show.
  if (ep.method != "POST" || rng.percent(40)) {
    for (const auto& p : ep.params) {
      if (!rng.percent(p.presentPercent)) continue;
      if (!query.empty()) query += '&';
      query += p.name;
      query += '=';
      query += encodeBenign(benignValue(p.kind, rng), client, rng);
    }
  }
  if (client == Client::kBrowser && rng.percent(8)) {
    query += (query.empty() ? "" : "&") + trackingParams(rng);
  }
  e.target = std::string(ep.path) + (query.empty() ? "" : "?" + query);
  const int64_t normal = normalSize(ep.path);
  const uint32_t r = rng.below(100);
  if (client == Client::kApi && r < 5) {
    e.status = 401;
    e.bytes = 52;
  } else if (r < 7) {
    e.status = 404;
    e.bytes = client == Client::kApi ? 38 : kNotFoundSize;
  } else if (ep.path == "/login" && e.method == "GET" && r < 30) {
    e.status = 302;
    e.bytes = 0;
  } else if (ep.method == "POST" && ep.client == Client::kBrowser) {
    e.status = rng.percent(70) ? 302 : 200;
    e.bytes = e.status == 302 ? 0 : normal;
  } else {
    e.status = 200;
    e.bytes = jitter(normal, stableHash(query), 20);
  }
}

void BenignGenerator::bot(Rng& rng, Entry& e) {
  static const std::vector<std::string> kBotNets = {"66.249.66.", "66.249.79.", "157.55.39.",
                                                    "40.77.167.", "17.58.101.", "5.255.231."};
  e.client = rng.pick(kBotNets) + std::to_string(rng.between(1, 254));
  e.userAgent = rng.pick(botAgents());
  e.referer = "-";
  e.protocol = "HTTP/1.1";
  const uint32_t r = rng.below(100);
  if (r < 10) {
    e.target = rng.percent(50) ? "/robots.txt" : "/sitemap.xml";
  } else if (r < 70) {
    e.target = rng.pick(staticPages());
    if (e.target == "/news") {
      e.status = 301;
      e.bytes = 233;
      return;
    }
  } else {
    e.target = "/news/detail?id=" + std::to_string(rng.between(1, 999));
  }
  if (rng.percent(10)) {
    e.status = 304;
    e.bytes = -1;
  } else {
    e.status = 200;
    e.bytes = normalSize(e.target.substr(0, e.target.find('?')));
  }
}

void BenignGenerator::monitor(Rng& rng, Entry& e) {
  static const std::vector<std::string_view> kMonitors = {"203.0.113.10", "203.0.113.11",
                                                          "198.51.100.200", "10.0.12.5"};
  e.client = rng.pick(kMonitors);
  e.userAgent = rng.pick(monitorAgents());
  e.referer = "-";
  e.protocol = "HTTP/1.1";
  const uint32_t r = rng.below(100);
  if (r < 40) {
    e.method = "HEAD";
    e.target = "/";
    e.status = 200;
    e.bytes = -1;
  } else if (r < 85) {
    e.target = rng.percent(50) ? "/healthz" : "/api/v1/health?verbose=false";
    e.status = 200;
    e.bytes = 2 + static_cast<int64_t>(r % 3);
  } else {
    e.method = "OPTIONS";
    e.target = "/api/v1/orders";
    e.status = 204;
    e.bytes = -1;
  }
}

}  // namespace mamori::genweblog
