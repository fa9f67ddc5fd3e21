// S8: the resource names the producing service.
#include "glassbox/trace/span_data.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace glassbox::trace {
namespace {

// covers S8
TEST(ResourceTest, ServiceNameAlwaysPresent) {
  Resource r = resource_from_strings({}, "", "");
  EXPECT_EQ(r.service_name(), "unknown_service");
}

// covers S8
TEST(ResourceTest, DefaultsThenAttributesThenServiceName) {
  Resource defaults;
  defaults.set("service.name", "mail").set("service.version", "1.0");
  Resource r = resource_from_strings(
      defaults, "deployment.environment=prod, team=a%2Cb ,service.name=from-attrs,broken,=x", "");
  EXPECT_EQ(r.service_name(), "from-attrs");
  EXPECT_EQ(*find_attribute(r.attributes, "service.version")->if_string(), "1.0");
  EXPECT_EQ(*find_attribute(r.attributes, "deployment.environment")->if_string(), "prod");
  EXPECT_EQ(*find_attribute(r.attributes, "team")->if_string(), "a,b");
  EXPECT_EQ(find_attribute(r.attributes, "broken"), nullptr);
  r = resource_from_strings(defaults, "service.name=from-attrs", "from-env");
  EXPECT_EQ(r.service_name(), "from-env");
  EXPECT_EQ(r.attributes[0].key, "service.name");  // insertion order kept
}

// covers S8
TEST(ResourceTest, FromEnvironment) {
  ::setenv("OTEL_SERVICE_NAME", "env-service", 1);
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=h%201", 1);
  Resource r = resource_from_environment(Resource{}.set("service.name", "default"));
  ::unsetenv("OTEL_SERVICE_NAME");
  ::unsetenv("OTEL_RESOURCE_ATTRIBUTES");
  EXPECT_EQ(r.service_name(), "env-service");
  EXPECT_EQ(*find_attribute(r.attributes, "host.name")->if_string(), "h 1");
  EXPECT_EQ(resource_from_environment(Resource{}.set("service.name", "default")).service_name(),
            "default");
}

TEST(ResourceTest, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%zz%4"), "a b%zz%4");
  EXPECT_EQ(percent_decode("%3D%3d"), "==");
}

}  // namespace
}  // namespace glassbox::trace
