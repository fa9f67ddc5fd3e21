// MCP 2026-07-28 over Streamable HTTP, server side: no session, the standard headers checked
// against the body (-32020, HTTP 400), the errors of a sessionless request with their HTTP
// status (400 for -32021/-32022, 404 for -32601), and 2025-11-25 sessions beside it.
#include "glassbox/mcp/protocol_revision.hpp"
#include "glassbox/mcp/serve_http.hpp"
#include "support/http_request.hpp"

#include <gtest/gtest.h>

namespace glassbox::mcp {
namespace {

using json::object;
using Headers = std::vector<std::pair<std::string, std::string>>;
namespace http = boost::beast::http;

class StatelessHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.add_tool({.name = "ask"}, [](const object&, RequestContext& ctx) {
      ctx.elicit({{"message", "?"}}, "q");
      return CallToolResult::text("answered");
    });
    object region{{"type", "object"},
                  {"properties",
                   {{"region", {{"type", "string"}, {kXMcpHeaderAnnotation, "Region"}}},
                    {"count", {{"type", "integer"}, {kXMcpHeaderAnnotation, "Count"}}}}}};
    server_.add_tool({.name = "regional", .input_schema = std::move(region)},
                     [](const object&, RequestContext&) { return CallToolResult::text("ok"); });
    server_.add_tool({.name = "plain"},
                     [](const object&, RequestContext&) { return CallToolResult::text("plain"); });
    http_ = start_http(server_);
  }

  static std::string body(std::string_view method, object params, object meta_extra = {}) {
    object meta{{kMetaProtocolVersion, kProtocol2026_07_28}, {kMetaClientCapabilities, object{}}};
    for (auto& [k, v] : meta_extra) meta[k] = v;
    params["_meta"] = std::move(meta);
    return json::serialize(json::value(
        object{{"jsonrpc", "2.0"}, {"id", 7}, {"method", method}, {"params", std::move(params)}}));
  }
  testing::Reply post(const std::string& payload, Headers headers) {
    headers.emplace_back("Accept", "application/json, text/event-stream");
    return testing::request(http_->port(), http::verb::post, "/mcp", payload, "application/json",
                            {}, headers);
  }
  static Headers standard(std::string method, std::string name = {}) {
    Headers h{{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", std::move(method)}};
    if (!name.empty()) h.emplace_back("Mcp-Name", std::move(name));
    return h;
  }
  static int error_code(const testing::Reply& reply) {
    auto v = json::parse(reply.body);
    if (!v) return 0;
    return static_cast<int>(v->at("error").at("code").as_int64());
  }

  Server server_{{.name = "http-2026"}};
  std::unique_ptr<transport::HttpServer> http_;
};

TEST_F(StatelessHttp, ARequestIsServedWithoutASession) {
  testing::Reply r = post(body("tools/call", {{"name", "plain"}}), standard("tools/call", "plain"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.session_id.empty());
  EXPECT_NE(r.body.find(R"("resultType":"complete")"), std::string::npos) << r.body;
}

TEST_F(StatelessHttp, HeadersThatDisagreeWithTheBodyAreHeaderMismatch) {
  std::string payload = body("tools/call", {{"name", "plain"}});
  struct Case {
    const char* what;
    Headers headers;
  };
  for (const Case& c : {
           Case{"no version header", {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "plain"}}},
           Case{"another method", standard("tools/list", "plain")},
           Case{"no method header",
                {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Name", "plain"}}},
           Case{"another name", standard("tools/call", "other")},
           Case{"no name", standard("tools/call")},
       }) {
    testing::Reply r = post(payload, c.headers);
    EXPECT_EQ(r.status, 400) << c.what;
    EXPECT_EQ(error_code(r), kHeaderMismatch) << c.what << ": " << r.body;
  }
  // Header names are case-insensitive, and a Base64-wrapped name is decoded.
  testing::Reply lower = post(payload, {{"mcp-protocol-version", "2026-07-28"},
                                        {"mcp-method", "tools/call"},
                                        {"mcp-name", "=?base64?cGxhaW4=?="}});
  EXPECT_EQ(lower.status, 200) << lower.body;
}

TEST_F(StatelessHttp, VersionMismatchBetweenHeaderAndBodyIsHeaderMismatch) {
  std::string payload =
      body("tools/list", {}, {{std::string(kMetaProtocolVersion), json::value("2099-01-01")}});
  testing::Reply r = post(payload, standard("tools/list"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), kHeaderMismatch);
  Headers same{{"MCP-Protocol-Version", "2099-01-01"}, {"Mcp-Method", "tools/list"}};
  testing::Reply unknown = post(payload, same);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_code(unknown), kUnsupportedProtocolVersion) << unknown.body;
}

TEST_F(StatelessHttp, ErrorsOfASessionlessRequestCarryTheirHttpStatus) {
  testing::Reply missing =
      post(body("tools/call", {{"name", "ask"}}), standard("tools/call", "ask"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.content_type, "application/json");
  EXPECT_EQ(error_code(missing), kMissingRequiredClientCapability);
  testing::Reply unknown = post(body("no/such", {}), standard("no/such"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code(unknown), jsonrpc::error_code::kMethodNotFound);
  testing::Reply removed = post(body("ping", {}), standard("ping"));
  EXPECT_EQ(removed.status, 404);
  EXPECT_EQ(error_code(removed), jsonrpc::error_code::kMethodNotFound);
}

// SEP-2243 (http-custom-header-server-validation): Mcp-Param-<Name> against the argument the
// tool's inputSchema annotates with x-mcp-header. The exact refusal: HTTP 400, a JSON-RPC error
// with the request's id, -32020, and a message naming the header.
TEST_F(StatelessHttp, ParamHeadersMustAgreeWithTheAnnotatedArguments) {
  auto call = [&](object arguments, Headers extra) {
    Headers h = standard("tools/call", "regional");
    for (auto& e : extra) h.push_back(std::move(e));
    return post(body("tools/call", {{"name", "regional"}, {"arguments", std::move(arguments)}}), h);
  };
  struct Accepted {
    const char* what;
    object arguments;
    Headers headers;
  };
  for (const Accepted& c : {
           Accepted{"plain value", {{"region", "Hello"}}, {{"Mcp-Param-Region", "Hello"}}},
           Accepted{"Base64 value",
                    {{"region", "Hello"}},
                    {{"mcp-param-region", "=?base64?SGVsbG8=?="}}},
           Accepted{"spaces around", {{"region", "Hello"}}, {{"Mcp-Param-Region", "  Hello "}}},
           Accepted{"literal without the wrapper",
                    {{"region", "SGVsbG8="}},
                    {{"Mcp-Param-Region", "SGVsbG8="}}},
           Accepted{"literal without the suffix",
                    {{"region", "=?base64?SGVsbG8="}},
                    {{"Mcp-Param-Region", "=?base64?SGVsbG8="}}},
           Accepted{"integer in decimal",
                    {{"region", "x"}, {"count", 42}},
                    {{"Mcp-Param-Region", "x"}, {"MCP-PARAM-COUNT", "42"}}},
           Accepted{"no argument, no header", {}, {}},
       }) {
    testing::Reply r = call(c.arguments, c.headers);
    EXPECT_EQ(r.status, 200) << c.what << ": " << r.body;
  }
  struct Refused {
    const char* what;
    object arguments;
    Headers headers;
    const char* message;
  };
  for (const Refused& c : {
           Refused{"another value",
                   {{"region", "Hello"}},
                   {{"Mcp-Param-Region", "World"}},
                   "Mcp-Param-Region header does not match params.arguments"},
           Refused{"missing header",
                   {{"region", "test-value"}},
                   {},
                   "missing Mcp-Param-Region header (params.arguments has its value)"},
           Refused{"header without argument",
                   {},
                   {{"Mcp-Param-Region", "Hello"}},
                   "Mcp-Param-Region header has no value in params.arguments to agree with"},
           Refused{"Base64 without padding",
                   {{"region", "Hello"}},
                   {{"Mcp-Param-Region", "=?base64?SGVsbG8?="}},
                   "Mcp-Param-Region header holds invalid Base64"},
           Refused{"Base64 with other characters",
                   {{"region", "Hello"}},
                   {{"Mcp-Param-Region", "=?base64?SGVs!!!bG8=?="}},
                   "Mcp-Param-Region header holds invalid Base64"},
           Refused{"integer differs",
                   {{"region", "x"}, {"count", 42}},
                   {{"Mcp-Param-Region", "x"}, {"Mcp-Param-Count", "41"}},
                   "Mcp-Param-Count header does not match params.arguments"},
       }) {
    testing::Reply r = call(c.arguments, c.headers);
    EXPECT_EQ(r.status, 400) << c.what;
    EXPECT_EQ(r.content_type, "application/json") << c.what;
    auto v = json::parse(r.body);
    ASSERT_TRUE(v) << c.what << ": " << r.body;
    EXPECT_EQ(*v, json::parse(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32020,"message":")" +
                              std::string(c.message) + R"("}})")
                      .value())
        << c.what << ": " << r.body;
  }
}

TEST_F(StatelessHttp, SessionsOf2025StillStartWithInitialize) {
  std::string init =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
      R"("capabilities":{},"clientInfo":{"name":"c","version":"1"}}})";
  testing::Reply r = post(init, {});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.session_id.empty());
  EXPECT_EQ(r.body.find("resultType"), std::string::npos);
}

}  // namespace
}  // namespace glassbox::mcp
