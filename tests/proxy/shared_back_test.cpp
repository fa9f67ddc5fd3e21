// The shared back of the proxy's sessionless (2026-07-28) fronts: what the back sees on the wire
// (ids and progress tokens rewritten, cancellation with the back id), what each front gets back
// (its own id and token), and a back that closes (its fronts closed, the next front opens another).
#include "proxy_shared_back.hpp"

#include "glassbox/transport/memory.hpp"
#include "support/inbox.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <vector>

namespace glassbox::cli {
namespace {

using testing::Inbox;

// Each back the SharedBack opens is a memory pair; the test plays the server end.
struct Backs {
  std::mutex mutex;
  std::vector<std::shared_ptr<transport::Transport>> servers;
  std::vector<std::unique_ptr<Inbox>> inboxes;

  // Each server end's on_close runs on its delivery thread: wait for it before the inbox goes.
  ~Backs() {
    for (std::size_t i = 0; i < servers.size(); ++i) {
      servers[i]->close();
      inboxes[i]->wait_closed();
    }
  }

  std::shared_ptr<SharedBack> make() {
    return std::make_shared<SharedBack>([this] {
      auto [client, server] = transport::make_memory_pair();
      std::lock_guard lock(mutex);
      inboxes.push_back(std::make_unique<Inbox>());
      server->start(inboxes.back()->callbacks());
      servers.push_back(server);
      return client;
    });
  }
  Inbox& inbox(std::size_t i) {
    std::lock_guard lock(mutex);
    return *inboxes.at(i);
  }
  std::shared_ptr<transport::Transport> server(std::size_t i) {
    std::lock_guard lock(mutex);
    return servers.at(i);
  }
};

// Two fronts on one shared back, started.
struct Fronts {
  explicit Fronts(SharedBack& shared) : a(shared.port()), b(shared.port()) {
    a->start(front_a.callbacks());
    b->start(front_b.callbacks());
  }
  Inbox front_a, front_b;
  std::shared_ptr<transport::Transport> a, b;
};

jsonrpc::Request call(std::int64_t id, json::value token = nullptr) {
  json::object params{{"name", "echo"}};
  if (!token.is_null()) params["_meta"] = json::object{{"progressToken", token}};
  return {id, "tools/call", std::move(params)};
}

// The nth message the back received, a request.
jsonrpc::Request at_back(Inbox& inbox, std::size_t nth) {
  EXPECT_TRUE(inbox.wait_count(nth + 1));
  return std::get<jsonrpc::Request>(inbox.snapshot().at(nth));
}

TEST(SharedBack, FrontsWithTheSameIdAndTokenEachGetTheirOwnAnswers) {
  Backs backs;
  auto shared = backs.make();
  Fronts fronts(*shared);
  auto& [front_a, front_b, a, b] = fronts;
  ASSERT_TRUE(a->send(call(1, "p")));
  ASSERT_TRUE(b->send(call(1, "p")));
  jsonrpc::Request first = at_back(backs.inbox(0), 0);
  jsonrpc::Request second = at_back(backs.inbox(0), 1);
  EXPECT_EQ(shared->opened(), 1u);
  EXPECT_NE(first.id, second.id) << "two fronts' id 1 must not collide on the back";
  auto token_of = [](const jsonrpc::Request& r) {
    return json::as_object_or_empty(r.params).at("_meta").at("progressToken");
  };
  EXPECT_NE(token_of(first), token_of(second));
  EXPECT_EQ(json::as_object_or_empty(first.params).at("name"), "echo");

  // Progress and answers in the other order: each goes to its own front, restored.
  auto server = backs.server(0);
  server->send(
      jsonrpc::Notification{"notifications/progress",
                            json::object{{"progressToken", token_of(second)}, {"progress", 5}}});
  server->send(jsonrpc::Response{second.id, json::object{{"who", "b"}}});
  server->send(jsonrpc::Response{first.id, json::object{{"who", "a"}}});
  auto answer_a = front_a.answer(1);
  auto answer_b = front_b.answer(1);
  ASSERT_TRUE(answer_a && answer_b);
  EXPECT_EQ(jsonrpc::serialize(*answer_a), R"({"jsonrpc":"2.0","id":1,"result":{"who":"a"}})");
  EXPECT_EQ(jsonrpc::serialize(*answer_b), R"({"jsonrpc":"2.0","id":1,"result":{"who":"b"}})");
  std::vector<jsonrpc::Message> got_b = front_b.snapshot();
  ASSERT_EQ(got_b.size(), 2u);
  EXPECT_EQ(
      jsonrpc::serialize(got_b[0]),
      R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":5}})");
  EXPECT_EQ(front_a.snapshot().size(), 1u) << "a sees no progress of b's";
}

TEST(SharedBack, AFrontThatClosesCancelsItsRequestAndItsAnswerIsDropped) {
  Backs backs;
  auto shared = backs.make();
  Fronts fronts(*shared);
  auto& [front_a, front_b, a, b] = fronts;
  ASSERT_TRUE(a->send(call(7)));
  ASSERT_TRUE(b->send(call(7)));
  jsonrpc::Request of_a = at_back(backs.inbox(0), 0);
  jsonrpc::Request of_b = at_back(backs.inbox(0), 1);
  a->close();
  EXPECT_TRUE(front_a.wait_closed());
  auto cancel = backs.inbox(0).wait_for([](const jsonrpc::Message& m) {
    auto* n = std::get_if<jsonrpc::Notification>(&m);
    return n && n->method == "notifications/cancelled";
  });
  ASSERT_TRUE(cancel);
  EXPECT_EQ(
      json::as_object_or_empty(std::get<jsonrpc::Notification>(*cancel).params).at("requestId"),
      jsonrpc::to_json(of_a.id));
  // The back answers a anyway (it was already done), then b: only b's answer reaches a front.
  auto server = backs.server(0);
  server->send(jsonrpc::Response{of_a.id, json::object{{"who", "a"}}});
  server->send(jsonrpc::Response{of_b.id, json::object{{"who", "b"}}});
  auto answer_b = front_b.answer(7);
  ASSERT_TRUE(answer_b);
  EXPECT_EQ(jsonrpc::serialize(*answer_b), R"({"jsonrpc":"2.0","id":7,"result":{"who":"b"}})");
  EXPECT_EQ(front_b.snapshot().size(), 1u);
  EXPECT_TRUE(front_a.snapshot().empty());
  EXPECT_FALSE(a->send(call(8))) << "a closed port sends nothing";
}

TEST(SharedBack, AFrontsCancellationGoesOutWithTheBackId) {
  Backs backs;
  auto shared = backs.make();
  Inbox front;
  auto port = shared->port();
  port->start(front.callbacks());
  ASSERT_TRUE(port->send(call(3)));
  jsonrpc::Request request = at_back(backs.inbox(0), 0);
  ASSERT_TRUE(port->send(jsonrpc::Notification{"notifications/cancelled",
                                               json::object{{"requestId", 3}, {"reason", "r"}}}));
  auto cancel = std::get<jsonrpc::Notification>(*backs.inbox(0).wait_for(
      [](const jsonrpc::Message& m) { return std::holds_alternative<jsonrpc::Notification>(m); }));
  EXPECT_EQ(json::serialize(cancel.params),
            R"({"requestId":)" + jsonrpc::to_string(request.id) + R"(,"reason":"r"})");
  // A cancellation of nothing in flight (another front's id) does not reach the back.
  ASSERT_TRUE(port->send(
      jsonrpc::Notification{"notifications/cancelled", json::object{{"requestId", 99}}}));
  ASSERT_TRUE(port->send(call(4)));
  at_back(backs.inbox(0), 2);
  EXPECT_EQ(backs.inbox(0).snapshot().size(), 3u);
}

TEST(SharedBack, ABackThatClosesClosesItsFrontsAndTheNextFrontOpensAnother) {
  Backs backs;
  auto shared = backs.make();
  Inbox front;
  auto port = shared->port();
  port->start(front.callbacks());
  backs.server(0)->close();  // the child exited
  EXPECT_TRUE(front.wait_closed());
  EXPECT_FALSE(port->send(call(1)));

  Inbox next_front;
  auto next = shared->port();
  next->start(next_front.callbacks());
  EXPECT_EQ(shared->opened(), 2u);
  ASSERT_TRUE(next->send(call(1)));
  jsonrpc::Request request = at_back(backs.inbox(1), 0);
  backs.server(1)->send(jsonrpc::Response{request.id, json::object{}});
  EXPECT_TRUE(next_front.answer(1));
}

TEST(SharedBack, RequestsFromTheBackAreRefusedAndUnrelatedNotificationsNeedOneFront) {
  Backs backs;
  auto shared = backs.make();
  Fronts fronts(*shared);
  auto& [front_a, front_b, a, b] = fronts;
  auto server = backs.server(0);
  Inbox& back = backs.inbox(0);

  server->send(jsonrpc::Request{50, "elicitation/create", json::object{}});
  auto refused = back.answer(50);
  ASSERT_TRUE(refused);
  EXPECT_EQ(std::get<jsonrpc::ErrorResponse>(*refused).error.code,
            jsonrpc::error_code::kMethodNotFound);

  // One front in flight: a notification without a token is its.
  ASSERT_TRUE(a->send(call(1)));
  jsonrpc::Request of_a = at_back(back, 1);  // after the refusal
  server->send(jsonrpc::Notification{"notifications/resources/list_changed", nullptr});
  ASSERT_TRUE(front_a.wait_for(
      [](const jsonrpc::Message& m) { return std::holds_alternative<jsonrpc::Notification>(m); }));
  // Two in flight: nobody can tell whose it is, so no front gets it.
  ASSERT_TRUE(b->send(call(1)));
  jsonrpc::Request of_b = at_back(back, 2);
  server->send(jsonrpc::Notification{"notifications/resources/list_changed", nullptr});
  server->send(jsonrpc::Response{of_b.id, json::object{}});
  server->send(jsonrpc::Response{of_a.id, json::object{}});
  ASSERT_TRUE(front_a.answer(1) && front_b.answer(1));
  EXPECT_EQ(front_a.snapshot().size(), 2u);  // the first notification, the answer
  EXPECT_EQ(front_b.snapshot().size(), 1u);  // the answer
}

}  // namespace
}  // namespace glassbox::cli
