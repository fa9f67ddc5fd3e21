// The span model: attribute values (the OTLP AnyValue), finished-span data, per-span limits,
// the resource and the instrumentation scope. Plain values: copy them, move them, hand them to
// any thread; nothing here is shared or locked.
#pragma once

#include "glassbox/trace/context.hpp"

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace glassbox::trace {

enum class SpanKind {
  unspecified = 0,
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5
};
enum class StatusCode { unset = 0, ok = 1, error = 2 };

struct AttributeValue;
struct KeyValue;

// OTLP ArrayValue / KeyValueList / bytes. Distinct types so that a std::string is always a
// string and bytes are always bytes.
struct ArrayValue {
  std::vector<AttributeValue> values;
  friend bool operator==(const ArrayValue&, const ArrayValue&) = default;
};
struct KvlistValue {
  std::vector<KeyValue> values;
  friend bool operator==(const KvlistValue&, const KvlistValue&) = default;
};
struct BytesValue {
  std::string data;  // raw bytes (base64 only in OTLP JSON)
  friend bool operator==(const BytesValue&, const BytesValue&) = default;
};

// An attribute value: the OTLP AnyValue. Converts implicitly from strings (const char*,
// std::string, std::string_view), bool, any integer (stored as int64; a uint64 above INT64_MAX
// wraps, as in OTLP), float/double, and the three composite types. monostate is the empty
// AnyValue (OTLP allows it; glassbox never produces it from the span API).
struct AttributeValue {
  using Variant = std::variant<std::monostate, std::string, bool, std::int64_t, double, ArrayValue,
                               KvlistValue, BytesValue>;
  Variant value;

  // The non-template constructors are defined below KeyValue: building the variant needs every
  // alternative complete, and KvlistValue holds KeyValues (clang checks this eagerly).
  AttributeValue() noexcept = default;
  AttributeValue(const char* s);
  AttributeValue(std::string s) noexcept;
  AttributeValue(std::string_view s);
  AttributeValue(bool b) noexcept;
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) AttributeValue(T i)
  noexcept;
  template <std::floating_point T>
  AttributeValue(T d) noexcept;
  AttributeValue(ArrayValue a) noexcept;
  AttributeValue(KvlistValue k) noexcept;
  AttributeValue(BytesValue b) noexcept;

  // Typed accessors: nullptr when the value holds another kind.
  const std::string* if_string() const noexcept { return std::get_if<std::string>(&value); }
  const bool* if_bool() const noexcept { return std::get_if<bool>(&value); }
  const std::int64_t* if_int() const noexcept { return std::get_if<std::int64_t>(&value); }
  const double* if_double() const noexcept { return std::get_if<double>(&value); }
  const ArrayValue* if_array() const noexcept { return std::get_if<ArrayValue>(&value); }
  const KvlistValue* if_kvlist() const noexcept { return std::get_if<KvlistValue>(&value); }
  const BytesValue* if_bytes() const noexcept { return std::get_if<BytesValue>(&value); }

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;
};

struct KeyValue {
  std::string key;
  AttributeValue value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

inline AttributeValue::AttributeValue(const char* s) : value(std::in_place_type<std::string>, s) {}
inline AttributeValue::AttributeValue(std::string s) noexcept : value(std::move(s)) {}
inline AttributeValue::AttributeValue(std::string_view s)
    : value(std::in_place_type<std::string>, s) {}
inline AttributeValue::AttributeValue(bool b) noexcept : value(b) {}
inline AttributeValue::AttributeValue(ArrayValue a) noexcept : value(std::move(a)) {}
inline AttributeValue::AttributeValue(KvlistValue k) noexcept : value(std::move(k)) {}
inline AttributeValue::AttributeValue(BytesValue b) noexcept : value(std::move(b)) {}
template <std::integral T>
requires(!std::same_as<T, bool> && !std::same_as<T, char>) AttributeValue::AttributeValue(T i)
noexcept : value(static_cast<std::int64_t>(i)) {}
template <std::floating_point T>
AttributeValue::AttributeValue(T d) noexcept : value(static_cast<double>(d)) {}

// Attributes in insertion order (OTLP keeps a list; a repeated key replaces the earlier value).
using Attributes = std::vector<KeyValue>;

// The value of `key` in `attributes`, or nullptr.
const AttributeValue* find_attribute(const Attributes& attributes, std::string_view key) noexcept;

struct Event {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  friend bool operator==(const Event&, const Event&) = default;
};

struct Link {
  SpanContext context;  // trace id, span id, tracestate (flags are not exported)
  Attributes attributes;
  std::uint32_t dropped_attributes_count = 0;
  friend bool operator==(const Link&, const Link&) = default;
};

// A finished span. The recorder and processors receive it; encoders read it.
struct SpanData {
  std::string name;
  SpanKind kind = SpanKind::internal;
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // invalid (all zero) for a root without a parent
  std::uint8_t flags = 0;
  std::string trace_state;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  std::vector<Event> events;
  std::vector<Link> links;
  StatusCode status_code = StatusCode::unset;
  std::string status_message;
  std::uint32_t dropped_attributes_count = 0;
  std::uint32_t dropped_events_count = 0;
  std::uint32_t dropped_links_count = 0;

  friend bool operator==(const SpanData&, const SpanData&) = default;
};

// Limits applied while a span records (the OpenTelemetry SDK defaults). What goes over a count
// limit is dropped and counted in the span's dropped_*_count; a string or bytes value longer
// than max_attribute_value_length is cut (at a UTF-8 boundary for strings). The SDK default
// for the length is unlimited; glassbox caps it at 64 KiB so that one careless attribute
// cannot hold megabytes per span; passback curation cuts much shorter (CurationOptions).
struct SpanLimits {
  std::size_t max_attributes = 128;
  std::size_t max_events = 128;
  std::size_t max_links = 128;
  std::size_t max_attributes_per_event = 128;
  std::size_t max_attributes_per_link = 128;
  std::size_t max_attribute_value_length = 64 * 1024;
};

// The entity that produces the spans. service.name is always present (resource_from_environment
// and TracerProvider add "unknown_service" when nothing sets it, as the OTel SDK does).
struct Resource {
  Attributes attributes{};
  std::uint32_t dropped_attributes_count = 0;

  // Sets or replaces one attribute (keeps insertion order).
  Resource& set(std::string_view key, AttributeValue value);
  // The value of service.name, or "" when absent or not a string.
  std::string_view service_name() const noexcept;
  friend bool operator==(const Resource&, const Resource&) = default;
};

// Builds a resource: `defaults` (e.g. {"service.name": "mail", "service.version": "1.0"}),
// then OTEL_RESOURCE_ATTRIBUTES (key=value pairs separated by ',', keys and values
// percent-decoded; a malformed pair is skipped), then OTEL_SERVICE_NAME, each overriding what
// came before; finally service.name = "unknown_service" if still absent.
// Reads the process environment: call it at startup, not concurrently with setenv.
Resource resource_from_environment(Resource defaults = {});
// The same from explicit values (what resource_from_environment passes from getenv); for tests.
Resource resource_from_strings(Resource defaults, std::string_view otel_resource_attributes,
                               std::string_view otel_service_name);

// The instrumentation scope ("glassbox" and its version unless the caller names another).
struct InstrumentationScope {
  std::string name = "glassbox";
  std::string version = "0.1.0";
  Attributes attributes{};
  friend bool operator==(const InstrumentationScope&, const InstrumentationScope&) = default;
};

// Percent-decoding as used by OTEL_* variables ("%2C" -> ","); an invalid escape is kept as is.
std::string percent_decode(std::string_view text);
// A "k1=v1,k2=v2" list of the OTEL_* variables (OTEL_RESOURCE_ATTRIBUTES,
// OTEL_EXPORTER_OTLP_HEADERS): keys and values trimmed and percent-decoded, in order; a pair
// without '=' or with an empty key is skipped.
std::vector<std::pair<std::string, std::string>> parse_otel_key_values(std::string_view list);

}  // namespace glassbox::trace
