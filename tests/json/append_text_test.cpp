// json::append_text: the same bytes as boost::json::serialize for every kind of value, every
// byte in a string, every depth (the wire shapes the other tests compare depend on it).
#include "json/append_text.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace glassbox::json {
namespace {

std::string written(const boost::json::value& v) {
  std::string out = "x";  // appended to what is there
  append_text(out, v);
  return out.substr(1);
}

TEST(AppendText, EveryKindAsBoostWritesIt) {
  const boost::json::value values[] = {
      nullptr,
      true,
      false,
      0,
      -1,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max(),
      std::numeric_limits<std::uint64_t>::max(),
      0.0,
      -0.0,
      1.5,
      1e300,
      -2.5e-7,
      "",
      "plain",
      boost::json::array{},
      boost::json::object{},
      boost::json::parse(R"({"a":[1,{"b":null},[],{}],"":"","c\"d":{"e\\f":[true,false,1.25]}})"),
  };
  for (const auto& v : values) EXPECT_EQ(written(v), boost::json::serialize(v)) << v;
  EXPECT_EQ(written(boost::json::parse(R"({"k":[1,"two",{"3":null}]})")),
            R"({"k":[1,"two",{"3":null}]})");
}

TEST(AppendText, EveryByteOfAStringIsEscapedAsBoostEscapesIt) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(written(boost::json::value(all)), boost::json::serialize(boost::json::value(all)));
  boost::json::object keyed;
  keyed[all] = all;
  EXPECT_EQ(written(keyed), boost::json::serialize(keyed));
  std::string quoted;
  append_quoted_text(quoted, "a\"b\\c\n\x01\x7f\xc3\xa9");
  EXPECT_EQ(quoted, "\"a\\\"b\\\\c\\n\\u0001\x7f\xc3\xa9\"");
}

// Trees of every shape, made at random from a fixed seed.
boost::json::value random_value(std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto text = [&] {
    std::string s;
    for (int i = pick(12); i > 0; --i)
      s.push_back(static_cast<char>(pick(4) == 0 ? pick(256) : 'a' + pick(26)));
    return s;
  };
  switch (depth > 4 ? pick(6) : pick(8)) {
    case 0:
      return nullptr;
    case 1:
      return pick(2) == 0;
    case 2:
      return static_cast<std::int64_t>(rng()) - (1LL << 31);
    case 3:
      return std::ldexp(static_cast<double>(rng()), pick(80) - 40);
    case 4:
      return static_cast<std::uint64_t>(rng()) << 32 | rng();
    case 5:
      return boost::json::string(text());
    case 6: {
      boost::json::array a;
      for (int i = pick(5); i > 0; --i) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      boost::json::object o;
      for (int i = pick(5); i > 0; --i) o[text()] = random_value(rng, depth + 1);
      return o;
    }
  }
}

TEST(AppendText, RandomTreesAsBoostWritesThem) {
  std::mt19937 rng(2448);
  for (int i = 0; i < 2000; ++i) {
    boost::json::value v = random_value(rng, 0);
    ASSERT_EQ(written(v), boost::json::serialize(v)) << i;
  }
}

// A tree deeper than the writer recurses (one made in code) is written whole all the same.
TEST(AppendText, DeepTreesAreWrittenWhole) {
  boost::json::value v = 1;
  for (int i = 0; i < 5000; ++i) {
    if (i % 2 == 0) {
      v = boost::json::array{std::move(v)};
    } else {
      boost::json::object o;
      o["k"] = std::move(v);
      v = std::move(o);
    }
  }
  EXPECT_EQ(written(v), boost::json::serialize(v));
}

}  // namespace
}  // namespace glassbox::json
