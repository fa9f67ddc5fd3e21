// The client's asynchronous calls (request_async, call_tool_async): the same middleware, checks,
// 2026-07-28 _meta, cache and input_required rounds as the blocking calls, in continuation form,
// over Session::request_async. No thread waits for an answer.
#include "glassbox/mcp/client.hpp"
#include "mcp/client_impl.hpp"

namespace glassbox::mcp {

// Composed once per use(), outermost first; empty when one middleware has only a blocking form.
void Client::Impl::compose_async() {
  async_chain = nullptr;
  for (const auto& layer : async_middleware)
    if (!layer) return;
  AsyncOutgoingHandler next = [this](OutgoingRequest& r, OutcomeCallback done) {
    send_async(r, std::move(done));
  };
  for (std::size_t i = async_middleware.size(); i-- > 0;) {
    next = [layer = async_middleware[i], inner = std::move(next)](
               OutgoingRequest& r, OutcomeCallback done) { layer(r, inner, std::move(done)); };
  }
  async_chain = std::move(next);
}

void Client::Impl::send_async(OutgoingRequest& request, OutcomeCallback done) {
  if (std::optional<jsonrpc::Error> refused = unsendable(request)) return done(std::move(*refused));
  if (!session) {
    return done(
        jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "client is not connected", nullptr});
  }
  RequestOptions sending = request_options(request);
  OutcomeCallback finish = [method = request.method, done = std::move(done)](Outcome outcome) {
    done(checked(method, std::move(outcome)));
  };
  if (stateless.load()) return send_stateless_async(request, std::move(sending), std::move(finish));
  session->request_async(request.method, request.params, sending, std::move(finish));
}

struct Client::Impl::AsyncRounds : std::enable_shared_from_this<AsyncRounds> {
  Client::Impl* impl;  // the client outlives its calls' completions (close() ends them)
  std::shared_ptr<Session> session;
  OutgoingRequest* request;  // valid until done
  RequestOptions sending;
  OutcomeCallback done;
  json::object params;  // the rounds after the first
  int round = 0;

  void send() {
    auto self = shared_from_this();
    session->request_async(request->method, round == 0 ? request->params : params, sending,
                           [self](Outcome out) { self->on_outcome(std::move(out)); });
  }
  void on_outcome(Outcome out) {
    std::optional<Outcome> last =
        impl->after_round(request->method, request->params, out, round, params);
    if (last) return done(std::move(*last));
    ++round;
    send();
  }
};

void Client::Impl::send_stateless_async(OutgoingRequest& request, RequestOptions sending,
                                        OutcomeCallback done) {
  add_request_meta(request.params);
  if (auto hit = cache.get(request.method, request.params)) return done(std::move(*hit));
  auto rounds = std::make_shared<AsyncRounds>();
  rounds->impl = this;
  rounds->session = session;
  rounds->request = &request;
  rounds->sending = std::move(sending);
  rounds->done = std::move(done);
  rounds->send();
}

void Client::Impl::run_async(std::shared_ptr<OutgoingRequest> request, OutcomeCallback done) {
  merge_call_meta(*request);
  if (!async_chain) {
    // A middleware with a blocking form only: the blocking call, on a worker.
    if (auto workers = pool) {
      workers->post([this, request, done = std::move(done)]() mutable {
        Outcome outcome;
        try {
          outcome = chain ? chain(*request) : send(*request);
        } catch (const ProtocolError& e) {
          outcome = e.error();
        } catch (const std::exception& e) {
          outcome = jsonrpc::Error{jsonrpc::error_code::kInternalError, e.what(), nullptr};
        }
        done(std::move(outcome));
      });
      return;
    }
    return done(jsonrpc::Error{jsonrpc::error_code::kConnectionClosed, "client closed", nullptr});
  }
  OutgoingRequest& r = *request;
  // The request lives until its completion: the middleware may read it until then.
  async_chain(r, [this, request = std::move(request), done = std::move(done)](Outcome outcome) {
    recycle_request_meta(request->params);
    done(std::move(outcome));
  });
}

void Client::request_async(std::string_view method, json::object params, const CallOptions& options,
                           OutcomeCallback done) {
  impl_->run_async(std::make_shared<OutgoingRequest>(
                       OutgoingRequest{std::string(method), std::move(params), options}),
                   std::move(done));
}

void Client::call_tool_async(std::string_view name, json::object arguments,
                             const CallOptions& options,
                             std::function<void(CallToolOutcome)> done) {
  request_async("tools/call", tool_call_params(name, std::move(arguments)), options,
                [done = std::move(done)](Outcome outcome) {
                  if (outcome.index() == 1) return done(std::get<1>(std::move(outcome)));
                  CallToolOutcome result;
                  try {
                    result = CallToolResult::from_json(std::get<0>(std::move(outcome)));
                  } catch (const std::exception& e) {
                    result = jsonrpc::Error{jsonrpc::error_code::kInternalError, e.what(), nullptr};
                  }
                  done(std::move(result));
                });
}

}  // namespace glassbox::mcp
