// Child processes for the load comparison: the servers under test and wrk. Started with
// fork/exec (no MCP library in between), observed through /proc.
//
// Threads: a Process belongs to the thread that started it; stats() may be called from any
// thread while the process runs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace glassbox::bench {

// What /proc says about a process right now (with ProcessOptions::count_descendants, summed over
// it and its live descendants).
struct ProcessStats {
  double cpu_seconds = 0;  // user + system, all threads (utime + stime of /proc/PID/stat)
  long rss_kb = 0;         // VmRSS
  long peak_rss_kb = 0;    // VmHWM: the highest RSS of each process since it started
};

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  // true: the child's stdin and stdout are pipes to us (stdin_fd(), stdout_fd()); false: stdin
  // is /dev/null and stdout goes to the log file.
  bool pipe_stdio = false;
  std::string log_path;  // the child's stderr (and stdout without pipe_stdio); empty: /dev/null
  // stats() counts the process's live descendants too: a proxy's cost is its own plus that of
  // the server it starts. Off for a client that starts the server it measures.
  bool count_descendants = false;
  // >= 0: the child, and every process and thread it starts, runs on this CPU alone
  // (placement.hpp).
  int cpu = -1;
};

class Process {
 public:
  // Throws std::system_error when the process cannot be started. The child gets SIGKILL if this
  // process dies first, so a crashed run leaves no server behind.
  explicit Process(const ProcessOptions& options);
  ~Process();  // stop() if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return stdin_fd_; }    // ours to write; -1 without pipe_stdio
  int stdout_fd() const { return stdout_fd_; }  // ours to read; -1 without pipe_stdio
  const std::string& log_path() const { return log_path_; }

  ProcessStats stats() const;  // zeros once the process is gone
  void close_stdin();          // end of input: a stdio server exits on it
  void signal(int signal_number);
  // Waits for the exit, sending SIGTERM after `grace` and SIGKILL after another `grace`.
  // Returns the exit status, or 128 + signal when a signal ended it.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(2));
  // Waits up to `timeout` for the process to exit on its own; -1 when it has not.
  int wait_for_exit(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int exit_status_ = -1;
  std::string log_path_;
  bool count_descendants_ = false;
};

// The last `max_bytes` of a file (a child's log), for error messages.
std::string tail_of_file(const std::string& path, std::size_t max_bytes = 2000);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
std::uint16_t pick_free_port();

// Connects to 127.0.0.1:port until it accepts or `timeout` passes.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace glassbox::bench
