#include "mamori/sensor/selection_order.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "mamori/core/crypto.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"

namespace mamori::sensor {
namespace {

const char* kOrder = R"({"id":"ord-1","purpose":"botnet C2 investigation",
  "scopes":["foreign-foreign","foreign-domestic","domestic-foreign"],
  "valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z",
  "criteria":[{"id":"c1","ip":"203.0.113.5"},{"id":"c2","prefix":"198.51.100.0/24"},
              {"id":"c3","domain":"evil.example"},{"id":"c4","port":23},
              {"id":"c5","ja4":"t13d1516h2_8daaf6152771_b186095e22b6"},
              {"id":"c6","pattern":"hex:4d 49 52 41 49"},{"id":"c7","ips":["192.0.2.1","2001:db8::/32"]},
              {"id":"c8","ports":[80,8080],"transport":"tcp"},{"id":"c9","pattern":"re:bot[0-9]+","nocase":true}]})";

std::string withField(const std::string& field, const std::string& value) {
  nlohmann::json j = nlohmann::json::parse(kOrder);
  j[field] = nlohmann::json::parse(value);
  return j.dump();
}

TEST(SelectionOrder, ParsesEveryCriterionKind) {
  auto o = parseSelectionOrder(kOrder);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->id, "ord-1");
  EXPECT_TRUE(o->inScope(DirectionClass::kForeignDomestic));
  EXPECT_FALSE(o->inScope(DirectionClass::kDomesticDomestic));
  ASSERT_EQ(o->criteria.size(), 9U);
  EXPECT_EQ(o->criteria[0].kind, Criterion::Kind::kAddress);
  EXPECT_EQ(o->criteria[0].prefixes[0].length, 32);
  EXPECT_EQ(o->criteria[1].prefixes[0].length, 24);
  EXPECT_EQ(o->criteria[2].domains[0], "evil.example");
  EXPECT_EQ(o->criteria[3].ports[0].port, 23);
  EXPECT_EQ(o->criteria[3].ports[0].ipProto, 0);
  EXPECT_EQ(o->criteria[5].pattern, "MIRAI");
  EXPECT_TRUE(o->criteria[5].patternIsLiteral);
  EXPECT_EQ(o->criteria[6].prefixes.size(), 2U);
  EXPECT_EQ(o->criteria[7].ports[1].port, 8080);
  EXPECT_EQ(o->criteria[7].ports[1].ipProto, 6);
  EXPECT_EQ(o->criteria[8].pattern, "bot[0-9]+");
  EXPECT_TRUE(o->criteria[8].caseless);
  EXPECT_EQ(o->validFrom, *parseRfc3339("2026-01-01T00:00:00Z"));
  EXPECT_EQ(o->sha256.size(), 64U);
}

TEST(SelectionOrder, RefusesDomesticDomesticScope) {
  auto o = parseSelectionOrder(withField("scopes", R"(["foreign-foreign","domestic-domestic"])"));
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find("domestic-domestic"), std::string::npos);
}

struct BadCase {
  const char* field;
  const char* value;
  const char* expect;  // substring of the error
};

TEST(SelectionOrder, ErrorsNameTheProblem) {
  const BadCase cases[] = {
      {"scopes", "[]", "scopes"},
      {"scopes", R"(["inside-out"])", "inside-out"},
      {"valid_from", R"("yesterday")", "valid_from"},
      {"valid_until", R"("2025-01-01T00:00:00Z")", "valid_until must be after"},
      {"criteria", "[]", "criteria"},
      {"criteria", R"([{"id":"a","ip":"300.1.1.1"}])", "criteria[0] (a).ip"},
      {"criteria", R"([{"id":"a","prefix":"10.0.0.1/8"}])", "bits set past"},
      {"criteria", R"([{"id":"a","port":0}])", "port must be"},
      {"criteria", R"([{"id":"a","port":70000}])", "port must be"},
      {"criteria", R"([{"id":"a","ip":"1.2.3.4","domain":"x.example"}])", "both"},
      {"criteria", R"([{"id":"a","colour":"red"}])", "unknown field 'colour'"},
      {"criteria", R"([{"id":"a","ip":"1.2.3.4"},{"id":"a","port":1}])", "duplicate criterion id"},
      {"criteria", R"([{"ip":"1.2.3.4"}])", "missing field 'id'"},
      {"criteria", R"([{"id":"a","pattern":"hex:zz"}])", "hex"},
      {"criteria", R"([{"id":"a","ip":"1.2.3.4","transport":"tcp"}])", "transport"},
      {"criteria", R"([{"id":"a","ips":[]}])", "empty"},
      {"extra", "1", "unknown field 'extra'"},
  };
  for (const auto& c : cases) {
    auto o = parseSelectionOrder(withField(c.field, c.value));
    ASSERT_FALSE(o.ok()) << c.field << "=" << c.value;
    EXPECT_NE(o.error().message.find(c.expect), std::string::npos)
        << c.field << "=" << c.value << " gave: " << o.error().message;
  }
  EXPECT_FALSE(parseSelectionOrder("{not json").ok());
  EXPECT_FALSE(parseSelectionOrder("[1,2]").ok());
}

TEST(SelectionOrder, AtMost64Criteria) {
  nlohmann::json j = nlohmann::json::parse(kOrder);
  j["criteria"] = nlohmann::json::array();
  for (int i = 0; i < 65; ++i) j["criteria"].push_back({{"id", "c" + std::to_string(i)}, {"port", i + 1}});
  auto o = parseSelectionOrder(j.dump());
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find("at most 64"), std::string::npos);
  j["criteria"].erase(j["criteria"].end() - 1);
  EXPECT_TRUE(parseSelectionOrder(j.dump()).ok());
}

class SignedOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mamori-order-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }
  std::filesystem::path dir_;
  SigningKey commission_ = SigningKey::generate();
  const int64_t inWindow_ = *parseRfc3339("2026-06-01T00:00:00Z");
};

TEST_F(SignedOrderTest, AcceptsValidSignedOrder) {
  const auto path = write("o.json", dsseSign(commission_, kOrderPayloadType, kOrder));
  auto o = loadSignedOrder(path, commission_.publicKey(), inWindow_);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->id, "ord-1");
}

TEST_F(SignedOrderTest, RefusesUnsignedTamperedForeignKeyAndExpired) {
  // Unsigned: the bare order document.
  auto unsignedOrder = loadSignedOrder(write("u.json", kOrder), commission_.publicKey(), inWindow_);
  ASSERT_FALSE(unsignedOrder.ok());
  EXPECT_NE(unsignedOrder.error().message.find("u.json"), std::string::npos);

  // Signed by someone else.
  const auto other = SigningKey::generate();
  auto foreign = loadSignedOrder(write("f.json", dsseSign(other, kOrderPayloadType, kOrder)),
                                 commission_.publicKey(), inWindow_);
  EXPECT_FALSE(foreign.ok());

  // Tampered: widen the scope inside the signed payload.
  nlohmann::json env = nlohmann::json::parse(dsseSign(commission_, kOrderPayloadType, kOrder));
  std::string tampered(kOrder);
  tampered.replace(tampered.find("ord-1"), 5, "ord-2");
  env["payload"] = base64Encode(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(tampered.data()), tampered.size()));
  EXPECT_FALSE(loadSignedOrder(write("t.json", env.dump()), commission_.publicKey(), inWindow_).ok());

  // Wrong payload type (a signature over some other kind of document).
  EXPECT_FALSE(loadSignedOrder(write("p.json", dsseSign(commission_, "text/plain", kOrder)),
                               commission_.publicKey(), inWindow_)
                   .ok());

  // Expired and not yet valid.
  const auto good = write("g.json", dsseSign(commission_, kOrderPayloadType, kOrder));
  auto expired = loadSignedOrder(good, commission_.publicKey(), *parseRfc3339("2027-01-01T00:00:00Z"));
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message.find("valid from"), std::string::npos);
  EXPECT_FALSE(loadSignedOrder(good, commission_.publicKey(), *parseRfc3339("2025-12-31T23:59:59Z")).ok());

  // A validly signed order with a domestic-domestic scope is still refused.
  const auto dd = withField("scopes", R"(["domestic-domestic"])");
  EXPECT_FALSE(loadSignedOrder(write("d.json", dsseSign(commission_, kOrderPayloadType, dd)),
                               commission_.publicKey(), inWindow_)
                   .ok());
}

}  // namespace
}  // namespace mamori::sensor
