// An elastic pool of worker threads for work that may block (a server's request handlers, the
// calls `glassbox proxy` takes over). It grows when every worker is busy (a task may wait on the
// network or on a server-to-client request) up to max_threads; beyond that, tasks queue in the
// order posted, never refused. Idle workers stay for reuse.
//
// Threads: post() from any thread, a task of the pool's own included; the destructor waits for
// queued work to finish.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace glassbox::mcp {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_threads) : max_threads_(max_threads ? max_threads : 1) {}
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> task);

 private:
  void run();

  std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace glassbox::mcp
