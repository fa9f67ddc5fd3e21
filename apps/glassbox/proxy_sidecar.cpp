// The sidecar role of `glassbox proxy` (P3): spans a stdio child exports over OTLP become the
// passback of the call they belong to.
#include "proxy.hpp"

#include "collector.hpp"

#include <algorithm>
#include <iostream>

namespace glassbox::cli {

// ---- Sidecar -------------------------------------------------------------------------------

Sidecar::Sidecar(SidecarOptions options) : options_(std::move(options)) {}

Sidecar::~Sidecar() {
  if (receiver_) receiver_->stop();
}

void Sidecar::start() {
  collector::CollectorOptions receiver{.host = "127.0.0.1", .port = 0};
  receiver.on_traces = [this](trace::TracesData traces) { receive(std::move(traces)); };
  receiver_ = std::make_unique<collector::Collector>(std::move(receiver));
  receiver_->start();
}

std::vector<std::pair<std::string, std::string>> Sidecar::child_environment() const {
  std::string base = receiver_->base_url();
  return {
      {"OTEL_EXPORTER_OTLP_ENDPOINT", base},
      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", base + "/v1/traces"},
      {"OTEL_TRACES_EXPORTER", "otlp"},
      // The batch processor's delay (default 5 s) is the child's part of a call's wait.
      {"OTEL_BSP_SCHEDULE_DELAY", "20"},
  };
}

std::shared_ptr<Sidecar::Call> Sidecar::begin(const trace::SpanContext& caller) {
  auto call = std::make_shared<Call>(Call{caller});
  std::lock_guard lock(mutex_);
  buckets_[caller.trace_id].calls.push_back(call);
  return call;
}

void Sidecar::receive(trace::TracesData traces) {
  std::size_t late = 0;
  bool routed = false;
  {
    std::lock_guard lock(mutex_);
    ++exported_batches_;
    for (const trace::ResourceSpans& rs : traces.resource_spans) {
      for (const trace::ScopeSpans& ss : rs.scope_spans) {
        for (const trace::SpanData& span : ss.spans) {
          ++stats_.received_spans;
          auto bucket = buckets_.find(span.trace_id);
          if (bucket != buckets_.end()) {
            if (bucket->second.spans.size() < options_.max_spans_per_trace) {
              bucket->second.spans.push_back({span, rs.resource, ss.scope});
              routed = true;
            }
          } else if (std::find(answered_.begin(), answered_.end(), span.trace_id) !=
                     answered_.end()) {
            ++late;
          } else {
            ++stats_.unmatched_spans;
          }
        }
      }
    }
    stats_.late_spans += late;
  }
  if (routed) arrived_.notify_all();
  if (late > 0) {
    std::cerr << "glassbox proxy: " + std::to_string(late) +
                     " span(s) arrived after their call was answered (late; see --passback-wait)\n"
              << std::flush;
  }
  if (options_.forward) options_.forward->enqueue(std::move(traces));  // S13
}

// The child's root span of the call: parented to the caller's span, not given to another call
// that shares the caller's span.
const Sidecar::Received* Sidecar::find_root(const Bucket& bucket, const Call& call) const {
  const Received* found = nullptr;
  for (const Received& r : bucket.spans) {
    if (r.span.parent_span_id != call.caller.span_id) continue;
    if (std::find(bucket.claimed_roots.begin(), bucket.claimed_roots.end(), r.span.span_id) !=
        bucket.claimed_roots.end())
      continue;
    // Several candidates (say, a SERVER span and a sibling): the SERVER span, else the earliest.
    if (!found || (r.span.kind == trace::SpanKind::server && found->span.kind != r.span.kind) ||
        (r.span.kind == found->span.kind &&
         r.span.start_time_unix_nano < found->span.start_time_unix_nano))
      found = &r;
  }
  return found;
}

void Sidecar::release(const std::shared_ptr<Call>& call) {
  auto bucket = buckets_.find(call->caller.trace_id);
  if (bucket == buckets_.end()) return;
  auto& calls = bucket->second.calls;
  calls.erase(std::remove(calls.begin(), calls.end(), call), calls.end());
  if (!calls.empty()) return;
  buckets_.erase(bucket);
  answered_.push_back(call->caller.trace_id);
  if (answered_.size() > options_.remembered_traces) answered_.pop_front();
}

void Sidecar::end(const std::shared_ptr<Call>& call) {
  std::lock_guard lock(mutex_);
  release(call);
}

json::object Sidecar::finish(const std::shared_ptr<Call>& call, bool detailed) {
  std::vector<trace::SpanData> spans;
  std::optional<Received> root;
  std::size_t arrived = 0;
  bool child_exported = false;
  {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + options_.wait;
    const Received* found = nullptr;
    arrived_.wait_until(lock, deadline, [&] {
      auto bucket = buckets_.find(call->caller.trace_id);
      found = bucket == buckets_.end() ? nullptr : find_root(bucket->second, *call);
      return found != nullptr;
    });
    auto bucket = buckets_.find(call->caller.trace_id);
    if (bucket != buckets_.end()) {
      if (found) {
        root = *found;
        bucket->second.claimed_roots.push_back(found->span.span_id);
      }
      arrived = bucket->second.spans.size();
      for (const Received& r : bucket->second.spans) spans.push_back(r.span);
    }
    child_exported = exported_batches_ > 0;
    release(call);
  }

  trace::CurationOptions curation = options_.curation;
  curation.detailed = detailed;
  json::object traces;
  trace::CurationReport report;
  if (root) {
    traces = trace::curate_to_otlp_json(std::move(spans), root->span.span_id, root->resource,
                                        root->scope, curation, &report);
  } else {
    traces["resourceSpans"] = json::array{};
    report.detailed = false;
    report.root_found = false;
    report.dropped_span_count = arrived;
    std::string wait = std::to_string(options_.wait.count()) + " ms";
    if (!child_exported) {
      report.reason = "the server exported no spans within " + wait +
                      " (none at all so far: is it instrumented with OpenTelemetry?)";
    } else if (arrived == 0) {
      report.reason = "the server exported no spans for this call within " + wait;
    } else {
      report.reason = "the server's root span for this call did not arrive within " + wait + "; " +
                      std::to_string(arrived) + " other span(s) of the trace withheld";
    }
  }
  traces["truncated"] = report.truncated;
  traces["droppedSpanCount"] = report.dropped_span_count;
  traces["policy"] = report.to_json();  // S15
  return traces;
}

SidecarStats Sidecar::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace glassbox::cli
