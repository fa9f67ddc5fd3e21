#include "auth/base64url.hpp"

#include <gtest/gtest.h>

namespace glassbox::auth {
namespace {

TEST(Base64url, RoundTripsEveryLength) {
  // RFC 4648 test vectors, in the url alphabet without padding.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff\x00\x01"})
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
}

TEST(Base64url, RejectsWhatIsNotCanonical) {
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("Zm9v+"));  // the standard alphabet
  EXPECT_FALSE(base64url_decode("Z"));      // 4n+1 characters
  EXPECT_FALSE(base64url_decode("Zh"));     // non-zero leftover bits
  EXPECT_FALSE(base64url_decode("Zm 9v"));
}

}  // namespace
}  // namespace glassbox::auth
