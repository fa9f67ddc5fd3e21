// A server linked without glassbox::tls (docs/architecture.md, "TLS"): no OpenSSL mapped, plain
// HTTP works, and HTTPS or an https:// fetch fails with an error that names what to link.
#include "glassbox/transport/http_fetch.hpp"
#include "glassbox/transport/http_server.hpp"
#include "mcp/input_required.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

using namespace glassbox;
using ::testing::HasSubstr;

std::string own_maps() {
  std::ifstream in("/proc/self/maps");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(NoTls, PlainHttpServerMapsNoOpenSsl) {
  transport::HttpServer server({.host = "127.0.0.1", .port = 0}, [](auto) {});
  server.start();
  EXPECT_THAT(server.url(), ::testing::StartsWith("http://127.0.0.1:"));
  std::string maps = own_maps();
  EXPECT_THAT(maps, ::testing::Not(HasSubstr("libssl")));
  EXPECT_THAT(maps, ::testing::Not(HasSubstr("libcrypto")));
  server.stop();
  server.wait();
}

TEST(NoTls, HttpsServerSaysToLinkGlassboxTls) {
  transport::HttpServer server({.host = "127.0.0.1",
                                .port = 0,
                                .tls_certificate_file = "cert.pem",
                                .tls_private_key_file = "key.pem"},
                               [](auto) {});
  try {
    server.start();
    FAIL() << "an HTTPS server started without glassbox::tls";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("an HTTPS server needs TLS"));
    EXPECT_THAT(e.what(), HasSubstr("glassbox::tls"));
  }
}

TEST(NoTls, HttpsFetchSaysToLinkGlassboxTls) {
  // Refused before any connection: nothing listens on port 1, and nothing is dialled.
  try {
    transport::fetch({.url = "https://127.0.0.1:1/x"});
    FAIL() << "an https:// fetch ran without glassbox::tls";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("an https:// request needs TLS"));
    EXPECT_THAT(e.what(), HasSubstr("glassbox::tls"));
  }
  EXPECT_THAT(own_maps(), ::testing::Not(HasSubstr("libcrypto")));
}

// requestState's HMAC loads libcrypto on first use: not mapped before, sealed and opened after.
TEST(NoTls, RequestStateLoadsLibcryptoOnFirstUse) {
  EXPECT_THAT(own_maps(), ::testing::Not(HasSubstr("libcrypto")));
  mcp::RequestStateOptions options{.key = "0123456789abcdef0123456789abcdef"};
  json::object answers{{"q", "a"}};
  std::string sealed = mcp::seal_request_state(options, "tools/call", "echo", answers);
  EXPECT_THAT(own_maps(), HasSubstr("libcrypto"));
  auto opened = mcp::open_request_state(options, "tools/call", "echo", sealed);
  ASSERT_EQ(opened.index(), 0u) << std::get<1>(opened);
  EXPECT_EQ(std::get<0>(opened), answers);
  std::string tampered = sealed;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  auto refused = mcp::open_request_state(options, "tools/call", "echo", tampered);
  ASSERT_EQ(refused.index(), 1u);
  EXPECT_EQ(std::get<1>(refused), "requestState failed its integrity check");
}

}  // namespace
