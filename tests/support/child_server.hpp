// A server program started as a child process that listens over HTTP (`glassbox serve demo
// --http 127.0.0.1:0`): its URL is read from the "listening on <url>" line it writes to stderr.
// The rest of its stderr is drained on a thread so that it never blocks; the destructor sends
// SIGTERM and reaps the child.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace glassbox::test {

class ChildHttpServer {
 public:
  explicit ChildHttpServer(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      throw std::runtime_error("cannot start " + args[0]);
    }
    fd_ = fds[0];
    // Read up to the URL line (the child writes it once it listens), then drain the rest.
    std::string line;
    char c;
    while (::read(fd_, &c, 1) == 1) {
      if (c != '\n') {
        line += c;
        continue;
      }
      if (auto at = line.find("listening on "); at != std::string::npos) {
        url_ = line.substr(at + 13);
        break;
      }
      line.clear();
    }
    drain_ = std::thread([fd = fd_] {
      char buf[512];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    });
    if (url_.empty()) throw std::runtime_error(args[0] + " exited before it listened");
  }
  ~ChildHttpServer() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    if (drain_.joinable()) drain_.join();  // EOF once every writer (the child's own) is gone
    ::close(fd_);
  }
  ChildHttpServer(const ChildHttpServer&) = delete;
  ChildHttpServer& operator=(const ChildHttpServer&) = delete;

  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = 0;
  int fd_ = -1;
  std::string url_;
  std::thread drain_;
};

}  // namespace glassbox::test
