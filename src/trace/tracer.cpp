#include "glassbox/trace/tracer.hpp"

#include "glassbox/trace/span_limits.hpp"
#include "trace/span_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

namespace glassbox::trace {
namespace {

// The per-thread binding is a small stack: ContextScopes and open spans started by start_span.
// The innermost entry is the current context. An entry points at the shared_ptr<Recorder> held
// by the ContextScope at the bottom of its run of entries; that scope truncates the stack above
// itself when it is destroyed, so no entry outlives the recorder it points at.
struct Entry {
  const std::shared_ptr<Recorder>* recorder;  // never null; *recorder may be null (unbound)
  SpanContext context;
  std::uint64_t token;
};

// Tokens carry a thread serial in their high bits, so that a span ending on another thread (or
// on a new thread that reuses this one's TLS block) never removes someone else's entry.
constexpr int kSerialShift = 40;
std::atomic<std::uint64_t> next_thread_serial{1};

struct ThreadStack {
  std::vector<Entry> entries;
  std::uint64_t serial = 0;
  std::uint64_t next = 0;

  std::uint64_t new_token() noexcept {
    if (serial == 0) [[unlikely]]
      serial = next_thread_serial.fetch_add(1, std::memory_order_relaxed);
    return (serial << kSerialShift) | (++next & ((1ull << kSerialShift) - 1));
  }
  bool owns(std::uint64_t token) const noexcept {
    return serial != 0 && (token >> kSerialShift) == serial;
  }
  // Removes the entry with `token` and, if `truncate`, every entry above it.
  void remove(std::uint64_t token, bool truncate) noexcept {
    for (std::size_t i = entries.size(); i-- > 0;) {
      if (entries[i].token == token) {
        if (truncate) {
          entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i), entries.end());
        } else {
          entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i));
        }
        return;
      }
    }
  }
};

thread_local ThreadStack tls_stack;

std::atomic<std::uint64_t> next_provider_serial{0};

std::mutex global_mutex;
std::shared_ptr<TracerProvider>& global_provider() {
  static std::shared_ptr<TracerProvider> provider = std::make_shared<TracerProvider>();
  return provider;
}

// Applies count and length limits to an attribute list given whole (events, links).
std::uint32_t limit_attributes(Attributes& attributes, std::size_t max_count,
                               std::size_t max_length) noexcept {
  std::uint32_t dropped = 0;
  if (attributes.size() > max_count) {
    dropped = static_cast<std::uint32_t>(attributes.size() - max_count);
    attributes.resize(max_count);
  }
  for (auto& kv : attributes) limit_value(kv.value, max_length);
  return dropped;
}

}  // namespace

std::uint64_t now_unix_nano() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// ---------------------------------------------------------------------------------------------
// TracerProvider

TracerProvider::TracerProvider(TracerProviderOptions options)
    : options_(std::move(options)), serial_(next_provider_serial.fetch_add(1) + 1) {
  if (!find_attribute(options_.resource.attributes, "service.name"))
    options_.resource.set("service.name", "unknown_service");
  for (auto& processor : options_.processors)
    if (processor) processor->set_resource(options_.resource, options_.scope);
  std::erase(options_.processors, nullptr);
}

TracerProvider::~TracerProvider() {
  shutdown();
}

void TracerProvider::on_end(const SpanData& span) noexcept {
  if (options_.sampled_only && (span.flags & kTraceFlagSampled) == 0) return;
  if (shut_down_.load(std::memory_order_relaxed)) return;
  for (auto& processor : options_.processors) processor->on_end(span);
}

bool TracerProvider::force_flush(std::chrono::milliseconds timeout) noexcept {
  bool ok = true;
  for (auto& processor : options_.processors) ok = processor->force_flush(timeout) && ok;
  return ok;
}

void TracerProvider::shutdown() noexcept {
  if (shut_down_.exchange(true)) return;
  for (auto& processor : options_.processors) processor->shutdown();
}

std::shared_ptr<TracerProvider> tracer_provider() {
  std::lock_guard lock(global_mutex);
  return global_provider();
}

void set_tracer_provider(std::shared_ptr<TracerProvider> provider) {
  if (!provider) provider = std::make_shared<TracerProvider>();
  std::shared_ptr<TracerProvider> old;
  {
    std::lock_guard lock(global_mutex);
    old = std::exchange(global_provider(), std::move(provider));
  }
  // `old` is released outside the lock: its destructor may flush exporters.
}

// ---------------------------------------------------------------------------------------------
// Span storage kept per thread (span_pool.hpp)

namespace span_pool {
namespace {

constexpr std::size_t kKeptLists = 16;
constexpr std::size_t kListRoom = 8;
constexpr std::size_t kSpansRoom = 8;
constexpr std::size_t kMaxKeptRoom = 64;  // a list or vector grown past this is not kept

constexpr std::size_t kKeptStrings = 32;
constexpr std::size_t kMaxKeptString = 256;  // a string grown past this is not kept

struct Pool {
  std::vector<Attributes> lists;
  std::vector<std::string> strings;  // empty, each with room past the small-string buffer
  std::vector<SpanData> spans;       // empty, with room; or no room at all
  std::vector<SpanData*> kept;       // the same for a recorder's list
  bool alive = true;
  ~Pool() { alive = false; }  // a span ended later in this thread's exit allocates its own
};
thread_local Pool tls_pool;

}  // namespace

void give_room(std::vector<SpanData>& spans) {
  Pool& pool = tls_pool;
  if (pool.alive) spans.swap(pool.spans);
  if (spans.capacity() == 0) spans.reserve(kSpansRoom);
}

void give_room(std::vector<SpanData*>& spans) {
  Pool& pool = tls_pool;
  if (pool.alive) spans.swap(pool.kept);
  if (spans.capacity() == 0) spans.reserve(kSpansRoom);
}

void give_room(Attributes& attributes) {
  Pool& pool = tls_pool;
  if (pool.alive && !pool.lists.empty()) {
    attributes.swap(pool.lists.back());
    pool.lists.pop_back();
  } else {
    attributes.reserve(kListRoom);
  }
}

void assign_long(std::string& out, std::string_view text) {
  Pool& pool = tls_pool;
  if (pool.alive && !pool.strings.empty()) {
    out.swap(pool.strings.back());
    pool.strings.pop_back();
  }
  out.append(text.data(), text.size());
}

namespace {

// A string in its own small buffer has nothing to keep: the check most fail, made where
// keep_string is called (no call for them).
bool has_room(const std::string& s) {
  return s.capacity() > std::string().capacity();
}

void keep_string(Pool& pool, std::string& s) {
  if (s.capacity() > kMaxKeptString || pool.strings.size() >= kKeptStrings) return;
  s.clear();
  pool.strings.push_back(std::move(s));
}

// Keeps the storage of the longer keys and values of `attributes` (left empty strings).
void keep_strings(Pool& pool, Attributes& attributes) {
  if (pool.strings.capacity() < kKeptStrings) pool.strings.reserve(kKeptStrings);
  for (KeyValue& kv : attributes) {
    if (has_room(kv.key)) keep_string(pool, kv.key);
    if (auto* value = std::get_if<std::string>(&kv.value.value); value && has_room(*value))
      keep_string(pool, *value);
  }
}

}  // namespace

void give_back_strings(Attributes& attributes) {
  Pool& pool = tls_pool;
  if (pool.alive && pool.strings.size() < kKeptStrings) keep_strings(pool, attributes);
}

void give_back(std::vector<SpanData*>& spans) {
  spans.clear();
  Pool& pool = tls_pool;
  if (pool.alive && pool.kept.capacity() == 0 && spans.capacity() <= kMaxKeptRoom)
    pool.kept.swap(spans);
}

void give_back(std::vector<SpanData>& spans) {
  Pool& pool = tls_pool;
  if (!pool.alive) {
    spans.clear();
    return;
  }
  if (pool.lists.capacity() < kKeptLists) pool.lists.reserve(kKeptLists);
  for (SpanData& span : spans) {
    if (pool.lists.size() >= kKeptLists && pool.strings.size() >= kKeptStrings) break;
    keep_strings(pool, span.attributes);
    if (pool.lists.size() >= kKeptLists) continue;
    Attributes& list = span.attributes;
    if (list.capacity() < kListRoom || list.capacity() > kMaxKeptRoom) continue;
    list.clear();
    pool.lists.push_back(std::move(list));
  }
  spans.clear();
  if (pool.spans.capacity() == 0 && spans.capacity() <= kMaxKeptRoom) pool.spans.swap(spans);
}

}  // namespace span_pool

// ---------------------------------------------------------------------------------------------
// A span's State

// The data of a span being recorded and what it records into. The recorder keeps an ended
// span's State as it is (it owns it from then on) and hands it to curation where it ended, so
// the data is a base: a recorder's list holds the SpanData of States.
struct Span::State : SpanData {
  std::shared_ptr<Recorder> recorder;        // null for a provider-only span and once kept
  std::shared_ptr<TracerProvider> provider;  // set only for a provider-only span
  const SpanLimits* limits = nullptr;
  std::uint64_t token = 0;  // its entry in the starting thread's stack; 0 if none
  bool root = false;
};

namespace {

// Each thread keeps the States of a few spans it is done with (curated, or dropped) for the next
// spans it starts: a State is made ready in place for the next span (a few stores) instead of
// being destroyed, freed, allocated and built again for each span.
class StateStorage {
 public:
  Span::State* take() {
    if (n_ > 0) return slots_[--n_];
    return new Span::State;
  }
  // `state` is ready for a new span (free_state).
  void give(Span::State* state) noexcept {
    if (alive_ && n_ < kKept) {
      slots_[n_++] = state;
    } else {
      delete state;
    }
  }
  ~StateStorage() {
    alive_ = false;  // a span ended later in this thread's exit frees its own State
    while (n_ > 0) delete slots_[--n_];
  }

 private:
#if defined(__SANITIZE_ADDRESS__)  // g++ and clang++ alike
  // AddressSanitizer must see each State freed, or a use after its span ended goes unnoticed.
  static constexpr std::size_t kKept = 0;
#else
  static constexpr std::size_t kKept = 16;
#endif
  Span::State* slots_[kKept > 0 ? kKept : 1];
  std::size_t n_ = 0;
  bool alive_ = true;
};
thread_local StateStorage tls_states;

Span::State* make_state() {
  return tls_states.take();
}

// A list or a string grown past these is let go with its span rather than kept in its State for
// the next one (a State keeps the room of what it held: sixteen of them per thread).
constexpr std::size_t kMaxKeptAttributes = 64;
constexpr std::size_t kMaxKeptText = 256;

void clear_keeping_room(std::string& s) noexcept {
  if (s.capacity() > kMaxKeptText) {
    s = std::string();
  } else {
    s.clear();
  }
}

// Makes the State of a span that is done with (curated, taken, dropped, or exported alone) what
// a new one is, and keeps it for the next span: each member emptied in place, its room kept (the
// longer keys and values go back to the span pool, where the next span's attributes take them).
void free_state(Span::State* state) noexcept {
  state->recorder.reset();
  state->provider.reset();
  SpanData& data = *state;
  if (data.attributes.capacity() > kMaxKeptAttributes) {
    data = SpanData();
  } else {
    clear_keeping_room(data.name);
    clear_keeping_room(data.trace_state);
    if (!data.attributes.empty()) {
      span_pool::give_back_strings(data.attributes);
      data.attributes.clear();
    }
    if (!data.events.empty()) data.events = {};  // rare: not worth their room
    if (!data.links.empty()) data.links = {};
    clear_keeping_room(data.status_message);
    data.parent_span_id = SpanId();
    data.status_code = StatusCode::unset;
    data.dropped_attributes_count = data.dropped_events_count = data.dropped_links_count = 0;
  }
  // What every start sets again (kind, ids, flags, times, limits) is left as it is.
  state->token = 0;
  state->root = false;
  tls_states.give(state);
}

// Gives the States of a recorder's spans back to this thread, and the list's room to the pool.
void free_states(std::vector<SpanData*>& spans) noexcept {
  for (SpanData* span : spans) free_state(static_cast<Span::State*>(span));
  span_pool::give_back(spans);
}

}  // namespace

RecordedSpans::~RecordedSpans() {
  free_states(spans_);
}

// ---------------------------------------------------------------------------------------------
// Recorder

Recorder::Recorder(RecorderOptions options)
    : provider_(options.provider ? std::move(options.provider) : tracer_provider()),
      observer_(std::move(options.observer)),
      max_spans_(options.max_spans) {}

Recorder::~Recorder() {
  free_states(spans_);
}

void Recorder::lock() const noexcept {
  // A spinlock: the critical section is a vector push_back of a pointer.
  for (int spins = 0; locked_.test_and_set(std::memory_order_acquire); ++spins) {
    while (locked_.test(std::memory_order_relaxed)) {
      if (++spins > 64) std::this_thread::yield();
    }
  }
}

bool Recorder::keep(SpanData& span, bool is_root) noexcept {
  if (provider_->has_processors()) provider_->on_end(span);
  lock();
  if (spans_.size() < max_spans_ || is_root) {
    if (spans_.capacity() == 0) span_pool::give_room(spans_);
    spans_.push_back(&span);
    unlock();
    if (observer_) observer_->on_recorded();
    return true;
  }
  unlock();
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool Recorder::record(SpanData&& span, bool is_root) noexcept {
  Span::State* state = make_state();
  static_cast<SpanData&>(*state) = std::move(span);
  if (keep(*state, is_root)) return true;
  span = std::move(static_cast<SpanData&>(*state));  // left as it was
  free_state(state);
  return false;
}

std::vector<SpanData> Recorder::take() {
  RecordedSpans kept = take_in_place();
  std::vector<SpanData> out;
  span_pool::give_room(out);
  out.reserve(kept.spans().size());
  for (SpanData* span : kept.spans()) out.push_back(std::move(*span));
  return out;
}

RecordedSpans Recorder::take_in_place() {
  RecordedSpans out;
  lock();
  out.spans_.swap(spans_);
  unlock();
  return out;
}

std::vector<SpanData> Recorder::snapshot() const {
  lock();
  std::vector<SpanData> out;
  try {
    out.reserve(spans_.size());
    for (const SpanData* span : spans_) out.push_back(*span);
  } catch (...) {
    unlock();
    throw;
  }
  unlock();
  return out;
}

std::size_t Recorder::size() const noexcept {
  lock();
  std::size_t n = spans_.size();
  unlock();
  return n;
}

// ---------------------------------------------------------------------------------------------
// Span

Span::Span(Span&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)), context_(std::move(other.context_)) {}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    state_ = std::exchange(other.state_, nullptr);
    context_ = std::move(other.context_);
  }
  return *this;
}

namespace {

// The value of `key` on the span: its earlier value, or a new one (monostate) appended; nullptr
// when the span already holds max_attributes other keys (counted as dropped).
AttributeValue* attribute_slot(Span::State& state, std::string_view key) noexcept {
  auto& attributes = state.attributes;
  for (auto& kv : attributes) {
    if (kv.key == key) return &kv.value;
  }
  if (attributes.size() >= state.limits->max_attributes) {
    ++state.dropped_attributes_count;
    return nullptr;
  }
  if (attributes.capacity() == 0) span_pool::give_room(attributes);
  // Filled in place, no temporary KeyValue (an aggregate: clang 15 has no emplace_back(key,
  // value) for it).
  KeyValue& kv = attributes.emplace_back();
  span_pool::assign(kv.key, key);
  return &kv.value;
}

}  // namespace

void Span::set_attribute(std::string_view key, AttributeValue value) noexcept {
  if (!state_) return;
  // Only strings, bytes and composites have a length to cut (most attributes are numbers or
  // short strings: no call for them).
  if (const std::string* s = value.if_string()) {
    if (s->size() > state_->limits->max_attribute_value_length)
      limit_value(value, state_->limits->max_attribute_value_length);
  } else if (value.value.index() >= 5) {  // ArrayValue, KvlistValue, BytesValue
    limit_value(value, state_->limits->max_attribute_value_length);
  }
  if (AttributeValue* slot = attribute_slot(*state_, key)) *slot = std::move(value);
}

void Span::set_string_attribute(std::string_view key, std::string_view value) noexcept {
  if (!state_) return;
  AttributeValue* slot = attribute_slot(*state_, key);
  if (!slot) return;
  // Cut as cut_utf8 cuts, before the copy: no more than the limit is copied.
  if (const std::size_t max = state_->limits->max_attribute_value_length; value.size() > max) {
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
    value = value.substr(0, n);
  }
  span_pool::assign(slot->value.emplace<std::string>(), value);
}

namespace {

template <class V>
void set_scalar(Span::State* state, std::string_view key, V value) noexcept {
  if (!state) return;
  if (AttributeValue* slot = attribute_slot(*state, key)) slot->value.emplace<V>(value);
}

}  // namespace

void Span::set_scalar_attribute(std::string_view key, bool value) noexcept {
  set_scalar(state_, key, value);
}
void Span::set_scalar_attribute(std::string_view key, std::int64_t value) noexcept {
  set_scalar(state_, key, value);
}
void Span::set_scalar_attribute(std::string_view key, double value) noexcept {
  set_scalar(state_, key, value);
}

void Span::add_event(std::string_view name, Attributes attributes) noexcept {
  add_event(name, now_unix_nano(), std::move(attributes));
}

void Span::add_event(std::string_view name, std::uint64_t time_unix_nano,
                     Attributes attributes) noexcept {
  if (!state_) return;
  const SpanLimits& limits = *state_->limits;
  if (state_->events.size() >= limits.max_events) {
    ++state_->dropped_events_count;
    return;
  }
  Event event{std::string(name), time_unix_nano, std::move(attributes), 0};
  event.dropped_attributes_count = limit_attributes(
      event.attributes, limits.max_attributes_per_event, limits.max_attribute_value_length);
  state_->events.push_back(std::move(event));
}

void Span::add_link(const SpanContext& context, Attributes attributes) noexcept {
  if (!state_) return;
  const SpanLimits& limits = *state_->limits;
  if (state_->links.size() >= limits.max_links) {
    ++state_->dropped_links_count;
    return;
  }
  Link link{context, std::move(attributes), 0};
  link.dropped_attributes_count = limit_attributes(link.attributes, limits.max_attributes_per_link,
                                                   limits.max_attribute_value_length);
  state_->links.push_back(std::move(link));
}

void Span::set_status(StatusCode code, std::string_view message) noexcept {
  if (!state_) return;
  // OTel: Ok is final; Unset never overrides; a description only goes with Error.
  if (state_->status_code == StatusCode::ok || code == StatusCode::unset) return;
  state_->status_code = code;
  state_->status_message = code == StatusCode::error ? std::string(message) : std::string();
  cut_utf8(state_->status_message, state_->limits->max_attribute_value_length);
}

void Span::update_name(std::string_view name) noexcept {
  if (state_) state_->name.assign(name);
}

void Span::end() noexcept {
  if (state_) end(now_unix_nano());
}

void Span::end(std::uint64_t end_time_unix_nano) noexcept {
  State* state = std::exchange(state_, nullptr);
  if (!state) return;
  state->end_time_unix_nano = std::max(end_time_unix_nano, state->start_time_unix_nano);
  if (state->token != 0) {
    ThreadStack& stack = tls_stack;
    if (stack.owns(state->token)) stack.remove(state->token, false);
  }
  if (state->recorder) {
    // A kept State holds no reference to its recorder (the recorder owns it). The recorder may
    // go with the last reference, and the State with it: it is not touched after keep.
    const std::shared_ptr<Recorder> recorder = std::move(state->recorder);
    if (!recorder->keep(*state, state->root)) free_state(state);
    return;
  }
  if (state->provider) state->provider->on_end(*state);
  free_state(state);
}

Context Span::as_context() const {
  if (!state_ || !state_->recorder) return {};
  return Context(state_->recorder, context_);
}

// ---------------------------------------------------------------------------------------------
// Binding

Context current_context() {
  const ThreadStack& stack = tls_stack;
  if (stack.entries.empty()) return {};
  const Entry& top = stack.entries.back();
  if (!*top.recorder) return {};
  return Context(*top.recorder, top.context);
}

ContextScope::ContextScope(Context context) noexcept : context_(std::move(context)) {
  ThreadStack& stack = tls_stack;
  token_ = stack.new_token();
  stack.entries.push_back({&context_.recorder(), context_.span_context(), token_});
}

ContextScope::~ContextScope() {
  tls_stack.remove(token_, true);
}

namespace {

Span::State* new_state(std::shared_ptr<Recorder> recorder, std::string_view name, SpanKind kind) {
  auto* state = make_state();
  state->limits = &recorder->limits();
  state->recorder = std::move(recorder);
  state->name.append(name.data(), name.size());  // into a new, empty string: no more
  state->kind = kind;
  state->span_id = generate_span_id();
  state->start_time_unix_nano = now_unix_nano();
  return state;
}

// A child's context, member by member (no temporary SpanContext, its tracestate copied once).
void set_child_context(SpanContext& context, const SpanData& data, const SpanContext& parent) {
  context.trace_id = data.trace_id;
  context.span_id = data.span_id;
  context.flags = parent.flags;
  if (!parent.tracestate.empty()) context.tracestate = parent.tracestate;  // most have none
  context.remote = false;
}

}  // namespace

Span start_span_in(const Context& parent, std::string_view name, SpanKind kind) noexcept {
  Span span;
  if (!parent.recorder()) return span;
  Span::State* state = new_state(parent.recorder(), name, kind);
  const SpanContext& p = parent.span_context();
  state->trace_id = p.trace_id;
  state->parent_span_id = p.span_id;
  state->flags = p.flags;
  if (!p.tracestate.empty()) state->trace_state = p.tracestate;
  span.state_ = state;
  set_child_context(span.context_, *state, p);
  return span;
}

Span start_span(std::string_view name, SpanKind kind) noexcept {
  ThreadStack& stack = tls_stack;
  if (stack.entries.empty()) return {};
  const Entry& top = stack.entries.back();
  if (!*top.recorder) return {};
  Span::State* state = new_state(*top.recorder, name, kind);
  const SpanContext& p = top.context;
  state->trace_id = p.trace_id;
  state->parent_span_id = p.span_id;
  state->flags = p.flags;
  if (!p.tracestate.empty()) state->trace_state = p.tracestate;
  const std::shared_ptr<Recorder>* recorder = top.recorder;  // `top` dies in push_back
  Span span;
  span.state_ = state;
  set_child_context(span.context_, *state, p);
  state->token = stack.new_token();
  stack.entries.push_back({recorder, span.context_, state->token});
  return span;
}

Span start_root_span(std::shared_ptr<Recorder> recorder, std::string_view name, SpanKind kind,
                     const std::optional<SpanContext>& parent) noexcept {
  Span span;
  Span::State* state;
  if (recorder) {
    state = new_state(std::move(recorder), name, kind);
  } else {
    state = make_state();
    state->provider = tracer_provider();
    state->limits = &state->provider->limits();
    state->name.assign(name);
    state->kind = kind;
    state->span_id = generate_span_id();
    state->start_time_unix_nano = now_unix_nano();
  }
  state->root = true;
  if (parent && parent->is_valid()) {
    state->trace_id = parent->trace_id;
    state->parent_span_id = parent->span_id;
    state->flags = parent->flags;
    state->trace_state = parent->tracestate;
  } else {
    state->trace_id = generate_trace_id();
    state->flags = kTraceFlagSampled;
  }
  span.state_ = state;
  span.context_ = {state->trace_id, state->span_id, state->flags, state->trace_state, false};
  return span;
}

}  // namespace glassbox::trace
