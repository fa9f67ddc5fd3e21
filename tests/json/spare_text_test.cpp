// json::take_spare_text / give_back_spare_text: a thread's spare text rooms, what is kept and
// what is not.
#include "json/spare_text.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace glassbox::json {
namespace {

// Each test runs on a thread of its own: it starts with no spares, whatever ran before.
template <typename F>
void on_fresh_thread(F f) {
  std::thread(f).join();
}

TEST(SpareText, ARoomGivenBackIsTheNextOneTakenOnThatThread) {
  on_fresh_thread([] {
    std::string text = take_spare_text(3000);
    EXPECT_GE(text.capacity(), 3000u);
    text.assign(2500, 'x');
    const char* room = text.data();
    give_back_spare_text(std::move(text));
    std::string again = take_spare_text(2000);
    EXPECT_EQ(again.data(), room);
    EXPECT_GE(again.capacity(), 3000u);
    // Its bytes are the old ones, to be written over; asking for more grows it.
    EXPECT_EQ(again.size(), 2500u);
    give_back_spare_text(std::move(again));
    EXPECT_GE(take_spare_text(100000).capacity(), 100000u);
  });
}

TEST(SpareText, SmallHugeAndSurplusRoomsAreNotKept) {
  on_fresh_thread([] {
    std::string small = take_spare_text(100);
    small.assign(100, 's');
    give_back_spare_text(std::move(small));  // under 1 kB: freed
    std::string huge;
    huge.reserve(512 * 1024);
    give_back_spare_text(std::move(huge));  // over 256 kB: freed
    EXPECT_LT(take_spare_text(10).capacity(), 1024u);

    std::vector<std::string> texts(5);
    std::vector<const char*> rooms;
    for (auto& t : texts) {
      t.reserve(2048);
      rooms.push_back(t.data());
    }
    for (auto& t : texts) give_back_spare_text(std::move(t));  // the fifth is one too many
    for (int i = 3; i >= 0; --i) EXPECT_EQ(take_spare_text(10).data(), rooms[i]);
    EXPECT_LT(take_spare_text(10).capacity(), 1024u);
  });
}

TEST(SpareText, RoomsAreEachThreadsOwn) {
  std::string text;
  text.reserve(4096);
  const char* room = text.data();
  on_fresh_thread([&] { give_back_spare_text(std::move(text)); });
  on_fresh_thread([&] { EXPECT_NE(take_spare_text(10).data(), room); });
}

}  // namespace
}  // namespace glassbox::json
