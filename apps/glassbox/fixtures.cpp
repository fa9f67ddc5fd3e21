#include "fixtures.hpp"

#include "demo_server.hpp"
#include "everything_server.hpp"

#include <array>

namespace glassbox::cli {

namespace {

// One line per servable fixture.
constexpr std::array kFixtures = {
    Fixture{"demo", "a help desk whose stages show up in passback", examples::demo_server_options,
            examples::add_demo_fixtures},
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
