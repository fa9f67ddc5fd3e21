#include "glassbox/mcp/schema.hpp"

#include <gtest/gtest.h>

namespace glassbox::mcp {
namespace {

enum class Color { red, green };
BOOST_DESCRIBE_ENUM(Color, red, green)

struct Inner {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Inner, (), (name))

struct Args {
  std::string text;
  int count;
  double ratio;
  bool flag;
  std::vector<std::string> tags;
  std::optional<std::int64_t> limit;
  Color color;
};
BOOST_DESCRIBE_STRUCT(Args, (), (text, count, ratio, flag, tags, limit, color))

json::object parse_object(std::string_view text) {
  return json::parse(text)->as_object();
}

TEST(SchemaOf, DescribedStructGivesTypesAndRequired) {
  EXPECT_EQ(
      json::serialize(schema_of<Args>()),
      R"({"type":"object","properties":{"text":{"type":"string"},"count":{"type":"integer"},)"
      R"("ratio":{"type":"number"},"flag":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},)"
      R"("limit":{"type":"integer"},"color":{"type":"string","enum":["red","green"]}},)"
      R"("required":["text","count","ratio","flag","tags","color"]})");
}

TEST(FromArguments, ConvertsAndLeavesAbsentOptionalsEmpty) {
  Args a = from_arguments<Args>(parse_object(
      R"({"text":"t","count":3,"ratio":0.5,"flag":true,"tags":["x","y"],"color":"green"})"));
  EXPECT_EQ(a.text, "t");
  EXPECT_EQ(a.count, 3);
  EXPECT_DOUBLE_EQ(a.ratio, 0.5);
  EXPECT_TRUE(a.flag);
  EXPECT_EQ(a.tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(a.limit);
  EXPECT_EQ(a.color, Color::green);
}

struct Case {
  const char* instance;
  const char* schema;
  const char* error;  // nullptr: valid
};

class Validate : public ::testing::TestWithParam<Case> {};

TEST_P(Validate, Table) {
  auto problem = validate(*json::parse(GetParam().instance), parse_object(GetParam().schema));
  if (GetParam().error == nullptr) {
    EXPECT_FALSE(problem) << *problem;
  } else {
    ASSERT_TRUE(problem) << GetParam().instance;
    EXPECT_EQ(*problem, GetParam().error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Keywords, Validate,
    ::testing::Values(
        Case{R"({"a":1})", R"({"type":"object","properties":{"a":{"type":"integer"}}})", nullptr},
        Case{R"({"a":1.0})", R"({"properties":{"a":{"type":"integer"}}})", nullptr},
        Case{R"({"a":1.5})", R"({"properties":{"a":{"type":"integer"}}})",
             "arguments.a: expected integer"},
        Case{R"([])", R"({"type":"object"})", "arguments: expected object"},
        Case{R"({})", R"({"required":["x"]})", "arguments: missing required property 'x'"},
        Case{R"({"c":"blue"})", R"({"properties":{"c":{"enum":["red","green"]}}})",
             R"(arguments.c: must be one of ["red","green"])"},
        Case{R"({"n":0})", R"({"properties":{"n":{"type":"number","minimum":1}}})",
             "arguments.n: must be >= 1"},
        Case{R"({"n":11})", R"({"properties":{"n":{"maximum":10}}})", "arguments.n: must be <= 10"},
        Case{R"({"s":"é"})", R"({"properties":{"s":{"minLength":1,"maxLength":1}}})", nullptr},
        Case{R"({"s":""})", R"({"properties":{"s":{"minLength":1}}})",
             "arguments.s: must have at least 1 characters"},
        Case{R"({"l":[1,"x"]})", R"({"properties":{"l":{"items":{"type":"integer"}}}})",
             "arguments.l[1]: expected integer"},
        Case{R"({"l":[]})", R"({"properties":{"l":{"minItems":1}}})",
             "arguments.l: must have at least 1 items"},
        Case{R"({"x":1})", R"({"additionalProperties":false})",
             "arguments.x: is not an allowed property"},
        Case{R"({"v":null})", R"({"properties":{"v":{"type":["string","null"]}}})", nullptr},
        Case{R"({"v":3})",
             R"({"properties":{"v":{"anyOf":[{"type":"string"},{"type":"boolean"}]}}})",
             "arguments.v: matches none of anyOf"},
        Case{R"({"v":"k"})", R"({"properties":{"v":{"const":"k"}}})", nullptr},
        Case{R"({"v":1})", R"({"properties":{"v":{"unknownKeyword":true}}})", nullptr}));

}  // namespace
}  // namespace glassbox::mcp
