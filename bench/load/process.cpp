#include "process.hpp"

#include "placement.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

namespace glassbox::bench {

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

long status_field_kb(const std::string& status, std::string_view field) {
  std::size_t at = status.find(field);
  if (at == std::string::npos) return 0;
  return std::strtol(status.c_str() + at + field.size(), nullptr, 10);
}

// The fields of /proc/PID/stat after the command name, which is in parentheses and may hold
// spaces: fields[0] is field 3 (state), fields[1] field 4 (ppid), fields[11] field 14 (utime).
std::vector<std::string> stat_fields(pid_t pid) {
  std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  std::vector<std::string> fields;
  std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 > stat.size()) return fields;
  std::istringstream in(stat.substr(paren + 2));
  for (std::string field; in >> field;) fields.push_back(std::move(field));
  return fields;
}

ProcessStats stats_of(pid_t pid) {
  ProcessStats stats;
  std::vector<std::string> fields = stat_fields(pid);
  if (fields.size() > 12) {
    unsigned long long ticks = std::stoull(fields[11]) + std::stoull(fields[12]);  // utime+stime
    stats.cpu_seconds = static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::string status = read_small_file("/proc/" + std::to_string(pid) + "/status");
  stats.rss_kb = status_field_kb(status, "VmRSS:");
  stats.peak_rss_kb = status_field_kb(status, "VmHWM:");
  return stats;
}

// The live children of a process, by the parent field of every /proc/PID/stat (the kernel's
// /proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::vector<std::string> fields = stat_fields(std::stoi(name));
    if (fields.size() > 1 && fields[1] == std::to_string(parent))
      children.push_back(std::stoi(name));
  }
  return children;
}

}  // namespace

Process::Process(const ProcessOptions& options)
    : log_path_(options.log_path), count_descendants_(options.count_descendants) {
  int to_child[2] = {-1, -1};
  int from_child[2] = {-1, -1};
  if (options.pipe_stdio && (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0))
    throw_errno("pipe");
  int log_fd = open(options.log_path.empty() ? "/dev/null" : options.log_path.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw_errno("open log");

  std::vector<char*> argv;
  for (const std::string& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t parent = getpid();

  pid_ = fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) {
    // Only async-signal-safe calls from here to exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(options.pipe_stdio ? to_child[0] : null_fd, 0);
    dup2(options.pipe_stdio ? from_child[1] : log_fd, 1);
    dup2(log_fd, 2);
    if (options.cpu >= 0 && !pin_to_cpu(options.cpu)) _exit(126);
    execvp(argv[0], argv.data());
    static const char kFailed[] = "exec failed\n";
    (void)!write(2, kFailed, sizeof kFailed - 1);
    _exit(127);
  }
  close(log_fd);
  if (options.pipe_stdio) {
    close(to_child[0]);
    close(from_child[1]);
    stdin_fd_ = to_child[1];
    stdout_fd_ = from_child[0];
  }
}

Process::~Process() {
  if (pid_ > 0 && exit_status_ < 0) stop(std::chrono::milliseconds(500));
  close_stdin();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

ProcessStats Process::stats() const {
  ProcessStats stats;
  if (pid_ <= 0 || exit_status_ >= 0) return stats;
  std::vector<pid_t> tree = {pid_};
  for (std::size_t i = 0; count_descendants_ && i < tree.size(); ++i)
    for (pid_t child : children_of(tree[i])) tree.push_back(child);
  for (pid_t pid : tree) {
    ProcessStats one = stats_of(pid);
    stats.cpu_seconds += one.cpu_seconds;
    stats.rss_kb += one.rss_kb;
    stats.peak_rss_kb += one.peak_rss_kb;
  }
  return stats;
}

void Process::close_stdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

void Process::signal(int signal_number) {
  if (pid_ > 0 && exit_status_ < 0) kill(pid_, signal_number);
}

int Process::wait_for_exit(std::chrono::milliseconds timeout) {
  if (exit_status_ >= 0) return exit_status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_status_;
    }
    if (done < 0 && errno != EINTR) return exit_status_ = 255;
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool Process::running() {
  return wait_for_exit(std::chrono::milliseconds(0)) < 0;
}

int Process::stop(std::chrono::milliseconds grace) {
  close_stdin();
  if (wait_for_exit(grace) >= 0) return exit_status_;
  signal(SIGTERM);
  if (wait_for_exit(grace) >= 0) return exit_status_;
  signal(SIGKILL);
  return wait_for_exit(std::chrono::seconds(10));
}

std::string tail_of_file(const std::string& path, std::size_t max_bytes) {
  if (path.empty()) return {};
  std::string text = read_small_file(path);
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

std::uint16_t pick_free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw_errno("bind");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    if (connected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace glassbox::bench
