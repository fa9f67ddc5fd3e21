// JSON-RPC 2.0 messages as MCP uses them: no batches (removed in protocol 2025-06-18).
// Value types; safe to copy and move between threads.
#pragma once

#include "glassbox/json/json.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace glassbox::jsonrpc {

// A request id is a string or an integer (never null in a request, MCP forbids it).
using Id = std::variant<std::int64_t, std::string>;

std::string to_string(const Id& id);  // 7 -> "7", "a" -> "\"a\""
json::value to_json(const Id& id);

namespace error_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// MCP-defined codes.
inline constexpr int kResourceNotFound = -32002;
inline constexpr int kUrlElicitationRequired = -32042;
// Codes used by glassbox in the implementation-defined range.
inline constexpr int kRequestTimeout = -32001;
inline constexpr int kConnectionClosed = -32000;
inline constexpr int kRequestCancelled = -32800;
}  // namespace error_code

// The protocol tier of errors (docs/architecture.md, "Conventions": two tiers of errors). A tool's
// own failure is not one of these: it is a result with isError: true.
struct Error {
  int code = error_code::kInternalError;
  std::string message;
  json::value data;  // null when absent

  json::object to_json() const;
  static Error from_json(const json::value& v);
};

struct Request {
  Id id;
  std::string method;
  json::value params;  // object, or null when absent
};

struct Notification {
  std::string method;
  json::value params;
};

// The text of a RawMember: a std::string whose room, when it is destroyed, goes back to the
// thread's spare texts (src/json/spare_text.hpp), for the next payload to be written in without
// a large allocation of its own.
class RawText : public std::string {
 public:
  using std::string::string;
  using std::string::operator=;
  RawText(std::string text) noexcept : std::string(std::move(text)) {}
  RawText(const RawText&) = default;
  RawText(RawText&&) noexcept = default;
  RawText& operator=(const RawText&) = default;
  RawText& operator=(RawText&&) noexcept = default;
  ~RawText();
};

// A member of a result written as JSON text, as it is: a payload made by a direct writer
// (passback's spans, src/mcp/passback_wire.hpp) goes out without being built as a tree and
// serialized again. It is the member that `path` names from the result ({"_meta", "otel",
// "traces"} -> result._meta.otel.traces; an empty path gets nothing).
//  - A member at the end of the path that is null (a placeholder) is replaced in place.
//  - Members of the path that the result lacks are written with the text: in the result after
//    its first `position` members (its member count when the text was made: the members added
//    after the text follow it, as they would follow a member set then), first in an object made
//    after the text. So the usual result, one without _meta, needs no tree.
//  - A member at the end of the path that holds anything else, or one on the way that is not an
//    object, was set by someone after the text was made: it has the last word, nothing is
//    spliced.
//  - A result that is not an object gets nothing.
// `json` must be one well-formed JSON value: it is not checked. `path` is a view: its keys (and
// the array holding them) must outlive the message, as a constant's do (passback's path is
// one), so that naming it costs no allocation per answer. (Three members only: a Response sits
// in the stdio reader's queue, whose blocks hold three messages of this size.)
struct RawMember {
  std::span<const std::string_view> path;
  RawText json;
  std::size_t position = SIZE_MAX;  // past the result's last member: the end
};

struct Response {
  Id id;
  json::value result;
  std::optional<RawMember> raw{};  // spliced into result by serialize()
};

struct ErrorResponse {
  std::optional<Id> id;  // null when the request could not be read at all
  Error error;
};

using Message = std::variant<Request, Notification, Response, ErrorResponse>;

// Parses one message. A malformed one yields the ErrorResponse that answers it (-32700 for bad
// JSON, -32600 for a well-formed object that is not a message; the id is kept when readable).
struct ParseResult {
  std::optional<Message> message;
  std::optional<ErrorResponse> error;
};
// `storage`: where the message's JSON (params, result) is made (json::parse).
ParseResult parse(std::string_view text, const json::ParseLimits& limits = {},
                  boost::json::storage_ptr storage = {});
ParseResult from_json(json::value v);

// Writes the message straight from its parts: a result is never copied into a message tree.
std::string serialize(const Message& m);

// The params object of a request or notification, or an empty object.
const json::object& params_of(const Message& m);

}  // namespace glassbox::jsonrpc
