// The terminal waterfall of a stitched trace.
#include "cli_telemetry.hpp"
#include "terminal_text.hpp"

#include <sys/ioctl.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace glassbox::cli {

bool colour_enabled(int fd) {
  if (const char* no_colour = std::getenv("NO_COLOR"); no_colour && *no_colour) return false;
  if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(fd) == 1;
}

std::size_t terminal_width(int fd, std::size_t fallback) {
  winsize ws{};
  if (::isatty(fd) == 1 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return fallback;
}

namespace {

constexpr const char* kPalette[] = {"\x1b[36m", "\x1b[33m", "\x1b[32m",
                                    "\x1b[35m", "\x1b[34m", "\x1b[96m"};
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kRed = "\x1b[31;1m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kBold = "\x1b[1m";

struct Node {
  const trace::SpanData* span;
  std::string service;
  std::vector<std::size_t> children;
};

// Columns a UTF-8 string takes, counting each code point as one.
std::size_t columns(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// The first `max` columns of `s` (an ellipsis when cut), padded to `max`.
std::string fit(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t n = 0;
  if (columns(s) > max) {
    for (std::size_t i = 0; i < s.size() && n + 1 < max; ++i) {
      if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) ++n;
      out += s[i];
    }
    // Complete a code point cut in the middle.
    std::size_t i = out.size();
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) out += s[i++];
    out += "…";
    n += 1;
  } else {
    out = s;
    n = columns(s);
  }
  if (n < max) out.append(max - n, ' ');
  return out;
}

std::string duration_text(std::uint64_t nanos) {
  char buf[32];
  double ms = static_cast<double>(nanos) / 1e6;
  if (ms >= 1000)
    std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
  else if (ms >= 10)
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  else
    std::snprintf(buf, sizeof buf, "%.2f ms", ms);
  return buf;
}

std::string summary_line(const mcp::StitchedTrace& t) {
  const mcp::PassbackReport& r = t.report;
  if (!r.requested && !r.present) {
    return "passback not requested: the server is a black box (one span, ours)";
  }
  if (!r.present) return "passback requested, but the server returned no spans";
  if (r.discarded) return "passback discarded: " + r.reason;
  std::string line = "passback: " + std::to_string(r.accepted_span_count) + " server span" +
                     (r.accepted_span_count == 1 ? "" : "s") + " stitched under the client span";
  if (const json::object* p = &r.server_policy; !p->empty()) {
    bool detailed = json::find_bool(*p, "detailed").value_or(false);
    line += detailed ? " (detailed)" : " (top level)";
    if (auto n = json::find_int(*p, "redactedAttributeCount"); n && *n > 0)
      line += ", " + std::to_string(*n) + " attribute" + (*n == 1 ? "" : "s") +
              " redacted by the server";
    if (auto n = json::find_int(*p, "droppedSpanCount"); n && *n > 0)
      line += ", " + std::to_string(*n) + " withheld" + (detailed ? "" : " (ask with --detailed)");
  } else if (r.server_dropped_span_count > 0) {
    // A server without glassbox's policy report, e.g. Arcade's top-level filter (docs/arcade.md)
    line += ", " + std::to_string(r.server_dropped_span_count) + " withheld by the server";
  }
  if (r.dropped_span_count() > 0) line += "; " + r.reason;
  return line;
}

}  // namespace

std::string render_waterfall(const mcp::StitchedTrace& t, const WaterfallOptions& options) {
  // The tree: the CLIENT span at the top, the server's spans under their parents.
  std::vector<Node> nodes;
  nodes.push_back({&t.client_span, terminal_safe(t.client_resource.service_name()), {}});
  std::map<trace::SpanId, std::size_t> index{{t.client_span.span_id, 0}};
  for (const auto& rs : t.server_spans)
    for (const auto& ss : rs.scope_spans)
      for (const auto& s : ss.spans) {
        index.emplace(s.span_id, nodes.size());
        nodes.push_back({&s, terminal_safe(rs.resource.service_name()), {}});
      }
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    auto parent = index.find(nodes[i].span->parent_span_id);
    nodes[parent == index.end() ? 0 : parent->second].children.push_back(i);
  }
  for (auto& n : nodes) {
    std::sort(n.children.begin(), n.children.end(), [&](std::size_t a, std::size_t b) {
      return nodes[a].span->start_time_unix_nano < nodes[b].span->start_time_unix_nano;
    });
  }
  std::uint64_t t0 = UINT64_MAX, t1 = 0;
  for (const auto& n : nodes) {
    t0 = std::min(t0, n.span->start_time_unix_nano);
    t1 = std::max(t1, std::max(n.span->end_time_unix_nano, n.span->start_time_unix_nano));
  }
  const double total = static_cast<double>(std::max<std::uint64_t>(t1 - t0, 1));

  // Rows in tree order, with their prefixes.
  struct Row {
    std::size_t node;
    std::string label;
  };
  std::vector<Row> rows;
  auto walk = [&](auto&& self, std::size_t i, const std::string& prefix,
                  const std::string& branch) -> void {
    if (rows.size() > 10'000) return;
    rows.push_back({i, prefix + branch + terminal_safe(nodes[i].span->name)});
    std::string child_prefix = prefix + (branch.empty() ? "" : (branch == "└─ " ? "   " : "│  "));
    for (std::size_t c = 0; c < nodes[i].children.size(); ++c) {
      bool last = c + 1 == nodes[i].children.size();
      self(self, nodes[i].children[c], child_prefix, last ? "└─ " : "├─ ");
    }
  };
  walk(walk, 0, "", "");

  std::map<std::string, const char*> service_colour;
  for (const auto& n : nodes) {
    if (!service_colour.contains(n.service))
      service_colour[n.service] = kPalette[service_colour.size() % std::size(kPalette)];
  }
  std::size_t name_width = 12, service_width = 7;
  for (const auto& r : rows) name_width = std::max(name_width, columns(r.label));
  for (const auto& n : nodes) service_width = std::max(service_width, columns(n.service));
  name_width = std::min<std::size_t>(name_width, 46);
  service_width = std::min<std::size_t>(service_width, 18);
  const std::size_t duration_width = 10;
  std::size_t used = name_width + service_width + duration_width + 6;
  std::size_t bar_width = options.width > used + 12 ? options.width - used : 12;
  bar_width = std::min<std::size_t>(bar_width, 60);

  auto paint = [&](const char* code, const std::string& text) {
    return options.colour ? std::string(code) + text + kReset : text;
  };
  std::string out;
  out += paint(kBold, "trace " + t.client_span.trace_id.to_hex()) +
         paint(kDim, "  " + duration_text(t1 - t0)) + "\n";
  for (const auto& r : rows) {
    const Node& n = nodes[r.node];
    const trace::SpanData& s = *n.span;
    bool error = s.status_code == trace::StatusCode::error;
    auto from = static_cast<std::size_t>(
        std::floor(static_cast<double>(s.start_time_unix_nano - t0) / total * bar_width));
    auto to = static_cast<std::size_t>(
        std::ceil(static_cast<double>(std::max(s.end_time_unix_nano, s.start_time_unix_nano) - t0) /
                  total * bar_width));
    from = std::min(from, bar_width - 1);
    to = std::clamp(to, from + 1, bar_width);
    std::string bar;
    for (std::size_t i = 0; i < to - from; ++i) bar += "█";
    std::string line = "  ";
    line += error ? paint(kRed, fit(r.label, name_width)) : fit(r.label, name_width);
    line += "  " + paint(service_colour[n.service], fit(n.service, service_width)) + "  ";
    line += std::string(from, ' ') + paint(error ? kRed : service_colour[n.service], bar) +
            std::string(bar_width - to, ' ');
    std::string d = duration_text(s.end_time_unix_nano > s.start_time_unix_nano
                                      ? s.end_time_unix_nano - s.start_time_unix_nano
                                      : 0);
    line += "  " + std::string(d.size() < duration_width ? duration_width - d.size() : 0, ' ') + d;
    if (error)
      line +=
          "  " + paint(kRed, "✗ " + (s.status_message.empty() ? std::string("error")
                                                              : terminal_safe(s.status_message)));
    out += line + "\n";
  }
  std::string summary = terminal_safe(summary_line(t));  // reasons may quote the server
  out += "  " + paint(t.report.discarded ? kRed : kDim, summary) + "\n";
  return out;
}

}  // namespace glassbox::cli
