#include "mcp/passback_stream.hpp"

#include "glassbox/trace/otlp.hpp"

#include <algorithm>
#include <set>

namespace glassbox::mcp {

namespace {

// Bytes kept back from the notifications for the final response's root span.
std::size_t root_reserve(std::size_t max_bytes) {
  return std::min<std::size_t>(4096, max_bytes / 4);
}

}  // namespace

PassbackStream::PassbackStream(PassbackStreamOptions options)
    : options_(std::move(options)),
      throttle_(options_.interval, options_.batch),
      spans_left_(std::max<std::size_t>(options_.curation.max_spans, 1)),
      bytes_left_(options_.curation.max_bytes) {
  report_.detailed = options_.curation.detailed && options_.curation.allow_detailed;
  timer_ = std::thread([this] { run(); });
}

PassbackStream::~PassbackStream() {
  stop();
}

void PassbackStream::on_recorded() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  ++waiting_;
  if (throttle_.due(waiting_, options_.clock())) {
    flush_locked();
  } else {
    wake_.notify_all();  // the timer sends them when the interval ends
  }
}

void PassbackStream::run() {
  std::unique_lock lock(mutex_);
  while (!finished_) {
    if (waiting_ == 0) {
      wake_.wait(lock);
      continue;
    }
    // The throttle's clock may be a test's; the wait is on the real one for the same span.
    auto now = options_.clock();
    if (throttle_.due(waiting_, now)) {
      flush_locked();
      continue;
    }
    wake_.wait_for(lock, throttle_.next(now) - now);
  }
}

long PassbackStream::depth_locked(const trace::SpanId& id,
                                  const std::map<trace::SpanId, trace::SpanId>& parents) {
  std::vector<trace::SpanId> chain;
  trace::SpanId at = id;
  long base = -1;
  for (std::size_t steps = 0; steps <= parents.size() + 1; ++steps) {
    if (auto known = depth_.find(at); known != depth_.end()) {
      base = known->second;
      break;
    }
    if (at == options_.root) {
      base = 0;
      break;
    }
    auto parent = parents.find(at);
    if (parent == parents.end()) return -1;  // an ancestor still running (or none): not yet
    chain.push_back(at);
    at = parent->second;
  }
  if (base < 0) return -1;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) depth_[*it] = ++base;
  return depth_.at(id);
}

void PassbackStream::flush_locked() {
  std::vector<trace::SpanData> spans = options_.recorder->snapshot();
  std::map<trace::SpanId, trace::SpanId> parents = sent_;
  for (const auto& s : spans) parents.emplace(s.span_id, s.parent_span_id);
  const bool detailed = report_.detailed;
  // Ended spans whose whole chain up to the root has ended too: the client can stitch them now.
  std::vector<std::pair<long, std::size_t>> ready;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const trace::SpanData& s = spans[i];
    if (s.span_id == options_.root || sent_.contains(s.span_id)) continue;
    long d = depth_locked(s.span_id, parents);
    if (d < 1 || (!detailed && d > 1)) continue;
    ready.emplace_back(d, i);
  }
  waiting_ = 0;  // looked at: the next span that ends, or the timer, looks again
  // S12 across the call: one span and some bytes stay for the final response's root.
  if (ready.empty() || spans_left_ <= 1) return;
  std::sort(ready.begin(), ready.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return spans[a.second].start_time_unix_nano < spans[b.second].start_time_unix_nano;
  });
  if (ready.size() > spans_left_ - 1) ready.resize(spans_left_ - 1);
  std::vector<trace::SpanData> batch;
  for (const auto& [d, i] : ready) batch.push_back(std::move(spans[i]));
  const std::size_t reserve = root_reserve(options_.curation.max_bytes);
  if (bytes_left_ <= reserve + 256) return;
  trace::CurationOptions curation = options_.curation;
  curation.detailed = curation.allow_detailed = true;  // selected above
  curation.max_spans = SIZE_MAX;
  curation.max_bytes = bytes_left_ - reserve;
  const trace::TracerProvider& provider = *options_.recorder->provider();
  trace::CurationReport r;
  json::object traces = trace::curate_to_otlp_json(
      std::move(batch), trace::SpanId{}, provider.resource(), provider.scope(), curation, &r);
  std::size_t size = boost::json::serialize(traces).size();
  if (size > bytes_left_ - reserve) return;  // the first span alone is over: left for the end
  bytes_left_ -= size;
  for (const auto& rs : traces.at("resourceSpans").as_array())
    for (const auto& ss : rs.at("scopeSpans").as_array())
      for (const auto& sp : ss.at("spans").as_array()) {
        const json::object& o = sp.as_object();
        auto id = trace::SpanId::from_hex(o.at("spanId").as_string());
        auto parent = o.contains("parentSpanId")
                          ? trace::SpanId::from_hex(o.at("parentSpanId").as_string())
                          : std::nullopt;
        if (id) sent_.emplace(*id, parent.value_or(trace::SpanId{}));
      }
  spans_left_ -= r.kept_span_count;
  report_.kept_span_count += r.kept_span_count;
  report_.redacted_attribute_count += r.redacted_attribute_count;
  report_.truncated_attribute_count += r.truncated_attribute_count;
  ++notifications_;
  throttle_.sent(options_.clock());
  traces["partial"] = true;
  traces["truncated"] = false;
  traces["droppedSpanCount"] = 0;
  traces["policy"] = report_.to_json();
  if (options_.send) {
    try {
      options_.send(std::move(traces));
    } catch (...) {  // a closed connection: the final response reports nothing less
    }
  }
}

void PassbackStream::stop() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  wake_.notify_all();
  if (timer_.joinable() && timer_.get_id() != std::this_thread::get_id()) timer_.join();
}

StreamRemainder PassbackStream::remainder(std::vector<trace::SpanData> all) {
  std::lock_guard lock(mutex_);
  StreamRemainder out;
  out.curation = options_.curation;
  out.curation.max_spans = spans_left_;
  out.curation.max_bytes = bytes_left_;
  out.sent = report_;
  out.notifications = notifications_;
  for (auto& s : all)
    if (!sent_.contains(s.span_id)) out.spans.push_back(std::move(s));
  out.sent_parents = sent_;
  return out;
}

json::object finish_streamed(PassbackStream& stream, std::vector<trace::SpanData> all,
                             const trace::SpanId& root, const trace::TracerProvider& provider,
                             std::vector<NestedHop> nested, trace::CurationReport* report,
                             json::object* nested_report) {
  stream.stop();
  StreamRemainder rest = stream.remainder(std::move(all));
  json::object traces =
      curate_with_nested(std::move(rest.spans), root, provider, rest.curation, std::move(nested),
                         report, nested_report, &rest.sent_parents);
  // S12, S15 over the whole call: the notifications' spans and redactions count too.
  report->kept_span_count += rest.sent.kept_span_count;
  report->redacted_attribute_count += rest.sent.redacted_attribute_count;
  report->truncated_attribute_count += rest.sent.truncated_attribute_count;
  return traces;
}

}  // namespace glassbox::mcp
