// stdio transports: a poll()-based reader thread per transport (woken by a self-pipe on close),
// and a mutex-guarded writer. See include/glassbox/transport/stdio.hpp for the contract.
#include "glassbox/transport/stdio.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <system_error>
#include <thread>

extern char** environ;

namespace glassbox::transport {
namespace {

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

class FdTransport : public Transport, public std::enable_shared_from_this<FdTransport> {
 public:
  FdTransport(int read_fd, int write_fd, std::size_t max_message_bytes, bool owns_fds)
      : read_fd_(read_fd),
        write_fd_(write_fd),
        owns_fds_(owns_fds),
        framer_(max_message_bytes),
        max_bytes_(max_message_bytes) {
    ignore_sigpipe_once();
    if (::pipe2(wake_, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
  }

  ~FdTransport() override {
    close();
    if (reader_.joinable()) {
      if (reader_.get_id() == std::this_thread::get_id()) {
        reader_.detach();  // the last owner let go inside a callback; the thread is ending anyway
      } else {
        reader_.join();
      }
    }
    ::close(wake_[0]);
    ::close(wake_[1]);
    if (owns_fds_) {
      ::close(read_fd_);
      close_write_end();
    }
  }

  void start(Callbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    // The reader keeps the transport alive: a callback may drop every other reference.
    reader_ = std::thread([self = shared_from_this()] { self->read_loop(); });
  }

  bool send(const jsonrpc::Message& message, const SendOptions&) override {
    std::string line = jsonrpc::serialize(message);
    line.push_back('\n');
    std::lock_guard lock(write_mutex_);
    if (closed_.load() || write_fd_ < 0) return false;
    if (!write_all(write_fd_, line)) {
      broken_ = true;
      return false;
    }
    return true;
  }

  void close() override {
    if (closed_.exchange(true)) return;
    on_close_requested();
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_[1], &byte, 1);
  }

 protected:
  // The process transport ends its child here; the write end closes first so the child sees EOF.
  virtual void on_close_requested() {}

  void close_write_end() {
    std::lock_guard lock(write_mutex_);
    if (owns_fds_ && write_fd_ >= 0) {
      ::close(write_fd_);
      write_fd_ = -1;
    }
  }

 private:
  void read_loop() {
    char buffer[64 * 1024];
    while (!closed_.load()) {
      pollfd fds[2] = {{read_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      int ready = ::poll(fds, 2, -1);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents != 0) break;
      if (fds[0].revents == 0) continue;
      ssize_t n = ::read(read_fd_, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;  // end of input
      framer_.feed(
          std::string_view(buffer, static_cast<std::size_t>(n)),
          [this](std::string_view line) { deliver(line); },
          [this](std::size_t bytes) {
            send(jsonrpc::ErrorResponse{std::nullopt,
                                        {jsonrpc::error_code::kInvalidRequest,
                                         "message of " + std::to_string(bytes) +
                                             " bytes exceeds the limit of " +
                                             std::to_string(max_bytes()) + " bytes",
                                         nullptr}},
                 {});
          });
    }
    // A last line without its newline still counts at end of input.
    // End of input: nothing more arrives, but responses to what did arrive may still be written
    // until close() (a piped `echo request | server` gets its answer).
    if (!closed_.load() && framer_.pending_bytes() > 0) deliver(framer_.take_pending());
    if (callbacks_.on_close) callbacks_.on_close();
  }

  void deliver(std::string_view line) {
    jsonrpc::ParseResult parsed = jsonrpc::parse(line);
    if (parsed.error) {
      send(*parsed.error, {});
      return;
    }
    if (callbacks_.on_message) callbacks_.on_message(std::move(*parsed.message), MessageContext{});
  }

  std::size_t max_bytes() const { return max_bytes_; }

  int read_fd_;
  int write_fd_;
  bool owns_fds_;
  int wake_[2] = {-1, -1};
  jsonrpc::LineFramer framer_;
  std::size_t max_bytes_;
  Callbacks callbacks_;
  std::thread reader_;
  std::mutex write_mutex_;
  std::atomic<bool> closed_{false};
  bool broken_ = false;
};

class ProcessTransport final : public FdTransport {
 public:
  ProcessTransport(pid_t pid, int read_fd, int write_fd, const ProcessOptions& options)
      : FdTransport(read_fd, write_fd, options.max_message_bytes, true),
        pid_(pid),
        grace_(options.shutdown_grace) {}

  ~ProcessTransport() override {
    close();
    reap();
  }

 private:
  void on_close_requested() override {
    close_write_end();  // MCP stdio shutdown: close the child's stdin first...
    reap();             // ...then SIGTERM after a grace period, then SIGKILL.
  }

  void reap() {
    std::lock_guard lock(reap_mutex_);
    if (reaped_) return;
    auto wait_for = [this](std::chrono::milliseconds budget) {
      auto deadline = std::chrono::steady_clock::now() + budget;
      do {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_ || (r < 0 && errno == ECHILD)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } while (std::chrono::steady_clock::now() < deadline);
      return false;
    };
    if (!wait_for(grace_)) {
      ::kill(pid_, SIGTERM);
      if (!wait_for(grace_)) {
        ::kill(pid_, SIGKILL);
        wait_for(std::chrono::seconds(5));
      }
    }
    reaped_ = true;
  }

  pid_t pid_;
  std::chrono::milliseconds grace_;
  std::mutex reap_mutex_;
  bool reaped_ = false;
};

}  // namespace

std::shared_ptr<Transport> make_stdio_transport(StdioOptions options) {
  return std::make_shared<FdTransport>(options.read_fd, options.write_fd, options.max_message_bytes,
                                       false);
}

std::shared_ptr<Transport> spawn_process(ProcessOptions options) {
  if (options.argv.empty()) throw std::invalid_argument("spawn_process: empty command");
  ignore_sigpipe_once();
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  if (!options.inherit_stderr)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (rc != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    throw std::system_error(rc, std::generic_category(), "cannot start " + options.argv[0]);
  }
  return std::make_shared<ProcessTransport>(pid, from_child[0], to_child[1], options);
}

}  // namespace glassbox::transport
