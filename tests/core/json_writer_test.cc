#include "mamori/core/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mamori {
namespace {

TEST(JsonWriter, NestedValuesParseBack) {
  JsonWriter w;
  w.beginObject()
      .field("s", "a\"b\\c\n\x01")
      .field("n", uint64_t{18446744073709551615ULL})
      .field("i", int64_t{-5})
      .field("t", true);
  w.key("arr").beginArray().value("x").value(uint16_t{7}).beginObject().field("k", false).endObject().endArray();
  w.key("empty").beginObject().endObject();
  w.key("none").beginArray().endArray();
  w.endObject();
  const auto j = nlohmann::json::parse(w.str());
  EXPECT_EQ(j["s"], "a\"b\\c\n\x01");
  EXPECT_EQ(j["n"].get<uint64_t>(), 18446744073709551615ULL);
  EXPECT_EQ(j["i"], -5);
  EXPECT_EQ(j["t"], true);
  EXPECT_EQ(j["arr"], nlohmann::json::parse(R"(["x",7,{"k":false}])"));
  EXPECT_TRUE(j["empty"].is_object() && j["empty"].empty());
  EXPECT_TRUE(j["none"].is_array() && j["none"].empty());
  // Key order is call order.
  EXPECT_EQ(w.str().substr(0, 6), R"({"s":")");
}

TEST(JsonWriter, NonAsciiBytesAlwaysYieldValidJson) {
  JsonWriter w;
  w.beginObject().field("b", std::string_view("\xff\xfe ok \xc3", 7)).endObject();
  const auto j = nlohmann::json::parse(w.str());  // throws on invalid UTF-8
  EXPECT_EQ(j["b"], "\xef\xbf\xbd\xef\xbf\xbd ok \xef\xbf\xbd");
}

}  // namespace
}  // namespace mamori
