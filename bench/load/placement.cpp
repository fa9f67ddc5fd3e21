#include "placement.hpp"

#include <stdexcept>
#include <string>

namespace glassbox::bench {

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int count = CPU_COUNT(&set);
  return count > 0 ? count : 1;
}

namespace {

// The n-th CPU (from 0) of this process's mask, so that a machine whose usable CPUs are not
// 0 and 1 still gets two distinct ones.
int nth_usable_cpu(int n) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set) && n-- == 0) return cpu;
  return -1;
}

}  // namespace

PlacementCpus cpus_for(Placement placement) {
  int last = nth_usable_cpu(usable_cpus() - 1);
  switch (placement) {
    case Placement::scheduler:
      return {};
    case Placement::one_cpu:
      return {.driver = last, .server = last};
    case Placement::two_cpus:
      return {.driver = nth_usable_cpu(0), .server = last};
  }
  return {};
}

bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

CpuPin::CpuPin(int cpu) {
  if (cpu < 0) return;
  CPU_ZERO(&saved_);
  if (sched_getaffinity(0, sizeof saved_, &saved_) != 0 || !pin_to_cpu(cpu))
    throw std::runtime_error("cannot pin the driver to CPU " + std::to_string(cpu));
  pinned_ = true;
}

CpuPin::~CpuPin() {
  if (pinned_) sched_setaffinity(0, sizeof saved_, &saved_);
}

}  // namespace glassbox::bench
