// secure_random_bytes: every byte asked for is filled, and two draws differ.
#include "glassbox/transport/secure_random.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

namespace glassbox::transport {
namespace {

TEST(SecureRandom, FillsEveryByteAndTwoDrawsDiffer) {
  // Larger than one getrandom(2) call is guaranteed to return whole (256 bytes).
  std::vector<unsigned char> a(1 << 20, 0), b(1 << 20, 0);
  secure_random_bytes(a.data(), a.size());
  secure_random_bytes(b.data(), b.size());
  EXPECT_NE(a, b);
  // The tail was written too: a 4 KiB run of zeros has probability 2^-32768.
  EXPECT_FALSE(std::all_of(a.end() - 4096, a.end(), [](unsigned char c) { return c == 0; }));
  std::array<unsigned char, 1> untouched{0x5a};
  secure_random_bytes(untouched.data(), 0);
  EXPECT_EQ(untouched[0], 0x5a);
}

}  // namespace
}  // namespace glassbox::transport
