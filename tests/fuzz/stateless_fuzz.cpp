// MCP 2026-07-28 inputs from the network: a requestState a client echoes (opened against a fixed
// key; the input may also be a genuine sealed state with bytes flipped), and the header/body
// agreement check of a sessionless HTTP POST, Mcp-Param-* included (against a fixed tool whose
// inputSchema annotates a string, an integer and a nested boolean). Input layout: the first line is
// a header block
// ("Name: value" pairs separated by '|'), the rest a JSON-RPC message and, after a NUL, a
// requestState. Invariants: no crash; a state opens only when it is one we sealed.
#include "glassbox/jsonrpc/message.hpp"
#include "mcp/input_required.hpp"
#include "mcp/stateless.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace glassbox;

const mcp::RequestStateOptions kOptions{.key = "fuzz-key-fuzz-key-fuzz-key-32byt"};

json::object annotated_schema() {
  json::object nested{{"type", "object"},
                      {"properties", {{"on", {{"type", "boolean"}, {"x-mcp-header", "On"}}}}}};
  return {{"type", "object"},
          {"properties",
           {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
            {"n", {{"type", "integer"}, {"x-mcp-header", "N"}}},
            {"nested", std::move(nested)}}}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t newline = input.find('\n');
  std::string_view header_block = input.substr(0, std::min(newline, input.size()));
  std::string_view rest = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  std::size_t nul = rest.find('\0');
  std::string_view body = rest.substr(0, std::min(nul, rest.size()));
  std::string_view state = nul == std::string_view::npos ? "" : rest.substr(nul + 1);

  transport::HeaderViews headers;
  while (!header_block.empty()) {
    std::size_t bar = std::min(header_block.find('|'), header_block.size());
    std::string_view field = header_block.substr(0, bar);
    std::size_t colon = field.find(':');
    if (colon != std::string_view::npos)
      headers.emplace_back(field.substr(0, colon), field.substr(colon + 1));
    header_block.remove_prefix(std::min(bar + 1, header_block.size()));
  }
  jsonrpc::ParseResult parsed = jsonrpc::parse(body);
  if (parsed.message) {
    (void)mcp::validate_http_request(headers, *parsed.message);
    static const json::object schema = annotated_schema();
    (void)mcp::validate_param_headers(headers, *parsed.message, [](std::string_view name) {
      return name == "t" ? std::optional<json::object>(schema) : std::nullopt;
    });
  }

  auto opened = mcp::open_request_state(kOptions, "tools/call", "t", state);
  if (opened.index() == 0) {
    // Only a state sealed with the key opens: re-sealing what opened must open again.
    std::string again = mcp::seal_request_state(kOptions, "tools/call", "t", std::get<0>(opened));
    if (mcp::open_request_state(kOptions, "tools/call", "t", again).index() != 0) std::abort();
  }
  json::object params{{"name", "t"}, {"requestState", std::string(state)}};
  (void)mcp::begin_input_round(kOptions, "tools/call", params);
  return 0;
}
