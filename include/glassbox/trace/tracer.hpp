// Spans, the per-request recorder, the per-thread current context, and the tracer provider.
//
// How a server traces one request (what the passback middleware does):
//
//   auto recorder = std::make_shared<trace::Recorder>();           // one per request (S9)
//   auto parent = trace::parse_traceparent(meta_traceparent, meta_tracestate);  // S3
//   trace::Span root = trace::start_root_span(recorder, "tools/call x",
//                                             trace::SpanKind::server, parent);  // S4
//   {
//     trace::ContextScope scope(root);      // binds {recorder, root} to this thread
//     handler();                            // trace::start_span("stage") nests under root;
//                                           // trace::current_context() hands it to workers
//   }
//   root.end();
//   std::vector<trace::SpanData> spans = recorder->take();
//   json::object otel = trace::curate_to_otlp_json(std::move(spans), root.context().span_id, ...);
//
// Threads and ownership:
// - A Span is a move-only RAII handle used by one thread at a time; it may be moved to another
//   thread and ended there. It ends itself in its destructor. It ends into the recorder of the
//   context it was started in, whatever is bound on the thread where it ends.
// - The binding (recorder + current span) is per thread. ContextScope sets it and restores the
//   previous one; it is neither copyable nor movable, so scopes nest like blocks.
// - Context is a cheap copyable value (one shared_ptr and a SpanContext): capture it with
//   current_context() on one thread, attach it with ContextScope on another.
// - Recorder is thread-safe and shared_ptr-owned: every span holds a reference until it ends.
// - TracerProvider is thread-safe after construction; set_tracer_provider swaps the global one
//   (recorders capture the provider when they are created).
#pragma once

#include "glassbox/trace/context.hpp"
#include "glassbox/trace/processor.hpp"
#include "glassbox/trace/span_data.hpp"

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace glassbox::trace {

// ---------------------------------------------------------------------------------------------
// Tracer provider (S13: the server's own full telemetry)

struct TracerProviderOptions {
  Resource resource{};  // completed with service.name = "unknown_service" when absent
  InstrumentationScope scope{};
  SpanLimits limits{};
  std::vector<std::shared_ptr<SpanProcessor>> processors{};
  // Parent-based sampling for the processors: a span whose sampled flag is clear is not
  // exported (it is still recorded for passback, S5). Off: every span goes to the processors.
  bool sampled_only = true;
};

class TracerProvider {
 public:
  explicit TracerProvider(TracerProviderOptions options = {});
  ~TracerProvider();  // shutdown()
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  const Resource& resource() const noexcept { return options_.resource; }
  const InstrumentationScope& scope() const noexcept { return options_.scope; }
  const SpanLimits& limits() const noexcept { return options_.limits; }
  bool has_processors() const noexcept { return !options_.processors.empty(); }
  // A number no other provider of this process has: what its resource and scope, fixed at
  // construction, are known by (curation reuses their OTLP text without comparing them).
  std::uint64_t serial() const noexcept { return serial_; }

  // Hands a finished span to every processor (any thread).
  void on_end(const SpanData& span) noexcept;
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;
  void shutdown() noexcept;

 private:
  TracerProviderOptions options_;
  std::uint64_t serial_;
  std::atomic<bool> shut_down_{false};
};

// The global provider: never null (a provider without processors until one is set).
// Thread-safe. Recorders created afterwards use the new provider.
std::shared_ptr<TracerProvider> tracer_provider();
void set_tracer_provider(std::shared_ptr<TracerProvider> provider);

// ---------------------------------------------------------------------------------------------
// Recorder (S9: the spans of one request)

// Per-request state a higher layer hangs on the request's recorder, so that whatever runs in the
// request's context (on any thread) can find it through current_context().recorder(): the
// passback ask that nested MCP calls inherit (S16), say. The trace layer only carries it and
// tells it when a span has been kept.
class RecorderObserver {
 public:
  virtual ~RecorderObserver() = default;
  // A span was kept by the recorder (runs on the thread that ended it, after it is kept).
  virtual void on_recorded() noexcept {}
};

// A request's kept spans where they ended, their data neither moved nor copied (what passback
// curates: curate_to_otlp_json_string reads and bounds them in place). Move-only; gives the
// spans' storage back to the thread that destroys it, for the spans it starts next.
class RecordedSpans {
 public:
  RecordedSpans() noexcept = default;
  RecordedSpans(RecordedSpans&& other) noexcept : spans_(std::move(other.spans_)) {}
  RecordedSpans& operator=(RecordedSpans&&) = delete;
  ~RecordedSpans();

  // In the order they ended; whoever holds this may change them (redaction, bounds).
  std::span<SpanData* const> spans() const noexcept { return spans_; }

 private:
  friend class Recorder;
  std::vector<SpanData*> spans_;  // each the data of a span's State (tracer.cpp), owned
};

struct RecorderOptions {
  std::shared_ptr<TracerProvider> provider{};  // null: the global provider at construction
  // Optional; see RecorderObserver. It may own nothing (an aliasing shared_ptr with an empty
  // owner) when the observer lives as long as the recorder, allocated with it say: whoever
  // needs it to last then holds the recorder, not a copy of this pointer.
  std::shared_ptr<RecorderObserver> observer{};
  // The recorder keeps at most this many spans (the root span is always kept); later ones are
  // dropped and counted (S12). Passback curation bounds its output far lower.
  std::size_t max_spans = 4096;
};

class Recorder {
 public:
  explicit Recorder(RecorderOptions options = {});
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Called by Span::end on any thread: forwards the span to the provider's processors, then
  // keeps it (unless full and not a root). Never blocks beyond a short spinlock. Returns whether
  // it was kept (moved from `span`); `span` is left as it was when it was dropped.
  bool record(SpanData&& span, bool is_root) noexcept;

  // Moves the kept spans out (in the order they ended) and leaves the recorder empty.
  std::vector<SpanData> take();
  // The same spans where they ended, nothing moved (what passback curates on its common path).
  RecordedSpans take_in_place();
  std::vector<SpanData> snapshot() const;
  std::size_t size() const noexcept;
  std::uint64_t dropped_span_count() const noexcept {
    return dropped_.load(std::memory_order_relaxed);
  }

  const SpanLimits& limits() const noexcept { return provider_->limits(); }
  const std::shared_ptr<TracerProvider>& provider() const noexcept { return provider_; }
  const std::shared_ptr<RecorderObserver>& observer() const noexcept { return observer_; }

 private:
  friend class Span;
  // What record does for the data of a span's State (Span::end): keeps the State itself,
  // which the recorder then owns, instead of moving its data into a list.
  bool keep(SpanData& span, bool is_root) noexcept;
  void lock() const noexcept;
  void unlock() const noexcept { locked_.clear(std::memory_order_release); }

  std::shared_ptr<TracerProvider> provider_;
  std::shared_ptr<RecorderObserver> observer_;
  std::size_t max_spans_;
  mutable std::atomic_flag locked_ = ATOMIC_FLAG_INIT;
  std::vector<SpanData*> spans_;  // under locked_; each the data of a span's State, owned
  std::atomic<std::uint64_t> dropped_{0};
};

// ---------------------------------------------------------------------------------------------
// Spans

class Context;

class Span {
 public:
  // A no-op span: every call does nothing; context() is invalid.
  Span() noexcept = default;
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;  // ends the span it held
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { end(); }

  // True until end() for a span that records; false for a no-op span.
  bool recording() const noexcept { return state_ != nullptr; }

  // Sets (or replaces) an attribute; beyond SpanLimits::max_attributes new keys are dropped
  // and counted. Long string/bytes values are cut to SpanLimits::max_attribute_value_length.
  void set_attribute(std::string_view key, AttributeValue value) noexcept;
  // The same for a string value (a literal, char pointer, string_view or a std::string that is
  // not an rvalue: that one is moved in above), made where it stays: no AttributeValue on the
  // way. A template, so that a literal 0 is still the integer 0 and not a null char pointer.
  template <class T>
  requires(std::is_lvalue_reference_v<T>&& std::same_as<std::remove_cvref_t<T>, std::string>) ||
      std::same_as<std::remove_cvref_t<T>, std::string_view> ||
      std::same_as<std::decay_t<T>, const char*> ||
      std::same_as<std::decay_t<T>, char*> void set_attribute(std::string_view key,
                                                              T&& value) noexcept {
    set_string_attribute(key, std::string_view(value));
  }
  // The same for a number or a bool, stored as AttributeValue stores it (an integer as int64, a
  // uint64 above INT64_MAX wrapping as in OTLP), without an AttributeValue on the way.
  template <class T>
  requires(std::integral<T> && !std::same_as<T, char>) ||
      std::floating_point<T> void set_attribute(std::string_view key, T value) noexcept {
    if constexpr (std::same_as<T, bool>) {
      set_scalar_attribute(key, value);
    } else if constexpr (std::integral<T>) {
      set_scalar_attribute(key, static_cast<std::int64_t>(value));
    } else {
      set_scalar_attribute(key, static_cast<double>(value));
    }
  }
  void add_event(std::string_view name, Attributes attributes = {}) noexcept;
  void add_event(std::string_view name, std::uint64_t time_unix_nano,
                 Attributes attributes) noexcept;
  void add_link(const SpanContext& context, Attributes attributes = {}) noexcept;
  void set_status(StatusCode code, std::string_view message = {}) noexcept;
  void update_name(std::string_view name) noexcept;

  // Ends the span: stamps the end time and hands its data to the recorder (and through it to
  // the provider's processors). Idempotent. If the span is its thread's current span, the
  // current span becomes the innermost span still open (ending out of order is safe).
  void end() noexcept;
  void end(std::uint64_t end_time_unix_nano) noexcept;

  // Its ids (still valid after end()); invalid for a no-op span.
  const SpanContext& context() const noexcept { return context_; }
  // {its recorder, its context}, for ContextScope on this or another thread; empty after end().
  Context as_context() const;

  struct State;  // implementation detail (src/trace/tracer.cpp)

 private:
  friend Span start_span(std::string_view, SpanKind) noexcept;
  friend Span start_root_span(std::shared_ptr<Recorder>, std::string_view, SpanKind,
                              const std::optional<SpanContext>&) noexcept;
  friend Span start_span_in(const Context&, std::string_view, SpanKind) noexcept;

  void set_string_attribute(std::string_view key, std::string_view value) noexcept;
  void set_scalar_attribute(std::string_view key, bool value) noexcept;
  void set_scalar_attribute(std::string_view key, std::int64_t value) noexcept;
  void set_scalar_attribute(std::string_view key, double value) noexcept;

  State* state_ = nullptr;  // owned; null for a no-op or ended span
  SpanContext context_;
};

// What a thread is bound to: the request's recorder and its current span.
class Context {
 public:
  Context() noexcept = default;  // empty: spans started under it are no-ops
  Context(std::shared_ptr<Recorder> recorder, SpanContext span) noexcept
      : recorder_(std::move(recorder)), span_(std::move(span)) {}

  bool empty() const noexcept { return recorder_ == nullptr; }
  explicit operator bool() const noexcept { return !empty(); }
  const std::shared_ptr<Recorder>& recorder() const noexcept { return recorder_; }
  const SpanContext& span_context() const noexcept { return span_; }

 private:
  std::shared_ptr<Recorder> recorder_;
  SpanContext span_;
};

// The current thread's binding (recorder and current span), empty when nothing is bound.
Context current_context();

// Binds a context to the current thread until destruction, then restores the previous binding.
// Spans started (start_span) while it is bound and still open when it is destroyed stop being
// current (they still end into their recorder).
class ContextScope {
 public:
  explicit ContextScope(Context context) noexcept;
  explicit ContextScope(const Span& span) : ContextScope(span.as_context()) {}
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context context_;
  std::uint64_t token_;
};

// A child of the current span of this thread's binding, recording into the same recorder; it
// becomes the current span of this thread until it ends. With nothing bound (or an empty
// context bound) it returns a no-op span.
Span start_span(std::string_view name, SpanKind kind = SpanKind::internal) noexcept;

// A child of `parent`'s span in `parent`'s recorder, without touching this thread's binding
// (it does not become current). No-op if parent is empty.
Span start_span_in(const Context& parent, std::string_view name,
                   SpanKind kind = SpanKind::internal) noexcept;

// The root span of a request, recording into `recorder` (kept even when the recorder is full).
// With a valid `parent` (e.g. from parse_traceparent, S4) it joins the caller's trace: same
// trace id, parent span id = the caller's span id, the caller's flags and tracestate. Without
// one it starts a new trace (sampled). With a null recorder the span goes to the global
// provider's processors only (a client's own span, say). It is not bound to the thread: bind
// it with ContextScope(root).
Span start_root_span(std::shared_ptr<Recorder> recorder, std::string_view name,
                     SpanKind kind = SpanKind::server,
                     const std::optional<SpanContext>& parent = std::nullopt) noexcept;

// Unix time in nanoseconds (system clock), as spans stamp it.
std::uint64_t now_unix_nano() noexcept;

}  // namespace glassbox::trace
