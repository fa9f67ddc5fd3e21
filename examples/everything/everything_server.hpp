// The "everything" server: every fixture the official MCP conformance suite (0.1.16) checks on a
// server, with the exact names, arguments and content its scenarios expect, plus a few tools
// glassbox's own tests use (echo, a typed add, sleep, update_watched_resource).
//
//   glassbox::mcp::Server server(glassbox::examples::everything_server_options());
//   glassbox::examples::add_everything_fixtures(server);
//   server.serve_stdio();
//
// Threads: call add_everything_fixtures() once, before the first connect(). The server must
// outlive its sessions (one handler notifies it of resource updates).
#pragma once

#include "glassbox/mcp/server.hpp"

#include <string_view>

namespace glassbox::examples {

// A 1x1 red PNG and a 4-sample silent 8 kHz WAV, base64: the smallest valid media to carry.
inline constexpr std::string_view kTinyPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC";
inline constexpr std::string_view kTinyWavBase64 =
    "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQgAAAAAAAAAAAAAAA==";

inline constexpr std::string_view kWatchedResourceUri = "test://watched-resource";

mcp::ServerOptions everything_server_options();

void add_everything_fixtures(mcp::Server& server);

// The multi round-trip fixtures (input_required_tools.cpp); add_everything_fixtures adds them.
void add_input_required_fixtures(mcp::Server& server);

}  // namespace glassbox::examples
