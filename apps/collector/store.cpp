// The SQLite trace store: traces (one summary row each), spans, attributes (one row per span
// attribute, so they can be searched by key), resources (deduplicated by their attributes).
#include "collector.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace glassbox::collector {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS resources(
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  service_name TEXT NOT NULL,
  attributes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS traces(
  trace_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  start_ns INTEGER NOT NULL DEFAULT 0,
  end_ns INTEGER NOT NULL DEFAULT 0,
  root_name TEXT NOT NULL DEFAULT '',
  root_service TEXT NOT NULL DEFAULT '',
  span_count INTEGER NOT NULL DEFAULT 0,
  error_count INTEGER NOT NULL DEFAULT 0);
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
  dropped_links INTEGER NOT NULL,
  PRIMARY KEY(trace_id, span_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS spans_by_resource ON spans(resource_id);
CREATE TABLE IF NOT EXISTS attributes(
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(trace_id, span_id, position)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attributes_by_key ON attributes(key);
)sql";

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

json::value parse_or_empty_array(const std::string& text) {
  auto v = json::parse(text);
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

  std::int64_t resource_id(const trace::Resource& resource) {
    std::string attributes = json::serialize(trace::attributes_to_otlp_json(resource.attributes));
    Statement find(db, "SELECT id FROM resources WHERE fingerprint = ?1");
    find.bind(1, attributes);
    if (find.step()) return find.integer(0);
    Statement add(
        db, "INSERT INTO resources(fingerprint, service_name, attributes) VALUES(?1, ?2, ?1)");
    add.bind(1, attributes).bind(2, resource.service_name());
    add.run();
    return sqlite3_last_insert_rowid(db);
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

  void apply_retention() {
    Statement count(db, "SELECT COUNT(*) FROM traces");
    count.step();
    std::int64_t excess = count.integer(0) - static_cast<std::int64_t>(options.max_traces);
    if (excess <= 0) return;
    std::vector<std::string> victims;
    {
      Statement oldest(db, "SELECT trace_id FROM traces ORDER BY seq ASC LIMIT ?1");
      oldest.bind(1, excess);
      while (oldest.step()) victims.push_back(oldest.text(0));
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
  }

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
    exec(impl_->db, kSchema);
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
  sqlite3* db = impl_->db;
  exec(db, "BEGIN IMMEDIATE");
  std::size_t stored = 0;
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
    std::set<std::string> touched;
    for (const auto& rs : traces.resource_spans) {
      std::int64_t resource = impl_->resource_id(rs.resource);
      for (const auto& ss : rs.scope_spans) {
        for (const auto& span : ss.spans) {
          std::string trace_id = span.trace_id.to_hex();
          std::string span_id = span.span_id.to_hex();
          json::object otlp = trace::span_to_otlp_json(span);
          auto member_text = [&](std::string_view key) {
            const json::value* v = otlp.if_contains(key);
            return v ? json::serialize(*v) : std::string("[]");
          };
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
              .bind(13, ss.scope.name)
              .bind(14, ss.scope.version)
              .bind(15, member_text("events"))
              .bind(16, member_text("links"))
              .bind(17, static_cast<std::int64_t>(span.dropped_attributes_count))
              .bind(18, static_cast<std::int64_t>(span.dropped_events_count))
              .bind(19, static_cast<std::int64_t>(span.dropped_links_count));
          span_stmt.run();
          clear_attributes.bind(1, trace_id).bind(2, span_id).run();
          std::int64_t position = 0;
          for (const auto& kv : span.attributes) {
            attribute_stmt.bind(1, trace_id)
                .bind(2, span_id)
                .bind(3, position++)
                .bind(4, kv.key)
                .bind(5, json::serialize(trace::any_value_to_otlp_json(kv.value)));
            attribute_stmt.run();
          }
          if (touched.insert(trace_id).second)
            trace_stmt.bind(1, trace_id).bind(2, impl_->next_seq++).run();
          ++stored;
        }
      }
    }
    for (const auto& id : touched) impl_->refresh_summary(id);
    impl_->apply_retention();
    exec(db, "COMMIT");
  } catch (...) {
    exec(db, "ROLLBACK");
    throw;
  }
  return stored;
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
    auto value = json::parse(attrs.text(2));
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
