// Regression (found by the bad-input catalogue, docs/bad-input.md): a request id is free again
// as soon as its answer is out. The session used to forget the id only after send() returned,
// so a client that reused an id the moment it read the answer was told "a request with this id
// is already in flight". The transport below reuses the id from inside send(), the tightest
// window there is.
#include "glassbox/mcp/server.hpp"
#include "mcp/session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace glassbox::mcp {
namespace {

// Each answer to a ping is followed by another ping with the same id, delivered (on a helper
// thread, as a reader would) while send() has not yet returned: the tightest window there is.
class ReusingTransport final : public transport::Transport {
 public:
  explicit ReusingTransport(std::size_t rounds) : rounds_(rounds) {}
  void start(transport::Callbacks callbacks) override { callbacks_ = std::move(callbacks); }
  bool send(const jsonrpc::Message& message, const transport::SendOptions&) override {
    bool again = false;
    {
      std::lock_guard lock(mutex_);
      answers_.push_back(jsonrpc::serialize(message));
      again = std::holds_alternative<jsonrpc::Response>(message) && answers_.size() < rounds_;
      if (!again) done_.notify_all();
    }
    if (again) std::thread([this] { ping(); }).join();
    return true;
  }
  void close() override {}
  void ping() { callbacks_.on_message(jsonrpc::Request{std::int64_t{1}, "ping", nullptr}, {}); }
  void end() { callbacks_.on_close(); }
  // Waits until every round was answered or an error came back.
  std::vector<std::string> wait_answers() {
    std::unique_lock lock(mutex_);
    done_.wait_for(lock, std::chrono::seconds(10), [&] {
      return answers_.size() >= rounds_ ||
             (!answers_.empty() && answers_.back().find("\"error\"") != std::string::npos);
    });
    return answers_;
  }

 private:
  const std::size_t rounds_;
  transport::Callbacks callbacks_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<std::string> answers_;
};

TEST(RequestIdReuse, AnIdIsFreeOnceItsAnswerIsSent) {
  Server server;
  auto transport = std::make_shared<ReusingTransport>(50);
  ServerSession session = server.connect(transport);
  transport->ping();
  std::vector<std::string> answers = transport->wait_answers();
  transport->end();
  session.wait();
  ASSERT_EQ(answers.size(), 50u) << answers.back();
  for (const std::string& a : answers) EXPECT_EQ(a, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  session.close();
}

}  // namespace
}  // namespace glassbox::mcp
