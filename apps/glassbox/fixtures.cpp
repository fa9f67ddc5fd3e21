#include "fixtures.hpp"

#include "demo_server.hpp"
#include "everything_server.hpp"

#include <array>
#include <filesystem>

namespace glassbox::cli {

namespace {

// The demo help desk spawns its knowledge base as this same program: `glassbox serve demo-kb`.
void add_demo_chain(mcp::Server& server) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  examples::add_demo_fixtures(
      server, {.kb_command = {ec ? std::string("/proc/self/exe") : self.string(), "serve",
                              "demo-kb", "--stdio"}});
}

// One line per servable fixture.
constexpr std::array kFixtures = {
    Fixture{"demo", "a help desk whose stages show up in passback", examples::demo_server_options,
            add_demo_chain},
    Fixture{"demo-kb", "the demo help desk's knowledge base (the demo spawns it)",
            examples::demo_kb_server_options, examples::add_demo_kb_fixtures},
    Fixture{"everything", "every MCP feature, as the conformance suite checks it",
            examples::everything_server_options, examples::add_everything_fixtures},
};

}  // namespace

std::span<const Fixture> fixtures() {
  return kFixtures;
}

const Fixture* find_fixture(std::string_view name) {
  for (const Fixture& fixture : kFixtures)
    if (fixture.name == name) return &fixture;
  return nullptr;
}

}  // namespace glassbox::cli
