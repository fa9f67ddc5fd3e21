// requestState's MAC (src/mcp/input_required.cpp calls libcrypto through dlopen) is HMAC-SHA-256
// of the payload: checked against OpenSSL's HMAC called directly, and a tampered payload fails.
#include "glassbox/trace/otlp.hpp"
#include "mcp/input_required.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace {

using namespace glassbox;

TEST(RequestStateMac, IsHmacSha256OfThePayload) {
  mcp::RequestStateOptions options{.key = "Jefe-but-longer-than-that-0123456789"};
  std::string sealed =
      mcp::seal_request_state(options, "tools/call", "echo\n{}", json::object{{"k", 1}});
  std::size_t dot = sealed.rfind('.');
  ASSERT_NE(dot, std::string::npos);
  std::string payload = sealed.substr(0, dot);
  unsigned char expected[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), options.key.data(), static_cast<int>(options.key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), expected, &length);
  ASSERT_EQ(length, 32u);
  EXPECT_EQ(sealed.substr(dot + 1),
            trace::base64_encode(std::string_view(reinterpret_cast<char*>(expected), length)));

  std::string other_payload = payload;
  other_payload[0] = other_payload[0] == 'e' ? 'f' : 'e';
  auto opened = mcp::open_request_state(options, "tools/call", "echo\n{}",
                                        other_payload + sealed.substr(dot));
  ASSERT_EQ(opened.index(), 1u);
  EXPECT_EQ(std::get<1>(opened), "requestState failed its integrity check");
}

}  // namespace
