// Where a sequential cell's processes run. On this project's 2-CPU VMs a pipe round trip between
// two CPUs costs two wake-ups of an idle virtual CPU (about 35 µs each), which no server or client
// controls; on one CPU it costs the two processes' work added up. Left to the scheduler, a
// sequential cell draws either placement, and its figure says more about that draw than about
// the SDK. So each sequential stdio cell runs twice, pinned: both processes on one CPU, and the
// driver (or client) on one CPU with the server on another. Cells with calls in flight keep both
// CPUs busy and are left to the scheduler.
//
// Threads: CpuPin pins the thread that makes it, and the processes and threads it starts while
// it lives inherit that mask.
#pragma once

#include <sched.h>

namespace glassbox::bench {

enum class Placement { scheduler, one_cpu, two_cpus };

// The CPUs of a placement: the driver's (this process's thread, or a client) and the server's.
// -1: not pinned.
struct PlacementCpus {
  int driver = -1;
  int server = -1;
};

// The CPUs this process may use, at least 1.
int usable_cpus();

// one_cpu: both on the last CPU; two_cpus: the driver on the first, the server on the last.
// Needs usable_cpus() >= 2 for two_cpus (the caller leaves such cells out otherwise).
PlacementCpus cpus_for(Placement placement);

// Pins the calling thread to `cpu` (-1: does nothing) and restores its mask when destroyed.
class CpuPin {
 public:
  explicit CpuPin(int cpu);
  ~CpuPin();
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;

 private:
  bool pinned_ = false;
  cpu_set_t saved_{};
};

// Pins the calling thread, or a just-forked child before exec (async-signal-safe: one system
// call), to `cpu`. Returns false when the kernel refuses.
bool pin_to_cpu(int cpu);

}  // namespace glassbox::bench
