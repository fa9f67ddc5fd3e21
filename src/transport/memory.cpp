// In-memory transport pair: each end has a queue and a delivery thread; messages cross as text
// (serialized, tapped, parsed) so that tests see real wire shapes.
#include "glassbox/transport/memory.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace glassbox::transport {
namespace {

struct Shared;

class MemoryEnd final : public Transport, public std::enable_shared_from_this<MemoryEnd> {
 public:
  MemoryEnd(std::shared_ptr<Shared> shared, int side) : shared_(std::move(shared)), side_(side) {}
  ~MemoryEnd() override;

  void start(Callbacks callbacks) override;
  bool send(const jsonrpc::Message& message, const SendOptions& options) override;
  void close() override;

  void push(std::string line) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      queue_.push_back(std::move(line));
    }
    cv_.notify_one();
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
  }

 private:
  void run();

  std::shared_ptr<Shared> shared_;
  int side_;
  Callbacks callbacks_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
};

struct Shared {
  MemoryPairOptions options;
  std::mutex mutex;
  MemoryEnd* ends[2] = {nullptr, nullptr};
  bool closed = false;
};

MemoryEnd::~MemoryEnd() {
  close();
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  std::lock_guard lock(shared_->mutex);
  shared_->ends[side_] = nullptr;
}

void MemoryEnd::start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  // The delivery thread keeps its end alive: a callback may drop every other reference.
  thread_ = std::thread([self = shared_from_this()] { self->run(); });
}

bool MemoryEnd::send(const jsonrpc::Message& message, const SendOptions&) {
  std::string line = jsonrpc::serialize(message);
  if (shared_->options.tap) shared_->options.tap(side_ == 0 ? '>' : '<', line);
  std::lock_guard lock(shared_->mutex);
  MemoryEnd* peer = shared_->ends[1 - side_];
  if (shared_->closed || peer == nullptr) return false;
  peer->push(std::move(line));
  return true;
}

void MemoryEnd::close() {
  std::lock_guard lock(shared_->mutex);
  shared_->closed = true;
  for (MemoryEnd* end : shared_->ends) {
    if (end != nullptr) end->stop();
  }
}

void MemoryEnd::run() {
  for (;;) {
    std::string line;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and everything sent before close was delivered
      line = std::move(queue_.front());
      queue_.pop_front();
    }
    jsonrpc::ParseResult parsed = jsonrpc::parse(line);
    if (parsed.message && callbacks_.on_message) {
      callbacks_.on_message(std::move(*parsed.message), MessageContext{});
    }
  }
  if (callbacks_.on_close) callbacks_.on_close();
}

}  // namespace

std::pair<std::shared_ptr<Transport>, std::shared_ptr<Transport>> make_memory_pair(
    MemoryPairOptions options) {
  auto shared = std::make_shared<Shared>();
  shared->options = std::move(options);
  auto client = std::make_shared<MemoryEnd>(shared, 0);
  auto server = std::make_shared<MemoryEnd>(shared, 1);
  shared->ends[0] = client.get();
  shared->ends[1] = server.get();
  return {client, server};
}

}  // namespace glassbox::transport
