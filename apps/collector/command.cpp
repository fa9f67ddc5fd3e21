// `glassbox collector`: the embedded collector in the foreground until Ctrl-C.
#include "collector.hpp"
#include "stop_signals.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace glassbox::collector {

std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size() || port > 65535)
    return std::nullopt;
  return std::make_pair(std::string(host), static_cast<std::uint16_t>(port));
}

std::string default_database_path() {
  namespace fs = std::filesystem;
  fs::path dir;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    dir = fs::path(xdg) / "glassbox";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = fs::path(home) / ".local" / "share" / "glassbox";
  } else {
    dir = fs::temp_directory_path() / "glassbox";
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    dir = fs::temp_directory_path() / "glassbox";
    fs::create_directories(dir, ec);
  }
  return (dir / "traces.db").string();
}

int run_collector_command(const CollectorCommandOptions& options) {
  auto listen = parse_listen_address(options.listen);
  if (!listen) {
    std::cerr << "glassbox: --listen wants HOST:PORT, not '" << options.listen << "'\n";
    return 2;
  }
  const sigset_t stop_signals = apps::block_stop_signals();  // before any thread starts

  CollectorOptions collector_options{.host = listen->first, .port = listen->second};
  collector_options.store.path = options.db.empty() ? default_database_path() : options.db;
  if (!options.allowed_hosts.empty()) {
    // A list replaces the default rule (transport/http_guard.hpp), so loopback is named again.
    collector_options.allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
    for (const auto& host : options.allowed_hosts) collector_options.allowed_hosts.push_back(host);
  } else if (listen->first == "0.0.0.0" || listen->first == "::") {
    std::cerr << "glassbox: collector: only loopback Host names are answered (DNS rebinding); "
                 "name this machine with --allow-host for exporters elsewhere\n";
  }
  Collector collector(collector_options);
  try {
    collector.start();
  } catch (const std::exception& e) {
    std::cerr << "glassbox: collector: " << e.what() << '\n';
    return 3;
  }
  std::cerr << "glassbox collector\n"
            << "  OTLP/HTTP  " << collector.base_url() << "/v1/traces  (JSON or protobuf, gzip)\n"
            << "  viewer     " << collector.base_url() << "/\n"
            << "  database   " << collector_options.store.path << "\n"
            << "Ctrl-C to stop.\n"
            << std::flush;
  apps::wait_for_stop_signal(stop_signals);
  collector.stop();
  std::cerr << "glassbox: collector stopped\n";
  return 0;
}

}  // namespace glassbox::collector
