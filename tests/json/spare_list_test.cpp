// json::SpareList: which spare take() gives, what stays, and what gives way when it is full.
#include "json/spare_list.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>

namespace glassbox::json {
namespace {

using Spares = SpareList<std::shared_ptr<int>, 3>;

TEST(SpareList, TakesTheNewestSpareNothingElseHolds) {
  Spares spares;
  EXPECT_EQ(spares.take(), nullptr);
  auto older = std::make_shared<int>(1), newer = std::make_shared<int>(2);
  int* older_at = older.get();
  int* newer_at = newer.get();
  EXPECT_EQ(spares.keep(std::move(older)), nullptr);
  EXPECT_EQ(spares.keep(std::move(newer)), nullptr);
  EXPECT_EQ(spares.take().get(), newer_at);
  // The newest still held (as the HTTP session its MCP session lets go at its next request) is
  // passed for the one before it.
  auto held = std::make_shared<int>(3);
  EXPECT_EQ(spares.keep(held), nullptr);
  EXPECT_EQ(spares.take().get(), older_at);
  EXPECT_EQ(spares.size(), 1u);
  EXPECT_EQ(spares.take(), nullptr);
}

TEST(SpareList, ASpareStillHeldStaysForALaterTake) {
  Spares spares;
  auto held = std::make_shared<int>(1);
  int* held_at = held.get();
  (void)spares.keep(held);
  EXPECT_EQ(spares.take(), nullptr);
  EXPECT_EQ(spares.size(), 1u);
  held.reset();
  EXPECT_EQ(spares.take().get(), held_at);
  EXPECT_EQ(spares.size(), 0u);
}

TEST(SpareList, AFullListGivesUpItsFirstEntry) {
  Spares spares;
  auto a = std::make_shared<int>(1), b = std::make_shared<int>(2), c = std::make_shared<int>(3);
  for (const auto& held : {a, b, c}) EXPECT_EQ(spares.keep(held), nullptr);
  auto d = std::make_shared<int>(4);
  int* d_at = d.get();
  EXPECT_EQ(spares.keep(std::move(d)), a);  // for its keeper to let go outside its lock
  EXPECT_EQ(spares.size(), 3u);
  EXPECT_EQ(spares.take().get(), d_at);  // the only one nothing else holds
}

TEST(SpareList, AnOwnerSaysWhenASpareIsFree) {
  // The MCP server keeps its sessions' set nodes: a node is free when its session is.
  using Set = std::set<std::shared_ptr<int>>;
  struct Free {
    bool operator()(const Set::node_type& node) const noexcept {
      return node.value().use_count() == 1;
    }
  };
  SpareList<Set::node_type, 2, Free> spares;
  Set set;
  auto held = std::make_shared<int>(1);
  set.insert(held);
  set.insert(std::make_shared<int>(2));
  (void)spares.keep(set.extract(set.begin()));
  (void)spares.keep(set.extract(set.begin()));
  Set::node_type node = spares.take();
  ASSERT_FALSE(node.empty());
  EXPECT_NE(node.value(), held);
  EXPECT_TRUE(spares.take().empty());
  held.reset();
  EXPECT_FALSE(spares.take().empty());
}

}  // namespace
}  // namespace glassbox::json
