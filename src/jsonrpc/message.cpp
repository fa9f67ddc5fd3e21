#include "glassbox/jsonrpc/message.hpp"
#include "json/spare_text.hpp"
#include "jsonrpc/serialize_append.hpp"

#include <boost/json/serializer.hpp>

#include <algorithm>
#include <cstring>

namespace glassbox::jsonrpc {

RawText::~RawText() {
  // Most texts destroyed are moved-from ones (an answer's text moves from the middleware to the
  // transport), with no room to give back. (Out of line: an inline one makes every Message's
  // destructor too large to inline.)
  if (capacity() > std::string().capacity()) json::give_back_spare_text(std::move(*this));
}

std::string to_string(const Id& id) {
  if (const auto* i = std::get_if<std::int64_t>(&id)) return std::to_string(*i);
  return json::serialize(json::string(std::get<std::string>(id)));
}

json::value to_json(const Id& id) {
  if (const auto* i = std::get_if<std::int64_t>(&id)) return *i;
  return json::string(std::get<std::string>(id));
}

json::object Error::to_json() const {
  json::object o{{"code", code}, {"message", message}};
  if (!data.is_null()) o["data"] = data;
  return o;
}

Error Error::from_json(const json::value& v) {
  Error e;
  const json::object& o = json::as_object_or_empty(v);
  e.code = static_cast<int>(json::find_int(o, "code").value_or(error_code::kInternalError));
  if (const auto* m = json::find_string(o, "message")) e.message = std::string(*m);
  if (auto it = o.find("data"); it != o.end()) e.data = it->value();
  return e;
}

namespace {

ErrorResponse invalid(std::optional<Id> id, int code, std::string message) {
  return ErrorResponse{std::move(id), Error{code, std::move(message), nullptr}};
}

// Reads an id: integers (also integral doubles as some peers send) and strings only.
std::optional<Id> read_id(const json::value& v) {
  if (v.is_int64()) return Id{v.get_int64()};
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return Id{static_cast<std::int64_t>(v.get_uint64())};
  if (v.is_string()) return Id{std::string(v.get_string())};
  return std::nullopt;
}

}  // namespace

ParseResult from_json(json::value v) {
  json::object* o = v.if_object();
  if (o == nullptr) {
    return {std::nullopt, invalid(std::nullopt, error_code::kInvalidRequest,
                                  v.is_array() ? "batches are not supported"
                                               : "a message must be a JSON object")};
  }
  std::optional<Id> id;
  bool has_id = false;
  if (auto it = o->find("id"); it != o->end()) {
    has_id = true;
    id = read_id(it->value());
  }
  const json::string* version = json::find_string(*o, "jsonrpc");
  if (version == nullptr || *version != "2.0") {
    return {std::nullopt, invalid(id, error_code::kInvalidRequest, "jsonrpc must be \"2.0\"")};
  }
  if (auto it = o->find("method"); it != o->end()) {
    const json::string* method = it->value().if_string();
    if (method == nullptr) {
      return {std::nullopt, invalid(id, error_code::kInvalidRequest, "method must be a string")};
    }
    json::value params(o->storage());  // null, in the tree's storage: the move below moves
    if (auto p = o->find("params"); p != o->end()) {
      if (!p->value().is_object() && !p->value().is_null()) {
        return {std::nullopt, invalid(id, error_code::kInvalidRequest, "params must be an object")};
      }
      params = std::move(p->value());
    }
    if (!has_id) return {Notification{std::string(*method), std::move(params)}, std::nullopt};
    if (!id) {
      return {std::nullopt, invalid(std::nullopt, error_code::kInvalidRequest,
                                    "id must be a string or an integer")};
    }
    return {Request{std::move(*id), std::string(*method), std::move(params)}, std::nullopt};
  }
  bool has_result = o->contains("result");
  const json::value* error = o->if_contains("error");
  if (has_result == (error != nullptr)) {
    return {std::nullopt, invalid(id, error_code::kInvalidRequest,
                                  "a message needs a method, or exactly one of result and error")};
  }
  if (error != nullptr) {
    if (!error->is_object()) {
      return {std::nullopt, invalid(id, error_code::kInvalidRequest, "error must be an object")};
    }
    return {ErrorResponse{id, Error::from_json(*error)}, std::nullopt};
  }
  if (!id) {
    return {std::nullopt,
            invalid(std::nullopt, error_code::kInvalidRequest, "a response needs an id")};
  }
  return {Response{std::move(*id), std::move(o->at("result"))}, std::nullopt};
}

ParseResult parse(std::string_view text, const json::ParseLimits& limits,
                  boost::json::storage_ptr storage) {
  std::string reason;
  std::optional<json::value> v = json::parse(text, limits, &reason, std::move(storage));
  if (!v)
    return {std::nullopt, invalid(std::nullopt, error_code::kParseError, "parse error: " + reason)};
  return from_json(std::move(*v));
}

namespace {

// Appends `v` as JSON without copying it into a message tree first: a tool's result (and any
// passback in it) is written once, straight from where the handler left it.
void append_json(std::string& out, const json::value& v) {
  boost::json::serializer serializer;
  serializer.reset(&v);
  while (!serializer.done()) {
    // Into the room reserved already when there is some (no reallocation), else doubling.
    std::size_t used = out.size();
    std::size_t want = std::max<std::size_t>(512, used);
    std::size_t room = out.capacity() - used;
    out.resize(used + (room >= 64 ? std::min(room, want) : want));
    std::size_t written = serializer.read(out.data() + used, out.size() - used).size();
    out.resize(used + written);
  }
}

// Whether JSON takes `key` as it is, between quotes (every key of a passback path; most of any
// result's; every method name).
bool plain_key(std::string_view key) {
  return std::none_of(key.begin(), key.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
  });
}

// `text` as a JSON string: plain text is copied between its quotes; text that needs an escape
// goes through the serializer.
void append_quoted(std::string& out, std::string_view text) {
  if (plain_key(text)) {
    const std::size_t used = out.size();
    out.resize(used + text.size() + 2);
    char* p = out.data() + used;
    *p++ = '"';
    std::memcpy(p, text.data(), text.size());
    p[text.size()] = '"';
    return;
  }
  boost::json::serializer serializer;
  serializer.reset(text);
  char buf[256];
  while (!serializer.done()) out.append(serializer.read(buf, sizeof buf));
}

void append_key(std::string& out, std::string_view key) {
  append_quoted(out, key);
  out += ':';
}

// The raw member's text at the end of `out`, or, when `raw_at` asks for its place instead, that
// place (the caller writes the text there).
void put_raw(std::string& out, const RawMember& raw, std::size_t* raw_at) {
  if (raw_at) {
    *raw_at = out.size();
  } else {
    out += raw.json;
  }
}

// Writes the members of raw.path from `depth` on, none of them there yet, the last one holding
// the text: "otel":{"traces":TEXT}.
void append_raw_path(std::string& out, const RawMember& raw, std::size_t depth,
                     std::size_t* raw_at) {
  // The keys and braces before the text ("otel":{"traces":) made on the stack and appended at
  // once when their keys are plain and short (a passback path's), else key by key.
  char head[128];
  std::size_t used = 0;
  for (std::size_t d = depth; d < raw.path.size(); ++d) {
    const std::string_view key = raw.path[d];
    if (used + key.size() + 4 > sizeof head || !plain_key(key)) {
      used = SIZE_MAX;
      break;
    }
    head[used++] = '"';
    std::memcpy(head + used, key.data(), key.size());
    used += key.size();
    head[used++] = '"';
    head[used++] = ':';
    if (d + 1 < raw.path.size()) head[used++] = '{';
  }
  if (used != SIZE_MAX) {
    out.append(head, used);
  } else {
    for (std::size_t d = depth; d + 1 < raw.path.size(); ++d) {
      append_key(out, raw.path[d]);
      out += '{';
    }
    append_key(out, raw.path.back());
  }
  put_raw(out, raw, raw_at);
  out.append(raw.path.size() - 1 - depth, '}');
}

// Writes `o` member by member down raw.path: the text of `raw` in place of its null member, or,
// in the first object on the path that lacks the next member, that member where RawMember says
// (after raw.position members of the result; first in an object made after the text). Every
// other member as it is.
void append_with_raw(std::string& out, const json::object& o, const RawMember& raw,
                     std::size_t depth, std::size_t* raw_at) {
  const bool last = depth + 1 == raw.path.size();
  const std::string_view want = raw.path[depth];
  const std::size_t insert_at =
      o.contains(want) ? SIZE_MAX : std::min(depth == 0 ? raw.position : 0, o.size());
  bool first = true;
  auto next_member = [&out, &first] {
    if (!first) out += ',';
    first = false;
  };
  out += '{';
  std::size_t index = 0;
  for (const auto& member : o) {
    if (index++ == insert_at) {
      next_member();
      append_raw_path(out, raw, depth, raw_at);
    }
    next_member();
    append_key(out, member.key());
    if (member.key() == want) {
      if (last && member.value().is_null()) {
        put_raw(out, raw, raw_at);
        continue;
      }
      if (const json::object* inner = last ? nullptr : member.value().if_object()) {
        append_with_raw(out, *inner, raw, depth + 1, raw_at);
        continue;
      }
    }
    append_json(out, member.value());
  }
  if (insert_at == o.size()) {
    next_member();
    append_raw_path(out, raw, depth, raw_at);
  }
  out += '}';
}

void append_result(std::string& out, const Response& response, std::size_t* raw_at) {
  const json::object* result = response.result.if_object();
  if (response.raw && !response.raw->path.empty() && result != nullptr) {
    append_with_raw(out, *result, *response.raw, 0, raw_at);
    return;
  }
  if (response.result.is_null()) {
    out += "{}";
  } else {
    append_json(out, response.result);
  }
}

void append_id(std::string& out, const Id& id) {
  if (const auto* i = std::get_if<std::int64_t>(&id)) {
    out += std::to_string(*i);
  } else {
    append_quoted(out, std::get<std::string>(id));
  }
}

// serialize_append, or with `raw_at` serialize_append_without_raw.
void append_message(std::string& out, const Message& m, std::size_t* raw_at) {
  const auto* response = std::get_if<Response>(&m);
  out.reserve(out.size() + 256 +
              (response && response->raw && !raw_at ? response->raw->json.size() : 0));
  out += R"({"jsonrpc":"2.0",)";
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, Request> || std::is_same_v<T, Notification>) {
          if constexpr (std::is_same_v<T, Request>) {
            out += R"("id":)";
            append_id(out, msg.id);
            out += ',';
          }
          out += R"("method":)";
          append_quoted(out, msg.method);
          if (!msg.params.is_null()) {
            out += R"(,"params":)";
            append_json(out, msg.params);
          }
        } else if constexpr (std::is_same_v<T, Response>) {
          out += R"("id":)";
          append_id(out, msg.id);
          out += R"(,"result":)";
          append_result(out, msg, raw_at);
        } else {
          out += R"("id":)";
          if (msg.id) {
            append_id(out, *msg.id);
          } else {
            out += "null";
          }
          out += R"(,"error":)";
          append_json(out, msg.error.to_json());
        }
      },
      m);
  out += '}';
}

}  // namespace

std::string serialize(const Message& m) {
  std::string out;
  serialize_append(out, m);
  return out;
}

void serialize_append(std::string& out, const Message& m) {
  append_message(out, m, nullptr);
}

std::size_t serialize_append_without_raw(std::string& out, const Message& m) {
  std::size_t raw_at = SIZE_MAX;
  append_message(out, m, &raw_at);
  return raw_at;
}

const json::object& params_of(const Message& m) {
  if (const auto* r = std::get_if<Request>(&m)) return json::as_object_or_empty(r->params);
  if (const auto* n = std::get_if<Notification>(&m)) return json::as_object_or_empty(n->params);
  return json::as_object_or_empty(nullptr);
}

}  // namespace glassbox::jsonrpc
