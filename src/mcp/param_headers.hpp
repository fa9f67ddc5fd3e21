// MCP 2026-07-28 over HTTP: the request headers that mirror what the body says (SEP-2243), so
// that a gateway can route on them without parsing JSON.
//   Mcp-Method: <method>          every POST
//   Mcp-Name: <name or uri>       tools/call and prompts/get (params.name), resources/read (uri)
//   Mcp-Param-<Name>: <value>     tools/call, one per argument whose inputSchema property says
//                                 "x-mcp-header": "<Name>"
// Values that are not plain visible ASCII (or have whitespace at an end) travel as
// "=?base64?<RFC 4648 Base64 of the UTF-8>?=". Pure functions: any thread.
#pragma once

#include "glassbox/json/json.hpp"
#include "glassbox/transport/transport.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace glassbox::mcp {

// One annotated argument: the header name after the prefix, and where the argument sits in
// `arguments` (a chain of `properties` keys; usually one).
struct ParamHeader {
  std::string name;
  std::vector<std::string> path;
};

// The annotations of a tool's inputSchema, or why they break the rules (an empty or non-token
// name, a name used twice ignoring case, a property whose type is not string, integer or
// boolean, an annotation not reachable through `properties` alone). A client excludes a tool
// whose annotations are broken.
std::variant<std::vector<ParamHeader>, std::string> read_param_headers(
    const json::object& input_schema);

// A header value as the wire carries it: plain when safe, else the Base64 form.
std::string encode_header_value(std::string_view value);
// The inverse; nullopt when the Base64 form holds invalid Base64 (unpadded included).
std::optional<std::string> decode_header_value(std::string_view value);

// The text of a primitive argument (string as is, integers in decimal, true/false); nullopt for
// null, objects and arrays, whose header is omitted.
std::optional<std::string> header_text(const json::value& value);

// Mcp-Param-<Name> for each annotated argument present and not null in `arguments`.
void append_param_headers(const std::vector<ParamHeader>& annotations,
                          const json::object& arguments, transport::HeaderList& out);

// The server's side: each annotated argument of a tools/call against its Mcp-Param-<Name>
// header (`headers` hold name/value views; names ignore case, values are trimmed of spaces and
// tabs, then decoded). An argument with a header value needs the header, and a header needs the
// argument; a Base64 form that is not valid Base64 disagrees. nullopt when everything agrees,
// else the message of the -32020 error.
std::optional<std::string> check_param_headers(
    const std::vector<ParamHeader>& annotations, const json::object& arguments,
    const std::vector<std::pair<std::string_view, std::string_view>>& headers);

}  // namespace glassbox::mcp
