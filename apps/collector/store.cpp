// The SQLite trace store: traces (one summary row each), spans, attributes (one row per span
// attribute, so they can be searched by key), resources (deduplicated by their attributes).
#include "collector.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace glassbox::collector {
namespace {

// Version 2: no big value sits in a b-tree key, so an insert costs the same whatever was stored
// before. Version 1 indexed attributes(key) whole: after one 8 MiB key, every later insert of a
// key sorting next to it copied the 8 MiB to compare (2,000 spans: 0.04 s -> 9.5 s). Now the
// key index holds a 64-byte prefix (search with `substr(key, 1, 64) = substr(?, 1, 64) AND
// key = ?`), span and attribute rows are rowid rows behind small indexes (not WITHOUT ROWID,
// where the whole row is the key), and a resource is found by a hash of its attributes.
constexpr int kSchemaVersion = 2;
constexpr const char* kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA journal_size_limit = 16777216;
CREATE TABLE IF NOT EXISTS resources(
  id INTEGER PRIMARY KEY,
  fingerprint INTEGER NOT NULL,
  service_name TEXT NOT NULL,
  attributes TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS resources_by_fingerprint ON resources(fingerprint);
CREATE TABLE IF NOT EXISTS traces(
  trace_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  start_ns INTEGER NOT NULL DEFAULT 0,
  end_ns INTEGER NOT NULL DEFAULT 0,
  root_name TEXT NOT NULL DEFAULT '',
  root_service TEXT NOT NULL DEFAULT '',
  span_count INTEGER NOT NULL DEFAULT 0,
  error_count INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS traces_by_seq ON traces(seq);
CREATE TABLE IF NOT EXISTS spans(
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  flags INTEGER NOT NULL,
  trace_state TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  scope_name TEXT NOT NULL,
  scope_version TEXT NOT NULL,
  events TEXT NOT NULL,
  links TEXT NOT NULL,
  dropped_attributes INTEGER NOT NULL,
  dropped_events INTEGER NOT NULL,
  dropped_links INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS spans_by_id ON spans(trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_by_resource ON spans(resource_id);
CREATE TABLE IF NOT EXISTS attributes(
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attributes_by_span ON attributes(trace_id, span_id, position);
CREATE INDEX IF NOT EXISTS attributes_by_key ON attributes(substr(key, 1, 64));
)sql";

// FNV-1a, 64 bits: stable across builds (it is stored), and only a filter: equal fingerprints
// are confirmed by comparing the attributes.
std::int64_t fingerprint(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(h);
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::string_view text) {
    // An empty view may have no data at all, and SQLite binds a null pointer as NULL (a resource
    // without service.name then broke the NOT NULL column): empty text is "", never NULL.
    sqlite3_bind_text(stmt_, i, text.data() ? text.data() : "", static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // True while there is a row; throws on an error.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  void run() {
    step();
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, col))
             : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string reason = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error("sqlite: " + reason);
  }
}

// Stored values are as deep as the decoder allowed (OtlpDecodeLimits::max_depth, AnyValue
// levels): each level is three JSON levels, so the default JSON depth (64) would lose some.
constexpr json::ParseLimits kStoredJsonDepth{.max_depth = 1024};

json::value parse_or_empty_array(const std::string& text) {
  auto v = json::parse(text, kStoredJsonDepth);
  return v ? *v : json::value(json::array{});
}

}  // namespace

json::object TraceSummary::to_json() const {
  json::array service_list;
  for (const auto& s : services) service_list.push_back(json::value(s));
  return {{"traceId", trace_id},
          {"rootName", root_name},
          {"rootService", root_service},
          {"services", std::move(service_list)},
          {"startTimeUnixNano", std::to_string(start_time_unix_nano)},
          {"startTimeMs", static_cast<double>(start_time_unix_nano / 1000) / 1000.0},
          {"durationMs", static_cast<double>(end_time_unix_nano > start_time_unix_nano
                                                 ? end_time_unix_nano - start_time_unix_nano
                                                 : 0) /
                             1e6},
          {"spanCount", span_count},
          {"errorCount", error_count}};
}

struct TraceStore::Impl {
  TraceStoreOptions options;
  mutable std::mutex mutex;
  sqlite3* db = nullptr;
  std::int64_t next_seq = 1;

  std::atomic<bool> interrupted{false};
  std::atomic<bool> inserting{false};
  IngestCounts counts;

  // The resource's row id and the bytes its attributes take.
  std::pair<std::int64_t, std::size_t> resource_id(const trace::Resource& resource) {
    std::string attributes = json::serialize(trace::attributes_to_otlp_json(resource.attributes));
    std::int64_t hash = fingerprint(attributes);
    Statement find(db, "SELECT id, attributes FROM resources WHERE fingerprint = ?1");
    find.bind(1, hash);
    while (find.step()) {
      if (find.text(1) == attributes) return {find.integer(0), attributes.size()};
    }
    Statement add(
        db, "INSERT INTO resources(fingerprint, service_name, attributes) VALUES(?1, ?2, ?3)");
    add.bind(1, hash).bind(2, resource.service_name()).bind(3, attributes);
    add.run();
    return {sqlite3_last_insert_rowid(db), attributes.size()};
  }

  void check_interrupted() const {
    if (interrupted.load(std::memory_order_relaxed)) {
      throw std::runtime_error("the store is stopping");
    }
  }

  void refresh_summary(const std::string& trace_id) {
    Statement totals(
        db,
        "UPDATE traces SET"
        " start_ns = (SELECT IFNULL(MIN(start_ns), 0) FROM spans WHERE trace_id = ?1),"
        " end_ns = (SELECT IFNULL(MAX(end_ns), 0) FROM spans WHERE trace_id = ?1),"
        " span_count = (SELECT COUNT(*) FROM spans WHERE trace_id = ?1),"
        " error_count = (SELECT COUNT(*) FROM spans WHERE trace_id = ?1 AND status_code = 2)"
        " WHERE trace_id = ?1");
    totals.bind(1, trace_id).run();
    // The root: a span whose parent is not in the trace (a client span whose own caller is
    // elsewhere counts), earliest first.
    Statement root(
        db,
        "SELECT s.name, r.service_name FROM spans s JOIN resources r ON r.id = s.resource_id"
        " WHERE s.trace_id = ?1 AND (s.parent_span_id = '' OR NOT EXISTS"
        " (SELECT 1 FROM spans p WHERE p.trace_id = ?1 AND p.span_id = s.parent_span_id))"
        " ORDER BY s.start_ns LIMIT 1");
    root.bind(1, trace_id);
    if (root.step()) {
      Statement set(db, "UPDATE traces SET root_name = ?2, root_service = ?3 WHERE trace_id = ?1");
      set.bind(1, trace_id).bind(2, root.text(0)).bind(3, root.text(1)).run();
    }
  }

  // Oldest first (by latest arrival): beyond max_traces, then while the traces take more than
  // max_bytes (the newest one too, if it alone is over the bound).
  std::size_t apply_retention() {
    std::vector<std::string> victims;
    {
      Statement count(db, "SELECT COUNT(*), IFNULL(SUM(bytes), 0) FROM traces");
      count.step();
      std::int64_t excess = count.integer(0) - static_cast<std::int64_t>(options.max_traces);
      std::int64_t bytes = count.integer(1);
      if (excess <= 0 && bytes <= static_cast<std::int64_t>(options.max_bytes)) return 0;
      Statement oldest(db, "SELECT trace_id, bytes FROM traces ORDER BY seq ASC");
      while (oldest.step() &&
             (excess > 0 || bytes > static_cast<std::int64_t>(options.max_bytes))) {
        victims.push_back(oldest.text(0));
        bytes -= oldest.integer(1);
        --excess;
      }
    }
    Statement del_attributes(db, "DELETE FROM attributes WHERE trace_id = ?1");
    Statement del_spans(db, "DELETE FROM spans WHERE trace_id = ?1");
    Statement del_trace(db, "DELETE FROM traces WHERE trace_id = ?1");
    for (const auto& id : victims) {
      del_attributes.bind(1, id).run();
      del_spans.bind(1, id).run();
      del_trace.bind(1, id).run();
    }
    exec(db, "DELETE FROM resources WHERE id NOT IN (SELECT DISTINCT resource_id FROM spans)");
    evicted = true;
    return victims.size();
  }
  bool evicted = false;  // since the last vacuum

  std::vector<std::string> services(const std::string& trace_id,
                                    const std::string& root_service) const {
    std::vector<std::string> out;
    if (!root_service.empty()) out.push_back(root_service);
    Statement q(
        db,
        "SELECT r.service_name, MIN(s.start_ns) AS first FROM spans s JOIN resources r"
        " ON r.id = s.resource_id WHERE s.trace_id = ?1 GROUP BY r.service_name ORDER BY first");
    q.bind(1, trace_id);
    while (q.step()) {
      std::string s = q.text(0);
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return out;
  }

  TraceSummary summary_row(Statement& q) const {
    TraceSummary s;
    s.trace_id = q.text(0);
    s.root_name = q.text(1);
    s.root_service = q.text(2);
    s.start_time_unix_nano = static_cast<std::uint64_t>(q.integer(3));
    s.end_time_unix_nano = static_cast<std::uint64_t>(q.integer(4));
    s.span_count = static_cast<std::size_t>(q.integer(5));
    s.error_count = static_cast<std::size_t>(q.integer(6));
    s.services = services(s.trace_id, s.root_service);
    return s;
  }
};

TraceStore::TraceStore(TraceStoreOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (sqlite3_open_v2(impl_->options.path.c_str(), &impl_->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string reason = impl_->db ? sqlite3_errmsg(impl_->db) : "out of memory";
    sqlite3_close(impl_->db);
    throw std::runtime_error("cannot open " + impl_->options.path + ": " + reason);
  }
  try {
    sqlite3_busy_timeout(impl_->db, 5000);  // another process (a second collector) on the same file
    std::int64_t version = 0;
    {
      Statement q(impl_->db, "PRAGMA user_version");
      q.step();
      version = q.integer(0);
    }  // finalized: VACUUM refuses to run beside an open statement
    if (version < kSchemaVersion) {
      // A version 1 file (big values in b-tree keys) cannot be fixed in place; its traces are a
      // cache of what was exported, so it starts over. auto_vacuum only takes on an empty file.
      exec(impl_->db,
           "DROP TABLE IF EXISTS attributes; DROP TABLE IF EXISTS spans;"
           " DROP TABLE IF EXISTS traces; DROP TABLE IF EXISTS resources;"
           " PRAGMA auto_vacuum = INCREMENTAL; VACUUM;");
      exec(impl_->db, kSchema);
      exec(impl_->db, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    } else {
      exec(impl_->db, kSchema);
    }
    Statement seq(impl_->db, "SELECT IFNULL(MAX(seq), 0) FROM traces");
    seq.step();
    impl_->next_seq = seq.integer(0) + 1;
  } catch (...) {
    sqlite3_close(impl_->db);
    throw;
  }
}

TraceStore::~TraceStore() {
  sqlite3_close(impl_->db);
}

const std::string& TraceStore::path() const noexcept {
  return impl_->options.path;
}

std::size_t TraceStore::insert(const trace::TracesData& traces) {
  std::lock_guard lock(impl_->mutex);
  impl_->check_interrupted();
  impl_->inserting.store(true);
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag.store(false); }
  } done{impl_->inserting};
  sqlite3* db = impl_->db;
  const trace::SpanLimits& limits = impl_->options.span_limits;
  exec(db, "BEGIN IMMEDIATE");
  std::size_t stored = 0;
  IngestCounts counts;
  try {
    Statement span_stmt(db,
                        "INSERT OR REPLACE INTO spans VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                        "?10, ?11, ?12, ?13,"
                        " ?14, ?15, ?16, ?17, ?18, ?19)");
    Statement clear_attributes(db, "DELETE FROM attributes WHERE trace_id = ?1 AND span_id = ?2");
    Statement attribute_stmt(db, "INSERT INTO attributes VALUES(?1, ?2, ?3, ?4, ?5)");
    Statement trace_stmt(db,
                         "INSERT INTO traces(trace_id, seq) VALUES(?1, ?2)"
                         " ON CONFLICT(trace_id) DO UPDATE SET seq = excluded.seq");
    Statement bytes_stmt(db, "UPDATE traces SET bytes = bytes + ?2 WHERE trace_id = ?1");
    std::map<std::string, std::int64_t> touched;  // trace id -> bytes written to it
    for (const auto& rs : traces.resource_spans) {
      // Bounded and made valid UTF-8 on the way in (S12), like every span below: what the
      // viewer serves is then valid JSON, and no single value can weigh on the store.
      trace::Resource bounded = rs.resource;
      counts.limits += trace::enforce_attribute_limits(bounded.attributes, limits.max_attributes,
                                                       limits.max_attribute_value_length);
      auto [resource, resource_bytes] = impl_->resource_id(bounded);
      std::set<std::string> charged;  // the traces this resource's bytes were counted in
      for (const auto& ss : rs.scope_spans) {
        std::string scope_name = ss.scope.name, scope_version = ss.scope.version;
        for (std::string* text : {&scope_name, &scope_version}) {
          counts.limits.repaired_strings += trace::repair_utf8(*text);
          counts.limits.cut_values += trace::cut_utf8(*text, limits.max_attribute_value_length);
        }
        for (const auto& received : ss.spans) {
          impl_->check_interrupted();  // stop() does not wait for a big export to finish
          trace::SpanData span = received;
          counts.limits += trace::enforce_span_limits(span, limits);
          std::string trace_id = span.trace_id.to_hex();
          std::string span_id = span.span_id.to_hex();
          json::object otlp = trace::span_to_otlp_json(span);
          auto member_text = [&](std::string_view key) {
            const json::value* v = otlp.if_contains(key);
            return v ? json::serialize(*v) : std::string("[]");
          };
          std::string events = member_text("events");
          std::string links = member_text("links");
          std::int64_t bytes = static_cast<std::int64_t>(
              span.name.size() + span.status_message.size() + span.trace_state.size() +
              scope_name.size() + scope_version.size() + events.size() + links.size() + 128);
          span_stmt.bind(1, trace_id)
              .bind(2, span_id)
              .bind(3,
                    span.parent_span_id.is_valid() ? span.parent_span_id.to_hex() : std::string())
              .bind(4, span.name)
              .bind(5, static_cast<std::int64_t>(span.kind))
              .bind(6, static_cast<std::int64_t>(span.start_time_unix_nano))
              .bind(7, static_cast<std::int64_t>(span.end_time_unix_nano))
              .bind(8, static_cast<std::int64_t>(span.status_code))
              .bind(9, span.status_message)
              .bind(10, static_cast<std::int64_t>(span.flags))
              .bind(11, span.trace_state)
              .bind(12, resource)
              .bind(13, scope_name)
              .bind(14, scope_version)
              .bind(15, events)
              .bind(16, links)
              .bind(17, static_cast<std::int64_t>(span.dropped_attributes_count))
              .bind(18, static_cast<std::int64_t>(span.dropped_events_count))
              .bind(19, static_cast<std::int64_t>(span.dropped_links_count));
          span_stmt.run();
          clear_attributes.bind(1, trace_id).bind(2, span_id).run();
          std::int64_t position = 0;
          for (const auto& kv : span.attributes) {
            std::string value = json::serialize(trace::any_value_to_otlp_json(kv.value));
            bytes += static_cast<std::int64_t>(kv.key.size() + value.size() + 96);
            attribute_stmt.bind(1, trace_id)
                .bind(2, span_id)
                .bind(3, position++)
                .bind(4, kv.key)
                .bind(5, value);
            attribute_stmt.run();
          }
          if (!touched.contains(trace_id))
            trace_stmt.bind(1, trace_id).bind(2, impl_->next_seq++).run();
          if (charged.insert(trace_id).second) bytes += static_cast<std::int64_t>(resource_bytes);
          touched[trace_id] += bytes;
          ++stored;
        }
      }
    }
    for (const auto& [id, bytes] : touched) {
      bytes_stmt.bind(1, id).bind(2, bytes).run();
      impl_->refresh_summary(id);
    }
    counts.evicted_traces = impl_->apply_retention();
    exec(db, "COMMIT");
  } catch (...) {
    // An interrupted statement may have rolled the transaction back already.
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  impl_->counts.limits += counts.limits;
  impl_->counts.evicted_traces += counts.evicted_traces;
  if (impl_->evicted) {
    // Give the pages of evicted traces back to the file system (auto_vacuum = INCREMENTAL),
    // and let the WAL shrink back (journal_size_limit) at its next checkpoint.
    impl_->evicted = false;
    exec(db, "PRAGMA incremental_vacuum");
  }
  return stored;
}

void TraceStore::interrupt() {
  impl_->interrupted.store(true, std::memory_order_relaxed);
  sqlite3_interrupt(impl_->db);
}

bool TraceStore::inserting() const noexcept {
  return impl_->inserting.load();
}

void TraceStore::resume() {
  impl_->interrupted.store(false, std::memory_order_relaxed);
}

IngestCounts TraceStore::ingest_counts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counts;
}

std::size_t TraceStore::stored_bytes() const {
  std::lock_guard lock(impl_->mutex);
  Statement q(impl_->db, "SELECT IFNULL(SUM(bytes), 0) FROM traces");
  q.step();
  return static_cast<std::size_t>(q.integer(0));
}

json::object IngestCounts::to_json() const {
  return {{"cutValues", limits.cut_values},
          {"repairedStrings", limits.repaired_strings},
          {"droppedAttributes", limits.dropped_attributes},
          {"droppedEvents", limits.dropped_events},
          {"droppedLinks", limits.dropped_links},
          {"evictedTraces", evicted_traces}};
}

std::vector<TraceSummary> TraceStore::recent(std::size_t limit) const {
  std::lock_guard lock(impl_->mutex);
  Statement q(impl_->db,
              "SELECT trace_id, root_name, root_service, start_ns, end_ns, span_count, error_count"
              " FROM traces ORDER BY seq DESC LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<TraceSummary> out;
  while (q.step()) out.push_back(impl_->summary_row(q));
  return out;
}

std::size_t TraceStore::trace_count() const {
  std::lock_guard lock(impl_->mutex);
  Statement q(impl_->db, "SELECT COUNT(*) FROM traces");
  q.step();
  return static_cast<std::size_t>(q.integer(0));
}

std::size_t TraceStore::span_count() const {
  std::lock_guard lock(impl_->mutex);
  Statement q(impl_->db, "SELECT COUNT(*) FROM spans");
  q.step();
  return static_cast<std::size_t>(q.integer(0));
}

std::optional<json::object> TraceStore::trace_json(const std::string& trace_id) const {
  std::lock_guard lock(impl_->mutex);
  sqlite3* db = impl_->db;
  Statement head(
      db,
      "SELECT trace_id, root_name, root_service, start_ns, end_ns, span_count, error_count"
      " FROM traces WHERE trace_id = ?1");
  head.bind(1, trace_id);
  if (!head.step()) return std::nullopt;
  TraceSummary summary = impl_->summary_row(head);

  std::map<std::int64_t, std::size_t> resource_index;
  json::array resources;
  Statement res(db,
                "SELECT DISTINCT r.id, r.service_name, r.attributes FROM resources r JOIN spans s"
                " ON s.resource_id = r.id WHERE s.trace_id = ?1 ORDER BY r.id");
  res.bind(1, trace_id);
  while (res.step()) {
    resource_index[res.integer(0)] = resources.size();
    resources.push_back(json::object{{"serviceName", res.text(1)},
                                     {"attributes", parse_or_empty_array(res.text(2))}});
  }

  std::map<std::string, json::array> attributes;  // by span id
  Statement attrs(
      db,
      "SELECT span_id, key, value FROM attributes WHERE trace_id = ?1 ORDER BY span_id, position");
  attrs.bind(1, trace_id);
  while (attrs.step()) {
    auto value = json::parse(attrs.text(2), kStoredJsonDepth);
    attributes[attrs.text(0)].push_back(json::object{
        {"key", attrs.text(1)}, {"value", value ? *value : json::value(json::object{})}});
  }

  json::array spans;
  Statement q(
      db,
      "SELECT span_id, parent_span_id, name, kind, start_ns, end_ns, status_code, status_message, "
      "flags,"
      " trace_state, resource_id, scope_name, scope_version, events, links, dropped_attributes,"
      " dropped_events, dropped_links FROM spans WHERE trace_id = ?1 ORDER BY start_ns, span_id");
  q.bind(1, trace_id);
  while (q.step()) {
    std::string span_id = q.text(0);
    auto start = static_cast<std::uint64_t>(q.integer(4));
    auto end = static_cast<std::uint64_t>(q.integer(5));
    json::object s{
        {"traceId", trace_id},
        {"spanId", span_id},
        {"parentSpanId", q.text(1)},
        {"name", q.text(2)},
        {"kind", q.integer(3)},
        {"startTimeUnixNano", std::to_string(start)},
        {"endTimeUnixNano", std::to_string(end)},
        {"startOffsetMs", start >= summary.start_time_unix_nano
                              ? static_cast<double>(start - summary.start_time_unix_nano) / 1e6
                              : 0.0},
        {"durationMs", end > start ? static_cast<double>(end - start) / 1e6 : 0.0},
        {"status", {{"code", q.integer(6)}, {"message", q.text(7)}}},
        {"flags", q.integer(8)},
        {"traceState", q.text(9)},
        {"resource", resource_index[q.integer(10)]},
        {"scope", {{"name", q.text(11)}, {"version", q.text(12)}}},
        {"attributes", std::move(attributes[span_id])},
        {"events", parse_or_empty_array(q.text(13))},
        {"links", parse_or_empty_array(q.text(14))},
        {"droppedAttributesCount", q.integer(15)},
        {"droppedEventsCount", q.integer(16)},
        {"droppedLinksCount", q.integer(17)}};
    spans.push_back(std::move(s));
  }
  return json::object{{"traceId", trace_id},
                      {"summary", summary.to_json()},
                      {"resources", std::move(resources)},
                      {"spans", std::move(spans)}};
}

std::optional<trace::TracesData> TraceStore::trace_data(const std::string& trace_id) const {
  std::optional<json::object> t = trace_json(trace_id);
  if (!t) return std::nullopt;
  // Back through the OTLP JSON decoder: the stored columns are OTLP JSON pieces already, and
  // the decoder ignores the viewer's extra members.
  const json::array& resources = t->at("resources").as_array();
  json::array resource_spans;
  for (std::size_t i = 0; i < resources.size(); ++i) {
    std::map<std::pair<std::string, std::string>, json::array> by_scope;
    for (const auto& s : t->at("spans").as_array()) {
      if (s.at("resource").to_number<std::size_t>() != i) continue;
      const json::object& scope = s.at("scope").as_object();
      by_scope[{std::string(scope.at("name").as_string()),
                std::string(scope.at("version").as_string())}]
          .push_back(s);
    }
    json::array scope_spans;
    for (auto& [scope, spans] : by_scope) {
      scope_spans.push_back(
          json::object{{"scope", {{"name", scope.first}, {"version", scope.second}}},
                       {"spans", std::move(spans)}});
    }
    resource_spans.push_back(
        json::object{{"resource", {{"attributes", resources[i].at("attributes")}}},
                     {"scopeSpans", std::move(scope_spans)}});
  }
  return trace::decode_otlp_json(
      json::value(json::object{{"resourceSpans", std::move(resource_spans)}}),
      {.max_bytes = SIZE_MAX, .max_spans = SIZE_MAX, .max_depth = 64, .max_list_length = SIZE_MAX});
}

}  // namespace glassbox::collector
