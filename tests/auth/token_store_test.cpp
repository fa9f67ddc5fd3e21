// The token store: 0600 from creation, 0700 directories, refusing a file others can read,
// surviving a corrupt file only as a clear error, and keeping records apart by resource.
#include "glassbox/auth/token_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace glassbox::auth {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/glassbox-token-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  static TokenRecord record(const std::string& token) {
    TokenRecord r;
    r.issuer = "https://as.example";
    r.token_endpoint = "https://as.example/token";
    r.resource = "https://mcp.example/mcp";
    r.client = {.client_id = "id", .client_secret = "s3cret", .dynamic = true};
    r.token.access_token = token;
    r.token.refresh_token = "refresh-" + token;
    r.token.scope = "a b";
    r.token.expires_at = 1234567890;
    return r;
  }

  std::string dir_;
};

TEST_F(TokenStoreTest, CreatesTheFile0600InA0700Directory) {
  ::umask(0);  // even a permissive umask must not widen anything
  std::string path = dir_ + "/nested/glassbox/tokens.json";
  TokenStore store(path);
  store.save("https://mcp.example/mcp", record("t1"));
  ::umask(022);
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(dir_ + "/nested/glassbox"), 0700u);
  EXPECT_EQ(mode_of(path + ".lock"), 0600u);
  // No temporary file left behind.
  for (const auto& entry : fs::directory_iterator(dir_ + "/nested/glassbox"))
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr(".tmp.")));
}

TEST_F(TokenStoreTest, RoundTripsAndKeysByResource) {
  std::string path = dir_ + "/tokens.json";
  TokenStore store(path);
  EXPECT_FALSE(store.load("https://mcp.example/mcp"));  // no file yet: empty, not an error
  store.save("https://mcp.example/mcp", record("t1"));
  store.save("https://other.example/mcp", record("t2"));
  TokenStore again(path);  // another process, as far as the file is concerned
  auto got = again.load("https://mcp.example/mcp");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->token.access_token, "t1");
  EXPECT_EQ(got->token.refresh_token, "refresh-t1");
  EXPECT_EQ(got->token.expires_at, 1234567890);
  EXPECT_EQ(got->client.client_secret, "s3cret");
  EXPECT_TRUE(got->client.dynamic);
  EXPECT_EQ(again.load("https://other.example/mcp")->token.access_token, "t2");
  again.erase("https://mcp.example/mcp");
  EXPECT_FALSE(store.load("https://mcp.example/mcp"));
  EXPECT_TRUE(store.load("https://other.example/mcp"));
  EXPECT_EQ(mode_of(path), 0600u);  // still, after rewrites
}

TEST_F(TokenStoreTest, RefusesAFileOthersCanRead) {
  std::string path = dir_ + "/tokens.json";
  TokenStore(path).save("k", record("t1"));
  ::chmod(path.c_str(), 0644);
  try {
    TokenStore(path).load("k");
    FAIL() << "no error";
  } catch (const TokenStoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("has permissions 0644"));
    EXPECT_THAT(e.what(), HasSubstr("chmod 600"));
  }
  EXPECT_THROW(TokenStore(path).save("k", record("t2")), TokenStoreError);
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(TokenStore(path).load("k")->token.access_token, "t1");  // untouched by the refusal
}

TEST_F(TokenStoreTest, CorruptOrOddFilesAreClearErrors) {
  std::string path = dir_ + "/tokens.json";
  { std::ofstream(path) << "{not json"; }
  ::chmod(path.c_str(), 0600);
  try {
    TokenStore(path).load("k");
    FAIL() << "no error";
  } catch (const TokenStoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not valid JSON"));
  }
  { std::ofstream(path, std::ios::trunc) << R"({"version":1,"records":{"k":7,"j":{"token":[]}}})"; }
  TokenStore store(path);
  EXPECT_FALSE(store.load("k"));                       // not an object: ignored
  EXPECT_EQ(store.load("j")->token.access_token, "");  // wrong types read as empty
  { std::ofstream(path, std::ios::trunc) << ""; }
  EXPECT_FALSE(TokenStore(path).load("k"));  // empty file: empty store
  fs::create_directory(dir_ + "/adir");
  EXPECT_THROW(TokenStore(dir_ + "/adir").load("k"), TokenStoreError);
  fs::create_symlink(path, dir_ + "/link.json");
  EXPECT_THROW(TokenStore(dir_ + "/link.json").load("k"), TokenStoreError);  // O_NOFOLLOW
}

TEST_F(TokenStoreTest, InMemoryWithoutAPath) {
  TokenStore store;
  store.save("k", record("t1"));
  EXPECT_EQ(store.load("k")->token.access_token, "t1");
  store.erase("k");
  EXPECT_FALSE(store.load("k"));
}

TEST_F(TokenStoreTest, DefaultPathFollowsXdg) {
  std::string saved_xdg = std::getenv("XDG_CONFIG_HOME") ? std::getenv("XDG_CONFIG_HOME") : "";
  std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("XDG_CONFIG_HOME", "/x/config", 1);
  EXPECT_EQ(TokenStore::default_path(), "/x/config/glassbox/tokens.json");
  ::setenv("XDG_CONFIG_HOME", "relative", 1);  // the spec says: ignore a relative path
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(TokenStore::default_path(), "/home/u/.config/glassbox/tokens.json");
  ::setenv("HOME", saved_home.c_str(), 1);
  if (saved_xdg.empty()) {
    ::unsetenv("XDG_CONFIG_HOME");
  } else {
    ::setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
  }
}

}  // namespace
}  // namespace glassbox::auth
