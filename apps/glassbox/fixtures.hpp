// The servers `glassbox serve <fixture>` can run: each is a name, its server options and the
// function that registers its tools, resources and prompts.
#pragma once

#include "glassbox/mcp/server.hpp"

#include <span>
#include <string_view>

namespace glassbox::cli {

struct Fixture {
  std::string_view name;
  std::string_view description;
  mcp::ServerOptions (*options)();
  void (*setup)(mcp::Server&);
};

std::span<const Fixture> fixtures();
const Fixture* find_fixture(std::string_view name);

}  // namespace glassbox::cli
